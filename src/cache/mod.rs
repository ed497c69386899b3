//! The persistent index: one store per workspace root, outside the workspace, so that a restarted
//! server (or `symdex index`) parses only what changed since the last run.
//!
//! Where: `$cacheDir` (the setting), else `$SYMDEX_CACHE_DIR`, else the user cache directory
//! (`$XDG_CACHE_HOME/symdex`), in its `index/` folder (0700), as `<root name>-<hash of root>.idx`
//! (0600). What: every file's stamp (size, mtime, blake3 of the content) and symbols, see
//! `format`. How it is trusted: a store from another format, version, build or root, or one that
//! fails its checksum, is never used; an entry is reused only when the file's size and mtime match
//! and, when the mtime differs or was too close to the moment it was read ("racy", as git calls
//! it), when the content hash matches.
//!
//! A warm start serves the store's files to the index before the tree is walked, so that queries
//! are answered at once (see [`crate::scanner::scan_loading`]); the walk then takes out or
//! indexes anew every served file whose stamp the disk does not confirm.
//!
//! Writes are atomic (temp file in the same folder, fsync, rename, fsync of the folder), so a
//! reader or a second server never sees a half-written store (nor a mapped one changing under
//! it); two servers on one workspace each write whole stores and the last rename wins.
//! Invariant: nothing here knows LSP, and a store can make the index miss a chance to reuse,
//! never serve symbols of other content once the walk that follows its load has ended (until
//! then, the files as they were when the store was written: tens of milliseconds on a warm
//! start).

mod format;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use dashmap::DashMap;
use serde::Serialize;

use crate::index::{FileEntry, Index, NameHint, Origin, Stamp, StoredDefinitions, StoredNames, Symbols};
use crate::lang::Lang;
use crate::scanner::{Candidate, IndexedFile, Reuse, Serving};
use crate::symbol::Name;

pub use format::FormatError;

/// Environment variable naming the cache directory (below the `cacheDir` setting, above XDG).
pub const ENV_CACHE_DIR: &str = "SYMDEX_CACHE_DIR";

/// A file whose mtime is this close to (or after) the moment it was read may change again without
/// its mtime moving (coarse timestamps): its entry is checked by content hash on the next load.
const RACY_WINDOW_NS: u128 = 5_000_000_000;

/// Whether a file modified at `mtime_ns` is too recent for its mtime to prove its content: another
/// write (or a rename over it) within the filesystem's timestamp granularity would look the same.
pub fn is_racy(mtime_ns: u128) -> bool {
    mtime_ns == 0 || mtime_ns + RACY_WINDOW_NS > crate::scanner::now_ns()
}

/// Stores of roots that no longer exist are removed once this old.
const ORPHAN_AGE: Duration = Duration::from_secs(24 * 3600);

/// A failed write of a store.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// How loading a store went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LoadStatus {
    /// No cache directory (or `--no-cache`).
    #[default]
    Disabled,
    /// No store yet for this root.
    Missing,
    /// A valid store; its entries were checked one by one.
    Loaded,
    /// A valid store from another symdex version, build or grammar set: every entry is stale.
    Outdated,
    /// Not a store, truncated, or failing its checksum: discarded and rebuilt.
    Corrupt,
    /// Could not be read (permissions, a directory in its place): ignored and rebuilt.
    Unreadable,
}

/// What the cache did for one root, as `$/progress`, `symdex.status` and `symdex index` report it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CacheStats {
    /// The store's path.
    pub store: Option<PathBuf>,
    pub status: LoadStatus,
    /// Why a store was not used, when it was not.
    pub detail: Option<String>,
    /// Files in the loaded store.
    pub entries: usize,
    /// Files whose symbols came from the store.
    pub hits: usize,
    /// Files the store did not know.
    pub misses: usize,
    /// Files the store knew in another version (changed content, outdated store).
    pub stale: usize,
    /// Stored files not found any more.
    pub dropped: usize,
    /// Hits whose stamp had to be confirmed by content hash (a new mtime, or a racy entry).
    pub rehashed: usize,
    pub store_bytes: u64,
    #[serde(serialize_with = "secs")]
    pub load_time: Duration,
    /// Files written by the last save.
    pub saved_files: usize,
    #[serde(serialize_with = "secs")]
    pub save_time: Duration,
}

