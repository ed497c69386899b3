//! How a language's tags query can re-extract only part of a file after an edit: a [`Plan`].
//!
//! Two kinds of patterns need care. A pattern rooted at the file's root node, such as
//! `(module (expression_statement ...) @definition.variable)`, is matched by a query cursor that
//! walks every child of the root, so it costs time proportional to the whole file; each is
//! rewritten without its root, `(expression_statement ...) @definition.variable`, and run on each
//! changed top-level node at depth 0 (the other patterns run unchanged, confined to those nodes).
//! And a pattern whose tag depends on a sibling outside the tagged node, such as a C# field that is
//! a constant when a sibling `(modifier)` says `const`, or a Haskell equation tagged when the
//! declaration before it is not of the same name: after an edit inside such a parent, all of it is
//! re-extracted ([`Plan::siblings`]).
//!
//! The rewrite only accepts shapes where it means the same thing: the root holds exactly one child
//! step, with no field, anchor or quantifier, and the root itself is not captured. A query with any
//! pattern that could match the root or depend on top-level siblings in another way (a wildcard
//! root, a sibling sequence with more than one required step, anything not understood here) gets
//! no plan, and its edits re-extract the whole file. No IO.

use std::ops::Range;
use std::sync::OnceLock;

use tree_sitter::{Parser, Query};

use super::TagCaptures;
use crate::lang::Lang;

/// What a language's tags query needs to re-extract part of a file.
pub(crate) struct Plan {
    /// The root-level patterns rewritten to run on one top-level node, with their captures
    /// (`None` when the tags query has none).
    pub root_query: Option<(Query, TagCaptures)>,
    /// The index in the tags query of each pattern of `root_query`: tags keep their priority.
    pub patterns: Vec<usize>,
    /// The grammar's root node kind.
    pub root_kind: u16,
    /// Node kinds whose children's tags depend on their siblings.
    pub siblings: Vec<u16>,
    /// The kinds of node a pattern can be rooted at (sorted), for [`Plan::may_root`].
    pub root_kinds: Vec<u16>,
    /// Whether a pattern can be rooted at any node (a wildcard or supertype root).
    pub any_root: bool,
    /// Whether a pattern is a sequence of siblings, which can start among any node's children.
    pub sibling_patterns: bool,
}

impl Plan {
    /// Whether a match can be rooted at `node`, or (a sequence of siblings) among its children.
    pub fn may_root(&self, node: tree_sitter::Node) -> bool {
        self.any_root
            || self.root_kinds.binary_search(&node.kind_id()).is_ok()
            || self.sibling_patterns && node.child_count() > 0
    }
}

/// The language's [`Plan`], built once per process; `None` when its tags query has a pattern the
/// analysis does not understand.
pub(crate) fn plan(lang: Lang) -> Option<&'static Plan> {
    static PLANS: [OnceLock<Option<Plan>>; Lang::ALL.len()] = [const { OnceLock::new() }; Lang::ALL.len()];
    PLANS[lang as usize].get_or_init(|| build(lang)).as_ref()
}

fn build(lang: Lang) -> Option<Plan> {
    let grammar = lang.grammar();
    let mut parser = Parser::new();
    parser.set_language(&grammar).ok()?;
    let empty = parser.parse("", None)?;
    let root = empty.root_node();
    let (root_name, root_kind) = (root.kind(), root.kind_id());
    let tags = lang.tags_query();
    let source = lang.tags_query_source();
    let mut rewritten = String::new();
    let mut patterns = Vec::new();
    let mut siblings = Vec::new();
    let (mut root_kinds, mut any_root, mut sibling_patterns) = (Vec::new(), false, false);
    for index in 0..tags.pattern_count() {
        let text = source.get(tags.start_byte_for_pattern(index)..tags.end_byte_for_pattern(index))?;
        let item = parse(text)?;
        match pattern_roots(&item, text, &grammar) {
            Roots::Kinds(kinds) => root_kinds.extend(kinds),
            Roots::Siblings => sibling_patterns = true,
            Roots::Any => any_root = true,
        }
        for name in sibling_parents(&item, text)? {
            // A wildcard parent could be any node, the root included.
            let kind = name.rsplit('/').next().filter(|k| *k != "_" && *k != root_name)?;
            let ids = kind_ids(&grammar, kind, true);
            if ids.is_empty() || ids.iter().any(|&id| grammar.node_kind_is_supertype(id)) {
                return None;
            }
            siblings.extend(ids);
        }
        match classify_item(&item, text, root_name, &[])? {
            Class::Plain => {}
            Class::Root(pattern) => {
                rewritten.push_str(&pattern);
                rewritten.push('\n');
                patterns.push(index);
            }
        }
    }
    let root_query = match patterns.is_empty() {
        true => None,
        false => {
            let query = Query::new(&grammar, &rewritten).ok()?;
            if query.pattern_count() != patterns.len() {
                return None;
            }
            let captures = TagCaptures::of(&query);
            Some((query, captures))
        }
    };
    siblings.sort_unstable();
    siblings.dedup();
    root_kinds.sort_unstable();
    root_kinds.dedup();
    Some(Plan { root_query, patterns, root_kind, siblings, root_kinds, any_root, sibling_patterns })
}

