//! Which files define each name: four bytes a name, in a slot indexed by the name's number.
//!
//! Most names are defined by one file, so a slot holds that file's id itself; a name defined by
//! several (`new`, `clone`) points into a side list. A hash map from name to a small vector took
//! 32 bytes an entry and a rehash as it grew (17 MB on rust-crates' 400 k names, against 2 MB
//! here), and inserting into it was most of a warm start.

use super::{FileId, FileIds};
use crate::symbol::Name;

/// Never defined: the name is not in the name table yet.
const NEVER: u32 = 0;
/// Defined once, by no file now.
const NONE: u32 = 1;
/// A single file: its id plus `ONE`.
const ONE: u32 = 2;
/// Several files: `MANY | i`, the files in `many[i]`.
const MANY: u32 = 1 << 31;

/// Which of a persistent store's files define each of its defined names, as the store keeps it:
/// what a warm start fills the table with at once, name by name (see
/// [`super::Index::list_stored`]), rather than file by file.
#[derive(Debug, Default)]
pub struct StoredDefinitions {
    /// The store's defined names, interned, in the store's order.
    pub names: Vec<Name>,
    /// Where each name's files end in `files`.
    pub ends: Vec<u32>,
    /// Store file numbers (their order in the store), increasing within each name.
    pub files: Vec<u32>,
}

impl StoredDefinitions {
    /// Each name with the store files that define it.
    pub(super) fn iter(&self) -> impl Iterator<Item = (Name, &[u32])> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        self.names
            .iter()
            .zip(starts.zip(&self.ends))
            .map(|(&name, (start, &end))| (name, &self.files[start as usize..end as usize]))
    }
}

#[derive(Default)]
pub(super) struct Definitions {
    slots: Vec<u32>,
    /// The files of names defined by several, each list sorted.
    many: Vec<FileIds>,
    /// Entries of `many` no name points to.
    free: Vec<u32>,
    /// Settled once (shrunk, keeping a sixteenth of room): grows slowly from then on.
    settled: bool,
}

impl Definitions {
    fn slot(&self, name: Name) -> u32 {
        self.slots.get(name.index()).copied().unwrap_or(NEVER)
    }

    /// The files defining `name` now, in id order.
    pub(super) fn files(&self, name: Name) -> FileIds {
        match self.slot(name) {
            NEVER | NONE => FileIds::new(),
            slot if slot & MANY != 0 => self.many[(slot & !MANY) as usize].clone(),
            slot => FileIds::from_slice(&[slot - ONE]),
        }
    }

    /// Records that file `id` defines `name`; true when no file ever defined it before.
    pub(super) fn add(&mut self, name: Name, id: FileId) -> bool {
        let at = self.grow_to(name);
        let slot = self.slots[at];
        self.slots[at] = match slot {
            NEVER | NONE if id < MANY - ONE => id + ONE,
            NEVER | NONE => self.spill(FileIds::from_slice(&[id])),
            slot if slot & MANY != 0 => {
                let ids = &mut self.many[(slot & !MANY) as usize];
                // Sorted, so a binary search where `new` (defined by thousands of files) made a
                // linear one a tenth of a warm start. A store's files come in id order: the last
                // id is checked first, and the new one pushed after it.
                match ids.last() {
                    Some(&last) if last < id => ids.push(id),
                    _ => {
                        if let Err(at) = ids.binary_search(&id) {
                            ids.insert(at, id);
                        }
                    }
                }
                slot
            }
            slot if slot - ONE == id => slot,
            slot => self.spill(FileIds::from_slice(&[(slot - ONE).min(id), (slot - ONE).max(id)])),
        };
        slot == NEVER
    }

    /// Records that the files `ids` (in increasing order) define `name`: at once when no file
    /// defines it yet, else one by one.
    pub(super) fn add_sorted(&mut self, name: Name, ids: &[FileId]) {
        let at = self.grow_to(name);
        match (self.slots[at], ids) {
            (_, []) => {}
            (NEVER | NONE, &[id]) if id < MANY - ONE => self.slots[at] = id + ONE,
            (NEVER | NONE, ids) => self.slots[at] = self.spill(FileIds::from_slice(ids)),
            _ => ids.iter().for_each(|&id| {
                self.add(name, id);
            }),
        }
    }

    /// Makes room for `more` names defined by several files.
    pub(super) fn reserve_many(&mut self, more: usize) {
        self.many.reserve(more);
    }

