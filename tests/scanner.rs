//! Scanner tests on real trees made in the test: ignore rules, binaries, size limit, symlinks,
//! and the same result from one worker and from many.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use symdex::scanner::{self, CancelToken, NoReuse, ScanConfig, ScanStats};

fn config(workers: usize) -> ScanConfig {
    ScanConfig {
        workers,
        max_file_size: 1024,
        exclude: Vec::new(),
        follow_symlinks: false,
        count_ignored: true,
        priority_dirs: Vec::new(),
    }
}

/// Scans `root` and returns the indexed paths (relative) with the stats.
fn scan(root: &Path, config: &ScanConfig) -> (BTreeSet<String>, ScanStats) {
    let seen = Mutex::new(BTreeSet::new());
    let sink = |file: scanner::IndexedFile| {
        let rel = file.path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        seen.lock().unwrap().insert(rel);
    };
    let stats = scanner::scan(root, config, &CancelToken::new(), &NoReuse, &sink, &|_| {});
    (seen.into_inner().unwrap(), stats)
}

fn write(root: &Path, rel: &str, contents: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

fn git_init(root: &Path) {
    let status = Command::new("git").arg("init").arg("-q").arg(root).status().expect("git is installed");
    assert!(status.success());
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn gitignore_applies_inside_a_git_repository_like_ripgrep() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git_init(root);
    write(root, ".gitignore", b"build/\n*.gen.py\n");
    write(root, "src/main.py", b"def main(): pass\n");
    write(root, "src/skip.gen.py", b"def generated(): pass\n");
    write(root, "build/out.py", b"def built(): pass\n");
    write(root, "pkg/.ignore", b"local.py\n");
    write(root, "pkg/local.py", b"def local(): pass\n");
    write(root, "pkg/kept.py", b"def kept(): pass\n");
    write(root, ".hidden/secret.py", b"def secret(): pass\n");
    write(root, ".git/info/exclude", b"excluded.py\n");
    write(root, "excluded.py", b"def excluded(): pass\n");
    let (files, stats) = scan(root, &config(2));
    assert_eq!(files, set(&["pkg/kept.py", "src/main.py"]));
    assert!(stats.skipped.ignored >= 5, "{:?}", stats.skipped);
}

#[test]
fn gitignore_outside_a_git_repository_does_not_count() {
    // Like `rg`: a .gitignore only applies inside a git repository (Debian's kernel tarball ships
    // a .gitignore of `/*`).
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, ".gitignore", b"/*\n");
    write(root, "a.py", b"def a(): pass\n");
    let (files, _) = scan(root, &config(1));
    assert_eq!(files, set(&["a.py"]));
}

#[test]
fn user_excludes_binaries_size_limit_and_unsupported_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "ok.rs", b"fn ok() {}\n");
    write(root, "gen/out.rs", b"fn out() {}\n");
    write(root, "blob.rs", b"fn bin() {}\0\x01\x02");
    write(root, "huge.rs", &vec![b'/'; 4096]);
    write(root, "notes.txt", b"hello");
    let mut cfg = config(2);
    cfg.exclude = vec!["gen/".to_owned()];
    let (files, stats) = scan(root, &cfg);
    assert_eq!(files, set(&["ok.rs"]));
    assert_eq!(stats.skipped.binary, 1);
    assert_eq!(stats.skipped.too_large, 1);
    assert_eq!(stats.skipped.unsupported, 1);
    assert_eq!(stats.files_indexed, 1);
    assert_eq!(stats.languages["rust"].files, 1);
}

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed_by_default_and_loops_never_hang() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "a/real.py", b"def real(): pass\n");
    write(outside.path(), "far.py", b"def far(): pass\n");
    std::os::unix::fs::symlink(root.join("a"), root.join("a/loop")).unwrap();
    std::os::unix::fs::symlink(root, root.join("a/up")).unwrap();
    std::os::unix::fs::symlink(root.join("a/real.py"), root.join("alias.py")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("escape")).unwrap();
    let (files, stats) = scan(root, &config(2));
    assert_eq!(files, set(&["a/real.py"]));
    assert_eq!(stats.skipped.symlink, 4);
    // Following links: the file alias is indexed, loops and links out of the workspace are not.
    let mut follow = config(2);
    follow.follow_symlinks = true;
    let (files, stats) = scan(root, &follow);
    assert_eq!(files, set(&["a/real.py", "alias.py"]));
    assert!(stats.skipped.symlink >= 3, "{:?}", stats.skipped);
}

#[cfg(unix)]
#[test]
fn unreadable_directories_are_logged_and_skipped() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "open/a.py", b"def a(): pass\n");
    write(root, "locked/b.py", b"def b(): pass\n");
    std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable_anyway = std::fs::read_dir(root.join("locked")).is_ok(); // running as root
    let (files, stats) = scan(root, &config(2));
    std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
    if readable_anyway {
        assert_eq!(files, set(&["locked/b.py", "open/a.py"]));
    } else {
        assert_eq!(files, set(&["open/a.py"]));
        assert_eq!(stats.skipped.unreadable, 1);
    }
}

#[test]
fn one_worker_and_many_find_the_same_files_and_symbols() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for d in 0..12 {
        for f in 0..9 {
            let text =
                format!("def fn_{d}_{f}(x):\n    return helper_{f}(x)\n\nclass C{d}{f}:\n    def m(self): pass\n");
            write(root, &format!("pkg{d}/sub{}/m{f}.py", f % 3), text.as_bytes());
        }
    }
    let (one, s1) = scan(root, &config(1));
    let (many, s4) = scan(root, &config(4));
    assert_eq!(one.len(), 108);
    assert_eq!(one, many);
    assert_eq!((s1.symbols, s1.definitions, s1.dirs), (s4.symbols, s4.definitions, s4.dirs));
    assert_eq!(s1.definitions, 108 * 3);
}

#[test]
fn a_cancelled_scan_stops_between_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.py", b"def a(): pass\n");
    let cancel = CancelToken::new();
    cancel.cancel();
    let stats = scanner::scan(dir.path(), &config(2), &cancel, &NoReuse, &|_| panic!("nothing indexed"), &|_| {});
    assert!(stats.cancelled);
    assert_eq!(stats.files_indexed, 0);
}

#[test]
fn files_near_open_documents_are_indexed_first() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "big/huge.py", "def big(): pass\n".repeat(50).as_bytes());
    for i in 0..5 {
        write(root, &format!("here/m{i}.py"), b"def small(): pass\n");
    }
    let mut cfg = config(1);
    cfg.max_file_size = 1 << 20;
    cfg.priority_dirs = vec![root.join("here")];
    let order = Mutex::new(Vec::new());
    let sink = |file: scanner::IndexedFile| order.lock().unwrap().push(file.path);
    scanner::scan(root, &cfg, &CancelToken::new(), &NoReuse, &sink, &|_| {});
    let order = order.into_inner().unwrap();
    assert_eq!(order.len(), 6);
    assert!(order[..5].iter().all(|p| p.starts_with(root.join("here"))), "{order:?}");
}