impl CacheStats {
    /// Whether the store on disk already says exactly what this run found: a valid store, every
    /// file a hit on its stored stamp, none gone. Then there is nothing to write.
    pub fn store_is_current(&self) -> bool {
        self.status == LoadStatus::Loaded
            && self.stale == 0
            && self.misses == 0
            && self.dropped == 0
            && self.rehashed == 0
    }
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// The cache directory.
#[derive(Clone, Debug)]
pub struct Cache {
    /// `<base>/index`, holding the stores.
    dir: PathBuf,
}

/// The result of a save.
#[derive(Clone, Copy, Debug)]
pub struct Saved {
    pub files: usize,
    pub bytes: u64,
    pub time: Duration,
}

impl Cache {
    /// The cache chosen by the setting, else `$SYMDEX_CACHE_DIR`, else the user cache directory;
    /// `None` when there is none.
    pub fn resolve(configured: Option<&Path>) -> Option<Cache> {
        let base = configured
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os(ENV_CACHE_DIR).filter(|v| !v.is_empty()).map(PathBuf::from))
            .or_else(|| dirs::cache_dir().map(|d| d.join("symdex")))?;
        Some(Cache::at(&base))
    }

    /// The cache under `base` (stores go to `base/index`).
    pub fn at(base: &Path) -> Cache {
        let base = std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf());
        Cache { dir: base.join("index") }
    }

    /// The folder holding the stores.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the store of `root` lives.
    pub fn store_path(&self, root: &Path) -> PathBuf {
        let canonical = canonical(root);
        let digest = blake3::hash(&format::path_bytes(&canonical).unwrap_or_default());
        let name: String = canonical
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .take(40)
            .collect();
        let hex: String = digest.as_bytes()[..8].iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{}-{hex}.idx", if name.is_empty() { "root" } else { &name }))
    }

    /// Loads the store of `root`, decoding every file's symbols as it streams by. Never fails: an
    /// unusable store is logged and treated as empty.
    pub fn load(&self, root: &Path) -> Warm {
        self.load_with(root, None)
    }

    /// [`Cache::load`] before a scan's walk: fills `index`'s name table from the store before any
    /// file (when it is empty, see [`Index::preload_names`]), then serves each file it has
    /// symbols for straight to the index, on the thread that decoded it, for the scan to check
    /// against the walk (see [`Serving`]); the others stay in the returned store for the index
    /// phase.
    pub fn load_into(&self, root: &Path, index: &Index, serving: &Serving<'_>) -> Warm {
        self.load_with(root, Some((index, serving)))
    }

    fn load_with(&self, root: &Path, into: Option<(&Index, &Serving<'_>)>) -> Warm {
        let started = Instant::now();
        let path = self.store_path(root);
        let mut warm = Warm::empty();
        warm.stats.store = Some(path.clone());
        let unreadable = |mut warm: Warm, e: std::io::Error| {
            tracing::warn!("cache store {} is unreadable ({e}); rebuilding it", path.display());
            warm.stats.status = LoadStatus::Unreadable;
            warm.stats.detail = Some(e.to_string());
            warm.loaded_in(started)
        };
        let file = match fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                warm.stats.status = LoadStatus::Missing;
                return warm.loaded_in(started);
            }
            Err(e) => return unreadable(warm, e),
        };
        let len = match file.metadata() {
            Ok(meta) => meta.len(),
            Err(e) => return unreadable(warm, e),
        };
        warm.stats.store_bytes = len;
        let (index, serving) = into.unzip();
        let mut loading = Loading {
            root,
            expected: current_meta(root),
            files: Default::default(),
            entries: 0,
            names: NameHint::default(),
            name_table: None,
            index,
            preloaded: false,
            listed: false,
            kept: None,
            copied: 0..0,
        };
        let served = AtomicUsize::new(0);
        let claim = |file: format::StoredFile| -> Option<format::StoredFile> {
            let Some(serving) = serving else { return Some(file) };
            let left = serve(root, serving, file);
            if left.is_none() {
                served.fetch_add(1, Ordering::Relaxed);
            }
            left
        };
        let bytes = match store_bytes(&file, len, index.is_some()) {
            Ok(bytes) => bytes,
            Err(e) => return unreadable(warm, e),
        };
        let (store, kept): (&[u8], _) = match &bytes {
            StoreBytes::Kept(kept) => (kept, Some(&kept[..])),
            StoreBytes::Lent(lent) => (lent, None),
            StoreBytes::Read(read) => (read, None),
        };
        loading.kept = kept;
        let read = format::read(store, kept, format::workers(len), &mut loading, &claim);
        if let StoreBytes::Kept(map) = bytes {
            release(map, loading.copied.clone());
        }
        // The files the store listed and did not serve leave the name → files table.
        if let (Some(index), true) = (index, loading.listed) {
            index.end_stored();
        }
        warm.preloaded = loading.preloaded;
        warm.served = served.into_inner();
        loading.entries += warm.served;
        let meta = match read {
            Ok(meta) => meta,
            Err(format::ReadError::Io(e)) => return unreadable(warm, e),
            Err(format::ReadError::Format(e)) => {
                tracing::warn!("cache store {} is unusable ({e}); rebuilding it", path.display());
                warm.stats.status = LoadStatus::Corrupt;
                warm.stats.detail = Some(e.to_string());
                return warm.loaded_in(started);
            }
        };
        if meta.root != loading.expected.root {
            tracing::warn!("cache store {} belongs to another folder; rebuilding it", path.display());
            warm.stats.status = LoadStatus::Corrupt;
            warm.stats.detail = Some("store of another folder".to_owned());
            return warm.loaded_in(started);
        }
        warm.usable = meta == loading.expected;
        if warm.usable {
            warm.stats.status = LoadStatus::Loaded;
        } else {
            tracing::info!(
                "cache store {} is from symdex {} (query version {:x}, build {:x}): re-extracting every file",
                path.display(),
                meta.version,
                meta.query_version,
                meta.build_id
            );
            warm.stats.status = LoadStatus::Outdated;
            warm.stats.detail = Some(format!("written by symdex {}", meta.version));
        }
        warm.stats.entries = loading.entries;
        warm.files = loading.files;
        warm.names = loading.names;
        warm.name_table = Mutex::new(loading.name_table.filter(|_| warm.usable));
        warm.loaded_in(started)
    }

    /// Writes the store of `root` from the disk-backed entries under it. Open editor buffers are
    /// never written; their files are simply absent (a miss next time).
    pub fn save<'a>(
        &self,
        root: &Path,
        files: impl IntoIterator<Item = &'a FileEntry>,
        racy: &Racy,
    ) -> Result<Saved, CacheError> {
        let started = Instant::now();
        let mut encode: Vec<format::EncodeFile<'a>> = files
            .into_iter()
            .filter(|e| e.origin == Origin::Disk && e.stamp.hash != [0; 32])
            .filter_map(|entry| {
                let relative = format::path_bytes(entry.path.strip_prefix(root).ok()?)?;
                Some(format::EncodeFile { relative, entry, racy: racy.contains(&entry.path) })
            })
            .collect();
        encode.sort_unstable_by(|a, b| a.relative.cmp(&b.relative));
        let path = self.store_path(root);
        let meta = current_meta(root);
        let bytes = self.write_atomically(&path, |file| format::write(file, &meta, &encode))?;
        let saved = Saved { files: encode.len(), bytes, time: started.elapsed() };
        tracing::debug!(
            "saved {} files ({} bytes) to {} in {:?}",
            saved.files,
            saved.bytes,
            path.display(),
            saved.time
        );
        static COLLECTED: AtomicBool = AtomicBool::new(false);
        if !COLLECTED.swap(true, Ordering::Relaxed) {
            self.collect_garbage();
        }
        Ok(saved)
    }

    /// Has `write` fill a temp file next to `path`, then renames it over `path`. Returns what
    /// `write` returned (the store's length).
    fn write_atomically(
        &self,
        path: &Path,
        write: impl FnOnce(&mut fs::File) -> std::io::Result<u64>,
    ) -> Result<u64, CacheError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| CacheError::Io { path, source }
        };
        create_private_dir(&self.dir).map_err(io(&self.dir))?;
        let mut temp =
            tempfile::Builder::new().prefix(".").suffix(".tmp").tempfile_in(&self.dir).map_err(io(&self.dir))?;
        set_mode(temp.path(), 0o600).map_err(io(temp.path()))?;
        let written = write(temp.as_file_mut()).map_err(io(temp.path()))?;
        temp.as_file().sync_all().map_err(io(temp.path()))?;
        if fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
            tracing::warn!("a directory stands where the cache store {} goes: removing it", path.display());
            fs::remove_dir_all(path).map_err(io(path))?;
        }
        temp.persist(path).map_err(|e| CacheError::Io { path: path.to_path_buf(), source: e.error })?;
        // The rename is durable once the folder is.
        if let Ok(dir) = fs::File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(written)
    }

    /// Removes leftovers: temp files of interrupted writes, stores of folders gone for a while
    /// (or gone from the temporary directory, like the workspaces of tests).
    fn collect_garbage(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else { return };
        let now = SystemTime::now();
        let temp = canonical(&std::env::temp_dir());
        for entry in entries.flatten() {
            let path = entry.path();
            let age = entry.metadata().ok().and_then(|m| m.modified().ok()).and_then(|t| now.duration_since(t).ok());
            let old = age.is_some_and(|age| age >= ORPHAN_AGE);
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let orphan = if name.starts_with('.') && name.ends_with(".tmp") {
                old
            } else if name.ends_with(".idx") {
                let mut head = Vec::new();
                let read = fs::File::open(&path).and_then(|f| f.take(64 * 1024).read_to_end(&mut head));
                let root = read
                    .ok()
                    .and_then(|_| format::peek_meta(&head))
                    .and_then(|m| format::bytes_path(&m.root).map(Path::to_path_buf));
                // A vanished temporary folder will not come back; another one might (a drive).
                root.is_some_and(|root| !root.exists() && (old || root.starts_with(&temp)))
            } else {
                false
            };
            if orphan {
                tracing::debug!("removing stale cache file {}", path.display());
                let _ = fs::remove_file(&path);
            }
        }
    }
}

