//! End-to-end tests over loopback: a real gateway, real hyper backends, a Lambda Invoke
//! protocol server; every test asserts exact status, headers and body bytes.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

const ERROR_403: &[(&str, &str)] = &[
    ("content-type", "application/json"),
    ("x-amzn-errortype", "MissingAuthenticationTokenException"),
    ("x-amzn-requestid", "<request-id>"),
    ("x-amz-apigw-id", "<apigw-id>"),
    ("connection", "keep-alive"),
    ("content-length", "42"),
    ("date", "<date>"),
];

fn mock_api() -> String {
    document(
        json!({
            "/hello": {"get": {
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                    "responses": {"default": {"statusCode": "200", "responseTemplates": {
                        "application/json": "{\"stage\": \"$context.stage\", \"path\": \"$context.path\", \"resource\": \"$context.resourcePath\", \"q\": \"$input.params('q')\", \"h\": \"$input.params('x-demo')\"}"
                    }}}
                }
            }},
            "/items/{id}": {"x-amazon-apigateway-any-method": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "ok"},
                    "404": {"description": "nf", "headers": {"X-Why": {"schema": {"type": "string"}}}}
                },
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": "{\"statusCode\": #if($input.params('id') == 'none')404#{else}200#end}"},
                    "responses": {
                        "default": {"statusCode": "200", "responseTemplates": {"application/json": "{\"id\": \"$input.params('id')\", \"method\": \"$context.httpMethod\"}"}},
                        "404": {"statusCode": "404",
                                "responseParameters": {"method.response.header.X-Why": "'absent'"},
                                "responseTemplates": {"application/json": "{\"message\": \"no such item\"}"}}
                    }
                }
            }},
            "/echo": {"post": {
                "responses": {"200": {"description": "ok"}, "502": {"description": "bad gateway"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": "#set($b = $input.path('$')){\"statusCode\": $b.code}"},
                    "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": "{\"ok\": true}"}},
                                  "5\\d{2}": {"statusCode": "502", "responseTemplates": {"application/json": "{\"ok\": false}"}}}
                }
            }},
            "/files/{proxy+}": {"get": {
                "parameters": [{"name": "proxy", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                    "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": "$input.params('proxy')"}}}
                }
            }}
        }),
        &[],
    )
}

fn mock_headers(len: &str) -> Vec<(&str, &str)> {
    headers_with(&[("content-type", "application/json")], &UNTRACED, len)
}

