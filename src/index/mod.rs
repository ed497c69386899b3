//! The symbol table: files by id in a [`DashMap`], each file's symbols an immutable `Arc` replaced
//! whole on change (kept compact, see [`Symbols`]), plus name indexes for definition lookup and
//! fuzzy search. References are found by scanning the files' compact records: a references
//! request is rare next to the memory a name map for every use would hold.
//!
//! Invariants: no IO and no LSP types here; queries never hold a map guard while touching another
//! map, and an update holds only its own file's entry while it edits the name indexes (each
//! behind one lock, taken once per file for that file's names), so readers and writers of
//! different files never wait on each other for long.

mod defs;
mod names;
mod packed;
mod rank;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use dashmap::mapref::entry::Entry;
use dashmap::DashMap;
use rustc_hash::FxBuildHasher;
use serde::{Deserialize, Serialize};

use crate::lang::Lang;
use crate::symbol::{Name, Role, Symbol};

pub use defs::StoredDefinitions;
pub use names::{block as name_block, StoredNames, SETS as NAME_SETS, TEXT_PADDING as NAME_TEXT_PADDING};
pub use packed::{Packed, Small, Stored, Symbols, SymbolsBuilder, COLUMN_SAFE_NAMES};
pub use rank::{is_vendored, DefinitionQuery, SearchQuery};

/// A file's number in the index (stable while the process runs).
pub type FileId = u32;

/// The files defining a name: up to four held inline without an allocation.
type FileIds = smallvec::SmallVec<[FileId; 4]>;

/// Where a file's current symbols came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Origin {
    /// Read from disk by the scanner or the watcher.
    Disk,
    /// An open editor buffer: it wins over the disk until closed.
    Editor,
}

/// What identifies the content a file's symbols were extracted from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub size: u64,
    /// Modification time, nanoseconds since the epoch (0 when unknown).
    pub mtime_ns: u128,
    /// blake3 of the content.
    pub hash: [u8; 32],
}

/// One indexed file.
#[derive(Debug)]
pub struct FileEntry {
    pub id: FileId,
    pub path: Arc<Path>,
    pub lang: Lang,
    pub symbols: Symbols,
    pub vendored: bool,
    pub origin: Origin,
    pub stamp: Stamp,
    /// Indexes of the file's definitions sorted by name, for files with many symbols (empty
    /// otherwise: a scan is as fast). Built on first use: a warm start loads thousands of files
    /// no query reads, and sorting each one's definitions was a sixth of its decoding threads' time.
    by_name: OnceLock<Box<[u32]>>,
}

/// Files with at least this many symbols get a sorted name index ([`FileEntry::definitions_named`]).
const SORTED_FROM: usize = 48;

impl FileEntry {
    pub fn new(id: FileId, path: Arc<Path>, lang: Lang, symbols: Symbols, origin: Origin, stamp: Stamp) -> FileEntry {
        FileEntry { id, vendored: is_vendored(&path), path, lang, symbols, origin, stamp, by_name: OnceLock::new() }
    }

    /// Indexes of the definitions sorted by name, then in document order (empty for a file with
    /// few symbols), built on first use.
    fn by_name(&self) -> &[u32] {
        self.by_name.get_or_init(|| {
            if self.symbols.len() < SORTED_FROM {
                return Box::default();
            }
            // As (name, index) integers: one sort gives name order, and within a name document
            // order, as a stable sort by name would.
            let mut keys: Vec<u64> = Vec::with_capacity(self.symbols.len());
            keys.extend(self.definitions().map(|(i, name)| (name.index() as u64) << 32 | i as u64));
            keys.sort_unstable();
            keys.into_iter().map(|k| k as u32).collect()
        })
    }

    /// The file's definitions: (index, name), in document order.
    fn definitions(&self) -> impl Iterator<Item = (usize, Name)> + '_ {
        self.symbols.names().enumerate().filter(|(_, s)| s.1 == Role::Definition).map(|(i, s)| (i, s.0))
    }

    /// The names the file defines, sorted, each once.
    fn defined_names(&self) -> Vec<Name> {
        let mut names: Vec<Name> = match self.by_name.get().filter(|sorted| !sorted.is_empty()) {
            Some(sorted) => sorted.iter().filter_map(|&i| self.symbols.name_role(i as usize).map(|(n, _)| n)).collect(),
            None => {
                let mut names: Vec<Name> = self.definitions().map(|(_, name)| name).collect();
                names.sort_unstable();
                names
            }
        };
        names.dedup();
        names
    }

    /// Indexes of the file's definitions of `name`, in document order.
    pub fn definitions_named(&self, name: Name) -> Vec<usize> {
        let by_name = self.by_name();
        if by_name.is_empty() {
            return self.definitions().filter(|&(_, n)| n == name).map(|(i, _)| i).collect();
        }
        let name_at = |i: u32| self.symbols.name_role(i as usize).map(|(n, _)| n);
        let start = by_name.partition_point(|&i| name_at(i) < Some(name));
        let end = start + by_name[start..].partition_point(|&i| name_at(i) == Some(name));
        by_name[start..end].iter().map(|&i| i as usize).collect()
    }
}

