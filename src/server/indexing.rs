//! Background indexing of workspace folders, reported with `$/progress`.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tower_lsp_server::ls_types::{MessageType, ProgressToken};

use super::Backend;
use crate::index::{FileUpdate, Origin};
use crate::scanner::{self, CancelToken, NoReuse, Progress, ScanConfig, ScanStats};

impl Backend {
    /// Indexes `roots` on a background task (one at a time), returning its handle.
    pub(super) fn index_roots(&self, roots: Vec<PathBuf>) -> JoinHandle<()> {
        let cancel = self.cancel.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let client = self.client.clone();
        let index = self.index.clone();
        let scan_config = ScanConfig::from_config(self.config());
        let last_stats = self.last_stats.clone();
        let lock = self.indexing.clone();
        let progress_supported =
            self.client_caps.get().and_then(|c| c.window.as_ref()).and_then(|w| w.work_done_progress).unwrap_or(false);
        tokio::spawn(async move {
            let _running = lock.lock().await;
            for root in roots {
                if cancel.is_cancelled() {
                    break;
                }
                let stats = index_root(&client, &index, &root, &scan_config, &cancel, progress_supported).await;
                let mut all = last_stats.lock().unwrap_or_else(|p| p.into_inner());
                all.retain(|(r, _)| r != &root);
                all.push((root, stats));
            }
        })
    }
}

async fn index_root(
    client: &tower_lsp_server::Client,
    index: &Arc<crate::index::Index>,
    root: &std::path::Path,
    config: &ScanConfig,
    cancel: &CancelToken,
    progress_supported: bool,
) -> ScanStats {
    let title = format!("symdex: indexing {}", root.display());
    let (tx, mut rx) = mpsc::unbounded_channel::<Progress>();
    let scan = {
        let (index, root, config, cancel) = (index.clone(), root.to_path_buf(), config.clone(), cancel.clone());
        tokio::task::spawn_blocking(move || {
            let sink = |file: scanner::IndexedFile| {
                index.upsert(FileUpdate {
                    path: file.path,
                    lang: file.lang,
                    symbols: file.symbols,
                    origin: Origin::Disk,
                    stamp: file.stamp,
                });
            };
            let progress = |p: Progress| {
                let _ = tx.send(p);
            };
            scanner::scan(&root, &config, &cancel, &NoReuse, &sink, &progress)
        })
    };
    let ongoing = if progress_supported {
        let token = ProgressToken::String(format!("symdex/index/{}", root.display()));
        match client.create_work_done_progress(token.clone()).await {
            Ok(()) => Some(client.progress(token, title.clone()).with_percentage(0).begin().await),
            Err(e) => {
                tracing::debug!("client refused a progress token: {e}");
                None
            }
        }
    } else {
        None
    };
    // The sender is dropped when the scan ends, which ends this loop.
    while let Some(p) = rx.recv().await {
        if let Some(ongoing) = &ongoing {
            let percent = (p.done * 100).checked_div(p.total).unwrap_or(100) as u32;
            ongoing.report_with_message(format!("{}/{} files", p.done, p.total), percent).await;
        }
    }
    let stats = match scan.await {
        Ok(stats) => stats,
        Err(e) => {
            tracing::error!("indexing {} failed: {e}", root.display());
            ScanStats::default()
        }
    };
    let summary = format!(
        "{} files, {} symbols in {:.2}s ({} skipped, {} errors){}",
        stats.files_indexed,
        stats.symbols,
        stats.total_time.as_secs_f64(),
        stats.skipped.binary
            + stats.skipped.too_large
            + stats.skipped.unreadable
            + stats.skipped.symlink
            + stats.skipped.parse_timeout,
        stats.errors,
        if stats.cancelled { ", cancelled" } else { "" }
    );
    tracing::info!("{title}: {summary}");
    match ongoing {
        Some(ongoing) => ongoing.finish_with_message(summary).await,
        None => client.log_message(MessageType::INFO, format!("{title}: {summary}")).await,
    }
    stats
}
