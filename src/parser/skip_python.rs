//! Python function bodies that indexing a file from disk does not parse: the Python side of
//! `skip`, which dispatches here.
//!
//! A body is a run of indented lines, so it cannot be cut out between braces. For a `def` whose
//! body holds no `def` or `class` (nothing else inside a function is tagged), the skipped range
//! runs from the line after the header to the last logical line of the body, and ends inside that
//! line's indentation, leaving as many columns as the body's first line has: tree-sitter's scanner
//! then sees
//!
//! ```text
//! def f(a, b):
//!     return x
//! ```
//!
//! with `return x` at its own position, so the function (and its class) ends where it did, and the
//! scanner's indentation stack holds the body's level as the whole parse does (what it does with
//! the comments after the body depends only on that level and those below it). A body whose last
//! logical line cannot stand alone (`else: ...`, a header) is kept.
//!
//! Most such functions are followed by another statement of their block (a class's next method).
//! Those whose header and decorators hold no call are left out whole, header included, and the
//! lexer makes their definitions ([`Item`]s, as Rust's simple items): the parser never sees them,
//! and their block stays one since a statement follows. Their node ends at their body's last line
//! (its last token, or the comment after it) unless a comment deeper than the header follows, in
//! which case the parser is left to say where it ends. On cpython-lib this leaves out 81% of the
//! bytes instead of 70%, and a third of the parse. The lexer knows strings (with
//! prefixes, triple quotes, f-string replacement fields), comments, brackets and backslash
//! continuations; whatever it is unsure of keeps the whole file. This module does no IO.

use std::ops::Range;

use super::skip::{Item, Part};
use crate::symbol::{Role, SymbolKind};

/// Bodies shorter than this are parsed: leaving them out saves less than the range costs.
const MIN_BODY: usize = 64;

/// The skipped ranges of `src`, sorted and disjoint: whole functions, function bodies,
/// statements of one, and literals; and the functions left out whole, which the lexer defines.
pub fn skipped(src: &[u8]) -> (Vec<(Range<usize>, Part)>, Vec<Item>) {
    let Some((lines, literals)) = Lexer::new(src).run() else { return Default::default() };
    // A carriage return may end a comment or a line: the scanner's business, not guessed here.
    let whole_functions = memchr::memchr(b'\r', src).is_none();
    let (mut found, mut items) = (Vec::new(), Vec::new());
    let mut nested = false;
    // The headers around the line at hand: (indentation, a `class` header).
    let mut enclosing: Vec<(u32, bool)> = Vec::new();
    for (k, header) in lines.iter().enumerate() {
        while enclosing.last().is_some_and(|&(indent, _)| indent >= header.indent) {
            enclosing.pop();
        }
        if header.colon {
            enclosing.push((header.indent, header.class));
        }
        if !(header.def && header.colon) {
            continue;
        }
        let body = &lines[k + 1..];
        let body = &body[..body.iter().position(|l| l.indent <= header.indent).unwrap_or(body.len())];
        let Some(first) = body.first() else { continue };
        if body.iter().any(|l| l.defines) {
            nested = true;
            around_definitions(src, header.end, body, &mut found);
            continue;
        }
        let in_class = enclosing.iter().rev().nth(1).is_some_and(|&(_, class)| class);
        let whole =
            whole_functions.then(|| whole_function(src, &lines[..k + 1], body, &lines[k + 1 + body.len()..], in_class));
        if let Some((range, item)) = whole.flatten() {
            found.push((range, Part::Body));
            items.push(item);
        } else if let Some(range) = to_last_line(src, header.end, body, first.indent) {
            found.push((range, Part::Body));
        }
    }
    if nested {
        // The statements after a nested definition come before that definition's body.
        found.sort_by_key(|(range, _)| range.start);
    }
    if literals.is_empty() {
        return (found, items);
    }
    // The literals outside the skipped bodies.
    let mut bodies = found.iter().map(|(range, _)| range.clone()).peekable();
    let mut outside = Vec::new();
    for literal in literals {
        while bodies.next_if(|body| body.end <= literal.start).is_some() {}
        if bodies.peek().is_none_or(|body| literal.end <= body.start) {
            outside.push((literal, Part::Other));
        }
    }
    found.extend(outside);
    found.sort_by_key(|(range, _)| range.start);
    (found, items)
}

