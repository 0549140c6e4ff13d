//! The VTL engine alone on W1 and W2: `parse` (compile), `render` (template compiled once,
//! rendered into a reused buffer) and the baseline `parse_and_render` per call, as the
//! emulators do. A small bench host provides `$input.path('$')` over the body parsed once
//! (the converted value is shared, not rebuilt) and `$util.escapeJavaScript`, so the figures
//! measure the engine, not JSON parsing.

use std::hint::black_box;

use apigw_benches::{BenchHost, read};
use apigw_vtl::{Context, NullRendering, Options, Template};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench_render(c: &mut Criterion) {
    let options = Options {
        null_rendering: NullRendering::Empty,
        ..Options::default()
    };
    for (name, vtl, body) in [
        ("w1_small", "w1_small.vtl", "w1_small.body.json"),
        ("w2_list", "w2_list.vtl", "w2_list.body.json"),
    ] {
        let src = read(vtl);
        let host = BenchHost::new(&read(body));
        let ctx = Context::new().with_host(&host);
        let template = Template::compile(&src, &options).expect("compiles");
        let mut out = String::new();
        template.render(&ctx, &mut out).expect("renders");
        if name == "w1_small" {
            assert_eq!(
                out.trim_end(),
                r#"{"petId": "7", "petName": "rex", "firstTag": "a"}"#
            );
        }

        let mut g = c.benchmark_group(format!("render/{name}"));
        g.throughput(Throughput::Elements(1));
        g.bench_function("parse", |b| {
            b.iter(|| Template::compile(black_box(&src), &options).expect("compiles"));
        });
        g.bench_function("render", |b| {
            b.iter(|| {
                out.clear();
                template.render(black_box(&ctx), &mut out).expect("renders");
            });
        });
        g.bench_function("baseline_parse_and_render", |b| {
            b.iter(|| {
                let t = Template::compile(black_box(&src), &options).expect("compiles");
                out.clear();
                t.render(black_box(&ctx), &mut out).expect("renders");
            });
        });
        g.finish();
    }
}

criterion_group!(benches, bench_render);
criterion_main!(benches);
