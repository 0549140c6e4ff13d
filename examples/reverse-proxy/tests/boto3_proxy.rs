//! Runs `tests/python/test_boto3_proxy.py` against the real `apigw-proxy` binary: boto3
//! configures an API from scratch through the admin listener (SigV4 with fresh keys), urllib
//! calls it on the data plane, an integration response is changed and redeployed.
//!
//! The binary is started here with an empty temporary state directory and port-0 listeners;
//! the script gets the two URLs and the keys through its environment. Uses the Python of
//! `target/py-venv` of the workspace when there is one (`.ci/run` creates it with boto3 and
//! pytest), else `python3` on the `PATH`. Fails, never skips, when Python or boto3 is missing
//! (the policy of apigw-control's boto3 test). pytest is used when installed, else the script
//! runs its tests itself.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SCRIPT: &str = "test_boto3_proxy.py";

fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/py-venv/bin/python3");
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

/// The proxy process (killed if still running) and its state directory (removed).
struct Proxy {
    child: Child,
    state: PathBuf,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

/// A value that differs between runs and processes (temporary names, keys).
fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos:x}", std::process::id())
}

#[test]
fn boto3_configures_and_redeploys_through_the_proxy() {
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

    let id = unique();
    let state = std::env::temp_dir().join(format!("apigw-proxy-boto3-{id}"));
    std::fs::create_dir_all(&state).expect("state dir");
    let access_key = format!("AKIDPROXY{}", id.replace('-', "").to_uppercase());
    let secret_key = format!("secret-{id}");
    let mut proxy = Proxy {
        child: Command::new(env!("CARGO_BIN_EXE_apigw-proxy"))
            .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
            .arg("--state-dir")
            .arg(&state)
            .env("APIGW_ACCESS_KEY_ID", &access_key)
            .env("APIGW_SECRET_ACCESS_KEY", &secret_key)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn apigw-proxy"),
        state,
    };

    // The two URLs from the start-up lines.
    let stdout = proxy.child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut data = None;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(u) = line.strip_prefix("apigw-proxy: data plane on ") {
                data = Some(u.trim().to_owned());
            } else if let Some((_, u)) = line
                .split_once(" on http://")
                .filter(|_| line.contains("admin API"))
            {
                let _ = tx.send((data.clone(), format!("http://{}", u.trim())));
            }
        }
    });
    let (data, admin) = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("apigw-proxy announces its listeners");
    let data = data.expect("the data plane line comes first");

    let script_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python");
    let mut cmd = Command::new(&python);
    if imports(&python, "pytest") {
        cmd.args(["-m", "pytest", "-q", "-p", "no:cacheprovider", SCRIPT]);
    } else {
        cmd.arg(SCRIPT);
    }
    let out = cmd
        .current_dir(&script_dir)
        .env("APIGW_PROXY_URL", &data)
        .env("APIGW_ADMIN_URL", &admin)
        .env("APIGW_ACCESS_KEY_ID", &access_key)
        .env("APIGW_SECRET_ACCESS_KEY", &secret_key)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        matches!(proxy.child.try_wait(), Ok(None)),
        "apigw-proxy exited during the test"
    );
    assert!(
        out.status.success(),
        "tests/python/{SCRIPT} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    // Every test of the script ran and passed (both runners print the count).
    let script = std::fs::read_to_string(script_dir.join(SCRIPT)).expect("script");
    let tests = script
        .lines()
        .filter(|l| l.starts_with("def test_"))
        .count();
    assert!(tests >= 4, "{tests} tests in {SCRIPT}");
    assert!(
        stdout.contains(&format!("{tests} passed")) && !stdout.contains("skipped"),
        "expected {tests} passed tests:\n{stdout}"
    );
    // The definitions were written to the state directory.
    let saved = std::fs::read_to_string(proxy.state.join("state.json")).expect("state.json");
    assert!(saved.contains("\"orders\""), "state.json lacks the API");
}
