//! Parsing and tag extraction: tree-sitter parse + the language's tags query -> [`Symbol`]s.
//!
//! An [`Extractor`] is owned by one worker and reused for every file it handles (one parser per
//! language, one query cursor). Extraction never fails on bad source: tree-sitter recovers and a
//! partial tree still yields symbols. A per-file time budget (the parse progress callback) keeps a
//! pathological file from stalling a worker. Text is read through [`Text`], so an open document's
//! rope is parsed in place. After an edit, [`changed_range`] tells what the reparse changed and
//! [`Extractor::extract_edited`] re-extracts only the top-level nodes there (`roots` rewrites the
//! patterns rooted at the file's root for that). No IO, no LSP types.

mod diff;
mod direct;
mod roots;
pub mod skip;
mod skip_python;

use std::ops::{ControlFlow, Range};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rustc_hash::{FxHashMap, FxHashSet};
use tree_sitter::{Node, ParseOptions, Parser, Point, Query, QueryCursor, StreamingIterator, Tree};

pub use diff::{changed_range, error_nodes, error_ranges};

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
    #[error("extracting its symbols failed (a bug in symdex: the file is left out, nothing else)")]
    Failed,
}

/// Source text as the parser reads it: contiguous bytes, or the chunks of a rope.
pub trait Text {
    /// Length in bytes.
    fn len(&self) -> usize;

    /// The bytes from `offset` to the end of the chunk holding it; empty at or past the end.
    fn chunk_at(&self, offset: usize) -> &[u8];

    /// The byte offset where zero-based line `line` starts (the length if there is no such line).
    /// The default counts lines from the start.
    fn line_start(&self, line: usize) -> usize {
        if line == 0 {
            return 0;
        }
        let (mut seen, mut at) = (0, 0);
        for chunk in (Chunks { text: self, at: 0, end: self.len() }) {
            for (i, _) in chunk.iter().enumerate().filter(|(_, &b)| b == b'\n') {
                seen += 1;
                if seen == line {
                    return at + i + 1;
                }
            }
            at += chunk.len();
        }
        self.len()
    }

    /// The byte offset of a position.
    fn offset(&self, pos: Pos) -> usize {
        (self.line_start(pos.line as usize) + pos.col as usize).min(self.len())
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Text for [u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }

    fn chunk_at(&self, offset: usize) -> &[u8] {
        self.get(offset..).unwrap_or_default()
    }
}

/// What an edit changed, in the new text: the tags touching it are extracted again.
#[derive(Clone, Debug)]
pub struct Damage {
    /// The bytes, as from [`changed_range`].
    pub bytes: Range<usize>,
    /// The position of `bytes.start`.
    pub start: Pos,
    /// The position of `bytes.end`.
    pub end: Pos,
}

/// One edit, as [`Extractor::extract_edited`] sees it.
pub struct Reparse<'a> {
    /// The tree before the edit, edited (`Tree::edit`) to match the new text.
    pub old_tree: &'a Tree,
    /// The incremental reparse of the new text.
    pub tree: &'a Tree,
    /// What the reparse changed.
    pub damage: Damage,
}

