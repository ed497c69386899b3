//! Tags of C and C++ files by hand: the patterns of `queries/c/tags.scm` and (C++, before them)
//! `queries/cpp/tags.scm`, numbered in the order of the C++ query (0-13 C++'s, 14-34 C's). Several
//! patterns can tag one name (a C++ method is also a declaration in its class); as with the query,
//! the earliest wins.
//!
//! Compiling the C++ query costs 0.4 s (tree-sitter analyses each pattern against the grammar's
//! parse table): indexing a repository with one `.cpp` file paid that. And the query cursor tracks
//! every pattern at every node, where here a node costs a look-up of its kind.

use std::collections::hash_map::Entry;
use std::num::NonZeroU16;
use std::sync::OnceLock;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use tree_sitter::Node;

use super::{field_id, Found, Text};
use crate::lang::Lang;
use crate::symbol::{Role, SymbolKind};

/// The node kinds the patterns name. A grammar can give one kind several ids (aliases): each maps
/// here, as the query matches them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum K {
    Other,
    TranslationUnit,
    PreprocIf,
    PreprocIfdef,
    PreprocElse,
    PreprocElif,
    CompoundStatement,
    PreprocDef,
    PreprocFunctionDef,
    StructSpecifier,
    UnionSpecifier,
    EnumSpecifier,
    Enumerator,
    TypeDefinition,
    FieldDeclaration,
    FunctionDefinition,
    FunctionDeclarator,
    PointerDeclarator,
    ArrayDeclarator,
    InitDeclarator,
    ParenthesizedDeclarator,
    CallExpression,
    FieldExpression,
    Identifier,
    TypeIdentifier,
    FieldIdentifier,
    // C++ only.
    NamespaceDefinition,
    NamespaceIdentifier,
    NestedNamespaceSpecifier,
    ClassSpecifier,
    AliasDeclaration,
    FieldDeclarationList,
    DeclarationList,
    DestructorName,
    ReferenceDeclarator,
    QualifiedIdentifier,
    TemplateType,
    TemplateFunction,
    NewExpression,
}

const KINDS: &[(K, &str)] = &[
    (K::TranslationUnit, "translation_unit"),
    (K::PreprocIf, "preproc_if"),
    (K::PreprocIfdef, "preproc_ifdef"),
    (K::PreprocElse, "preproc_else"),
    (K::PreprocElif, "preproc_elif"),
    (K::CompoundStatement, "compound_statement"),
    (K::PreprocDef, "preproc_def"),
    (K::PreprocFunctionDef, "preproc_function_def"),
    (K::StructSpecifier, "struct_specifier"),
    (K::UnionSpecifier, "union_specifier"),
    (K::EnumSpecifier, "enum_specifier"),
    (K::Enumerator, "enumerator"),
    (K::TypeDefinition, "type_definition"),
    (K::FieldDeclaration, "field_declaration"),
    (K::FunctionDefinition, "function_definition"),
    (K::FunctionDeclarator, "function_declarator"),
    (K::PointerDeclarator, "pointer_declarator"),
    (K::ArrayDeclarator, "array_declarator"),
    (K::InitDeclarator, "init_declarator"),
    (K::ParenthesizedDeclarator, "parenthesized_declarator"),
    (K::CallExpression, "call_expression"),
    (K::FieldExpression, "field_expression"),
    (K::Identifier, "identifier"),
    (K::TypeIdentifier, "type_identifier"),
    (K::FieldIdentifier, "field_identifier"),
];

/// The kinds of the C++ patterns (C's grammar has a `declaration_list` too, in `extern "C" {}`,
/// which no C pattern looks at).
const CPP_KINDS: &[(K, &str)] = &[
    (K::NamespaceDefinition, "namespace_definition"),
    (K::NamespaceIdentifier, "namespace_identifier"),
    (K::NestedNamespaceSpecifier, "nested_namespace_specifier"),
    (K::ClassSpecifier, "class_specifier"),
    (K::AliasDeclaration, "alias_declaration"),
    (K::FieldDeclarationList, "field_declaration_list"),
    (K::DeclarationList, "declaration_list"),
    (K::DestructorName, "destructor_name"),
    (K::ReferenceDeclarator, "reference_declarator"),
    (K::QualifiedIdentifier, "qualified_identifier"),
    (K::TemplateType, "template_type"),
    (K::TemplateFunction, "template_function"),
    (K::NewExpression, "new_expression"),
];

