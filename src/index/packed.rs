//! Compact storage of one file's symbols: what the index keeps resident for every file.
//!
//! A [`Symbol`] is 60 bytes because it carries two columns per position (UTF-8 and UTF-16) as
//! `u32`s. In source code almost every line a symbol sits on is ASCII, so both columns agree, and
//! almost every column and line span fits in 16 bits, most in 8. Such a file's symbols are packed
//! into 16-byte records ([`Small`]: columns under 256, constructs under 4,096 lines) or else
//! 24-byte ones ([`Packed`]); any file where one symbol fits neither keeps the full records.
//! Decoding is a few shifts, so readers get a [`Symbol`] by value and never see the difference.

use crate::symbol::{Name, Pos, Role, Span, Symbol, SymbolKind, NO_PARENT};

/// One symbol of an "ordinary" file: columns are the same in UTF-8 and UTF-16, the name sits on
/// one line and spans exactly its text.
#[derive(Clone, Copy, Debug)]
pub struct Packed {
    name: Name,
    parent: u32,
    line: u32,
    /// `range.end.line - range.start.line`.
    end_lines: u16,
    /// `name_range.start.line - range.start.line`.
    name_lines: u16,
    col: u16,
    end_col: u16,
    name_col: u16,
    kind: SymbolKind,
    role: Role,
}

impl Packed {
    fn pack(s: &Symbol) -> Option<Packed> {
        Packed::pack_named(s, s.name.as_str().len())
    }

    /// [`Packed::pack`] of a symbol whose name is `name_len` bytes long.
    fn pack_named(s: &Symbol, name_len: usize) -> Option<Packed> {
        let narrow = |p: Pos| (p.col == p.col16).then_some(()).and_then(|()| u16::try_from(p.col).ok());
        let (start, end, name) = (s.range.start, s.range.end, s.name_range.start);
        let name_len = u32::try_from(name_len).ok()?;
        let name_end =
            Pos { line: name.line, col: name.col.checked_add(name_len)?, col16: name.col16.checked_add(name_len)? };
        if s.name_range.end != name_end || narrow(s.name_range.end).is_none() {
            return None;
        }
        Some(Packed {
            name: s.name,
            parent: s.parent,
            line: start.line,
            end_lines: u16::try_from(end.line.checked_sub(start.line)?).ok()?,
            name_lines: u16::try_from(name.line.checked_sub(start.line)?).ok()?,
            col: narrow(start)?,
            end_col: narrow(end)?,
            name_col: narrow(name)?,
            kind: s.kind,
            role: s.role,
        })
    }

    pub fn name(&self) -> Name {
        self.name
    }

    /// The record as 24 little-endian bytes, its name given as the number `name` (a store's).
    pub fn to_bytes(&self, name: u32) -> [u8; 24] {
        let mut out = [0u8; 24];
        out[0..4].copy_from_slice(&name.to_le_bytes());
        out[4..8].copy_from_slice(&self.parent.to_le_bytes());
        out[8..12].copy_from_slice(&self.line.to_le_bytes());
        for (at, v) in
            [(12, self.end_lines), (14, self.name_lines), (16, self.col), (18, self.end_col), (20, self.name_col)]
        {
            out[at..at + 2].copy_from_slice(&v.to_le_bytes());
        }
        out[22] = self.kind as u8;
        out[23] = self.role as u8;
        out
    }

    /// The record [`Packed::to_bytes`] wrote, its name number looked up in `names` (with their
    /// lengths), for a file of `count` symbols; `None` for bytes no record of such a file encodes.
    pub fn from_bytes(bytes: &[u8; 24], names: &[(Name, u32)], count: usize) -> Option<Packed> {
        Packed::check(bytes, names.len(), count)?;
        let &(name, name_len) = names.get(name_number(bytes))?;
        let p = Packed { name, ..Packed::read(bytes) };
        u32::from(p.name_col).checked_add(name_len).is_some().then_some(p)
    }

