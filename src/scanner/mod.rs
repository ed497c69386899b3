//! The scanner: the only module that walks the filesystem.
//!
//! Two phases. *Walk*: `ignore::WalkParallel` (a fixed pool of workers, each with a local stack,
//! stealing from the others; the walk ends when no worker has work) enumerates the tree and applies
//! .gitignore/.ignore/git excludes the way ripgrep does, user excludes, the size cap and symlink
//! rules. *Index*: a fixed pool of the same size pulls files from one shared queue, largest first
//! so both cores stay busy to the end, reads each file once, skips binaries, parses and extracts.
//! Results go to a caller-supplied sink as they are made, so the index is queryable during a scan.
//! A warm start comes before both: the persistent store's files are served to the index first,
//! and checked against the walk (see [`scan_loading`]). Cancellation is checked between files.

mod stats;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ignore::overrides::OverrideBuilder;
use ignore::{WalkBuilder, WalkState};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::config::Config;
use crate::index::Stamp;
use crate::index::Symbols;
use crate::lang::Lang;
use crate::parser::{Extractor, ParseError};
use crate::symbol::Symbol;

pub use stats::{LangStats, ScanStats, SkipCounts};

/// How much of a file is checked for NUL bytes to call it binary.
const BINARY_PROBE: usize = 8192;

/// Scanner settings, taken from [`Config`].
#[derive(Clone, Debug)]
pub struct ScanConfig {
    pub workers: usize,
    pub max_file_size: u64,
    pub exclude: Vec<String>,
    pub follow_symlinks: bool,
    /// Count entries dropped by ignore rules (one extra directory read per directory).
    pub count_ignored: bool,
    /// Files under these directories are indexed first (where the user is working).
    pub priority_dirs: Vec<PathBuf>,
}

impl ScanConfig {
    pub fn from_config(config: &Config) -> Self {
        Self {
            workers: config.worker_count(),
            max_file_size: config.max_file_size,
            exclude: config.exclude.clone(),
            follow_symlinks: config.follow_symlinks,
            count_ignored: false,
            priority_dirs: Vec::new(),
        }
    }
}

/// A shared flag that stops a scan between files.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A file found by the walk, to be indexed.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub path: PathBuf,
    pub lang: Lang,
    pub size: u64,
    pub mtime_ns: u128,
}

/// One indexed file, handed to the sink.
#[derive(Debug)]
pub struct IndexedFile {
    pub path: PathBuf,
    pub lang: Lang,
    pub symbols: Symbols,
    pub stamp: Stamp,
    /// Its number in the persistent store that handed it over (see
    /// [`crate::index::FileUpdate::stored`]).
    pub stored: Option<u32>,
}

impl IndexedFile {
    /// The index update for a file read from disk.
    pub fn into_update(self) -> crate::index::FileUpdate {
        crate::index::FileUpdate {
            path: self.path,
            lang: self.lang,
            symbols: self.symbols,
            origin: crate::index::Origin::Disk,
            stamp: self.stamp,
            stored: self.stored,
        }
    }
}

/// Why a file was not indexed.
#[derive(Debug, thiserror::Error)]
pub enum Skip {
    #[error("{0}: binary file")]
    Binary(PathBuf),
    #[error("{0}: larger than {1} bytes")]
    TooLarge(PathBuf, u64),
    #[error("{0}: no supported language")]
    Unsupported(PathBuf),
    #[error("{path}: unreadable: {source}")]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("{0}: {1}")]
    Parse(PathBuf, ParseError),
}

/// Progress of the index phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

/// Something that may have symbols already for an unchanged file (the persistent cache).
pub trait Reuse: Sync {
    /// Symbols for `candidate` if they are known for exactly this content.
    fn reuse(&self, candidate: &Candidate) -> Option<IndexedFile>;

    /// How the files it served fared against the walk (see [`scan_loading`]): found with the
    /// stamp served, found touched with the content served, found changed.
    fn served(&self, _hits: usize, _rehashed: usize, _stale: usize) {}
}

impl<R: Reuse + ?Sized> Reuse for &R {
    fn reuse(&self, candidate: &Candidate) -> Option<IndexedFile> {
        (**self).reuse(candidate)
    }

