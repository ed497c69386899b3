//! Live file watching: which paths changed on disk, coalesced into batches, and what the index
//! must do about them.
//!
//! The [`Watcher`] puts one non-recursive watch (inotify, see [`kernel`]; no polling) on every
//! directory the scanner enters, as the scanner's walk enters it ([`RootWalk`]), so ignored trees
//! (`target/`, `node_modules/`, `.git/`) cost no watches and make no noise. Events,
//! and paths reported by the client (`workspace/didChangeWatchedFiles`), go to one debounce thread
//! that blocks on its channel and closes a batch after a quiet period (or a maximum delay, so a
//! long `git checkout` still makes progress). [`Watcher::plan`] turns a batch into work: files to
//! (re)index, paths gone, directories walked whole. A new or renamed-in directory is walked (its
//! watches are added before its contents are read, so nothing created meanwhile is missed); a
//! changed `.gitignore`/`.ignore` re-walks its directory, so the rules are re-evaluated.
//!
//! Invariants: no LSP types and no index here: the server applies plans (and skips files whose
//! stamp says they are already indexed, which is what makes a change reported twice cost nothing).
//! Nothing sleeps: the debounce thread waits on its channel.

mod kernel;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use ignore::WalkBuilder;

use self::kernel::{Kernel, WatchError};
use crate::lang::Lang;
use crate::scanner::{mtime_ns, Candidate, ScanConfig};

/// A batch closes after this long without a new event...
const QUIET: Duration = Duration::from_millis(50);
/// ...or this long after its first event, whichever comes first.
const MAX_DELAY: Duration = Duration::from_millis(1000);

/// File names whose change re-evaluates what is included under their directory.
const IGNORE_FILES: &[&str] = &[".gitignore", ".ignore"];

/// Paths that changed, coalesced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    pub paths: BTreeSet<PathBuf>,
    /// Every root must be walked again (the kernel's event queue overflowed).
    pub rescan_all: bool,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && !self.rescan_all
    }

    pub fn merge(&mut self, other: Batch) {
        self.paths.extend(other.paths);
        self.rescan_all |= other.rescan_all;
    }
}

/// What a batch asks of the index.
#[derive(Debug, Default)]
pub struct Plan {
    /// Included files to index (unless their stamp shows they already are).
    pub files: Vec<Candidate>,
    /// Paths deleted or no longer included: each (and, for a directory, every file under it)
    /// leaves the index.
    pub gone: Vec<Gone>,
    /// Directories walked whole: a file indexed under one of them that is not in `files` is gone.
    pub synced: Vec<PathBuf>,
}

/// A path that is no longer (or never was) an included file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Gone {
    pub path: PathBuf,
    /// It was an included directory.
    pub was_dir: bool,
}

enum Signal {
    Path(PathBuf),
    RescanAll,
}

/// A root watched as the scanner walks it (one walk for both): [`RootWalk::enter`] watches each
/// directory the walk enters, before it is listed; [`RootWalk::finish`] unwatches those watched
/// under the root before that the walk did not enter (no longer included).
pub struct RootWalk<'a> {
    watcher: &'a Watcher,
    root: PathBuf,
    entered: Mutex<HashSet<PathBuf>>,
}

impl RootWalk<'_> {
    /// The walk enters `dir` (called from the walk's threads).
    pub fn enter(&self, dir: &Path) {
        self.watcher.lock().watch(dir);
        self.entered.lock().unwrap_or_else(|p| p.into_inner()).insert(dir.to_path_buf());
    }

    /// The walk is over. When it went `complete`ly (not cancelled), the directories of this root
    /// it did not enter lose their watches. Returns how many directories are watched under the
    /// root.
    pub fn finish(self, complete: bool) -> usize {
        let entered = self.entered.into_inner().unwrap_or_else(|p| p.into_inner());
        let mut state = self.watcher.lock();
        let under: Vec<PathBuf> = state.dirs_under(&self.root).cloned().collect();
        let mut watched = under.len();
        for dir in under.into_iter().filter(|_| complete) {
            // A directory of a root inside this one is that root's walk's.
            if !entered.contains(&dir) && state.root_of(&dir).as_ref() == Some(&self.root) {
                state.unwatch(&dir);
                watched -= 1;
            }
        }
        watched
    }
}

