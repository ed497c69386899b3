//! What indexing a file from disk does not parse: function bodies, Rust's simple items and
//! Python's plain functions (`skip_python`).
//!
//! Most of a C or Rust file's bytes are function bodies, and a body holds no definition unless it
//! declares one (a local `struct`, a nested `fn`, a `#define`); nor does a C file-level
//! initializer's interior (`= { .open = f_open, .read = f_read }`), left out likewise.
//! [`left_out`] lexes a file once — comments, strings, characters, lifetimes, preprocessor lines
//! — and returns the interiors of the function bodies whose text has no definition keyword; the
//! parser then leaves them out with `Parser::set_included_ranges`, so that tree-sitter sees
//! `fn f() {}` and every position stays the file's own. Whatever the lexer is unsure of keeps its bodies: unbalanced braces (preprocessor
//! branches), in C a body line starting at column 0 that is not a label (a brace the lexer
//! miscounted would otherwise swallow the next function's header, which has no keyword). Languages
//! without a lexer here get no ranges. A Rust body that does define something is parsed, but the
//! runs of whole statements around its definitions are left out ([`Part::Statements`]: generated
//! tests are long bodies of macro calls after a local `const`). The references inside skipped
//! bodies are found when asked for (`index::references`).
//!
//! Generated Rust (bindings, tables) is mostly simple items at the top of a file:
//! `pub const NAME: TYPE = 15705u32;`, `pub type HANDLE = *mut c_void;`, structs with one
//! `pub field: Type,` per line, `extern "C" {` blocks of one-line signatures. The lexer recognizes those that hold nothing the tags query looks
//! at (no definition keyword, no call or macro by a bare or method name, no comment or character)
//! and leaves them out too, making their definitions itself ([`item_symbols`]): on rust-crates
//! they are a quarter of the bytes, and a third of the parse. So is a whole function (at the
//! top of a file, or in an `impl`, `trait` or `mod` block) whose header holds nothing the query
//! looks at and whose body defines nothing: the parser never sees it, and its body is where its
//! references are when asked for (`Item::body`); and so is an `impl` that holds only such items,
//! its scope and reference made by the lexer too. On rust-crates the parser then sees 4% of the
//! bytes. This module does no IO.

use std::ops::Range;
use std::time::Instant;

use super::{Extractor, ParseError};
use crate::lang::Lang;
use crate::symbol::{Name, Pos, Role, Span, Symbol, SymbolKind, NO_PARENT};

/// What to leave out when parsing a file for its definitions.
#[derive(Debug, Default)]
pub struct LeftOut {
    /// Sorted and disjoint: body interiors (between the braces), comment runs, macro arguments
    /// and the lines of `items`. Empty when the language has no lexer here or the lexer is unsure.
    pub ranges: Vec<Range<usize>>,
    /// The items within `ranges`, in order: their definitions are [`item_symbols`].
    pub items: Vec<Item>,
}

/// A Rust item that the lexer read whole (a `const`, `static`, `type` or `mod name;`; a `struct`,
/// `union` or `enum` of one member per line; a signature in an `extern` block or a `trait`; a
/// function whose header and body define and call nothing tagged; the scope and reference of an
/// `impl` of such items), or one of such a struct's fields or enum's variants; or a Python
/// function left out whole (`skip_python`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// An item from its first byte (`pub`, or the keyword) to its `;` or `}`, included; a field
    /// from its first byte to the end of its type; a Python function from its `def` (a method
    /// from its first decorator) to its body's end.
    pub range: Range<usize>,
    pub name: Range<usize>,
    pub kind: SymbolKind,
    /// A definition, but for an `impl` left out whole: its scope and its reference.
    pub role: Role,
    /// A Rust function left out whole: its body, braces included, where the references that
    /// indexing did not see are ([`bodies_mentioning`]).
    pub body: Option<Range<usize>>,
}

/// What to leave out when parsing `src` (of `lang`) for its definitions.
pub fn left_out(lang: Lang, src: &[u8]) -> LeftOut {
    let (ranges, items) = skipped(lang, src);
    LeftOut { ranges: ranges.into_iter().map(|(range, _)| range).collect(), items }
}

/// The ranges of [`left_out`].
pub fn body_ranges(lang: Lang, src: &[u8]) -> Vec<Range<usize>> {
    left_out(lang, src).ranges
}

/// The definitions of `items` (sorted, in `src`), as the tags query finds them in a whole parse:
/// a constant, type or struct at the top of the file and the struct's fields, a Python function
/// or method, each spanning its item, without parents (`link` makes a struct its fields' parent,
/// a class its methods').
pub fn item_symbols(src: &[u8], items: &[Item]) -> Vec<Symbol> {
    // Positions in one pass over the lines: a struct ends after its fields start.
    let mut offsets: Vec<usize> =
        items.iter().flat_map(|i| [i.range.start, i.range.end, i.name.start, i.name.end]).collect();
    offsets.sort_unstable();
    offsets.dedup();
    let (mut row, mut line_start, mut scanned) = (0u32, 0usize, 0usize);
    let positions: Vec<Pos> = offsets
        .iter()
        .map(|&offset| {
            for n in memchr::memchr_iter(b'\n', &src[scanned..offset]) {
                row += 1;
                line_start = scanned + n + 1;
            }
            scanned = offset;
            let col = (offset - line_start) as u32;
            Pos { line: row, col, col16: super::utf16_len(&src[line_start..offset]) as u32 }
        })
        .collect();
    let pos = |offset: usize| positions[offsets.binary_search(&offset).expect("an item's offset")];
    items
        .iter()
        .map(|item| Symbol {
            // ASCII: the lexer checked.
            name: Name::new(std::str::from_utf8(&src[item.name.clone()]).expect("an ASCII name")),
            kind: item.kind,
            role: item.role,
            range: Span { start: pos(item.range.start), end: pos(item.range.end) },
            name_range: Span { start: pos(item.name.start), end: pos(item.name.end) },
            parent: NO_PARENT,
        })
        .collect()
}

/// Whether [`body_ranges`] may skip bodies of `lang` (whose references are then found by
/// [`bodies_mentioning`]).
pub fn skips_bodies(lang: Lang) -> bool {
    dialect(lang).is_some() || lang == Lang::Python
}

/// The skipped bodies, braces included, whose text contains `word`: where the references to it
/// that indexing did not see can be. Brace languages only (a Python body is no block: see
/// `Extractor::references_in_bodies`).
pub fn bodies_mentioning(lang: Lang, src: &[u8], word: &[u8]) -> Vec<Range<usize>> {
    if dialect(lang).is_none() {
        return Vec::new();
    }
    let finder = memchr::memmem::Finder::new(word);
    let (ranges, items) = skipped(lang, src);
    let blocks = ranges.into_iter().filter(|(_, part)| *part != Part::Other);
    let blocks = blocks.map(|(range, part)| if part == Part::Body { range.start - 1..range.end + 1 } else { range });
    // The bodies of the functions left out whole, among the others in order.
    let mut bodies: Vec<_> = blocks.chain(items.into_iter().filter_map(|item| item.body)).collect();
    bodies.retain(|range| finder.find(&src[range.clone()]).is_some());
    bodies.sort_unstable_by_key(|range| range.start);
    bodies
}

fn dialect(lang: Lang) -> Option<&'static Dialect> {
    match lang {
        Lang::Rust => Some(&RUST),
        Lang::C => Some(&C),
        Lang::Cpp => Some(&CPP),
        _ => None,
    }
}

/// What a skipped range is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// A body's interior, between its braces.
    Body,
    /// Whole statements of a body that defines something (Rust; Python's runs around its
    /// definitions): they parse alone.
    Statements,
    /// Comments, attributes, macro arguments, items, Python's literals: no references to find.
    Other,
}

/// Skipped ranges, and what each is.
type Ranges = Vec<(Range<usize>, Part)>;

/// The skipped ranges and the items among them.
fn skipped(lang: Lang, src: &[u8]) -> (Ranges, Vec<Item>) {
    if lang == Lang::Python {
        return super::skip_python::skipped(src);
    }
    let Some(dialect) = dialect(lang) else { return Default::default() };
    Lexer::new(dialect, src).run().unwrap_or_default()
}

/// Bodies shorter than this are parsed: leaving them out saves less than the range costs.
const MIN_BODY: usize = 64;

struct Dialect {
    rust: bool,
    /// Keywords that always begin a definition.
    defs: &'static [&'static [u8]],
    /// Keywords that begin a definition when a `{` follows before any of `;()=*&,` (C's
    /// `struct s {` defines, `struct s *p` does not).
    types: &'static [&'static [u8]],
    /// Words that may stand between a function's `)` and its body (C++ qualifiers).
    qualifiers: &'static [&'static [u8]],
    /// Preprocessor directives that make a body unsafe to skip (`#define` defines; the C query's
    /// declarations under `#if` are tagged outside bodies only, `#not-inside?`).
    directives: &'static [&'static [u8]],
    /// A file-level initializer's braces (`= { .open = f_open, .read = f_read }`) are left out
    /// like a body: its interior holds no definition (C: a third of what the kernel's files
    /// still parsed, operation tables and data).
    initializers: bool,
}

const RUST: Dialect = Dialect {
    rust: true,
    defs: &[
        b"fn",
        b"struct",
        b"enum",
        b"union",
        b"trait",
        b"impl",
        b"mod",
        b"macro_rules",
        b"type",
        b"static",
        b"const",
    ],
    types: &[],
    qualifiers: &[],
    directives: &[],
    initializers: false,
};

const C: Dialect = Dialect {
    rust: false,
    defs: &[b"typedef"],
    types: &[b"struct", b"union", b"enum"],
    qualifiers: &[],
    directives: &[b"define"],
    initializers: true,
};

const CPP: Dialect = Dialect {
    rust: false,
    defs: &[b"typedef", b"using", b"namespace"],
    types: &[b"struct", b"union", b"enum", b"class"],
    qualifiers: &[b"const", b"override", b"final", b"noexcept", b"mutable", b"volatile"],
    directives: C.directives,
    initializers: false,
};

/// Rust keywords that a `!` (not) may follow: no macro name.
const RUST_KEYWORDS: &[&[u8]] = &[
    b"if", b"while", b"match", b"return", b"in", b"else", b"break", b"yield", b"mut", b"move", b"as", b"let", b"for",
    b"loop", b"unsafe", b"async", b"await", b"ref", b"box", b"dyn", b"where", b"impl",
];

/// An open `{`.
struct Block {
    /// Offset just after the `{`.
    start: usize,
    /// A function body (Rust: after `fn`; C: after `)`), or a C file-level initializer.
    body: bool,
    /// Holds a definition keyword, or something the lexer is unsure of.
    keep: bool,
    /// Candidates recorded inside this block start here.
    first: usize,
    /// Rust bodies: their statements, for a body that is kept.
    statements: Statements,
    /// Rust: the items this block holds, when they may be read like those at the top of the
    /// file (the block is an `extern`, `impl`, `trait` or `mod` body at item level).
    decls: Option<Decls>,
    /// Rust: the `impl` whose body this is, if its header holds nothing the tags query looks at,
    /// and the length of `items` at its `{`.
    impl_item: Option<(ImplItem, usize)>,
}

