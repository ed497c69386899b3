//! Open documents: ropey text, the last tree-sitter tree, edits and position encodings.
//!
//! A document is changed only by the editor's notifications, applied in order. Positions arrive as
//! (line, character) in the negotiated encoding and are clamped per the LSP spec: a line past the
//! end means the end of the document, a character past the end of its line means the line's end.
//! No LSP types and no IO here.

use ropey::Rope;
use tree_sitter::{InputEdit, Point, Tree};

use crate::lang::Lang;
use crate::parser::{Extractor, ParseError};
use crate::symbol::{Pos, Span, Symbol};

/// How `character` offsets count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    #[default]
    Utf16,
}

/// A (line, character) position in some [`Encoding`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub character: u32,
}

/// One text change: replace `range` (or the whole text when `None`) with `text`.
#[derive(Clone, Debug)]
pub struct Change {
    pub range: Option<(LineCol, LineCol)>,
    pub text: String,
}

/// An open file.
pub struct Document {
    pub lang: Option<Lang>,
    pub version: i32,
    rope: Rope,
    tree: Option<Tree>,
    /// The symbols of the current text.
    pub symbols: Vec<Symbol>,
}

impl Document {
    /// Opens a document and parses it.
    pub fn open(text: &str, lang: Option<Lang>, version: i32, extractor: &mut Extractor) -> Document {
        let mut doc = Document { lang, version, rope: Rope::from_str(text), tree: None, symbols: Vec::new() };
        doc.reparse(extractor);
        doc
    }

    pub fn rope(&self) -> &Rope {
        &self.rope
    }

    pub fn tree(&self) -> Option<&Tree> {
        self.tree.as_ref()
    }

    pub fn text(&self) -> String {
        self.rope.to_string()
    }

    /// Applies changes in order, editing the tree for each, then reparses incrementally once. A
    /// single ranged change (typing) re-extracts only the tags around what changed.
    pub fn apply(&mut self, changes: &[Change], version: i32, encoding: Encoding, extractor: &mut Extractor) {
        let mut edits = Vec::with_capacity(changes.len());
        for change in changes {
            match change.range {
                None => {
                    self.rope = Rope::from_str(&change.text);
                    self.tree = None;
                    edits.clear();
                }
                Some((start, end)) => edits.push(self.apply_range(start, end, &change.text, encoding)),
            }
        }
        self.version = version;
        match (edits.as_slice(), self.lang) {
            ([edit], Some(lang)) if self.tree.is_some() => self.reparse_around(lang, edit, extractor),
            _ => self.reparse(extractor),
        }
    }

    /// Reparses after one edit and re-extracts only where the tree or the text changed.
    fn reparse_around(&mut self, lang: Lang, edit: &Edit, extractor: &mut Extractor) {
        let Some(old_tree) = self.tree.take() else { return self.reparse(extractor) };
        let source = self.text();
        let tree = match extractor.parse(lang, source.as_bytes(), Some(&old_tree)) {
            Ok(tree) => tree,
            Err(e) => {
                tracing::warn!("document parse failed: {e}; keeping previous symbols");
                return;
            }
        };
        let (mut lo, mut hi) = (edit.input.start_byte, edit.input.new_end_byte);
        for changed in old_tree.changed_ranges(&tree) {
            lo = lo.min(changed.start_byte);
            hi = hi.max(changed.end_byte);
        }
        // Symbols touching [lo, hi] are re-extracted; the query range is one byte wider on each
        // side so that every node touching it is seen again.
        let lo_pos = self.pos_at(lo);
        let hi_pos = self.pos_at(hi);
        let kept: Vec<Symbol> = std::mem::take(&mut self.symbols)
            .into_iter()
            .map(|s| edit.shift_symbol(s))
            .filter(|s| s.range.end < lo_pos || s.range.start > hi_pos)
            .collect();
        let range = lo.saturating_sub(1)..(hi + 1).min(source.len().max(1));
        self.symbols = extractor.extract_incremental(lang, &tree, source.as_bytes(), range, kept);
        self.tree = Some(tree);
    }

    fn pos_at(&self, byte: usize) -> Pos {
        let utf16 = self.position(byte, Encoding::Utf16);
        let utf8 = self.position(byte, Encoding::Utf8);
        Pos { line: utf8.line, col: utf8.character, col16: utf16.character }
    }

