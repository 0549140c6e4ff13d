//! Malformed input through the proxy and the admin API: each kind gets its exact answer
//! (AWS-shaped from the gateway, hyper's bare one for what never parses as HTTP), the process
//! keeps serving, and the stored state (the state directory and the `get_*` views) is
//! unchanged.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use apigw_control::{Config, Credentials, Store};
use apigw_proxy::{GatewayConfig, RunningGateway};
use common::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Writes raw bytes and reads until the server closes (or 3 s pass).
async fn raw(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// The response head of a raw answer with the `date` value and ids blanked.
fn normalized(answer: &str) -> String {
    answer
        .split("\r\n")
        .map(|l| {
            let lower = l.to_ascii_lowercase();
            for h in ["date: ", "x-amzn-requestid: ", "x-amz-apigw-id: "] {
                if lower.starts_with(h) {
                    return format!("{}<>", &l[..h.len()]);
                }
            }
            l.to_owned()
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// hyper's answer to a request it cannot parse.
const HYPER_400: &str =
    "HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\ndate: <>\r\n\r\n";

/// A backend that writes `answer` verbatim on every connection, then closes.
async fn raw_backend(answer: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(answer).await;
                let _ = s.shutdown().await;
            });
        }
    });
    addr
}

/// A fresh state directory under the temp dir.
fn state_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "apigw-malformed-{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every file of the state directory with its bytes.
fn state_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// A gateway on a persisted store: `doc` imported and deployed to [`STAGE`].
async fn persisted_gateway(
    dir: &Path,
    doc: &str,
    config: Config,
    configure: impl FnOnce(&mut GatewayConfig),
) -> (RunningGateway, Arc<Store>) {
    let store = Arc::new(Store::open(dir, config).unwrap());
    let api = store.import_rest_api(doc.as_bytes(), None).unwrap();
    let id = api["id"].as_str().unwrap().to_owned();
    let input = json!({"stageName": STAGE});
    store
        .create_deployment(&id, input.as_object().unwrap())
        .unwrap();
    let mut gc = GatewayConfig {
        shutdown_grace: Duration::from_secs(3),
        ..GatewayConfig::default()
    };
    configure(&mut gc);
    let gw = apigw_proxy::start(Arc::clone(&store), gc).await.unwrap();
    (gw, store)
}

