//! The store's bytes: a fixed header, then a checksummed body of length-prefixed records, written
//! as a stream and read from the store's bytes in memory (mapped, see `super::store_bytes`).
//!
//! ```text
//! offset  size  field
//!      0     8  magic  b"SYMDEXIX"
//!      8     4  format version (u32 LE)        -- another value: a foreign store, discarded
//!     12    16  xxh3-128 of the body (LE)      -- a mismatch: a corrupt store, discarded
//!     28     8  body length (u64 LE)           -- not the file's length: a truncated store, discarded
//!     36     …  body
//!
//! body   = record(Meta) record(Head) names set × NAME_SETS defs
//!          record(File) × Head.files
//! record = LEB128 length ++ a postcard value of that length
//! names  = LEB128 length ++ (LEB128 length of a name) × Head.names
//!          LEB128 length ++ the names' UTF-8 texts, end to end
//! set    = LEB128 length ++ ⌈⌈Head.defined / 64⌉ / 64⌉ u64 LE words, bit w set when word w of
//!          the set is not zero ++ those words (u64 LE), bit i of word w for name 64 × w + i
//! defs   = LEB128 length ++ for each of the Head.defined names, where its files end in the
//!          list that follows (u32 LE, counted from the list's start) ++ the list: for each name,
//!          the numbers (order in the store) of the files defining it, increasing (u32 LE each)
//! ```
//! `Meta` names the symdex version, the grammar/query version, the build and the root: a store from
//! another one is *outdated* (its entries count as stale). `Head` holds the language table and the
//! counts. The names are the name table (each distinct name once), first the `Head.defined` names
//! some file defines: the index's fuzzy name table, whose bit sets (see
//! [`crate::index::name_block`]) the sets hold, so that a load need not read every name again to
//! rebuild them. A file holds its path relative to the root (bytes), its language (an index into
//! the language table), its stamp and its symbols, one byte string whose names are indexes into the
//! name table: the index's own 16- or 24-byte records (read where they lie by a process that
//! numbers its names as the store does, see [`Stored`]; else copied, [`decode_records`]), or
//! compact numbers for files with symbols neither fits (see [`decode_symbols`]). The `defs`
//! list, name by name, which files define the name table's names, as the files' symbols say
//! file by file: a load fills the index's name → files table from them before the files come
//! (see [`crate::index::Index::list_stored`]).
//!
//! [`write`] sends the body out once through a buffered writer, hashing it on the way, then seeks
//! back to fill in the checksum and the length. [`read`] checks the body's checksum (on a thread
//! of its own) while it reads the names, and decodes each file's symbols into their final form
//! at once (each record checked, also those used in place); the caller must drop everything it
//! was given unless `read` returns `Ok`, which it does only once the whole body is read and
//! matches its checksum. Every length read off disk is checked against the bytes left in the
//! body before anything is allocated for it; no byte string makes this module panic.

use std::borrow::Cow;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex, PoisonError};

use rustc_hash::FxHashMap as HashMap;

use serde::{Deserialize, Serialize, Serializer};

use crate::index::{
    name_block, FileEntry, Packed, Small, Stored, StoredDefinitions, StoredNames, Symbols, SymbolsBuilder,
    COLUMN_SAFE_NAMES, NAME_SETS, NAME_TEXT_PADDING,
};
use crate::lang::Lang;
use crate::symbol::{adopt_all, intern_all, Name, Pos, Role, Span, Symbol, SymbolKind, Texts};

pub(super) const MAGIC: [u8; 8] = *b"SYMDEXIX";
/// Bump when the layout of the body changes.
pub(super) const FORMAT: u32 = 7;
pub(super) const HEADER_LEN: usize = 8 + 4 + 16 + 8;
/// Where the checksum goes (and the length after it).
const CHECKSUM_AT: u64 = 12;
/// The buffers between the store and the codec.
const BUFFER: usize = 128 * 1024;
/// The fewest bytes a file record takes (its length, path, language, size, mtime, 32-byte hash,
/// racy flag, count and symbols, each at least one byte): bounds what a count read off disk may
/// reserve.
const MIN_FILE_RECORD: u64 = 40;

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

/// Why a store could not be read.
#[derive(Debug)]
pub(super) enum ReadError {
    /// The file could not be read (permissions, a directory in its place).
    Io(io::Error),
    /// Its bytes are not a store this build can use.
    Format(FormatError),
}

impl From<FormatError> for ReadError {
    fn from(e: FormatError) -> Self {
        ReadError::Format(e)
    }
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// One stored file, as [`read`] hands it over.
#[derive(Debug)]
pub(super) struct StoredFile {
    pub relative: Vec<u8>,
    /// `None` when this build has no language of the stored name.
    pub lang: Option<Lang>,
    pub size: u64,
    pub mtime_ns: u128,
    pub hash: [u8; 32],
    pub racy: bool,
    /// The symbols, decoded, when [`Visit::start`] asked for them and the language is known.
    pub symbols: Option<Symbols>,
    /// How many of them are definitions, when counted on the way.
    pub definitions: Option<usize>,
    /// The file's number: its order in the store.
    pub at: u32,
}

/// What [`read`] reports to, as it goes. Nothing it was given may be used unless `read` returns
/// `Ok`.
pub(super) trait Visit {
    /// The store's meta and (an upper bound on) how many files follow. Returns whether to decode
    /// their symbols (not for an outdated store, whose entries are never reused).
    fn start(&mut self, meta: &Meta, files: usize) -> bool;
    /// The names the files' symbols use, interned, with their lengths in bytes (only when
    /// decoding).
    fn names(&mut self, _names: &[(Name, u32)]) {}
    /// The index's name table as the store keeps it: the defined names, in table order, their
    /// texts and their bit sets (only when decoding).
    fn name_table(&mut self, _stored: StoredNames) {}
    fn file(&mut self, file: StoredFile);
    /// Which files define each name of the name table, before the files (only when decoding).
    fn definitions(&mut self, _stored: StoredDefinitions) {}
    /// The store's bytes that were read once and copied (the names' bit sets and the
    /// definitions): a store kept in memory need not keep them.
    fn copied(&mut self, _bytes: &[u8]) {}
}

/// A file to encode.
pub(super) struct EncodeFile<'a> {
    pub relative: Vec<u8>,
    pub entry: &'a FileEntry,
    pub racy: bool,
}

