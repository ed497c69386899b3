//! Conversions between the index's plain types and LSP types (`to_proto` / `from_proto`).

use std::path::PathBuf;

use tower_lsp_server::ls_types::{self as lsp, Location, Position, Range, Uri};

use crate::document::{Encoding, LineCol};
use crate::index::SymbolRef;
use crate::symbol::{Pos, Span, SymbolKind};

/// The file path of a `file:` URI; `None` for other schemes.
pub fn path(uri: &Uri) -> Option<PathBuf> {
    if uri.scheme().as_str() != "file" {
        return None;
    }
    uri.to_file_path().map(|p| p.into_owned())
}

pub fn uri(path: &std::path::Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

pub fn line_col(p: Position) -> LineCol {
    LineCol { line: p.line, character: p.character }
}

pub fn position(p: Pos, encoding: Encoding) -> Position {
    Position { line: p.line, character: if encoding == Encoding::Utf16 { p.col16 } else { p.col } }
}

pub fn range(s: Span, encoding: Encoding) -> Range {
    Range { start: position(s.start, encoding), end: position(s.end, encoding) }
}

pub fn location(hit: &SymbolRef, encoding: Encoding) -> Option<Location> {
    Some(Location { uri: uri(&hit.file.path)?, range: range(hit.symbol().name_range, encoding) })
}

pub fn symbol_kind(kind: SymbolKind) -> lsp::SymbolKind {
    match kind {
        SymbolKind::Function => lsp::SymbolKind::FUNCTION,
        SymbolKind::Method => lsp::SymbolKind::METHOD,
        SymbolKind::Class | SymbolKind::Impl => lsp::SymbolKind::CLASS,
        SymbolKind::Interface => lsp::SymbolKind::INTERFACE,
        SymbolKind::Module => lsp::SymbolKind::MODULE,
        SymbolKind::Macro => lsp::SymbolKind::FUNCTION,
        SymbolKind::Constant => lsp::SymbolKind::CONSTANT,
        SymbolKind::Variable => lsp::SymbolKind::VARIABLE,
        SymbolKind::Field => lsp::SymbolKind::FIELD,
        SymbolKind::Property => lsp::SymbolKind::PROPERTY,
        SymbolKind::Enum => lsp::SymbolKind::ENUM,
        SymbolKind::EnumMember => lsp::SymbolKind::ENUM_MEMBER,
        SymbolKind::Struct => lsp::SymbolKind::STRUCT,
        SymbolKind::Type => lsp::SymbolKind::TYPE_PARAMETER,
        SymbolKind::Constructor => lsp::SymbolKind::CONSTRUCTOR,
        SymbolKind::Other => lsp::SymbolKind::OBJECT,
    }
}