/// Everything the admin API shows of the store.
fn views(store: &Store) -> Value {
    let apis = store.get_rest_apis().unwrap();
    let id = apis["item"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    json!({
        "apis": apis,
        "resources": store.handle("GET", &format!("/restapis/{id}/resources"), "embed=methods", &[], b"").body,
        "stages": store.get_stages(&id, None).unwrap(),
    })
}

fn mock(template: &str, request_template: &str) -> Value {
    json!({
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {"type": "mock",
            "requestTemplates": {"application/json": request_template},
            "responses": {"default": {"statusCode": "200", "responseTemplates": {
                "application/json": template}}}}
    })
}

/// Malformed method requests: what hyper refuses never reaches the gateway (its bare 400 and
/// a closed connection); bad percent-encoding and invalid UTF-8 are decoded leniently;
/// invalid JSON read by a request template is the configuration-error 500; a broken chunked
/// body is a 400; a request without an origin-form path is the 403 of an unknown route. The
/// gateway serves on and the state directory is untouched.
#[tokio::test]
async fn malformed_requests_through_the_proxy() {
    // Echoes the body; a body the proxy could not finish streaming is an empty echo.
    let echo = backend(|req: hyper::Request<hyper::body::Incoming>| async move {
        use http_body_util::BodyExt;
        let body = req.into_body().collect().await.map(|b| b.to_bytes());
        reply(200, &[], body.unwrap_or_default())
    })
    .await;
    let mut items = mock(
        "id=$input.params('id') h=$input.params('x-h') q=$input.params('q')",
        "{\"statusCode\": 200}",
    );
    items["parameters"] =
        json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]);
    let paths = json!({
        "/items/{id}": {"get": items},
        "/json": {"post": mock("fine", "{\"statusCode\": $input.path('$.code')}")},
        "/stream": {"post": {
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "http", "httpMethod": "POST",
                "uri": format!("http://{echo}/"),
                "responses": {"default": {"statusCode": "200"}}}}},
        "/ok": {"get": mock("ok", "{\"statusCode\": 200}")},
    });
    let dir = state_dir("proxy");
    let config = Config {
        auth_disabled: true,
        ..Config::default()
    };
    let (gw, store) = persisted_gateway(&dir, &document(paths, &[]), config, |_| {}).await;
    let files = state_files(&dir);
    let before = views(&store);
    let addr = gw.addr;
    let serves = || async move {
        let r = send("GET", &format!("http://{addr}/{STAGE}/ok"), &[], "").await;
        assert_eq!((r.status, &r.body[..]), (200, &b"ok"[..]));
    };

    // Refused by hyper's parser.
    for request in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /test/items/a b HTTP/1.1\r\nhost: x\r\n\r\n",
        b"GET /test/items/x HTTP/1.1\r\nhost: x\r\nx-h: a\x01b\r\n\r\n",
        b"GET /test/items/x HTTP/1.1\r\nhost: x\r\nbad header: v\r\n\r\n",
        b"POST /test/json HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\ncontent-length: 5\r\n\r\nabcd",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    ] {
        let answer = raw(addr, request).await;
        assert_eq!(
            normalized(&answer),
            HYPER_400,
            "{:?}",
            String::from_utf8_lossy(request)
        );
        serves().await;
    }

    // Not an origin-form path: no route.
    for request in [
        &b"CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\nconnection: close\r\n\r\n"
            [..],
        b"GET noslash HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        b"OPTIONS * HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    ] {
        let answer = raw(addr, request).await;
        assert_eq!(
            normalized(&answer),
            "HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\n\
             x-amzn-errortype: MissingAuthenticationTokenException\r\n\
             x-amzn-requestid: <>\r\nx-amz-apigw-id: <>\r\nconnection: close\r\n\
             content-length: 42\r\ndate: <>\r\n\r\n{\"message\":\"Missing Authentication Token\"}",
            "{:?}",
            String::from_utf8_lossy(request)
        );
    }
    serves().await;

    // Invalid percent-encoding is kept as written; bytes that are not UTF-8 (in the path, the
    // query string, a header) become U+FFFD.
    let answer = raw(
        addr,
        b"GET /test/items/%zz%C3%28?q=%ff%2 HTTP/1.1\r\nhost: x\r\nx-h: \xff\xfe\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        answer.ends_with("\r\n\r\nid=%zz\u{fffd}( h=\u{fffd}\u{fffd} q=\u{fffd}%2"),
        "{answer}"
    );

    // A request template reading a body that is not JSON: the configuration error.
    send("POST", &gw_url(addr, "/json"), &[], "{bad ")
        .await
        .assert(500, &error_500(), BODY_500);
    // A body that is not UTF-8 (nor JSON) is read as a string: `$.code` is empty, the MOCK
    // output has no status code, the default response answers.
    let r = send("POST", &gw_url(addr, "/json"), &[], &b"\xff\xfe\xfd"[..]).await;
    assert_eq!((r.status, &r.body[..]), (200, &b"fine"[..]));
    let r = send("POST", &gw_url(addr, "/json"), &[], r#"{"code": 200}"#).await;
    assert_eq!((r.status, &r.body[..]), (200, &b"fine"[..]));

    // A broken chunked body, buffered (MOCK) or streamed to a backend (HTTP): 400, and the
    // connection is closed.
    for path in ["/json", "/stream"] {
        let request = format!(
            "POST /{STAGE}{path} HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nabcde\r\nzz\r\n"
        );
        let answer = raw(addr, request.as_bytes()).await;
        assert_eq!(
            normalized(&answer),
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n\
             x-amzn-errortype: BadRequestException\r\nx-amzn-requestid: <>\r\n\
             x-amz-apigw-id: <>\r\nconnection: close\r\ncontent-length: 25\r\ndate: <>\r\n\r\n\
             {\"message\":\"Bad Request\"}",
            "{path}"
        );
        serves().await;
    }

    assert_eq!(views(&store), before);
    assert_eq!(state_files(&dir), files);
    gw.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

fn gw_url(addr: SocketAddr, path: &str) -> String {
    format!("http://{addr}/{STAGE}{path}")
}

/// Malformed backend answers: invalid JSON read by a template, a response head hyper cannot
/// parse, header values with control characters, a mapped value carrying `\r\n` (never a
/// second header), a Lambda proxy result with such a header (502).
#[tokio::test]
async fn malformed_backend_answers() {
    let json_backend = backend(|_req| async {
        reply(
            200,
            &[("Content-Type", "application/json")],
            r#"{"x": "a\r\nInjected: yes", "y": 1"#,
        )
    })
    .await;
    let injecting = backend(|_req| async {
        reply(
            200,
            &[("Content-Type", "application/json")],
            r#"{"x": "a\r\nInjected: yes"}"#,
        )
    })
    .await;
    let bad_head =
        raw_backend(b"HTTP/1.1 200 OK\r\nX-Bad: a\x01b\r\ncontent-length: 2\r\n\r\n{}").await;
    let bad_status = raw_backend(b"HTTP/1.1 2x0 OK\r\ncontent-length: 2\r\n\r\n{}").await;
    let short_body = raw_backend(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n{}").await;
    let lambda = backend(|_req| async {
        reply(
            200,
            &[("Content-Type", "application/json")],
            json!({"statusCode": 200, "headers": {"X-Bad": "a\r\nInjected: yes"}, "body": "x"})
                .to_string(),
        )
    })
    .await;
    let http = |addr: SocketAddr, response: Value| {
        json!({"get": {
            "responses": {"200": {"description": "ok", "headers": {"X-Mapped": {"schema": {"type": "string"}}}}},
            "x-amazon-apigateway-integration": {"type": "http", "httpMethod": "GET",
                "uri": format!("http://{addr}/"),
                "responses": {"default": response}}}})
    };
    let paths = json!({
        "/invalid-json": http(json_backend, json!({"statusCode": "200",
            "responseTemplates": {"application/json": "$input.path('$.y')"}})),
        "/bad-head": http(bad_head, json!({"statusCode": "200"})),
        "/bad-status": http(bad_status, json!({"statusCode": "200"})),
        "/short-body": http(short_body, json!({"statusCode": "200"})),
        "/inject-param": http(injecting, json!({"statusCode": "200",
            "responseParameters": {"method.response.header.X-Mapped": "integration.response.body.x"}})),
        "/inject-override": http(injecting, json!({"statusCode": "200",
            "responseTemplates": {"application/json":
                "#set($context.responseOverride.header.X-Mapped = $input.path('$.x'))done"}})),
        "/lambda-proxy": {"get": {
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST",
                "uri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:p/invocations"}}},
        "/ok": {"get": mock("ok", "{\"statusCode\": 200}")},
    });
    let gw = gateway(&document(paths, &[]), |c| {
        c.lambda_endpoint = Some(format!("http://{lambda}"));
    })
    .await;
    for path in ["/invalid-json", "/bad-head", "/bad-status", "/short-body"] {
        let r = send("GET", &gw.url(path), &[], "").await;
        r.assert(500, &error_500(), BODY_500);
    }
    // `\r\n` in a mapped value: the header is left out, nothing is injected.
    let r = send("GET", &gw.url("/inject-param"), &[], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-mapped"), None, "{r:?}");
    assert_eq!(r.header("injected"), None, "{r:?}");
    assert_eq!(&r.body[..], br#"{"x": "a\r\nInjected: yes"}"#);
    let r = send("GET", &gw.url("/inject-override"), &[], "").await;
    assert_eq!(r.header("injected"), None, "{r:?}");
    assert_eq!(r.header("x-mapped"), None, "{r:?}");
    assert_eq!((r.status, &r.body[..]), (200, &b"done"[..]));
    // A Lambda proxy result whose header value cannot be sent: 502.
    let r = send("GET", &gw.url("/lambda-proxy"), &[], "").await;
    let mut h502 = error_500();
    h502[5].1 = "36";
    r.assert(502, &h502, BODY_500);
    let r = send("GET", &gw.url("/ok"), &[], "").await;
    assert_eq!((r.status, &r.body[..]), (200, &b"ok"[..]));
    gw.gateway.shutdown().await;
}

/// Malformed admin requests: bad JSON, ill-typed members, unknown members, an oversize body,
/// path traversal in ids, unknown routes, bad signatures. Each gets AWS's error shape
/// (status, `x-amzn-ErrorType`, `{"message"}`), and nothing is stored or written.
#[tokio::test]
async fn malformed_admin_requests() {
    let dir = state_dir("admin");
    let doc = document(
        json!({"/ok": {"get": mock("ok", "{\"statusCode\": 200}")}}),
        &[],
    );
    let config = Config {
        auth_disabled: true,
        max_body_bytes: 4096,
        ..Config::default()
    };
    let (gw, store) = persisted_gateway(&dir, &doc, config, |_| {}).await;
    let api = store.get_rest_apis().unwrap()["item"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let files = state_files(&dir);
    let before = views(&store);
    let admin = gw.admin_addr.unwrap();
    let url = |p: &str| format!("http://{admin}{p}");
    let cases: Vec<(&str, String, String, u16, &str, String)> = vec![
        ("POST", "/restapis".into(), "{bad".into(), 400, "SerializationException",
         "Unable to parse the request body as JSON: key must be a string at line 1 column 2".into()),
        ("POST", "/restapis".into(), r#"{"name": 5}"#.into(), 400, "SerializationException",
         "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String".into()),
        ("POST", "/restapis".into(), r#"["name"]"#.into(), 400, "SerializationException",
         "Start of list found where not expected.".into()),
        ("POST", "/restapis".into(), format!(r#"{{"name": "{}"}}"#, "n".repeat(5000)), 413,
         "RequestEntityTooLargeException", "Request body of 5012 bytes exceeds the limit of 4096 bytes".into()),
        ("GET", "/restapis/..%2F..%2Fetc".into(), String::new(), 404, "NotFoundException",
         "Invalid API identifier specified 123456789012:../../etc".into()),
        ("DELETE", "/restapis/..%2Fstate.json".into(), String::new(), 404, "NotFoundException",
         "Invalid API identifier specified 123456789012:../state.json".into()),
        ("PUT", format!("/restapis/{api}/resources/..%2F..%2Fx/methods/GET"), r#"{"authorizationType": "NONE"}"#.into(), 404, "NotFoundException",
         "Invalid Resource identifier specified".into()),
        ("GET", "/restapis/../../etc/passwd".into(), String::new(), 404, "UnknownOperationException",
         "Unknown operation".into()),
        ("GET", "/nope".into(), String::new(), 404, "UnknownOperationException", "Unknown operation".into()),
        ("DELETE", "/restapis".into(), String::new(), 404, "UnknownOperationException", "Unknown operation".into()),
    ];
    for (method, path, body, status, error_type, message) in &cases {
        let r = send(
            method,
            &url(path),
            &[("content-type", "application/json")],
            body.clone(),
        )
        .await;
        assert_eq!(r.status, *status, "{method} {path}: {r:?}");
        assert_eq!(
            r.header("x-amzn-errortype"),
            Some(*error_type),
            "{method} {path}"
        );
        let got: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(got, json!({"message": message}), "{method} {path}");
    }
    assert_eq!(views(&store), before);
    assert_eq!(state_files(&dir), files);
    // Unknown members are ignored (as AWS does): the API is created without them.
    let r = send(
        "POST",
        &url("/restapis"),
        &[],
        r#"{"name": "x", "bogus": {"deep": [1]}}"#,
    )
    .await;
    assert_eq!(r.status, 201);
    let created: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(created["name"], "x");
    assert!(created.get("bogus").is_none(), "{created}");
    // The data plane serves throughout.
    let r = send("GET", &gw_url(gw.addr, "/ok"), &[], "").await;
    assert_eq!((r.status, &r.body[..]), (200, &b"ok"[..]));
    gw.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();

    // With signatures required: a wrong, an incomplete and a missing signature.
    let dir = state_dir("signed");
    let config = Config {
        credentials: vec![Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "secret".into(),
        }],
        ..Config::default()
    };
    let (gw, store) = persisted_gateway(&dir, &doc, config, |_| {}).await;
    let files = state_files(&dir);
    let before = views(&store);
    let admin = gw.admin_addr.unwrap();
    let now = apigw_proxy::context::Clock::now().amz_date();
    let wrong = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{}/us-east-1/apigateway/aws4_request, SignedHeaders=host;x-amz-date, Signature={}",
        &now[..8],
        "0".repeat(64)
    );
    for (auth, error_type, message) in [
        (
            Some(wrong.as_str()),
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details.",
        ),
        (
            Some("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE"),
            "IncompleteSignatureException",
            "Authorization header requires 'Signature' parameter. Authorization header \
             requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 \
             Credential=AKIDEXAMPLE",
        ),
        (
            None,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ),
    ] {
        let mut headers = vec![("x-amz-date", now.as_str())];
        if let Some(a) = auth {
            headers.push(("authorization", a));
        }
        let r = send(
            "POST",
            &format!("http://{admin}/restapis"),
            &headers,
            r#"{"name": "evil"}"#,
        )
        .await;
        assert_eq!(r.status, 403, "{auth:?}: {r:?}");
        assert_eq!(r.header("x-amzn-errortype"), Some(error_type), "{auth:?}");
        let got: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(got, json!({"message": message}), "{auth:?}");
    }
    assert_eq!(views(&store), before);
    assert_eq!(state_files(&dir), files);
    gw.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
