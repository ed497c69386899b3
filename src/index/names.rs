//! The table of every name ever defined, laid out for fuzzy search: per character, bit sets over
//! the names ("holds `c`", "a word starts with `c`", "`c` is 1 or 2 bytes into a word", "holds `c`
//! twice", "starts with `c`"), each a bit per name. Finding the names that can match a query is an
//! AND of a few bit sets ([`NameTable::candidates`], in the [`Shape`] a search pass needs), reading
//! a bit per name per query character instead of a record per name: on the kernel's millions of
//! names that is a few hundred kilobytes per query instead of tens of megabytes. Each candidate is
//! then read once, 16 bytes at a time ([`FitQuery::classify`]), for how it fits and its score
//! bound.

use std::borrow::Cow;

use wide::u8x16;

use crate::symbol::Name;

/// Characters with a bit: ASCII letters (case-folded), digits, `_`, `$`, `-`.
const CHARS: usize = 39;

/// The bit of an ASCII letter (case-folded), digit, `_`, `$` or `-`; `None` for others (which
/// then constrain nothing: the fuzzy matcher decides).
fn char_index(b: u8) -> Option<usize> {
    Some(match b.to_ascii_lowercase() {
        c @ b'a'..=b'z' => usize::from(c - b'a'),
        c @ b'0'..=b'9' => 26 + usize::from(c - b'0'),
        b'_' => 36,
        b'$' => 37,
        b'-' => 38,
        _ => return None,
    })
}

/// Whether byte `i` of a name begins a word: the first, a letter or digit after a separator, an
/// uppercase letter after a lowercase one or a digit or before a lowercase one (`Server` in
/// `HTTPServer`), a digit after a letter. A fuzzy match must begin at a word start (as camel-hump
/// and editor symbol pickers do): a query starting in the middle of a word is noise on a large
/// index.
fn is_word_start(bytes: &[u8], i: usize) -> bool {
    let b = bytes[i];
    i == 0 || {
        let p = bytes[i - 1];
        b.is_ascii_alphanumeric() && !p.is_ascii_alphanumeric()
            || b.is_ascii_uppercase()
                && (!p.is_ascii_uppercase() || bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase))
            || b.is_ascii_digit() && p.is_ascii_alphabetic()
    }
}

/// Byte offsets in `text` where a word begins ([`is_word_start`]): what tests check the bit-parallel
/// forms against.
#[cfg(test)]
pub(crate) fn word_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    let bytes = text.as_bytes();
    (0..bytes.len()).filter(move |&i| is_word_start(bytes, i))
}

/// How a query's characters fall in a name that can match it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fit {
    /// Every query character begins a word or follows the one matched before it (`cet` in
    /// `create_event_target`, `CertTrust`, `cetera`): what people type to find a name.
    Words,
    /// Only as a scattered subsequence (`cet` in `collect`).
    Scattered,
}

/// A candidate name as the table holds it: its bytes, and the 64 bytes from its start (its own,
/// then the next names' or the table's zero padding) that [`FitQuery::classify`] reads in whole
/// vectors.
#[derive(Clone, Copy)]
pub(super) struct Candidate<'t> {
    pub(super) bytes: &'t [u8],
    window: &'t [u8; WINDOW],
}

/// Bytes a name is read in by [`FitQuery::classify`] (and the padding the table keeps after its last
/// name so that every name has them).
const WINDOW: usize = 64;

impl<'t> Candidate<'t> {
    /// `bytes` copied into `buf` with zero padding (for names not read from a table).
    #[cfg(test)]
    pub(super) fn padded(bytes: &'t [u8], buf: &'t mut [u8; WINDOW]) -> Candidate<'t> {
        let n = bytes.len().min(WINDOW);
        buf[..n].copy_from_slice(&bytes[..n]);
        Candidate { bytes, window: buf }
    }
}

/// A query prepared for [`FitQuery::classify`]: ASCII-lowercased, without spaces.
pub(super) struct FitQuery<'q> {
    query: &'q [u8],
    /// The query's distinct characters (at most 32) as vectors to compare a name's bytes with,
    /// after an OR with `fold[k]` (0x20 for letters: either case matches).
    needles: Vec<u8x16>,
    fold: Vec<u8x16>,
    /// `ids[k]`: the number of query character `k` among the distinct characters.
    ids: Vec<u8>,
}