    /// Whether [`Packed::from_bytes`] would read `bytes` given `names` names of which none is long
    /// enough to overflow a column (see [`COLUMN_SAFE_NAMES`]), without looking the name up: the
    /// record's role if so.
    pub fn check(bytes: &[u8; 24], names: usize, count: usize) -> Option<Role> {
        let p = Packed::read(bytes);
        let fits = name_number(bytes) < names
            && usize::from(bytes[22]) < SymbolKind::ALL.len()
            && usize::from(bytes[23]) < Role::ALL.len()
            && (p.parent == NO_PARENT || usize::try_from(p.parent).is_ok_and(|parent| parent < count))
            && p.line.checked_add(u32::from(p.end_lines.max(p.name_lines))).is_some();
        fits.then_some(p.role)
    }

    /// The record [`Packed::to_bytes`] wrote, its name number the process's own (see
    /// [`Stored`]): no check, the load made them.
    fn read(bytes: &[u8; 24]) -> Packed {
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        let u16_at = |at: usize| u16::from_le_bytes(bytes[at..at + 2].try_into().expect("2 bytes"));
        Packed {
            name: Name::from_index(u32_at(0)),
            parent: u32_at(4),
            line: u32_at(8),
            end_lines: u16_at(12),
            name_lines: u16_at(14),
            col: u16_at(16),
            end_col: u16_at(18),
            name_col: u16_at(20),
            kind: SymbolKind::ALL.get(usize::from(bytes[22])).copied().unwrap_or(SymbolKind::Variable),
            role: Role::ALL.get(usize::from(bytes[23])).copied().unwrap_or(Role::Reference),
        }
    }

    fn unpack(&self) -> Symbol {
        let pos = |line: u32, col: u16| Pos { line, col: u32::from(col), col16: u32::from(col) };
        let name_line = self.line + u32::from(self.name_lines);
        let name_end = u32::from(self.name_col) + self.name.as_str().len() as u32;
        Symbol {
            name: self.name,
            kind: self.kind,
            role: self.role,
            range: Span {
                start: pos(self.line, self.col),
                end: pos(self.line + u32::from(self.end_lines), self.end_col),
            },
            name_range: Span {
                start: pos(name_line, self.name_col),
                end: Pos { line: name_line, col: name_end, col16: name_end },
            },
            parent: self.parent,
        }
    }
}

/// Names whose texts take at most this many bytes together are each too short to overflow a
/// record's name end column (a `u16` column plus a `u32` length): [`Packed::check`] then stands for
/// [`Packed::from_bytes`], and [`Small::check`] for [`Small::from_bytes`].
pub const COLUMN_SAFE_NAMES: u64 = (u32::MAX - u16::MAX as u32) as u64;

/// The name number a record's first four bytes hold (a store's).
fn name_number(bytes: &[u8]) -> usize {
    u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes")) as usize
}

/// One symbol of a file whose symbols all sit in the first 255 columns, span fewer than 4,096
/// lines (with at most 15 lines of attributes or comments before the name) and number fewer than
/// 65,535: the records of most files.
#[derive(Clone, Copy, Debug)]
pub struct Small {
    name: Name,
    line: u32,
    /// Index of the parent, `u16::MAX` for none.
    parent: u16,
    /// `end_lines << 4 | name_lines` (see [`Packed`]).
    lines: u16,
    col: u8,
    end_col: u8,
    name_col: u8,
    /// `kind << 2 | role`.
    tag: u8,
}

impl Small {
    const NO_PARENT: u16 = u16::MAX;

    fn pack(s: &Symbol) -> Option<Small> {
        Small::pack_named(s, s.name.as_str().len())
    }