/// An `impl` whose header holds nothing the tags query looks at: left out whole if all that its
/// body holds is left out, with its scope and reference made by the lexer.
struct ImplItem {
    /// Its first byte (`unsafe` or `impl`).
    start: usize,
    /// The offset of its body's `{`.
    body: usize,
    /// The type whose scope it is (`S`, `S<T>`; not `a::S`, `u32`, `&S`).
    scope: Option<Range<usize>>,
    /// The name its reference is to: its trait's (`impl Clone for S`) or, without a trait, its
    /// type's, if that name stands alone (not `a::Clone`, `From<u8>`).
    reference: Option<Range<usize>>,
}

/// What a Rust block at item level holds (a `declaration_list` to the parser).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decls {
    /// `extern "C" { .. }`: one-line signatures and statics.
    Foreign,
    /// `impl T { .. }`: methods, constants and types.
    Impl,
    /// `trait T { .. }`: methods, with or without a default body.
    Trait,
    /// `mod m { .. }`: what the top of a file holds.
    Module,
}

/// A Rust function whose header holds nothing the tags query looks at: left out whole, with
/// its definition made by the lexer, if its body turns out to hold no definition either.
struct FnItem {
    /// Its first byte (`pub`, a qualifier, or `fn`).
    start: usize,
    name: Range<usize>,
    kind: SymbolKind,
    /// The offset of its body's `{`.
    body: usize,
    /// The length of `found` at `start`.
    first: usize,
}

/// The statements of a Rust body read so far. A body that defines something is parsed, but the
/// statements around its definitions need not be: runs of whole statements (each ending with a
/// `;` at the body's own level) holding no definition keyword are left out, like bodies.
#[derive(Default)]
struct Statements {
    /// Brackets and parentheses open at the body's `{`: a `;` ends a statement at this `nest`.
    nest: usize,
    /// Where the current statement starts, and the length of `found` then.
    start: usize,
    first: usize,
    /// The current statement holds a definition keyword.
    defines: bool,
    /// The current run of statements without one: its start, the length of `found` then, its end.
    run: Option<(usize, usize, usize)>,
}

struct Lexer<'a> {
    d: &'static Dialect,
    src: &'a [u8],
    i: usize,
    blocks: Vec<Block>,
    found: Ranges,
    /// Brackets and parentheses open (Rust: a `;` inside them ends no signature).
    nest: usize,
    /// Rust: `fn` seen at this (brace depth, nest); its body is the next `{` there.
    pending_fn: Option<(usize, usize)>,
    /// C: the last token was a `)` (or a qualifier after one).
    after_paren: bool,
    /// C: the last token was a `=`.
    after_eq: bool,
    /// The last token was a `*` (Rust `*const T` is no definition).
    after_star: bool,
    /// The last token was a word, and (Rust) a `!` after a word: a macro's arguments follow.
    after_word: bool,
    bang: bool,
    /// The last word was `macro_rules` (with its `!`, if that followed).
    macro_rules: bool,
    /// Rust: inside a macro's arguments opened at this (brace depth, nest).
    in_macro: Option<(usize, usize)>,
    /// Where the current macro's arguments start, and the length of `found` then.
    macro_args: (usize, usize),
    /// Brace depth at each open `#if`.
    conditionals: Vec<usize>,
    line_start: bool,
    /// Index in `found` of the last comment run.
    last_comment: Option<usize>,
    /// Rust: the simple items read whole (their ranges are also in `found`).
    items: Vec<Item>,
    /// Rust: what the block that the item being read opens will hold (`impl`, `trait`, `mod`).
    opens: Option<Decls>,
    /// Rust: the function being read, if it may be left out whole.
    fn_item: Option<FnItem>,
    /// Rust: the `impl` being read, if it may be left out whole.
    impl_item: Option<ImplItem>,
    /// Rust: a macro called by a path at item level (`path::name!(..);`, untagged), which may be
    /// left out whole: where it starts, and where its arguments open.
    macro_item: Option<(usize, usize)>,
    /// The last byte of the last token the parser will see (0: none yet): an item starts after
    /// `;`, `}` or nothing.
    last: u8,
}

impl<'a> Lexer<'a> {
    fn new(d: &'static Dialect, src: &'a [u8]) -> Self {
        Lexer {
            d,
            src,
            i: 0,
            blocks: Vec::new(),
            found: Vec::new(),
            nest: 0,
            pending_fn: None,
            after_paren: false,
            after_eq: false,
            after_star: false,
            after_word: false,
            bang: false,
            macro_rules: false,
            in_macro: None,
            macro_args: (0, 0),
            conditionals: Vec::new(),
            line_start: true,
            last_comment: None,
            items: Vec::new(),
            opens: None,
            fn_item: None,
            impl_item: None,
            macro_item: None,
            last: 0,
        }
    }

    /// `None` when unsure of the whole file.
    fn run(mut self) -> Option<(Ranges, Vec<Item>)> {
        while self.i < self.src.len() {
            let b = self.src[self.i];
            if b == b'\n' {
                self.i += 1;
                self.line_start = true;
                if !self.d.rust {
                    self.check_column0();
                }
                continue;
            }
            if b == b' ' || b == b'\t' || b == b'\r' || b == b'\x0c' {
                self.i += 1;
                continue;
            }
            let at_line_start = std::mem::replace(&mut self.line_start, false);
            match b {
                b'/' if self.peek(1) == Some(b'/') => {
                    let start = self.i;
                    self.line_comment();
                    self.comment(start, at_line_start);
                    continue;
                }
                b'/' if self.peek(1) == Some(b'*') => {
                    let start = self.i;
                    self.block_comment()?;
                    self.comment(start, at_line_start);
                    continue;
                }
                b'#' if !self.d.rust && at_line_start => self.directive()?,
                b'#' if self.d.rust && at_line_start && matches!(self.peek(1), Some(b'[' | b'!')) => {
                    if self.attribute(at_line_start)? {
                        continue;
                    }
                }
                b if self.d.rust && at_line_start && (is_ident_start(b) || b == b':') && self.at_item_start() => {
                    self.macro_item = path_macro(self.src, self.i).map(|open| (self.i, open));
                    if b == b':' {
                        self.i += 1;
                        self.token(false, false);
                        self.last = b':';
                        continue;
                    }
                    let within = self.blocks.last().and_then(|b| b.decls);
                    let end = simple_item(self.src, self.i, within, &mut self.items)
                        .or_else(|| plain_item(self.src, self.i, within));
                    if let Some(end) = end {
                        self.found.push((self.i..end, Part::Other));
                        self.i = end;
                        continue;
                    }
                    let opening = opens(self.src, self.i);
                    self.opens = opening.map(|(decls, _)| decls);
                    self.impl_item = match opening {
                        Some((Decls::Impl, after)) => impl_item(self.src, self.i, after),
                        _ => None,
                    };
                    self.fn_item = fn_item(self.src, self.i, within).map(|(name, kind, body)| FnItem {
                        start: self.i,
                        name,
                        kind,
                        body,
                        first: self.found.len(),
                    });
                    self.word()?
                }
                b'"' => {
                    self.i += 1;
                    self.quoted(b'"')?;
                    self.token(false, false);
                }
                b'\'' => self.quote()?,
                b'{' => {
                    self.opening();
                    self.open();
                    self.i += 1;
                }
                b'}' => {
                    self.close()?;
                    self.closed();
                    self.i += 1;
                }
                b'(' | b'[' => {
                    self.opening();
                    self.nest += 1;
                    self.i += 1;
                    self.token(false, false);
                }
                b')' | b']' => {
                    self.nest = self.nest.saturating_sub(1);
                    self.closed();
                    self.i += 1;
                    self.token(b == b')', false);
                }
                b'!' if self.d.rust => {
                    let (bang, macro_rules) = (self.after_word, self.macro_rules);
                    self.i += 1;
                    self.token(false, false);
                    self.bang = bang;
                    self.macro_rules = macro_rules;
                }
                b';' => {
                    if self.pending_fn == Some((self.blocks.len(), self.nest)) {
                        self.pending_fn = None;
                    }
                    self.opens = None;
                    if self.d.rust {
                        self.semicolon();
                    }
                    self.i += 1;
                    self.token(false, false);
                }
                b'*' => {
                    self.i += 1;
                    self.token(false, true);
                }
                b if is_ident_start(b) => self.word()?,
                b if b.is_ascii_digit() => self.number(),
                _ => {
                    self.i += 1;
                    self.token(false, false);
                    self.after_eq = b == b'=';
                }
            }
            self.last = self.src[self.i - 1];
        }
        if !self.blocks.is_empty() || !self.conditionals.is_empty() {
            return None;
        }
        let mut found = self.found;
        if !self.items.is_empty() {
            found = join(self.src, found);
        }
        found.retain(|(r, _)| r.len() >= MIN_BODY);
        // The items whose lines are still left out (one alone is parsed: too short to skip).
        let mut ranges = found.iter().map(|(r, _)| r).peekable();
        self.items.retain(|item| {
            while ranges.next_if(|r| r.end < item.range.end).is_some() {}
            ranges.peek().is_some_and(|r| r.start <= item.range.start)
        });
        Some((found, self.items))
    }

    /// Whether an item may start here: at the top of the file or of a block of items (`Decls`)
    /// there, after a whole item.
    fn at_item_start(&self) -> bool {
        self.at_item_level() && (matches!(self.last, 0 | b';' | b'}') || !self.blocks.is_empty() && self.last == b'{')
    }

