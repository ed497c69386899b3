//! Ranking: fuzzy workspace-symbol search and definition resolution, pure functions over the index.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::names::{self, Fit, FitQuery, Shape};
use super::{FileEntry, Index, SymbolRef};
use crate::symbol::{Name, Role};

/// A `workspace/symbol` query.
#[derive(Clone, Debug)]
pub struct SearchQuery {
    pub text: String,
    pub limit: usize,
}

/// A definition lookup: the name under the cursor and where the cursor is.
#[derive(Clone, Debug, Default)]
pub struct DefinitionQuery {
    pub name: String,
    /// The file the request comes from.
    pub file: Option<PathBuf>,
    /// Cursor line and byte column.
    pub line: u32,
    pub col: u32,
    /// Module names the current file imports (file stems or last path segments).
    pub imports: Vec<String>,
    /// At most this many definitions are answered (the best ranked); 0: all.
    pub limit: usize,
}

/// Directory names that hold code the workspace did not write.
const VENDOR_DIRS: &[&str] = &[
    "vendor",
    "vendored",
    "node_modules",
    "third_party",
    "third-party",
    "thirdparty",
    "external",
    "site-packages",
    "dist-packages",
    "bower_components",
    "Pods",
    "generated",
    "__generated__",
    "gen",
    "target",
    "dist",
    "build",
    "out",
];

/// Whether a path belongs to vendored or generated code (ranked after the workspace's own).
pub fn is_vendored(path: &Path) -> bool {
    // Split by hand: cheaper than `Path::components`, and a warm start asks it of every file.
    let bytes = path.as_os_str().as_encoded_bytes();
    let mut file: &[u8] = &[];
    for part in bytes.split(|&b| b.is_ascii() && std::path::is_separator(char::from(b))) {
        if VENDOR_DIRS.iter().any(|dir| dir.as_bytes() == part) {
            return true;
        }
        if !part.is_empty() {
            file = part;
        }
    }
    let file = std::str::from_utf8(file).unwrap_or_default();
    file.contains(".generated.")
        || file.ends_with(".pb.go")
        || file.ends_with("_pb2.py")
        || file.ends_with(".min.js")
        || file.ends_with(".d.ts") && file.contains("generated")
}

/// Sort key of a search hit: match tier, vendored last, score, shorter names, name.
type HitKey = (Tier, bool, Reverse<u16>, usize, &'static str);

/// How a name matched the query, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    Exact,
    ExactIgnoreCase,
    Prefix,
    PrefixIgnoreCase,
    /// Every query character begins a word of the name or follows the one before ([`Fit::Words`]).
    Words,
    Fuzzy,
}

pub(super) fn search(index: &Index, query: &SearchQuery) -> Vec<SymbolRef> {
    search_within(index, query, SCORE_BUDGET, None)
}

