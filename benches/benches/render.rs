//! The VTL engine alone on W1 and W2: `parse` (compile), `render` (template compiled once,
//! rendered into a reused buffer) and the baseline `parse_and_render` per call, as the
//! emulators do. A small bench host provides `$input.path('$')` over the body parsed once
//! (the converted value is shared, not rebuilt) and `$util.escapeJavaScript`, so the figures
//! measure the engine, not JSON parsing.

use std::hint::black_box;
use std::rc::Rc;

use apigw_benches::read;
use apigw_vtl::{Call, Context, Error, Host, NullRendering, Object, Options, Template, Value};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[derive(Debug)]
struct Input(Value);

impl Object for Input {
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Call, Error> {
        Ok(match (name, args) {
            ("path", [p]) if p.as_str() == Some("$") => Call::Value(self.0.clone()),
            _ => Call::NotFound,
        })
    }
}

#[derive(Debug)]
struct Util;

impl Object for Util {
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Call, Error> {
        Ok(match (name, args) {
            ("escapeJavaScript", [s]) => Call::Value(Value::string(
                apigw_mapping::util::escape_javascript(&s.to_string()),
            )),
            _ => Call::NotFound,
        })
    }
}

struct BenchHost {
    input: Rc<Input>,
}

impl Host for BenchHost {
    fn lookup(&self, name: &str) -> Option<Value> {
        match name {
            "input" => Some(Value::object(self.input.clone())),
            "util" => Some(Value::object(Rc::new(Util))),
            _ => None,
        }
    }
}

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
        let json: serde_json::Value = serde_json::from_str(&read(body)).expect("JSON body");
        let host = BenchHost {
            input: Rc::new(Input(apigw_mapping::json_to_template_value(&json))),
        };
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
