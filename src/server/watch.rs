//! Keeping the index live: applying the watcher's batches, registering for the client's file
//! events, and writing the persistent store as files change.
//!
//! Batches are applied one at a time on the blocking pool, under the same lock as full indexing
//! runs (so a batch never races a scan of the same files). A file whose stamp (size, mtime) equals
//! the indexed one is skipped without a read; one whose content hash equals the indexed one is not
//! parsed again. That is also what makes a change reported twice (by inotify and by the client)
//! cost nothing the second time. Open documents win: their files are skipped, and the index never
//! lets disk symbols replace an open buffer's. After each batch the client gets a
//! `symdex/indexChanged` notification (what tests and curious editors wait on).

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};
use tower_lsp_server::ls_types::notification::Notification;
use tower_lsp_server::ls_types::*;

use super::indexing::{begin_progress, forward_progress, Step};
use super::{Backend, Live};
use crate::cache::{Cache, Racy};
use crate::index::{Index, Origin};
use crate::scanner::{self, Candidate, IndexedFile, Progress, Reuse, ScanStats};
use crate::watcher::{Batch, Plan};

/// Batches of at least this many files to index are reported with `$/progress`.
const LARGE_BATCH: usize = 200;
/// The store is written this long after the last change...
const SAVE_QUIET: Duration = Duration::from_secs(2);
/// ...and at least this often while changes keep coming.
const SAVE_MAX_DELAY: Duration = Duration::from_secs(10);
/// How long `shutdown` waits for pending stores to be written.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(10);
/// At most this many paths are listed in a `symdex/indexChanged` notification.
const LISTED_PATHS: usize = 100;

/// `symdex/indexChanged`: sent after each batch of file changes is applied.
pub enum IndexChanged {}

impl Notification for IndexChanged {
    type Params = IndexChangedParams;
    const METHOD: &'static str = "symdex/indexChanged";
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexChangedParams {
    /// Files parsed again because their content changed (or appeared).
    pub reindexed: usize,
    /// Files looked at whose indexed symbols were still right.
    pub unchanged: usize,
    /// Files dropped from the index.
    pub removed: usize,
    /// URIs of reindexed and removed files (at most 100).
    pub uris: Vec<Uri>,
    /// Files in the index now.
    pub files: usize,
}

/// A request to the store writer.
pub(super) enum SaveRequest {
    /// Files under this root changed: write its store soon.
    Dirty(PathBuf),
    /// Indexing of this root ended: write its store now.
    Now(PathBuf),
    /// Write everything pending, then answer.
    Flush(oneshot::Sender<()>),
}

impl Backend {
    /// `workspace/didChangeWatchedFiles`: the client's events join the watcher's.
    pub(super) fn watched_files_changed(&self, params: DidChangeWatchedFilesParams) {
        let paths = params.changes.iter().filter_map(|e| super::proto::path(&e.uri));
        match self.live.get().map(|l| l.watcher.clone()) {
            Some(watcher) => watcher.changed(paths),
            None => {
                for path in paths.collect::<Vec<_>>() {
                    self.refresh_from_disk(&path);
                }
            }
        }
    }

    /// Registers for the client's file events when it can send them.
    pub(super) fn register_file_watching(&self) {
        let dynamic = self
            .client_caps
            .get()
            .and_then(|c| c.workspace.as_ref())
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        if !dynamic {
            return;
        }
        let options = DidChangeWatchedFilesRegistrationOptions {
            watchers: vec![FileSystemWatcher { glob_pattern: GlobPattern::String("**/*".to_owned()), kind: None }],
        };
        let registration = Registration {
            id: "symdex/watchedFiles".to_owned(),
            method: "workspace/didChangeWatchedFiles".to_owned(),
            register_options: serde_json::to_value(options).ok(),
        };
        let client = self.client.clone();
        tokio::spawn(async move {
            if let Err(e) = client.register_capability(vec![registration]).await {
                tracing::debug!("client refused file watching registration: {e}");
            }
        });
    }