    /// Whether the lexer stands among items: at the top of the file or in blocks of items.
    fn at_item_level(&self) -> bool {
        self.nest == 0
            && self.in_macro.is_none()
            && self.pending_fn.is_none()
            && self.blocks.iter().all(|b| b.decls.is_some())
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.i + ahead).copied()
    }

    /// Records the kind of the token just read.
    fn token(&mut self, close_paren: bool, star: bool) {
        self.after_paren = close_paren;
        self.after_eq = false;
        self.after_star = star;
        self.after_word = false;
        self.bang = false;
        self.macro_rules = false;
    }

    /// An opening bracket of any kind: a Rust macro's arguments begin here after `name!`.
    fn opening(&mut self) {
        if self.bang && self.in_macro.is_none() {
            self.in_macro = Some((self.blocks.len(), self.nest));
            self.macro_args = (self.i + 1, self.found.len());
        }
    }

    /// After a closing bracket of any kind (at `self.i`): the macro's arguments may end here. The
    /// parser keeps them as a flat token tree (no definitions, no calls), so they are left out whole.
    fn closed(&mut self) {
        if self.in_macro == Some((self.blocks.len(), self.nest)) {
            self.in_macro = None;
            let (start, first) = self.macro_args;
            self.found.truncate(first);
            self.last_comment = None;
            let semicolon = blanks(self.src, self.i + 1);
            let statement = self.macro_item.take().filter(|&(_, open)| {
                open + 1 == start && self.src.get(semicolon) == Some(&b';') && rest_is_blank(self.src, semicolon + 1)
            });
            if let Some((item, _)) = statement {
                // The whole statement, up to its `;`, which is read here.
                self.found.push((item..semicolon + 1, Part::Other));
                self.i = semicolon;
                return;
            }
            self.found.push((start..self.i, Part::Other));
        }
    }

    /// Marks the innermost block as one to keep (and its current statement).
    fn keep(&mut self) {
        if let Some(block) = self.blocks.last_mut() {
            block.keep = true;
            block.statements.defines = true;
        }
    }

    /// At a `;`: a Rust body's statement may end here. A statement without a definition keyword
    /// joins the run before it; one with a keyword ends the run, which is left out.
    fn semicolon(&mut self) {
        let end = self.i + 1;
        let Some(block) = self.blocks.last_mut().filter(|b| b.body && b.statements.nest == self.nest) else {
            return;
        };
        let at = &mut block.statements;
        if !at.defines {
            match &mut at.run {
                Some(run) => run.2 = end,
                None => at.run = Some((at.start, at.first, end)),
            }
        } else if let Some(run) = at.run.take() {
            leave_out_run(&mut self.found, run);
            self.last_comment = None;
        }
        (at.start, at.first, at.defines) = (end, self.found.len(), false);
    }

    fn open(&mut self) {
        let depth = self.blocks.len();
        let body = if self.in_macro.is_some() {
            // Macro arguments are tokens to the parser: no calls in them to find later.
            false
        } else if self.d.rust {
            let fn_body = self.pending_fn == Some((depth, self.nest));
            if fn_body {
                self.pending_fn = None;
            }
            fn_body
        } else {
            let initializer = self.d.initializers && self.after_eq && self.blocks.is_empty() && self.nest == 0;
            self.after_paren || initializer
        };
        let (start, first) = (self.i + 1, self.found.len());
        let statements = Statements { nest: self.nest, start, first, ..Statements::default() };
        let opens = self.opens.take();
        let decls = match self.d.rust && !body && self.at_item_level() {
            false => None,
            true if is_extern_block(&self.src[..self.i]) => Some(Decls::Foreign),
            true => opens,
        };
        let impl_item = self.impl_item.take().filter(|h| decls == Some(Decls::Impl) && h.body == self.i);
        let impl_item = impl_item.map(|h| (h, self.items.len()));
        self.blocks.push(Block { start, body, keep: false, first, statements, decls, impl_item });
        self.token(false, false);
    }

    fn close(&mut self) -> Option<()> {
        let block = self.blocks.pop()?;
        self.opens = None;
        // A `fn` type in a field (`handler: Option<fn(u32)>,`) has no body; none after this brace.
        if self.pending_fn.is_some_and(|(depth, _)| depth > self.blocks.len()) {
            self.pending_fn = None;
        }
        // The function being read ends with this block if the block is its body or opened
        // before it (then the function was not what the lexer took it for).
        let fn_item = self.fn_item.take_if(|f| f.body + 1 >= block.start);
        let whole_impl = block.impl_item.is_some() && self.holds_only_items(&block);
        if block.body && !block.keep {
            // Everything recorded inside lies within this body.
            self.found.truncate(block.first);
            self.last_comment = None;
            let end = self.i + 1;
            if let Some(f) = fn_item.filter(|f| f.body + 1 == block.start && rest_is_blank(self.src, end)) {
                // The whole function, whose definition the lexer makes.
                self.found.truncate(f.first);
                self.found.push((f.start..end, Part::Other));
                let body = Some(f.body..end);
                let role = Role::Definition;
                self.items.push(Item { range: f.start..end, name: f.name, kind: f.kind, role, body });
            } else if self.i - block.start >= MIN_BODY {
                self.found.push((block.start..self.i, Part::Body));
            }
        } else if let Some((h, items)) = block.impl_item.filter(|_| whole_impl) {
            // The whole `impl`: its scope and reference, then the items inside.
            let range = h.start..self.i + 1;
            self.found.truncate(block.first);
            self.found.push((range.clone(), Part::Other));
            self.last_comment = None;
            let made =
                [(h.scope, Role::Scope), (h.reference, Role::Reference)].into_iter().filter_map(|(name, role)| {
                    name.map(|name| Item { range: range.clone(), name, kind: SymbolKind::Impl, role, body: None })
                });
            self.items.splice(items..items, made);
        } else if block.keep {
            if let Some(run) = block.statements.run {
                leave_out_run(&mut self.found, run);
                self.last_comment = None;
            }
            self.keep();
        }
        self.token(false, false);
        Some(())
    }

    /// Whether all that the block closing here holds is left out (items, comments, attributes),
    /// and only blanks follow it on its line.
    fn holds_only_items(&self, block: &Block) -> bool {
        let blank = |range: Range<usize>| self.src[range].iter().all(u8::is_ascii_whitespace);
        let mut at = block.start;
        for (range, part) in &self.found[block.first..] {
            if *part != Part::Other || !blank(at..range.start) {
                return false;
            }
            at = range.end;
        }
        blank(at..self.i) && rest_is_blank(self.src, self.i + 1)
    }

    /// Records the comment that began at `start`, alone at the start of its line: comments on the
    /// following lines join it, and runs long enough are left out like bodies. (A comment between
    /// two tokens on one line is kept: the parser would join the tokens across the gap.)
    fn comment(&mut self, start: usize, at_line_start: bool) {
        if !at_line_start {
            return;
        }
        let joins = self.last_comment.is_some_and(|i| i + 1 == self.found.len());
        if let Some((last, _)) = self.found.last_mut().filter(|_| joins) {
            if self.src[last.end..start].iter().all(u8::is_ascii_whitespace) {
                last.end = self.i;
                return;
            }
        }
        self.last_comment = Some(self.found.len());
        self.found.push((start..self.i, Part::Other));
    }

    /// A Rust attribute (`#[..]`, `#![..]`) at the start of a line. Alone on its line it is left
    /// out like a comment (it is a node of its own, next to the item it annotates, and no tag
    /// looks at it): generated code carries more attributes than code. Whether it was left out.
    fn attribute(&mut self, at_line_start: bool) -> Option<bool> {
        let start = self.i;
        self.i += 1;
        if self.peek(0) == Some(b'!') {
            self.i += 1;
        }
        if self.peek(0) != Some(b'[') {
            self.token(false, false);
            return Some(false);
        }
        let (mut depth, mut bang) = (0usize, false);
        loop {
            match *self.src.get(self.i)? {
                // `#[doc = include_str!(..)]`: a macro call, which is tagged as a reference.
                b'!' => bang = true,
                b'[' | b'(' | b'{' => depth += 1,
                b']' | b')' | b'}' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        self.i += 1;
                        break;
                    }
                }
                b'"' => {
                    self.i += 1;
                    self.quoted(b'"')?;
                    continue;
                }
                _ => {}
            }
            self.i += 1;
        }
        self.token(false, false);
        let alone = !bang && rest_is_blank(self.src, self.i);
        if alone {
            self.comment(start, at_line_start);
        }
        Some(alone)
    }

    fn line_comment(&mut self) {
        self.i = memchr::memchr(b'\n', &self.src[self.i..]).map_or(self.src.len(), |n| self.i + n);
    }

    fn block_comment(&mut self) -> Option<()> {
        self.i += 2;
        let mut depth = 1;
        while depth > 0 {
            let rest = &self.src[self.i..];
            let n = memchr::memchr2(b'*', b'/', rest)?;
            self.i += n;
            match (self.src[self.i], self.peek(1)) {
                (b'*', Some(b'/')) => {
                    depth -= 1;
                    self.i += 2;
                }
                (b'/', Some(b'*')) if self.d.rust => {
                    depth += 1;
                    self.i += 2;
                }
                _ => self.i += 1,
            }
        }
        Some(())
    }

    /// Past the closing `quote` of a string or character whose opening quote was just passed.
    fn quoted(&mut self, quote: u8) -> Option<()> {
        loop {
            let n = memchr::memchr3(quote, b'\\', b'\n', &self.src[self.i..])?;
            self.i += n;
            match self.src[self.i] {
                // (A backslash that ends the file ends the string unclosed.)
                b'\\' => self.i = (self.i + 2).min(self.src.len()),
                b'\n' if !self.d.rust && quote == b'\'' => return None,
                b'\n' => self.i += 1,
                _ => {
                    self.i += 1;
                    return Some(());
                }
            }
        }
    }

    /// A `'`: a character literal, or in Rust a lifetime or label.
    fn quote(&mut self) -> Option<()> {
        self.i += 1;
        if self.d.rust && self.peek(0) != Some(b'\\') {
            // `'x'` is a character, `'a` (no closing quote after one character) a lifetime.
            let len = utf8_len(self.peek(0)?);
            if self.peek(len) != Some(b'\'') {
                while self.peek(0).is_some_and(is_ident_byte) {
                    self.i += 1;
                }
                self.token(false, false);
                return Some(());
            }
        }
        self.quoted(b'\'')?;
        self.token(false, false);
        Some(())
    }

    fn number(&mut self) {
        // Digits, letters (suffixes, hex), `.` and C++'s `'` separators: nothing here is a word.
        while let Some(b) = self.peek(0) {
            let separator = b == b'\'' && !self.d.rust && self.peek(1).is_some_and(|c| c.is_ascii_alphanumeric());
            if !(is_ident_byte(b) || b == b'.' || separator) {
                break;
            }
            self.i += 1;
        }
        self.token(false, false);
    }

    fn word(&mut self) -> Option<()> {
        let start = self.i;
        while self.peek(0).is_some_and(is_ident_byte) {
            self.i += 1;
        }
        let word = &self.src[start..self.i];
        let next = self.peek(0);
        if self.d.rust {
            // Raw strings and byte strings/characters: r"..", r#".."#, b"..", br"..", b'x'.
            if matches!(word, b"r" | b"br" | b"cr") && matches!(next, Some(b'"' | b'#')) {
                let hashes = self.src[self.i..].iter().take_while(|&&b| b == b'#').count();
                if self.peek(hashes) == Some(b'"') {
                    self.i += hashes + 1;
                    return self.raw_string(hashes);
                }
                if word == b"r" && hashes == 1 {
                    // A raw identifier (`r#fn`) is never a keyword.
                    self.i += 1;
                    while self.peek(0).is_some_and(is_ident_byte) {
                        self.i += 1;
                    }
                    self.token(false, false);
                    return Some(());
                }
            }
            if matches!(word, b"b" | b"c") && next == Some(b'"') {
                self.i += 1;
                self.quoted(b'"')?;
                self.token(false, false);
                return Some(());
            }
            if word == b"b" && next == Some(b'\'') {
                self.i += 1;
                self.quoted(b'\'')?;
                self.token(false, false);
                return Some(());
            }
            // `fn(u32)` in a signature's types must not replace the signature's own `fn`.
            let here = (self.blocks.len(), self.nest);
            if word == b"fn"
                && self.in_macro.is_none()
                && !self.pending_fn.is_some_and(|(d, n)| d == here.0 && n < here.1)
            {
                self.pending_fn = Some(here);
            }
            let def = self.d.defs.contains(&word) && !(word == b"const" && self.after_star);
            if def && self.in_macro.is_none() {
                self.keep();
            }
            // `macro_rules! name {`: the name stands between the `!` and the arguments.
            let bang = self.bang && self.macro_rules;
            self.token(false, false);
            // `if !x {` is no macro.
            self.after_word = !RUST_KEYWORDS.contains(&word);
            self.macro_rules = word == b"macro_rules";
            self.bang = bang;
            return Some(());
        }
        // C and C++: raw strings R"delim( .. )delim" (also u8R, LR, uR, UR).
        if word.ends_with(b"R") && word.len() <= 3 && next == Some(b'"') {
            return self.cpp_raw_string();
        }
        if self.d.defs.contains(&word) || (self.d.types.contains(&word) && self.defines_type()) {
            self.keep();
        }
        let qualifier = self.after_paren && self.d.qualifiers.contains(&word);
        self.token(qualifier, false);
        Some(())
    }

    /// After `struct`/`union`/`enum`/`class`: whether a `{` comes before any of `;()=*&,`.
    fn defines_type(&self) -> bool {
        for &b in &self.src[self.i..] {
            match b {
                b'{' => return true,
                b';' | b'(' | b')' | b'=' | b'*' | b'&' | b',' | b'}' | b'/' | b'"' | b'#' => return false,
                _ => {}
            }
        }
        false
    }

    fn raw_string(&mut self, hashes: usize) -> Option<()> {
        loop {
            let n = memchr::memchr(b'"', &self.src[self.i..])?;
            self.i += n + 1;
            if self.src[self.i..].iter().take(hashes).filter(|&&b| b == b'#').count() == hashes {
                self.i += hashes;
                self.token(false, false);
                return Some(());
            }
        }
    }

    fn cpp_raw_string(&mut self) -> Option<()> {
        self.i += 1;
        let open = memchr::memchr(b'(', &self.src[self.i..])?;
        let delim = &self.src[self.i..self.i + open];
        if delim.len() > 16 || delim.iter().any(|b| b.is_ascii_whitespace()) {
            return None;
        }
        let mut end = Vec::with_capacity(delim.len() + 2);
        end.push(b')');
        end.extend_from_slice(delim);
        end.push(b'"');
        self.i += open + 1;
        let n = memchr::memmem::find(&self.src[self.i..], &end)?;
        self.i += n + end.len();
        self.token(false, false);
        Some(())
    }

    /// A preprocessor line (with its `\` continuations): braces in it do not count.
    fn directive(&mut self) -> Option<()> {
        self.i += 1;
        while matches!(self.peek(0), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        let start = self.i;
        while self.peek(0).is_some_and(is_ident_byte) {
            self.i += 1;
        }
        let name = &self.src[start..self.i];
        let depth = self.blocks.len();
        match name {
            b"if" | b"ifdef" | b"ifndef" => self.conditionals.push(depth),
            // Every branch must leave the braces as the `#if` found them, or the count is wrong.
            b"else" | b"elif" | b"elifdef" | b"elifndef" if self.conditionals.last() != Some(&depth) => return None,
            b"endif" if self.conditionals.pop() != Some(depth) => return None,
            _ => {}
        }
        if self.d.directives.contains(&name) {
            self.keep();
        }
        // To the end of the line, continuations included; a comment may hide the newline.
        loop {
            let n = memchr::memchr3(b'\n', b'/', b'"', &self.src[self.i..]);
            let Some(n) = n else {
                self.i = self.src.len();
                break;
            };
            self.i += n;
            match self.src[self.i] {
                b'\n' if self.src[..self.i].ends_with(b"\\") || self.src[..self.i].ends_with(b"\\\r") => self.i += 1,
                b'\n' => break,
                b'/' if self.peek(1) == Some(b'*') => self.block_comment()?,
                b'/' if self.peek(1) == Some(b'/') => self.line_comment(),
                b'"' => {
                    self.i += 1;
                    self.quoted(b'"')?;
                }
                _ => self.i += 1,
            }
        }
        self.token(false, false);
        Some(())
    }

    /// C: a body line that starts at column 0 with a word (not a label) makes the lexer unsure.
    fn check_column0(&mut self) {
        let Some(block) = self.blocks.last_mut() else { return };
        let rest = &self.src[self.i..];
        if !rest.first().is_some_and(|&b| is_ident_start(b)) {
            return;
        }
        let word = rest.iter().take_while(|&&b| is_ident_byte(b)).count();
        let after = rest[word..].iter().skip_while(|&&b| b == b' ' || b == b'\t');
        let mut after = after.copied();
        let label = after.next() == Some(b':') && after.next() != Some(b':');
        if !label {
            block.keep = true;
        }
    }
}