    fn served(&self, hits: usize, rehashed: usize, stale: usize) {
        (**self).served(hits, rehashed, stale);
    }
}

/// No reuse: every file is parsed.
pub struct NoReuse;

impl Reuse for NoReuse {
    fn reuse(&self, _: &Candidate) -> Option<IndexedFile> {
        None
    }
}

/// Walks `root` and indexes every supported file into `sink`.
pub fn scan(
    root: &Path,
    config: &ScanConfig,
    cancel: &CancelToken,
    reuse: &dyn Reuse,
    sink: &(dyn Fn(IndexedFile) + Sync),
    progress: &(dyn Fn(Progress) + Sync),
) -> ScanStats {
    let index = Target { add: sink, take: &|_| None };
    scan_loading(root, config, cancel, |_| reuse, &|_| {}, |_| {}, &index, progress).0
}

/// Where a scan puts what it finds: `add` takes a file's symbols (replacing any it had), `take`
/// takes a file served from a store back out (see [`Serving`]): it removes the file and returns
/// its symbols, unless the file is not the disk's (an open editor buffer's), which it leaves.
pub struct Target<'a> {
    pub add: &'a (dyn Fn(IndexedFile) + Sync),
    pub take: &'a (dyn Fn(&Path) -> Option<Symbols> + Sync),
}

/// [`scan`], warm-started by `load` (reading the persistent store) before the tree is walked:
/// `load` may serve the files it has symbols for straight to the index as it decodes them (see
/// [`Serving`]), so that queries are answered from the store at once; `loaded` sees what it
/// produced. Then the walk checks every served file against the disk: those it finds with the
/// stamp served stay, those gone or changed are taken out again (changed ones are indexed anew,
/// or confirmed by content when only their mtime moved), and the index phase indexes every other
/// file, asking `load`'s [`Reuse`] first. The walk calls `enter` with each directory it enters
/// (the root first) before it lists the directory: the server watches it there, so no change
/// after the walk saw a file goes unnoticed (see [`walk_entering`]). Returns the scan's counts and
/// what `load` produced.
#[allow(clippy::too_many_arguments)]
pub fn scan_loading<R: Reuse>(
    root: &Path,
    config: &ScanConfig,
    cancel: &CancelToken,
    load: impl FnOnce(&Serving<'_>) -> R,
    enter: &(dyn Fn(&Path) + Sync),
    loaded: impl FnOnce(&R),
    index: &Target<'_>,
    progress: &(dyn Fn(Progress) + Sync),
) -> (ScanStats, R) {
    let started = Instant::now();
    let serving = Serving { sink: index.add, served: Mutex::default() };
    let reuse = load(&serving);
    loaded(&reuse);
    let walk_started = Instant::now();
    let (candidates, mut stats) = walk_entering(root, config, cancel, enter);
    stats.walk_time = walk_started.elapsed();
    let served = serving.served.into_inner().unwrap_or_else(|p| p.into_inner());
    let (mut rest, changed) = if cancel.is_cancelled() {
        // An unfinished walk proves no served file gone: they stay until the next scan.
        Default::default()
    } else {
        check_served(candidates, served, &reuse, index, &mut stats)
    };
    let confirmed = stats.files_indexed;
    let index_started = Instant::now();
    // The files confirmed count as done.
    let progress = |p: Progress| progress(Progress { done: confirmed + p.done, total: confirmed + p.total });
    // The store has nothing for the files it served that changed.
    let reuse_unchanged = Unless { reuse: &reuse, changed };
    index_files(&mut rest, config, cancel, &reuse_unchanged, index.add, &progress, &mut stats);
    stats.index_time = index_started.elapsed();
    stats.total_time = started.elapsed();
    stats.cancelled = cancel.is_cancelled();
    (stats, reuse)
}

/// A [`Reuse`] not asked about the `changed` files.
struct Unless<'a> {
    reuse: &'a dyn Reuse,
    changed: FxHashSet<PathBuf>,
}

impl Reuse for Unless<'_> {
    fn reuse(&self, candidate: &Candidate) -> Option<IndexedFile> {
        if self.changed.contains(&candidate.path) {
            return None;
        }
        self.reuse.reuse(candidate)
    }
}

