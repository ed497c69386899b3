//! The symbol model shared by the parser (which produces it) and the index (which stores it).
//!
//! Positions carry both encodings an LSP client may ask for: byte columns (UTF-8) and UTF-16 code
//! unit columns, computed once at extraction so that answering never rereads a file. Names are
//! interned process-wide: a [`Name`] is four bytes. No IO, no LSP types.

use std::hash::BuildHasher;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{LazyLock, Mutex, OnceLock, RwLock};

use hashbrown::{hash_table, HashTable};
use rustc_hash::FxBuildHasher;
use serde::{Deserialize, Serialize};

/// The process-wide interner. Text to name through sharded hash tables that hold only the names
/// (four bytes a slot: the text is compared through `texts`); name to text through an append-only
/// vector, so that `as_str` (ranking and every answer call it) is an index and a load, without a
/// lock. The texts live in leaked chunks: names are never freed. A store's names adopted whole
/// ([`adopt_all`]) are the first, their texts where the store keeps them; `texts` holds the
/// names after them.
struct Interner {
    ids: [RwLock<HashTable<Name>>; SHARDS],
    adopted: OnceLock<Adopted>,
    texts: boxcar::Vec<Text>,
    /// The arena of [`Name::new`]. A name is added under its shard's write lock, so two threads
    /// can never give one text two names; bulk interning ([`intern_all`]) brings its own arenas.
    arena: Mutex<Arena>,
}

const SHARDS: usize = 16;

/// Names `0..ends.len()`: `text[ends[i - 1]..ends[i]]` (`ends[-1]` being 0).
struct Adopted {
    text: &'static str,
    ends: &'static [u32],
}

impl Adopted {
    fn get(&self, index: usize) -> Option<&'static str> {
        let end = *self.ends.get(index)? as usize;
        let start = index.checked_sub(1).map_or(0, |before| self.ends[before] as usize);
        self.text.get(start..end)
    }
}

static INTERNER: LazyLock<Interner> = LazyLock::new(|| Interner {
    ids: std::array::from_fn(|_| RwLock::new(HashTable::new())),
    adopted: OnceLock::new(),
    texts: boxcar::Vec::new(),
    arena: Mutex::new(Arena { free: &mut [] }),
});

impl Interner {
    fn hash(text: &str) -> u64 {
        FxBuildHasher.hash_one(text)
    }

    fn shard(&self, hash: u64) -> &RwLock<HashTable<Name>> {
        &self.ids[Interner::shard_of(hash)]
    }

    /// The shard of a hash: bits the tables do not use. A table finds a bucket by the low bits
    /// and tags it with the top seven, which must vary within a shard: sharding by the top four
    /// left eight tags, and a text was compared with sixteen times as many others' on a probe.
    fn shard_of(hash: u64) -> usize {
        (hash >> 52) as usize % SHARDS
    }

    /// The name of `text`, interned if new, its text copied into `arena`.
    fn intern(&self, arena: &mut Arena, text: &str, hash: u64) -> Name {
        let mut shard = self.shard(hash).write().unwrap_or_else(|p| p.into_inner());
        self.intern_in(&mut shard, text, hash, || arena.alloc(text))
    }

    /// The name of `text` in `shard` (the shard of `hash`, write-locked by the caller); if new,
    /// its text is where `store` puts it.
    fn intern_in(&self, shard: &mut HashTable<Name>, text: &str, hash: u64, store: impl FnOnce() -> Text) -> Name {
        match shard.entry(hash, |n| n.as_str() == text, |n| Interner::hash(n.as_str())) {
            hash_table::Entry::Occupied(found) => *found.get(),
            hash_table::Entry::Vacant(slot) => {
                let index = self.adopted_count() + self.texts.push(store());
                let name =
                    Name(NonZeroU32::new(u32::try_from(index + 1).expect("fewer than 4 G names")).expect("index + 1"));
                slot.insert(name);
                name
            }
        }
    }

