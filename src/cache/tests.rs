use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::*;
use crate::index::{FileUpdate, Index};
use crate::scanner::{self, CancelToken, NoReuse, ScanConfig, ScanStats};

fn config() -> ScanConfig {
    ScanConfig { workers: 2, max_file_size: 1 << 20, ..ScanConfig::from_config(&Default::default()) }
}

/// Writes `text` to `root/path` with an mtime an hour ago (so the entry is not racy).
fn write_old(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    fs::create_dir_all(full.parent().unwrap()).unwrap();
    fs::write(&full, text).unwrap();
    set_mtime(&full, SystemTime::now() - Duration::from_secs(3600));
}

fn set_mtime(path: &Path, time: SystemTime) {
    fs::File::options().write(true).open(path).unwrap().set_modified(time).unwrap();
}

/// Indexes `root` with `reuse`, noting racy files, like the server does.
fn index(root: &Path, reuse: &dyn Reuse, racy: &Racy) -> (Index, ScanStats) {
    let index = Index::new();
    let sink = |file: IndexedFile| {
        racy.note(&file.path, &file.stamp);
        index.upsert(FileUpdate {
            path: file.path,
            lang: file.lang,
            symbols: file.symbols,
            origin: Origin::Disk,
            stamp: file.stamp,
        });
    };
    let stats = scanner::scan(root, &config(), &CancelToken::new(), reuse, &sink, &|_| {});
    (index, stats)
}

fn dump(index: &Index) -> Vec<(PathBuf, &'static str, &'static str, u32, u32)> {
    let mut rows: Vec<_> = index
        .files()
        .iter()
        .flat_map(|f| {
            let path = f.path.to_path_buf();
            f.symbols
                .iter()
                .map(move |s| (path.clone(), s.name.as_str(), s.kind.label(), s.range.start.line, s.range.end.col))
        })
        .collect();
    rows.sort();
    rows
}

fn save(cache: &Cache, root: &Path, index: &Index, racy: &Racy) -> Saved {
    let files = index.files();
    cache.save(root, files.iter().map(|f| &**f), racy).unwrap()
}

#[test]
fn a_warm_scan_reuses_exactly_the_unchanged_files() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path();
    for (path, text) in [
        ("a.py", "def size_changes(): pass\n"),
        ("b.py", "def same_size_aa(): pass\n"),
        ("pkg/c.rs", "fn touched_only() {}\n"),
        ("pkg/d.py", "def deleted(): pass\n"),
        ("f.py", "class Unchanged:\n    def method(self): pass\n"),
    ] {
        write_old(root, path, text);
    }
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(cache_dir.path());
    let racy = Racy::new();
    let (cold, _) = index(root, &NoReuse, &racy);
    let saved = save(&cache, root, &cold, &racy);
    assert_eq!(saved.files, 5);

    write_old(root, "a.py", "def size_changes_and_grows(): pass\n");
    write_old(root, "b.py", "def same_size_bb(): pass\n");
    set_mtime(&root.join("pkg/c.rs"), SystemTime::now() - Duration::from_secs(60));
    fs::remove_file(root.join("pkg/d.py")).unwrap();
    write_old(root, "e.py", "def new_file(): pass\n");

    let store = cache.load(root);
    let (warm, stats) = index(root, &store, &Racy::new());
    let c = store.stats();
    assert_eq!(c.status, LoadStatus::Loaded);
    assert_eq!((c.entries, c.hits, c.stale, c.misses, c.dropped), (5, 2, 2, 1, 1), "{c:?}");
    assert_eq!(stats.cache_hits, 2);
    let (fresh, _) = index(root, &NoReuse, &Racy::new());
    assert_eq!(dump(&warm), dump(&fresh));
    // The touched file's stamp now carries its new mtime.
    let c_rs = warm.file(&root.join("pkg/c.rs")).unwrap();
    assert_eq!(c_rs.stamp.mtime_ns, scanner::mtime_ns(&fs::metadata(root.join("pkg/c.rs")).unwrap()));
}

#[test]
fn a_racy_entry_is_checked_by_content() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path();
    // Written just now: the mtime alone cannot vouch for it later.
    fs::write(root.join("r.py"), "def racy_aaaa(): pass\n").unwrap();
    let mtime = fs::metadata(root.join("r.py")).unwrap().modified().unwrap();
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(cache_dir.path());
    let racy = Racy::new();
    let (cold, _) = index(root, &NoReuse, &racy);
    assert!(racy.contains(&root.join("r.py")));
    save(&cache, root, &cold, &racy);
    // Same size, same mtime, other content: only the hash tells.
    fs::write(root.join("r.py"), "def racy_bbbb(): pass\n").unwrap();
    set_mtime(&root.join("r.py"), mtime);
    let store = cache.load(root);
    let (warm, _) = index(root, &store, &Racy::new());
    assert_eq!((store.stats().hits, store.stats().stale), (0, 1));
    assert_eq!(dump(&warm)[0].1, "racy_bbbb");
}