/// Per-worker parsing state: parsers by language and a reusable query cursor.
pub struct Extractor {
    parsers: FxHashMap<Lang, Parser>,
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
        Self { parsers: FxHashMap::default(), cursor: QueryCursor::new(), budget: DEFAULT_PARSE_BUDGET }
    }

    /// Parses `source`, reusing `old_tree` (already edited with `Tree::edit`) when given.
    pub fn parse(&mut self, lang: Lang, source: &[u8], old_tree: Option<&Tree>) -> Result<Tree, ParseError> {
        self.parse_text(lang, source, old_tree)
    }

    /// [`Extractor::parse`] over any [`Text`], read chunk by chunk.
    pub fn parse_text<T: Text + ?Sized>(
        &mut self,
        lang: Lang,
        text: &T,
        old_tree: Option<&Tree>,
    ) -> Result<Tree, ParseError> {
        let budget = self.budget;
        let parser = self.parser(lang)?;
        let deadline = Instant::now() + budget;
        let mut over_budget = |_: &tree_sitter::ParseState| {
            if Instant::now() > deadline {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let options = ParseOptions::new().progress_callback(&mut over_budget);
        let tree =
            parser.parse_with_options(&mut |offset: usize, _: Point| text.chunk_at(offset), old_tree, Some(options));
        match tree {
            Some(tree) => Ok(tree),
            None => {
                // An abandoned parse leaves the parser mid-way: reset it for the next file.
                parser.reset();
                Err(ParseError::Timeout(budget))
            }
        }
    }

    /// This worker's parser for `lang`.
    fn parser(&mut self, lang: Lang) -> Result<&mut Parser, ParseError> {
        Ok(match self.parsers.entry(lang) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let mut parser = Parser::new();
                parser.set_language(&lang.grammar()).map_err(|_| ParseError::Grammar(lang.name()))?;
                e.insert(parser)
            }
        })
    }

    /// The file's symbols in `tree` (parsed from `source`), ordered by position, with parents
    /// linked: those of the tags query, found by hand for the languages `direct` knows (Python,
    /// Rust, C, C++), by the query for the others.
    pub fn extract(&mut self, lang: Lang, tree: &Tree, source: &[u8]) -> Vec<Symbol> {
        direct::extract(lang, tree, source).unwrap_or_else(|| self.extract_text(lang, tree, source))
    }

    /// Runs the tags query over `tree` (parsed from `text`) and returns the file's symbols, ordered
    /// by position, with parents linked: over any [`Text`], and with the query whatever the
    /// language (the reference that [`Extractor::extract`] by hand must equal).
    pub fn extract_text<T: Text + ?Sized>(&mut self, lang: Lang, tree: &Tree, text: &T) -> Vec<Symbol> {
        let mut tags = Tags::default();
        self.cursor.set_byte_range(0..usize::MAX).set_containing_byte_range(0..usize::MAX).set_max_start_depth(None);
        tags.collect(&mut self.cursor, (lang.tags_query(), TagCaptures::of_tags(lang)), None, tree.root_node(), text);
        link(tags.into_symbols())
    }

    /// Re-extracts after one edit: `symbols` (those before the edit) become those after it, equal
    /// to a full extraction of `edit.tree`; returns whether they changed. The tags touching
    /// `edit.damage` are extracted again, the others are kept and moved by `shift` (from a position
    /// before the edit to after it).
    ///
    /// The queries are confined to the top-level nodes around the damage, with the patterns rooted
    /// at the root rewritten (see `roots`), and only the old symbols inside those nodes are looked
    /// at. A name can be tagged by several patterns, the earliest winning, and the query cursor
    /// returns the matches whose root intersects a byte range: all the matches for the names inside
    /// it, only some for the names outside. So re-extracted tags are taken only for names inside a
    /// queried range, and a tag dropped because it touches the damage while its name lies outside
    /// (a function whose body changed) gets a query over its name.
    pub fn extract_edited<T: Text + ?Sized>(
        &mut self,
        lang: Lang,
        edit: &Reparse,
        text: &T,
        symbols: &mut Vec<Symbol>,
        shift: impl Fn(Pos) -> Pos,
    ) -> bool {
        let (root, old_root) = (edit.tree.root_node(), edit.old_tree.root_node());
        let plan = roots::plan(lang).filter(|p| p.root_kind == root.kind_id() && p.root_kind == old_root.kind_id());
        let Some(plan) = plan else { return self.replace_all(lang, edit.tree, text, symbols) };
        let mut damage = edit.damage.clone();
        widen(&mut damage, plan, [root, old_root], text);
        let damage = &damage;
        let touches = |s: &Symbol| {
            let touch = |span: &Span| span.end >= damage.start && span.start <= damage.end;
            touch(&s.range) || touch(&s.name_range)
        };
        // One byte wider on each side, so that every node touching the damage is seen again.
        let range = damage.bytes.start.saturating_sub(1)..(damage.bytes.end + 1).min(text.len().max(1));
        let mut search = Search::new(plan);
        search.run(&mut self.cursor, lang, root, range.clone(), text);
        // The old symbols to look at: those of the top-level nodes touching the damage, before the
        // edit and after it. A symbol across the edge of that window (no tag should be) or a tag
        // outside it would break the splice below: then everything is extracted again.
        let mut window = damage.start..damage.end;
        let widen = |window: &mut Range<Pos>, nodes: &[Node]| {
            for node in nodes {
                window.start = window.start.min(pos(text, node.start_position(), node.start_byte()));
                window.end = window.end.max(pos(text, node.end_position(), node.end_byte()));
            }
        };
        widen(&mut window, &search.top);
        widen(&mut window, &top_level(old_root, &range));
        let Some((before, after)) = split_at(symbols, &window, &shift) else {
            return self.replace_all(lang, edit.tree, text, symbols);
        };
        // The tags that touch the damage replace the old ones there: their names need all their
        // tags, those dropped from before and those found now.
        let mut names: Vec<Range<usize>> = symbols[before..after]
            .iter()
            .map(|s| shift_symbol(s, &shift))
            .filter(touches)
            .map(|s| text.offset(s.name_range.start)..text.offset(s.name_range.end))
            .collect();
        loop {
            names.extend(search.tags.raw.iter().filter(|t| touches(&t.symbol)).map(|t| t.name.clone()));
            let queried = search.ranges.len();
            for name in names.drain(..) {
                search.complete(&mut self.cursor, lang, root, name, text);
            }
            if search.ranges.len() == queried {
                break;
            }
        }
        widen(&mut window, &search.top);
        let Some((before, after)) = split_at(symbols, &window, &shift) else {
            return self.replace_all(lang, edit.tree, text, symbols);
        };
        // An old symbol stays unless it touches the damage, or its name was queried again, or a
        // fresh tag replaces it.
        let fresh = search.fresh();
        let keys: FxHashSet<_> = fresh.iter().map(key).collect();
        let ranges = &search.ranges;
        let keep = |s: &Symbol| {
            let (start, end) = (text.offset(s.name_range.start), text.offset(s.name_range.end));
            !touches(s) && !keys.contains(&key(s)) && !ranges.iter().any(|r| covers(r, start, end))
        };
        merge_window(symbols, fresh, before..after, keep, shift)
    }

    /// The symbols of `source` standing alone, in its own coordinates, when `source` is the text
    /// of whole top-level nodes of a file in `lang` and these are the symbols the file has there:
    /// `source` parses without an error, and the language's tags of a top-level node depend on
    /// nothing outside it (the query has a [`roots::Plan`] whose root's children do not depend
    /// on their siblings). `None` otherwise.
    pub fn extract_top_level(&mut self, lang: Lang, source: &[u8]) -> Option<Vec<Symbol>> {
        let plan = roots::plan(lang)?;
        if plan.siblings.binary_search(&plan.root_kind).is_ok() {
            return None;
        }
        let tree = self.parse(lang, source, None).ok()?;
        let root = tree.root_node();
        if root.has_error() || root.kind_id() != plan.root_kind {
            return None;
        }
        Some(self.extract(lang, &tree, source))
    }

    /// Replaces `symbols` by a full extraction; returns whether they changed.
    fn replace_all<T: Text + ?Sized>(&mut self, lang: Lang, tree: &Tree, text: &T, symbols: &mut Vec<Symbol>) -> bool {
        let fresh = self.extract_text(lang, tree, text);
        let changed = fresh != *symbols;
        *symbols = fresh;
        changed
    }

    /// Parses and extracts in one step.
    pub fn extract_source(&mut self, lang: Lang, source: &[u8]) -> Result<Vec<Symbol>, ParseError> {
        let tree = self.parse(lang, source, None)?;
        Ok(self.extract(lang, &tree, source))
    }

    /// Parses and extracts a file for the index, leaving out the function bodies that hold no
    /// definition and the simple items whose definitions the lexer makes (`skip`): the same
    /// definitions as [`Extractor::extract_source`], and the same references outside the skipped
    /// bodies.
    pub fn extract_definitions(&mut self, lang: Lang, source: &[u8]) -> Result<Vec<Symbol>, ParseError> {
        let left_out = skip::left_out(lang, source);
        if left_out.ranges.is_empty() {
            return self.extract_source(lang, source);
        }
        match self.parse_within(lang, source, &complement(&left_out.ranges, source.len()))? {
            Some(tree) if left_out.items.is_empty() => Ok(self.extract(lang, &tree, source)),
            Some(tree) => {
                let mut symbols = self.extract(lang, &tree, source);
                symbols.extend(skip::item_symbols(source, &left_out.items));
                Ok(link(symbols))
            }
            None => self.extract_source(lang, source),
        }
    }

    /// Parses only the byte `ranges` (sorted, disjoint) of `source`; `None` when the parser
    /// refuses the ranges. The parser is left reading whole documents again.
    fn parse_within(&mut self, lang: Lang, source: &[u8], ranges: &[Range<usize>]) -> Result<Option<Tree>, ParseError> {
        if self.parser(lang)?.set_included_ranges(&points(source, ranges)).is_err() {
            return Ok(None);
        }
        let tree = self.parse(lang, source, None);
        // An empty list means everything.
        self.parser(lang)?.set_included_ranges(&[]).expect("the empty range list is valid");
        tree.map(Some)
    }

    /// The references to `name` inside the bodies that [`Extractor::extract_definitions`] skipped,
    /// found by parsing those bodies that mention it, alone. With the references that
    /// `extract_definitions` returned, these are the file's references to `name`.
    pub fn references_in_bodies(&mut self, lang: Lang, source: &[u8], name: &str) -> Result<Vec<Symbol>, ParseError> {
        if lang == Lang::Python {
            return self.references_in_python_bodies(source, name);
        }
        let bodies = skip::bodies_mentioning(lang, source, name.as_bytes());
        if bodies.is_empty() {
            return Ok(Vec::new());
        }
        // A block alone is a statement at the top of every grammar here: it parses as it did inside.
        let Some(tree) = self.parse_within(lang, source, &bodies)? else { return Ok(Vec::new()) };
        let mut refs = self.extract(lang, &tree, source);
        refs.retain(|s| s.role == Role::Reference && s.name.as_str() == name);
        for s in &mut refs {
            s.parent = NO_PARENT;
        }
        Ok(refs)
    }

    /// [`Extractor::references_in_bodies`] for Python, whose bodies cannot be parsed alone (they
    /// are indented lines, not blocks): the whole file is parsed when a skipped body mentions
    /// `name`, and the references inside those bodies are kept.
    fn references_in_python_bodies(&mut self, source: &[u8], name: &str) -> Result<Vec<Symbol>, ParseError> {
        let finder = memchr::memmem::Finder::new(name.as_bytes());
        let mut bodies = skip::body_ranges(Lang::Python, source);
        bodies.retain(|r| finder.find(&source[r.clone()]).is_some());
        if bodies.is_empty() {
            return Ok(Vec::new());
        }
        let bodies = points(source, &bodies);
        let inside = |s: &Symbol| {
            let (start, end) = (s.name_range.start, s.name_range.end);
            bodies.iter().any(|b| {
                (b.start_point.row, b.start_point.column) <= (start.line as usize, start.col as usize)
                    && (end.line as usize, end.col as usize) <= (b.end_point.row, b.end_point.column)
            })
        };
        let mut refs = self.extract_source(Lang::Python, source)?;
        refs.retain(|s| s.role == Role::Reference && s.name.as_str() == name && inside(s));
        for s in &mut refs {
            s.parent = NO_PARENT;
        }
        Ok(refs)
    }
}

