//! Open documents: ropey text, the last tree-sitter tree, edits and position encodings.
//!
//! A document is changed only by the editor's notifications, applied in order. Positions arrive as
//! (line, character) in the negotiated encoding and are clamped per the LSP spec: a line past the
//! end means the end of the document, a character past the end of its line means the line's end.
//! No LSP types and no IO here.

use ropey::Rope;
use tree_sitter::{InputEdit, Point, Tree};

use crate::lang::Lang;
use crate::parser::{self, Damage, Extractor, ParseError, Reparse, Text};
use crate::symbol::{Pos, Symbol};

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

/// The longest top-level node whose text typing parses alone ([`Document::apply`]): from scratch,
/// without the old tree to reuse, parsing runs at about 6 MB/s, so 8 KiB take about 1.3 ms.
const ALONE_MAX: usize = 8 * 1024;

/// An open file.
pub struct Document {
    pub lang: Option<Lang>,
    pub version: i32,
    rope: Rope,
    tree: Option<Tree>,
    /// The top-level nodes of `tree` with a syntax error (see `parser::error_ranges`).
    errors: Vec<std::ops::Range<usize>>,
    /// Whether `tree` was edited since it was parsed: typing inside one top-level node parses
    /// that node alone and leaves the whole tree to [`Document::refresh`].
    stale: bool,
    /// The symbols of the current text.
    pub symbols: Vec<Symbol>,
}

impl Document {
    /// Opens a document and parses it.
    pub fn open(text: &str, lang: Option<Lang>, version: i32, extractor: &mut Extractor) -> Document {
        let rope = Rope::from_str(text);
        let mut doc =
            Document { lang, version, rope, tree: None, errors: Vec::new(), stale: false, symbols: Vec::new() };
        doc.reparse(extractor);
        // The first incremental reparse of a fresh tree shares none of its subtrees, so the first
        // keystroke would find the change by comparing the whole trees (`parser::diff` falls back
        // to `changed_ranges`): opening pays that reparse instead, once.
        if let (Some(lang), Some(tree)) = (doc.lang, doc.tree.as_ref()) {
            if let Ok(again) = extractor.parse_text(lang, &doc.rope, Some(tree)) {
                doc.tree = Some(again);
            }
        }
        doc
    }

    pub fn rope(&self) -> &Rope {
        &self.rope
    }

    /// The parse of the current text, `None` after typing until [`Document::refresh`].
    pub fn tree(&self) -> Option<&Tree> {
        self.tree.as_ref().filter(|_| !self.stale)
    }

    /// Parses the text again if typing left the tree behind it; the symbols are current already.
    pub fn refresh(&mut self, extractor: &mut Extractor) {
        if !std::mem::take(&mut self.stale) {
            return;
        }
        let (Some(lang), Some(old_tree)) = (self.lang, self.tree.take()) else { return };
        match extractor.parse_text(lang, &self.rope, Some(&old_tree)) {
            Ok(tree) => {
                self.errors = parser::error_nodes(&tree);
                self.tree = Some(tree);
            }
            Err(e) => tracing::warn!("document parse failed: {e}"),
        }
    }

    pub fn text(&self) -> String {
        self.rope.to_string()
    }

    /// Applies changes in order, editing the tree for each, then reparses incrementally once. A
    /// single ranged change (typing) re-extracts only the tags around what changed. Returns whether
    /// the symbols changed (typing at the end of a line usually moves none).
    pub fn apply(&mut self, changes: &[Change], version: i32, encoding: Encoding, extractor: &mut Extractor) -> bool {
        self.version = version;
        if let [Change { range: Some((start, end)), text }] = changes {
            if let Some(changed) = self.apply_alone(*start, *end, text, encoding, extractor) {
                return changed;
            }
        }
        self.refresh(extractor);
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
        match (edits.as_slice(), self.lang) {
            ([edit], Some(lang)) if self.tree.is_some() => self.reparse_around(lang, edit, extractor),
            _ => self.reparse(extractor),
        }
    }