/// Writes a whole store to `out` (positioned where the store starts), one file at a time, and
/// leaves `out` at its end. Returns the store's length.
pub(super) fn write<W: Write + Seek>(mut out: W, meta: &Meta, files: &[EncodeFile<'_>]) -> io::Result<u64> {
    let mut defined = 0;
    let mut langs: Vec<&'static str> = Vec::new();
    let mut lang_ids: HashMap<&'static str, u32> = HashMap::default();
    let mut names: Vec<Name> = Vec::new();
    let mut name_ids = NameIds::default();
    // (name, file) for each definition, in file order.
    let mut defining = Vec::new();
    // The names defined first: they are the index's name table, whose bit sets follow them.
    for definitions in [true, false] {
        for (k, f) in files.iter().enumerate() {
            let lang = f.entry.lang.name();
            lang_ids.entry(lang).or_insert_with(|| {
                langs.push(lang);
                (langs.len() - 1) as u32
            });
            for (name, role) in f.entry.symbols.names() {
                if role == Role::Definition || !definitions {
                    let id = name_ids.id_or_insert(name, || {
                        names.push(name);
                        (names.len() - 1) as u32
                    });
                    if definitions {
                        defining.push((id, k as u32));
                    }
                }
            }
        }
        if definitions {
            defined = names.len();
        }
    }
    let start = out.stream_position()?;
    let mut header = [0; HEADER_LEN];
    header[..8].copy_from_slice(&MAGIC);
    header[8..12].copy_from_slice(&FORMAT.to_le_bytes());
    // Checksum and length are filled in once the body is out.
    out.write_all(&header)?;
    let mut body = BufWriter::with_capacity(BUFFER, Hashing::new(&mut out));
    let mut scratch = Vec::new();
    put_record(&mut body, &mut scratch, meta)?;
    let head = Head { langs, names: names.len() as u64, defined: defined as u64, files: files.len() as u64 };
    put_record(&mut body, &mut scratch, &head)?;
    // The names' lengths, then their texts, end to end: a load reads each in one go.
    scratch.clear();
    names.iter().try_for_each(|name| put_len(&mut scratch, name.as_str().len() as u64))?;
    put_bytes(&mut body, &scratch)?;
    put_len(&mut body, names.iter().map(|name| name.as_str().len() as u64).sum())?;
    for name in &names {
        body.write_all(name.as_str().as_bytes())?;
    }
    // The bit sets, set by set (a load fills each set's words in order): for each, which of its
    // words are not zero (most sets of 64 names have no bit: rare characters, doubled ones,
    // names' first characters), then those words.
    let mut blocks = vec![[0u64; NAME_SETS]; defined.div_ceil(64)];
    for (chunk, block) in names[..defined].chunks(64).zip(&mut blocks) {
        name_block(chunk, block);
    }
    let mut present = vec![0u64; blocks.len().div_ceil(64)];
    for set in 0..NAME_SETS {
        present.fill(0);
        blocks.iter().enumerate().filter(|(_, b)| b[set] != 0).for_each(|(w, _)| present[w / 64] |= 1 << (w % 64));
        scratch.clear();
        present
            .iter()
            .copied()
            .chain(blocks.iter().map(|b| b[set]).filter(|w| *w != 0))
            .for_each(|w| scratch.extend_from_slice(&w.to_le_bytes()));
        put_bytes(&mut body, &scratch)?;
    }
    put_definitions(&mut body, defined, &defining)?;
    let mut blob = Vec::new();
    for f in files {
        blob.clear();
        let records = match &f.entry.symbols {
            Symbols::Small(records) => {
                records.iter().for_each(|r| blob.extend_from_slice(&r.to_bytes(name_ids.id(r.name()))));
                Records::Small
            }
            Symbols::Packed(records) => {
                records.iter().for_each(|r| blob.extend_from_slice(&r.to_bytes(name_ids.id(r.name()))));
                Records::Packed
            }
            symbols => {
                encode_symbols(symbols.iter(), &name_ids, &mut blob);
                Records::Numbers
            }
        };
        let file = FileOut {
            path: Bytes(&f.relative),
            lang: lang_ids[f.entry.lang.name()],
            size: f.entry.stamp.size,
            mtime_ns: f.entry.stamp.mtime_ns,
            hash: f.entry.stamp.hash,
            racy: f.racy,
            count: f.entry.symbols.len() as u32,
            records: records as u8,
            symbols: Bytes(&blob),
        };
        put_record(&mut body, &mut scratch, &file)?;
    }
    let Hashing { hasher, len, .. } = body.into_inner().map_err(io::IntoInnerError::into_error)?;
    out.seek(SeekFrom::Start(start + CHECKSUM_AT))?;
    out.write_all(&hasher.digest128().to_le_bytes())?;
    out.write_all(&len.to_le_bytes())?;
    let total = HEADER_LEN as u64 + len;
    out.seek(SeekFrom::Start(start + total))?;
    Ok(total)
}

/// Each name's number in a store being written, by the name's own number (names are numbered
/// densely: an array where a hash map took a quarter of the store's writing).
#[derive(Default)]
pub(super) struct NameIds(Vec<u32>);

impl NameIds {
    const NONE: u32 = u32::MAX;

    /// The number of `name`, given it by `new` when it has none.
    pub(super) fn id_or_insert(&mut self, name: Name, new: impl FnOnce() -> u32) -> u32 {
        if name.index() >= self.0.len() {
            // All the names interned so far at once (the store's are most of them).
            self.0.resize(Name::count().max(name.index() + 1), Self::NONE);
        }
        let id = &mut self.0[name.index()];
        if *id == Self::NONE {
            *id = new();
        }
        *id
    }

    /// The number given to `name`.
    fn id(&self, name: Name) -> u32 {
        let id = self.0[name.index()];
        debug_assert_ne!(id, Self::NONE, "every symbol's name is numbered before it is written");
        id
    }
}

/// Writes the `defs` list of `defined` names from (name, file) pairs in file order (a file
/// defining a name twice listed once): where each name's files end, then the files, as the index
/// lists them ([`StoredDefinitions`]), straight to `out` (no copy of the list in memory).
fn put_definitions(out: &mut impl Write, defined: usize, defining: &[(u32, u32)]) -> io::Result<()> {
    // Grouped by name (a counting sort: each name's files stay in order).
    let mut ends = vec![0u32; defined + 1];
    defining.iter().for_each(|&(name, _)| ends[name as usize + 1] += 1);
    (1..ends.len()).for_each(|i| ends[i] += ends[i - 1]);
    let mut next = ends.clone();
    let mut files = vec![0u32; defining.len()];
    for &(name, file) in defining {
        files[next[name as usize] as usize] = file;
        next[name as usize] += 1;
    }
    drop(next);
    // In file order: a file's repeats are side by side.
    let by_name = || ends.windows(2).map(|w| &files[w[0] as usize..w[1] as usize]);
    let listed: usize = by_name().map(|files| files.chunk_by(|a, b| a == b).count()).sum();
    put_len(out, 4 * (defined + listed) as u64)?;
    let mut end = 0u32;
    for files in by_name() {
        end += files.chunk_by(|a, b| a == b).count() as u32;
        out.write_all(&end.to_le_bytes())?;
    }
    for files in by_name() {
        for same in files.chunk_by(|a, b| a == b) {
            out.write_all(&same[0].to_le_bytes())?;
        }
    }
    Ok(())
}

/// Reads the `defs` list of the store's `defined` names (see [`put_definitions`]); `files` is
/// how many files the store holds. Read past unless `decode`.
fn read_definitions(
    body: &mut Body<'_>,
    defined: &[(Name, u32)],
    files: u64,
    decode: bool,
) -> Result<Option<StoredDefinitions>, ReadError> {
    let bytes = body.record()?;
    if !decode {
        return Ok(None);
    }
    let wrong = || bad("a bad list of definitions");
    let words = |bytes: &[u8]| -> Vec<u32> {
        bytes.chunks_exact(4).map(|w| u32::from_le_bytes(w.try_into().expect("4 bytes"))).collect()
    };
    let (ends, listed) = bytes.split_at_checked(4 * defined.len()).ok_or_else(wrong)?;
    let (ends, listed) = (words(ends), words(listed));
    if bytes.len() % 4 != 0 || ends.last().map_or(0, |&end| end as usize) != listed.len() {
        return Err(wrong().into());
    }
    // Each name's files increasing, each a file of the store.
    let mut start = 0;
    for &end in &ends {
        let by_name = listed.get(start..end as usize).ok_or_else(wrong)?;
        if !by_name.windows(2).all(|w| w[0] < w[1]) || by_name.last().is_some_and(|&k| u64::from(k) >= files) {
            return Err(wrong().into());
        }
        start = end as usize;
    }
    let names = defined.iter().map(|(name, _)| *name).collect();
    Ok(Some(StoredDefinitions { names, ends, files: listed }))
}

/// How many threads should decode a store of `len` bytes besides the one reading it: none for a
/// small one (threads would cost more than they save). From two batches they save: ts's 0.85 MB
/// store loaded in 14.5 ms with them against 15.5 ms without (medians of 15 alternated runs).
pub(super) fn workers(len: u64) -> usize {
    if len < 2 * BATCH as u64 {
        return 0;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_WORKERS)
}

/// Reads the store `store` (all of it), handing each file to `visit` as soon as it is decoded (by
/// `workers` threads, or by this one when 0), after `claim` (on the decoding thread) had the
/// chance to take it. `kept` is the store once more when its bytes are kept for good (mapped by
/// a process that then never unmaps them): its names' texts are then used where they lie, and,
/// once the process numbers its names as the store does, so are the files' records (see
/// [`Stored`]). Nothing is handed to `visit` or `claim` before the body matched its checksum:
/// with workers, the checksum is checked on a thread of its own while the names are read and
/// interned (a damaged store leaves at most some names interned, never anything in the index);
/// without, first. A store that matches its checksum but does not decode returns an error
/// (`claim` may have taken files decoded before the fault, each checked record by record).
pub(super) fn read(
    store: &[u8],
    kept: Option<&'static [u8]>,
    workers: usize,
    visit: &mut impl Visit,
    claim: &Claim<'_>,
) -> Result<Meta, ReadError> {
    let (checksum, want) = check_header(&store[..store.len().min(HEADER_LEN)])?;
    let got = (store.len() - HEADER_LEN) as u64;
    if got != want {
        return Err(FormatError::Truncated { got, want }.into());
    }
    let body = &store[HEADER_LEN..];
    let kept = kept.filter(|kept| std::ptr::eq(*kept, store)).map(|kept| &kept[HEADER_LEN..]);
    let matches = move || {
        if xxhash_rust::xxh3::xxh3_128(body) == checksum {
            Ok(())
        } else {
            Err(ReadError::Format(FormatError::Checksum))
        }
    };
    if workers == 0 {
        matches()?;
        return parse(&mut Body { bytes: body }, kept, workers, visit, claim, &mut || Ok(()));
    }
    std::thread::scope(|s| {
        let mut checking = Some(s.spawn(matches));
        let mut verified = || match checking.take() {
            Some(thread) => {
                thread.join().unwrap_or_else(|_| Err(io::Error::other("the checksum thread failed").into()))
            }
            None => Ok(()),
        };
        let parsed = parse(&mut Body { bytes: body }, kept, workers, visit, claim, &mut verified);
        // A damaged store is reported as such, whatever reading its body made of it.
        verified()?;
        parsed
    })
}

/// `part` of `kept` as the kept bytes themselves (`None` when `part` does not lie in `kept`).
fn kept_part(kept: &'static [u8], part: &[u8]) -> Option<&'static [u8]> {
    let at = (part.as_ptr() as usize).checked_sub(kept.as_ptr() as usize)?;
    kept.get(at..)?.get(..part.len())
}

/// Offered each file as it is decoded, on the decoding thread: returns it if not taken.
pub(super) type Claim<'a> = dyn Fn(StoredFile) -> Option<StoredFile> + Sync + 'a;

/// The checksum a store's header holds for `body`.
#[cfg(test)]
pub(super) fn checksum(body: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(body)
}

/// Reads only the meta from the start of a store (no checksum check: for housekeeping, never for
/// answers).
pub(super) fn peek_meta(bytes: &[u8]) -> Option<Meta> {
    let (_, want) = check_header(bytes.get(..HEADER_LEN)?).ok()?;
    let body = bytes.get(HEADER_LEN..)?;
    let mut body = Body { bytes: body.get(..usize::try_from(want).ok()?).unwrap_or(body) };
    exact(body.record().ok()?).ok()
}

/// Checks magic, format and size of a header; returns the body's checksum and length.
fn check_header(bytes: &[u8]) -> Result<(u128, u64), FormatError> {
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
    let checksum = u128::from_le_bytes(bytes[12..28].try_into().expect("16 bytes"));
    Ok((checksum, u64::from_le_bytes(bytes[28..36].try_into().expect("8 bytes"))))
}

/// The body after the header, in order. `kept`: the body when its bytes are kept for good (see
/// [`read`]). `verified` waits for the checksum: called before anything is handed over.
fn parse(
    body: &mut Body<'_>,
    kept: Option<&'static [u8]>,
    workers: usize,
    visit: &mut impl Visit,
    claim: &Claim<'_>,
    verified: &mut dyn FnMut() -> Result<(), ReadError>,
) -> Result<Meta, ReadError> {
    let meta: Meta = exact(body.record()?)?;
    let head: Head<'_> = exact(body.record()?)?;
    let langs: Vec<Option<Lang>> = head.langs.iter().map(|n| Lang::ALL.into_iter().find(|l| l.name() == *n)).collect();
    let decode = visit.start(&meta, head.files.min(body.left() / MIN_FILE_RECORD) as usize);
    if head.defined > head.names {
        return Err(bad("more names defined than there are").into());
    }
    let (names, (text, ends), adopted) = read_names(body, kept, head.names, head.defined, decode, workers)?;
    let defined = head.defined as usize;
    let copied = body.bytes;
    let set_records = (0..NAME_SETS).map(|_| body.record()).collect::<Result<Vec<_>, _>>()?;
    let defined_names = &names[..defined.min(names.len())];
    // The sets on a thread of their own while the definitions are read (with workers: a large
    // store, a warm start waiting for both).
    let (sets, definitions) = if workers > 0 && decode {
        std::thread::scope(|s| {
            let sets = s.spawn(|| read_name_sets(&set_records, defined, decode));
            let definitions = read_definitions(body, defined_names, head.files, decode);
            let sets = sets.join().unwrap_or_else(|_| Err(io::Error::other("the bit set thread failed").into()));
            (sets, definitions)
        })
    } else {
        (read_name_sets(&set_records, defined, decode), read_definitions(body, defined_names, head.files, decode))
    };
    let (sets, definitions) = (sets?, definitions?);
    verified()?;
    if decode {
        visit.names(&names);
        let names = names[..defined].iter().map(|(name, _)| *name).collect();
        visit.name_table(StoredNames { names, text, ends, sets });
    }
    if let Some(definitions) = definitions {
        visit.definitions(definitions);
    }
    visit.copied(&copied[..copied.len() - body.bytes.len()]);
    // Records in place only where their name numbers are the process's own, and where no name is
    // long enough to overflow a column (so that checking them needs no name's length).
    let column_safe = || names.iter().map(|&(_, len)| u64::from(len)).sum::<u64>() <= COLUMN_SAFE_NAMES;
    let kept = kept.filter(|_| adopted && column_safe());
    let decoder = Decoder { langs: &langs, names: &names, kept, decode, claim };
    read_files(body, head.files, &decoder, workers, visit)?;
    if body.left() != 0 {
        return Err(bad("bytes after the last file").into());
    }
    Ok(meta)
}

/// Threads that decode symbols while the store is read (most of the work of a load).
const MAX_WORKERS: usize = 4;
/// Records handed to a worker at a time: about this many bytes of them.
const BATCH: usize = 256 * 1024;

/// The first `defined` names' texts end to end, and where each ends (the name table's, which
/// then needs not read the interned names again): see [`StoredNames::text`].
type DefinedTexts = (Cow<'static, [u8]>, Vec<u32>);

/// What [`read_names`] reads: the names, interned, with their lengths in bytes; the defined
/// names' texts; whether the names were adopted.
type ReadNames = (Vec<(Name, u32)>, DefinedTexts, bool);

/// The name table, interned when `decode` (on `workers` threads, this one among them: see
/// [`intern_all`]), each name with its length in bytes; with the texts of the first `defined`;
/// and whether the names were adopted ([`adopt_all`]: numbered as stored).
fn read_names(
    body: &mut Body<'_>,
    kept: Option<&'static [u8]>,
    count: u64,
    defined: u64,
    decode: bool,
    workers: usize,
) -> Result<ReadNames, ReadError> {
    let mut lens = body.record()?;
    let text = body.record()?;
    // Each length takes a byte at least.
    if count > lens.len() as u64 {
        return Err(bad("fewer name lengths than names").into());
    }
    let mut ends = Vec::with_capacity(count as usize);
    let mut end = 0u64;
    for _ in 0..count {
        end = end.saturating_add(take_len(&mut lens).ok_or_else(|| bad("a bad name length"))?);
        ends.push(u32::try_from(end).map_err(|_| bad("4 GB of names"))?);
    }
    if !lens.is_empty() || end != text.len() as u64 {
        return Err(bad("the names' lengths and texts disagree").into());
    }
    // Kept where they lie when the store is kept and the name table's padding fits after them
    // (any bytes: the table reads past a name's end, never acts on what follows it).
    let kept = kept.and_then(|kept| {
        let at = kept_part(kept, text)?.as_ptr() as usize - kept.as_ptr() as usize;
        kept.get(at..at + text.len() + NAME_TEXT_PADDING)
    });
    let not_utf8 = || bad("a name is not UTF-8");
    let kept = match kept {
        Some(padded) => Some((std::str::from_utf8(&padded[..text.len()]).map_err(|_| not_utf8())?, padded)),
        None => None,
    };
    let text = match kept {
        Some((kept, _)) => kept,
        None => std::str::from_utf8(text).map_err(|_| not_utf8())?,
    };
    if !ends.iter().all(|&end| text.is_char_boundary(end as usize)) {
        return Err(not_utf8().into());
    }
    if !decode {
        return Ok(Default::default());
    }
    // A process that has interned few names yet (a server or a command starting) keeps the texts
    // for good: the interner's new names point into them, as does the name table, so that no
    // name's text is copied at all. Otherwise (another root's store, a reload), most names are
    // known already and each new one is copied, as with `Name::new`.
    let keep = Name::count() < ends.len() / 4;
    let helpers = workers.saturating_sub(1);
    let intern_all = |texts| {
        Name::reserve(ends.len());
        intern_all(texts, &ends, helpers)
    };
    let adopt = |kept: &'static str| match adopt_all(kept, &ends) {
        Some(names) => (names, true),
        None => (intern_all(Texts::Kept(kept)), false),
    };
    let (names, text, adopted) = match kept.filter(|_| keep) {
        Some((kept, padded)) => {
            let (names, adopted) = adopt(kept);
            (names, Cow::Borrowed(padded), adopted)
        }
        None if keep => {
            let mut kept = String::with_capacity(text.len() + NAME_TEXT_PADDING);
            kept.push_str(text);
            // The name table's padding (NULs: still UTF-8).
            kept.extend(std::iter::repeat_n('\0', NAME_TEXT_PADDING));
            let kept: &'static str = kept.leak();
            let (names, adopted) = adopt(&kept[..text.len()]);
            (names, Cow::Borrowed(kept.as_bytes()), adopted)
        }
        None => {
            let names = intern_all(Texts::Copied(text));
            // The defined names come first: the table's texts.
            let defined_end = ends[..defined as usize].last().map_or(0, |&end| end as usize);
            (names, Cow::Owned(text.as_bytes()[..defined_end].to_vec()), false)
        }
    };
    let starts = std::iter::once(0).chain(ends.iter().copied());
    let names = names.into_iter().zip(starts.zip(&ends).map(|(start, &end)| end - start)).collect();
    ends.truncate(defined as usize);
    Ok((names, (text, ends), adopted))
}

/// A LEB128 length off the front of `bytes`.
fn take_len(bytes: &mut &[u8]) -> Option<u64> {
    // Most are one byte.
    if let Some((&byte, rest)) = bytes.split_first().filter(|(b, _)| **b < 0x80) {
        *bytes = rest;
        return Some(u64::from(byte));
    }
    let next = || -> Result<u8, ()> {
        let (&byte, rest) = bytes.split_first().ok_or(())?;
        *bytes = rest;
        Ok(byte)
    };
    leb128(next).ok().flatten()
}

/// A LEB128 number whose bytes `next` gives; `None` when it runs past 64 bits.
fn leb128<E>(mut next: impl FnMut() -> Result<u8, E>) -> Result<Option<u64>, E> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = next()?;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(Some(value));
        }
    }
    Ok(None)
}