/// Checks the files a store served against the walk's `candidates`: a file found with the very
/// stamp served (not racy) stays, and counts as indexed; one found with its size but another
/// mtime (or a racy stamp) stays if its content hashes as served (under the stamp found); any
/// other is taken out of the index (the walk did not find it, or it changed). Returns the
/// candidates left to index, and the paths of those among them that were served and changed.
fn check_served(
    candidates: Vec<Candidate>,
    served: Vec<Served>,
    reuse: &dyn Reuse,
    index: &Target<'_>,
    stats: &mut ScanStats,
) -> (Vec<Candidate>, FxHashSet<PathBuf>) {
    if served.is_empty() {
        return (candidates, FxHashSet::default());
    }
    let mut changed = FxHashSet::default();
    let mut by_path = hashbrown::HashTable::with_capacity(candidates.len());
    for (i, c) in candidates.iter().enumerate() {
        by_path.insert_unique(path_hash(&c.path), i as u32, |&j| path_hash(&candidates[j as usize].path));
    }
    let find = |path: &Path| {
        let at = by_path.find(path_hash(path), |&i| candidates[i as usize].path.as_os_str() == path.as_os_str())?;
        Some(*at as usize)
    };
    let mut done = vec![false; candidates.len()];
    let (mut hits, mut rehashed, mut stale) = (0, 0, 0);
    for s in served {
        let Some(i) = find(&s.path) else {
            // Gone (or no longer indexed: excluded, too large, ...).
            (index.take)(&s.path);
            continue;
        };
        let c = &candidates[i];
        if std::mem::replace(&mut done[i], true) {
            // The same path served twice: the first stands.
            continue;
        }
        let same_file = c.lang == s.lang && c.size == s.stamp.size;
        if same_file && c.mtime_ns == s.stamp.mtime_ns && !s.racy {
            hits += 1;
        } else if same_file && same_content(c, &s.stamp.hash) {
            // Touched (or racy), not changed: the served symbols again, under the stamp found
            // (which the sink may note as racy).
            let Some(symbols) = (index.take)(&s.path) else { continue };
            let stamp = Stamp { mtime_ns: c.mtime_ns, ..s.stamp };
            (index.add)(IndexedFile { path: s.path, lang: s.lang, symbols, stamp, stored: None });
            rehashed += 1;
        } else {
            (index.take)(&s.path);
            done[i] = false;
            changed.insert(s.path);
            stale += 1;
            continue;
        }
        stats.record_counts(c, s.symbols, s.definitions);
        stats.cache_hits += 1;
    }
    reuse.served(hits, rehashed, stale);
    (candidates.into_iter().zip(done).filter(|(_, done)| !done).map(|(c, _)| c).collect(), changed)
}

/// Whether the file of `candidate` still hashes to `hash` (read whole: a file whose size matches
/// a stored one is one the index holds, below the size cap).
fn same_content(candidate: &Candidate, hash: &[u8; 32]) -> bool {
    std::fs::read(&candidate.path)
        .is_ok_and(|bytes| bytes.len() as u64 == candidate.size && blake3::hash(&bytes).as_bytes() == hash)
}

/// What a loader running before the walk (the persistent cache, reading its store) may do with
/// the files it has symbols for: serve them to the index as it decodes them, before the walk has
/// seen the tree; the scan then checks each against the walk (see [`scan_loading`]).
pub struct Serving<'a> {
    sink: &'a (dyn Fn(IndexedFile) + Sync),
    served: Mutex<Vec<Served>>,
}

/// A file served to the index, as the walk's check needs it.
struct Served {
    path: PathBuf,
    lang: Lang,
    stamp: Stamp,
    /// Whether the stamp was stored racy (see [`crate::cache::is_racy`]): only the content can
    /// vouch for it.
    racy: bool,
    symbols: usize,
    definitions: usize,
}