    /// Typing inside one top-level node that starts a line and shares its lines with no other (a
    /// function, a class; see `parser::top_level_lines`), in a language whose top-level nodes
    /// parse alone: parses the node's new text alone and splices its symbols in, leaving the
    /// tree edited, to be parsed when it is needed ([`Document::refresh`]). Tree-sitter's
    /// incremental reparse of a file re-reduces all its top-level nodes (about 2 ms for 2,500
    /// functions); one node alone takes microseconds. `None`, with nothing applied, when the edit
    /// does not qualify or the node's new text does not parse cleanly alone.
    fn apply_alone(
        &mut self,
        start: LineCol,
        end: LineCol,
        text: &str,
        encoding: Encoding,
        extractor: &mut Extractor,
    ) -> Option<bool> {
        let lang = self.lang.filter(|lang| lang.parses_top_level_alone())?;
        let (mut a, mut b) = (self.offset(start, encoding), self.offset(end, encoding));
        if b < a {
            std::mem::swap(&mut a, &mut b);
        }
        let (node, row) = parser::top_level_lines(self.tree.as_ref()?, a..b)?;
        if node.len() > ALONE_MAX {
            return None;
        }
        let mut source = Vec::with_capacity(node.len() + text.len());
        source.extend(self.rope.bytes_at(node.start).take(a - node.start));
        source.extend_from_slice(text.as_bytes());
        source.extend(self.rope.bytes_at(b).take(node.end - b));
        let mut fresh = extractor.extract_top_level(lang, &source)?;
        let edit = self.apply_range(start, end, text, encoding);
        self.stale = true;
        // `fresh` is in the node's own lines, and the node starts a line: only lines move.
        for s in &mut fresh {
            for p in [&mut s.range.start, &mut s.range.end, &mut s.name_range.start, &mut s.name_range.end] {
                p.line += row as u32;
            }
        }
        let window = Pos { line: row as u32, col: 0, col16: 0 }..self.pos_at(node.start + source.len());
        match parser::splice(&mut self.symbols, fresh, window, |p| edit.shift(p)) {
            Some(changed) => Some(changed),
            None => Some(self.reparse(extractor)),
        }
    }