#[tokio::test]
async fn mock_context_params_and_routing() {
    let gw = gateway(&mock_api(), |_| {}).await;
    let r = send("GET", &gw.url("/hello?q=a%20b"), &[("X-Demo", "yes")], "").await;
    let body = br#"{"stage": "test", "path": "/test/hello", "resource": "/hello", "q": "a b", "h": "yes"}"#;
    r.assert(200, &mock_headers(&body.len().to_string()), body);

    // ANY + {param}, selection by the request template's statusCode, mapped header.
    let r = send("DELETE", &gw.url("/items/42"), &[], "").await;
    r.assert(
        200,
        &mock_headers("32"),
        br#"{"id": "42", "method": "DELETE"}"#,
    );
    let r = send("GET", &gw.url("/items/none"), &[], "").await;
    let mut h = vec![("x-why", "absent")];
    h.extend(mock_headers("27"));
    r.assert(404, &h, br#"{"message": "no such item"}"#);

    // The request body reaches the MOCK request template.
    let r = send(
        "POST",
        &gw.url("/echo"),
        &[("content-type", "application/json")],
        r#"{"code": 503}"#,
    )
    .await;
    r.assert(502, &mock_headers("13"), br#"{"ok": false}"#);
    let r = send(
        "POST",
        &gw.url("/echo"),
        &[("content-type", "application/json")],
        r#"{"code": 200}"#,
    )
    .await;
    r.assert(200, &mock_headers("12"), br#"{"ok": true}"#);

    // {proxy+} takes the rest of the path, percent-decoded.
    let r = send("GET", &gw.url("/files/a/b%20c.txt"), &[], "").await;
    r.assert(200, &mock_headers("9"), b"a/b c.txt");

    // No stage, no resource, no method: 403 Missing Authentication Token.
    let missing = br#"{"message":"Missing Authentication Token"}"#;
    for (m, path) in [
        ("GET", format!("http://{}/other/hello", gw.gateway.addr)),
        ("GET", format!("http://{}/", gw.gateway.addr)),
        ("GET", gw.url("/nothing")),
        ("POST", gw.url("/hello")),
        ("GET", gw.url("/files")),
    ] {
        send(m, &path, &[], "")
            .await
            .assert(403, ERROR_403, missing);
    }
    gw.gateway.shutdown().await;
}

fn http_api(backend: std::net::SocketAddr) -> String {
    document(
        json!({
            "/pets/{id}": {"get": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                               {"name": "q", "in": "query", "schema": {"type": "string"}},
                               {"name": "X-In", "in": "header", "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "ok", "headers": {"X-Kind": {"schema": {"type": "string"}}, "X-Up": {"schema": {"type": "string"}}}},
                    "400": {"description": "client error"}
                },
                "x-amazon-apigateway-integration": {
                    "type": "http", "httpMethod": "GET",
                    "uri": format!("http://{backend}/backend/pets/{{petId}}"),
                    "requestParameters": {
                        "integration.request.path.petId": "method.request.path.id",
                        "integration.request.querystring.search": "method.request.querystring.q",
                        "integration.request.header.X-Out": "method.request.header.X-In",
                        "integration.request.header.X-Static": "'fixed'"
                    },
                    "responses": {
                        "default": {"statusCode": "200",
                            "responseParameters": {
                                "method.response.header.X-Kind": "integration.response.body.kind",
                                "method.response.header.X-Up": "integration.response.header.X-Upstream"
                            },
                            "responseTemplates": {"application/json": "#set($p = $input.path('$')){\"name\": \"$p.name\", \"status\": \"mapped\"}"}},
                        "4\\d{2}": {"statusCode": "400"}
                    }
                }
            }},
            "/blob": {"get": {
                "responses": {"200": {"description": "ok", "headers": {"Content-Type": {"schema": {"type": "string"}}}}},
                "x-amazon-apigateway-integration": {
                    "type": "http", "httpMethod": "GET", "uri": format!("http://{backend}/blob"),
                    "responses": {"default": {"statusCode": "200",
                        "responseParameters": {"method.response.header.Content-Type": "integration.response.header.Content-Type"}}}
                }
            }},
            "/raw/{proxy+}": {"x-amazon-apigateway-any-method": {
                "parameters": [{"name": "proxy", "in": "path", "required": true, "schema": {"type": "string"}}],
                "x-amazon-apigateway-integration": {
                    "type": "http_proxy", "httpMethod": "ANY", "uri": format!("http://{backend}/up/{{proxy}}"),
                    "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"}
                }
            }}
        }),
        &["application/octet-stream"],
    )
}

const BLOB: &[u8] = &[0, 159, 146, 150, 255, 1, 2, 3, 0xc3, 0x28];

async fn http_backend(log: Log) -> std::net::SocketAddr {
    backend(move |req| {
        let log = Arc::clone(&log);
        async move {
            let s = seen(req).await;
            log.lock().unwrap().push(s.clone());
            let path = s.uri.split('?').next().unwrap_or("").to_owned();
            match path.as_str() {
                "/backend/pets/1" => reply(
                    201,
                    &[("Content-Type", "application/json"), ("X-Upstream", "u1")],
                    r#"{"name": "Rex", "kind": "dog"}"#,
                ),
                "/blob" => reply(200, &[("Content-Type", "application/octet-stream")], BLOB),
                p if p.starts_with("/up/") => reply(
                    418,
                    &[
                        ("Content-Type", "application/x-thing"),
                        ("X-Teapot", "short and stout"),
                    ],
                    [BLOB, &s.body[..]].concat(),
                ),
                _ => reply(404, &[("Content-Type", "text/plain")], "missing"),
            }
        }
    })
    .await
}

#[tokio::test]
async fn http_integration_maps_status_headers_and_bodies() {
    let log: Log = Arc::default();
    let be = http_backend(Arc::clone(&log)).await;
    let gw = gateway(&http_api(be), |_| {}).await;

    // 201 → default 200, template over the body, headers from body and backend header.
    let r = send(
        "GET",
        &gw.url("/pets/1?q=big%20dogs&other=x"),
        &[("X-In", "v-in")],
        "",
    )
    .await;
    let lead = [
        ("x-kind", "dog"),
        ("x-up", "u1"),
        ("content-type", "application/json"),
    ];
    let body = br#"{"name": "Rex", "status": "mapped"}"#;
    r.assert(200, &headers_with(&lead, &TRACED, "35"), body);
    let s = log.lock().unwrap().last().cloned().unwrap();
    assert_eq!(s.method, "GET");
    assert_eq!(s.uri, "/backend/pets/1?search=big%20dogs");
    assert_eq!(s.header("x-out"), Some("v-in"));
    assert_eq!(s.header("x-static"), Some("fixed"));
    assert_eq!(
        s.header("user-agent"),
        Some(&*format!("AmazonAPIGateway_{}", gw.api_id))
    );
    // The backend's authority as `Host` (planned once per deployment), the API id.
    assert_eq!(s.header("host"), Some(&*be.to_string()));
    assert_eq!(
        s.header("x-amzn-apigateway-api-id"),
        Some(gw.api_id.as_str())
    );

    // 404 → 4\d{2} → 400, no template: the body passes through.
    let r = send("GET", &gw.url("/pets/2"), &[], "").await;
    r.assert(
        400,
        &headers_with(&[("content-type", "application/json")], &TRACED, "7"),
        b"missing",
    );

    // Binary body: raw bytes with a binary Accept, base64 text otherwise.
    let r = send(
        "GET",
        &gw.url("/blob"),
        &[("Accept", "application/octet-stream")],
        "",
    )
    .await;
    r.assert(
        200,
        &headers_with(
            &[("content-type", "application/octet-stream")],
            &TRACED,
            "10",
        ),
        BLOB,
    );
    let r = send("GET", &gw.url("/blob"), &[], "").await;
    r.assert(
        200,
        &headers_with(
            &[("content-type", "application/octet-stream")],
            &TRACED,
            "16",
        ),
        b"AJ+Slv8BAgPDKA==",
    );

    // HTTP_PROXY: status, headers and body bytes pass through; body and query forwarded.
    let r = send(
        "PUT",
        &gw.url("/raw/a/b?x=1&y=%2F"),
        &[("X-Client", "c")],
        Bytes::from_static(b"\xffup"),
    )
    .await;
    let expected_body = [BLOB, b"\xffup"].concat();
    r.assert(
        418,
        &[
            ("content-type", "application/x-thing"),
            ("x-teapot", "short and stout"),
            ("content-length", "13"),
            ("date", "<date>"),
            ("x-amzn-requestid", "<request-id>"),
            ("x-amz-apigw-id", "<apigw-id>"),
            ("connection", "keep-alive"),
        ],
        &expected_body,
    );
    let s = log.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (s.method.as_str(), s.uri.as_str()),
        ("PUT", "/up/a/b?x=1&y=%2F")
    );
    assert_eq!(s.header("x-client"), Some("c"));
    assert_eq!(s.header("x-forwarded-for"), Some("127.0.0.1"));
    gw.gateway.shutdown().await;
}

