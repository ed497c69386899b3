//! Times `Index::search` in-process on a corpus folder with the benchmark's seeded query sample:
//! `cargo run --release --example search -- <folder> [queries]`. Indexes from the persistent store
//! when one is current (as `symdex index` leaves it; `SYMDEX_CACHE_DIR` as for the server), else
//! parses every file; then prints p50/p99 and the slowest queries.

use std::time::{Duration, Instant};

use symdex::cache::{Cache, Warm};
use symdex::cli::bench::Sample;
use symdex::config::Config;
use symdex::index::{Index, SearchQuery};
use symdex::scanner::{self, CancelToken, ScanConfig};

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: search <folder> [queries]"));
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(400);
    let index = Index::new();
    let started = Instant::now();
    let store = Cache::resolve(None).map_or_else(Warm::empty, |cache| cache.load(&dir));
    index.reserve_names(store.names());
    let sink = |file: scanner::IndexedFile| {
        index.upsert(file.into_update());
    };
    scanner::scan(&dir, &ScanConfig::from_config(&Config::default()), &CancelToken::new(), &store, &sink, &|_| {});
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
    for round in 0..2 {
        let mut times: Vec<(Duration, &String)> = Vec::new();
        for query in &sample.queries {
            let t = Instant::now();
            let hits = index.search(&SearchQuery { text: query.clone(), limit });
            std::hint::black_box(hits);
            times.push((t.elapsed(), query));
        }
        times.sort();
        let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize].0;
        println!("round {round}: p50 {:?} p99 {:?} max {:?}", at(0.5), at(0.99), at(1.0));
        let slowest: Vec<String> = times.iter().rev().take(8).map(|(t, q)| format!("{q:?} {t:.1?}")).collect();
        println!("  slowest: {}", slowest.join(", "));
    }
}
