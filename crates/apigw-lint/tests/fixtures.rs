//! The fixture files and their exact expected reports, byte for byte. Set
//! `APIGW_LINT_BLESS=1` and run only this test (`--test fixtures`, the CLI tests read the same
//! files) to rewrite the expected files after an intended change (and review
//! the diff).

use std::path::{Path, PathBuf};

use apigw_lint::{RULES, lint_files, lint_path};

fn check_expected(path: &str, actual: &str) {
    if std::env::var_os("APIGW_LINT_BLESS").is_some() {
        std::fs::write(path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(path).unwrap();
    if actual != expected {
        let first = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .unwrap_or(actual.lines().count().min(expected.lines().count()));
        panic!(
            "{path} differs from line {}:\n  actual:   {:?}\n  expected: {:?}\nwhole report:\n{actual}",
            first + 1,
            actual.lines().nth(first),
            expected.lines().nth(first)
        );
    }
}

#[test]
fn every_problem_text_and_json() {
    let report = lint_path(Path::new("tests/fixtures/every-problem.yaml"));
    check_expected("tests/fixtures/every-problem.txt", &report.to_text());
    check_expected("tests/fixtures/every-problem.json", &report.to_json());
    assert!(report.has_errors());
    assert_eq!(report.exit_status(false), 1);
}

#[test]
fn the_fixture_triggers_every_rule() {
    let report = lint_path(Path::new("tests/fixtures/every-problem.yaml"));
    for rule in RULES {
        let found: Vec<_> = report
            .problems
            .iter()
            .filter(|p| p.rule == rule.id)
            .collect();
        assert!(!found.is_empty(), "rule {} not triggered", rule.id);
        assert!(
            found.iter().all(|p| p.severity == rule.severity),
            "{}",
            rule.id
        );
    }
    // Problems inside templates and patterns carry a position; the others do not.
    for p in &report.problems {
        let positioned = matches!(
            p.rule,
            "regex-syntax"
                | "unknown-util"
                | "vtl-parse-include"
                | "vtl-syntax"
                | "invalid-jsonpath"
                | "unsupported-jsonpath"
        );
        assert_eq!(p.line.is_some(), positioned, "{p:?}");
    }
}

#[test]
fn the_petstore_exports_are_clean() {
    let files: Vec<PathBuf> = ["petstore-swagger.json", "petstore-oas30.yaml"]
        .iter()
        .map(|f| Path::new("../apigw-control/tests/fixtures").join(f))
        .collect();
    let report = lint_files(&files);
    assert_eq!(report.to_text(), "0 errors, 0 warnings, 0 notes\n");
    assert_eq!(report.exit_status(true), 0);
}

#[test]
fn unreadable_inputs_are_failures_not_panics() {
    let report = lint_files(&[
        PathBuf::from("tests/fixtures/does-not-exist.yaml"),
        PathBuf::from("tests/fixtures/not-openapi.yaml"),
        PathBuf::from("tests/fixtures"), // a directory without state.json
    ]);
    let text = report.to_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[0].starts_with("tests/fixtures/does-not-exist.yaml: cannot lint: cannot read: "),
        "{text}"
    );
    assert_eq!(
        lines[1],
        "tests/fixtures/not-openapi.yaml: cannot lint: Invalid OpenAPI input. Only Swagger 2.0 \
         and OpenAPI 3.x documents are supported."
    );
    assert!(
        lines[2]
            .starts_with("tests/fixtures/state.json: cannot lint: cannot read the state file: "),
        "{text}"
    );
    assert_eq!(
        lines[3],
        "0 errors, 0 warnings, 0 notes, 3 files not linted"
    );
    assert_eq!(report.exit_status(false), 2);
    // Garbage of every kind.
    for body in [
        &b"{not json"[..],
        b"- [",
        b"\xff\xfe",
        b"",
        b"42",
        b"{\"openapi\": \"3.0.1\"}",
    ] {
        let r = apigw_lint::lint_source("x", body);
        assert!(r.exit_status(false) != 0 || r.problems.is_empty(), "{r:?}");
    }
}