/// The simple item starting at `start` (the first word on its line), `within` a block of items
/// (`None`: at the top of the file), pushed on `items` (a struct's members after it), and the
/// offset after it; nothing but blanks follow it on its last line. A `const`, `static` or
/// `type` (its value over lines), a `mod name;`, or a `struct`, `union` or `enum` whose members
/// stand one per line, holding nothing the tags query looks at; in an `impl`, a `const` or
/// `type`; in an `extern` block, a `static` or a non-generic `fn` signature; in a `trait`, such
/// a signature.
fn simple_item(src: &[u8], start: usize, within: Option<Decls>, items: &mut Vec<Item>) -> Option<usize> {
    let (mut keyword, mut at) = after_visibility(src, start)?;
    // (`safe fn`, Rust 2024, is not this grammar's: its parse leaves `safe` out of the item.)
    let signatures = matches!(within, Some(Decls::Foreign | Decls::Trait));
    if signatures && keyword == b"unsafe" {
        (keyword, at) = word(src, blanks(src, at));
    }
    let kind = match (keyword, within) {
        (b"fn", Some(Decls::Foreign)) => SymbolKind::Function,
        (b"fn", Some(Decls::Trait)) => SymbolKind::Method,
        (b"static", None | Some(Decls::Module | Decls::Foreign)) => SymbolKind::Constant,
        (b"const", None | Some(Decls::Module | Decls::Impl)) => SymbolKind::Constant,
        (b"type", None | Some(Decls::Module | Decls::Impl)) => SymbolKind::Type,
        (b"struct" | b"union", None | Some(Decls::Module)) => SymbolKind::Struct,
        (b"enum", None | Some(Decls::Module)) => SymbolKind::Enum,
        (b"mod", None | Some(Decls::Module)) => SymbolKind::Module,
        _ => return None,
    };
    let mut after = blanks(src, at);
    if after == at {
        return None;
    }
    if keyword == b"static" && word(src, after).0 == b"mut" {
        let (_, end) = word(src, after);
        after = blanks(src, end);
    }
    let (name, name_end) = word(src, after);
    // `_` is no identifier; `const fn`, `type T<U>` are none of these.
    if !is_name(name) {
        return None;
    }
    let next = blanks(src, name_end);
    let first = items.len();
    let end = match kind {
        SymbolKind::Struct | SymbolKind::Enum => members(src, blanks(src, generics(src, next)?), kind, items),
        SymbolKind::Module => (src.get(next) == Some(&b';')).then_some(next + 1),
        // `fn name(..) -> T;`: no generics, the parameters scanned like a value.
        SymbolKind::Function | SymbolKind::Method => {
            if src.get(next) != Some(&b'(') {
                return None;
            }
            scan_in(src, next + 1, b'(', 1, false).filter(|&end| src[end] == b';').map(|end| end + 1)
        }
        _ => {
            let expected = if kind == SymbolKind::Type { b'=' } else { b':' };
            if src.get(next) != Some(&expected) {
                return None;
            }
            scan(src, next + 1, expected, false).filter(|&end| src[end] == b';').map(|end| end + 1)
        }
    };
    let Some(end) = end.filter(|&end| rest_is_blank(src, end)) else {
        items.truncate(first);
        return None;
    };
    items.insert(first, Item { range: start..end, name: after..name_end, kind, role: Role::Definition, body: None });
    Some(end)
}

/// The `use` declaration starting at `start` (the first word on its line) at the top of a file
/// or of a `mod` block: the offset after its `;`, which only blanks follow on its line. It
/// defines and references nothing the tags query tags.
fn plain_item(src: &[u8], start: usize, within: Option<Decls>) -> Option<usize> {
    if !matches!(within, None | Some(Decls::Module)) {
        return None;
    }
    let (keyword, at) = after_visibility(src, start)?;
    if keyword != b"use" {
        return None;
    }
    let len = src[at..].iter().position(|&b| {
        !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'{' | b'}' | b',' | b'*' | b' ' | b'\t' | b'\n'))
    })?;
    let end = at + len;
    (src[end] == b';' && rest_is_blank(src, end + 1)).then_some(end + 1)
}

/// The `impl` starting at `start` (the first word on its line; `at` after its `impl`), if its
/// header holds nothing the tags query looks at and its types are paths the lexer can tell a
/// scope and a reference from: `impl<T: Bound> Trait for Type<T> where .. {`, all but the
/// `where` clause on one line.
fn impl_item(src: &[u8], start: usize, mut at: usize) -> Option<ImplItem> {
    let body = header(src, at)?;
    let first = path_type(src, blanks(src, generics(src, at)?))?;
    at = blanks(src, first.range.end);
    let (tr, ty) = match word(src, at) {
        (b"for", after) if after > at => (Some(first), path_type(src, blanks(src, after))?),
        _ => (None, first),
    };
    // Then the body, or a `where` clause.
    let rest = src.get(ty.range.end..body)?.trim_ascii_start();
    if !rest.is_empty() && word(rest, 0).0 != b"where" {
        return None;
    }
    const PRIMITIVE: &[&[u8]] = &[
        b"bool", b"char", b"str", b"u8", b"u16", b"u32", b"u64", b"u128", b"usize", b"i8", b"i16", b"i32", b"i64",
        b"i128", b"isize", b"f32", b"f64",
    ];
    // A type the grammar reads as a `type_identifier` (or a `generic_type` of one).
    let named = |t: &PathType| t.segments == 1 && !PRIMITIVE.contains(&&src[t.range.start..t.name_end]);
    let scope = named(&ty).then(|| ty.range.clone());
    let reference = match &tr {
        Some(tr) => (named(tr) && !tr.generic).then(|| tr.range.clone()),
        None => (named(&ty) && !ty.generic).then(|| ty.range.clone()),
    };
    Some(ImplItem { start, body, scope, reference })
}

/// A type written as a path, with generic arguments on its line (`S`, `a::S`, `::a::S<T, U>`).
struct PathType {
    range: Range<usize>,
    /// The end of its last name, before its arguments.
    name_end: usize,
    /// Its names; a leading `::` counts as one more.
    segments: usize,
    generic: bool,
}

fn path_type(src: &[u8], start: usize) -> Option<PathType> {
    let (at, segments) = path(src, start)?;
    let end = angled(src, at, |b| !matches!(b, b'\n' | b'{' | b'}' | 0x80..))?;
    Some(PathType { range: start..end, name_end: at, segments, generic: end > at })
}

