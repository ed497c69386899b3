//! `didOpen` / `didChange` / `didClose`: the ordered mutations (file events are in `watch`).
//!
//! Each handler does all of its work synchronously (no `.await`), so edits apply in the order the
//! editor sent them; the file's symbols in the index are replaced before the handler returns, so
//! the very next request sees them.

use std::sync::Mutex;

use tower_lsp_server::ls_types::*;

use super::{proto, Backend};
use crate::document::{Change, Document};
use crate::index::{FileUpdate, Origin, Stamp};
use crate::lang::Lang;
use crate::parser::{self, Extractor};
use crate::scanner;

/// Parsers for the edits (made one at a time, in order, whichever runtime thread runs the handler:
/// one extractor keeps its parsers warm for the next keystroke).
static EXTRACTOR: Mutex<Option<Extractor>> = Mutex::new(None);

/// Runs `f` with the edits' extractor.
pub(super) fn with_extractor<R>(f: impl FnOnce(&mut Extractor) -> R) -> R {
    let mut guard = EXTRACTOR.lock().unwrap_or_else(|p| p.into_inner());
    f(guard.get_or_insert_with(Extractor::new))
}

impl Backend {
    pub(super) fn open_document(&self, params: DidOpenTextDocumentParams) {
        let item = params.text_document;
        let path = proto::path(&item.uri);
        let lang = path.as_deref().and_then(Lang::from_path).or_else(|| lang_of_id(&item.language_id));
        if let Some(lang) = lang {
            // Built once per language and process, off this thread: typing needs it next.
            tokio::task::spawn_blocking(move || parser::prepare_edits(lang));
        }
        let doc = with_extractor(|ex| Document::open(&item.text, lang, item.version, ex));
        self.publish(&item.uri, &doc);
        self.docs.insert(item.uri, doc);
    }

    pub(super) fn change_document(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let Some(mut doc) = self.docs.get_mut(&uri) else {
            tracing::warn!("didChange for a document that is not open: {}", uri.as_str());
            return;
        };
        let changes: Vec<Change> = params
            .content_changes
            .into_iter()
            .map(|c| Change {
                range: c.range.map(|r| (proto::line_col(r.start), proto::line_col(r.end))),
                text: c.text,
            })
            .collect();
        let encoding = self.encoding();
        // Typing often moves no symbol (at the end of a line, in a comment): the index has them.
        if with_extractor(|ex| doc.apply(&changes, params.text_document.version, encoding, ex)) {
            self.publish(&uri, &doc);
        }
    }

    pub(super) fn close_document(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        if self.docs.remove(&uri).is_none() {
            tracing::warn!("didClose for a document that is not open: {}", uri.as_str());
        }
        let Some(path) = proto::path(&uri) else { return };
        // The disk is the truth again.
        self.index.release(&path);
        self.refresh_from_disk(&path);
    }

    /// Re-reads one file from disk into the index (or drops it if it is gone or no longer indexable).
    pub(super) fn refresh_from_disk(&self, path: &std::path::Path) {
        let max = self.config().max_file_size;
        match with_extractor(|ex| scanner::index_path(ex, path, max)) {
            Ok(file) => {
                self.racy.note(&file.path, &file.stamp);
                self.index.upsert(file.into_update());
            }
            Err(skip) => {
                tracing::debug!("not indexed: {skip}");
                self.index.remove(path);
            }
        }
    }

    /// Puts an open document's symbols in the index (file URIs only).
    fn publish(&self, uri: &Uri, doc: &Document) {
        let (Some(path), Some(lang)) = (proto::path(uri), doc.lang) else { return };
        self.index.upsert(FileUpdate {
            path,
            lang,
            symbols: crate::index::Symbols::from(doc.symbols.as_slice()),
            origin: Origin::Editor,
            stamp: Stamp { mtime_ns: scanner::now_ns(), ..Stamp::default() },
            stored: None,
        });
    }
}

/// The language of an LSP `languageId`, for documents whose path has no known extension.
fn lang_of_id(id: &str) -> Option<Lang> {
    let lang = match id {
        "shellscript" | "sh" | "bash" => Lang::Bash,
        "c" => Lang::C,
        "cpp" => Lang::Cpp,
        "csharp" => Lang::CSharp,
        "go" => Lang::Go,
        "haskell" => Lang::Haskell,
        "java" => Lang::Java,
        "javascript" | "javascriptreact" => Lang::JavaScript,
        "kotlin" => Lang::Kotlin,
        "lua" => Lang::Lua,
        "php" => Lang::Php,
        "python" => Lang::Python,
        "ruby" => Lang::Ruby,
        "rust" => Lang::Rust,
        "scala" => Lang::Scala,
        "swift" => Lang::Swift,
        "typescriptreact" => Lang::Tsx,
        "typescript" => Lang::TypeScript,
        _ => return None,
    };
    Some(lang)
}
