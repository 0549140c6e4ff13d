//! Control-plane cases (`"kind": "control"`, FORMAT.md): the `setup` state is built through
//! `apigw-control`'s wire protocol (auth disabled), the `call` is sent as boto3 would send it
//! (AWS's REST-JSON path and body), and the answer is compared with `expect`.
//!
//! Placeholders: the case's `input.restApiId` and `input.resourceId` stand for the REST API
//! and the resource that `setup` creates (a resource `/test` under the root); when `setup`
//! says the object must not exist, the placeholder is sent as it is and names nothing.
//! Besides the keys of FORMAT.md, `setup.integrationResponses` (a list of
//! `put_integration_response` inputs without the URI members) creates integration responses
//! before the call.

use apigw_control::{Config, Response, Store};
use serde_json::{Map, Value, json};

const LAMBDA_URI: &str = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/\
                          arn:aws:lambda:us-east-1:123456789012:function:f/invocations";

/// Percent-encodes a path segment as botocore does (unreserved characters kept).
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn send(store: &Store, method: &str, path: &str, body: &Value) -> Response {
    let bytes = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    store.handle(method, path, "", &[], &bytes)
}

fn expect_ok(r: &Response, what: &str) -> Result<Value, String> {
    if r.status < 300 {
        Ok(r.json())
    } else {
        Err(format!(
            "setup step {what} failed: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        ))
    }
}

fn flag(setup: &Value, name: &str) -> bool {
    setup.get(name).and_then(Value::as_bool).unwrap_or(true)
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Runs one control-plane case.
pub(crate) fn run(case: &Value) -> Result<(), String> {
    let setup = case.get("setup").cloned().unwrap_or_else(|| json!({}));
    let call = str_of(case, "call").ok_or("case has no \"call\"")?;
    let input = case
        .get("input")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let expect = case.get("expect").ok_or("case has no \"expect\"")?;
    let store = Store::in_memory(Config {
        auth_disabled: true,
        ..Config::default()
    });

    let api_placeholder = input
        .get("restApiId")
        .and_then(Value::as_str)
        .unwrap_or("a1")
        .to_owned();
    let res_placeholder = input
        .get("resourceId")
        .and_then(Value::as_str)
        .unwrap_or("r1")
        .to_owned();
    let http_method = input
        .get("httpMethod")
        .and_then(Value::as_str)
        .unwrap_or("GET")
        .to_owned();
    let mut api_id = api_placeholder.clone();
    let mut resource_id = res_placeholder.clone();

    if flag(&setup, "restApi") {
        let api = expect_ok(
            &send(&store, "POST", "/restapis", &json!({"name": "conformance"})),
            "create_rest_api",
        )?;
        api_id = str_of(&api, "id").unwrap_or_default().to_owned();
        let root = str_of(&api, "rootResourceId")
            .unwrap_or_default()
            .to_owned();
        let base = format!("/restapis/{api_id}/resources");
        if flag(&setup, "resource") {
            let res = expect_ok(
                &send(
                    &store,
                    "POST",
                    &format!("{base}/{root}"),
                    &json!({"pathPart": "test"}),
                ),
                "create_resource",
            )?;
            resource_id = str_of(&res, "id").unwrap_or_default().to_owned();
            let method_path = format!("{base}/{resource_id}/methods/{}", encode(&http_method));
            if flag(&setup, "method") {
                expect_ok(
                    &send(
                        &store,
                        "PUT",
                        &method_path,
                        &json!({"authorizationType": "NONE"}),
                    ),
                    "put_method",
                )?;
                let params = setup
                    .get("methodResponseParameters")
                    .cloned()
                    .unwrap_or_else(|| json!({}));
                for code in setup
                    .get("methodResponses")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    let mut body = json!({});
                    if let Some(p) = params.get(code) {
                        body["responseParameters"] = p.clone();
                    }
                    expect_ok(
                        &send(
                            &store,
                            "PUT",
                            &format!("{method_path}/responses/{}", encode(code)),
                            &body,
                        ),
                        "put_method_response",
                    )?;
                }
                if flag(&setup, "integration") {
                    let ty = str_of(&setup, "integrationType").unwrap_or("MOCK");
                    let body = match ty {
                        "HTTP" | "HTTP_PROXY" => {
                            json!({"type": ty, "httpMethod": "GET", "uri": "https://example.com/"})
                        }
                        "AWS" | "AWS_PROXY" => {
                            json!({"type": ty, "httpMethod": "POST", "uri": LAMBDA_URI})
                        }
                        _ => json!({"type": ty}),
                    };
                    expect_ok(
                        &send(&store, "PUT", &format!("{method_path}/integration"), &body),
                        "put_integration",
                    )?;
                    for ir in setup
                        .get("integrationResponses")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let code = str_of(ir, "statusCode").unwrap_or("200");
                        let mut body = ir.clone();
                        if let Some(m) = body.as_object_mut() {
                            m.remove("statusCode");
                        }
                        expect_ok(
                            &send(
                                &store,
                                "PUT",
                                &format!("{method_path}/integration/responses/{}", encode(code)),
                                &body,
                            ),
                            "put_integration_response",
                        )?;
                    }
                }
            }
        }
    }

    // The call, as boto3 sends it.
    let mut body: Map<String, Value> = input.clone();
    for k in ["restApiId", "resourceId", "httpMethod", "statusCode"] {
        body.remove(k);
    }
    let method_path = format!(
        "/restapis/{}/resources/{}/methods/{}",
        encode(&api_id),
        encode(&resource_id),
        encode(&http_method)
    );
    let code = input
        .get("statusCode")
        .and_then(Value::as_str)
        .unwrap_or("200");
    let (verb, path) = match call {
        "put_integration_response" => (
            "PUT",
            format!("{method_path}/integration/responses/{}", encode(code)),
        ),
        "get_integration_response" => (
            "GET",
            format!("{method_path}/integration/responses/{}", encode(code)),
        ),
        "update_integration_response" => (
            "PATCH",
            format!("{method_path}/integration/responses/{}", encode(code)),
        ),
        "delete_integration_response" => (
            "DELETE",
            format!("{method_path}/integration/responses/{}", encode(code)),
        ),
        "put_method_response" => ("PUT", format!("{method_path}/responses/{}", encode(code))),
        "get_method_response" => ("GET", format!("{method_path}/responses/{}", encode(code))),
        "update_method_response" => ("PATCH", format!("{method_path}/responses/{}", encode(code))),
        "delete_method_response" => (
            "DELETE",
            format!("{method_path}/responses/{}", encode(code)),
        ),
        "put_integration" => {
            if let Some(m) = body.remove("integrationHttpMethod") {
                body.insert("httpMethod".into(), m);
            }
            ("PUT", format!("{method_path}/integration"))
        }
        "get_integration" => ("GET", format!("{method_path}/integration")),
        "delete_integration" => ("DELETE", format!("{method_path}/integration")),
        "put_method" => ("PUT", method_path.clone()),
        "get_method" => ("GET", method_path.clone()),
        other => return Err(format!("unsupported control call {other:?}")),
    };
    let body_value = if matches!(verb, "GET" | "DELETE") {
        Value::Null
    } else {
        Value::Object(body)
    };
    let got = send(&store, verb, &path, &body_value);
    compare(expect, &got)
}

fn compare(expect: &Value, got: &Response) -> Result<(), String> {
    let body = String::from_utf8_lossy(&got.body).into_owned();
    if let Some(name) = expect.get("error").and_then(Value::as_str) {
        if got.status < 400 {
            return Err(format!(
                "expected {name}, got success {}: {body}",
                got.status
            ));
        }
        let have = got.header("x-amzn-ErrorType").unwrap_or("");
        let mut diff = String::new();
        if have != name {
            diff.push_str(&format!("error: expected {name}, got {have} ({body})\n"));
        }
        if let Some(want) = expect.get("message").and_then(Value::as_str) {
            let msg = got.json().get("message").cloned().unwrap_or(Value::Null);
            if msg.as_str() != Some(want) {
                diff.push_str(&format!(
                    "message:\n  expected {want:?}\n  got      {msg}\n"
                ));
            }
        }
        return if diff.is_empty() { Ok(()) } else { Err(diff) };
    }
    if let Some(want) = expect.get("response") {
        if got.status >= 300 {
            return Err(format!("expected a response, got {}: {body}", got.status));
        }
        // An empty body (204/202) is boto3's empty dict.
        let have = if got.body.is_empty() {
            json!({})
        } else {
            got.json()
        };
        return if have == *want {
            Ok(())
        } else {
            Err(format!("response:\n  expected {want}\n  got      {have}"))
        };
    }
    Err("expect has neither \"error\" nor \"response\"".into())
}