impl Serving<'_> {
    /// Puts `file` (read from a store, with the stamp stored, `racy` or not) in the index, to be
    /// checked against the walk; `definitions` says how many of its symbols are definitions, if
    /// counted already.
    pub fn serve(&self, file: IndexedFile, racy: bool, definitions: Option<usize>) {
        let definitions = definitions.unwrap_or_else(|| {
            file.symbols.names().filter(|&(_, role)| role == crate::symbol::Role::Definition).count()
        });
        let served = Served {
            path: file.path.clone(),
            lang: file.lang,
            stamp: file.stamp,
            racy,
            symbols: file.symbols.len(),
            definitions,
        };
        (self.sink)(file);
        self.served.lock().unwrap_or_else(|p| p.into_inner()).push(served);
    }
}

/// A hash of a path's bytes (a `Path`'s own hash walks its components: slower, and equal paths
/// here are spelled the same).
fn path_hash(path: &Path) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(path.as_os_str().as_encoded_bytes())
}

/// Phase one: enumerate and filter. Returns the files to index and the walk's counts.
pub fn walk(root: &Path, config: &ScanConfig, cancel: &CancelToken) -> (Vec<Candidate>, ScanStats) {
    walk_entering(root, config, cancel, &|_| {})
}

/// [`walk`], calling `enter` with each included directory (the root first) before its entries are
/// listed. (`ignore`'s parallel walker opens a directory, then hands it to the visitor, then reads
/// its entries: an entry created after `enter` returned is listed, or seen by a watch `enter` put
/// on the directory, or both.)
pub fn walk_entering(
    root: &Path,
    config: &ScanConfig,
    cancel: &CancelToken,
    enter: &(dyn Fn(&Path) + Sync),
) -> (Vec<Candidate>, ScanStats) {
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut builder = walk_builder(root, root, config);
    builder.threads(config.workers.max(1));
    let shared = Mutex::new((Vec::new(), ScanStats::default()));
    let children = AtomicUsize::new(0);
    builder.build_parallel().run(|| {
        let mut local = WalkVisitor { out: Vec::new(), stats: ScanStats::default(), shared: &shared, enter };
        let config = config.clone();
        let canonical_root = canonical_root.clone();
        let children = &children;
        Box::new(move |entry| {
            if cancel.is_cancelled() {
                return WalkState::Quit;
            }
            local.visit(entry, &config, &canonical_root, children)
        })
    });
    let (candidates, mut stats) = shared.into_inner().unwrap_or_else(|p| p.into_inner());
    if config.count_ignored {
        // Every child of a visited directory was either visited or dropped by a filter.
        let seen = stats.dirs.saturating_sub(1) + stats.files_seen + stats.skipped.symlink + stats.errors;
        stats.skipped.ignored = children.load(Ordering::Relaxed).saturating_sub(seen);
    }
    (candidates, stats)
}

/// A walker with the scanner's rules (ignore files as ripgrep applies them, hidden files, user
/// excludes rooted at the workspace `root`, symlink policy), starting at `start` inside `root`.
/// The watcher uses it too, so that both always agree on what is included.
pub fn walk_builder(start: &Path, root: &Path, config: &ScanConfig) -> WalkBuilder {
    let mut builder = WalkBuilder::new(start);
    builder.follow_links(config.follow_symlinks).hidden(true).parents(true);
    if !config.exclude.is_empty() {
        let mut overrides = OverrideBuilder::new(root);
        for pattern in &config.exclude {
            // Overrides are whitelists; a leading `!` turns a glob into an exclude.
            if let Err(e) = overrides.add(&format!("!{pattern}")) {
                tracing::warn!("ignoring invalid exclude pattern {pattern:?}: {e}");
            }
        }
        match overrides.build() {
            Ok(o) => {
                builder.overrides(o);
            }
            Err(e) => tracing::warn!("ignoring exclude patterns: {e}"),
        }
    }
    builder
}

struct WalkVisitor<'a> {
    out: Vec<Candidate>,
    stats: ScanStats,
    shared: &'a Mutex<(Vec<Candidate>, ScanStats)>,
    enter: &'a (dyn Fn(&Path) + Sync),
}