impl<'q> FitQuery<'q> {
    pub(super) fn new(query: &'q [u8]) -> FitQuery<'q> {
        let mut distinct: Vec<u8> = Vec::new();
        let mut ids = Vec::new();
        for &q in query.iter().take(32) {
            let id = distinct.iter().position(|&d| d == q).unwrap_or_else(|| {
                distinct.push(q);
                distinct.len() - 1
            });
            ids.push(id as u8);
        }
        let needles = distinct.iter().map(|&c| u8x16::splat(c)).collect();
        let fold = distinct.iter().map(|&c| u8x16::splat(if c.is_ascii_lowercase() { 0x20 } else { 0 })).collect();
        FitQuery { query, needles, fold, ids }
    }

    /// How the query can match `name`, or `None` when it cannot: a fuzzy match must be a
    /// subsequence ignoring ASCII case that starts at a word start. Non-ASCII text is left to the
    /// fuzzy matcher (its normalisation may match letters this test cannot), as
    /// [`Fit::Scattered`], as are names over 64 bytes and queries over 32 characters at best; an
    /// empty query fits [`Fit::Words`]. With the fit comes the name's [`score_bound`] (`u16::MAX`
    /// for text the bound cannot judge).
    pub(super) fn classify(&self, name: Candidate) -> Option<(Fit, u16)> {
        let (query, bytes) = (self.query, name.bytes);
        let Some((&first, rest)) = query.split_first() else { return Some((Fit::Words, u16::MAX)) };
        if !query.is_ascii() {
            return Some((Fit::Scattered, u16::MAX));
        }
        if bytes.len() > WINDOW || query.len() > 32 {
            if !bytes.is_ascii() {
                return Some((Fit::Scattered, u16::MAX));
            }
            let start =
                (0..bytes.len()).find(|&i| is_word_start(bytes, i) && bytes[i].to_ascii_lowercase() == first)?;
            is_subsequence(&bytes[start + 1..], rest).then_some(())?;
            return Some((Fit::Scattered, score_bound(bytes, query)));
        }
        // Most queries hold few distinct characters: fewer masks to clear and fill.
        if self.needles.len() <= 8 {
            self.fit_masks(&self.masks::<8>(name.window, bytes.len()))
        } else {
            self.fit_masks(&self.masks::<32>(name.window, bytes.len()))
        }
    }

    /// [`FitQuery::classify`] for a name of at most 64 ASCII bytes, from its masks.
    fn fit_masks<const N: usize>(&self, masks: &Masks<N>) -> Option<(Fit, u16)> {
        let query = self.query;
        if masks.high != 0 {
            return Some((Fit::Scattered, u16::MAX));
        }
        let starts = word_start_bits(masks.lower, masks.upper, masks.digit);
        let at = |k: usize| masks.at[usize::from(self.ids[k])];
        // A subsequence from the first word start holding the first character.
        let mut reach = starts & at(0);
        let mut pos = reach & reach.wrapping_neg();
        for k in 1..query.len() {
            pos = at(k) & after(pos);
            pos &= pos.wrapping_neg();
            if pos == 0 {
                return None;
            }
        }
        if reach == 0 {
            return None;
        }
        // Bit `p` of `reach`: the query so far can end with its last character matched at `p`,
        // each character at a word start or right after the one before.
        for k in 1..query.len() {
            reach = (reach << 1 | starts & after(reach)) & at(k);
            if reach == 0 {
                return Some((Fit::Scattered, bound_for(query.len(), self.tightest(masks))));
            }
        }
        Some((Fit::Words, bound_for(query.len(), self.tightest(masks))))
    }

    /// The length of the shortest stretch of the name holding the query as a subsequence from its
    /// first character, as [`score_bound`] finds it (greedily from each occurrence of the first
    /// character), from the masks.
    fn tightest<const N: usize>(&self, masks: &Masks<N>) -> usize {
        let at = |k: usize| masks.at[usize::from(self.ids[k])];
        let n = self.query.len();
        let mut tightest = usize::MAX;
        let mut firsts = at(0);
        while firsts != 0 {
            let start = firsts.trailing_zeros() as usize;
            let mut pos = firsts & firsts.wrapping_neg();
            for k in 1..n {
                pos = at(k) & after(pos);
                pos &= pos.wrapping_neg();
                if pos == 0 {
                    // No later start completes the query either.
                    return tightest;
                }
            }
            tightest = tightest.min(pos.trailing_zeros() as usize + 1 - start);
            if tightest == n {
                break;
            }
            firsts &= firsts - 1;
        }
        tightest
    }

    /// The bit masks of the first `len` bytes of `window` (at most 64), 16 bytes at a time, for a
    /// query of at most `N` distinct characters.
    fn masks<const N: usize>(&self, window: &[u8; WINDOW], len: usize) -> Masks<N> {
        let mut masks = Masks { at: [0; N], lower: 0, upper: 0, digit: 0, high: 0 };
        let class = |v: u8x16, from: u8, count: u8| (v - u8x16::splat(from)).simd_lt(u8x16::splat(count)).to_bitmask();
        for (part, chunk) in window.chunks_exact(16).take(len.div_ceil(16)).enumerate() {
            let v = u8x16::new(chunk.try_into().expect("16 bytes"));
            let shift = part * 16;
            for (at, (&needle, &fold)) in masks.at.iter_mut().zip(self.needles.iter().zip(&self.fold)) {
                *at |= u64::from((v | fold).simd_eq(needle).to_bitmask()) << shift;
            }
            masks.lower |= u64::from(class(v, b'a', 26)) << shift;
            masks.upper |= u64::from(class(v, b'A', 26)) << shift;
            masks.digit |= u64::from(class(v, b'0', 10)) << shift;
            masks.high |= u64::from(v.to_bitmask()) << shift;
        }
        let valid = u64::MAX.checked_shl(len as u32).map_or(u64::MAX, |beyond| !beyond);
        masks.at.iter_mut().for_each(|m| *m &= valid);
        masks.lower &= valid;
        masks.upper &= valid;
        masks.digit &= valid;
        masks.high &= valid;
        masks
    }
}

/// The bits above the lowest set bit of `bits` (none when `bits` is 0).
fn after(bits: u64) -> u64 {
    u64::MAX.checked_shl(bits.trailing_zeros() + 1).unwrap_or(0)
}

/// Bit `i` of each: byte `i` of a name is the query's distinct character `k` (`at[k]`), a
/// lowercase letter, an uppercase letter, a digit, not ASCII.
struct Masks<const N: usize> {
    at: [u64; N],
    lower: u64,
    upper: u64,
    digit: u64,
    high: u64,
}

/// [`is_word_start`] for every byte of a name of at most 64 bytes at once, from the bit masks of
/// its lowercase letters, uppercase letters and digits.
fn word_start_bits(lower: u64, upper: u64, digit: u64) -> u64 {
    let alpha = lower | upper;
    let alnum = alpha | digit;
    1 | alnum & !(alnum << 1) | upper & (!(upper << 1) | lower >> 1) | digit & alpha << 1
}

fn is_subsequence(haystack: &[u8], needle: &[u8]) -> bool {
    let mut wanted = needle.iter().peekable();
    for b in haystack {
        match wanted.peek() {
            None => return true,
            Some(&&w) if b.to_ascii_lowercase() == w => {
                wanted.next();
            }
            Some(_) => {}
        }
    }
    wanted.peek().is_none()
}

/// An upper bound of nucleo's fuzzy score for `query` in `name` (both ASCII; `query` lowercase):
/// each matched character scores at most `SCORE_MATCH` (16) plus the largest bonus (10, twice for
/// the first), less the gap penalties (3 to open a gap, 1 per further skipped character) of the
/// tightest window holding the query; the scorer's running score never goes below zero, so a
/// penalty can at most wipe out what came before the gap.
pub(super) fn score_bound(name: &[u8], query: &[u8]) -> u16 {
    let n = query.len();
    let mut tightest = usize::MAX;
    for (i, b) in name.iter().enumerate() {
        if b.to_ascii_lowercase() != query[0] {
            continue;
        }
        let mut k = 1;
        let mut end = i + 1;
        while k < n && end < name.len() {
            k += usize::from(name[end].to_ascii_lowercase() == query[k]);
            end += 1;
        }
        if k < n {
            break;
        }
        tightest = tightest.min(end - i);
        if tightest == n {
            break;
        }
    }
    bound_for(n, tightest)
}

/// [`score_bound`] of an `n`-character query whose tightest window in the name is `tightest`
/// bytes long.
fn bound_for(n: usize, tightest: usize) -> u16 {
    const MATCH: usize = 16;
    const MAX_BONUS: usize = 10;
    let gaps = tightest.saturating_sub(n);
    let penalty = if gaps > 0 { gaps + 2 } else { 0 };
    let after_a_wipe = (MATCH + MAX_BONUS) * (n - 1);
    usize::from(best_score(n)).saturating_sub(penalty).max(after_a_wipe) as u16
}

/// The best score nucleo gives an `n`-character query: every character with the largest bonus,
/// as a match at the very start of a name has (the first character after the start-of-text
/// boundary, the rest consecutive to it).
pub(super) fn best_score(n: usize) -> u16 {
    const MATCH: usize = 16;
    const MAX_BONUS: usize = 10;
    ((MATCH + MAX_BONUS) * n + MAX_BONUS).min(usize::from(u16::MAX)) as u16
}

/// Every name ever defined, once, in the order first seen, with its character bit sets.
#[derive(Default)]
pub(super) struct NameTable {
    names: Vec<Name>,
    /// The names' texts end to end (`ends[i]` is where name `i` ends), in table order: the
    /// candidates of a query are read in increasing addresses, not scattered over the interner.
    /// The first `loaded` names' are `stored` (a store's, often the interner's own texts), the
    /// others' `text`, each followed by [`WINDOW`] bytes at least.
    stored: Cow<'static, [u8]>,
    loaded: usize,
    text: Vec<u8>,
    ends: Vec<u32>,
    /// `sets[set(kind, c)]`: bit `i` set when `names[i]` holds character `c` as described by
    /// `kind` ([`HOLDS`], [`AT_WORD_START`] + position in a word up to 2, [`TWICE`], [`FIRST`]).
    sets: Vec<Vec<u64>>,
    /// `counts[s]`: how many bits `sets[s]` has (a query's rarest sets are read first).
    counts: Vec<u32>,
    /// Settled once (shrunk, keeping a sixteenth of room): grows slowly from then on (see
    /// [`make_room`]).
    settled: bool,
}

/// Makes room for `more` elements. Once `settled` (shrunk when a scan ended), a vector
/// grows by an eighth rather than doubling: the table's vectors are large and would otherwise
/// double on the first name an edit adds (still amortised constant time a push).
pub(super) fn make_room<T>(v: &mut Vec<T>, more: usize, settled: bool) {
    if settled && v.capacity() - v.len() < more {
        v.reserve_exact(more.max(v.len() / 8).max(64));
    }
}

/// Shrinks a vector to its length plus a sixteenth: the first names edits add after a scan then
/// grow nothing (on the kernel, regrowing the 195 bit sets at once copied 70 MB on a keystroke),
/// and room never written costs no resident memory in the large vectors.
pub(super) fn shrink_with_room<T>(v: &mut Vec<T>) {
    v.shrink_to(v.len() + v.len() / 16 + 1);
}

/// Anywhere in the name.
const HOLDS: usize = 0;
/// At a word's start; `AT_WORD_START + k`: `k` bytes after a word's start.
const AT_WORD_START: usize = 1;
/// How many positions in a word have sets: 0, 1 and 2 bytes after its start.
const WORD_POSITIONS: usize = 3;
/// At least twice: a query holding a character twice or more (`mmD`, `i_s_ssii`) can only match
/// names that do.
const TWICE: usize = AT_WORD_START + WORD_POSITIONS;
/// The name's first byte: a name with a query as its prefix ([`Shape::Prefix`]) starts with the
/// query's first character.
const FIRST: usize = TWICE + 1;
const KINDS: usize = FIRST + 1;
/// How many bit sets the table has.
pub const SETS: usize = KINDS * CHARS;

/// The bit sets' words for up to 64 consecutive names of a table: `out[s]` is set `s`'s word,
/// bit `i` for `names[i]`. What a store keeps so that a load need not read every name again
/// ([`NameTable::load`]).
pub fn block(names: &[Name], out: &mut [u64; SETS]) {
    out.fill(0);
    for (i, &name) in names.iter().take(64).enumerate() {
        for (kind, mut chars) in Read::of(name).kinds.into_iter().enumerate() {
            while chars != 0 {
                out[set(kind, chars.trailing_zeros() as usize)] |= 1 << i;
                chars &= chars - 1;
            }
        }
    }
}

/// Which names [`NameTable::candidates`] visits: those that can match a query
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// as a prefix (ignoring case);
    Prefix,
    /// on word starts ([`Fit::Words`]), or as a prefix;
    Words,
    /// in any way a fuzzy match can (a subsequence from a word start).
    Scattered,
}

