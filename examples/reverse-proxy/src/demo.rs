//! The built-in demo: an OpenAPI document and a small backend (pets, an image, a slow
//! endpoint, an echo, and a Lambda Invoke endpoint with one function, `greet`).

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The demo API (`demo/demo-api.yaml`), with `DEMO_BACKEND` and `DEMO_LAMBDA_ARN` still to
/// be replaced (see [`demo_document`]).
pub const DEMO_API: &str = include_str!("../demo/demo-api.yaml");

/// The ARN of the demo backend's Lambda function.
pub const DEMO_LAMBDA_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:greet";

/// The demo API pointing at a demo backend listening on `backend`.
pub fn demo_document(backend: SocketAddr) -> String {
    DEMO_API
        .replace("DEMO_BACKEND", &backend.to_string())
        .replace("DEMO_LAMBDA_ARN", DEMO_LAMBDA_ARN)
}

/// A 1×1 PNG (67 bytes), what `GET /image` of the demo backend returns.
pub const DEMO_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// Starts the demo backend on `addr` (port 0 picks one); returns its address.
///
/// # Errors
/// When the listener cannot be bound.
pub async fn start_demo_backend(addr: SocketAddr) -> io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service_fn(demo_backend))
                    .await;
            });
        }
    });
    Ok((local, task))
}

fn respond(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if let Ok(v) = content_type.parse() {
        r.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    r
}

async fn demo_backend(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    Ok(match (&method, segments.as_slice()) {
        (&Method::GET, ["pets", id]) => match *id {
            "1" => respond(
                200,
                "application/json",
                r#"{"id": 1, "name": "Rex", "kind": "dog"}"#,
            ),
            "2" => respond(
                200,
                "application/json",
                r#"{"id": 2, "name": "Tom", "kind": "cat"}"#,
            ),
            _ => respond(404, "application/json", r#"{"error": "not found"}"#),
        },
        (&Method::GET, ["image"]) => respond(200, "image/png", Bytes::from_static(DEMO_PNG)),
        (&Method::GET, ["slow"]) => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            respond(200, "application/json", r#"{"slow": true}"#)
        }
        (&Method::POST, ["2015-03-31", "functions", function, "invocations"]) => {
            demo_lambda(&crate::context::percent_decode(function), &body)
        }
        _ => respond(
            200,
            "application/json",
            json!({
                "method": method.as_str(),
                "path": path,
                "query": query,
                "body": String::from_utf8_lossy(&body),
            })
            .to_string(),
        ),
    })
}

/// The demo Lambda function `greet`: `{"name": "Ada"}` → `{"greeting": "Hello, Ada!"}`;
/// without a name it fails (a function error).
fn demo_lambda(function: &str, payload: &[u8]) -> Response<Full<Bytes>> {
    let name = function.rsplit(':').next().unwrap_or("");
    if name != "greet" {
        let mut r = respond(
            404,
            "application/json",
            json!({"Type": "User", "message": format!("Function not found: {function}")})
                .to_string(),
        );
        r.headers_mut().insert(
            "x-amzn-ErrorType",
            http::HeaderValue::from_static("ResourceNotFoundException"),
        );
        return r;
    }
    let event: Value = serde_json::from_slice(payload).unwrap_or(Value::Null);
    match event.get("name").and_then(Value::as_str) {
        Some(n) => respond(
            200,
            "application/json",
            json!({"greeting": format!("Hello, {n}!")}).to_string(),
        ),
        None => {
            let mut r = respond(
                200,
                "application/json",
                r#"{"errorMessage":"a name is required","errorType":"Error"}"#,
            );
            r.headers_mut().insert(
                "X-Amz-Function-Error",
                http::HeaderValue::from_static("Unhandled"),
            );
            r
        }
    }
}