/// Watches workspace roots; see the module docs.
pub struct Watcher {
    state: Mutex<State>,
    input: Sender<Signal>,
}

struct State {
    kernel: Option<Kernel>,
    config: ScanConfig,
    roots: Vec<PathBuf>,
    /// Included directories, each watched (roots included).
    dirs: BTreeSet<PathBuf>,
    /// Set once the kernel refused a watch (inotify limit): warned about once.
    limit_reached: bool,
}

impl Watcher {
    /// Starts the watcher (no roots yet). Batches go to `sink`, called on the debounce thread.
    /// Without a working inotify, only client-reported paths are seen.
    pub fn start(config: ScanConfig, sink: impl Fn(Batch) + Send + 'static) -> Arc<Watcher> {
        Watcher::start_on(Kernel::start, config, sink)
    }

    /// [`Watcher::start`] on the kernel interface `kernel` starts.
    fn start_on(
        kernel: fn(Sender<Signal>) -> Result<Kernel, String>,
        config: ScanConfig,
        sink: impl Fn(Batch) + Send + 'static,
    ) -> Arc<Watcher> {
        let (input, rx) = crossbeam_channel::unbounded();
        let kernel = match kernel(input.clone()) {
            Ok(kernel) => Some(kernel),
            Err(e) => {
                tracing::warn!("cannot watch files ({e}); only changes the editor reports will be seen");
                None
            }
        };
        let spawned = std::thread::Builder::new().name("symdex-watch".into()).spawn(move || debounce(&rx, &sink));
        if let Err(e) = spawned {
            tracing::error!("cannot start the file watcher thread: {e}");
        }
        Arc::new(Watcher {
            state: Mutex::new(State { kernel, config, roots: Vec::new(), dirs: BTreeSet::new(), limit_reached: false }),
            input,
        })
    }