impl WalkVisitor<'_> {
    fn visit(
        &mut self,
        entry: Result<ignore::DirEntry, ignore::Error>,
        config: &ScanConfig,
        root: &Path,
        children: &AtomicUsize,
    ) -> WalkState {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                if is_loop(&err) {
                    tracing::debug!("skipping symlink loop: {err}");
                    self.stats.skipped.symlink += 1;
                } else {
                    tracing::warn!("scan: {err}");
                    self.stats.errors += 1;
                    self.stats.skipped.unreadable += 1;
                }
                return WalkState::Continue;
            }
        };
        let Some(file_type) = entry.file_type() else { return WalkState::Continue };
        if entry.path_is_symlink() {
            if !config.follow_symlinks {
                self.stats.skipped.symlink += 1;
                return WalkState::Skip;
            }
            // Followed links must stay inside the workspace.
            let inside = entry.path().canonicalize().is_ok_and(|target| target.starts_with(root));
            if !inside {
                tracing::debug!("skipping symlink leaving the workspace: {}", entry.path().display());
                self.stats.skipped.symlink += 1;
                return WalkState::Skip;
            }
        }
        if file_type.is_dir() {
            self.stats.dirs += 1;
            (self.enter)(entry.path());
            if config.count_ignored {
                if let Ok(read) = std::fs::read_dir(entry.path()) {
                    children.fetch_add(read.count(), Ordering::Relaxed);
                }
            }
            return WalkState::Continue;
        }
        if !file_type.is_file() {
            return WalkState::Continue;
        }
        self.stats.files_seen += 1;
        let Some(lang) = Lang::from_path(entry.path()) else {
            self.stats.skipped.unsupported += 1;
            return WalkState::Continue;
        };
        let metadata = match entry.metadata() {
            Ok(m) => m,
            Err(err) => {
                tracing::warn!("scan: {err}");
                self.stats.skipped.unreadable += 1;
                return WalkState::Continue;
            }
        };
        if metadata.len() > config.max_file_size {
            self.stats.skipped.too_large += 1;
            return WalkState::Continue;
        }
        self.out.push(Candidate { path: entry.into_path(), lang, size: metadata.len(), mtime_ns: mtime_ns(&metadata) });
        WalkState::Continue
    }
}

impl Drop for WalkVisitor<'_> {
    fn drop(&mut self) {
        let mut shared = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        shared.0.append(&mut self.out);
        shared.1.merge(&self.stats);
    }
}

fn is_loop(err: &ignore::Error) -> bool {
    match err {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => is_loop(err),
        _ => false,
    }
}

/// Modification time of a file in nanoseconds since the epoch (0 when unknown).
pub fn mtime_ns(metadata: &std::fs::Metadata) -> u128 {
    metadata.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos())
}

