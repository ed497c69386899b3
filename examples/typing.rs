use std::time::{Duration, Instant};
use symdex::document::{Change, Document, Encoding, LineCol};
use symdex::lang::Lang;
use symdex::parser::Extractor;
fn main() {
    let mut text = String::new();
    for i in 0..2500 {
        text.push_str(&format!("def typed_{i}(x):\n    y = x + {i}\n    return y\n\n"));
    }
    let mut ex = Extractor::new();
    let mut doc = Document::open(&text, Some(Lang::Python), 1, &mut ex);
    let mut times: Vec<Duration> = Vec::new();
    for k in 0..200u32 {
        let line = (40 * k) % 10000;
        let t = Instant::now();
        doc.apply(
            &[Change {
                range: Some((LineCol { line, character: 10 }, LineCol { line, character: 10 })),
                text: "z".into(),
            }],
            2 + k as i32,
            Encoding::Utf16,
            &mut ex,
        );
        times.push(t.elapsed());
    }
    times.sort();
    println!("p50 {:?} p99 {:?}", times[100], times[198]);
    let fresh = Document::open(&doc.text(), Some(Lang::Python), 1, &mut ex);
    assert_eq!(fresh.symbols, doc.symbols);
}
