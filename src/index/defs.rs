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
/// Several files, as a store listed them: `LISTED | i`, the files of the listing's name `i`
/// (see [`Definitions::list`]).
const LISTED: u32 = 1 << 30;
/// Ids from this one on go to the side list, whatever their count.
const LARGE: u32 = LISTED - ONE;

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
    /// A store's listing (see [`Definitions::list`]): the files of the names whose slot says
    /// [`LISTED`], until one of those changes (it then moves to `many`).
    listed: Option<Listing>,
    /// Entries of `many` no name points to.
    free: Vec<u32>,
    /// Settled once (shrunk, keeping a sixteenth of room): grows slowly from then on.
    settled: bool,
}

/// A store's definitions as [`Definitions::list`] keeps them: store file `k` is id `base + k`.
struct Listing {
    base: FileId,
    stored: StoredDefinitions,
}

impl Listing {
    /// The files of the listing's name `i`.
    fn files(&self, i: u32) -> impl Iterator<Item = FileId> + '_ {
        let i = i as usize;
        let start = i.checked_sub(1).map_or(0, |before| self.stored.ends[before] as usize);
        self.stored.files[start..self.stored.ends[i] as usize].iter().map(|&k| self.base + k)
    }
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
            slot if slot & LISTED != 0 => self.listing(slot).collect(),
            slot => FileIds::from_slice(&[slot - ONE]),
        }
    }

    fn listing(&self, slot: u32) -> impl Iterator<Item = FileId> + '_ {
        self.listed.iter().flat_map(move |listed| listed.files(slot & !LISTED))
    }

    /// Lists a store's definitions at once (its names in the table already, defined by no file
    /// yet), store file `k` under id `base + k`: a name's one file in its slot, the files of a
    /// name several define where the listing holds them (no list of its own until one changes).
    /// Names defined already are listed one file at a time. Another store's listing, if any, is
    /// moved to the side list first.
    pub(super) fn list(&mut self, base: FileId, stored: StoredDefinitions) {
        self.unlist();
        let fits = stored.files.iter().all(|&k| base.checked_add(k).is_some_and(|id| id < LARGE));
        for (i, (name, files)) in stored.iter().enumerate() {
            let at = self.grow_to(name);
            match (self.slots[at], files) {
                (_, []) => {}
                (NEVER | NONE, &[k]) if fits => self.slots[at] = base + k + ONE,
                (NEVER | NONE, _) if fits && i < LISTED as usize => self.slots[at] = LISTED | i as u32,
                _ => files.iter().for_each(|&k| {
                    self.add(name, base + k);
                }),
            }
        }
        if fits {
            self.listed = Some(Listing { base, stored });
        }
    }

    /// The store's listing (see [`Definitions::list`]): its base id and its definitions.
    pub(super) fn stored_listing(&self) -> Option<(FileId, &StoredDefinitions)> {
        self.listed.as_ref().map(|l| (l.base, &l.stored))
    }

    /// Moves every name the listing holds to the side list, and drops the listing.
    fn unlist(&mut self) {
        let Some(listed) = self.listed.take() else { return };
        for (i, (name, _)) in listed.stored.iter().enumerate() {
            let at = name.index();
            if self.slots.get(at) == Some(&(LISTED | i as u32)) {
                let ids = listed.files(i as u32).collect();
                self.slots[at] = self.spill(ids);
            }
        }
    }

    /// Gives `name` (whose slot is `slot`, [`LISTED`]) a list of its own; returns the new slot.
    fn own_list(&mut self, at: usize, slot: u32) -> u32 {
        let ids: FileIds = self.listing(slot).collect();
        self.slots[at] = self.spill(ids);
        self.slots[at]
    }

    /// Records that file `id` defines `name`; true when no file ever defined it before.
    pub(super) fn add(&mut self, name: Name, id: FileId) -> bool {
        let at = self.grow_to(name);
        let mut slot = self.slots[at];
        if slot & (MANY | LISTED) == LISTED {
            slot = self.own_list(at, slot);
        }
        self.slots[at] = match slot {
            NEVER | NONE if id < LARGE => id + ONE,
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

    /// Records that each of `names` is in the name table, defined by no file yet (the slots grown
    /// once for all).
    pub(super) fn mark_all_known(&mut self, names: &[Name]) {
        let Some(last) = names.iter().max() else { return };
        self.grow_to(*last);
        for name in names {
            let slot = &mut self.slots[name.index()];
            if *slot == NEVER {
                *slot = NONE;
            }
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
        let Some(&(mut slot)) = self.slots.get(name.index()) else { return };
        if slot & (MANY | LISTED) == LISTED {
            slot = self.own_list(name.index(), slot);
        }
        let next = match slot {
            NEVER | NONE => return,
            slot if slot & MANY != 0 => {
                let i = (slot & !MANY) as usize;
                if let Ok(at) = self.many[i].binary_search(&id) {
                    self.many[i].remove(at);
                }
                let next = match self.many[i][..] {
                    [] => NONE,
                    [only] if only < LARGE => only + ONE,
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

    #[test]
    fn a_listing_answers_as_added_files_would_and_changes_like_them() {
        let names: Vec<Name> = (0..4).map(|i| Name::new(&format!("defs_listing_{i}"))).collect();
        // Name 0 by store files 1 and 4, name 1 by file 2, name 2 by none, name 3 by 0, 2, 5.
        let stored =
            || StoredDefinitions { names: names.clone(), ends: vec![2, 3, 3, 6], files: vec![1, 4, 2, 0, 2, 5] };
        let mut defs = Definitions::default();
        defs.mark_all_known(&names);
        defs.list(100, stored());
        let files = |defs: &Definitions, i: usize| defs.files(names[i]).to_vec();
        assert_eq!(files(&defs, 0), [101, 104]);
        assert_eq!(files(&defs, 1), [102]);
        assert!(files(&defs, 2).is_empty());
        assert_eq!(files(&defs, 3), [100, 102, 105]);
        assert!(defs.many.is_empty(), "no list of their own: {:?}", defs.many);
        // Changing a listed name gives it a list of its own; the others still read the listing.
        assert!(!defs.add(names[0], 103));
        assert_eq!(files(&defs, 0), [101, 103, 104]);
        defs.remove(names[3], 102);
        assert_eq!(files(&defs, 3), [100, 105]);
        assert_eq!(defs.many.len(), 2);
        assert_eq!(defs.stored_listing().map(|(base, stored)| (base, stored.files.len())), Some((100, 6)));
        // A second listing moves what the first still holds to lists of their own.
        let other = Name::new("defs_listing_other");
        defs.mark_all_known(&[other]);
        defs.list(200, StoredDefinitions { names: vec![other], ends: vec![2], files: vec![0, 1] });
        assert_eq!(files(&defs, 0), [101, 103, 104]);
        assert_eq!(files(&defs, 3), [100, 105]);
        assert_eq!(defs.files(other).to_vec(), [200, 201]);
        // Ids too large for a slot are listed one file at a time.
        let large = Name::new("defs_listing_large");
        defs.mark_all_known(&[large]);
        defs.list(LARGE, StoredDefinitions { names: vec![large], ends: vec![1], files: vec![0] });
        assert_eq!(defs.files(large).to_vec(), [LARGE]);
        assert!(defs.stored_listing().is_none());
        assert_eq!(defs.files(other).to_vec(), [200, 201], "moved off the listing it came in");
    }
}
