//! Allocation budgets of `apply`:
//! - a passthrough request (no parameters reading the body, no template, no conversion): a
//!   1 MiB body must reach the client without being copied, and the whole call stays within a
//!   small, fixed number of heap blocks (the response's headers);
//! - the W1 and W2 workloads (`benches/workloads`): a budget a little above today's count, so
//!   that a regression (an extra allocation per element, a copy of the body) fails the test.
//!
//! dhat needs its own global allocator, so this test runs in its own binary without the
//! libtest harness (one measurement, no concurrent tests allocating beside it).

mod common;

use apigw_mapping::{
    BackendResponse, ContextId, GatewayHeaderValues, IntegrationKind, IntegrationResponse,
    IntegrationSpec, MethodResponse, RequestContext, compile,
};
use http::HeaderValue;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Heap blocks `apply` may allocate for a passthrough: the header map's table and entries, and
/// the one block the header values API Gateway adds share (request id, apigw id, trace id).
/// Measured 3. Callers that reuse a `MethodResponse` with `apply_into` allocate none (asserted
/// below).
const BLOCK_BUDGET: u64 = 3;
/// Bytes `apply` may allocate: far below the body size, so the body is never copied.
const BYTE_BUDGET: u64 = 4096;

fn main() {
    let mut spec = IntegrationSpec::new(IntegrationKind::Http);
    spec.integration_responses = vec![IntegrationResponse {
        status_code: "200".into(),
        ..Default::default()
    }];
    spec.method_responses = vec!["200".into()];
    let compiled = compile(&spec).expect("compiles");

    let body = vec![b'a'; 1 << 20];
    let backend = BackendResponse {
        status: 200,
        headers: vec![(
            "Content-Type".to_owned(),
            HeaderValue::from_static("application/octet-stream"),
        )],
        body: body.into(),
        function_error: false,
    };
    let mut request = RequestContext::default();
    request.context.insert(
        "requestId".into(),
        "c0ffee00-0000-4000-8000-000000000001".into(),
    );
    request
        .context
        .insert("extendedRequestId".into(), "AbCdEfGhIjKlMnO=".into());
    request.context.insert(
        "xrayTraceId".into(),
        "Root=1-5f84c7a1-0123456789abcdef01234567".into(),
    );

    // Warm up lazily initialised statics outside the measurement.
    let _ = compiled.apply(&backend, &request);

    let profiler = dhat::Profiler::builder().testing().build();
    let before = dhat::HeapStats::get();
    let response = compiled.apply(&backend, &request);
    let after = dhat::HeapStats::get();

    assert_eq!(response.status, 200);
    assert_eq!(response.body.len(), 1 << 20);
    assert_eq!(
        response.body.as_ptr(),
        backend.body.as_ptr(),
        "the body must be passed through, not copied"
    );
    let blocks = after.total_blocks - before.total_blocks;
    let bytes = after.total_bytes - before.total_bytes;
    println!("apply (passthrough, 1 MiB body): {blocks} heap blocks, {bytes} bytes");
    dhat::assert!(
        blocks <= BLOCK_BUDGET,
        "passthrough apply allocated {} blocks (budget {})",
        blocks,
        BLOCK_BUDGET
    );
    dhat::assert!(
        bytes <= BYTE_BUDGET,
        "passthrough apply allocated {} bytes (budget {})",
        bytes,
        BYTE_BUDGET
    );
    drop(response);

    // `apply_into` with caller-owned storage reused across requests: nothing at all.
    let gateway = GatewayHeaderValues::from_request(&request);
    let mut reused = MethodResponse::empty();
    compiled.apply_into(&backend, &request, &gateway, &mut reused);
    let expected = compiled.apply(&backend, &request);
    let before = dhat::HeapStats::get();
    compiled.apply_into(&backend, &request, &gateway, &mut reused);
    let after = dhat::HeapStats::get();
    assert_eq!(reused.status, expected.status);
    assert_eq!(reused.headers, expected.headers);
    assert_eq!(reused.body.as_ptr(), backend.body.as_ptr());
    let blocks = after.total_blocks - before.total_blocks;
    println!("apply_into (passthrough, reused response): {blocks} heap blocks");
    dhat::assert_eq!(
        blocks,
        0,
        "passthrough apply_into allocated {} blocks",
        blocks
    );
    drop((reused, expected));

    // The same ids typed (`RequestContext::request_id`): setting them allocates nothing, and
    // `apply` allocates no more than with the ids in the `$context` map.
    let before = dhat::HeapStats::get();
    let mut typed = RequestContext {
        request_id: Some(ContextId::new("c0ffee00-0000-4000-8000-000000000001")),
        extended_request_id: Some(ContextId::new("AbCdEfGhIjKlMnO=")),
        ..RequestContext::default()
    };
    let after = dhat::HeapStats::get();
    let blocks = after.total_blocks - before.total_blocks;
    println!("typed request ids: {blocks} heap blocks");
    dhat::assert_eq!(blocks, 0, "typed request ids allocated {} blocks", blocks);
    typed.context.insert(
        "xrayTraceId".into(),
        "Root=1-5f84c7a1-0123456789abcdef01234567".into(),
    );
    let before = dhat::HeapStats::get();
    let response = compiled.apply(&backend, &typed);
    let after = dhat::HeapStats::get();
    assert_eq!(response.headers, compiled.apply(&backend, &request).headers);
    let blocks = after.total_blocks - before.total_blocks;
    println!("apply (passthrough, typed request ids): {blocks} heap blocks");
    dhat::assert!(
        blocks <= BLOCK_BUDGET,
        "passthrough apply with typed ids allocated {} blocks (budget {})",
        blocks,
        BLOCK_BUDGET
    );
    drop(response);

    for (name, budget) in [("w1_small", W1_BLOCK_BUDGET), ("w2_list", W2_BLOCK_BUDGET)] {
        let blocks = workload_blocks(name);
        println!("apply ({name}): {blocks} heap blocks (budget {budget})");
        dhat::assert!(
            blocks <= budget,
            "{} apply allocated {} blocks (budget {})",
            name,
            blocks,
            budget
        );
    }
    // A template that materializes the body's containers (printing them, calling methods,
    // storing one inside another) leaves nothing behind once the response is dropped.
    let left = live_blocks_left_by(
        "$input.path('$') $input.path('$').size() #set($r = $input.path('$'))$r[0].put('self', $r)$r[0].size()",
    );
    println!("apply (materializing template): {left} heap blocks left alive");
    dhat::assert_eq!(left, 0, "{} heap blocks leaked", left);
    // Nor does one whose own containers refer to each other (collected when the render ends).
    let left = live_blocks_left_by(
        "$input.body #set($m = {})#set($_ = $m.put('self', $m))#set($a = [$m])#set($_ = $m.put('a', $a))$m.size()",
    );
    println!("apply (template-made cycles): {left} heap blocks left alive");
    dhat::assert_eq!(left, 0, "{} heap blocks leaked", left);
    // Reading the body again and again, each reading materializing the array of 100 objects:
    // the later readings' containers are kept to the end of the render, but within a fixed
    // number of values (`MAX_LATER_MADE`, 131,072: 1,297 of these readings), so twice as
    // many readings take the heap no higher.
    let reread = |n: u32| {
        peak_of(
            &format!("#foreach($i in [1..{n}])#set($d = $input.path('$'))$d.size()#end"),
            3 * n as usize,
        )
    };
    let (peak_2000, before_2000) = reread(2000);
    let (peak_4000, _) = reread(4000);
    println!(
        "apply (2000 / 4000 readings materializing the body): peak {} KiB above the heap \
         before, then {} KiB more",
        peak_2000.saturating_sub(before_2000) / 1024,
        peak_4000.saturating_sub(peak_2000) / 1024
    );
    dhat::assert!(
        peak_4000 <= peak_2000 + REREAD_GROWTH_BUDGET,
        "4000 readings took the heap {} bytes above the peak of 2000 (budget {})",
        peak_4000.saturating_sub(peak_2000),
        REREAD_GROWTH_BUDGET
    );
    drop(profiler);
    println!("9 passed, 0 failed");
}

