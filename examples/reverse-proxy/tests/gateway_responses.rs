//! The proxy's own errors answered with the API's customised gateway responses (SPEC §7.2):
//! each type directly (status, `responseParameters`, `responseTemplates` with
//! `$context.error`), the `DEFAULT_4XX` / `DEFAULT_5XX` fallbacks, a customisation without
//! templates (the default body), and a change through the admin API after redeployment.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

/// The methods every test API has: MOCK `/ok` (JSON only, `NEVER` passthrough), a slow
/// backend (`/slow`, 200 ms timeout), an unreachable one (`/down`), a Lambda proxy whose
/// function fails (`/fails`).
async fn paths() -> Value {
    let slow = backend(|_req| async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        reply(200, &[], "late")
    })
    .await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let lambda = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:boom/invocations";
    let http = |uri: String, timeout: u64| {
        json!({"get": {
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "http", "httpMethod": "GET", "uri": uri,
                "timeoutInMillis": timeout, "responses": {"default": {"statusCode": "200"}}}}})
    };
    json!({
        "/ok": {"post": {
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "mock", "passthroughBehavior": "NEVER",
                "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                "responses": {"default": {"statusCode": "200",
                    "responseTemplates": {"application/json": "ok"}}}}}},
        "/slow": http(format!("http://{slow}/"), 200),
        "/down": http(format!("http://{closed}/"), 29000),
        "/fails": {"get": {
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST",
                "uri": lambda}}},
    })
}

fn api(paths: Value, responses: Value) -> String {
    json!({
        "openapi": "3.0.1",
        "info": {"title": "gateway responses", "version": "1"},
        "paths": paths,
        "x-amazon-apigateway-gateway-responses": responses,
    })
    .to_string()
}

/// A customised response: status, a static and a request-header parameter, a template that
/// prints the error.
fn custom(status: &str) -> Value {
    json!({
        "statusCode": status,
        "responseParameters": {
            "gatewayresponse.header.X-Custom": "'yes'",
            "gatewayresponse.header.X-Echo": "method.request.header.x-in",
        },
        "responseTemplates": {"application/json":
            "{\"type\": \"$context.error.responseType\", \"message\": $context.error.messageString, \"stage\": \"$context.stage\", \"id\": \"$context.requestId\"}"},
    })
}

/// The three requests of every test that end in the proxy's own errors, by type.
async fn call(gw: &TestGateway, what: &str) -> Got {
    let h = [("x-in", "echoed")];
    match what {
        "MISSING_AUTHENTICATION_TOKEN" => send("GET", &gw.url("/nowhere"), &h, "").await,
        "INTEGRATION_TIMEOUT" => send("GET", &gw.url("/slow"), &h, "").await,
        "API_CONFIGURATION_ERROR" => send("GET", &gw.url("/down"), &h, "").await,
        "INTEGRATION_FAILURE" => send("GET", &gw.url("/fails"), &h, "").await,
        "UNSUPPORTED_MEDIA_TYPE" => {
            let h = [("x-in", "echoed"), ("content-type", "text/plain")];
            send("POST", &gw.url("/ok"), &h, "x").await
        }
        "REQUEST_TOO_LARGE" => send("POST", &gw.url("/ok"), &h, vec![b'x'; 2048]).await,
        other => panic!("{other}"),
    }
}

/// (type, the proxy's default status, `x-amzn-ErrorType`, `$context.error.message`).
const ERRORS: [(&str, u16, Option<&str>, &str); 6] = [
    (
        "MISSING_AUTHENTICATION_TOKEN",
        403,
        Some("MissingAuthenticationTokenException"),
        "Missing Authentication Token",
    ),
    (
        "INTEGRATION_TIMEOUT",
        504,
        Some("InternalServerErrorException"),
        "Endpoint request timed out",
    ),
    (
        "API_CONFIGURATION_ERROR",
        500,
        Some("InternalServerErrorException"),
        "Internal server error",
    ),
    (
        "INTEGRATION_FAILURE",
        502,
        Some("InternalServerErrorException"),
        "Internal server error",
    ),
    (
        "UNSUPPORTED_MEDIA_TYPE",
        415,
        None,
        "Unsupported Media Type",
    ),
    ("REQUEST_TOO_LARGE", 413, None, "Request Too Long"),
];

