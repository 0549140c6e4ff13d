//! `report`: runs the benchmark suite briefly and prints one Markdown table — stage, our
//! median, the baseline's median from the same run, the ratio, the target and whether it is
//! met. The README's figures come from it.
//!
//! ```sh
//! cargo run --release -p apigw-benches --bin report            # run the suite, then report
//! cargo run --release -p apigw-benches --bin report -- --no-run # report the last run
//! ```
//!
//! It reads criterion's `estimates.json` files under `<target dir>/criterion`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// How a row's figure is expressed.
#[derive(Clone, Copy)]
enum Unit {
    /// Time per element: the measured time divided by this many elements.
    PerElement(f64),
    /// Throughput in GB/s for this many bytes per iteration.
    Bytes(f64),
}

/// A row: label, our benchmark, its baseline (if any), the unit, and the target.
struct Row {
    label: &'static str,
    ours: &'static str,
    baseline: Option<&'static str>,
    unit: Unit,
    /// Target: at most this many ns per element, or at least this many GB/s.
    target: Option<f64>,
}

const MIB: f64 = 1_048_576.0;

fn rows() -> Vec<Row> {
    use Unit::{Bytes, PerElement};
    let r = |label, ours, baseline, unit, target| Row {
        label,
        ours,
        baseline,
        unit,
        target,
    };
    vec![
        r(
            "select · Lambda errorMessage, W4 (20 patterns), per value",
            "select_lambda_w4/pattern_set",
            Some("select_lambda_w4/baseline_one_by_one"),
            PerElement(10.0),
            Some(250.0),
        ),
        r(
            "select · HTTP status, per selection",
            "select_status/table",
            Some("select_status/baseline_one_by_one"),
            PerElement(8.0),
            Some(10.0),
        ),
        r(
            "convert · CONVERT_TO_TEXT (base64 encode), 1 MiB",
            "convert_1MiB/to_text",
            Some("convert_1MiB/baseline_scalar_encode"),
            Bytes(MIB),
            Some(5.0),
        ),
        r(
            "convert · CONVERT_TO_BINARY (strict decode), 1 MiB",
            "convert_1MiB/to_binary",
            Some("convert_1MiB/baseline_scalar_decode"),
            Bytes(MIB),
            Some(5.0),
        ),
        r(
            "convert · CONVERT_TO_TEXT, 16 MiB",
            "convert_16MiB/to_text",
            Some("convert_16MiB/baseline_scalar_encode"),
            Bytes(16.0 * MIB),
            Some(5.0),
        ),
        r(
            "convert · CONVERT_TO_BINARY, 16 MiB",
            "convert_16MiB/to_binary",
            Some("convert_16MiB/baseline_scalar_decode"),
            Bytes(16.0 * MIB),
            Some(5.0),
        ),
        r(
            "render · W1 (template compiled once)",
            "render_w1_small/render",
            Some("render_w1_small/baseline_parse_and_render"),
            PerElement(1.0),
            Some(400.0),
        ),
        r(
            "render · W1 parse (compile)",
            "render_w1_small/parse",
            None,
            PerElement(1.0),
            None,
        ),
        r(
            "render · W2 (100-item #foreach)",
            "render_w2_list/render",
            Some("render_w2_list/baseline_parse_and_render"),
            PerElement(1.0),
            Some(8_000.0),
        ),
        r(
            "render · W2 parse (compile)",
            "render_w2_list/parse",
            None,
            PerElement(1.0),
            None,
        ),
        r(
            "apply · W1 full",
            "apply_w1_small/apply",
            Some("apply_w1_small/baseline_compile_per_call"),
            PerElement(1.0),
            Some(1_000.0),
        ),
        r(
            "apply · W1 via `apply_into` (response reused) vs `apply`",
            "apply_w1_small/apply_into",
            Some("apply_w1_small/apply"),
            PerElement(1.0),
            None,
        ),
        r(
            "explain · W1 off (`apply`) vs on (`apply_explained`)",
            "apply_w1_small/apply",
            Some("apply_w1_small/apply_explained"),
            PerElement(1.0),
            None,
        ),
        r(
            "apply · W1 body, three fields of a typical 20-field `$context`",
            "apply_context_fields/apply",
            Some("apply_context_fields/baseline_compile_per_call"),
            PerElement(1.0),
            None,
        ),
        r(
            "apply · W2 full",
            "apply_w2_list/apply",
            Some("apply_w2_list/baseline_compile_per_call"),
            PerElement(1.0),
            Some(10_000.0),
        ),
        r(
            "apply · W3 full (`$input.json('$')`, 1 MiB)",
            "apply_w3_passthrough/apply",
            Some("apply_w3_passthrough/baseline_serde_roundtrip"),
            PerElement(1.0),
            Some(1_000_000.0),
        ),
    ]
}

