//! The command line: `symdex [lsp]`, `symdex index`, `symdex symbols`, `symdex bench`.

pub mod bench;
mod export;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::cache::{Cache, CacheStats, Racy, Warm};
use crate::config::Config;
use crate::index::{Index, SearchQuery};
use crate::scanner::{self, CancelToken, Progress, ScanConfig, ScanStats};

#[derive(Parser, Debug)]
#[command(
    name = "symdex",
    version,
    about = "Fast, incremental, fuzzy code navigation for every language (LSP server and CLI)"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Speak the Language Server Protocol on stdin/stdout (the default).
    Lsp,
    /// Index a folder as the server would and print statistics.
    Index {
        /// Folder to index.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Print the statistics as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        scan: ScanArgs,
    },
    /// Search symbols like `workspace/symbol`: one `path:line:col kind name (container)` per line.
    Symbols {
        /// The (fuzzy) query.
        query: String,
        /// Folder to index.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Maximum number of results.
        #[arg(long, default_value_t = crate::config::DEFAULT_RESULT_LIMIT)]
        limit: usize,
        #[command(flatten)]
        scan: ScanArgs,
    },
    /// Write the index's definitions as a ctags `tags` file or JSON lines (to stdout).
    Export {
        /// Folder to index.
        #[arg(default_value = ".")]
        root: PathBuf,
        #[arg(long, value_enum, default_value = "ctags")]
        format: export::Format,
        #[command(flatten)]
        scan: ScanArgs,
    },
    /// Benchmark on the real corpora against ripgrep and universal-ctags (ratios, Markdown + JSON).
    Bench {
        /// Directory holding the corpora made by corpora.sh.
        #[arg(long, env = "SYMDEX_CORPORA")]
        corpora: Option<PathBuf>,
        /// Corpora to run (default: all four).
        #[arg(long = "corpus", value_name = "NAME")]
        corpus: Vec<String>,
        /// Number of queries and definition positions sampled per corpus.
        #[arg(long, default_value_t = 400)]
        queries: usize,
        /// Seed of the query sample.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Skip universal-ctags (slow on the kernel).
        #[arg(long)]
        skip_ctags: bool,
        /// Only the server latencies and memory, warm-started from a store kept between runs in
        /// this directory (indexed cold on the first run): for iterating on query speed.
        #[arg(long, value_name = "CACHE_DIR")]
        latency_only: Option<PathBuf>,
        /// Write the Markdown table here (e.g. docs/performance.md).
        #[arg(long)]
        markdown: Option<PathBuf>,
        /// Write the results as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

#[derive(Args, Debug, Clone)]
struct ScanArgs {
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    workers: usize,
    /// Skip files larger than this many bytes.
    #[arg(long, default_value_t = crate::config::DEFAULT_MAX_FILE_SIZE)]
    max_file_size: u64,
    /// Exclude paths matching this glob (gitignore syntax); repeatable.
    #[arg(long = "exclude", value_name = "GLOB")]
    exclude: Vec<String>,
    /// Follow symbolic links (never into a loop or out of the folder).
    #[arg(long)]
    follow_symlinks: bool,
    /// Neither read nor write the persistent index: parse every file.
    #[arg(long)]
    no_cache: bool,
    /// Directory for the persistent index (default: $SYMDEX_CACHE_DIR, else the user cache directory).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
}

impl ScanArgs {
    fn config(&self) -> Config {
        Config {
            workers: self.workers,
            max_file_size: self.max_file_size,
            exclude: self.exclude.clone(),
            follow_symlinks: self.follow_symlinks,
            cache_dir: self.cache_dir.clone(),
            ..Config::default()
        }
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    cap_malloc_arenas();
    let cli = Cli::parse();
    init_logging(&Config::default().log_level);
    let result = match cli.command.unwrap_or(Command::Lsp) {
        Command::Lsp => run_lsp(),
        Command::Index { path, json, scan } => index(&path, json, &scan),
        Command::Symbols { query, root, limit, scan } => symbols(&query, &root, limit, &scan),
        Command::Export { root, format, scan } => export(&root, format, &scan),
        Command::Bench { corpora, corpus, queries, seed, skip_ctags, latency_only, markdown, json } => {
            let corpora_dir = corpora
                .or_else(|| dirs::cache_dir().map(|d| d.join("symdex/corpora")))
                .ok_or_else(|| anyhow::anyhow!("no --corpora directory"));
            corpora_dir.and_then(|corpora_dir| {
                let corpora = if corpus.is_empty() {
                    ["cpython-lib", "rust-crates", "ts", "linux"].map(String::from).to_vec()
                } else {
                    corpus
                };
                bench::run(&bench::BenchOptions {
                    corpora_dir,
                    corpora,
                    queries,
                    seed,
                    skip_ctags,
                    latency_only,
                    markdown,
                    json,
                })
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("symdex: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr (stdout belongs to the protocol), filtered by `RUST_LOG`, else by `default`
/// (which the server may later replace with the client's `logLevel`, see [`set_log_level`]).
fn init_logging(default: &str) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let from_env = std::env::var_os("RUST_LOG").is_some();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(with_quiet_deps(default)));
    let (filter, handle) = tracing_subscriber::reload::Layer::new(filter);
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(false);
    if tracing_subscriber::registry().with(filter).with(fmt).try_init().is_ok() && !from_env {
        let _ = LOG_FILTER.set(handle);
    }
}

/// `notify` (the watcher off Linux) warns about every deleted watched directory (it drops the
/// watch twice): keep it to errors unless the directives say otherwise.
fn with_quiet_deps(directives: &str) -> String {
    format!("notify=error,{directives}")
}

type FilterHandle = tracing_subscriber::reload::Handle<EnvFilter, tracing_subscriber::Registry>;

/// Set when the log filter may be changed at run time (`RUST_LOG` was not given).
static LOG_FILTER: std::sync::OnceLock<FilterHandle> = std::sync::OnceLock::new();

/// Replaces the log filter unless `RUST_LOG` fixed it.
pub fn set_log_level(directives: &str) {
    let Some(handle) = LOG_FILTER.get() else { return };
    match EnvFilter::try_new(with_quiet_deps(directives)) {
        Ok(filter) => {
            let _ = handle.reload(filter);
        }
        Err(e) => tracing::warn!("ignoring invalid logLevel {directives:?}: {e}"),
    }
}

/// Caps glibc's malloc arenas at one per core plus one, before any thread starts. By default each
/// thread that allocates gets an arena of its own (up to eight per core), and what one thread
/// frees is reused only by the threads of its arena: the server's peak RSS grew with each big
/// request that landed on another runtime worker (rust-crates with the bench's 10,000-line
/// document open and outlined: 106 MB, 100 MB capped). One arena per core only made the index
/// workers share one with the main thread (cpython-lib's cold index 1.7 -> 3.4 s). A
/// `MALLOC_ARENA_MAX` in the environment wins.
fn cap_malloc_arenas() {
    #[cfg(target_env = "gnu")]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        // SAFETY: mallopt only sets an allocator parameter; no thread is allocating yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, i32::try_from(cores + 1).unwrap_or(i32::MAX));
        }
    }
}

fn run_lsp() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(crate::server::run_stdio(Config::default()));
    // The stdin reader may be parked in a blocking read: do not wait for it after `exit`.
    runtime.shutdown_background();
    Ok(())
}

fn check_dir(path: &Path) -> anyhow::Result<PathBuf> {
    let meta = std::fs::metadata(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    anyhow::ensure!(meta.is_dir(), "{} is not a directory", path.display());
    Ok(path.canonicalize()?)
}

/// A folder indexed from the command line.
struct Built {
    index: Index,
    stats: ScanStats,
    /// What the persistent index did (`None` with `--no-cache` or without a cache directory).
    cache: Option<CacheStats>,
    /// From the start of loading the store to the end of the scan: when a server would have
    /// checked every file.
    ready: Duration,
    /// From the start to the store's files served: when a server answers from them.
    served: Duration,
}

/// Indexes `root` into a fresh index, warm-started from (and saved to) the persistent store
/// unless `no_cache`, showing progress on a terminal.
fn build_index(root: &Path, config: &Config, show_progress: bool, no_cache: bool) -> Built {
    let started = Instant::now();
    let cache = if no_cache { None } else { Cache::resolve(config.cache_dir.as_deref()) };
    let racy = Racy::new();
    let index = Index::new();
    let mut scan_config = ScanConfig::from_config(config);
    scan_config.count_ignored = true;
    let sink = |file: scanner::IndexedFile| {
        racy.note(&file.path, &file.stamp);
        index.upsert(file.into_update());
    };
    let bar = (show_progress && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} indexing [{bar:40}] {pos}/{len} files {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    });
    let last_plain = Mutex::new((Instant::now(), 0usize));
    let progress = |p: Progress| match &bar {
        Some(bar) => {
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
        }
        None if show_progress => {
            // Plain lines, at most one per second (and the last).
            let mut last = last_plain.lock().unwrap_or_else(|e| e.into_inner());
            if p.done == p.total || last.0.elapsed().as_secs() >= 1 {
                *last = (Instant::now(), p.done);
                eprintln!("indexing: {}/{} files", p.done, p.total);
            }
        }
        None => {}
    };
    // The store loads first, its files served to the index as they are decoded; the walk then
    // checks them against the tree.
    let load = |serving: &scanner::Serving<'_>| match &cache {
        Some(cache) => cache.load_into(root, &index, serving),
        None => Warm::empty(),
    };
    let served = OnceLock::new();
    let prepare = |store: &Warm| {
        store.prepare(&index);
        let _ = served.set(started.elapsed());
    };
    let take = |path: &Path| index.take_disk(path);
    let target = scanner::Target { add: &sink, take: &take };
    let (stats, store) =
        scanner::scan_loading(root, &scan_config, &CancelToken::new(), load, &|_| {}, prepare, &target, &progress);
    index.settle();
    let ready = started.elapsed();
    let served = served.get().copied().unwrap_or(ready);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut cache_stats = cache.as_ref().map(|_| store.stats());
    drop(store);
    if let (Some(cache), Some(cache_stats)) = (&cache, cache_stats.as_mut().filter(|c| !c.store_is_current())) {
        let files = index.files();
        match cache.save(root, files.iter().map(|f| &**f), &racy) {
            Ok(saved) => {
                cache_stats.saved_files = saved.files;
                cache_stats.save_time = saved.time;
            }
            Err(e) => tracing::warn!("cannot write the index store: {e}"),
        }
    }
    Built { index, stats, cache: cache_stats, ready, served }
}

fn index(path: &Path, json: bool, args: &ScanArgs) -> anyhow::Result<()> {
    let root = check_dir(path)?;
    let Built { index, stats, cache, ready, served } = build_index(&root, &args.config(), !json, args.no_cache);
    // Left for the process's exit to reclaim: freeing a large index one allocation at a time took
    // 20 ms of a 250 ms warm `symdex index` on rust-crates, after the work was done.
    let index = std::mem::ManuallyDrop::new(index);
    let mut out = std::io::stdout().lock();
    if json {
        let value = serde_json::json!({
            "root": root,
            "stats": stats,
            "cache": cache,
            "ready_time": ready.as_secs_f64(),
            "served_time": served.as_secs_f64(),
            "files_per_sec": stats.files_per_sec(),
            "mb_per_sec": stats.mb_per_sec(),
            "index": { "files": index.file_count(), "symbols": index.symbol_count() },
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(());
    }
    write_stats(&mut out, &root, &stats)?;
    if let Some(c) = &cache {
        write_cache_stats(&mut out, c, served, ready)?;
    }
    Ok(())
}

fn write_cache_stats(out: &mut impl Write, c: &CacheStats, served: Duration, ready: Duration) -> std::io::Result<()> {
    let status = match &c.detail {
        Some(detail) => {
            format!("{} ({detail})", serde_json::to_value(c.status).unwrap_or_default().as_str().unwrap_or("?"))
        }
        None => serde_json::to_value(c.status).unwrap_or_default().as_str().unwrap_or("?").to_owned(),
    };
    writeln!(
        out,
        "  cache: {} hits, {} stale, {} misses, {} dropped; store {status}, {} entries, {:.1} MB, loaded in {:.3}s; \
         served in {:.3}s, checked in {:.3}s; saved {} files in {:.3}s",
        c.hits,
        c.stale,
        c.misses,
        c.dropped,
        c.entries,
        c.store_bytes as f64 / 1e6,
        c.load_time.as_secs_f64(),
        served.as_secs_f64(),
        ready.as_secs_f64(),
        c.saved_files,
        c.save_time.as_secs_f64()
    )?;
    if let Some(store) = &c.store {
        writeln!(out, "  store: {}", store.display())?;
    }
    Ok(())
}

fn write_stats(out: &mut impl Write, root: &Path, s: &ScanStats) -> std::io::Result<()> {
    writeln!(out, "indexed {} in {:.2}s", root.display(), s.total_time.as_secs_f64())?;
    writeln!(
        out,
        "  files: {} indexed of {} seen in {} directories; {:.1} MB; {} symbols ({} definitions)",
        s.files_indexed,
        s.files_seen,
        s.dirs,
        s.bytes as f64 / 1e6,
        s.symbols,
        s.definitions
    )?;
    writeln!(
        out,
        "  speed: {:.0} files/s, {:.1} MB/s; walk {:.3}s, index {:.3}s",
        s.files_per_sec(),
        s.mb_per_sec(),
        s.walk_time.as_secs_f64(),
        s.index_time.as_secs_f64()
    )?;
    let k = &s.skipped;
    writeln!(
        out,
        "  skipped: {} ignored, {} unsupported, {} binary, {} too large, {} unreadable, {} symlinks, {} parse timeouts; {} errors",
        k.ignored, k.unsupported, k.binary, k.too_large, k.unreadable, k.symlink, k.parse_timeout, s.errors
    )?;
    writeln!(out, "  languages:")?;
    let mut langs: Vec<_> = s.languages.iter().collect();
    langs.sort_by_key(|l| std::cmp::Reverse(l.1.symbols));
    for (lang, l) in langs {
        writeln!(
            out,
            "    {lang:<11} {:>7} files {:>9} symbols {:>9} definitions {:>8.1} MB",
            l.files,
            l.symbols,
            l.definitions,
            l.bytes as f64 / 1e6
        )?;
    }
    if !s.slowest_dirs.is_empty() {
        writeln!(out, "  slowest directories:")?;
        for (dir, secs) in &s.slowest_dirs {
            let shown = dir.strip_prefix(root).unwrap_or(dir);
            writeln!(
                out,
                "    {secs:>8.3}s  {}",
                if shown.as_os_str().is_empty() { ".".as_ref() } else { shown }.display()
            )?;
        }
    }
    Ok(())
}

fn export(root: &Path, format: export::Format, args: &ScanArgs) -> anyhow::Result<()> {
    let root = check_dir(root)?;
    let Built { index, .. } = build_index(&root, &args.config(), false, args.no_cache);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    export::write(&index, &root, format, &mut out)?;
    out.flush()?;
    Ok(())
}

fn symbols(query: &str, root: &Path, limit: usize, args: &ScanArgs) -> anyhow::Result<()> {
    let root = check_dir(root)?;
    let Built { index, .. } = build_index(&root, &args.config(), false, args.no_cache);
    let mut out = std::io::stdout().lock();
    for hit in index.search(&SearchQuery { text: query.to_owned(), limit }) {
        let s = hit.symbol();
        let path = hit.file.path.strip_prefix(&root).unwrap_or(&hit.file.path);
        let at = s.name_range.start;
        write!(out, "{}:{}:{} {} {}", path.display(), at.line + 1, at.col + 1, s.kind.label(), s.name.as_str())?;
        match hit.container() {
            Some(c) => writeln!(out, " ({c})")?,
            None => writeln!(out)?,
        }
    }
    Ok(())
}