/// The bit sets of the name table's `defined` names from their `records`, set by set (see
/// [`name_block`]); checked only unless `decode`.
fn read_name_sets(records: &[&[u8]], defined: usize, decode: bool) -> Result<Vec<Vec<u64>>, ReadError> {
    let words = defined.div_ceil(64);
    let present_words = words.div_ceil(64);
    let wrong = || bad("a name bit set of the wrong length");
    let mut sets = Vec::with_capacity(if decode { NAME_SETS } else { 0 });
    for &record in records {
        if record.len() % 8 != 0 || record.len() / 8 < present_words {
            return Err(wrong().into());
        }
        let (present, listed) = record.split_at(present_words * 8);
        let word = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
        let present: Vec<u64> = present.chunks_exact(8).map(word).collect();
        let count: usize = present.iter().map(|p| p.count_ones() as usize).sum();
        let beyond = present.last().is_some_and(|&last| !words.is_multiple_of(64) && last >> (words % 64) != 0);
        if beyond || listed.len() / 8 != count {
            return Err(wrong().into());
        }
        if decode {
            let mut set = vec![0u64; words];
            let mut listed = listed.chunks_exact(8).map(word);
            for (p, &bits) in present.iter().enumerate() {
                let mut bits = bits;
                while bits != 0 {
                    *set.get_mut(p * 64 + bits.trailing_zeros() as usize).ok_or_else(wrong)? =
                        listed.next().ok_or_else(wrong)?;
                    bits &= bits - 1;
                }
            }
            sets.push(set);
        }
    }
    Ok(sets)
}

