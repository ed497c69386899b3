//! The store's bytes: a fixed header, then a checksummed body of postcard-encoded meta and payload.
//!
//! ```text
//! offset  size  field
//!      0     8  magic  b"SYMDEXIX"
//!      8     4  format version (u32 LE)        -- another value: a foreign store, discarded
//!     12    32  blake3 of the body             -- a mismatch: a corrupt store, discarded
//!     44     8  body length (u64 LE)           -- shorter or longer: a truncated store, discarded
//!     52     …  body = postcard(Meta) ++ postcard(Payload)
//! ```
//! `Meta` names the symdex version, the grammar/query version, the build and the root: a store from
//! another one is *outdated* (its entries count as stale). `Payload` holds a language table, a name
//! table (each distinct name once) and the files, each with its stamp and its symbols, whose names
//! and languages are indexes into those tables. Paths are stored relative to the root, as bytes.
//! A file's symbols are one byte string of compact numbers (see [`decode_symbols`]), decoded only
//! when the file is reused.

use std::path::Path;

use rustc_hash::FxHashMap as HashMap;

use serde::ser::SerializeSeq;
use serde::{Deserialize, Serialize, Serializer};

use crate::index::FileEntry;
use crate::lang::Lang;
use crate::symbol::{Name, Pos, Role, Span, Symbol, SymbolKind};

pub(super) const MAGIC: [u8; 8] = *b"SYMDEXIX";
/// Bump when the layout of the body changes.
pub(super) const FORMAT: u32 = 2;
pub(super) const HEADER_LEN: usize = 8 + 4 + 32 + 8;

/// What the body says about where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Meta {
    pub version: String,
    pub query_version: u64,
    pub build_id: u64,
    pub root: Vec<u8>,
}

/// Why bytes are not a usable store.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormatError {
    #[error("not a symdex store (bad magic)")]
    Magic,
    #[error("foreign store format {0} (this build reads {FORMAT})")]
    Foreign(u32),
    #[error("truncated store ({got} of {want} body bytes)")]
    Truncated { got: u64, want: u64 },
    #[error("checksum mismatch")]
    Checksum,
    #[error("undecodable store: {0}")]
    Decode(String),
}

#[derive(Deserialize)]
struct StoredFile<'a> {
    #[serde(borrow)]
    path: &'a [u8],
    lang: u32,
    size: u64,
    mtime_ns: u128,
    hash: [u8; 32],
    racy: bool,
    count: u32,
    #[serde(borrow)]
    symbols: &'a [u8],
}

#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    langs: Vec<&'a str>,
    #[serde(borrow)]
    names: Vec<&'a str>,
    #[serde(borrow)]
    files: Vec<StoredFile<'a>>,
}

/// A decoded store: its name table and its files, whose symbols stay encoded until asked for
/// (so that a warm start decodes them on the scanner's workers, and only for files it reuses).
pub(super) struct Decoded<'a> {
    pub names: Vec<Name>,
    pub files: Vec<DecodedFile<'a>>,
}

/// One stored file.
#[derive(Debug)]
pub(super) struct DecodedFile<'a> {
    pub relative: &'a [u8],
    /// `None` when this build has no language of the stored name.
    pub lang: Option<Lang>,
    pub size: u64,
    pub mtime_ns: u128,
    pub hash: [u8; 32],
    pub racy: bool,
    /// How many symbols `symbols` holds.
    pub count: u32,
    /// The encoded symbols (see [`decode_symbols`]).
    pub symbols: &'a [u8],
}

/// A file to encode.
pub(super) struct EncodeFile<'a> {
    pub relative: Vec<u8>,
    pub entry: &'a FileEntry,
    pub racy: bool,
}