    /// Records that `name` is in the name table, defined by no file yet.
    pub(super) fn mark_known(&mut self, name: Name) {
        let at = self.grow_to(name);
        if self.slots[at] == NEVER {
            self.slots[at] = NONE;
        }
    }

    /// Makes sure `name` has a slot; returns its index.
    fn grow_to(&mut self, name: Name) -> usize {
        let at = name.index();
        if at >= self.slots.len() {
            let more = at + 1 - self.slots.len();
            super::names::make_room(&mut self.slots, more, self.settled);
            self.slots.resize(at + 1, NEVER);
        }
        at
    }

    /// Records that file `id` no longer defines `name`.
    pub(super) fn remove(&mut self, name: Name, id: FileId) {
        let Some(&slot) = self.slots.get(name.index()) else { return };
        let next = match slot {
            NEVER | NONE => return,
            slot if slot & MANY != 0 => {
                let i = (slot & !MANY) as usize;
                if let Ok(at) = self.many[i].binary_search(&id) {
                    self.many[i].remove(at);
                }
                let next = match self.many[i][..] {
                    [] => NONE,
                    [only] if only < MANY - ONE => only + ONE,
                    _ => {
                        self.many[i].shrink_to_fit();
                        return;
                    }
                };
                self.many[i] = FileIds::new();
                self.free.push(i as u32);
                next
            }
            slot if slot - ONE == id => NONE,
            slot => slot,
        };
        self.slots[name.index()] = next;
    }

    pub(super) fn reserve(&mut self, names: usize) {
        self.slots.reserve(names);
    }

    pub(super) fn settle(&mut self) {
        super::names::shrink_with_room(&mut self.slots);
        super::names::shrink_with_room(&mut self.many);
        self.settled = true;
    }

    /// Puts `ids` in the side list; the slot value pointing to them.
    fn spill(&mut self, ids: FileIds) -> u32 {
        let i = match self.free.pop() {
            Some(i) => {
                self.many[i as usize] = ids;
                i
            }
            None => {
                super::names::make_room(&mut self.many, 1, self.settled);
                self.many.push(ids);
                u32::try_from(self.many.len() - 1).expect("fewer than 2 G names defined twice")
            }
        };
        MANY | i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_follow_adds_and_removes_through_every_shape() {
        let mut defs = Definitions::default();
        let (a, b) = (Name::new("defs_test_a"), Name::new("defs_test_b"));
        assert!(defs.files(a).is_empty());
        assert!(defs.add(a, 7), "first definition ever");
        assert!(!defs.add(a, 7), "the same file again");
        assert_eq!(defs.files(a).as_slice(), &[7]);
        assert!(!defs.add(a, 9));
        assert!(!defs.add(a, 11));
        assert_eq!(defs.files(a).as_slice(), &[7, 9, 11]);
        defs.remove(a, 9);
        assert_eq!(defs.files(a).as_slice(), &[7, 11]);
        defs.remove(a, 7);
        assert_eq!(defs.files(a).as_slice(), &[11], "back to a single slot");
        // The freed side-list entry is reused by the next name defined twice.
        assert!(defs.add(b, 2));
        assert!(!defs.add(b, 1));
        assert_eq!(defs.files(b).as_slice(), &[1, 2], "in id order, whatever the order of adds");
        assert_eq!((defs.many.len(), defs.free.len()), (1, 0));
        defs.remove(a, 11);
        assert!(defs.files(a).is_empty());
        assert!(!defs.add(a, 3), "defined before, so not new to the name table");
        assert!(!defs.add(a, 8));
        assert!(!defs.add(a, 5));
        assert!(!defs.add(a, 5));
        assert_eq!(defs.files(a).as_slice(), &[3, 5, 8]);
        defs.remove(a, 5);
        defs.remove(a, 8);
        defs.remove(b, 5);
        assert_eq!(defs.files(b).as_slice(), &[1, 2], "removing a file that does not define it");
        // Ids too large for a slot go to the side list.
        assert!(!defs.add(a, MANY));
        assert_eq!(defs.files(a).as_slice(), &[3, MANY]);
        defs.remove(a, 3);
        assert_eq!(defs.files(a).as_slice(), &[MANY]);
        defs.remove(a, MANY);
        assert!(defs.files(a).is_empty());
    }
}