/// [`search`], scoring at most `budget` scattered fuzzy candidates; with `combine`, whether the
/// words and scattered tiers come from one pass (else a sample of the table decides).
fn search_within(index: &Index, query: &SearchQuery, budget: usize, combine: Option<bool>) -> Vec<SymbolRef> {
    let limit = query.limit.max(1);
    let text = query.text.trim();
    if text.is_empty() {
        return browse(index, limit);
    }
    // Names are ranked by tier first and each defined name yields at least one hit, so a tier's
    // names are scored only when the tiers before it hold fewer than `limit` names; a cheap look
    // at each name ([`FitQuery::classify`]) rejects most before the scorer sees them.
    let keep = limit.saturating_mul(4).max(64);
    let started = std::time::Instant::now();
    let folded: Vec<u8> = text.bytes().filter(|&b| b != b' ').map(|b| b.to_ascii_lowercase()).collect();
    let query_fit = FitQuery::new(&folded);
    // First the names the query can be a prefix of (the strong tiers), then, when those are too
    // few, the names it can match on word starts ([`Tier::Words`]).
    let parts = threads_for(index.name_count() / 8);
    let strong: Vec<(Tier, &'static str, Name)> = on_threads(parts, |part| {
        let mut found = Vec::new();
        index.candidate_names(text, Shape::Prefix, (part, parts), |candidate, name| {
            if let Some(tier) = strong_tier(candidate.bytes, text.as_bytes()) {
                found.push((tier, name.as_str(), name));
            }
        });
        found
    });
    // The words tier comes from a pass over the candidates of [`Shape::Words`]; when it looks
    // too small to fill the answer (judged on a sample of the table), one pass over the wider
    // [`Shape::Scattered`] candidates classifies both tiers at once, instead of a words pass
    // followed by a scattered pass that reads those candidates again. Either way the answer is
    // the same.
    let wanted = limit.saturating_sub(strong.len());
    let combine = wanted > 0
        && combine.unwrap_or_else(|| {
            let sample = fits(index, text, &query_fit, Shape::Words, (0, SAMPLE_PARTS));
            sample.words.len() * SAMPLE_PARTS < wanted
        });
    let found = match (wanted, combine) {
        (0, _) => Fits::default(),
        (_, true) => fits_on_threads(index, text, &query_fit, Shape::Scattered),
        (_, false) => fits_on_threads(index, text, &query_fit, Shape::Words),
    };
    let (words, bounded) = (found.words, combine.then_some(found.scattered));
    let scanned = started.elapsed();
    let (strong_count, words_count) = (strong.len(), words.len());
    let mut matcher = Matcher::new(Config::DEFAULT);
    let atom = Atom::new(text, CaseMatching::Smart, Normalization::Smart, AtomKind::Fuzzy, true);
    let mut buf = Vec::new();
    let mut score = |name: &str| atom.score(Utf32Str::new(name, &mut buf), &mut matcher);
    // A prefix match scores nucleo's best (see `names::best_score`) whenever the scorer matches
    // with the prefix's case: case-sensitive tiers, or any tier for a query without capitals.
    // Prefix-heavy queries (`tes` among thousands of `test_*`) skip the scorer.
    let best = names::best_score(folded.len());
    let matches_case =
        |tier: Tier| matches!(tier, Tier::Exact | Tier::Prefix) || !text.bytes().any(|b| b.is_ascii_uppercase());
    // Each name with its text (what ranks it) and the name itself (what finds its definitions).
    let mut names: Vec<(Tier, Reverse<u16>, &'static str, Name)> = strong
        .into_iter()
        .map(|(tier, text_of, name)| {
            let score = if text.is_ascii() && folded.len() == text.len() && matches_case(tier) {
                best
            } else {
                score(text_of).unwrap_or(u16::MAX)
            };
            (tier, Reverse(score), text_of, name)
        })
        .collect();
    if names.len() < limit {
        // All of the tier would be scored to be ranked: tightest first under the score bound,
        // stopping once no bound reaches the kept names (no budget: the tier is ranked exactly).
        names.extend(best_bounded(&atom, words, keep, usize::MAX, Tier::Words));
    }
    // Then, when those are too few, the scattered matches among all the candidates.
    let mut scattered = 0;
    if names.len() < limit {
        let bounded = bounded.unwrap_or_else(|| fits_on_threads(index, text, &query_fit, Shape::Scattered).scattered);
        scattered = bounded.len();
        names.extend(best_bounded(&atom, bounded, keep, budget, Tier::Fuzzy));
    }
    let scored = started.elapsed();
    // Keep the best names (a few times the limit, since one name can have many definitions and
    // vendored ones sort after the workspace's own), then rank their symbols.
    let by_rank = |&(tier, score, text, _): &(Tier, Reverse<u16>, &'static str, Name)| (tier, score, text.len(), text);
    if names.len() > keep {
        names.select_nth_unstable_by_key(keep, by_rank);
        names.truncate(keep);
    }
    names.sort_unstable_by_key(by_rank);
    let mut hits: Vec<(HitKey, SymbolRef)> = Vec::new();
    let mut workspace_hits = 0;
    for (tier, score, text, name) in names {
        // Hits sort by tier, then workspace before vendored, then by name rank: once `limit`
        // workspace hits are in, no later name can place one before them.
        if workspace_hits >= limit {
            break;
        }
        let mut files = index.defining_files(name);
        if files.len() > limit {
            // Only the first `limit` files of a name can make the answer.
            files.select_nth_unstable_by(limit, |a, b| {
                (a.vendored, path_bytes(&a.path)).cmp(&(b.vendored, path_bytes(&b.path)))
            });
            files.truncate(limit);
        }
        for file in files {
            for hit in Index::definitions_in(&file, name) {
                workspace_hits += usize::from(!file.vendored);
                hits.push(((tier, file.vendored, score, text.len(), text), hit));
            }
        }
    }
    hits.sort_by(|(ka, a), (kb, b)| {
        ka.cmp(kb).then_with(|| path_bytes(&a.file.path).cmp(path_bytes(&b.file.path))).then(a.index.cmp(&b.index))
    });
    hits.truncate(limit);
    tracing::debug!(
        query = text,
        names = index.name_count(),
        strong = strong_count,
        words = words_count,
        scattered,
        ?scanned,
        ?scored,
        total = ?started.elapsed(),
        "workspace/symbol"
    );
    hits.into_iter().map(|(_, hit)| hit).collect()
}

/// The table is sampled in this many parts to guess whether the words tier fills an answer.
const SAMPLE_PARTS: usize = 16;

/// The names of one pass over candidates: those matching on word starts (not as a prefix: the
/// strong tiers have their own pass), and the scattered ones with their score bounds and lengths.
#[derive(Default)]
struct Fits {
    words: Vec<(Reverse<u16>, usize, Name)>,
    scattered: Vec<(Reverse<u16>, usize, Name)>,
}

/// One pass over the candidates of `shape` in `part` of the table ([`Shape::Words`] finds no
/// scattered names: it visits only names that could match on word starts).
fn fits(index: &Index, text: &str, query_fit: &FitQuery, shape: Shape, part: (usize, usize)) -> Fits {
    let mut found = Fits::default();
    index.candidate_names(text, shape, part, |candidate, name| match query_fit.classify(candidate) {
        Some((Fit::Words, bound)) if strong_tier(candidate.bytes, text.as_bytes()).is_none() => {
            found.words.push((Reverse(bound), candidate.bytes.len(), name))
        }
        Some((Fit::Scattered, bound)) if shape == Shape::Scattered => {
            found.scattered.push((Reverse(bound), candidate.bytes.len(), name))
        }
        _ => {}
    });
    found
}

/// [`fits`] over the whole table, split across the cores when it is large: a words pass reads
/// a few times fewer candidates than a scattered one.
fn fits_on_threads(index: &Index, text: &str, query_fit: &FitQuery, shape: Shape) -> Fits {
    let per_name = if shape == Shape::Words { 8 } else { 1 };
    let parts = threads_for(index.name_count() / per_name);
    let mut found = Fits::default();
    for part in on_threads(parts, |part| vec![fits(index, text, query_fit, shape, (part, parts))]) {
        found.words.extend(part.words);
        found.scattered.extend(part.scattered);
    }
    found
}

/// A path as bytes, the order hits with equal ranks take: comparing paths component by component
/// costs more than the rest of a search when a name such as `new` has thousands of definitions.
fn path_bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_encoded_bytes()
}

