//! Where an incremental reparse changed the tree: a cheap stand-in for `Tree::changed_ranges`.
//!
//! `changed_ranges` compares the two trees node by node, so on a file with thousands of top-level
//! items it costs as much as the reparse itself. But the parser shares every subtree it reuses
//! between the old tree and the new one, and a reused subtree is the same text parsed the same way.
//! Starting from the root, [`changed_range`] therefore compares only the children next to the edit:
//! outward from it, the first child on each side that is the *same subtree* in both trees bounds
//! the change at that level (the parser resumed there from an equal state over equal text, so the
//! rest of that side is equal too). When between those exactly one child differs (small tokens
//! have no identity, but an equal token away from the edit is the same) and it kept its kind,
//! field and start, the search descends into it. When no shared child turns up within a few steps (after the
//! first reparse of a fresh tree nothing is shared yet), or when either tree has a syntax error
//! (error recovery is not repeatable, and a node with an error is parsed again on every edit), it
//! falls back to `changed_ranges`. And since error recovery is not repeatable, [`error_ranges`]
//! lists the nodes with errors that were parsed again elsewhere. No IO.

use std::ops::Range;

use tree_sitter::{InputEdit, Node, Tree, TreeCursor};

/// Children compared on each side of an edit, per level, before falling back to `changed_ranges`.
const SCAN_LIMIT: usize = 16;

/// The bytes of `new` (just reparsed from `old`, which was edited with `edit`) outside which the
/// two trees are the same; always covers the edited text.
pub fn changed_range(old: &Tree, new: &Tree, edit: &InputEdit) -> Range<usize> {
    let edited = edit.start_byte..edit.new_end_byte;
    let changed = narrow(old, new, &edited).unwrap_or_else(|| {
        old.changed_ranges(new).fold(edited.clone(), |r, c| r.start.min(c.start_byte)..r.end.max(c.end_byte))
    });
    changed.start.min(edited.start)..changed.end.max(edited.end)
}

/// The byte ranges of the top-level nodes of `tree` with a syntax error: every top-level node is
/// visited if the tree has an error, none otherwise.
pub fn error_nodes(tree: &Tree) -> Vec<Range<usize>> {
    let root = tree.root_node();
    if !root.has_error() {
        return Vec::new();
    }
    let mut cursor = root.walk();
    let mut ranges = Vec::new();
    let mut more = cursor.goto_first_child();
    while more {
        let node = cursor.node();
        if node.has_error() {
            ranges.push(node.byte_range());
        }
        more = cursor.goto_next_sibling();
    }
    ranges
}

/// The top-level nodes outside `changed` that may differ all the same: those with a syntax error
/// in either tree (`errors`: from [`error_nodes`] on both trees, in the new text's bytes) that the
/// reparse built again. Error recovery is not repeatable: such a node may come out differently even
/// where `changed_ranges` sees no change.
pub fn error_ranges(old: &Tree, new: &Tree, changed: &Range<usize>, errors: &[Range<usize>]) -> Vec<Range<usize>> {
    let (old_root, new_root) = (old.root_node(), new.root_node());
    let mut ranges: Vec<Range<usize>> = Vec::new();
    for range in errors {
        if changed.start <= range.start && range.end <= changed.end {
            continue;
        }
        let old_node = old_root.child(first_ending_after(old_root, range.start) as u32);
        let new_node = new_root.child(first_ending_after(new_root, range.start) as u32);
        if let (Some(o), Some(n)) = (old_node, new_node) {
            if shared(n, o) {
                continue;
            }
        }
        // The node now in its place, too.
        let mut range = range.clone();
        for node in [old_node, new_node].into_iter().flatten() {
            if node.start_byte() < range.end {
                range = range.start.min(node.start_byte())..range.end.max(node.end_byte());
            }
        }
        ranges.push(range);
    }
    ranges.sort_by_key(|r| r.start);
    ranges.dedup_by(|next, last| {
        let overlap = next.start <= last.end;
        if overlap {
            last.end = last.end.max(next.end);
        }
        overlap
    });
    ranges
}

