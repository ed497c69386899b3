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
        let p = Packed::pack(s)?;
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

    fn role(&self) -> Role {
        Role::ALL[usize::from(self.tag & 3)]
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
            kind: SymbolKind::ALL[usize::from(self.tag >> 2)],
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
        }
    }

    /// The name and role at `index` without decoding the rest (for scans over many symbols).
    pub fn name_role(&self, index: usize) -> Option<(Name, Role)> {
        match self {
            Symbols::Small(s) => s.get(index).map(|s| (s.name, s.role())),
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

    /// Whether the records are the small or packed ones (for tests and statistics).
    pub fn is_packed(&self) -> bool {
        !matches!(self, Symbols::Wide(_))
    }

    /// Bytes held by the records.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Symbols::Small(s) => std::mem::size_of_val(&**s),
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
