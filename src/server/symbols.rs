//! `workspace/symbol` and `textDocument/documentSymbol`.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use super::{navigation, off_thread, proto, Backend};
use crate::index::SearchQuery;
use crate::symbol::{Role, Symbol};

impl Backend {
    pub(super) async fn workspace_symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        let query = SearchQuery { text: params.query, limit: self.config().result_limit };
        let index = self.index.clone();
        let encoding = self.encoding();
        // Ranking can touch many names: run it off the async threads. Dropping this future (a
        // cancelled request) discards the answer.
        let hits = off_thread(move || index.search(&query)).await?;
        let symbols = hits
            .iter()
            .filter_map(|hit| {
                let s = hit.symbol();
                Some(WorkspaceSymbol {
                    name: s.name.as_str().to_owned(),
                    kind: proto::symbol_kind(s.kind),
                    tags: None,
                    container_name: hit.container().map(str::to_owned),
                    location: OneOf::Left(proto::location(hit, encoding)?),
                    data: None,
                })
            })
            .collect();
        Ok(Some(WorkspaceSymbolResponse::Nested(symbols)))
    }

    pub(super) fn document_symbols(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        let uri = params.text_document.uri;
        let symbols = self.file_symbols(&uri)?;
        Ok(Some(DocumentSymbolResponse::Nested(outline(&symbols, self.encoding()))))
    }

    /// A file's symbols: the open buffer's, else the index's, else parsed from disk now.
    fn file_symbols(&self, uri: &Uri) -> Result<Vec<Symbol>> {
        if let Some(doc) = self.docs.get(uri) {
            return Ok(doc.symbols.clone());
        }
        let path = proto::path(uri).ok_or_else(|| navigation::not_a_file(uri))?;
        if let Some(file) = self.index.file(&path) {
            return Ok(file.symbols.to_vec());
        }
        let source = self.source(uri, true)?;
        Ok(source.symbols)
    }
}

/// Builds the hierarchical outline: definitions and scopes, children under their parents.
fn outline(symbols: &[Symbol], encoding: crate::document::Encoding) -> Vec<DocumentSymbol> {
    // Children lists by parent index; roots under `None`.
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); symbols.len()];
    let mut roots = Vec::new();
    for (i, s) in symbols.iter().enumerate() {
        if s.role == Role::Reference {
            continue;
        }
        match s.parent_index() {
            Some(p) => children[p].push(i),
            None => roots.push(i),
        }
    }
    fn build(
        i: usize,
        symbols: &[Symbol],
        children: &[Vec<usize>],
        encoding: crate::document::Encoding,
    ) -> DocumentSymbol {
        let s = &symbols[i];
        let kids: Vec<DocumentSymbol> = children[i].iter().map(|&c| build(c, symbols, children, encoding)).collect();
        #[allow(deprecated)] // `deprecated` is a required field of the struct, superseded by `tags`
        DocumentSymbol {
            name: s.name.as_str().to_owned(),
            detail: (s.role == Role::Scope).then(|| s.kind.label().to_owned()),
            kind: proto::symbol_kind(s.kind),
            tags: None,
            deprecated: None,
            range: proto::range(s.range, encoding),
            selection_range: proto::range(s.name_range, encoding),
            children: (!kids.is_empty()).then_some(kids),
        }
    }
    roots.into_iter().map(|i| build(i, symbols, &children, encoding)).collect()
}
