//! `conformance [DIR-OR-FILE…]`: runs conformance cases (default: the project's
//! `conformance/cases`), prints each failure with its diff, and ends with `N passed, M failed`.
//! Exits with status 1 when any case fails.

use std::path::PathBuf;

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
    let (mut passed, mut failed) = (0, 0);
    for case in &cases {
        match apigw_conformance::run(case) {
            Ok(()) => passed += 1,
            Err(diff) => {
                failed += 1;
                println!("FAIL {} ({})", case.name, case.file.display());
                for line in diff.lines() {
                    println!("    {line}");
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
