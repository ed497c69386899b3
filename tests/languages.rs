//! Tags per language: one fixture per language under `tests/fixtures/languages/`, annotated the way
//! tree-sitter's own tag tests are.
//!
//! A comment line annotates the nearest line above it that is not an annotation:
//!
//! ```text
//! class Server:
//! #     ^ definition.class
//!     def start(self):
//!     #   ^ definition.method (in Server)
//!         self.listen()
//!     #        ^ reference.call
//! ```
//!
//! `^` points at the first character of the name; `<-` points at the column where the comment
//! starts (for names in column 0, under which a comment cannot put a caret). `(in Foo)` also checks
//! the container. The definitions of a fixture must be exactly the annotated ones; annotated
//! references must be among those extracted (references are too many to list them all).

use std::fmt;
use std::path::{Path, PathBuf};

use symdex::lang::Lang;
use symdex::parser::Extractor;
use symdex::symbol::{container_name, SymbolKind};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/languages");

#[test]
fn bash() {
    check("bash.sh");
}

#[test]
fn c() {
    check("c.c");
}

#[test]
fn cpp() {
    check("cpp.cpp");
}

#[test]
fn csharp() {
    check("csharp.cs");
}

#[test]
fn go() {
    check("go.go");
}

#[test]
fn haskell() {
    check("haskell.hs");
}

#[test]
fn java() {
    check("java.java");
}

#[test]
fn javascript() {
    check("javascript.js");
}

#[test]
fn kotlin() {
    check("kotlin.kt");
}

#[test]
fn lua() {
    check("lua.lua");
}

#[test]
fn php() {
    check("php.php");
}

#[test]
fn python() {
    check("python.py");
}

#[test]
fn ruby() {
    check("ruby.rb");
}

#[test]
fn rust() {
    check("rust.rs");
}

#[test]
fn scala() {
    check("scala.scala");
}

#[test]
fn swift() {
    check("swift.swift");
}

#[test]
fn tsx() {
    check("tsx.tsx");
}

#[test]
fn typescript() {
    check("typescript.ts");
}

/// A new language comes with its fixture (and the test above that checks it).
#[test]
fn every_language_has_a_fixture() {
    let missing: Vec<&str> =
        Lang::ALL.into_iter().filter(|lang| fixture_of(*lang).is_none()).map(|lang| lang.name()).collect();
    assert!(missing.is_empty(), "no fixture `{FIXTURES}/<name>.<ext>` for: {}", missing.join(", "));
}

/// The fixture of a language: `<name>.<one of its extensions>`.
fn fixture_of(lang: Lang) -> Option<PathBuf> {
    lang.extensions()
        .iter()
        .map(|ext| Path::new(FIXTURES).join(format!("{}.{ext}", lang.name())))
        .find(|path| path.is_file())
}

/// Checks the tags extracted from the fixture `name` against its annotations.
fn check(name: &str) {
    let path = Path::new(FIXTURES).join(name);
    let lang = Lang::from_path(&path).unwrap_or_else(|| panic!("{name}: no language for this extension"));
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines: Vec<&str> = source.lines().collect();
    let expected = annotations(&lines).unwrap_or_else(|e| panic!("{name}: {e}"));

    let symbols = Extractor::new().extract_source(lang, source.as_bytes()).expect("fixture parses in budget");
    let actual: Vec<Tag> = symbols
        .iter()
        .enumerate()
        .map(|(i, s)| Tag {
            line: s.name_range.start.line as usize,
            col: s.name_range.start.col as usize,
            name: s.name.as_str().to_owned(),
            definition: s.is_definition(),
            kind: s.kind.label(),
            container: container_name(&symbols, i).map(str::to_owned),
        })
        .collect();

    let mut used = vec![false; actual.len()];
    let mut missing = Vec::new();
    for want in &expected {
        let found = (0..actual.len()).find(|&i| !used[i] && want.matches(&actual[i]));
        match found {
            Some(i) => used[i] = true,
            None => missing.push(want),
        }
    }
    let unexpected: Vec<&Tag> =
        actual.iter().zip(&used).filter(|(got, used)| got.definition && !**used).map(|(got, _)| got).collect();
    if missing.is_empty() && unexpected.is_empty() {
        return;
    }
    let mut report = format!("tags of {name} differ from its annotations\n");
    for (label, tags) in [("missing", missing), ("unexpected", unexpected)] {
        for tag in tags {
            let text = lines.get(tag.line).map_or("", |l| l.trim());
            report.push_str(&format!("  {label:<10} {tag:<50} | {text}\n"));
        }
    }
    panic!("{report}");
}

