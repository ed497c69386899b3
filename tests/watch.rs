//! The live index: files and directories changed on disk while the server runs (by hand, by git,
//! in bursts) show up in `workspace/symbol`; open documents win over the disk; the client's own
//! file events are handled without double work; and after any mix of disk and editor edits the
//! live index equals a fresh index of the same final state.
//!
//! Waiting: after each batch of changes the server sends `symdex/indexChanged`; `settle` re-checks
//! its condition after each such notification, a bounded number of times. Nothing sleeps.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{default_capabilities, uri, workspace, Server};
use serde_json::{json, Value};

const CHANGED: &str = "symdex/indexChanged";

/// How many batches a condition may take to hold.
const ATTEMPTS: usize = 40;

fn start(root: &Path, cache: &Path) -> Server {
    start_with(root, cache, default_capabilities())
}

fn start_with(root: &Path, cache: &Path, capabilities: Value) -> Server {
    let mut server = Server::spawn_with_env(&[("SYMDEX_CACHE_DIR", cache.to_str().unwrap())]);
    server.initialize(root, capabilities, Value::Null);
    server.wait_for_index();
    server
}

fn batches_seen(server: &Server) -> usize {
    server.notifications.iter().filter(|n| n["method"] == CHANGED).count()
}

/// Re-checks `holds` after each applied batch until it is true (at most [`ATTEMPTS`] batches).
fn settle(server: &mut Server, what: &str, mut holds: impl FnMut(&mut Server) -> bool) {
    for _ in 0..ATTEMPTS {
        let before = batches_seen(server);
        if holds(server) {
            return;
        }
        // A batch that landed while we looked may already have made it true: look again.
        if batches_seen(server) == before {
            eprintln!("waiting for a batch: {what}");
            let change = server.wait_for(|m| m["method"] == CHANGED);
            server.notifications.push(change);
        }
    }
    panic!("{what}: still not true after {ATTEMPTS} batches");
}

/// The files (relative to `root`) holding a workspace symbol named exactly `name`.
fn defined_in(server: &mut Server, root: &Path, name: &str) -> Vec<String> {
    let mut files: Vec<String> = server
        .workspace_symbols(name)
        .iter()
        .filter(|s| s["name"] == name)
        .map(|s| {
            let path = common::path_of(s["location"]["uri"].as_str().unwrap());
            path.strip_prefix(root).unwrap_or(&path).display().to_string()
        })
        .collect();
    files.sort();
    files
}