/// A loaded store, offered to the scanner as [`Reuse`] for the files it did not serve: an entry's
/// symbols (decoded at load) are handed over, moved out, only for a file whose stamp proves it
/// unchanged.
pub struct Warm {
    files: rustc_hash::FxHashMap<PathBuf, Entry>,
    /// False for an outdated store: entries are known but never reused.
    usable: bool,
    stats: CacheStats,
    hits: AtomicUsize,
    misses: AtomicUsize,
    stale: AtomicUsize,
    rehashed: AtomicUsize,
    names: NameHint,
    /// The index's name table as the store kept it, until [`Warm::prepare`].
    name_table: Mutex<Option<StoredNames>>,
    /// Whether the load filled the index's name table already.
    preloaded: bool,
    /// Files served to the index (see [`Cache::load_into`]).
    served: usize,
}

struct Entry {
    lang: Option<Lang>,
    stamp: Stamp,
    racy: bool,
    /// `None` in an outdated store, for a language this build lacks, and once handed over.
    symbols: Mutex<Option<Symbols>>,
}

/// A store being read: its entries, kept only if the whole store turns out valid.
struct Loading<'a> {
    root: &'a Path,
    expected: format::Meta,
    files: rustc_hash::FxHashMap<PathBuf, Entry>,
    /// Files in the store (paths this platform cannot name included).
    entries: usize,
    names: NameHint,
    name_table: Option<StoredNames>,
    /// The index whose name table the store's fills, when it is empty.
    index: Option<&'a Index>,
    preloaded: bool,
    /// Whether the store's definitions were listed in the index (see [`Index::list_stored`]).
    listed: bool,
    /// The store's bytes when kept in memory, and the range of them the load copied.
    kept: Option<&'a [u8]>,
    copied: std::ops::Range<usize>,
}

