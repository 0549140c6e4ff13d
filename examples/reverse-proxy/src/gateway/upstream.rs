//! The backend side of HTTP integrations: the request sent upstream (URI, `requestParameters`,
//! forwarded headers), the backend's headers as the mapping sees them, and which methods
//! leave the body untouched.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use apigw_control::DeployedMethod;
use apigw_mapping::RequestContext;
use bytes::Bytes;
use http::header::{self, HeaderName};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderMap, HeaderValue, Method, Request, Uri};

use super::pool::{OriginPool, Pools};
use super::{Body, IntegrationError, Invocation};
use crate::context;

/// `x-amzn-apigateway-api-id` (made once: `from_static` checks the name on every call).
const API_ID_HEADER: HeaderName = HeaderName::from_static("x-amzn-apigateway-api-id");

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
    // One copy, then the first letter of each `-`-separated word upper-cased in place (names
    // are ASCII tokens; a position that is not a character boundary is left alone).
    let mut out = name.to_owned();
    let mut start = 0;
    loop {
        if let Some(first) = out.get_mut(start..=start) {
            first.make_ascii_uppercase();
        }
        match name.as_bytes()[start..].iter().position(|&b| b == b'-') {
            Some(dash) => start += dash + 1,
            None => break,
        }
    }
    out
}

/// The backend's headers as [`apigw_mapping::BackendResponse::headers`] takes them, names
/// spelled as backends send them ([`title_case`]). With `read` (the method's
/// [`BackendHeaders`]: what its mapping may read), only those, picked by name, every value
/// of each in order; without, all of them in order (the values moved, not copied).
pub(super) fn backend_headers(
    headers: HeaderMap,
    read: Option<&BackendHeaders>,
) -> Vec<(String, HeaderValue)> {
    if let Some(read) = read {
        let mut out = Vec::new();
        for (name, spelled) in &read.0 {
            for value in headers.get_all(name) {
                out.push((spelled.clone(), value.clone()));
            }
        }
        return out;
    }
    let mut out: Vec<(String, HeaderValue)> = Vec::with_capacity(headers.len());
    let mut last: Option<String> = None;
    for (next, value) in headers {
        // `None`: another value of the previous name.
        if let Some(n) = next {
            last = Some(title_case(n.as_str()));
        }
        if let Some(n) = &last {
            out.push((n.clone(), value));
        }
    }
    out
}

/// The backend headers a method's mapping may read
/// ([`apigw_mapping::CompiledIntegration::backend_headers_read`]), each with its
/// [`title_case`] spelling, made once per deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct BackendHeaders(Box<[(HeaderName, String)]>);

impl BackendHeaders {
    /// `None` when the mapping may read any header (proxy kinds).
    pub(super) fn of(compiled: &apigw_mapping::CompiledIntegration) -> Option<BackendHeaders> {
        let names = compiled.backend_headers_read()?;
        Some(BackendHeaders(
            names
                .iter()
                // A name that is not a header name matches no header of an answer.
                .filter_map(|n| Some((HeaderName::from_bytes(n.as_bytes()).ok()?, title_case(n))))
                .collect(),
        ))
    }
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

/// Where a `requestParameters` value comes from (parsed at deployment).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// `'static'`, or `stageVariables.X` (the stage's variables are fixed per deployment).
    Value(String),
    /// `method.request.path.X`.
    Path(String),
    /// `method.request.querystring.X` (the first value).
    Query(String),
    /// `method.request.header.X` (case-insensitive).
    Header(String),
    /// `context.X`: a top-level field of `$context`.
    Context(String),
}

