//! The walker really does not allocate (dhat heap statistics in testing mode).
//!
//! One test per binary: dhat's profiler is process-global.

use apigw_jsonpath::{JsonPath, QueryResult};
use serde_json::json;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

#[test]
fn singular_paths_do_not_allocate() {
    let doc = json!({
        "id": 1,
        "user": {"addr": {"city": "Lisbon"}},
        "items": [{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d"}]
    });
    let paths: Vec<JsonPath> = [
        "$.id",
        "$.user.addr.city",
        "$.items[3].name",
        "$.items[-1]",
        "$.nope.x",
    ]
    .iter()
    .map(|p| JsonPath::parse(p).unwrap())
    .collect();
    let indefinite = JsonPath::parse("$.items[*].name").unwrap();

    let _profiler = dhat::Profiler::builder().testing().build();
    let before = dhat::HeapStats::get().total_blocks;
    let mut found = 0;
    for _ in 0..100 {
        for p in &paths {
            if p.get(&doc).is_some() {
                found += 1;
            }
            if let QueryResult::One(_) = p.query(&doc) {
                found += 1;
            }
        }
    }
    let after = dhat::HeapStats::get().total_blocks;
    assert_eq!(found, 800);
    assert_eq!(after - before, 0, "the singular walker allocated");

    // The check itself can fail: the general engine does allocate.
    let before = dhat::HeapStats::get().total_blocks;
    assert_eq!(indefinite.query(&doc).len(), 4);
    assert!(dhat::HeapStats::get().total_blocks > before);
}