/// Where a pattern's matches are rooted.
enum Roots {
    /// At nodes of these kinds.
    Kinds(Vec<u16>),
    /// Among the children of any node (a sequence of siblings).
    Siblings,
    /// At any node (a wildcard or supertype, or a shape not understood).
    Any,
}

fn pattern_roots(item: &Item, text: &str, grammar: &tree_sitter::Language) -> Roots {
    let kind = |name: &str, named: bool| {
        let ids = kind_ids(grammar, name, named);
        let exact = ids.iter().all(|&id| grammar.node_kind_is_visible(id) && !grammar.node_kind_is_supertype(id));
        match exact && !ids.is_empty() {
            true => Roots::Kinds(ids),
            false => Roots::Any,
        }
    };
    match &item.kind {
        // `supertype/kind` matches nodes of `kind`.
        Kind::Node { name, .. } => kind(name.rsplit('/').next().unwrap_or(name), true),
        Kind::Str => kind(&text[item.span.start + 1..item.body_end - 1], false),
        Kind::Alt(branches) => {
            let mut kinds = Vec::new();
            for branch in branches {
                match pattern_roots(branch, text, grammar) {
                    Roots::Kinds(k) => kinds.extend(k),
                    other => return other,
                }
            }
            Roots::Kinds(kinds)
        }
        Kind::Group(items) => match items.iter().filter(|i| is_step(i)).collect::<Vec<_>>().as_slice() {
            [step] if !step.quantified => pattern_roots(step, text, grammar),
            _ => Roots::Siblings,
        },
        _ => Roots::Any,
    }
}

/// Every kind id with this name: a grammar may give one name to several symbols (aliases).
fn kind_ids(grammar: &tree_sitter::Language, name: &str, named: bool) -> Vec<u16> {
    (0..grammar.node_kind_count() as u16)
        .filter(|&id| grammar.node_kind_is_named(id) == named && grammar.node_kind_for_id(id) == Some(name))
        .collect()
}

/// Parses one pattern's source text; `None` when it is not understood.
fn parse(text: &str) -> Option<Item> {
    let tokens = tokenize(text)?;
    let mut parser = ItemParser { text, tokens: &tokens, at: 0 };
    let item = parser.item()?;
    (parser.at == tokens.len()).then_some(item)
}

/// The names of the nodes in a pattern whose tag depends on one of their children other than the
/// one holding the tag: a required sibling step, a text predicate on a capture in one, or an anchor
/// to the first or last child. `None` if that happens between top-level siblings, whose parent
/// could be any node.
fn sibling_parents(item: &Item, text: &str) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut steps = vec![item];
    while let Some(item) = steps.pop() {
        let (name, children) = match &item.kind {
            Kind::Node { name, children } => (Some(name), children),
            Kind::Group(children) => (None, children),
            Kind::Alt(branches) => {
                steps.extend(branches);
                continue;
            }
            _ => continue,
        };
        if has_role(item, text) && name.is_some() {
            // The tagged node holds all of its children.
            continue;
        }
        let Some(tagged) = children.iter().position(|c| is_step(c) && contains_role(c, text)) else { continue };
        let predicates: Vec<&Item> = children.iter().filter(|c| matches!(c.kind, Kind::Predicate)).collect();
        let items: Vec<&Item> = children.iter().filter(|c| !matches!(c.kind, Kind::Predicate)).collect();
        let anchored = |c: Option<&&Item>| c.is_some_and(|c| matches!(c.kind, Kind::Anchor));
        let depends = anchored(items.first()) && name.is_some()
            || anchored(items.last())
            || children.iter().enumerate().any(|(i, c)| {
                i != tagged
                    && is_step(c)
                    && (!c.optional
                        || predicates.iter().any(|p| is_text_predicate(p, text) && shares_capture(p, c, text)))
            });
        if depends {
            names.push(name?.clone());
        }
        steps.push(&children[tagged]);
    }
    Some(names)
}

