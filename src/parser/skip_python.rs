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
//! logical line cannot stand alone (`else: ...`, a header) is kept. The lexer knows strings (with
//! prefixes, triple quotes, f-string replacement fields), comments, brackets and backslash
//! continuations; whatever it is unsure of keeps the whole file. This module does no IO.

use std::ops::Range;

use super::skip::Part;

/// Bodies shorter than this are parsed: leaving them out saves less than the range costs.
const MIN_BODY: usize = 64;

/// The skipped ranges of `src`, sorted and disjoint: function bodies, statements of one, and
/// literals.
pub fn skipped(src: &[u8]) -> Vec<(Range<usize>, Part)> {
    let Some((lines, literals)) = Lexer::new(src).run() else { return Vec::new() };
    let mut found = Vec::new();
    let mut nested = false;
    for (k, header) in lines.iter().enumerate() {
        if !(header.def && header.colon) {
            continue;
        }
        let body = &lines[k + 1..];
        let body = &body[..body.iter().position(|l| l.indent <= header.indent).unwrap_or(body.len())];
        let Some(first) = body.first() else { continue };
        if body.iter().any(|l| l.defines) {
            nested = true;
            around_definitions(src, header.end, body, &mut found);
        } else if let Some(range) = to_last_line(src, header.end, body, first.indent) {
            found.push((range, Part::Body));
        }
    }
    if nested {
        // The statements after a nested definition come before that definition's body.
        found.sort_by_key(|(range, _)| range.start);
    }
    if literals.is_empty() {
        return found;
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
    found
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
}

impl<'a> Lexer<'a> {
    fn new(src: &'a [u8]) -> Self {
        Lexer { src, i: 0, lines: Vec::new(), literals: Vec::new(), field: false }
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
        let mut at = false;
        // The first byte of the last token, and the outermost bracket's interior so far.
        let (mut prev, mut open, mut literal) = (0u8, 0usize, false);
        while let Some(b) = self.peek(0) {
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
            prev = b;
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
        self.field = true;
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

    /// The skipped text, one string per range.
    fn skipped(src: &str) -> Vec<&str> {
        super::skipped(src.as_bytes()).into_iter().map(|(r, _)| &src[r]).collect()
    }

    /// Lines long enough together to be skipped, at `indent`.
    fn lines(indent: &str) -> String {
        format!("{indent}x = call_something(with_arguments)\n{indent}y = call_something(with_arguments)\n")
    }

    #[test]
    fn plain_bodies_are_skipped_to_the_last_lines_indentation() {
        let body = lines("    ");
        let src = format!("def f(a, b):\n    \"\"\"Doc.\"\"\"\n{body}    return x\n\nX = 1\n");
        assert_eq!(skipped(&src), [format!("    \"\"\"Doc.\"\"\"\n{body}")]);
        // The last line is deeper: its last four columns are kept.
        let src = format!("def f():\n{body}    if x:\n        return y\n");
        assert_eq!(skipped(&src), [format!("{body}    if x:\n    ")]);
        // Methods, `async def`, multi-line headers, comments and blank lines inside the body.
        let body = lines("        ");
        let src = format!(
            "class C:\n    async def m(\n        self,\n    ):  # c\n{body}\n# col 0\n        z = 2\n    attr = 1\n"
        );
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
        assert_eq!(skipped(&src), [inner.as_str(), &after]);
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
        let src = format!("def f():\n{body}    return s\ndef h():\n    pass\n");
        assert_eq!(skipped(&src), [body]);
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
