//! `responseParameters`: header mapping (SPEC §3).
//!
//! Every key and expression is validated and parsed once, at compile time; header names are
//! placed (kept, renamed `x-amzn-Remapped-*`, or dropped) then too. Per request, sources are
//! read from the raw integration response (before content conversion) and the body is parsed
//! as JSON at most once, and only when a `body.<JSONPath>` source needs it.

use apigw_jsonpath::{JsonPath, QueryResult};
use apigw_vtl::{JsonScalar, JsonText};
use http::HeaderValue;
use serde_json::{Map, Value};
use std::borrow::Cow;

use crate::context_id::ContextField;
use crate::error::{CompileError, CompileErrorKind, Failure};
use crate::headers::{self, Placement};
use crate::{BackendResponse, ContextIds, GatewayHeaderValues, RequestContext};

/// Where a mapped header's value comes from.
#[derive(Debug)]
pub(crate) enum Source {
    /// `'literal'`: validated as a header value at compile time.
    Static(HeaderValue),
    /// `integration.response.header.NAME`: the last value, name compared case-sensitively.
    Header(String),
    /// `integration.response.multivalueheader.NAME`: all values joined with `,`.
    MultiHeader(String),
    /// `integration.response.body`: the raw body text (`{}` when empty).
    Body,
    /// `integration.response.body.JSONPATH`.
    BodyPath(JsonPath),
    /// `context.a.b`: a dotted path into `$context`.
    Context(Vec<String>),
    /// `stageVariables.NAME`.
    StageVariable(String),
}

/// One compiled `responseParameters` entry.
#[derive(Debug)]
pub(crate) struct Parameter {
    pub(crate) placement: Placement,
    pub(crate) source: Source,
}

/// Parses and validates the `responseParameters` of one integration response.
pub(crate) fn compile(
    params: Option<&Map<String, Value>>,
    origin: &str,
) -> Result<Vec<Parameter>, CompileError> {
    let mut out = Vec::new();
    for (key, value) in params.into_iter().flatten() {
        let bad = |what: &str| {
            CompileError::new(
                CompileErrorKind::InvalidMappingExpression,
                format!("{origin}, responseParameters"),
                format!("Invalid mapping expression specified: {what}"),
            )
        };
        let name = key
            .strip_prefix("method.response.header.")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| bad(key))?;
        let placement = headers::placement(name).ok_or_else(|| bad(key))?;
        let Some(expr) = value.as_str() else {
            return Err(bad(&value.to_string()));
        };
        let source = parse_source(expr).ok_or_else(|| bad(expr))?;
        // An empty literal is never sent (SPEC §3.6): drop it now.
        if let Source::Static(v) = &source
            && v.is_empty()
        {
            continue;
        }
        out.push(Parameter { placement, source });
    }
    Ok(out)
}

/// Validates one `responseParameters` entry as `put_integration_response` does (SPEC §8.3),
/// without the method-response checks (those need the method). The error is AWS's text for
/// this entry, e.g. `Invalid mapping expression specified: true`; the control plane joins
/// several with `, ` inside its `Validation Result` message.
///
/// # Errors
/// AWS's message for the first problem: the value is checked before the key.
///
/// # Example
/// ```
/// use apigw_mapping::validate_response_parameter;
/// assert!(validate_response_parameter("method.response.header.X", "'static'").is_ok());
/// assert!(validate_response_parameter("method.response.header.X", "integration.response.body.a.b").is_ok());
/// assert_eq!(
///     validate_response_parameter("method.response.header.X", "\"*\"").unwrap_err(),
///     "Invalid mapping expression specified: \"*\""
/// );
/// assert_eq!(
///     validate_response_parameter("method.response.foo", "'x'").unwrap_err(),
///     "Invalid mapping expression specified: method.response.foo"
/// );
/// ```
pub fn validate_response_parameter(key: &str, value: &str) -> Result<(), String> {
    let bad = |what: &str| format!("Invalid mapping expression specified: {what}");
    if parse_source(value).is_none() {
        return Err(bad(value));
    }
    key.strip_prefix("method.response.header.")
        .filter(|n| !n.is_empty())
        .and_then(headers::placement)
        .map(|_| ())
        .ok_or_else(|| bad(key))
}