fn is_step(item: &Item) -> bool {
    matches!(item.kind, Kind::Node { .. } | Kind::Group(_) | Kind::Alt(_) | Kind::Str)
}

/// Whether `item` itself carries a tag capture (`@definition.*`, `@reference.*`, `@scope.*`).
fn has_role(item: &Item, text: &str) -> bool {
    captures(item, text).any(|c| ["@definition.", "@reference.", "@scope."].iter().any(|p| c.starts_with(p)))
}

fn contains_role(item: &Item, text: &str) -> bool {
    has_role(item, text) || children(item).iter().any(|c| contains_role(c, text))
}

fn children(item: &Item) -> &[Item] {
    match &item.kind {
        Kind::Node { children, .. } | Kind::Group(children) | Kind::Alt(children) => children,
        _ => &[],
    }
}

/// The captures written after `item` (`@name` tokens following its closing bracket).
fn captures<'t>(item: &Item, text: &'t str) -> impl Iterator<Item = &'t str> {
    let tail = &text[item.body_end..item.span.end];
    tail.split(|c: char| c.is_whitespace() || matches!(c, '*' | '+' | '?')).filter(|t| t.starts_with('@'))
}

/// Whether a predicate tests text (`#eq?`, `#match?`...), rather than directing (`#set!`).
fn is_text_predicate(predicate: &Item, text: &str) -> bool {
    text[predicate.span.clone()].split_whitespace().next().is_some_and(|name| name.ends_with('?'))
}

/// Whether `predicate` names a capture made inside `item`.
fn shares_capture(predicate: &Item, item: &Item, text: &str) -> bool {
    let named: Vec<&str> =
        text[predicate.span.clone()].split([' ', '\t', '\n', ')']).filter(|t| t.starts_with('@')).collect();
    let mut stack = vec![item];
    while let Some(item) = stack.pop() {
        if captures(item, text).any(|c| named.contains(&c)) {
            return true;
        }
        stack.extend(children(item));
    }
    false
}

/// What a tags pattern needs when only some top-level nodes are re-extracted.
#[derive(Debug, PartialEq, Eq)]
enum Class {
    /// Rooted below the root: runs unchanged.
    Plain,
    /// Rooted at the root: this rewrite runs on each top-level node instead.
    Root(String),
}

/// Classifies a pattern's top item; `predicates` are those of an enclosing one-item group.
fn classify_item(item: &Item, text: &str, root: &str, predicates: &[&Item]) -> Option<Class> {
    match &item.kind {
        Kind::Node { name, .. } if name == root => {
            if item.captured || item.quantified {
                return None;
            }
            let stripped = strip(item, text)?;
            Some(Class::Root(with_predicates(&stripped, predicates, text)))
        }
        // A wildcard may match the root itself.
        Kind::Node { name, .. } if name == "_" => None,
        Kind::Node { .. } | Kind::Str => Some(Class::Plain),
        Kind::Alt(branches) => {
            let mut stripped = Vec::new();
            for branch in branches {
                match classify_item(branch, text, root, &[])? {
                    Class::Plain => {}
                    Class::Root(pattern) => stripped.push(pattern),
                }
            }
            if stripped.is_empty() {
                return Some(Class::Plain);
            }
            // A capture or quantifier on the alternation would apply to the root too.
            if item.captured || item.quantified {
                return None;
            }
            Some(Class::Root(with_predicates(&format!("[{}]", stripped.join(" ")), predicates, text)))
        }
        Kind::Group(items) => {
            let steps: Vec<&Item> =
                items.iter().filter(|i| !matches!(i.kind, Kind::Predicate | Kind::Anchor)).collect();
            let own_predicates: Vec<&Item> = items.iter().filter(|i| matches!(i.kind, Kind::Predicate)).collect();
            if item.captured || item.quantified || !predicates.is_empty() {
                return None;
            }
            if let [step] = steps.as_slice() {
                if step.quantified || items.iter().any(|i| matches!(i.kind, Kind::Anchor)) {
                    return None;
                }
                return classify_item(step, text, root, &own_predicates);
            }
            // A sequence of siblings: each step must be a named node below the root, and at most one
            // may be required, so that the tag never depends on a sibling outside the changed nodes.
            let mut required = 0;
            for step in &steps {
                if !below_root(step, root) {
                    return None;
                }
                if !step.optional {
                    required += 1;
                }
            }
            (required <= 1).then_some(Class::Plain)
        }
        _ => None,
    }
}

