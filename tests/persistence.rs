//! The persistent index: a restarted server answers the same from its store and reuses exactly the
//! unchanged files; a damaged store of any kind is detected and rebuilt, never trusted; the store
//! follows live changes; two servers on one workspace leave a valid store; `symdex index` reports
//! what it reused.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{default_capabilities, workspace, Server};
use serde_json::{json, Value};

const FILES: &[(&str, &str)] = &[
    ("app/server.py", "class Handler:\n    def handle(self):\n        return helper()\n"),
    ("app/helpers.py", "def helper():\n    return 1\n\n\ndef unused_helper():\n    pass\n"),
    ("rust/src/lib.rs", "pub struct Config;\n\nimpl Config {\n    pub fn load() -> Config { Config }\n}\n"),
    ("web/main.ts", "export function makeShape(): number { return 1 }\n"),
    ("go/main.go", "package main\n\nfunc Run() {}\n"),
];

/// A server on `root` with its own cache, once its indexing run ended; with the run's summary.
fn start(root: &Path, cache: &Path) -> (Server, String) {
    let mut server = Server::spawn_with_env(&[("SYMDEX_CACHE_DIR", cache.to_str().unwrap())]);
    server.initialize(root, default_capabilities(), Value::Null);
    let end = server.wait_for_index();
    let summary = end["params"]["value"]["message"].as_str().unwrap().to_owned();
    (server, summary)
}

/// The end of the indexing run, whether it came while waiting for something else or not.
fn index_end(server: &mut Server) -> Value {
    let end = |m: &Value| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end";
    match server.notifications.iter().position(end) {
        Some(i) => server.notifications.remove(i),
        None => server.wait_for(end),
    }
}

/// Re-checks `holds` after each applied batch of file changes until it is true (bounded).
fn settle(server: &mut Server, what: &str, mut holds: impl FnMut(&mut Server) -> bool) {
    let seen = |s: &Server| s.notifications.iter().filter(|n| n["method"] == "symdex/indexChanged").count();
    for _ in 0..40 {
        let before = seen(server);
        if holds(server) {
            return;
        }
        if seen(server) == before {
            let change = server.wait_for(|m| m["method"] == "symdex/indexChanged");
            server.notifications.push(change);
        }
    }
    panic!("{what}: still not true after 40 batches");
}

fn status(server: &mut Server) -> Value {
    server.request("workspace/executeCommand", json!({"command": "symdex.status"}))
}

/// The cache numbers of the (only) root's last indexing run.
fn cache_of(server: &mut Server) -> Value {
    status(server)["scans"][0]["cache"].clone()
}

fn counts(cache: &Value) -> (u64, u64, u64, u64) {
    let n = |k: &str| cache[k].as_u64().unwrap_or_else(|| panic!("{k} in {cache}"));
    (n("hits"), n("stale"), n("misses"), n("dropped"))
}

fn dump(server: &mut Server) -> Value {
    server.request("workspace/executeCommand", json!({"command": "symdex.dump"}))
}

/// What a server that never saw a store answers.
fn fresh_dump(root: &Path) -> Value {
    let cache = tempfile::tempdir().unwrap();
    let (mut server, _) = start(root, cache.path());
    let dump = dump(&mut server);
    assert_eq!(server.shutdown(), 0);
    dump
}

fn store_of(cache: &Path) -> PathBuf {
    let stores: Vec<PathBuf> = std::fs::read_dir(cache.join("index"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "idx"))
        .collect();
    assert_eq!(stores.len(), 1, "{stores:?}");
    stores[0].clone()
}