/// Parses one source expression; `None` when API Gateway would reject it.
fn parse_source(expr: &str) -> Option<Source> {
    if let Some(inner) = expr.strip_prefix('\'') {
        let lit = inner.strip_suffix('\'')?;
        return HeaderValue::from_str(lit).ok().map(Source::Static);
    }
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    if let Some(rest) = expr.strip_prefix("integration.response.") {
        if let Some(n) = rest.strip_prefix("header.") {
            return nonempty(n).map(Source::Header);
        }
        if let Some(n) = rest.strip_prefix("multivalueheader.") {
            return nonempty(n).map(Source::MultiHeader);
        }
        if rest == "body" {
            return Some(Source::Body);
        }
        if let Some(path) = rest.strip_prefix("body.") {
            return JsonPath::parse_body_suffix(path).ok().map(Source::BodyPath);
        }
        if let Some(index) = rest.strip_prefix("body").filter(|r| r.starts_with('[')) {
            return JsonPath::parse(&format!("${index}"))
                .ok()
                .map(Source::BodyPath);
        }
        return None;
    }
    if let Some(path) = expr.strip_prefix("context.") {
        let parts: Vec<String> = path.split('.').map(str::to_owned).collect();
        return (!parts.iter().any(String::is_empty)).then_some(Source::Context(parts));
    }
    if let Some(n) = expr.strip_prefix("stageVariables.") {
        return nonempty(n).map(Source::StageVariable);
    }
    None
}

/// The integration response body parsed at most once, on first use.
pub(crate) struct LazyBody<'a> {
    raw: &'a [u8],
    lambda_error: bool,
    parsed: Option<Result<Option<Value>, Failure>>,
    /// The body on a lazy JSON tape, on first use (`None` inside: not JSON-looking, or
    /// beyond what the tape reader settles; the `serde_json` document decides then).
    tape: Option<Option<JsonText>>,
}

