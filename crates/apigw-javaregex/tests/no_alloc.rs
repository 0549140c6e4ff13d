//! `PatternSet::first_match` allocates nothing once the per-thread caches
//! are warm (dhat counts every heap block).

use apigw_javaregex::PatternSet;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

#[test]
fn first_match_does_not_allocate() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let small = PatternSet::new(&["2\\d{2}", "4\\d{2}", "5\\d{2}"]).unwrap();
    let large = PatternSet::new(&[
        "2\\d{2}",
        ".*\\[BadRequest\\].*",
        ".*NotFound.*",
        ".*Task timed out after \\d+\\.\\d+ seconds.*",
        ".*(RateExceeded|TooManyRequests).*",
        "4\\d{2}",
        "(\\n|.)+",
    ])
    .unwrap();
    let inputs = [
        "200",
        "404",
        "[BadRequest] x",
        "Pet NotFound",
        "multi\nline",
        &"x".repeat(1000),
    ];
    // Warm up: the first call per thread creates the cache and fills the lazy DFA.
    for _ in 0..3 {
        for s in inputs {
            std::hint::black_box(small.first_match(s));
            std::hint::black_box(large.first_match(s));
        }
    }
    let before = dhat::HeapStats::get();
    for _ in 0..100 {
        for s in inputs {
            std::hint::black_box(small.first_match(s));
            std::hint::black_box(large.first_match(s));
        }
    }
    let after = dhat::HeapStats::get();
    dhat::assert_eq!(after.total_blocks, before.total_blocks);
}
