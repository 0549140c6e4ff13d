//! Gateway responses: what the client receives when the mapping cannot produce a response
//! (SPEC §7.1–7.2). By default the `API_CONFIGURATION_ERROR` response (500, the 36-byte
//! `{"message": "Internal server error"}`); when the REST API customises
//! `API_CONFIGURATION_ERROR`, or else `DEFAULT_5XX`, its status, `responseParameters` and
//! `responseTemplates` are used.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{CompileError, CompileErrorKind, Failure};
use crate::headers::{self, Assembly, Placement};
use crate::render;
use crate::templates::{Mapping, TemplateSet};
use crate::{
    CONFIGURATION_ERROR_BODY, EngineLimits, GatewayHeaderValues, MethodResponse, RequestContext,
    content,
};

/// A customised gateway response of the REST API, as `put_gateway_response` stores it.
///
/// # Example
/// ```
/// let g: apigw_mapping::GatewayResponse = serde_json::from_str(
///     r#"{"responseType": "DEFAULT_5XX", "statusCode": "503",
///         "responseTemplates": {"application/json": "{\"error\": $context.error.messageString}"}}"#,
/// ).unwrap();
/// assert_eq!(g.status_code.as_deref(), Some("503"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayResponse {
    /// `API_CONFIGURATION_ERROR`, `DEFAULT_5XX`, … (only those two apply to the mapping).
    pub response_type: String,
    /// The status code; absent means the type's default (500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<String>,
    /// `gatewayresponse.header.X` → source (`'static'`, `method.request.header.X`,
    /// `method.request.querystring.X`, `method.request.path.X`, `context.X`,
    /// `stageVariables.X`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_parameters: Option<Map<String, Value>>,
    /// Content type → template, chosen by the client's `Accept` as for integration responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_templates: Option<Map<String, Value>>,
}

/// Where a gateway response header's value comes from.
#[derive(Debug)]
enum Source {
    Static(HeaderValue),
    RequestHeader(String),
    RequestQuery(String),
    RequestPath(String),
    Context(Vec<String>),
    StageVariable(String),
}

/// The configuration-error response of one deployment, compiled.
#[derive(Debug, Default)]
pub(crate) struct CompiledGateway {
    /// `None`: API Gateway's default response.
    custom: Option<Custom>,
}

#[derive(Debug)]
struct Custom {
    status: u16,
    parameters: Vec<(Placement, Source)>,
    templates: TemplateSet,
}

impl CompiledGateway {
    /// Picks `API_CONFIGURATION_ERROR`, else `DEFAULT_5XX`, and compiles it.
    pub(crate) fn compile(
        responses: &[GatewayResponse],
        warnings: &mut Vec<String>,
        limits: &apigw_vtl::Limits,
    ) -> Result<CompiledGateway, CompileError> {
        let chosen = responses
            .iter()
            .find(|g| g.response_type == "API_CONFIGURATION_ERROR")
            .or_else(|| responses.iter().find(|g| g.response_type == "DEFAULT_5XX"));
        let Some(g) = chosen else {
            return Ok(CompiledGateway::default());
        };
        Ok(CompiledGateway {
            custom: Some(Custom::compile(g, warnings, limits)?),
        })
    }

    /// Whether the customised response may read `$context` (a template naming it, or a
    /// `context.X` header source).
    pub(crate) fn reads_context(&self) -> bool {
        self.custom.as_ref().is_some_and(|c| {
            c.templates.may_read("context")
                || c.parameters
                    .iter()
                    .any(|(_, s)| matches!(s, Source::Context(_)))
        })
    }

    /// The templates of the customised response (none for API Gateway's default).
    pub(crate) fn templates(&self) -> Option<&TemplateSet> {
        self.custom.as_ref().map(|c| &c.templates)
    }

    /// Adds the method request headers the customised response's parameters read to `names`.
    pub(crate) fn request_headers(&self, names: &mut Vec<String>) {
        for (_, source) in self.custom.iter().flat_map(|c| &c.parameters) {
            if let Source::RequestHeader(n) = source {
                names.push(n.clone());
            }
        }
    }

    /// The response for a configuration error.
    pub(crate) fn respond(&self, request: &RequestContext, failure: Failure) -> MethodResponse {
        let Some(custom) = &self.custom else {
            return default_response(request, failure);
        };
        custom.respond(request, failure)
    }
}