/// A symbol in a file: the file entry it lives in and its index there.
#[derive(Clone, Debug)]
pub struct SymbolRef {
    pub file: Arc<FileEntry>,
    pub index: usize,
}

impl SymbolRef {
    pub fn symbol(&self) -> Symbol {
        self.file.symbols.get(self.index).expect("a SymbolRef points into its file")
    }

    /// The name of the enclosing definition or scope.
    pub fn container(&self) -> Option<&'static str> {
        self.file.symbols.container_name(self.index)
    }
}

/// A new version of a file's symbols.
#[derive(Debug)]
pub struct FileUpdate {
    pub path: PathBuf,
    pub lang: Lang,
    pub symbols: Symbols,
    pub origin: Origin,
    pub stamp: Stamp,
    /// The file's number in the persistent store that served it, whose definitions the store
    /// listed already (see [`Index::list_stored`]).
    pub stored: Option<u32>,
}

/// How many names are about to arrive, and their bytes (an upper bound is fine): see
/// [`Index::reserve_names`].
#[derive(Clone, Copy, Debug, Default)]
pub struct NameHint {
    pub count: usize,
    pub bytes: usize,
}

/// The concurrent symbol table.
#[derive(Default)]
pub struct Index {
    next_id: AtomicU32,
    ids: DashMap<Arc<Path>, FileId, FxBuildHasher>,
    files: DashMap<FileId, Arc<FileEntry>, FxBuildHasher>,
    /// The files defining each name ever defined.
    definitions: RwLock<defs::Definitions>,
    /// Every name ever defined, once: what fuzzy search looks through.
    name_table: RwLock<names::NameTable>,
    symbol_count: AtomicUsize,
    /// The store being loaded whose definitions are listed ahead of its files.
    stored: RwLock<Option<Listed>>,
}

/// A store's definitions, listed in the name → files table before its files arrive: store file
/// `k` under id `base + k` (so that a name's files, in store order, are in id order).
struct Listed {
    base: FileId,
    /// Whether file `k` came, under its id.
    came: Box<[AtomicBool]>,
}

impl Index {
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces a file's symbols. A disk update never replaces an open editor buffer's symbols;
    /// returns whether the update was applied.
    pub fn upsert(&self, update: FileUpdate) -> bool {
        let path: Arc<Path> = Arc::from(update.path.as_path());
        // A store's file whose definitions are listed already: under the read lock until it is
        // counted as come, so that the store's listing cannot end in between.
        let listed = update.stored.map(|k| (k, self.stored.read().unwrap_or_else(|p| p.into_inner())));
        let reserved = listed.as_ref().and_then(|(k, listed)| {
            let listed = listed.as_ref()?;
            Some((listed.base + k, listed.came.get(*k as usize)?))
        });
        let id = *self.ids.entry(path.clone()).or_insert_with(|| match reserved {
            Some((id, _)) => id,
            None => self.next_id.fetch_add(1, Ordering::Relaxed),
        });
        let entry = Arc::new(FileEntry::new(id, path, update.lang, update.symbols, update.origin, update.stamp));
        match (self.files.entry(id), reserved) {
            // New under its reserved id: the store listed its definitions.
            (Entry::Vacant(slot), Some((reserved, came))) if reserved == id => {
                self.symbol_count.fetch_add(entry.symbols.len(), Ordering::Relaxed);
                slot.insert(entry);
                came.store(true, Ordering::Relaxed);
            }
            (Entry::Occupied(mut slot), _) => {
                if slot.get().origin == Origin::Editor && entry.origin == Origin::Disk {
                    return false;
                }
                let old = slot.insert(entry.clone());
                self.reindex_names(id, Some(&old), Some(&entry));
            }
            (Entry::Vacant(slot), _) => {
                slot.insert(entry.clone());
                self.reindex_names(id, None, Some(&entry));
            }
        }
        true
    }