/// How `candidate` matches `text` if as well as a prefix; `None` leaves it to fuzzy matching.
fn strong_tier(candidate: &[u8], text: &[u8]) -> Option<Tier> {
    // Most candidates differ at once: no comparison of whole slices for them.
    if !candidate.first().zip(text.first()).is_some_and(|(c, t)| c.eq_ignore_ascii_case(t)) {
        return None;
    }
    if candidate == text {
        Some(Tier::Exact)
    } else if candidate.len() == text.len() && candidate.eq_ignore_ascii_case(text) {
        Some(Tier::ExactIgnoreCase)
    } else if candidate.starts_with(text) {
        Some(Tier::Prefix)
    } else if candidate.len() > text.len() && candidate[..text.len()].eq_ignore_ascii_case(text) {
        Some(Tier::PrefixIgnoreCase)
    } else {
        None
    }
}

/// At most this many scattered fuzzy candidates are scored for a query: on millions of names a
/// short query has hundreds of thousands and scoring them all takes far longer than a keystroke.
/// They are scored tightest first (by [`names::score_bound`]), and scoring stops early, with the
/// exact answer, once no unscored candidate's bound reaches the kept names; only when the budget
/// runs out first is the answer the best of the tightest candidates.
const SCORE_BUDGET: usize = 2048;

/// Candidates per thread above which work is split across the cores.
const PER_THREAD: usize = 2048;

/// How many threads `items` items of work justify.
fn threads_for(items: usize) -> usize {
    // Asked once: the answer comes from reading cgroup files.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    cores.min(items / PER_THREAD).max(1)
}

