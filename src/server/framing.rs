//! A guard in front of the protocol codec: tower-lsp's reader stops for good at the first body
//! that is not JSON (its framed stream ends after a decode error), so one malformed message would
//! silently end the session. Frames are checked here; a bad one is replaced by a notification
//! that the server reports to the client as an error, and reading goes on.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};

/// The notification a malformed message is replaced with.
pub const MALFORMED: &str = "symdex/malformedMessage";

/// Largest message accepted (larger ones are dropped as malformed).
const MAX_MESSAGE: usize = 256 * 1024 * 1024;

/// Returns a reader yielding only well-formed frames read from `input`.
pub fn sanitize(input: impl AsyncRead + Unpin + Send + 'static) -> DuplexStream {
    let (reader, mut writer) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        let mut input = BufReader::new(input);
        loop {
            let frame = match read_frame(&mut input).await {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(e) => {
                    tracing::error!("reading the client's messages: {e}");
                    break;
                }
            };
            let body = match frame {
                Frame::Body(body) => match serde_json::from_slice::<serde_json::Value>(&body) {
                    Ok(_) => body,
                    Err(e) => malformed(&format!("body is not JSON: {e}")),
                },
                Frame::Bad(why) => malformed(&why),
            };
            let header = format!("Content-Length: {}\r\n\r\n", body.len());
            if writer.write_all(header.as_bytes()).await.is_err() || writer.write_all(&body).await.is_err() {
                break;
            }
        }
    });
    reader
}

enum Frame {
    Body(Vec<u8>),
    /// Headers without a usable `Content-Length`: what was wrong.
    Bad(String),
}

fn malformed(why: &str) -> Vec<u8> {
    tracing::error!("malformed message from the client: {why}");
    serde_json::to_vec(&serde_json::json!({"jsonrpc": "2.0", "method": MALFORMED, "params": {"error": why}}))
        .unwrap_or_default()
}

/// Reads one frame; `None` at the end of input.
async fn read_frame(input: &mut (impl AsyncBufReadExt + AsyncReadExt + Unpin)) -> std::io::Result<Option<Frame>> {
    let mut length: Option<Result<usize, String>> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        if input.read_until(b'\n', &mut line).await? == 0 {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !saw_header {
                continue; // stray blank line between messages
            }
            break;
        }
        saw_header = true;
        if let Some((name, value)) = text.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = Some(value.trim().parse::<usize>().map_err(|e| format!("bad Content-Length {value:?}: {e}")));
            }
        }
    }
    match length {
        Some(Ok(n)) if n <= MAX_MESSAGE => {
            let mut body = vec![0; n];
            input.read_exact(&mut body).await?;
            Ok(Some(Frame::Body(body)))
        }
        Some(Ok(n)) => Ok(Some(Frame::Bad(format!("message of {n} bytes is too large")))),
        Some(Err(why)) => Ok(Some(Frame::Bad(why))),
        None => Ok(Some(Frame::Bad("missing Content-Length header".to_owned()))),
    }
}
