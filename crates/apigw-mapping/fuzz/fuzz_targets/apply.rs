//! Applies a fixed set of compiled integrations to arbitrary backend responses.
//!
//! The integrations are the `api` sections of every data case in `conformance/cases`
//! (HTTP with responseParameters, templates and binary media types, AWS, Lambda, MOCK,
//! gateway responses), compiled once, plus the case's request (with the `Accept` header
//! replaceable by the input).
//!
//! Input layout:
//! `[case index: u16 LE][flags: u8][status: u16 LE] accept \0 headers \0 body`
//! where flags bit 0 = Lambda function error, bit 1 = replace the request's `Accept` with
//! `accept`, bit 2 = drop the request's headers; `headers` is `name: value` lines.
#![no_main]

use std::sync::OnceLock;

use apigw_mapping::{
    BackendResponse, CompiledIntegration, IntegrationKind, IntegrationResponse, IntegrationSpec,
    RequestContext, compile,
};
use bytes::Bytes;
use http::HeaderValue;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const CASES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../conformance/cases");

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn pairs(v: Option<&Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, value) in v.and_then(Value::as_object).into_iter().flatten() {
        match value {
            Value::Array(items) => {
                for i in items {
                    out.push((name.clone(), i.as_str().unwrap_or_default().to_owned()));
                }
            }
            Value::String(s) => out.push((name.clone(), s.clone())),
            other => out.push((name.clone(), other.to_string())),
        }
    }
    out
}

fn build_spec(api: &Value) -> Option<IntegrationSpec> {
    let integration = api.get("integration").unwrap_or(&Value::Null);
    let ty = integration
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("HTTP");
    let kind = if integration.get("lambda").and_then(Value::as_bool) == Some(true) {
        IntegrationKind::Lambda
    } else {
        IntegrationKind::from_aws(ty, integration.get("uri").and_then(Value::as_str))?
    };
    let mut spec = IntegrationSpec::new(kind);
    if let Some(t) = integration
        .get("requestTemplates")
        .and_then(Value::as_object)
    {
        spec.request_templates = t.clone();
    }
    if let Some(irs) = api.get("integrationResponses") {
        spec.integration_responses =
            serde_json::from_value::<Vec<IntegrationResponse>>(irs.clone()).ok()?;
    }
    spec.method_responses = strings(api.get("methodResponses"));
    if let Some(g) = api.get("gatewayResponses") {
        spec.gateway_responses = serde_json::from_value(g.clone()).ok()?;
    }
    spec.binary_media_types = strings(api.get("binaryMediaTypes"));
    Some(spec)
}

fn build_request(r: &Value) -> RequestContext {
    let mut req = RequestContext {
        headers: pairs(r.get("headers")),
        query_string: pairs(r.get("queryString")),
        path_parameters: pairs(r.get("pathParameters")),
        stage_variables: pairs(r.get("stageVariables")),
        context: r
            .get("context")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        request_id: None,
        extended_request_id: None,
        body: r
            .get("body")
            .and_then(Value::as_str)
            .map_or_else(Bytes::new, |b| Bytes::from(b.to_owned())),
    };
    for key in ["httpMethod", "path", "resourcePath"] {
        if let Some(v) = r.get(key) {
            req.context.entry(key).or_insert_with(|| v.clone());
        }
    }
    req
}

/// One entry per data case, in file then case order (the seeds' indexes); `None` when the
/// case's configuration does not compile.
type Entry = Option<(CompiledIntegration, RequestContext)>;

fn integrations() -> &'static [Entry] {
    static CELL: OnceLock<Vec<Entry>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut files: Vec<_> = std::fs::read_dir(CASES_DIR)
            .expect("conformance/cases")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let mut out = Vec::new();
        for f in files {
            let doc: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
            for case in doc["cases"].as_array().into_iter().flatten() {
                if case["kind"] != "data" {
                    continue;
                }
                let compiled = build_spec(&case["api"]).and_then(|spec| compile(&spec).ok());
                out.push(compiled.map(|c| (c, build_request(&case["request"]))));
            }
        }
        assert!(!out.is_empty(), "no conformance cases compiled");
        out
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 5 {
        return;
    }
    let all = integrations();
    let index = usize::from(u16::from_le_bytes([data[0], data[1]])) % all.len();
    let flags = data[2];
    let status = u16::from_le_bytes([data[3], data[4]]);
    let mut rest = data[5..].splitn(3, |&b| b == 0);
    let accept = rest.next().unwrap_or_default();
    let headers = rest.next().unwrap_or_default();
    let body = rest.next().unwrap_or_default();

    let Some((compiled, request)) = &all[index] else {
        return;
    };
    let mut request = request.clone();
    if flags & 4 != 0 {
        request.headers.clear();
    }
    if flags & 2 != 0 {
        request
            .headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("accept"));
        request.headers.push((
            "Accept".into(),
            String::from_utf8_lossy(accept).into_owned(),
        ));
    }
    let mut backend = BackendResponse::new(status, Bytes::copy_from_slice(body));
    backend.function_error = flags & 1 != 0;
    for line in headers.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let Ok(name) = std::str::from_utf8(name) else {
            continue;
        };
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let Ok(v) = HeaderValue::from_bytes(value) {
            backend.headers.push((name.to_owned(), v));
        }
    }
    let response = compiled.apply(&backend, &request);
    let _ = response.headers.len() + response.body.len();
});
