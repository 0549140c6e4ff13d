//! Quick timing of `PatternSet::first_match` on the W4 selection workload
//! (`benches/workloads/w4_selection.json`: 20 patterns, 10 values). Not a
//! benchmark (criterion benches live in `benches/`); it reports, per value,
//! the minimum over many short batches, which is stable on a loaded machine,
//! and the plain mean over whole rounds.
//!
//! Run: `cargo run --release -p apigw-javaregex --example w4_selection`

use std::time::Instant;

use apigw_javaregex::PatternSet;

fn main() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../benches/workloads/w4_selection.json"
    );
    let text = std::fs::read_to_string(path).expect("read w4_selection.json");
    let strings = |key: &str| string_array(&text, key);
    let patterns = strings("patterns");
    let inputs = strings("inputs");
    let refs: Vec<&str> = patterns.iter().map(String::as_str).collect();

    let t = Instant::now();
    let set = PatternSet::new(&refs).expect("W4 patterns compile");
    println!(
        "compiled {} patterns in {:?}: {set:?}",
        refs.len(),
        t.elapsed()
    );

    let mut total = 0.0;
    for s in &inputs {
        let mut best = f64::MAX;
        for _ in 0..400 {
            let t = Instant::now();
            for _ in 0..100 {
                std::hint::black_box(set.first_match(std::hint::black_box(s)));
            }
            best = best.min(t.elapsed().as_nanos() as f64 / 100.0);
        }
        println!(
            "{:>5} bytes -> {:?}: {best:.1} ns",
            s.len(),
            set.first_match(s)
        );
        total += best;
    }
    println!(
        "mean of per-value minimum: {:.1} ns/value",
        total / inputs.len() as f64
    );

    let rounds = 100_000;
    let t = Instant::now();
    for _ in 0..rounds {
        for s in &inputs {
            std::hint::black_box(set.first_match(std::hint::black_box(s)));
        }
    }
    let mean = t.elapsed().as_nanos() as f64 / (rounds * inputs.len()) as f64;
    println!("plain mean over {rounds} rounds: {mean:.1} ns/value");
}

/// The JSON array of strings stored under `key` (enough JSON for this file;
/// the crate has no JSON dependency).
fn string_array(text: &str, key: &str) -> Vec<String> {
    let start = text.find(&format!("\"{key}\"")).expect("key present");
    let mut chars = text[start..]
        .chars()
        .skip_while(|c| *c != '[')
        .skip(1)
        .peekable();
    let mut out = Vec::new();
    loop {
        match chars.next().expect("unterminated array") {
            ']' => return out,
            '"' => {
                let mut s = String::new();
                loop {
                    match chars.next().expect("unterminated string") {
                        '"' => break,
                        '\\' => match chars.next().expect("escape") {
                            'n' => s.push('\n'),
                            't' => s.push('\t'),
                            'r' => s.push('\r'),
                            'u' => {
                                let hex: String = (0..4).filter_map(|_| chars.next()).collect();
                                let cp = u32::from_str_radix(&hex, 16).expect("hex");
                                s.push(char::from_u32(cp).expect("BMP char"));
                            }
                            c => s.push(c),
                        },
                        c => s.push(c),
                    }
                }
                out.push(s);
            }
            _ => {}
        }
    }
}
