//! End-to-end: the real binary, spoken to over stdio like an editor does.

mod common;

use common::{file_line, uri, workspace, Server};
use serde_json::{json, Value};

const SERVER_PY: &str = r#"import socketserver
from helpers import format_date


class ThreadingHTTPServer(socketserver.ThreadingMixIn):
    daemon_threads = True

    def serve_forever(self):
        return format_date(self)


def handle(request):
    server = ThreadingHTTPServer()
    return server.serve_forever()
"#;

const HELPERS_PY: &str = r#"def format_date(value):
    return str(value)


def handle_error(err):
    return err
"#;

const LIB_RS: &str = r#"pub struct Config {
    pub name: String,
}

impl Config {
    pub fn load() -> Config {
        Config { name: parse_name() }
    }
}

fn parse_name() -> String {
    String::new()
}
"#;

fn project() -> tempfile::TempDir {
    workspace(&[
        ("app/server.py", SERVER_PY),
        ("app/helpers.py", HELPERS_PY),
        ("rust/src/lib.rs", LIB_RS),
        (
            "web/main.ts",
            "export interface Shape { area(): number }\nexport function makeShape(): Shape { return null as any }\n",
        ),
        ("vendor/lib/helpers.py", "def format_date(value):\n    return value\n"),
    ])
}

#[test]
fn initialize_reports_capabilities_and_progress_to_the_end() {
    let dir = project();
    let mut server = Server::spawn();
    let init = server.initialize(dir.path(), common::default_capabilities(), Value::Null);
    let caps = &init["capabilities"];
    assert_eq!(caps["workspaceSymbolProvider"], json!(true));
    assert_eq!(caps["definitionProvider"], json!(true));
    assert_eq!(caps["textDocumentSync"]["change"], json!(2), "incremental sync");
    assert_eq!(caps["positionEncoding"], json!("utf-16"));
    let end = server.wait_for_index();
    let message = end["params"]["value"]["message"].as_str().unwrap();
    assert!(message.starts_with("5 files"), "summary: {message}");
    // The progress began and reported done/total before ending.
    let begin = server.notifications.iter().any(|n| n["params"]["value"]["kind"] == "begin");
    let report = server.notifications.iter().any(|n| {
        n["params"]["value"]["kind"] == "report"
            && n["params"]["value"]["message"].as_str().unwrap().ends_with("/5 files")
    });
    assert!(begin && report, "progress: {:#?}", server.notifications);
    assert_eq!(server.shutdown(), 0);
}

#[test]
fn workspace_symbol_exact_prefix_and_fuzzy_ranked() {
    let dir = project();
    let mut server = Server::start(dir.path());
    // Exact first, then prefix matches.
    let names = server.symbol_names("handle");
    assert_eq!(names[0], "handle");
    assert_eq!(names[1], "handle_error");
    // Camel humps / subsequence.
    assert_eq!(server.symbol_names("ThrdHTTPSrv"), ["ThreadingHTTPServer"]);
    // The workspace's own definition before the vendored one.
    let hits = server.workspace_symbols("format_date");
    let files: Vec<String> = hits.iter().map(|h| h["location"]["uri"].as_str().unwrap().to_owned()).collect();
    assert_eq!(files.len(), 2);
    assert!(files[0].ends_with("app/helpers.py") && files[1].ends_with("vendor/lib/helpers.py"), "{files:?}");
    // Containers are reported.
    let load = server.workspace_symbols("load");
    assert_eq!(load[0]["containerName"], "Config");
    assert_eq!(load[0]["kind"], 6, "method");
    // An empty query gives a bounded, non-empty list.
    let all = server.workspace_symbols("");
    assert!(!all.is_empty() && all.len() <= 128);
    // A query that matches nothing gives nothing.
    assert!(server.workspace_symbols("zzzqqqxxx").is_empty());
    assert_eq!(server.shutdown(), 0);
}

