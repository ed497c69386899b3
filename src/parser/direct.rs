//! Tags of Python, Rust, C and C++ files (those in `c`) without the query cursor: one walk over
//! the tree that applies the patterns of their tags queries by hand.
//!
//! The query cursor tracks every pattern's progress at every node, and on rust-crates it took 38%
//! of the CPU time of indexing (10.6 s against 16.5 s of parsing, single-threaded; a bare walk
//! over the same 20 M nodes takes 2.5 s). Here each node costs a comparison of its kind, and the
//! few kinds that tag something look at their parent and fields. The answers are the query's, the
//! earliest pattern winning where two tag one name: each rule below names the patterns it stands
//! for (`queries/python/extra.scm` and `queries/rust/extra.scm`, then the grammar crates'
//! `TAGS_QUERY`; `queries/cpp/tags.scm` and `queries/c/tags.scm`), and tests compare the two paths on constructs of every rule and on real files
//! (`tests/skip.rs`; `examples/skip.rs` on a corpus). A change to either query must change the
//! rules here too, and `skip::item_symbols` with the constant, type, struct and field
//! patterns. Open documents keep the query, whose re-extraction after an edit (`roots`) this does
//! not replace.

use std::num::NonZeroU16;
use std::sync::OnceLock;

use tree_sitter::{Language, Node, Tree};

use super::{link, name_text, span, Text};
use crate::lang::Lang;
use crate::symbol::{Role, Symbol, SymbolKind, NO_PARENT};

mod c;

/// The symbols of `tree` as the tags query finds them, for the languages that have rules here.
pub(super) fn extract<T: Text + ?Sized>(lang: Lang, tree: &Tree, text: &T) -> Option<Vec<Symbol>> {
    let mut tags = Found { text, symbols: Vec::new() };
    match lang {
        Lang::Python => {
            let ids = python_ids();
            walk(tree, |node, ancestors| python(ids, node, ancestors, &mut tags));
        }
        Lang::Rust => {
            let ids = rust_ids();
            walk(tree, |node, ancestors| rust(ids, node, ancestors, &mut tags));
        }
        Lang::C | Lang::Cpp => {
            let ids = c::ids(lang);
            let mut tagger = c::Tagger::new(text);
            walk(tree, |node, ancestors| c::visit(ids, node, ancestors, &mut tagger));
            tags = tagger.found;
        }
        _ => return None,
    }
    Some(link(tags.symbols))
}

/// Visits every node, depth first, with its ancestors (the root first).
fn walk<'t>(tree: &'t Tree, mut visit: impl FnMut(Node<'t>, &[Node<'t>])) {
    let mut cursor = tree.walk();
    let mut ancestors = Vec::new();
    loop {
        let node = cursor.node();
        visit(node, &ancestors);
        if cursor.goto_first_child() {
            ancestors.push(node);
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return;
            }
            ancestors.pop();
        }
    }
}

struct Found<'a, T: ?Sized> {
    text: &'a T,
    symbols: Vec<Symbol>,
}

impl<T: Text + ?Sized> Found<'_, T> {
    /// Tags `node` with the name in `name` (dropped, as the query path drops it, when that text is
    /// no name: empty, across lines, too long).
    fn tag(&mut self, name: Node, node: Node, role: Role, kind: SymbolKind) {
        if let Some(symbol) = self.symbol(name, node, role, kind) {
            self.symbols.push(symbol);
        }
    }

    fn symbol(&self, name: Node, node: Node, role: Role, kind: SymbolKind) -> Option<Symbol> {
        let text = name_text(self.text, name)?;
        let (range, name_range) = (span(self.text, node), span(self.text, name));
        Some(Symbol { name: text, kind, role, range, name_range, parent: NO_PARENT })
    }

    fn bytes(&self, node: Node) -> std::borrow::Cow<'_, [u8]> {
        super::bytes(self.text, node.byte_range())
    }
}

