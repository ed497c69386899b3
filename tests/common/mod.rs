//! An editor stand-in: spawns the real `symdex` binary and speaks JSON-RPC to it over stdio.
//!
//! Every receive has a timeout; nothing sleeps. Server-to-client requests (progress token
//! creation, capability registration) are answered the way an editor would.

#![allow(dead_code)] // each test binary uses a different part of this helper

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long any single wait may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(60);

pub struct Server {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for something else, in arrival order.
    pub notifications: Vec<Value>,
}

impl Server {
    /// Starts `symdex lsp` with the given extra environment.
    pub fn spawn_with_env(env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_symdex"));
        cmd.arg("lsp").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn symdex");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        Server { child, stdin, incoming: rx, next_id: 1, notifications: Vec::new() }
    }

    pub fn spawn() -> Server {
        Server::spawn_with_env(&[])
    }

    /// Starts a server, initializes it on `root` with `capabilities`, and waits for indexing to end.
    pub fn start(root: &Path) -> Server {
        let mut server = Server::spawn();
        server.initialize(root, default_capabilities(), Value::Null);
        server.wait_for_index();
        server
    }

    pub fn initialize(&mut self, root: &Path, capabilities: Value, options: Value) -> Value {
        let uri = uri(root);
        let result = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri,
                "workspaceFolders": [{"uri": uri, "name": "root"}],
                "capabilities": capabilities,
                "initializationOptions": options,
            }),
        );
        self.notify("initialized", json!({}));
        result
    }

    pub fn send(&mut self, message: &Value) {
        let body = serde_json::to_string(message).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends raw bytes as one message body (for malformed-input tests).
    pub fn send_raw(&mut self, body: &str) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body).unwrap();
        self.stdin.flush().unwrap();
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its whole response (with `result` or `error`).
    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait_for(|m| m.get("id") == Some(&json!(id)) && m.get("method").is_none())
    }

    /// Sends a request and returns its result, failing the test on an error response.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params);
        assert!(response.get("error").is_none(), "{method} failed: {response}");
        response["result"].clone()
    }

    /// Receives until a message satisfies `pred`, answering server requests on the way.
    pub fn wait_for(&mut self, mut pred: impl FnMut(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = match self.incoming.recv_timeout(left) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => panic!("timed out; notifications so far: {:#?}", self.notifications),
                Err(RecvTimeoutError::Disconnected) => panic!("server closed its output"),
            };
            if message.get("method").is_some() && message.get("id").is_some() {
                // A request from the server: reply as an editor would.
                let id = message["id"].clone();
                self.send(&json!({"jsonrpc": "2.0", "id": id, "result": null}));
            }
            if pred(&message) {
                return message;
            }
            if message.get("id").is_none() {
                self.notifications.push(message);
            }
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

    /// Shuts down and exits; returns the exit code.
    pub fn shutdown(mut self) -> i32 {
        let result = self.request_raw("shutdown", Value::Null);
        assert!(result.get("error").is_none(), "shutdown failed: {result}");
        self.notify("exit", Value::Null);
        wait_exit(&mut self.child)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_exit(child: &mut Child) -> i32 {
    // `wait` blocks on the process; a watchdog thread kills it if it hangs.
    let pid = child.id();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if done_rx.recv_timeout(TIMEOUT).is_err() {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
    });
    let status = child.wait().expect("wait for symdex");
    let _ = done_tx.send(());
    let _ = watchdog.join();
    status.code().unwrap_or(-1)
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            length = v.trim().parse().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display()).replace(' ', "%20")
}

pub fn path_of(uri: &str) -> PathBuf {
    PathBuf::from(uri.strip_prefix("file://").unwrap().replace("%20", " "))
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