    /// [`Small::pack`] of a symbol whose name is `name_len` bytes long.
    fn pack_named(s: &Symbol, name_len: usize) -> Option<Small> {
        let p = Packed::pack_named(s, name_len)?;
        let parent = match s.parent {
            NO_PARENT => Small::NO_PARENT,
            parent => u16::try_from(parent).ok().filter(|p| *p != Small::NO_PARENT)?,
        };
        (p.end_lines < 1 << 12 && p.name_lines < 1 << 4).then_some(())?;
        Some(Small {
            name: p.name,
            line: p.line,
            parent,
            lines: p.end_lines << 4 | p.name_lines,
            col: u8::try_from(p.col).ok()?,
            end_col: u8::try_from(p.end_col).ok()?,
            name_col: u8::try_from(p.name_col).ok()?,
            tag: (p.kind as u8) << 2 | p.role as u8,
        })
    }

    pub(crate) fn role(&self) -> Role {
        Role::ALL.get(usize::from(self.tag & 3)).copied().unwrap_or(Role::Reference)
    }

    pub fn name(&self) -> Name {
        self.name
    }

    /// The record as 16 little-endian bytes, its name given as the number `name` (a store's).
    pub fn to_bytes(&self, name: u32) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[0..4].copy_from_slice(&name.to_le_bytes());
        out[4..8].copy_from_slice(&self.line.to_le_bytes());
        out[8..10].copy_from_slice(&self.parent.to_le_bytes());
        out[10..12].copy_from_slice(&self.lines.to_le_bytes());
        out[12..16].copy_from_slice(&[self.col, self.end_col, self.name_col, self.tag]);
        out
    }

    /// The record [`Small::to_bytes`] wrote, its name number looked up in `names`, for a file of
    /// `count` symbols; `None` for bytes no record of such a file encodes (a name, kind, role or
    /// parent out of range, lines past the last).
    pub fn from_bytes(bytes: &[u8; 16], names: &[(Name, u32)], count: usize) -> Option<Small> {
        Small::check(bytes, names.len(), count)?;
        let &(name, name_len) = names.get(name_number(bytes))?;
        let s = Small { name, ..Small::read(bytes) };
        u32::from(s.name_col).checked_add(name_len).is_some().then_some(s)
    }

    /// [`Packed::check`] for a small record.
    pub fn check(bytes: &[u8; 16], names: usize, count: usize) -> Option<Role> {
        let s = Small::read(bytes);
        let fits = name_number(bytes) < names
            && usize::from(s.tag >> 2) < SymbolKind::ALL.len()
            && usize::from(s.tag & 3) < Role::ALL.len()
            && (s.parent == Small::NO_PARENT || usize::from(s.parent) < count)
            && s.line.checked_add(u32::from(s.lines >> 4).max(u32::from(s.lines & 15))).is_some();
        fits.then(|| s.role())
    }

    /// The record [`Small::to_bytes`] wrote, its name number the process's own (see [`Stored`]):
    /// no check, the load made them.
    fn read(bytes: &[u8; 16]) -> Small {
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        let u16_at = |at: usize| u16::from_le_bytes(bytes[at..at + 2].try_into().expect("2 bytes"));
        Small {
            name: Name::from_index(u32_at(0)),
            line: u32_at(4),
            parent: u16_at(8),
            lines: u16_at(10),
            col: bytes[12],
            end_col: bytes[13],
            name_col: bytes[14],
            tag: bytes[15],
        }
    }

    fn unpack(&self) -> Symbol {
        Packed {
            name: self.name,
            parent: match self.parent {
                Small::NO_PARENT => NO_PARENT,
                parent => u32::from(parent),
            },
            line: self.line,
            end_lines: self.lines >> 4,
            name_lines: self.lines & 15,
            col: u16::from(self.col),
            end_col: u16::from(self.end_col),
            name_col: u16::from(self.name_col),
            kind: SymbolKind::ALL.get(usize::from(self.tag >> 2)).copied().unwrap_or(SymbolKind::Variable),
            role: self.role(),
        }
        .unpack()
    }
}

/// A file's symbols, in the smallest records they all fit (see the module documentation).
#[derive(Clone, Debug)]
pub enum Symbols {
    Small(Box<[Small]>),
    Packed(Box<[Packed]>),
    Wide(Box<[Symbol]>),
    /// Small or packed records where a store's load found them (see [`Stored`]).
    Stored(Stored),
}

