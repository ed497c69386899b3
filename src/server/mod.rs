//! The language server: the only module that knows LSP.
//!
//! [`Backend`] holds shared state; each LSP method lives in its own file and converts at the edge
//! (`proto`). Notifications that mutate documents (`didOpen`/`didChange`/`didClose`) do all their
//! work before their first `.await`, so edits apply in arrival order even though tower-lsp runs
//! handlers concurrently. Requests only read, never hold a map guard across `.await`, and are safe
//! to drop (cancel) at any `.await`.

mod documents;
mod framing;
mod indexing;
mod navigation;
pub mod proto;
mod symbols;
mod watch;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use dashmap::DashMap;
use serde_json::Value;
use tower_lsp_server::jsonrpc::{self, Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

use crate::cache::{Cache, Racy};
use crate::config::Config;
use crate::document::{Document, Encoding};
use crate::index::Index;
use crate::scanner::{CancelToken, ScanConfig};
use crate::watcher::Watcher;

pub use indexing::{RootStatus, SERVED};
pub use watch::{IndexChanged, IndexChangedParams};

/// Commands served through `workspace/executeCommand`.
pub const COMMAND_STATUS: &str = "symdex.status";
pub const COMMAND_REINDEX: &str = "symdex.reindex";
/// Every indexed symbol, sorted (for tests and debugging; small workspaces only).
pub const COMMAND_DUMP: &str = "symdex.dump";

/// Runs `f` on the blocking pool, off the async threads; a panic there becomes an internal error.
/// Dropping the returned future (a cancelled request) discards the answer.
async fn off_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> Result<R> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        let mut error = Error::internal_error();
        error.message = e.to_string().into();
        error
    })
}

/// Runs the server on stdin/stdout until `exit`.
pub async fn run_stdio(config: Config) {
    let stdin = framing::sanitize(tokio::io::stdin());
    let stdout = tokio::io::stdout();
    let (service, socket) = LspService::build(|client| Backend::new(client, config))
        .custom_method(framing::MALFORMED, Backend::malformed_message)
        .finish();
    Server::new(stdin, stdout, socket).serve(CatchPanic(service)).await;
}

/// The panic boundary around every request and notification: a handler that panics answers its
/// request with an internal error (a notification is dropped) and the server goes on. Without it
/// the panic would unwind through the transport's loop, which runs every handler, and end the
/// process. (The heavy work runs in `off_thread`, whose panics are errors already; the state a
/// handler leaves behind stays usable: locks are taken with `unwrap_or_else(into_inner)`.)
struct CatchPanic<S>(S);

impl<S> tower::Service<jsonrpc::Request> for CatchPanic<S>
where
    S: tower::Service<jsonrpc::Request, Response = Option<jsonrpc::Response>>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = Option<jsonrpc::Response>;
    type Error = S::Error;
    type Future = futures::future::BoxFuture<'static, std::result::Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::result::Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: jsonrpc::Request) -> Self::Future {
        use futures::FutureExt;
        let (method, id) = (request.method().to_owned(), request.id().cloned());
        // A panic while the handler is called (before its future exists) is caught too.
        let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.0.call(request)));
        Box::pin(async move {
            let answered = match called {
                Ok(future) => std::panic::AssertUnwindSafe(future).catch_unwind().await,
                Err(panic) => Err(panic),
            };
            answered.unwrap_or_else(|panic| {
                let what = panic_message(&*panic);
                tracing::error!("{method} failed: {what}");
                let mut error = Error::internal_error();
                error.message = format!("symdex: {method} failed: {what}").into();
                Ok(id.map(|id| jsonrpc::Response::from_error(id, error)))
            })
        })
    }
}

/// What a panic said, when it said it with a string.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic")
}

/// Shared server state.
pub struct Backend {
    client: Client,
    index: Arc<Index>,
    /// Open documents by URI.
    docs: DashMap<Uri, Document>,
    config: OnceLock<Config>,
    default_config: Config,
    encoding: OnceLock<Encoding>,
    client_caps: OnceLock<ClientCapabilities>,
    roots: Arc<Mutex<Vec<PathBuf>>>,
    cancel: CancelToken,
    status: Arc<Mutex<Vec<RootStatus>>>,
    /// Held by the running indexing task or watcher batch: runs queue up instead of overlapping.
    indexing: Arc<tokio::sync::Mutex<()>>,
    racy: Arc<Racy>,
    /// The background machinery, set up by `initialize` once the configuration is known.
    live: OnceLock<Live>,
}

/// What background tasks (indexing runs, watcher batches, the store writer) share.
#[derive(Clone)]
pub(crate) struct Live {
    client: Client,
    index: Arc<Index>,
    cancel: CancelToken,
    indexing: Arc<tokio::sync::Mutex<()>>,
    scan_config: ScanConfig,
    progress_supported: bool,
    cache: Option<Arc<Cache>>,
    racy: Arc<Racy>,
    saver: tokio::sync::mpsc::UnboundedSender<watch::SaveRequest>,
    watcher: Arc<Watcher>,
    roots: Arc<Mutex<Vec<PathBuf>>>,
    status: Arc<Mutex<Vec<RootStatus>>>,
}

