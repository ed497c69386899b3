use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::*;
use crate::index::{FileUpdate, Index, StoredNames, Symbols};
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
            stored: None,
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

/// Every definition of every name either index ever defined: (name, file, symbol), sorted.
fn definitions(index: &Index, other: &Index) -> Vec<(&'static str, PathBuf, usize)> {
    let mut names: Vec<&'static str> = [index, other]
        .iter()
        .flat_map(|i| i.files())
        .flat_map(|f| f.symbols.iter().map(|s| s.name.as_str()).collect::<Vec<_>>())
        .collect();
    names.sort_unstable();
    names.dedup();
    for name in &names {
        let mut files: Vec<_> = index.definitions_of(name).iter().map(|d| d.file.id).collect();
        files.dedup();
        assert_eq!(index.listed_files(name), files.len(), "{name}: a file listed that is not indexed");
    }
    let mut found: Vec<_> = names
        .into_iter()
        .flat_map(|name| {
            index.definitions_of(name).into_iter().map(move |d| (name, d.file.path.to_path_buf(), d.index))
        })
        .collect();
    found.sort();
    found
}

/// What workspace/symbol finds for `text`: each hit's file and symbol, sorted.
fn search(index: &Index, text: &str) -> Vec<(PathBuf, usize)> {
    let hits = index.search(&crate::index::SearchQuery { text: text.to_owned(), limit: 100 });
    let mut found: Vec<_> = hits.iter().map(|h| (h.file.path.to_path_buf(), h.index)).collect();
    found.sort();
    found
}

fn save(cache: &Cache, root: &Path, index: &Index, racy: &Racy) -> Saved {
    let files = index.files();
    cache.save(root, files.iter().map(|f| &**f), racy).unwrap()
}