    /// Starts watching `root` as the scanner walks it: see [`RootWalk`].
    pub fn walking(&self, root: &Path) -> RootWalk<'_> {
        let mut state = self.lock();
        if !state.roots.iter().any(|r| r == root) {
            state.roots.push(root.to_path_buf());
        }
        RootWalk { watcher: self, root: root.to_path_buf(), entered: Mutex::default() }
    }

    /// Stops watching `root` (directories under another root stay watched).
    pub fn remove_root(&self, root: &Path) {
        let mut state = self.lock();
        state.roots.retain(|r| r != root);
        let doomed: Vec<PathBuf> =
            state.dirs_under(root).filter(|d| !state.roots.iter().any(|r| d.starts_with(r))).cloned().collect();
        for dir in doomed {
            state.unwatch(&dir);
        }
    }

    /// Paths the client reported changed: handled like the watcher's own events.
    pub fn changed(&self, paths: impl IntoIterator<Item = PathBuf>) {
        for path in paths {
            let _ = self.input.send(Signal::Path(path));
        }
    }

    /// How many directories are watched.
    pub fn watched_dirs(&self) -> usize {
        self.lock().dirs.len()
    }

    /// Whether inotify is working.
    pub fn is_live(&self) -> bool {
        self.lock().kernel.is_some()
    }

    /// Turns a batch into work, updating the watches on the way. Blocking (stats and walks).
    pub fn plan(&self, batch: &Batch) -> Plan {
        let mut state = self.lock();
        let mut plan = Plan::default();
        if batch.rescan_all {
            for root in state.roots.clone() {
                state.resync(&root, &root, &mut plan, true);
            }
            return plan;
        }
        // Shallow first, so a new directory is walked before the paths under it are looked at.
        let mut paths: Vec<&PathBuf> = batch.paths.iter().collect();
        paths.sort_by_key(|p| (p.components().count(), *p));
        let mut listings: HashMap<PathBuf, HashSet<OsString>> = HashMap::new();
        let mut resync: Vec<(PathBuf, PathBuf)> = Vec::new();
        let mut files: Vec<PathBuf> = Vec::new();
        for path in paths {
            let Some(root) = state.root_of(path) else { continue };
            if resync.iter().any(|(dir, _)| path.starts_with(dir)) {
                continue; // the walk of a directory above covers it
            }
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if IGNORE_FILES.contains(&name) {
                if let Some(dir) = path.parent().filter(|d| state.dirs.contains(*d)) {
                    resync.push((dir.to_path_buf(), root));
                }
                continue;
            }
            let included = **path == root || state.is_listed(path, &root, &mut listings);
            match std::fs::symlink_metadata(path) {
                Ok(meta) if included && meta.is_dir() => resync.push((path.clone(), root)),
                Ok(_) if included => files.push(path.clone()),
                _ => {
                    let under: Vec<PathBuf> = state.dirs_under(path).cloned().collect();
                    plan.gone.push(Gone { path: path.clone(), was_dir: !under.is_empty() });
                    for dir in under {
                        state.unwatch(&dir);
                    }
                }
            }
        }
        // Walks after removals: a directory renamed away loses its watches before its new name
        // (the same inode) gets them.
        let mut walked: Vec<PathBuf> = Vec::new();
        for (dir, root) in resync {
            if walked.iter().any(|w| dir.starts_with(w)) {
                continue;
            }
            state.resync(&dir, &root, &mut plan, true);
            walked.push(dir);
        }
        for path in files {
            if walked.iter().any(|w| path.starts_with(w)) {
                continue;
            }
            let root = state.root_of(&path).unwrap_or_default();
            match state.candidate(&path, &root) {
                Some(c) => plan.files.push(c),
                None => plan.gone.push(Gone { path, was_dir: false }),
            }
        }
        plan
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl State {
    /// The watched directories at or under `dir`.
    fn dirs_under<'a>(&'a self, dir: &'a Path) -> impl Iterator<Item = &'a PathBuf> + 'a {
        self.dirs.range(dir.to_path_buf()..).take_while(move |d| d.starts_with(dir))
    }

    /// The innermost root holding `path`.
    fn root_of(&self, path: &Path) -> Option<PathBuf> {
        self.roots.iter().filter(|r| path.starts_with(r)).max_by_key(|r| r.as_os_str().len()).cloned()
    }

    /// A walker with the scanner's rules, starting at `start` inside `root`.
    fn builder(&self, start: &Path, root: &Path) -> WalkBuilder {
        crate::scanner::walk_builder(start, root, &self.config)
    }

    /// Whether the scanner would visit `path`: its directory is included and lists it.
    fn is_listed(&self, path: &Path, root: &Path, listings: &mut HashMap<PathBuf, HashSet<OsString>>) -> bool {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else { return false };
        if !self.dirs.contains(parent) {
            return false;
        }
        let listing = listings.entry(parent.to_path_buf()).or_insert_with(|| {
            let walk = self.builder(parent, root).max_depth(Some(1)).build();
            walk.flatten()
                .filter(|e| e.depth() == 1 && self.allowed_link(e, root))
                .filter_map(|e| e.path().file_name().map(|n| n.to_os_string()))
                .collect()
        });
        listing.contains(name)
    }

    /// The scanner's symlink rule: skipped unless followed, and never out of the root.
    fn allowed_link(&self, entry: &ignore::DirEntry, root: &Path) -> bool {
        if !entry.path_is_symlink() {
            return true;
        }
        self.config.follow_symlinks
            && entry.path().canonicalize().is_ok_and(|t| root.canonicalize().is_ok_and(|r| t.starts_with(r)))
    }

    /// An included file as the scanner would hand it to the index phase, if it is indexable.
    fn candidate(&self, path: &Path, root: &Path) -> Option<Candidate> {
        let lang = Lang::from_path(path)?;
        if std::fs::symlink_metadata(path).ok()?.file_type().is_symlink() {
            let inside = path.canonicalize().ok()?.starts_with(root.canonicalize().ok()?);
            if !self.config.follow_symlinks || !inside {
                return None;
            }
        }
        let meta = std::fs::metadata(path).ok()?;
        if !meta.is_file() || meta.len() > self.config.max_file_size {
            return None;
        }
        Some(Candidate { path: path.to_path_buf(), lang, size: meta.len(), mtime_ns: mtime_ns(&meta) })
    }

    /// Walks `dir` (included) whole: watches its directories, adds its files to the plan when
    /// `files`, and forgets watched directories under it that are no longer included.
    fn resync(&mut self, dir: &Path, root: &Path, plan: &mut Plan, files: bool) {
        let mut found: HashSet<PathBuf> = HashSet::new();
        let walk = self.builder(dir, root).build();
        for entry in walk {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    tracing::debug!("watch walk: {e}");
                    continue;
                }
            };
            if entry.depth() > 0 && !self.allowed_link(&entry, root) {
                continue;
            }
            let Some(file_type) = entry.file_type() else { continue };
            if file_type.is_dir() {
                // Watched before its entries are read, so a file created meanwhile is seen.
                self.watch(entry.path());
                found.insert(entry.into_path());
            } else if files && (file_type.is_file() || file_type.is_symlink()) {
                if let Some(c) = self.candidate(entry.path(), root) {
                    plan.files.push(c);
                }
            }
        }
        let stale: Vec<PathBuf> = self.dirs_under(dir).filter(|d| !found.contains(*d)).cloned().collect();
        for d in stale {
            self.unwatch(&d);
        }
        if files {
            plan.synced.push(dir.to_path_buf());
        }
    }

    fn watch(&mut self, dir: &Path) {
        let fresh = self.dirs.insert(dir.to_path_buf());
        let Some(kernel) = &mut self.kernel else { return };
        if self.limit_reached {
            return;
        }
        match kernel.watch(dir) {
            Ok(()) => {}
            Err(WatchError::Limit) => {
                self.limit_reached = true;
                tracing::warn!(
                    "the kernel's inotify watch limit is reached: changes in some folders will not be seen \
                     (raise fs.inotify.max_user_watches)"
                );
            }
            Err(e) if fresh => tracing::debug!("cannot watch {}: {e}", dir.display()),
            Err(_) => {}
        }
    }

    fn unwatch(&mut self, dir: &Path) {
        self.dirs.remove(dir);
        if let Some(kernel) = &mut self.kernel {
            kernel.unwatch(dir);
        }
    }
}