/// A function the parser need not see at all: its header (`upto`'s last line) and decorators
/// hold no call, and a statement of its block follows it, so that the block stays one (a `def`
/// ending a block is parsed, body skipped). Its range runs from its first decorator (or `def`) to
/// the end of its body's last line (its last token, or the comment after it), where tree-sitter's
/// node ends when no comment follows deeper than the header; the item spans the node the tags
/// query tags: a method's decorated definition, a function's `def`.
fn whole_function(
    src: &[u8],
    upto: &[Line],
    body: &[Line],
    after: &[Line],
    in_class: bool,
) -> Option<(Range<usize>, Item)> {
    let (header, last) = (upto.last()?, body.last()?);
    let decorators = upto[..upto.len() - 1].iter().rev().take_while(|l| l.decorator && l.indent == header.indent);
    let mut start = header.text;
    for decorator in decorators {
        if decorator.calls {
            return None;
        }
        start = decorator.text;
    }
    let next = after.first().filter(|l| l.indent == header.indent)?;
    let name = &src[header.name.clone()];
    if header.calls || name.is_empty() || name.len() > 256 || !name.is_ascii() {
        return None;
    }
    // The rest of the last line blank, then only blank lines and comments no deeper than the
    // header before the next statement.
    let mut gap = src[last.content_end..next.start].split(|&b| b == b'\n');
    let rest = gap.next().unwrap_or_default();
    let quiet = gap.all(|line| {
        let blank = line.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
        let width: u32 = line[..blank].iter().map(|&b| if b == b'\t' { 8 } else { 1 }).sum();
        line.get(blank).is_none_or(|&b| b == b'#' && width <= header.indent)
    });
    if !quiet || !rest.iter().all(|&b| b == b' ' || b == b'\t') {
        return None;
    }
    let (node, kind) = if in_class { (start, SymbolKind::Method) } else { (header.text, SymbolKind::Function) };
    let item =
        Item { range: node..last.content_end, name: header.name.clone(), kind, role: Role::Definition, body: None };
    Some((start..last.content_end, item))
}

/// The statements from `from` (the end of a kept line) to the end of `lines` (a body's, at
/// `level`), all but the last logical line, and that line's indentation beyond `level`: `None`
/// when that line cannot stand alone, or the range would be short.
fn to_last_line(src: &[u8], from: usize, lines: &[Line], level: u32) -> Option<Range<usize>> {
    let last = lines.last().filter(|l| l.standalone)?;
    let cut = indentation_suffix(&src[last.start..last.text], level)?;
    let range = from..last.start + cut;
    (range.len() >= MIN_BODY).then_some(range)
}

/// The statements of a body that defines functions or classes, around those definitions, when
/// each stands at the body's own level (`def test(self):` holding `class C:` and its methods):
/// each run of statements up to a definition ends where the definition's line starts, so that
/// the scanner finds it at its column, and the run after the last one ends in the body's last
/// line as [`to_last_line`]'s. A definition deeper (under an `if`) keeps the body whole.
fn around_definitions(src: &[u8], header_end: usize, body: &[Line], found: &mut Vec<(Range<usize>, Part)>) {
    let level = body[0].indent;
    let mut runs = Vec::new();
    let (mut kept_end, mut i, mut tail, mut statements) = (header_end, 0, 0, false);
    while i < body.len() {
        let line = &body[i];
        if line.indent == level && (line.decorator || line.defines) {
            let definition = i + body[i..].iter().take_while(|l| l.decorator && l.indent == level).count();
            if body.get(definition).is_none_or(|l| !l.defines || l.indent != level) {
                return;
            }
            let block = body[definition + 1..].iter().take_while(|l| l.indent > level).count();
            if statements && line.start - kept_end >= MIN_BODY {
                runs.push((kept_end..line.start, Part::Statements));
            }
            // The comments after the definition stay: those indented deeper belong to its block.
            let next = definition + block + 1;
            kept_end = body.get(next).map_or(body[definition + block].end, |l| l.start);
            (i, tail, statements) = (next, next, false);
        } else if line.defines {
            return;
        } else {
            (i, statements) = (i + 1, true);
        }
    }
    if statements {
        runs.extend(to_last_line(src, kept_end, &body[tail..], level).map(|range| (range, Part::Statements)));
    }
    found.extend(runs);
}