/// Builds what re-extracting `lang` after an edit needs (its rewritten query compiles in
/// milliseconds), so that the first keystroke in a newly opened document does not wait for it.
pub fn prepare_edits(lang: Lang) {
    roots::plan(lang);
}

/// The gaps between `ranges` (sorted, disjoint) in `0..len`.
fn complement(ranges: &[Range<usize>], len: usize) -> Vec<Range<usize>> {
    let mut out = Vec::with_capacity(ranges.len() + 1);
    let mut start = 0;
    for r in ranges {
        out.push(start..r.start);
        start = r.end;
    }
    out.push(start..len);
    out
}

/// Byte ranges (sorted) of `source` as tree-sitter ranges, with their points.
fn points(source: &[u8], ranges: &[Range<usize>]) -> Vec<tree_sitter::Range> {
    let mut newlines = memchr::memchr_iter(b'\n', source).peekable();
    let (mut row, mut line_start) = (0, 0);
    let mut point = |offset: usize| {
        while let Some(n) = newlines.next_if(|&n| n < offset) {
            row += 1;
            line_start = n + 1;
        }
        Point::new(row, offset - line_start)
    };
    ranges
        .iter()
        .map(|r| {
            let start_point = point(r.start);
            tree_sitter::Range { start_byte: r.start, end_byte: r.end, start_point, end_point: point(r.end) }
        })
        .collect()
}