fn dump(server: &mut Server) -> Value {
    server.request("workspace/executeCommand", json!({"command": "symdex.dump"}))
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Replaces a file in one step (a rename), so no batch can see it half written.
fn replace(path: &Path, text: &str) {
    let staging = path.with_extension("staging");
    std::fs::write(&staging, text).unwrap();
    std::fs::rename(&staging, path).unwrap();
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=symdex", "-c", "user.email=symdex@example.com", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("git");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn files_and_directories_created_edited_renamed_and_deleted_on_disk() {
    let dir = workspace(&[("src/a.py", "def alpha(): pass\n")]);
    let outside = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut s = start(root, cache.path());
    let expect = |s: &mut Server, what: &str, name: &str, files: &[&str]| {
        settle(s, what, |s| defined_in(s, root, name) == files);
    };

    write(&root.join("src/b.py"), "def beta(): pass\n");
    expect(&mut s, "a new file", "beta", &["src/b.py"]);
    write(&root.join("src/b.py"), "def beta_two(): pass\n");
    expect(&mut s, "an edited file", "beta_two", &["src/b.py"]);
    expect(&mut s, "an edited file", "beta", &[]);
    std::fs::rename(root.join("src/b.py"), root.join("src/c.py")).unwrap();
    expect(&mut s, "a renamed file", "beta_two", &["src/c.py"]);
    std::fs::remove_file(root.join("src/c.py")).unwrap();
    expect(&mut s, "a deleted file", "beta_two", &[]);

    std::fs::create_dir_all(root.join("pkg/sub")).unwrap();
    write(&root.join("pkg/sub/d.rs"), "fn delta() {}\n");
    write(&root.join("pkg/e.go"), "package pkg\n\nfunc Epsilon() {}\n");
    expect(&mut s, "a new directory", "delta", &["pkg/sub/d.rs"]);
    expect(&mut s, "a new directory", "Epsilon", &["pkg/e.go"]);
    std::fs::rename(root.join("pkg"), root.join("pkg2")).unwrap();
    expect(&mut s, "a renamed directory", "delta", &["pkg2/sub/d.rs"]);
    expect(&mut s, "a renamed directory", "Epsilon", &["pkg2/e.go"]);
    // The renamed directory is watched under its new name.
    write(&root.join("pkg2/sub/d.rs"), "fn delta_moved() {}\n");
    expect(&mut s, "an edit in a renamed directory", "delta_moved", &["pkg2/sub/d.rs"]);
    std::fs::create_dir(root.join("pkg2/sub/new")).unwrap();
    write(&root.join("pkg2/sub/new/f.py"), "def phi(): pass\n");
    expect(&mut s, "a directory made in a renamed one", "phi", &["pkg2/sub/new/f.py"]);

    std::fs::rename(root.join("pkg2"), outside.path().join("away")).unwrap();
    expect(&mut s, "a directory moved out", "delta_moved", &[]);
    expect(&mut s, "a directory moved out", "phi", &[]);
    write(&outside.path().join("away/sub/g.py"), "def gamma(): pass\n");
    std::fs::rename(outside.path().join("away"), root.join("back")).unwrap();
    expect(&mut s, "a directory moved in", "gamma", &["back/sub/g.py"]);
    expect(&mut s, "a directory moved in", "delta_moved", &["back/sub/d.rs"]);
    std::fs::remove_dir_all(root.join("back")).unwrap();
    expect(&mut s, "a deleted directory", "gamma", &[]);
    expect(&mut s, "a deleted directory", "Epsilon", &[]);
    expect(&mut s, "untouched files stay", "alpha", &["src/a.py"]);

    // A file that stops being indexable (too large is the same as gone) and one that becomes binary.
    write(&root.join("src/a.py"), "def alpha(): pass\n\0binary");
    expect(&mut s, "a file turned binary", "alpha", &[]);
    assert_eq!(s.shutdown(), 0);
}

#[test]
fn changed_ignore_files_reevaluate_what_is_indexed() {
    let dir = workspace(&[
        ("main.py", "def main_fn(): pass\n"),
        ("gen/out.py", "def generated_fn(): pass\n"),
        ("lib/keep.py", "def keep_fn(): pass\n"),
        ("lib/scratch.py", "def scratch_fn(): pass\n"),
        (".gitignore", "# nothing yet\n"),
    ]);
    let root = dir.path();
    git(root, &["init", "-q"]);
    let cache = tempfile::tempdir().unwrap();
    let mut s = start(root, cache.path());
    assert_eq!(defined_in(&mut s, root, "generated_fn"), ["gen/out.py"]);

    write(&root.join(".gitignore"), "gen/\n");
    settle(&mut s, "a directory newly ignored", |s| defined_in(s, root, "generated_fn").is_empty());
    // Files created in the ignored directory stay out; others come in.
    write(&root.join("gen/more.py"), "def more_generated(): pass\n");
    write(&root.join("visible.py"), "def visible_fn(): pass\n");
    settle(&mut s, "a new visible file", |s| defined_in(s, root, "visible_fn") == ["visible.py"]);
    assert!(defined_in(&mut s, root, "more_generated").is_empty());
    // A nested .ignore (which needs no git) drops one file.
    write(&root.join("lib/.ignore"), "scratch.py\n");
    settle(&mut s, "a file newly ignored", |s| defined_in(s, root, "scratch_fn").is_empty());
    assert_eq!(defined_in(&mut s, root, "keep_fn"), ["lib/keep.py"]);

    // Undoing the rules brings everything back, including what was created meanwhile.
    write(&root.join(".gitignore"), "# nothing again\n");
    std::fs::remove_file(root.join("lib/.ignore")).unwrap();
    settle(&mut s, "ignore rules undone", |s| {
        defined_in(s, root, "more_generated") == ["gen/more.py"]
            && defined_in(s, root, "generated_fn") == ["gen/out.py"]
            && defined_in(s, root, "scratch_fn") == ["lib/scratch.py"]
    });
    assert_eq!(s.shutdown(), 0);
}

#[test]
fn switching_git_branches_under_the_server() {
    let dir = workspace(&[
        ("app.py", "def on_main(): pass\n"),
        ("shared.py", "def shared_fn(): pass\n"),
        ("lib/core.rs", "pub fn core_main() {}\n"),
        ("lib/util.rs", "pub fn util_fn() {}\n"),
    ]);
    let root = dir.path();
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "main"]);
    git(root, &["checkout", "-q", "-b", "feature"]);
    write(&root.join("app.py"), "def on_feature(): pass\n\n\ndef feature_extra(): pass\n");
    std::fs::remove_file(root.join("lib/core.rs")).unwrap();
    write(&root.join("lib/feature/new.rs"), "pub fn core_feature() {}\n");
    git(root, &["mv", "shared.py", "moved_shared.py"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "feature"]);
    let cache = tempfile::tempdir().unwrap();
    let mut s = start(root, cache.path());
    assert_eq!(defined_in(&mut s, root, "on_feature"), ["app.py"]);

    let main = |s: &mut Server| {
        defined_in(s, root, "on_main") == ["app.py"]
            && defined_in(s, root, "on_feature").is_empty()
            && defined_in(s, root, "feature_extra").is_empty()
            && defined_in(s, root, "core_main") == ["lib/core.rs"]
            && defined_in(s, root, "core_feature").is_empty()
            && defined_in(s, root, "shared_fn") == ["shared.py"]
            && defined_in(s, root, "util_fn") == ["lib/util.rs"]
    };
    let feature = |s: &mut Server| {
        defined_in(s, root, "on_main").is_empty()
            && defined_in(s, root, "on_feature") == ["app.py"]
            && defined_in(s, root, "feature_extra") == ["app.py"]
            && defined_in(s, root, "core_main").is_empty()
            && defined_in(s, root, "core_feature") == ["lib/feature/new.rs"]
            && defined_in(s, root, "shared_fn") == ["moved_shared.py"]
            && defined_in(s, root, "util_fn") == ["lib/util.rs"]
    };
    git(root, &["checkout", "-q", "main"]);
    settle(&mut s, "checkout main", main);
    git(root, &["checkout", "-q", "feature"]);
    settle(&mut s, "checkout feature", feature);
    git(root, &["checkout", "-q", "main"]);
    settle(&mut s, "checkout main again", main);
    assert_eq!(s.shutdown(), 0);
}