    fn adopted_count(&self) -> usize {
        self.adopted.get().map_or(0, |adopted| adopted.ends.len())
    }

    fn count(&self) -> usize {
        self.adopted_count() + self.texts.count()
    }

    fn find(&self, text: &str, hash: u64) -> Option<Name> {
        let shard = self.shard(hash).read().unwrap_or_else(|p| p.into_inner());
        shard.find(hash, |n| n.as_str() == text).copied()
    }
}

/// A name's text in 8 bytes where a `&'static str` takes 16 (the interner holds one per name:
/// 5 MB on rust-crates' 600 k names): its address in the arena, with its length in the top 16
/// bits, which no user-space address on a 64-bit platform uses. A text of 65,535 bytes or more
/// keeps its length in the 8 bytes before it.
#[derive(Clone, Copy)]
struct Text(u64);

impl Text {
    const LONG: u64 = 0xFFFF;
    const ADDRESS: u64 = (1 << 48) - 1;

    fn new(text: &'static str) -> Text {
        let address = text.as_ptr() as u64;
        assert!(address & !Text::ADDRESS == 0, "a 48-bit address");
        Text(address | (text.len() as u64).min(Text::LONG) << 48)
    }

    fn get(self) -> &'static str {
        let start = (self.0 & Text::ADDRESS) as *const u8;
        let len = match self.0 >> 48 {
            Text::LONG => {
                // SAFETY: `Arena::alloc` wrote the length of a long text in the 8 bytes before it.
                let prefix = unsafe { std::slice::from_raw_parts(start.sub(8), 8) };
                u64::from_le_bytes(prefix.try_into().expect("8 bytes")) as usize
            }
            short => short as usize,
        };
        // SAFETY: `start..start + len` is a text `Arena::alloc` copied from a `str` into leaked
        // memory that is never written again (the arena hands out each byte once), published to
        // readers through `texts` after the copy.
        unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(start, len)) }
    }
}

/// Bytes for name texts, carved from leaked chunks.
struct Arena {
    free: &'static mut [u8],
}

impl Arena {
    const CHUNK: usize = 64 * 1024;

    fn alloc(&mut self, text: &str) -> Text {
        let prefix = if text.len() as u64 >= Text::LONG { 8 } else { 0 };
        let len = prefix + text.len();
        if len > self.free.len() {
            self.free = Box::leak(vec![0u8; Self::CHUNK.max(len)].into_boxed_slice());
        }
        let (head, rest) = std::mem::take(&mut self.free).split_at_mut(len);
        let (head_prefix, head) = head.split_at_mut(prefix);
        head_prefix.copy_from_slice(&(text.len() as u64).to_le_bytes()[..prefix]);
        head.copy_from_slice(text.as_bytes());
        self.free = rest;
        // SAFETY: the bytes of a `str`, copied whole.
        Text::new(unsafe { std::str::from_utf8_unchecked(head) })
    }
}

