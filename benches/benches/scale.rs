//! How `apply` grows (issue 9's scale tables):
//! - with the body: `$input.json('$')` over JSON bodies of 1 KiB … 10 MiB (W3's shape: an array
//!   of small objects), and a passthrough (no template) of the same bodies;
//! - with the number of integration responses: a Lambda function error selected among 1, 10 and
//!   100 patterns (the matching one last in status order);
//! - with the template: 1, 10 and 100 lines of `"fN": "$input.path('$.name')"` over W1's body.

use std::hint::black_box;

use apigw_benches::read;
use apigw_mapping::{
    BackendResponse, CompiledIntegration, IntegrationKind, IntegrationResponse, IntegrationSpec,
    RequestContext, compile,
};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn templates(template: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut m = serde_json::Map::new();
    m.insert("application/json".into(), template.into());
    Some(m)
}

fn http_spec(template: Option<&str>) -> CompiledIntegration {
    let mut spec = IntegrationSpec::new(IntegrationKind::Http);
    spec.integration_responses = vec![IntegrationResponse {
        status_code: "200".into(),
        response_templates: template.and_then(templates),
        ..Default::default()
    }];
    spec.method_responses = vec!["200".into()];
    compile(&spec).expect("compiles")
}

/// A JSON array of objects, about `bytes` long.
fn body_of(bytes: usize) -> String {
    let mut s = String::from("[");
    let mut i = 0;
    while s.len() + 80 < bytes {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"id": {i}, "name": "item {i}", "tags": ["a", "b"], "price": {}.5, "ok": true}}"#,
            i % 1000
        ));
        i += 1;
    }
    s.push(']');
    s
}

fn scale_body(c: &mut Criterion) {
    let request = RequestContext::default();
    let json = http_spec(Some("$input.json('$')"));
    let passthrough = http_spec(None);
    let mut g = c.benchmark_group("scale/body");
    g.sample_size(10);
    for (label, bytes) in [
        ("1KiB", 1 << 10),
        ("64KiB", 64 << 10),
        ("1MiB", 1 << 20),
        ("10MiB", 10 << 20),
    ] {
        let backend = BackendResponse::new(200, body_of(bytes));
        assert_eq!(json.apply(&backend, &request).status, 200);
        g.throughput(Throughput::Bytes(backend.body.len() as u64));
        g.bench_with_input(BenchmarkId::new("json", label), &backend, |b, backend| {
            b.iter(|| json.apply(black_box(backend), &request));
        });
        g.bench_with_input(
            BenchmarkId::new("passthrough", label),
            &backend,
            |b, backend| b.iter(|| passthrough.apply(black_box(backend), &request)),
        );
    }
    g.finish();
}

fn scale_patterns(c: &mut Criterion) {
    let request = RequestContext::default();
    let mut g = c.benchmark_group("scale/patterns");
    for n in [1usize, 10, 100] {
        let mut spec = IntegrationSpec::new(IntegrationKind::Lambda);
        spec.integration_responses.push(IntegrationResponse {
            status_code: "200".into(),
            ..Default::default()
        });
        for i in 0..n {
            spec.integration_responses.push(IntegrationResponse {
                status_code: (400 + i).to_string(),
                selection_pattern: Some(format!(r".*\[E{i:03}\].*")),
                ..Default::default()
            });
        }
        spec.method_responses = spec
            .integration_responses
            .iter()
            .map(|r| r.status_code.clone())
            .collect();
        let compiled = compile(&spec).expect("compiles");
        let last = n - 1;
        let mut backend = BackendResponse::new(
            200,
            format!(r#"{{"errorMessage": "Something failed [E{last:03}] while ordering"}}"#),
        );
        backend.function_error = true;
        assert_eq!(compiled.apply(&backend, &request).status, 400 + last as u16);
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(BenchmarkId::from_parameter(n), &backend, |b, backend| {
            b.iter(|| compiled.apply(black_box(backend), &request));
        });
    }
    g.finish();
}

fn scale_template(c: &mut Criterion) {
    let request = RequestContext::default();
    let body = read("w1_small.body.json");
    let backend = BackendResponse::new(200, body);
    let mut g = c.benchmark_group("scale/template");
    for lines in [1usize, 10, 100] {
        let fields: Vec<String> = (0..lines)
            .map(|i| format!(r#"  "f{i}": "$input.path('$.name')""#))
            .collect();
        let template = format!("{{\n{}\n}}", fields.join(",\n"));
        let compiled = http_spec(Some(&template));
        assert_eq!(compiled.apply(&backend, &request).status, 200);
        g.throughput(Throughput::Bytes(template.len() as u64));
        g.bench_with_input(
            BenchmarkId::from_parameter(lines),
            &backend,
            |b, backend| {
                b.iter(|| compiled.apply(black_box(backend), &request));
            },
        );
    }
    g.finish();
}

criterion_group!(benches, scale_body, scale_patterns, scale_template);
criterion_main!(benches);