/// Calls inside function bodies, which indexing skips (`parser::skip`); the lines with `CALL` call
/// `target`, the others mention it in comments and strings only.
const REFS_RS: &str = r#"pub fn target(x: u32) -> u32 {
    x + 1
}

pub fn caller() -> u32 {
    let text = "target(0) in a string { fn";
    // target(0) in a comment
    let total = target(1) + text.len() as u32; // CALL
    total + target(2) // CALL
}

pub struct Thing;

impl Thing {
    fn method(&self) -> u32 {
        let mut values = Vec::new();
        values.push(self.target(3)); // CALL
        println!("{:?}", values);
        values.len() as u32 + target(4) // CALL
    }

    fn target(&self, x: u32) -> u32 {
        x
    }
}
"#;

const REFS_C: &str = "int target(int x) { return x + 1; }

static int caller(int argument)
{
	int total = argument;
	/* target(0) in a comment */
	total += target(1); // CALL
	if (total > 2) {
		total = target(total); // CALL
	}
	return total;
}
";

/// Indexing leaves out `target` and `caller` whole (a statement follows each) and parses `last`.
const REFS_PY: &str = "def target(x):
    return x + 1


def caller(argument):
    text = 'target(0) in a string'
    # target(0) in a comment
    total = target(argument) + len(text)  # CALL
    for item in range(3):
        total += target(item)  # CALL
    return total


LIMIT = 3


def last():
    return target(LIMIT)  # CALL
";

/// The lines marked `CALL`, and the column of `target` on each.
fn calls(name: &str, text: &str) -> Vec<(String, u64, u64)> {
    let lines = text.lines().enumerate().filter(|(_, l)| l.contains("CALL"));
    lines.map(|(i, l)| (name.to_owned(), i as u64, l.rfind("target(").unwrap() as u64)).collect()
}

#[test]
fn references_inside_skipped_bodies_are_found_from_disk_as_from_open_documents() {
    let dir = workspace(&[("src/refs.rs", REFS_RS), ("c/refs.c", REFS_C), ("py/refs.py", REFS_PY)]);
    let mut server = Server::start(dir.path());
    let (rs, c) = (dir.path().join("src/refs.rs"), dir.path().join("c/refs.c"));
    let want: Vec<_> =
        [calls("refs.c", REFS_C), calls("refs.py", REFS_PY), calls("refs.rs", REFS_RS)].into_iter().flatten().collect();
    let from_disk = server.references(&rs, 0, 7, false);
    assert_eq!(from_disk, want);
    // Reading the files was reported with `$/progress`, from a begin naming the name to an end
    // counting the answer.
    let references_progress = |m: &Value| {
        m["method"] == "$/progress"
            && m["params"]["token"].as_str().is_some_and(|t| t.starts_with("symdex/references/"))
    };
    let ended = |m: &Value| references_progress(m) && m["params"]["value"]["kind"] == "end";
    // The end may come just before or just after the answer.
    let end = match server.notifications.iter().find(|m| ended(m)).cloned() {
        Some(end) => end,
        None => server.wait_for(ended),
    };
    assert_eq!(end["params"]["value"]["message"], json!(format!("{} references", want.len())));
    let progress: Vec<_> =
        server.notifications.iter().filter(|m| references_progress(m)).map(|m| m["params"]["value"].clone()).collect();
    assert_eq!(progress[0]["kind"], json!("begin"), "{progress:#?}");
    assert!(progress[0]["title"].as_str().unwrap().contains("`target`"), "{progress:#?}");
    // With the declaration: `target` is defined four times (three functions and a method).
    let with_declarations = server.references(&c, 0, 4, true);
    assert_eq!(with_declarations.len(), want.len() + 4, "{with_declarations:?}");
    // Open documents are parsed whole: the same answer.
    server.open(&rs, "rust", REFS_RS);
    server.open(&c, "c", REFS_C);
    server.open(&dir.path().join("py/refs.py"), "python", REFS_PY);
    assert_eq!(server.references(&rs, 0, 7, false), want);
    // A name only called inside bodies (defined nowhere) is found too, in files not open.
    let len = dir.path().join("src/len.rs");
    std::fs::write(&len, REFS_RS.replace("target", "aim")).unwrap();
    let len_uri = uri(&len);
    server.wait_for(|m| {
        m["method"] == "symdex/indexChanged"
            && m["params"]["uris"].as_array().is_some_and(|u| u.contains(&json!(len_uri)))
    });
    let lines: Vec<_> = server.references(&rs, 18, 15, false).into_iter().map(|(f, line, _)| (f, line)).collect();
    let mut want: Vec<_> =
        ["len.rs", "refs.rs"].iter().flat_map(|f| [(f.to_string(), 7), (f.to_string(), 18)]).collect();
    want.insert(2, ("refs.py".to_owned(), 7));
    assert_eq!(lines, want);
    assert_eq!(server.shutdown(), 0);
}