/// The queries of one re-extraction, and the ranges they covered.
struct Search<'t> {
    tags: Tags,
    /// Byte ranges queried: the tags of names inside them are complete.
    ranges: Vec<Range<usize>>,
    /// Names (bytes) outside those ranges whose tags are complete all the same.
    complete: FxHashSet<(usize, usize)>,
    /// The top-level nodes queried, and their ids.
    top: Vec<Node<'t>>,
    top_ids: FxHashSet<usize>,
    plan: &'static roots::Plan,
}

impl<'t> Search<'t> {
    fn new(plan: &'static roots::Plan) -> Self {
        let (complete, top_ids) = (FxHashSet::default(), FxHashSet::default());
        Search { tags: Tags::default(), ranges: Vec::new(), complete, top: Vec::new(), top_ids, plan }
    }

    /// Queries the matches whose root intersects `range`, in the top-level nodes it touches.
    fn run<T: Text + ?Sized>(
        &mut self,
        cursor: &mut QueryCursor,
        lang: Lang,
        root: Node<'t>,
        range: Range<usize>,
        text: &T,
    ) {
        let top = top_level(root, &range);
        // The root's own patterns stay idle: the root is not inside the containing range.
        let containing = match (top.first(), top.last()) {
            (Some(first), Some(last)) => first.start_byte()..last.end_byte(),
            _ => range.clone(),
        };
        cursor.set_byte_range(range.clone()).set_containing_byte_range(containing).set_max_start_depth(None);
        self.tags.collect(cursor, (lang.tags_query(), TagCaptures::of_tags(lang)), None, root, text);
        // Instead, their rewrites run on each top-level node.
        cursor.set_byte_range(0..usize::MAX).set_containing_byte_range(0..usize::MAX).set_max_start_depth(Some(0));
        for node in top {
            if !self.top_ids.insert(node.id()) {
                continue;
            }
            if let Some(query) = &self.plan.root_query {
                self.tags.collect(cursor, (&query.0, &query.1), Some(&self.plan.patterns), node, text);
            }
            self.top.push(node);
        }
        self.ranges.push(range);
    }

