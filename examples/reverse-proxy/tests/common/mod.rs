//! Loopback fixtures for the end-to-end tests: a gateway serving an imported API, real hyper
//! backends, a Lambda Invoke protocol server, and a client that records exact responses.
#![allow(dead_code, missing_docs)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apigw_control::{Config, Store};
use apigw_proxy::{GatewayConfig, RunningGateway};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// The stage every test API is deployed to.
pub const STAGE: &str = "test";

/// A gateway with its store.
pub struct TestGateway {
    pub gateway: RunningGateway,
    pub store: Arc<Store>,
    pub api_id: String,
}

impl TestGateway {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{STAGE}{path}", self.gateway.addr)
    }

    pub fn admin_url(&self, path: &str) -> String {
        format!(
            "http://{}{path}",
            self.gateway.admin_addr.expect("admin listener")
        )
    }
}

/// An OpenAPI 3 document with `paths` (and binary media types).
pub fn document(paths: Value, binary: &[&str]) -> String {
    json!({
        "openapi": "3.0.1",
        "info": {"title": "e2e", "version": "1"},
        "x-amazon-apigateway-binary-media-types": binary,
        "paths": paths,
    })
    .to_string()
}

/// Imports `doc`, deploys it to [`STAGE`] and starts a gateway on loopback port 0.
pub async fn gateway(doc: &str, configure: impl FnOnce(&mut GatewayConfig)) -> TestGateway {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let store = Arc::new(Store::in_memory(Config {
        auth_disabled: true,
        ..Config::default()
    }));
    let api = store.import_rest_api(doc.as_bytes(), None).expect("import");
    let api_id = api["id"].as_str().expect("id").to_owned();
    let input = json!({"stageName": STAGE});
    store
        .create_deployment(&api_id, input.as_object().expect("object"))
        .expect("deploy");
    let mut config = GatewayConfig {
        shutdown_grace: Duration::from_secs(3),
        ..GatewayConfig::default()
    };
    configure(&mut config);
    let gateway = apigw_proxy::start(Arc::clone(&store), config)
        .await
        .expect("start");
    TestGateway {
        gateway,
        store,
        api_id,
    }
}

/// Serves `handler` on a loopback port (HTTP/1.1 and h2).
pub async fn backend<H, F>(handler: H) -> SocketAddr
where
    H: Fn(Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let handler = handler.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let handler = handler.clone();
                    async move { Ok::<_, Infallible>(handler(req).await) }
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// A response with a status, headers and body.
pub fn reply(
    status: u16,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut b = Response::builder().status(status);
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    b.body(Full::new(body.into())).expect("response")
}

/// A request as a backend saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub async fn seen(req: Request<Incoming>) -> Seen {
    let (parts, body) = req.into_parts();
    Seen {
        method: parts.method.to_string(),
        uri: parts.uri.to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
        body: body.collect().await.expect("body").to_bytes(),
    }
}

/// A log of the requests a backend received.
pub type Log = Arc<Mutex<Vec<Seen>>>;