#[test]
fn an_open_document_wins_over_the_disk() {
    let dir = workspace(&[("a.py", "def from_disk(): pass\n"), ("b.py", "def other(): pass\n")]);
    let root = dir.path();
    let cache = tempfile::tempdir().unwrap();
    let mut s = start(root, cache.path());
    let a = root.join("a.py");
    s.open(&a, "python", "def from_editor(): pass\n");
    assert_eq!(defined_in(&mut s, root, "from_editor"), ["a.py"]);
    // The disk changes under the open buffer: the buffer stays the truth.
    write(&a, "def disk_edit(): pass\n");
    s.wait_for(|m| m["method"] == CHANGED);
    assert_eq!(defined_in(&mut s, root, "from_editor"), ["a.py"]);
    assert!(defined_in(&mut s, root, "disk_edit").is_empty());
    // Deleted on disk while open: still the buffer.
    std::fs::remove_file(&a).unwrap();
    s.wait_for(|m| m["method"] == CHANGED);
    assert_eq!(defined_in(&mut s, root, "from_editor"), ["a.py"]);
    // Closed: the disk is the truth again (the file is gone), then it comes back.
    s.notify("textDocument/didClose", json!({"textDocument": {"uri": uri(&a)}}));
    assert!(defined_in(&mut s, root, "from_editor").is_empty());
    write(&a, "def restored(): pass\n");
    settle(&mut s, "a closed file edited on disk", |s| defined_in(s, root, "restored") == ["a.py"]);
    assert_eq!(s.shutdown(), 0);
}