impl Backend {
    fn new(client: Client, config: Config) -> Self {
        Self {
            client,
            index: Arc::new(Index::new()),
            docs: DashMap::new(),
            config: OnceLock::new(),
            default_config: config,
            encoding: OnceLock::new(),
            client_caps: OnceLock::new(),
            roots: Arc::new(Mutex::new(Vec::new())),
            cancel: CancelToken::new(),
            status: Arc::new(Mutex::new(Vec::new())),
            indexing: Arc::new(tokio::sync::Mutex::new(())),
            racy: Arc::new(Racy::new()),
            live: OnceLock::new(),
        }
    }

    /// Whether the client accepts server-initiated `$/progress`.
    fn progress_supported(&self) -> bool {
        self.client_caps.get().and_then(|c| c.window.as_ref()).and_then(|w| w.work_done_progress).unwrap_or(false)
    }

    /// Starts the watcher, the batch applier and the store writer for `config`.
    fn start_live(&self, config: &Config) {
        let cache = Cache::resolve(config.cache_dir.as_deref()).map(Arc::new);
        match &cache {
            Some(cache) => tracing::info!("index store: {}", cache.dir().display()),
            None => tracing::warn!("no cache directory: the index will not persist"),
        }
        let scan_config = ScanConfig::from_config(config);
        let (batches, batch_rx) = tokio::sync::mpsc::unbounded_channel();
        let watcher = Watcher::start(scan_config.clone(), move |batch| {
            let _ = batches.send(batch);
        });
        let (saver, save_rx) = tokio::sync::mpsc::unbounded_channel();
        let progress_supported = self.progress_supported();
        let live = Live {
            client: self.client.clone(),
            index: self.index.clone(),
            cancel: self.cancel.clone(),
            indexing: self.indexing.clone(),
            scan_config,
            progress_supported,
            cache,
            racy: self.racy.clone(),
            saver,
            watcher,
            roots: self.roots.clone(),
            status: self.status.clone(),
        };
        tokio::spawn(watch::apply_batches(live.clone(), batch_rx));
        tokio::spawn(watch::save_stores(live.clone(), save_rx));
        let _ = self.live.set(live);
    }

    fn config(&self) -> &Config {
        self.config.get().unwrap_or(&self.default_config)
    }

    fn encoding(&self) -> Encoding {
        self.encoding.get().copied().unwrap_or_default()
    }

