//! Runs `tests/python/test_boto3.py`: the `serve` example driven by the real boto3 client over
//! loopback (SigV4, AWS's paths and error shapes as botocore reads them).
//!
//! Uses the Python of the virtual environment `target/py-venv` of the workspace when there is
//! one (`.ci/run` creates it with boto3 and pytest), else `python3` on the `PATH`. Fails, never
//! skips, when Python or boto3 is missing. pytest is used when installed, else the script runs
//! its tests itself.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    let venv = workspace_root().join("target/py-venv/bin/python3");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

fn imports(python: &Path, module: &str) -> bool {
    Command::new(python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn modified(p: &Path) -> SystemTime {
    std::fs::metadata(p)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// The newest source the `serve` example is built from.
fn newest_source(dir: &Path) -> SystemTime {
    let mut newest = SystemTime::UNIX_EPOCH;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        let t = if p.is_dir() {
            newest_source(&p)
        } else {
            modified(&p)
        };
        newest = newest.max(t);
    }
    newest
}

/// The `serve` example next to this test (`cargo test` builds examples along with tests).
fn serve_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let serve = profile_dir
        .join("examples")
        .join(format!("serve{}", std::env::consts::EXE_SUFFIX));
    assert!(
        serve.exists(),
        "the `serve` example is not built at {}: run `cargo test -p apigw-control` (which builds \
         examples) or `cargo build -p apigw-control --example serve` first",
        serve.display()
    );
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sources =
        newest_source(&crate_dir.join("src")).max(newest_source(&crate_dir.join("examples")));
    assert!(
        modified(&serve) >= sources,
        "the `serve` example at {} is older than its sources: run `cargo test -p apigw-control` \
         or `cargo build -p apigw-control --example serve`",
        serve.display()
    );
    serve
}

#[test]
fn boto3_drives_the_serve_example() {
    let python = python();
    let version = Command::new(&python).arg("--version").output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "the boto3 end-to-end test needs Python 3: `{}` does not run ({version:?}); create \
         target/py-venv as .ci/run does (`python3 -m venv target/py-venv && \
         target/py-venv/bin/pip install boto3 pytest`)",
        python.display()
    );
    assert!(
        imports(&python, "boto3"),
        "the boto3 end-to-end test needs boto3 in `{}`: `python3 -m venv target/py-venv && \
         target/py-venv/bin/pip install boto3 pytest` (as .ci/run does)",
        python.display()
    );
    let script_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python");
    let mut cmd = Command::new(&python);
    if imports(&python, "pytest") {
        cmd.args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "test_boto3.py",
        ]);
    } else {
        cmd.arg("test_boto3.py");
    }
    let out = cmd
        .current_dir(&script_dir)
        .env("APIGW_SERVE_BIN", serve_binary())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "tests/python/test_boto3.py failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    // Both runners print the count of passed tests: every test of the script ran and passed.
    let script = std::fs::read_to_string(script_dir.join("test_boto3.py")).expect("script");
    let tests = script
        .lines()
        .filter(|l| l.starts_with("def test_"))
        .count();
    assert!(tests >= 7, "{tests} tests in test_boto3.py");
    assert!(
        stdout.contains(&format!("{tests} passed")) && !stdout.contains("skipped"),
        "expected {tests} passed tests:\n{stdout}"
    );
}