impl Source {
    /// `None` for a source that never has a value (unknown kind, missing stage variable).
    fn parse(source: &str, vars: &[(String, String)]) -> Option<Source> {
        if let Some(s) = source.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
            return Some(Source::Value(s.to_owned()));
        }
        let name = |prefix: &str| source.strip_prefix(prefix).map(str::to_owned);
        if let Some(n) = name("method.request.path.") {
            Some(Source::Path(n))
        } else if let Some(n) = name("method.request.querystring.") {
            Some(Source::Query(n))
        } else if let Some(n) = name("method.request.header.") {
            Some(Source::Header(n))
        } else if let Some(n) = source.strip_prefix("stageVariables.") {
            let v = vars.iter().find(|(k, _)| k == n)?;
            Some(Source::Value(v.1.clone()))
        } else {
            name("context.").map(Source::Context)
        }
    }

    /// The value for a request.
    fn value<'a>(&'a self, ctx: &'a RequestContext) -> Option<Cow<'a, str>> {
        let find = |list: &'a [(String, String)], name: &str| {
            list.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| Cow::Borrowed(v.as_str()))
        };
        match self {
            Source::Value(v) => Some(Cow::Borrowed(v)),
            Source::Path(n) => find(&ctx.path_parameters, n),
            Source::Query(n) => find(&ctx.query_string, n),
            Source::Header(n) => ctx.header(n).map(Cow::Borrowed),
            // A string field (a typed request id included), else the map's value printed.
            Source::Context(n) => match ctx.context_str(n) {
                Some(s) => Some(Cow::Borrowed(s)),
                None => ctx.context.get(n).map(|v| Cow::Owned(v.to_string())),
            },
        }
    }
}

/// Where a `requestParameters` value goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Path(String),
    Query(String),
    Header(HeaderName),
}

/// A piece of the integration URI (after `${stageVariables.X}` substitution).
#[derive(Debug, Clone, PartialEq, Eq)]
enum UriPart {
    Text(String),
    /// `{name}`, or `{name+}` (greedy: `/` is kept when encoding).
    Placeholder {
        name: String,
        greedy: bool,
    },
}

/// The backend request of an HTTP or HTTP_PROXY method, prepared at deployment: the URI
/// template split at its placeholders, the `requestParameters` parsed, the integration
/// method and the gateway's own header values.
#[derive(Debug)]
pub(crate) struct UpstreamPlan {
    /// The URI template's scheme, authority and `Host` header value, parsed once, when no
    /// placeholder comes before its path (then [`UpstreamPlan::uri`] is the path template).
    origin: Option<Origin>,
    /// The whole URI template, or its path (and query) when [`UpstreamPlan::origin`] is known.
    uri: Vec<UriPart>,
    /// The URI text has a `?` (mapped query parameters are appended with `&`).
    uri_has_query: bool,
    /// In `requestParameters` order; entries that never have a value are left out.
    parameters: Vec<(Target, Source)>,
    /// `None`: the client's method (no `httpMethod`, or `ANY`).
    method: Result<Option<Method>, String>,
    /// `x-amzn-apigateway-api-id`.
    api_id: Option<HeaderValue>,
    /// The gateway's own headers of an HTTP (non-proxy) backend request: `Host` (when the
    /// origin is planned), `User-Agent: AmazonAPIGateway_{api id}` and
    /// `x-amzn-apigateway-api-id`. Cloned per request: a clone copies the hash table instead
    /// of hashing and inserting three names.
    http_headers: HeaderMap,
    /// The connection pool of a planned `http://` origin ([`UpstreamPlan::attach_pool`]):
    /// the request then goes out in origin form on one of its connections.
    pool: Option<Arc<OriginPool>>,
}

/// The fixed start of an integration URI (`http://backend:8080`), parsed at deployment.
#[derive(Debug)]
struct Origin {
    scheme: Scheme,
    authority: Authority,
    /// What hyper-util's client would put in `Host` (the host, and the port unless it is the
    /// scheme's default), set by the proxy so that the client does not format it per request.
    host: HeaderValue,
}

