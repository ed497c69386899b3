//! Parsing and tag extraction: tree-sitter parse + the language's tags query -> [`Symbol`]s.
//!
//! An [`Extractor`] is owned by one worker and reused for every file it handles (one parser per
//! language, one query cursor). Extraction never fails on bad source: tree-sitter recovers and a
//! partial tree still yields symbols. A per-file time budget (the parse progress callback) keeps a
//! pathological file from stalling a worker. No IO, no LSP types.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use tree_sitter::{Node, ParseOptions, Parser, Point, QueryCursor, StreamingIterator, Tree};

use crate::lang::Lang;
use crate::symbol::{Name, Pos, Role, Span, Symbol, SymbolKind, NO_PARENT};

/// Default time a single parse may take before it is abandoned.
pub const DEFAULT_PARSE_BUDGET: Duration = Duration::from_secs(3);

/// Why a file produced no tree.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("parse exceeded its {0:?} budget")]
    Timeout(Duration),
    #[error("grammar for {0} could not be loaded")]
    Grammar(&'static str),
}

/// Per-worker parsing state: parsers by language and a reusable query cursor.
pub struct Extractor {
    parsers: HashMap<Lang, Parser>,
    cursor: QueryCursor,
    budget: Duration,
}

impl Default for Extractor {
    fn default() -> Self {
        Self::new()
    }
}

impl Extractor {
    pub fn new() -> Self {
        Self { parsers: HashMap::new(), cursor: QueryCursor::new(), budget: DEFAULT_PARSE_BUDGET }
    }

    /// Parses `source`, reusing `old_tree` (already edited with `Tree::edit`) when given.
    pub fn parse(&mut self, lang: Lang, source: &[u8], old_tree: Option<&Tree>) -> Result<Tree, ParseError> {
        let parser = match self.parsers.entry(lang) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let mut parser = Parser::new();
                parser.set_language(&lang.grammar()).map_err(|_| ParseError::Grammar(lang.name()))?;
                e.insert(parser)
            }
        };
        let deadline = Instant::now() + self.budget;
        let mut over_budget = |_: &tree_sitter::ParseState| {
            if Instant::now() > deadline {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let options = ParseOptions::new().progress_callback(&mut over_budget);
        let len = source.len();
        let tree = parser.parse_with_options(
            &mut |offset: usize, _: Point| if offset < len { &source[offset..] } else { &[][..] },
            old_tree,
            Some(options),
        );
        match tree {
            Some(tree) => Ok(tree),
            None => {
                // An abandoned parse leaves the parser mid-way: reset it for the next file.
                parser.reset();
                Err(ParseError::Timeout(self.budget))
            }
        }
    }

    /// Runs the tags query over `tree` (parsed from `source`) and returns the file's symbols,
    /// ordered by position, with parents linked.
    pub fn extract(&mut self, lang: Lang, tree: &Tree, source: &[u8]) -> Vec<Symbol> {
        link(self.collect(lang, tree, source, None))
    }

    /// Re-extracts only the tags whose nodes intersect `bytes` and merges them with `kept`, the
    /// still-valid symbols from before an edit (already moved to the new positions). Tags in both
    /// are taken from the new extraction.
    pub fn extract_incremental(
        &mut self,
        lang: Lang,
        tree: &Tree,
        source: &[u8],
        bytes: std::ops::Range<usize>,
        kept: Vec<Symbol>,
    ) -> Vec<Symbol> {
        let fresh = self.collect(lang, tree, source, Some(bytes));
        let key = |s: &Symbol| (s.name_range.start, s.name_range.end, s.role == Role::Reference);
        let fresh_keys: std::collections::HashSet<_> = fresh.iter().map(key).collect();
        let mut all: Vec<Symbol> = kept.into_iter().filter(|s| !fresh_keys.contains(&key(s))).collect();
        all.extend(fresh);
        link(all)
    }

    /// Runs the query (over `range` only, if given) and returns unlinked symbols.
    fn collect(
        &mut self,
        lang: Lang,
        tree: &Tree,
        source: &[u8],
        range: Option<std::ops::Range<usize>>,
    ) -> Vec<Symbol> {
        let query = lang.tags_query();
        let tags = TagCaptures::of(query);
        let mut raw: Vec<RawTag> = Vec::new();
        // (name start, name end, is reference) -> index in `raw`: one tag per name node and role,
        // the earliest pattern winning (a method matches both `method` and `function` patterns).
        let mut seen: HashMap<(usize, usize, bool), usize> = HashMap::new();
        self.cursor.set_byte_range(range.unwrap_or(0..usize::MAX));
        let mut matches = self.cursor.matches(query, tree.root_node(), source);
        while let Some(m) = matches.next() {
            let mut name_node: Option<Node> = None;
            let mut tag: Option<(Node, Role, SymbolKind)> = None;
            for capture in m.captures() {
                let index = capture.index as usize;
                if Some(index) == tags.name {
                    name_node.get_or_insert(capture.node);
                } else if let Some((role, kind)) = tags.roles[index] {
                    tag = Some((capture.node, role, kind));
                }
            }
            let (Some(name_node), Some((node, role, kind))) = (name_node, tag) else { continue };
            let Some(text) = name_text(source, name_node) else { continue };
            let key = (name_node.start_byte(), name_node.end_byte(), role == Role::Reference);
            let candidate = RawTag {
                pattern: m.pattern_index,
                symbol: Symbol {
                    name: text,
                    kind,
                    role,
                    range: span(source, node),
                    name_range: span(source, name_node),
                    parent: NO_PARENT,
                },
            };
            match seen.get(&key) {
                Some(&i) if raw[i].pattern <= candidate.pattern => {}
                Some(&i) => raw[i] = candidate,
                None => {
                    seen.insert(key, raw.len());
                    raw.push(candidate);
                }
            }
        }
        raw.into_iter().map(|t| t.symbol).collect()
    }

    /// Parses and extracts in one step.
    pub fn extract_source(&mut self, lang: Lang, source: &[u8]) -> Result<Vec<Symbol>, ParseError> {
        let tree = self.parse(lang, source, None)?;
        Ok(self.extract(lang, &tree, source))
    }
}

