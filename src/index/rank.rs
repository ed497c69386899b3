//! Ranking: fuzzy workspace-symbol search and definition resolution, pure functions over the index.

use std::cmp::Reverse;
use std::path::{Component, Path, PathBuf};

use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::{Index, SymbolRef};
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
    let in_vendor_dir = path.components().any(|c| match c {
        Component::Normal(part) => part.to_str().is_some_and(|p| VENDOR_DIRS.contains(&p)),
        _ => false,
    });
    if in_vendor_dir {
        return true;
    }
    let file = path.file_name().and_then(|f| f.to_str()).unwrap_or_default();
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
    Fuzzy,
}

pub(super) fn search(index: &Index, query: &SearchQuery) -> Vec<SymbolRef> {
    let limit = query.limit.max(1);
    let text = query.text.trim();
    if text.is_empty() {
        return browse(index, limit);
    }
    let mut matcher = Matcher::new(Config::DEFAULT);
    let atom = Atom::new(text, CaseMatching::Smart, Normalization::Smart, AtomKind::Fuzzy, true);
    let mut buf = Vec::new();
    let mut names: Vec<(Tier, Reverse<u16>, Name)> = Vec::new();
    index.candidate_names(super::char_mask(text), |name| {
        let candidate = name.as_str();
        let tier = if candidate == text {
            Tier::Exact
        } else if candidate.len() == text.len() && candidate.eq_ignore_ascii_case(text) {
            Tier::ExactIgnoreCase
        } else if candidate.starts_with(text) {
            Tier::Prefix
        } else if candidate.len() > text.len()
            && candidate.is_char_boundary(text.len())
            && candidate[..text.len()].eq_ignore_ascii_case(text)
        {
            Tier::PrefixIgnoreCase
        } else {
            Tier::Fuzzy
        };
        let score = atom.score(Utf32Str::new(candidate, &mut buf), &mut matcher);
        if score.is_none() && tier == Tier::Fuzzy || !index.is_defined(name) {
            return;
        }
        names.push((tier, Reverse(score.unwrap_or(u16::MAX)), name));
    });
    // Keep the best names (a few times the limit, since one name can have many definitions and
    // vendored ones sort after the workspace's own), then rank their symbols.
    let keep = limit.saturating_mul(4).max(64);
    if names.len() > keep {
        names.select_nth_unstable_by_key(keep, |&(tier, score, name)| (tier, score, name.as_str().len()));
        names.truncate(keep);
    }
    let mut hits: Vec<(HitKey, SymbolRef)> = Vec::new();
    for (tier, score, name) in names {
        for hit in index.definitions_of(name.as_str()) {
            let key = (tier, hit.file.vendored, score, name.as_str().len(), name.as_str());
            hits.push((key, hit));
        }
    }
    hits.sort_by(|(ka, a), (kb, b)| ka.cmp(kb).then_with(|| a.file.path.cmp(&b.file.path)).then(a.index.cmp(&b.index)));
    hits.truncate(limit);
    hits.into_iter().map(|(_, hit)| hit).collect()
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
    /// In the same file, inside a scope that encloses the cursor (or at top level).
    Scope,
    /// Elsewhere in the same file.
    SameFile,
    /// In a file the current file imports, or in the same directory.
    Related,
    /// The workspace's own code.
    Workspace,
    /// Vendored or generated code.
    Vendored,
}

pub(super) fn resolve(index: &Index, query: &DefinitionQuery) -> Vec<SymbolRef> {
    let candidates = index.definitions_of(&query.name);
    let from_dir = query.file.as_deref().and_then(Path::parent);
    let mut ranked: Vec<(Proximity, u64, SymbolRef)> = candidates
        .into_iter()
        .map(|hit| {
            let same_file = query.file.as_deref() == Some(&*hit.file.path);
            let proximity = if same_file {
                if scope_encloses(&hit, query.line, query.col) {
                    Proximity::Scope
                } else {
                    Proximity::SameFile
                }
            } else if hit.file.path.parent() == from_dir
                || !hit.file.vendored && imported(&hit.file.path, &query.imports)
            {
                Proximity::Related
            } else if hit.file.vendored {
                Proximity::Vendored
            } else {
                Proximity::Workspace
            };
            // Innermost first: the smaller the enclosing scope, the closer.
            let depth = if proximity == Proximity::Scope { scope_size(&hit) } else { 0 };
            (proximity, depth, hit)
        })
        .collect();
    let Some(best) = ranked.iter().map(|(p, _, _)| *p).min() else { return Vec::new() };
    ranked.retain(|(p, _, _)| *p == best);
    ranked
        .sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.2.file.path.cmp(&b.2.file.path)).then(a.2.index.cmp(&b.2.index)));
    if best == Proximity::Scope {
        // Only the innermost definitions are equally good.
        let innermost = ranked[0].1;
        ranked.retain(|(_, d, _)| *d == innermost);
    }
    ranked.into_iter().map(|(_, _, hit)| hit).collect()
}

/// Whether the definition's enclosing scope (its parent, or the file for top-level ones) holds the
/// cursor.
fn scope_encloses(hit: &SymbolRef, line: u32, col: u32) -> bool {
    match hit.symbol().parent_index() {
        None => true,
        Some(p) => {
            let parent = &hit.file.symbols[p];
            parent.range.contains_point(line, col)
        }
    }
}

/// Size of the definition's enclosing scope in lines (top level is the largest).
fn scope_size(hit: &SymbolRef) -> u64 {
    match hit.symbol().parent_index() {
        None => u64::MAX,
        Some(p) => {
            let r = hit.file.symbols[p].range;
            u64::from(r.end.line - r.start.line)
        }
    }
}

fn imported(path: &Path, imports: &[String]) -> bool {
    if imports.is_empty() {
        return false;
    }
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    // `mod.rs`, `__init__.py`, `index.js` name their directory.
    let module = if matches!(stem, "mod" | "__init__" | "index" | "lib" | "main") {
        path.parent().and_then(Path::file_name).and_then(|s| s.to_str()).unwrap_or(stem)
    } else {
        stem
    };
    imports.iter().any(|i| i == module)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendored_paths() {
        assert!(is_vendored(Path::new("/w/vendor/serde/src/lib.rs")));
        assert!(is_vendored(Path::new("/w/node_modules/x/index.js")));
        assert!(is_vendored(Path::new("/w/api/types.pb.go")));
        assert!(!is_vendored(Path::new("/w/src/vendoring.rs")));
    }
}