/// A tag, expected (from an annotation) or extracted. Lines and columns are zero-based.
#[derive(Debug)]
struct Tag {
    line: usize,
    col: usize,
    name: String,
    definition: bool,
    /// Normalised through [`SymbolKind`], so `definition.trait` and `definition.interface` agree.
    kind: &'static str,
    /// Expected tags check the container only when annotated.
    container: Option<String>,
}

impl Tag {
    fn matches(&self, got: &Tag) -> bool {
        (self.line, self.col, &self.name, self.definition, self.kind)
            == (got.line, got.col, &got.name, got.definition, got.kind)
            && (self.container.is_none() || self.container == got.container)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let role = if self.definition { "definition" } else { "reference" };
        let mut text = format!("{}:{} {} {role}.{}", self.line + 1, self.col + 1, self.name, self.kind);
        if let Some(container) = &self.container {
            text.push_str(&format!(" (in {container})"));
        }
        f.pad(&text)
    }
}

/// The annotations of a fixture, each applied to the nearest line above that is not one.
fn annotations(lines: &[&str]) -> Result<Vec<Tag>, String> {
    let mut tags = Vec::new();
    let mut target: Option<usize> = None;
    for (index, line) in lines.iter().enumerate() {
        let Some((col, annotation)) = parse_annotation(line) else {
            target = Some(index);
            continue;
        };
        let at = |what: &str| format!("line {}: {what}", index + 1);
        let line = target.ok_or_else(|| at("annotation before any source line"))?;
        let name = word_at(lines[line], col).ok_or_else(|| at("the marker points at no name"))?;
        let (tag, container) = match annotation.split_once(" (in ") {
            Some((tag, rest)) => {
                let container = rest.strip_suffix(')').ok_or_else(|| at("unclosed `(in `"))?;
                (tag.trim(), Some(container.to_owned()))
            }
            None => (annotation.trim(), None),
        };
        let (role, kind) = tag.split_once('.').ok_or_else(|| at("tag is not `<role>.<kind>`"))?;
        let definition = match role {
            "definition" => true,
            "reference" => false,
            _ => return Err(at("role is neither `definition` nor `reference`")),
        };
        let kind = SymbolKind::from_tag(kind);
        if kind == SymbolKind::Other {
            return Err(at("unknown kind"));
        }
        tags.push(Tag { line, col, name: name.to_owned(), definition, kind: kind.label(), container });
    }
    Ok(tags)
}

/// Splits an annotation line into the column it points at and the rest (`definition.function
/// (in Foo)`), or `None` when the line is source.
fn parse_annotation(line: &str) -> Option<(usize, &str)> {
    let start = line.len() - line.trim_start().len();
    let body = &line[start..];
    let comment_len = body.find(|c: char| !matches!(c, '/' | '#' | '-' | '*' | ';' | '%')).unwrap_or(body.len());
    if comment_len == 0 {
        return None;
    }
    let after = &body[comment_len..];
    let marker = after.trim_start();
    let marker_col = start + comment_len + (after.len() - marker.len());
    let (col, rest) = if let Some(rest) = marker.strip_prefix("<-") {
        (start, rest)
    } else if let Some(rest) = marker.strip_prefix('^') {
        (marker_col, rest)
    } else {
        return None;
    };
    let rest = rest.trim();
    (rest.starts_with("definition.") || rest.starts_with("reference.")).then_some((col, rest))
}

/// The name starting at byte column `col` of `line` (qualified names such as `Data.Map` whole).
fn word_at(line: &str, col: usize) -> Option<&str> {
    let rest = line.get(col..)?;
    let is_name = |c: char| c.is_alphanumeric() || matches!(c, '_' | '$' | '?' | '!' | '\'' | '.' | '\\' | '~' | '#');
    let len = rest.find(|c: char| !is_name(c)).unwrap_or(rest.len());
    let word = rest[..len].trim_end_matches('.');
    (!word.is_empty()).then_some(word)
}
