//! Times `Index::search` in-process on a corpus folder with the benchmark's seeded query sample:
//! `cargo run --release --example search -- <folder> [queries] [export.jsonl]`.
//!
//! The index comes from the persistent store when one is current (as `symdex index` leaves it;
//! `SYMDEX_CACHE_DIR` as for the server), else from parsing every file. With `export.jsonl`
//! (what `symdex export --format json <folder>` writes), it is built from those definitions
//! instead, in seconds even for the kernel: a rebuilt example never trusts a store another build
//! wrote, so this is the quick loop for work on the search itself. Prints p50/p99, the slowest
//! queries and a digest of the answers (equal digests: the same answers).

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::time::{Duration, Instant};

use symdex::cache::{Cache, Warm};
use symdex::cli::bench::Sample;
use symdex::config::Config;
use symdex::index::{FileUpdate, Index, Origin, SearchQuery, Stamp, Symbols};
use symdex::lang::Lang;
use symdex::scanner::{self, CancelToken, ScanConfig};
use symdex::symbol::{Name, Pos, Role, Span, Symbol, SymbolKind, NO_PARENT};

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: search <folder> [queries] [export.jsonl]"));
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(400);
    let index = Index::new();
    let started = Instant::now();
    match args.next() {
        Some(export) => load_export(&index, &dir, Path::new(&export)),
        None => {
            let store = Cache::resolve(None).map_or_else(Warm::empty, |cache| cache.load(&dir));
            index.reserve_names(store.names());
            let sink = |file: scanner::IndexedFile| {
                index.upsert(file.into_update());
            };
            let config = ScanConfig::from_config(&Config::default());
            scanner::scan(&dir, &config, &CancelToken::new(), &store, &sink, &|_| {});
        }
    }
    index.settle();
    eprintln!("indexed {} symbols, {} names in {:?}", index.symbol_count(), index.name_count(), started.elapsed());
    let sample = Sample::take(&dir, n, 7);
    let limit = Config::default().result_limit;
    for query in
        ["__u", "cet", "coe", "rer", "gi", "Tx", "dev", "stats", "sin", "HashMap", "d_ae", "i_s_ssii", "T_AS", "sa_x"]
    {
        let t = Instant::now();
        let hits = index.search(&SearchQuery { text: query.to_owned(), limit });
        println!("{query:?}: {} hits in {:?}", hits.len(), t.elapsed());
    }
    let mut digest = std::hash::DefaultHasher::new();
    for round in 0..3 {
        let mut times: Vec<(Duration, &String)> = Vec::new();
        for query in &sample.queries {
            let t = Instant::now();
            let hits = index.search(&SearchQuery { text: query.clone(), limit });
            times.push((t.elapsed(), query));
            if round == 0 {
                for hit in &hits {
                    (&hit.file.path, hit.symbol().name.as_str(), hit.symbol().range.start.line).hash(&mut digest);
                }
            }
        }
        times.sort();
        let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize].0;
        let total: Duration = times.iter().map(|(t, _)| *t).sum();
        println!("round {round}: p50 {:?} p99 {:?} max {:?} total {total:?}", at(0.5), at(0.99), at(1.0));
        let slowest: Vec<String> = times.iter().rev().take(8).map(|(t, q)| format!("{q:?} {t:.1?}")).collect();
        println!("  slowest: {}", slowest.join(", "));
    }
    println!("answers digest {:016x}", digest.finish());
}

/// Indexes the definitions of a `symdex export --format json` file, a file entry per path (in
/// path order, as a scan meets them), each definition on its exported line.
fn load_export(index: &Index, dir: &Path, export: &Path) {
    #[derive(serde::Deserialize)]
    struct Definition {
        name: String,
        path: String,
        line: u32,
    }
    let text = std::fs::read_to_string(export).expect("readable export");
    let mut files: BTreeMap<String, Vec<(String, u32)>> = BTreeMap::new();
    for line in text.lines() {
        let d: Definition = serde_json::from_str(line).expect("an exported definition");
        files.entry(d.path).or_default().push((d.name, d.line));
    }
    for (path, definitions) in files {
        let symbols = definitions
            .into_iter()
            .map(|(name, line)| {
                let len = name.len() as u32;
                let at = |col| Pos { line: line.saturating_sub(1), col, col16: col };
                let range = Span { start: at(0), end: at(len) };
                let name = Name::new(&name);
                Symbol {
                    name,
                    kind: SymbolKind::Function,
                    role: Role::Definition,
                    range,
                    name_range: range,
                    parent: NO_PARENT,
                }
            })
            .collect::<Vec<_>>();
        index.upsert(FileUpdate {
            path: dir.join(path),
            lang: Lang::C,
            symbols: Symbols::from(symbols),
            origin: Origin::Disk,
            stamp: Stamp::default(),
            stored: None,
        });
    }
}
