//! Background indexing of workspace folders, warm-started from the persistent store and reported
//! with `$/progress`.
//!
//! For each root: its store loads first and its files are served to the index (queries are
//! answered from them at once); then the walk watches each directory as it enters it (so nothing
//! changed during the scan is missed) and checks the served files, and only files whose stamp
//! changed are parsed; then the store is written again, off the lock.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tower_lsp_server::ls_types::{MessageType, ProgressToken};
use tower_lsp_server::{Bounded, NotCancellable, OngoingProgress};

use super::watch::SaveRequest;
use super::{proto, Backend, Live};
use crate::cache::{CacheStats, LoadStatus, Warm};
use crate::index::Origin;
use crate::scanner::{self, Progress, ScanStats};

/// What the last indexing run of a root did.
#[derive(Clone, Debug, Serialize)]
pub struct RootStatus {
    pub root: PathBuf,
    pub stats: ScanStats,
    /// `None` without a cache directory.
    pub cache: Option<CacheStats>,
    /// Directories watched under the root.
    pub watched_dirs: usize,
}

impl Backend {
    /// Indexes `roots` on a background task (one run at a time), returning its handle. With
    /// `warm`, symbols of unchanged files come from the store; without, every file is parsed.
    pub(super) fn index_roots(&self, roots: Vec<PathBuf>, warm: bool) -> JoinHandle<()> {
        let Some(live) = self.live.get().cloned() else { return tokio::spawn(async {}) };
        // Files next to the documents the user has open are indexed first.
        let near: Vec<PathBuf> =
            self.docs.iter().filter_map(|d| proto::path(d.key())?.parent().map(Path::to_path_buf)).collect();
        tokio::spawn(async move {
            let _running = live.indexing.lock().await;
            for root in roots {
                if live.cancel.is_cancelled() {
                    break;
                }
                index_root(&live, &root, warm, &near).await;
            }
        })
    }
}

async fn index_root(live: &Live, root: &Path, warm: bool, near: &[PathBuf]) {
    let started = Instant::now();
    let title = format!("symdex: indexing {}", root.display());
    // The store loads first, serving its files to the index as it reads them; the walk that
    // follows watches the directories as it enters them and checks the served files.
    // Files indexed before (a reindex): those the scan does not find again are gone.
    let had_files = live.index.files().iter().any(|f| f.path.starts_with(root));
    let (tx, rx) = mpsc::unbounded_channel::<Step>();
    let scan = {
        let (index, racy, cache, watcher) =
            (live.index.clone(), live.racy.clone(), live.cache.clone(), live.watcher.clone());
        let (root, mut config, cancel) = (root.to_path_buf(), live.scan_config.clone(), live.cancel.clone());
        config.priority_dirs = near.to_vec();
        tokio::task::spawn_blocking(move || {
            let seen: Mutex<HashSet<PathBuf>> = Mutex::new(HashSet::new());
            let sink = |file: scanner::IndexedFile| {
                racy.note(&file.path, &file.stamp);
                if had_files {
                    seen.lock().unwrap_or_else(|p| p.into_inner()).insert(file.path.clone());
                }
                index.upsert(file.into_update());
            };
            let progress = |p: Progress| {
                let _ = tx.send(Step::Files(p));
            };
            let load = |serving: &scanner::Serving<'_>| match &cache {
                Some(cache) if warm => cache.load_into(&root, &index, serving),
                _ => Warm::empty(),
            };
            let watching = watcher.walking(&root);
            let enter = |dir: &Path| watching.enter(dir);
            let prepare = |store: &Warm| {
                store.prepare(&index);
                let served = store.served();
                if served > 0 {
                    let _ = tx.send(Step::Served(served));
                }
            };
            let take = |path: &Path| index.take_disk(path);
            let target = scanner::Target { add: &sink, take: &take };
            let (stats, store) =
                scanner::scan_loading(&root, &config, &cancel, load, &enter, prepare, &target, &progress);
            let watched_dirs = watching.finish(!stats.cancelled);
            tracing::debug!("{}: watching {watched_dirs} directories; {:?}", root.display(), started.elapsed());
            index.settle();
            if had_files && !stats.cancelled {
                let seen = seen.into_inner().unwrap_or_else(|p| p.into_inner());
                for file in index.files() {
                    if file.path.starts_with(&root) && file.origin == Origin::Disk && !seen.contains(&*file.path) {
                        index.remove(&file.path);
                    }
                }
            }
            (stats, store.stats(), watched_dirs)
        })
    };
    let ongoing = if live.progress_supported {
        begin_progress(&live.client, format!("symdex/index/{}", root.display()), title.clone()).await
    } else {
        None
    };
    forward_progress(rx, ongoing.as_ref()).await;
    let (stats, store_stats, watched_dirs) = match scan.await {
        Ok(done) => done,
        Err(e) => {
            tracing::error!("indexing {} failed: {e}", root.display());
            (ScanStats::default(), Warm::empty().stats(), 0)
        }
    };
    let cache = live.cache.as_ref().map(|_| store_stats);
    let summary = summary(&stats, cache.as_ref(), started.elapsed().as_secs_f64());
    tracing::info!("{title}: {summary}");
    // A cancelled run still saves what it parsed, unless that would replace a good store.
    let loaded = cache.as_ref().is_some_and(|c| c.status == LoadStatus::Loaded);
    let current = cache.as_ref().is_some_and(CacheStats::store_is_current);
    let save = !current && (!stats.cancelled || !loaded);
    // Recorded before the end is reported, so that a status request after it sees this run.
    {
        let mut all = live.status.lock().unwrap_or_else(|p| p.into_inner());
        all.retain(|s| s.root != root);
        all.push(RootStatus { root: root.to_path_buf(), stats, cache, watched_dirs });
    }
    match ongoing {
        Some(ongoing) => ongoing.finish_with_message(summary).await,
        None => live.client.log_message(MessageType::INFO, format!("{title}: {summary}")).await,
    }
    if save {
        let _ = live.saver.send(SaveRequest::Now(root.to_path_buf()));
    }
}