/// Where in `indentation` (a line's leading whitespace) the trailing part whose width, as the
/// scanner counts it, is `width` begins.
fn indentation_suffix(indentation: &[u8], width: u32) -> Option<usize> {
    let mut counted = 0;
    for (i, &b) in indentation.iter().enumerate().rev() {
        if counted == width {
            return Some(i + 1);
        }
        counted += match b {
            b' ' => 1,
            b'\t' => 8,
            // A form feed or carriage return resets the scanner's count: nothing before it counts.
            _ => return None,
        };
    }
    (counted == width).then_some(0)
}

/// One logical line (physical lines joined by brackets, backslashes and strings), not blank and
/// not only a comment.
struct Line {
    /// Offset of the start of its first physical line, and of its first token.
    start: usize,
    text: usize,
    /// Width of its indentation, as tree-sitter-python's scanner counts it (a tab is 8).
    indent: u32,
    /// Offset just after the newline ending it.
    end: usize,
    /// A `def` (or `async def`) header.
    def: bool,
    /// Its last token is a `:` (a header whose block follows).
    colon: bool,
    /// Holds the keyword `def` or `class`.
    defines: bool,
    /// It can be kept alone as a body's only statement: no clause (`else`, `except`, ..), no
    /// decorator, no header.
    standalone: bool,
    /// A decorator (`@name`).
    decorator: bool,
    /// A `class` header.
    class: bool,
    /// The name a `def` header defines (empty otherwise).
    name: Range<usize>,
    /// Holds a call (a `(` after a name, a string or a bracket, but a `def`'s parameters) or an
    /// f-string replacement field: a reference the tags query would see.
    calls: bool,
    /// The end of its last token, or of the comment after it: where a statement ending the line
    /// ends, and with it the blocks around it.
    content_end: usize,
}

/// Words that begin a clause of a compound statement, which cannot stand alone (`case` is a soft
/// keyword, `case = 1` is kept all the same).
const CLAUSES: &[&[u8]] = &[b"else", b"elif", b"except", b"finally", b"case"];