    fn apply_range(&mut self, start: LineCol, end: LineCol, text: &str, encoding: Encoding) -> Edit {
        let mut start_byte = self.offset(start, encoding);
        let mut end_byte = self.offset(end, encoding);
        if end_byte < start_byte {
            std::mem::swap(&mut start_byte, &mut end_byte);
        }
        let start_point = self.point(start_byte);
        let old_end_point = self.point(end_byte);
        let (start_pos, old_end) = (self.pos_at(start_byte), self.pos_at(end_byte));
        let start_char = self.rope.byte_to_char(start_byte);
        let end_char = self.rope.byte_to_char(end_byte);
        self.rope.remove(start_char..end_char);
        self.rope.insert(start_char, text);
        let new_end_byte = start_byte + text.len();
        let new_end_point = self.point(new_end_byte);
        let input = InputEdit {
            start_byte,
            old_end_byte: end_byte,
            new_end_byte,
            start_position: start_point,
            old_end_position: old_end_point,
            new_end_position: new_end_point,
        };
        if let Some(tree) = &mut self.tree {
            tree.edit(&input);
        }
        Edit { input, start: start_pos, old_end, new_end: self.pos_at(new_end_byte) }
    }

    fn reparse(&mut self, extractor: &mut Extractor) {
        let Some(lang) = self.lang else { return };
        let source = self.text();
        match extractor.parse(lang, source.as_bytes(), self.tree.as_ref()) {
            Ok(tree) => {
                self.symbols = extractor.extract(lang, &tree, source.as_bytes());
                self.tree = Some(tree);
            }
            Err(ParseError::Timeout(budget)) => {
                tracing::warn!("document parse exceeded {budget:?}; keeping previous symbols");
                self.tree = None;
            }
            Err(e) => tracing::warn!("document parse failed: {e}"),
        }
    }

    /// Byte offset of a position, clamped to the document.
    pub fn offset(&self, pos: LineCol, encoding: Encoding) -> usize {
        offset(&self.rope, pos, encoding)
    }

    /// Position of a byte offset (clamped).
    pub fn position(&self, byte: usize, encoding: Encoding) -> LineCol {
        position(&self.rope, byte, encoding)
    }

    fn point(&self, byte: usize) -> Point {
        let line = self.rope.byte_to_line(byte);
        Point { row: line, column: byte - self.rope.line_to_byte(line) }
    }
}

/// One applied text edit, in tree-sitter's terms and in symbol positions.
struct Edit {
    input: InputEdit,
    start: Pos,
    old_end: Pos,
    new_end: Pos,
}

impl Edit {
    /// Where a position from before the edit is after it (inside the replaced text: its end).
    fn shift(&self, p: Pos) -> Pos {
        if p < self.start {
            return p;
        }
        if p < self.old_end {
            return self.new_end;
        }
        if p.line == self.old_end.line {
            return Pos {
                line: self.new_end.line,
                col: self.new_end.col + (p.col - self.old_end.col),
                col16: self.new_end.col16 + (p.col16 - self.old_end.col16),
            };
        }
        Pos { line: p.line - self.old_end.line + self.new_end.line, ..p }
    }

    fn shift_symbol(&self, mut s: Symbol) -> Symbol {
        s.range = Span { start: self.shift(s.range.start), end: self.shift(s.range.end) };
        s.name_range = Span { start: self.shift(s.name_range.start), end: self.shift(s.name_range.end) };
        s
    }
}

/// Byte offset of `pos` in `rope`, clamped per the LSP spec.
pub fn offset(rope: &Rope, pos: LineCol, encoding: Encoding) -> usize {
    let line = pos.line as usize;
    if line >= rope.len_lines() {
        return rope.len_bytes();
    }
    let line_start = rope.line_to_byte(line);
    let slice = rope.line(line);
    // The line's content without its terminator.
    let mut content_chars = slice.len_chars();
    while content_chars > 0 && matches!(slice.char(content_chars - 1), '\n' | '\r') {
        content_chars -= 1;
    }
    let content = slice.slice(..content_chars);
    let character = pos.character as usize;
    let chars = match encoding {
        Encoding::Utf8 => {
            let byte = character.min(content.len_bytes());
            // A byte inside a character snaps back to its start.
            content.byte_to_char(byte)
        }
        Encoding::Utf16 => {
            let units = character.min(content.len_utf16_cu());
            content.utf16_cu_to_char(units)
        }
    };
    line_start + content.char_to_byte(chars)
}