/// The one-line account of an indexing run (the `$/progress` end message).
fn summary(stats: &ScanStats, cache: Option<&CacheStats>, secs: f64) -> String {
    let skipped = stats.skipped.binary
        + stats.skipped.too_large
        + stats.skipped.unreadable
        + stats.skipped.symlink
        + stats.skipped.parse_timeout;
    let cache = match cache {
        Some(c) => format!("cache: {} hits, {} stale, {} misses; ", c.hits, c.stale, c.misses),
        None => String::new(),
    };
    format!(
        "{} files, {} symbols in {secs:.2}s ({cache}{skipped} skipped, {} errors){}",
        stats.files_indexed,
        stats.symbols,
        stats.errors,
        if stats.cancelled { ", cancelled" } else { "" }
    )
}

/// Starts a `$/progress` with a percentage, if the client accepts the token.
pub(super) async fn begin_progress(
    client: &tower_lsp_server::Client,
    token: String,
    title: String,
) -> Option<OngoingProgress<Bounded, NotCancellable>> {
    let token = ProgressToken::String(token);
    match client.create_work_done_progress(token.clone()).await {
        Ok(()) => Some(client.progress(token, title).with_percentage(0).begin().await),
        Err(e) => {
            tracing::debug!("client refused a progress token: {e}");
            None
        }
    }
}

/// What an indexing run reports as it goes.
pub(super) enum Step {
    /// This many files were served from the store: queries are answered from them while the
    /// walk checks them (the message says [`SERVED`]).
    Served(usize),
    Files(Progress),
}

impl From<Progress> for Step {
    fn from(p: Progress) -> Step {
        Step::Files(p)
    }
}

/// What the `$/progress` report after a store's files were served says after their count: a
/// client may take it as the moment queries are answered.
pub const SERVED: &str = "files served from the store; checking the tree";

/// Forwards progress until the sender is dropped (the work ended).
pub(super) async fn forward_progress(
    mut rx: mpsc::UnboundedReceiver<Step>,
    ongoing: Option<&OngoingProgress<Bounded, NotCancellable>>,
) {
    while let Some(step) = rx.recv().await {
        let Some(ongoing) = ongoing else { continue };
        match step {
            Step::Served(files) => ongoing.report_with_message(format!("{files} {SERVED}"), 0).await,
            Step::Files(p) => {
                let percent = (p.done * 100).checked_div(p.total).unwrap_or(100) as u32;
                ongoing.report_with_message(format!("{}/{} files", p.done, p.total), percent).await;
            }
        }
    }
}