/// The offset after the angle brackets at `at` (`<..>`, nested, `->` inside; `at` itself if
/// none open there), if every byte inside is `allowed`.
fn angled(src: &[u8], at: usize, allowed: impl Fn(u8) -> bool) -> Option<usize> {
    if src.get(at) != Some(&b'<') {
        return Some(at);
    }
    let mut depth = 0usize;
    for (i, &b) in src[at..].iter().enumerate() {
        match b {
            b'<' => depth += 1,
            b'>' if src[at + i - 1] == b'-' => {}
            b'>' => {
                depth -= 1;
                if depth == 0 {
                    return Some(at + i + 1);
                }
            }
            b if !allowed(b) => return None,
            _ => {}
        }
    }
    None
}

/// Where the arguments open of the macro called at `start` by a path, if that is what starts
/// there: `path::name!(` or `::path::name![` (the tags query tags only macros called by a bare
/// name).
fn path_macro(src: &[u8], start: usize) -> Option<usize> {
    let (at, segments) = path(src, start)?;
    if segments < 2 || src.get(at) != Some(&b'!') {
        return None;
    }
    let open = blanks(src, at + 1);
    matches!(src.get(open), Some(b'(' | b'[')).then_some(open)
}

/// The path at `start` (`name`, `a::b`, `::a::b`; no keyword): the offset after it, and its
/// names (a leading `::` counts as one more).
fn path(src: &[u8], start: usize) -> Option<(usize, usize)> {
    let (mut at, mut segments) = match src[start..].starts_with(b"::") {
        true => (start + 2, 1),
        false => (start, 0),
    };
    loop {
        let (name, end) = word(src, at);
        if !is_name(name) || RUST.defs.contains(&name) {
            return None;
        }
        (at, segments) = (end, segments + 1);
        if !src[at..].starts_with(b"::") {
            return Some((at, segments));
        }
        at += 2;
    }
}

/// What the block of the item starting at `start` holds, if it is an `impl`, a `trait` or a
/// `mod` (an `extern` block is recognized at its brace), and the offset after that keyword.
fn opens(src: &[u8], start: usize) -> Option<(Decls, usize)> {
    let (mut keyword, mut at) = after_visibility(src, start)?;
    if keyword == b"unsafe" {
        (keyword, at) = word(src, blanks(src, at));
    }
    let decls = match keyword {
        b"impl" => Decls::Impl,
        b"trait" => Decls::Trait,
        b"mod" => Decls::Module,
        _ => return None,
    };
    // `impl<T>` and `impl Trait`, `trait Name`, `mod name`: never `implement`.
    matches!(src.get(at), Some(b' ' | b'<' | b'\t')).then_some((decls, at))
}

/// The function starting at `start` (the first word on its line) `within` a block of items:
/// its name, kind and the offset of its body's `{`, if its header (qualifiers, generics,
/// parameters, return type, `where` clause) holds nothing the tags query looks at.
fn fn_item(src: &[u8], start: usize, within: Option<Decls>) -> Option<(Range<usize>, SymbolKind, usize)> {
    let kind = match within {
        None | Some(Decls::Module) => SymbolKind::Function,
        Some(Decls::Impl | Decls::Trait) => SymbolKind::Method,
        Some(Decls::Foreign) => return None,
    };
    let (mut keyword, mut at) = after_visibility(src, start)?;
    while matches!(keyword, b"const" | b"async" | b"unsafe" | b"extern") {
        at = blanks(src, at);
        if keyword == b"extern" && src.get(at) == Some(&b'"') {
            let abi = src[at + 1..].iter().take(32).position(|&b| b == b'"')?;
            if !src[at + 1..at + 1 + abi].iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')) {
                return None;
            }
            at = blanks(src, at + abi + 2);
        }
        (keyword, at) = word(src, at);
    }
    if keyword != b"fn" {
        return None;
    }
    let name_start = blanks(src, at);
    let (name, name_end) = word(src, name_start);
    if name_start == at || !is_name(name) {
        return None;
    }
    Some((name_start..name_end, kind, header(src, name_end)?))
}

/// From the end of a function's name to its body's `{` (its offset): generics, parameters,
/// return type and `where` clause, over lines, holding no call or macro, no definition keyword
/// (but `fn(..)` and `impl Trait` types, `*const T`), no block, comment, string, character or
/// attribute; ASCII.
fn header(src: &[u8], from: usize) -> Option<usize> {
    // Brackets and angle brackets open; the last two bytes that were not blanks.
    let (mut depth, mut angles, mut prev, mut before) = (0usize, 0usize, b' ', b' ');
    let mut end = from;
    loop {
        let b = *src.get(end)?;
        match b {
            b'{' if depth == 0 && angles == 0 => return Some(end),
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.checked_sub(1)?,
            b'<' => angles += 1,
            // `->` is no closing angle bracket.
            b'>' if prev != b'-' => angles = angles.checked_sub(1)?,
            // An array type's length (`[u8; 4]`).
            b';' if depth > 0 => {}
            // The never type (`-> !`).
            b'!' if prev == b'>' && before == b'-' => {}
            b'\'' => {
                // A lifetime (`&'a T`), no character.
                let (lifetime, after) = word(src, end + 1);
                if lifetime.is_empty() || src.get(after) == Some(&b'\'') {
                    return None;
                }
                (before, prev, end) = (prev, b'a', after);
                continue;
            }
            b if b.is_ascii_alphabetic() || b == b'_' => {
                let (w, after) = word(src, end);
                let next = src.get(blanks(src, after)).copied();
                let allowed = match w {
                    b"const" => prev == b'*',
                    b"fn" => next == Some(b'('),
                    b"Fn" | b"FnMut" | b"FnOnce" => true,
                    b"impl" => next != Some(b'('),
                    // A call (`N(..)` in an array's length) or a macro (`m!(..)`).
                    _ => !RUST.defs.contains(&w) && !matches!(next, Some(b'(' | b'!')),
                };
                if !allowed {
                    return None;
                }
                (before, prev, end) = (prev, b'a', after);
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => {
                end += 1;
                continue;
            }
            b'{' | b'}' | b';' | b'!' | b'"' | b'/' | b'#' | b'\\' | 0x80.. => return None,
            _ => {}
        }
        (before, prev) = (prev, b);
        end += 1;
    }
}

fn word(src: &[u8], at: usize) -> (&[u8], usize) {
    let len = src[at..].iter().take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_').count();
    (&src[at..at + len], at + len)
}

fn blanks(src: &[u8], at: usize) -> usize {
    at + src[at..].iter().take_while(|&&b| b == b' ' || b == b'\t').count()
}

/// An ASCII identifier (`_` is none).
fn is_name(name: &[u8]) -> bool {
    !name.is_empty() && name != b"_" && !name[0].is_ascii_digit() && name.len() <= 256
}

/// Whether only blanks follow `at` to the end of its line.
fn rest_is_blank(src: &[u8], at: usize) -> bool {
    let rest = &src[at..];
    let line_end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    rest[..line_end].iter().all(u8::is_ascii_whitespace)
}

/// The word at `at`, after a visibility (`pub`, `pub(crate)`, `pub(in a::b)`) if one stands
/// there, and the offset after that word.
fn after_visibility(src: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let (first, mut at) = word(src, at);
    if first != b"pub" {
        return Some((first, at));
    }
    at = blanks(src, at);
    if src.get(at) == Some(&b'(') {
        let len = src[at + 1..].iter().take(64).position(|&b| b == b')')?;
        let inside = &src[at + 1..at + 1 + len];
        if !inside.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b' ')) {
            return None;
        }
        at = blanks(src, at + len + 2);
    }
    Some(word(src, at))
}

/// A struct's, union's or enum's body from `at` (after its name and generics): `;` (a struct),
/// or `{`, then one field (`pub name: Type,`) or variant (`Name,`, `Name = value,`,
/// `Name(Type, ..),`) per line, the last comma optional, between whole-line `//` comments and
/// attributes, then `}` at the start of a line. Pushes the fields or variants on `items`; the
/// offset after the `;` or `}`.
fn members(src: &[u8], at: usize, kind: SymbolKind, items: &mut Vec<Item>) -> Option<usize> {
    match src.get(at)? {
        b';' if kind == SymbolKind::Struct => return Some(at + 1),
        b'{' => {}
        _ => return None,
    }
    let mut line = blanks(src, at + 1);
    if src.get(line) == Some(&b'}') {
        return Some(line + 1);
    }
    if !rest_is_blank(src, line) {
        return None;
    }
    loop {
        line = memchr::memchr(b'\n', &src[line..]).map(|n| line + n + 1)?;
        let start = blanks(src, line);
        match src.get(start)? {
            b'}' => return Some(start + 1),
            // Comments and attributes are the parser's extras or the members' siblings.
            b'/' if src.get(start + 1) == Some(&b'/') => continue,
            b'#' if attribute_line(src, start) => continue,
            b if b.is_ascii_whitespace() => continue,
            _ => {}
        }
        let (name, name_end) = after_visibility(src, start)?;
        let name_start = name_end - name.len();
        let next = blanks(src, name_end);
        if !is_name(name) {
            return None;
        }
        let (stop, member) = if kind == SymbolKind::Enum {
            let stop = match src.get(next)? {
                b'=' => scan(src, next + 1, b'=', true)?,
                b'(' => scan_in(src, next + 1, b'(', 1, true)?,
                _ => next,
            };
            (stop, SymbolKind::EnumMember)
        } else {
            if src.get(next) != Some(&b':') || src.get(next + 1) == Some(&b':') {
                return None;
            }
            (scan(src, next + 1, b':', true)?, SymbolKind::Field)
        };
        let end = start + src[start..stop].trim_ascii_end().len();
        let ends_line = match src.get(stop) {
            Some(b',') => rest_is_blank(src, stop + 1),
            _ => rest_is_blank(src, stop),
        };
        if end <= name_end && member == SymbolKind::Field || !ends_line {
            return None;
        }
        items.push(Item {
            range: start..end,
            name: name_start..name_end,
            kind: member,
            role: Role::Definition,
            body: None,
        });
        line = stop;
    }
}

/// Whether an attribute (`#[..]`, no macro in it) stands alone on the line at `start`.
fn attribute_line(src: &[u8], start: usize) -> bool {
    if src.get(start + 1) != Some(&b'[') {
        return false;
    }
    let mut depth = 0usize;
    let mut at = start + 1;
    while let Some(&b) = src.get(at) {
        match b {
            b'[' | b'(' => depth += 1,
            b']' | b')' => {
                depth -= 1;
                if depth == 0 {
                    return b == b']' && rest_is_blank(src, at + 1);
                }
            }
            b'"' => {
                let Some(end) = string_end(src, at + 1) else { return false };
                at = end;
                continue;
            }
            b'!' | b'{' | b'}' | b'\n' | b'/' | b'\'' | 0x80.. => return false,
            _ => {}
        }
        at += 1;
    }
    false
}

