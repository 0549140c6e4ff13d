//! Translates an arbitrary Java pattern and runs every matching entry point on an arbitrary
//! haystack; the remaining fields form a `PatternSet`.
//!
//! Input: UTF-8, fields separated by NUL: `pattern \0 haystack \0 replacement \0 p1 \0 p2 ...`.
#![no_main]

use apigw_javaregex::{JavaRegex, PatternSet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let mut fields = s.split('\0');
    let pattern = fields.next().unwrap_or("");
    let haystack = fields.next().unwrap_or("");
    let replacement = fields.next().unwrap_or("$0");
    let extra: Vec<&str> = fields.take(8).collect();

    if let Ok(re) = JavaRegex::new(pattern) {
        let _ = re.group_count();
        let _ = re.translations();
        let full = re.is_full_match(haystack);
        if let Ok(full) = full {
            assert_eq!(full, re.matches(haystack));
        }
        if let Ok(Some(m)) = re.find(haystack) {
            assert!(m.start <= m.end && m.end <= haystack.len());
            assert!(haystack.is_char_boundary(m.start) && haystack.is_char_boundary(m.end));
        }
        if let Ok(all) = re.find_all(haystack) {
            for m in all {
                assert!(m.start <= m.end && m.end <= haystack.len());
            }
        }
        let _ = re.replace_all(haystack, replacement);
        let _ = re.replace_first(haystack, replacement);
        for limit in [-1, 0, 2] {
            let _ = re.split(haystack, limit);
            let _ = re.try_split(haystack, limit);
        }
    }

    if !extra.is_empty() {
        let mut patterns = vec![pattern];
        patterns.extend(extra);
        if let Ok(set) = PatternSet::new(&patterns) {
            let first = set.first_match(haystack);
            let all: Vec<usize> = set.matching(haystack).collect();
            if let Some(i) = first {
                assert!(i < set.len());
                assert_eq!(all.first(), Some(&i), "first_match disagrees with matching");
            }
        }
    }
});