    /// Removes a file (deleted on disk). Returns whether it was indexed.
    pub fn remove(&self, path: &Path) -> bool {
        let Some(id) = self.ids.get(path).map(|r| *r) else { return false };
        let removed = match self.files.entry(id) {
            Entry::Occupied(slot) => {
                let old = slot.remove();
                self.reindex_names(id, Some(&old), None);
                true
            }
            Entry::Vacant(_) => false,
        };
        self.ids.remove(path);
        removed
    }

    /// Takes a file read from disk out of the index (a served store file the walk did not confirm,
    /// see [`crate::scanner::Target`]): removes it and returns its symbols. An open editor
    /// buffer's file stays: `None`.
    pub fn take_disk(&self, path: &Path) -> Option<Symbols> {
        let id = self.ids.get(path).map(|r| *r)?;
        let old = match self.files.entry(id) {
            Entry::Occupied(slot) if slot.get().origin == Origin::Disk => slot.remove(),
            _ => return None,
        };
        self.reindex_names(id, Some(&old), None);
        self.ids.remove(path);
        Some(Arc::try_unwrap(old).map_or_else(|old| old.symbols.clone(), |old| old.symbols))
    }

    /// Removes every file under `dir`. Returns how many were removed.
    pub fn remove_under(&self, dir: &Path) -> usize {
        let doomed: Vec<Arc<Path>> =
            self.ids.iter().filter(|e| e.key().starts_with(dir)).map(|e| e.key().clone()).collect();
        doomed.iter().filter(|p| self.remove(p)).count()
    }

    /// Hands a file back from the editor to the disk (the buffer was closed): the next disk update
    /// replaces it.
    pub fn release(&self, path: &Path) {
        let Some(id) = self.ids.get(path).map(|r| *r) else { return };
        if let Some(mut slot) = self.files.get_mut(&id) {
            if slot.origin == Origin::Editor {
                let e = &**slot;
                *slot = Arc::new(FileEntry {
                    path: e.path.clone(),
                    symbols: e.symbols.clone(),
                    by_name: e.by_name.clone(),
                    origin: Origin::Disk,
                    stamp: Stamp::default(),
                    ..**slot
                });
            }
        }
    }

    pub fn file(&self, path: &Path) -> Option<Arc<FileEntry>> {
        let id = self.ids.get(path).map(|r| *r)?;
        self.files.get(&id).map(|f| f.clone())
    }

    fn file_by_id(&self, id: FileId) -> Option<Arc<FileEntry>> {
        self.files.get(&id).map(|f| f.clone())
    }

    /// Every indexed file (a snapshot of the entries).
    pub fn files(&self) -> Vec<Arc<FileEntry>> {
        self.files.iter().map(|f| f.clone()).collect()
    }

    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    pub fn symbol_count(&self) -> usize {
        self.symbol_count.load(Ordering::Relaxed)
    }

    /// All definitions of exactly `name`.
    pub fn definitions_of(&self, name: &str) -> Vec<SymbolRef> {
        let Some(name) = Name::lookup(name) else { return Vec::new() };
        self.defining_files(name).into_iter().flat_map(|file| Self::definitions_in(&file, name)).collect()
    }

    /// How many files the name → files table lists for `name`, whether indexed or not (a test
    /// checks that none is listed that is not).
    #[cfg(test)]
    pub(crate) fn listed_files(&self, name: &str) -> usize {
        let Some(name) = Name::lookup(name) else { return 0 };
        self.definitions.read().unwrap_or_else(|p| p.into_inner()).files(name).len()
    }

    /// The files defining `name` now.
    fn defining_files(&self, name: Name) -> Vec<Arc<FileEntry>> {
        let ids = self.definitions.read().unwrap_or_else(|p| p.into_inner()).files(name);
        ids.into_iter().filter_map(|id| self.file_by_id(id)).collect()
    }

    fn definitions_in(file: &Arc<FileEntry>, name: Name) -> Vec<SymbolRef> {
        file.definitions_named(name).into_iter().map(|index| SymbolRef { file: file.clone(), index }).collect()
    }

    /// All references to exactly `name`: a scan of every file's records.
    pub fn references_to(&self, name: &str) -> Vec<SymbolRef> {
        let Some(name) = Name::lookup(name) else { return Vec::new() };
        let mut out = Vec::new();
        for file in self.files() {
            for (index, s) in file.symbols.names().enumerate() {
                if s == (name, Role::Reference) {
                    out.push(SymbolRef { file: file.clone(), index });
                }
            }
        }
        out
    }