#[test]
fn client_file_events_are_registered_for_and_never_cost_twice() {
    let dir = workspace(&[("a.py", "def alpha(): pass\n")]);
    let root = dir.path();
    let cache = tempfile::tempdir().unwrap();
    let mut caps = default_capabilities();
    caps["workspace"]["didChangeWatchedFiles"] = json!({"dynamicRegistration": true});
    let mut s = Server::spawn_with_env(&[("SYMDEX_CACHE_DIR", cache.path().to_str().unwrap())]);
    s.initialize(root, caps, Value::Null);
    let registration = s.wait_for(|m| m["method"] == "client/registerCapability");
    let reg = &registration["params"]["registrations"][0];
    assert_eq!(reg["method"], "workspace/didChangeWatchedFiles");
    assert_eq!(reg["registerOptions"]["watchers"][0]["globPattern"], "**/*");
    if !s.notifications.iter().any(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end") {
        s.wait_for_index();
    }

    // Both the watcher and the client report a new file: it is indexed once.
    let b = root.join("b.py");
    replace(&b, "def beta(): pass\n");
    s.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": uri(&b), "type": 1}]}));
    settle(&mut s, "a new file reported twice", |s| defined_in(s, root, "beta") == ["b.py"]);
    // The notification of the batch that indexed it may still be on its way.
    let names_b =
        |m: &Value| m["method"] == CHANGED && m["params"]["uris"].as_array().unwrap().contains(&json!(uri(&b)));
    if !s.notifications.iter().any(names_b) {
        let change = s.wait_for(names_b);
        s.notifications.push(change);
    }
    let reindexed: u64 = s
        .notifications
        .iter()
        .filter(|n| n["method"] == CHANGED)
        .map(|n| n["params"]["reindexed"].as_u64().unwrap())
        .sum();
    assert_eq!(reindexed, 1, "{:#?}", s.notifications);
    // Reported again with nothing changed: nothing is read or parsed.
    s.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": uri(&b), "type": 2}]}));
    let change = s.wait_for(|m| m["method"] == CHANGED);
    assert_eq!(change["params"]["reindexed"], 0, "{change}");
    // Rewritten with the same bytes: read, found identical, not parsed.
    replace(&b, "def beta(): pass\n");
    let change = s.wait_for(|m| m["method"] == CHANGED);
    assert_eq!(change["params"]["reindexed"], 0, "{change}");
    assert_eq!(defined_in(&mut s, root, "beta"), ["b.py"]);
    // A deletion the client reports.
    std::fs::remove_file(&b).unwrap();
    s.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": uri(&b), "type": 3}]}));
    settle(&mut s, "a deletion", |s| defined_in(s, root, "beta").is_empty());
    assert_eq!(s.shutdown(), 0);
}

#[test]
fn a_burst_of_files_is_coalesced_and_reported_with_progress() {
    let dir = workspace(&[("a.py", "def alpha(): pass\n")]);
    let root = dir.path();
    let cache = tempfile::tempdir().unwrap();
    let staging = tempfile::tempdir().unwrap();
    let mut s = start(root, cache.path());
    let before = batches_seen(&s);
    for i in 0..300 {
        write(&staging.path().join(format!("m{}/f{i}.py", i % 7)), &format!("def burst_{i}(): pass\n"));
    }
    // One rename brings 300 files in at once (like a checkout would, file by file).
    std::fs::rename(staging.path(), root.join("burst")).unwrap();
    let files =
        |s: &mut Server| s.request("workspace/executeCommand", json!({"command": "symdex.status"}))["files"].clone();
    settle(&mut s, "300 new files", |s| files(s) == 301);
    assert_eq!(defined_in(&mut s, root, "burst_299"), ["burst/m5/f299.py"]);
    let begun = s.notifications.iter().any(|n| {
        n["method"] == "$/progress"
            && n["params"]["value"]["kind"] == "begin"
            && n["params"]["value"]["title"].as_str().is_some_and(|t| t.contains("reindexing 300"))
    });
    assert!(begun, "no progress for the burst: {:#?}", s.notifications);
    assert!(batches_seen(&s) - before < 10, "not coalesced");
    // Edits to many files at once are applied too.
    for i in (0..300).step_by(3) {
        write(&root.join(format!("burst/m{}/f{i}.py", i % 7)), &format!("def edited_{i}(): pass\n"));
    }
    settle(&mut s, "100 edits", |s| defined_in(s, root, "edited_297") == ["burst/m3/f297.py"]);
    settle(&mut s, "100 edits", |s| defined_in(s, root, "edited_0") == ["burst/m0/f0.py"]);
    assert_eq!(s.shutdown(), 0);
}

mod differential {
    //! After any sequence of disk and editor edits, the live index equals a fresh one.

    use super::*;
    use proptest::prelude::*;

    const FILES: [&str; 4] = ["a.py", "b.py", "sub/c.py", "sub/deep/d.rs"];

    #[derive(Clone, Debug)]
    enum Op {
        Write(usize, u8),
        Delete(usize),
        Rename(usize, usize),
        Open(usize, u8),
        Edit(usize, u8),
        Close(usize),
        RemoveDir,
    }

