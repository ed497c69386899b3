//! `symdex bench`: the performance benchmark on real corpora, against ripgrep and universal-ctags
//! in the same run, reported as ratios (Markdown and JSON).
//!
//! Phases are measured through the library (scan only) and through real processes (cold and warm
//! index with `symdex index --json`, `rg --files`, `ctags -R`); latencies through the real server
//! over stdio with a seeded query set sampled from the corpus. Timing is reported, never asserted.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use serde_json::{json, Value};

use crate::config::Config;
use crate::lsp_client::{file_uri, LspClient};
use crate::parser::Extractor;
use crate::scanner::{self, CancelToken, ScanConfig};
use crate::symbol::Role;

/// Benchmark options.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    pub corpora_dir: PathBuf,
    pub corpora: Vec<String>,
    pub queries: usize,
    pub seed: u64,
    pub skip_ctags: bool,
    /// Measure only the server, with the store kept in this directory between runs.
    pub latency_only: Option<PathBuf>,
    pub markdown: Option<PathBuf>,
    pub json: Option<PathBuf>,
}

/// A process run: wall time and peak resident memory.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Run {
    pub secs: f64,
    pub peak_rss_mb: f64,
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Latency {
    pub samples: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Everything measured on one corpus.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CorpusResult {
    pub corpus: String,
    pub files: usize,
    pub mb: f64,
    pub symbols: usize,
    pub definitions: usize,
    pub scan_secs: f64,
    pub rg_files_secs: f64,
    pub cold: Run,
    pub warm: Run,
    pub ctags: Option<Run>,
    pub server_ready_secs: f64,
    /// From spawning the server on a warm store to the answer of a workspace/symbol request sent
    /// once the store's files were served (the median of five starts), checked to be the answer
    /// the server gives once it checked the tree.
    pub query_ready_secs: f64,
    /// Peak RSS of the server once its index is ready (loading it included), before any request.
    pub server_ready_rss_mb: f64,
    /// Peak RSS of the server at the end: after the queries and the typing scenario, which opens
    /// a 10,000-line document.
    pub server_peak_rss_mb: f64,
    pub workspace_symbol: Latency,
    pub definition: Latency,
    pub did_change: Latency,
    pub languages: Value,
}

impl CorpusResult {
    fn ratio(a: f64, b: f64) -> f64 {
        if b > 0.0 {
            a / b
        } else {
            f64::NAN
        }
    }
}

/// Runs the benchmark and writes the reports.
pub fn run(options: &BenchOptions) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("locating the symdex binary")?;
    let mut results = Vec::new();
    for name in &options.corpora {
        let dir = options.corpora_dir.join(name);
        if !dir.is_dir() {
            eprintln!("bench: {} missing (run shared corpora.sh); skipped", dir.display());
            continue;
        }
        eprintln!("bench: {name}");
        results.push(bench_corpus(&exe, name, &dir, options)?);
    }
    let markdown = render_markdown(&results, options);
    println!("{markdown}");
    if let Some(path) = &options.markdown {
        std::fs::write(path, &markdown).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &options.json {
        let value = json!({ "machine": machine(), "results": results });
        std::fs::write(path, serde_json::to_string_pretty(&value)?)?;
    }
    Ok(())
}

fn bench_corpus(exe: &Path, name: &str, dir: &Path, options: &BenchOptions) -> anyhow::Result<CorpusResult> {
    let mut result = CorpusResult { corpus: name.to_owned(), ..CorpusResult::default() };
    if let Some(cache) = &options.latency_only {
        std::fs::create_dir_all(cache)?;
        let sample = Sample::take(dir, options.queries, options.seed);
        server_latencies(exe, dir, cache, &sample, &mut result)?;
        return Ok(result);
    }
    // Scan only, in-process, against `rg --files` (best of 3 each, warm page cache).
    let scan_config = ScanConfig::from_config(&Config::default());
    result.scan_secs = best_of(3, || {
        let started = Instant::now();
        let _ = scanner::walk(dir, &scan_config, &CancelToken::new());
        Ok(started.elapsed().as_secs_f64())
    })?;
    if which("rg") {
        result.rg_files_secs = best_of(3, || {
            let mut rg = Command::new("rg");
            rg.arg("--files").arg(dir);
            Ok(measure(rg)?.secs)
        })?;
    }
    // Cold and warm index through the real binary, with a private cache.
    let cache = tempfile::tempdir()?;
    let index_cmd = || {
        let mut c = Command::new(exe);
        c.arg("index").arg("--json").arg(dir).env("SYMDEX_CACHE_DIR", cache.path()).env("RUST_LOG", "error");
        c
    };
    let (cold, stats) = measure_with_output(index_cmd())?;
    result.cold = cold;
    // A warm start comes long after the store was written: its pages are on disk by then, not
    // being written back while it runs (which slowed the run right after a cold index).
    // SAFETY: sync only asks the kernel to write dirty pages out.
    unsafe { libc::sync() };
    // The warm start is short enough for the machine's noise to swing one run by a fifth: the
    // median of five.
    let mut warm: Vec<Run> = (0..WARM_RUNS).map(|_| measure(index_cmd())).collect::<anyhow::Result<_>>()?;
    warm.sort_by(|a, b| a.secs.total_cmp(&b.secs));
    result.warm = warm.swap_remove(WARM_RUNS / 2);
    result.files = stats["stats"]["files_indexed"].as_u64().unwrap_or(0) as usize;
    result.mb = stats["stats"]["bytes"].as_f64().unwrap_or(0.0) / 1e6;
    result.symbols = stats["stats"]["symbols"].as_u64().unwrap_or(0) as usize;
    result.definitions = stats["stats"]["definitions"].as_u64().unwrap_or(0) as usize;
    result.languages = stats["stats"]["languages"].clone();
    if !options.skip_ctags && which("ctags") {
        let mut c = Command::new("ctags");
        c.args(["-R", "-f", "-", "."]).current_dir(dir);
        result.ctags = Some(measure(c)?);
    }
    let sample = Sample::take(dir, options.queries, options.seed);
    let query = sample.queries.first().map_or("a", String::as_str);
    let mut ready: Vec<f64> =
        (0..WARM_RUNS).map(|_| query_ready(exe, dir, cache.path(), query)).collect::<anyhow::Result<_>>()?;
    ready.sort_by(f64::total_cmp);
    result.query_ready_secs = ready[WARM_RUNS / 2];
    server_latencies(exe, dir, cache.path(), &sample, &mut result)?;
    Ok(result)
}

/// Spawns `symdex lsp` on `dir` with the store in `cache` and initializes it (progress accepted,
/// UTF-16 positions); with the moment it was spawned.
fn start_server(exe: &Path, dir: &Path, cache: &Path) -> anyhow::Result<(LspClient, Instant)> {
    let mut cmd = Command::new(exe);
    cmd.arg("lsp").env("SYMDEX_CACHE_DIR", cache).env("RUST_LOG", "error").stderr(Stdio::null());
    let mut client = LspClient::spawn(cmd, Duration::from_secs(1800))?;
    let started = Instant::now();
    let caps = json!({"window": {"workDoneProgress": true}, "general": {"positionEncodings": ["utf-16"]}});
    client.initialize(dir, caps, Value::Null)?;
    Ok((client, started))
}

/// Starts a server on `dir` with the store in `cache` and asks `query` as soon as it reports the
/// store's files served (or its indexing run ended, without a store): returns the seconds from
/// spawning it to the answer, after checking that the answer is the one it gives once the tree
/// was checked (the corpus did not change in between).
fn query_ready(exe: &Path, dir: &Path, cache: &Path, query: &str) -> anyhow::Result<f64> {
    let (mut client, started) = start_server(exe, dir, cache)?;
    let end = |m: &Value| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end";
    client.wait_for(|m| {
        let message = m["params"]["value"]["message"].as_str().unwrap_or_default();
        end(m) || m["method"] == "$/progress" && message.ends_with(crate::server::SERVED)
    })?;
    let first = client.request("workspace/symbol", json!({"query": query}))?;
    let secs = started.elapsed().as_secs_f64();
    match client.notifications.iter().position(end) {
        Some(i) => drop(client.notifications.remove(i)),
        None => drop(client.wait_for(end)?),
    }
    let checked = client.request("workspace/symbol", json!({"query": query}))?;
    anyhow::ensure!(
        first["result"] == checked["result"],
        "{query:?} answered {first} before the check, {checked} after"
    );
    client.shutdown()?;
    Ok(secs)
}

fn server_latencies(
    exe: &Path,
    dir: &Path,
    cache: &Path,
    sample: &Sample,
    result: &mut CorpusResult,
) -> anyhow::Result<()> {
    let (mut client, started) = start_server(exe, dir, cache)?;
    client.wait_for_progress_end()?;
    result.server_ready_secs = started.elapsed().as_secs_f64();
    result.server_ready_rss_mb = peak_rss_mb(client.pid()).unwrap_or(f64::NAN);

    let mut times = Vec::new();
    for query in &sample.queries {
        let t = Instant::now();
        client.request("workspace/symbol", json!({"query": query}))?;
        times.push(t.elapsed());
    }
    let queries: Vec<String> = sample.queries.iter().map(|q| format!("{q:?}")).collect();
    eprintln!("bench: slowest workspace/symbol queries: {}", slowest(&times, &queries));
    result.workspace_symbol = latency(&mut times);
    times.clear();
    for (path, line, character) in &sample.positions {
        let params =
            json!({"textDocument": {"uri": file_uri(path)}, "position": {"line": line, "character": character}});
        let t = Instant::now();
        client.request("textDocument/definition", params)?;
        times.push(t.elapsed());
    }
    let positions: Vec<String> = sample
        .positions
        .iter()
        .map(|(path, line, col)| format!("{}:{}:{}", path.display(), line + 1, col + 1))
        .collect();
    eprintln!("bench: slowest definitions: {}", slowest(&times, &positions));
    result.definition = latency(&mut times);
    result.did_change = typing_latency(&mut client)?;
    result.server_peak_rss_mb = peak_rss_mb(client.pid()).unwrap_or(f64::NAN);
    client.shutdown()?;
    Ok(())
}

/// The five slowest of `times`, each with its label.
fn slowest(times: &[Duration], labels: &[String]) -> String {
    let mut slowest: Vec<(Duration, &String)> = times.iter().copied().zip(labels).collect();
    slowest.sort_by_key(|&(t, _)| std::cmp::Reverse(t));
    let slowest: Vec<String> =
        slowest.iter().take(5).map(|(t, l)| format!("{l} {:.1} ms", t.as_secs_f64() * 1e3)).collect();
    slowest.join(", ")
}

/// didChange-to-visible: rename a function in a 10,000-line file and ask for the new name at once.
fn typing_latency(client: &mut LspClient) -> anyhow::Result<Latency> {
    let scratch = tempfile::tempdir()?;
    let path = scratch.path().join("typing_bench.py");
    let mut text = String::new();
    for i in 0..2500 {
        let _ = write!(text, "def typed_{i}(x):\n    y = x + {i}\n    return y\n\n");
    }
    let uri = file_uri(&path);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
    )?;
    // Notifications are handled in order: a request answered after didOpen means the file is open
    // and parsed, so its first full parse is not counted as typing.
    client.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}))?;
    // 250 keystrokes, spread over the file: enough that the p99 is not the slowest one.
    let mut times = Vec::new();
    for (version, i) in (2..).zip((0..2500).step_by(10)) {
        // Line 4*i is `def typed_{i}(x):`; insert `z` after `typed_`.
        let line = 4 * i;
        let change = json!({
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": {"line": line, "character": 10}, "end": {"line": line, "character": 10}}, "text": "z"}]
        });
        let t = Instant::now();
        client.notify("textDocument/didChange", change)?;
        let response = client.request("workspace/symbol", json!({"query": format!("typed_z{i}")}))?;
        times.push(t.elapsed());
        let found = response["result"].as_array().is_some_and(|a| a.iter().any(|s| s["name"] == format!("typed_z{i}")));
        anyhow::ensure!(found, "edit {i} not visible: {response}");
    }
    client.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}))?;
    Ok(latency(&mut times))
}

