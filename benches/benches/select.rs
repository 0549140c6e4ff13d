//! Selection of the integration response (SPEC §2), on workload W4.
//!
//! Each group pairs our engine with the naive baseline in the same run:
//! - `lambda_w4`: 20 Java patterns over 10 `errorMessage`s; one `PatternSet` pass per value
//!   against "each pattern tried one by one" (a compiled whole-string regex per pattern, in
//!   ascending status order, first match wins). Throughput is per selection value.
//! - `status`: HTTP status selection through the precomputed table against the same patterns
//!   tried one by one on the status text.

use std::hint::black_box;

use apigw_benches::selection_workload;
use apigw_javaregex::JavaRegex;
use apigw_mapping::select::{Candidate, Selector};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench_select(c: &mut Criterion) {
    let w = selection_workload();
    let codes: Vec<String> = (0..w.patterns.len())
        .map(|i| (200 + i).to_string())
        .collect();
    let mut candidates: Vec<Candidate<'_>> = w
        .patterns
        .iter()
        .zip(&codes)
        .map(|(p, code)| Candidate {
            status_code: code,
            pattern: Some(p),
        })
        .collect();
    candidates.push(Candidate {
        status_code: "199",
        pattern: None,
    });
    let lambda = Selector::new(&candidates, false);
    let http = Selector::new(&candidates, true);
    let one_by_one: Vec<JavaRegex> = w
        .patterns
        .iter()
        .map(|p| JavaRegex::new(p).expect("W4 patterns compile"))
        .collect();
    let naive = |value: &str| {
        one_by_one
            .iter()
            .position(|r| r.matches(value))
            .unwrap_or(usize::MAX)
    };
    // Both engines must agree before their speed means anything.
    for input in &w.inputs {
        let ours = lambda.select_str(input).filter(|&i| i < w.patterns.len());
        let theirs = Some(naive(input)).filter(|&i| i != usize::MAX);
        assert_eq!(ours, theirs, "selection differs for {input:?}");
    }

    let mut g = c.benchmark_group("select/lambda_w4");
    g.throughput(Throughput::Elements(w.inputs.len() as u64));
    g.bench_function("pattern_set", |b| {
        b.iter(|| {
            for input in &w.inputs {
                black_box(lambda.select_str(black_box(input)));
            }
        });
    });
    g.bench_function("baseline_one_by_one", |b| {
        b.iter(|| {
            for input in &w.inputs {
                black_box(naive(black_box(input)));
            }
        });
    });
    g.finish();

    let statuses: [u16; 8] = [200, 201, 204, 400, 404, 429, 500, 503];
    let mut g = c.benchmark_group("select/status");
    g.throughput(Throughput::Elements(statuses.len() as u64));
    g.bench_function("table", |b| {
        b.iter(|| {
            for s in statuses {
                black_box(http.select_status(black_box(i64::from(s))));
            }
        });
    });
    let texts: Vec<String> = statuses.iter().map(u16::to_string).collect();
    g.bench_function("baseline_one_by_one", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(naive(black_box(t)));
            }
        });
    });
    g.finish();
}

criterion_group!(benches, bench_select);
criterion_main!(benches);