/// W1 (`#set`, `$input.path`, `$util.escapeJavaScript`, one mapped header): measured 4 — the
/// header map (2), API Gateway's header values (1, shared with the mapped `X-Request-Id`) and
/// the output (1); the body's tape is the thread's previous one, refilled, its reading a
/// number on it (no block), and `$input` is the thread's previous object, refilled.
const W1_BLOCK_BUDGET: u64 = 4;
/// W2 (100-item `#foreach` over `$input.path('$')`): measured 6 — the body stays on the
/// lazy JSON tape, so nothing is allocated per element (nor for the reading).
const W2_BLOCK_BUDGET: u64 = 6;

/// Heap blocks of one `apply` of a workload template on its body (after a warm-up call).
fn workload_blocks(name: &str) -> u64 {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benches/workloads");
    let read = |f: String| std::fs::read_to_string(dir.join(&f)).expect("workload file");
    let mut spec = IntegrationSpec::new(IntegrationKind::Http);
    let mut templates = serde_json::Map::new();
    templates.insert(
        "application/json".into(),
        read(format!("{name}.vtl")).into(),
    );
    let mut params = serde_json::Map::new();
    params.insert(
        "method.response.header.X-Request-Id".into(),
        "context.requestId".into(),
    );
    spec.integration_responses = vec![IntegrationResponse {
        status_code: "200".into(),
        response_templates: Some(templates),
        response_parameters: Some(params),
        ..Default::default()
    }];
    spec.method_responses = vec!["200".into()];
    let compiled = compile(&spec).expect("compiles");
    let backend = BackendResponse {
        status: 200,
        headers: vec![(
            "Content-Type".to_owned(),
            HeaderValue::from_static("application/json"),
        )],
        body: read(format!("{name}.body.json")).into(),
        function_error: false,
    };
    let mut request = RequestContext::default();
    request.context.insert(
        "requestId".into(),
        "c0ffee00-0000-4000-8000-000000000001".into(),
    );
    let _ = compiled.apply(&backend, &request);
    let before = dhat::HeapStats::get();
    let response = compiled.apply(&backend, &request);
    let after = dhat::HeapStats::get();
    assert_eq!(response.status, 200, "{:?}", response.failure);
    after.total_blocks - before.total_blocks
}