/// A whole store, in memory.
fn encode(meta: &format::Meta, files: &[format::EncodeFile<'_>]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let len = format::write(&mut out, meta, files).unwrap();
    assert_eq!(len, out.get_ref().len() as u64);
    out.into_inner()
}

/// A stored file as `format::read` hands it over, owned.
#[derive(Debug)]
struct ReadFile {
    relative: Vec<u8>,
    lang: Option<Lang>,
    stamp: Stamp,
    racy: bool,
    symbols: Option<Vec<crate::symbol::Symbol>>,
}

#[derive(Default)]
struct Collect(Vec<ReadFile>, Option<StoredNames>);

impl format::Visit for Collect {
    fn start(&mut self, _: &format::Meta, _: usize) -> bool {
        true
    }

    fn name_table(&mut self, stored: StoredNames) {
        self.1 = Some(stored);
    }

    fn file(&mut self, f: format::StoredFile) {
        self.0.push(ReadFile {
            relative: f.relative,
            lang: f.lang,
            stamp: Stamp { size: f.size, mtime_ns: f.mtime_ns, hash: f.hash },
            racy: f.racy,
            symbols: f.symbols.map(|s| s.to_vec()),
        });
    }
}

/// What `format::read` makes of a store's bytes.
fn decode(bytes: &[u8]) -> Result<(format::Meta, Vec<ReadFile>), format::ReadError> {
    decode_on(bytes, 0)
}

/// What `format::read` makes of a store's bytes with `workers` decoding threads, files in path
/// order.
fn decode_on(bytes: &[u8], workers: usize) -> Result<(format::Meta, Vec<ReadFile>), format::ReadError> {
    decode_claiming(bytes, workers, &Some)
}

/// [`decode_on`], each file offered to `claim` first.
fn decode_claiming(
    bytes: &[u8],
    workers: usize,
    claim: &format::Claim<'_>,
) -> Result<(format::Meta, Vec<ReadFile>), format::ReadError> {
    let mut files = Collect::default();
    // The checksum on a thread of its own when decoding on threads, first when not: both ways.
    let meta = format::read(bytes, None, workers, &mut files, claim)?;
    files.0.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok((meta, files.0))
}

/// Indexes `root` as `symdex index` does: the store of `cache` loaded before the walk, serving
/// its files as it is read, the walk checking them after.
fn index_loading(root: &Path, cache: &Cache) -> (Index, ScanStats, CacheStats) {
    index_loading_into(Index::new(), root, cache)
}

/// [`index_loading`] into `index` (which may hold open buffers already).
fn index_loading_into(index: Index, root: &Path, cache: &Cache) -> (Index, ScanStats, CacheStats) {
    let sink = |file: IndexedFile| {
        index.upsert(file.into_update());
    };
    let take = |path: &Path| index.take_disk(path);
    let load = |serving: &scanner::Serving<'_>| cache.load_into(root, &index, serving);
    let (stats, store) = scanner::scan_loading(
        root,
        &config(),
        &CancelToken::new(),
        load,
        &|_| {},
        |s: &Warm| s.prepare(&index),
        &scanner::Target { add: &sink, take: &take },
        &|_| {},
    );
    let cache_stats = store.stats();
    (index, stats, cache_stats)
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
        ("f.py", "class Unchanged:\n    def method(self): pass\nclass Other:\n    def method(self): pass\n"),
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

    let (fresh, _) = index(root, &NoReuse, &Racy::new());
    // Reused after the walk, or served by the load as the store is read: the same answer.
    for handing_over in [false, true] {
        let (warm, stats, c) = if handing_over {
            index_loading(root, &cache)
        } else {
            let store = cache.load(root);
            let (warm, stats) = index(root, &store, &Racy::new());
            (warm, stats, store.stats())
        };
        assert_eq!(c.status, LoadStatus::Loaded);
        assert_eq!((c.entries, c.hits, c.stale, c.misses, c.dropped), (5, 2, 2, 1, 1), "{handing_over}: {c:?}");
        assert_eq!((stats.cache_hits, stats.files_indexed), (2, 5), "{handing_over}");
        assert_eq!(dump(&warm), dump(&fresh), "{handing_over}");
        // The store listed the definitions of every file it held: those of the files that changed
        // or went are gone again, the others are found.
        let found = definitions(&warm, &fresh);
        assert_eq!(found, definitions(&fresh, &warm), "{handing_over}");
        assert!(found.iter().any(|d| d.0 == "Unchanged") && !found.iter().any(|d| d.0 == "deleted"));
        // The names of the store's old versions stay in the name table; searches drop them.
        for query in ["size", "same", "touched", "deleted", "new_file", "Unchanged", "m"] {
            assert_eq!(search(&warm, query), search(&fresh, query), "{handing_over}: {query}");
        }
        // The touched file's stamp now carries its new mtime.
        let c_rs = warm.file(&root.join("pkg/c.rs")).unwrap();
        assert_eq!(c_rs.stamp.mtime_ns, scanner::mtime_ns(&fs::metadata(root.join("pkg/c.rs")).unwrap()));
        // A file the store served changes as any other.
        let f_py = root.join("f.py");
        let edited = |index: &Index| {
            let symbols = crate::parser::Extractor::new()
                .extract_source(Lang::Python, b"class Edited:\n    def method(self): pass\n")
                .unwrap();
            let stamp = Stamp::default();
            index.upsert(FileUpdate {
                path: f_py.clone(),
                lang: Lang::Python,
                symbols: Symbols::from(symbols),
                origin: Origin::Disk,
                stamp,
                stored: None,
            });
        };
        edited(&warm);
        assert!(warm.definitions_of("Unchanged").is_empty());
        assert_eq!(warm.definitions_of("Edited").len(), 1);
        assert_eq!(warm.definitions_of("method").len(), 1);
        warm.remove(&f_py);
        assert!(warm.definitions_of("method").is_empty(), "{handing_over}");
    }
}

#[test]
fn a_stores_files_answer_before_the_walk_and_the_walk_corrects_them() {
    let w = saved([
        ("kept.py", "class Kept:\n    pass\n"),
        ("gone.py", "def gone(): pass\n"),
        ("edited.py", "def before_edit(): pass\n"),
    ]);
    let root = w.work.path();
    fs::remove_file(root.join("gone.py")).unwrap();
    write_old(root, "edited.py", "def after_the_edit(): pass\n");
    let index = Index::new();
    let sink = |file: IndexedFile| {
        index.upsert(file.into_update());
    };
    let take = |path: &Path| index.take_disk(path);
    let load = |serving: &scanner::Serving<'_>| w.cache.load_into(root, &index, serving);
    let defined = |name: &str| index.definitions_of(name).len();
    let mut before_the_walk = None;
    let loaded = |store: &Warm| {
        store.prepare(&index);
        // Nothing walked yet: the index answers from the store, as it was saved.
        let names = ["Kept", "gone", "before_edit", "after_the_edit"].map(defined);
        before_the_walk = Some((store.served(), names, search(&index, "gone").len()));
    };
    let target = scanner::Target { add: &sink, take: &take };
    let (stats, store) =
        scanner::scan_loading(root, &config(), &CancelToken::new(), load, &|_| {}, loaded, &target, &|_| {});
    assert_eq!(before_the_walk, Some((3, [1, 1, 1, 0], 1)));
    // Checked against the tree: the deleted file is gone, the edited one parsed again.
    assert_eq!(["Kept", "gone", "before_edit", "after_the_edit"].map(defined), [1, 0, 0, 1]);
    assert!(search(&index, "gone").is_empty());
    let c = store.stats();
    assert_eq!((c.entries, c.hits, c.stale, c.dropped, c.misses), (3, 1, 1, 1, 0), "{c:?}");
    assert_eq!((stats.files_indexed, stats.cache_hits), (2, 1));
    let fresh = index_loading(root, &Cache::at(tempfile::tempdir().unwrap().path())).0;
    assert_eq!(dump(&index), dump(&fresh));
}

#[test]
fn a_file_open_before_the_load_keeps_its_buffers_definitions() {
    let w = saved([("a.py", "class Stored:\n    def method(self): pass\n"), ("b.py", "def method(): pass\n")]);
    let root = w.work.path();
    // Opened, and emptied, before the store loads: the name table stays empty, so the store's
    // definitions are listed, a.py's among them; the buffer keeps its file from the store.
    let open = Index::new();
    let a_py = root.join("a.py");
    open.upsert(FileUpdate {
        path: a_py.clone(),
        lang: Lang::Python,
        symbols: Symbols::default(),
        origin: Origin::Editor,
        stamp: Stamp::default(),
        stored: None,
    });
    let (warm, _, c) = index_loading_into(open, root, &w.cache);
    assert_eq!(c.status, LoadStatus::Loaded);
    assert!(warm.definitions_of("Stored").is_empty());
    assert_eq!(warm.listed_files("Stored"), 0, "the store's a.py unlisted");
    let method: Vec<_> = warm.definitions_of("method").iter().map(|d| d.file.path.to_path_buf()).collect();
    assert_eq!(method, [root.join("b.py")]);
    assert_eq!(warm.listed_files("method"), 1);
    assert!(warm.file(&a_py).unwrap().symbols.is_empty());
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
    let to_encode: Vec<format::EncodeFile<'_>> = files
        .iter()
        .map(|f| format::EncodeFile {
            relative: format::path_bytes(f.path.strip_prefix(work.path()).unwrap()).unwrap(),
            entry: f,
            racy: false,
        })
        .collect();
    let good = encode(&current_meta(work.path()), &to_encode);
    let (_, decoded) = decode(&good).unwrap();
    assert_eq!(decoded[0].symbols.as_deref(), Some(&cold.files()[0].symbols.to_vec()[..]));
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x01;
        assert!(decode(&bad).is_err(), "flipping byte {i} went unnoticed");
        assert!(decode(&good[..i]).is_err(), "truncation at {i} went unnoticed");
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
    let to_encode: Vec<format::EncodeFile<'_>> =
        files.iter().map(|f| format::EncodeFile { relative: b"a.py".to_vec(), entry: f, racy: false }).collect();
    let mut meta = current_meta(work.path());
    meta.version = "0.0.0-older".to_owned();
    let bytes = encode(&meta, &to_encode);
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
    let entry = FileEntry::new(
        0,
        Arc::from(Path::new("/r/a.rs")),
        Lang::Rust,
        Symbols::from(symbols.clone()),
        Origin::Disk,
        Stamp { size: 1, mtime_ns: 2, hash: [3; 32] },
    );
    let files = [format::EncodeFile { relative: b"a.rs".to_vec(), entry: &entry, racy: true }];
    let bytes = encode(&current_meta(Path::new("/r")), &files);
    let (_, decoded) = decode(&bytes).unwrap();
    let f = &decoded[0];
    assert_eq!(
        (&f.relative[..], f.lang, f.stamp, f.racy),
        (&b"a.rs"[..], Some(Lang::Rust), Stamp { size: 1, mtime_ns: 2, hash: [3; 32] }, true)
    );
    assert_eq!(f.symbols.as_deref(), Some(&symbols[..]));
    // A count that does not match the bytes is an error, not a misread.
    let names: Vec<(Name, u32)> = ["outer", "héllo😀"].map(|t| (Name::new(t), t.len() as u32)).to_vec();
    let mut ids = format::NameIds::default();
    names.iter().enumerate().for_each(|(i, (n, _))| assert_eq!(ids.id_or_insert(*n, || i as u32), i as u32));
    let mut blob = Vec::new();
    format::encode_symbols(symbols.iter().copied(), &ids, &mut blob);
    assert_eq!(format::decode_symbols(&blob, 3, &names).unwrap().to_vec(), symbols);
    for count in [2, 4, u32::MAX] {
        assert!(format::decode_symbols(&blob, count, &names).is_err(), "{count}");
    }
}

/// A workspace of a few files, indexed and saved: its root, cache and store path.
struct Saved3 {
    work: tempfile::TempDir,
    _cache_dir: tempfile::TempDir,
    cache: Cache,
    cold: Index,
    store: PathBuf,
}

fn saved_workspace() -> Saved3 {
    let files: Vec<_> =
        (0..12).map(|i| (format!("m{i:02}.py"), format!("class C{i}:\n    def m{i}(self): pass\n"))).collect();
    saved(files.iter().map(|(path, text)| (path.as_str(), text.as_str())))
}

/// A workspace of `files` (path, text), indexed and saved.
fn saved<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Saved3 {
    let work = tempfile::tempdir().unwrap();
    for (path, text) in files {
        write_old(work.path(), path, text);
    }
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(cache_dir.path());
    let racy = Racy::new();
    let (cold, _) = index(work.path(), &NoReuse, &racy);
    save(&cache, work.path(), &cold, &racy);
    let store = cache.store_path(work.path());
    Saved3 { work, _cache_dir: cache_dir, cache, cold, store }
}

/// Loads `bytes` as the store of `w` and checks that nothing of it is used: the status, no
/// entries, no hits, an index equal to a cold one. Returns the reason given.
fn loads_as_empty(w: &Saved3, bytes: &[u8], status: LoadStatus) -> String {
    fs::write(&w.store, bytes).unwrap();
    let store = w.cache.load(w.work.path());
    let (warm, _) = index(w.work.path(), &store, &Racy::new());
    let stats = store.stats();
    assert_eq!(stats.status, status, "{:?}", stats.detail);
    assert_eq!((stats.entries, stats.hits, stats.stale, stats.store_bytes), (0, 0, 0, bytes.len() as u64));
    assert_eq!(dump(&warm), dump(&w.cold));
    stats.detail.unwrap_or_default()
}

/// `body` behind a header that vouches for it (right checksum, right length).
fn sealed(body: &[u8]) -> Vec<u8> {
    let mut bytes = format::MAGIC.to_vec();
    bytes.extend_from_slice(&format::FORMAT.to_le_bytes());
    bytes.extend_from_slice(&format::checksum(body).to_le_bytes());
    bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
    bytes.extend_from_slice(body);
    bytes
}

/// A record as the body frames it.
fn record(bytes: &[u8]) -> Vec<u8> {
    postcard::to_allocvec(&Bytes(bytes)).unwrap()
}

struct Bytes<'a>(&'a [u8]);