/// Serves `file` to the index, unless it has no symbols to serve; returns it if not served.
fn serve(root: &Path, serving: &Serving<'_>, mut file: format::StoredFile) -> Option<format::StoredFile> {
    let (Some(lang), Some(relative)) = (file.lang, format::bytes_path(&file.relative)) else { return Some(file) };
    let Some(symbols) = file.symbols.take() else { return Some(file) };
    let stamp = Stamp { size: file.size, mtime_ns: file.mtime_ns, hash: file.hash };
    // `join` would copy the root, then grow it for the rest.
    let mut path = PathBuf::with_capacity(root.as_os_str().len() + 1 + relative.as_os_str().len());
    path.push(root);
    path.push(relative);
    let indexed = IndexedFile { path, lang, symbols, stamp, stored: Some(file.at) };
    serving.serve(indexed, file.racy, file.definitions);
    None
}

/// A store's bytes (see [`store_bytes`]).
enum StoreBytes {
    /// Mapped, and kept for good.
    Kept(&'static memmap2::Mmap),
    /// Mapped for the load only: everything kept from it is copied.
    Lent(memmap2::Mmap),
    /// Too short to be a store (read to report why).
    Read(Vec<u8>),
}

/// Lets the system take back the pages of `range` in the kept store `map`: bytes the load copied
/// and reads no more (read again, they would come from the file again: the same bytes).
fn release(map: &memmap2::Mmap, range: std::ops::Range<usize>) {
    #[cfg(unix)]
    {
        if range.start < range.end && range.end <= map.len() {
            // SAFETY: `DontNeed` on a read-only file mapping only drops its pages (from the page
            // holding the range's start on) from this process; a later read of any byte on them,
            // bit sets or not, finds the file's bytes again, which never change while it is mapped
            // (see `store_bytes`).
            let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, range.start, range.len()) };
        }
    }
    #[cfg(not(unix))]
    let _ = (map, range);
}

