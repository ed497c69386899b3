//! Languages: the grammar registry, the extension map and the tags queries.
//!
//! Grammar crates that ship a usable `TAGS_QUERY` use it; the others (and the broken ones) use ours
//! under `src/lang/queries/<lang>/tags.scm`. Most crate queries get our `extra.scm` placed *before*
//! them: the extractor keeps the earliest pattern's tag for a name, so ours both adds what the crate
//! misses (fields, constants, enum members, scopes such as Rust `impl` blocks) and corrects the kinds
//! it gets wrong (Rust structs tagged as classes). `tests/languages.rs` checks every language against
//! an annotated fixture. Compiled queries are built once per process and shared. This module does no
//! IO.

use std::path::Path;
use std::sync::OnceLock;

use tree_sitter::Query;

/// Every language symdex indexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Bash,
    C,
    Cpp,
    CSharp,
    Go,
    Haskell,
    Java,
    JavaScript,
    Kotlin,
    Lua,
    Php,
    Python,
    Ruby,
    Rust,
    Scala,
    Swift,
    Tsx,
    TypeScript,
}

impl Lang {
    /// All languages, in a stable order.
    pub const ALL: [Lang; 18] = [
        Lang::Bash,
        Lang::C,
        Lang::Cpp,
        Lang::CSharp,
        Lang::Go,
        Lang::Haskell,
        Lang::Java,
        Lang::JavaScript,
        Lang::Kotlin,
        Lang::Lua,
        Lang::Php,
        Lang::Python,
        Lang::Ruby,
        Lang::Rust,
        Lang::Scala,
        Lang::Swift,
        Lang::Tsx,
        Lang::TypeScript,
    ];

    /// Whether the text of whole top-level nodes parses alone as it does in its file, when it
    /// parses without an error: top-level statements end at a line end (Python) or a `}` or `;`
    /// (Rust items), whatever follows. Not so for JavaScript (`f()` then `(g)()` on the next line
    /// is one call), C (a macro call before a declaration) and most others.
    pub fn parses_top_level_alone(self) -> bool {
        matches!(self, Lang::Python | Lang::Rust)
    }