/// Whether `item` can only match nodes other than the root.
fn below_root(item: &Item, root: &str) -> bool {
    match &item.kind {
        Kind::Node { name, .. } => name != root && name != "_",
        Kind::Str => true,
        Kind::Alt(branches) => branches.iter().all(|b| below_root(b, root)),
        _ => false,
    }
}

/// The text of the single child step of a root pattern, with its captures and predicates.
fn strip(root: &Item, text: &str) -> Option<String> {
    let Kind::Node { children, .. } = &root.kind else { return None };
    let mut child = None;
    let mut predicates = Vec::new();
    for item in children {
        match &item.kind {
            Kind::Predicate => predicates.push(item),
            Kind::Node { .. } | Kind::Alt(_) if child.is_none() && !item.quantified && !item.field => {
                child = Some(item)
            }
            _ => return None,
        }
    }
    let child = child?;
    let pattern = &text[child.span.clone()];
    let pattern = match &child.kind {
        // Tree-sitter starts a pattern rooted at a wildcard with a named child at that child, one
        // level down, which a cursor limited to depth 0 never visits. A leading optional wildcard
        // child changes no match but keeps the pattern starting at its root.
        Kind::Node { name, children } if name == "_" && !children.is_empty() => {
            let at = pattern.find('_')?;
            format!("{}_ (_)?{}", &pattern[..at], &pattern[at + 1..])
        }
        Kind::Alt(branches) if branches.iter().any(|b| matches!(&b.kind, Kind::Node { name, .. } if name == "_")) => {
            return None;
        }
        _ => pattern.to_owned(),
    };
    Some(with_predicates(&pattern, &predicates, text))
}

fn with_predicates(pattern: &str, predicates: &[&Item], text: &str) -> String {
    if predicates.is_empty() {
        return pattern.to_owned();
    }
    let mut out = format!("({pattern}");
    for p in predicates {
        out.push(' ');
        out.push_str(&text[p.span.clone()]);
    }
    out.push(')');
    out
}

/// One item of a pattern, with the byte span of its text (including quantifiers and captures).
#[derive(Debug)]
struct Item {
    kind: Kind,
    /// The item's text, with its quantifiers and captures.
    span: Range<usize>,
    /// Where the item's own text ends, before its quantifiers and captures.
    body_end: usize,
    /// Has a quantifier (`*`, `+`, `?`).
    quantified: bool,
    /// May match nothing (`*`, `?`).
    optional: bool,
    captured: bool,
    /// Preceded by `field:`.
    field: bool,
}

#[derive(Debug)]
enum Kind {
    /// `(name children...)`, `(_ ...)` or a bare `_` / name.
    Node { name: String, children: Vec<Item> },
    /// `((a) (b) ...)`: a sequence of siblings.
    Group(Vec<Item>),
    /// `[a b ...]`
    Alt(Vec<Item>),
    /// `"text"`: an anonymous node.
    Str,
    /// `(#name? ...)`
    Predicate,
    /// `.`
    Anchor,
    /// `!field`
    Negated,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Open,
    Close,
    OpenAlt,
    CloseAlt,
    Str,
    Ident,
    /// `name:`
    Field,
    /// `@name`
    Capture,
    /// `#name`
    Predicate,
    /// `!name`
    Negated,
    Anchor,
    /// `*`: zero or more.
    Star,
    /// `+`: one or more.
    Plus,
    /// `?`: zero or one.
    Optional,
}