    /// Makes sure the tags of the name at `name` (bytes) are complete: every match that can tag it
    /// has been found, or else queries over it.
    fn complete<T: Text + ?Sized>(
        &mut self,
        cursor: &mut QueryCursor,
        lang: Lang,
        root: Node<'t>,
        name: Range<usize>,
        text: &T,
    ) {
        if self.is_complete(root, &name) {
            self.complete.insert((name.start, name.end));
            return;
        }
        // An empty name is queried with the bytes around it.
        let range = match name.is_empty() {
            true => name.start.saturating_sub(1)..name.start + 1,
            false => name,
        };
        self.run(cursor, lang, root, range, text);
    }

    /// Whether the queries so far found every match that can tag the name at `name`: those are
    /// rooted at the nodes holding it, and the queries found those rooted at a node intersecting
    /// their range and above (the root's own via its top-level node). So it suffices that no node
    /// below the first such one can root a match.
    fn is_complete(&self, root: Node, name: &Range<usize>) -> bool {
        if self.complete.contains(&(name.start, name.end))
            || self.ranges.iter().any(|r| covers(r, name.start, name.end))
        {
            return true;
        }
        let mut node = root.descendant_for_byte_range(name.start, name.end);
        // The root's own patterns ran only on the top-level nodes queried, which intersect a range.
        while let Some(n) = node.filter(|n| *n != root) {
            if self.ranges.iter().any(|r| intersects(n, r)) {
                return true;
            }
            if self.plan.may_root(n) {
                return false;
            }
            node = n.parent();
        }
        false
    }

    /// The tags found for complete names.
    fn fresh(&mut self) -> Vec<Symbol> {
        let tags = std::mem::take(&mut self.tags);
        let complete = |t: &Tag| {
            self.complete.contains(&(t.name.start, t.name.end))
                || self.ranges.iter().any(|r| covers(r, t.name.start, t.name.end))
        };
        tags.raw.into_iter().filter(complete).map(|t| t.symbol).collect()
    }
}

/// Whether the query cursor sees `node` as intersecting `range`.
fn intersects(node: Node, range: &Range<usize>) -> bool {
    let empty = node.start_byte() == node.end_byte();
    node.start_byte() < range.end && (node.end_byte() > range.start || empty && node.end_byte() == range.start)
}

/// Whether a name node spanning `start..end` lies in `range` as the query cursor sees it: every
/// node containing it intersects `range`.
fn covers(range: &Range<usize>, start: usize, end: usize) -> bool {
    match start == end {
        true => range.start <= start.saturating_sub(1) && start < range.end,
        false => start < range.end && end > range.start,
    }
}

/// The children of `root` that intersect `range`, in order.
fn top_level<'t>(root: Node<'t>, range: &Range<usize>) -> Vec<Node<'t>> {
    let mut nodes = Vec::new();
    let mut index = diff::first_ending_after(root, range.start);
    while let Some(node) = root.child(index as u32).filter(|n| n.start_byte() < range.end) {
        nodes.push(node);
        index += 1;
    }
    nodes
}