/// Descends from the roots while a single child pair differs; `None` to fall back.
fn narrow(old: &Tree, new: &Tree, edited: &Range<usize>) -> Option<Range<usize>> {
    let (mut o, mut n) = (old.root_node(), new.root_node());
    if o.kind_id() != n.kind_id() {
        return None;
    }
    let (mut oc, mut nc) = (old.walk(), new.walk());
    loop {
        let (o_count, n_count) = (o.child_count() as usize, n.child_count() as usize);
        let same = |i: usize, j: usize| -> Option<Sameness> {
            let (a, b) = (n.child(i as u32)?, o.child(j as u32)?);
            Some(match (shared(a, b), same_token(a, b, edited)) {
                (true, _) => Sameness::Shared,
                (false, true) => Sameness::Token,
                (false, false) => Sameness::Changed,
            })
        };
        // Children before `at` end at or before the edit in both trees, and pair up by index.
        let at = first_ending_after(n, edited.start).min(first_ending_after(o, edited.start));
        let (mut left, mut changed) = (at, Vec::new());
        while left > 0 {
            match same(left - 1, left - 1)? {
                Sameness::Shared => break,
                Sameness::Token => {}
                Sameness::Changed => changed.push(left - 1),
            }
            left -= 1;
            if at - left > SCAN_LIMIT {
                return None;
            }
        }
        // From the edit on, children pair up by their distance from the end.
        let shift = n_count as isize - o_count as isize;
        let mut right = at;
        while right < n_count {
            let old_index = right as isize - shift;
            let sameness = match old_index >= left as isize && (old_index as usize) < o_count {
                true => same(right, old_index as usize)?,
                false => Sameness::Changed,
            };
            match sameness {
                Sameness::Shared => break,
                Sameness::Token => {}
                Sameness::Changed => changed.push(right),
            }
            right += 1;
            if right - at > SCAN_LIMIT {
                return None;
            }
        }
        // Between the shared children, one child changed in place: the change is inside it.
        if let ([index], 0) = (changed.as_slice(), shift) {
            let (nd, od) = (n.child(*index as u32)?, o.child(*index as u32)?);
            let fields = (field(&mut nc, n, nd), field(&mut oc, o, od));
            if same_place(nd, od) && fields.0.is_some() && fields.0 == fields.1 {
                (n, o) = (nd, od);
                continue;
            }
        }
        let start = match left {
            0 => n.start_byte().min(o.start_byte()),
            _ => n.child(left as u32 - 1)?.end_byte(),
        };
        let end = match right < n_count {
            true => n.child(right as u32)?.start_byte(),
            false => n.end_byte().max(o.end_byte()),
        };
        return Some(start..end.max(start));
    }
}

/// How a pair of children at the same place compares.
enum Sameness {
    /// One subtree, shared by both trees.
    Shared,
    /// The same token, away from the edit.
    Token,
    Changed,
}

/// Index of the first child of `parent` that ends after `byte` (the child count if none does).
pub(super) fn first_ending_after(parent: Node, byte: usize) -> usize {
    // `TreeCursor::goto_first_child_for_byte` is logarithmic but gives up when `byte` falls on a
    // hidden token at the end of a hidden node (a blank line in Bash); then a binary search with
    // `Node::child` (logarithmic too) settles it.
    if let Some(index) = parent.walk().goto_first_child_for_byte(byte) {
        return index;
    }
    let (mut low, mut high) = (0, parent.child_count() as usize);
    while low < high {
        let middle = (low + high) / 2;
        match parent.child(middle as u32).is_some_and(|c| c.end_byte() > byte) {
            true => high = middle,
            false => low = middle + 1,
        }
    }
    low
}

/// The field under which `child` hangs from `parent` (0 for none); `None` if it cannot be told.
fn field<'t>(cursor: &mut TreeCursor<'t>, parent: Node<'t>, child: Node<'t>) -> Option<u16> {
    cursor.reset(parent);
    cursor.goto_first_child_for_byte(child.start_byte())?;
    (cursor.node() == child).then(|| cursor.field_id().map_or(0, |f| f.get()))
}

/// Whether two nodes can be compared child by child: same kind and start, both with children.
fn same_place(a: Node, b: Node) -> bool {
    a.kind_id() == b.kind_id()
        && a.start_byte() == b.start_byte()
        && a.is_named() == b.is_named()
        && a.is_extra() == b.is_extra()
        && a.is_missing() == b.is_missing()
        && a.child_count() > 0
        && b.child_count() > 0
}