/// The Lambda Invoke protocol test server: `ok` echoes its event under `"echo"`, `boom`
/// fails with a function error, anything else is a service error (404
/// `ResourceNotFoundException`). Every invocation is logged.
pub async fn lambda_server() -> (SocketAddr, Log) {
    let log: Log = Arc::default();
    let l = Arc::clone(&log);
    let addr = backend(move |req| {
        let l = Arc::clone(&l);
        async move {
            let s = seen(req).await;
            l.lock().unwrap().push(s.clone());
            let path = s.uri.clone();
            let function = path
                .strip_prefix("/2015-03-31/functions/")
                .and_then(|p| p.strip_suffix("/invocations"))
                .map(apigw_proxy::context::percent_decode)
                .unwrap_or_default();
            let name = function.rsplit(':').next().unwrap_or("").to_owned();
            if s.method != "POST" {
                return reply(405, &[], "");
            }
            match name.as_str() {
                "ok" => {
                    let event: Value = serde_json::from_slice(&s.body).unwrap_or(Value::Null);
                    reply(
                        200,
                        &[
                            ("Content-Type", "application/json"),
                            ("X-Amz-Executed-Version", "$LATEST"),
                        ],
                        json!({"echo": event}).to_string(),
                    )
                }
                "proxy" => {
                    let e: Value = serde_json::from_slice(&s.body).unwrap_or(Value::Null);
                    let echo = json!({
                        "resource": e["resource"], "path": e["path"], "httpMethod": e["httpMethod"],
                        "query": e["queryStringParameters"], "multiQuery": e["multiValueQueryStringParameters"],
                        "pathParameters": e["pathParameters"], "body": e["body"],
                        "isBase64Encoded": e["isBase64Encoded"], "stage": e["requestContext"]["stage"],
                        "header": e["headers"]["x-in"],
                    });
                    reply(
                        200,
                        &[("Content-Type", "application/json")],
                        json!({
                            "statusCode": 201,
                            "headers": {"X-One": "1", "X-Multi": "ignored"},
                            "multiValueHeaders": {"X-Multi": ["a", "b"]},
                            "body": echo.to_string(),
                        })
                        .to_string(),
                    )
                }
                "proxy-bin" => reply(
                    200,
                    &[("Content-Type", "application/json")],
                    json!({"statusCode": 200, "headers": {"Content-Type": "application/octet-stream"},
                           "body": "AP8BgA==", "isBase64Encoded": true})
                    .to_string(),
                ),
                "proxy-bad" => reply(
                    200,
                    &[("Content-Type", "application/json")],
                    r#"{"statusCode": 200, "extra": 1}"#,
                ),
                "boom" => reply(
                    200,
                    &[
                        ("Content-Type", "application/json"),
                        ("X-Amz-Function-Error", "Unhandled"),
                    ],
                    r#"{"errorMessage":"Bad input: missing id","errorType":"ValidationError"}"#,
                ),
                _ => reply(
                    404,
                    &[
                        ("Content-Type", "application/json"),
                        ("x-amzn-ErrorType", "ResourceNotFoundException"),
                    ],
                    format!(r#"{{"Type":"User","message":"Function not found: {function}"}}"#),
                ),
            }
        }
    })
    .await;
    (addr, log)
}

/// A client's view of a response.
#[derive(Debug)]
pub struct Got {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Got {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts status, the exact header list (names in order; `<request-id>`, `<apigw-id>`,
    /// `<trace-id>` and `<date>` stand for values that vary, checked for their shape) and
    /// the body bytes.
    #[track_caller]
    pub fn assert(&self, status: u16, headers: &[(&str, &str)], body: &[u8]) {
        assert_eq!(
            self.status,
            status,
            "status; body {:?}",
            String::from_utf8_lossy(&self.body)
        );
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        let expected: Vec<&str> = headers.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, expected, "header names of {:?}", self.headers);
        for ((n, v), (_, want)) in self.headers.iter().zip(headers) {
            match *want {
                "<request-id>" => assert!(
                    v.len() == 36 && v.chars().filter(|c| *c == '-').count() == 4,
                    "{n}: {v}"
                ),
                "<apigw-id>" => assert!(v.len() == 16 && v.ends_with('='), "{n}: {v}"),
                "<trace-id>" => assert!(v.starts_with("Root=1-"), "{n}: {v}"),
                "<date>" => assert!(v.ends_with(" GMT"), "{n}: {v}"),
                _ => assert_eq!(v, want, "header {n}"),
            }
        }
        assert_eq!(
            self.body,
            Bytes::copy_from_slice(body),
            "body {:?}",
            String::from_utf8_lossy(&self.body)
        );
    }
}

/// An HTTP/1.1 client.
pub fn client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

/// Sends a request (5 s bound) and collects the response.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Got {
    send_with(&client(), method, url, headers, body).await
}

pub async fn send_with(
    client: &Client<HttpConnector, Full<Bytes>>,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Got {
    let mut b = Request::builder().method(method).uri(url);
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    let req = b.body(Full::new(body.into())).expect("request");
    let fut = async {
        let resp = client.request(req).await.expect("send");
        let (parts, body) = resp.into_parts();
        Got {
            status: parts.status.as_u16(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.collect().await.expect("body").to_bytes(),
        }
    };
    tokio::time::timeout(Duration::from_secs(5), fut)
        .await
        .expect("response within 5 s")
}

/// A mapped (non-proxy) response's gateway headers after `content-type`: what API Gateway
/// adds to HTTP and Lambda integrations.
pub const TRACED: [(&str, &str); 6] = [
    ("x-amzn-requestid", "<request-id>"),
    ("x-amz-apigw-id", "<apigw-id>"),
    ("x-amzn-trace-id", "<trace-id>"),
    ("connection", "keep-alive"),
    ("content-length", ""),
    ("date", "<date>"),
];

/// Expected headers: `lead`, then `tail` with `content-length` set to `len`.
pub fn headers_with<'a>(
    lead: &[(&'a str, &'a str)],
    tail: &[(&'a str, &'a str)],
    len: &'a str,
) -> Vec<(&'a str, &'a str)> {
    lead.iter()
        .copied()
        .chain(tail.iter().map(|&(n, v)| {
            if n == "content-length" {
                (n, len)
            } else {
                (n, v)
            }
        }))
        .collect()
}

/// A MOCK response's (or gateway error's) headers after `content-type`.
pub const UNTRACED: [(&str, &str); 5] = [
    ("x-amzn-requestid", "<request-id>"),
    ("x-amz-apigw-id", "<apigw-id>"),
    ("connection", "keep-alive"),
    ("content-length", ""),
    ("date", "<date>"),
];

/// The body of API Gateway's `API_CONFIGURATION_ERROR` 500.
pub const BODY_500: &[u8] = br#"{"message": "Internal server error"}"#;

/// The headers of that 500 as the proxy sends them (placeholders for the varying values).
pub fn error_500() -> Vec<(&'static str, &'static str)> {
    vec![
        ("content-type", "application/json"),
        ("x-amzn-errortype", "InternalServerErrorException"),
        ("x-amzn-requestid", "<request-id>"),
        ("x-amz-apigw-id", "<apigw-id>"),
        ("connection", "keep-alive"),
        ("content-length", "36"),
        ("date", "<date>"),
    ]
}