#[test]
fn the_store_is_private_and_named_after_its_root() {
    let work = tempfile::tempdir().unwrap();
    write_old(work.path(), "a.py", "def f(): pass\n");
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(&cache_dir.path().join("nested/base"));
    let racy = Racy::new();
    let (cold, _) = index(work.path(), &NoReuse, &racy);
    save(&cache, work.path(), &cold, &racy);
    let store = cache.store_path(work.path());
    assert_eq!(store.parent().unwrap(), cache_dir.path().join("nested/base/index"));
    let name = work.path().file_name().unwrap().to_string_lossy().replace('.', "");
    assert!(store.file_name().unwrap().to_string_lossy().starts_with(&name), "{}", store.display());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(&store).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(store.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
    }
    // No temp file is left behind.
    let leftovers: Vec<_> = fs::read_dir(store.parent().unwrap()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[test]
fn an_unusable_store_is_never_trusted_and_is_replaced() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path();
    write_old(root, "a.py", "def alpha(): pass\n");
    write_old(root, "b.rs", "fn beta() {}\n");
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(cache_dir.path());
    let racy = Racy::new();
    let (cold, _) = index(root, &NoReuse, &racy);
    save(&cache, root, &cold, &racy);
    let path = cache.store_path(root);
    let good = fs::read(&path).unwrap();
    let mut foreign = good.clone();
    foreign[8..12].copy_from_slice(&99u32.to_le_bytes());
    let mut flipped = good.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0x5a;
    let mut longer = good.clone();
    longer.extend_from_slice(b"junk");
    let cases: Vec<(&str, Vec<u8>, LoadStatus)> = vec![
        ("empty", Vec::new(), LoadStatus::Corrupt),
        ("half a header", good[..20].to_vec(), LoadStatus::Corrupt),
        ("truncated body", good[..good.len() / 2].to_vec(), LoadStatus::Corrupt),
        ("trailing junk", longer, LoadStatus::Corrupt),
        ("flipped byte", flipped, LoadStatus::Corrupt),
        ("foreign format", foreign, LoadStatus::Corrupt),
        (
            "random bytes",
            (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect(),
            LoadStatus::Corrupt,
        ),
    ];
    for (what, bytes, status) in cases {
        fs::write(&path, &bytes).unwrap();
        let store = cache.load(root);
        let (warm, _) = index(root, &store, &Racy::new());
        assert_eq!(store.stats().status, status, "{what}: {:?}", store.stats().detail);
        assert_eq!(store.stats().hits, 0, "{what}");
        assert_eq!(dump(&warm), dump(&cold), "{what}");
        save(&cache, root, &warm, &Racy::new());
        assert_eq!(cache.load(root).stats().status, LoadStatus::Loaded, "{what}: rebuilt");
    }
    // A directory in its place: unreadable, then replaced by the next save.
    fs::remove_file(&path).unwrap();
    fs::create_dir_all(path.join("inner")).unwrap();
    let store = cache.load(root);
    assert_eq!(store.stats().status, LoadStatus::Unreadable);
    save(&cache, root, &cold, &racy);
    assert_eq!(cache.load(root).stats().status, LoadStatus::Loaded);
}

#[test]
fn every_damaged_byte_is_caught() {
    let work = tempfile::tempdir().unwrap();
    write_old(work.path(), "a.py", "def alpha(): pass\nclass B:\n    def c(self): pass\n");
    let racy = Racy::new();
    let (cold, _) = index(work.path(), &NoReuse, &racy);
    let files = cold.files();
    let encode: Vec<format::EncodeFile<'_>> = files
        .iter()
        .map(|f| format::EncodeFile {
            relative: format::path_bytes(f.path.strip_prefix(work.path()).unwrap()).unwrap(),
            entry: f,
            racy: false,
        })
        .collect();
    let good = format::encode(&current_meta(work.path()), &encode).unwrap();
    let (_, decoded) = format::decode(&good).unwrap();
    let symbols = format::decode_symbols(decoded.files[0].symbols, decoded.files[0].count, &decoded.names).unwrap();
    assert_eq!(symbols, cold.files()[0].symbols);
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x01;
        assert!(format::decode(&bad).is_err(), "flipping byte {i} went unnoticed");
        assert!(format::decode(&good[..i]).is_err(), "truncation at {i} went unnoticed");
    }
}

#[test]
fn an_outdated_store_counts_its_entries_as_stale() {
    let work = tempfile::tempdir().unwrap();
    write_old(work.path(), "a.py", "def alpha(): pass\n");
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(cache_dir.path());
    let racy = Racy::new();
    let (cold, _) = index(work.path(), &NoReuse, &racy);
    let files = cold.files();
    let encode: Vec<format::EncodeFile<'_>> =
        files.iter().map(|f| format::EncodeFile { relative: b"a.py".to_vec(), entry: f, racy: false }).collect();
    let mut meta = current_meta(work.path());
    meta.version = "0.0.0-older".to_owned();
    let bytes = format::encode(&meta, &encode).unwrap();
    fs::create_dir_all(cache.dir()).unwrap();
    fs::write(cache.store_path(work.path()), bytes).unwrap();
    let store = cache.load(work.path());
    let (_, _) = index(work.path(), &store, &Racy::new());
    let stats = store.stats();
    assert_eq!((stats.status, stats.hits, stats.stale), (LoadStatus::Outdated, 0, 1));
}

#[test]
fn stores_of_vanished_temporary_folders_are_collected() {
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(cache_dir.path());
    let kept = tempfile::tempdir().unwrap();
    let gone = tempfile::tempdir().unwrap();
    for root in [kept.path(), gone.path()] {
        write_old(root, "a.py", "def f(): pass\n");
        let racy = Racy::new();
        let (index, _) = index(root, &NoReuse, &racy);
        save(&cache, root, &index, &racy);
    }
    let gone_store = cache.store_path(gone.path());
    drop(gone);
    cache.collect_garbage();
    assert!(!gone_store.exists());
    assert!(cache.store_path(kept.path()).exists());
}

#[test]
fn symbols_round_trip_through_their_compact_encoding() {
    use crate::symbol::{Name, Pos, Role, Span, Symbol, SymbolKind, NO_PARENT};
    let pos = |line, col, col16| Pos { line, col, col16 };
    let symbols = vec![
        Symbol {
            name: Name::new("outer"),
            kind: SymbolKind::Class,
            role: Role::Definition,
            range: Span { start: pos(0, 0, 0), end: pos(120_000, 3, 3) },
            name_range: Span { start: pos(0, 6, 6), end: pos(0, 11, 11) },
            parent: NO_PARENT,
        },
        Symbol {
            name: Name::new("héllo😀"),
            kind: SymbolKind::Other,
            role: Role::Scope,
            range: Span { start: pos(7, 40, 33), end: pos(9, 2, 1) },
            // A name before its construct (never made, but representable).
            name_range: Span { start: pos(5, u32::MAX, 0), end: pos(5, 1, 1) },
            parent: 0,
        },
        Symbol {
            name: Name::new("outer"),
            kind: SymbolKind::Impl,
            role: Role::Reference,
            range: Span { start: pos(u32::MAX - 1, 1, 1), end: pos(u32::MAX, 2, 2) },
            name_range: Span { start: pos(u32::MAX - 1, 1, 1), end: pos(u32::MAX - 1, 2, 2) },
            parent: 1,
        },
    ];
    let entry = FileEntry {
        id: 0,
        path: Arc::from(Path::new("/r/a.rs")),
        lang: Lang::Rust,
        symbols: symbols.clone(),
        vendored: false,
        origin: Origin::Disk,
        stamp: Stamp { size: 1, mtime_ns: 2, hash: [3; 32] },
    };
    let files = [format::EncodeFile { relative: b"a.rs".to_vec(), entry: &entry, racy: true }];
    let bytes = format::encode(&current_meta(Path::new("/r")), &files).unwrap();
    let (_, decoded) = format::decode(&bytes).unwrap();
    let f = &decoded.files[0];
    assert_eq!(
        (f.relative, f.lang, f.size, f.mtime_ns, f.hash, f.racy),
        (&b"a.rs"[..], Some(Lang::Rust), 1, 2, [3; 32], true)
    );
    assert_eq!(format::decode_symbols(f.symbols, f.count, &decoded.names).unwrap(), symbols);
    // A count that does not match the bytes is an error, not a misread.
    assert!(format::decode_symbols(f.symbols, f.count + 1, &decoded.names).is_err());
    assert!(format::decode_symbols(f.symbols, f.count - 1, &decoded.names).is_err());
}