impl Origin {
    /// Splits `parts` into its origin and the path template, when the first part is text
    /// holding `http(s)://authority/` (the path starts with that `/`).
    fn split(mut parts: Vec<UriPart>) -> (Option<Origin>, Vec<UriPart>) {
        let Some(UriPart::Text(first)) = parts.first() else {
            return (None, parts);
        };
        let Some((scheme, rest)) = first.split_once("://") else {
            return (None, parts);
        };
        let Some(slash) = rest.find('/') else {
            return (None, parts);
        };
        let scheme = match scheme {
            "http" => Scheme::HTTP,
            "https" => Scheme::HTTPS,
            _ => return (None, parts),
        };
        let Ok(authority) = Authority::try_from(&rest[..slash]) else {
            return (None, parts);
        };
        let default_port = if scheme == Scheme::HTTPS { 443 } else { 80 };
        let host = match authority.port_u16() {
            Some(p) if p != default_port => format!("{}:{p}", authority.host()),
            _ => authority.host().to_owned(),
        };
        let Ok(host) = HeaderValue::from_str(&host) else {
            return (None, parts);
        };
        parts[0] = UriPart::Text(rest[slash..].to_owned());
        (
            Some(Origin {
                scheme,
                authority,
                host,
            }),
            parts,
        )
    }
}

impl UpstreamPlan {
    /// Plans `m`'s backend request for a stage with these variables of the API `api_id`.
    pub(crate) fn new(m: &DeployedMethod, vars: &[(String, String)], api_id: &str) -> UpstreamPlan {
        let (origin, parts) = Origin::split(uri_parts(&substitute_stage_variables(
            m.uri.as_deref().unwrap_or(""),
            vars,
        )));
        let uri_has_query = parts
            .iter()
            .any(|p| matches!(p, UriPart::Text(t) if t.contains('?')));
        let mut parameters = Vec::new();
        for (target, source) in &m.request_parameters {
            let Some(source) = source.as_str().and_then(|s| Source::parse(s, vars)) else {
                continue;
            };
            let target = if let Some(n) = target.strip_prefix("integration.request.path.") {
                Target::Path(n.to_owned())
            } else if let Some(n) = target.strip_prefix("integration.request.querystring.") {
                Target::Query(n.to_owned())
            } else if let Some(n) = target.strip_prefix("integration.request.header.")
                && let Ok(n) = HeaderName::from_bytes(n.as_bytes())
            {
                Target::Header(n)
            } else {
                continue;
            };
            parameters.push((target, source));
        }
        let method = match m.integration_http_method.as_deref() {
            None | Some("ANY") => Ok(None),
            Some(other) => Method::from_bytes(other.as_bytes())
                .map(Some)
                .map_err(|e| format!("integration httpMethod: {e}")),
        };
        let user_agent = HeaderValue::from_str(&format!("AmazonAPIGateway_{api_id}")).ok();
        let api_id = HeaderValue::from_str(api_id).ok();
        let mut http_headers = HeaderMap::new();
        if let Some(o) = &origin {
            http_headers.insert(header::HOST, o.host.clone());
        }
        if let Some(v) = user_agent {
            http_headers.insert(header::USER_AGENT, v);
        }
        if let Some(v) = &api_id {
            http_headers.insert(API_ID_HEADER, v.clone());
        }
        UpstreamPlan {
            origin,
            uri: parts,
            uri_has_query,
            parameters,
            method,
            api_id,
            http_headers,
            pool: None,
        }
    }

    /// Takes the pool of its origin from `pools` when the origin is planned and plain HTTP.
    pub(crate) fn attach_pool(&mut self, pools: &Pools) {
        if let Some(o) = &self.origin
            && o.scheme == Scheme::HTTP
        {
            self.pool = Some(pools.origin(&o.authority));
        }
    }

    /// The pool its requests go out on, if any.
    pub(crate) fn pool(&self) -> Option<&Arc<OriginPool>> {
        self.pool.as_ref()
    }
}

/// The integration URI split at its `{name}` / `{name+}` placeholders (the first `}` after a
/// `{` closes it; a `{` without one is text).
fn uri_parts(uri: &str) -> Vec<UriPart> {
    let mut parts = Vec::new();
    let mut rest = uri;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        if start > 0 {
            parts.push(UriPart::Text(rest[..start].to_owned()));
        }
        let inner = &rest[start + 1..start + len];
        let (name, greedy) = match inner.strip_suffix('+') {
            Some(n) => (n, true),
            None => (inner, false),
        };
        parts.push(UriPart::Placeholder {
            name: name.to_owned(),
            greedy,
        });
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() {
        parts.push(UriPart::Text(rest.to_owned()));
    }
    parts
}