/// What a file record needs to be decoded.
struct Decoder<'a> {
    langs: &'a [Option<Lang>],
    /// The store's names, interned, with their lengths in bytes.
    names: &'a [(Name, u32)],
    /// The body, when its bytes are kept for good, its names numbered as stored and none of them
    /// long enough to overflow a column ([`COLUMN_SAFE_NAMES`]): records are then checked and used
    /// where they lie.
    kept: Option<&'static [u8]>,
    /// Whether to decode symbols at all.
    decode: bool,
    claim: &'a Claim<'a>,
}

impl Decoder<'_> {
    /// The file of a record, unless claimed.
    fn unclaimed(&self, record: &[u8], at: u32) -> Result<Option<StoredFile>, FormatError> {
        let file = self.file(record, at)?;
        Ok(if self.decode { (self.claim)(file) } else { Some(file) })
    }

    fn file(&self, record: &[u8], at: u32) -> Result<StoredFile, FormatError> {
        let f: FileIn<'_> = exact(record)?;
        let lang = *self.langs.get(f.lang as usize).ok_or_else(|| bad("bad language"))?;
        let mut definitions = None;
        let mut in_place = |packed| -> Result<Symbols, FormatError> {
            let (symbols, defined) = self.in_place(f.symbols, f.count, packed)?;
            definitions = Some(defined);
            Ok(symbols)
        };
        let symbols = match lang {
            Some(_) if self.decode => Some(match f.records {
                r if r == Records::Small as u8 && self.kept.is_some() => in_place(false)?,
                r if r == Records::Packed as u8 && self.kept.is_some() => in_place(true)?,
                r if r == Records::Small as u8 => {
                    decode_records(f.symbols, f.count, self.names, Small::from_bytes, Symbols::Small)?
                }
                r if r == Records::Packed as u8 => {
                    decode_records(f.symbols, f.count, self.names, Packed::from_bytes, Symbols::Packed)?
                }
                r if r == Records::Numbers as u8 => decode_symbols(f.symbols, f.count, self.names)?,
                _ => return Err(bad("bad symbol records")),
            }),
            _ => None,
        };
        Ok(StoredFile {
            relative: f.path.to_vec(),
            lang,
            size: f.size,
            mtime_ns: f.mtime_ns,
            hash: f.hash,
            racy: f.racy,
            symbols,
            definitions,
            at,
        })
    }

    /// A file's small (or `packed`) records where they lie, each checked as decoding them would;
    /// with how many are definitions.
    fn in_place(&self, blob: &[u8], count: u32, packed: bool) -> Result<(Symbols, usize), FormatError> {
        let bad = || FormatError::Decode("bad symbol record".into());
        let (width, count) = (if packed { 24 } else { 16 }, count as usize);
        let mut definitions = 0;
        let mut defines = |role: Role| definitions += usize::from(role == Role::Definition);
        let names = self.names.len();
        // Each record as `from_bytes` checks it, but for its name's length (see `kept`).
        let checked = blob.len() == count * width
            && if packed {
                blob.chunks_exact(24)
                    .all(|r| Packed::check(r.try_into().expect("24 bytes"), names, count).map(&mut defines).is_some())
            } else {
                blob.chunks_exact(16)
                    .all(|r| Small::check(r.try_into().expect("16 bytes"), names, count).map(&mut defines).is_some())
            };
        let kept = self.kept.and_then(|kept| kept_part(kept, blob)).filter(|_| checked).ok_or_else(bad)?;
        Ok((Symbols::Stored(Stored::new(kept, packed)), definitions))
    }
}