#[test]
fn definition_within_and_across_files() {
    let dir = project();
    let mut server = Server::start(dir.path());
    let server_py = dir.path().join("app/server.py");
    // `format_date(self)` on line 8 resolves to the sibling module, not the vendored copy.
    let defs = server.definition(&server_py, 8, 16);
    assert_eq!(defs.iter().map(file_line).collect::<Vec<_>>(), [("helpers.py".to_owned(), 0)]);
    assert!(defs[0]["uri"].as_str().unwrap().ends_with("app/helpers.py"));
    // `ThreadingHTTPServer()` on line 12 resolves within the same file.
    let defs = server.definition(&server_py, 12, 16);
    assert_eq!(defs.iter().map(file_line).collect::<Vec<_>>(), [("server.py".to_owned(), 4)]);
    // Rust: `parse_name()` inside the impl resolves to the free function.
    let lib = dir.path().join("rust/src/lib.rs");
    let defs = server.definition(&lib, 6, 26);
    assert_eq!(defs.iter().map(file_line).collect::<Vec<_>>(), [("lib.rs".to_owned(), 10)]);
    // Whitespace resolves to nothing.
    assert!(server.definition(&lib, 3, 0).is_empty());
    assert_eq!(server.shutdown(), 0);
}

/// Hover shows the definition's line, what it is, where, and how many others there are; the line
/// comes from the open buffer when the defining file is open.
#[test]
fn hover_shows_the_definition_line_and_where() {
    let dir = project();
    let mut server = Server::start(dir.path());
    let server_py = dir.path().join("app/server.py");
    let hover = |server: &mut Server, line: u32, character: u32| {
        let params =
            json!({"textDocument": {"uri": uri(&server_py)}, "position": {"line": line, "character": character}});
        server.request("textDocument/hover", params)
    };
    // `format_date(self)` on line 8: the sibling module's definition, its line trimmed.
    let value = hover(&mut server, 8, 16)["contents"]["value"].as_str().unwrap().to_owned();
    assert!(value.starts_with("```python\ndef format_date(value):\n```"), "{value}");
    assert!(value.contains("function `format_date`"), "{value}");
    assert!(value.contains("helpers.py:1"), "{value}");
    // A method: its class is named.
    let value = hover(&mut server, 13, 20)["contents"]["value"].as_str().unwrap().to_owned();
    assert!(value.contains("`serve_forever` in `ThreadingHTTPServer`"), "{value}");
    // The defining file open with unsaved text: its line is the buffer's.
    let helpers = dir.path().join("app/helpers.py");
    server.open(&helpers, "python", &HELPERS_PY.replace("(value):", "(value, *rest):"));
    let value = hover(&mut server, 8, 16)["contents"]["value"].as_str().unwrap().to_owned();
    assert!(value.contains("def format_date(value, *rest):"), "{value}");
    // Whitespace: no hover.
    assert_eq!(hover(&mut server, 3, 0), Value::Null);
    assert_eq!(server.shutdown(), 0);
}