/// The top-level node of `tree` that holds `bytes` after its first byte, starts a line and shares
/// none of its lines with another top-level node, in a tree without errors: its byte range and
/// first line. Typing inside it changes no other top-level node (in a language whose top-level
/// nodes parse alone, see [`Extractor::extract_top_level`]).
pub fn top_level_lines(tree: &Tree, bytes: Range<usize>) -> Option<(Range<usize>, usize)> {
    let root = tree.root_node();
    if root.has_error() || bytes.start == 0 {
        return None;
    }
    let index = diff::first_ending_after(root, bytes.start - 1);
    let node = root.child(index as u32)?;
    let (first, last) = (node.start_position().row, node.end_position().row);
    let alone = node.start_byte() < bytes.start
        && bytes.end <= node.end_byte()
        && node.start_position().column == 0
        && index.checked_sub(1).and_then(|i| root.child(i as u32)).is_none_or(|n| n.end_position().row < first)
        && root.child(index as u32 + 1).is_none_or(|n| n.start_position().row > last);
    alone.then(|| (node.byte_range(), first))
}

/// Replaces the symbols inside `window` (positions after the edit) by `fresh`, and moves those
/// after it with `shift`; returns whether anything changed, `None` (nothing done) when a symbol
/// crosses the window's edge.
pub fn splice(
    symbols: &mut Vec<Symbol>,
    fresh: Vec<Symbol>,
    window: Range<Pos>,
    shift: impl Fn(Pos) -> Pos,
) -> Option<bool> {
    let (before, after) = split_at(symbols, &window, &shift)?;
    Some(merge_window(symbols, fresh, before..after, |_| false, shift))
}

/// The old symbols before `window` (in place after the edit) and those after it, as the bounds of
/// those inside; `None` if a symbol crosses the window's edge.
fn split_at(old: &[Symbol], window: &Range<Pos>, shift: &impl Fn(Pos) -> Pos) -> Option<(usize, usize)> {
    // `window.start` is at or before the edit, where positions do not move.
    let before = old.partition_point(|s| s.range.start < window.start);
    let after = before + old[before..].partition_point(|s| shift(s.range.start) <= window.end);
    let ends_before = |s: &Symbol| s.range.end < window.start && s.name_range.end < window.start;
    let after_parent = |s: &Symbol| s.parent == NO_PARENT || s.parent as usize >= after;
    let starts_after = |s: &Symbol| shift(s.name_range.start) > window.end;
    let clean =
        old[..before].iter().all(ends_before) && old[after..].iter().all(|s| after_parent(s) && starts_after(s));
    clean.then_some((before, after))
}

/// Merges re-extracted tags into the old symbols when `symbols[window]` holds every old symbol
/// that may not be kept and every fresh tag belongs there: the symbols before keep their place,
/// those after only move (and their parents with them). Returns whether anything changed.
fn merge_window(
    symbols: &mut Vec<Symbol>,
    fresh: Vec<Symbol>,
    window: Range<usize>,
    keep: impl Fn(&Symbol) -> bool,
    shift: impl Fn(Pos) -> Pos,
) -> bool {
    let mut inside: Vec<Symbol> =
        symbols[window.clone()].iter().map(|s| shift_symbol(s, &shift)).filter(|s| keep(s)).collect();
    inside.extend(fresh);
    sort(&mut inside);
    link_from(&mut inside, window.start);
    let mut changed = inside[..] != symbols[window.clone()];
    let offset = (window.start + inside.len()) as i64 - window.end as i64;
    for s in &mut symbols[window.end..] {
        let mut shifted = shift_symbol(s, &shift);
        if shifted.parent != NO_PARENT {
            shifted.parent = (shifted.parent as i64 + offset) as u32;
        }
        changed |= shifted != *s;
        *s = shifted;
    }
    symbols.splice(window, inside);
    changed
}

/// Widens `damage` over every node it reaches into, in the trees before and after the edit, whose
/// children's tags depend on their siblings ([`roots::Plan::siblings`]) or that is an error: error
/// recovery is not repeatable, and an `ERROR` node parsed again may hold other nodes even where
/// `changed_ranges` sees no change.
fn widen<T: Text + ?Sized>(damage: &mut Damage, plan: &roots::Plan, roots: [Node; 2], text: &T) {
    if plan.siblings.is_empty() && !roots.iter().any(|r| r.has_error()) {
        return;
    }
    let mut widened = true;
    while widened {
        widened = false;
        for root in roots {
            for byte in [damage.bytes.start, damage.bytes.end] {
                // Down the nodes holding `byte`; any such node reaches across the damage's edge.
                let mut node = root;
                while let Some(child) = node.child(diff::first_ending_after(node, byte) as u32) {
                    if child.start_byte() > byte {
                        break;
                    }
                    let outside = child.start_byte() < damage.bytes.start || child.end_byte() > damage.bytes.end;
                    if outside && (child.is_error() || plan.siblings.binary_search(&child.kind_id()).is_ok()) {
                        if child.start_byte() < damage.bytes.start {
                            damage.bytes.start = child.start_byte();
                            damage.start = pos(text, child.start_position(), child.start_byte());
                        }
                        if child.end_byte() > damage.bytes.end {
                            damage.bytes.end = child.end_byte();
                            damage.end = pos(text, child.end_position(), child.end_byte());
                        }
                        widened = true;
                        break;
                    }
                    node = child;
                }
            }
        }
    }
}