/// What the rules need of the C or the C++ grammar.
pub(super) struct Ids {
    cpp: bool,
    /// By node kind id.
    kinds: Vec<K>,
    name: NonZeroU16,
    body: NonZeroU16,
    declarator: NonZeroU16,
    function: NonZeroU16,
    field: NonZeroU16,
    /// C++ only.
    scope: Option<NonZeroU16>,
    type_: NonZeroU16,
}

pub(super) fn ids(lang: Lang) -> &'static Ids {
    static C: OnceLock<Ids> = OnceLock::new();
    static CPP: OnceLock<Ids> = OnceLock::new();
    let cpp = lang == Lang::Cpp;
    (if cpp { &CPP } else { &C }).get_or_init(|| {
        let l = lang.grammar();
        let kinds = (0..l.node_kind_count() as u16)
            .map(|id| {
                let name = l.node_kind_for_id(id).filter(|_| l.node_kind_is_named(id));
                let mut kinds = KINDS.iter().chain(if cpp { CPP_KINDS } else { &[] });
                kinds.find(|(_, n)| Some(*n) == name).map_or(K::Other, |(k, _)| *k)
            })
            .collect();
        Ids {
            cpp,
            kinds,
            name: field_id(&l, "name"),
            body: field_id(&l, "body"),
            declarator: field_id(&l, "declarator"),
            function: field_id(&l, "function"),
            field: field_id(&l, "field"),
            scope: cpp.then(|| field_id(&l, "scope")),
            type_: field_id(&l, "type"),
        }
    })
}

impl Ids {
    fn kind(&self, node: Node) -> K {
        self.kinds.get(usize::from(node.kind_id())).copied().unwrap_or(K::Other)
    }

    /// `(node field: (kind))`: a child of `node` in `field` of `kind` (a field can hold several
    /// children: `name: ("template" (identifier))`).
    fn child<'t>(&self, node: Node<'t>, field: NonZeroU16, kind: K) -> Option<Node<'t>> {
        let first = node.child_by_field_id(field.get())?;
        if self.kind(first) == kind {
            return Some(first);
        }
        let mut cursor = node.walk();
        let found = node.children_by_field_id(field, &mut cursor).find(|c| self.kind(*c) == kind);
        found
    }

    /// `(kind declarator: (inner_kind))`: the declarator of `node` if `node` is of `kind`.
    fn inner<'t>(&self, node: Node<'t>, kind: K, inner_kind: K) -> Option<Node<'t>> {
        if self.kind(node) != kind {
            return None;
        }
        self.child(node, self.declarator, inner_kind)
    }

    /// `(function_declarator declarator: (name_kind) @name)`.
    fn function_name<'t>(&self, d: Node<'t>, name_kind: K) -> Option<Node<'t>> {
        self.inner(d, K::FunctionDeclarator, name_kind)
    }

    /// `[(function_declarator declarator: (name_kind) @name)
    ///   (pointer_declarator declarator: (function_declarator declarator: (name_kind) @name))]`.
    fn function_or_pointer<'t>(&self, d: Node<'t>, name_kind: K) -> Option<Node<'t>> {
        self.function_name(d, name_kind).or_else(|| {
            self.inner(d, K::PointerDeclarator, K::FunctionDeclarator).and_then(|f| self.function_name(f, name_kind))
        })
    }

    /// `(reference_declarator (function_declarator declarator: (name_kind) @name))`: any child.
    fn reference_to_function<'t>(&self, d: Node<'t>, name_kind: K) -> Option<Node<'t>> {
        if self.kind(d) != K::ReferenceDeclarator {
            return None;
        }
        let mut cursor = d.walk();
        let found = d.named_children(&mut cursor).find_map(|c| self.function_name(c, name_kind));
        found
    }

    /// `[(name_kind) (pointer_declarator declarator: (name_kind)) (array_declarator declarator:
    /// (name_kind))]`, the last left out when `array` is false.
    fn plain_pointer_or_array<'t>(&self, d: Node<'t>, name_kind: K, array: bool) -> Option<Node<'t>> {
        if self.kind(d) == name_kind {
            return Some(d);
        }
        self.inner(d, K::PointerDeclarator, name_kind).or_else(|| {
            if array {
                self.inner(d, K::ArrayDeclarator, name_kind)
            } else {
                None
            }
        })
    }

    /// The variable alternatives: `[(identifier) @name (init_declarator declarator: [(identifier)
    /// (pointer_declarator declarator: (identifier)) (array_declarator declarator: (identifier))])
    /// (pointer_declarator declarator: (identifier)) (array_declarator declarator: (identifier))]`.
    fn variable_name<'t>(&self, d: Node<'t>) -> Option<Node<'t>> {
        self.plain_pointer_or_array(d, K::Identifier, true).or_else(|| {
            if self.kind(d) != K::InitDeclarator {
                return None;
            }
            let mut cursor = d.walk();
            let found = d
                .children_by_field_id(self.declarator, &mut cursor)
                .find_map(|i| self.plain_pointer_or_array(i, K::Identifier, true));
            found
        })
    }
}