/// File records as read, for a worker to decode.
#[derive(Default)]
struct Batch<'a> {
    /// The number of its first file.
    first: u32,
    records: Vec<&'a [u8]>,
    /// Their bytes.
    bytes: usize,
}

impl<'a> Batch<'a> {
    /// Each record with its file's number.
    fn records(&self) -> impl Iterator<Item = (&'a [u8], u32)> + '_ {
        self.records.iter().copied().zip(self.first..)
    }
}

/// The files: this thread splits the records off (no copy) and hands them to `visit` once
/// decoded; `workers` threads decode them, a batch at a time (see [`fan_out`]), or this thread
/// does, one at a time, when `workers` is 0.
fn read_files(
    body: &mut Body<'_>,
    count: u64,
    decoder: &Decoder<'_>,
    workers: usize,
    visit: &mut impl Visit,
) -> Result<(), ReadError> {
    if workers == 0 {
        for at in 0..count {
            if let Some(file) = decoder.unclaimed(body.record()?, at as u32)? {
                visit.file(file);
            }
        }
        return Ok(());
    }
    let mut failed = None;
    let read_all = fan_out(
        workers,
        || (),
        |(), batch: Batch<'_>| {
            batch.records().filter_map(|(r, at)| decoder.unclaimed(r, at).transpose()).collect::<Result<Vec<_>, _>>()
        },
        |files| match files {
            Ok(files) => {
                files.into_iter().for_each(|f| visit.file(f));
                true
            }
            Err(e) => {
                failed = Some(e);
                false
            }
        },
        |send| {
            let mut batch = Batch::default();
            for read in 1..=count {
                let record = body.record()?;
                batch.records.push(record);
                batch.bytes += record.len();
                if (batch.bytes >= BATCH || read == count)
                    && !send(std::mem::replace(&mut batch, Batch { first: read as u32, ..Batch::default() }))
                {
                    break;
                }
            }
            Ok::<(), ReadError>(())
        },
    );
    read_all?;
    failed.map_or(Ok(()), |e| Err(e.into()))
}