/// `template` compiled as the 200 of an HTTP integration, and a backend answering W2's body.
fn over_w2_body(template: &str) -> (apigw_mapping::CompiledIntegration, BackendResponse) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benches/workloads");
    let body = std::fs::read_to_string(dir.join("w2_list.body.json")).expect("workload file");
    (common::templated(template), common::backend(body))
}

/// How much higher than with 2000 readings the heap may peak with 4000 (without the bound on
/// later readings' values: ~6.6 MB more).
const REREAD_GROWTH_BUDGET: u64 = 512 * 1024;

/// The heap's peak during one `apply` of `template` over W2's body (the highest of all so
/// far: dhat keeps one peak), and the heap in use before it; the body printed must be
/// `len` bytes long.
fn peak_of(template: &str, len: usize) -> (u64, u64) {
    let (compiled, backend) = over_w2_body(template);
    let before = dhat::HeapStats::get();
    let response = compiled.apply(&backend, &RequestContext::default());
    let after = dhat::HeapStats::get();
    assert_eq!(response.status, 200, "{:?}", response.failure);
    assert_eq!(response.body.len(), len);
    (after.max_bytes as u64, before.curr_bytes as u64)
}

/// Heap blocks still alive after one `apply` of `template` over W2's body and the drop of its
/// response (after a warm-up call, so per-thread caches are already in place).
fn live_blocks_left_by(template: &str) -> i64 {
    let (compiled, backend) = over_w2_body(template);
    let request = RequestContext::default();
    let warm = compiled.apply(&backend, &request);
    assert_eq!(warm.status, 200, "{:?}", warm.failure);
    assert!(warm.body.len() > 1000);
    drop(warm);
    let before = dhat::HeapStats::get();
    drop(compiled.apply(&backend, &request));
    let after = dhat::HeapStats::get();
    after.curr_blocks as i64 - before.curr_blocks as i64
}
