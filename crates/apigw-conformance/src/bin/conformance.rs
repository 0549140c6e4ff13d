//! `conformance [DIR-OR-FILE…]`: runs conformance cases (default: the project's
//! `conformance/cases`), prints each failure with its diff, and ends with `N passed, M failed`.
//!
//! Failures of cases listed in `conformance/expected-failures.txt` are marked as expected; the
//! exit status is 1 when a case fails that is not listed, or a listed case passes (the list
//! must then shrink), and 0 otherwise.

use std::path::{Path, PathBuf};

fn main() {
    let mut paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        paths.push(apigw_conformance::default_cases_dir());
    }
    let mut cases = Vec::new();
    for p in &paths {
        let loaded = if p.is_dir() {
            apigw_conformance::load_dir(p)
        } else {
            apigw_conformance::load_file(p)
        };
        match loaded {
            Ok(c) => cases.extend(c),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(2);
            }
        }
    }
    let expected = apigw_conformance::load_expected_failures(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/expected-failures.txt"),
    )
    .unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    let reason = |name: &str| {
        expected
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r.as_str())
    };
    let (mut passed, mut failed, mut unexpected) = (0, 0, 0);
    for case in &cases {
        match (apigw_conformance::run(case), reason(&case.name)) {
            (Ok(()), None) => passed += 1,
            (Ok(()), Some(why)) => {
                passed += 1;
                unexpected += 1;
                println!(
                    "PASSES NOW {} — remove it from conformance/expected-failures.txt ({why})",
                    case.name
                );
            }
            (Err(diff), listed) => {
                failed += 1;
                match listed {
                    Some(why) => println!("FAIL (expected: {why}) {}", case.name),
                    None => {
                        unexpected += 1;
                        println!("FAIL {} ({})", case.name, case.file.display());
                    }
                }
                for line in diff.lines() {
                    println!("    {line}");
                }
            }
        }
    }
    if failed > 0 && unexpected == 0 {
        println!("(every failure is listed in conformance/expected-failures.txt)");
    }
    println!("{passed} passed, {failed} failed");
    if unexpected > 0 {
        std::process::exit(1);
    }
}