/// The identifier-like node at a byte offset (or just before it), with its text.
/// Used to find "the name under the cursor" for definition, references and hover.
pub fn identifier_at<'t>(tree: &'t Tree, source: &[u8], offset: usize) -> Option<(String, Node<'t>)> {
    let root = tree.root_node();
    let candidates = [offset, offset.saturating_sub(1)];
    for at in candidates {
        let Some(node) = root.descendant_for_byte_range(at, at) else { continue };
        if node.child_count() == 0 && is_identifier_like(node, source) {
            let text = std::str::from_utf8(&source[node.byte_range()]).ok()?;
            return Some((text.to_owned(), node));
        }
    }
    None
}

fn is_identifier_like(node: Node<'_>, source: &[u8]) -> bool {
    let kind = node.kind();
    if kind.contains("identifier")
        || kind == "word"
        || kind == "name"
        || kind == "constant"
        || kind == "variable"
        || kind == "constructor"
    {
        return true;
    }
    // Anonymous or oddly named leaves: accept if the text looks like a name.
    let bytes = &source[node.byte_range()];
    !bytes.is_empty()
        && bytes.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80)
        && !bytes[0].is_ascii_digit()
}

/// Capture ids of a tags query, resolved once per query.
struct TagCaptures {
    name: Option<usize>,
    roles: Vec<Option<(Role, SymbolKind)>>,
}

impl TagCaptures {
    fn of(query: &tree_sitter::Query) -> TagCaptures {
        let names = query.capture_names();
        let name = names.iter().position(|n| *n == "name");
        let roles = names
            .iter()
            .map(|n| {
                if let Some(kind) = n.strip_prefix("definition.") {
                    Some((Role::Definition, SymbolKind::from_tag(kind)))
                } else if let Some(kind) = n.strip_prefix("reference.") {
                    Some((Role::Reference, SymbolKind::from_tag(kind)))
                } else {
                    n.strip_prefix("scope.").map(|kind| (Role::Scope, SymbolKind::from_tag(kind)))
                }
            })
            .collect();
        TagCaptures { name, roles }
    }
}

struct RawTag {
    pattern: usize,
    symbol: Symbol,
}