/// Runs `work` on `workers` threads, each with its own `state()`, over the jobs `produce` sends
/// (at most `workers` of them waiting, so that what is read ahead stays bounded); hands each
/// result to `deliver` on this thread, between two sends or at the end. Sending returns false
/// once `deliver` returned false (stop) or the workers are gone: `produce` should then stop.
fn fan_out<J: Send, O: Send, S, T>(
    workers: usize,
    state: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, J) -> O + Sync,
    mut deliver: impl FnMut(O) -> bool,
    produce: impl FnOnce(&mut dyn FnMut(J) -> bool) -> T,
) -> T {
    std::thread::scope(|s| {
        let (jobs, queue) = mpsc::sync_channel::<J>(workers);
        // Owned by the workers only: were they all gone, sending would fail rather than block.
        let queue = Arc::new(Mutex::new(queue));
        let (done_tx, done) = mpsc::channel::<O>();
        for _ in 0..workers {
            let (queue, done_tx, state, work) = (queue.clone(), done_tx.clone(), &state, &work);
            s.spawn(move || {
                let mut state = state();
                loop {
                    // (A `while let` would hold the lock through the work.)
                    let Ok(job) = queue.lock().unwrap_or_else(PoisonError::into_inner).recv() else { break };
                    if done_tx.send(work(&mut state, job)).is_err() {
                        break;
                    }
                }
            });
        }
        drop((queue, done_tx));
        let mut going = true;
        let produced = produce(&mut |job| {
            going = going && jobs.send(job).is_ok();
            while going {
                let Ok(out) = done.try_recv() else { break };
                going = deliver(out);
            }
            going
        });
        // The workers finish what was sent, then find the queue closed.
        drop(jobs);
        for out in done {
            if going {
                going = deliver(out);
            }
        }
        produced
    })
}