#[test]
fn a_restarted_server_answers_the_same_from_its_store() {
    let dir = workspace(FILES);
    let cache = tempfile::tempdir().unwrap();
    let (mut first, summary) = start(dir.path(), cache.path());
    assert!(summary.contains("cache: 0 hits, 0 stale, 5 misses"), "{summary}");
    let answers = dump(&mut first);
    let handle = first.workspace_symbols("handle");
    assert_eq!(first.shutdown(), 0);

    let store = store_of(cache.path());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&store).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(cache.path().join("index")).unwrap().permissions().mode() & 0o777, 0o700);
    }

    // The store's files are served before the tree is walked, and answer at once.
    let mut second = Server::spawn_with_env(&[("SYMDEX_CACHE_DIR", cache.path().to_str().unwrap())]);
    second.initialize(dir.path(), default_capabilities(), Value::Null);
    let served = second.wait_for(|m| {
        m["method"] == "$/progress"
            && m["params"]["value"]["message"].as_str().is_some_and(|m| m.ends_with(symdex::server::SERVED))
    });
    assert_eq!(served["params"]["value"]["message"], format!("5 {}", symdex::server::SERVED));
    assert_eq!(second.workspace_symbols("handle"), handle);
    let summary = index_end(&mut second)["params"]["value"]["message"].as_str().unwrap().to_owned();
    assert!(summary.starts_with("5 files"), "{summary}");
    assert!(summary.contains("cache: 5 hits, 0 stale, 0 misses"), "{summary}");
    let cache_status = cache_of(&mut second);
    assert_eq!(cache_status["status"], "loaded");
    assert_eq!(counts(&cache_status), (5, 0, 0, 0));
    assert_eq!(dump(&mut second), answers);
    assert_eq!(second.workspace_symbols("handle"), handle);
    let defs = second.definition(&dir.path().join("app/server.py"), 2, 16);
    assert_eq!(defs.iter().map(common::file_line).collect::<Vec<_>>(), [("helpers.py".to_owned(), 0)]);
    assert_eq!(second.shutdown(), 0);
}

#[test]
fn changes_between_runs_are_seen_exactly() {
    let dir = workspace(FILES);
    let root = dir.path();
    let cache = tempfile::tempdir().unwrap();
    let (first, _) = start(root, cache.path());
    assert_eq!(first.shutdown(), 0);

    // Grown, same size with other content, touched only, deleted, added.
    std::fs::write(root.join("app/server.py"), "class Handler:\n    def handle_more(self):\n        return 2\n")
        .unwrap();
    let helpers = std::fs::read_to_string(root.join("app/helpers.py")).unwrap();
    let same_size = helpers.replace("unused_helper", "unused_hexper");
    assert_eq!(same_size.len(), helpers.len());
    std::fs::write(root.join("app/helpers.py"), same_size).unwrap();
    let lib = root.join("rust/src/lib.rs");
    let later = std::fs::metadata(&lib).unwrap().modified().unwrap() + std::time::Duration::from_secs(7);
    std::fs::File::options().write(true).open(&lib).unwrap().set_modified(later).unwrap();
    std::fs::remove_file(root.join("go/main.go")).unwrap();
    std::fs::write(root.join("added.py"), "def added_between_runs(): pass\n").unwrap();

    let (mut second, summary) = start(root, cache.path());
    // lib.rs (touched, same bytes) and main.ts are reused; the two edits are stale; one is new.
    assert_eq!(counts(&cache_of(&mut second)), (2, 2, 1, 1), "{summary}");
    assert_eq!(dump(&mut second), fresh_dump(root));
    assert_eq!(second.symbol_names("added_between_runs"), ["added_between_runs"]);
    assert!(second.symbol_names("unused_helper").iter().all(|n| n != "unused_helper"));
    assert!(second.symbol_names("Run").iter().all(|n| n != "Run"));
    assert_eq!(second.shutdown(), 0);

    // The store now holds the new state: everything is a hit.
    let (mut third, _) = start(root, cache.path());
    assert_eq!(counts(&cache_of(&mut third)), (5, 0, 0, 0));
    assert_eq!(third.shutdown(), 0);
}

