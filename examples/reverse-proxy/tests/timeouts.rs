//! The integration timeout over one client connection: every request gets its own full
//! timeout from its start (HTTP, HTTP_PROXY and Lambda), whatever the connection's earlier
//! requests took or what timeouts their methods had.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpStream;

/// AWS's body of an integration timeout.
const TIMED_OUT: &[u8] = br#"{"message": "Endpoint request timed out"}"#;

/// One client connection to the gateway (HTTP/1.1 keep-alive): requests go over it one after
/// the other, never over another connection.
struct Connection {
    sender: http1::SendRequest<Full<Bytes>>,
    host: String,
}

impl Connection {
    async fn open(gw: &TestGateway) -> Self {
        let stream = TcpStream::connect(gw.gateway.addr).await.expect("connect");
        let (sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        Connection {
            sender,
            host: gw.gateway.addr.to_string(),
        }
    }

    /// `GET /{STAGE}{path}`: status, body and how long the answer took.
    async fn get(&mut self, path: &str) -> (u16, Bytes, Duration) {
        let req = Request::get(format!("/{STAGE}{path}"))
            .header("host", &self.host)
            .body(Full::new(Bytes::new()))
            .expect("request");
        let started = Instant::now();
        let fut = async {
            self.sender.ready().await.expect("the connection is open");
            let resp = self.sender.send_request(req).await.expect("send");
            let status = resp.status().as_u16();
            let body = resp.into_body().collect().await.expect("body").to_bytes();
            (status, body)
        };
        let (status, body) = tokio::time::timeout(Duration::from_secs(10), fut)
            .await
            .expect("an answer within 10 s");
        (status, body, started.elapsed())
    }
}

fn http(uri: String, kind: &str, timeout_ms: u64) -> serde_json::Value {
    json!({"get": {
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {"type": kind, "httpMethod": "GET", "uri": uri,
            "timeoutInMillis": timeout_ms, "responses": {"default": {"statusCode": "200"}}}}})
}

fn lambda(function: &str, timeout_ms: u64) -> serde_json::Value {
    json!({"get": {
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {"type": "aws", "httpMethod": "POST",
            "uri": format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{function}/invocations"),
            "timeoutInMillis": timeout_ms, "responses": {"default": {"statusCode": "200"}}}}})
}

/// A gateway over one backend: `/fast` answers at once, `/slow` after 3 s, `/seq` after
/// 150 ms but 3 s on its 5th request; as the Lambda endpoint, function `slow` answers after
/// 3 s and any other at once.
async fn start() -> TestGateway {
    let seq = Arc::new(AtomicUsize::new(0));
    let be = backend(move |req| {
        let seq = Arc::clone(&seq);
        async move {
            let path = req.uri().path().to_owned();
            let wait = if path.ends_with("slow") || path.contains("slow/invocations") {
                Duration::from_secs(3)
            } else if path == "/seq" {
                match seq.fetch_add(1, Ordering::SeqCst) + 1 {
                    5 => Duration::from_secs(3),
                    _ => Duration::from_millis(150),
                }
            } else {
                Duration::ZERO
            };
            tokio::time::sleep(wait).await;
            reply(200, &[("content-type", "application/json")], r#"{"ok": 1}"#)
        }
    })
    .await;
    let doc = document(
        json!({
            "/fast": http(format!("http://{be}/fast"), "http", 29_000),
            "/slow": http(format!("http://{be}/slow"), "http", 200),
            "/seq": http(format!("http://{be}/seq"), "http", 400),
            "/proxy-fast": http(format!("http://{be}/fast"), "http_proxy", 29_000),
            "/proxy-slow": http(format!("http://{be}/slow"), "http_proxy", 200),
            "/lambda-fast": lambda("fast", 29_000),
            "/lambda-slow": lambda("slow", 200),
        }),
        &[],
    );
    gateway(&doc, |c| c.lambda_endpoint = Some(format!("http://{be}"))).await
}

/// A timeout answered after at least `timeout` and well before the backend's 3 s.
#[track_caller]
fn timed_out((status, body, took): (u16, Bytes, Duration), timeout: Duration) {
    assert_eq!(status, 504, "body {body:?}");
    assert_eq!(body, TIMED_OUT);
    assert!(
        took >= timeout,
        "answered after {took:?}, before the timeout"
    );
    assert!(
        took < Duration::from_millis(2500),
        "answered after {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_requests_on_one_connection_each_get_the_full_timeout() {
    let gw = start().await;
    let mut c = Connection::open(&gw).await;
    // Four requests of 150 ms under a 400 ms timeout: together longer than one timeout.
    for _ in 0..4 {
        let (status, body, _) = c.get("/seq").await;
        assert_eq!((status, &body[..]), (200, &br#"{"ok": 1}"#[..]));
    }
    // The 5th is slow: a 504 after its own 400 ms, not earlier.
    timed_out(c.get("/seq").await, Duration::from_millis(400));
    // The connection goes on, with a fresh timeout for the next request.
    let (status, _, _) = c.get("/seq").await;
    assert_eq!(status, 200);
    gw.gateway.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shorter_timeout_after_a_longer_one_on_one_connection_is_honoured() {
    let gw = start().await;
    let mut c = Connection::open(&gw).await;
    let short = Duration::from_millis(200);
    for (fast, slow) in [
        ("/fast", "/slow"),
        ("/proxy-fast", "/proxy-slow"),
        ("/lambda-fast", "/lambda-slow"),
    ] {
        // A 29 s timeout first, then a 200 ms one: the second fires at its own deadline.
        let (status, _, _) = c.get(fast).await;
        assert_eq!(status, 200, "{fast}");
        timed_out(c.get(slow).await, short);
        // And again, after a timeout.
        let (status, _, _) = c.get(fast).await;
        assert_eq!(status, 200, "{fast}");
        timed_out(c.get(slow).await, short);
    }
    gw.gateway.shutdown().await;
}