/// Collects signals into batches: blocks for the first, then takes more until a quiet period.
fn debounce(rx: &Receiver<Signal>, sink: &dyn Fn(Batch)) {
    let add = |batch: &mut Batch, signal: Signal| match signal {
        Signal::Path(p) => {
            batch.paths.insert(p);
        }
        Signal::RescanAll => batch.rescan_all = true,
    };
    while let Ok(first) = rx.recv() {
        let mut batch = Batch::default();
        add(&mut batch, first);
        let deadline = Instant::now() + MAX_DELAY;
        loop {
            let wait = QUIET.min(deadline.saturating_duration_since(Instant::now()));
            match rx.recv_timeout(wait) {
                Ok(signal) => add(&mut batch, signal),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    sink(batch);
                    return;
                }
            }
        }
        sink(batch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ScanConfig {
        ScanConfig {
            workers: 1,
            max_file_size: 1 << 20,
            exclude: vec!["*.gen.py".into()],
            ..ScanConfig::from_config(&Default::default())
        }
    }

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "def f(): pass\n").unwrap();
        }
        dir
    }

    /// Watches `root` through a walk of the scanner's, as the server does; returns how many
    /// directories are watched under it.
    fn walk_watching(watcher: &Watcher, root: &Path) -> usize {
        let walk = watcher.walking(root);
        crate::scanner::walk_entering(root, &config(), &crate::scanner::CancelToken::new(), &|d| walk.enter(d));
        walk.finish(true)
    }

    fn scanned(root: &Path, config: &ScanConfig) -> BTreeSet<PathBuf> {
        let (candidates, _) = crate::scanner::walk(root, config, &crate::scanner::CancelToken::new());
        candidates.into_iter().map(|c| c.path).collect()
    }

    #[test]
    fn a_rescan_includes_exactly_what_the_scanner_does() {
        let dir = tree(&[
            ".git/HEAD.py",
            "a.py",
            "x.gen.py",
            "ignored/b.py",
            "sub/c.py",
            "sub/.hidden/d.py",
            "sub/deep/e.rs",
            "sub/deep/skip.log",
            "sub/local.tmp.py",
        ]);
        std::fs::write(dir.path().join(".gitignore"), "ignored/\n").unwrap();
        std::fs::write(dir.path().join("sub/.ignore"), "*.tmp.py\n").unwrap();
        let watcher = Watcher::start(config(), |_| {});
        let root = dir.path().to_path_buf();
        assert_eq!(walk_watching(&watcher, &root), 3);
        let plan = watcher.plan(&Batch { paths: BTreeSet::new(), rescan_all: true });
        let planned: BTreeSet<PathBuf> = plan.files.iter().map(|c| c.path.clone()).collect();
        assert_eq!(planned, scanned(&root, &config()));
        assert_eq!(plan.synced, std::slice::from_ref(&root));
        // Watched: the included directories only.
        let state = watcher.lock();
        assert!(state.dirs.contains(&root.join("sub/deep")));
        assert!(!state.dirs.contains(&root.join("sub/.hidden")));
        assert!(!state.dirs.contains(&root.join("ignored")));
        assert!(!state.dirs.contains(&root.join(".git")));
    }

    #[test]
    fn paths_are_classified_like_the_scanner_would() {
        let dir = tree(&["keep/a.py", "ignored/b.py", "x.gen.py", "c.py"]);
        std::fs::write(dir.path().join(".ignore"), "ignored/\n").unwrap();
        let root = dir.path().to_path_buf();
        let watcher = Watcher::start(config(), |_| {});
        walk_watching(&watcher, &root);
        std::fs::create_dir(root.join("newdir")).unwrap();
        std::fs::write(root.join("newdir/n.py"), "x = 1\n").unwrap();
        std::fs::remove_file(root.join("c.py")).unwrap();
        let paths = ["keep/a.py", "ignored/b.py", "x.gen.py", "c.py", "newdir", "newdir/n.py", "keep/readme.txt"];
        let batch = Batch { paths: paths.iter().map(|p| root.join(p)).collect(), rescan_all: false };
        let plan = watcher.plan(&batch);
        let files: BTreeSet<PathBuf> = plan.files.iter().map(|c| c.path.clone()).collect();
        assert_eq!(files, [root.join("keep/a.py"), root.join("newdir/n.py")].into_iter().collect());
        let gone: BTreeSet<PathBuf> = plan.gone.iter().map(|g| g.path.clone()).collect();
        assert!(plan.gone.iter().all(|g| !g.was_dir));
        let expected = ["ignored/b.py", "x.gen.py", "c.py", "keep/readme.txt"].iter().map(|p| root.join(p)).collect();
        assert_eq!(gone, expected);
        assert_eq!(plan.synced, [root.join("newdir")]);
        assert!(watcher.lock().dirs.contains(&root.join("newdir")));
        // Removing the directory drops its watch.
        std::fs::remove_dir_all(root.join("newdir")).unwrap();
        let plan = watcher.plan(&Batch { paths: [root.join("newdir")].into_iter().collect(), rescan_all: false });
        assert_eq!(plan.gone, [Gone { path: root.join("newdir"), was_dir: true }]);
        assert!(!watcher.lock().dirs.contains(&root.join("newdir")));
    }

    /// Batches from a watcher on `kernel`, whose `root` holds `a.py`.
    fn watching(
        kernel: fn(Sender<Signal>) -> Result<Kernel, String>,
    ) -> (tempfile::TempDir, Arc<Watcher>, crossbeam_channel::Receiver<Batch>) {
        let dir = tree(&["a.py", "sub/b.py"]);
        let (tx, rx) = crossbeam_channel::unbounded();
        let watcher = Watcher::start_on(kernel, config(), move |b| {
            let _ = tx.send(b);
        });
        assert!(watcher.is_live());
        walk_watching(&watcher, dir.path());
        (dir, watcher, rx)
    }

    /// Receives batches until `want` holds of the paths seen; returns how many it took.
    fn batches_until(rx: &crossbeam_channel::Receiver<Batch>, want: impl Fn(&BTreeSet<PathBuf>) -> bool) -> usize {
        let (mut seen, mut batches) = (BTreeSet::new(), 0);
        while !want(&seen) {
            let batch = rx.recv_timeout(Duration::from_secs(30)).expect("a batch");
            batches += 1;
            seen.extend(batch.paths);
        }
        batches
    }

    fn events_are_debounced_into_batches_on(kernel: fn(Sender<Signal>) -> Result<Kernel, String>) {
        let (dir, watcher, rx) = watching(kernel);
        let root = dir.path().to_path_buf();
        for i in 0..50 {
            std::fs::write(root.join(format!("f{i}.py")), "def g(): pass\n").unwrap();
        }
        let written = |seen: &BTreeSet<PathBuf>| (0..50).all(|i| seen.contains(&root.join(format!("f{i}.py"))));
        let batches = batches_until(&rx, written);
        assert!(batches < 50, "{batches} batches for 50 files");
        // In a subdirectory; then the subdirectory itself, renamed away.
        std::fs::write(root.join("sub/c.py"), "x = 1\n").unwrap();
        batches_until(&rx, |seen| seen.contains(&root.join("sub/c.py")));
        std::fs::rename(root.join("sub"), root.join("moved")).unwrap();
        batches_until(&rx, |seen| seen.contains(&root.join("sub")) && seen.contains(&root.join("moved")));
        // A client-reported path arrives the same way.
        watcher.changed([root.join("a.py")]);
        batches_until(&rx, |seen| seen.contains(&root.join("a.py")));
        // Dropping the watcher ends its threads: the sink (and its sender) goes with them.
        drop(watcher);
        loop {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(_) => continue, // late events of the rename
                Err(e) => break assert!(e.is_disconnected(), "the watcher's threads outlived it"),
            }
        }
    }

    #[test]
    fn events_are_debounced_into_batches() {
        events_are_debounced_into_batches_on(Kernel::start);
    }

    #[test]
    fn events_are_debounced_into_batches_through_notify() {
        events_are_debounced_into_batches_on(Kernel::start_notify);
    }

    #[test]
    fn a_directory_renamed_keeps_its_watch_whichever_name_is_seen_first() {
        let (dir, watcher, rx) = watching(Kernel::start);
        let root = dir.path().to_path_buf();
        std::fs::rename(root.join("sub"), root.join("moved")).unwrap();
        // The new name first (the same inode: the same kernel watch), then the old one, gone.
        watcher.plan(&Batch { paths: [root.join("moved")].into_iter().collect(), rescan_all: false });
        let plan = watcher.plan(&Batch { paths: [root.join("sub")].into_iter().collect(), rescan_all: false });
        assert_eq!(plan.gone, [Gone { path: root.join("sub"), was_dir: true }]);
        std::fs::write(root.join("moved/c.py"), "x = 1\n").unwrap();
        batches_until(&rx, |seen| seen.contains(&root.join("moved/c.py")));
    }

    #[test]
    fn a_second_walk_unwatches_what_is_no_longer_included() {
        let dir = tree(&["a.py", "gen/b.py", "gen/deep/c.py", "inner/d.py", "inner/gen2/e.py"]);
        let root = dir.path().to_path_buf();
        let watcher = Watcher::start(config(), |_| {});
        // A root inside the root, whose own walk watches its directories.
        let inner = root.join("inner");
        walk_watching(&watcher, &inner);
        assert_eq!(walk_watching(&watcher, &root), 5);
        std::fs::write(root.join(".ignore"), "gen/\ninner/\n").unwrap();
        assert_eq!(walk_watching(&watcher, &root), 3, "the root and the inner root's two stay");
        let state = watcher.lock();
        assert!(!state.dirs.contains(&root.join("gen/deep")));
        assert!(state.dirs.contains(&inner.join("gen2")));
    }
}
