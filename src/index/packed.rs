//! Compact storage of one file's symbols: what the index keeps resident for every file.
//!
//! A [`Symbol`] is 60 bytes because it carries two columns per position (UTF-8 and UTF-16) as
//! `u32`s. In source code almost every line a symbol sits on is ASCII, so both columns agree, and
//! almost every column and line span fits in 16 bits. Such a file's symbols are packed into
//! 24-byte records; any file where one symbol does not fit keeps the full records. Decoding is a
//! few shifts, so readers get a [`Symbol`] by value and never see the difference.

use crate::symbol::{Name, Pos, Role, Span, Symbol, SymbolKind};

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
        let narrow = |p: Pos| (p.col == p.col16).then_some(()).and_then(|()| u16::try_from(p.col).ok());
        let (start, end, name) = (s.range.start, s.range.end, s.name_range.start);
        let name_len = u32::try_from(s.name.as_str().len()).ok()?;
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

/// A file's symbols, packed when they all fit (see the module documentation).
#[derive(Clone, Debug)]
pub enum Symbols {
    Packed(Box<[Packed]>),
    Wide(Box<[Symbol]>),
}

impl Default for Symbols {
    fn default() -> Self {
        Symbols::Packed(Box::default())
    }
}

impl From<Vec<Symbol>> for Symbols {
    fn from(symbols: Vec<Symbol>) -> Self {
        match symbols.iter().map(Packed::pack).collect::<Option<Box<[Packed]>>>() {
            Some(packed) => Symbols::Packed(packed),
            None => Symbols::Wide(symbols.into_boxed_slice()),
        }
    }
}

impl From<&[Symbol]> for Symbols {
    fn from(symbols: &[Symbol]) -> Self {
        match symbols.iter().map(Packed::pack).collect::<Option<Box<[Packed]>>>() {
            Some(packed) => Symbols::Packed(packed),
            None => Symbols::Wide(symbols.into()),
        }
    }
}

impl Symbols {
    pub fn len(&self) -> usize {
        match self {
            Symbols::Packed(p) => p.len(),
            Symbols::Wide(w) => w.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The symbol at `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<Symbol> {
        match self {
            Symbols::Packed(p) => p.get(index).map(Packed::unpack),
            Symbols::Wide(w) => w.get(index).copied(),
        }
    }

    /// The name and role at `index` without decoding the rest (for scans over many symbols).
    pub fn name_role(&self, index: usize) -> Option<(Name, Role)> {
        match self {
            Symbols::Packed(p) => p.get(index).map(|s| (s.name, s.role)),
            Symbols::Wide(w) => w.get(index).map(|s| (s.name, s.role)),
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

    /// Whether the records are the packed ones (for tests and statistics).
    pub fn is_packed(&self) -> bool {
        matches!(self, Symbols::Packed(_))
    }

    /// Bytes held by the records.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Symbols::Packed(p) => std::mem::size_of_val(&**p),
            Symbols::Wide(w) => std::mem::size_of_val(&**w),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;
    use crate::parser::Extractor;

    #[test]
    fn a_packed_record_is_24_bytes() {
        assert_eq!(std::mem::size_of::<Packed>(), 24);
    }

    fn round_trip(lang: Lang, source: &str) -> Symbols {
        let symbols = Extractor::new().extract_source(lang, source.as_bytes()).expect("parses");
        assert!(!symbols.is_empty());
        let stored = Symbols::from(symbols.clone());
        assert_eq!(stored.to_vec(), symbols);
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