/// A definition deep in a file with CRLF line ends that is not open: the hover shows its line
/// without the carriage return.
#[test]
fn hover_reads_one_line_of_a_file_not_open() {
    let mut text: String = (0..3000).map(|i| format!("x{i} = {i}\r\n")).collect();
    text.push_str("def deep_target():\r\n    pass\r\n");
    let dir = workspace(&[("gen/big.py", &text), ("app/use.py", "from big import deep_target\ndeep_target()\n")]);
    let mut server = Server::start(dir.path());
    let params =
        json!({"textDocument": {"uri": uri(&dir.path().join("app/use.py"))}, "position": {"line": 1, "character": 3}});
    let value = server.request("textDocument/hover", params)["contents"]["value"].as_str().unwrap().to_owned();
    assert!(value.starts_with("```python\ndef deep_target():\n```"), "{value}");
    assert!(value.contains("big.py:3001"), "{value}");
    assert_eq!(server.shutdown(), 0);
}

/// Lines end where the editor ends them: a form feed (as CPython's sources have between sections)
/// starts no line, in a file read from disk as in an open document edited by position.
#[test]
fn form_feeds_do_not_end_lines() {
    let text = "import os\n\x0c\ndef target():\n    pass\n\x0c\ntarget()\n";
    let dir = workspace(&[("app/sections.py", text)]);
    let mut server = Server::start(dir.path());
    let path = dir.path().join("app/sections.py");
    let at_line_2 = [("sections.py".to_owned(), 2)];
    assert_eq!(server.definition(&path, 5, 2).iter().map(file_line).collect::<Vec<_>>(), at_line_2);
    server.open(&path, "python", text);
    assert_eq!(server.definition(&path, 5, 2).iter().map(file_line).collect::<Vec<_>>(), at_line_2);
    // Rename the definition by its position: `target` is columns 4..10 of line 2.
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&path), "version": 2}, "contentChanges": [{
            "range": {"start": {"line": 2, "character": 4}, "end": {"line": 2, "character": 10}}, "text": "aimed"}]}),
    );
    let hits = server.workspace_symbols("aimed");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["location"]["range"]["start"], json!({"line": 2, "character": 4}));
    assert!(server.symbol_names("target").is_empty());
    assert_eq!(server.shutdown(), 0);
}

#[test]
fn document_symbols_are_hierarchical_for_unopened_files() {
    let dir = project();
    let mut server = Server::start(dir.path());
    let result = server.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri(&dir.path().join("app/server.py"))}}),
    );
    let top: Vec<&str> = result.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(top, ["ThreadingHTTPServer", "handle"]);
    let class = &result[0];
    let children: Vec<&str> =
        class["children"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(children, ["serve_forever"]);
    assert_eq!(class["selectionRange"]["start"], json!({"line": 4, "character": 6}));
    assert_eq!(server.shutdown(), 0);
}