/// The child of `node` in `field`, if it is of kind `kind`.
fn field(node: Node<'_>, field: NonZeroU16, kind: u16) -> Option<Node<'_>> {
    node.child_by_field_id(field.get()).filter(|child| child.kind_id() == kind)
}

/// The `n`-th nearest ancestor's kind (0: the parent).
fn up(ancestors: &[Node], n: usize) -> Option<u16> {
    ancestors.len().checked_sub(n + 1).map(|i| ancestors[i].kind_id())
}

fn kind_id(language: &Language, kind: &str) -> u16 {
    let id = language.id_for_node_kind(kind, true);
    assert!(id != 0, "no node kind {kind}");
    id
}

fn field_id(language: &Language, name: &str) -> NonZeroU16 {
    language.field_id_for_name(name).unwrap_or_else(|| panic!("no field {name}"))
}

struct PythonIds {
    module: u16,
    class_definition: u16,
    function_definition: u16,
    decorated_definition: u16,
    block: u16,
    expression_statement: u16,
    assignment: u16,
    call: u16,
    attribute: u16,
    identifier: u16,
    name: NonZeroU16,
    left: NonZeroU16,
    function: NonZeroU16,
    attribute_field: NonZeroU16,
}

fn python_ids() -> &'static PythonIds {
    static IDS: OnceLock<PythonIds> = OnceLock::new();
    IDS.get_or_init(|| {
        let l = Lang::Python.grammar();
        PythonIds {
            module: kind_id(&l, "module"),
            class_definition: kind_id(&l, "class_definition"),
            function_definition: kind_id(&l, "function_definition"),
            decorated_definition: kind_id(&l, "decorated_definition"),
            block: kind_id(&l, "block"),
            expression_statement: kind_id(&l, "expression_statement"),
            assignment: kind_id(&l, "assignment"),
            call: kind_id(&l, "call"),
            attribute: kind_id(&l, "attribute"),
            identifier: kind_id(&l, "identifier"),
            name: field_id(&l, "name"),
            left: field_id(&l, "left"),
            function: field_id(&l, "function"),
            attribute_field: field_id(&l, "attribute"),
        }
    })
}

fn python<T: Text + ?Sized>(ids: &PythonIds, node: Node, ancestors: &[Node], tags: &mut Found<T>) {
    let kind = node.kind_id();
    if kind == ids.class_definition {
        // crate: (class_definition name: (identifier) @name) @definition.class
        if let Some(name) = field(node, ids.name, ids.identifier) {
            tags.tag(name, node, Role::Definition, SymbolKind::Class);
        }
    } else if kind == ids.function_definition {
        let Some(name) = field(node, ids.name, ids.identifier) else { return };
        let in_class =
            |n: usize| up(ancestors, n) == Some(ids.block) && up(ancestors, n + 1) == Some(ids.class_definition);
        // ours: (class_definition body: (block [(function_definition name: (identifier) @name)
        //   (decorated_definition definition: (function_definition name: (identifier) @name))] @definition.method))
        // crate: (function_definition name: (identifier) @name) @definition.function
        if in_class(0) {
            tags.tag(name, node, Role::Definition, SymbolKind::Method);
        } else if up(ancestors, 0) == Some(ids.decorated_definition) && in_class(1) {
            tags.tag(name, ancestors[ancestors.len() - 1], Role::Definition, SymbolKind::Method);
        } else {
            tags.tag(name, node, Role::Definition, SymbolKind::Function);
        }
    } else if kind == ids.expression_statement && up(ancestors, 0) == Some(ids.module) {
        // ours: (module (expression_statement (assignment left: (identifier) @name) @definition.variable)
        //   (#not-match? @name "^_*[A-Z][A-Z0-9_]*$"))
        // crate: (module (expression_statement (assignment left: (identifier) @name) @definition.constant))
        let mut cursor = node.walk();
        for assignment in node.named_children(&mut cursor).filter(|c| c.kind_id() == ids.assignment) {
            let Some(name) = field(assignment, ids.left, ids.identifier) else { continue };
            let kind = if upper_case(&tags.bytes(name)) { SymbolKind::Constant } else { SymbolKind::Variable };
            tags.tag(name, assignment, Role::Definition, kind);
        }
    } else if kind == ids.call {
        // crate: (call function: [(identifier) @name (attribute attribute: (identifier) @name)]) @reference.call
        let Some(function) = node.child_by_field_id(ids.function.get()) else { return };
        let name = match function.kind_id() {
            k if k == ids.identifier => Some(function),
            k if k == ids.attribute => field(function, ids.attribute_field, ids.identifier),
            _ => None,
        };
        if let Some(name) = name {
            tags.tag(name, node, Role::Reference, SymbolKind::Function);
        }
    }
}

