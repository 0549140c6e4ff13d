//! `PatternSet::first_match` and `matching` agree with matching each
//! pattern alone, on both combined engines (dense DFA for small sets, the
//! lazy meta engine for large ones) and with backtracking patterns mixed in.

use apigw_javaregex::{JavaRegex, PatternSet};

fn check(patterns: &[&str], inputs: &[&str]) {
    let set = PatternSet::new(patterns).unwrap();
    let singles: Vec<JavaRegex> = patterns
        .iter()
        .map(|p| JavaRegex::new(p).unwrap())
        .collect();
    for s in inputs {
        let expect: Vec<usize> = (0..patterns.len())
            .filter(|&i| singles[i].matches(s))
            .collect();
        assert_eq!(
            set.first_match(s),
            expect.first().copied(),
            "{s:?} in {set:?}"
        );
        assert_eq!(set.matching(s).collect::<Vec<_>>(), expect, "{s:?}");
    }
}

const INPUTS: &[&str] = &[
    "",
    "200",
    "404",
    "4041",
    "503",
    "404\n",
    "[BadRequest] x",
    "Pet NotFound",
    "line1\nline2",
    "a\r\nb",
    "Task timed out after 3.00 seconds",
    "é😀",
    "ERROR 42",
];

#[test]
fn small_status_set() {
    check(
        &["2\\d{2}", "4\\d{2}", "5\\d{2}", "4\\d\\d|404", "default"],
        INPUTS,
    );
}

#[test]
fn message_set() {
    check(
        &[
            "2\\d{2}",
            "400",
            "404",
            ".*\\[BadRequest\\].*",
            ".*NotFound.*",
            ".*Task timed out after \\d+\\.\\d+ seconds.*",
            ".*[Tt]hrottl(ed|ing).*",
            "(?i)error \\d+",
            "4\\d{2}",
            "5\\d{2}",
            ".*[Ii]nternal [Ee]rror.*",
            "(\\n|.)+",
            ".*",
        ],
        INPUTS,
    );
}

#[test]
fn mixed_with_backtracking() {
    check(
        &[
            "(?=.*\\d)\\d+",
            "4\\d{2}",
            "(.)\\1.*",
            "(?m)^line2$|.*\\n.*",
            "\\bNotFound\\b.*|Pet\\b.*",
            ".+",
            "404$",
        ],
        INPUTS,
    );
}

#[test]
fn empty_set() {
    let set = PatternSet::new(&[]).unwrap();
    assert_eq!(set.first_match("x"), None);
    assert_eq!(set.matching("x").count(), 0);
}