fn main() {
    let no_run = std::env::args().any(|a| a == "--no-run");
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if !no_run {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(&workspace)
            .args([
                "bench",
                "-p",
                "apigw-benches",
                "--bench",
                "*",
                "--",
                "--warm-up-time",
                "1",
                "--measurement-time",
                "3",
            ])
            // Criterion's own output goes to stderr, so stdout holds only the table.
            .stdout(std::io::stderr())
            .status()
            .expect("cargo bench runs");
        assert!(status.success(), "cargo bench failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace.join("target"), PathBuf::from);
    let criterion = target.join("criterion");

    println!(
        "| stage · workload | ours (median) | baseline (median, same run) | ratio | target | met |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | :---: |");
    for row in rows() {
        let Some(ours) = median_ns(&criterion, row.ours) else {
            println!("| {} | not measured | | | | |", row.label);
            continue;
        };
        let baseline = row.baseline.and_then(|b| median_ns(&criterion, b));
        let (ours_text, base_text, met) = match row.unit {
            Unit::PerElement(n) => {
                let (o, b) = (ours / n, baseline.map(|b| b / n));
                (
                    duration(o),
                    b.map(duration).unwrap_or_default(),
                    row.target.map(|t| o <= t),
                )
            }
            Unit::Bytes(bytes) => {
                let gbps = |ns: f64| bytes / ns;
                let (o, b) = (gbps(ours), baseline.map(gbps));
                (
                    format!("{} ({o:.1} GB/s)", duration(ours)),
                    b.map(|b| format!("{b:.1} GB/s")).unwrap_or_default(),
                    row.target.map(|t| o >= t),
                )
            }
        };
        let ratio = baseline.map_or(String::new(), |b| format!("{:.1}×", b / ours));
        let target = match (row.unit, row.target) {
            (Unit::PerElement(_), Some(t)) => format!("≤ {}", duration(t)),
            (Unit::Bytes(_), Some(t)) => format!("≥ {t} GB/s"),
            _ => String::new(),
        };
        let met = match met {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        };
        println!(
            "| {} | {ours_text} | {base_text} | {ratio} | {target} | {met} |",
            row.label
        );
    }
    print_scale(&criterion);
}

/// The scale table (`benches/benches/scale.rs`): how `apply` grows with the body, the number
/// of integration responses and the template.
fn print_scale(criterion: &Path) {
    println!();
    println!("| scale · `apply` | size | median | per unit |");
    println!("| --- | ---: | ---: | ---: |");
    let bodies = [
        ("1KiB", 1u64 << 10),
        ("64KiB", 64 << 10),
        ("1MiB", 1 << 20),
        ("10MiB", 10 << 20),
    ];
    for (kind, label) in [
        ("json", "body through `$input.json('$')`"),
        ("passthrough", "body passed through (no template)"),
    ] {
        for (size, bytes) in bodies {
            let Some(ns) = median_ns(criterion, &format!("scale_body/{kind}/{size}")) else {
                continue;
            };
            // Bytes per iteration are approximate (the generated body is within 80 bytes).
            let per = bytes as f64 / ns;
            println!("| {label} | {size} | {} | {per:.2} GB/s |", duration(ns));
        }
    }
    for n in [1, 10, 100] {
        if let Some(ns) = median_ns(criterion, &format!("scale_patterns/{n}")) {
            println!(
                "| Lambda error selected among N patterns (the last one matches) | {n} | {} | {} per pattern |",
                duration(ns),
                duration(ns / n as f64)
            );
        }
    }
    for lines in [1, 10, 100] {
        if let Some(ns) = median_ns(criterion, &format!("scale_template/{lines}")) {
            println!(
                "| template of N `$input.path` lines over W1 | {lines} | {} | {} per line |",
                duration(ns),
                duration(ns / lines as f64)
            );
        }
    }
}

/// The median point estimate, in ns, of a benchmark's last run.
fn median_ns(criterion: &Path, id: &str) -> Option<f64> {
    let path = criterion.join(id).join("new").join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

/// A duration in ns, printed in the most readable unit.
fn duration(ns: f64) -> String {
    if ns < 1_000.0 {
        format!("{ns:.1} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{:.2} ms", ns / 1_000_000.0)
    }
}