fn name_text(source: &[u8], node: Node<'_>) -> Option<Name> {
    let bytes = source.get(node.byte_range())?;
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if text.is_empty() || text.contains('\n') || text.len() > 256 {
        return None;
    }
    Some(Name::new(text))
}

/// Orders symbols by position (outer constructs before inner ones at the same start) and links
/// each to its innermost enclosing definition or scope.
fn link(mut symbols: Vec<Symbol>) -> Vec<Symbol> {
    symbols.sort_by(|a, b| {
        a.range
            .start
            .cmp(&b.range.start)
            .then(b.range.end.cmp(&a.range.end))
            .then(a.name_range.start.cmp(&b.name_range.start))
    });
    // Stack of (end, index) of open definitions/scopes.
    let mut open: Vec<(Pos, u32)> = Vec::new();
    for (index, symbol) in symbols.iter_mut().enumerate() {
        let end = symbol.range.end;
        while open.last().is_some_and(|&(open_end, _)| open_end < end) {
            open.pop();
        }
        symbol.parent = open.last().map_or(NO_PARENT, |&(_, i)| i);
        if symbol.role != Role::Reference {
            open.push((end, index as u32));
        }
    }
    symbols
}

fn span(source: &[u8], node: Node<'_>) -> Span {
    Span {
        start: pos(source, node.start_position(), node.start_byte()),
        end: pos(source, node.end_position(), node.end_byte()),
    }
}

/// Builds a [`Pos`] from a tree-sitter point and its byte offset, counting UTF-16 units on the line.
pub fn pos(source: &[u8], point: Point, byte: usize) -> Pos {
    let line_start = byte.saturating_sub(point.column);
    let prefix = source.get(line_start..byte).unwrap_or_default();
    Pos { line: point.row as u32, col: point.column as u32, col16: utf16_len(prefix) as u32 }
}

/// UTF-16 length of (possibly invalid) UTF-8 bytes; invalid bytes count one unit each.
pub fn utf16_len(bytes: &[u8]) -> usize {
    if bytes.is_ascii() {
        return bytes.len();
    }
    let mut units = 0;
    for chunk in bytes.utf8_chunks() {
        units += chunk.valid().chars().map(char::len_utf16).sum::<usize>();
        units += chunk.invalid().len();
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symbol::container_name;

    fn defs(lang: Lang, src: &str) -> Vec<(String, &'static str, Option<&'static str>)> {
        let symbols = Extractor::new().extract_source(lang, src.as_bytes()).unwrap();
        symbols
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_definition())
            .map(|(i, s)| (s.name.as_str().to_owned(), s.kind.label(), container_name(&symbols, i)))
            .collect()
    }

    #[test]
    fn rust_methods_get_their_impl_as_container_and_no_duplicate() {
        let got = defs(Lang::Rust, "struct Foo;\nimpl Foo {\n    fn bar(&self) {}\n}\nfn free() {}\n");
        assert_eq!(
            got,
            vec![
                ("Foo".to_owned(), "struct", None),
                ("bar".to_owned(), "method", Some("Foo")),
                ("free".to_owned(), "function", None)
            ]
        );
    }

    #[test]
    fn broken_source_still_yields_symbols() {
        let got = defs(Lang::Python, "def ok():\n    pass\n\ndef broken(:\n\nclass Later:\n    def m(self): pass\n");
        let names: Vec<&str> = got.iter().map(|(n, _, _)| n.as_str()).collect();
        assert!(names.contains(&"ok") && names.contains(&"Later") && names.contains(&"m"), "{names:?}");
    }

    #[test]
    fn utf16_columns_count_astral_characters_twice() {
        let src = "let a = 1;\n// 😀\nconst s = '😀é'; function g() {}\n";
        let symbols = Extractor::new().extract_source(Lang::JavaScript, src.as_bytes()).unwrap();
        let g = symbols.iter().find(|s| s.name.as_str() == "g").unwrap();
        // `const s = '😀é'; function ` is 29 bytes but 26 UTF-16 units (😀: 4 bytes, 2 units; é: 2, 1).
        assert_eq!((g.name_range.start.line, g.name_range.start.col, g.name_range.start.col16), (2, 29, 26));
        assert_eq!(utf16_len("😀é".as_bytes()), 3);
        assert_eq!(utf16_len(b"a\xffb"), 3);
    }
}