/// Encodes a whole store.
pub(super) fn encode(meta: &Meta, files: &[EncodeFile<'_>]) -> Result<Vec<u8>, FormatError> {
    let mut langs: Vec<&'static str> = Vec::new();
    let mut lang_ids: HashMap<&'static str, u32> = HashMap::default();
    let mut names: Vec<&'static str> = Vec::new();
    let mut name_ids: HashMap<Name, u32> = HashMap::default();
    for f in files {
        let lang = f.entry.lang.name();
        lang_ids.entry(lang).or_insert_with(|| {
            langs.push(lang);
            (langs.len() - 1) as u32
        });
        for s in &f.entry.symbols {
            name_ids.entry(s.name).or_insert_with(|| {
                names.push(s.name.as_str());
                (names.len() - 1) as u32
            });
        }
    }
    let payload = PayloadOut {
        langs: &langs,
        names: &names,
        files: FilesOut { files, lang_ids: &lang_ids, name_ids: &name_ids },
    };
    let mut body = postcard::to_allocvec(meta).map_err(|e| FormatError::Decode(e.to_string()))?;
    body = postcard::to_extend(&payload, body).map_err(|e| FormatError::Decode(e.to_string()))?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(blake3::hash(&body).as_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// Checks the header and checksum; returns the body.
fn body(bytes: &[u8]) -> Result<&[u8], FormatError> {
    if bytes.len() < 12 || bytes[..8] != MAGIC {
        return Err(if bytes.len() < 12 && MAGIC.starts_with(&bytes[..bytes.len().min(8)]) {
            FormatError::Truncated { got: 0, want: HEADER_LEN as u64 }
        } else {
            FormatError::Magic
        });
    }
    let format = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if format != FORMAT {
        return Err(FormatError::Foreign(format));
    }
    if bytes.len() < HEADER_LEN {
        return Err(FormatError::Truncated { got: 0, want: HEADER_LEN as u64 });
    }
    let checksum = &bytes[12..44];
    let want = u64::from_le_bytes(bytes[44..52].try_into().expect("8 bytes"));
    let body = &bytes[HEADER_LEN..];
    if body.len() as u64 != want {
        return Err(FormatError::Truncated { got: body.len() as u64, want });
    }
    if blake3::hash(body).as_bytes() != checksum {
        return Err(FormatError::Checksum);
    }
    Ok(body)
}

/// Reads only the meta (no checksum check: for housekeeping, never for answers).
pub(super) fn peek_meta(bytes: &[u8]) -> Option<Meta> {
    if bytes.len() < HEADER_LEN || bytes[..8] != MAGIC {
        return None;
    }
    postcard::take_from_bytes::<Meta>(&bytes[HEADER_LEN..]).ok().map(|(m, _)| m)
}

/// Decodes a store: its meta, its names (interned) and its files (symbols still encoded).
pub(super) fn decode(bytes: &[u8]) -> Result<(Meta, Decoded<'_>), FormatError> {
    let body = body(bytes)?;
    let (meta, rest) = postcard::take_from_bytes::<Meta>(body).map_err(|e| FormatError::Decode(e.to_string()))?;
    let payload: Payload<'_> = postcard::from_bytes(rest).map_err(|e| FormatError::Decode(e.to_string()))?;
    let names: Vec<Name> = payload.names.iter().map(|n| Name::new(n)).collect();
    let langs: Vec<Option<Lang>> =
        payload.langs.iter().map(|n| Lang::ALL.into_iter().find(|l| l.name() == *n)).collect();
    let mut files = Vec::with_capacity(payload.files.len());
    for f in payload.files {
        let lang = *langs.get(f.lang as usize).ok_or_else(|| FormatError::Decode("bad language".into()))?;
        files.push(DecodedFile {
            relative: f.path,
            lang,
            size: f.size,
            mtime_ns: f.mtime_ns,
            hash: f.hash,
            racy: f.racy,
            count: f.count,
            symbols: f.symbols,
        });
    }
    Ok((meta, Decoded { names, files }))
}

/// Decodes a file's symbols. Each is 16 LEB128 numbers, most of them one byte: positions are
/// stored as deltas (an end from its start, a name from its construct, a UTF-16 column from the
/// byte column, which it never exceeds), and the parent index plus one (0: none).
pub(super) fn decode_symbols(mut blob: &[u8], count: u32, names: &[Name]) -> Result<Vec<Symbol>, FormatError> {
    let bad = || FormatError::Decode("bad symbol encoding".into());
    let mut out = Vec::with_capacity(count as usize);
    let mut next = || -> Result<u32, FormatError> {
        let mut value: u32 = 0;
        for shift in (0..35).step_by(7) {
            let (&byte, rest) = blob.split_first().ok_or_else(bad)?;
            blob = rest;
            value |= u32::from(byte & 0x7f).checked_shl(shift).ok_or_else(bad)?;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(bad())
    };
    for _ in 0..count {
        let name = *names.get(next()? as usize).ok_or_else(bad)?;
        let kind = kind_of(next()?).ok_or_else(bad)?;
        let role = role_of(next()?).ok_or_else(bad)?;
        let parent = next()?.wrapping_sub(1);
        if parent != crate::symbol::NO_PARENT && parent >= count {
            return Err(bad());
        }
        let mut span = |base_line: u32| -> Result<Span, FormatError> {
            let line = base_line.wrapping_add(next()?);
            let col = next()?;
            let start = Pos { line, col, col16: col.wrapping_sub(next()?) };
            let line = line.wrapping_add(next()?);
            let col = next()?;
            Ok(Span { start, end: Pos { line, col, col16: col.wrapping_sub(next()?) } })
        };
        let range = span(0)?;
        let name_range = span(range.start.line)?;
        out.push(Symbol { name, kind, role, range, name_range, parent });
    }
    if blob.is_empty() {
        Ok(out)
    } else {
        Err(bad())
    }
}

fn encode_symbols(symbols: &[Symbol], name_ids: &HashMap<Name, u32>, out: &mut Vec<u8>) {
    let mut put = |mut value: u32| loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    };
    for s in symbols {
        put(name_ids[&s.name]);
        put(kind_code(s.kind));
        put(role_code(s.role));
        put(s.parent.wrapping_add(1));
        for (span, base_line) in [(s.range, 0), (s.name_range, s.range.start.line)] {
            put(span.start.line.wrapping_sub(base_line));
            put(span.start.col);
            put(span.start.col.wrapping_sub(span.start.col16));
            put(span.end.line.wrapping_sub(span.start.line));
            put(span.end.col);
            put(span.end.col.wrapping_sub(span.end.col16));
        }
    }
}

/// Stable codes of kinds and roles: an exhaustive match, so a new variant cannot be forgotten.
fn kind_code(kind: SymbolKind) -> u32 {
    match kind {
        SymbolKind::Function => 0,
        SymbolKind::Method => 1,
        SymbolKind::Class => 2,
        SymbolKind::Interface => 3,
        SymbolKind::Module => 4,
        SymbolKind::Macro => 5,
        SymbolKind::Constant => 6,
        SymbolKind::Variable => 7,
        SymbolKind::Field => 8,
        SymbolKind::Property => 9,
        SymbolKind::Enum => 10,
        SymbolKind::EnumMember => 11,
        SymbolKind::Struct => 12,
        SymbolKind::Type => 13,
        SymbolKind::Constructor => 14,
        SymbolKind::Impl => 15,
        SymbolKind::Other => 16,
    }
}

const KINDS: [SymbolKind; 17] = [
    SymbolKind::Function,
    SymbolKind::Method,
    SymbolKind::Class,
    SymbolKind::Interface,
    SymbolKind::Module,
    SymbolKind::Macro,
    SymbolKind::Constant,
    SymbolKind::Variable,
    SymbolKind::Field,
    SymbolKind::Property,
    SymbolKind::Enum,
    SymbolKind::EnumMember,
    SymbolKind::Struct,
    SymbolKind::Type,
    SymbolKind::Constructor,
    SymbolKind::Impl,
    SymbolKind::Other,
];

fn kind_of(code: u32) -> Option<SymbolKind> {
    KINDS.get(code as usize).copied()
}

fn role_code(role: Role) -> u32 {
    match role {
        Role::Definition => 0,
        Role::Reference => 1,
        Role::Scope => 2,
    }
}

fn role_of(code: u32) -> Option<Role> {
    [Role::Definition, Role::Reference, Role::Scope].get(code as usize).copied()
}

#[derive(Serialize)]
struct PayloadOut<'a> {
    langs: &'a [&'static str],
    names: &'a [&'static str],
    files: FilesOut<'a>,
}