/// The backend request of an HTTP or HTTP_PROXY integration: the URI with its `{param}`s
/// and stage variables substituted, `requestParameters` applied, then a request template's
/// `$context.requestOverride.path.X` / `.querystring.X` (they replace the mapped value of the
/// same name: overrides are final), and (proxy only) the client's query string and headers
/// forwarded. `requestOverride.header.X` is applied by the caller.
pub(super) fn build_http_request(
    inv: &Invocation<'_>,
    plan: &UpstreamPlan,
    proxy: bool,
    body: Body,
    overrides: Option<&apigw_mapping::OverrideValues>,
) -> Result<Request<Body>, IntegrationError> {
    let ctx = &inv.ctx;
    let mut query: Vec<(&str, Cow<'_, str>)> = Vec::new();
    // The first value per header name wins.
    let mut headers: Vec<(&HeaderName, HeaderValue)> = Vec::new();
    for (target, source) in &plan.parameters {
        match target {
            // Looked up where the URI needs them.
            Target::Path(_) => {}
            Target::Query(n) => {
                if let Some(value) = source.value(ctx) {
                    query.push((n, value));
                }
            }
            Target::Header(n) => {
                if headers.iter().any(|(h, _)| *h == n) {
                    continue;
                }
                if let Some(value) = source.value(ctx)
                    && let Ok(v) = HeaderValue::from_str(&value)
                {
                    headers.push((n, v));
                }
            }
        }
    }
    if let Some(o) = overrides {
        for (name, value) in &o.querystring {
            match query.iter_mut().find(|(k, _)| k == name) {
                Some(slot) => slot.1 = Cow::Borrowed(value),
                None => query.push((name, Cow::Borrowed(value))),
            }
        }
    }
    // `{name}` / `{name+}` placeholders: the last override of that name, else the mapped
    // value, else the method's own path parameter of the same name.
    let path_value = |name: &str| -> Option<Cow<'_, str>> {
        if let Some((_, v)) = overrides.and_then(|o| o.path.iter().rev().find(|(k, _)| k == name)) {
            return Some(Cow::Borrowed(v));
        }
        plan.parameters
            .iter()
            .filter(|(t, _)| matches!(t, Target::Path(n) if n == name))
            .find_map(|(_, source)| source.value(ctx))
            .or_else(|| {
                ctx.path_parameters
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| Cow::Borrowed(v.as_str()))
            })
    };
    let mut url = String::with_capacity(128);
    for part in &plan.uri {
        match part {
            UriPart::Text(t) => url.push_str(t),
            UriPart::Placeholder { name, greedy } => {
                let value = path_value(name).unwrap_or_default();
                context::percent_encode_into(&mut url, &value, *greedy || proxy);
            }
        }
    }
    let mut separator = if plan.uri_has_query { '&' } else { '?' };
    if proxy && let Some(q) = &inv.raw_query {
        url.push(separator);
        url.push_str(q);
        separator = '&';
    }
    for (k, v) in &query {
        url.push(separator);
        context::percent_encode_into(&mut url, k, false);
        url.push('=');
        context::percent_encode_into(&mut url, v, false);
        separator = '&';
    }
    let uri = match &plan.origin {
        Some(origin) => origin_uri(origin, url, plan.pool.is_none())?,
        None => absolute_uri(url)?,
    };
    let method = match &plan.method {
        Ok(None) => inv.client_method.clone(),
        Ok(Some(m)) => m.clone(),
        Err(e) => return Err(IntegrationError::config(e.clone())),
    };
    let mut req = Request::new(body);
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    let out = req.headers_mut();
    if proxy {
        if let Some(origin) = &plan.origin {
            out.insert(header::HOST, origin.host.clone());
        }
        for (n, v) in inv.client_headers {
            if !hop_by_hop(n) && n != header::HOST {
                out.append(n.clone(), v.clone());
            }
        }
        if let Ok(v) = HeaderValue::from_str(&inv.peer.ip().to_string()) {
            out.append(HeaderName::from_static("x-forwarded-for"), v);
        }
        // Last: replaces a client's header of that name.
        if let Some(v) = &plan.api_id {
            out.insert(API_ID_HEADER, v.clone());
        }
    } else {
        *out = plan.http_headers.clone();
        for name in [header::CONTENT_TYPE, header::CONTENT_LENGTH] {
            if let Some(v) = inv.client_headers.get(&name) {
                out.insert(name, v.clone());
            }
        }
    }
    for (n, v) in headers {
        out.insert(n.clone(), v);
    }
    Ok(req)
}