async fn start(responses: Value) -> TestGateway {
    let (lambda, _) = lambda_server().await;
    gateway(&api(paths().await, responses), |c| {
        c.max_payload_bytes = 1024;
        c.lambda_endpoint = Some(format!("http://{lambda}"));
    })
    .await
}

/// The expected answer of a customised response: `status`, the mapped headers, the
/// gateway's headers, the rendered template.
fn check(r: &Got, status: u16, error_type: Option<&str>, response_type: &str, message: &str) {
    let body = format!(
        r#"{{"type": "{response_type}", "message": "{message}", "stage": "{STAGE}", "id": "{}"}}"#,
        r.header("x-amzn-requestid").unwrap_or_default()
    );
    let len = body.len().to_string();
    let mut headers = vec![
        ("x-custom", "yes"),
        ("x-echo", "echoed"),
        ("content-type", "application/json"),
    ];
    if let Some(t) = error_type {
        headers.push(("x-amzn-errortype", t));
    }
    headers.extend([
        ("x-amzn-requestid", "<request-id>"),
        ("x-amz-apigw-id", "<apigw-id>"),
        ("connection", "keep-alive"),
        ("content-length", len.as_str()),
        ("date", "<date>"),
    ]);
    r.assert(status, &headers, body.as_bytes());
}

/// Each type customised directly: its status (4xx types moved to other codes), parameters
/// and template.
#[tokio::test]
async fn each_type_customised() {
    let mut responses = serde_json::Map::new();
    for (i, (t, ..)) in ERRORS.iter().enumerate() {
        responses.insert((*t).into(), custom(&format!("4{:02}", 20 + i)));
    }
    let gw = start(Value::Object(responses)).await;
    for (i, (t, _, error_type, message)) in ERRORS.iter().enumerate() {
        let r = call(&gw, t).await;
        check(&r, 420 + i as u16, *error_type, t, message);
    }
    // The routes themselves still work.
    let r = send("POST", &gw.url("/ok"), &[], "{}").await;
    assert_eq!((r.status, &r.body[..]), (200, &b"ok"[..]));
    gw.gateway.shutdown().await;
}

/// Only `DEFAULT_4XX` and `DEFAULT_5XX` customised, without status codes: every 4xx error
/// takes `DEFAULT_4XX`'s parameters and template with its own status, every 5xx error
/// `DEFAULT_5XX`'s.
#[tokio::test]
async fn default_4xx_and_5xx_fallbacks() {
    let mut four = custom("400");
    four.as_object_mut().unwrap().remove("statusCode");
    let mut five = custom("500");
    five.as_object_mut().unwrap().remove("statusCode");
    five["responseParameters"]["gatewayresponse.header.X-Custom"] = json!("'five'");
    let gw = start(json!({"DEFAULT_4XX": four, "DEFAULT_5XX": five})).await;
    for (t, status, error_type, message) in ERRORS {
        let r = call(&gw, t).await;
        if status >= 500 {
            // The same shape with `X-Custom: five`.
            assert_eq!(r.header("x-custom"), Some("five"), "{t}: {r:?}");
            let mut fixed = r;
            for h in &mut fixed.headers {
                if h.0 == "x-custom" {
                    h.1 = "yes".into();
                }
            }
            check(&fixed, status, error_type, t, message);
        } else {
            check(&r, status, error_type, t, message);
        }
    }
    gw.gateway.shutdown().await;
}