/// Tags by pattern number, the earliest winning for a name node and role.
pub(super) struct Tagger<'a, T: ?Sized> {
    pub(super) found: Found<'a, T>,
    seen: FxHashMap<(usize, usize, bool), (usize, u8)>,
}

impl<'a, T: Text + ?Sized> Tagger<'a, T> {
    pub(super) fn new(text: &'a T) -> Self {
        Tagger { found: Found { text, symbols: Vec::new() }, seen: FxHashMap::default() }
    }

    fn tag(&mut self, pattern: u8, name: Node, node: Node, role: Role, kind: SymbolKind) {
        let Some(symbol) = self.found.symbol(name, node, role, kind) else { return };
        match self.seen.entry((name.start_byte(), name.end_byte(), role == Role::Reference)) {
            Entry::Occupied(mut seen) => {
                let (i, earliest) = *seen.get();
                if pattern < earliest {
                    self.found.symbols[i] = symbol;
                    seen.insert((i, pattern));
                }
            }
            Entry::Vacant(seen) => {
                seen.insert((self.found.symbols.len(), pattern));
                self.found.symbols.push(symbol);
            }
        }
    }
}

/// The children of `node` in its `declarator` field (a declaration may have several).
fn declarators<'t>(ids: &Ids, node: Node<'t>) -> SmallVec<[Node<'t>; 2]> {
    if node.child_by_field_id(ids.declarator.get()).is_none() {
        return SmallVec::new(); // no cursor for the many nodes without one
    }
    let mut cursor = node.walk();
    node.children_by_field_id(ids.declarator, &mut cursor).collect()
}