fn shift_symbol(s: &Symbol, shift: &impl Fn(Pos) -> Pos) -> Symbol {
    Symbol {
        range: Span { start: shift(s.range.start), end: shift(s.range.end) },
        name_range: Span { start: shift(s.name_range.start), end: shift(s.name_range.end) },
        ..*s
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
pub(crate) struct TagCaptures {
    name: Option<usize>,
    roles: Vec<Option<(Role, SymbolKind)>>,
    /// Per pattern, the node kind of its `(#not-inside? "kind")` predicate: a match with an
    /// ancestor of that kind is no tag (C: declarations under an `#if` inside a function body).
    not_inside: Vec<Option<String>>,
}

impl TagCaptures {
    /// Those of the language's tags query, resolved once per process.
    fn of_tags(lang: Lang) -> &'static TagCaptures {
        static CAPTURES: [OnceLock<TagCaptures>; Lang::ALL.len()] = [const { OnceLock::new() }; Lang::ALL.len()];
        CAPTURES[lang as usize].get_or_init(|| TagCaptures::of(lang.tags_query()))
    }

    pub(crate) fn of(query: &tree_sitter::Query) -> TagCaptures {
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
        let not_inside = (0..query.pattern_count())
            .map(|i| {
                let predicate = query.general_predicates(i).iter().find(|p| p.operator.as_ref() == "not-inside?")?;
                match predicate.args.first() {
                    Some(tree_sitter::QueryPredicateArg::String(kind)) => Some(kind.to_string()),
                    _ => None,
                }
            })
            .collect();
        TagCaptures { name, roles, not_inside }
    }
}

/// Tags found so far: one per name node and role, the earliest pattern winning (a method matches
/// both `method` and `function` patterns).
#[derive(Default)]
struct Tags {
    raw: Vec<Tag>,
    /// (name start, name end, is reference) -> index in `raw`.
    seen: FxHashMap<(usize, usize, bool), usize>,
}

impl Tags {
    /// Runs `query` from `node` with the cursor as configured. `patterns` maps the query's pattern
    /// indices to the tags query's (for a rewritten query).
    fn collect<T: Text + ?Sized>(
        &mut self,
        cursor: &mut QueryCursor,
        (query, captures): (&Query, &TagCaptures),
        patterns: Option<&[usize]>,
        node: Node,
        text: &T,
    ) {
        let mut matches = cursor.matches(query, node, |n: Node| Chunks { text, at: n.start_byte(), end: n.end_byte() });
        while let Some(m) = matches.next() {
            let mut name_node: Option<Node> = None;
            let mut tag: Option<(Node, Role, SymbolKind)> = None;
            for capture in m.captures() {
                let index = capture.index as usize;
                if Some(index) == captures.name {
                    name_node.get_or_insert(capture.node);
                } else if let Some((role, kind)) = captures.roles[index] {
                    tag = Some((capture.node, role, kind));
                }
            }
            let (Some(name_node), Some((node, role, kind))) = (name_node, tag) else { continue };
            if let Some(outer) = &captures.not_inside[m.pattern_index] {
                if std::iter::successors(node.parent(), Node::parent).any(|a| a.kind() == outer) {
                    continue;
                }
            }
            let Some(name) = name_text(text, name_node) else { continue };
            let key = (name_node.start_byte(), name_node.end_byte(), role == Role::Reference);
            let pattern = patterns.map_or(m.pattern_index, |p| p[m.pattern_index]);
            let symbol = Symbol {
                name,
                kind,
                role,
                range: span(text, node),
                name_range: span(text, name_node),
                parent: NO_PARENT,
            };
            let tag = Tag { pattern, symbol, name: name_node.byte_range() };
            match self.seen.get(&key) {
                Some(&i) if self.raw[i].pattern <= pattern => {}
                Some(&i) => self.raw[i] = tag,
                None => {
                    self.seen.insert(key, self.raw.len());
                    self.raw.push(tag);
                }
            }
        }
    }

    fn into_symbols(self) -> Vec<Symbol> {
        self.raw.into_iter().map(|t| t.symbol).collect()
    }
}

/// One tag per name node and role.
fn key(s: &Symbol) -> (Pos, Pos, bool) {
    (s.name_range.start, s.name_range.end, s.role == Role::Reference)
}

/// A tag found, with the pattern that found it and its name's bytes.
struct Tag {
    pattern: usize,
    symbol: Symbol,
    name: Range<usize>,
}

/// The bytes of a range of a [`Text`], chunk by chunk.
struct Chunks<'a, T: ?Sized> {
    text: &'a T,
    at: usize,
    end: usize,
}