    /// `workspace/symbol`: fuzzy, ranked, capped.
    pub fn search(&self, query: &SearchQuery) -> Vec<SymbolRef> {
        rank::search(self, query)
    }

    /// `textDocument/definition`: the best-ranked definitions of a name seen from a place.
    pub fn resolve(&self, query: &DefinitionQuery) -> Vec<SymbolRef> {
        rank::resolve(self, query)
    }

    /// Makes room for `files` more files (a store about to serve them), so that the file maps do
    /// not grow as they arrive, hashing every path again each time.
    pub fn reserve_files(&self, files: usize) {
        reserve(&self.ids, files);
        reserve(&self.files, files);
    }

    /// Makes room in the name indexes for the names a persistent store is about to bring, so
    /// that loading it does not grow them by doubling (a peak of up to twice their size). Room
    /// reserved and not used is never touched, and [`Index::settle`] gives it back.
    pub fn reserve_names(&self, hint: NameHint) {
        self.name_table.write().unwrap_or_else(|p| p.into_inner()).reserve(hint);
        self.definitions.write().unwrap_or_else(|p| p.into_inner()).reserve(hint.count);
    }

    /// Fills the empty name table with names, their texts and their bit sets made ahead (a
    /// store's: see [`name_block`]), so that the files that follow find their names known and read
    /// none of them. Returns false, changing nothing, when the table holds names already (another
    /// root's, an open buffer's) or the texts or sets do not fit: the files then add their names
    /// one by one.
    pub fn preload_names(&self, stored: StoredNames) -> bool {
        // Both locks, the definitions' first (as no one else holds both): no file can add one of
        // these names in between and put it in the table twice.
        let mut definitions = self.definitions.write().unwrap_or_else(|p| p.into_inner());
        let mut table = self.name_table.write().unwrap_or_else(|p| p.into_inner());
        if !table.can_load(&stored) {
            return false;
        }
        let (known, definitions) = (stored.names.clone(), &mut *definitions);
        // The two halves at once, on two threads (a warm start waits for them).
        std::thread::scope(|s| {
            s.spawn(move || {
                definitions.reserve(known.len());
                definitions.mark_all_known(&known);
            });
            table.load(stored)
        })
    }

    /// Lists a store's definitions (`stored`) in the name → files table before its files arrive,
    /// store file `k` under id `base + k`: adding a warm start's million definitions file by file
    /// (name by name at random) was a fifth of it; the table now keeps the listing whole (see
    /// `defs.rs`). The files the store then serves ([`FileUpdate::stored`]) take their reserved
    /// ids and add no definitions; [`Index::end_stored`] unlists those that never came. Only
    /// after the store's names were preloaded ([`Index::preload_names`]): every name is in the
    /// table already.
    pub fn list_stored(&self, stored: StoredDefinitions) {
        // Ids for the files that define something (each listed number is a byte of the store).
        let files = stored.files.iter().max().map_or(0, |&k| k + 1);
        let base = self.next_id.fetch_add(files, Ordering::Relaxed);
        self.definitions.write().unwrap_or_else(|p| p.into_inner()).list(base, stored);
        *self.stored.write().unwrap_or_else(|p| p.into_inner()) =
            Some(Listed { base, came: (0..files).map(|_| AtomicBool::new(false)).collect() });
    }

    /// Ends the listing of [`Index::list_stored`] once the store served all it will: the
    /// definitions of its files that never came (changed, deleted, an open buffer's) leave the
    /// name → files table.
    pub fn end_stored(&self) {
        let Some(listed) = self.stored.write().unwrap_or_else(|p| p.into_inner()).take() else { return };
        if listed.came.iter().all(|came| came.load(Ordering::Relaxed)) {
            return;
        }
        let gone = |k: u32| !listed.came.get(k as usize).is_some_and(|came| came.load(Ordering::Relaxed));
        let mut definitions = self.definitions.write().unwrap_or_else(|p| p.into_inner());
        let Some((base, stored)) = definitions.stored_listing() else { return };
        let doomed: Vec<(Name, FileId)> = stored
            .iter()
            .flat_map(|(name, files)| files.iter().filter(|&&k| gone(k)).map(move |&k| (name, base + k)))
            .collect();
        for (name, id) in doomed {
            definitions.remove(name, id);
        }
    }