/// Phase two: index `candidates` on a fixed pool of workers: files under the priority directories
/// first, then largest first so that no worker is left with a big file at the end.
pub fn index_files(
    candidates: &mut [Candidate],
    config: &ScanConfig,
    cancel: &CancelToken,
    reuse: &dyn Reuse,
    sink: &(dyn Fn(IndexedFile) + Sync),
    progress: &(dyn Fn(Progress) + Sync),
    stats: &mut ScanStats,
) {
    let urgent = |c: &Candidate| config.priority_dirs.iter().any(|d| c.path.starts_with(d));
    candidates.sort_by_cached_key(|c| (!urgent(c), std::cmp::Reverse(c.size), c.path.clone()));
    first_of_each_language(candidates, candidates.partition_point(urgent));
    let candidates: &[Candidate] = candidates;
    let total = candidates.len();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let last_report = Mutex::new(Instant::now());
    let merged = Mutex::new(ScanStats::default());
    progress(Progress { done: 0, total });
    std::thread::scope(|scope| {
        for _ in 0..config.workers.max(1).min(total.max(1)) {
            scope.spawn(|| {
                let mut extractor = Extractor::new();
                let mut local = ScanStats::default();
                let mut dir_times: FxHashMap<PathBuf, Duration> = FxHashMap::default();
                loop {
                    if cancel.is_cancelled() {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(candidate) = candidates.get(i) else { break };
                    let started = Instant::now();
                    let outcome = match reuse.reuse(candidate) {
                        Some(file) => {
                            local.cache_hits += 1;
                            Ok(file)
                        }
                        None => index_candidate(&mut extractor, candidate, config.max_file_size),
                    };
                    local.record(candidate, &outcome);
                    if let Ok(file) = outcome {
                        sink(file);
                    }
                    if let Some(dir) = candidate.path.parent() {
                        // Looked up before it is copied: a warm start reuses thousands of files a
                        // second, and the copy and a SipHash of each path were 2.5% of it.
                        match dir_times.get_mut(dir) {
                            Some(time) => *time += started.elapsed(),
                            None => {
                                dir_times.insert(dir.to_path_buf(), started.elapsed());
                            }
                        }
                    }
                    let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                    report(&last_report, finished, total, progress);
                }
                local.add_dir_times(dir_times);
                merged.lock().unwrap_or_else(|p| p.into_inner()).merge(&local);
            });
        }
    });
    stats.merge(&merged.into_inner().unwrap_or_else(|p| p.into_inner()));
    stats.finish_dir_times();
}

/// Moves the first file of each language in `candidates[from..]` to `from`, keeping their order
/// and the others'. Its worker compiles the language's tags query (C++'s takes 0.4 s, Swift's
/// 0.2 s) while the other workers parse: a rare language's only file, small and so near the end
/// of the queue, otherwise left one worker compiling after the others had finished (cpython-lib's
/// one `.cpp` file cost 0.3 s of its 2 s cold index).
fn first_of_each_language(candidates: &mut [Candidate], from: usize) {
    let mut seen = [false; Lang::ALL.len()];
    let mut next = from;
    for i in from..candidates.len() {
        let lang = candidates[i].lang as usize;
        if !seen[lang] {
            seen[lang] = true;
            candidates[next..=i].rotate_right(1);
            next += 1;
        }
    }
}

fn report(last: &Mutex<Instant>, done: usize, total: usize, progress: &(dyn Fn(Progress) + Sync)) {
    const EVERY: Duration = Duration::from_millis(100);
    if done != total {
        let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
        if last.elapsed() < EVERY {
            return;
        }
        *last = Instant::now();
    }
    progress(Progress { done, total });
}

/// Reads, checks and parses one file. Used by the scan and by single-file updates.
pub fn index_candidate(
    extractor: &mut Extractor,
    candidate: &Candidate,
    max_file_size: u64,
) -> Result<IndexedFile, Skip> {
    let path = &candidate.path;
    let bytes = std::fs::read(path).map_err(|source| Skip::Unreadable { path: path.clone(), source })?;
    if bytes.len() as u64 > max_file_size {
        return Err(Skip::TooLarge(path.clone(), max_file_size));
    }
    index_bytes(extractor, path, candidate.lang, &bytes, candidate.mtime_ns)
}

/// Indexes a file's content, read once by [`index_candidate`].
fn index_bytes(
    extractor: &mut Extractor,
    path: &Path,
    lang: Lang,
    bytes: &[u8],
    mtime_ns: u128,
) -> Result<IndexedFile, Skip> {
    if is_binary(bytes) {
        return Err(Skip::Binary(path.to_path_buf()));
    }
    let symbols = guarded(extractor, |extractor| extractor.extract_definitions(lang, bytes))
        .map_err(|e| Skip::Parse(path.to_path_buf(), e))?;
    let stamp = Stamp { size: bytes.len() as u64, mtime_ns, hash: *blake3::hash(bytes).as_bytes() };
    Ok(IndexedFile { path: path.to_path_buf(), lang, symbols: Symbols::from(symbols), stamp, stored: None })
}

/// Runs `extract` on `extractor`; a panic (a bug, whatever the file holds) loses that file
/// alone: it is [`ParseError::Failed`], and the extractor, whose parsers it may have left
/// mid-parse, is replaced.
fn guarded<T>(
    extractor: &mut Extractor,
    extract: impl FnOnce(&mut Extractor) -> Result<T, ParseError>,
) -> Result<T, ParseError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| extract(extractor))).unwrap_or_else(|_| {
        *extractor = Extractor::new();
        Err(ParseError::Failed)
    })
}