fn bad(what: &str) -> FormatError {
    FormatError::Decode(what.to_owned())
}

/// A postcard value that is exactly `bytes`.
fn exact<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, FormatError> {
    match postcard::take_from_bytes(bytes) {
        Ok((value, [])) => Ok(value),
        Ok(_) => Err(bad("a record longer than its value")),
        Err(e) => Err(FormatError::Decode(e.to_string())),
    }
}

/// The body being read, front to back: never reads past its end, so no length read off it can
/// make the reader allocate more than the store holds.
struct Body<'a> {
    /// Body bytes not read yet.
    bytes: &'a [u8],
}

impl<'a> Body<'a> {
    fn left(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// The next record's bytes.
    fn record(&mut self) -> Result<&'a [u8], ReadError> {
        let past_the_end = || ReadError::from(bad("a record past the end of the store"));
        let len = match take_len(&mut self.bytes) {
            Some(len) => len,
            None if self.bytes.is_empty() => return Err(past_the_end()),
            None => return Err(bad("bad record length").into()),
        };
        if len > self.left() {
            return Err(past_the_end());
        }
        let (record, rest) = self.bytes.split_at(len as usize);
        self.bytes = rest;
        Ok(record)
    }
}

/// Hashes and counts the bytes that pass through, either way.
struct Hashing<T> {
    inner: T,
    hasher: xxhash_rust::xxh3::Xxh3,
    len: u64,
}

impl<T> Hashing<T> {
    fn new(inner: T) -> Self {
        Hashing { inner, hasher: xxhash_rust::xxh3::Xxh3::new(), len: 0 }
    }
}

impl<T: Write> Write for Hashing<T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn put_bytes(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    put_len(out, bytes.len() as u64)?;
    out.write_all(bytes)
}

/// A LEB128 length.
fn put_len(out: &mut impl Write, mut len: u64) -> io::Result<()> {
    let mut prefix = [0u8; 10];
    let mut n = 0;
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            prefix[n] = byte;
            n += 1;
            break;
        }
        prefix[n] = byte | 0x80;
        n += 1;
    }
    out.write_all(&prefix[..n])
}

