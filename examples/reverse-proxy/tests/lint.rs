//! `apigw-proxy lint` is apigw-lint: the same report and exit status as the `apigw-lint` binary
//! on apigw-lint's fixtures.

use std::path::Path;
use std::process::Command;

fn lint_dir() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../crates/apigw-lint"
    ))
}

fn proxy_lint(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_apigw-proxy"))
        .arg("lint")
        .args(args)
        .current_dir(lint_dir())
        .output()
        .expect("apigw-proxy runs")
}

#[test]
fn lint_subcommand_prints_the_fixture_report_and_fails() {
    let out = proxy_lint(&["tests/fixtures/every-problem.yaml"]);
    let expected = std::fs::read_to_string(lint_dir().join("tests/fixtures/every-problem.txt"))
        .expect("fixture report");
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn lint_subcommand_json_format_and_clean_file() {
    let out = proxy_lint(&["--format", "json", "tests/fixtures/every-problem.yaml"]);
    let expected = std::fs::read_to_string(lint_dir().join("tests/fixtures/every-problem.json"))
        .expect("fixture report");
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    assert_eq!(out.status.code(), Some(1));

    let clean = proxy_lint(&["../apigw-control/tests/fixtures/petstore-swagger.json"]);
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );
}

#[test]
fn lint_subcommand_unreadable_file_is_exit_2() {
    let out = proxy_lint(&["no/such/file.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no/such/file.yaml: cannot lint:"));
}