/// Position of byte offset `byte` in `rope` (clamped to the end).
pub fn position(rope: &Rope, byte: usize, encoding: Encoding) -> LineCol {
    let byte = byte.min(rope.len_bytes());
    let line = rope.byte_to_line(byte);
    let line_start = rope.line_to_byte(line);
    let character = match encoding {
        Encoding::Utf8 => byte - line_start,
        Encoding::Utf16 => {
            let slice = rope.line(line);
            let chars = slice.byte_to_char(byte - line_start);
            slice.char_to_utf16_cu(chars)
        }
    };
    LineCol { line: line as u32, character: character as u32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lc(line: u32, character: u32) -> LineCol {
        LineCol { line, character }
    }

    #[test]
    fn positions_clamp_per_spec() {
        let rope = Rope::from_str("ab\r\n😀x\n");
        // Past the end of a line: the line's end, before the terminator.
        assert_eq!(offset(&rope, lc(0, 99), Encoding::Utf16), 2);
        // Past the last line: the end of the document.
        assert_eq!(offset(&rope, lc(9, 0), Encoding::Utf16), rope.len_bytes());
        // Inside a surrogate pair or a UTF-8 sequence: snaps to the character start.
        assert_eq!(offset(&rope, lc(1, 1), Encoding::Utf16), 4);
        assert_eq!(offset(&rope, lc(1, 2), Encoding::Utf16), 8);
        assert_eq!(offset(&rope, lc(1, 2), Encoding::Utf8), 4);
        assert_eq!(offset(&rope, lc(1, 4), Encoding::Utf8), 8);
        assert_eq!(position(&rope, 8, Encoding::Utf16), lc(1, 2));
        assert_eq!(position(&rope, 8, Encoding::Utf8), lc(1, 4));
    }

    #[test]
    fn incremental_edits_after_astral_characters_update_symbols() {
        let mut ex = Extractor::new();
        let mut doc = Document::open("// 😀😀\nfn old_name() {}\n", Some(Lang::Rust), 1, &mut ex);
        assert_eq!(doc.symbols[0].name.as_str(), "old_name");
        // Replace `old` (UTF-16 columns 3..6 on line 1) with `new`.
        let change = Change { range: Some((lc(1, 3), lc(1, 6))), text: "new".into() };
        doc.apply(&[change], 2, Encoding::Utf16, &mut ex);
        assert_eq!(doc.text(), "// 😀😀\nfn new_name() {}\n");
        assert_eq!(doc.symbols.len(), 1);
        assert_eq!(doc.symbols[0].name.as_str(), "new_name");
        // An edit on the astral line itself: insert after the two emoji (UTF-16 column 7).
        let change = Change { range: Some((lc(0, 7), lc(0, 7))), text: "\nfn added() {}".into() };
        doc.apply(&[change], 3, Encoding::Utf16, &mut ex);
        let names: Vec<&str> = doc.symbols.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["added", "new_name"]);
        // The incremental tree matches a fresh parse.
        let fresh = Document::open(&doc.text(), Some(Lang::Rust), 3, &mut ex);
        assert_eq!(fresh.symbols, doc.symbols);
        let fresh = Document::open(&doc.text(), Some(Lang::Rust), 3, &mut ex);
        assert_eq!(fresh.tree().unwrap().root_node().to_sexp(), doc.tree().unwrap().root_node().to_sexp());
    }

    /// Typing re-extracts only around the edit: after any sequence of random edits the symbols
    /// must equal a from-scratch extraction of the final text.
    #[test]
    fn incremental_extraction_equals_full_extraction_after_random_edits() {
        const SAMPLES: &[(Lang, &str)] = &[
            (Lang::Rust, "mod m {\n    pub struct S { a: u32 }\n    impl S {\n        fn f(&self) -> u32 { g(self.a) }\n    }\n}\nfn g(x: u32) -> u32 { x }\nconst K: u32 = 1;\n"),
            (Lang::Python, "class A:\n    def f(self):\n        return g(1)\n\ndef g(x):\n    return x\n\nK = 1\n"),
            (Lang::TypeScript, "export class A {\n  f(): number { return g(1); }\n}\nfunction g(x: number) { return x; }\ninterface I { m(): void }\n"),
            (Lang::C, "struct s { int a; };\nstatic int g(int x) { return x; }\nint main(void) { return g(1); }\n"),
            (Lang::Go, "package p\n\ntype T struct{ A int }\n\nfunc (t T) M() int { return g(t.A) }\n\nfunc g(x int) int { return x }\n"),
        ];
        const SNIPPETS: &[&str] = &[
            "x",
            "fn h() {}\n",
            "def h():\n    pass\n",
            "class B:\n",
            "{",
            "}",
            "(",
            "\n",
            " ",
            "é😀",
            "func",
            "struct",
            "return q(2);",
            "\n\n",
        ];
        let mut rng = fastrand::Rng::with_seed(42);
        let mut ex = Extractor::new();
        for &(lang, text) in SAMPLES {
            let mut doc = Document::open(text, Some(lang), 1, &mut ex);
            for version in 2..120 {
                let rope = doc.rope();
                let len = rope.len_chars();
                let a = rng.usize(..=len);
                let b = (a + rng.usize(..4)).min(len);
                let (start, end) = (rope.char_to_byte(a), rope.char_to_byte(b));
                let inserted = if rng.bool() { SNIPPETS[rng.usize(..SNIPPETS.len())] } else { "" };
                let range = (doc.position(start, Encoding::Utf16), doc.position(end, Encoding::Utf16));
                let change = Change { range: Some(range), text: inserted.to_owned() };
                doc.apply(&[change], version, Encoding::Utf16, &mut ex);
                let fresh = Document::open(&doc.text(), Some(lang), version, &mut ex);
                assert_eq!(doc.symbols, fresh.symbols, "{lang:?} after edit {version}: {:?}", doc.text());
            }
        }
    }
}
