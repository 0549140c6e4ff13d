//! The backend side of HTTP integrations: the request sent upstream (URI, `requestParameters`,
//! forwarded headers), the backend's headers as the mapping sees them, and which methods
//! leave the body untouched.

use std::collections::HashMap;

use apigw_mapping::RequestContext;
use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue, Method, Request, Uri};

use super::{Body, IntegrationError, Invocation};
use crate::context;

/// Headers the proxy never forwards (hop-by-hop, RFC 9110 §7.6.1).
pub(super) fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "proxy-authenticate"
            | "proxy-authorization"
    )
}

/// `content-type` → `Content-Type`: the spelling backends use, since hyper hands header
/// names over in lower case and `integration.response.header.X` lookups are
/// case-sensitive.
fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.push(if upper { c.to_ascii_uppercase() } else { c });
        upper = c == '-';
    }
    out
}

pub(super) fn backend_headers(headers: &HeaderMap) -> Vec<(String, HeaderValue)> {
    headers
        .iter()
        .map(|(n, v)| (title_case(n.as_str()), v.clone()))
        .collect()
}

/// What the routes know about one method from the stage's export, to skip per-request work no
/// mapping needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct MethodTraits {
    /// None of its integration responses has a response template, a `contentHandling` or a
    /// parameter read from `integration.response.body`.
    pub(super) body_untouched: bool,
    /// Some template or parameter of its integration may read `$context`
    /// ([`apigw_mapping::CompiledIntegration::reads_context`], or a `context.X` source in
    /// `requestParameters`). When false, only the request ids the mapping puts in headers are
    /// put in `$context`.
    pub(super) reads_context: bool,
}

/// Per resource path, per HTTP method (`ANY` included): the [`MethodTraits`] of the methods of
/// a stage. A method missing here is treated as touching the body and reading `$context`.
pub(super) type MethodTraitTable = HashMap<String, HashMap<String, MethodTraits>>;

/// The [`MethodTraitTable`] of a stage: whether the body is untouched from its export
/// (`x-amazon-apigateway-integration` extensions), whether `$context` is read from its
/// compiled methods.
pub(super) fn method_traits<'a>(
    export: &serde_json::Value,
    methods: impl Iterator<Item = &'a apigw_control::DeployedMethod>,
) -> MethodTraitTable {
    let mut out = body_untouched(export);
    for m in methods {
        let traits = out
            .entry(m.resource_path.clone())
            .or_default()
            .entry(m.http_method.clone())
            .or_insert(MethodTraits {
                body_untouched: false,
                reads_context: true,
            });
        traits.reads_context = reads_context(m);
    }
    out
}

/// Whether the mapping or the `requestParameters` of `m` may read `$context`.
fn reads_context(m: &apigw_control::DeployedMethod) -> bool {
    m.compiled.reads_context()
        || m.request_parameters
            .values()
            .any(|s| s.as_str().is_some_and(|s| s.starts_with("context.")))
}

/// [`MethodTraits::body_untouched`] per path and method from an exported stage
/// (`reads_context` left `true`).
fn body_untouched(export: &serde_json::Value) -> MethodTraitTable {
    let mut out: MethodTraitTable = HashMap::new();
    let Some(paths) = export.get("paths").and_then(serde_json::Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (key, op) in item {
            let method = match key.as_str() {
                "x-amazon-apigateway-any-method" => "ANY".to_owned(),
                k if k.starts_with("x-") || k == "parameters" => continue,
                k => k.to_ascii_uppercase(),
            };
            let Some(integration) = op.get("x-amazon-apigateway-integration") else {
                continue;
            };
            let Some(responses) = integration
                .get("responses")
                .and_then(serde_json::Value::as_object)
            else {
                continue;
            };
            let touches = responses.values().any(|r| {
                let templates = r
                    .get("responseTemplates")
                    .and_then(serde_json::Value::as_object)
                    .is_some_and(|t| {
                        t.values()
                            .any(|v| v.as_str().is_some_and(|s| !s.is_empty()))
                    });
                let converts = r.get("contentHandling").is_some_and(|c| !c.is_null());
                let reads = r
                    .get("responseParameters")
                    .and_then(serde_json::Value::as_object)
                    .is_some_and(|p| {
                        p.values().any(|v| {
                            v.as_str()
                                .is_some_and(|s| s.starts_with("integration.response.body"))
                        })
                    });
                templates || converts || reads
            });
            out.entry(path.clone()).or_default().insert(
                method,
                MethodTraits {
                    body_untouched: !touches,
                    reads_context: true,
                },
            );
        }
    }
    out
}