impl Custom {
    /// Compiles one gateway response (status, `responseParameters`, `responseTemplates`).
    fn compile(
        g: &GatewayResponse,
        warnings: &mut Vec<String>,
        limits: &apigw_vtl::Limits,
    ) -> Result<Custom, CompileError> {
        let origin = format!("gateway response {}", g.response_type);
        let status = match g.status_code.as_deref() {
            None => 500,
            Some(s) => crate::parse_status_code(s).ok_or_else(|| {
                CompileError::new(
                    CompileErrorKind::InvalidStatusCode,
                    &origin,
                    format!(
                        "Value '{s}' at 'statusCode' failed to satisfy constraint: Member must \
                         satisfy regular expression pattern: [1-5]\\d\\d"
                    ),
                )
            })?,
        };
        let mut parameters = Vec::new();
        for (key, value) in g.response_parameters.iter().flatten() {
            let bad = |what: &str| {
                CompileError::new(
                    CompileErrorKind::InvalidMappingExpression,
                    format!("{origin}, responseParameters"),
                    format!("Invalid mapping expression specified: {what}"),
                )
            };
            let placement = key
                .strip_prefix("gatewayresponse.header.")
                .filter(|n| !n.is_empty())
                .and_then(headers::placement)
                .ok_or_else(|| bad(key))?;
            let expr = value.as_str().ok_or_else(|| bad(&value.to_string()))?;
            parameters.push((placement, parse_source(expr).ok_or_else(|| bad(expr))?));
        }
        let templates = TemplateSet::compile(
            g.response_templates.as_ref(),
            &format!("{origin}, responseTemplates"),
            warnings,
            limits,
        )?;
        Ok(Custom {
            status,
            parameters,
            templates,
        })
    }

    /// The mapped headers (with the default `Content-Type`) and the body: the template chosen
    /// by `Accept` rendered with `$context` = `context()`, or `default_body` without templates.
    /// `None` when the template fails to render or does not compile.
    fn produce(
        &self,
        request: &RequestContext,
        context: impl FnOnce() -> Map<String, Value>,
        default_body: Bytes,
    ) -> Option<(HeaderMap, Bytes)> {
        let mut assembly = Assembly::default();
        for (placement, source) in &self.parameters {
            if let Some(v) = evaluate(source, request) {
                assembly.mapped(placement, v);
            }
        }
        let mime = request
            .header("accept")
            .map_or("application/json", content::first_accept_media_type);
        let body = match self.templates.choose(mime).map(|e| &e.template) {
            Some(Mapping::Render(template)) => {
                let overrides = render::Overrides::default();
                let scope = render::Scope::new(Bytes::new(), request, &overrides, &template.reads);
                Bytes::from(render::render_with_context(template, &scope, &context()).ok()?)
            }
            Some(Mapping::Passthrough) => Bytes::new(),
            Some(Mapping::Invalid(_)) => return None,
            None => default_body,
        };
        assembly.default_content_type();
        Some((assembly.map, body))
    }

    /// The response for a configuration error; API Gateway's default when the custom response
    /// itself fails.
    fn respond(&self, request: &RequestContext, failure: Failure) -> MethodResponse {
        let Some((mut headers, body)) = self.produce(
            request,
            || error_context("Internal server error", "API_CONFIGURATION_ERROR"),
            Bytes::from_static(CONFIGURATION_ERROR_BODY.as_bytes()),
        ) else {
            return default_response(request, failure);
        };
        finish_headers(&mut headers, request);
        MethodResponse {
            status: self.status,
            headers,
            body,
            failure: Some(failure),
        }
    }
}

/// `$context` with `error`: `message`, `messageString` (the message as a JSON string) and
/// `responseType`, as gateway-response templates read them.
fn error_context(message: &str, response_type: &str) -> Map<String, Value> {
    let mut error = Map::new();
    error.insert("message".into(), message.into());
    error.insert(
        "messageString".into(),
        Value::String(Value::String(message.to_owned()).to_string()),
    );
    error.insert("responseType".into(), response_type.into());
    let mut m = Map::new();
    m.insert("error".into(), Value::Object(error));
    m
}

fn parse_source(expr: &str) -> Option<Source> {
    if let Some(inner) = expr.strip_prefix('\'') {
        let lit = inner.strip_suffix('\'')?;
        return HeaderValue::from_str(lit).ok().map(Source::Static);
    }
    let name = |prefix: &str| {
        expr.strip_prefix(prefix)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
    };
    if let Some(n) = name("method.request.header.") {
        return Some(Source::RequestHeader(n));
    }
    if let Some(n) = name("method.request.querystring.") {
        return Some(Source::RequestQuery(n));
    }
    if let Some(n) = name("method.request.path.") {
        return Some(Source::RequestPath(n));
    }
    if let Some(n) = name("stageVariables.") {
        return Some(Source::StageVariable(n));
    }
    if let Some(path) = name("context.") {
        let parts: Vec<String> = path.split('.').map(str::to_owned).collect();
        return (!parts.iter().any(String::is_empty)).then_some(Source::Context(parts));
    }
    None
}

fn evaluate(source: &Source, request: &RequestContext) -> Option<HeaderValue> {
    let find = |list: &[(String, String)], name: &str| {
        list.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    };
    let text = match source {
        Source::Static(v) => return Some(v.clone()),
        Source::RequestHeader(n) => find(&request.headers, n),
        Source::RequestQuery(n) => find(&request.query_string, n),
        Source::RequestPath(n) => find(&request.path_parameters, n),
        Source::StageVariable(n) => find(&request.stage_variables, n),
        Source::Context(parts) => {
            crate::params::context_value(request, parts).map(std::borrow::Cow::into_owned)
        }
    }?;
    (!text.is_empty())
        .then(|| HeaderValue::from_str(&text).ok())
        .flatten()
}