/// A seeded sample of queries and definition positions from real files of the corpus.
pub struct Sample {
    pub queries: Vec<String>,
    /// File, line and UTF-16 column of identifiers.
    pub positions: Vec<(PathBuf, u32, u32)>,
}

impl Sample {
    pub fn take(dir: &Path, n: usize, seed: u64) -> Sample {
        let mut rng = fastrand::Rng::with_seed(seed);
        let (mut files, _) = scanner::walk(dir, &ScanConfig::from_config(&Config::default()), &CancelToken::new());
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let mut extractor = Extractor::new();
        let mut names = Vec::new();
        let mut positions = Vec::new();
        for _ in 0..(n / 4).max(8) {
            if files.is_empty() {
                break;
            }
            let file = &files[rng.usize(..files.len())];
            let Ok(bytes) = std::fs::read(&file.path) else { continue };
            let Ok(symbols) = extractor.extract_source(file.lang, &bytes) else { continue };
            for s in symbols.iter().filter(|s| s.role == Role::Definition).take(8) {
                names.push(s.name.as_str().to_owned());
            }
            let refs: Vec<_> = symbols.iter().filter(|s| s.role == Role::Reference).collect();
            for _ in 0..4.min(refs.len()) {
                let r = refs[rng.usize(..refs.len())];
                positions.push((file.path.clone(), r.name_range.start.line, r.name_range.start.col16));
            }
        }
        let mut queries = Vec::with_capacity(n);
        while queries.len() < n && !names.is_empty() {
            let name = &names[rng.usize(..names.len())];
            let chars: Vec<char> = name.chars().collect();
            let query = match queries.len() % 4 {
                0 => name.clone(),                                                                    // exact
                1 => chars[..chars.len().min(3)].iter().collect(),                                    // prefix
                2 => chars.iter().enumerate().filter(|(i, _)| i % 2 == 0).map(|(_, c)| *c).collect(), // fuzzy
                _ => format!("qz{}xv", rng.u32(..1_000_000)),                                         // miss
            };
            queries.push(query);
        }
        positions.truncate(n);
        Sample { queries, positions }
    }
}