impl serde::Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

#[test]
fn a_truncated_store_loads_as_empty() {
    let w = saved_workspace();
    let good = fs::read(&w.store).unwrap();
    for len in [good.len() - 1, good.len() * 2 / 3, format::HEADER_LEN + 1] {
        let detail = loads_as_empty(&w, &good[..len], LoadStatus::Corrupt);
        assert!(detail.starts_with("truncated store"), "{len}: {detail}");
    }
}

#[test]
fn a_flipped_byte_in_the_middle_loads_as_empty() {
    // Files before the flip decode fine as the store streams in; none of them may be kept.
    let w = saved_workspace();
    let mut bytes = fs::read(&w.store).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    assert_eq!(loads_as_empty(&w, &bytes, LoadStatus::Corrupt), "checksum mismatch");
}

#[test]
fn garbage_with_a_right_checksum_loads_as_empty() {
    let w = saved_workspace();
    let good = fs::read(&w.store).unwrap();
    let body = &good[format::HEADER_LEN..];
    let meta = record(&postcard::to_allocvec(&current_meta(w.work.path())).unwrap());
    let head = |names: u64, files: u64| record(&postcard::to_allocvec(&(vec!["python"], names, 0u64, files)).unwrap());
    // A file record claiming u32::MAX symbols in a few bytes.
    let huge_count = {
        let file = (Bytes(b"m00.py"), 0u32, 1u64, 2u128, [0u8; 32], false, u32::MAX, 2u8, Bytes(&[0; 16]));
        record(&postcard::to_allocvec(&file).unwrap())
    };
    let noise: Vec<u8> = (0..body.len() as u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("noise", noise),
        ("a record longer than the store", [&meta[..], &[0xff, 0xff, 0xff, 0xff, 0x0f]].concat()),
        ("counts far beyond the bytes", [&meta[..], &head(u64::MAX, u64::MAX)].concat()),
        (
            "more names defined than there are",
            [&meta[..], &record(&postcard::to_allocvec(&(vec!["python"], 1u64, 2u64, 0u64)).unwrap())].concat(),
        ),
        (
            "name bit sets beyond the bytes",
            [&meta[..], &record(&postcard::to_allocvec(&(vec!["python"], 1u64 << 40, 1u64 << 40, 0u64)).unwrap())]
                .concat(),
        ),
        ("a symbol count far beyond the bytes", [&meta[..], &head(0, 1), &huge_count].concat()),
        // Two names that split one character ("é"): their bytes together are UTF-8, neither is.
        (
            "a name ending inside a character",
            [&meta[..], &head(2, 0), &record(&[1, 1]), &record(&[0xc3, 0xa9])].concat(),
        ),
        ("a name that is not UTF-8", [&meta[..], &head(1, 0), &record(&[2]), &record(&[b'a', 0xff])].concat()),
        ("names longer than their texts", [&meta[..], &head(2, 0), &record(&[1, 3]), &record(b"abc")].concat()),
        ("names shorter than their texts", [&meta[..], &head(2, 0), &record(&[1, 1]), &record(b"abc")].concat()),
        ("more lengths than names", [&meta[..], &head(1, 0), &record(&[1, 1]), &record(b"ab")].concat()),
        ("a length cut short", [&meta[..], &head(1, 0), &record(&[0x81]), &record(b"ab")].concat()),
        ("the good body twice", [body, body].concat()),
        ("the good body cut short", body[..body.len() - 5].to_vec()),
    ];
    for (what, body) in cases {
        let detail = loads_as_empty(&w, &sealed(&body), LoadStatus::Corrupt);
        assert!(detail.starts_with("undecodable store"), "{what}: {detail}");
    }
}