#[test]
fn incremental_edits_after_multibyte_characters_update_the_index() {
    let dir = workspace(&[("src/app.rs", "// héllo 😀 wörld\nfn old_name() {}\n\nfn caller() { old_name(); }\n")]);
    let mut server = Server::start(dir.path());
    let path = dir.path().join("src/app.rs");
    let text = std::fs::read_to_string(&path).unwrap();
    server.open(&path, "rust", &text);
    assert_eq!(server.symbol_names("old_name"), ["old_name"]);
    // Line 0 holds astral and accented characters; edit line 1 in UTF-16 columns.
    // Rename `old_name` -> `fresh_name` (columns 3..11 on line 1).
    let change = |version: i64, range: Value, text: &str| json!({"textDocument": {"uri": uri(&path), "version": version}, "contentChanges": [{"range": range, "text": text}]});
    server.notify(
        "textDocument/didChange",
        change(2, json!({"start": {"line": 1, "character": 3}, "end": {"line": 1, "character": 11}}), "fresh_name"),
    );
    assert_eq!(server.symbol_names("fresh_name"), ["fresh_name"]);
    assert!(server.symbol_names("old_name").is_empty());
    // Insert a new function on the emoji line itself: after `😀` (UTF-16 column 10 = after "// héllo 😀").
    server.notify(
        "textDocument/didChange",
        change(
            3,
            json!({"start": {"line": 0, "character": 11}, "end": {"line": 0, "character": 11}}),
            "\nfn added_fn() {}\n//",
        ),
    );
    assert_eq!(server.symbol_names("added_fn"), ["added_fn"]);
    let hit = &server.workspace_symbols("added_fn")[0];
    assert_eq!(hit["location"]["range"]["start"], json!({"line": 1, "character": 3}));
    // Definition sees the edit: the call on the last line now points at nothing named old_name.
    let defs = server.definition(&path, 5, 15);
    assert!(defs.is_empty(), "old_name is gone: {defs:?}");
    // Several changes in one notification apply in order; a full-text change replaces everything.
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&path), "version": 4}, "contentChanges": [
            {"text": "fn one() {}\n"},
            {"range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}}, "text": "fn two() {}\n"}
        ]}),
    );
    assert_eq!(server.symbol_names("one"), ["one"]);
    assert_eq!(server.symbol_names("two"), ["two"]);
    assert!(server.symbol_names("added_fn").is_empty());
    // Closing falls back to the disk.
    server.notify("textDocument/didClose", json!({"textDocument": {"uri": uri(&path)}}));
    assert_eq!(server.symbol_names("old_name"), ["old_name"]);
    assert!(server.symbol_names("two").is_empty());
    assert_eq!(server.shutdown(), 0);
}

/// Typing inside one function parses that function alone and leaves the whole file's tree to be
/// parsed when a request needs it: the index has the typed names at once, and a definition asked
/// right after the typing reads the edited text.
#[test]
fn typing_inside_functions_updates_the_index_and_definitions() {
    let dir = workspace(&[("app/calc.py", "def first(x):\n    return x\n\n\ndef second(y):\n    return y\n")]);
    let mut server = Server::start(dir.path());
    let path = dir.path().join("app/calc.py");
    server.open(&path, "python", &std::fs::read_to_string(&path).unwrap());
    let type_at = |server: &mut Server, version: i64, line: u64, character: u64, text: &str| {
        let at = json!({"line": line, "character": character});
        server.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(&path), "version": version},
                   "contentChanges": [{"range": {"start": at, "end": at}, "text": text}]}),
        );
    };
    // `second` becomes `second_renamed`, one keystroke at a time.
    for (i, c) in "_renamed".chars().enumerate() {
        type_at(&mut server, 2 + i as i64, 4, 10 + i as u64, &c.to_string());
    }
    assert_eq!(server.symbol_names("second_renamed"), ["second_renamed"]);
    assert!(server.symbol_names("second").iter().all(|n| n != "second"));
    // `return x` in `first` becomes `return second_renamed(x)`.
    type_at(&mut server, 20, 1, 11, "second_renamed(");
    type_at(&mut server, 21, 1, 27, ")");
    let defs = server.definition(&path, 1, 14);
    assert_eq!(defs.iter().map(file_line).collect::<Vec<_>>(), [("calc.py".to_owned(), 4)]);
    // The request parsed the file again: a name typed into a comment is read as the comment it is
    // (the words of a file without a tree would be read one by one).
    type_at(&mut server, 22, 1, 28, "  # see first");
    assert!(server.definition(&path, 1, 39).is_empty(), "a comment is no reference");
    // A new function typed inside another one's body, on a line of its own, is a top-level one.
    type_at(&mut server, 23, 2, 0, "def third():\n    return first(1)\n");
    assert_eq!(server.symbol_names("third"), ["third"]);
    let defs = server.definition(&path, 3, 12);
    assert_eq!(defs.iter().map(file_line).collect::<Vec<_>>(), [("calc.py".to_owned(), 0)]);
    assert_eq!(server.shutdown(), 0);
}