    fn op() -> impl Strategy<Value = Op> {
        let file = 0..FILES.len();
        let version = 0..4u8;
        prop_oneof![
            3 => (file.clone(), version.clone()).prop_map(|(f, v)| Op::Write(f, v)),
            1 => file.clone().prop_map(Op::Delete),
            1 => (file.clone(), file.clone()).prop_map(|(a, b)| Op::Rename(a, b)),
            1 => (file.clone(), version.clone()).prop_map(|(f, v)| Op::Open(f, v)),
            2 => (file.clone(), version).prop_map(|(f, v)| Op::Edit(f, v)),
            1 => file.prop_map(Op::Close),
            1 => Just(Op::RemoveDir),
        ]
    }

    fn text(file: usize, version: u8, editor: bool) -> String {
        let tag = if editor { "ed" } else { "disk" };
        if FILES[file].ends_with(".rs") {
            format!("fn {tag}_rs_{version}() {{}}\nstruct S{version};\n")
        } else {
            format!("def {tag}_f{file}_{version}(): pass\nclass C{version}:\n    def m{version}(self): pass\n")
        }
    }

    fn lang(file: usize) -> &'static str {
        if FILES[file].ends_with(".rs") {
            "rust"
        } else {
            "python"
        }
    }

    fn run(ops: &[Op]) {
        let dir = workspace(&[("a.py", "def start_a(): pass\n"), ("sub/c.py", "def start_c(): pass\n")]);
        let root = dir.path();
        let cache = tempfile::tempdir().unwrap();
        let mut live = start(root, cache.path());
        let mut open: BTreeMap<usize, (i64, String)> = BTreeMap::new();
        for op in ops {
            let path = |f: usize| root.join(FILES[f]);
            match *op {
                Op::Write(f, v) => write(&path(f), &text(f, v, false)),
                Op::Delete(f) => {
                    let _ = std::fs::remove_file(path(f));
                }
                Op::Rename(a, b) => {
                    if path(a).exists() && a != b {
                        std::fs::create_dir_all(path(b).parent().unwrap()).unwrap();
                        std::fs::rename(path(a), path(b)).unwrap();
                    }
                }
                Op::Open(f, v) | Op::Edit(f, v) => {
                    let new = text(f, v, true);
                    match open.get_mut(&f) {
                        Some((version, current)) => {
                            *version += 1;
                            *current = new.clone();
                            live.notify(
                                "textDocument/didChange",
                                json!({"textDocument": {"uri": uri(&path(f)), "version": *version}, "contentChanges": [{"text": new}]}),
                            );
                        }
                        None => {
                            live.open(&path(f), lang(f), &new);
                            open.insert(f, (1, new));
                        }
                    }
                }
                Op::Close(f) => {
                    if open.remove(&f).is_some() {
                        live.notify("textDocument/didClose", json!({"textDocument": {"uri": uri(&path(f))}}));
                    }
                }
                Op::RemoveDir => {
                    let _ = std::fs::remove_dir_all(root.join("sub"));
                }
            }
        }
        // The same final state, indexed from scratch.
        let fresh_cache = tempfile::tempdir().unwrap();
        let mut fresh = start(root, fresh_cache.path());
        for (f, (_, text)) in &open {
            fresh.open(&root.join(FILES[*f]), lang(*f), text);
        }
        let expected = dump(&mut fresh);
        settle(&mut live, &format!("live index after {ops:?}"), |s| dump(s) == expected);
        assert_eq!(fresh.shutdown(), 0);
        assert_eq!(live.shutdown(), 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 8, max_shrink_iters: 16, failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn the_live_index_equals_a_fresh_index(ops in prop::collection::vec(op(), 1..14)) {
            run(&ops);
        }
    }

    /// A rename over a file of the same size written in the same timestamp tick: equal size and
    /// mtime, different content.
    #[test]
    fn a_rename_over_a_file_written_in_the_same_tick() {
        for _ in 0..5 {
            run(&[Op::Rename(0, 2)]);
        }
    }

    #[test]
    fn a_file_edited_on_disk_while_open_then_closed() {
        run(&[Op::Open(0, 1), Op::Write(0, 2), Op::Close(0), Op::Write(0, 3)]);
    }

    #[test]
    fn a_directory_removed_with_an_open_file_in_it() {
        run(&[Op::Write(3, 1), Op::Open(2, 1), Op::RemoveDir, Op::Write(1, 0)]);
    }
}
