//! The symbol table: files by id in a [`DashMap`], each file's symbols an immutable `Arc` replaced
//! whole on change, plus name indexes for definition lookup, references and fuzzy search.
//!
//! Invariants: no IO and no LSP types here; queries never hold a map guard while touching another
//! map, and an update holds only its own file's entry while it edits the name indexes, so readers
//! and writers of different files never wait on each other for long.

mod rank;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use dashmap::mapref::entry::Entry;
use dashmap::DashMap;
use serde::{Deserialize, Serialize};

use crate::lang::Lang;
use crate::symbol::{Name, Role, Symbol};

pub use rank::{is_vendored, DefinitionQuery, SearchQuery};

/// A file's number in the index (stable while the process runs).
pub type FileId = u32;

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
    pub symbols: Vec<Symbol>,
    pub vendored: bool,
    pub origin: Origin,
    pub stamp: Stamp,
}

/// A symbol in a file: the file entry it lives in and its index there.
#[derive(Clone, Debug)]
pub struct SymbolRef {
    pub file: Arc<FileEntry>,
    pub index: usize,
}

impl SymbolRef {
    pub fn symbol(&self) -> &Symbol {
        &self.file.symbols[self.index]
    }

    /// The name of the enclosing definition or scope.
    pub fn container(&self) -> Option<&'static str> {
        crate::symbol::container_name(&self.file.symbols, self.index)
    }
}

/// A new version of a file's symbols.
#[derive(Debug)]
pub struct FileUpdate {
    pub path: PathBuf,
    pub lang: Lang,
    pub symbols: Vec<Symbol>,
    pub origin: Origin,
    pub stamp: Stamp,
}

/// The concurrent symbol table.
#[derive(Default)]
pub struct Index {
    next_id: AtomicU32,
    ids: DashMap<Arc<Path>, FileId>,
    files: DashMap<FileId, Arc<FileEntry>>,
    definitions: DashMap<Name, Vec<FileId>>,
    references: DashMap<Name, Vec<FileId>>,
    /// Every name ever defined, once, with its letter mask: what fuzzy search scans.
    name_table: RwLock<Vec<NameSlot>>,
    symbol_count: AtomicUsize,
}

#[derive(Clone, Copy)]
struct NameSlot {
    mask: u64,
    name: Name,
}

/// A bit per letter, digit and `_` present in `text` (case-folded): a name can match a fuzzy query
/// only if its mask includes the query's.
pub fn char_mask(text: &str) -> u64 {
    text.bytes().fold(0, |mask, b| {
        let bit = match b.to_ascii_lowercase() {
            c @ b'a'..=b'z' => c - b'a',
            c @ b'0'..=b'9' => 26 + c - b'0',
            b'_' => 36,
            b'$' => 37,
            b'-' => 38,
            _ => return mask,
        };
        mask | 1 << bit
    })
}

impl Index {
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces a file's symbols. A disk update never replaces an open editor buffer's symbols;
    /// returns whether the update was applied.
    pub fn upsert(&self, update: FileUpdate) -> bool {
        let path: Arc<Path> = Arc::from(update.path.as_path());
        let id = *self.ids.entry(path.clone()).or_insert_with(|| self.next_id.fetch_add(1, Ordering::Relaxed));
        let entry = Arc::new(FileEntry {
            id,
            vendored: is_vendored(&path),
            path,
            lang: update.lang,
            symbols: update.symbols,
            origin: update.origin,
            stamp: update.stamp,
        });
        match self.files.entry(id) {
            Entry::Occupied(mut slot) => {
                if slot.get().origin == Origin::Editor && entry.origin == Origin::Disk {
                    return false;
                }
                let old = slot.insert(entry.clone());
                self.reindex_names(id, Some(&old), Some(&entry));
            }
            Entry::Vacant(slot) => {
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
                    id: e.id,
                    path: e.path.clone(),
                    lang: e.lang,
                    symbols: e.symbols.clone(),
                    vendored: e.vendored,
                    origin: Origin::Disk,
                    stamp: Stamp::default(),
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
        self.lookup(&self.definitions, name, |s| s.role == Role::Definition)
    }

    /// All references to exactly `name`.
    pub fn references_to(&self, name: &str) -> Vec<SymbolRef> {
        self.lookup(&self.references, name, |s| s.role == Role::Reference)
    }

    fn lookup(&self, map: &DashMap<Name, Vec<FileId>>, name: &str, keep: impl Fn(&Symbol) -> bool) -> Vec<SymbolRef> {
        let Some(name) = Name::lookup(name) else { return Vec::new() };
        let ids = map.get(&name).map(|ids| ids.clone()).unwrap_or_default();
        let mut out = Vec::new();
        for id in ids {
            let Some(file) = self.file_by_id(id) else { continue };
            for (index, s) in file.symbols.iter().enumerate() {
                if s.name == name && keep(s) {
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

    /// Whether some file defines `name` now.
    fn is_defined(&self, name: Name) -> bool {
        self.definitions.get(&name).is_some_and(|ids| !ids.is_empty())
    }

    /// Visits every name ever defined whose letters include all of `mask`'s ([`char_mask`]), for the
    /// fuzzy matcher. Names no longer defined are visited too; the caller's lookup drops them.
    fn candidate_names(&self, mask: u64, mut visit: impl FnMut(Name)) {
        let table = self.name_table.read().unwrap_or_else(|p| p.into_inner());
        for slot in table.iter() {
            if slot.mask & mask == mask {
                visit(slot.name);
            }
        }
    }

    fn reindex_names(&self, id: FileId, old: Option<&FileEntry>, new: Option<&FileEntry>) {
        let names = |f: Option<&FileEntry>, role: Role| -> Vec<Name> {
            let mut v: Vec<Name> =
                f.map(|f| f.symbols.iter().filter(|s| s.role == role).map(|s| s.name).collect()).unwrap_or_default();
            v.sort_unstable();
            v.dedup();
            v
        };
        for (map, role) in [(&self.definitions, Role::Definition), (&self.references, Role::Reference)] {
            let before = names(old, role);
            let after = names(new, role);
            let keep_empty = role == Role::Definition;
            for name in before.iter().filter(|n| after.binary_search(n).is_err()) {
                // Definition entries stay when empty: the name table holds every name ever defined
                // once, and a vacant entry below means "first time".
                map.remove_if_mut(name, |_, ids| {
                    ids.retain(|&i| i != id);
                    ids.is_empty() && !keep_empty
                });
            }
            for name in after.iter().filter(|n| before.binary_search(n).is_err()) {
                match map.entry(*name) {
                    Entry::Occupied(mut ids) => {
                        if !ids.get().contains(&id) {
                            ids.get_mut().push(id);
                        }
                    }
                    Entry::Vacant(slot) => {
                        slot.insert(vec![id]);
                        if keep_empty {
                            let slot = NameSlot { mask: char_mask(name.as_str()), name: *name };
                            self.name_table.write().unwrap_or_else(|p| p.into_inner()).push(slot);
                        }
                    }
                }
            }
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