impl<'a, T: Text + ?Sized> Iterator for Chunks<'a, T> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.at >= self.end {
            return None;
        }
        let chunk = self.text.chunk_at(self.at);
        let chunk = &chunk[..chunk.len().min(self.end - self.at)];
        if chunk.is_empty() {
            return None;
        }
        self.at += chunk.len();
        Some(chunk)
    }
}

/// The bytes of `range`, borrowed when they lie in one chunk.
fn bytes<T: Text + ?Sized>(text: &T, range: Range<usize>) -> std::borrow::Cow<'_, [u8]> {
    let first = text.chunk_at(range.start);
    if first.len() >= range.len() {
        return std::borrow::Cow::Borrowed(&first[..range.len()]);
    }
    std::borrow::Cow::Owned(Chunks { text, at: range.start, end: range.end }.flatten().copied().collect())
}

fn name_text<T: Text + ?Sized>(text: &T, node: Node<'_>) -> Option<Name> {
    if node.end_byte() > text.len() {
        return None;
    }
    let bytes = bytes(text, node.byte_range());
    let text = String::from_utf8_lossy(&bytes);
    let text = text.trim();
    if text.is_empty() || text.contains('\n') || text.len() > 256 {
        return None;
    }
    Some(Name::new(text))
}

/// Orders symbols by position (outer constructs before inner ones at the same start) and links
/// each to its innermost enclosing definition or scope.
fn link(mut symbols: Vec<Symbol>) -> Vec<Symbol> {
    sort(&mut symbols);
    link_from(&mut symbols, 0);
    symbols
}

fn sort(symbols: &mut [Symbol]) {
    symbols.sort_by(|a, b| {
        a.range
            .start
            .cmp(&b.range.start)
            .then(b.range.end.cmp(&a.range.end))
            .then(a.name_range.start.cmp(&b.name_range.start))
    });
}

/// Links sorted symbols that will sit at `offset` in the file's list to their parents among them.
fn link_from(symbols: &mut [Symbol], offset: usize) {
    // Stack of (end, index) of open definitions/scopes.
    let mut open: Vec<(Pos, u32)> = Vec::new();
    for (index, symbol) in symbols.iter_mut().enumerate() {
        let end = symbol.range.end;
        while open.last().is_some_and(|&(open_end, _)| open_end < end) {
            open.pop();
        }
        symbol.parent = open.last().map_or(NO_PARENT, |&(_, i)| i);
        if symbol.role != Role::Reference {
            open.push((end, (offset + index) as u32));
        }
    }
}

fn span<T: Text + ?Sized>(text: &T, node: Node<'_>) -> Span {
    Span {
        start: pos(text, node.start_position(), node.start_byte()),
        end: pos(text, node.end_position(), node.end_byte()),
    }
}

/// Builds a [`Pos`] from a tree-sitter point and its byte offset, counting UTF-16 units on the line.
pub fn pos<T: Text + ?Sized>(text: &T, point: Point, byte: usize) -> Pos {
    let line_start = byte.saturating_sub(point.column);
    let byte = byte.min(text.len()).max(line_start);
    let col16 = match text.chunk_at(line_start).get(..byte - line_start) {
        Some(prefix) => utf16_len(prefix),
        None => Chunks { text, at: line_start, end: byte }.map(utf16_len).sum(),
    };
    Pos { line: point.row as u32, col: point.column as u32, col16: col16 as u32 }
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
    fn text_finds_lines_and_offsets() {
        let text: &[u8] = "ab\n😀c\n\nd".as_bytes();
        let starts: Vec<usize> = (0..6).map(|line| text.line_start(line)).collect();
        assert_eq!(starts, [0, 3, 9, 10, 11, 11]);
        assert_eq!(text.offset(Pos { line: 1, col: 4, col16: 2 }), 7);
        let chunks: Vec<&[u8]> = Chunks { text, at: 1, end: 4 }.collect();
        assert_eq!(chunks, [&b"b\n\xf0"[..]]);
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