fn set(kind: usize, c: usize) -> usize {
    kind * CHARS + c
}

/// A name read for the table's bit sets: the characters of each kind, as masks over the character
/// indexes (each set is then written once per character the name holds, not once per byte).
/// Read before the table is locked, by whichever thread indexes the file: reading a name byte by
/// byte was most of the time the table was locked for while a store loaded.
pub(super) struct Read {
    name: Name,
    kinds: [u64; KINDS],
}

impl Read {
    pub(super) fn of(name: Name) -> Read {
        let bytes = name.as_str().as_bytes();
        let mut kinds = [0u64; KINDS];
        let mut word_start = 0;
        for (at, &b) in bytes.iter().enumerate() {
            if is_word_start(bytes, at) {
                word_start = at;
            }
            let Some(c) = char_index(b) else { continue };
            kinds[TWICE] |= kinds[HOLDS] & 1 << c;
            kinds[HOLDS] |= 1 << c;
            if at - word_start < WORD_POSITIONS {
                kinds[AT_WORD_START + at - word_start] |= 1 << c;
            }
            if at == 0 {
                kinds[FIRST] = 1 << c;
            }
        }
        Read { name, kinds }
    }
}

/// A name table as a persistent store keeps it: the names in table order, their texts end to end
/// with where each ends, and their bit sets (`sets[s]` holds set `s`'s words, a word per 64
/// names; see [`block`]).
#[derive(Default)]
pub struct StoredNames {
    pub names: Vec<Name>,
    /// Owned: exactly the names' texts. Borrowed (the interner's texts, kept for good): the
    /// names' texts first, then anything, [`TEXT_PADDING`] bytes at least.
    pub text: Cow<'static, [u8]>,
    pub ends: Vec<u32>,
    pub sets: Vec<Vec<u64>>,
}

