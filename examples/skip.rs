//! How much skipping function bodies saves, and whether it or extracting tags by hand (Python,
//! Rust) changes an answer, on a folder:
//! `cargo run --release --example skip -- [--every-name] DIR` (every Rust, C, C++ and Python file
//! under DIR; the references of three names per file, or with `--every-name` of every name).

use std::time::Duration;

use symdex::lang::Lang;
use symdex::parser::{skip, Extractor};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let every = args.iter().any(|a| a == "--every-name");
    let dir = args.iter().find(|a| !a.starts_with("--")).expect("usage: skip [--every-name] DIR");
    let which = if every { skip::Names::Every } else { skip::Names::Sample };
    let mut ex = Extractor::new();
    let (mut whole, mut skipping) = (Duration::ZERO, Duration::ZERO);
    let (mut bytes, mut skipped, mut files, mut differ, mut with_errors) = (0, 0, 0, 0, 0);
    let (mut lost, mut gained, mut references, mut by_hand) = (0, 0, 0, 0);
    for entry in ignore::WalkBuilder::new(dir).build().flatten() {
        let path = entry.path();
        let Some(lang) = Lang::from_path(path).filter(|&l| skip::skips_bodies(l)) else { continue };
        let Ok(src) = std::fs::read(path) else { continue };
        if src.len() > 1 << 20 || src.contains(&0) {
            continue;
        }
        let Ok(c) = skip::compare_names(&mut ex, lang, &src, which) else { continue };
        files += 1;
        if c.query_differs {
            by_hand += 1;
            println!("{}: the tags by hand differ from the tags query's", path.display());
        }
        bytes += src.len();
        skipped += c.skipped;
        whole += c.whole;
        skipping += c.skipping;
        let same = c.lost.is_empty() && c.gained.is_empty() && c.references_differ.is_empty();
        if c.has_error {
            with_errors += usize::from(!same);
            lost += c.lost.len();
            gained += c.gained.len();
        } else if !same {
            differ += 1;
            references += c.references_differ.len();
            if differ <= 5 {
                let names = |s: &[symdex::symbol::Symbol]| -> Vec<_> {
                    s.iter().take(3).map(|s| (s.name.as_str(), s.name_range.start.line + 1)).collect()
                };
                println!(
                    "{}: lost {:?} gained {:?} references to {:?}",
                    path.display(),
                    names(&c.lost),
                    names(&c.gained),
                    c.references_differ
                );
            }
        }
    }
    let mb = bytes as f64 / 1e6;
    println!(
        "{files} files, {mb:.1} MB, {:.1}% skipped; whole {:.2}s ({:.1} MB/s), skipping {:.2}s ({:.1} MB/s)",
        100.0 * skipped as f64 / bytes as f64,
        whole.as_secs_f64(),
        mb / whole.as_secs_f64(),
        skipping.as_secs_f64(),
        mb / skipping.as_secs_f64()
    );
    println!(
        "files without syntax errors that differ: {differ} ({references} names' references); \
         files with syntax errors that differ: {with_errors} ({lost} definitions only whole, {gained} only skipping); \
         files whose tags by hand differ from the tags query's: {by_hand}"
    );
}