/// The bytes of the store `file` (`len` bytes long), mapped: kept for good when they go to an
/// `index` of a process that has interned no name yet (a server or a command starting), so that
/// the names' texts and the files' symbol records are used where they lie (see
/// [`format::read`]); for the load only otherwise (never the whole store in the process's own
/// memory).
fn store_bytes(file: &fs::File, len: u64, index: bool) -> std::io::Result<StoreBytes> {
    if len < format::HEADER_LEN as u64 {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut &*file, &mut bytes)?;
        return Ok(StoreBytes::Read(bytes));
    }
    // SAFETY: a store is only ever replaced whole (written to a temporary file, then renamed over
    // it: see `write_atomically`), never changed in place, so the mapped bytes stay what they were
    // when mapped for as long as the mapping lives. (Another program truncating the file in place
    // while it is mapped would make reading it fault.)
    let map = unsafe { memmap2::MmapOptions::new().map(file)? };
    Ok(if index && Name::count() == 0 { StoreBytes::Kept(Box::leak(Box::new(map))) } else { StoreBytes::Lent(map) })
}

impl format::Visit for Loading<'_> {
    fn start(&mut self, meta: &format::Meta, files: usize) -> bool {
        self.files.reserve(files);
        let current = *meta == self.expected;
        if let Some(index) = self.index.filter(|_| current) {
            index.reserve_files(files);
        }
        current
    }

    fn names(&mut self, names: &[(Name, u32)]) {
        self.names = NameHint { count: names.len(), bytes: names.iter().map(|(_, len)| *len as usize).sum() };
    }

    fn name_table(&mut self, stored: StoredNames) {
        match self.index {
            // Before the files, some of which may go to the index as they are read.
            Some(index) => self.preloaded = index.preload_names(stored),
            None => self.name_table = Some(stored),
        }
    }

    fn file(&mut self, f: format::StoredFile) {
        self.entries += 1;
        let Some(relative) = format::bytes_path(&f.relative) else { return };
        let entry = Entry {
            lang: f.lang,
            stamp: Stamp { size: f.size, mtime_ns: f.mtime_ns, hash: f.hash },
            racy: f.racy,
            symbols: Mutex::new(f.symbols),
        };
        self.files.insert(self.root.join(relative), entry);
    }

    fn copied(&mut self, bytes: &[u8]) {
        if let Some(kept) = self.kept {
            let start = (bytes.as_ptr() as usize).saturating_sub(kept.as_ptr() as usize);
            self.copied = start..start + bytes.len();
        }
    }

    fn definitions(&mut self, stored: StoredDefinitions) {
        // Listed before the files come, into the table the store's names filled: the files it
        // serves then add none (see [`Index::list_stored`]).
        if let Some(index) = self.index.filter(|_| self.preloaded) {
            index.list_stored(stored);
            self.listed = true;
        }
    }
}

impl Warm {
    /// No store: every file is a miss.
    pub fn empty() -> Warm {
        Warm {
            files: rustc_hash::FxHashMap::default(),
            usable: false,
            stats: CacheStats::default(),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
            stale: AtomicUsize::new(0),
            rehashed: AtomicUsize::new(0),
            names: NameHint::default(),
            name_table: Mutex::new(None),
            preloaded: false,
            served: 0,
        }
    }

    /// Readies `index` for the store's files before they arrive: its name table filled from the
    /// store's when empty (see [`Index::preload_names`]), else room made in its name indexes for
    /// the names the files may bring.
    pub fn prepare(&self, index: &Index) {
        if self.preloaded {
            return;
        }
        if let Some(stored) = self.name_table.lock().unwrap_or_else(PoisonError::into_inner).take() {
            let count = stored.names.len();
            if index.preload_names(stored) {
                return;
            }
            tracing::debug!("name table not empty: the store's {count} names are added one by one");
        }
        index.reserve_names(self.names);
    }

    /// How many files the load served to the index.
    pub fn served(&self) -> usize {
        self.served
    }