/// Splits query source into tokens with their spans; `None` on anything unexpected.
fn tokenize(text: &str) -> Option<Vec<(Tok, Range<usize>)>> {
    let bytes = text.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'?' | b'!' | b'/');
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let tok = match bytes[i] {
            b if b.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b';' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' => Tok::Open,
            b')' => Tok::Close,
            b'[' => Tok::OpenAlt,
            b']' => Tok::CloseAlt,
            b'.' => Tok::Anchor,
            b'*' => Tok::Star,
            b'+' => Tok::Plus,
            b'?' => Tok::Optional,
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if i >= bytes.len() {
                    return None;
                }
                Tok::Str
            }
            b'@' | b'#' | b'!' => {
                let tok = match bytes[i] {
                    b'@' => Tok::Capture,
                    b'#' => Tok::Predicate,
                    _ => Tok::Negated,
                };
                i += 1;
                while i < bytes.len() && is_ident(bytes[i]) {
                    i += 1;
                }
                tokens.push((tok, start..i));
                continue;
            }
            b if is_ident(b) => {
                while i < bytes.len() && is_ident(bytes[i]) {
                    i += 1;
                }
                if bytes.get(i) == Some(&b':') {
                    i += 1;
                    tokens.push((Tok::Field, start..i));
                } else {
                    tokens.push((Tok::Ident, start..i));
                }
                continue;
            }
            _ => return None,
        };
        i += 1;
        tokens.push((tok, start..i));
    }
    Some(tokens)
}

struct ItemParser<'t> {
    text: &'t str,
    tokens: &'t [(Tok, Range<usize>)],
    at: usize,
}