/// Records read where they lie: a store mapped for good by a process that numbers its names as
/// the store does ([`crate::symbol::adopt_all`]), its small (16-byte) or packed (24-byte)
/// records, each checked by the load ([`Small::check`], [`Packed::check`]). A warm
/// start then neither copies nor allocates for a file's symbols.
#[derive(Clone, Copy, Debug)]
pub struct Stored {
    bytes: &'static [u8],
    packed: bool,
}

impl Stored {
    /// `bytes` as small records, or packed ones, each checked already.
    pub fn new(bytes: &'static [u8], packed: bool) -> Stored {
        Stored { bytes, packed }
    }

    fn width(self) -> usize {
        if self.packed {
            24
        } else {
            16
        }
    }

    fn record(self, index: usize) -> Option<&'static [u8]> {
        let width = self.width();
        self.bytes.get(index.checked_mul(width)?..)?.get(..width)
    }

    fn small(self, index: usize) -> Option<Small> {
        let record = self.record(index).filter(|_| !self.packed)?;
        Some(Small::read(record.try_into().ok()?))
    }

    fn packed(self, index: usize) -> Option<Packed> {
        let record = self.record(index).filter(|_| self.packed)?;
        Some(Packed::read(record.try_into().ok()?))
    }
}

impl Default for Symbols {
    fn default() -> Self {
        Symbols::Small(Box::default())
    }
}

impl From<Vec<Symbol>> for Symbols {
    fn from(symbols: Vec<Symbol>) -> Self {
        Symbols::pack(&symbols).unwrap_or_else(|| Symbols::Wide(symbols.into_boxed_slice()))
    }
}

impl From<&[Symbol]> for Symbols {
    fn from(symbols: &[Symbol]) -> Self {
        Symbols::pack(symbols).unwrap_or_else(|| Symbols::Wide(symbols.into()))
    }
}

impl Symbols {
    /// The symbols in small or packed records, if they all fit one kind.
    fn pack(symbols: &[Symbol]) -> Option<Symbols> {
        let small = symbols.iter().map(Small::pack).collect::<Option<Box<[Small]>>>().map(Symbols::Small);
        small.or_else(|| symbols.iter().map(Packed::pack).collect::<Option<Box<[Packed]>>>().map(Symbols::Packed))
    }