pub(super) fn visit<T: Text + ?Sized>(ids: &Ids, node: Node, ancestors: &[Node], tags: &mut Tagger<T>) {
    let def = Role::Definition;
    match ids.kind(node) {
        K::NamespaceDefinition => {
            // 0: (namespace_definition name: [(namespace_identifier) (nested_namespace_specifier)] @name) @definition.namespace
            let name = ids
                .child(node, ids.name, K::NamespaceIdentifier)
                .or_else(|| ids.child(node, ids.name, K::NestedNamespaceSpecifier));
            if let Some(name) = name {
                tags.tag(0, name, node, def, SymbolKind::Module);
            }
        }
        K::ClassSpecifier => {
            // 1: (class_specifier name: (type_identifier) @name body: (_)) @definition.class
            if let Some(name) = ids.child(node, ids.name, K::TypeIdentifier).filter(|_| has_body(ids, node)) {
                tags.tag(1, name, node, def, SymbolKind::Class);
            }
        }
        K::AliasDeclaration => {
            // 2: (alias_declaration name: (type_identifier) @name) @definition.type
            if let Some(name) = ids.child(node, ids.name, K::TypeIdentifier) {
                tags.tag(2, name, node, def, SymbolKind::Type);
            }
        }
        K::FieldDeclarationList => {
            // 3: (field_declaration_list (_ declarator: (function_declarator declarator: (identifier) @name)) @definition.constructor)
            // 4: (field_declaration_list (_ declarator: (function_declarator declarator: (destructor_name) @name)) @definition.method)
            // 5: (field_declaration_list (_ declarator: [(function_declarator declarator: (field_identifier) @name)
            //   (pointer_declarator declarator: (function_declarator …)) (reference_declarator (function_declarator …))]) @definition.method)
            let mut cursor = node.walk();
            for member in node.named_children(&mut cursor) {
                for d in declarators(ids, member) {
                    if let Some(name) = ids.function_name(d, K::Identifier) {
                        tags.tag(3, name, member, def, SymbolKind::Constructor);
                    }
                    if let Some(name) = ids.function_name(d, K::DestructorName) {
                        tags.tag(4, name, member, def, SymbolKind::Method);
                    }
                    let method = ids
                        .function_or_pointer(d, K::FieldIdentifier)
                        .or_else(|| ids.reference_to_function(d, K::FieldIdentifier));
                    if let Some(name) = method {
                        tags.tag(5, name, member, def, SymbolKind::Method);
                    }
                }
            }
        }
        // 9, 10: (declaration_list (_ declarator: …)): functions and variables in namespaces.
        K::DeclarationList => members(ids, node, 9, 10, tags),
        K::NewExpression => {
            // 13: (new_expression type: (type_identifier) @name) @reference.class
            if let Some(name) = ids.child(node, ids.type_, K::TypeIdentifier) {
                tags.tag(13, name, node, Role::Reference, SymbolKind::Class);
            }
        }
        kind @ (K::PreprocDef | K::PreprocFunctionDef) => {
            // 14: (preproc_def name: (identifier) @name) @definition.macro
            // 15: (preproc_function_def name: (identifier) @name) @definition.macro
            if let Some(name) = ids.child(node, ids.name, K::Identifier) {
                tags.tag(if kind == K::PreprocDef { 14 } else { 15 }, name, node, def, SymbolKind::Macro);
            }
        }
        kind @ (K::StructSpecifier | K::UnionSpecifier | K::EnumSpecifier) => {
            // 16: (struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
            // 17: (union_specifier …) @definition.struct, 18: (enum_specifier …) @definition.enum
            let Some(name) = ids.child(node, ids.name, K::TypeIdentifier).filter(|_| has_body(ids, node)) else {
                return;
            };
            let (pattern, defines) = match kind {
                K::StructSpecifier => (16, SymbolKind::Struct),
                K::UnionSpecifier => (17, SymbolKind::Struct),
                _ => (18, SymbolKind::Enum),
            };
            tags.tag(pattern, name, node, def, defines);
        }
        K::Enumerator => {
            // 19: (enumerator name: (identifier) @name) @definition.enum_member
            if let Some(name) = ids.child(node, ids.name, K::Identifier) {
                tags.tag(19, name, node, def, SymbolKind::EnumMember);
            }
        }
        K::TypeDefinition => {
            // 20: (type_definition declarator: [(type_identifier) @name (pointer_declarator declarator:
            //   (type_identifier) @name) (function_declarator declarator: (parenthesized_declarator
            //   (pointer_declarator declarator: (type_identifier) @name)))]) @definition.type
            for d in declarators(ids, node) {
                let name = ids.plain_pointer_or_array(d, K::TypeIdentifier, false).or_else(|| {
                    let p = ids.inner(d, K::FunctionDeclarator, K::ParenthesizedDeclarator)?;
                    let mut cursor = p.walk();
                    let found = p
                        .named_children(&mut cursor)
                        .find_map(|c| ids.inner(c, K::PointerDeclarator, K::TypeIdentifier));
                    found
                });
                if let Some(name) = name {
                    tags.tag(20, name, node, def, SymbolKind::Type);
                }
            }
        }
        K::FieldDeclaration => {
            // 21: (field_declaration declarator: [(field_identifier) @name (pointer_declarator declarator:
            //   (field_identifier) @name) (array_declarator declarator: (field_identifier) @name)] @definition.field)
            for d in declarators(ids, node) {
                if let Some(name) = ids.plain_pointer_or_array(d, K::FieldIdentifier, true) {
                    tags.tag(21, name, d, def, SymbolKind::Field);
                }
            }
        }
        K::FunctionDefinition => {
            for d in declarators(ids, node) {
                if ids.cpp {
                    defined_outside_class(ids, node, d, tags);
                }
                // 22: (function_definition declarator: [(function_declarator declarator: (identifier) @name)
                //   (pointer_declarator declarator: (function_declarator …))
                //   (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator …)))]) @definition.function
                let name = ids.function_or_pointer(d, K::Identifier).or_else(|| {
                    ids.inner(d, K::PointerDeclarator, K::PointerDeclarator)
                        .and_then(|p| ids.inner(p, K::PointerDeclarator, K::FunctionDeclarator))
                        .and_then(|f| ids.function_name(f, K::Identifier))
                });
                if let Some(name) = name {
                    tags.tag(22, name, node, def, SymbolKind::Function);
                }
            }
        }
        // 23, 28: (translation_unit (_ declarator: …)): prototypes and global variables.
        K::TranslationUnit => members(ids, node, 23, 28, tags),
        // 24-27, 29-32: the same under `#if`s, (#not-inside? "compound_statement").
        kind @ (K::PreprocIf | K::PreprocIfdef | K::PreprocElse | K::PreprocElif)
            if !ancestors.iter().any(|a| ids.kind(*a) == K::CompoundStatement) =>
        {
            let i = [K::PreprocIf, K::PreprocIfdef, K::PreprocElse, K::PreprocElif].iter().position(|k| *k == kind);
            let i = i.unwrap_or_default() as u8;
            members(ids, node, 24 + i, 29 + i, tags);
        }
        K::CallExpression => {
            // 11 (C++): (call_expression function: (qualified_identifier name: (identifier) @name)) @reference.call
            // 12 (C++): (call_expression function: (template_function name: (identifier) @name)) @reference.call
            // 33: (call_expression function: (identifier) @name) @reference.call
            // 34: (call_expression function: (field_expression field: (field_identifier) @name)) @reference.call
            let mut cursor = node.walk();
            let functions: Vec<Node> = node.children_by_field_id(ids.function, &mut cursor).collect();
            for function in functions {
                let (pattern, name) = match ids.kind(function) {
                    K::Identifier => (33, Some(function)),
                    K::FieldExpression => (34, ids.child(function, ids.field, K::FieldIdentifier)),
                    K::QualifiedIdentifier => (11, ids.child(function, ids.name, K::Identifier)),
                    K::TemplateFunction => (12, ids.child(function, ids.name, K::Identifier)),
                    _ => continue,
                };
                if let Some(name) = name {
                    tags.tag(pattern, name, node, Role::Reference, SymbolKind::Function);
                }
            }
        }
        _ => {}
    }
}

