//! The `apigw-proxy` binary: the no-argument demo run answers the printed URLs, and SIGTERM
//! shuts it down cleanly.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Kills the child (ours, by its handle) if the test fails before it exits.
struct Reap(std::process::Child);

impl Drop for Reap {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[tokio::test]
async fn demo_run_serves_and_stops_on_sigterm() {
    let mut reap = Reap(
        Command::new(env!("CARGO_BIN_EXE_apigw-proxy"))
            .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn"),
    );
    let child = &mut reap.0;
    let stdout = child.stdout.take().expect("stdout");
    let lines = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("line");
            let done = line.contains("/dev/nope");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    });
    let lines = tokio::time::timeout(Duration::from_secs(4), lines)
        .await
        .expect("demo starts")
        .expect("reader");
    let base = lines[0]
        .strip_prefix("apigw-proxy: data plane on ")
        .expect("first line names the data plane")
        .to_owned();
    assert!(
        lines
            .iter()
            .any(|l| l.trim() == format!("curl -i {base}/dev/hello"))
    );

    let r = send("GET", &format!("{base}/dev/hello"), &[], "").await;
    let body = br#"{"message": "Hello from the dev stage", "method": "GET", "resource": "/hello"}"#;
    r.assert(
        200,
        &headers_with(
            &[("content-type", "application/json")],
            &UNTRACED,
            &body.len().to_string(),
        ),
        body,
    );
    let r = send("GET", &format!("{base}/dev/pets/2"), &[], "").await;
    let body = br#"{"id": 2, "name": "Tom", "kind": "cat"}"#;
    r.assert(
        200,
        &headers_with(
            &[("x-pet-kind", "cat"), ("content-type", "application/json")],
            &TRACED,
            &body.len().to_string(),
        ),
        body,
    );
    let r = send(
        "POST",
        &format!("{base}/dev/greet"),
        &[],
        r#"{"name": "Ada"}"#,
    )
    .await;
    assert_eq!(
        (r.status, &r.body[..]),
        (200, &br#"{"greeting":"Hello, Ada!"}"#[..])
    );

    // SIGTERM (to our own child, by pid) → graceful exit with status 0.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let started = Instant::now();
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            assert!(s.success(), "{s:?}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "no exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Starts the binary with `args` (plus loopback port-0 listeners); returns it and the
/// data-plane and admin base URLs once both listeners are announced.
async fn spawn_proxy(args: &[&str]) -> (Reap, String, String) {
    let mut reap = Reap(
        Command::new(env!("CARGO_BIN_EXE_apigw-proxy"))
            .args(args)
            .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn"),
    );
    let stdout = reap.0.stdout.take().expect("stdout");
    let lines = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .take(2)
            .map(|l| l.expect("line"))
            .collect::<Vec<_>>()
    });
    let lines = tokio::time::timeout(Duration::from_secs(4), lines)
        .await
        .expect("started")
        .expect("reader");
    let base = lines[0]
        .strip_prefix("apigw-proxy: data plane on ")
        .expect("data plane line")
        .to_owned();
    let admin = lines[1]
        .strip_prefix("apigw-proxy: admin API (API Gateway REST-JSON) on ")
        .expect("admin line")
        .to_owned();
    (reap, base, admin)
}

async fn terminate(mut reap: Reap) {
    let status = Command::new("kill")
        .args(["-TERM", &reap.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let started = Instant::now();
    loop {
        if let Some(s) = reap.0.try_wait().expect("wait") {
            assert!(s.success(), "{s:?}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "no exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn api_file_into_state_dir_then_served_from_it() {
    let dir = std::env::temp_dir().join(format!(
        "apigw-proxy-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("api.json");
    let doc = document(
        serde_json::json!({"/hello": {"get": {"responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "mock",
                "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                "responses": {"default": {"statusCode": "200",
                    "responseTemplates": {"application/json": "{\"from\": \"$context.stage\"}"}}}}}}}),
        &[],
    );
    std::fs::write(&file, doc).unwrap();
    let state = dir.join("state");
    let (state_s, file_s) = (state.to_str().unwrap(), file.to_str().unwrap());

    let (proxy, base, _) =
        spawn_proxy(&["--api", file_s, "--state-dir", state_s, "--stage", "s1"]).await;
    let r = send("GET", &format!("{base}/s1/hello"), &[], "").await;
    assert_eq!((r.status, &r.body[..]), (200, &br#"{"from": "s1"}"#[..]));
    terminate(proxy).await;

    // Restarted on the state directory alone: the deployed stage is served again.
    let (proxy, base, _) = spawn_proxy(&["--state-dir", state_s]).await;
    let r = send("GET", &format!("{base}/s1/hello"), &[], "").await;
    assert_eq!((r.status, &r.body[..]), (200, &br#"{"from": "s1"}"#[..]));
    terminate(proxy).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The budget flags reach the servers: `--max-payload-bytes`, `--admin-max-body-bytes`,
/// `--max-headers`, `--max-header-bytes` (and a value below hyper's minimum is refused); a
/// `--backend-ca` file without a certificate stops the start.
#[tokio::test]
async fn budget_flags_reach_the_servers() {
    let refused = Command::new(env!("CARGO_BIN_EXE_apigw-proxy"))
        .args(["--max-header-bytes", "8191"])
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("invalid value '8191' for '--max-header-bytes <BYTES>': at least 8192"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // `--backend-ca` must hold a certificate.
    let not_pem = std::env::temp_dir().join(format!("apigw-not-pem-{}", std::process::id()));
    std::fs::write(&not_pem, "not a certificate").unwrap();
    let refused = Command::new(env!("CARGO_BIN_EXE_apigw-proxy"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
            "--backend-ca",
        ])
        .arg(&not_pem)
        .output()
        .expect("run");
    std::fs::remove_file(&not_pem).unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("start: backend CA: no PEM certificate found"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let (proxy, base, admin) = spawn_proxy(&[
        "--admin-no-auth",
        "--max-payload-bytes",
        "16",
        "--admin-max-body-bytes",
        "32",
        "--max-headers",
        "6",
        "--max-header-bytes",
        "8192",
    ])
    .await;
    let r = send("GET", &format!("{base}/dev/hello"), &[], "0123456789abcdef").await;
    assert_eq!(r.status, 200);
    let r = send(
        "GET",
        &format!("{base}/dev/hello"),
        &[],
        "0123456789abcdefg",
    )
    .await;
    assert_eq!(
        (r.status, &r.body[..]),
        (413, &br#"{"message":"Request Too Long"}"#[..])
    );
    let r = send(
        "POST",
        &format!("{admin}/restapis"),
        &[],
        format!(r#"{{"name": "{}"}}"#, "n".repeat(30)),
    )
    .await;
    assert_eq!(r.status, 413);
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("RequestEntityTooLargeException")
    );
    let many: Vec<(String, String)> = (0..6).map(|i| (format!("x-h{i}"), "v".into())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let r = send("GET", &format!("{base}/dev/hello"), &many, "").await;
    assert_eq!(r.status, 431);
    let big = "v".repeat(9000);
    let r = send("GET", &format!("{base}/dev/hello"), &[("x-big", &big)], "").await;
    assert_eq!(r.status, 431);
    terminate(proxy).await;
}
