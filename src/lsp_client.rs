//! A small blocking LSP client that drives a `symdex` process over stdio: what the benchmark and
//! the end-to-end tests use to talk to the real server the way an editor does.
//!
//! Every receive has a deadline; nothing sleeps. Requests from the server (progress token creation,
//! capability registration) are answered with `null`, as an editor would.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Why a wait ended without its message.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("timed out after {0:?} waiting for the server")]
    Timeout(Duration),
    #[error("the server closed its output")]
    Closed,
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// A running server and the reader of its messages.
pub struct LspClient {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Longest single wait.
    pub timeout: Duration,
    /// Notifications received while waiting for something else, in arrival order.
    pub notifications: Vec<Value>,
}

impl LspClient {
    /// Spawns `command` (already configured with args and env) with piped stdio.
    pub fn spawn(mut command: Command, timeout: Duration) -> Result<LspClient, ClientError> {
        command.stdin(Stdio::piped()).stdout(Stdio::piped());
        let mut child = command.spawn()?;
        let stdin = child.stdin.take().ok_or(ClientError::Closed)?;
        let stdout = child.stdout.take().ok_or(ClientError::Closed)?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        Ok(LspClient { child, stdin, incoming: rx, next_id: 1, timeout, notifications: Vec::new() })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `initialize` for `root` and then `initialized`; returns the initialize result.
    pub fn initialize(&mut self, root: &Path, capabilities: Value, options: Value) -> Result<Value, ClientError> {
        let uri = file_uri(root);
        let response = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri,
                "workspaceFolders": [{"uri": uri, "name": "root"}],
                "capabilities": capabilities,
                "initializationOptions": options,
            }),
        )?;
        self.notify("initialized", json!({}))?;
        Ok(response["result"].clone())
    }

    /// Writes one message.
    pub fn send(&mut self, message: &Value) -> Result<(), ClientError> {
        self.send_raw(&message.to_string())
    }

    /// Writes `body` as one framed message, whatever it holds.
    pub fn send_raw(&mut self, body: &str) -> Result<(), ClientError> {
        write!(self.stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body)?;
        self.stdin.flush()?;
        Ok(())
    }

    pub fn notify(&mut self, method: &str, params: Value) -> Result<(), ClientError> {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
    }

    /// Sends a request and returns its whole response (`result` or `error`).
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, ClientError> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        self.wait_for(|m| m.get("id") == Some(&json!(id)) && m.get("method").is_none())
    }

    /// Receives until a message satisfies `pred`, answering server requests on the way.
    pub fn wait_for(&mut self, mut pred: impl FnMut(&Value) -> bool) -> Result<Value, ClientError> {
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = match self.incoming.recv_timeout(left) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => return Err(ClientError::Timeout(self.timeout)),
                Err(RecvTimeoutError::Disconnected) => return Err(ClientError::Closed),
            };
            if message.get("method").is_some() && message.get("id").is_some() {
                let id = message["id"].clone();
                self.send(&json!({"jsonrpc": "2.0", "id": id, "result": null}))?;
            }
            if pred(&message) {
                return Ok(message);
            }
            if message.get("id").is_none() {
                self.notifications.push(message);
            }
        }
    }

    /// Waits for the end of a `$/progress` (an indexing run).
    pub fn wait_for_progress_end(&mut self) -> Result<Value, ClientError> {
        self.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end")
    }

    /// Sends `shutdown` and `exit` and waits for the process; returns its exit status.
    pub fn shutdown(mut self) -> Result<std::process::ExitStatus, ClientError> {
        self.request("shutdown", Value::Null)?;
        self.notify("exit", Value::Null)?;
        self.wait_exit()
    }

    /// Waits for the process to end (a watchdog kills it after the timeout).
    pub fn wait_exit(&mut self) -> Result<std::process::ExitStatus, ClientError> {
        let pid = self.child.id();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let timeout = self.timeout;
        let watchdog = std::thread::spawn(move || {
            if done_rx.recv_timeout(timeout).is_err() {
                let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            }
        });
        let status = self.child.wait();
        let _ = done_tx.send(());
        let _ = watchdog.join();
        Ok(status?)
    }
}

impl Drop for LspClient {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Reads one framed message; `None` at the end of the stream.
pub fn read_message(reader: &mut impl BufRead) -> Option<Value> {
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

/// A `file://` URI for an absolute path (percent-encoding what must be).
pub fn file_uri(path: &Path) -> String {
    tower_lsp_server::ls_types::Uri::from_file_path(path)
        .map_or_else(|| format!("file://{}", path.display()), |u| u.as_str().to_owned())
}