struct Lexer<'a> {
    src: &'a [u8],
    i: usize,
    lines: Vec<Line>,
    /// The interiors of logical lines' outermost brackets that hold no call (no `(` after a
    /// name, a string or a bracket, no f-string replacement field), but subscripts': a table
    /// (`CODES = {..}`), a tuple of strings, arguments without calls. Left out, they leave `{}`,
    /// `[]`, `()` or `f()`, whose node spans what it spanned, and nothing tagged is lost (inside
    /// an expression, only calls are tagged).
    literals: Vec<Range<usize>>,
    /// An f-string replacement field was read (an expression, which may call).
    field: bool,
    /// The same, in the logical line being read.
    line_field: bool,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a [u8]) -> Self {
        Lexer { src, i: 0, lines: Vec::new(), literals: Vec::new(), field: false, line_field: false }
    }

    /// The logical lines and the `literals`, or `None` when unsure of the file.
    fn run(mut self) -> Option<(Vec<Line>, Vec<Range<usize>>)> {
        while self.i < self.src.len() {
            let start = self.i;
            let mut indent = 0;
            while let Some(b) = self.peek(0) {
                match b {
                    b' ' => indent += 1,
                    b'\t' => indent += 8,
                    b'\r' | b'\x0c' => indent = 0,
                    _ => break,
                }
                self.i += 1;
            }
            match self.peek(0) {
                None => break,
                Some(b'\n') => self.i += 1,
                Some(b'#') => self.skip_line(),
                Some(_) => self.logical_line(start, indent)?,
            }
        }
        Some((self.lines, self.literals))
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.i + ahead).copied()
    }

    /// Past the newline ending the physical line (or to the end).
    fn skip_line(&mut self) {
        self.i = memchr::memchr(b'\n', &self.src[self.i..]).map_or(self.src.len(), |n| self.i + n + 1);
    }

    /// Reads the logical line whose first token is at `self.i`.
    fn logical_line(&mut self, start: usize, indent: u32) -> Option<()> {
        let (src, text) = (self.src, self.i);
        let (mut depth, mut words) = (0usize, 0usize);
        let (mut def, mut defines, mut colon, mut first_word) = (false, false, false, None);
        let (mut at, mut calls, mut params, mut name) = (false, false, false, 0..0);
        // The first byte and the start of the last token, and the outermost bracket's interior so far.
        let (mut prev, mut prev_start, mut open, mut literal) = (0u8, 0usize, 0usize, false);
        let mut content_end = text;
        self.line_field = false;
        while let Some(b) = self.peek(0) {
            let token = self.i;
            match b {
                b'\n' if depth == 0 => {
                    self.i += 1;
                    break;
                }
                b'\n' | b' ' | b'\t' | b'\r' | b'\x0c' => {
                    self.i += 1;
                    continue;
                }
                b'#' => {
                    // To the newline, which is read next.
                    self.i = memchr::memchr(b'\n', &self.src[self.i..]).map_or(self.src.len(), |n| self.i + n);
                    content_end = self.i;
                    continue;
                }
                b'\\' => {
                    // A continuation: the next line joins this one.
                    let next = if self.peek(1) == Some(b'\r') { 2 } else { 1 };
                    if !matches!(self.peek(next), Some(b'\n') | None) {
                        return None;
                    }
                    self.i += next + 1;
                    continue;
                }
                b'"' | b'\'' => self.string(false)?,
                b'(' | b'[' | b'{' => {
                    // After a name, a string or a closing bracket, `(` calls and `[` subscripts
                    // (`x[]` does not parse).
                    let after_operand = is_ident_byte(prev) || matches!(prev, b')' | b']' | b'}' | b'"' | b'\'');
                    if b == b'(' && after_operand {
                        // A `def`'s parameters follow its name.
                        if def && depth == 0 && !params && !name.is_empty() && prev_start == name.start {
                            params = true;
                        } else {
                            calls = true;
                        }
                    }
                    if depth == 0 {
                        (open, literal, self.field) = (self.i + 1, !(b == b'[' && after_operand), false);
                    } else if b == b'(' && after_operand {
                        literal = false;
                    }
                    depth += 1;
                    self.i += 1;
                }
                b')' | b']' | b'}' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 && literal && !self.field && self.i - open >= MIN_BODY {
                        self.literals.push(open..self.i);
                    }
                    self.i += 1;
                }
                b if is_ident_start(b) => {
                    let word_start = self.i;
                    while self.peek(0).is_some_and(is_ident_byte) {
                        self.i += 1;
                    }
                    let word = &src[word_start..self.i];
                    if matches!(self.peek(0), Some(b'"' | b'\'')) && is_string_prefix(word) {
                        self.string(is_format(word))?;
                    } else {
                        if word == b"def" || word == b"class" {
                            defines = true;
                        }
                        if def && name.is_empty() {
                            name = word_start..self.i;
                        }
                        // `def`, or `async def`.
                        def |= word == b"def" && (words == 0 || (words == 1 && first_word == Some(&b"async"[..])));
                        first_word = first_word.or(Some(word));
                        words += 1;
                    }
                }
                b if b.is_ascii_digit() => {
                    // Digits, letters (`0x1f`, `1e5`, `2j`), `_` and `.`: nothing here is a word.
                    while self.peek(0).is_some_and(|b| is_ident_byte(b) || b == b'.') {
                        self.i += 1;
                    }
                }
                b => {
                    at |= b == b'@' && self.i == text;
                    self.i += 1;
                }
            }
            // Every token but whitespace and comments gets here.
            colon = b == b':';
            (prev, prev_start, content_end) = (b, token, self.i);
        }
        let clause = first_word.is_some_and(|w| src[text..].starts_with(w) && CLAUSES.contains(&w));
        self.lines.push(Line {
            start,
            text,
            indent,
            end: self.i,
            def,
            colon,
            defines,
            standalone: !at && !clause && !colon,
            decorator: at,
            class: colon && first_word == Some(&b"class"[..]) && src[text..].starts_with(b"class"),
            name,
            calls: calls || self.line_field,
            content_end,
        });
        Some(())
    }

    /// A string literal whose quote is at `self.i`; `format` for f-strings (and t-strings).
    fn string(&mut self, format: bool) -> Option<()> {
        let quote = self.src[self.i];
        let triple = self.peek(1) == Some(quote) && self.peek(2) == Some(quote);
        self.i += if triple { 3 } else { 1 };
        loop {
            let b = self.peek(0)?;
            match b {
                // In raw strings too, a backslash keeps the next character from ending the string.
                b'\\' => self.i += 2,
                b'\n' if !triple => return None,
                b if b == quote => {
                    if !triple {
                        self.i += 1;
                        return Some(());
                    }
                    if self.peek(1) == Some(quote) && self.peek(2) == Some(quote) {
                        self.i += 3;
                        return Some(());
                    }
                    self.i += 1;
                }
                b'{' | b'}' if format && self.peek(1) == Some(b) => self.i += 2,
                b'{' if format => {
                    self.i += 1;
                    self.field()?;
                }
                _ => self.i += 1,
            }
        }
    }

    /// An f-string's replacement field after its `{`, to after its `}`: an expression (with
    /// brackets and strings of its own), then possibly `!conversion` and `:format spec`, where
    /// nested fields may stand.
    fn field(&mut self) -> Option<()> {
        (self.field, self.line_field) = (true, true);
        let mut depth = 0usize;
        loop {
            let b = self.peek(0)?;
            match b {
                b'"' | b'\'' => self.string(false)?,
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    self.i += 1;
                }
                b'}' if depth == 0 => {
                    self.i += 1;
                    return Some(());
                }
                b')' | b']' | b'}' => {
                    depth = depth.checked_sub(1)?;
                    self.i += 1;
                }
                b':' if depth == 0 => {
                    self.i += 1;
                    return self.format_spec();
                }
                b if is_ident_start(b) => {
                    let start = self.i;
                    while self.peek(0).is_some_and(is_ident_byte) {
                        self.i += 1;
                    }
                    let word = &self.src[start..self.i];
                    if matches!(self.peek(0), Some(b'"' | b'\'')) && is_string_prefix(word) {
                        self.string(is_format(word))?;
                    }
                }
                _ => self.i += 1,
            }
        }
    }

    /// A replacement field's format spec, after its `:`, to after the field's `}`.
    fn format_spec(&mut self) -> Option<()> {
        loop {
            match self.peek(0)? {
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                b'{' => {
                    self.i += 1;
                    self.field()?;
                }
                b'\n' => return None,
                _ => self.i += 1,
            }
        }
    }
}