/// The references to `name` inside the function bodies that indexing skipped (see
/// `parser::skip`), in each of `files` (path and language) that mentions it: the files are read
/// again and only the bodies that contain `name`'s text are parsed, on `workers` threads. Returns
/// (index in `files`, references) for the files with any; unreadable files are left out. Stops
/// between files once `cancel` is set.
pub fn references_in_bodies(
    files: &[(Arc<Path>, Lang)],
    name: &str,
    max_file_size: u64,
    workers: usize,
    cancel: &CancelToken,
    progress: &(dyn Fn(Progress) + Sync),
) -> Vec<(usize, Vec<Symbol>)> {
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let report = || {
        let done = finished.fetch_add(1, Ordering::Relaxed) + 1;
        if done.is_multiple_of(64) || done == files.len() {
            progress(Progress { done, total: files.len() });
        }
    };
    let finder = memchr::memmem::Finder::new(name.as_bytes());
    let work = || {
        let mut extractor = Extractor::new();
        let mut found = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some((path, lang)) = files.get(i) else { break };
            if cancel.is_cancelled() {
                break;
            }
            let bytes = std::fs::read(path).ok().filter(|bytes| {
                bytes.len() as u64 <= max_file_size && finder.find(bytes).is_some() && !is_binary(bytes)
            });
            if let Some(bytes) = bytes {
                match guarded(&mut extractor, |e| e.references_in_bodies(*lang, &bytes, name)) {
                    Ok(refs) if !refs.is_empty() => found.push((i, refs)),
                    Ok(_) => {}
                    Err(e) => tracing::debug!("references in {}: {e}", path.display()),
                }
            }
            report();
        }
        found
    };
    let mut found: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.max(1)).map(|_| scope.spawn(work)).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    found.sort_by_key(|(i, _)| *i);
    found
}

/// Reads and indexes one path, whatever the walk would say of it (ignore rules are the caller's).
pub fn index_path(extractor: &mut Extractor, path: &Path, max_file_size: u64) -> Result<IndexedFile, Skip> {
    let lang = Lang::from_path(path).ok_or_else(|| Skip::Unsupported(path.to_path_buf()))?;
    let metadata = std::fs::metadata(path).map_err(|source| Skip::Unreadable { path: path.to_path_buf(), source })?;
    if metadata.len() > max_file_size {
        return Err(Skip::TooLarge(path.to_path_buf(), max_file_size));
    }
    let candidate = Candidate { path: path.to_path_buf(), lang, size: metadata.len(), mtime_ns: mtime_ns(&metadata) };
    index_candidate(extractor, &candidate, max_file_size)
}

/// A file is binary if its first block holds a NUL byte (as git and ripgrep decide).
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(BINARY_PROBE)].contains(&0)
}

/// Wall-clock now in nanoseconds since the epoch (for stamps of editor content).
pub fn now_ns() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_while_extracting_loses_that_file_alone() {
        let mut extractor = Extractor::new();
        let failed: Result<(), _> = guarded(&mut extractor, |_| panic!("a bug in an extractor"));
        assert!(matches!(failed, Err(ParseError::Failed)), "{failed:?}");
        // The replaced extractor goes on with the next file.
        let next = guarded(&mut extractor, |e| e.extract_definitions(Lang::Rust, b"fn after() {}\n")).unwrap();
        assert_eq!(next.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["after"]);
    }

    #[test]
    fn the_first_file_of_each_language_moves_up_and_the_rest_keep_their_order() {
        let file = |name: &str, lang| Candidate { path: name.into(), lang, size: 0, mtime_ns: 0 };
        let mut candidates = vec![
            file("urgent.py", Lang::Python),
            file("a.py", Lang::Python),
            file("b.py", Lang::Python),
            file("c.rs", Lang::Rust),
            file("d.py", Lang::Python),
            file("e.cpp", Lang::Cpp),
            file("f.rs", Lang::Rust),
        ];
        first_of_each_language(&mut candidates, 1);
        let order: Vec<_> = candidates.iter().map(|c| c.path.to_str().unwrap()).collect();
        assert_eq!(order, ["urgent.py", "a.py", "c.rs", "e.cpp", "b.py", "d.py", "f.rs"]);
    }
}