impl ItemParser<'_> {
    fn peek(&self) -> Option<Tok> {
        self.tokens.get(self.at).map(|(t, _)| *t)
    }

    fn span(&self, index: usize) -> Range<usize> {
        self.tokens[index].1.clone()
    }

    /// One item with its field prefix, quantifiers and captures.
    fn item(&mut self) -> Option<Item> {
        let field = self.peek() == Some(Tok::Field);
        if field {
            self.at += 1;
        }
        let first = self.at;
        let kind = match self.peek()? {
            Tok::Open => {
                self.at += 1;
                match self.peek()? {
                    Tok::Predicate => {
                        while self.peek()? != Tok::Close {
                            if matches!(self.peek()?, Tok::Open | Tok::OpenAlt) {
                                return None;
                            }
                            self.at += 1;
                        }
                        self.at += 1;
                        Kind::Predicate
                    }
                    Tok::Ident => {
                        let name = self.name(self.at);
                        self.at += 1;
                        let children = self.items_until(Tok::Close)?;
                        Kind::Node { name, children }
                    }
                    _ => Kind::Group(self.items_until(Tok::Close)?),
                }
            }
            Tok::OpenAlt => {
                self.at += 1;
                Kind::Alt(self.items_until(Tok::CloseAlt)?)
            }
            Tok::Str => {
                self.at += 1;
                Kind::Str
            }
            Tok::Ident => {
                let name = self.name(self.at);
                self.at += 1;
                Kind::Node { name, children: Vec::new() }
            }
            Tok::Anchor => {
                self.at += 1;
                Kind::Anchor
            }
            Tok::Negated => {
                self.at += 1;
                Kind::Negated
            }
            _ => return None,
        };
        let end = self.span(self.at - 1).end;
        let mut item = Item {
            kind,
            span: self.span(first).start..end,
            body_end: end,
            quantified: false,
            optional: false,
            captured: false,
            field,
        };
        while let Some(tok @ (Tok::Star | Tok::Plus | Tok::Optional | Tok::Capture)) = self.peek() {
            match tok {
                Tok::Capture => item.captured = true,
                _ => {
                    item.quantified = true;
                    item.optional |= tok != Tok::Plus;
                }
            }
            item.span.end = self.span(self.at).end;
            self.at += 1;
        }
        Some(item)
    }

    fn items_until(&mut self, close: Tok) -> Option<Vec<Item>> {
        let mut items = Vec::new();
        while self.peek()? != close {
            items.push(self.item()?);
        }
        self.at += 1;
        Some(items)
    }

    fn name(&self, index: usize) -> String {
        self.text[self.span(index)].to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pattern: &str, expected: Option<Class>) {
        let class = parse(pattern).and_then(|item| classify_item(&item, pattern, "module", &[]));
        assert_eq!(class, expected, "{pattern}");
    }

    fn siblings(pattern: &str) -> Option<Vec<String>> {
        sibling_parents(&parse(pattern).unwrap(), pattern)
    }

    #[test]
    fn tags_that_depend_on_siblings_are_found() {
        let none: Vec<String> = Vec::new();
        // The tagged node holds everything the pattern looks at.
        assert_eq!(
            siblings("(class_declaration name: (identifier) @name body: (class_body)) @definition.class"),
            Some(none.clone())
        );
        assert_eq!(siblings("(class_body (method name: (identifier) @name) @definition.method)"), Some(none.clone()));
        assert_eq!(
            siblings("((comment)* @doc . (method name: (_) @name) @definition.method (#strip! @doc \"x\"))"),
            Some(none)
        );
        // A required sibling, or a text predicate on one.
        assert_eq!(
            siblings("(field_declaration (modifier) @m (variable_declaration (variable_declarator name: (identifier) @name) @definition.constant) (#eq? @m \"const\"))"),
            Some(vec!["field_declaration".to_owned()])
        );
        assert_eq!(
            siblings("(declarations (comment)? @c . (function name: (variable) @name) @definition.function (#not-match? @c \"x\"))"),
            Some(vec!["declarations".to_owned()])
        );
        // Between top-level siblings the parent is unknown.
        assert_eq!(siblings("((comment) @c . (function) @definition.function (#eq? @c \"x\"))"), None);
    }

    #[test]
    fn patterns_below_the_root_run_unchanged() {
        check("(function_definition name: (identifier) @name) @definition.function", Some(Class::Plain));
        check("((identifier) @name @definition.constant (#match? @name \"^[A-Z]\"))", Some(Class::Plain));
        check("[(class name: (_) @name) (function name: (_) @name)] @definition.class", Some(Class::Plain));
        // Siblings where only one is required: the tag never depends on the others.
        check(
            "((comment)* @doc . (method name: (_) @name) @definition.method (#strip! @doc \"x\"))",
            Some(Class::Plain),
        );
    }

    #[test]
    fn root_patterns_lose_their_root() {
        check(
            "(module (expression_statement (assignment left: (identifier) @name) @definition.variable) (#not-match? @name \"^[A-Z]+$\"))",
            Some(Class::Root(
                "((expression_statement (assignment left: (identifier) @name) @definition.variable) (#not-match? @name \"^[A-Z]+$\"))"
                    .into(),
            )),
        );
        check(
            "[(module (a) @definition.x) (block (b) @definition.y) (module (c (d) @name) @definition.z)] ; comment",
            Some(Class::Root("[(a) @definition.x (c (d) @name) @definition.z]".into())),
        );
        // A wildcard child keeps its root step (see `strip`).
        check(
            "(module (_ name: (identifier) @name) @definition.f)",
            Some(Class::Root("(_ (_)? name: (identifier) @name) @definition.f".into())),
        );
    }

    #[test]
    fn shapes_that_could_mean_something_else_are_refused() {
        check("(module) @definition.module", None);
        check("(module (a) (b) @definition.x)", None);
        check("(module . (a) @definition.x)", None);
        check("(module body: (a) @definition.x)", None);
        check("(module (a)* @definition.x)", None);
        check("(_ name: (identifier) @name) @definition.x", None);
        check("((comment) @doc . (function) @definition.function)", None);
        check("[(module (a) @definition.x) (b)] @definition.y", None);
    }

    #[test]
    fn every_language_has_a_plan() {
        // A query the analysis does not understand still works, re-extracting the whole file on
        // every edit (slow on large files): this test says which one.
        for lang in Lang::ALL {
            assert!(plan(lang).is_some(), "{lang:?}: its tags query cannot be re-extracted in part");
        }
        let kinds = |lang: Lang| -> Vec<String> {
            let grammar = lang.grammar();
            plan(lang)
                .unwrap()
                .siblings
                .iter()
                .filter_map(|&k| grammar.node_kind_for_id(k).map(str::to_owned))
                .collect()
        };
        assert_eq!(kinds(Lang::CSharp), ["field_declaration"]);
        assert_eq!(kinds(Lang::Haskell), ["declarations"]);
    }
}