fn latency(times: &mut [Duration]) -> Latency {
    if times.is_empty() {
        return Latency::default();
    }
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3;
    Latency { samples: times.len(), p50_ms: at(0.5), p99_ms: at(0.99), max_ms: at(1.0) }
}

/// Warm starts measured per corpus (their median is reported).
const WARM_RUNS: usize = 5;

fn best_of(n: usize, mut f: impl FnMut() -> anyhow::Result<f64>) -> anyhow::Result<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..n {
        best = best.min(f()?);
    }
    Ok(best)
}

fn which(tool: &str) -> bool {
    Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Runs a command to completion (output discarded) and measures wall time and peak RSS.
fn measure(mut cmd: Command) -> anyhow::Result<Run> {
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let started = Instant::now();
    let child = cmd.spawn().with_context(|| format!("spawning {cmd:?}"))?;
    let (status, rss) = wait_rusage(child.id())?;
    anyhow::ensure!(status == 0, "{cmd:?} exited with {status}");
    Ok(Run { secs: started.elapsed().as_secs_f64(), peak_rss_mb: rss })
}

/// Like [`measure`], keeping stdout as JSON.
fn measure_with_output(mut cmd: Command) -> anyhow::Result<(Run, Value)> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    let started = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("spawning {cmd:?}"))?;
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().context("stdout")?, &mut out)?;
    let (status, rss) = wait_rusage(child.id())?;
    anyhow::ensure!(status == 0, "{cmd:?} exited with {status}");
    Ok((Run { secs: started.elapsed().as_secs_f64(), peak_rss_mb: rss }, serde_json::from_str(&out)?))
}