fn single_http(uri: &str, timeout_ms: Option<u64>) -> String {
    let mut integ = json!({"type": "http", "httpMethod": "GET", "uri": uri,
                           "responses": {"default": {"statusCode": "200"}}});
    if let Some(t) = timeout_ms {
        integ["timeoutInMillis"] = json!(t);
    }
    document(
        json!({"/x": {"get": {"responses": {"200": {"description": "ok"}},
                              "x-amazon-apigateway-integration": integ}}}),
        &[],
    )
}

#[tokio::test]
async fn slow_backend_times_out_with_504() {
    let be = backend(|_req| async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        reply(200, &[], "late")
    })
    .await;
    let gw = gateway(&single_http(&format!("http://{be}/"), Some(100)), |_| {}).await;
    let started = Instant::now();
    let r = send("GET", &gw.url("/x"), &[], "").await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let mut h = error_500();
    h[5].1 = "41";
    r.assert(504, &h, br#"{"message": "Endpoint request timed out"}"#);
    gw.gateway.shutdown().await;
}

#[tokio::test]
async fn resetting_and_unreachable_backends_are_500() {
    // A backend that reads the request and closes the connection without answering.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let reset_addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await;
            drop(s);
        }
    });
    let gw = gateway(&single_http(&format!("http://{reset_addr}/"), None), |_| {}).await;
    send("GET", &gw.url("/x"), &[], "")
        .await
        .assert(500, &error_500(), BODY_500);
    gw.gateway.shutdown().await;

    // A port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_addr = closed.local_addr().unwrap();
    drop(closed);
    let gw = gateway(
        &single_http(&format!("http://{closed_addr}/"), None),
        |_| {},
    )
    .await;
    send("GET", &gw.url("/x"), &[], "")
        .await
        .assert(500, &error_500(), BODY_500);
    gw.gateway.shutdown().await;
}

#[tokio::test]
async fn oversize_payloads() {
    let be = backend(|_req| async { reply(200, &[], vec![b'a'; 2048]) }).await;
    let small = |c: &mut apigw_proxy::GatewayConfig| c.max_payload_bytes = 1024;
    let gw = gateway(&single_http(&format!("http://{be}/"), None), small).await;
    // Integration response above the limit → 500.
    send("GET", &gw.url("/x"), &[], "")
        .await
        .assert(500, &error_500(), BODY_500);
    // Method request above the limit → 413.
    let r = send("GET", &gw.url("/x"), &[], vec![b'b'; 2000]).await;
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
    );
    gw.gateway.shutdown().await;
}

fn lambda_api(function: &str) -> Value {
    json!({"post": {
        "responses": {"200": {"description": "ok"}, "422": {"description": "invalid"}},
        "x-amazon-apigateway-integration": {
            "type": "aws", "httpMethod": "POST",
            "uri": format!("arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:{function}/invocations"),
            "responses": {
                "default": {"statusCode": "200"},
                "Bad input.*": {"statusCode": "422", "responseTemplates": {"application/json": "{\"type\": \"$input.path('$.errorType')\", \"message\": \"$input.path('$.errorMessage')\"}"}}
            }
        }
    }})
}

