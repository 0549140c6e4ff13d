//! Every conformance case as its own named test.
//!
//! Cases listed in `conformance/expected-failures.txt` must fail (with the reason given there);
//! a listed case that passes fails the run, so the list only shrinks.

use std::path::Path;

use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let args = Arguments::from_args();
    let dir = apigw_conformance::default_cases_dir();
    let cases = apigw_conformance::load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !cases.is_empty(),
        "no conformance cases in {}",
        dir.display()
    );
    let expected = apigw_conformance::load_expected_failures(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/expected-failures.txt"),
    )
    .unwrap_or_else(|e| panic!("{e}"));

    let mut seen = std::collections::HashSet::new();
    for case in &cases {
        assert!(
            seen.insert(case.name.clone()),
            "duplicate case name {}",
            case.name
        );
    }
    for (name, _) in &expected {
        assert!(
            seen.contains(name),
            "expected-failures.txt lists {name}, which is not a case"
        );
    }

    // The explain trace of every data case that passes: same response, expected status,
    // consistent winner.
    let explained: Vec<apigw_conformance::Case> = cases
        .iter()
        .filter(|c| !expected.iter().any(|(n, _)| *n == c.name))
        .cloned()
        .collect();
    let explain_trial = Trial::test("explain::every-passing-data-case", move || {
        let errors: Vec<String> = explained
            .iter()
            .filter_map(|c| {
                apigw_conformance::check_explanation(c)
                    .err()
                    .map(|e| format!("{}: {e}", c.name))
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Failed::from(errors.join("\n")))
        }
    });
    let trials = std::iter::once(explain_trial)
        .chain(cases.into_iter().map(|case| {
            let reason = expected
                .iter()
                .find(|(n, _)| *n == case.name)
                .map(|(_, r)| r.clone());
            let file = case
                .file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Trial::test(format!("{file}::{}", case.name), move || {
                match (apigw_conformance::run(&case), reason) {
                    (Ok(()), None) => Ok(()),
                    (Err(diff), None) => Err(Failed::from(diff)),
                    (Err(_), Some(_)) => Ok(()),
                    (Ok(()), Some(reason)) => Err(Failed::from(format!(
                        "passes now: remove it from conformance/expected-failures.txt ({reason})"
                    ))),
                }
            })
        }))
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