    pub fn len(&self) -> usize {
        match self {
            Symbols::Small(s) => s.len(),
            Symbols::Packed(p) => p.len(),
            Symbols::Wide(w) => w.len(),
            Symbols::Stored(s) => s.bytes.len() / s.width(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The symbol at `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<Symbol> {
        match self {
            Symbols::Small(s) => s.get(index).map(Small::unpack),
            Symbols::Packed(p) => p.get(index).map(Packed::unpack),
            Symbols::Wide(w) => w.get(index).copied(),
            Symbols::Stored(s) if s.packed => s.packed(index).map(|p| p.unpack()),
            Symbols::Stored(s) => s.small(index).map(|s| s.unpack()),
        }
    }

    /// The name and role at `index` without decoding the rest (for scans over many symbols).
    pub fn name_role(&self, index: usize) -> Option<(Name, Role)> {
        match self {
            Symbols::Small(s) => s.get(index).map(|s| (s.name, s.role())),
            Symbols::Packed(p) => p.get(index).map(|s| (s.name, s.role)),
            Symbols::Wide(w) => w.get(index).map(|s| (s.name, s.role)),
            Symbols::Stored(s) if s.packed => s.packed(index).map(|p| (p.name, p.role)),
            Symbols::Stored(s) => s.small(index).map(|s| (s.name, s.role())),
        }
    }

    /// The small record at `index`, when the symbols are held in small records.
    pub fn small(&self, index: usize) -> Option<Small> {
        match self {
            Symbols::Small(s) => s.get(index).copied(),
            Symbols::Stored(s) => s.small(index),
            _ => None,
        }
    }

    /// The packed record at `index`, when the symbols are held in packed records.
    pub fn packed(&self, index: usize) -> Option<Packed> {
        match self {
            Symbols::Packed(p) => p.get(index).copied(),
            Symbols::Stored(s) => s.packed(index),
            _ => None,
        }
    }

    /// Every symbol's name and role, in order.
    pub fn names(&self) -> impl Iterator<Item = (Name, Role)> + '_ {
        (0..self.len()).filter_map(|i| self.name_role(i))
    }

    pub fn iter(&self) -> impl Iterator<Item = Symbol> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    pub fn to_vec(&self) -> Vec<Symbol> {
        self.iter().collect()
    }

    /// The name of the container of the symbol at `index`: its innermost enclosing definition or
    /// scope.
    pub fn container_name(&self, index: usize) -> Option<&'static str> {
        let parent = self.get(index)?.parent_index()?;
        self.name_role(parent).map(|(name, _)| name.as_str())
    }

    /// Whether the records are the small or packed ones (for tests and statistics).
    pub fn is_packed(&self) -> bool {
        !matches!(self, Symbols::Wide(_))
    }
}

/// Builds a file's [`Symbols`] one symbol at a time, straight into small records while every
/// symbol fits them (a store's load: no 60-byte record per symbol on the way), into what
/// [`Symbols::from`] chooses otherwise.
pub struct SymbolsBuilder {
    small: Vec<Small>,
    /// Every symbol so far, once one did not fit a small record.
    wide: Vec<Symbol>,
}

impl SymbolsBuilder {
    pub fn with_capacity(count: usize) -> SymbolsBuilder {
        SymbolsBuilder { small: Vec::with_capacity(count), wide: Vec::new() }
    }

    /// Adds `s`, whose name is `name_len` bytes long (known to the caller without the interner).
    pub fn push(&mut self, s: Symbol, name_len: usize) {
        if self.wide.is_empty() {
            if let Some(small) = Small::pack_named(&s, name_len) {
                self.small.push(small);
                return;
            }
            self.wide.reserve(self.small.capacity());
            self.wide.extend(self.small.drain(..).map(|small| small.unpack()));
        }
        self.wide.push(s);
    }

    pub fn finish(self) -> Symbols {
        if self.wide.is_empty() {
            Symbols::Small(self.small.into_boxed_slice())
        } else {
            Symbols::from(self.wide)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;
    use crate::parser::Extractor;

    #[test]
    fn bytes_no_small_record_writes_are_refused() {
        let names = [(Name::new("bytes_test"), 10)];
        let good = Small::pack(&Symbol {
            name: names[0].0,
            kind: SymbolKind::Struct,
            role: Role::Definition,
            range: Span { start: Pos { line: 3, col: 0, col16: 0 }, end: Pos { line: 5, col: 1, col16: 1 } },
            name_range: Span { start: Pos { line: 3, col: 7, col16: 7 }, end: Pos { line: 3, col: 17, col16: 17 } },
            parent: NO_PARENT,
        })
        .expect("fits");
        let bytes = good.to_bytes(0);
        assert!(Small::from_bytes(&bytes, &names, 1).is_some());
        let with = |at: usize, value: u8| {
            let mut b = bytes;
            b[at] = value;
            Small::from_bytes(&b, &names, 1)
        };
        assert!(with(0, 1).is_none(), "name number past the table");
        assert!(with(15, (SymbolKind::ALL.len() as u8) << 2).is_none(), "kind");
        assert!(with(15, 3).is_none(), "role");
        assert!(with(8, 0).is_none(), "a parent past the file's one symbol");
        let mut last_line = bytes;
        last_line[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Small::from_bytes(&last_line, &names, 1).is_none(), "an end past line u32::MAX");
        // The same for the 24-byte records.
        let packed = Packed::pack(&good.unpack()).expect("fits").to_bytes(0);
        assert!(Packed::from_bytes(&packed, &names, 1).is_some());
        let with = |at: usize, value: u8| {
            let mut b = packed;
            b[at] = value;
            Packed::from_bytes(&b, &names, 1)
        };
        assert!(with(0, 1).is_none(), "name number past the table");
        assert!(with(22, SymbolKind::ALL.len() as u8).is_none(), "kind");
        assert!(with(23, 3).is_none(), "role");
        assert!(with(4, 1).is_none(), "a parent past the file's one symbol");
        let mut last_line = packed;
        last_line[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Packed::from_bytes(&last_line, &names, 1).is_none(), "an end past line u32::MAX");
    }

    #[test]
    fn checks_in_place_accept_what_decoding_accepts_when_names_are_short() {
        // Records read in place are checked without looking their names up (see
        // `COLUMN_SAFE_NAMES`): for names that short, the checks must agree with decoding.
        let names: Vec<(Name, u32)> = (0..5).map(|i| (Name::new(&format!("check_test_{i}")), 12)).collect();
        let good = Small::pack(&Symbol {
            name: names[2].0,
            kind: SymbolKind::Function,
            role: Role::Definition,
            range: Span { start: Pos { line: 9, col: 4, col16: 4 }, end: Pos { line: 12, col: 5, col16: 5 } },
            name_range: Span { start: Pos { line: 9, col: 7, col16: 7 }, end: Pos { line: 9, col: 19, col16: 19 } },
            parent: 1,
        })
        .expect("fits");
        let (small, packed) = (good.to_bytes(2), Packed::pack(&good.unpack()).expect("fits").to_bytes(2));
        let mut rng = fastrand::Rng::with_seed(11);
        let mut accepted = 0;
        for round in 0..20_000 {
            let count = rng.usize(0..4);
            let (mut s, mut p) = (small, packed);
            // Mostly good records with a byte or two changed; now and then any bytes at all.
            if round % 10 == 0 {
                rng.fill(&mut s);
                rng.fill(&mut p);
            } else {
                for _ in 0..rng.usize(1..3) {
                    s[rng.usize(..16)] = rng.u8(..);
                    p[rng.usize(..24)] = rng.u8(..);
                }
            }
            let decoded = Small::from_bytes(&s, &names, count).map(|r| r.role());
            assert_eq!(Small::check(&s, names.len(), count), decoded, "{s:?}");
            let decoded = Packed::from_bytes(&p, &names, count).map(|r| r.role);
            assert_eq!(Packed::check(&p, names.len(), count), decoded, "{p:?}");
            accepted += usize::from(decoded.is_some());
        }
        assert!(accepted > 1000, "the changed records were mostly refused: {accepted}");
        // A name number that wraps around once one is added is past the table too.
        let mut wraps = small;
        wraps[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Small::check(&wraps, names.len(), 3), None);
        // A name long enough to overflow the end column: decoding refuses, which is why the
        // checks are only used when no name is that long.
        let long = [(names[0].0, u32::MAX)];
        let mut first = small;
        first[..4].copy_from_slice(&0u32.to_le_bytes());
        assert!(Small::from_bytes(&first, &long, 3).is_none());
        assert!(Small::check(&first, long.len(), 3).is_some());
    }

    #[test]
    fn records_are_16_and_24_bytes() {
        assert_eq!(std::mem::size_of::<Small>(), 16);
        assert_eq!(std::mem::size_of::<Packed>(), 24);
    }

    #[test]
    fn kinds_and_roles_decode_from_their_discriminants() {
        for (i, kind) in SymbolKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, i);
        }
        assert!(SymbolKind::ALL.len() <= 1 << 6, "a kind fits the tag's six bits");
        for (i, role) in Role::ALL.iter().enumerate() {
            assert_eq!(*role as usize, i);
        }
    }

    fn round_trip(lang: Lang, source: &str) -> Symbols {
        let symbols = Extractor::new().extract_source(lang, source.as_bytes()).expect("parses");
        assert!(!symbols.is_empty());
        let stored = Symbols::from(symbols.clone());
        assert_eq!(stored.to_vec(), symbols);
        // Built one symbol at a time: the same records.
        let mut builder = SymbolsBuilder::with_capacity(symbols.len());
        symbols.iter().for_each(|s| builder.push(*s, s.name.as_str().len()));
        let built = builder.finish();
        assert_eq!(std::mem::discriminant(&built), std::mem::discriminant(&stored));
        assert_eq!(built.to_vec(), symbols);
        if let Symbols::Small(records) = &stored {
            // Through bytes, names as numbers into a table.
            let names: Vec<(Name, u32)> = records.iter().map(|r| (r.name(), r.name().as_str().len() as u32)).collect();
            let back: Box<[Small]> = records
                .iter()
                .enumerate()
                .map(|(i, r)| Small::from_bytes(&r.to_bytes(i as u32), &names, records.len()).expect("decodes"))
                .collect();
            assert_eq!(Symbols::Small(back).to_vec(), symbols);
        }
        if let Symbols::Packed(records) = &stored {
            let names: Vec<(Name, u32)> = records.iter().map(|r| (r.name(), r.name().as_str().len() as u32)).collect();
            let back: Box<[Packed]> = records
                .iter()
                .enumerate()
                .map(|(i, r)| Packed::from_bytes(&r.to_bytes(i as u32), &names, records.len()).expect("decodes"))
                .collect();
            assert_eq!(Symbols::Packed(back).to_vec(), symbols);
        }
        for (i, s) in symbols.iter().enumerate() {
            assert_eq!(stored.name_role(i), Some((s.name, s.role)));
        }
        stored
    }

    #[test]
    fn ascii_files_pack_and_decode_to_the_same_symbols() {
        let stored = round_trip(Lang::Rust, "mod m {\n    pub struct S { f: u32 }\n    impl S {\n        fn new() -> S { S { f: 1 } }\n    }\n}\nfn main() { m::S::new(); }\n");
        assert!(stored.is_packed());
        let stored = round_trip(Lang::Python, "class A:\n    @property\n    def b(self):\n        return c(1)\n");
        assert!(stored.is_packed());
    }

    #[test]
    fn files_take_the_smallest_records_their_symbols_fit() {
        let small = round_trip(Lang::Rust, "struct S;\nimpl S {\n    fn f(&self) {}\n}\n");
        assert!(matches!(small, Symbols::Small(_)));
        // A name past column 255 needs the 16-bit columns of the 24-byte records.
        let far = round_trip(Lang::Rust, &format!("struct S;{}struct T;\n", " ".repeat(300)));
        assert!(matches!(far, Symbols::Packed(_)));
        // So does a construct of 4,096 lines or more.
        let long = round_trip(Lang::Rust, &format!("mod m {{{}fn f() {{}}\n}}\n", "\n".repeat(5000)));
        assert!(matches!(long, Symbols::Packed(_)));
        // And a name more than 15 lines after the start of its construct.
        let late = round_trip(Lang::Rust, &format!("struct{}S;\n", "\n".repeat(20)));
        assert!(matches!(late, Symbols::Packed(_)));
        // And a file of 65,535 symbols or more, whose parents need more than 16 bits.
        let many: String = (0..70_000).map(|i| format!("struct S{i};\n")).collect();
        let many = round_trip(Lang::Rust, &format!("{many}mod m {{\n    fn f() {{}}\n}}\n"));
        assert!(matches!(many, Symbols::Packed(_)));
    }

    #[test]
    fn wide_text_keeps_full_records_and_decodes_the_same() {
        // The UTF-16 column of `f` differs from its byte column.
        let stored = round_trip(Lang::Python, "x = 'é'; y = 1\ndef é(): pass\n\u{1F600} = 1\ndef f(): pass\n");
        assert!(!stored.is_packed());
        let long = format!("{}def far(): pass\n", " ".repeat(70_000).replace("  ", "\n "));
        round_trip(Lang::Python, &long);
        let wide = format!("x = 1{}; z = 2\ndef g(): pass\n", " ".repeat(70_000));
        assert!(!round_trip(Lang::Python, &wide).is_packed());
    }
}
