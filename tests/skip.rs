//! Skipping function bodies keeps the answers, and so do the tags extracted by hand instead of
//! with the tags query (`parser::direct`, Python, Rust, C and C++; compared on every file, syntax
//! errors or not): on real files — this crate's sources and language
//! fixtures, the C, C++ and Rust sources of the crates it is built from (the tree-sitter runtime
//! and grammar scanners, BLAKE3's C and C++, tokio, ropey, ...) and, where the system has them, a
//! few megabytes of Python's standard library and of the C++ standard library's headers — the
//! definitions found with bodies skipped
//! equal those of parsing whole, and the references (those kept plus those found in the skipped
//! bodies when asked for) equal the whole parse's. Files whose whole parse has syntax errors are
//! left out: error recovery is not local, so any change to the text may change its guesses.

use std::path::{Path, PathBuf};

use symdex::lang::Lang;
use symdex::parser::{skip, Extractor};

/// Dependencies whose sources are checked (any version found).
const PACKAGES: &[&str] = &["tree-sitter", "blake3", "tokio", "ropey", "dashmap", "ignore", "regex-syntax", "serde"];

/// Generated parsers are megabytes of tables: skipped to keep the test quick.
const MAX_FILE: u64 = 256 * 1024;

/// How much of the system's Python standard library is checked (the first files by name).
const PYTHON_BYTES: u64 = 3 << 20;

/// How much of the system's C++ standard library headers is checked (the first files by name).
const CPP_BYTES: u64 = 3 << 19;

/// The source directories of this crate and of the dependencies in `PACKAGES`, at the versions
/// `Cargo.lock` pins, in cargo's registry (where building this crate put them).
fn roots() -> Vec<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lock: toml::Table = std::fs::read_to_string(manifest.join("Cargo.lock")).unwrap().parse().unwrap();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(&std::env::var_os("HOME").expect("HOME")).join(".cargo"));
    let registries: Vec<PathBuf> = std::fs::read_dir(cargo_home.join("registry/src"))
        .map(|dirs| dirs.flatten().map(|d| d.path()).collect())
        .unwrap_or_default();
    let mut roots = vec![manifest.join("src"), manifest.join("tests/fixtures")];
    for package in lock["package"].as_array().unwrap() {
        let (name, version) = (package["name"].as_str().unwrap(), package["version"].as_str().unwrap());
        if PACKAGES.iter().any(|p| name == *p || name.starts_with(&format!("{p}-"))) {
            let dir = format!("{name}-{version}");
            roots.extend(registries.iter().map(|r| r.join(&dir)).filter(|d| d.is_dir()));
        }
    }
    roots
}

/// The first `.py` files, by name, of the system's Python standard library (`/usr/lib/python3.*`),
/// up to [`PYTHON_BYTES`]; none when there is no such library.
fn python_library() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir("/usr/lib").map(|dirs| dirs.flatten().map(|d| d.path()).collect()).unwrap_or_default();
    dirs.retain(|d| d.file_name().is_some_and(|n| n.to_string_lossy().starts_with("python3.")) && d.is_dir());
    dirs.sort();
    let Some(dir) = dirs.pop() else { return Vec::new() };
    first_files(&dir, PYTHON_BYTES, |path| path.extension().is_some_and(|x| x == "py"))
}

/// The first headers, by name, of the system's C++ standard library (`/usr/include/c++/*/bits`,
/// `.h` files that are C++), up to [`CPP_BYTES`]; none when there is no such library.
fn cpp_library() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/include/c++")
        .map(|dirs| dirs.flatten().map(|d| d.path()).collect())
        .unwrap_or_default();
    dirs.retain(|d| d.join("bits").is_dir());
    dirs.sort();
    let Some(dir) = dirs.pop() else { return Vec::new() };
    first_files(&dir.join("bits"), CPP_BYTES, |path| path.extension().is_some_and(|x| x == "h"))
}

/// The files under `dir` that `wanted` accepts, by name, up to `budget` bytes.
fn first_files(dir: &Path, mut budget: u64, wanted: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let walk = ignore::WalkBuilder::new(dir).sort_by_file_name(|a, b| a.cmp(b)).build().flatten();
    let mut files = Vec::new();
    for entry in walk.filter(|e| wanted(e.path())) {
        let len = entry.metadata().map_or(0, |m| m.len());
        if len > budget {
            break;
        }
        budget -= len;
        files.push(entry.into_path());
    }
    files
}

