//! AWS_PROXY (Lambda proxy): the payload-format-1.0 event and the function's result.

use bytes::Bytes;
use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue, StatusCode};
use hyper::Response;
use serde_json::Value;

use super::{Body, Invocation, full};

/// A JSON object of `pairs` (the last value of a repeated name wins), `null` when empty.
fn single_map(pairs: &[(String, String)]) -> Value {
    if pairs.is_empty() {
        return Value::Null;
    }
    let mut m = serde_json::Map::new();
    for (k, v) in pairs {
        m.insert(k.clone(), Value::String(v.clone()));
    }
    Value::Object(m)
}

/// A JSON object of arrays of `pairs`' values, `null` when empty.
fn multi_map(pairs: &[(String, String)]) -> Value {
    if pairs.is_empty() {
        return Value::Null;
    }
    let mut m = serde_json::Map::new();
    for (k, v) in pairs {
        if let Value::Array(list) = m
            .entry(k.clone())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            list.push(Value::String(v.clone()));
        }
    }
    Value::Object(m)
}

/// The Lambda proxy event (REST API payload format 1.0).
pub(super) fn proxy_event(inv: &Invocation<'_>, body: &Bytes) -> Value {
    let ctx = &inv.ctx;
    let stage = ctx.context_str("stage").unwrap_or("");
    let full_path = ctx.context_str("path").unwrap_or("/");
    let path = full_path
        .strip_prefix(&format!("/{stage}"))
        .filter(|p| p.starts_with('/'))
        .unwrap_or("/");
    let binary = ctx
        .header("content-type")
        .is_some_and(|ct| inv.stage.binary_media_types.matches(ct));
    let (body, is_base64) = if body.is_empty() {
        (Value::Null, false)
    } else if binary {
        (
            Value::String(apigw_mapping::content::base64_encode(body)),
            true,
        )
    } else {
        (
            Value::String(String::from_utf8_lossy(body).into_owned()),
            false,
        )
    };
    serde_json::json!({
        "resource": inv.method.resource_path,
        "path": path,
        "httpMethod": inv.client_method.as_str(),
        "headers": single_map(&ctx.headers),
        "multiValueHeaders": multi_map(&ctx.headers),
        "queryStringParameters": single_map(&ctx.query_string),
        "multiValueQueryStringParameters": multi_map(&ctx.query_string),
        "pathParameters": single_map(&ctx.path_parameters),
        "stageVariables": single_map(&ctx.stage_variables),
        "requestContext": Value::Object(ctx.context_map().into_owned()),
        "body": body,
        "isBase64Encoded": is_base64,
    })
}

/// The client response of a Lambda proxy result, or why the result is malformed.
pub(super) fn proxy_result(bytes: &[u8], accept_binary: bool) -> Result<Response<Body>, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let Value::Object(m) = v else {
        return Err("not a JSON object".into());
    };
    if let Some(k) = m.keys().find(|k| {
        !matches!(
            k.as_str(),
            "statusCode" | "headers" | "multiValueHeaders" | "body" | "isBase64Encoded"
        )
    }) {
        return Err(format!("unexpected field {k}"));
    }
    let status = match m.get("statusCode") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
    .and_then(|n| u16::try_from(n).ok())
    .and_then(|n| StatusCode::from_u16(n).ok())
    .ok_or("statusCode missing or invalid")?;
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let mut headers = HeaderMap::new();
    let mut add = |name: &str, value: String| -> Result<(), String> {
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|e| e.to_string())?;
        let v = HeaderValue::from_str(&value).map_err(|e| e.to_string())?;
        headers.append(n, v);
        Ok(())
    };
    let multi = m.get("multiValueHeaders").and_then(Value::as_object);
    if let Some(mv) = multi {
        for (k, vals) in mv {
            for v in vals
                .as_array()
                .ok_or("multiValueHeaders values must be lists")?
            {
                add(k, scalar(v).ok_or("header values must be scalars")?)?;
            }
        }
    }
    if let Some(h) = m.get("headers").filter(|h| !h.is_null()) {
        for (k, v) in h.as_object().ok_or("headers must be an object")? {
            let shadowed = multi.is_some_and(|mv| mv.keys().any(|x| x.eq_ignore_ascii_case(k)));
            if !shadowed {
                add(k, scalar(v).ok_or("header values must be scalars")?)?;
            }
        }
    }
    if !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    let body = match m.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(s)) => {
            let base64 = m
                .get("isBase64Encoded")
                .is_some_and(|b| b.as_bool() == Some(true));
            if base64 && accept_binary {
                Bytes::from(
                    apigw_mapping::content::base64_decode(s.as_bytes())
                        .map_err(|e| format!("body is not base64: {e}"))?,
                )
            } else {
                Bytes::from(s.clone())
            }
        }
        Some(_) => return Err("body must be a string".into()),
    };
    let mut resp = Response::new(full(body));
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_results() {
        for bad in [
            &br#"not json"#[..],
            br#"[1]"#,
            br#"{"statusCode": 200, "extra": 1}"#,
            br#"{"statusCode": "abc"}"#,
            br#"{"statusCode": 200, "body": {"x": 1}}"#,
            br#"{"statusCode": 200, "headers": {"X": {"y": 1}}}"#,
            br#"{"body": "x"}"#,
        ] {
            assert!(
                proxy_result(bad, false).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let ok = proxy_result(br#"{"statusCode": "204", "headers": {"X-N": 1}}"#, false).unwrap();
        assert_eq!(ok.status(), 204);
        assert_eq!(ok.headers()["x-n"], "1");
        assert_eq!(ok.headers()["content-type"], "application/json");
    }

    #[test]
    fn maps() {
        let pairs = vec![
            ("a".to_owned(), "1".to_owned()),
            ("a".to_owned(), "2".to_owned()),
        ];
        assert_eq!(single_map(&pairs), serde_json::json!({"a": "2"}));
        assert_eq!(multi_map(&pairs), serde_json::json!({"a": ["1", "2"]}));
        assert_eq!(single_map(&[]), Value::Null);
    }
}