/// String prefixes: `r`, `b`, `u`, `f`, `t` and their pairs, in either case.
fn is_string_prefix(word: &[u8]) -> bool {
    word.len() <= 2
        && word.iter().all(|b| matches!(b.to_ascii_lowercase(), b'r' | b'b' | b'u' | b'f' | b't'))
        && !(word.len() == 2 && word[0].eq_ignore_ascii_case(&word[1]))
}

/// f-strings and t-strings hold replacement fields.
fn is_format(prefix: &[u8]) -> bool {
    prefix.iter().any(|b| matches!(b, b'f' | b'F' | b't' | b'T'))
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

#[cfg(test)]
mod tests {
    use crate::symbol::SymbolKind;

    /// The skipped text, one string per range.
    fn skipped(src: &str) -> Vec<&str> {
        super::skipped(src.as_bytes()).0.into_iter().map(|(r, _)| &src[r]).collect()
    }

    /// Lines long enough together to be skipped, at `indent`.
    fn lines(indent: &str) -> String {
        format!("{indent}x = call_something(with_arguments)\n{indent}y = call_something(with_arguments)\n")
    }

    #[test]
    fn plain_bodies_are_skipped_to_the_last_lines_indentation() {
        let body = lines("    ");
        // The function ends the file (a function before another statement is left out whole).
        let src = format!("def f(a, b):\n    \"\"\"Doc.\"\"\"\n{body}    return x\n\n");
        assert_eq!(skipped(&src), [format!("    \"\"\"Doc.\"\"\"\n{body}")]);
        // The last line is deeper: its last four columns are kept.
        let src = format!("def f():\n{body}    if x:\n        return y\n");
        assert_eq!(skipped(&src), [format!("{body}    if x:\n    ")]);
        // Methods, `async def`, multi-line headers, comments and blank lines inside the body.
        let body = lines("        ");
        let src = format!("class C:\n    async def m(\n        self,\n    ):  # c\n{body}\n# col 0\n        z = 2\n");
        assert_eq!(skipped(&src), [format!("{body}\n# col 0\n")]);
    }

    #[test]
    fn bodies_that_end_in_a_clause_or_define_below_their_level_are_kept() {
        let body = lines("    ");
        for tail in [
            "    try:\n        x()\n    except E: pass\n",
            // No suffix of a tab is four columns wide.
            "    if x:\n\treturn y\n",
            "    if x:\n        def g(): pass\n    return g\n",
            "    if x:\n        class C: pass\n",
        ] {
            let src = format!("def f():\n{body}{tail}");
            assert!(skipped(&src).is_empty(), "{tail:?}");
        }
        // A body on the header's line is none.
        assert!(skipped(&format!("def f(): return 1\n{body}")).is_empty());
    }

    #[test]
    fn statements_around_definitions_at_the_bodys_level_are_skipped() {
        let (body, inner, after) = (lines("    "), lines("        "), lines("    ").replace('x', "z"));
        // The comment after `g` is indented as its block: kept with it.
        let src = format!(
            "def f():\n{body}    @decorator\n    def g(x):\n{inner}        return x\n        # g's\n\
             {after}    class C: pass\n{after}    return g\n"
        );
        assert_eq!(skipped(&src), [body.as_str(), &inner, &after, &after]);
        // Definitions first and last: nothing before the first, nothing after the last.
        let src = format!("def f():\n    def g():\n{inner}        return 1\n{after}    class C:\n        pass\n");
        assert_eq!(skipped(&src), [format!("def g():\n{inner}        return 1"), after]);
    }

    /// The functions left out whole: (the item's text, its name, its kind), and whether each
    /// skipped range is an item's, decorators included.
    fn whole(src: &str) -> Vec<(&str, &str, SymbolKind)> {
        let (ranges, items) = super::skipped(src.as_bytes());
        for item in &items {
            let range = ranges.iter().find(|(r, _)| r.end == item.range.end).expect("the item's range");
            assert!(range.0.start <= item.range.start, "{:?} {:?}", range, item.range);
        }
        items.iter().map(|i| (&src[i.range.clone()], &src[i.name.clone()], i.kind)).collect()
    }

    #[test]
    fn functions_before_another_statement_are_left_out_whole() {
        let (body, deeper) = (lines("        "), lines("            "));
        let src = format!(
            "class C:\n    @property\n    @functools.cache\n    async def m(self, a=[1, 2], *, b: Dict[str, int] = None) -> X:  # c\n\
             {body}        return a  # done\n\n    # C's comment\n    def n(self):\n{body}\n    if x:\n        def o():\n\
             {deeper}            p = 1\n        q = 1\n@decorator\ndef f():\n{body}X = 1\n"
        );
        let method = src.find("@property").unwrap()..src.find("# done").unwrap() + 6;
        let n = src.find("def n").unwrap()..src.find("\n\n    if x").unwrap();
        let o = src.find("def o").unwrap()..src.find("p = 1").unwrap() + 5;
        let f = src.find("def f").unwrap()..src.find("X = 1").unwrap() - 1;
        assert_eq!(
            whole(&src),
            [
                (&src[method], "m", SymbolKind::Method),
                (&src[n], "n", SymbolKind::Method),
                (&src[o], "o", SymbolKind::Function),
                (&src[f], "f", SymbolKind::Function),
            ]
        ); // The definitions, their spans and parents, and the references are the whole parse's.
        let mut extractor = crate::parser::Extractor::new();
        let c = crate::parser::skip::compare(&mut extractor, crate::lang::Lang::Python, src.as_bytes()).unwrap();
        assert!(!c.has_error && c.lost.is_empty() && c.gained.is_empty() && c.references_differ.is_empty(), "{c:?}");
    }

    #[test]
    fn functions_the_parser_must_see_are_not_left_out_whole() {
        for (function, after) in [
            // Calls in the header or a decorator: references.
            ("def f(a=default()):", "X = 1\n"),
            ("@decorator(arg)\ndef f():", "X = 1\n"),
            ("def f(a=f'{x}'):", "X = 1\n"),
            // The last statement of its block (the class's, the `if`'s): the block would be empty.
            ("class C:\n    def f(self):", ""),
            ("if x:\n    def f():", "else:\n    pass\n"),
            // A comment deeper than the header after the body: its node may end there.
            ("def f():", "    # more\nX = 1\n"),
            // Names that are not ASCII; carriage returns.
            ("def é():", "X = 1\n"),
            ("def f():\r", "X = 1\r\n"),
        ] {
            let indent = if function.contains('\n') { "    " } else { "" };
            let src = format!("{function}\n{}{indent}    return 1\n{after}", lines(&format!("{indent}    ")));
            assert!(whole(&src).is_empty(), "{src:?}");
            assert!(!skipped(&src).is_empty(), "{src:?}");
        }
    }

    #[test]
    fn brackets_without_calls_are_skipped_inside() {
        let items = "\n    'alpha': 1, 'beta': (2, 3), 'gamma': [4, 5], 'delta': lambda x: x[0],\n";
        let src = format!(
            "CODES = {{{items}}}\nNAMES = dict({items})\nCALLS = [{items} len(x)]\nSUB = table[{items}]\n\
             FIELD = ({items} f'{{x}}')\nclass C(\n    Base, metaclass=Meta, flag=True, other=False, more=None, x=1,\n):\n    pass\n"
        );
        assert_eq!(
            skipped(&src),
            [items, items, "\n    Base, metaclass=Meta, flag=True, other=False, more=None, x=1,\n"]
        );
        // Inside a skipped body, a table is skipped with the body.
        let src = format!("def f():\n    x = {{{items}}}\n    return x\n");
        assert_eq!(skipped(&src), [format!("    x = {{{items}}}\n")]);
    }

    #[test]
    fn strings_brackets_and_continuations_hide_keywords_and_lines() {
        let strings = r#"    s = 'def' + "class" + rb'\'' + '''
def g():
''' + f"{x['def']!r:>{w}} {{def}}"
    t = (1,
x) if a \
  else [b,
]
"#;
        let body = format!("{}{strings}", lines("    "));
        let src = format!("def f():\n{body}    return s\n");
        assert_eq!(skipped(&src), [body.as_str()]);
        // Before another statement, the function is left out whole.
        let src = format!("def f():\n{body}    return s\ndef h():\n    pass\n");
        assert_eq!(skipped(&src), [format!("def f():\n{body}    return s")]);
    }

    #[test]
    fn files_the_lexer_is_unsure_of_skip_nothing() {
        let body = lines("    ");
        for tail in ["x = 'unterminated\n", "x = (1))\n", "x = '''never closed\n"] {
            let src = format!("def f():\n{body}    return 1\n{tail}");
            assert!(skipped(&src).is_empty(), "{tail:?}");
        }
    }
}
