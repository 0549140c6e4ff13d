//! Runs one stage of the pipeline N times, for instruction counts under callgrind (stable
//! while other processes load the machine, unlike wall-clock timings).
//!
//! ```text
//! cargo build --release -p apigw-benches --example callgrind_probe
//! valgrind --tool=callgrind target/release/examples/callgrind_probe apply-w2 1
//! valgrind --tool=callgrind target/release/examples/callgrind_probe apply-w2 1001
//! ```
//!
//! The instructions of one operation are the difference between the two totals divided by
//! 1000 (the fixed costs, reading the workload and compiling, cancel out). Stages:
//! `apply-w1`, `apply-w2`, `apply-w3` (the workloads with the apply bench's spec),
//! `apply-passthrough` (no template, one mapped header, the W1 body), `apply-paths` (ten
//! `$input.path('$.name')` lines over the W1 body), `apply-context` (three `$context` fields
//! read, of a typical `$context`), `apply-custom` (the template in `PROBE_TEMPLATE` over the
//! W1 body), `render-w1`,
//! `render-w2` (the render bench's host), `json-w1`, `json-w2` (the body read lazily).

use std::hint::black_box;

use apigw_benches::{BenchHost, apply_spec, read};
use apigw_mapping::compile;
use apigw_vtl::{Context, JsonText, NullRendering, Options, Template, Value};

fn apply(workload: &str, n: usize) -> usize {
    let (vtl, body) = match workload {
        "w1" => (Some(read("w1_small.vtl")), read("w1_small.body.json")),
        "w2" => (Some(read("w2_list.vtl")), read("w2_list.body.json")),
        // The scale bench's template of 10 `$input.path` lines over W1's body.
        "paths" => (
            Some(
                (0..10)
                    .map(|i| format!("\"f{i}\": \"$input.path('$.name')\"\n"))
                    .collect(),
            ),
            read("w1_small.body.json"),
        ),
        // A template reading three `$context` fields of a realistic `$context`.
        "context" => (
            Some(apigw_benches::CONTEXT_TEMPLATE.to_owned()),
            read("w1_small.body.json"),
        ),
        "w3" => (
            Some(read("w3_passthrough.vtl")),
            read("w3_passthrough.body.json"),
        ),
        // Any template, from the environment (for comparing variants of a template).
        "custom" => (
            Some(std::env::var("PROBE_TEMPLATE").expect("PROBE_TEMPLATE holds the template")),
            read("w1_small.body.json"),
        ),
        _ => (None, read("w1_small.body.json")),
    };
    let compiled = compile(&apply_spec(vtl.as_deref())).expect("compiles");
    let mut request = apigw_benches::apply_request();
    if workload == "context" {
        request.context.extend(apigw_benches::typical_context());
    }
    let backend = apigw_benches::json_backend(body.into());
    let first = compiled.apply(&backend, &request);
    assert_eq!(first.status, 200, "{:?}", first.failure);
    (0..n)
        .map(|_| {
            black_box(compiled.apply(black_box(&backend), black_box(&request)))
                .body
                .len()
        })
        .sum()
}

fn render(workload: &str, n: usize) -> usize {
    let options = Options {
        null_rendering: NullRendering::Empty,
        ..Options::default()
    };
    let (vtl, body) = match workload {
        "w1" => ("w1_small.vtl", "w1_small.body.json"),
        _ => ("w2_list.vtl", "w2_list.body.json"),
    };
    let host = BenchHost::new(&read(body));
    let ctx = Context::new().with_host(&host);
    let template = Template::compile(&read(vtl), &options).expect("compiles");
    let mut out = String::new();
    (0..n)
        .map(|_| {
            out.clear();
            template.render(black_box(&ctx), &mut out).expect("renders");
            out.len()
        })
        .sum()
}

/// Reading a workload's body lazily (`JsonText`, what `$input.path('$')` does) and
/// dropping it.
fn json(workload: &str, n: usize) -> usize {
    let body = read(if workload == "w1" {
        "w1_small.body.json"
    } else {
        "w2_list.body.json"
    });
    (0..n)
        .map(|_| {
            let text = JsonText::parse(black_box(body.as_bytes())).expect("JSON");
            usize::from(!black_box(text.value(Value::list)).is_null())
        })
        .sum()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let stage = args.get(1).map_or("apply-w1", String::as_str);
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let total = match stage.split_once('-') {
        Some(("apply", w)) => apply(w, n),
        Some(("render", w)) => render(w, n),
        Some(("json", w)) => json(w, n),
        _ => {
            eprintln!("stages: apply-w1|w2|w3|passthrough, render-w1|w2, json-w1|w2");
            std::process::exit(2);
        }
    };
    println!("{stage} x{n}: {total} output bytes");
}