    fn roots(&self) -> Vec<PathBuf> {
        self.roots.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// A message the client sent could not be read (see `framing`): tell the user.
    async fn malformed_message(&self, params: Value) {
        let why = params["error"].as_str().unwrap_or("unreadable message").to_owned();
        self.client.show_message(MessageType::ERROR, format!("symdex: ignored a malformed message: {why}")).await;
    }

    fn status(&self) -> Value {
        let scans = self.status.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let live = self.live.get();
        serde_json::json!({
            "files": self.index.file_count(),
            "symbols": self.index.symbol_count(),
            "openDocuments": self.docs.len(),
            "roots": self.roots(),
            "scans": scans,
            "cacheDir": live.and_then(|l| l.cache.as_ref()).map(|c| c.dir().to_path_buf()),
            "watch": live.map(|l| serde_json::json!({"inotify": l.watcher.is_live(), "dirs": l.watcher.watched_dirs()})),
        })
    }

    /// Every symbol in the index as `[path, name, kind, role, line, column]`, sorted.
    fn dump(&self) -> Value {
        let mut rows: Vec<(String, &'static str, &'static str, String, u32, u32)> = Vec::new();
        for file in self.index.files() {
            for s in file.symbols.iter() {
                let path = file.path.display().to_string();
                let at = s.name_range.start;
                rows.push((path, s.name.as_str(), s.kind.label(), format!("{:?}", s.role), at.line, at.col));
            }
        }
        rows.sort();
        serde_json::to_value(rows).unwrap_or_default()
    }
}

fn negotiate_encoding(caps: &ClientCapabilities) -> Encoding {
    let offered = caps.general.as_ref().and_then(|g| g.position_encodings.as_ref());
    match offered {
        Some(list) if list.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
        _ => Encoding::Utf16,
    }
}

fn workspace_roots(params: &InitializeParams) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> =
        params.workspace_folders.iter().flatten().filter_map(|f| proto::path(&f.uri)).collect();
    if roots.is_empty() {
        #[allow(deprecated)] // rootUri/rootPath are the fallback the spec keeps for old clients
        let fallback =
            params.root_uri.as_ref().and_then(proto::path).or_else(|| params.root_path.as_ref().map(PathBuf::from));
        roots.extend(fallback);
    }
    roots
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let mut config = self.default_config.clone();
        if let Some(options) = params.initialization_options.clone() {
            match serde_json::from_value::<Config>(options) {
                Ok(c) => config = c,
                Err(e) => tracing::warn!("ignoring invalid initializationOptions: {e}"),
            }
        }
        crate::cli::set_log_level(&config.log_level);
        let encoding = negotiate_encoding(&params.capabilities);
        let _ = self.config.set(config);
        let _ = self.encoding.set(encoding);
        let _ = self.client_caps.set(params.capabilities.clone());
        *self.roots.lock().unwrap_or_else(|p| p.into_inner()) = workspace_roots(&params);
        self.start_live(self.config());
        tracing::info!(?encoding, roots = ?self.roots(), "initialize");
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(match encoding {
                    Encoding::Utf8 => PositionEncodingKind::UTF8,
                    Encoding::Utf16 => PositionEncodingKind::UTF16,
                }),
                text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                    ..Default::default()
                })),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                document_symbol_provider: Some(OneOf::Left(true)),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: vec![COMMAND_STATUS.to_owned(), COMMAND_REINDEX.to_owned(), COMMAND_DUMP.to_owned()],
                    ..Default::default()
                }),
                workspace: Some(WorkspaceServerCapabilities {
                    workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                        supported: Some(true),
                        change_notifications: Some(OneOf::Left(true)),
                    }),
                    file_operations: None,
                }),
                ..Default::default()
            },
            server_info: Some(ServerInfo { name: "symdex".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let roots = self.roots();
        // Indexing runs in the background; requests are answered from what is indexed so far.
        drop(self.index_roots(roots, true));
        self.register_file_watching();
    }

    async fn shutdown(&self) -> Result<()> {
        self.cancel.cancel();
        // Let the running indexing task stop (between files) and queue its store, then write
        // what is pending.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), self.indexing.lock()).await;
        self.flush_cache().await;
        Ok(())
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        let removed: Vec<PathBuf> = params.event.removed.iter().filter_map(|f| proto::path(&f.uri)).collect();
        let added: Vec<PathBuf> = params.event.added.iter().filter_map(|f| proto::path(&f.uri)).collect();
        {
            let mut roots = self.roots.lock().unwrap_or_else(|p| p.into_inner());
            roots.retain(|r| !removed.contains(r));
            roots.extend(added.iter().cloned());
        }
        for dir in &removed {
            if let Some(live) = self.live.get() {
                live.watcher.remove_root(dir);
            }
            if self.roots().iter().any(|r| dir.starts_with(r)) {
                continue; // still inside another folder
            }
            let n = self.index.remove_under(dir);
            tracing::info!("workspace folder {} removed: {n} files dropped", dir.display());
        }
        drop(self.index_roots(added, true));
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        self.open_document(params);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        self.change_document(params);
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        self.close_document(params);
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        self.watched_files_changed(params);
    }

    async fn symbol(&self, params: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        self.workspace_symbol(params).await
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        self.document_symbols(params)
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        self.definition(params)
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        self.find_references(params).await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        self.hover_info(params)
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        match params.command.as_str() {
            COMMAND_STATUS => Ok(Some(self.status())),
            COMMAND_REINDEX => {
                let roots = self.roots();
                // Waiting for the task is cancellable; the indexing itself goes on.
                let _ = self.index_roots(roots, false).await;
                Ok(Some(self.status()))
            }
            COMMAND_DUMP => Ok(Some(self.dump())),
            other => Err(Error::invalid_params(format!("unknown command {other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use tower::{Service, ServiceExt};

    use super::*;

    #[tokio::test]
    async fn a_handler_that_panics_answers_with_an_internal_error_and_the_server_goes_on() {
        let handler = tower::service_fn(|request: jsonrpc::Request| async move {
            match request.method() {
                "late" => panic!("late {}", 1),
                "early" => unreachable!(),
                _ => {}
            }
            Ok::<_, std::convert::Infallible>(
                request.id().cloned().map(|id| jsonrpc::Response::from_ok(id, Value::Null)),
            )
        });
        // Also a panic in `call` itself, before the handler's future exists.
        let mut service = CatchPanic(tower::service_fn(move |request: jsonrpc::Request| {
            assert_ne!(request.method(), "in call");
            handler.oneshot(request)
        }));
        for (method, message) in [("late", "late 1"), ("early", "internal error"), ("in call", "assertion")] {
            let request = jsonrpc::Request::build(method).id(7).finish();
            let answer = service.ready().await.unwrap().call(request).await.unwrap().expect("an answer");
            let (id, body) = answer.into_parts();
            assert_eq!(id, jsonrpc::Id::Number(7));
            let error = body.expect_err("an error");
            assert_eq!(error.code, jsonrpc::ErrorCode::InternalError);
            assert!(error.message.contains(method) && error.message.contains(message), "{}", error.message);
        }
        // A notification that panics has nothing to answer.
        let notification = jsonrpc::Request::build("late").finish();
        assert!(service.ready().await.unwrap().call(notification).await.unwrap().is_none());
        let request = jsonrpc::Request::build("fine").id(8).finish();
        let answer = service.ready().await.unwrap().call(request).await.unwrap().expect("an answer");
        assert!(answer.is_ok());
    }
}
