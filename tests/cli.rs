//! The command line, run as a user would: `symdex index`, `symdex symbols`, `symdex export`.

use std::path::Path;
use std::process::{Command, Output};

fn symdex(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_symdex")).args(args).output().expect("run symdex");
    assert!(out.status.success(), "symdex {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files: &[(&str, &str)] = &[
        ("app/server.py", "class ThreadingHTTPServer:\n    def serve(self):\n        pass\n"),
        ("src/lib.rs", "pub struct Config;\nimpl Config {\n    pub fn load() -> Self { Config }\n}\n"),
        ("data.bin.py", "\0\0\0binary"),
        ("README.md", "# not code\n"),
    ];
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    dir
}

fn text(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn index_reports_statistics_as_json() {
    let dir = tree();
    let out = symdex(&["index", "--json", dir.path().to_str().unwrap()]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stats = &json["stats"];
    assert_eq!(stats["files_indexed"], 2);
    assert_eq!(stats["skipped"]["binary"], 1);
    assert_eq!(stats["skipped"]["unsupported"], 1);
    assert_eq!(stats["languages"]["python"]["definitions"], 2);
    assert!(stats["languages"]["rust"]["definitions"].as_u64().unwrap() >= 2);
}

#[test]
fn index_prints_a_human_summary() {
    let dir = tree();
    let out = text(&symdex(&["index", dir.path().to_str().unwrap()]));
    assert!(out.contains("files: 2 indexed of 4 seen"), "{out}");
    assert!(out.contains("1 binary"), "{out}");
    assert!(out.contains("python"), "{out}");
}

#[test]
fn symbols_prints_path_line_col_kind_name_container() {
    let dir = tree();
    let out = text(&symdex(&["symbols", "ThrdHTTPSrv", "--root", dir.path().to_str().unwrap()]));
    assert_eq!(out, "app/server.py:1:7 class ThreadingHTTPServer\n");
    let out = text(&symdex(&["symbols", "load", "--root", dir.path().to_str().unwrap()]));
    assert_eq!(out.lines().next(), Some("src/lib.rs:3:12 method load (Config)"));
    let out = text(&symdex(&["symbols", "s", "--limit", "1", "--root", dir.path().to_str().unwrap()]));
    assert_eq!(out.lines().count(), 1);
    // A fuzzy match begins at a word start: `Server` in `ThreadingHTTPServer` is one, `erve` is not.
    let out = text(&symdex(&["symbols", "SrvThr", "--root", dir.path().to_str().unwrap()]));
    assert_eq!(out, "");
    let out = text(&symdex(&["symbols", "Srv", "--root", dir.path().to_str().unwrap()]));
    assert_eq!(out, "app/server.py:1:7 class ThreadingHTTPServer\n");
    let out = text(&symdex(&["symbols", "erve", "--root", dir.path().to_str().unwrap()]));
    assert_eq!(out, "");
}

#[test]
fn export_writes_a_sorted_ctags_file_that_readtags_can_search() {
    let dir = tree();
    let out = text(&symdex(&["export", dir.path().to_str().unwrap()]));
    assert!(out.starts_with("!_TAG_FILE_FORMAT\t2\t"), "{out}");
    assert!(out.contains("serve\tapp/server.py\t2;\"\tmethod\tline:2\tscope:ThreadingHTTPServer\n"), "{out}");
    let tags: Vec<&str> = out.lines().filter(|l| !l.starts_with("!_")).map(|l| l.split('\t').next().unwrap()).collect();
    let mut sorted = tags.clone();
    sorted.sort_unstable();
    assert_eq!(tags, sorted, "tags must be sorted for binary search");
    // universal-ctags' reader binary-searches the file: it must find what we wrote.
    if Command::new("readtags").arg("-h").output().is_ok() {
        let file = dir.path().join("tags");
        std::fs::write(&file, &out).unwrap();
        let found = Command::new("readtags").arg("-t").arg(&file).arg("load").output().unwrap();
        let found = String::from_utf8(found.stdout).unwrap();
        assert!(found.starts_with("load\tsrc/lib.rs\t3"), "readtags: {found:?}");
    }
    let json = text(&symdex(&["export", "--format", "json", dir.path().to_str().unwrap()]));
    let first: serde_json::Value =
        serde_json::from_str(json.lines().find(|l| l.contains("\"serve\"")).unwrap()).unwrap();
    assert_eq!(first["scope"], "ThreadingHTTPServer");
    assert!(Path::new(first["path"].as_str().unwrap()).is_relative());
}

#[test]
fn a_missing_folder_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_symdex")).args(["index", "/nonexistent/symdex"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/symdex"));
}