#[test]
fn no_resealed_damage_makes_reading_panic() {
    // Each byte of a real body changed, behind a header that vouches for it: every field of every
    // record gets a wrong value that the checksum does not catch. Reading may succeed or fail but
    // must not panic or allocate by what it reads.
    let w = saved_workspace();
    let good = fs::read(&w.store).unwrap();
    let body = &good[format::HEADER_LEN..];
    for i in 0..body.len() {
        for flip in [0x01, 0x80, 0xff] {
            let mut bad = body.to_vec();
            bad[i] ^= flip;
            let _ = decode(&sealed(&bad));
        }
        assert!(decode(&sealed(&body[..i])).is_err(), "a body cut at {i} read as whole");
    }
}

#[test]
fn a_warm_index_takes_its_name_table_from_the_store() {
    let w = saved_workspace();
    let store = w.cache.load(w.work.path());
    let warm = Index::new();
    store.prepare(&warm);
    // Known before any file arrives: the files that follow read none of their names.
    assert_eq!(warm.name_count(), w.cold.name_count());
    assert!(warm.name_count() >= 24, "every class and method: {}", warm.name_count());
    let sink = |file: IndexedFile| {
        warm.upsert(file.into_update());
    };
    scanner::scan(w.work.path(), &config(), &CancelToken::new(), &store, &sink, &|_| {});
    assert_eq!(store.stats().hits, 12);
    assert_eq!(dump(&warm), dump(&w.cold));
    assert_eq!(warm.name_count(), w.cold.name_count(), "no name added twice");
    for query in ["m1", "C1", "c", "m11", "1"] {
        let found = search(&warm, query);
        assert!(!found.is_empty(), "{query}");
        assert_eq!(found, search(&w.cold, query), "{query}");
    }
    // A second store into a table holding names already: its names come with its files.
    let other = Index::new();
    other.upsert(FileUpdate {
        path: w.work.path().join("open.py"),
        lang: Lang::Python,
        symbols: Symbols::from(
            crate::parser::Extractor::new().extract_source(Lang::Python, b"def typed(): pass\n").unwrap(),
        ),
        origin: Origin::Editor,
        stamp: Stamp::default(),
        stored: None,
    });
    let store = w.cache.load(w.work.path());
    store.prepare(&other);
    assert_eq!(other.name_count(), 1);
    let sink = |file: IndexedFile| {
        other.upsert(file.into_update());
    };
    scanner::scan(w.work.path(), &config(), &CancelToken::new(), &store, &sink, &|_| {});
    assert_eq!(other.name_count(), w.cold.name_count() + 1);
    assert_eq!(search(&other, "m1"), search(&w.cold, "m1"));
}