#[tokio::test]
async fn lambda_invoke_success_function_error_service_error() {
    let (lambda, log) = lambda_server().await;
    let doc = document(
        json!({"/ok": lambda_api("ok"), "/boom": lambda_api("boom"), "/gone": lambda_api("gone")}),
        &[],
    );
    let gw = gateway(&doc, |c| {
        c.lambda_endpoint = Some(format!("http://{lambda}"));
        c.lambda_credentials = Some(apigw_proxy::sigv4::AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "secret".into(),
            session_token: Some("token".into()),
        });
    })
    .await;

    let r = send(
        "POST",
        &gw.url("/ok"),
        &[("content-type", "application/json")],
        r#"{"a": [1, 2]}"#,
    )
    .await;
    r.assert(
        200,
        &headers_with(&[("content-type", "application/json")], &TRACED, "20"),
        br#"{"echo":{"a":[1,2]}}"#,
    );
    let s = log.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        s.uri,
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Aok/invocations"
    );
    assert_eq!(s.header("x-amz-invocation-type"), Some("RequestResponse"));
    assert_eq!(s.header("x-amz-security-token"), Some("token"));
    let auth = s.header("authorization").unwrap();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
            && auth.contains("/eu-west-1/lambda/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-invocation-type;x-amz-security-token, Signature="),
        "{auth}"
    );

    // Function error: errorMessage selects 422 and the template reads the error payload.
    let r = send("POST", &gw.url("/boom"), &[], "{}").await;
    let body = br#"{"type": "ValidationError", "message": "Bad input: missing id"}"#;
    r.assert(
        422,
        &headers_with(
            &[("content-type", "application/json")],
            &TRACED,
            &body.len().to_string(),
        ),
        body,
    );

    // Service error (404 from the Invoke API): 500 configuration error.
    send("POST", &gw.url("/gone"), &[], "{}")
        .await
        .assert(500, &error_500(), BODY_500);
    gw.gateway.shutdown().await;

    // No Lambda endpoint configured: 500.
    let gw = gateway(&doc, |_| {}).await;
    send("POST", &gw.url("/ok"), &[], "{}")
        .await
        .assert(500, &error_500(), BODY_500);
    gw.gateway.shutdown().await;
}

