//! The engine budgets are settings of the binary: `--template-max-loop-iterations` and
//! `--pattern-max-bytes` (and their siblings) reach every deployment. The same API is served
//! with the defaults and with small budgets.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const API: &str = r#"
openapi: 3.0.1
info: {title: budgets, version: "1"}
paths:
  /loop:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '#foreach($i in [1..50])x#end'}
  /pattern:
    get:
      responses: {"200": {description: ok}, "404": {description: missing}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 404}'}
        responses:
          default: {statusCode: "200"}
          "4(0)4": {statusCode: "404"}
"#;

struct Proxy(Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary on `API` with `flags`; returns it and the data-plane URL's host:port.
fn start(flags: &[&str]) -> (Proxy, String) {
    let file = std::env::temp_dir().join(format!("apigw-budget-flags-{}.yaml", std::process::id()));
    std::fs::write(&file, API).expect("api file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_apigw-proxy"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
            "--api",
        ])
        .arg(&file)
        .args(flags)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn apigw-proxy");
    let stdout = child.stdout.take().expect("stdout");
    let proxy = Proxy(child);
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("apigw-proxy: data plane on ")
                .map(str::to_owned)
        })
        .expect("apigw-proxy announces its data plane");
    let addr = line
        .trim()
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let addr = addr.split('/').next().unwrap_or_default().to_owned();
    (proxy, addr)
}

/// `GET /dev{path}` over HTTP/1.0: the status and the body.
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET /dev{path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("response");
    let status = raw.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn default_budgets_serve_the_api() {
    let (_proxy, addr) = start(&[]);
    assert_eq!(get(&addr, "/loop"), (200, "x".repeat(50)));
    assert_eq!(get(&addr, "/pattern").0, 404);
}

#[test]
fn small_budgets_from_flags_are_hit() {
    let (_proxy, addr) = start(&[
        "--template-max-loop-iterations",
        "10",
        "--pattern-max-bytes",
        "4",
    ]);
    assert_eq!(
        get(&addr, "/loop"),
        (500, r#"{"message": "Internal server error"}"#.to_owned())
    );
    // The pattern is over its budget, so it never matches: the default response answers.
    assert_eq!(get(&addr, "/pattern").0, 200);
}
