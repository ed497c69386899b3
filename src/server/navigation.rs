//! `textDocument/definition`, `textDocument/references` and `textDocument/hover`.

use std::path::PathBuf;
use std::sync::Arc;

use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;

use std::sync::atomic::{AtomicU64, Ordering};

use tower_lsp_server::{Bounded, NotCancellable, OngoingProgress};

use super::documents::with_extractor;
use super::indexing::{begin_progress, forward_progress, Step};
use super::{off_thread, proto, Backend};
use crate::document;
use crate::index::{DefinitionQuery, FileEntry, Index, Origin, SymbolRef, Symbols};
use crate::lang::Lang;
use crate::parser::{identifier_at, skip};
use crate::scanner::{self, CancelToken, Progress};
use crate::symbol::Symbol;

/// A file's text and parse, from the open buffer or the disk.
pub(super) struct Source {
    pub path: Option<PathBuf>,
    pub text: String,
    pub tree: Option<tree_sitter::Tree>,
    pub symbols: Vec<Symbol>,
}

pub(super) fn not_a_file(uri: &Uri) -> Error {
    Error::invalid_params(format!("not a file URI: {}", uri.as_str()))
}

impl Backend {
    /// The text and tree of a document: the open buffer, else the file on disk (parsed only when
    /// `parse` is set).
    pub(super) fn source(&self, uri: &Uri, parse: bool) -> Result<Source> {
        if let Some(mut doc) = self.docs.get_mut(uri) {
            with_extractor(|ex| doc.refresh(ex));
            return Ok(Source {
                path: proto::path(uri),
                text: doc.text(),
                tree: doc.tree().cloned(),
                symbols: doc.symbols.clone(),
            });
        }
        let path = proto::path(uri).ok_or_else(|| not_a_file(uri))?;
        let bytes =
            std::fs::read(&path).map_err(|e| Error::invalid_params(format!("cannot read {}: {e}", path.display())))?;
        if bytes.len() as u64 > self.config().max_file_size || crate::scanner::is_binary(&bytes) {
            return Err(Error::invalid_params(format!("{} is binary or too large", path.display())));
        }
        // Valid UTF-8 (nearly every file) is taken as it is read, not copied.
        let text = String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        let (tree, symbols) = match Lang::from_path(&path).filter(|_| parse) {
            Some(lang) => with_extractor(|ex| match ex.parse(lang, text.as_bytes(), None) {
                Ok(tree) => {
                    let symbols = ex.extract(lang, &tree, text.as_bytes());
                    (Some(tree), symbols)
                }
                Err(_) => (None, Vec::new()),
            }),
            None => (None, Vec::new()),
        };
        Ok(Source { path: Some(path), text, tree, symbols })
    }

    /// The name under the cursor and a definition query for it.
    fn query_at(&self, params: &TextDocumentPositionParams) -> Result<Option<DefinitionQuery>> {
        // Files that are not open are not parsed: the name under the cursor is found lexically.
        let source = self.source(&params.text_document.uri, false)?;
        let (offset, at) = document::locate(&source.text, proto::line_col(params.position), self.encoding());
        let name = match &source.tree {
            Some(tree) => identifier_at(tree, source.text.as_bytes(), offset).map(|(name, _)| name),
            None => word_at(&source.text, offset),
        };
        let Some(name) = name else { return Ok(None) };
        Ok(Some(DefinitionQuery {
            name,
            file: source.path.clone(),
            line: at.line,
            col: at.character,
            imports: imports(&source.text),
            limit: self.config().result_limit,
        }))
    }