/// A method request body that cannot be read (broken chunked encoding) answers
/// `BAD_REQUEST_BODY`, here through `DEFAULT_4XX`, and still closes the connection.
#[tokio::test]
async fn bad_request_body_through_default_4xx() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let gw = start(json!({"DEFAULT_4XX": {"statusCode": "422",
        "responseTemplates": {"application/json": "{\"t\": \"$context.error.responseType\"}"}}}))
    .await;
    let mut s = tokio::net::TcpStream::connect(gw.gateway.addr)
        .await
        .unwrap();
    let request = format!(
        "POST /{STAGE}/ok HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nabcde\r\nzz\r\n"
    );
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut out)).await;
    let answer = String::from_utf8_lossy(&out);
    assert!(
        answer.starts_with("HTTP/1.1 422 Unprocessable Entity\r\n"),
        "{answer}"
    );
    assert!(
        answer.contains("\r\nx-amzn-errortype: BadRequestException\r\n"),
        "{answer}"
    );
    assert!(answer.contains("\r\nconnection: close\r\n"), "{answer}");
    assert!(
        answer.ends_with("\r\n\r\n{\"t\": \"BAD_REQUEST_BODY\"}"),
        "{answer}"
    );
    gw.gateway.shutdown().await;
}

/// A customisation without templates gets the control plane's default template
/// (`{"message":$context.error.messageString}`, no space) with the customised status and
/// headers; an unstaged path (no deployment) keeps API Gateway's default.
#[tokio::test]
async fn customisation_without_templates_renders_the_default_template() {
    let gw = start(json!({
        "INTEGRATION_TIMEOUT": {"statusCode": "503",
            "responseParameters": {"gatewayresponse.header.Retry-After": "'1'"}},
        "MISSING_AUTHENTICATION_TOKEN": {"statusCode": "404"},
    }))
    .await;
    let r = call(&gw, "INTEGRATION_TIMEOUT").await;
    r.assert(
        503,
        &[
            ("retry-after", "1"),
            ("content-type", "application/json"),
            ("x-amzn-errortype", "InternalServerErrorException"),
            ("x-amzn-requestid", "<request-id>"),
            ("x-amz-apigw-id", "<apigw-id>"),
            ("connection", "keep-alive"),
            ("content-length", "40"),
            ("date", "<date>"),
        ],
        br#"{"message":"Endpoint request timed out"}"#,
    );
    let r = call(&gw, "MISSING_AUTHENTICATION_TOKEN").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        &r.body[..],
        br#"{"message":"Missing Authentication Token"}"#
    );
    // Another stage name: nothing is deployed there, API Gateway's default answers.
    let r = send(
        "GET",
        &format!("http://{}/other/ok", gw.gateway.addr),
        &[],
        "",
    )
    .await;
    assert_eq!(r.status, 403);
    gw.gateway.shutdown().await;
}

/// `put_gateway_response` through the admin API takes effect with the next deployment.
#[tokio::test]
async fn admin_change_applies_after_redeployment() {
    let gw = start(json!({})).await;
    let r = call(&gw, "MISSING_AUTHENTICATION_TOKEN").await;
    assert_eq!(r.status, 403);
    let put = send(
        "PUT",
        &gw.admin_url(&format!(
            "/restapis/{}/gatewayresponses/MISSING_AUTHENTICATION_TOKEN",
            gw.api_id
        )),
        &[],
        json!({"statusCode": "404", "responseTemplates": {"application/json": "{\"nothing\": \"here\"}"}})
            .to_string(),
    )
    .await;
    assert_eq!(put.status, 201, "{put:?}");
    let r = call(&gw, "MISSING_AUTHENTICATION_TOKEN").await;
    assert_eq!(r.status, 403, "not deployed yet");
    let d = send(
        "POST",
        &gw.admin_url(&format!("/restapis/{}/deployments", gw.api_id)),
        &[],
        json!({"stageName": STAGE}).to_string(),
    )
    .await;
    assert_eq!(d.status, 201, "{d:?}");
    let r = call(&gw, "MISSING_AUTHENTICATION_TOKEN").await;
    r.assert(
        404,
        &[
            ("content-type", "application/json"),
            ("x-amzn-errortype", "MissingAuthenticationTokenException"),
            ("x-amzn-requestid", "<request-id>"),
            ("x-amz-apigw-id", "<apigw-id>"),
            ("connection", "keep-alive"),
            ("content-length", "19"),
            ("date", "<date>"),
        ],
        br#"{"nothing": "here"}"#,
    );
    gw.gateway.shutdown().await;
}
