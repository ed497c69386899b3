//! The symbol model shared by the parser (which produces it) and the index (which stores it).
//!
//! Positions carry both encodings an LSP client may ask for: byte columns (UTF-8) and UTF-16 code
//! unit columns, computed once at extraction so that answering never rereads a file. Names are
//! interned process-wide: a [`Name`] is four bytes. No IO, no LSP types.

use std::num::NonZeroU32;
use std::sync::{LazyLock, Mutex};

use dashmap::DashMap;
use rustc_hash::FxBuildHasher;
use serde::{Deserialize, Serialize};

/// The process-wide interner. Text to name through a sharded map; name to text through an
/// append-only vector, so that `as_str` (ranking and every answer call it) is an index and a load,
/// without a lock. The texts live in leaked chunks: names are never freed.
struct Interner {
    ids: DashMap<&'static str, Name, FxBuildHasher>,
    texts: boxcar::Vec<&'static str>,
    /// New names are added one at a time (a name added twice would get two ids).
    arena: Mutex<Arena>,
}

static INTERNER: LazyLock<Interner> = LazyLock::new(|| Interner {
    ids: DashMap::with_hasher(FxBuildHasher),
    texts: boxcar::Vec::new(),
    arena: Mutex::new(Arena { free: &mut [] }),
});

/// Bytes for name texts, carved from leaked chunks.
struct Arena {
    free: &'static mut [u8],
}

impl Arena {
    const CHUNK: usize = 64 * 1024;

    fn alloc(&mut self, text: &str) -> &'static str {
        if text.len() > self.free.len() {
            self.free = Box::leak(vec![0u8; Self::CHUNK.max(text.len())].into_boxed_slice());
        }
        let (head, rest) = std::mem::take(&mut self.free).split_at_mut(text.len());
        head.copy_from_slice(text.as_bytes());
        self.free = rest;
        std::str::from_utf8(head).expect("copied from a str")
    }
}

/// An interned symbol name: four bytes (its index among the names, plus one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(NonZeroU32);

impl Name {
    pub fn new(text: &str) -> Name {
        if let Some(name) = Name::lookup(text) {
            return name;
        }
        let interner = &*INTERNER;
        let mut arena = interner.arena.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(name) = Name::lookup(text) {
            return name;
        }
        let text = arena.alloc(text);
        let index = interner.texts.push(text);
        let name = Name(NonZeroU32::new(u32::try_from(index + 1).expect("fewer than 4 G names")).expect("index + 1"));
        interner.ids.insert(text, name);
        name
    }

    /// The name if it was ever interned (a name never seen cannot be in the index).
    pub fn lookup(text: &str) -> Option<Name> {
        INTERNER.ids.get(text).map(|n| *n)
    }

    pub fn as_str(self) -> &'static str {
        // Interned before this name existed, and never removed.
        INTERNER.texts[self.0.get() as usize - 1]
    }
}

impl Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(Name::new(&text))
    }
}

/// A position: zero-based line, byte column and UTF-16 column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
    pub col16: u32,
}

/// A half-open range of positions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    /// Whether `other` lies within `self`.
    pub fn contains(&self, other: &Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// Whether the position (line, byte column) lies within `self` (end inclusive, so a cursor
    /// just after a name still counts).
    pub fn contains_point(&self, line: u32, col: u32) -> bool {
        let p = (line, col);
        (self.start.line, self.start.col) <= p && p <= (self.end.line, self.end.col)
    }
}

/// What a tag is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Defines the name.
    Definition,
    /// Uses the name (a call, a type use, an implementation).
    Reference,
    /// A scope that names its contents but defines nothing (a Rust `impl` block).
    Scope,
}

/// The kind of a symbol, the tags vocabulary (`@definition.<kind>`) normalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SymbolKind {
    Function,
    Method,
    Class,
    Interface,
    Module,
    Macro,
    Constant,
    Variable,
    Field,
    Property,
    Enum,
    EnumMember,
    Struct,
    Type,
    Constructor,
    Impl,
    Other,
}

impl SymbolKind {
    /// Maps a tags-query kind (`function` in `@definition.function`) to a kind.
    pub fn from_tag(tag: &str) -> SymbolKind {
        match tag {
            "function" | "call" => SymbolKind::Function,
            "method" | "send" => SymbolKind::Method,
            "class" => SymbolKind::Class,
            "interface" | "trait" | "protocol" => SymbolKind::Interface,
            "module" | "namespace" | "package" | "object" => SymbolKind::Module,
            "macro" => SymbolKind::Macro,
            "constant" | "const" => SymbolKind::Constant,
            "variable" | "var" | "val" => SymbolKind::Variable,
            "field" => SymbolKind::Field,
            "property" => SymbolKind::Property,
            "enum" => SymbolKind::Enum,
            "enum_variant" | "enum_member" | "enumerator" => SymbolKind::EnumMember,
            "struct" => SymbolKind::Struct,
            "type" | "typedef" | "type_alias" => SymbolKind::Type,
            "constructor" => SymbolKind::Constructor,
            "impl" | "implementation" => SymbolKind::Impl,
            _ => SymbolKind::Other,
        }
    }

    /// Short lowercase label, as the CLI prints it.
    pub fn label(self) -> &'static str {
        match self {
            SymbolKind::Function => "function",
            SymbolKind::Method => "method",
            SymbolKind::Class => "class",
            SymbolKind::Interface => "interface",
            SymbolKind::Module => "module",
            SymbolKind::Macro => "macro",
            SymbolKind::Constant => "constant",
            SymbolKind::Variable => "variable",
            SymbolKind::Field => "field",
            SymbolKind::Property => "property",
            SymbolKind::Enum => "enum",
            SymbolKind::EnumMember => "enum_member",
            SymbolKind::Struct => "struct",
            SymbolKind::Type => "type",
            SymbolKind::Constructor => "constructor",
            SymbolKind::Impl => "impl",
            SymbolKind::Other => "other",
        }
    }

    /// Whether symbols of this kind hold others (shown as parents in outlines).
    pub fn is_container(self) -> bool {
        matches!(
            self,
            SymbolKind::Class
                | SymbolKind::Interface
                | SymbolKind::Module
                | SymbolKind::Enum
                | SymbolKind::Struct
                | SymbolKind::Impl
        )
    }
}

/// Marks "no parent".
pub const NO_PARENT: u32 = u32::MAX;

/// One tag in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Symbol {
    pub name: Name,
    pub kind: SymbolKind,
    pub role: Role,
    /// The whole construct (function with its body).
    pub range: Span,
    /// The name itself (LSP `selectionRange`).
    pub name_range: Span,
    /// Index of the innermost enclosing definition or scope in the same file, or [`NO_PARENT`].
    pub parent: u32,
}

impl Symbol {
    pub fn is_definition(&self) -> bool {
        self.role == Role::Definition
    }

    pub fn parent_index(&self) -> Option<usize> {
        (self.parent != NO_PARENT).then_some(self.parent as usize)
    }
}

/// The name of the container of `symbols[index]`: its innermost enclosing definition or scope.
pub fn container_name(symbols: &[Symbol], index: usize) -> Option<&'static str> {
    let parent = symbols.get(index)?.parent_index()?;
    symbols.get(parent).map(|p| p.name.as_str())
}