    /// Reparses after one edit and re-extracts only where the tree or the text changed.
    fn reparse_around(&mut self, lang: Lang, edit: &Edit, extractor: &mut Extractor) -> bool {
        let Some(old_tree) = self.tree.take() else { return self.reparse(extractor) };
        let tree = match extractor.parse_text(lang, &self.rope, Some(&old_tree)) {
            Ok(tree) => tree,
            Err(e) => {
                tracing::warn!("document parse failed: {e}; keeping previous symbols");
                return false;
            }
        };
        let bytes = parser::changed_range(&old_tree, &tree, &edit.input);
        let mut errors: Vec<_> = self.errors.iter().map(|r| edit.shift_byte(r.start)..edit.shift_byte(r.end)).collect();
        self.errors = parser::error_nodes(&tree);
        errors.extend(self.errors.iter().cloned());
        let errors = parser::error_ranges(&old_tree, &tree, &bytes, &errors);
        let damage = Damage { start: self.pos_at(bytes.start), end: self.pos_at(bytes.end), bytes };
        let reparse = Reparse { old_tree: &old_tree, tree: &tree, damage };
        let mut changed = extractor.extract_edited(lang, &reparse, &self.rope, &mut self.symbols, |p| edit.shift(p));
        // The symbols have moved already: the nodes with errors parsed again elsewhere come next.
        for bytes in errors {
            let damage = Damage { start: self.pos_at(bytes.start), end: self.pos_at(bytes.end), bytes };
            let reparse = Reparse { old_tree: &old_tree, tree: &tree, damage };
            changed |= extractor.extract_edited(lang, &reparse, &self.rope, &mut self.symbols, |p| p);
        }
        self.tree = Some(tree);
        changed
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

    /// Parses and extracts the whole text; returns whether the symbols changed.
    fn reparse(&mut self, extractor: &mut Extractor) -> bool {
        self.stale = false;
        let Some(lang) = self.lang else { return false };
        match extractor.parse_text(lang, &self.rope, self.tree.as_ref()) {
            Ok(tree) => {
                let symbols = extractor.extract_text(lang, &tree, &self.rope);
                self.errors = parser::error_nodes(&tree);
                self.tree = Some(tree);
                let changed = symbols != self.symbols;
                self.symbols = symbols;
                changed
            }
            Err(ParseError::Timeout(budget)) => {
                tracing::warn!("document parse exceeded {budget:?}; keeping previous symbols");
                self.tree = None;
                false
            }
            Err(e) => {
                tracing::warn!("document parse failed: {e}");
                false
            }
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
    /// Where a byte offset from before the edit is after it (inside the replaced text: its end).
    fn shift_byte(&self, byte: usize) -> usize {
        let input = &self.input;
        match byte {
            b if b < input.start_byte => b,
            b if b < input.old_end_byte => input.new_end_byte,
            b => b - input.old_end_byte + input.new_end_byte,
        }
    }

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
}

/// The parser reads a rope chunk by chunk, without copying it.
impl Text for Rope {
    fn len(&self) -> usize {
        self.len_bytes()
    }

    fn line_start(&self, line: usize) -> usize {
        if line >= self.len_lines() {
            return self.len_bytes();
        }
        self.line_to_byte(line)
    }

    fn chunk_at(&self, offset: usize) -> &[u8] {
        if offset >= self.len_bytes() {
            return &[];
        }
        let (chunk, start, _, _) = self.chunk_at_byte(offset);
        &chunk.as_bytes()[offset - start..]
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

/// [`offset`] and its [`position`] in UTF-8 for a text not held in a rope (a file read from disk
/// to answer a request): only the text up to `pos`'s line is read.
pub fn locate(text: &str, pos: LineCol, encoding: Encoding) -> (usize, LineCol) {
    let bytes = text.as_bytes();
    let (mut start, mut line) = (0, 0);
    // Lines end as in the rope: at `\n`, `\r\n` or a lone `\r`.
    let mut ends = memchr::memchr2_iter(b'\n', b'\r', bytes);
    while line < pos.line {
        match ends.next() {
            Some(i) if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') => {
                ends.next();
                start = i + 2;
            }
            Some(i) => start = i + 1,
            // Past the last line: the end of the text.
            None => return (text.len(), LineCol { line, character: (text.len() - start) as u32 }),
        }
        line += 1;
    }
    let content = &text[start..memchr::memchr2(b'\n', b'\r', &bytes[start..]).map_or(text.len(), |n| start + n)];
    let character = pos.character as usize;
    let column = match encoding {
        // A byte inside a character snaps back to its start.
        Encoding::Utf8 => (0..=character.min(content.len())).rev().find(|&b| content.is_char_boundary(b)).unwrap_or(0),
        Encoding::Utf16 => {
            let mut units = 0;
            content
                .char_indices()
                .find(|&(_, c)| {
                    units += c.len_utf16();
                    units > character
                })
                .map_or(content.len(), |(b, _)| b)
        }
    };
    (start + column, LineCol { line, character: column as u32 })
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

    /// A text read from disk is located as a rope locates it, up to the line asked for only.
    #[test]
    fn locate_agrees_with_the_rope() {
        let texts = ["ab\r\n😀x\n", "a\rb\n\nc", "\x0c\ndef f():\n    pass\n", "", "no end", "é\r\n\r\n", "x\r"];
        for text in texts {
            let rope = Rope::from_str(text);
            for line in 0..5 {
                for character in 0..6 {
                    for encoding in [Encoding::Utf8, Encoding::Utf16] {
                        let at = offset(&rope, lc(line, character), encoding);
                        let expected = (at, position(&rope, at, Encoding::Utf8));
                        assert_eq!(
                            locate(text, lc(line, character), encoding),
                            expected,
                            "{text:?} {line}:{character}"
                        );
                    }
                }
            }
        }
        // A form feed does not end a line, as for the editor and the parser.
        assert_eq!(Rope::from_str("\x0c\ndef f():\n").len_lines(), 3);
        assert_eq!(locate("\x0c\ndef f():\n", lc(1, 4), Encoding::Utf16).0, 6);
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
        doc.refresh(&mut ex);
        assert_eq!(fresh.tree().unwrap().root_node().to_sexp(), doc.tree().unwrap().root_node().to_sexp());
    }

    /// Typing that moves no symbol says so, and the server leaves the index alone.
    #[test]
    fn apply_tells_whether_the_symbols_changed() {
        let mut ex = Extractor::new();
        let text = "fn a() {\n    let x = 1; // note\n}\nfn b() {}\n";
        let mut doc = Document::open(text, Some(Lang::Rust), 1, &mut ex);
        let mut typed = |doc: &mut Document, at: LineCol, text: &str| {
            let change = Change { range: Some((at, at)), text: text.into() };
            doc.apply(&[change], 2, Encoding::Utf16, &mut ex)
        };
        // At the end of a comment, and inside a body before nothing tagged on that line.
        assert!(!typed(&mut doc, lc(1, 22), "s"));
        assert!(!typed(&mut doc, lc(1, 13), "0"));
        // In a name, before a symbol on the same line, and a new line above symbols.
        assert!(typed(&mut doc, lc(0, 4), "z"));
        assert!(typed(&mut doc, lc(3, 0), " "));
        assert!(typed(&mut doc, lc(0, 0), "\n"));
        assert_eq!(doc.text(), "\nfn az() {\n    let x = 10; // notes\n}\n fn b() {}\n");
        let names: Vec<(&str, u32)> = doc.symbols.iter().map(|s| (s.name.as_str(), s.name_range.start.line)).collect();
        assert_eq!(names, [("az", 1), ("b", 4)]);
    }

    /// A large document spans many rope chunks, which the parser and the extractor read in place.
    #[test]
    fn large_documents_are_read_from_the_rope_chunks() {
        let text: String = (0..3000).map(|i| format!("/// é😀 {i}\nfn f{i}(x: u32) -> u32 {{ g{i}(x) }}\n")).collect();
        let mut ex = Extractor::new();
        let mut doc = Document::open(&text, Some(Lang::Rust), 1, &mut ex);
        assert!(doc.rope().chunks().count() > 100);
        assert_eq!(doc.symbols, ex.extract_source(Lang::Rust, text.as_bytes()).unwrap());
        for (version, line) in [5000, 17, 4242, 5999].into_iter().enumerate() {
            let change = Change { range: Some((lc(line, 4), lc(line, 4))), text: "é".into() };
            doc.apply(&[change], version as i32 + 2, Encoding::Utf16, &mut ex);
            assert_eq!(doc.symbols, ex.extract_source(Lang::Rust, doc.text().as_bytes()).unwrap(), "line {line}");
        }
    }

    /// Edits with multi-byte text and across lines, in and between definitions, in several
    /// languages; each is compared with a fresh document.
    #[test]
    fn edits_across_lines_and_characters_equal_a_fresh_document() {
        // (language, text, [(start, end, inserted)] with (line, UTF-16 column) positions)
        type Edit = ((u32, u32), (u32, u32), &'static str);
        let cases: &[(Lang, &str, &[Edit])] = &[
            (
                Lang::Python,
                "# é😀\nclass A:\n    def f(self):\n        return 1\n\ndef g():\n    pass\n",
                &[
                    ((0, 4), (0, 4), "😀x"),
                    ((2, 8), (2, 9), "ff"),
                    ((3, 0), (6, 0), "def h():\n"),
                    ((1, 0), (1, 0), "\n\n"),
                ],
            ),
            (
                Lang::Rust,
                "// ü\nstruct S;\nimpl S {\n    fn f(&self) {}\n}\nfn g() { let s = \"é😀\"; }\n",
                &[((5, 20), (5, 20), "😀"), ((3, 7), (3, 8), "😀é"), ((2, 5), (4, 1), "T {}"), ((1, 7), (1, 8), "")],
            ),
            (
                Lang::C,
                "/* 😀 */ int a;\nstatic int g(int x) { return x; }\nint main(void) { return g(1); }\n",
                &[((0, 0), (0, 0), "é"), ((1, 11), (1, 12), "h"), ((1, 33), (2, 3), " main2"), ((0, 13), (1, 0), "")],
            ),
            (
                Lang::TypeScript,
                "const s = '😀';\nexport class A {\n  m(): number { return 1; }\n}\nfunction g() {}\n",
                &[
                    ((2, 2), (2, 3), "méthode"),
                    ((0, 12), (0, 12), "é\n"),
                    ((4, 0), (4, 0), "interface I {}\n"),
                    ((1, 0), (3, 1), ""),
                ],
            ),
        ];
        let mut ex = Extractor::new();
        for &(lang, text, edits) in cases {
            let mut doc = Document::open(text, Some(lang), 1, &mut ex);
            for (version, &(start, end, inserted)) in edits.iter().enumerate() {
                let change = Change { range: Some((lc(start.0, start.1), lc(end.0, end.1))), text: inserted.into() };
                doc.apply(&[change], version as i32 + 2, Encoding::Utf16, &mut ex);
                let fresh = Document::open(&doc.text(), Some(lang), 0, &mut ex);
                assert_eq!(doc.symbols, fresh.symbols, "{lang:?} after edit {version}: {:?}", doc.text());
                doc.refresh(&mut ex);
                assert_eq!(fresh.tree().unwrap().root_node().to_sexp(), doc.tree().unwrap().root_node().to_sexp());
            }
        }
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

#[cfg(test)]
mod edit_tests {
    //! Incremental extraction against full extraction, over every language's fixture.

    use super::*;

    /// Text typed or pasted: names, brackets, string and comment openers, lines, indentation,
    /// multi-byte characters, and whole definitions in several languages.
    const SNIPPETS: &[&str] = &[
        "x",
        "z",
        "_",
        " ",
        "\t",
        "\n",
        "\n\n",
        "    ",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ";",
        ",",
        ":",
        "=",
        ".",
        "\"",
        "'",
        "`",
        "\"\"\"",
        "/*",
        "*/",
        "//",
        "#",
        "--",
        "<<EOF\n",
        "é",
        "😀",
        "é😀x",
        "fn h() {}\n",
        "def h():\n    pass\n",
        "class B:\n",
        "class C {}\n",
        "func h() {}\n",
        "function h() {}\n",
        "int h(void) { return 1; }\n",
        "struct S { int a; };\n",
        "let x = 1;",
        "end\n",
        "return q(2);",
        "@decorator\n",
        "pub ",
        "static ",
        "const K = 2;\n",
        "import x\n",
        "X = 1\n",
        "y = f(1)\n",
    ];

    fn fixture(lang: Lang) -> String {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/languages");
        let mut paths = lang.extensions().iter().map(|ext| format!("{dir}/{}.{ext}", lang.name()));
        paths.find_map(|path| std::fs::read_to_string(path).ok()).expect("every language has a fixture")
    }

    /// Applies random edits (insertions, deletions across lines, replacements, and undoing the last
    /// edit, which returns to valid code) and compares with a full extraction after each.
    fn check_random_edits(lang: Lang, text: &str, seed: u64, steps: i32) {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut ex = Extractor::new();
        let mut doc = Document::open(text, Some(lang), 1, &mut ex);
        // (start char, text removed, text inserted) of the last edit.
        let mut last: Option<(usize, String, String)> = None;
        for version in 2..steps {
            let rope = doc.rope();
            let len = rope.len_chars();
            let (a, b, inserted) = match (rng.u8(..10), last.take()) {
                (0..=1, Some((start, removed, inserted))) => (start, start + inserted.chars().count(), removed),
                (0..=4, _) => {
                    let a = rng.usize(..=len);
                    (a, a, SNIPPETS[rng.usize(..SNIPPETS.len())].to_owned())
                }
                (5..=7, _) => {
                    let a = rng.usize(..=len);
                    (a, (a + rng.usize(1..40)).min(len), String::new())
                }
                _ => {
                    let a = rng.usize(..=len);
                    (a, (a + rng.usize(..6)).min(len), SNIPPETS[rng.usize(..SNIPPETS.len())].to_owned())
                }
            };
            let removed = rope.slice(a..b).to_string();
            let (start, end) = (rope.char_to_byte(a), rope.char_to_byte(b));
            let encoding = if rng.bool() { Encoding::Utf16 } else { Encoding::Utf8 };
            let range = (doc.position(start, encoding), doc.position(end, encoding));
            let change = Change { range: Some(range), text: inserted.clone() };
            let before = doc.symbols.clone();
            let changed = doc.apply(&[change], version, encoding, &mut ex);
            assert_eq!(
                changed,
                doc.symbols != before,
                "{lang:?} seed {seed} edit {version}: whether the symbols changed"
            );
            last = Some((a, removed, inserted));
            let Some(full) = reference(&mut doc, lang, &mut ex, &mut rng) else { continue };
            assert_same(&doc, &full, &format!("{lang:?} seed {seed} edit {version}"));
        }
    }

    /// What the symbols must be: a full extraction of the document's tree (tree-sitter's
    /// incremental parse may recover from errors differently than a fresh one), or of the parse
    /// that `Document::refresh` would make while the tree is stale. Refreshes the tree one time in four, so that typing goes on
    /// from both. `None` when a parse over its time budget left no tree.
    fn reference(doc: &mut Document, lang: Lang, ex: &mut Extractor, rng: &mut fastrand::Rng) -> Option<Vec<Symbol>> {
        if rng.u8(..4) == 0 {
            doc.refresh(ex);
        }
        if let Some(tree) = doc.tree() {
            return Some(ex.extract_text(lang, tree, doc.rope()));
        }
        let old = doc.tree.as_ref().filter(|_| doc.stale)?;
        let tree = ex.parse_text(lang, doc.rope(), Some(old)).expect("the text parses");
        // Typing parses one node alone only in a tree without errors, and only when it has none.
        let clean = old.root_node().has_error() || !tree.root_node().has_error();
        assert!(clean, "typing inside one node left the text with an error: {:?}", doc.text());
        Some(ex.extract_text(lang, &tree, doc.rope()))
    }

    /// Fails with the symbols that differ.
    fn assert_same(doc: &Document, full: &[Symbol], what: &str) {
        if doc.symbols == full {
            return;
        }
        let show = |s: &Symbol| {
            let name = s.name.as_str();
            format!("{name} {:?} {:?} {:?} {:?} parent {}", s.kind, s.role, s.range, s.name_range, s.parent)
        };
        let got: Vec<String> = doc.symbols.iter().map(show).collect();
        let want: Vec<String> = full.iter().map(show).collect();
        let extra: Vec<&String> = got.iter().filter(|s| !want.contains(s)).collect();
        let missing: Vec<&String> = want.iter().filter(|s| !got.contains(s)).collect();
        panic!("{what}: extra {extra:#?}\nmissing {missing:#?}\n{:?}", doc.text());
    }

    /// Typing that mostly keeps the code valid (each edit is undone before the next), so that the
    /// search for what changed can rely on shared subtrees instead of falling back.
    fn check_edits_undone(lang: Lang, text: &str, seed: u64, steps: usize) {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut ex = Extractor::new();
        let mut doc = Document::open(text, Some(lang), 1, &mut ex);
        let mut version = 1;
        for _ in 0..steps {
            let len = doc.rope().len_chars();
            let a = rng.usize(..=len);
            let (b, inserted) = match rng.u8(..4) {
                0 => ((a + 1).min(len), String::new()),
                1 => (a, "\n".to_owned()),
                2 => (a, " ".to_owned()),
                _ => (a, ["x", "_", "q1", "é"][rng.usize(..4)].to_owned()),
            };
            let removed = doc.rope().slice(a..b).to_string();
            let inserted_chars = inserted.chars().count();
            for (start, end, text) in [(a, b, inserted), (a, a + inserted_chars, removed)] {
                let rope = doc.rope();
                let (start, end) = (rope.char_to_byte(start), rope.char_to_byte(end));
                let range = (doc.position(start, Encoding::Utf16), doc.position(end, Encoding::Utf16));
                version += 1;
                doc.apply(&[Change { range: Some(range), text }], version, Encoding::Utf16, &mut ex);
                let Some(full) = reference(&mut doc, lang, &mut ex, &mut rng) else { continue };
                assert_same(&doc, &full, &format!("{lang:?} seed {seed} edit {version}"));
            }
        }
    }

    /// Typing inside a function or a class in Python and Rust parses that node alone and leaves
    /// the tree behind, and the symbols still equal a full extraction, also when the text typed
    /// would reach beyond the node (a string or comment left open, a line without indentation).
    /// Each snippet is typed at a random place, then removed again, which returns to valid code.
    #[test]
    fn typing_inside_one_top_level_node_parses_it_alone() {
        for lang in [Lang::Python, Lang::Rust] {
            let mut rng = fastrand::Rng::with_seed(7);
            let mut ex = Extractor::new();
            let mut doc = Document::open(&fixture(lang), Some(lang), 1, &mut ex);
            let (mut version, mut alone) = (1, 0);
            for _ in 0..300 {
                let a = rng.usize(..=doc.rope().len_chars());
                let snippet = SNIPPETS[rng.usize(..SNIPPETS.len())];
                let typed = snippet.chars().count();
                for (end, text) in [(a, snippet), (a + typed, "")] {
                    let rope = doc.rope();
                    let range = (
                        doc.position(rope.char_to_byte(a), Encoding::Utf16),
                        doc.position(rope.char_to_byte(end), Encoding::Utf16),
                    );
                    version += 1;
                    doc.apply(
                        &[Change { range: Some(range), text: text.to_owned() }],
                        version,
                        Encoding::Utf16,
                        &mut ex,
                    );
                    alone += usize::from(doc.stale);
                    let full = reference(&mut doc, lang, &mut ex, &mut rng).expect("parsed");
                    assert_same(&doc, &full, &format!("{lang:?} edit {version}"));
                }
            }
            assert!(alone > 150, "{lang:?}: {alone} of 600 edits parsed alone");
        }
    }

    #[test]
    fn edits_undone_on_every_fixture_equal_full_extraction() {
        for lang in Lang::ALL {
            let text = fixture(lang);
            for seed in 0..2 {
                check_edits_undone(lang, &text, seed, 60);
            }
        }
    }

    #[test]
    fn random_edits_on_every_fixture_equal_full_extraction() {
        for lang in Lang::ALL {
            let text = fixture(lang);
            for seed in 0..3 {
                check_random_edits(lang, &text, seed, 150);
            }
        }
    }
}
