//! Times `Document::apply` for keystrokes in 10,000-line files: the live-edit path from `didChange`
//! to updated symbols (a profiling target: `perf record -g target/release/examples/typing`).
//!
//! Each scenario types 200 one-character insertions spread over the file and prints the median
//! and 99th percentile, then the time of the `Document::refresh` that typing inside one top-level
//! node deferred, and checks the symbols against a full extraction of the refreshed tree.

use std::time::{Duration, Instant};

use symdex::document::{Change, Document, Encoding, LineCol};
use symdex::lang::Lang;
use symdex::parser::Extractor;

struct Scenario {
    name: &'static str,
    lang: Lang,
    /// The first line of the file, if any.
    header: &'static str,
    /// One unit of the file (`{i}` numbers it); the file repeats it up to 10,000 lines.
    unit: &'static str,
    /// Where to type in each unit: its line offset and column.
    at: (u32, u32),
}

const SCENARIOS: &[Scenario] = &[
    // Typing in a function's name: the name's tags change.
    Scenario {
        name: "python, in a name",
        lang: Lang::Python,
        header: "",
        unit: "def typed_{i}(x):\n    y = x + {i}\n    return y\n\n",
        at: (0, 10),
    },
    // Typing in a function body, changing no name (the commonest keystroke).
    Scenario {
        name: "python, in a body",
        lang: Lang::Python,
        header: "",
        unit: "def typed_{i}(x):\n    y = x + {i}\n    return y\n\n",
        at: (1, 12),
    },
    Scenario {
        name: "rust, in a name",
        lang: Lang::Rust,
        header: "",
        unit: "fn typed_{i}(x: u32) -> u32 {\n    let y = x + {i};\n    y\n}\n\n",
        at: (0, 9),
    },
    Scenario {
        name: "rust, in a body",
        lang: Lang::Rust,
        header: "",
        unit: "fn typed_{i}(x: u32) -> u32 {\n    let y = x + {i};\n    y\n}\n\n",
        at: (1, 16),
    },
    Scenario {
        name: "c, in a body",
        lang: Lang::C,
        header: "",
        unit: "int typed_{i}(int x) {\n    int y = x + {i};\n    return y;\n}\n\n",
        at: (1, 16),
    },
    // A syntax error at the top of the file: every reparse parses it again.
    Scenario {
        name: "python, an error",
        lang: Lang::Python,
        header: "def broken(:\n",
        unit: "def typed_{i}(x):\n    y = x + {i}\n    return y\n\n",
        at: (1, 12),
    },
    // One class holding every method: a method's tag depends on the class, whose body the query
    // cursor walks member by member (as the parser does).
    Scenario {
        name: "python, in a class",
        lang: Lang::Python,
        header: "class Typed:\n",
        unit: "    def typed_{i}(self, x):\n        y = x + {i}\n        return y\n\n",
        at: (1, 16),
    },
];

fn main() {
    let only = std::env::args().nth(1);
    for scenario in SCENARIOS.iter().filter(|s| only.as_deref().is_none_or(|o| s.name.contains(o))) {
        let (p50, p99, refresh) = run(scenario);
        println!("{:<20} p50 {p50:?} p99 {p99:?}, then the tree parsed again in {refresh:?}", scenario.name);
    }
}

/// The median and 99th percentile of the keystrokes, and the time `Document::refresh` takes at
/// the end (the whole tree parsed again, deferred by typing in one top-level node).
fn run(scenario: &Scenario) -> (Duration, Duration, Duration) {
    let unit_lines = scenario.unit.matches('\n').count() as u32;
    let units = 10_000 / unit_lines;
    let header = scenario.header.matches('\n').count() as u32;
    let units = units - header.div_ceil(unit_lines);
    let body = (0..units).map(|i| scenario.unit.replace("{i}", &i.to_string()));
    let text: String = std::iter::once(scenario.header.to_owned()).chain(body).collect();
    let mut ex = Extractor::new();
    let mut doc = Document::open(&text, Some(scenario.lang), 1, &mut ex);
    let mut times: Vec<Duration> = Vec::new();
    for k in 0..200u32 {
        let line = header + (k * 10 % units) * unit_lines + scenario.at.0;
        let at = LineCol { line, character: scenario.at.1 };
        let change = Change { range: Some((at, at)), text: "z".into() };
        let t = Instant::now();
        doc.apply(&[change], 2 + k as i32, Encoding::Utf16, &mut ex);
        times.push(t.elapsed());
    }
    let t = Instant::now();
    doc.refresh(&mut ex);
    let refresh = t.elapsed();
    let full = ex.extract_text(scenario.lang, doc.tree().expect("parsed"), doc.rope());
    assert_eq!(full, doc.symbols, "{}: incremental symbols differ from a full extraction", scenario.name);
    times.sort();
    (times[100], times[198], refresh)
}