fn put_record(out: &mut impl Write, scratch: &mut Vec<u8>, value: &impl Serialize) -> io::Result<()> {
    scratch.clear();
    *scratch = postcard::to_extend(value, std::mem::take(scratch)).map_err(io::Error::other)?;
    put_bytes(out, scratch)
}

/// The language table and the counts.
#[derive(Serialize, Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    langs: Vec<&'a str>,
    names: u64,
    /// The first `defined` names are defined by some file: the index's name table.
    defined: u64,
    files: u64,
}

#[derive(Deserialize)]
struct FileIn<'a> {
    #[serde(borrow)]
    path: &'a [u8],
    lang: u32,
    size: u64,
    mtime_ns: u128,
    hash: [u8; 32],
    racy: bool,
    count: u32,
    /// How `symbols` holds the symbols: a [`Records`].
    records: u8,
    #[serde(borrow)]
    symbols: &'a [u8],
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
    records: u8,
    symbols: Bytes<'a>,
}

/// Serialized as bytes (what `&[u8]` deserializes from), not as a sequence.
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// How a file record holds its symbols.
#[derive(Clone, Copy)]
enum Records {
    /// The index's 16-byte records ([`Small::to_bytes`]).
    Small = 0,
    /// The index's 24-byte records ([`Packed::to_bytes`]).
    Packed = 1,
    /// Compact numbers ([`decode_symbols`]).
    Numbers = 2,
}

/// Reads one of the index's `N`-byte records, its name a number into a store's names (see
/// [`Small::from_bytes`]).
type FromBytes<T, const N: usize> = fn(&[u8; N], &[(Name, u32)], usize) -> Option<T>;

/// Decodes a file's symbols stored as the index's fixed-size records (`N` bytes each, read by
/// `from_bytes`): a copy, each record checked.
fn decode_records<T, const N: usize>(
    blob: &[u8],
    count: u32,
    names: &[(Name, u32)],
    from_bytes: FromBytes<T, N>,
    symbols: fn(Box<[T]>) -> Symbols,
) -> Result<Symbols, FormatError> {
    let bad = || FormatError::Decode("bad symbol record".into());
    if blob.len() != count as usize * N {
        return Err(bad());
    }
    // Into a vector of the exact size: collecting `Option`s would grow one from nothing (it
    // cannot know how many), reallocating as it goes (a quarter of a warm start's decoding).
    let mut records = Vec::with_capacity(count as usize);
    for record in blob.chunks_exact(N) {
        records.push(from_bytes(record.try_into().expect("N bytes"), names, count as usize).ok_or_else(bad)?);
    }
    Ok(symbols(records.into_boxed_slice()))
}

/// Decodes a file's symbols. Each is 16 LEB128 numbers, most of them one byte: positions are
/// stored as deltas (an end from its start, a name from its construct, a UTF-16 column from the
/// byte column, which it never exceeds), and the parent index plus one (0: none). `names` are the
/// store's names with their lengths in bytes.
pub(super) fn decode_symbols(mut blob: &[u8], count: u32, names: &[(Name, u32)]) -> Result<Symbols, FormatError> {
    let bad = || FormatError::Decode("bad symbol encoding".into());
    // Each symbol takes at least 16 bytes: a count beyond that is garbage, not a reason to allocate.
    if count as usize > blob.len() / 16 {
        return Err(bad());
    }
    let mut out = SymbolsBuilder::with_capacity(count as usize);
    let mut next = || -> Result<u32, FormatError> {
        // Most numbers are one byte.
        if let Some((&byte, rest)) = blob.split_first().filter(|(b, _)| **b < 0x80) {
            blob = rest;
            return Ok(u32::from(byte));
        }
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
        let (name, name_len) = *names.get(next()? as usize).ok_or_else(bad)?;
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
        out.push(Symbol { name, kind, role, range, name_range, parent }, name_len as usize);
    }
    if blob.is_empty() {
        Ok(out.finish())
    } else {
        Err(bad())
    }
}

/// Encodes symbols the way [`decode_symbols`] reads them.
pub(super) fn encode_symbols(symbols: impl Iterator<Item = Symbol>, name_ids: &NameIds, out: &mut Vec<u8>) {
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
        put(name_ids.id(s.name));
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

/// Stable codes of kinds and roles: an exhaustive match, so a new variant cannot be forgotten;
/// decoded through `SymbolKind::ALL` and `Role::ALL`, which list them in the same order.
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

fn kind_of(code: u32) -> Option<SymbolKind> {
    SymbolKind::ALL.get(code as usize).copied()
}

fn role_code(role: Role) -> u32 {
    match role {
        Role::Definition => 0,
        Role::Reference => 1,
        Role::Scope => 2,
    }
}

fn role_of(code: u32) -> Option<Role> {
    Role::ALL.get(code as usize).copied()
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
pub(super) fn bytes_path(bytes: &[u8]) -> Option<&Path> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Some(Path::new(std::ffi::OsStr::from_bytes(bytes)))
    }
    #[cfg(not(unix))]
    {
        std::str::from_utf8(bytes).ok().map(Path::new)
    }
}

#[cfg(test)]
mod codes {
    use super::*;

    #[test]
    fn every_kind_and_role_decodes_from_its_code() {
        for kind in SymbolKind::ALL {
            assert_eq!(kind_of(kind_code(kind)), Some(kind));
        }
        for role in Role::ALL {
            assert_eq!(role_of(role_code(role)), Some(role));
        }
        assert_eq!(kind_of(SymbolKind::ALL.len() as u32), None);
    }
}