    /// How many names the store's symbols use, and their bytes: what the index's name tables
    /// can reserve before the files arrive (see [`crate::index::Index::reserve_names`]).
    pub fn names(&self) -> NameHint {
        self.names
    }

    fn loaded_in(mut self, started: Instant) -> Warm {
        self.stats.load_time = started.elapsed();
        self
    }

    /// Counts so far.
    pub fn stats(&self) -> CacheStats {
        let mut stats = self.stats.clone();
        stats.hits = self.hits.load(Ordering::Relaxed);
        stats.misses = self.misses.load(Ordering::Relaxed);
        stats.stale = self.stale.load(Ordering::Relaxed);
        stats.dropped = stats.entries.saturating_sub(stats.hits + stats.stale);
        stats.rehashed = self.rehashed.load(Ordering::Relaxed);
        stats
    }

    fn stale(&self) -> Option<IndexedFile> {
        self.stale.fetch_add(1, Ordering::Relaxed);
        None
    }
}

impl Reuse for Warm {
    fn served(&self, hits: usize, rehashed: usize, stale: usize) {
        self.hits.fetch_add(hits + rehashed, Ordering::Relaxed);
        self.rehashed.fetch_add(rehashed, Ordering::Relaxed);
        self.stale.fetch_add(stale, Ordering::Relaxed);
    }

    fn reuse(&self, candidate: &Candidate) -> Option<IndexedFile> {
        let Some(entry) = self.files.get(&candidate.path) else {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        if !self.usable || entry.lang != Some(candidate.lang) || entry.stamp.size != candidate.size {
            return self.stale();
        }
        let mut stamp = entry.stamp;
        if entry.racy || entry.stamp.mtime_ns != candidate.mtime_ns {
            // Same size, another mtime (or a racy entry): the content decides.
            let Ok(bytes) = fs::read(&candidate.path) else { return self.stale() };
            if bytes.len() as u64 != candidate.size || blake3::hash(&bytes).as_bytes() != &entry.stamp.hash {
                return self.stale();
            }
            stamp.mtime_ns = candidate.mtime_ns;
            self.rehashed.fetch_add(1, Ordering::Relaxed);
        }
        let Some(symbols) = entry.symbols.lock().unwrap_or_else(PoisonError::into_inner).take() else {
            // Handed over already (the same path offered twice): the store has nothing left for it.
            self.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(IndexedFile { path: candidate.path.clone(), lang: candidate.lang, symbols, stamp, stored: None })
    }
}

/// Files read so soon after their last modification that the mtime alone cannot vouch for them
/// later (see [`RACY_WINDOW_NS`]). Every sink of disk-read files notes them here.
#[derive(Default)]
pub struct Racy {
    paths: DashMap<PathBuf, ()>,
    /// How many: a warm start notes every file served, and asking the map itself whether it is
    /// empty locks each of its shards.
    count: AtomicUsize,
}

impl Racy {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a file just read from disk with `stamp`.
    pub fn note(&self, path: &Path, stamp: &Stamp) {
        if is_racy(stamp.mtime_ns) {
            if self.paths.insert(path.to_path_buf(), ()).is_none() {
                self.count.fetch_add(1, Ordering::Relaxed);
            }
        } else if self.count.load(Ordering::Relaxed) != 0 && self.paths.remove(path).is_some() {
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
    }

    pub fn contains(&self, path: &Path) -> bool {
        self.paths.contains_key(path)
    }
}

/// What a store written now by this build says of itself.
fn current_meta(root: &Path) -> format::Meta {
    format::Meta {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        query_version: Lang::query_version(),
        build_id: build_id(),
        root: format::path_bytes(&canonical(root)).unwrap_or_default(),
    }
}

fn canonical(root: &Path) -> PathBuf {
    root.canonicalize().unwrap_or_else(|_| std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf()))
}

/// Identifies this executable (size and mtime), so that a rebuilt binary never trusts symbols a
/// previous build extracted, even under the same version number.
fn build_id() -> u64 {
    static ID: OnceLock<u64> = OnceLock::new();
    *ID.get_or_init(|| {
        let mut hasher = blake3::Hasher::new();
        if let Some(meta) = std::env::current_exe().ok().and_then(|exe| fs::metadata(exe).ok()) {
            hasher.update(&meta.len().to_le_bytes());
            hasher.update(&crate::scanner::mtime_ns(&meta).to_le_bytes());
        }
        u64::from_le_bytes(hasher.finalize().as_bytes()[..8].try_into().expect("8 bytes"))
    })
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    set_mode(dir, 0o700)
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