/// Texts to intern in bulk ([`intern_all`]).
#[derive(Clone, Copy)]
pub enum Texts<'a> {
    /// Each new name's text is copied into the interner.
    Copied(&'a str),
    /// Kept for good by the caller (leaked): new names' texts stay where they are.
    Kept(&'static str),
}

/// Interns the texts `text[ends[i - 1]..ends[i]]` (a store's names, `ends[-1]` being 0; each
/// end a character boundary) on this thread and `helpers` more, and returns their names in order.
/// Each thread serves some of the shards and takes their write locks once for the whole run (a
/// lock a name, and threads waiting on each other's, were most of the cost): it hashes every
/// text and interns those of its shards, copied into an arena of its own unless `texts` are
/// kept. `Name::new` elsewhere waits for the shard it needs meanwhile.
pub fn intern_all(texts: Texts<'_>, ends: &[u32], helpers: usize) -> Vec<Name> {
    let interner = &*INTERNER;
    let threads = (helpers + 1).min(SHARDS);
    let found: Vec<AtomicU32> = ends.iter().map(|_| AtomicU32::new(0)).collect();
    let text = match texts {
        Texts::Copied(text) => text,
        Texts::Kept(text) => text,
    };
    let serve = |thread: usize| {
        let mut arena = Arena { free: &mut [] };
        let mut shards: Vec<_> = (interner.ids.iter().enumerate())
            .map(|(s, shard)| (s % threads == thread).then(|| shard.write().unwrap_or_else(|p| p.into_inner())))
            .collect();
        let mut start = 0;
        for (&end, slot) in ends.iter().zip(&found) {
            let range = start as usize..end as usize;
            let name = &text[range.clone()];
            start = end;
            let hash = Interner::hash(name);
            if let Some(shard) = &mut shards[Interner::shard_of(hash)] {
                let store = || match texts {
                    Texts::Kept(kept) if (name.len() as u64) < Text::LONG => Text::new(&kept[range]),
                    _ => arena.alloc(name),
                };
                slot.store(interner.intern_in(shard, name, hash, store).0.get(), Ordering::Relaxed);
            }
        }
    };
    std::thread::scope(|s| {
        let serve = &serve;
        for thread in 1..threads {
            s.spawn(move || serve(thread));
        }
        serve(0);
    });
    found.into_iter().map(|n| Name(NonZeroU32::new(n.into_inner()).expect("every shard served"))).collect()
}

/// Numbers the texts `text[ends[i - 1]..ends[i]]` (a store's names: distinct, kept for good) as
/// the first names of a process that has interned none yet, in order, at once: the interner
/// reads their texts where they are (through a copy of `ends`, kept for good), and a thread of
/// its own fills the lookup tables afterwards, holding every shard's write lock from before the
/// names are numbered until the last is in, so that `Name::new` and `Name::lookup` elsewhere
/// wait for it (a text never gets a second name, nor a lookup a miss). Interning rust-crates'
/// 285 k names took 20–40 ms of its store's load, before any file could be decoded; numbering
/// them one by one still took 7–9 ms; nothing but a lookup by text needs the tables. `None` when
/// some name was interned already: then [`intern_all`].
pub fn adopt_all(text: &'static str, ends: &[u32]) -> Option<Vec<Name>> {
    let interner = &*INTERNER;
    if interner.count() != 0 {
        return None;
    }
    let (locked_tx, locked) = std::sync::mpsc::sync_channel::<()>(0);
    let (go, go_rx) = std::sync::mpsc::sync_channel::<bool>(1);
    let ends: &'static [u32] = ends.to_vec().leak();
    let spawned = std::thread::Builder::new().name("symdex-names".into()).spawn(move || {
        let mut shards: Vec<_> = interner.ids.iter().map(|s| s.write().unwrap_or_else(|p| p.into_inner())).collect();
        if locked_tx.send(()).is_err() || go_rx.recv() != Ok(true) {
            return;
        }
        let each = ends.len() / SHARDS + ends.len() / SHARDS / 8;
        shards.iter_mut().for_each(|shard| shard.reserve(each, |n| Interner::hash(n.as_str())));
        let mut start = 0;
        for (index, &end) in ends.iter().enumerate() {
            let name = &text[start as usize..end as usize];
            start = end;
            let hash = Interner::hash(name);
            let shard = &mut shards[Interner::shard_of(hash)];
            match shard.entry(hash, |n| n.as_str() == name, |n| Interner::hash(n.as_str())) {
                hash_table::Entry::Occupied(_) => tracing::warn!("a name stored twice: {name:?}"),
                hash_table::Entry::Vacant(slot) => {
                    slot.insert(Name(NonZeroU32::new(index as u32 + 1).expect("index + 1")));
                }
            }
        }
    });
    if spawned.is_err() || locked.recv().is_err() {
        return None;
    }
    // Every shard is locked: nobody else interns until the tables are filled.
    if interner.count() != 0 || interner.adopted.set(Adopted { text, ends }).is_err() {
        let _ = go.send(false);
        return None;
    }
    let _ = go.send(true);
    Some((0..ends.len() as u32).map(Name::from_index).collect())
}

/// An interned symbol name: four bytes (its index among the names, plus one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(NonZeroU32);

impl Name {
    pub fn new(text: &str) -> Name {
        let (interner, hash) = (&*INTERNER, Interner::hash(text));
        if let Some(name) = interner.find(text, hash) {
            return name;
        }
        let mut arena = interner.arena.lock().unwrap_or_else(|p| p.into_inner());
        interner.intern(&mut arena, text, hash)
    }

    /// Makes room for `additional` names about to be interned (a store being loaded), so that the
    /// tables do not rehash, reading every text again, as they grow.
    pub fn reserve(additional: usize) {
        let interner = &*INTERNER;
        // Hashes spread names evenly over the shards; a little more than an even share each.
        let each = additional / SHARDS + additional / SHARDS / 8;
        for shard in &interner.ids {
            let mut shard = shard.write().unwrap_or_else(|p| p.into_inner());
            shard.reserve(each, |n| Interner::hash(n.as_str()));
        }
        interner.texts.reserve(additional);
    }

    /// How many names were interned so far.
    pub fn count() -> usize {
        INTERNER.count()
    }

    /// The name if it was ever interned (a name never seen cannot be in the index).
    pub fn lookup(text: &str) -> Option<Name> {
        INTERNER.find(text, Interner::hash(text))
    }

    /// The name's number: names are numbered densely from 0 in the order first interned, so
    /// per-name data can live in a vector.
    pub fn index(self) -> usize {
        self.0.get() as usize - 1
    }

    /// The name numbered `index` ([`Name::index`]). The caller knows there is one: a record read
    /// in place from a store whose names this process adopted ([`adopt_all`]), each checked
    /// against the store's name count when the store was loaded.
    pub(crate) fn from_index(index: u32) -> Name {
        Name(NonZeroU32::new(index.wrapping_add(1)).unwrap_or(NonZeroU32::MIN))
    }

    pub fn as_str(self) -> &'static str {
        // Interned before this name existed, and never removed.
        let (interner, index) = (&*INTERNER, self.index());
        match interner.adopted.get() {
            Some(adopted) if index < adopted.ends.len() => adopted.get(index).unwrap_or_default(),
            Some(adopted) => interner.texts[index - adopted.ends.len()].get(),
            None => interner.texts[index].get(),
        }
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

impl Role {
    /// Every role, each at the index of its discriminant.
    pub const ALL: [Role; 3] = [Role::Definition, Role::Reference, Role::Scope];
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
    /// Every kind, each at the index of its discriminant.
    pub const ALL: [SymbolKind; 17] = [
        SymbolKind::Function,
        SymbolKind::Method,
        SymbolKind::Class,
        SymbolKind::Interface,
        SymbolKind::Module,
        SymbolKind::Macro,
        SymbolKind::Constant,
        SymbolKind::Variable,
        SymbolKind::Field,
        SymbolKind::Property,
        SymbolKind::Enum,
        SymbolKind::EnumMember,
        SymbolKind::Struct,
        SymbolKind::Type,
        SymbolKind::Constructor,
        SymbolKind::Impl,
        SymbolKind::Other,
    ];

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_their_text_whatever_its_length() {
        let long = "x".repeat(70_000);
        let edge = "é".repeat(0xFFFF / 2) + "a";
        assert_eq!(edge.len(), 0xFFFF);
        let texts = ["a", "", "with_underscores", "ünïcödé", "🦀crab", &long, &edge, "after_long"];
        let names: Vec<Name> = texts.iter().map(|t| Name::new(t)).collect();
        for (name, text) in names.iter().zip(texts) {
            assert_eq!(name.as_str(), text);
            assert_eq!(Name::new(text), *name, "interned once");
            assert_eq!(Name::lookup(text), Some(*name));
        }
        assert_eq!(Name::lookup("symbol_tests_never_interned"), None);
        let distinct: std::collections::HashSet<Name> = names.iter().copied().collect();
        assert_eq!(distinct.len(), texts.len());
    }

    /// `texts` end to end, and where each ends.
    fn joined(texts: &[&str]) -> (String, Vec<u32>) {
        let ends = texts.iter().scan(0, |end, t| {
            *end += t.len() as u32;
            Some(*end)
        });
        (texts.concat(), ends.collect())
    }

    #[test]
    fn interning_all_at_once_agrees_with_one_at_a_time() {
        let known = Name::new("intern_all_known");
        let texts = ["intern_all_a", "intern_all_known", "intern_all_é", "intern_all_a", "", "intern_all_b"];
        let (text, ends) = joined(&texts);
        for helpers in [0, 1, 3, 40] {
            let names = intern_all(Texts::Copied(&text), &ends, helpers);
            assert_eq!(names.len(), texts.len(), "one name a text");
            assert_eq!(names[1], known);
            assert_eq!(names[0], names[3], "the same text twice is one name");
            for (name, text) in names.iter().zip(texts) {
                assert_eq!(name.as_str(), text);
                assert_eq!(Name::new(text), *name, "{helpers} helpers");
            }
        }
        // Kept texts: a new name's text is the caller's own (a long one is copied all the same);
        // one interned before keeps its text.
        let long = "k".repeat(70_000);
        let texts = ["intern_kept_a", "intern_all_known", &long, "intern_kept_é"];
        let (text, ends) = joined(&texts);
        let kept: &'static str = String::leak(text);
        let names = intern_all(Texts::Kept(kept), &ends, 1);
        let within = |name: Name| kept.as_bytes().as_ptr_range().contains(&name.as_str().as_ptr());
        assert_eq!(names.iter().map(|&n| within(n)).collect::<Vec<_>>(), [true, false, false, true]);
        for (name, text) in names.iter().zip(texts) {
            assert_eq!(name.as_str(), text);
            assert_eq!(Name::lookup(text), Some(*name));
        }
    }

    #[test]
    fn threads_interning_the_same_texts_at_once_agree_on_every_name() {
        let texts: Vec<String> = (0..4000).map(|i| format!("interning_race_{i}")).collect();
        let barrier = std::sync::Barrier::new(4);
        let runs: Vec<Vec<Name>> = std::thread::scope(|s| {
            let runs: Vec<_> = (0..4)
                .map(|t| {
                    let (texts, barrier) = (&texts, &barrier);
                    s.spawn(move || {
                        // Each thread in another order, all starting together.
                        let mut order: Vec<usize> = (0..texts.len()).collect();
                        order.rotate_left(t * 1000);
                        barrier.wait();
                        let ordered: Vec<&str> = order.iter().map(|&i| texts[i].as_str()).collect();
                        let (text, ends) = joined(&ordered);
                        // In bulk, copied or kept, and one by one.
                        let out = match t {
                            0 => intern_all(Texts::Copied(&text), &ends, 0),
                            2 => intern_all(Texts::Kept(String::leak(text)), &ends, 2),
                            _ => ordered.iter().map(|text| Name::new(text)).collect(),
                        };
                        let mut names = vec![out[0]; texts.len()];
                        order.iter().zip(out).for_each(|(&i, name)| names[i] = name);
                        names
                    })
                })
                .collect();
            runs.into_iter().map(|r| r.join().expect("no panic")).collect()
        });
        assert!(runs.iter().all(|run| *run == runs[0]), "one name a text, whichever thread came first");
        for (text, name) in texts.iter().zip(&runs[0]) {
            assert_eq!(name.as_str(), text);
            assert_eq!(Name::lookup(text), Some(*name));
        }
        let distinct: std::collections::HashSet<Name> = runs[0].iter().copied().collect();
        assert_eq!(distinct.len(), texts.len());
    }
}