/// The bytes a name table reads past a name's start at once.
pub const TEXT_PADDING: usize = WINDOW;

impl NameTable {
    pub(super) fn len(&self) -> usize {
        self.names.len()
    }

    #[cfg(test)]
    pub(super) fn push(&mut self, name: Name) {
        self.push_read(Read::of(name));
    }

    /// Adds a name (not in the table yet) read by [`Read::of`].
    pub(super) fn push_read(&mut self, read: Read) {
        let i = self.names.len();
        if i.is_multiple_of(64) {
            if self.sets.is_empty() {
                self.sets = vec![Vec::new(); KINDS * CHARS];
                self.counts = vec![0; KINDS * CHARS];
            }
            let settled = self.settled;
            self.sets.iter_mut().for_each(|set| {
                make_room(set, 1, settled);
                set.push(0);
            });
        }
        let bytes = read.name.as_str().as_bytes();
        make_room(&mut self.names, 1, self.settled);
        make_room(&mut self.ends, 1, self.settled);
        make_room(&mut self.text, bytes.len(), self.settled);
        self.names.push(read.name);
        // The padding after the last name moves to after this one.
        self.text.truncate(self.text.len().saturating_sub(WINDOW));
        self.text.extend_from_slice(bytes);
        self.ends.push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
        self.text.extend_from_slice(&[0; WINDOW]);
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        for (kind, mut chars) in read.kinds.into_iter().enumerate() {
            while chars != 0 {
                let s = set(kind, chars.trailing_zeros() as usize);
                self.sets[s][word] |= bit;
                self.counts[s] += 1;
                chars &= chars - 1;
            }
        }
    }

