//! The `apigw-lint` binary: exit statuses, formats, usage errors.

use std::process::{Command, Output};

fn lint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_apigw-lint"))
        .args(args)
        .output()
        .unwrap()
}

fn status(o: &Output) -> i32 {
    o.status.code().unwrap()
}

#[test]
fn exit_statuses() {
    let clean = lint(&["../apigw-control/tests/fixtures/petstore-oas30.yaml"]);
    assert_eq!(status(&clean), 0);
    assert_eq!(
        String::from_utf8_lossy(&clean.stdout),
        "0 errors, 0 warnings, 0 notes\n"
    );

    let errors = lint(&["tests/fixtures/every-problem.yaml"]);
    assert_eq!(status(&errors), 1);
    assert_eq!(
        String::from_utf8_lossy(&errors.stdout),
        std::fs::read_to_string("tests/fixtures/every-problem.txt").unwrap()
    );

    // Warnings alone pass, unless denied.
    assert_eq!(status(&lint(&["tests/fixtures/warnings-only.yaml"])), 0);
    assert_eq!(
        status(&lint(&[
            "--deny-warnings",
            "tests/fixtures/warnings-only.yaml"
        ])),
        1
    );

    // A state directory.
    assert_eq!(status(&lint(&["tests/fixtures/state"])), 1);

    // Files that cannot be linted win over problems in the others.
    let missing = lint(&[
        "tests/fixtures/every-problem.yaml",
        "tests/fixtures/nope.yaml",
    ]);
    assert_eq!(status(&missing), 2);
    assert!(
        String::from_utf8_lossy(&missing.stdout)
            .starts_with("tests/fixtures/nope.yaml: cannot lint: cannot read: ")
    );
    assert_eq!(status(&lint(&["tests/fixtures/not-openapi.yaml"])), 2);
}

#[test]
fn json_format() {
    let o = lint(&["--format", "json", "tests/fixtures/every-problem.yaml"]);
    assert_eq!(status(&o), 1);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        std::fs::read_to_string("tests/fixtures/every-problem.json").unwrap()
    );
    let o = lint(&["--format=json", "tests/fixtures/warnings-only.yaml"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["summary"],
        serde_json::json!({"errors": 0, "warnings": 1, "notes": 0})
    );
}

#[test]
fn usage_errors() {
    for args in [
        &[][..],
        &["--format", "xml", "x.yaml"],
        &["--format"],
        &["--bogus", "x.yaml"],
    ] {
        let o = lint(args);
        assert_eq!(status(&o), 2, "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("usage: apigw-lint"),
            "{args:?}"
        );
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    let help = lint(&["--help"]);
    assert_eq!(status(&help), 0);
    assert!(String::from_utf8_lossy(&help.stdout).starts_with("usage: apigw-lint"));
}