/// The backend URI from a planned origin and the request's path (and query): absolute (for
/// hyper-util's client), or in origin form (`/path?query`).
fn origin_uri(origin: &Origin, path: String, absolute: bool) -> Result<Uri, IntegrationError> {
    let pq = PathAndQuery::from_maybe_shared(Bytes::from(path)).map_err(|e| {
        IntegrationError::config(format!(
            "Invalid endpoint address {}://{}: {e}",
            origin.scheme, origin.authority
        ))
    })?;
    if !absolute {
        // Origin form, for a connection of the origin's pool.
        return Ok(Uri::from(pq));
    }
    let mut parts = http::uri::Parts::default();
    parts.scheme = Some(origin.scheme.clone());
    parts.authority = Some(origin.authority.clone());
    parts.path_and_query = Some(pq);
    Uri::from_parts(parts).map_err(|e| {
        IntegrationError::config(format!(
            "Invalid endpoint address {}://{}: {e}",
            origin.scheme, origin.authority
        ))
    })
}

/// The backend URI from the whole URL text (an integration URI with a placeholder before its
/// path); only `http://` and `https://` are accepted.
fn absolute_uri(url: String) -> Result<Uri, IntegrationError> {
    let url = Bytes::from(url);
    let invalid = |detail: &dyn std::fmt::Display| {
        IntegrationError::config(format!(
            "Invalid endpoint address {}: {detail}",
            String::from_utf8_lossy(&url)
        ))
    };
    let uri = Uri::from_maybe_shared(url.clone()).map_err(|e| invalid(&e))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(invalid(&"only http:// and https:// backends are supported"));
    }
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn backend_header_order() {
        let mut h = HeaderMap::new();
        h.append("content-type", HeaderValue::from_static("a/b"));
        h.append("set-cookie", HeaderValue::from_static("1"));
        h.append("x-one", HeaderValue::from_static("x"));
        h.append("set-cookie", HeaderValue::from_static("2"));
        let names: Vec<(String, String)> = backend_headers(h.clone(), None)
            .into_iter()
            .map(|(n, v)| (n, v.to_str().unwrap().to_owned()))
            .collect();
        let expected: Vec<(String, String)> = h
            .iter()
            .map(|(n, v)| (title_case(n.as_str()), v.to_str().unwrap().to_owned()))
            .collect();
        assert_eq!(names, expected);
        assert_eq!(names[1], ("Set-Cookie".to_owned(), "1".to_owned()));
        assert_eq!(names[2], ("Set-Cookie".to_owned(), "2".to_owned()));
        // Only the names read, every value of each, in order.
        let read = BackendHeaders(
            [
                (
                    HeaderName::from_static("content-type"),
                    "Content-Type".into(),
                ),
                (HeaderName::from_static("set-cookie"), "Set-Cookie".into()),
                (HeaderName::from_static("x-absent"), "X-Absent".into()),
            ]
            .into(),
        );
        let kept: Vec<(String, String)> = backend_headers(h, Some(&read))
            .into_iter()
            .map(|(n, v)| (n, v.to_str().unwrap().to_owned()))
            .collect();
        assert_eq!(
            kept,
            [
                ("Content-Type".to_owned(), "a/b".to_owned()),
                ("Set-Cookie".to_owned(), "1".to_owned()),
                ("Set-Cookie".to_owned(), "2".to_owned())
            ]
        );
    }

    #[test]
    fn header_spelling() {
        assert_eq!(title_case("content-type"), "Content-Type");
        assert_eq!(title_case("x-amz-function-error"), "X-Amz-Function-Error");
        assert_eq!(title_case("a--b-"), "A--B-");
        assert_eq!(title_case(""), "");
        assert_eq!(title_case("é-x"), "é-X");
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
        let get = |s: &str| {
            Source::parse(s, &ctx.stage_variables)
                .and_then(|src| src.value(&ctx).map(Cow::into_owned))
        };
        assert_eq!(get("method.request.header.X-In").as_deref(), Some("h"));
        assert_eq!(get("method.request.querystring.q").as_deref(), Some("1"));
        assert_eq!(get("method.request.path.id").as_deref(), Some("7"));
        assert_eq!(get("stageVariables.v").as_deref(), Some("s"));
        assert_eq!(get("context.stage").as_deref(), Some("dev"));
        assert_eq!(get("context.requestTimeEpoch").as_deref(), Some("5"));
        assert_eq!(get("'static'").as_deref(), Some("static"));
        assert_eq!(get("method.request.body.x"), None);
        assert_eq!(get("stageVariables.missing"), None);
        assert_eq!(
            substitute_stage_variables(
                "http://${stageVariables.v}/${stageVariables.v}",
                &ctx.stage_variables
            ),
            "http://s/s"
        );
    }

    #[test]
    fn uri_placeholders() {
        let text = |t: &str| UriPart::Text(t.to_owned());
        let ph = |n: &str, greedy| UriPart::Placeholder {
            name: n.to_owned(),
            greedy,
        };
        assert_eq!(
            uri_parts("http://h/{a}/x{b+}?q={c}"),
            vec![
                text("http://h/"),
                ph("a", false),
                text("/x"),
                ph("b", true),
                text("?q="),
                ph("c", false)
            ]
        );
        assert_eq!(
            uri_parts("http://h/{a{b}}/{c"),
            vec![text("http://h/"), ph("a{b", false), text("}/{c")]
        );
        assert_eq!(uri_parts("{}"), vec![ph("", false)]);
        assert_eq!(uri_parts(""), vec![]);
    }

    #[test]
    fn origins_planned_once() {
        let split = |uri: &str| {
            let (origin, parts) = Origin::split(uri_parts(uri));
            let origin = origin.map(|o| {
                (
                    o.scheme.to_string(),
                    o.authority.to_string(),
                    o.host.to_str().unwrap().to_owned(),
                )
            });
            (origin, parts)
        };
        let o = |s: &str, a: &str, h: &str| Some((s.to_owned(), a.to_owned(), h.to_owned()));
        let text = |t: &str| UriPart::Text(t.to_owned());
        let ph = |n: &str| UriPart::Placeholder {
            name: n.to_owned(),
            greedy: false,
        };
        assert_eq!(
            split("http://h:8080/pets/{id}"),
            (
                o("http", "h:8080", "h:8080"),
                vec![text("/pets/"), ph("id")]
            )
        );
        assert_eq!(
            split("https://u@h.example:443/"),
            (o("https", "u@h.example:443", "h.example"), vec![text("/")])
        );
        assert_eq!(
            split("http://[::1]:80/a?b=/c"),
            (o("http", "[::1]:80", "[::1]"), vec![text("/a?b=/c")])
        );
        // A placeholder in the authority, no path, a query before any `/`, other schemes:
        // the whole URI is built per request.
        for uri in [
            "http://{h}/a",
            "http://h",
            "http://h?x=/y",
            "ftp://h/a",
            "/a/{x}",
        ] {
            let (origin, parts) = split(uri);
            assert_eq!(origin, None, "{uri}");
            assert_eq!(parts, uri_parts(uri), "{uri}");
        }
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
        let (store, id, snapshot) = crate::gateway::deployed_for_tests(&doc);
        let id = id.as_str();
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