/// `body: (_)`: a named child in the `body` field.
fn has_body(ids: &Ids, node: Node) -> bool {
    let mut cursor = node.walk();
    let found = node.children_by_field_id(ids.body, &mut cursor).any(|b| b.is_named());
    found
}

/// `(parent (_ declarator: [function alternatives]) @definition.function)` as `functions` and
/// `(parent (_ declarator: [variable alternatives] @definition.variable))` as `variables`.
fn members<T: Text + ?Sized>(ids: &Ids, parent: Node, functions: u8, variables: u8, tags: &mut Tagger<T>) {
    let mut cursor = parent.walk();
    for member in parent.named_children(&mut cursor) {
        for d in declarators(ids, member) {
            if let Some(name) = ids.function_or_pointer(d, K::Identifier) {
                tags.tag(functions, name, member, Role::Definition, SymbolKind::Function);
            }
            if let Some(name) = ids.variable_name(d) {
                tags.tag(variables, name, d, Role::Definition, SymbolKind::Variable);
            }
        }
    }
}

/// C++ members defined outside their class (patterns 6-8).
fn defined_outside_class<'t, T: Text + ?Sized>(ids: &Ids, node: Node<'t>, d: Node<'t>, tags: &mut Tagger<T>) {
    let def = Role::Definition;
    if let Some(q) = ids.function_name(d, K::QualifiedIdentifier) {
        // 6: (function_definition declarator: (function_declarator declarator: (qualified_identifier
        //   scope: [(namespace_identifier) @scope (template_type name: (type_identifier) @scope)]
        //   name: (identifier) @name)) (#eq? @scope @name)) @definition.constructor
        let scope = ids.scope.and_then(|scope| {
            ids.child(q, scope, K::NamespaceIdentifier).or_else(|| {
                ids.child(q, scope, K::TemplateType).and_then(|t| ids.child(t, ids.name, K::TypeIdentifier))
            })
        });
        if let (Some(scope), Some(name)) = (scope, ids.child(q, ids.name, K::Identifier)) {
            if tags.found.bytes(scope) == tags.found.bytes(name) {
                tags.tag(6, name, node, def, SymbolKind::Constructor);
            }
        }
        // 7: (function_definition declarator: (function_declarator declarator: (qualified_identifier
        //   name: (destructor_name) @name))) @definition.method
        if let Some(name) = ids.child(q, ids.name, K::DestructorName) {
            tags.tag(7, name, node, def, SymbolKind::Method);
        }
    }
    // 8: (function_definition declarator: [(function_declarator declarator: (qualified_identifier
    //   name: (identifier) @name)) (pointer_declarator …) (reference_declarator …)]) @definition.method
    let q = ids
        .function_name(d, K::QualifiedIdentifier)
        .or_else(|| {
            ids.inner(d, K::PointerDeclarator, K::FunctionDeclarator)
                .and_then(|f| ids.function_name(f, K::QualifiedIdentifier))
        })
        .or_else(|| ids.reference_to_function(d, K::QualifiedIdentifier));
    if let Some(name) = q.and_then(|q| ids.child(q, ids.name, K::Identifier)) {
        tags.tag(8, name, node, def, SymbolKind::Method);
    }
}
