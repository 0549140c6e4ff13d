//! Every budget hit through the proxy or the admin API: each test exceeds one limit and
//! asserts the exact answer (status, headers, body), the reason the operator sees (the
//! `--explain` document's `failure`, or the admin error message), and that the gateway keeps
//! serving afterwards.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A MOCK method at `/{name}` whose default response renders `template`.
fn mock_method(template: &str) -> Value {
    json!({"post": {
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {
            "type": "mock",
            "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
            "responses": {"default": {"statusCode": "200", "responseTemplates": {
                "application/json": template}}}
        }
    }})
}

/// The gateway answers `/ok` after whatever a test did.
fn with_ok(mut paths: Value) -> Value {
    paths["/ok"] = mock_method("ok");
    paths
}

async fn still_serves(gw: &TestGateway) {
    let r = send("POST", &gw.url("/ok"), &[], "").await;
    assert_eq!((r.status, &r.body[..]), (200, &b"ok"[..]));
}

/// Calls `path` with `X-Apigw-Explain` and returns the explanation's `failure`.
async fn explained_failure(gw: &TestGateway, path: &str, body: &'static str) -> String {
    let r = send("POST", &gw.url(path), &[("x-apigw-explain", "1")], body).await;
    let doc: Value = serde_json::from_slice(&r.body).expect("explain document");
    assert_eq!(doc["response"]["status"], 500, "{doc}");
    doc["explanation"]["failure"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The VTL budgets (`apigw_vtl::Limits`): template size, `#foreach` iterations, output and
/// value size, macro call depth, compile-time nesting; and `$input.json` nesting. Each one
/// over budget is the 36-byte `API_CONFIGURATION_ERROR` 500, and the failure names the
/// budget.
#[tokio::test]
async fn template_budgets_are_configuration_errors() {
    let big_template = format!("{}x", " ".repeat(256 * 1024));
    let nested = format!("{}x{}", "#if(true)".repeat(65), "#end".repeat(65));
    // `$input.json` reads the integration response: a backend that answers the request body.
    let echo = backend(|req| async move { reply(200, &[], seen(req).await.body) }).await;
    let paths = with_ok(json!({
        "/size": mock_method(&big_template),
        "/loop": mock_method("#foreach($i in [1..400])#foreach($j in [1..400])#end#end"),
        "/range": mock_method("#foreach($i in [1..100001])#end"),
        "/output": mock_method("#set($s = 'xxxxxxxxxxxxxxxx')#foreach($i in [1..20])#set($s = \"$s$s\")#end$s.length()"),
        "/depth": mock_method("#macro(down $n)#down($n)#end#down(1)"),
        "/nesting": mock_method(&nested),
        "/json": {"post": {
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "http", "httpMethod": "POST",
                "uri": format!("http://{echo}/"),
                "responses": {"default": {"statusCode": "200", "responseTemplates": {
                    "application/json": "$input.json('$')"}}}}}},
    }));
    let gw = gateway(&document(paths, &[]), |c| c.explain = true).await;
    for path in ["/size", "/loop", "/range", "/output", "/depth", "/nesting"] {
        send("POST", &gw.url(path), &[], "")
            .await
            .assert(500, &error_500(), BODY_500);
    }
    let deep: &'static str = Box::leak(format!("{}{}", "[".repeat(600), "]".repeat(600)).into());
    send("POST", &gw.url("/json"), &[], deep)
        .await
        .assert(500, &error_500(), BODY_500);
    // Below the budget the same template works.
    let shallow = format!("{}{}", "[".repeat(500), "]".repeat(500));
    let r = send("POST", &gw.url("/json"), &[], shallow.clone()).await;
    assert_eq!((r.status, &r.body[..]), (200, shallow.as_bytes()));

    let why = |p| explained_failure(&gw, p, "");
    let size = why("/size").await;
    assert!(
        size.contains("262145 bytes, more than the limit of 262144 bytes"),
        "{size}"
    );
    let looped = why("/loop").await;
    assert!(
        looped.contains("more than 100000 #foreach iterations"),
        "{looped}"
    );
    let range = why("/range").await;
    assert!(
        range.contains("range [1..100001] is longer than the loop iteration limit"),
        "{range}"
    );
    let output = why("/output").await;
    assert!(
        output.contains("limit exceeded: output exceeds the limit of 10485760 bytes"),
        "{output}"
    );
    let depth = why("/depth").await;
    assert!(
        depth.contains("max calling depth of 20 was exceeded"),
        "{depth}"
    );
    let nesting = why("/nesting").await;
    assert!(
        nesting.contains("nesting deeper than 64 levels"),
        "{nesting}"
    );
    let json = explained_failure(&gw, "/json", deep).await;
    assert!(json.contains("nesting too deep"), "{json}");
    still_serves(&gw).await;
    gw.gateway.shutdown().await;
}

/// A Lambda Invoke endpoint whose function always fails with `message`.
async fn failing_function(message: &'static str) -> std::net::SocketAddr {
    backend(move |_req| async move {
        reply(
            200,
            &[
                ("Content-Type", "application/json"),
                ("X-Amz-Function-Error", "Unhandled"),
            ],
            json!({"errorMessage": message}).to_string(),
        )
    })
    .await
}

/// The Java-regex budgets (`apigw_javaregex::Limits`): a `selectionPattern` over the
/// compiled-size (1 MiB) or pattern-length (64 KiB) budget never matches, and one whose
/// match needs more than 1,000,000 backtracking steps counts as no match: the next
/// pattern (or the default) is selected.
#[tokio::test]
async fn regex_budgets_mean_no_match() {
    let message: &'static str = Box::leak("a".repeat(40).into_boxed_str());
    let lambda = failing_function(message).await;
    let uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:f/invocations";
    let long = format!("a+|{}", "b".repeat(70 * 1024));
    let method = |patterns: Value| {
        json!({"post": {
            "responses": {"200": {"description": "ok"}, "400": {"description": "a"},
                          "401": {"description": "b"}},
            "x-amazon-apigateway-integration": {
                "type": "aws", "httpMethod": "POST", "uri": uri,
                "responses": patterns,
            }
        }})
    };
    let paths = with_ok(json!({
        // 400 is tried first; over budget it is no match, so `a+` (401) wins.
        "/backtrack": method(json!({
            "default": {"statusCode": "200", "responseTemplates": {"application/json": "default"}},
            "(?:a|aa)*(?=b)c": {"statusCode": "400", "responseTemplates": {"application/json": "backtracked"}},
            "a+": {"statusCode": "401", "responseTemplates": {"application/json": "plain"}},
        })),
        "/size": method(json!({
            "default": {"statusCode": "200", "responseTemplates": {"application/json": "default"}},
            "a+|x{100000}": {"statusCode": "400", "responseTemplates": {"application/json": "huge"}},
        })),
        "/length": method(json!({
            "default": {"statusCode": "200", "responseTemplates": {"application/json": "default"}},
            long.as_str(): {"statusCode": "400", "responseTemplates": {"application/json": "long"}},
        })),
    }));
    let gw = gateway(&document(paths, &[]), |c| {
        c.lambda_endpoint = Some(format!("http://{lambda}"));
        c.explain = true;
    })
    .await;
    let r = send("POST", &gw.url("/backtrack"), &[], "{}").await;
    assert_eq!((r.status, &r.body[..]), (401, &b"plain"[..]));
    for path in ["/size", "/length"] {
        let r = send("POST", &gw.url(path), &[], "{}").await;
        assert_eq!((r.status, &r.body[..]), (200, &b"default"[..]), "{path}");
    }
    // The explanation says why.
    let r = send(
        "POST",
        &gw.url("/backtrack"),
        &[("x-apigw-explain", "1")],
        "{}",
    )
    .await;
    let doc: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(doc["explanation"]["selected"], "401", "{doc}");
    still_serves(&gw).await;
    gw.gateway.shutdown().await;
}

/// The payload limit (`--max-payload-bytes`, default 10 MB) on every path a body takes:
/// declared or chunked method request bodies (413), buffered, announced-oversize and
/// HTTP_PROXY integration responses (500; a streamed body is cut off).
#[tokio::test]
async fn payload_limit_on_requests_and_responses() {
    let big = backend(|_req| async { reply(200, &[], vec![b'a'; 2048]) }).await;
    let small = backend(|_req| async { reply(200, &[], "fine") }).await;
    let paths = with_ok(json!({
        "/mock": mock_method("accepted"),
        "/big": {"get": {
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "http", "httpMethod": "GET",
                "uri": format!("http://{big}/"),
                "responses": {"default": {"statusCode": "200"}}}}},
        "/small": {"post": {
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "http", "httpMethod": "POST",
                "uri": format!("http://{small}/"),
                "responses": {"default": {"statusCode": "200"}}}}},
    }));
    let gw = gateway(&document(paths, &[]), |c| c.max_payload_bytes = 1024).await;
    let r413 = |r: Got| {
        r.assert(
            413,
            &[
                ("content-type", "application/json"),
                ("x-amzn-requestid", "<request-id>"),
                ("x-amz-apigw-id", "<apigw-id>"),
                ("connection", "keep-alive"),
                ("content-length", "30"),
                ("date", "<date>"),
            ],
            br#"{"message":"Request Too Long"}"#,
        )
    };
    // Exactly at the limit passes; one byte more is refused before any integration runs.
    let r = send("POST", &gw.url("/mock"), &[], vec![b'b'; 1024]).await;
    assert_eq!((r.status, &r.body[..]), (200, &b"accepted"[..]));
    r413(send("POST", &gw.url("/mock"), &[], vec![b'b'; 1025]).await);
    // A chunked body (no Content-Length) is counted while it is read.
    for path in ["/mock", "/small"] {
        let answer = chunked(&gw, path, 1025).await;
        assert!(
            answer.starts_with("HTTP/1.1 413 Payload Too Large\r\n"),
            "{path}: {answer}"
        );
        assert!(
            answer.ends_with(r#"{"message":"Request Too Long"}"#),
            "{path}: {answer}"
        );
    }
    // An integration response above the limit.
    send("GET", &gw.url("/big"), &[], "")
        .await
        .assert(500, &error_500(), BODY_500);
    still_serves(&gw).await;
    gw.gateway.shutdown().await;
}