/// Runs `work(part)` for each of `parts` parts, on a thread each when more than one.
fn on_threads<R: Send>(parts: usize, work: impl Fn(usize) -> Vec<R> + Sync) -> Vec<R> {
    if parts <= 1 {
        return work(0);
    }
    let work = &work;
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..parts).map(|part| s.spawn(move || work(part))).collect();
        workers.into_iter().flat_map(|w| w.join().unwrap_or_default()).collect()
    })
}

/// The `n` best matches of `tier` (ranked as [`search`] ranks names) among `bounded` (each with
/// its score bound and length), scoring at most `budget`, tightest first (see [`SCORE_BUDGET`]).
fn best_bounded(
    atom: &Atom,
    mut bounded: Vec<(Reverse<u16>, usize, Name)>,
    n: usize,
    budget: usize,
    tier: Tier,
) -> Vec<(Tier, Reverse<u16>, &'static str, Name)> {
    if bounded.len() > budget {
        bounded.select_nth_unstable(budget);
        bounded.truncate(budget);
    }
    bounded.sort_unstable();
    // Each thread takes every `parts`-th candidate, so each sees bounds in falling order and stops
    // once its own kept names cannot be beaten: the names it leaves could not make the answer.
    let parts = threads_for(bounded.len());
    let mut kept = on_threads(parts, |part| {
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        // The kept names, worst on top.
        // (A name's text is its own: the name never decides an order.)
        let mut kept: BinaryHeap<(Reverse<u16>, usize, &'static str, Name)> = BinaryHeap::with_capacity(n + 1);
        for &(Reverse(bound), len, name) in bounded.iter().skip(part).step_by(parts) {
            if kept.len() >= n && kept.peek().is_some_and(|&(Reverse(worst), ..)| bound < worst) {
                break;
            }
            let text = name.as_str();
            if let Some(score) = atom.score(Utf32Str::new(text, &mut buf), &mut matcher) {
                kept.push((Reverse(score), len, text, name));
                if kept.len() > n {
                    kept.pop();
                }
            }
        }
        kept.into_vec()
    });
    if kept.len() > n {
        kept.select_nth_unstable(n);
        kept.truncate(n);
    }
    kept.into_iter().map(|(score, _, text, name)| (tier, score, text, name)).collect()
}

/// The answer to an empty query: a bounded list of the workspace's own top-level declarations.
fn browse(index: &Index, limit: usize) -> Vec<SymbolRef> {
    let mut hits: Vec<SymbolRef> = Vec::new();
    for file in index.files() {
        if hits.len() >= limit * 4 {
            break;
        }
        for (i, s) in file.symbols.iter().enumerate() {
            if s.role == Role::Definition && s.parent == crate::symbol::NO_PARENT {
                hits.push(SymbolRef { file: file.clone(), index: i });
            }
        }
    }
    hits.sort_by(|a, b| {
        (a.file.vendored, !a.symbol().kind.is_container(), a.symbol().name.as_str(), &a.file.path).cmp(&(
            b.file.vendored,
            !b.symbol().kind.is_container(),
            b.symbol().name.as_str(),
            &b.file.path,
        ))
    });
    hits.truncate(limit);
    hits
}

/// How a definition relates to the place it is asked from, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Proximity {
    /// In the cursor's own file (those in a scope enclosing the cursor first: see [`resolve`]).
    SameFile,
    /// In a file the current file imports, or in the same directory.
    Related,
    /// The workspace's own code.
    Workspace,
    /// Vendored or generated code.
    Vendored,
}

