//! Full `apply` (selection + parameters + conversion + template render + headers) on the
//! workloads W1, W2 and W3, each paired in the same run with its naive baseline:
//! - `compile_per_call`: what the emulators do, the template compiled on every request;
//! - `serde_roundtrip` (W3): parsing the body into a `serde_json::Value` and serialising it,
//!   the least any DOM-based `$input.json('$')` must do.
//!
//! W1 also measures `apply_into` (the caller's `MethodResponse` reused, gateway header values
//! built once per request) and `apply_explained` (the explain trace on): `apply` is the
//! explain-off path, which runs no explain code at all.

use std::hint::black_box;

use apigw_benches::{apply_spec, read};
use apigw_mapping::{GatewayHeaderValues, MethodResponse, compile};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench_apply(c: &mut Criterion) {
    let request = apigw_benches::apply_request();
    for (name, vtl, body) in [
        ("w1_small", "w1_small.vtl", "w1_small.body.json"),
        ("w2_list", "w2_list.vtl", "w2_list.body.json"),
        (
            "w3_passthrough",
            "w3_passthrough.vtl",
            "w3_passthrough.body.json",
        ),
    ] {
        let template = read(vtl);
        let body = read(body);
        let spec = apply_spec(Some(&template));
        let compiled = compile(&spec).expect("workload template compiles");
        let backend = apigw_benches::json_backend(body.clone().into());
        let first = compiled.apply(&backend, &request);
        assert_eq!(first.status, 200, "{name}: {:?}", first.failure);
        if name == "w1_small" {
            assert_eq!(
                &first.body[..],
                br#"{"petId": "7", "petName": "rex", "firstTag": "a"}"#
            );
        }
        if name == "w3_passthrough" {
            assert_eq!(first.body.len(), 921_916);
        }

        let mut g = c.benchmark_group(format!("apply/{name}"));
        g.throughput(Throughput::Bytes(body.len() as u64));
        if body.len() > 100_000 {
            g.sample_size(20);
        }
        g.bench_function("apply", |b| {
            b.iter(|| compiled.apply(black_box(&backend), black_box(&request)));
        });
        if name == "w1_small" {
            let mut out = MethodResponse::empty();
            g.bench_function("apply_into", |b| {
                b.iter(|| {
                    let headers = GatewayHeaderValues::from_request(black_box(&request));
                    compiled.apply_into(black_box(&backend), &request, &headers, &mut out);
                });
            });
            g.bench_function("apply_explained", |b| {
                b.iter(|| compiled.apply_explained(black_box(&backend), black_box(&request)));
            });
        }
        if name == "w3_passthrough" {
            g.bench_function("baseline_serde_roundtrip", |b| {
                b.iter(|| {
                    let v: serde_json::Value =
                        serde_json::from_str(black_box(&body)).expect("JSON");
                    serde_json::to_string(&v).expect("serialises")
                });
            });
        } else {
            g.bench_function("baseline_compile_per_call", |b| {
                b.iter(|| {
                    let compiled = compile(black_box(&spec)).expect("compiles");
                    compiled.apply(black_box(&backend), black_box(&request))
                });
            });
        }
        g.finish();
    }
    bench_context_fields(c);
}

/// A W1-sized template that reads three fields of a typical (20-field) `$context`, with its
/// template-compiled-per-call baseline: what a render converts of `$context`.
fn bench_context_fields(c: &mut Criterion) {
    let mut request = apigw_benches::apply_request();
    request.context.extend(apigw_benches::typical_context());
    let spec = apply_spec(Some(apigw_benches::CONTEXT_TEMPLATE));
    let compiled = compile(&spec).expect("the template compiles");
    let backend = apigw_benches::json_backend(read("w1_small.body.json").into());
    let first = compiled.apply(&backend, &request);
    assert_eq!(
        &first.body[..],
        br#"{"id": "7", "requestId": "c0ffee00-0000-4000-8000-000000000001", "stage": "prod", "ip": "203.0.113.7"}"#
    );
    let mut g = c.benchmark_group("apply/context_fields");
    g.throughput(Throughput::Elements(1));
    g.bench_function("apply", |b| {
        b.iter(|| compiled.apply(black_box(&backend), black_box(&request)));
    });
    g.bench_function("baseline_compile_per_call", |b| {
        b.iter(|| {
            let compiled = compile(black_box(&spec)).expect("compiles");
            compiled.apply(black_box(&backend), black_box(&request))
        });
    });
    g.finish();
}

criterion_group!(benches, bench_apply);
criterion_main!(benches);