/// Sends `len` bytes with `Transfer-Encoding: chunked` (64-byte chunks) over a fresh
/// connection and returns the raw answer.
async fn chunked(gw: &TestGateway, path: &str, len: usize) -> String {
    let mut req = format!(
        "POST /{STAGE}{path} HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    )
    .into_bytes();
    let mut left = len;
    while left > 0 {
        let n = left.min(64);
        req.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        req.extend(std::iter::repeat_n(b'c', n));
        req.extend_from_slice(b"\r\n");
        left -= n;
    }
    req.extend_from_slice(b"0\r\n\r\n");
    raw(gw.gateway.addr, &req).await
}

/// Writes a raw HTTP/1.1 request and reads until the server closes (or 5 s pass).
async fn raw(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// Header count and head size (`--max-headers`, `--max-header-bytes`): hyper answers an
/// HTTP/1.1 request over either budget with `431 Request Header Fields Too Large`, no body,
/// and closes the connection; on both listeners. An HTTP/2 header list over the size gets a
/// bare 431 (no headers, no body) on that stream.
#[tokio::test]
async fn header_count_and_size_limits() {
    let gw = gateway(&document(with_ok(json!({})), &[]), |c| {
        c.max_headers = Some(10);
        c.max_header_bytes = Some(8192);
    })
    .await;
    let request = |headers: usize, value_len: usize| {
        let mut r = format!(
            "POST /{STAGE}/ok HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n"
        );
        for i in 0..headers {
            r.push_str(&format!("x-h{i}: {}\r\n", "v".repeat(value_len)));
        }
        r.push_str("\r\n");
        r.into_bytes()
    };
    let expect_431 = |answer: String| {
        let head = answer.to_ascii_lowercase();
        assert!(
            head.starts_with("http/1.1 431 request header fields too large\r\n"),
            "{answer}"
        );
        assert!(head.contains("connection: close\r\n"), "{answer}");
        assert!(head.contains("content-length: 0\r\n"), "{answer}");
        assert!(head.ends_with("\r\n\r\n"), "no body: {answer}");
    };
    // 10 headers in all pass (host, content-length, connection and 7 more); 11 do not.
    let ok = raw(gw.gateway.addr, &request(7, 1)).await;
    assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
    expect_431(raw(gw.gateway.addr, &request(8, 1)).await);
    // A head over 8192 bytes.
    expect_431(raw(gw.gateway.addr, &request(1, 9000)).await);
    expect_431(raw(gw.gateway.admin_addr.unwrap(), &request(8, 1)).await);
    // HTTP/2: a header list over the limit.
    let h2 = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .http2_only(true)
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let big = "v".repeat(9000);
    let r = send_with(&h2, "POST", &gw.url("/ok"), &[("x-big", &big)], "").await;
    r.assert(431, &[], b"");
    still_serves(&gw).await;
    gw.gateway.shutdown().await;

    // Defaults: hyper's 100 headers.
    let gw = gateway(&document(with_ok(json!({})), &[]), |_| {}).await;
    let ok = raw(gw.gateway.addr, &request(97, 1)).await;
    assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
    expect_431(raw(gw.gateway.addr, &request(98, 1)).await);
    gw.gateway.shutdown().await;
}

/// The admin request size (`--admin-max-body-bytes`, default 6 MiB): a larger body is
/// refused with 413 `RequestEntityTooLargeException` before it is parsed, nothing changes.
#[tokio::test]
async fn admin_request_size_limit() {
    let store = std::sync::Arc::new(apigw_control::Store::in_memory(apigw_control::Config {
        auth_disabled: true,
        max_body_bytes: 1024,
        ..apigw_control::Config::default()
    }));
    let gw = apigw_proxy::start(store.clone(), apigw_proxy::GatewayConfig::default())
        .await
        .unwrap();
    let url = format!("http://{}/restapis", gw.admin_addr.unwrap());
    let name = "n".repeat(1100);
    // 1,112 bytes, announced by `Content-Length`.
    let r = send("POST", &url, &[], format!(r#"{{"name": "{name}"}}"#)).await;
    assert_eq!(r.status, 413);
    assert_eq!(
        r.header("x-amzn-ErrorType"),
        Some("RequestEntityTooLargeException")
    );
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        body["message"],
        "Request body of 1112 bytes exceeds the limit of 1024 bytes"
    );
    // Chunked: refused once reading passes the limit.
    let admin = gw.admin_addr.unwrap();
    let mut request = b"POST /restapis HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n".to_vec();
    for _ in 0..20 {
        request.extend_from_slice(b"40\r\n");
        request.extend(std::iter::repeat_n(b' ', 64));
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let answer = raw(admin, &request).await;
    assert!(
        answer.starts_with("HTTP/1.1 413 Payload Too Large\r\n"),
        "{answer}"
    );
    assert!(
        answer.contains("\r\nx-amzn-errortype: RequestEntityTooLargeException\r\n"),
        "{answer}"
    );
    assert!(
        answer.ends_with(
            r#"{"message":"Request body of more than 1024 bytes exceeds the limit of 1024 bytes"}"#
        ),
        "{answer}"
    );
    assert_eq!(store.get_rest_apis().unwrap()["item"], json!([]));
    // Within the limit it works.
    let r = send("POST", &url, &[], r#"{"name": "pets"}"#).await;
    assert_eq!(r.status, 201);
    gw.shutdown().await;
}

/// The integration buffering budget (`--integration-buffer-bytes`): with a budget smaller than
/// one response, concurrent requests take turns and every one is answered in full; the
/// budget is whole again afterwards (the gateway keeps mapping).
#[tokio::test]
async fn integration_buffer_budget_queues_without_failing() {
    let doc_body = format!(r#"{{"pad": "{}"}}"#, "x".repeat(4000));
    let be = backend(move |_req| {
        let body = doc_body.clone();
        async move {
            // Slow enough that the requests overlap at the budget.
            tokio::time::sleep(Duration::from_millis(20)).await;
            reply(200, &[("Content-Type", "application/json")], body)
        }
    })
    .await;
    let paths = json!({"/big": {"get": {
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {"type": "http", "httpMethod": "GET",
            "uri": format!("http://{be}/"),
            "responses": {"default": {"statusCode": "200", "responseTemplates": {
                "application/json": "$input.json('$.pad').length()"}}}}}}});
    let gw = gateway(&document(paths, &[]), |c| c.integration_buffer_bytes = 1000).await;
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let url = gw.url("/big");
            tokio::spawn(async move { send("GET", &url, &[], "").await })
        })
        .collect();
    for call in calls {
        let r = call.await.expect("request task");
        assert_eq!((r.status, &r.body[..]), (200, &b"4002"[..]));
    }
    let r = send("GET", &gw.url("/big"), &[], "").await;
    assert_eq!((r.status, &r.body[..]), (200, &b"4002"[..]));
}