impl<'a> LazyBody<'a> {
    pub(crate) fn new(raw: &'a [u8], lambda_error: bool) -> LazyBody<'a> {
        LazyBody {
            raw,
            lambda_error,
            parsed: None,
            tape: None,
        }
    }

    /// The body on the tape, for the JSON-looking bodies the document would parse.
    fn tape(&mut self) -> Option<&JsonText> {
        if self.tape.is_none() {
            let looks_json = matches!(
                self.raw.trim_ascii_start().first(),
                Some(b'{' | b'[' | b'"')
            );
            self.tape = Some(looks_json.then(|| JsonText::parse(self.raw)).flatten());
        }
        self.tape.as_ref().and_then(Option::as_ref)
    }

    /// Fails as [`LazyBody::document`] does when the body starts with `{` and is not JSON.
    pub(crate) fn check(&mut self) -> Result<(), Failure> {
        if self.tape().is_some() {
            return Ok(());
        }
        self.document().map(|_| ())
    }

    /// The parsed document: `Ok(None)` when the body is not JSON-looking (SPEC §3.4: only a body
    /// starting with `{`, `[` or `"` is parsed); an error when it starts with `{` and is invalid.
    fn document(&mut self) -> Result<Option<&Value>, Failure> {
        if self.parsed.is_none() {
            let trimmed = self.raw.trim_ascii_start();
            let parsed = match trimmed.first() {
                Some(b'{' | b'[' | b'"') => match serde_json::from_slice::<Value>(self.raw) {
                    Ok(v) => Ok(Some(v)),
                    Err(e) if trimmed[0] == b'{' => Err(Failure::InvalidJsonBody {
                        detail: e.to_string(),
                    }),
                    Err(_) => Ok(None),
                },
                _ => Ok(None),
            };
            self.parsed = Some(parsed);
        }
        match self.parsed.as_ref() {
            Some(Ok(v)) => Ok(v.as_ref()),
            Some(Err(e)) => Err(e.clone()),
            None => Ok(None),
        }
    }

    /// The document and the tape, whichever the parameters made.
    pub(crate) fn into_parts(self) -> (Option<Value>, Option<JsonText>) {
        let document = match self.parsed {
            Some(Ok(v)) => v,
            _ => None,
        };
        (document, self.tape.flatten())
    }

    /// Evaluates a body path, with the Lambda custom-error second-level parse (SPEC §3.4): when
    /// a step lands on a string holding JSON, that string is parsed and the walk goes on.
    fn query(&mut self, path: &JsonPath) -> Result<Option<String>, Failure> {
        let lambda_error = self.lambda_error;
        // A path of names and indexes to a scalar reads the tape (no DOM); containers,
        // integers beyond `long` and the Lambda second-level parse take the document.
        if path.steps().is_some()
            && let Some(tape) = self.tape()
            && let Some(Some(answer)) =
                crate::fastjson::with_tape_steps(path, |steps| match tape.scalar_at(steps) {
                    Some(JsonScalar::Str(s)) => Some(Some(s.into_owned())),
                    Some(JsonScalar::Int(i)) => Some(Some(i.to_string())),
                    Some(JsonScalar::Bool(b)) => Some(Some(b.to_string())),
                    Some(JsonScalar::Double(d)) => {
                        serde_json::Number::from_f64(d).map(|n| Some(n.to_string()))
                    }
                    Some(JsonScalar::Null) | None if !lambda_error => Some(None),
                    _ => None,
                })
        {
            return Ok(answer);
        }
        let Some(doc) = self.document()? else {
            return Ok(None);
        };
        if let Some(v) = render(path.query(doc)) {
            return Ok(Some(v));
        }
        if !lambda_error {
            return Ok(None);
        }
        Ok(path
            .get_parsing_json_strings(doc)
            .and_then(|v| render(QueryResult::One(&v))))
    }
}

/// Renders a query result as a header value text (SPEC §3.4): strings verbatim, other values as
/// compact JSON, several results as a JSON array; nothing or JSON `null` → no header.
fn render(result: QueryResult<'_>) -> Option<String> {
    match result {
        QueryResult::Nothing => None,
        QueryResult::One(Value::Null) => None,
        QueryResult::One(Value::String(s)) => Some(s.clone()),
        QueryResult::One(v) => Some(v.to_string()),
        QueryResult::Many(list) => {
            Some(Value::Array(list.into_iter().cloned().collect()).to_string())
        }
        QueryResult::Computed(Value::String(s)) => Some(s),
        QueryResult::Computed(v) => Some(v.to_string()),
    }
}

/// Evaluates the parameters of the selected response, in order, handing each value to `emit`
/// with the parameter's index in `params` and its placement.
/// Missing and empty values are skipped (SPEC §3.3, §3.6), as are values that are not valid
/// header values (for example containing CR or LF): they can never be sent.
///
/// `shared`: API Gateway's header values for the same request; `context.requestId` and
/// `context.extendedRequestId` reuse them (the same bytes: no second header value is built).
pub(crate) fn evaluate(
    params: &[Parameter],
    backend: &BackendResponse,
    request: &RequestContext,
    ids: &ContextIds<'_>,
    body: &mut LazyBody<'_>,
    shared: &GatewayHeaderValues,
    mut emit: impl FnMut(usize, &Placement, HeaderValue),
) -> Result<(), Failure> {
    for (i, p) in params.iter().enumerate() {
        let text: Option<Cow<'_, str>> = match &p.source {
            Source::Static(v) => {
                emit(i, &p.placement, v.clone());
                continue;
            }
            Source::Header(name) => {
                if let Some(v) = backend.header_exact(name).filter(|v| !v.is_empty()) {
                    emit(i, &p.placement, v.clone());
                }
                continue;
            }
            Source::MultiHeader(name) => {
                let mut joined: Vec<u8> = Vec::new();
                for (n, v) in &backend.headers {
                    if n == name {
                        if !joined.is_empty() {
                            joined.push(b',');
                        }
                        joined.extend_from_slice(v.as_bytes());
                    }
                }
                if let Ok(v) = HeaderValue::from_bytes(&joined)
                    && !v.is_empty()
                {
                    emit(i, &p.placement, v);
                }
                continue;
            }
            Source::Body => {
                // The raw text, but a body that starts with `{` must be valid JSON (SPEC §3.4).
                body.check()?;
                Some(if body.raw.is_empty() {
                    Cow::Borrowed("{}")
                } else {
                    String::from_utf8_lossy(body.raw)
                })
            }
            Source::BodyPath(path) => body.query(path)?.map(Cow::Owned),
            Source::Context(parts) => {
                // The ids were read already (a value that is not a string is printed below).
                let text = match parts.as_slice() {
                    [name] if name == "requestId" => ids.request_id,
                    [name] if name == "extendedRequestId" => ids.extended_request_id,
                    _ => None,
                }
                .map(Cow::Borrowed)
                .or_else(|| context_value(request, parts));
                let same = match (parts.as_slice(), &text) {
                    ([name], Some(Cow::Borrowed(t))) if !t.is_empty() => match name.as_str() {
                        "requestId" => shared.request_id.as_ref(),
                        "extendedRequestId" => shared.apigw_id.as_ref(),
                        _ => None,
                    }
                    .filter(|v| v.as_bytes() == t.as_bytes()),
                    _ => None,
                };
                if let Some(v) = same {
                    emit(i, &p.placement, v.clone());
                    continue;
                }
                text
            }
            Source::StageVariable(name) => request
                .stage_variables
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| Cow::Borrowed(v.as_str())),
        };
        if let Some(t) = text.filter(|t| !t.is_empty())
            && let Ok(v) = HeaderValue::from_str(&t)
        {
            emit(i, &p.placement, v);
        }
    }
    Ok(())
}