    /// Asks for pending stores to be written and waits (bounded) until they are.
    pub(super) async fn flush_cache(&self) {
        let Some(live) = self.live.get() else { return };
        let (done, wait) = oneshot::channel();
        if live.saver.send(SaveRequest::Flush(done)).is_ok() && tokio::time::timeout(FLUSH_TIMEOUT, wait).await.is_err()
        {
            tracing::warn!("the index store was not written within {FLUSH_TIMEOUT:?}");
        }
    }
}

/// Applies watcher batches until the watcher goes away or the server shuts down.
pub(super) async fn apply_batches(live: Live, mut batches: mpsc::UnboundedReceiver<Batch>) {
    while let Some(mut batch) = batches.recv().await {
        // Whatever piled up while the last one was applied goes in one batch.
        while let Ok(more) = batches.try_recv() {
            batch.merge(more);
        }
        let _running = live.indexing.lock().await;
        if live.cancel.is_cancelled() {
            break;
        }
        let report = apply(&live, batch).await;
        tracing::debug!(
            reindexed = report.reindexed,
            unchanged = report.unchanged,
            removed = report.removed,
            "applied a batch of file changes"
        );
        live.client.send_notification::<IndexChanged>(report).await;
    }
}

/// The work a batch leaves once planned and filtered.
struct Prepared {
    todo: Vec<Candidate>,
    removed: Vec<PathBuf>,
    unchanged: usize,
}

async fn apply(live: &Live, batch: Batch) -> IndexChangedParams {
    let watcher = live.watcher.clone();
    let index = live.index.clone();
    let prepared = tokio::task::spawn_blocking(move || prepare(&index, &watcher.plan(&batch))).await;
    let Prepared { mut todo, removed, unchanged } = match prepared {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("planning a batch of file changes failed: {e}");
            return IndexChangedParams::default();
        }
    };
    let todo_paths: Vec<PathBuf> = todo.iter().map(|c| c.path.clone()).collect();
    let large = todo.len() >= LARGE_BATCH && live.progress_supported;
    let title = format!("symdex: reindexing {} changed files", todo.len());
    let ongoing =
        if large { begin_progress(&live.client, "symdex/reindex".to_owned(), title.clone()).await } else { None };
    let (tx, rx) = mpsc::unbounded_channel::<Step>();
    let work = {
        let (index, config, cancel, racy) =
            (live.index.clone(), live.scan_config.clone(), live.cancel.clone(), live.racy.clone());
        tokio::task::spawn_blocking(move || {
            let changed = Mutex::new(Vec::new());
            let same = std::sync::atomic::AtomicUsize::new(0);
            let indexed = Mutex::new(HashSet::new());
            let sink = |file: IndexedFile| {
                racy.note(&file.path, &file.stamp);
                indexed.lock().unwrap_or_else(|p| p.into_inner()).insert(file.path.clone());
                let before = index.file(&file.path).map(|f| f.stamp.hash);
                let path = file.path.clone();
                let content_changed = before != Some(file.stamp.hash);
                let applied = index.upsert(file.into_update());
                if applied && content_changed {
                    changed.lock().unwrap_or_else(|p| p.into_inner()).push(path);
                } else {
                    same.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            };
            let progress = |p: Progress| {
                let _ = tx.send(p.into());
            };
            let mut stats = ScanStats::default();
            let reuse = Indexed { index: &index };
            scanner::index_files(&mut todo, &config, &cancel, &reuse, &sink, &progress, &mut stats);
            // A file that could not be indexed (now binary, unreadable, unparsable) is gone.
            let indexed = indexed.into_inner().unwrap_or_else(|p| p.into_inner());
            let mut dropped = Vec::new();
            if !cancel.is_cancelled() {
                for c in todo.iter().filter(|c| !indexed.contains(&c.path)) {
                    if index.file(&c.path).is_some_and(|f| f.origin == Origin::Disk) && index.remove(&c.path) {
                        dropped.push(c.path.clone());
                    }
                }
            }
            (changed.into_inner().unwrap_or_else(|p| p.into_inner()), same.into_inner(), dropped)
        })
    };
    forward_progress(rx, ongoing.as_ref()).await;
    let (changed, same, dropped) = work.await.unwrap_or_else(|e| {
        tracing::error!("reindexing changed files failed: {e}");
        (Vec::new(), 0, Vec::new())
    });
    let mut removed = removed;
    removed.extend(dropped);
    let summary = format!("{} reindexed, {} removed", changed.len(), removed.len());
    if let Some(ongoing) = ongoing {
        ongoing.finish_with_message(summary).await;
    }
    // The store follows content changes and fresh stamps alike (a stamp saved is a read saved).
    let roots = live.roots.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let touched: BTreeSet<PathBuf> =
        todo_paths.iter().chain(&removed).filter_map(|p| roots.iter().find(|r| p.starts_with(r)).cloned()).collect();
    for root in touched {
        let _ = live.saver.send(SaveRequest::Dirty(root));
    }
    IndexChangedParams {
        reindexed: changed.len(),
        unchanged: unchanged + same,
        removed: removed.len(),
        uris: changed.iter().chain(&removed).take(LISTED_PATHS).filter_map(|p| super::proto::uri(p)).collect(),
        files: live.index.file_count(),
    }
}

/// Applies a plan's removals and keeps only the files whose stamp differs from the indexed one.
fn prepare(index: &Index, plan: &Plan) -> Prepared {
    let mut removed = Vec::new();
    let mut remove = |path: &Path| {
        if index.file(path).is_some_and(|f| f.origin == Origin::Disk) && index.remove(path) {
            removed.push(path.to_path_buf());
        }
    };
    let dirs: HashSet<&Path> = plan.gone.iter().filter(|g| g.was_dir).map(|g| g.path.as_path()).collect();
    let synced: HashSet<&Path> = plan.synced.iter().map(PathBuf::as_path).collect();
    for gone in plan.gone.iter().filter(|g| !g.was_dir) {
        remove(&gone.path);
    }
    if !dirs.is_empty() || !synced.is_empty() {
        let keep: HashSet<&Path> = plan.files.iter().map(|c| c.path.as_path()).collect();
        for file in index.files() {
            let path = &*file.path;
            let under = |set: &HashSet<&Path>| path.ancestors().any(|a| set.contains(a));
            if under(&dirs) || (under(&synced) && !keep.contains(path)) {
                remove(path);
            }
        }
    }
    let mut unchanged = 0;
    let todo = plan
        .files
        .iter()
        .filter(|c| match index.file(&c.path) {
            // Open documents win: the editor's buffer is the truth.
            Some(f) if f.origin == Origin::Editor => false,
            // An equal size and mtime prove nothing for a file modified moments ago (a rename
            // over a file written in the same timestamp tick): those go on to the hash check.
            Some(f)
                if f.stamp.hash != [0; 32]
                    && f.stamp.size == c.size
                    && f.stamp.mtime_ns == c.mtime_ns
                    && !crate::cache::is_racy(c.mtime_ns) =>
            {
                unchanged += 1;
                false
            }
            _ => true,
        })
        .cloned()
        .collect();
    Prepared { todo, removed, unchanged }
}

/// Reuse of what the live index holds: a file whose content hash is the indexed one keeps its
/// symbols (a `touch`, a checkout that restores the same bytes, a save without changes).
struct Indexed<'a> {
    index: &'a Index,
}