/// Generics after a struct's or enum's name at `at` (`<'a, T: Trait + ?Sized, const N: usize>`,
/// holding nothing the tags query tags), if any: the offset after them.
fn generics(src: &[u8], at: usize) -> Option<usize> {
    angled(src, at, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'\'' | b':' | b'+' | b',' | b' ' | b'?' | b'&' | b'*')
    })
}

/// From `from` (after `prev`, a `:` or `=`) to the `;` ending an item's type and value (`field`:
/// to the `,` or line end ending a field's type, on its line) outside brackets: its offset.
/// Nothing the tags query tags: no definition keyword (but `*const T`, and `fn(..)` types), no
/// call or macro named by a bare or a method name (`f(x)`, `x.f()`, `m!()`; `GUID::from_u128(..)`
/// and `core::w!(..)` are untagged), no comment or raw string; ASCII outside strings and
/// characters.
fn scan(src: &[u8], from: usize, prev: u8, field: bool) -> Option<usize> {
    scan_in(src, from, prev, 0, field)
}

/// [`scan`] from inside `depth` brackets (a signature's parameters).
fn scan_in(src: &[u8], from: usize, mut prev: u8, mut depth: usize, field: bool) -> Option<usize> {
    let mut end = from;
    loop {
        let b = *src.get(end)?;
        match b {
            b';' if depth == 0 && !field => return Some(end),
            b',' | b'\n' if depth == 0 && field => return Some(end),
            b'<' if field => depth += 1,
            b'>' if field && prev != b'-' => depth = depth.checked_sub(1)?,
            b'{' | b'}' if field => return None,
            b'[' | b'{' => depth += 1,
            b']' | b'}' | b')' => depth = depth.checked_sub(1)?,
            b'(' if untagged_callee(&src[..end]) => depth += 1,
            b'!' if src.get(end + 1) == Some(&b'=') || untagged_callee(&src[..end]) => {}
            b'"' => {
                end = string_end(src, end + 1)?;
                prev = b'"';
                continue;
            }
            b'\'' => {
                // A character (`'x'`, `b'\n'`, `'\u{10FFFF}'`), or a lifetime (`&'static str`).
                if let Some(after) = char_end(src, end) {
                    (prev, end) = (b'\'', after);
                    continue;
                }
                let (lifetime, after) = word(src, end + 1);
                if lifetime.is_empty() || src.get(after) == Some(&b'\'') {
                    return None;
                }
                (prev, end) = (b'a', after);
                continue;
            }
            b'/' if !matches!(src.get(end + 1), Some(b'/' | b'*')) => {}
            // A value (not a field's type) may go on over lines.
            b'\n' | b'\r' if !field => {}
            b if b.is_ascii_alphabetic() || b == b'_' => {
                let (w, after) = word(src, end);
                let allowed = match w {
                    b"const" => prev == b'*',
                    b"fn" => src.get(blanks(src, after)) == Some(&b'('),
                    b"r" | b"br" | b"cr" => src.get(after) != Some(&b'"'),
                    _ => !RUST.defs.contains(&w),
                };
                if !allowed {
                    return None;
                }
                (prev, end) = (b'a', after);
                continue;
            }
            b'(' | b'!' | b'/' | b'#' | b'\\' | b'\n' | b'\r' | 0x80.. => return None,
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            prev = b;
        }
        end += 1;
    }
}

/// Whether a call or macro whose `(` or `!` follows `before` is one the tags query leaves
/// untagged: its callee is no bare name and no method (`path::f(..)`, `(f)(..)`), or it is an
/// operator's parenthesis (`!x`, `(a + b)`), or a `fn(..)` type.
fn untagged_callee(before: &[u8]) -> bool {
    let before = before.trim_ascii_end();
    let name = before.iter().rev().take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_').count();
    if name == 0 {
        // Calling what a `)`, `]`, `>` (turbofish), ... ends: left to the parser.
        return !matches!(before.last(), Some(b')' | b']' | b'>' | b'?' | b'}' | b'"' | b'\''));
    }
    let (path, name) = before.split_at(before.len() - name);
    name == b"fn" || path.ends_with(b"::")
}

/// Past the closing quote of the character literal whose opening quote is at `at`, if one is
/// there (and not a lifetime).
fn char_end(src: &[u8], at: usize) -> Option<usize> {
    let first = *src.get(at + 1)?;
    let close = if first == b'\\' {
        // `'\''`, `'\n'`, `'\x7f'`, `'\u{..}'`: the first quote after the escaped byte.
        at + 3 + src.get(at + 3..)?.iter().take(10).position(|&b| b == b'\'')?
    } else {
        at + 1 + utf8_len(first)
    };
    (src.get(close) == Some(&b'\'') && !src[at + 1..close].contains(&b'\n')).then_some(close + 1)
}

/// Past the closing quote of the string whose opening quote is just before `at`, on its line.
fn string_end(src: &[u8], mut at: usize) -> Option<usize> {
    loop {
        at += memchr::memchr3(b'"', b'\\', b'\n', &src[at..])?;
        match src[at] {
            b'"' => return Some(at + 1),
            b'\\' if src.get(at + 1).is_some_and(|&b| b != b'\n') => at += 2,
            _ => return None,
        }
    }
}

/// Joins the ranges that are neither bodies (which must keep their own bounds) and that only
/// blanks separate: one range costs the parser less than several.
/// Whether `before` (the source up to a `{`) ends with an `extern` block's header on its line:
/// `extern`, `extern "C"`, `unsafe extern "C"`.
fn is_extern_block(before: &[u8]) -> bool {
    let line = memchr::memrchr(b'\n', before).map_or(before, |n| &before[n + 1..]);
    let mut words = line.split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty());
    let mut word = words.next();
    if word == Some(b"unsafe") {
        word = words.next();
    }
    if word != Some(b"extern") {
        return false;
    }
    match (words.next(), words.next()) {
        (None, _) => true,
        (Some(abi), None) => {
            abi.len() >= 2
                && abi[0] == b'"'
                && abi[abi.len() - 1] == b'"'
                && abi[1..abi.len() - 1].iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
        }
        _ => false,
    }
}

/// Replaces what `found` holds inside a run of statements (`start`, the length of `found` at
/// `start`, `end`) with the run.
fn leave_out_run(found: &mut Ranges, (start, first, end): (usize, usize, usize)) {
    let inside = found[first..].iter().take_while(|(r, _)| r.start < end).count();
    found.splice(first..first + inside, [(start..end, Part::Statements)]);
}

fn join(src: &[u8], found: Ranges) -> Ranges {
    let mut joined: Ranges = Vec::with_capacity(found.len());
    for (range, body) in found {
        if let Some((last, Part::Other)) = joined.last_mut() {
            if body == Part::Other && src[last.end..range.start].iter().all(u8::is_ascii_whitespace) {
                last.end = range.end;
                continue;
            }
        }
        joined.push((range, body));
    }
    joined
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    }
}

/// How skipping bodies compares with parsing `src` whole: what `tests/skip.rs` asserts on real
/// files and `examples/skip.rs` reports on the corpora.
#[derive(Debug, Default)]
pub struct Comparison {
    /// Bytes left out.
    pub skipped: usize,
    /// Whether the whole parse has syntax errors (error recovery is not local: a skipped body
    /// changes what the parser makes of the text around it).
    pub has_error: bool,
    /// Definitions found only by the whole parse, and only with skipping (parents compared by name).
    pub lost: Vec<Symbol>,
    pub gained: Vec<Symbol>,
    /// Names (three of the file's referenced names, or every one: [`Names`]) whose references
    /// differ between the whole parse and the skipping parse plus
    /// [`Extractor::references_in_bodies`].
    pub references_differ: Vec<String>,
    /// Whether the whole parse's symbols differ between [`Extractor::extract`] (by hand for the
    /// languages that `direct` knows) and the tags query ([`Extractor::extract_text`]).
    pub query_differs: bool,
    /// Time of the whole parse and extraction, and of the skipping one.
    pub whole: std::time::Duration,
    pub skipping: std::time::Duration,
}

/// Which names' references [`compare_names`] compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Names {
    /// Three of the file's referenced names, spread over them by name.
    Sample,
    /// Every referenced name (one parse of the bodies mentioning it per name: slower).
    Every,
}

/// Extracts `src` both ways and compares, the references of a sample of names.
pub fn compare(extractor: &mut Extractor, lang: Lang, src: &[u8]) -> Result<Comparison, ParseError> {
    compare_names(extractor, lang, src, Names::Sample)
}