/// Walks a dotted path in `$context` (a typed id first: see
/// [`RequestContext::request_id`]); strings verbatim, other values as compact JSON.
pub(crate) fn context_value<'c>(
    request: &'c RequestContext,
    parts: &[String],
) -> Option<Cow<'c, str>> {
    let (first, rest) = parts.split_first()?;
    let mut v = match request.context_field(first)? {
        // A string has no members.
        ContextField::Id(id) => return rest.is_empty().then_some(Cow::Borrowed(id)),
        ContextField::Json(v) => v,
    };
    for p in rest {
        v = v.get(p)?;
    }
    match v {
        Value::Null => None,
        Value::String(s) => Some(Cow::Borrowed(s)),
        other => Some(Cow::Owned(other.to_string())),
    }
}

/// Whether any parameter reads the body as JSON (so the body must be parsed).
#[allow(dead_code)] // used by the explain/analysis API later
pub(crate) fn reads_body_json(params: &[Parameter]) -> bool {
    params
        .iter()
        .any(|p| matches!(p.source, Source::BodyPath(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body path read through the tape, and through the `serde_json` document only.
    fn both_ways(body: &str, path: &str, lambda_error: bool) -> (String, String) {
        let path = JsonPath::parse_body_suffix(path).unwrap();
        let mut tape = LazyBody::new(body.as_bytes(), lambda_error);
        let mut document = LazyBody::new(body.as_bytes(), lambda_error);
        document.tape = Some(None);
        (
            format!("{:?}", tape.query(&path)),
            format!("{:?}", document.query(&path)),
        )
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 2000,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// `integration.response.body.<path>` gives the same header text whether the body is
        /// read from the tape or from the document.
        #[test]
        fn body_paths_read_the_same_from_the_tape(
            body in proptest::prop_oneof![
                "\\{\"a\": (1|-0|2\\.50|1e3|true|null|\"x\\\\u00e9\"|\\[1, \"y\"\\]|\\{\"b\": 7\\}|123456789012345678901)(, \"a\": 9)?\\}",
                "\\[(\"s\"|0\\.1|\\{\\}), (false|-12|\"t\")\\]",
                "\"(plain|\\{\\\\\"a\\\\\": 1\\})\"",
                "\\{\"errorMessage\": \"\\{\\\\\"errorType\\\\\": \\\\\"Bad\\\\\"\\}\"\\}",
                "\\{\"a\": \\{",
            ],
            path in proptest::prop_oneof![
                proptest::strategy::Just("a"), proptest::strategy::Just("a.b"),
                proptest::strategy::Just("a[0]"), proptest::strategy::Just("a[-1]"),
                proptest::strategy::Just("[0]"), proptest::strategy::Just("errorMessage.errorType"),
                proptest::strategy::Just("missing"),
            ],
            lambda_error in proptest::bool::ANY,
        ) {
            let (tape, document) = both_ways(&body, path, lambda_error);
            proptest::prop_assert_eq!(tape, document, "{} on {}", path, body);
        }
    }

    #[test]
    fn sources_parse() {
        assert!(matches!(
            parse_source("'a b, \"c\"'"),
            Some(Source::Static(_))
        ));
        assert!(matches!(
            parse_source("integration.response.header.ETag"),
            Some(Source::Header(n)) if n == "ETag"
        ));
        assert!(matches!(
            parse_source("integration.response.multivalueheader.X"),
            Some(Source::MultiHeader(_))
        ));
        assert!(matches!(
            parse_source("integration.response.body"),
            Some(Source::Body)
        ));
        assert!(matches!(
            parse_source("integration.response.body.a.b[0]"),
            Some(Source::BodyPath(_))
        ));
        assert!(matches!(
            parse_source("context.identity.sourceIp"),
            Some(Source::Context(p)) if p.len() == 2
        ));
        assert!(matches!(
            parse_source("stageVariables.env"),
            Some(Source::StageVariable(_))
        ));
        for bad in [
            "\"*\"",
            "true",
            "integration.response.header.",
            "integration.response.foo",
            "context.",
            "context.a..b",
            "'unterminated",
            "'a\nb'",
        ] {
            assert!(parse_source(bad).is_none(), "{bad} must be rejected");
        }
    }

    #[test]
    fn compile_rejects_bad_keys_with_aws_text() {
        let mut m = Map::new();
        m.insert("method.response.foo".into(), Value::String("'x'".into()));
        let e = compile(Some(&m), "integration response \"200\"").unwrap_err();
        assert_eq!(
            e.detail(),
            "Invalid mapping expression specified: method.response.foo"
        );
    }

    #[test]
    fn backend_headers_read_are_all_a_response_needs() {
        use crate::{IntegrationKind, IntegrationResponse, IntegrationSpec, RequestContext};
        let mut spec = IntegrationSpec::new(IntegrationKind::Http);
        let mut params = Map::new();
        for (header, source) in [
            ("X-A", "integration.response.header.X-A"),
            ("X-B", "integration.response.multivalueheader.x-b"),
        ] {
            params.insert(format!("method.response.header.{header}"), source.into());
        }
        let mut templates = Map::new();
        templates.insert("application/json".into(), "$input.body".into());
        spec.integration_responses = vec![IntegrationResponse {
            status_code: "200".into(),
            response_parameters: Some(params),
            response_templates: Some(templates),
            ..Default::default()
        }];
        spec.method_responses = vec!["200".into()];
        spec.binary_media_types = vec!["image/png".into()];
        let compiled = crate::compile(&spec).unwrap();
        for (name, read) in [
            ("content-type", true),
            ("Content-Type", true),
            ("x-a", true),
            ("X-B", true),
            ("date", false),
            ("x-c", false),
        ] {
            assert_eq!(compiled.reads_backend_header(name), read, "{name}");
        }
        let value = HeaderValue::from_static;
        let mut backend = BackendResponse::new(200, "{\"k\": 1}");
        for ct in ["application/json", "image/png"] {
            backend.headers = vec![
                ("Date".into(), value("Mon, 01 Jan 2024 00:00:00 GMT")),
                ("Content-Type".into(), HeaderValue::from_str(ct).unwrap()),
                ("X-A".into(), value("a")),
                ("x-b".into(), value("1")),
                ("X-C".into(), value("c")),
                ("x-b".into(), value("2")),
            ];
            let mut pruned = backend.clone();
            pruned
                .headers
                .retain(|(n, _)| compiled.reads_backend_header(n));
            assert_eq!(pruned.headers.len(), 4);
            let request = RequestContext::default();
            let (a, b) = (
                compiled.apply(&backend, &request),
                compiled.apply(&pruned, &request),
            );
            assert_eq!(
                (a.status, &a.headers, &a.body),
                (b.status, &b.headers, &b.body)
            );
            assert_eq!(a.headers["x-a"], "a");
            assert_eq!(a.headers["x-b"], "1,2");
        }
        // The proxy kinds pass every header through.
        let proxy = crate::compile(&IntegrationSpec::new(IntegrationKind::HttpProxy)).unwrap();
        assert!(proxy.reads_backend_header("date"));
    }
}