impl Reuse for Indexed<'_> {
    fn reuse(&self, candidate: &Candidate) -> Option<IndexedFile> {
        let file = self.index.file(&candidate.path)?;
        if file.origin != Origin::Disk || file.stamp.hash == [0; 32] || file.stamp.size != candidate.size {
            return None;
        }
        let bytes = std::fs::read(&candidate.path).ok()?;
        if blake3::hash(&bytes).as_bytes() != &file.stamp.hash {
            return None;
        }
        let mut stamp = file.stamp;
        stamp.mtime_ns = candidate.mtime_ns;
        Some(IndexedFile {
            path: candidate.path.clone(),
            lang: file.lang,
            symbols: file.symbols.clone(),
            stamp,
            stored: None,
        })
    }
}

/// Writes stores: at once after an indexing run, a little after changes settle, and on flush.
pub(super) async fn save_stores(live: Live, mut requests: mpsc::UnboundedReceiver<SaveRequest>) {
    let Some(cache) = live.cache.clone() else {
        // No cache: answer flushes, ignore the rest.
        while let Some(request) = requests.recv().await {
            if let SaveRequest::Flush(done) = request {
                let _ = done.send(());
            }
        }
        return;
    };
    let mut dirty: BTreeSet<PathBuf> = BTreeSet::new();
    let mut since: Option<Instant> = None;
    loop {
        let request = match since {
            None => requests.recv().await,
            Some(first) => {
                let wait = SAVE_QUIET.min(SAVE_MAX_DELAY.saturating_sub(first.elapsed()));
                match tokio::time::timeout(wait, requests.recv()).await {
                    Ok(request) => request,
                    Err(_) => {
                        save(&live, &cache, std::mem::take(&mut dirty)).await;
                        since = None;
                        continue;
                    }
                }
            }
        };
        match request {
            None => {
                save(&live, &cache, std::mem::take(&mut dirty)).await;
                return;
            }
            Some(SaveRequest::Dirty(root)) => {
                dirty.insert(root);
                since.get_or_insert_with(Instant::now);
            }
            Some(SaveRequest::Now(root)) => {
                dirty.remove(&root);
                save(&live, &cache, [root].into()).await;
            }
            Some(SaveRequest::Flush(done)) => {
                save(&live, &cache, std::mem::take(&mut dirty)).await;
                since = None;
                let _ = done.send(());
            }
        }
        if dirty.is_empty() {
            since = None;
        }
    }
}

async fn save(live: &Live, cache: &Arc<Cache>, roots: BTreeSet<PathBuf>) {
    for root in roots {
        let (index, cache, racy, at) = (live.index.clone(), cache.clone(), live.racy.clone(), root.clone());
        let saved = tokio::task::spawn_blocking(move || save_root(&index, &cache, &racy, &at)).await;
        match saved {
            Ok(Ok(saved)) => {
                let mut status = live.status.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(s) = status.iter_mut().find(|s| s.root == root) {
                    if let Some(cache) = &mut s.cache {
                        cache.saved_files = saved.files;
                        cache.save_time = saved.time;
                    }
                }
            }
            Ok(Err(e)) => {
                // Said once loudly (a read-only cache directory would say it at every change).
                static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
                if WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    tracing::debug!("cannot write the index store: {e}");
                } else {
                    tracing::warn!("cannot write the index store: {e}");
                }
            }
            Err(e) => tracing::error!("writing the index store failed: {e}"),
        }
    }
}

fn save_root(
    index: &Index,
    cache: &Cache,
    racy: &Racy,
    root: &Path,
) -> Result<crate::cache::Saved, crate::cache::CacheError> {
    let files = index.files();
    cache.save(root, files.iter().map(|f| &**f), racy)
}