/// Reaps a child with `wait4`, returning its exit code and peak RSS in MB.
fn wait_rusage(pid: u32) -> anyhow::Result<(i32, f64)> {
    let mut status = 0;
    // SAFETY: `rusage` is plain data that wait4 fills in; `pid` is our own unreaped child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    anyhow::ensure!(reaped == pid as libc::pid_t, "wait4 failed: {}", std::io::Error::last_os_error());
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    Ok((code, usage.ru_maxrss as f64 / 1024.0))
}

/// Peak RSS of a live process (VmHWM), in MB.
fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse::<f64>().unwrap_or(0.0) / 1024.0 / 1024.0)
        })
        .unwrap_or(0.0);
    json!({"cpu": cpu, "cores": std::thread::available_parallelism().map_or(0, |n| n.get()), "memory_gib": mem.round()})
}

fn render_markdown(results: &[CorpusResult], options: &BenchOptions) -> String {
    let m = machine();
    let mut out = String::new();
    let _ = writeln!(out, "# Performance\n");
    let _ = writeln!(
        out,
        "Produced by `symdex bench --corpora {} --queries {} --seed {}` (release build) on {} ({} cores, {} GiB). \
         Ratios are symdex / reference, lower is better; targets from DESIGN.md in brackets.\n",
        options.corpora_dir.display(),
        options.queries,
        options.seed,
        m["cpu"].as_str().unwrap_or("?"),
        m["cores"],
        m["memory_gib"]
    );
    let _ = writeln!(out, "| corpus | files | MB | symbols | scan s | rg --files s | scan/rg [≤1.2] | cold s | ctags s | cold/ctags [≤1.0] | warm s | warm/cold | query-ready s | query-ready/cold [<0.03] | files/s | MB/s | peak RSS MB (index / server ready / server end / ctags) | B/symbol |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in results {
        let ctags_secs = r.ctags.map_or(f64::NAN, |c| c.secs);
        let ctags_rss = r.ctags.map_or(f64::NAN, |c| c.peak_rss_mb);
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {} | {:.3} | {:.3} | {:.2} | {:.2} | {:.2} | {:.2} | {:.3} | {:.3} | {:.3} | {:.3} | {:.0} | {:.1} | {:.0} / {:.0} / {:.0} / {:.0} | {:.0} |",
            r.corpus,
            r.files,
            r.mb,
            r.symbols,
            r.scan_secs,
            r.rg_files_secs,
            CorpusResult::ratio(r.scan_secs, r.rg_files_secs),
            r.cold.secs,
            ctags_secs,
            CorpusResult::ratio(r.cold.secs, ctags_secs),
            r.warm.secs,
            CorpusResult::ratio(r.warm.secs, r.cold.secs),
            r.query_ready_secs,
            CorpusResult::ratio(r.query_ready_secs, r.cold.secs),
            r.files as f64 / r.cold.secs.max(1e-9),
            r.mb / r.cold.secs.max(1e-9),
            r.cold.peak_rss_mb,
            r.server_ready_rss_mb,
            r.server_peak_rss_mb,
            ctags_rss,
            r.server_ready_rss_mb * 1024.0 * 1024.0 / r.symbols.max(1) as f64,
        );
    }
    let _ = writeln!(out, "\n| corpus | server ready s | workspace/symbol p50 / p99 ms | definition p50 / p99 ms [p99 <5] | didChange→visible p50 / p99 ms [p99 <5] |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for r in results {
        let _ = writeln!(
            out,
            "| {} | {:.2} | {:.2} / {:.2} | {:.2} / {:.2} | {:.2} / {:.2} |",
            r.corpus,
            r.server_ready_secs,
            r.workspace_symbol.p50_ms,
            r.workspace_symbol.p99_ms,
            r.definition.p50_ms,
            r.definition.p99_ms,
            r.did_change.p50_ms,
            r.did_change.p99_ms
        );
    }
    let _ = writeln!(out, "\nSymbols per language (files / symbols / definitions):\n");
    for r in results {
        let mut parts = Vec::new();
        if let Some(langs) = r.languages.as_object() {
            for (lang, s) in langs {
                parts.push(format!("{lang} {}/{}/{}", s["files"], s["symbols"], s["definitions"]));
            }
        }
        let _ = writeln!(out, "- {}: {}", r.corpus, parts.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(line: &str) -> Vec<&str> {
        line.trim().trim_matches('|').split('|').map(str::trim).collect()
    }

    #[test]
    fn every_table_row_has_its_header_s_columns_and_the_rates_are_per_second_of_cold_index() {
        let result = CorpusResult {
            corpus: "tiny".into(),
            files: 300,
            mb: 6.0,
            symbols: 1_000,
            cold: Run { secs: 1.5, peak_rss_mb: 20.0 },
            ctags: Some(Run { secs: 3.0, peak_rss_mb: 10.0 }),
            ..CorpusResult::default()
        };
        let options = BenchOptions {
            corpora_dir: PathBuf::from("/c"),
            corpora: Vec::new(),
            queries: 4,
            seed: 1,
            skip_ctags: false,
            latency_only: None,
            markdown: None,
            json: None,
        };
        let markdown = render_markdown(&[result], &options);
        let mut tables = 0;
        let lines: Vec<&str> = markdown.lines().collect();
        for (i, line) in lines.iter().enumerate().filter(|(_, l)| l.starts_with("| corpus")) {
            tables += 1;
            let header = cells(line);
            let rows: Vec<&str> = lines[i + 1..].iter().take_while(|l| l.starts_with('|')).copied().collect();
            assert!(rows.len() >= 2, "{markdown}");
            for row in &rows {
                assert_eq!(cells(row).len(), header.len(), "{row} under {line}");
            }
            if let Some(at) = header.iter().position(|h| *h == "files/s") {
                let row = cells(rows[1]);
                assert_eq!((row[at], row[at + 1]), ("200", "4.0"), "300 files, 6 MB in 1.5 s: {line}");
                assert_eq!(header[at + 1], "MB/s");
            }
        }
        assert_eq!(tables, 2, "{markdown}");
    }
}