    pub(super) fn definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let Some(query) = self.query_at(&params.text_document_position_params)? else { return Ok(None) };
        let hits = self.index.resolve(&query);
        let locations = self.locations(&hits);
        Ok((!locations.is_empty()).then_some(GotoDefinitionResponse::Array(locations)))
    }

    pub(super) async fn find_references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let Some(query) = self.query_at(&params.text_document_position)? else { return Ok(None) };
        let index = self.index.clone();
        let (max_file_size, workers) = (self.config().max_file_size, self.config().worker_count());
        let include_declaration = params.context.include_declaration;
        // Reading the files that mention the name can take seconds on a large workspace: reported
        // with `$/progress`, ended even when the request is cancelled.
        let ongoing = if self.progress_supported() {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let token = format!("symdex/references/{}", NEXT.fetch_add(1, Ordering::Relaxed));
            begin_progress(&self.client, token, format!("symdex: references to `{}`", query.name)).await
        } else {
            None
        };
        let ongoing = EndOnDrop(ongoing);
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Step>();
        // Files are read and bodies parsed: off the async threads, and stopped when the request is
        // cancelled (this future dropped).
        let cancel = CancelToken::new();
        let _stop = StopOnDrop(cancel.clone());
        let work = off_thread(move || {
            let progress = |p: Progress| {
                let _ = tx.send(p.into());
            };
            let mut hits = references(&index, &query.name, max_file_size, workers, &cancel, &progress);
            if include_declaration {
                hits.extend(index.definitions_of(&query.name));
            }
            hits
        });
        let (hits, ()) = tokio::join!(work, forward_progress(rx, ongoing.0.as_ref()));
        let locations = self.locations(&hits?);
        ongoing.finish(format!("{} references", locations.len())).await;
        Ok(Some(locations))
    }

    pub(super) fn hover_info(&self, params: HoverParams) -> Result<Option<Hover>> {
        let Some(query) = self.query_at(&params.text_document_position_params)? else { return Ok(None) };
        let hits = self.index.resolve(&query);
        let Some(best) = hits.first() else { return Ok(None) };
        let s = best.symbol();
        let line = self.line_of(best).unwrap_or_default();
        let mut value =
            format!("```{}\n{}\n```\n\n{} `{}`", best.file.lang.name(), line.trim(), s.kind.label(), s.name.as_str());
        if let Some(container) = best.container() {
            value.push_str(&format!(" in `{container}`"));
        }
        value.push_str(&format!(" — {}:{}", best.file.path.display(), s.name_range.start.line + 1));
        if hits.len() > 1 {
            value.push_str(&format!(" (+{} more)", hits.len() - 1));
        }
        Ok(Some(Hover {
            contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value }),
            range: None,
        }))
    }

    /// The source line a symbol's name is on.
    fn line_of(&self, hit: &SymbolRef) -> Option<String> {
        let line = hit.symbol().name_range.start.line as usize;
        if let Some(uri) = proto::uri(&hit.file.path) {
            if let Some(doc) = self.docs.get(&uri) {
                return (line < doc.rope().len_lines()).then(|| doc.rope().line(line).to_string());
            }
        }
        // Only the line is decoded: a definition can be deep in a large file.
        let bytes = std::fs::read(&hit.file.path).ok()?;
        let start = match line {
            0 => 0,
            _ => memchr::memchr_iter(b'\n', &bytes).nth(line - 1)? + 1,
        };
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |n| start + n);
        let text = bytes[start..end].strip_suffix(b"\r").unwrap_or(&bytes[start..end]);
        Some(String::from_utf8_lossy(text).into_owned())
    }

    fn locations(&self, hits: &[SymbolRef]) -> Vec<Location> {
        hits.iter().filter_map(|h| proto::location(h, self.encoding())).collect()
    }
}

/// Every reference to `name`: those in the index, and those in the function bodies that indexing
/// skipped (`parser::skip`), found in the files on disk that mention `name`. Sorted by file and
/// position, without duplicates (a file indexed whole has its body references in both).
fn references(
    index: &Index,
    name: &str,
    max_file_size: u64,
    workers: usize,
    cancel: &CancelToken,
    progress: &(dyn Fn(Progress) + Sync),
) -> Vec<SymbolRef> {
    let mut hits = index.references_to(name);
    let files: Vec<_> =
        index.files().into_iter().filter(|f| f.origin == Origin::Disk && skip::skips_bodies(f.lang)).collect();
    let paths: Vec<_> = files.iter().map(|f| (f.path.clone(), f.lang)).collect();
    for (i, refs) in scanner::references_in_bodies(&paths, name, max_file_size, workers, cancel, progress) {
        let file = &files[i];
        let found =
            FileEntry::new(file.id, file.path.clone(), file.lang, Symbols::from(refs), Origin::Disk, file.stamp);
        let found = Arc::new(found);
        hits.extend((0..found.symbols.len()).map(|index| SymbolRef { file: found.clone(), index }));
    }
    let at = |h: &SymbolRef| (h.file.path.clone(), h.symbol().name_range.start);
    hits.sort_by_key(at);
    hits.dedup_by_key(|h| at(h));
    hits
}