    pub(super) fn reserve(&mut self, hint: super::NameHint) {
        if self.sets.is_empty() {
            self.sets = vec![Vec::new(); KINDS * CHARS];
            self.counts = vec![0; KINDS * CHARS];
        }
        self.names.reserve(hint.count);
        self.ends.reserve(hint.count);
        self.text.reserve(hint.bytes + WINDOW);
        self.sets.iter_mut().for_each(|set| set.reserve(hint.count.div_ceil(64)));
    }

    /// Fills an empty table at once with a store's names, their texts and their bit sets (see
    /// [`StoredNames`]). Returns false, changing nothing, when the table holds names already or
    /// the texts or sets do not fit the names.
    pub(super) fn load(&mut self, stored: StoredNames) -> bool {
        if !self.can_load(&stored) {
            return false;
        }
        let StoredNames { names, mut text, ends, mut sets } = stored;
        let words = names.len().div_ceil(64);
        // No bit for a name past the last.
        if let Some(last) = names.len().checked_sub(1) {
            let valid = u64::MAX >> (63 - last % 64);
            sets.iter_mut().for_each(|set| set[words - 1] &= valid);
        }
        if let Cow::Owned(text) = &mut text {
            text.reserve_exact(WINDOW);
            text.extend_from_slice(&[0; WINDOW]);
        }
        self.counts = sets.iter().map(|set| set.iter().map(|w| w.count_ones()).sum()).collect();
        self.sets = sets;
        (self.loaded, self.names) = (names.len(), names);
        self.stored = text;
        self.ends = ends;
        true
    }

    /// Whether [`NameTable::load`] would take `stored`.
    pub(super) fn can_load(&self, stored: &StoredNames) -> bool {
        let StoredNames { names, text, ends, sets } = stored;
        let words = names.len().div_ceil(64);
        self.names.is_empty()
            && sets.len() == SETS
            && sets.iter().all(|set| set.len() == words)
            && ends.len() == names.len()
            && ends.windows(2).all(|w| w[0] <= w[1])
            && match text {
                Cow::Owned(text) => ends.last().map_or(0, |&end| end as usize) == text.len(),
                Cow::Borrowed(text) => ends.last().map_or(0, |&end| end as usize) + WINDOW <= text.len(),
            }
    }

    pub(super) fn settle(&mut self) {
        shrink_with_room(&mut self.names);
        shrink_with_room(&mut self.text);
        shrink_with_room(&mut self.ends);
        self.sets.iter_mut().for_each(shrink_with_room);
        self.settled = true;
    }