/// A Lambda request template builds the Invoke payload from the method request; what it
/// writes to `$context.responseOverride` reaches the client.
#[tokio::test]
async fn lambda_request_template_builds_the_invoke_payload() {
    let (lambda, log) = lambda_server().await;
    let mut api = lambda_api("ok");
    api["post"]["x-amazon-apigateway-integration"]["requestTemplates"] = json!({
        "application/json": "#set($context.responseOverride.header.X-Rendered = 'yes')\n{\"id\": \"$input.params('id')\", \"name\": $input.json('$.name')}"
    });
    let doc = document(json!({"/tpl/{id}": api}), &[]);
    let gw = gateway(&doc, |c| {
        c.lambda_endpoint = Some(format!("http://{lambda}"));
    })
    .await;
    let r = send(
        "POST",
        &gw.url("/tpl/7"),
        &[("content-type", "application/json")],
        r#"{"name": "rex", "extra": 1}"#,
    )
    .await;
    let body = br#"{"echo":{"id":"7","name":"rex"}}"#;
    r.assert(
        200,
        &headers_with(
            &[("x-rendered", "yes"), ("content-type", "application/json")],
            &TRACED,
            &body.len().to_string(),
        ),
        body,
    );
    let seen = log.lock().unwrap().last().cloned().unwrap();
    assert_eq!(&seen.body[..], br#"{"id": "7", "name": "rex"}"#);

    // A content type without a template passes the body through (WHEN_NO_MATCH).
    let r = send(
        "POST",
        &gw.url("/tpl/7"),
        &[("content-type", "text/plain")],
        r#"{"raw": true}"#,
    )
    .await;
    let body = br#"{"echo":{"raw":true}}"#;
    r.assert(
        200,
        &headers_with(
            &[("content-type", "application/json")],
            &TRACED,
            &body.len().to_string(),
        ),
        body,
    );
    gw.gateway.shutdown().await;
}

/// `--explain`: a request with `X-Apigw-Explain` gets the mapped response and its explanation
/// as JSON; without the header, or without `--explain`, nothing changes.
#[tokio::test]
async fn explain_header_returns_the_explanation_when_enabled() {
    let gw = gateway(&mock_api(), |c| c.explain = true).await;
    let r = send(
        "GET",
        &gw.url("/items/none"),
        &[("x-apigw-explain", "1")],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    let doc: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(doc["response"]["status"], 404);
    assert_eq!(doc["response"]["body"], r#"{"message": "no such item"}"#);
    assert_eq!(doc["explanation"]["status"], 404);
    assert_eq!(doc["explanation"]["selected"], "404");
    assert_eq!(doc["explanation"]["selectedBy"], "pattern");
    assert_eq!(doc["explanation"]["template"], "application/json");
    assert!(
        doc["explanation"]["patterns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["statusCode"] == "404" && p["matched"] == true),
        "{doc}"
    );
    // Without the header: the ordinary response.
    let r = send("GET", &gw.url("/items/none"), &[], "").await;
    assert_eq!(r.status, 404);
    gw.gateway.shutdown().await;

    // Without --explain the header is ignored.
    let gw = gateway(&mock_api(), |_| {}).await;
    let r = send(
        "GET",
        &gw.url("/items/none"),
        &[("x-apigw-explain", "1")],
        "",
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(&r.body[..], br#"{"message": "no such item"}"#);
    gw.gateway.shutdown().await;
}

/// A deployment through the admin listener swaps the routes: the in-flight request finishes
/// on the deployment it started with, the next one sees the new deployment.
#[tokio::test]
async fn admin_deployment_swaps_atomically() {
    let calls = Arc::new(AtomicUsize::new(0));
    let (arrived_tx, arrived_rx) = tokio::sync::oneshot::channel::<()>();
    let arrived_tx = Arc::new(std::sync::Mutex::new(Some(arrived_tx)));
    let release = Arc::new(tokio::sync::Notify::new());
    let (c, a, rel) = (
        Arc::clone(&calls),
        Arc::clone(&arrived_tx),
        Arc::clone(&release),
    );
    let be = backend(move |_req| {
        let (c, a, rel) = (Arc::clone(&c), Arc::clone(&a), Arc::clone(&rel));
        async move {
            if c.fetch_add(1, Ordering::SeqCst) == 0 {
                if let Some(tx) = a.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                rel.notified().await;
            }
            reply(200, &[("Content-Type", "application/json")], r#"{"v": 1}"#)
        }
    })
    .await;
    let doc = document(
        json!({"/x": {"get": {"responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "http", "httpMethod": "GET", "uri": format!("http://{be}/"),
                "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": "old"}}}}}}}),
        &[],
    );
    let gw = gateway(&doc, |_| {}).await;
    let url = gw.url("/x");
    let in_flight = tokio::spawn(async move { send("GET", &url, &[], "").await });
    tokio::time::timeout(Duration::from_secs(3), arrived_rx)
        .await
        .unwrap()
        .unwrap();

    // Change the template and deploy through the admin API (AWS REST-JSON).
    let api = &gw.api_id;
    let resources = send(
        "GET",
        &gw.admin_url(&format!("/restapis/{api}/resources")),
        &[],
        "",
    )
    .await;
    assert_eq!(resources.status, 200);
    let items: Value = serde_json::from_slice(&resources.body).unwrap();
    let rid = items["item"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "/x")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = send(
        "PUT",
        &gw.admin_url(&format!(
            "/restapis/{api}/resources/{rid}/methods/GET/integration/responses/200"
        )),
        &[("content-type", "application/json")],
        r#"{"selectionPattern": "", "responseTemplates": {"application/json": "new"}}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", String::from_utf8_lossy(&r.body));
    // Not deployed yet: still the old mapping.
    let r = send("GET", &gw.url("/x"), &[], "").await;
    r.assert(
        200,
        &headers_with(&[("content-type", "application/json")], &TRACED, "3"),
        b"old",
    );
    let r = send(
        "POST",
        &gw.admin_url(&format!("/restapis/{api}/deployments")),
        &[("content-type", "application/json")],
        json!({"stageName": STAGE}).to_string(),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", String::from_utf8_lossy(&r.body));
    let r = send("GET", &gw.url("/x"), &[], "").await;
    r.assert(
        200,
        &headers_with(&[("content-type", "application/json")], &TRACED, "3"),
        b"new",
    );

    release.notify_one();
    let r = in_flight.await.unwrap();
    r.assert(
        200,
        &headers_with(&[("content-type", "application/json")], &TRACED, "3"),
        b"old",
    );

    // Admin errors keep AWS's shape.
    let r = send("GET", &gw.admin_url("/restapis/nope/resources"), &[], "").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-amzn-ErrorType"), Some("NotFoundException"));
    gw.gateway.shutdown().await;
}

#[tokio::test]
async fn admin_requires_signatures_unless_disabled() {
    let store = Arc::new(apigw_control::Store::in_memory(
        apigw_control::Config::default(),
    ));
    let gw = apigw_proxy::start(store, apigw_proxy::GatewayConfig::default())
        .await
        .unwrap();
    let admin = format!("http://{}/restapis", gw.admin_addr.unwrap());
    let r = send("GET", &admin, &[], "").await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("x-amzn-ErrorType"),
        Some("MissingAuthenticationTokenException")
    );
    // Nothing deployed: the data plane answers 403.
    let r = send("GET", &format!("http://{}/dev/x", gw.addr), &[], "").await;
    r.assert(
        403,
        ERROR_403,
        br#"{"message":"Missing Authentication Token"}"#,
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn http2_prior_knowledge() {
    let gw = gateway(&mock_api(), |_| {}).await;
    let h2 = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .http2_only(true)
        .build_http();
    let r = send_with(&h2, "GET", &gw.url("/items/7"), &[], "").await;
    // No `connection` header on h2; `$context.protocol` is HTTP/2.0.
    r.assert(
        200,
        &[
            ("content-type", "application/json"),
            ("x-amzn-requestid", "<request-id>"),
            ("x-amz-apigw-id", "<apigw-id>"),
            ("date", "<date>"),
            ("content-length", "28"),
        ],
        br#"{"id": "7", "method": "GET"}"#,
    );
    gw.gateway.shutdown().await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_requests() {
    let be = backend(|_req| async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        reply(200, &[("Content-Type", "application/json")], "{}")
    })
    .await;
    let gw = gateway(&single_http(&format!("http://{be}/"), None), |_| {}).await;
    let url = gw.url("/x");
    let addr = gw.gateway.addr;
    let in_flight = tokio::spawn(async move { send("GET", &url, &[], "").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    gw.gateway.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(2));
    // hyper announces the close on the connections it drains.
    let mut h = headers_with(&[("content-type", "application/json")], &TRACED, "2");
    h[4].1 = "close";
    in_flight.await.unwrap().assert(200, &h, b"{}");
    // The listener is closed.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// A raw backend that sends the response head and the first half of the body, then waits
/// for `release` before sending the rest.
async fn half_then_rest(
    content_type: &'static str,
    release: Arc<tokio::sync::Notify>,
) -> std::net::SocketAddr {
    use tokio::io::AsyncWriteExt;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let release = Arc::clone(&release);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: 8\r\n\r\n"
                );
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(&[0xff, 0x00, 0xfe, 0x01]).await;
                release.notified().await;
                let _ = s.write_all(&[0x80, 0x81, 0x82, 0x83]).await;
                let _ = s.flush().await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn untouched_binary_bodies_stream_others_are_buffered() {
    let release = Arc::new(tokio::sync::Notify::new());
    let be = half_then_rest("application/octet-stream", Arc::clone(&release)).await;
    let doc = document(
        json!({"/x": {"get": {"responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "http", "httpMethod": "GET", "uri": format!("http://{be}/"),
                "responses": {"default": {"statusCode": "200"}}}}}}),
        &["application/octet-stream"],
    );
    let gw = gateway(&doc, |_| {}).await;
    let c = client();
    let req = hyper::Request::get(gw.url("/x"))
        .header("Accept", "application/octet-stream")
        .body(http_body_util::Full::new(Bytes::new()))
        .unwrap();
    // The head arrives while the backend still holds half of the body back.
    let resp = tokio::time::timeout(Duration::from_secs(2), c.request(req))
        .await
        .expect("head before the body is complete")
        .unwrap();
    assert_eq!(resp.status(), 200);
    let names: Vec<&str> = resp.headers().keys().map(|n| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "content-type",
            "x-amzn-requestid",
            "x-amz-apigw-id",
            "x-amzn-trace-id",
            "connection",
            "content-length",
            "date"
        ]
    );
    assert_eq!(resp.headers()["content-length"], "8");
    assert_eq!(resp.headers()["content-type"], "application/json");
    release.notify_one();
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(&body[..], &[0xff, 0x00, 0xfe, 0x01, 0x80, 0x81, 0x82, 0x83]);

    // Without a binary Accept the body is base64-encoded: buffered, so the head waits.
    let req = hyper::Request::get(gw.url("/x"))
        .body(http_body_util::Full::new(Bytes::new()))
        .unwrap();
    let pending = tokio::spawn(async move { c.request(req).await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(!pending.is_finished());
    release.notify_one();
    let resp = pending.await.unwrap().unwrap();
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(&body[..], b"/wD+AYCBgoM=");
    gw.gateway.shutdown().await;
}

#[tokio::test]
async fn lambda_proxy_events_and_results() {
    let (lambda, log) = lambda_server().await;
    let method = |function: &str| {
        json!({"x-amazon-apigateway-any-method": {
            "x-amazon-apigateway-integration": {
                "type": "aws_proxy", "httpMethod": "POST",
                "uri": format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{function}/invocations")
            }
        }})
    };
    let mut things = method("proxy");
    things["x-amazon-apigateway-any-method"]["parameters"] =
        json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]);
    let doc = document(
        json!({
            "/things/{id}": things,
            "/bin": method("proxy-bin"),
            "/bad": method("proxy-bad"),
            "/boom": method("boom"),
            "/gone": method("gone"),
        }),
        &["application/octet-stream"],
    );
    let gw = gateway(&doc, |c| {
        c.lambda_endpoint = Some(format!("http://{lambda}"))
    })
    .await;

    let r = send(
        "PATCH",
        &gw.url("/things/7?a=1&a=2&b=x"),
        &[("X-In", "hi")],
        "payload",
    )
    .await;
    let body = json!({
        "resource": "/things/{id}", "path": "/things/7", "httpMethod": "PATCH",
        "query": {"a": "2", "b": "x"}, "multiQuery": {"a": ["1", "2"], "b": ["x"]},
        "pathParameters": {"id": "7"}, "body": "payload", "isBase64Encoded": false,
        "stage": STAGE, "header": "hi",
    })
    .to_string();
    r.assert(
        201,
        &[
            ("x-multi", "a"),
            ("x-multi", "b"),
            ("x-one", "1"),
            ("content-type", "application/json"),
            ("x-amzn-requestid", "<request-id>"),
            ("x-amz-apigw-id", "<apigw-id>"),
            ("connection", "keep-alive"),
            ("content-length", &body.len().to_string()),
            ("date", "<date>"),
        ],
        body.as_bytes(),
    );
    let event: Value = serde_json::from_slice(&log.lock().unwrap().last().unwrap().body).unwrap();
    assert_eq!(event["requestContext"]["resourcePath"], "/things/{id}");
    assert_eq!(event["requestContext"]["path"], "/test/things/7");

    // Base64 results are decoded for a binary Accept, returned as text otherwise.
    let bin_headers = |len| {
        vec![
            ("content-type", "application/octet-stream"),
            ("x-amzn-requestid", "<request-id>"),
            ("x-amz-apigw-id", "<apigw-id>"),
            ("connection", "keep-alive"),
            ("content-length", len),
            ("date", "<date>"),
        ]
    };
    let r = send(
        "GET",
        &gw.url("/bin"),
        &[("Accept", "application/octet-stream")],
        "",
    )
    .await;
    r.assert(200, &bin_headers("4"), &[0x00, 0xff, 0x01, 0x80]);
    let r = send("GET", &gw.url("/bin"), &[], "").await;
    r.assert(200, &bin_headers("8"), b"AP8BgA==");

    // Malformed result and function error: 502; service error: 500.
    let mut h502 = error_500();
    h502[5].1 = "36";
    send("GET", &gw.url("/bad"), &[], "")
        .await
        .assert(502, &h502, BODY_500);
    send("GET", &gw.url("/boom"), &[], "")
        .await
        .assert(502, &h502, BODY_500);
    send("GET", &gw.url("/gone"), &[], "")
        .await
        .assert(500, &error_500(), BODY_500);
    gw.gateway.shutdown().await;
}

/// Stage variables reach the backend URI and the templates; a second stage deployed through
/// the admin API is served next to the first.
#[tokio::test]
async fn stage_variables_and_second_stage() {
    let log: Log = Arc::default();
    let l = Arc::clone(&log);
    let be = backend(move |req| {
        let l = Arc::clone(&l);
        async move {
            let s = seen(req).await;
            l.lock().unwrap().push(s);
            reply(200, &[("Content-Type", "application/json")], "{}")
        }
    })
    .await;
    let doc = document(
        json!({"/v": {"get": {"responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "http", "httpMethod": "GET",
                "uri": "http://${stageVariables.backend}/by/${stageVariables.name}",
                "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json":
                    "{\"name\": \"$stageVariables.name\", \"ip\": \"$context.identity.sourceIp\", \"stage\": \"$context.stage\"}"}}}}}}}),
        &[],
    );
    let gw = gateway(&doc, |_| {}).await;
    let r = send(
        "POST",
        &gw.admin_url(&format!("/restapis/{}/deployments", gw.api_id)),
        &[],
        json!({"stageName": "vars", "variables": {"backend": be.to_string(), "name": "blue"}})
            .to_string(),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", String::from_utf8_lossy(&r.body));
    let url = format!("http://{}/vars/v", gw.gateway.addr);
    let body = br#"{"name": "blue", "ip": "127.0.0.1", "stage": "vars"}"#;
    send("GET", &url, &[], "").await.assert(
        200,
        &headers_with(
            &[("content-type", "application/json")],
            &TRACED,
            &body.len().to_string(),
        ),
        body,
    );
    assert_eq!(log.lock().unwrap().last().unwrap().uri, "/by/blue");
    // The first stage has no variables: the backend address is empty, a configuration error.
    send("GET", &gw.url("/v"), &[], "")
        .await
        .assert(500, &error_500(), BODY_500);
    gw.gateway.shutdown().await;
}

/// Deployments land while requests run concurrently: every request gets a complete answer
/// from one deployment or the other, none fails.
#[tokio::test]
async fn deployments_under_load_never_fail_a_request() {
    let doc = document(
        json!({"/m": {"get": {"responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "mock",
                "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": "v0"}}}}}}}),
        &[],
    );
    let gw = gateway(&doc, |_| {}).await;
    let api = gw.api_id.clone();
    let resources = send(
        "GET",
        &gw.admin_url(&format!("/restapis/{api}/resources")),
        &[],
        "",
    )
    .await;
    let items: Value = serde_json::from_slice(&resources.body).unwrap();
    let rid = items["item"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "/m")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let url = gw.url("/m");
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let c = client();
                let mut seen = Vec::new();
                for _ in 0..25 {
                    let r = send_with(&c, "GET", &url, &[], "").await;
                    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
                    seen.push(String::from_utf8(r.body.to_vec()).unwrap());
                }
                seen
            })
        })
        .collect();
    let integration_response =
        format!("/restapis/{api}/resources/{rid}/methods/GET/integration/responses/200");
    for v in 1..=5 {
        let body = json!({"selectionPattern": "", "responseTemplates": {"application/json": format!("v{v}")}});
        let r = send(
            "PUT",
            &gw.admin_url(&integration_response),
            &[],
            body.to_string(),
        )
        .await;
        assert_eq!(r.status, 201);
        let r = send(
            "POST",
            &gw.admin_url(&format!("/restapis/{api}/deployments")),
            &[],
            json!({"stageName": STAGE}).to_string(),
        )
        .await;
        assert_eq!(r.status, 201);
    }
    for c in clients {
        for body in c.await.unwrap() {
            assert!(
                ["v0", "v1", "v2", "v3", "v4", "v5"].contains(&body.as_str()),
                "{body}"
            );
        }
    }
    assert_eq!(
        send("GET", &url, &[], "").await.body,
        Bytes::from_static(b"v5")
    );
    gw.gateway.shutdown().await;
}