/// Whether two leaves are the same token: same kind and bytes, outside the edit and its lookahead
/// (`has_changes` on the edited old tree). Small tokens are stored inline, without identity.
fn same_token(a: Node, b: Node, edited: &Range<usize>) -> bool {
    a.child_count() == 0
        && b.child_count() == 0
        && a.kind_id() == b.kind_id()
        && a.byte_range() == b.byte_range()
        && a.is_missing() == b.is_missing()
        && a.is_extra() == b.is_extra()
        && !b.has_changes()
        && (a.end_byte() <= edited.start || a.start_byte() >= edited.end)
}

/// Whether two nodes at the same place are one subtree shared by both trees.
fn shared(a: Node, b: Node) -> bool {
    a.start_byte() == b.start_byte() && subtree(a).is_some_and(|s| subtree(b) == Some(s))
}

/// The address of the heap subtree behind a node, or `None` for a small leaf stored inline.
///
/// Tree-sitter does not expose subtree identity: a node's `id` is the address of its slot in its
/// parent's child array, which changes whenever the parent is rebuilt. The slot holds a `Subtree`,
/// a pointer-sized union of a heap pointer (even) and inline leaf data whose lowest bit is set.
/// `shared_subtrees_are_detected` pins this layout.
fn subtree(node: Node) -> Option<usize> {
    if cfg!(not(target_endian = "little")) {
        return None;
    }
    // SAFETY: `id` points at the node's `Subtree` slot (or at the tree's root slot), which lives in
    // the tree that `node` borrows; the slot is at least pointer-sized and pointer-aligned.
    let word = unsafe { (node.id() as *const usize).read() };
    (word & 1 == 0 && word != 0).then_some(word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;
    use crate::parser::Extractor;
    use tree_sitter::Point;

    fn reparse(lang: Lang, text: &str, at: usize, insert: &str) -> (Tree, Tree, InputEdit, String) {
        let mut ex = Extractor::new();
        let mut old = ex.parse(lang, text.as_bytes(), None).unwrap();
        // A first reparse makes the tree reusable (a fresh parse's tokens often are not).
        old = ex.parse(lang, text.as_bytes(), Some(&old)).unwrap();
        let mut new_text = text.to_owned();
        new_text.insert_str(at, insert);
        let point = |byte: usize, s: &str| {
            let row = s[..byte].matches('\n').count();
            Point { row, column: byte - s[..byte].rfind('\n').map_or(0, |i| i + 1) }
        };
        let edit = InputEdit {
            start_byte: at,
            old_end_byte: at,
            new_end_byte: at + insert.len(),
            start_position: point(at, text),
            old_end_position: point(at, text),
            new_end_position: point(at + insert.len(), &new_text),
        };
        old.edit(&edit);
        let new = ex.parse(lang, new_text.as_bytes(), Some(&old)).unwrap();
        (old, new, edit, new_text)
    }

    #[test]
    fn shared_subtrees_are_detected() {
        let text: String = (0..50).map(|i| format!("fn f{i}() {{ let x = {i}; }}\n")).collect();
        let at = text.find("f25").unwrap() + 1;
        let (old, new, edit, _) = reparse(Lang::Rust, &text, at, "z");
        // Far from the edit, the top-level items are the old subtrees; the edited one is new.
        let (o, n) = (old.root_node(), new.root_node());
        assert!(shared(n.child(3).unwrap(), o.child(3).unwrap()));
        assert!(shared(n.child(40).unwrap(), o.child(40).unwrap()));
        assert!(!shared(n.child(25).unwrap(), o.child(25).unwrap()));
        assert!(!shared(n.child(3).unwrap(), o.child(4).unwrap()));
        // Leaves stored inline have no identity.
        let leaf = n.child(3).unwrap().child(0).unwrap();
        assert_eq!(leaf.kind(), "fn");
        assert_eq!(subtree(leaf), None);
        // The change is the edited name, not the file.
        let changed = changed_range(&old, &new, &edit);
        let item = n.child(25).unwrap();
        assert!(item.start_byte() <= changed.start && changed.end <= item.end_byte(), "{changed:?}");
    }
}