/// `^_*[A-Z][A-Z0-9_]*$`: a constant by Python's convention.
fn upper_case(name: &[u8]) -> bool {
    let rest = &name[name.iter().take_while(|&&b| b == b'_').count()..];
    rest.first().is_some_and(u8::is_ascii_uppercase)
        && rest.iter().all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

struct RustIds {
    /// By node kind: the kind of its `name` and what it defines, for the items tagged by their
    /// kind alone.
    named: Vec<Option<(u16, SymbolKind)>>,
    field_declaration: u16,
    field_declaration_list: u16,
    function_item: u16,
    function_signature_item: u16,
    declaration_list: u16,
    mod_item: u16,
    trait_item: u16,
    foreign_mod_item: u16,
    impl_item: u16,
    generic_type: u16,
    call_expression: u16,
    field_expression: u16,
    macro_invocation: u16,
    identifier: u16,
    type_identifier: u16,
    field_identifier: u16,
    name: NonZeroU16,
    type_: NonZeroU16,
    trait_: NonZeroU16,
    function: NonZeroU16,
    field: NonZeroU16,
    macro_: NonZeroU16,
}

fn rust_ids() -> &'static RustIds {
    static IDS: OnceLock<RustIds> = OnceLock::new();
    IDS.get_or_init(|| {
        let l = Lang::Rust.grammar();
        // Ours first, shadowing the crate's `@definition.class` for structs, unions, enums and
        // type aliases; then the crate's trait_item @definition.interface, mod_item
        // @definition.module and macro_definition @definition.macro.
        let items = [
            ("struct_item", "type_identifier", SymbolKind::Struct),
            ("union_item", "type_identifier", SymbolKind::Struct),
            ("enum_item", "type_identifier", SymbolKind::Enum),
            ("type_item", "type_identifier", SymbolKind::Type),
            ("enum_variant", "identifier", SymbolKind::EnumMember),
            ("const_item", "identifier", SymbolKind::Constant),
            ("static_item", "identifier", SymbolKind::Constant),
            ("trait_item", "type_identifier", SymbolKind::Interface),
            ("mod_item", "identifier", SymbolKind::Module),
            ("macro_definition", "identifier", SymbolKind::Macro),
        ];
        let mut named = vec![None; l.node_kind_count()];
        for (kind, name, defines) in items {
            named[usize::from(kind_id(&l, kind))] = Some((kind_id(&l, name), defines));
        }
        RustIds {
            named,
            field_declaration: kind_id(&l, "field_declaration"),
            field_declaration_list: kind_id(&l, "field_declaration_list"),
            function_item: kind_id(&l, "function_item"),
            function_signature_item: kind_id(&l, "function_signature_item"),
            declaration_list: kind_id(&l, "declaration_list"),
            mod_item: kind_id(&l, "mod_item"),
            trait_item: kind_id(&l, "trait_item"),
            foreign_mod_item: kind_id(&l, "foreign_mod_item"),
            impl_item: kind_id(&l, "impl_item"),
            generic_type: kind_id(&l, "generic_type"),
            call_expression: kind_id(&l, "call_expression"),
            field_expression: kind_id(&l, "field_expression"),
            macro_invocation: kind_id(&l, "macro_invocation"),
            identifier: kind_id(&l, "identifier"),
            type_identifier: kind_id(&l, "type_identifier"),
            field_identifier: kind_id(&l, "field_identifier"),
            name: field_id(&l, "name"),
            type_: field_id(&l, "type"),
            trait_: field_id(&l, "trait"),
            function: field_id(&l, "function"),
            field: field_id(&l, "field"),
            macro_: field_id(&l, "macro"),
        }
    })
}