#[test]
fn skipping_bodies_keeps_definitions_and_references_on_real_files() {
    let mut extractor = Extractor::new();
    let mut checked = std::collections::BTreeMap::<&str, (usize, usize, usize)>::new();
    let mut failures = Vec::new();
    let walk = roots().into_iter().flat_map(|root| ignore::WalkBuilder::new(root).build().flatten());
    let python = python_library();
    let library = !python.is_empty();
    let files = walk.map(|e| (e.into_path(), None)).chain(python.into_iter().map(|p| (p, None)));
    let cpp = cpp_library().into_iter().map(|p| (p, Some(Lang::Cpp)));
    for (path, lang) in files.chain(cpp) {
        let path = path.as_path();
        let Some(lang) = lang.or_else(|| Lang::from_path(path)).filter(|&l| skip::skips_bodies(l)) else { continue };
        if path.metadata().map_or(true, |m| !m.is_file() || m.len() > MAX_FILE) || path.ends_with("parser.c") {
            continue;
        }
        let src = std::fs::read(path).unwrap();
        let Ok(c) = skip::compare(&mut extractor, lang, &src) else { continue };
        if c.query_differs {
            failures.push(format!("{}: the tags by hand differ from the tags query's", path.display()));
        }
        if c.has_error {
            continue;
        }
        let seen = checked.entry(lang.name()).or_default();
        seen.0 += 1;
        seen.1 += src.len();
        seen.2 += c.skipped;
        if !c.lost.is_empty() || !c.gained.is_empty() || !c.references_differ.is_empty() {
            let names = |s: &[symdex::symbol::Symbol]| -> Vec<_> {
                s.iter().take(5).map(|s| format!("{}@{}", s.name.as_str(), s.name_range.start.line + 1)).collect()
            };
            failures.push(format!(
                "{}: lost {:?}, gained {:?}, references to {:?} differ",
                path.display(),
                names(&c.lost),
                names(&c.gained),
                c.references_differ
            ));
        }
    }
    eprintln!("checked (files, bytes, bytes skipped): {checked:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every language with a lexer was seen, and bodies were skipped in each (in Python's fixture
    // alone, less than a fifth).
    for lang in ["c", "cpp", "rust", "python"] {
        let (files, bytes, skipped) = checked.get(lang).copied().unwrap_or_default();
        let enough = if lang == "python" && !library { skipped > 0 } else { skipped * 5 > bytes };
        assert!(files > 0 && enough, "{lang}: {files} files, {skipped} of {bytes} bytes skipped");
    }
}

/// The skip lexers read damaged files without panicking (the server indexes whatever is on
/// disk): real files of each language with a lexer, cut short, with a span deleted, a delimiter
/// inserted or a byte changed at seeded places, lexed, indexed and searched for references.
#[test]
fn the_skip_lexers_never_panic_on_damaged_real_files() {
    let mut extractor = Extractor::new();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        // xorshift64: the same damage on every run.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as usize
    };
    let mut per_lang = std::collections::BTreeMap::<&str, usize>::new();
    let walk = roots().into_iter().flat_map(|root| ignore::WalkBuilder::new(root).build().flatten());
    let files = walk.map(|e| e.into_path()).chain(python_library());
    for path in files {
        let Some(lang) = Lang::from_path(&path).filter(|&l| skip::skips_bodies(l)) else { continue };
        let count = per_lang.entry(lang.name()).or_default();
        if *count >= 40 || path.metadata().map_or(true, |m| !m.is_file() || m.len() > 64 * 1024 || m.len() == 0) {
            continue;
        }
        *count += 1;
        let src = std::fs::read(&path).unwrap();
        for _ in 0..4 {
            let mut damaged = src.clone();
            let at = next() % damaged.len();
            match next() % 4 {
                0 => damaged.truncate(at),
                1 => drop(damaged.drain(at..(at + next() % 40).min(src.len()))),
                2 => damaged.insert(at, b"{}()[]<>;:'\"!#/\\\n"[next() % 17]),
                _ => damaged[at] = next() as u8,
            }
            let _ = skip::left_out(lang, &damaged);
            let _ = extractor.extract_definitions(lang, &damaged);
            let _ = skip::bodies_mentioning(lang, &damaged, b"new");
        }
    }
    // Each language with a lexer was damaged.
    for lang in ["c", "cpp", "rust", "python"] {
        assert!(per_lang.get(lang).is_some_and(|&n| n > 0), "{lang}: {per_lang:?}");
    }
}