    /// Gives back the spare capacity the name indexes grew into (up to half of them), keeping a
    /// sixteenth for the edits to come, and returns the allocator's free memory to the system
    /// (the scan's transient buffers): called when a scan ends.
    pub fn settle(&self) {
        self.name_table.write().unwrap_or_else(|p| p.into_inner()).settle();
        self.definitions.write().unwrap_or_else(|p| p.into_inner()).settle();
        #[cfg(target_env = "gnu")]
        // SAFETY: malloc_trim only returns free memory to the system.
        unsafe {
            libc::malloc_trim(0);
        }
    }

    /// How many names were ever defined.
    pub fn name_count(&self) -> usize {
        self.name_table.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Visits every name ever defined that holds all the letters of `query` and has a word
    /// starting with its first letter, for the fuzzy matcher;
    /// with `words`, only those that may match on word starts (see [`names::NameTable`]).
    /// Names no longer defined are visited too; the caller's lookup drops them.
    /// Visits `(text, name)` in the `part`-th of `parts` equal parts of the table.
    fn candidate_names(
        &self,
        query: &str,
        shape: names::Shape,
        part: (usize, usize),
        visit: impl FnMut(names::Candidate, Name),
    ) {
        let table = self.name_table.read().unwrap_or_else(|p| p.into_inner());
        table.candidates(query, shape, part, visit);
    }

    /// Updates the name indexes for file `id` going from `old` to `new`.
    fn reindex_names(&self, id: FileId, old: Option<&FileEntry>, new: Option<&FileEntry>) {
        let mut first_seen = Vec::new();
        let mut add = |definitions: &mut defs::Definitions, name: Name| {
            if definitions.add(name, id) {
                first_seen.push(name);
            }
        };
        match old {
            // A new file: its definitions as they come (adding a name twice changes nothing), with
            // no sorting (most of a warm start's files).
            None => {
                let mut definitions = self.definitions.write().unwrap_or_else(|p| p.into_inner());
                new.into_iter().flat_map(FileEntry::definitions).for_each(|(_, name)| add(&mut definitions, name));
            }
            Some(old) => {
                let before = old.defined_names();
                let after = new.map(FileEntry::defined_names).unwrap_or_default();
                let mut definitions = self.definitions.write().unwrap_or_else(|p| p.into_inner());
                for name in before.iter().filter(|n| after.binary_search(n).is_err()) {
                    definitions.remove(*name, id);
                }
                for name in after.iter().filter(|n| before.binary_search(n).is_err()) {
                    add(&mut definitions, *name);
                }
            }
        }
        if !first_seen.is_empty() {
            let read: Vec<names::Read> = first_seen.into_iter().map(names::Read::of).collect();
            let mut table = self.name_table.write().unwrap_or_else(|p| p.into_inner());
            read.into_iter().for_each(|read| table.push_read(read));
        }
        let old_count = old.map_or(0, |f| f.symbols.len());
        let new_count = new.map_or(0, |f| f.symbols.len());
        if new_count >= old_count {
            self.symbol_count.fetch_add(new_count - old_count, Ordering::Relaxed);
        } else {
            self.symbol_count.fetch_sub(old_count - new_count, Ordering::Relaxed);
        }
    }
}

/// [`Index::reserve_files`] for one map: room for `additional` more entries in each shard, a little
/// more than an even share (hashes spread keys evenly over the shards).
fn reserve<K: std::hash::Hash + Eq, V>(map: &DashMap<K, V, FxBuildHasher>, additional: usize) {
    let shards = map.shards();
    let each = additional / shards.len() + additional / shards.len() / 8 + 1;
    for shard in shards {
        // The hash the map itself finds a key's slot by.
        shard.write().reserve(each, |(key, _)| std::hash::BuildHasher::hash_one(map.hasher(), key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserving_room_for_files_keeps_the_files_there_found() {
        let index = Index::new();
        let path = |i: usize| PathBuf::from(format!("/w/src/dir{}/f{i}.rs", i % 7));
        let add = |i: usize| {
            index.upsert(FileUpdate {
                path: path(i),
                lang: Lang::Rust,
                symbols: Symbols::from(Vec::new()),
                origin: Origin::Disk,
                stamp: Stamp::default(),
                stored: None,
            })
        };
        // Room reserved over files already in (their slots placed anew), then filled.
        (0..300).for_each(|i| assert!(add(i)));
        index.reserve_files(5_000);
        (300..2_000).for_each(|i| assert!(add(i)));
        for i in 0..2_000 {
            assert_eq!(index.file(&path(i)).map(|f| f.path.to_path_buf()), Some(path(i)));
        }
        assert!(index.remove(&path(5)) && index.file(&path(5)).is_none());
        assert_eq!(index.files().len(), 1_999);
    }
}