pub(super) fn resolve(index: &Index, query: &DefinitionQuery) -> Vec<SymbolRef> {
    let Some(name) = Name::lookup(&query.name) else { return Vec::new() };
    // Paths are looked at as bytes: `Path::parent` and friends parse components, which costs more
    // than the rest when a name such as `clone` has thousands of definitions.
    let from_dir = query.file.as_deref().and_then(Path::parent).map(|d| d.as_os_str().as_encoded_bytes());
    // All of a file's definitions are as near as each other, except in the cursor's own file:
    // files are ranked first, and definitions read only from the nearest (a name such as `clone`
    // has 14 thousand definitions in 500 files of rust-crates).
    let mut files: Vec<(Proximity, Arc<FileEntry>)> = index
        .defining_files(name)
        .into_iter()
        .map(|file| {
            let proximity = if query.file.as_deref() == Some(&*file.path) {
                Proximity::SameFile
            } else if from_dir.is_some_and(|dir| in_dir(&file.path, dir))
                || !file.vendored && imported(&file.path, &query.imports)
            {
                Proximity::Related
            } else if file.vendored {
                Proximity::Vendored
            } else {
                Proximity::Workspace
            };
            (proximity, file)
        })
        .collect();
    let Some(best) = files.iter().map(|(p, _)| *p).min() else { return Vec::new() };
    let limit = if query.limit == 0 { usize::MAX } else { query.limit };
    if best == Proximity::SameFile {
        let own = files.iter().find(|(p, _)| *p == best).map(|(_, file)| Index::definitions_in(file, name));
        let mut hits = own.unwrap_or_default();
        // Those in a scope enclosing the cursor (top level encloses all), innermost only; else all.
        let depths: Vec<Option<u64>> =
            hits.iter().map(|hit| scope_encloses(hit, query.line, query.col).then(|| scope_size(hit))).collect();
        if let Some(innermost) = depths.iter().flatten().min().copied() {
            let mut depths = depths.iter();
            hits.retain(|_| depths.next() == Some(&Some(innermost)));
        }
        hits.truncate(limit);
        return hits;
    }
    // The rest in path order, then document order: only as many files as the limit needs are read.
    files.retain(|(p, _)| *p == best);
    files.sort_unstable_by(|(_, a), (_, b)| path_bytes(&a.path).cmp(path_bytes(&b.path)));
    let mut hits = Vec::new();
    for (_, file) in files {
        if hits.len() >= limit {
            break;
        }
        hits.extend(Index::definitions_in(&file, name));
    }
    hits.truncate(limit);
    hits
}

/// Whether the definition's enclosing scope (its parent, or the file for top-level ones) holds the
/// cursor.
fn scope_encloses(hit: &SymbolRef, line: u32, col: u32) -> bool {
    match hit.symbol().parent_index() {
        None => true,
        Some(p) => hit.file.symbols.get(p).is_some_and(|parent| parent.range.contains_point(line, col)),
    }
}

/// Size of the definition's enclosing scope in lines (top level is the largest).
fn scope_size(hit: &SymbolRef) -> u64 {
    match hit.symbol().parent_index() {
        None => u64::MAX,
        Some(p) => hit.file.symbols.get(p).map_or(u64::MAX, |s| u64::from(s.range.end.line - s.range.start.line)),
    }
}

fn imported(path: &Path, imports: &[String]) -> bool {
    if imports.is_empty() {
        return false;
    }
    let bytes = path.as_os_str().as_encoded_bytes();
    let (dir, file) = split_last(bytes);
    let stem = match file.iter().rposition(|&b| b == b'.') {
        Some(0) | None => file,
        Some(dot) => &file[..dot],
    };
    // `mod.rs`, `__init__.py`, `index.js` name their directory.
    let module = if matches!(stem, b"mod" | b"__init__" | b"index" | b"lib" | b"main") {
        Some(split_last(dir).1).filter(|d| !d.is_empty()).unwrap_or(stem)
    } else {
        stem
    };
    imports.iter().any(|i| i.as_bytes() == module)
}

/// A path's bytes split at its last `/`: the directory and the file name.
fn split_last(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(slash) => (&path[..slash], &path[slash + 1..]),
        None => (&[], path),
    }
}

