//! What a scan saw: the numbers a user debugging a slow or surprising index needs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::{Candidate, IndexedFile, Skip};
use crate::parser::ParseError;
use crate::symbol::Role;

/// How many slow directories are kept.
const SLOWEST: usize = 10;

/// Files skipped, by reason.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct SkipCounts {
    /// Dropped by .gitignore/.ignore/excludes/hidden rules (counted only when asked).
    pub ignored: usize,
    pub binary: usize,
    pub too_large: usize,
    pub unreadable: usize,
    pub symlink: usize,
    pub unsupported: usize,
    pub parse_timeout: usize,
}

/// Per-language totals.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct LangStats {
    pub files: usize,
    pub symbols: usize,
    pub definitions: usize,
    pub bytes: u64,
}

/// Everything a scan counts.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ScanStats {
    pub dirs: usize,
    pub files_seen: usize,
    pub files_indexed: usize,
    pub symbols: usize,
    pub definitions: usize,
    pub bytes: u64,
    pub skipped: SkipCounts,
    pub errors: usize,
    pub cache_hits: usize,
    pub cancelled: bool,
    #[serde(serialize_with = "secs")]
    pub walk_time: Duration,
    #[serde(serialize_with = "secs")]
    pub index_time: Duration,
    #[serde(serialize_with = "secs")]
    pub total_time: Duration,
    pub languages: BTreeMap<&'static str, LangStats>,
    /// Directories whose files took longest to index, slowest first, with seconds spent.
    pub slowest_dirs: Vec<(PathBuf, f64)>,
    #[serde(skip)]
    dir_times: FxHashMap<PathBuf, Duration>,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl ScanStats {
    pub(super) fn record(&mut self, candidate: &Candidate, outcome: &Result<IndexedFile, Skip>) {
        match outcome {
            Ok(file) => self.record_file(candidate, file),
            Err(Skip::Binary(_)) => self.skipped.binary += 1,
            Err(Skip::TooLarge(..)) => self.skipped.too_large += 1,
            Err(Skip::Unsupported(_)) => self.skipped.unsupported += 1,
            Err(skip @ Skip::Unreadable { .. }) => {
                tracing::warn!("{skip}");
                self.skipped.unreadable += 1;
                self.errors += 1;
            }
            Err(skip @ Skip::Parse(_, ParseError::Failed)) => {
                tracing::error!("{skip}");
                self.errors += 1;
            }
            Err(skip @ Skip::Parse(..)) => {
                tracing::warn!("{skip}");
                self.skipped.parse_timeout += 1;
            }
        }
    }

    /// Counts an indexed file: its symbols, definitions and bytes, overall and for its language.
    pub(super) fn record_file(&mut self, candidate: &Candidate, file: &IndexedFile) {
        let definitions = file.symbols.names().filter(|&(_, role)| role == Role::Definition).count();
        self.record_counts(candidate, file.symbols.len(), definitions);
    }

    /// [`ScanStats::record_file`] of a file of `symbols` symbols, `definitions` of them
    /// definitions.
    pub(super) fn record_counts(&mut self, candidate: &Candidate, symbols: usize, definitions: usize) {
        self.files_indexed += 1;
        self.symbols += symbols;
        self.definitions += definitions;
        self.bytes += candidate.size;
        let lang = self.languages.entry(candidate.lang.name()).or_default();
        lang.files += 1;
        lang.symbols += symbols;
        lang.definitions += definitions;
        lang.bytes += candidate.size;
    }

    pub(super) fn merge(&mut self, other: &ScanStats) {
        self.dirs += other.dirs;
        self.files_seen += other.files_seen;
        self.files_indexed += other.files_indexed;
        self.symbols += other.symbols;
        self.definitions += other.definitions;
        self.bytes += other.bytes;
        self.errors += other.errors;
        self.cache_hits += other.cache_hits;
        let (a, b) = (&mut self.skipped, &other.skipped);
        a.ignored += b.ignored;
        a.binary += b.binary;
        a.too_large += b.too_large;
        a.unreadable += b.unreadable;
        a.symlink += b.symlink;
        a.unsupported += b.unsupported;
        a.parse_timeout += b.parse_timeout;
        for (lang, s) in &other.languages {
            let mine = self.languages.entry(lang).or_default();
            mine.files += s.files;
            mine.symbols += s.symbols;
            mine.definitions += s.definitions;
            mine.bytes += s.bytes;
        }
        for (dir, t) in &other.dir_times {
            *self.dir_times.entry(dir.clone()).or_default() += *t;
        }
    }

    pub(super) fn add_dir_times(&mut self, times: FxHashMap<PathBuf, Duration>) {
        for (dir, t) in times {
            *self.dir_times.entry(dir).or_default() += t;
        }
    }

    pub(super) fn finish_dir_times(&mut self) {
        let mut dirs: Vec<(PathBuf, Duration)> = self.dir_times.drain().collect();
        dirs.sort_by_key(|d| std::cmp::Reverse(d.1));
        dirs.truncate(SLOWEST);
        self.slowest_dirs = dirs.into_iter().map(|(d, t)| (d, t.as_secs_f64())).collect();
    }

    /// Files per second over the index phase.
    pub fn files_per_sec(&self) -> f64 {
        self.files_indexed as f64 / self.index_time.as_secs_f64().max(1e-9)
    }

    /// Megabytes per second over the whole scan.
    pub fn mb_per_sec(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.total_time.as_secs_f64().max(1e-9)
    }
}