    /// Stable lowercase name (used in stats, the cache and editor configs).
    pub fn name(self) -> &'static str {
        match self {
            Lang::Bash => "bash",
            Lang::C => "c",
            Lang::Cpp => "cpp",
            Lang::CSharp => "csharp",
            Lang::Go => "go",
            Lang::Haskell => "haskell",
            Lang::Java => "java",
            Lang::JavaScript => "javascript",
            Lang::Kotlin => "kotlin",
            Lang::Lua => "lua",
            Lang::Php => "php",
            Lang::Python => "python",
            Lang::Ruby => "ruby",
            Lang::Rust => "rust",
            Lang::Scala => "scala",
            Lang::Swift => "swift",
            Lang::Tsx => "tsx",
            Lang::TypeScript => "typescript",
        }
    }

    /// File extensions (without the dot) mapped to this language.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Lang::Bash => &["sh", "bash"],
            Lang::C => &["c", "h"],
            Lang::Cpp => &["cc", "cpp", "cxx", "c++", "hh", "hpp", "hxx", "h++", "ipp", "tpp"],
            Lang::CSharp => &["cs"],
            Lang::Go => &["go"],
            Lang::Haskell => &["hs"],
            Lang::Java => &["java"],
            Lang::JavaScript => &["js", "mjs", "cjs", "jsx"],
            Lang::Kotlin => &["kt", "kts"],
            Lang::Lua => &["lua"],
            Lang::Php => &["php"],
            Lang::Python => &["py", "pyi"],
            Lang::Ruby => &["rb", "rake", "gemspec"],
            Lang::Rust => &["rs"],
            Lang::Scala => &["scala", "sc"],
            Lang::Swift => &["swift"],
            Lang::Tsx => &["tsx"],
            Lang::TypeScript => &["ts", "mts", "cts"],
        }
    }

    /// The language of a path, by extension (case-insensitive).
    pub fn from_path(path: &Path) -> Option<Lang> {
        let ext = path.extension()?.to_str()?;
        Lang::from_extension(ext)
    }

    /// The language of an extension (without the dot).
    pub fn from_extension(ext: &str) -> Option<Lang> {
        let lower;
        let ext = if ext.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = ext.to_ascii_lowercase();
            lower.as_str()
        } else {
            ext
        };
        Lang::ALL.into_iter().find(|l| l.extensions().contains(&ext))
    }

    /// The tree-sitter grammar.
    pub fn grammar(self) -> tree_sitter::Language {
        match self {
            Lang::Bash => tree_sitter_bash::LANGUAGE.into(),
            Lang::C => tree_sitter_c::LANGUAGE.into(),
            Lang::Cpp => tree_sitter_cpp::LANGUAGE.into(),
            Lang::CSharp => tree_sitter_c_sharp::LANGUAGE.into(),
            Lang::Go => tree_sitter_go::LANGUAGE.into(),
            Lang::Haskell => tree_sitter_haskell::LANGUAGE.into(),
            Lang::Java => tree_sitter_java::LANGUAGE.into(),
            Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Lang::Kotlin => tree_sitter_kotlin_ng::LANGUAGE.into(),
            Lang::Lua => tree_sitter_lua::LANGUAGE.into(),
            Lang::Php => tree_sitter_php::LANGUAGE_PHP.into(),
            Lang::Python => tree_sitter_python::LANGUAGE.into(),
            Lang::Ruby => tree_sitter_ruby::LANGUAGE.into(),
            Lang::Rust => tree_sitter_rust::LANGUAGE.into(),
            Lang::Scala => tree_sitter_scala::LANGUAGE.into(),
            Lang::Swift => tree_sitter_swift::LANGUAGE.into(),
            Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        }
    }

    /// The tags query source for this language. Where two patterns tag the same name, the earlier
    /// wins: our additions come before a crate's query.
    pub fn tags_query_source(self) -> String {
        match self {
            Lang::Bash => include_str!("queries/bash/tags.scm").to_owned(),
            // The crate's query tags every `enum x` use as a type, and misses macros and fields.
            Lang::C => include_str!("queries/c/tags.scm").to_owned(),
            // C++ members first, then what C++ shares with C.
            Lang::Cpp => [include_str!("queries/cpp/tags.scm"), include_str!("queries/c/tags.scm")].concat(),
            // The crate's query captures `@module` outside the tags vocabulary: ours replaces it.
            Lang::CSharp => include_str!("queries/csharp/tags.scm").to_owned(),
            Lang::Go => [include_str!("queries/go/extra.scm"), tree_sitter_go::TAGS_QUERY].concat(),
            Lang::Haskell => include_str!("queries/haskell/tags.scm").to_owned(),
            Lang::Java => [include_str!("queries/java/extra.scm"), tree_sitter_java::TAGS_QUERY].concat(),
            Lang::JavaScript => [
                include_str!("queries/ecma/extra.scm"),
                include_str!("queries/javascript/extra.scm"),
                tree_sitter_javascript::TAGS_QUERY,
            ]
            .concat(),
            Lang::Kotlin => include_str!("queries/kotlin/tags.scm").to_owned(),
            Lang::Lua => [include_str!("queries/lua/extra.scm"), tree_sitter_lua::TAGS_QUERY].concat(),
            Lang::Php => [include_str!("queries/php/extra.scm"), tree_sitter_php::TAGS_QUERY].concat(),
            Lang::Python => [include_str!("queries/python/extra.scm"), tree_sitter_python::TAGS_QUERY].concat(),
            Lang::Ruby => [include_str!("queries/ruby/extra.scm"), tree_sitter_ruby::TAGS_QUERY].concat(),
            Lang::Rust => [include_str!("queries/rust/extra.scm"), tree_sitter_rust::TAGS_QUERY].concat(),
            Lang::Scala => include_str!("queries/scala/tags.scm").to_owned(),
            // The crate's query gives each method the whole class as its range: ours replaces it.
            Lang::Swift => include_str!("queries/swift/tags.scm").to_owned(),
            // TypeScript's query only adds to JavaScript's: the two are concatenated. `ecma` holds what
            // the three grammars share.
            Lang::Tsx | Lang::TypeScript => [
                include_str!("queries/ecma/extra.scm"),
                include_str!("queries/typescript/extra.scm"),
                tree_sitter_javascript::TAGS_QUERY,
                tree_sitter_typescript::TAGS_QUERY,
            ]
            .concat(),
        }
    }

    /// The compiled tags query, built once per process.
    ///
    /// # Panics
    /// If a bundled query does not compile against its grammar; a unit test compiles every one.
    pub fn tags_query(self) -> &'static Query {
        static QUERIES: [OnceLock<Query>; Lang::ALL.len()] = [const { OnceLock::new() }; Lang::ALL.len()];
        QUERIES[self as usize].get_or_init(|| {
            Query::new(&self.grammar(), &self.tags_query_source())
                .unwrap_or_else(|e| panic!("tags query for {} does not compile: {e}", self.name()))
        })
    }

    /// A version stamp of grammars and queries: cached symbols from another stamp are re-extracted.
    pub fn query_version() -> u64 {
        static VERSION: OnceLock<u64> = OnceLock::new();
        *VERSION.get_or_init(|| {
            let mut hasher = blake3::Hasher::new();
            hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
            for lang in Lang::ALL {
                hasher.update(lang.name().as_bytes());
                hasher.update(&lang.grammar().abi_version().to_le_bytes());
                hasher.update(lang.tags_query_source().as_bytes());
            }
            let bytes = hasher.finalize();
            u64::from_le_bytes(bytes.as_bytes()[..8].try_into().expect("8 bytes"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tags_query_compiles() {
        for lang in Lang::ALL {
            let query = lang.tags_query();
            assert!(
                query.capture_names().iter().any(|c| c.starts_with("definition.")),
                "{} has no definition captures",
                lang.name()
            );
        }
    }

    #[test]
    fn extensions_are_unique_and_found() {
        let mut seen = std::collections::HashSet::new();
        for lang in Lang::ALL {
            for ext in lang.extensions() {
                assert!(seen.insert(*ext), "extension {ext} mapped twice");
                assert_eq!(Lang::from_extension(ext), Some(lang));
            }
        }
        assert_eq!(Lang::from_path(Path::new("a/B.RS")), Some(Lang::Rust));
        assert_eq!(Lang::from_path(Path::new("Makefile")), None);
    }
}