/// Without `api_id` the first REST API that gets a stage is served, and stays served when
/// another one is deployed later.
#[tokio::test]
async fn served_api_is_chosen_once() {
    let store = Arc::new(apigw_control::Store::in_memory(apigw_control::Config {
        auth_disabled: true,
        ..apigw_control::Config::default()
    }));
    let gw = apigw_proxy::start(Arc::clone(&store), apigw_proxy::GatewayConfig::default())
        .await
        .unwrap();
    let admin = format!("http://{}", gw.admin_addr.unwrap());
    let mock = |text: &str| {
        document(
            json!({"/w": {"get": {"responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {"type": "mock",
                    "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                    "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": text}}}}}}}),
            &[],
        )
    };
    let mut ids = Vec::new();
    for text in ["first", "second"] {
        let api = store.import_rest_api(mock(text).as_bytes(), None).unwrap();
        let id = api["id"].as_str().unwrap().to_owned();
        let r = send(
            "POST",
            &format!("{admin}/restapis/{id}/deployments"),
            &[],
            json!({"stageName": "live"}).to_string(),
        )
        .await;
        assert_eq!(r.status, 201);
        ids.push(id);
        let r = send("GET", &format!("http://{}/live/w", gw.addr), &[], "").await;
        assert_eq!((r.status, &r.body[..]), (200, &b"first"[..]));
    }
    gw.shutdown().await;
}

#[tokio::test]
async fn passthrough_behavior_refuses_unmapped_content_types() {
    let method = |behavior: &str, templates: Value| {
        json!({"post": {"responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "mock", "passthroughBehavior": behavior,
                "requestTemplates": templates,
                "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": "ok"}}}}}})
    };
    let json_only = json!({"application/json": "{\"statusCode\": 200}"});
    let doc = document(
        json!({
            "/never": method("never", json_only.clone()),
            "/when-no-templates": method("when_no_templates", json_only.clone()),
            "/when-no-match": method("when_no_match", json_only),
            "/no-templates": method("when_no_templates", json!({})),
        }),
        &[],
    );
    let gw = gateway(&doc, |_| {}).await;
    let refused = [
        ("content-type", "application/json"),
        ("x-amzn-requestid", "<request-id>"),
        ("x-amz-apigw-id", "<apigw-id>"),
        ("connection", "keep-alive"),
        ("content-length", "36"),
        ("date", "<date>"),
    ];
    for path in ["/never", "/when-no-templates"] {
        let r = send(
            "POST",
            &gw.url(path),
            &[("Content-Type", "text/plain")],
            "x",
        )
        .await;
        r.assert(415, &refused, br#"{"message":"Unsupported Media Type"}"#);
        // A matching content type (parameters and case ignored), or none (= JSON), passes.
        for ct in [Some("Application/JSON; charset=utf-8"), None] {
            let headers: Vec<(&str, &str)> = ct.map(|c| ("Content-Type", c)).into_iter().collect();
            let r = send("POST", &gw.url(path), &headers, "{}").await;
            assert_eq!((r.status, &r.body[..]), (200, &b"ok"[..]), "{path} {ct:?}");
        }
    }
    for path in ["/when-no-match", "/no-templates"] {
        let r = send(
            "POST",
            &gw.url(path),
            &[("Content-Type", "text/plain")],
            "x",
        )
        .await;
        assert_eq!((r.status, &r.body[..]), (200, &b"ok"[..]), "{path}");
    }
    gw.gateway.shutdown().await;
}