/// Extracts `src` both ways and compares, the references of the `names` chosen.
pub fn compare_names(
    extractor: &mut Extractor,
    lang: Lang,
    src: &[u8],
    which: Names,
) -> Result<Comparison, ParseError> {
    let skipped = body_ranges(lang, src).iter().map(|r| r.len()).sum();
    let t = Instant::now();
    let tree = extractor.parse(lang, src, None)?;
    let whole = extractor.extract(lang, &tree, src);
    let whole_time = t.elapsed();
    let t = Instant::now();
    let fast = extractor.extract_definitions(lang, src)?;
    let skipping = t.elapsed();
    // Parents are indexes, which the references in between shift: compare containers by name.
    let definitions = |symbols: &[Symbol]| -> Vec<(Symbol, Option<Name>)> {
        let defs = symbols.iter().filter(|s| s.role != Role::Reference);
        defs.map(|s| (Symbol { parent: NO_PARENT, ..*s }, s.parent_index().map(|p| symbols[p].name))).collect()
    };
    let (a, b) = (definitions(&whole), definitions(&fast));
    let only = |x: &[(Symbol, Option<Name>)], y: &[(Symbol, Option<Name>)]| -> Vec<Symbol> {
        x.iter().filter(|s| !y.contains(s)).map(|(s, _)| *s).collect()
    };
    let mut names: Vec<Name> = whole.iter().filter(|s| s.role == Role::Reference).map(|s| s.name).collect();
    names.sort_unstable_by_key(|n| n.as_str());
    names.dedup();
    let mut references_differ = Vec::new();
    let step = match which {
        Names::Sample => names.len().div_ceil(3).max(1),
        Names::Every => 1,
    };
    for &name in names.iter().step_by(step) {
        let spans = |symbols: &mut dyn Iterator<Item = &Symbol>| {
            let mut v: Vec<_> =
                symbols.filter(|s| s.role == Role::Reference && s.name == name).map(|s| s.name_range).collect();
            v.sort_by_key(|r| r.start);
            v
        };
        let lazy = extractor.references_in_bodies(lang, src, name.as_str())?;
        if spans(&mut whole.iter()) != spans(&mut fast.iter().chain(&lazy)) {
            references_differ.push(name.as_str().to_owned());
        }
    }
    Ok(Comparison {
        skipped,
        has_error: tree.root_node().has_error(),
        lost: only(&a, &b),
        gained: only(&b, &a),
        references_differ,
        query_differs: extractor.extract_text(lang, &tree, src) != whole,
        whole: whole_time,
        skipping,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The items the lexer reads whole in `src` (Rust), by name and kind.
    fn items(src: &str) -> Vec<(&str, SymbolKind)> {
        left_out(Lang::Rust, src.as_bytes()).items.iter().map(|i| (&src[i.name.clone()], i.kind)).collect()
    }

    /// The skipped text, one string per range.
    fn skipped(lang: Lang, src: &str) -> Vec<&str> {
        body_ranges(lang, src.as_bytes()).into_iter().map(|r| &src[r]).collect()
    }

    fn long(body: &str) -> String {
        format!("{body}{}", "\n    call_something(with, arguments);".repeat(3))
    }

    #[test]
    fn rust_skips_plain_bodies_and_keeps_those_with_definitions() {
        let plain = long("\n    let x = 1;");
        let nested = long("\n    struct Local;");
        let src = format!(
            "fn a() {{{plain}\n}}\nfn b() {{{nested}\n}}\nimpl S {{\n    fn c(&self) -> u32 {{{plain}\n    }}\n}}\n"
        );
        let got = skipped(Lang::Rust, &src);
        // `a` and `impl S` are left out whole (see below); `b`'s body is parsed, the statements
        // after its definition are not.
        let after_struct = nested.trim_start_matches("\n    struct Local;");
        let (a, c) =
            (format!("fn a() {{{plain}\n}}"), format!("impl S {{\n    fn c(&self) -> u32 {{{plain}\n    }}\n}}"));
        assert_eq!(got, [a, after_struct.to_owned(), c]);
    }

    #[test]
    fn rust_statements_around_a_bodys_definitions_are_left_out_whole() {
        let calls = "\n    call_something(with, arguments);".repeat(3);
        let closure = "\n    let y = |a: u8| { a; a };";
        let src = format!(
            "fn f() {{{calls}\n    const LOCAL: u8 = 1;{calls}\n    let x = {{ struct Inner; 1 }};{calls}\n    \
             let t = [Inner; {{ const N: usize = 2; N }}];{calls}\n    fn inner() {{}}\n    let joined = 1;\
             {closure}{calls}\n    tail(x)\n}}\n"
        );
        // Statements end at the body's own `;`s (not in the block or the brackets); `let joined`
        // follows an item without `;` and shares its statement; the tail is parsed.
        let closure_and_calls = format!("{closure}{calls}");
        assert_eq!(skipped(Lang::Rust, &src), [&calls, &calls, &calls, &calls, &closure_and_calls]);
        // They parse alone when their references are asked for.
        let runs = bodies_mentioning(Lang::Rust, src.as_bytes(), b"call_something");
        assert_eq!(runs.iter().map(|r| &src[r.clone()]).collect::<Vec<_>>(), skipped(Lang::Rust, &src));
        let mut extractor = Extractor::new();
        let refs = extractor.references_in_bodies(Lang::Rust, src.as_bytes(), "call_something").unwrap();
        assert_eq!(refs.len(), 15);
        let c = compare(&mut extractor, Lang::Rust, src.as_bytes()).unwrap();
        assert!(c.lost.is_empty() && c.gained.is_empty() && c.references_differ.is_empty(), "{c:?}");
    }

    #[test]
    fn rust_strings_lifetimes_and_comments_hide_braces_and_keywords() {
        let body = long(
            "\n    let s = \"} fn {\"; let r = r#\"}\"#; let c = '}'; let b = b'{';\n    // fn }\n    /* /* } */ fn */ let l: &'static str = s;",
        );
        let src = format!("fn a<'a>(x: &'a str) -> &'a str {{{body}\n}}\n");
        assert_eq!(skipped(Lang::Rust, &src), [src.trim_end()]);
    }

    #[test]
    fn rust_simple_items_are_left_out_and_defined_by_the_lexer() {
        let src = concat!(
            r#"//! Bindings.
use core::ffi::c_void;
pub const ERROR_A: WIN32_ERROR = 15705u32;
pub const ERROR_B: WIN32_ERROR = 15704u32;
#[cfg(windows)]
pub(crate) static mut COUNTER: [u8; 4] = [0; 4];
/// A handle.
pub type HANDLE = *mut c_void;
pub const GUID_X: GUID = GUID::from_u128(0x72cb6df3);
pub const NAME_W: PCWSTR = core::w!("logon");
pub type PFN = Option<unsafe extern "system" fn(a: u32) -> u32>;
pub const KEY: PROPERTYKEY = PROPERTYKEY { fmtid: GUID::from_u128(1), pid: 2 };
pub const NOT: u32 = !0 + (1 != 2) as u32;
pub const LIFE: &'static str = "a;b(c) \" fn";
pub const PTR: *const u8 = 0 as *const u8;
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ACE {
    pub Header: ACE_HEADER,
    pub(crate) Mask: [u8; 4],
    pub callback: Option<unsafe extern "system" fn(a: u32) -> u32>,
    map: HashMap<K, V>
}
pub struct Unit;
pub union Empty {}
pub struct Calls {
    pub a: [u8; size(1)],
}
const CALL: u32 = compute(1);
pub const METHOD: usize = X.len();
pub const MACRO: u32 = m!(1);
const BLOCK: u32 = { fn inner() -> u32 { 1 } 2 };
pub const RAW: &str = r"a\";
pub const SEMI: char = ';';
const _: () = ();
pub const fn f() -> u32 { 1 }
type Generic<T> = Vec<T>;
pub const TWO: u8 = 1; pub const ONE_LINE: u8 = 2;
mod inner {
    pub const IN_MOD: u32 = 1;
    pub const IN_MOD_2: u32 = 2;
}
pub const TRAILING: u32 = 0xFFFF_FFFF; // comment
const LOCAL: u32 = { struct Local; 1 };
pub struct Handlers<T> {
    pub on_event: Option<unsafe extern "C" fn(T)>,
}
pub const STRING: &str = "x";
"#,
            "pub const END_A: usize = 1 << 4;\r\npub const END_B: usize = END_A * 2;"
        );
        let left = left_out(Lang::Rust, src.as_bytes());
        let names: Vec<&str> = left.items.iter().map(|i| &src[i.name.clone()]).collect();
        let first = [
            "ERROR_A", "ERROR_B", "COUNTER", "HANDLE", "GUID_X", "NAME_W", "PFN", "KEY", "NOT", "LIFE", "PTR", "ACE",
            "Header", "Mask", "callback", "map", "Unit", "Empty",
        ];
        assert_eq!(names, [&first[..], &["Handlers", "on_event", "STRING", "END_A", "END_B"]].concat());
        let texts = skipped(Lang::Rust, src);
        // The `use` declaration too, joined to the comment before it.
        assert!(texts[0].starts_with("//! Bindings.\nuse") && texts[0].ends_with("pub union Empty {}"), "{texts:?}");
        assert!(texts[1].starts_with("pub struct Handlers<T>") && texts[1].ends_with("END_A * 2;"), "{texts:?}");
        assert_eq!(texts.len(), 2);
        // The lexer's definitions and the parse of what is left are a whole parse's symbols.
        let mut ex = Extractor::new();
        let whole = ex.extract_source(Lang::Rust, src.as_bytes()).unwrap();
        let fast = ex.extract_definitions(Lang::Rust, src.as_bytes()).unwrap();
        let references = ["compute", "len", "m", "size"];
        assert!(references.iter().all(|r| whole.iter().any(|s| s.name.as_str() == *r && s.role == Role::Reference)));
        let local = ["inner", "Local"];
        assert!(local.iter().all(|d| whole.iter().any(|s| s.name.as_str() == *d && s.role == Role::Definition)));
        assert!(whole.iter().any(|s| s.name.as_str() == "IN_MOD_2" && s.parent_index().is_some()));
        assert_eq!(fast, whole);
    }

    #[test]
    fn rust_one_line_signatures_in_extern_blocks_are_simple_items() {
        let src = r#"extern "C" {
    pub fn open(path: *const c_char, oflag: c_int, ...) -> c_int;
    #[link_name = "close$X"]
    pub fn close(fd: c_int) -> c_int;
    pub static mut environ: *const *const c_char;
    pub unsafe fn signal(sig: c_int, handler: Option<extern "C" fn(c_int)>) -> sighandler_t;
    fn private(&'static str);
    pub fn multi(
        a: c_int,
    ) -> c_int;
    pub fn generic<T>(t: T);
    pub fn commented(a: c_int); // comment
}
unsafe extern "system" {
    safe fn zero(a: u32) -> u32;
    unsafe fn one(a: u32) -> u32;
    pub fn two(b: u32) -> u32;
    pub fn three(c: u32) -> u32;
}
extern "C" fn defined(a: u32) -> u32 {
    a + 1
}
mod m {
    extern "C" {
        pub fn nested_a(a: u32) -> u32;
        pub fn nested_b(b: u32) -> u32;
    }
}
"#;
        let left = left_out(Lang::Rust, src.as_bytes());
        let names: Vec<&str> = left.items.iter().map(|i| &src[i.name.clone()]).collect();
        let names_expected =
            ["open", "close", "environ", "signal", "private", "multi", "one", "two", "three", "nested_a", "nested_b"];
        assert_eq!(names, names_expected);
        let mut ex = Extractor::new();
        let whole = ex.extract_source(Lang::Rust, src.as_bytes()).unwrap();
        assert_eq!(ex.extract_definitions(Lang::Rust, src.as_bytes()).unwrap(), whole);
        let defined = ["multi", "generic", "commented", "nested_a", "defined", "zero"];
        assert!(defined.iter().all(|d| whole.iter().any(|s| s.name.as_str() == *d && s.role == Role::Definition)));
    }

    #[test]
    fn rust_functions_whose_headers_and_bodies_define_nothing_are_left_out_whole() {
        let body = "\n    call_something(with, arguments);".repeat(2);
        let src = format!(
            r#"/// Docs.
#[inline]
pub(crate) const unsafe extern "C" fn top<'a, T: Fn(u8) -> u8>(x: &'a [u8; 4], f: impl FnMut()) -> !
where
    T: Clone,
{{{body}
}}
impl<T> S<T> {{
    pub const N: usize = 4;
    type Out = T;
    async fn method(&self) -> Option<fn(u32) -> u32> {{{body}
    }}
}}
pub trait Tr {{
    fn required(&self) -> u32;
    fn provided(&self) -> u32 {{{body}
    }}
}}
mod m {{
    use super::{{a, b::*}};
    fn in_mod() {{{body}
    }}
    mod declared;
}}
fn macro_type() -> ty!() {{{body}
}}
fn call_in_length() -> [u8; size(1)] {{{body}
}}
fn const_block() -> A<{{ 1 }}> {{{body}
}}
fn comment(/* c */) {{{body}
}}
fn defines() {{{body}
    struct Inner;
}}
"#
        );
        let left = left_out(Lang::Rust, src.as_bytes());
        use SymbolKind::*;
        let expected = [
            ("top", Function),
            ("S<T>", Impl),
            ("N", Constant),
            ("Out", Type),
            ("method", Method),
            ("required", Method),
            ("provided", Method),
            ("in_mod", Function),
            ("declared", Module),
        ];
        assert_eq!(items(&src), expected);
        // Each function's item spans it from its first word to its body's `}`.
        let top = &src[left.items[0].range.clone()];
        assert!(top.starts_with("pub(crate) const") && top.ends_with(&format!("{{{body}\n}}")), "{top}");
        // The other headers hold a macro, a call, a comment or a block: the bodies alone of the
        // first three are left out (a block in a header is taken for the body, and the lexer
        // leaves the function to the parser); `defines` is parsed but for its statements.
        let texts = skipped(Lang::Rust, &src);
        let plain = format!("{body}\n");
        assert_eq!(texts[texts.len() - 4..], [&plain, &plain, &plain, &body]);
        // The same definitions as a whole parse, with their parents (`method` in `S<T>`'s scope),
        // and the references in the bodies found when asked for.
        let mut ex = Extractor::new();
        let c = compare(&mut ex, Lang::Rust, src.as_bytes()).unwrap();
        assert!(c.lost.is_empty() && c.gained.is_empty() && c.references_differ.is_empty(), "{c:?}");
        let fast = ex.extract_definitions(Lang::Rust, src.as_bytes()).unwrap();
        let method = fast.iter().find(|s| s.name.as_str() == "method").unwrap();
        assert_eq!(fast[method.parent_index().unwrap()].name.as_str(), "S<T>");
        // (`const_block`'s body was parsed.)
        let calls = ex.references_in_bodies(Lang::Rust, src.as_bytes(), "call_something").unwrap();
        assert_eq!(calls.len(), 16);
        assert_eq!(fast.iter().filter(|s| s.name.as_str() == "call_something").count(), 2);
    }

    #[test]
    fn rust_impls_holding_only_items_are_left_out_whole_with_their_scope_and_reference() {
        let src = r#"impl ::core::marker::Copy for HANDLE {}
impl ::core::clone::Clone for HANDLE {
    fn clone(&self) -> Self {
        *self
    }
}
impl Clone for Plain {
    fn clone(&self) -> Self { *self }
}
impl<T: Clone> From<T> for Wrapper<T>
where
    T: Default,
{
    /// Wraps.
    fn from(t: T) -> Self { Wrapper(t) }
}
impl Inherent {
    pub const ZERO: u32 = 0;
}
unsafe impl Send for u32 {}
impl<'a> Trait for &'a Thing {}
impl Called {
    fn f() { g(); }
    m!();
}
"#;
        let left = left_out(Lang::Rust, src.as_bytes());
        let items: Vec<_> = left.items.iter().map(|i| (&src[i.name.clone()], i.kind, i.role)).collect();
        use {Role::*, SymbolKind::*};
        let expected = [
            ("HANDLE", Impl, Scope),
            ("HANDLE", Impl, Scope),
            ("clone", Method, Definition),
            ("Plain", Impl, Scope),
            ("Clone", Impl, Reference),
            ("clone", Method, Definition),
            ("Wrapper<T>", Impl, Scope),
            ("from", Method, Definition),
            ("Inherent", Impl, Scope),
            ("Inherent", Impl, Reference),
            ("ZERO", Constant, Definition),
            ("Send", Impl, Reference),
        ];
        assert_eq!(items, expected);
        // A reference type is no path; a macro called by a bare name is tagged.
        let texts = skipped(Lang::Rust, src);
        assert_eq!(texts.len(), 1);
        assert!(texts[0].ends_with("unsafe impl Send for u32 {}"), "{texts:?}");
        let mut ex = Extractor::new();
        let whole = ex.extract_source(Lang::Rust, src.as_bytes()).unwrap();
        let fast = ex.extract_definitions(Lang::Rust, src.as_bytes()).unwrap();
        // All but the call in `from`'s body, found on request; parents compared by name below.
        let key = |s: &Symbol| (s.name, s.kind, s.role, s.range, s.name_range);
        let fast_keys: Vec<_> = fast.iter().map(key).collect();
        let missing: Vec<&str> =
            whole.iter().filter(|s| !fast_keys.contains(&key(s))).map(|s| s.name.as_str()).collect();
        assert_eq!((missing, fast.len()), (vec!["Wrapper"], whole.len() - 1));
        let c = compare(&mut ex, Lang::Rust, src.as_bytes()).unwrap();
        assert!(c.lost.is_empty() && c.gained.is_empty() && c.references_differ.is_empty(), "{c:?}");
    }

    #[test]
    fn a_file_ending_in_a_string_after_a_backslash_skips_nothing() {
        for (lang, src) in
            [(Lang::Rust, "fn f() {\n    let s = \"abc\\"), (Lang::C, "int f(void) {\n\tchar *s = \"abc\\")]
        {
            assert!(skipped(lang, src).is_empty(), "{src:?}");
            let mut ex = Extractor::new();
            assert!(ex.extract_definitions(lang, src.as_bytes()).is_ok());
        }
    }

    #[test]
    fn rust_one_simple_item_alone_is_parsed() {
        let src = "pub const A: u8 = 1;\nfn main() {}\n";
        let left = left_out(Lang::Rust, src.as_bytes());
        assert!(left.ranges.is_empty() && left.items.is_empty(), "{left:?}");
    }

    #[test]
    fn rust_enums_tables_and_macros_called_by_a_path_are_left_out_whole() {
        let src = r#"#[repr(u32)]
pub enum nl_mmap_status {
    /// Unused.
    NL_MMAP_STATUS_UNUSED = 0,
    #[default]
    NL_MMAP_STATUS_RESERVED = 1,

    Tuple(u32, Option<Box<T>>),
    Last
}
pub struct Documented<'a, T: ?Sized> {
    /// The sorted sequence of non-overlapping transitions.
    #[serde(rename = "t")]
    pub transitions: &'a [T],
}
pub const OLD_SOGDIAN: &'static [(char, char)] = &[
    ('\u{10f00}', '𐼧'), ('\'', '\\'),
    (b'x' as char, 'y'),
];
windows_link::link!("kernel32.dll" "system" fn CreateDirectoryW(lppathname : PCWSTR) -> BOOL);
::windows_targets::link!("gdi32.dll" "system" fn EngMarkBandingSurface(hsurf : HSURF) -> BOOL);
pub enum Kept {
    Struct { field: u32 },
    Shifted = 1 << 2,
}
pub struct Default<T = u32> {
    field: T,
}
bare_macro!(is, a, reference);
"#;
        use SymbolKind::*;
        let expected = [
            ("nl_mmap_status", Enum),
            ("NL_MMAP_STATUS_UNUSED", EnumMember),
            ("NL_MMAP_STATUS_RESERVED", EnumMember),
            ("Tuple", EnumMember),
            ("Last", EnumMember),
            ("Documented", Struct),
            ("transitions", Field),
            ("OLD_SOGDIAN", Constant),
        ];
        assert_eq!(items(src), expected);
        // Everything up to the enum the lexer is unsure of is one range, the macros called by a
        // path included; a struct variant holds fields, `<<` and a default are not read.
        let texts = skipped(Lang::Rust, src);
        assert_eq!(texts.len(), 1, "{texts:?}");
        assert!(texts[0].starts_with("#[repr(u32)]") && texts[0].ends_with("-> BOOL);"), "{texts:?}");
        let mut ex = Extractor::new();
        let whole = ex.extract_source(Lang::Rust, src.as_bytes()).unwrap();
        assert_eq!(ex.extract_definitions(Lang::Rust, src.as_bytes()).unwrap(), whole);
        assert!(whole.iter().any(|s| s.name.as_str() == "bare_macro" && s.role == Role::Reference));
    }

    #[test]
    fn rust_macro_arguments_are_left_out_whole_and_hold_no_bodies() {
        let args = long("\n    fn inside() { call(); }");
        let src =
            format!("my_macro! {{{args}\n}}\nfn f() -> bool {{\n    if !ready {{ return false; }}\n    true\n}}\n");
        // The macro's arguments are skipped (tokens to the parser), but they are not a body where
        // calls are found later; `if !ready {` is no macro.
        assert_eq!(skipped(Lang::Rust, &src), [format!("{args}\n")]);
        assert!(bodies_mentioning(Lang::Rust, src.as_bytes(), b"call").is_empty());
    }

    #[test]
    fn rust_attributes_alone_on_their_lines_join_comment_runs_unless_they_call_macros() {
        let attrs = "/// Docs.\n#[derive(Debug, Clone)]\n#[doc = \"a ] in a string\"]\n/// More docs.";
        let src = format!("{attrs}\n#[doc = include_str!(\"README.md\")]\n#[inline] fn f() {{}}\n");
        assert_eq!(skipped(Lang::Rust, &src), [attrs]);
    }

    #[test]
    fn c_skips_bodies_after_a_parameter_list() {
        let body = long("\n\tstruct foo *p = get(); int n = sizeof(struct foo);\n#ifdef X\n\tint a;\n#endif\nout:");
        let src = format!("static int f(int a)\n{{{body}\n}}\nstruct s {{ int a; }};\nint g = {{ 1 }};\n");
        assert_eq!(skipped(Lang::C, &src), [format!("{body}\n")]);
    }

    #[test]
    fn c_keeps_bodies_that_define_or_confuse_the_lexer() {
        for inner in ["\n\tstruct local { int a; } x;", "\n#define X 1", "\nint g(void)"] {
            let body = long(inner);
            let src = format!("int f(void)\n{{{body}\n}}\n");
            assert!(skipped(Lang::C, &src).is_empty(), "{inner:?}");
        }
    }

    #[test]
    fn c_skips_file_level_initializers_unless_they_define_or_confuse_the_lexer() {
        let table = long("\n\t.open = f_open,\n\t.name = \"}\", /* } */\n\t.ops = { 1, 2 },");
        let src = format!("static const struct file_operations fops = {{{table}\n}};\nint g = {{ 1 }};\n");
        assert_eq!(skipped(Lang::C, &src), [format!("{table}\n")]);
        // Not C++'s (`= {` there may open a lambda's or a class's braces).
        assert!(skipped(Lang::Cpp, &src).is_empty());
        // A `struct s x = {` defines no struct: the initializer is still left out.
        let src = format!("struct s x = {{{table}\n}}, y;\n");
        assert_eq!(skipped(Lang::C, &src), [format!("{table}\n")]);
        for inner in ["\n#define X 1", "\nFOO(1),", "\n\t(struct local { int a; }){ 1 },"] {
            let table = long(inner);
            let src = format!("int t[] = {{{table}\n}};\n");
            assert!(skipped(Lang::C, &src).is_empty(), "{inner:?}");
        }
    }

    #[test]
    fn unbalanced_preprocessor_branches_skip_nothing() {
        let body = long("\n\tx();");
        let src =
            format!("#ifdef A\nint f(int a) {{\n#else\nint f(void) {{\n#endif{body}\n}}\nint g(void)\n{{{body}\n}}\n");
        assert!(skipped(Lang::C, &src).is_empty());
    }

    #[test]
    fn cpp_bodies_after_qualifiers_are_skipped_and_classes_kept() {
        let body = long("\n        auto s = R\"x(})x\"; int n = 1'000;");
        let src = format!("class A {{\n    int f() const {{{body}\n    }}\n}};\n");
        assert_eq!(skipped(Lang::Cpp, &src), [format!("{body}\n    ")]);
    }
}