/// A `$/progress` that ends when dropped (a cancelled request's future is dropped mid-way).
struct EndOnDrop(Option<OngoingProgress<Bounded, NotCancellable>>);

impl EndOnDrop {
    async fn finish(mut self, message: String) {
        if let Some(ongoing) = self.0.take() {
            ongoing.finish_with_message(message).await;
        }
    }
}

impl Drop for EndOnDrop {
    fn drop(&mut self) {
        if let Some(ongoing) = self.0.take() {
            tokio::spawn(ongoing.finish_with_message("cancelled".to_owned()));
        }
    }
}

/// Cancels a token when dropped: the blocking work of a request whose future was dropped stops.
struct StopOnDrop(CancelToken);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// The identifier-like word around byte `offset` (letters, digits, `_`, `$`), if any.
fn word_at(text: &str, offset: usize) -> Option<String> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let offset = offset.min(text.len());
    let start = text[..offset].char_indices().rev().take_while(|&(_, c)| is_word(c)).last().map_or(offset, |(i, _)| i);
    let end = text[offset..].char_indices().find(|&(_, c)| !is_word(c)).map_or(text.len(), |(i, _)| offset + i);
    let word = &text[start..end];
    let first = word.chars().next()?;
    (!first.is_ascii_digit()).then(|| word.to_owned())
}

/// Module names a file imports, read from its import-like lines (a language-agnostic heuristic:
/// every word on a line starting with an import keyword).
fn imports(text: &str) -> Vec<String> {
    const KEYWORDS: &[&str] =
        &["import ", "from ", "use ", "#include", "require", "using ", "mod ", "extern crate", "include ", "source "];
    const CALLS: &[&str] = &["require(", "import("];
    let bytes = text.as_bytes();
    // A definition asked from a large file that is not open reads all of it: each line is looked
    // at only for how it starts, and the calls are found by one search of the whole text.
    let mut lines: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', bytes).chain([bytes.len()]) {
        let line = text[start..end].trim_start();
        if line.starts_with(['i', 'f', 'u', '#', 'r', 'm', 'e', 's']) && KEYWORDS.iter().any(|k| line.starts_with(k)) {
            lines.push((start, end));
        }
        start = end + 1;
    }
    for call in CALLS {
        for at in memchr::memmem::find_iter(bytes, call) {
            let start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |n| n + 1);
            let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |n| at + n);
            lines.push((start, end));
        }
    }
    let mut out: Vec<String> = lines
        .into_iter()
        .flat_map(|(start, end)| {
            text[start..end].split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty())
        })
        .map(str::to_owned)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_the_words_of_import_lines() {
        let text = "import os\r\nx = 1\n  from a.b import c\nconst m = require('mod_x')\nlet y = await import('dyn')\n\
                    #include <stdio.h>\nfoo(); // module m\nusing_it()\nend require(\nuse last_mod";
        let mut expected = vec![
            "os", "import", "from", "a", "b", "c", "const", "m", "require", "mod_x", "let", "y", "await", "dyn",
            "include", "stdio", "h", "end", "use", "last_mod",
        ];
        expected.sort_unstable();
        expected.dedup();
        assert_eq!(imports(text), expected);
        assert!(imports("").is_empty());
    }

    #[test]
    fn word_at_finds_identifiers_around_the_cursor() {
        let text = "let café_x = foo.bar_baz(1);";
        assert_eq!(word_at(text, 4).as_deref(), Some("café_x"));
        assert_eq!(word_at(text, text.find("bar").unwrap() + 2).as_deref(), Some("bar_baz"));
        // Just after a word still names it; between non-word characters names nothing.
        assert_eq!(word_at(text, text.find('(').unwrap()).as_deref(), Some("bar_baz"));
        assert_eq!(word_at(text, text.find('1').unwrap()), None);
        assert_eq!(word_at("a = (1)", 5), None);
    }
}
