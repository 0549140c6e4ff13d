//! Compiles any UTF-8 input as a VTL template and renders it with both null modes, under
//! tight budgets, against a context with a few values of every kind. Compile or render
//! errors are fine; a panic, hang or memory blow-up is a bug ("No input panics").
#![no_main]

use apigw_vtl::{Context, Limits, NullRendering, Options, Template, Value};
use libfuzzer_sys::fuzz_target;

fn context() -> Context<'static> {
    let mut ctx = Context::new();
    ctx.insert("s", Value::string("Hello, wörld 😀 a,b,,c"));
    ctx.insert("n", Value::int(42));
    ctx.insert("l", Value::long(i64::MAX));
    ctx.insert("d", Value::double(-0.5));
    ctx.insert("b", Value::bool(true));
    ctx.insert("z", Value::null());
    ctx.insert(
        "list",
        Value::list(vec![Value::int(1), Value::string("two"), Value::null()]),
    );
    ctx.insert(
        "map",
        Value::map(vec![
            ("k".into(), Value::string("v")),
            ("n".into(), Value::int(-7)),
            (
                "inner".into(),
                Value::map(vec![("x".into(), Value::list(vec![]))]),
            ),
        ]),
    );
    ctx
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    // Small budgets keep each execution fast; they are part of what is being tested.
    let limits = Limits {
        max_template_bytes: 64 * 1024,
        max_nesting: 64,
        max_call_depth: 20,
        max_loop_iterations: 2_000,
        max_output_bytes: 256 * 1024,
    };
    let ctx = context();
    for null_rendering in [NullRendering::Empty, NullRendering::Literal] {
        let options = Options {
            null_rendering,
            limits: limits.clone(),
        };
        let Ok(template) = Template::compile(src, &options) else {
            continue;
        };
        let _ = template.analysis();
        let mut out = String::new();
        if template.render(&ctx, &mut out).is_ok() {
            assert!(out.len() <= limits.max_output_bytes, "output over budget");
        }
    }
});