/// Whether `path` is a file directly in the directory `dir` (both as bytes, as the index keeps
/// them: absolute and normalised).
fn in_dir(path: &Path, dir: &[u8]) -> bool {
    split_last(path.as_os_str().as_encoded_bytes()).0 == dir
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::index::{FileUpdate, Origin, Stamp, Symbols};
    use crate::lang::Lang;
    use crate::symbol::{Pos, Span, Symbol, SymbolKind, NO_PARENT};

    /// What `search` must return, computed the plain way: every definition of every name, tiered
    /// and scored, sorted whole.
    fn reference(index: &Index, text: &str, limit: usize) -> Vec<(PathBuf, usize)> {
        let mut matcher = Matcher::new(Config::DEFAULT);
        let atom = Atom::new(text, CaseMatching::Smart, Normalization::Smart, AtomKind::Fuzzy, true);
        let folded: Vec<u8> = text.bytes().map(|b| b.to_ascii_lowercase()).collect();
        let mut buf = Vec::new();
        let mut hits = Vec::new();
        for file in index.files() {
            for (i, s) in file.symbols.iter().enumerate().filter(|(_, s)| s.is_definition()) {
                let name = s.name.as_str();
                let tier = match strong_tier(name.as_bytes(), text.as_bytes()) {
                    Some(tier) => tier,
                    None => {
                        // A fuzzy match starts at a word start (checked by brute force).
                        let bytes = name.as_bytes();
                        let admissible = names::tests::admissible(name, &folded);
                        if !admissible {
                            continue;
                        }
                        let fits_words = bytes.len() <= 64 && folded.len() <= 32 && bytes.is_ascii();
                        if fits_words && names::tests::on_words(bytes, &folded, None) {
                            Tier::Words
                        } else {
                            Tier::Fuzzy
                        }
                    }
                };
                // A prefix match the case-sensitive scorer rejects ("MAP" for "Map") still counts.
                let score = atom.score(Utf32Str::new(name, &mut buf), &mut matcher);
                let Some(score) = score.or((tier < Tier::Words).then_some(u16::MAX)) else { continue };
                let key = (tier, file.vendored, Reverse(score), name.len(), name);
                hits.push((key, path_bytes(&file.path).to_vec(), i, file.path.to_path_buf()));
            }
        }
        hits.sort_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
        hits.into_iter().take(limit).map(|(_, _, i, path)| (path, i)).collect()
    }

    /// An index of `files` files with up to `per_file` symbols named from `names` random names.
    fn random_index(rng: &mut fastrand::Rng, names: usize, files: usize, per_file: u32) -> (Index, Vec<String>) {
        const PIECES: &[&str] =
            &["get", "Set", "hash", "Map", "_", "new", "into", "Iter", "x", "2", "read", "Er", "ce", "te", "ab", "Ba"];
        let index = Index::new();
        let names: Vec<String> =
            (0..names).map(|_| (0..rng.usize(1..6)).map(|_| PIECES[rng.usize(..PIECES.len())]).collect()).collect();
        let pos = |line| Pos { line, col: 0, col16: 0 };
        for f in 0..files {
            let dir = if f % 5 == 0 { "vendor/dep" } else { "src" };
            let symbols: Vec<Symbol> = (0..rng.u32(1..per_file))
                .map(|line| {
                    let name = Name::new(&names[rng.usize(..names.len())]);
                    let len = name.as_str().len() as u32;
                    let name_range = Span { start: pos(line), end: Pos { line, col: len, col16: len } };
                    let role = if rng.u8(..4) == 0 { Role::Reference } else { Role::Definition };
                    Symbol { name, kind: SymbolKind::Function, role, range: name_range, name_range, parent: NO_PARENT }
                })
                .collect();
            index.upsert(FileUpdate {
                path: PathBuf::from(format!("/w/{dir}/f{f}.rs")),
                lang: Lang::Rust,
                symbols: Symbols::from(symbols),
                origin: Origin::Disk,
                stamp: Stamp::default(),
                stored: None,
            });
        }
        (index, names)
    }

    fn random_queries(rng: &mut fastrand::Rng, names: &[String], n: usize) -> Vec<String> {
        let mut queries: Vec<String> =
            ["g", "get", "MAP", "hm", "xe", "_", "ee", "aa", "eEe", "s_s", "mmD"].map(String::from).to_vec();
        for _ in 0..n {
            let name = &names[rng.usize(..names.len())];
            let chars: Vec<char> = name.chars().collect();
            let start = rng.usize(..chars.len());
            let query: String = match rng.u8(..4) {
                0 => name.clone(),
                1 => chars[..rng.usize(1..=chars.len())].iter().collect(),
                2 => chars.iter().skip(start).step_by(2).collect(),
                _ => chars[start..].iter().take(3).collect::<String>().to_uppercase(),
            };
            queries.push(query);
        }
        queries
    }

    fn assert_same_as_reference(index: &Index, queries: &[String], limits: &[usize]) {
        for query in queries {
            for &limit in limits {
                let expected = reference(index, query.trim(), limit);
                for combine in [None, Some(false), Some(true)] {
                    let got: Vec<(PathBuf, usize)> =
                        search_within(index, &SearchQuery { text: query.clone(), limit }, usize::MAX, combine)
                            .into_iter()
                            .map(|hit| (hit.file.path.to_path_buf(), hit.index))
                            .collect();
                    assert_eq!(got, expected, "query {query:?} limit {limit} combine {combine:?}");
                }
            }
        }
    }

    #[test]
    fn search_returns_what_ranking_every_definition_would() {
        let mut rng = fastrand::Rng::with_seed(11);
        let (index, names) = random_index(&mut rng, 300, 80, 40);
        let queries = random_queries(&mut rng, &names, 200);
        assert_same_as_reference(&index, &queries, &[1, 7, 40, 128]);
        // Enough names that fuzzy candidates are scored on several threads.
        let (index, names) = random_index(&mut rng, 30_000, 600, 80);
        let queries = random_queries(&mut rng, &names, 6);
        assert_same_as_reference(&index, &queries, &[5, 128]);
    }

    #[test]
    fn the_score_bound_is_never_below_the_score() {
        let mut rng = fastrand::Rng::with_seed(5);
        let (_, mut names) = random_index(&mut rng, 2000, 1, 2);
        let queries = random_queries(&mut rng, &names, 400);
        // Separators of every kind nucleo tells apart, digits, humps.
        for _ in 0..2000 {
            const PIECES: &[&str] =
                &["get", "Map", "_", "-", ".", "/", ":", " ", "$", "2", "x9", "HTTP", "Er", "ce", "te"];
            names.push((0..rng.usize(1..8)).map(|_| PIECES[rng.usize(..PIECES.len())]).collect());
        }
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        let mut scored = 0;
        for query in &queries {
            let atom = Atom::new(query, CaseMatching::Smart, Normalization::Smart, AtomKind::Fuzzy, true);
            let folded: Vec<u8> = query.bytes().map(|b| b.to_ascii_lowercase()).collect();
            for name in &names {
                if let Some(score) = atom.score(Utf32Str::new(name, &mut buf), &mut matcher) {
                    scored += 1;
                    let bound = if name.is_ascii() { names::score_bound(name.as_bytes(), &folded) } else { u16::MAX };
                    assert!(score <= bound, "{query:?} in {name:?}: {score}");
                }
            }
        }
        assert!(scored > 10_000, "{scored}");
    }

    #[test]
    fn module_names_and_directories_are_read_from_path_bytes() {
        let imports = ["serde".to_owned(), "helpers".to_owned(), "mod".to_owned()];
        assert!(imported(Path::new("/w/src/helpers.rs"), &imports));
        assert!(imported(Path::new("/w/serde/mod.rs"), &imports));
        assert!(imported(Path::new("/w/serde/__init__.py"), &imports));
        assert!(!imported(Path::new("/w/src/serde_json.rs"), &imports));
        assert!(!imported(Path::new("/w/src/helpers.rs"), &[]));
        assert!(in_dir(Path::new("/w/src/a.rs"), b"/w/src"));
        assert!(!in_dir(Path::new("/w/src/x/a.rs"), b"/w/src"));
        assert!(!in_dir(Path::new("/w/srcx/a.rs"), b"/w/src"));
    }

    #[test]
    fn definitions_are_capped_at_the_limit_best_first() {
        let mut rng = fastrand::Rng::with_seed(2);
        let (index, names) = random_index(&mut rng, 3, 200, 20);
        let name = names.iter().max_by_key(|n| index.definitions_of(n).len()).unwrap().clone();
        let query = |limit| DefinitionQuery { name: name.clone(), file: None, limit, ..Default::default() };
        let all = resolve(&index, &query(0));
        assert!(all.len() > 10, "{}", all.len());
        let capped = resolve(&index, &query(10));
        let at = |hits: &[SymbolRef]| hits.iter().map(|h| (h.file.path.to_path_buf(), h.index)).collect::<Vec<_>>();
        assert_eq!(at(&capped), at(&all[..10]));
    }

    /// What `resolve` must return, computed the plain way: every definition classified, the
    /// nearest kept, sorted whole.
    fn resolve_reference(index: &Index, query: &DefinitionQuery) -> Vec<(PathBuf, usize)> {
        let from_dir = query.file.as_deref().and_then(Path::parent).map(|d| d.as_os_str().as_encoded_bytes());
        // 0: in an enclosing scope, 1: elsewhere in the file, then the other files' proximities.
        let mut ranked: Vec<(u8, u64, Vec<u8>, usize)> = index
            .definitions_of(&query.name)
            .into_iter()
            .map(|hit| {
                let (class, depth) = if query.file.as_deref() == Some(&*hit.file.path) {
                    if scope_encloses(&hit, query.line, query.col) {
                        (0, scope_size(&hit))
                    } else {
                        (1, 0)
                    }
                } else if from_dir.is_some_and(|dir| in_dir(&hit.file.path, dir))
                    || !hit.file.vendored && imported(&hit.file.path, &query.imports)
                {
                    (2, 0)
                } else {
                    (if hit.file.vendored { 4 } else { 3 }, 0)
                };
                (class, depth, path_bytes(&hit.file.path).to_vec(), hit.index)
            })
            .collect();
        ranked.sort();
        let Some(&(class, depth, _, _)) = ranked.first() else { return Vec::new() };
        ranked.retain(|r| (r.0, r.1) == (class, depth) || class > 0 && r.0 == class);
        let limit = if query.limit == 0 { usize::MAX } else { query.limit };
        ranked
            .into_iter()
            .take(limit)
            .map(|(_, _, path, i)| (PathBuf::from(String::from_utf8(path).unwrap()), i))
            .collect()
    }

    #[test]
    fn resolve_returns_what_ranking_every_definition_would() {
        let mut rng = fastrand::Rng::with_seed(3);
        let index = Index::new();
        let names = ["clone", "new", "len", "parse_x"];
        let mut paths = Vec::new();
        for f in 0..60 {
            let dir = ["src", "src/sub", "vendor/dep", "lib"][f % 4];
            let path = PathBuf::from(format!("/w/{dir}/m{}.rs", f % 7 + f / 20));
            // Symbols on lines 0, 3, 6, …: each a scope of a few lines, some nested in one before.
            let mut symbols: Vec<Symbol> = Vec::new();
            for i in 0..rng.u32(1..30) {
                let line = i * 3;
                let end = Pos { line: line + rng.u32(0..12), col: 1, col16: 1 };
                let start = Pos { line, col: 0, col16: 0 };
                let parent = if i > 0 && rng.bool() { rng.u32(..i) } else { NO_PARENT };
                let role = if rng.u8(..5) == 0 { Role::Reference } else { Role::Definition };
                let name = Name::new(names[rng.usize(..names.len())]);
                let name_range = Span { start, end: Pos { line, col: 3, col16: 3 } };
                symbols.push(Symbol {
                    name,
                    kind: SymbolKind::Function,
                    role,
                    range: Span { start, end },
                    name_range,
                    parent,
                });
            }
            paths.push(path.clone());
            let symbols = Symbols::from(symbols);
            index.upsert(FileUpdate {
                path,
                lang: Lang::Rust,
                symbols,
                origin: Origin::Disk,
                stamp: Stamp::default(),
                stored: None,
            });
        }
        let mut checked = [0; 3];
        for _ in 0..3000 {
            let file = match rng.u8(..6) {
                0 => None,
                1 => Some(PathBuf::from("/w/src/new_file.rs")),
                _ => Some(paths[rng.usize(..paths.len())].clone()),
            };
            let imports = ["m1", "m4", "dep", "sub"].into_iter().filter(|_| rng.bool()).map(String::from).collect();
            let query = DefinitionQuery {
                name: names.get(rng.usize(..names.len() + 1)).unwrap_or(&"undefined").to_string(),
                file,
                line: rng.u32(..100),
                col: rng.u32(..3),
                imports,
                limit: [0, 1, 3, 10][rng.usize(..4)],
            };
            let got: Vec<(PathBuf, usize)> =
                resolve(&index, &query).into_iter().map(|hit| (hit.file.path.to_path_buf(), hit.index)).collect();
            let expected = resolve_reference(&index, &query);
            assert_eq!(got, expected, "{query:?}");
            let own = expected.first().is_some_and(|(path, _)| Some(path) == query.file.as_ref());
            checked[if expected.is_empty() {
                0
            } else if own {
                1
            } else {
                2
            }] += 1;
        }
        // Queries answered with nothing, from their own file and from others were all seen.
        assert!(checked.iter().all(|&n| n > 50), "{checked:?}");
    }

    #[test]
    fn vendored_paths() {
        assert!(is_vendored(Path::new("/w/vendor/serde/src/lib.rs")));
        assert!(is_vendored(Path::new("/w/node_modules/x/index.js")));
        assert!(is_vendored(Path::new("/w/api/types.pb.go")));
        assert!(!is_vendored(Path::new("/w/src/vendoring.rs")));
    }
}