#[test]
fn a_damaged_store_is_detected_and_rebuilt() {
    let dir = workspace(FILES);
    let root = dir.path();
    let expected = fresh_dump(root);
    type Damage = fn(&Path);
    let damages: &[(&str, Damage, &[&str])] = &[
        (
            "truncated",
            |p| {
                let bytes = std::fs::read(p).unwrap();
                std::fs::write(p, &bytes[..bytes.len() * 2 / 3]).unwrap();
            },
            &["corrupt"],
        ),
        (
            "random bytes",
            |p| {
                let len = std::fs::metadata(p).unwrap().len() as usize;
                let noise: Vec<u8> = (0..len).map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8).collect();
                std::fs::write(p, noise).unwrap();
            },
            &["corrupt"],
        ),
        (
            "one flipped byte",
            |p| {
                let mut bytes = std::fs::read(p).unwrap();
                let at = bytes.len() - 10;
                bytes[at] ^= 0x20;
                std::fs::write(p, bytes).unwrap();
            },
            &["corrupt"],
        ),
        (
            "foreign version header",
            |p| {
                let mut bytes = std::fs::read(p).unwrap();
                bytes[8..12].copy_from_slice(&7777u32.to_le_bytes());
                std::fs::write(p, bytes).unwrap();
            },
            &["corrupt"],
        ),
        (
            "a bad record under a good checksum",
            |p| {
                let mut bytes = std::fs::read(p).unwrap();
                // The last byte is the kind and role of the last file's last symbol record (a
                // 16-byte record, read where it lies by a fresh process): no kind has that code.
                *bytes.last_mut().unwrap() = 0xff;
                // The checksum (bytes 12..28) of the body (from byte 36), made right again.
                let checksum = xxhash_rust::xxh3::xxh3_128(&bytes[36..]);
                bytes[12..28].copy_from_slice(&checksum.to_le_bytes());
                std::fs::write(p, bytes).unwrap();
            },
            &["corrupt"],
        ),
        ("empty", |p| std::fs::write(p, b"").unwrap(), &["corrupt"]),
        (
            "a directory in its place",
            |p| {
                std::fs::remove_file(p).unwrap();
                std::fs::create_dir_all(p.join("junk")).unwrap();
            },
            &["unreadable"],
        ),
        (
            "no permissions",
            |p| {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o000)).unwrap();
            },
            &["unreadable", "loaded"],
        ), // root reads through permissions
    ];
    for (what, damage, statuses) in damages {
        let cache = tempfile::tempdir().unwrap();
        let (first, _) = start(root, cache.path());
        assert_eq!(first.shutdown(), 0);
        let store = store_of(cache.path());
        damage(&store);

        let (mut second, summary) = start(root, cache.path());
        let c = cache_of(&mut second);
        assert!(statuses.iter().any(|s| c["status"] == *s), "{what}: {c}");
        // (Files served before the bad record was read were each checked: they may stay.)
        if c["status"] != "loaded" && !what.contains("good checksum") {
            assert_eq!(counts(&c).0, 0, "{what}: nothing reused from a damaged store");
            assert!(summary.contains("cache: 0 hits"), "{what}: {summary}");
        }
        assert_eq!(dump(&mut second), expected, "{what}: answers");
        assert_eq!(second.shutdown(), 0);

        let (mut third, _) = start(root, cache.path());
        let c = cache_of(&mut third);
        assert_eq!(c["status"], "loaded", "{what}: rebuilt");
        assert_eq!(counts(&c), (5, 0, 0, 0), "{what}: rebuilt");
        assert_eq!(third.shutdown(), 0);
    }
}

#[test]
fn the_store_follows_live_changes() {
    let dir = workspace(FILES);
    let root = dir.path();
    let cache = tempfile::tempdir().unwrap();
    let (mut server, _) = start(root, cache.path());
    std::fs::write(root.join("go/main.go"), "package main\n\nfunc RunLive() {}\n").unwrap();
    std::fs::write(root.join("live.py"), "def made_live(): pass\n").unwrap();
    std::fs::remove_file(root.join("web/main.ts")).unwrap();
    settle(&mut server, "live changes", |s| {
        s.symbol_names("made_live") == ["made_live"]
            && s.symbol_names("RunLive") == ["RunLive"]
            && s.symbol_names("makeShape").is_empty()
    });
    // Shutdown writes what is pending.
    assert_eq!(server.shutdown(), 0);
    let (mut again, _) = start(root, cache.path());
    assert_eq!(counts(&cache_of(&mut again)), (5, 0, 0, 0));
    assert_eq!(dump(&mut again), fresh_dump(root));
    assert_eq!(again.shutdown(), 0);
}