#[test]
fn each_file_is_handed_over_once() {
    let w = saved_workspace();
    let store = w.cache.load(w.work.path());
    let path = w.work.path().join("m03.py");
    let meta = fs::metadata(&path).unwrap();
    let candidate =
        Candidate { path: path.clone(), lang: Lang::Python, size: meta.len(), mtime_ns: scanner::mtime_ns(&meta) };
    let first = store.reuse(&candidate).expect("a hit");
    assert_eq!(first.symbols.to_vec(), w.cold.file(&path).unwrap().symbols.to_vec());
    assert!(store.reuse(&candidate).is_none());
    assert_eq!((store.stats().hits, store.stats().misses), (1, 1));
}

#[test]
fn decoding_on_threads_reads_the_same_as_on_one() {
    use crate::symbol::{Name, Pos, Role, Span, Symbol, SymbolKind, NO_PARENT};
    // Enough symbols for many batches of records, and 30,000 names, interned on threads.
    let entries: Vec<FileEntry> = (0..32u32)
        .map(|f| {
            let symbols: Vec<Symbol> = (0..1200u32)
                .map(|i| {
                    let name = Name::new(&format!("name_{}", (f * 1187 + i) % 30_000));
                    let len = name.as_str().len() as u32;
                    let at = |line, col| Pos { line, col, col16: col };
                    Symbol {
                        name,
                        kind: SymbolKind::Function,
                        role: if i % 3 == 0 { Role::Definition } else { Role::Reference },
                        range: Span { start: at(i, 4), end: at(i + 2, 1) },
                        name_range: Span { start: at(i, 8), end: at(i, 8 + len) },
                        parent: if i == 0 { NO_PARENT } else { i - 1 },
                    }
                })
                .collect();
            FileEntry::new(
                f,
                Arc::from(Path::new(&format!("/r/f{f:02}.rs"))),
                Lang::Rust,
                Symbols::from(symbols),
                Origin::Disk,
                Stamp { size: u64::from(f), mtime_ns: 2, hash: [3; 32] },
            )
        })
        .collect();
    let files: Vec<format::EncodeFile<'_>> = entries
        .iter()
        .map(|e| format::EncodeFile { relative: format!("f{:02}.rs", e.id).into_bytes(), entry: e, racy: false })
        .collect();
    let bytes = encode(&current_meta(Path::new("/r")), &files);
    assert!(bytes.len() > 2 * 256 * 1024, "{} bytes: a single batch", bytes.len());
    let (_, alone) = decode_on(&bytes, 0).unwrap();
    let (_, threaded) = decode_on(&bytes, 3).unwrap();
    // The name table comes with its names' texts, on threads as on one: the names some file
    // defines (a third of the symbols), end to end.
    let defined: std::collections::HashSet<Name> =
        entries.iter().flat_map(|e| e.symbols.names()).filter(|n| n.1 == Role::Definition).map(|n| n.0).collect();
    for workers in [0, 3] {
        let mut collect = Collect::default();
        format::read(&bytes, None, workers, &mut collect, &Some).unwrap();
        let table = collect.1.expect("a name table");
        assert!(table.names.len() > 8192 && table.names.len() < 30_000, "{}", table.names.len());
        assert_eq!(table.names.iter().copied().collect::<std::collections::HashSet<_>>(), defined);
        let texts: Vec<u8> = table.names.iter().flat_map(|n| n.as_str().bytes()).collect();
        // (Texts kept for the interner go on with the other names' and padding.)
        let end = table.ends.last().map_or(0, |&end| end as usize);
        assert!(table.text[..end] == texts[..], "{workers} workers: the texts of the names, in order");
        let mut end = 0;
        for (name, &stored_end) in table.names.iter().zip(&table.ends) {
            end += name.as_str().len() as u32;
            assert_eq!(stored_end, end);
        }
    }
    assert_eq!(alone.len(), entries.len());
    for ((a, t), e) in alone.iter().zip(&threaded).zip(&entries) {
        assert_eq!((&a.relative, a.stamp), (&t.relative, t.stamp));
        assert_eq!(a.symbols.as_deref(), Some(&e.symbols.to_vec()[..]));
        assert_eq!(t.symbols.as_deref(), Some(&e.symbols.to_vec()[..]));
    }
    // Files claimed on the decoding threads are not visited; the others are, all decoded alike.
    let taken = Mutex::new(Vec::new());
    let claim = |f: format::StoredFile| {
        if f.relative.ends_with(b"3.rs") || f.relative.ends_with(b"8.rs") {
            taken.lock().unwrap().push(f.relative);
            return None;
        }
        Some(f)
    };
    let (_, rest) = decode_claiming(&bytes, 3, &claim).unwrap();
    let mut taken = taken.into_inner().unwrap();
    taken.sort();
    let expected: Vec<Vec<u8>> = [3, 8, 13, 18, 23, 28].map(|f| format!("f{f:02}.rs").into_bytes()).to_vec();
    assert_eq!(taken, expected);
    assert_eq!(rest.len(), entries.len() - taken.len());
    assert!(rest.iter().all(|r| !taken.contains(&r.relative) && r.symbols.is_some()));
    // Damage in a late batch, resealed: found by the threads as by one.
    let body = &bytes[format::HEADER_LEN..];
    let mut bad = body.to_vec();
    let at = bad.len() - 1000;
    bad[at] = 0xff;
    for workers in [0, 1, 3] {
        assert!(decode_on(&sealed(&bad), workers).is_err(), "{workers}");
        assert!(decode_on(&sealed(&body[..body.len() - 1]), workers).is_err(), "{workers}");
    }
    // Damage the header does not vouch for, in the names or the files: the checksum, checked
    // beside the reading on threads, fails the store before any file is offered or visited.
    let offered = AtomicUsize::new(0);
    let count = |f: format::StoredFile| {
        offered.fetch_add(1, Ordering::Relaxed);
        Some(f)
    };
    for at in [format::HEADER_LEN + 200, bytes.len() - 1000] {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x01;
        for workers in [0, 3] {
            match decode_claiming(&damaged, workers, &count) {
                Err(format::ReadError::Format(format::FormatError::Checksum)) => {}
                other => panic!("damage at {at}, {workers} workers: {:?}", other.map(|(_, files)| files.len())),
            }
        }
    }
    assert_eq!(offered.into_inner(), 0);
}
