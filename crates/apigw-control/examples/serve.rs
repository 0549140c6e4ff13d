//! A minimal HTTP/1.1 server around [`apigw_control::Store::handle`] for trying the control
//! plane with the AWS CLI or boto3 on loopback (one request per connection, no TLS):
//!
//! ```sh
//! cargo run -p apigw-control --example serve -- 127.0.0.1:4567 /tmp/apigw-state
//! AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secret \
//!   aws --endpoint-url http://127.0.0.1:4567 --region us-east-1 apigateway get-rest-apis
//! ```
//!
//! Access keys come from `APIGW_ACCESS_KEY_ID` / `APIGW_SECRET_ACCESS_KEY` (default
//! `AKIDEXAMPLE` / `secret`); `APIGW_AUTH_DISABLED=1` turns SigV4 verification off. The
//! first line on stderr names the bound address, so `127.0.0.1:0` (a free port) can be used
//! by scripts (`tests/python/test_boto3.py`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

use apigw_control::{Config, Credentials, Store};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:4567".into());
    let dir = args.next().unwrap_or_else(|| "apigw-state".into());
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let config = Config {
        credentials: vec![Credentials {
            access_key_id: env("APIGW_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            secret_access_key: env("APIGW_SECRET_ACCESS_KEY", "secret"),
        }],
        auth_disabled: std::env::var("APIGW_AUTH_DISABLED").is_ok_and(|v| v == "1"),
        ..Config::default()
    };
    let store = Store::open(&dir, config)?;
    let listener = TcpListener::bind(&addr)?;
    // The bound address (with the port the system chose for `:0`), for scripts that start us.
    eprintln!(
        "control plane on http://{}, state in {dir}",
        listener.local_addr()?
    );
    for stream in listener.incoming() {
        // A broken connection ends that request, not the server.
        if let Err(e) = stream.and_then(|s| serve_one(&store, s)) {
            eprintln!("connection error: {e}");
        }
    }
    Ok(())
}

/// Reads one request from `stream`, answers it and closes the connection.
fn serve_one(store: &Store, mut stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("/").to_owned(),
    );
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim_end().is_empty() {
            break;
        }
        if let Some((n, v)) = h.trim_end().split_once(':') {
            headers.push((n.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len.min(store.config().max_body_bytes + 1)];
    reader.read_exact(&mut body)?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let r = store.handle(&method, path, query, &headers, &body);
    let mut out = format!("HTTP/1.1 {} X\r\n", r.status);
    for (n, v) in &r.headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        r.body.len()
    ));
    stream.write_all(out.as_bytes())?;
    stream.write_all(&r.body)?;
    stream.flush()
}