fn rust<T: Text + ?Sized>(ids: &RustIds, node: Node, ancestors: &[Node], tags: &mut Found<T>) {
    let kind = node.kind_id();
    if let Some((name_kind, defines)) = ids.named.get(usize::from(kind)).copied().flatten() {
        if let Some(name) = field(node, ids.name, name_kind) {
            tags.tag(name, node, Role::Definition, defines);
        }
    } else if kind == ids.field_declaration {
        // ours: (field_declaration_list (field_declaration name: (field_identifier) @name) @definition.field)
        if up(ancestors, 0) == Some(ids.field_declaration_list) {
            if let Some(name) = field(node, ids.name, ids.field_identifier) {
                tags.tag(name, node, Role::Definition, SymbolKind::Field);
            }
        }
    } else if kind == ids.function_item {
        // ours: (mod_item body: (declaration_list (function_item name: (identifier) @name) @definition.function))
        // crate: (declaration_list (function_item name: (identifier) @name) @definition.method)
        // crate: (function_item name: (identifier) @name) @definition.function
        let Some(name) = field(node, ids.name, ids.identifier) else { return };
        let defines = match (up(ancestors, 0), up(ancestors, 1)) {
            (Some(list), Some(owner)) if list == ids.declaration_list && owner == ids.mod_item => SymbolKind::Function,
            (Some(list), _) if list == ids.declaration_list => SymbolKind::Method,
            _ => SymbolKind::Function,
        };
        tags.tag(name, node, Role::Definition, defines);
    } else if kind == ids.function_signature_item {
        // ours: (trait_item body: (declaration_list (function_signature_item name: (identifier) @name) @definition.method))
        // ours: (foreign_mod_item body: (declaration_list (function_signature_item ...) @definition.function))
        if up(ancestors, 0) != Some(ids.declaration_list) {
            return;
        }
        let defines = match up(ancestors, 1) {
            Some(owner) if owner == ids.trait_item => SymbolKind::Method,
            Some(owner) if owner == ids.foreign_mod_item => SymbolKind::Function,
            _ => return,
        };
        if let Some(name) = field(node, ids.name, ids.identifier) {
            tags.tag(name, node, Role::Definition, defines);
        }
    } else if kind == ids.impl_item {
        // ours: (impl_item type: [(type_identifier) (generic_type type: (type_identifier))] @name) @scope.impl
        let ty = node.child_by_field_id(ids.type_.get());
        let scope = ty.filter(|t| {
            t.kind_id() == ids.type_identifier
                || t.kind_id() == ids.generic_type && field(*t, ids.type_, ids.type_identifier).is_some()
        });
        if let Some(name) = scope {
            tags.tag(name, node, Role::Scope, SymbolKind::Impl);
        }
        // crate: (impl_item trait: (type_identifier) @name) @reference.implementation
        // crate: (impl_item type: (type_identifier) @name !trait) @reference.implementation
        match node.child_by_field_id(ids.trait_.get()) {
            Some(name) if name.kind_id() == ids.type_identifier => {
                tags.tag(name, node, Role::Reference, SymbolKind::Impl);
            }
            Some(_) => {}
            None => {
                if let Some(name) = ty.filter(|t| t.kind_id() == ids.type_identifier) {
                    tags.tag(name, node, Role::Reference, SymbolKind::Impl);
                }
            }
        }
    } else if kind == ids.call_expression {
        // crate: (call_expression function: (identifier) @name) @reference.call
        // crate: (call_expression function: (field_expression field: (field_identifier) @name)) @reference.call
        let Some(function) = node.child_by_field_id(ids.function.get()) else { return };
        let name = match function.kind_id() {
            k if k == ids.identifier => Some(function),
            k if k == ids.field_expression => field(function, ids.field, ids.field_identifier),
            _ => None,
        };
        if let Some(name) = name {
            tags.tag(name, node, Role::Reference, SymbolKind::Function);
        }
    } else if kind == ids.macro_invocation {
        // crate: (macro_invocation macro: (identifier) @name) @reference.call
        if let Some(name) = field(node, ids.macro_, ids.identifier) {
            tags.tag(name, node, Role::Reference, SymbolKind::Function);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::Extractor;

    /// Each rule and its neighbours, and text with syntax errors, where the tags by hand must
    /// equal the query's (the real files are in `tests/skip.rs`).
    const SAMPLES: &[(Lang, &str)] = &[
        (
            Lang::Python,
            "import os\nX = 1\n_Y2 = 2\nvalue = f(3)\na = b = 4\nx, y = 5, 6\n\n@dec\ndef free(a):\n    def inner():\n        return g(a)\n    return inner\n\n\
             class A(Base):\n    LIMIT = 3\n    def m(self):\n        return self.n().o(p)\n    @property\n    def q(self):\n        pass\n    class B:\n        def r(self): pass\n\n\
             @decorator(1)\nclass C:\n    async def s(self):\n        await t()\n",
        ),
        (Lang::Python, "def broken(:\n    x = f(\nclass D:\n    def e(self)\n        return 1\nZ = \n"),
        (Lang::Python, "if cond:\n    W = 1\n    def in_if(): pass\nelse:\n    V = h()\nprint(x)\n"),
        (
            Lang::Rust,
            "pub struct S { a: u32, pub b: String }\nstruct T(u32);\nunion U { x: u32 }\nenum E { A, B(u32), C { d: u8 } }\n\
             type Alias<T> = Vec<T>;\nconst K: u32 = 1;\nstatic mut G: u8 = 0;\nmacro_rules! m { () => {} }\n\
             mod inner { pub fn f() { g(); } fn h() {} }\ntrait Tr { fn sig(&self); fn with_default(&self) { self.sig() } }\n\
             extern \"C\" { fn ext(x: i32) -> i32; }\nimpl S { fn new() -> Self { S::default() } }\n\
             impl<T> Tr for Wrapper<T> { fn sig(&self) { println!(\"x\"); other::call(); self.0.go(); } }\n\
             impl std::fmt::Display for S { fn fmt(&self) {} }\nimpl Iterator<Item = u8> for T {}\nfn main() { let s = S::new(); s.run(1); m!(); }\n",
        ),
        (Lang::Rust, "fn broken( {\nstruct X { a: }\nimpl for Y {}\nenum { }\nfn ok() { call(); }\n"),
        (Lang::C, C_SAMPLE),
        (Lang::Cpp, C_SAMPLE),
        (
            Lang::Cpp,
            "namespace a { namespace b::c { int f(int); int *g(void); int v = 1, *w, x[2]; } }\n\
             template <class V> class Cache { public: Cache(); ~Cache(); V get(); V *ptr(); V &ref(); int n; };\n\
             template <class V> Cache<V>::Cache() { helper(); }\ntemplate <class V> Cache<V>::~Cache() {}\n\
             template <class V> V Cache<V>::get() { return std::move(x); }\ntemplate <class V> V *Cache<V>::ptr() { return nullptr; }\n\
             template <class V> V &Cache<V>::ref() { return max<V>(a, b); }\nns::Type::Type() {}\n\
             using Alias = Cache<int>;\nstruct S { S(int); void m() const; };\nvoid use() { auto p = new Cache<int>(); auto q = new S(1); obj.call(); T::template from(p); }\n",
        ),
        (Lang::Cpp, "class Broken { void f( ; };\nint g() { return h(; }\nnamespace { int k; }\n"),
    ];

    /// C that C++ parses too: every C pattern.
    const C_SAMPLE: &str = "#define LIMIT 4\n#define MAX(a, b) ((a) > (b) ? (a) : (b))\n\
        struct point { int x, *y; char name[8]; };\nunion u { int i; float f; };\nenum color { RED, GREEN = 2 };\n\
        struct point *decl;\nenum color;\ntypedef int count_t, *count_p;\ntypedef void (*handler_t)(int);\n\
        typedef struct { int a; } anon_t;\nint proto(int a);\nchar *pproto(void);\nint global = 1, *gp, ga[3];\n\
        static int *(*fp)(void);\nint f(int a) { int local = g(a); s.h(); s->k(); return local; }\n\
        char *pf(void) { return 0; }\nchar **ppf(void) { return 0; }\n\
        #ifdef X\nint in_ifdef(void);\nint v_ifdef;\n#elif Y\nint in_elif;\n#else\nint in_else(void);\n#endif\n\
        #if Z\nint in_if;\n#endif\nvoid body(void) {\n#if W\nint not_global;\n#endif\n}\n\
        #ifdef __cplusplus\nextern \"C\" {\n#endif\nint in_linkage(void);\n#ifdef __cplusplus\n}\n#endif\n";

    #[test]
    fn tags_by_hand_equal_the_tags_query() {
        let mut ex = Extractor::new();
        for &(lang, src) in SAMPLES {
            let tree = ex.parse(lang, src.as_bytes(), None).unwrap();
            let by_hand = extract(lang, &tree, src.as_bytes()).expect("the language has rules");
            let query = ex.extract_text(lang, &tree, src.as_bytes());
            assert!(!by_hand.is_empty());
            assert_eq!(by_hand, query, "{lang:?}: {src}");
        }
    }

    #[test]
    fn other_languages_keep_the_query() {
        let src = b"package p\nfunc f() { g() }\n";
        let tree = Extractor::new().parse(Lang::Go, src, None).unwrap();
        assert!(extract(Lang::Go, &tree, src.as_slice()).is_none());
    }

    #[test]
    fn python_constants_are_upper_case_names() {
        for (name, upper) in
            [("X", true), ("_Y2", true), ("__A_B", true), ("Ab", false), ("_", false), ("a", false), ("X-", false)]
        {
            assert_eq!(upper_case(name.as_bytes()), upper, "{name}");
        }
    }
}
