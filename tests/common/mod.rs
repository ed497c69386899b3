//! An editor stand-in: spawns the real `symdex` binary and speaks JSON-RPC to it over stdio.
//!
//! Every receive has a timeout; nothing sleeps. Server-to-client requests (progress token
//! creation, capability registration) are answered the way an editor would.

#![allow(dead_code)] // each test binary uses a different part of this helper

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};
use symdex::lsp_client::LspClient;

/// How long any single wait may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The editor stand-in: an [`LspClient`] whose failures fail the test.
pub struct Server {
    client: LspClient,
    /// A private persistent-index directory unless the test chose one, so tests never write to
    /// the user's cache and never see each other's stores.
    _cache: Option<tempfile::TempDir>,
}

impl Deref for Server {
    type Target = LspClient;
    fn deref(&self) -> &LspClient {
        &self.client
    }
}

impl DerefMut for Server {
    fn deref_mut(&mut self) -> &mut LspClient {
        &mut self.client
    }
}

impl Server {
    /// Starts `symdex lsp` with the given extra environment.
    pub fn spawn_with_env(env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_symdex"));
        cmd.arg("lsp");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut cache = None;
        if !env.iter().any(|(k, _)| *k == "SYMDEX_CACHE_DIR") {
            let dir = tempfile::tempdir().expect("cache dir");
            cmd.env("SYMDEX_CACHE_DIR", dir.path());
            cache = Some(dir);
        }
        Server { client: LspClient::spawn(cmd, TIMEOUT).expect("spawn symdex"), _cache: cache }
    }

    pub fn spawn() -> Server {
        Server::spawn_with_env(&[])
    }

    /// Starts a server, initializes it on `root`, and waits for indexing to end.
    pub fn start(root: &Path) -> Server {
        let mut server = Server::spawn();
        server.initialize(root, default_capabilities(), Value::Null);
        server.wait_for_index();
        server
    }

    pub fn initialize(&mut self, root: &Path, capabilities: Value, options: Value) -> Value {
        self.client.initialize(root, capabilities, options).expect("initialize")
    }

    pub fn send(&mut self, message: &Value) {
        self.client.send(message).expect("send");
    }

    /// Sends raw text as one message body (for malformed-input tests).
    pub fn send_raw(&mut self, body: &str) {
        self.client.send_raw(body).expect("send");
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.client.notify(method, params).expect("notify");
    }

    /// Sends a request and returns its whole response (with `result` or `error`).
    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        self.client.request(method, params).unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// Sends a request and returns its result, failing the test on an error response.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params);
        assert!(response.get("error").is_none(), "{method} failed: {response}");
        response["result"].clone()
    }

    /// Receives until a message satisfies `pred`, answering server requests on the way.
    pub fn wait_for(&mut self, pred: impl FnMut(&Value) -> bool) -> Value {
        match self.client.wait_for(pred) {
            Ok(m) => m,
            Err(e) => panic!("{e}; notifications so far: {:#?}", self.client.notifications),
        }
    }

    /// Waits for the end of an indexing run (the `end` of a `$/progress`).
    pub fn wait_for_index(&mut self) -> Value {
        self.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end")
    }

    pub fn open(&mut self, path: &Path, language_id: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(path), "languageId": language_id, "version": 1, "text": text}}),
        );
    }

    pub fn workspace_symbols(&mut self, query: &str) -> Vec<Value> {
        self.request("workspace/symbol", json!({"query": query})).as_array().cloned().unwrap_or_default()
    }

    /// Names of the workspace symbols for `query`, in answer order.
    pub fn symbol_names(&mut self, query: &str) -> Vec<String> {
        self.workspace_symbols(query).iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect()
    }

    pub fn definition(&mut self, path: &Path, line: u32, character: u32) -> Vec<Value> {
        let result = self.request(
            "textDocument/definition",
            json!({"textDocument": {"uri": uri(path)}, "position": {"line": line, "character": character}}),
        );
        match result {
            Value::Null => Vec::new(),
            Value::Array(a) => a,
            single => vec![single],
        }
    }

    /// `textDocument/references` at a position, as (file name, line, character), sorted.
    pub fn references(&mut self, path: &Path, line: u32, character: u32, declaration: bool) -> Vec<(String, u64, u64)> {
        let result = self.request(
            "textDocument/references",
            json!({
                "textDocument": {"uri": uri(path)},
                "position": {"line": line, "character": character},
                "context": {"includeDeclaration": declaration},
            }),
        );
        let mut out: Vec<_> = result
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|l| {
                        let (file, line) = file_line(l);
                        (file, line, l["range"]["start"]["character"].as_u64().unwrap())
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    /// Shuts down and exits; returns the exit code.
    pub fn shutdown(self) -> i32 {
        let status = self.client.shutdown().expect("shutdown and exit");
        status.code().unwrap_or(-1)
    }
}

pub fn uri(path: &Path) -> String {
    symdex::lsp_client::file_uri(path)
}

pub fn path_of(uri: &str) -> PathBuf {
    let uri: tower_lsp_server::ls_types::Uri = uri.parse().expect("a URI");
    uri.to_file_path().expect("a file URI").into_owned()
}

/// Capabilities of a typical modern editor.
pub fn default_capabilities() -> Value {
    json!({
        "window": {"workDoneProgress": true},
        "workspace": {"symbol": {}, "workspaceFolders": true},
        "textDocument": {"synchronization": {"dynamicRegistration": false}},
        "general": {"positionEncodings": ["utf-16"]}
    })
}

/// A temporary workspace made of `(relative path, contents)` pairs.
pub fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    dir
}

/// `(file name, zero-based line)` of a location.
pub fn file_line(location: &Value) -> (String, u64) {
    let path = path_of(location["uri"].as_str().unwrap());
    let line = location["range"]["start"]["line"].as_u64().unwrap();
    (path.file_name().unwrap().to_string_lossy().into_owned(), line)
}