/// `x-amzn-ErrorType` and API Gateway's ids; never `X-Amzn-Trace-Id` (SPEC §7.3).
fn finish_headers(headers: &mut HeaderMap, request: &RequestContext) {
    headers.insert(
        http::HeaderName::from_static("x-amzn-errortype"),
        HeaderValue::from_static("InternalServerErrorException"),
    );
    GatewayHeaderValues::build(request, false).insert_into(headers, false);
}

/// The `API_CONFIGURATION_ERROR` gateway response as API Gateway sends it by default (SPEC
/// §7.1): 500, the 36-byte body, `Content-Type: application/json`,
/// `x-amzn-ErrorType: InternalServerErrorException`, no `X-Amzn-Trace-Id`.
pub(crate) fn default_response(request: &RequestContext, failure: Failure) -> MethodResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    finish_headers(&mut headers, request);
    MethodResponse {
        status: 500,
        headers,
        body: Bytes::from_static(CONFIGURATION_ERROR_BODY.as_bytes()),
        failure: Some(failure),
    }
}

/// A customised gateway response applied to an error the host produces itself (no route,
/// integration timeout, payload too large, …): its status, `responseParameters` and
/// `responseTemplates` (SPEC §7.2), compiled once per deployment.
///
/// # Example
/// ```
/// use apigw_mapping::{GatewayResponse, HostError, HostGatewayResponse, RequestContext};
///
/// let g: GatewayResponse = serde_json::from_str(
///     r#"{"responseType": "MISSING_AUTHENTICATION_TOKEN", "statusCode": "404",
///         "responseParameters": {"gatewayresponse.header.X-Why": "'no route'"},
///         "responseTemplates": {"application/json": "{\"error\": $context.error.messageString}"}}"#,
/// ).unwrap();
/// let compiled = HostGatewayResponse::compile(&g).unwrap();
/// let error = HostError {
///     status: 403,
///     message: "Missing Authentication Token",
///     body: r#"{"message":"Missing Authentication Token"}"#,
///     error_type: Some("MissingAuthenticationTokenException"),
/// };
/// let r = compiled.respond(&RequestContext::default(), &error).unwrap();
/// assert_eq!(r.status, 404);
/// assert_eq!(r.headers["x-why"], "no route");
/// assert_eq!(&r.body[..], br#"{"error": "Missing Authentication Token"}"#);
/// ```
#[derive(Debug)]
pub struct HostGatewayResponse {
    response_type: String,
    /// The configured status; `None`: the error's own.
    status: Option<u16>,
    custom: Custom,
}

/// The error a [`HostGatewayResponse`] answers, with what the host sends by default.
#[derive(Debug, Clone, Copy)]
pub struct HostError<'a> {
    /// The status when the gateway response sets none.
    pub status: u16,
    /// `$context.error.message` (`messageString` is its JSON string).
    pub message: &'a str,
    /// The body when the gateway response has no templates.
    pub body: &'a str,
    /// `x-amzn-ErrorType`, when the error has one.
    pub error_type: Option<&'a str>,
}

impl HostGatewayResponse {
    /// Compiles a (customised or inherited) gateway response.
    ///
    /// # Errors
    /// A status code that is not `[1-5]\d\d`, an invalid `responseParameters` entry, an
    /// invalid template key.
    pub fn compile(g: &GatewayResponse) -> Result<HostGatewayResponse, CompileError> {
        HostGatewayResponse::compile_with(g, &EngineLimits::default())
    }

    /// Like [`HostGatewayResponse::compile`], with templates compiled within
    /// `limits.templates`.
    ///
    /// # Errors
    /// As [`HostGatewayResponse::compile`].
    pub fn compile_with(
        g: &GatewayResponse,
        limits: &EngineLimits,
    ) -> Result<HostGatewayResponse, CompileError> {
        let mut warnings = Vec::new();
        let custom = Custom::compile(g, &mut warnings, &limits.templates)?;
        Ok(HostGatewayResponse {
            response_type: g.response_type.clone(),
            status: g.status_code.as_ref().map(|_| custom.status),
            custom,
        })
    }

    /// The response: the status (configured, else the error's), `Content-Type:
    /// application/json` unless a parameter sets it, the mapped headers, `x-amzn-ErrorType`,
    /// `x-amzn-RequestId`, `x-amz-apigw-id`; the body from the template chosen by `Accept`
    /// (with `$context.error.message`, `messageString`, `responseType`), or the error's
    /// default body without templates. `None` when the template fails to render: the host
    /// answers its default response.
    pub fn respond(
        &self,
        request: &RequestContext,
        error: &HostError<'_>,
    ) -> Option<MethodResponse> {
        let (mut headers, body) = self.custom.produce(
            request,
            || error_context(error.message, &self.response_type),
            Bytes::copy_from_slice(error.body.as_bytes()),
        )?;
        if let Some(t) = error.error_type.and_then(|t| HeaderValue::from_str(t).ok()) {
            headers.insert(http::HeaderName::from_static("x-amzn-errortype"), t);
        }
        GatewayHeaderValues::build(request, false).insert_into(&mut headers, false);
        Some(MethodResponse {
            status: self.status.unwrap_or(error.status),
            headers,
            body,
            failure: None,
        })
    }
}