#[test]
fn two_servers_on_one_workspace_leave_a_valid_store() {
    let dir = workspace(FILES);
    let root = dir.path();
    let cache = tempfile::tempdir().unwrap();
    for round in 0..3 {
        let env = [("SYMDEX_CACHE_DIR", cache.path().to_str().unwrap())];
        let mut a = Server::spawn_with_env(&env);
        let mut b = Server::spawn_with_env(&env);
        a.initialize(root, default_capabilities(), Value::Null);
        b.initialize(root, default_capabilities(), Value::Null);
        a.wait_for_index();
        b.wait_for_index();
        std::fs::write(root.join(format!("round{round}.py")), format!("def round_{round}(): pass\n")).unwrap();
        for s in [&mut a, &mut b] {
            settle(s, "a new file", |s| s.symbol_names(&format!("round_{round}")).len() == 1);
        }
        // Both write their stores as they exit, at the same time.
        a.request_raw("shutdown", Value::Null);
        b.request_raw("shutdown", Value::Null);
        assert_eq!(a.shutdown(), 0);
        assert_eq!(b.shutdown(), 0);
    }
    let (mut last, _) = start(root, cache.path());
    let c = cache_of(&mut last);
    assert_eq!(c["status"], "loaded");
    assert_eq!(counts(&c), (8, 0, 0, 0));
    assert_eq!(dump(&mut last), fresh_dump(root));
    assert_eq!(last.shutdown(), 0);
}

#[test]
fn the_cache_dir_setting_wins_over_the_environment() {
    let dir = workspace(FILES);
    let env_cache = tempfile::tempdir().unwrap();
    let setting = tempfile::tempdir().unwrap();
    let mut server = Server::spawn_with_env(&[("SYMDEX_CACHE_DIR", env_cache.path().to_str().unwrap())]);
    server.initialize(dir.path(), default_capabilities(), json!({"cacheDir": setting.path()}));
    server.wait_for_index();
    assert_eq!(status(&mut server)["cacheDir"], json!(setting.path().join("index")));
    assert_eq!(server.shutdown(), 0);
    assert!(store_of(setting.path()).exists());
    assert!(!env_cache.path().join("index").exists());
}

fn symdex_index(args: &[&str], cache: &Path) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_symdex"))
        .arg("index")
        .arg("--json")
        .args(args)
        .env("SYMDEX_CACHE_DIR", cache)
        .output()
        .expect("run symdex index");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("json")
}

#[test]
fn symdex_index_reports_what_it_reused() {
    let dir = workspace(FILES);
    let root = dir.path().to_str().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let cold = symdex_index(&[root], cache.path());
    assert_eq!(counts(&cold["cache"]), (0, 0, 5, 0));
    assert_eq!(cold["cache"]["status"], "missing");
    assert_eq!(cold["cache"]["saved_files"], 5);
    let warm = symdex_index(&[root], cache.path());
    assert_eq!(counts(&warm["cache"]), (5, 0, 0, 0));
    assert_eq!(warm["stats"]["cache_hits"], 5);
    assert_eq!(warm["stats"]["symbols"], cold["stats"]["symbols"]);
    assert!(warm["ready_time"].as_f64().unwrap() > 0.0);
    // The server shares the CLI's store.
    let (mut server, _) = start(dir.path(), cache.path());
    assert_eq!(counts(&cache_of(&mut server)), (5, 0, 0, 0));
    assert_eq!(server.shutdown(), 0);
    // --no-cache neither reads nor writes; --cache-dir picks another place.
    let none = tempfile::tempdir().unwrap();
    let uncached = symdex_index(&["--no-cache", root], none.path());
    assert!(uncached["cache"].is_null());
    assert!(!none.path().join("index").exists());
    let elsewhere = tempfile::tempdir().unwrap();
    let other = symdex_index(&["--cache-dir", elsewhere.path().to_str().unwrap(), root], none.path());
    assert_eq!(counts(&other["cache"]), (0, 0, 5, 0));
    assert!(store_of(elsewhere.path()).exists());
    // Human output names the numbers too.
    let human = Command::new(env!("CARGO_BIN_EXE_symdex"))
        .args(["index", root])
        .env("SYMDEX_CACHE_DIR", cache.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("cache: 5 hits, 0 stale, 0 misses"), "{text}");
}