/// Replaces `${stageVariables.NAME}` in `s`.
pub(super) fn substitute_stage_variables(s: &str, vars: &[(String, String)]) -> String {
    let mut out = s.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("${{stageVariables.{k}}}"), v);
    }
    out
}

/// The value of a `requestParameters` source (`method.request.path.X`,
/// `method.request.querystring.X`, `method.request.header.X`, `stageVariables.X`,
/// `context.X`, `'static'`).
fn parameter_source(source: &str, ctx: &RequestContext) -> Option<String> {
    if let Some(s) = source.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return Some(s.to_owned());
    }
    let find = |list: &[(String, String)], name: &str| {
        list.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    };
    if let Some(n) = source.strip_prefix("method.request.path.") {
        find(&ctx.path_parameters, n)
    } else if let Some(n) = source.strip_prefix("method.request.querystring.") {
        find(&ctx.query_string, n)
    } else if let Some(n) = source.strip_prefix("method.request.header.") {
        ctx.header(n).map(str::to_owned)
    } else if let Some(n) = source.strip_prefix("stageVariables.") {
        find(&ctx.stage_variables, n)
    } else if let Some(n) = source.strip_prefix("context.") {
        ctx.context.get(n).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    } else {
        None
    }
}

/// The backend request of an HTTP or HTTP_PROXY integration: the URI with its `{param}`s
/// and stage variables substituted, `requestParameters` applied, then a request template's
/// `$context.requestOverride.path.X` / `.querystring.X` (they replace the mapped value of the
/// same name: overrides are final), and (proxy only) the client's query string and headers
/// forwarded. `requestOverride.header.X` is applied by the caller.
pub(super) fn build_http_request(
    inv: &Invocation<'_>,
    proxy: bool,
    body: Body,
    overrides: Option<&apigw_mapping::OverrideValues>,
) -> Result<Request<Body>, IntegrationError> {
    let m = inv.method;
    let template = m.uri.as_deref().unwrap_or("");
    let mut path_values: Vec<(String, String)> = Vec::new();
    let mut query: Vec<(String, String)> = Vec::new();
    let mut headers = HeaderMap::new();
    for (target, source) in &m.request_parameters {
        let Some(value) = source.as_str().and_then(|s| parameter_source(s, &inv.ctx)) else {
            continue;
        };
        if let Some(n) = target.strip_prefix("integration.request.path.") {
            path_values.push((n.to_owned(), value));
        } else if let Some(n) = target.strip_prefix("integration.request.querystring.") {
            query.push((n.to_owned(), value));
        } else if let Some(n) = target.strip_prefix("integration.request.header.")
            && let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(n.as_bytes()),
                HeaderValue::from_str(&value),
            )
        {
            headers.append(n, v);
        }
    }
    if let Some(o) = overrides {
        for (target, list) in [(&mut path_values, &o.path), (&mut query, &o.querystring)] {
            for (name, value) in list {
                match target.iter_mut().find(|(k, _)| k == name) {
                    Some(slot) => slot.1.clone_from(value),
                    None => target.push((name.clone(), value.clone())),
                }
            }
        }
    }
    // `{name}` / `{name+}` placeholders: mapped (or overridden) values first, then the
    // method's own path parameter of the same name.
    let mut url = substitute_stage_variables(template, &inv.ctx.stage_variables);
    while let Some(start) = url.find('{') {
        let Some(len) = url[start..].find('}') else {
            break;
        };
        let inner = &url[start + 1..start + len];
        let (name, greedy) = match inner.strip_suffix('+') {
            Some(n) => (n, true),
            None => (inner, false),
        };
        let value = path_values
            .iter()
            .find(|(k, _)| k == name)
            .or_else(|| inv.ctx.path_parameters.iter().find(|(k, _)| k == name))
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let encoded = context::percent_encode(&value, greedy || proxy);
        url.replace_range(start..=start + len, &encoded);
    }
    let mut query_string: Vec<String> = Vec::new();
    if proxy && let Some(q) = &inv.raw_query {
        query_string.push((*q).to_owned());
    }
    for (k, v) in &query {
        query_string.push(format!(
            "{}={}",
            context::percent_encode(k, false),
            context::percent_encode(v, false)
        ));
    }
    if !query_string.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&query_string.join("&"));
    }
    let uri: Uri = url
        .parse()
        .map_err(|e| IntegrationError::config(format!("Invalid endpoint address {url}: {e}")))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(IntegrationError::config(format!(
            "Invalid endpoint address {url}: only http:// and https:// backends are supported"
        )));
    }
    let method = match m.integration_http_method.as_deref() {
        None | Some("ANY") => inv.client_method.clone(),
        Some(other) => Method::from_bytes(other.as_bytes())
            .map_err(|e| IntegrationError::config(format!("integration httpMethod: {e}")))?,
    };
    let mut req = Request::new(body);
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    let out = req.headers_mut();
    if proxy {
        for (n, v) in inv.client_headers {
            if !hop_by_hop(n) && n != header::HOST {
                out.append(n.clone(), v.clone());
            }
        }
        if let Ok(v) = HeaderValue::from_str(&inv.peer.ip().to_string()) {
            out.append(HeaderName::from_static("x-forwarded-for"), v);
        }
    } else {
        for name in [header::CONTENT_TYPE, header::CONTENT_LENGTH] {
            if let Some(v) = inv.client_headers.get(&name) {
                out.insert(name, v.clone());
            }
        }
        if let Ok(v) = HeaderValue::from_str(&format!("AmazonAPIGateway_{}", inv.api_id)) {
            out.insert(header::USER_AGENT, v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(inv.api_id) {
        out.insert(HeaderName::from_static("x-amzn-apigateway-api-id"), v);
    }
    for (n, v) in headers {
        if let Some(n) = n {
            out.insert(n, v);
        }
    }
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn header_spelling() {
        assert_eq!(title_case("content-type"), "Content-Type");
        assert_eq!(title_case("x-amz-function-error"), "X-Amz-Function-Error");
    }

    #[test]
    fn parameter_sources() {
        let ctx = RequestContext {
            headers: vec![("x-in".into(), "h".into())],
            query_string: vec![("q".into(), "1".into()), ("q".into(), "2".into())],
            path_parameters: vec![("id".into(), "7".into())],
            stage_variables: vec![("v".into(), "s".into())],
            context: json!({"stage": "dev", "requestTimeEpoch": 5})
                .as_object()
                .cloned()
                .unwrap(),
            ..RequestContext::default()
        };
        let get = |s: &str| parameter_source(s, &ctx);
        assert_eq!(get("method.request.header.X-In").as_deref(), Some("h"));
        assert_eq!(get("method.request.querystring.q").as_deref(), Some("1"));
        assert_eq!(get("method.request.path.id").as_deref(), Some("7"));
        assert_eq!(get("stageVariables.v").as_deref(), Some("s"));
        assert_eq!(get("context.stage").as_deref(), Some("dev"));
        assert_eq!(get("context.requestTimeEpoch").as_deref(), Some("5"));
        assert_eq!(get("'static'").as_deref(), Some("static"));
        assert_eq!(get("method.request.body.x"), None);
        assert_eq!(
            substitute_stage_variables(
                "http://${stageVariables.v}/${stageVariables.v}",
                &ctx.stage_variables
            ),
            "http://s/s"
        );
    }

    #[test]
    fn untouched_methods_from_an_export() {
        let export = json!({"paths": {
            "/a": {"get": {"x-amazon-apigateway-integration": {"responses": {
                "default": {"statusCode": "200", "responseParameters": {
                    "method.response.header.X": "integration.response.header.Y"}},
                "4\\d{2}": {"statusCode": "400", "responseTemplates": {"application/json": null}}}}},
                   "post": {"x-amazon-apigateway-integration": {"responses": {
                "default": {"statusCode": "200", "responseTemplates": {"application/json": "$input.body"}}}}}},
            "/b": {"x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": {"responses": {
                "default": {"statusCode": "200", "contentHandling": "CONVERT_TO_TEXT"}}}},
                   "put": {"x-amazon-apigateway-integration": {"responses": {
                "default": {"statusCode": "200", "responseParameters": {
                    "method.response.header.X": "integration.response.body.kind"}}}}}}
        }});
        let table = body_untouched(&export);
        let untouched: Vec<(&str, &str)> = table
            .iter()
            .flat_map(|(p, ms)| {
                ms.iter()
                    .filter(|(_, t)| t.body_untouched)
                    .map(move |(m, _)| (p.as_str(), m.as_str()))
            })
            .collect();
        assert_eq!(untouched, vec![("/a", "GET")]);
        assert_eq!(table["/b"].len(), 2);
    }

    #[test]
    fn context_readers_from_the_compiled_methods() {
        let integration = |extra: serde_json::Value| {
            let mut i = json!({"type": "http", "httpMethod": "GET", "uri": "http://127.0.0.1:1/",
                "responses": {"default": {"statusCode": "200"}}});
            for (k, v) in extra.as_object().unwrap() {
                i[k] = v.clone();
            }
            json!({"responses": {"200": {"description": "ok"}},
                   "x-amazon-apigateway-integration": i})
        };
        let template = |t: &str| {
            json!({"responses": {"default": {"statusCode": "200",
                "responseTemplates": {"application/json": t}}}})
        };
        let doc = json!({"openapi": "3.0.1", "info": {"title": "t", "version": "1"}, "paths": {
            "/a": {
                "get": integration(template("{\"id\": \"$context.requestId\"}")),
                "put": integration(json!({"requestParameters": {
                    "integration.request.header.X": "context.stage"}})),
                // Mentions `context` without reading `$context`: literal text, a header name.
                "post": integration(template("{\"context\": $input.json('$.context')}")),
                "patch": integration(json!({"requestParameters": {
                    "integration.request.header.context": "method.request.header.context"}})),
            }
        }});
        let store = apigw_control::Store::in_memory(apigw_control::Config::default());
        let api = store
            .import_rest_api(doc.to_string().as_bytes(), None)
            .unwrap();
        let id = api["id"].as_str().unwrap();
        let stage = json!({"stageName": "dev"});
        store
            .create_deployment(id, stage.as_object().unwrap())
            .unwrap();
        let (snapshot, _) = store.stage_snapshot(id, "dev").unwrap();
        let export = store
            .get_export(id, "dev", "oas30", Some("integrations"))
            .unwrap();
        let table = method_traits(&export, snapshot.methods());
        let reads = |m: &str| table["/a"][m].reads_context;
        assert!(reads("GET"));
        assert!(reads("PUT"));
        assert!(!reads("POST"));
        assert!(!reads("PATCH"));
        assert!(table["/a"]["PUT"].body_untouched);
        assert!(!table["/a"]["POST"].body_untouched);
    }
}