struct FilesOut<'a> {
    files: &'a [EncodeFile<'a>],
    lang_ids: &'a HashMap<&'static str, u32>,
    name_ids: &'a HashMap<Name, u32>,
}

#[derive(Serialize)]
struct FileOut<'a> {
    path: Bytes<'a>,
    lang: u32,
    size: u64,
    mtime_ns: u128,
    hash: [u8; 32],
    racy: bool,
    count: u32,
    symbols: Bytes<'a>,
}

/// Serialized as bytes (what `&[u8]` deserializes from), not as a sequence.
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

impl Serialize for FilesOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut blob = Vec::new();
        let mut seq = s.serialize_seq(Some(self.files.len()))?;
        for f in self.files {
            blob.clear();
            encode_symbols(&f.entry.symbols, self.name_ids, &mut blob);
            seq.serialize_element(&FileOut {
                path: Bytes(&f.relative),
                lang: self.lang_ids[f.entry.lang.name()],
                size: f.entry.stamp.size,
                mtime_ns: f.entry.stamp.mtime_ns,
                hash: f.entry.stamp.hash,
                racy: f.racy,
                count: f.entry.symbols.len() as u32,
                symbols: Bytes(&blob),
            })?;
        }
        seq.end()
    }
}

/// A path's bytes (as stored).
pub(super) fn path_bytes(path: &Path) -> Option<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Some(path.as_os_str().as_bytes().to_vec())
    }
    #[cfg(not(unix))]
    {
        path.to_str().map(|s| s.as_bytes().to_vec())
    }
}

/// The path of stored bytes.
pub(super) fn bytes_path(bytes: &[u8]) -> Option<std::path::PathBuf> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Some(std::path::PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
    }
    #[cfg(not(unix))]
    {
        std::str::from_utf8(bytes).ok().map(std::path::PathBuf::from)
    }
}