    /// Name `i`'s text, and the window from its start.
    fn candidate(&self, i: usize) -> Candidate<'_> {
        let (text, first) = if i < self.loaded { (&self.stored[..], 0) } else { (&self.text[..], self.loaded) };
        let start = if i == first { 0 } else { self.ends[i - 1] as usize };
        let window = text[start..start + WINDOW].try_into().expect("the table is padded");
        Candidate { bytes: &text[start..self.ends[i] as usize], window }
    }

    /// Visits every name holding all the characters of `query` (twice those it holds twice) and
    /// with a word starting with its first character, as far as those characters have bits
    /// (others constrain nothing). For [`Shape::Words`], only names where the second and third
    /// characters are also early enough in a word to match on word starts: the `k`-th character
    /// at most `k` bytes into one. For [`Shape::Prefix`], the name also starts with the first.
    ///
    /// Visits `(text, name)`, `text` borrowed from the table (cheaper to read than the
    /// interner's), in table order, limited to the `part`-th of `parts` equal parts of the table.
    pub(super) fn candidates(
        &self,
        query: &str,
        shape: Shape,
        (part, parts): (usize, usize),
        mut visit: impl FnMut(Candidate, Name),
    ) {
        if self.names.is_empty() {
            return;
        }
        // Each constraint: a name must be in one of its sets.
        let mut constraints: Vec<Vec<usize>> = Vec::new();
        let (mut seen, mut twice) = (0u64, 0u64);
        let chars: Vec<Option<usize>> = query.bytes().map(char_index).collect();
        for &c in chars.iter().flatten() {
            if seen & 1 << c == 0 {
                seen |= 1 << c;
                constraints.push(vec![set(HOLDS, c)]);
            } else if twice & 1 << c == 0 {
                twice |= 1 << c;
                constraints.push(vec![set(TWICE, c)]);
            }
        }
        let positions = if shape == Shape::Scattered { 1 } else { WORD_POSITIONS };
        for (k, c) in chars.iter().enumerate().take(positions) {
            if let Some(c) = *c {
                constraints.push((0..=k).map(|at| set(AT_WORD_START + at, c)).collect());
            }
        }
        if let (Shape::Prefix, Some(&Some(c))) = (shape, chars.first()) {
            constraints.push(vec![set(FIRST, c)]);
        }
        // The rarest first: most words of bits end there.
        constraints.sort_by_cached_key(|sets| sets.iter().map(|&s| self.counts[s]).sum::<u32>());
        let constraints: Vec<Vec<&[u64]>> =
            constraints.iter().map(|sets| sets.iter().map(|&s| &self.sets[s][..]).collect()).collect();
        let words = self.names.len().div_ceil(64);
        let per_part = words.div_ceil(parts.max(1));
        for word in (part * per_part).min(words)..((part + 1) * per_part).min(words) {
            let mut bits = u64::MAX;
            for sets in &constraints {
                bits &= sets.iter().fold(0, |any, set| any | set[word]);
                if bits == 0 {
                    break;
                }
            }
            while bits != 0 {
                let i = word * 64 + bits.trailing_zeros() as usize;
                if i >= self.names.len() {
                    break;
                }
                visit(self.candidate(i), self.names[i]);
                bits &= bits - 1;
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    // The bit sets' meaning, name by name: what `NameTable::candidates` must agree with.
    /// A bit per letter, digit and `_` present in `text` (case-folded).
    fn char_mask(text: &str) -> u64 {
        text.bytes().filter_map(char_index).fold(0, |mask, i| mask | 1 << i)
    }

    /// The [`char_mask`] of the characters of `text` that begin a word (see [`word_starts`]).
    fn word_start_mask(text: &str) -> u64 {
        word_starts(text).filter_map(|i| char_index(text.as_bytes()[i])).fold(0, |mask, i| mask | 1 << i)
    }

    fn found(table: &NameTable, query: &str) -> Vec<&'static str> {
        let mut out = Vec::new();
        table.candidates(query, Shape::Scattered, (0, 1), |text, n| {
            assert_eq!(text.bytes, n.as_str().as_bytes());
            assert_eq!(&text.window[..text.bytes.len().min(WINDOW)], &text.bytes[..text.bytes.len().min(WINDOW)]);
            out.push(n.as_str());
        });
        out
    }

    #[test]
    fn candidates_hold_every_query_character_and_start_a_word_with_the_first() {
        let mut table = NameTable::default();
        let names = ["create_event_target", "collect", "Target", "HTTPServer", "serve", "éclair", "x"];
        for n in names {
            table.push(Name::new(n));
        }
        assert_eq!(found(&table, "cet"), ["create_event_target", "collect"]);
        assert_eq!(found(&table, "ET"), ["create_event_target"]);
        assert_eq!(found(&table, "srv"), ["HTTPServer", "serve"]);
        assert_eq!(found(&table, "tg"), ["create_event_target", "Target"]);
        assert_eq!(found(&table, "qz"), Vec::<&str>::new());
        // Characters without a bit constrain nothing: the matcher decides.
        assert_eq!(found(&table, "é"), names);
        assert_eq!(found(&table, "éc"), ["create_event_target", "collect", "éclair"]);
        // A character the query holds twice, the name must too (in either case).
        // (`serve` and `HTTPServer` hold two, but no word of theirs starts with e.)
        assert_eq!(found(&table, "ee"), ["create_event_target"]);
        assert_eq!(found(&table, "cc"), ["collect"]);
        // Twice is the bit: three in the query still lets names with two through to the matcher.
        assert_eq!(found(&table, "tTt"), ["create_event_target", "Target"]);
        assert_eq!(found(&table, "xx"), Vec::<&str>::new());
        table.push(Name::new("abMap"));
        let mut words = Vec::new();
        table.candidates("MAP", Shape::Words, (0, 1), |_, n| words.push(n.as_str()));
        assert_eq!(words, ["abMap"]);
        let mut buf = [0; WINDOW];
        let bound = score_bound(b"abMap", b"map");
        assert_eq!(FitQuery::new(b"map").classify(Candidate::padded(b"abMap", &mut buf)), Some((Fit::Words, bound)));
    }

    #[test]
    fn word_start_bits_agree_with_word_starts() {
        let mut rng = fastrand::Rng::with_seed(3);
        const ALPHABET: &[u8] = b"aZ_9.bY-0x";
        for _ in 0..20_000 {
            let text: String =
                (0..rng.usize(1..=64)).map(|_| char::from(ALPHABET[rng.usize(..ALPHABET.len())])).collect();
            let mask = |f: fn(&u8) -> bool| text.bytes().enumerate().fold(0u64, |m, (i, b)| m | u64::from(f(&b)) << i);
            let bits =
                word_start_bits(mask(u8::is_ascii_lowercase), mask(u8::is_ascii_uppercase), mask(u8::is_ascii_digit));
            let expected = word_starts(&text).fold(0u64, |m, i| m | 1 << i);
            assert_eq!(bits, expected, "{text}");
        }
    }

    /// Whether `query` (lowercase) can match `name` at all, by brute force: its first character
    /// at a word start, the rest a subsequence after it (ASCII case folded).
    pub(in crate::index) fn admissible(name: &str, query: &[u8]) -> bool {
        let bytes = name.as_bytes();
        word_starts(name).any(|w| {
            bytes[w].to_ascii_lowercase() == query[0] && {
                let mut rest = query[1..].iter().peekable();
                for b in &bytes[w + 1..] {
                    if rest.peek().is_some_and(|&&q| q == b.to_ascii_lowercase()) {
                        rest.next();
                    }
                }
                rest.peek().is_none()
            }
        })
    }

    /// Whether `query` matches in `name` each character at a word start or right after the one
    /// before, the first at a word start, after position `after` (brute force).
    pub(in crate::index) fn on_words(name: &[u8], query: &[u8], after: Option<usize>) -> bool {
        let Some((&q, rest)) = query.split_first() else { return true };
        let text = std::str::from_utf8(name).unwrap();
        let starts: Vec<usize> = word_starts(text).collect();
        (after.map_or(0, |a| a + 1)..name.len()).any(|p| {
            name[p].to_ascii_lowercase() == q
                && (starts.contains(&p) || after.is_some_and(|a| p == a + 1))
                && on_words(name, rest, Some(p))
        })
    }

    /// How `query` (lowercase) fits `name`, read byte by byte: what [`FitQuery::classify`] computes
    /// with masks.
    fn fit_by_bytes(name: &str, query: &[u8]) -> Option<Fit> {
        let bytes = name.as_bytes();
        if query.is_empty() {
            return Some(Fit::Words);
        }
        if !bytes.is_ascii() || !query.is_ascii() {
            return Some(Fit::Scattered);
        }
        if !admissible(name, query) {
            return None;
        }
        let words = bytes.len() <= WINDOW && query.len() <= 32 && on_words(bytes, query, None);
        Some(if words { Fit::Words } else { Fit::Scattered })
    }

    #[test]
    fn fit_and_bound_agree_with_reading_byte_by_byte() {
        let mut rng = fastrand::Rng::with_seed(17);
        const PIECES: &[&str] = &["get", "Map", "_", "-", "$", "2", "x9", "HTTP", "Er", "ce", "é", "aa", "D", "s"];
        let names: Vec<String> =
            (0..3000).map(|_| (0..rng.usize(1..14)).map(|_| PIECES[rng.usize(..PIECES.len())]).collect()).collect();
        let mut table = NameTable::default();
        names.iter().for_each(|n| table.push(Name::new(n)));
        let mut queries: Vec<String> = ["ge", "mmD", "e_e", "x92", "gmd", "ssss", "é", "$-"].map(String::from).to_vec();
        for _ in 0..300 {
            let name: Vec<char> = names[rng.usize(..names.len())].chars().collect();
            let start = rng.usize(..name.len());
            let step = rng.usize(1..4);
            queries.push(name[start..].iter().step_by(step).take(rng.usize(1..12)).collect());
        }
        // Queries longer than 32 characters, and with more than 8 distinct ones.
        queries.push("get".repeat(11) + "m");
        queries.push("getmap_x9ce".to_owned());
        let (mut words, mut scattered) = (0, 0);
        for query in &queries {
            let folded = query.to_ascii_lowercase();
            let fit_query = FitQuery::new(folded.as_bytes());
            table.candidates(query, Shape::Scattered, (0, 1), |candidate, name| {
                let name = name.as_str();
                let expected = fit_by_bytes(name, folded.as_bytes());
                let got = fit_query.classify(candidate);
                assert_eq!(got.map(|(fit, _)| fit), expected, "{query:?} in {name:?}");
                let ascii = name.is_ascii() && folded.is_ascii();
                let bound = if ascii { score_bound(name.as_bytes(), folded.as_bytes()) } else { u16::MAX };
                if let Some(fit) = expected {
                    assert_eq!(got, Some((fit, bound)), "{query:?} in {name:?}");
                }
                match expected {
                    Some(Fit::Scattered) if ascii => scattered += 1,
                    Some(Fit::Words) => words += 1,
                    _ => {}
                }
            });
        }
        assert!(words > 1000 && scattered > 1000, "{words} {scattered}");
        // Names of more than 64 bytes are read whole.
        let long = "a_".repeat(40) + "get_map";
        let mut buf = [0; WINDOW];
        let fit_query = FitQuery::new(b"gm");
        let bound = score_bound(long.as_bytes(), b"gm");
        assert_eq!(fit_query.classify(Candidate::padded(long.as_bytes(), &mut buf)), Some((Fit::Scattered, bound)));
    }

    /// `names` as a store keeps them, with their bit sets.
    fn stored(names: &[Name], sets: Vec<Vec<u64>>) -> StoredNames {
        let mut stored = StoredNames { names: names.to_vec(), sets, ..StoredNames::default() };
        let mut text = Vec::new();
        for name in names {
            text.extend_from_slice(name.as_str().as_bytes());
            stored.ends.push(text.len() as u32);
        }
        stored.text = Cow::Owned(text);
        stored
    }

    /// Each name's text, as the table reads it.
    fn texts(table: &NameTable) -> Vec<&[u8]> {
        (0..table.len()).map(|i| table.candidate(i).bytes).collect()
    }

    #[test]
    fn a_table_loaded_from_blocks_is_the_table_built_name_by_name() {
        let names: Vec<Name> = (0..1000).map(|i| Name::new(&format!("Load{}_{i}x{}", i % 7, i % 13))).collect();
        let mut pushed = NameTable::default();
        names.iter().for_each(|&n| pushed.push(n));
        let mut sets = vec![Vec::new(); SETS];
        let mut words = [0u64; SETS];
        for chunk in names.chunks(64) {
            block(chunk, &mut words);
            sets.iter_mut().zip(words).for_each(|(set, word)| set.push(word));
        }
        let mut loaded = NameTable::default();
        assert!(loaded.load(stored(&names, sets.clone())));
        assert_eq!((&loaded.names, &loaded.ends, texts(&loaded)), (&pushed.names, &pushed.ends, texts(&pushed)));
        assert_eq!((&loaded.sets, &loaded.counts), (&pushed.sets, &pushed.counts));
        for query in ["l3", "load1_1", "l6x", "99", "_"] {
            assert_eq!(found(&loaded, query), found(&pushed, query), "{query}");
        }
        // Never over names already there, nor with sets that do not fit the names.
        assert!(!loaded.load(stored(&names, sets.clone())));
        let mut short = sets.clone();
        short[5].pop();
        assert!(!NameTable::default().load(stored(&names, short)));
        assert!(!NameTable::default().load(stored(&names[..64], sets.clone())));
        // Nor with texts that do not fit the names.
        let mut cut = stored(&names, sets.clone());
        cut.text.to_mut().pop();
        assert!(!NameTable::default().load(cut));
        // Texts kept elsewhere are read in place, and must hold the padding.
        let mut kept = stored(&names, sets.clone());
        let mut bytes = kept.text.to_vec();
        bytes.extend_from_slice(b"more names' texts, then padding: at least a window's bytes of it ....");
        let bytes: &'static [u8] = bytes.leak();
        kept.text = Cow::Borrowed(&bytes[..bytes.len() - 1]);
        let mut in_place = NameTable::default();
        assert!(in_place.load(kept));
        assert_eq!(texts(&in_place), texts(&pushed));
        assert!(std::ptr::eq(texts(&in_place)[0].as_ptr(), bytes.as_ptr()));
        // Names pushed after the loaded ones are read from the table's own texts.
        let more: Vec<Name> = (0..70).map(|i| Name::new(&format!("Pushed{i}"))).collect();
        more.iter().for_each(|&n| {
            in_place.push(n);
            pushed.push(n);
        });
        assert_eq!(texts(&in_place), texts(&pushed));
        for query in ["l3", "pushed6", "d1"] {
            assert_eq!(found(&in_place, query), found(&pushed, query), "{query}");
        }
        let mut short = stored(&names, sets.clone());
        short.text = Cow::Borrowed(Vec::leak(short.text.to_vec()));
        assert!(!NameTable::default().load(short), "no padding");
        let mut unordered = stored(&names, sets);
        unordered.ends.swap(3, 4);
        assert!(!NameTable::default().load(unordered));
        // A bit past the last name is dropped, not visited.
        let mut stray = vec![vec![0u64]; SETS];
        stray[set(HOLDS, 0)][0] = 0b11;
        let mut one = NameTable::default();
        assert!(one.load(stored(&[Name::new("a")], stray)));
        assert_eq!(one.sets[set(HOLDS, 0)][0], 1);
    }

    #[test]
    fn candidates_agree_with_the_masks_across_many_words_of_bits() {
        let mut table = NameTable::default();
        let names: Vec<String> = (0..1000).map(|i| format!("n{}_{}x{}", i % 7, i, i % 13)).collect();
        for n in &names {
            table.push(Name::new(n));
        }
        for query in ["n3", "n1_1", "n6x", "99", "7"] {
            let mask = char_mask(query);
            let first = word_start_mask(&query[..1]);
            let expected: Vec<&str> = names
                .iter()
                .map(String::as_str)
                .filter(|n| char_mask(n) & mask == mask && word_start_mask(n) & first == first)
                .filter(|n| query.chars().all(|c| query.matches(c).count() < 2 || n.matches(c).count() >= 2))
                .collect();
            assert_eq!(found(&table, query), expected, "{query}");
            assert!(!expected.is_empty(), "{query}");
        }
    }
}