#[test]
fn utf8_position_encoding_when_offered() {
    let dir = workspace(&[("a.py", "x = 'é😀'; y = 1\ndef f(): pass\ns = 'é😀'; f()\n")]);
    let mut server = Server::spawn();
    let caps = json!({"window": {"workDoneProgress": true}, "general": {"positionEncodings": ["utf-8", "utf-16"]}});
    let init = server.initialize(dir.path(), caps, Value::Null);
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    server.wait_for_index();
    // `f()` on line 2 starts at byte 14 (after `s = 'é😀'; `), UTF-16 column 11.
    let defs = server.definition(&dir.path().join("a.py"), 2, 14);
    assert_eq!(defs.iter().map(file_line).collect::<Vec<_>>(), [("a.py".to_owned(), 1)]);
    assert_eq!(server.shutdown(), 0);
}

#[test]
fn bad_requests_get_errors_and_the_server_keeps_serving() {
    let dir = project();
    let mut server = Server::start(dir.path());
    // Unknown file, non-file URI, out-of-range position.
    let missing = server.request_raw(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri(&dir.path().join("nope.rs"))}, "position": {"line": 0, "character": 0}}),
    );
    assert!(missing["error"]["message"].as_str().unwrap().contains("cannot read"), "{missing}");
    let untitled =
        server.request_raw("textDocument/documentSymbol", json!({"textDocument": {"uri": "untitled:Untitled-1"}}));
    assert!(untitled.get("error").is_some(), "{untitled}");
    let far = server.definition(&dir.path().join("app/server.py"), 9999, 9999);
    assert!(far.is_empty());
    // Malformed params and an unknown method.
    let bad = server.request_raw("workspace/symbol", json!({"query": 42}));
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    let unknown = server.request_raw("symdex/nope", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    // A body that is not JSON: reported to the user, and the session goes on.
    server.send_raw("{not json");
    let shown = server.wait_for(|m| m["method"] == "window/showMessage");
    assert!(shown["params"]["message"].as_str().unwrap().contains("malformed"), "{shown}");
    // Edits to a document never opened, and an out-of-range edit to an open one.
    let ghost = uri(&dir.path().join("ghost.rs"));
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": ghost, "version": 2}, "contentChanges": [{"text": "fn ghost() {}"}]}),
    );
    let lib = dir.path().join("rust/src/lib.rs");
    server.open(&lib, "rust", LIB_RS);
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&lib), "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 500, "character": 3}, "end": {"line": 900, "character": 0}}, "text": "\nfn tail_fn() {}\n"}
        ]}),
    );
    assert_eq!(server.symbol_names("tail_fn"), ["tail_fn"]);
    assert!(server.symbol_names("ghost").is_empty());
    // Invalid UTF-8 and binary files on disk.
    std::fs::write(dir.path().join("bad.py"), b"def caf\xe9():\n    pass\ndef fine(): pass\n").unwrap();
    let symbols = server
        .request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri(&dir.path().join("bad.py"))}}));
    assert!(symbols.as_array().unwrap().iter().any(|s| s["name"] == "fine"), "{symbols}");
    // Still serving.
    assert_eq!(server.symbol_names("ThrdHTTPSrv"), ["ThreadingHTTPServer"]);
    assert_eq!(server.shutdown(), 0);
}

#[test]
fn status_command_and_workspace_folder_changes() {
    let dir = project();
    let other = workspace(&[("extra.go", "package extra\n\nfunc AddedFolderFunc() {}\n")]);
    let mut server = Server::start(dir.path());
    let status = server.request("workspace/executeCommand", json!({"command": "symdex.status"}));
    assert_eq!(status["files"], 5);
    server.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [{"uri": uri(other.path()), "name": "other"}], "removed": [{"uri": uri(dir.path()), "name": "root"}]}}),
    );
    server.wait_for_index();
    assert_eq!(server.symbol_names("AddedFolderFunc"), ["AddedFolderFunc"]);
    assert!(server.symbol_names("ThreadingHTTPServer").is_empty());
    assert_eq!(server.shutdown(), 0);
}
