//! The data plane of AWS API Gateway (REST APIs) for non-proxy integrations: what happens
//! between "the backend answered" and "the client receives bytes", byte for byte.
//!
//! Configure once with [`compile`], then call [`CompiledIntegration::apply`] per request:
//!
//! 1. the selection value (status code, Lambda `errorMessage`, MOCK `statusCode`) picks the
//!    integration response whose `selectionPattern` (a Java regex, whole-string match) fits,
//!    else the default ([`select`]);
//! 2. `responseParameters` map headers;
//! 3. `contentHandling` and `binaryMediaTypes` convert the body ([`content`]);
//! 4. the `responseTemplates` entry chosen by the client's `Accept` renders the body;
//! 5. headers are assembled as API Gateway does.
//!
//! Everything user-supplied is parsed and validated by [`compile`]; `apply` parses no
//! configuration.
//!
//! # Example
//! ```
//! use apigw_mapping::{compile, BackendResponse, IntegrationKind, IntegrationResponse,
//!                     IntegrationSpec, RequestContext};
//!
//! let mut spec = IntegrationSpec::new(IntegrationKind::Http);
//! spec.integration_responses = vec![
//!     IntegrationResponse { status_code: "200".into(), ..Default::default() },
//!     IntegrationResponse {
//!         status_code: "400".into(),
//!         selection_pattern: Some(r"4\d{2}".into()),
//!         ..Default::default()
//!     },
//! ];
//! spec.method_responses = vec!["200".into(), "400".into()];
//! let compiled = compile(&spec).unwrap();
//!
//! let backend = BackendResponse::new(404, "not here");
//! let response = compiled.apply(&backend, &RequestContext::default());
//! assert_eq!(response.status, 400);
//! assert_eq!(&response.body[..], b"not here");
//! assert_eq!(response.headers["content-type"], "application/json");
//! ```
#![deny(missing_docs)]

mod compact;
pub mod content;
mod context_id;
mod error;
mod explain;
mod fastjson;
mod gateway;
mod headers;
mod model;
mod params;
mod reads;
mod render;
pub mod select;
mod templates;
pub mod util;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use serde_json::{Map, Value};

pub use apigw_javaregex::Limits as PatternLimits;
pub use apigw_vtl::Limits as TemplateLimits;
pub use content::BinaryMediaTypes;
pub use context_id::ContextId;
pub use error::{CompileError, CompileErrorKind, Failure};
pub use explain::{Explanation, ParameterTrace, PatternTrial};
pub use gateway::{GatewayResponse, HostError, HostGatewayResponse};
pub use model::{ContentHandling, IntegrationKind, IntegrationResponse, IntegrationSpec};
pub use params::validate_response_parameter;
pub use render::OverrideValues;

/// Converts JSON into the value a mapping template sees for it, as `$input.path` and
/// `$util.parseJson` produce it: objects as insertion-ordered Java maps (printed `{k=v}`),
/// arrays as lists printed as compact JSON (json-smart's `JSONArray`), numbers as
/// `Integer`/`Long`/`Double`. Useful to hosts that render `apigw-vtl` templates themselves.
///
/// # Example
/// ```
/// let v = apigw_mapping::json_to_template_value(&serde_json::json!({"a": [1, "x/y"], "b": 1.5}));
/// assert_eq!(v.to_string(), r#"{a=[1,"x\/y"], b=1.5}"#);
/// ```
pub fn json_to_template_value(json: &Value) -> apigw_vtl::Value {
    render::to_vtl(json)
}

/// The `$util` object mapping templates see (SPEC §5.6: `escapeJavaScript`, `parseJson`,
/// `urlEncode`, `urlDecode`, `base64Encode`, `base64Decode`), for hosts that render
/// templates themselves (benchmarks, tools).
///
/// # Example
/// ```
/// use apigw_vtl::{Context, Options, Template};
/// let mut ctx = Context::new();
/// ctx.insert("util", apigw_mapping::util_object());
/// let t = Template::compile("$util.escapeJavaScript(\"it's\")", &Options::default())?;
/// let mut out = String::new();
/// t.render(&ctx, &mut out)?;
/// assert_eq!(out, "it\\'s");
/// # Ok::<(), apigw_vtl::Error>(())
/// ```
pub fn util_object() -> apigw_vtl::Value {
    render::util_value()
}

use crate::headers::LaidOut;
use crate::select::{Candidate, Selector};
use crate::templates::TemplateSet;

/// What the backend answered.
#[derive(Debug, Clone, Default)]
pub struct BackendResponse {
    /// The HTTP status of the integration response (for Lambda: of the Invoke API call).
    pub status: u16,
    /// Headers as received, names with their case kept (lookups by
    /// `integration.response.header.X` are case-sensitive, SPEC §3.3).
    pub headers: Vec<(String, HeaderValue)>,
    /// The body as received.
    pub body: Bytes,
    /// Lambda only: the Invoke response carried `X-Amz-Function-Error` (a function error).
    pub function_error: bool,
}

impl BackendResponse {
    /// A response with a status and a body, no headers.
    ///
    /// # Example
    /// ```
    /// let r = apigw_mapping::BackendResponse::new(200, "{}");
    /// assert_eq!(r.status, 200);
    /// ```
    pub fn new(status: u16, body: impl Into<Bytes>) -> BackendResponse {
        BackendResponse {
            status,
            headers: Vec::new(),
            body: body.into(),
            function_error: false,
        }
    }

    /// The value of the last header named exactly `name` (case-sensitive).
    pub fn header_exact(&self, name: &str) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// The value of the first header named `name`, compared case-insensitively (HTTP rules;
    /// used for `Content-Type`).
    pub fn header_any_case(&self, name: &str) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

/// The client's method request and the `$context` / `$stageVariables` of the invocation.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// Method request headers as received (names with their case kept), in order.
    pub headers: Vec<(String, String)>,
    /// Query string parameters.
    pub query_string: Vec<(String, String)>,
    /// Path parameters.
    pub path_parameters: Vec<(String, String)>,
    /// Stage variables.
    pub stage_variables: Vec<(String, String)>,
    /// The `$context` object (`requestId`, `stage`, `httpMethod`, `resourcePath`,
    /// `identity`, …).
    pub context: Map<String, Value>,
    /// `$context.requestId` (also `x-amzn-RequestId`), kept without a heap allocation.
    ///
    /// When set, it takes precedence over an entry `requestId` in
    /// [`RequestContext::context`] everywhere (templates, `context.requestId` parameters,
    /// API Gateway's headers, [`RequestContext::context_str`]); when `None`, that entry (if
    /// any) is read as before. `$context` seen whole (printed by a template, or
    /// [`RequestContext::context_map`]) is the map with the typed ids inserted as
    /// [`Map::insert`] would: an entry of the same name keeps its place and shows the typed
    /// value, otherwise the ids follow the map's entries, `requestId` first.
    ///
    /// # Example
    /// ```
    /// use apigw_mapping::{ContextId, GatewayHeaderValues, RequestContext};
    /// let mut request = RequestContext::default();
    /// request.context.insert("requestId".into(), "from-the-map".into());
    /// request.request_id = Some(ContextId::new("r-1"));
    /// request.extended_request_id = Some(ContextId::new("Ab3dEf6hIj9lMn0="));
    /// assert_eq!(request.context_str("requestId"), Some("r-1"));
    /// let values = GatewayHeaderValues::from_request(&request);
    /// assert_eq!(values.request_id.unwrap(), "r-1");
    /// assert_eq!(values.apigw_id.unwrap(), "Ab3dEf6hIj9lMn0=");
    /// ```
    pub request_id: Option<ContextId>,
    /// `$context.extendedRequestId` (also `x-amz-apigw-id`), kept without a heap
    /// allocation; it takes precedence over an entry `extendedRequestId` in
    /// [`RequestContext::context`] as [`RequestContext::request_id`] does over `requestId`.
    pub extended_request_id: Option<ContextId>,
    /// The method request body (what a MOCK integration's request template reads).
    pub body: Bytes,
}

impl RequestContext {
    /// The first header named `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A top-level string field of `$context` ([`RequestContext::request_id`] and
    /// [`RequestContext::extended_request_id`] when set, else the map's entry).
    ///
    /// # Example
    /// ```
    /// let mut request = apigw_mapping::RequestContext::default();
    /// request.context.insert("stage".into(), "prod".into());
    /// request.extended_request_id = Some("Ab3dEf6hIj9lMn0=".into());
    /// assert_eq!(request.context_str("stage"), Some("prod"));
    /// assert_eq!(request.context_str("extendedRequestId"), Some("Ab3dEf6hIj9lMn0="));
    /// assert_eq!(request.context_str("requestId"), None);
    /// ```
    pub fn context_str(&self, name: &str) -> Option<&str> {
        self.typed_id(name)
            .or_else(|| self.context.get(name).and_then(Value::as_str))
    }
}

/// What the client receives (before the transport adds `Date`, `Content-Length` and
/// `Connection`).
#[derive(Debug, Clone)]
pub struct MethodResponse {
    /// The status code.
    pub status: u16,
    /// The headers, in API Gateway's assembly order.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// Why a gateway error was returned instead of a mapped response, for the operator's log.
    pub failure: Option<Failure>,
}

impl MethodResponse {
    /// An empty response (status 200, no headers, empty body) to pass to
    /// [`CompiledIntegration::apply_into`] and reuse across requests.
    ///
    /// # Example
    /// ```
    /// let r = apigw_mapping::MethodResponse::empty();
    /// assert_eq!(r.status, 200);
    /// assert!(r.headers.is_empty() && r.body.is_empty() && r.failure.is_none());
    /// ```
    pub fn empty() -> MethodResponse {
        MethodResponse {
            status: 200,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            failure: None,
        }
    }
}

/// The values of the headers API Gateway adds to a mapped response (`x-amzn-RequestId`,
/// `x-amz-apigw-id`, `X-Amzn-Trace-Id`, SPEC §7.3), built once per request by the caller so
/// that [`CompiledIntegration::apply_into`] allocates nothing for them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayHeaderValues {
    /// `x-amzn-RequestId` (`$context.requestId`).
    pub request_id: Option<HeaderValue>,
    /// `x-amz-apigw-id` (`$context.extendedRequestId`).
    pub apigw_id: Option<HeaderValue>,
    /// `X-Amzn-Trace-Id`, sent on successful HTTP, AWS and Lambda responses only.
    pub trace_id: Option<HeaderValue>,
}

impl GatewayHeaderValues {
    /// The values [`CompiledIntegration::apply`] derives from the request's `$context`:
    /// `requestId`, `extendedRequestId`, and `xrayTraceId` or a trace id derived from the
    /// request id.
    ///
    /// # Example
    /// ```
    /// let mut request = apigw_mapping::RequestContext::default();
    /// request.context.insert("requestId".into(), "r-1".into());
    /// let values = apigw_mapping::GatewayHeaderValues::from_request(&request);
    /// assert_eq!(values.request_id.unwrap(), "r-1");
    /// assert!(values.apigw_id.is_none());
    /// assert!(values.trace_id.unwrap().to_str().unwrap().starts_with("Root=1-"));
    /// ```
    pub fn from_request(request: &RequestContext) -> GatewayHeaderValues {
        GatewayHeaderValues::build(request, true)
    }

    /// The values, the trace id only when `with_trace`. The values share one heap block
    /// (a [`Packed`] buffer behind one [`Bytes`]) unless together they exceed it.
    pub(crate) fn build(request: &RequestContext, with_trace: bool) -> GatewayHeaderValues {
        GatewayHeaderValues::build_from(&ContextIds::of(request), with_trace)
    }

    /// [`GatewayHeaderValues::build`] from the request's ids, read already.
    pub(crate) fn build_from(ids: &ContextIds<'_>, with_trace: bool) -> GatewayHeaderValues {
        let trace = if with_trace {
            Some(trace_id(ids))
        } else {
            None
        };
        let parts = [
            ids.request_id.map(str::as_bytes),
            ids.extended_request_id.map(str::as_bytes),
            trace.as_ref().map(TraceId::as_bytes),
        ];
        let total: usize = parts.iter().flatten().map(|p| p.len()).sum();
        let [request_id, apigw_id, trace_id] = if total <= Packed::CAPACITY {
            let mut packed = Packed {
                bytes: [0; Packed::CAPACITY],
                len: total,
            };
            let mut ranges = [0..0, 0..0, 0..0];
            let mut at = 0;
            for (part, range) in parts.iter().zip(&mut ranges) {
                if let Some(p) = part {
                    packed.bytes[at..at + p.len()].copy_from_slice(p);
                    *range = at..at + p.len();
                    at += p.len();
                }
            }
            let shared = Bytes::from_owner(packed);
            let mut values = [None, None, None];
            for ((value, part), range) in values.iter_mut().zip(&parts).zip(ranges) {
                if part.is_some() {
                    *value = HeaderValue::from_maybe_shared(shared.slice(range)).ok();
                }
            }
            values
        } else {
            parts.map(|p| p.and_then(|p| HeaderValue::from_bytes(p).ok()))
        };
        GatewayHeaderValues {
            request_id,
            apigw_id,
            trace_id,
        }
    }

    /// Adds the values to `headers`, the trace id only when `with_trace`.
    pub(crate) fn insert_into(&self, headers: &mut HeaderMap, with_trace: bool) {
        let trace = if with_trace { &self.trace_id } else { &None };
        for (name, value) in
            GATEWAY_HEADER_NAMES
                .iter()
                .zip([&self.request_id, &self.apigw_id, trace])
        {
            if let Some(v) = value {
                headers.insert(name.clone(), v.clone());
            }
        }
    }
}

/// API Gateway's own headers, in the order they are added: `x-amzn-RequestId`,
/// `x-amz-apigw-id`, `X-Amzn-Trace-Id`.
pub(crate) static GATEWAY_HEADER_NAMES: [http::HeaderName; 3] = [
    http::HeaderName::from_static("x-amzn-requestid"),
    http::HeaderName::from_static("x-amz-apigw-id"),
    http::HeaderName::from_static("x-amzn-trace-id"),
];

/// The bytes of a request's gateway header values, together, so that one allocation (the
/// [`Bytes::from_owner`] block) holds them all.
struct Packed {
    bytes: [u8; Packed::CAPACITY],
    len: usize,
}

impl Packed {
    /// Room for a 36-byte request id, an extended request id and a trace id with its
    /// `Parent`/`Sampled` parts.
    const CAPACITY: usize = 160;
}

impl AsRef<[u8]> for Packed {
    fn as_ref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// An integration request after its request template (see
/// [`CompiledIntegration::render_request`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedRequest {
    /// The body to send to the backend.
    pub body: Bytes,
    /// What the template wrote to `$context.requestOverride` (`header`, `path`,
    /// `querystring`): the caller applies these to the backend call.
    pub request_override: OverrideValues,
    /// What the template wrote to `$context.responseOverride`, carried into the response by
    /// [`CompiledIntegration::apply_rendered`].
    pub response_override: OverrideValues,
}

/// The body API Gateway sends with `API_CONFIGURATION_ERROR` (36 bytes, SPEC §7.1).
pub const CONFIGURATION_ERROR_BODY: &str = r#"{"message": "Internal server error"}"#;

/// One compiled integration response.
#[derive(Debug)]
struct CompiledResponse {
    status_code: u16,
    /// The `selectionPattern` as configured (for explanations).
    selection_pattern: Option<Box<str>>,
    has_method_response: bool,
    content_handling: Option<ContentHandling>,
    templates: TemplateSet,
    /// `responseParameters`, parsed and placed at compile time.
    parameters: Vec<params::Parameter>,
    /// The response's headers laid out (see [`headers::Layout`]).
    layout: Option<headers::Layout>,
}

/// A method's integration responses, compiled once per deployment; immutable, `Send + Sync`,
/// meant to be shared behind an `Arc`.
#[derive(Debug)]
pub struct CompiledIntegration {
    kind: IntegrationKind,
    responses: Vec<CompiledResponse>,
    selector: Selector,
    binary_media_types: BinaryMediaTypes,
    request_templates: TemplateSet,
    gateway: gateway::CompiledGateway,
    warnings: Vec<String>,
    /// The pattern budgets, for the explain trace's trials.
    pattern_limits: PatternLimits,
    /// See [`CompiledIntegration::reads_context`].
    reads_context: bool,
}

/// Compiles a method's integration responses. Fails on configuration that API Gateway would
/// reject; patterns that do not compile are stored and never match (as AWS stores them
/// unvalidated), and are listed by [`CompiledIntegration::warnings`].
///
/// # Errors
/// A [`CompileError`] naming the integration response and field at fault.
pub fn compile(spec: &IntegrationSpec) -> Result<CompiledIntegration, CompileError> {
    CompiledIntegration::compile(spec)
}

/// Like [`compile`], with the engines' budgets set by `limits` instead of their defaults.
///
/// ```
/// use apigw_mapping::{EngineLimits, IntegrationKind, IntegrationSpec, compile_with};
///
/// let mut limits = EngineLimits::default();
/// limits.templates.max_loop_iterations = 1_000;
/// limits.patterns.backtrack_limit = 10_000;
/// let compiled = compile_with(&IntegrationSpec::new(IntegrationKind::Http), &limits).unwrap();
/// assert!(compiled.warnings().is_empty());
/// ```
///
/// # Errors
/// As [`compile`].
pub fn compile_with(
    spec: &IntegrationSpec,
    limits: &EngineLimits,
) -> Result<CompiledIntegration, CompileError> {
    CompiledIntegration::compile_with(spec, limits)
}

/// The budgets of the engines a deployment compiles with: Velocity templates (size, nesting,
/// macro depth, `#foreach` iterations, output size; [`TemplateLimits`]) and Java selection
/// patterns (pattern size, nesting, compiled size, DFA cache, backtracking steps;
/// [`PatternLimits`]). The defaults are each engine's defaults (COMPATIBILITY.md, Limits).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineLimits {
    /// Budgets of every template (response, request and gateway-response templates).
    pub templates: TemplateLimits,
    /// Budgets of every `selectionPattern`.
    pub patterns: PatternLimits,
}

impl CompiledIntegration {
    /// See [`compile`].
    ///
    /// # Errors
    /// A [`CompileError`] naming the integration response and field at fault.
    pub fn compile(spec: &IntegrationSpec) -> Result<CompiledIntegration, CompileError> {
        CompiledIntegration::compile_with(spec, &EngineLimits::default())
    }

    /// See [`compile_with`].
    ///
    /// # Errors
    /// As [`compile`].
    pub fn compile_with(
        spec: &IntegrationSpec,
        limits: &EngineLimits,
    ) -> Result<CompiledIntegration, CompileError> {
        let mut responses = Vec::with_capacity(spec.integration_responses.len());
        let mut template_warnings = Vec::new();
        for ir in &spec.integration_responses {
            let origin = format!("integration response {:?}", ir.status_code);
            let status_code = parse_status_code(&ir.status_code).ok_or_else(|| {
                CompileError::new(
                    CompileErrorKind::InvalidStatusCode,
                    &origin,
                    format!(
                        "Value '{}' at 'statusCode' failed to satisfy constraint: Member must \
                         satisfy regular expression pattern: [1-5]\\d\\d",
                        ir.status_code
                    ),
                )
            })?;
            let templates = TemplateSet::compile(
                ir.response_templates.as_ref(),
                &format!("{origin}, responseTemplates"),
                &mut template_warnings,
                &limits.templates,
            )?;
            let parameters = params::compile(ir.response_parameters.as_ref(), &origin)?;
            let layout = headers::Layout::of(&parameters, spec.kind.sends_trace_id());
            responses.push(CompiledResponse {
                status_code,
                selection_pattern: ir.selection_pattern.as_deref().map(Box::from),
                has_method_response: spec.method_responses.contains(&ir.status_code),
                content_handling: ir.content_handling,
                templates,
                parameters,
                layout,
            });
        }
        let candidates: Vec<Candidate<'_>> = spec
            .integration_responses
            .iter()
            .map(|ir| Candidate {
                status_code: &ir.status_code,
                pattern: ir.selection_pattern.as_deref(),
            })
            .collect();
        let selector = Selector::with_limits(
            &candidates,
            spec.kind != IntegrationKind::Lambda,
            &limits.patterns,
        );
        let mut warnings: Vec<String> = selector
            .rejected_patterns()
            .iter()
            .map(|(i, msg)| {
                format!(
                    "selectionPattern of integration response {:?} never matches: {msg}",
                    spec.integration_responses[*i].status_code
                )
            })
            .collect();
        let request_templates = TemplateSet::compile(
            Some(&spec.request_templates),
            "integration, requestTemplates",
            &mut template_warnings,
            &limits.templates,
        )?;
        let gateway = gateway::CompiledGateway::compile(
            &spec.gateway_responses,
            &mut template_warnings,
            &limits.templates,
        )?;
        warnings.extend(template_warnings);
        let reads_context = request_templates.may_read("context")
            || gateway.reads_context()
            || responses.iter().any(|r| {
                r.templates.may_read("context")
                    || r.parameters
                        .iter()
                        .any(|p| matches!(p.source, params::Source::Context(_)))
            });
        Ok(CompiledIntegration {
            kind: spec.kind,
            responses,
            selector,
            binary_media_types: BinaryMediaTypes::new(&spec.binary_media_types),
            request_templates,
            gateway,
            warnings,
            pattern_limits: limits.patterns.clone(),
            reads_context,
        })
    }

    /// Whether mapping a response (or rendering the request template) may read
    /// [`RequestContext::context`] beyond `requestId`, `extendedRequestId` and `xrayTraceId`
    /// (which API Gateway's own headers use): some request, response or configuration-error
    /// template names `$context` (or uses `#evaluate`, which may read anything), or some
    /// `responseParameters` source is `context.X`. Decided at compile time from the
    /// templates' static analysis; when `false`, a host may pass a `$context` holding only
    /// those ids and get the same responses.
    ///
    /// # Example
    /// ```
    /// use apigw_mapping::{compile, IntegrationKind, IntegrationResponse, IntegrationSpec};
    /// let mut spec = IntegrationSpec::new(IntegrationKind::Http);
    /// let mut templates = serde_json::Map::new();
    /// templates.insert("application/json".into(), "$input.json('$')".into());
    /// spec.integration_responses = vec![IntegrationResponse {
    ///     status_code: "200".into(),
    ///     response_templates: Some(templates.clone()),
    ///     ..Default::default()
    /// }];
    /// assert!(!compile(&spec).unwrap().reads_context());
    /// templates.insert("text/plain".into(), "$context.stage".into());
    /// spec.integration_responses[0].response_templates = Some(templates);
    /// assert!(compile(&spec).unwrap().reads_context());
    /// ```
    pub fn reads_context(&self) -> bool {
        self.reads_context
    }

    /// Problems that do not prevent deployment (e.g. a `selectionPattern` that cannot match).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Maps a backend answer to what the client receives.
    pub fn apply(&self, backend: &BackendResponse, request: &RequestContext) -> MethodResponse {
        self.apply_inner(backend, request, None, false)
    }

    /// [`CompiledIntegration::apply`] (or, with `rendered`,
    /// [`CompiledIntegration::apply_rendered`]) for an HTTP/1.1 connection that stays open: a
    /// mapped response (`failure` is `None`) ends with `Connection: keep-alive`, as API
    /// Gateway answers HTTP/1.1 clients (a mapped `Connection` header is renamed
    /// `x-amzn-Remapped-Connection`; a proxy integration's backend `Connection` is kept
    /// instead); a gateway response (`failure` set) gets none. The header is
    /// laid out at compile time with API Gateway's own, so it costs no header-map insert
    /// (an insert would also grow the map: a laid-out map has no spare room).
    ///
    /// # Example
    /// ```
    /// use apigw_mapping::{compile, BackendResponse, IntegrationKind, IntegrationResponse,
    ///                     IntegrationSpec, RequestContext};
    /// let mut spec = IntegrationSpec::new(IntegrationKind::Http);
    /// spec.integration_responses =
    ///     vec![IntegrationResponse { status_code: "200".into(), ..Default::default() }];
    /// spec.method_responses = vec!["200".into()];
    /// let compiled = compile(&spec).unwrap();
    /// let request = RequestContext::default();
    /// let out = compiled.apply_with_keep_alive(&BackendResponse::new(200, "hi"), &request, None);
    /// let names: Vec<&str> = out.headers.keys().map(|n| n.as_str()).collect();
    /// assert_eq!(names.last(), Some(&"connection"));
    /// assert_eq!(out.headers["connection"], "keep-alive");
    /// ```
    pub fn apply_with_keep_alive(
        &self,
        backend: &BackendResponse,
        request: &RequestContext,
        rendered: Option<&RenderedRequest>,
    ) -> MethodResponse {
        self.apply_inner(backend, request, rendered, true)
    }

    /// [`CompiledIntegration::apply`] into caller-owned storage: `response` is overwritten
    /// (its header map is cleared, keeping its capacity) and API Gateway's own headers take
    /// the values in `gateway` (build them with [`GatewayHeaderValues::from_request`] for the
    /// same result as `apply`). With a reused `response` and `gateway`, a passthrough (no
    /// template, no conversion, parameters that need no allocation) allocates nothing.
    ///
    /// # Example
    /// ```
    /// use apigw_mapping::{compile, BackendResponse, GatewayHeaderValues, IntegrationKind,
    ///                     IntegrationResponse, IntegrationSpec, MethodResponse, RequestContext};
    /// let mut spec = IntegrationSpec::new(IntegrationKind::Http);
    /// spec.integration_responses =
    ///     vec![IntegrationResponse { status_code: "200".into(), ..Default::default() }];
    /// spec.method_responses = vec!["200".into()];
    /// let compiled = compile(&spec).unwrap();
    /// let request = RequestContext::default();
    /// let gateway = GatewayHeaderValues::from_request(&request);
    /// let mut response = MethodResponse::empty();
    /// compiled.apply_into(&BackendResponse::new(200, "hi"), &request, &gateway, &mut response);
    /// assert_eq!(&response.body[..], b"hi");
    /// assert_eq!(response.headers["content-type"], "application/json");
    /// ```
    pub fn apply_into(
        &self,
        backend: &BackendResponse,
        request: &RequestContext,
        gateway: &GatewayHeaderValues,
        response: &mut MethodResponse,
    ) {
        response.headers.clear();
        match self.apply_core(
            backend,
            request,
            None,
            Some(gateway),
            false,
            &mut response.headers,
        ) {
            Ok((status, body)) => {
                response.status = status;
                response.body = body;
                response.failure = None;
            }
            Err(r) => *response = *r,
        }
    }

    /// Like [`CompiledIntegration::apply`], for an HTTP or Lambda integration whose request
    /// went through [`CompiledIntegration::render_request`]: what the request template wrote to
    /// `$context.responseOverride` / `requestOverride` carries into the response (SPEC §5.7).
    pub fn apply_rendered(
        &self,
        backend: &BackendResponse,
        request: &RequestContext,
        rendered: &RenderedRequest,
    ) -> MethodResponse {
        self.apply_inner(backend, request, Some(rendered), false)
    }

    /// Renders the integration request template chosen by the method request's
    /// `Content-Type` (absent: `application/json`; exact match, else the `application/json`
    /// template), with `$input` reading `request.body`. `Ok(None)` when no template applies:
    /// the method request body goes to the backend unchanged (`passthroughBehavior`
    /// `WHEN_NO_MATCH`; the caller answers 415 for the other behaviours).
    ///
    /// # Errors
    /// A [`Failure`] when the template does not compile or fails to render (the client gets
    /// the configuration-error response: see [`CompiledIntegration::failure_response`]).
    ///
    /// # Example
    /// ```
    /// use apigw_mapping::{compile, IntegrationKind, IntegrationSpec, RequestContext};
    /// let mut spec = IntegrationSpec::new(IntegrationKind::Lambda);
    /// spec.request_templates.insert(
    ///     "application/json".into(),
    ///     r#"{"id": "$input.params('id')", "name": $input.json('$.name')}"#.into(),
    /// );
    /// let compiled = compile(&spec).unwrap();
    /// let mut request = RequestContext::default();
    /// request.path_parameters.push(("id".into(), "7".into()));
    /// request.body = r#"{"name": "rex"}"#.into();
    /// let rendered = compiled.render_request(&request).unwrap().unwrap();
    /// assert_eq!(&rendered.body[..], br#"{"id": "7", "name": "rex"}"#);
    /// ```
    pub fn render_request(
        &self,
        request: &RequestContext,
    ) -> Result<Option<RenderedRequest>, Failure> {
        let mime = request
            .header("content-type")
            .map_or("application/json", content::mime_type);
        let Some(entry) = self.request_templates.choose_strict(mime) else {
            return Ok(None);
        };
        let template = match &entry.template {
            templates::Mapping::Passthrough => return Ok(None),
            templates::Mapping::Invalid(detail) => {
                return Err(Failure::TemplateRender {
                    content_type: entry.key.clone(),
                    detail: detail.to_string(),
                });
            }
            templates::Mapping::Render(t) => t,
        };
        let overrides = render::Overrides::default();
        let scope = render::Scope::new(request.body.clone(), request, &overrides, &template.reads);
        let body = render::render(template, &scope).map_err(|e| Failure::TemplateRender {
            content_type: entry.key.clone(),
            detail: format!("{e:#}"),
        })?;
        for o in [&overrides.request(), &overrides.response()] {
            if let Some(name) = o.set_twice() {
                return Err(Failure::OverrideSetTwice { name });
            }
        }
        Ok(Some(RenderedRequest {
            body: Bytes::from(body),
            request_override: overrides.request().snapshot(),
            response_override: overrides.response().snapshot(),
        }))
    }

    /// Whether [`CompiledIntegration::render_request`] would render a template for this
    /// request (so the caller must buffer the method request body first).
    pub fn has_request_template(&self, request: &RequestContext) -> bool {
        let mime = request
            .header("content-type")
            .map_or("application/json", content::mime_type);
        self.request_templates
            .choose_strict(mime)
            .is_some_and(|e| !matches!(e.template, templates::Mapping::Passthrough))
    }

    /// The client response for a failure the caller detected itself (for example a request
    /// template that failed to render): the API's configuration-error gateway response.
    pub fn failure_response(&self, request: &RequestContext, failure: Failure) -> MethodResponse {
        self.gateway.respond(request, failure)
    }

    fn apply_inner(
        &self,
        backend: &BackendResponse,
        request: &RequestContext,
        rendered: Option<&RenderedRequest>,
        keep_alive: bool,
    ) -> MethodResponse {
        let mut headers = HeaderMap::new();
        match self.apply_core(backend, request, rendered, None, keep_alive, &mut headers) {
            Ok((status, body)) => MethodResponse {
                status,
                headers,
                body,
                failure: None,
            },
            Err(response) => *response,
        }
    }

    /// The whole of `apply`: on success the status and body, the headers written to `headers`
    /// (which the caller passes empty), ending with `Connection: keep-alive` when
    /// `keep_alive` (see [`CompiledIntegration::apply_with_keep_alive`]); otherwise the
    /// gateway response to send.
    fn apply_core(
        &self,
        backend: &BackendResponse,
        request: &RequestContext,
        rendered: Option<&RenderedRequest>,
        gateway_values: Option<&GatewayHeaderValues>,
        keep_alive: bool,
        headers: &mut HeaderMap,
    ) -> Result<(u16, Bytes), Box<MethodResponse>> {
        if !self.kind.is_mapped() {
            passthrough_proxy(backend, headers);
            if keep_alive {
                crate::headers::add_keep_alive(headers);
            }
            return Ok((backend.status, backend.body.clone()));
        }
        // Created only when a template renders (a passthrough allocates none of it).
        let mut overrides: Option<render::Overrides> = rendered.map(|r| {
            let o = render::Overrides::default();
            o.request().seed(&r.request_override);
            o.response().seed(&r.response_override);
            o
        });
        let chosen = match self.select(backend, request, &mut overrides) {
            Ok((Some(i), _)) => &self.responses[i],
            Ok((None, selection_value)) => {
                let selection_value = selection_value.unwrap_or_else(|| backend.status.to_string());
                return Err(Box::new(
                    self.gateway
                        .respond(request, Failure::NoMatchingResponse { selection_value }),
                ));
            }
            Err(failure) => return Err(Box::new(self.gateway.respond(request, failure))),
        };
        if !chosen.has_method_response {
            return Err(Box::new(self.gateway.respond(
                request,
                Failure::MissingMethodResponse {
                    status_code: chosen.status_code.to_string(),
                },
            )));
        }

        // MOCK integrations have no integration body (SPEC §2.5).
        // Borrowed: a clone would cost an atomic count up and down per response.
        let no_body = Bytes::new();
        let raw_body = if self.kind == IntegrationKind::Mock {
            &no_body
        } else {
            &backend.body
        };
        // Parameters read the raw integration response, before conversion (SPEC §1 step 4).
        let mut assembly = LaidOut::new(std::mem::take(headers), chosen.layout.as_ref());
        let mut body_json = params::LazyBody::new(
            raw_body,
            self.kind == IntegrationKind::Lambda && backend.function_error,
        );
        let with_trace = self.kind.sends_trace_id();
        // API Gateway's own header values, built now so that parameters mapping the same
        // context values share them.
        let ids = ContextIds::of(request);
        let built;
        let gateway_values = match gateway_values {
            Some(values) => values,
            None => {
                built = GatewayHeaderValues::build_from(&ids, with_trace);
                &built
            }
        };
        if let Err(failure) = params::evaluate(
            &chosen.parameters,
            backend,
            request,
            &ids,
            &mut body_json,
            gateway_values,
            |index, placement, value| assembly.mapped(index, placement, value),
        ) {
            return Err(Box::new(self.gateway.respond(request, failure)));
        }

        let payload_binary = backend
            .header_any_case("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| self.binary_media_types.matches(ct));
        let accept = request.header("accept");
        // The MIME type of the first media range of `Accept` (absent: `application/json`).
        let mime = accept.map_or("application/json", content::first_accept_media_type);
        let accept_binary = accept.is_some() && self.binary_media_types.matches(mime);
        let converted = match content::convert(
            raw_body,
            payload_binary,
            accept_binary,
            chosen.content_handling,
        ) {
            Ok(c) => c,
            Err(e) => {
                return Err(Box::new(self.gateway.respond(
                    request,
                    Failure::Base64Decode {
                        detail: e.to_string(),
                    },
                )));
            }
        };

        let body = match chosen.templates.choose(mime) {
            Some(templates::Entry {
                key,
                template: templates::Mapping::Invalid(detail),
            }) => {
                return Err(Box::new(self.gateway.respond(
                    request,
                    Failure::TemplateRender {
                        content_type: key.clone(),
                        detail: detail.to_string(),
                    },
                )));
            }
            Some(templates::Entry {
                key,
                template: templates::Mapping::Render(template),
            }) => {
                if !converted.is_text {
                    return Err(Box::new(
                        self.gateway.respond(request, Failure::TemplateOnBinaryBody),
                    ));
                }
                // The parameters' parse of the same bytes, if they made one.
                let (parsed_body, parsed_tape) = if converted.bytes.as_ptr() == raw_body.as_ptr()
                    && converted.bytes.len() == raw_body.len()
                {
                    body_json.into_parts()
                } else {
                    (None, None)
                };
                let scope = render::Scope::new(
                    converted.bytes,
                    request,
                    overrides.get_or_insert_with(render::Overrides::default),
                    &template.reads,
                );
                scope.parsed_body.set(parsed_body);
                scope.parsed_tape.set(parsed_tape);
                match render::render_body(template, &scope) {
                    Ok(bytes) => bytes,
                    Err(e) => {
                        return Err(Box::new(self.gateway.respond(
                            request,
                            Failure::TemplateRender {
                                content_type: key.clone(),
                                detail: format!("{e:#}"),
                            },
                        )));
                    }
                }
            }
            _ => converted.bytes,
        };

        // `$context.responseOverride` (SPEC §5.9), written by the response template or, for
        // MOCK, by the request template.
        let mut status = chosen.status_code;
        if let Some(o) = overrides
            .as_ref()
            .and_then(render::Overrides::response_if_used)
        {
            if let Some(name) = o.set_twice() {
                return Err(Box::new(
                    self.gateway
                        .respond(request, Failure::OverrideSetTwice { name }),
                ));
            }
            if let Some(s) = o.status() {
                status = s;
            }
            for (name, value) in o.headers() {
                if let Ok(v) = HeaderValue::from_str(&value) {
                    assembly.overridden(&name, v);
                }
            }
        }

        *headers = assembly.finish(gateway_values, with_trace, keep_alive);
        Ok((status, body))
    }

    /// Index of the selected response (`None` when nothing matches and there is no default),
    /// with the selection value for the operator's log.
    fn select(
        &self,
        backend: &BackendResponse,
        request: &RequestContext,
        overrides: &mut Option<render::Overrides>,
    ) -> Result<(Option<usize>, Option<String>), Failure> {
        Ok(match self.kind {
            IntegrationKind::Lambda => {
                if backend.function_error {
                    let value = lambda_error_message(&backend.body);
                    (self.selector.select_str(&value), Some(value))
                } else if (200..300).contains(&backend.status) {
                    (self.selector.select_str(""), Some(String::new()))
                } else {
                    return Err(Failure::LambdaServiceError {
                        status: backend.status,
                    });
                }
            }
            IntegrationKind::Mock => match self.mock_status_code(request, overrides)? {
                Some(code) => (self.selector.select_status(code), Some(code.to_string())),
                None => (self.selector.default_response(), Some(String::new())),
            },
            // The selection value (the status code, printed) only matters when nothing
            // matches: printed then.
            _ => (self.selector.select_status(i64::from(backend.status)), None),
        })
    }

    /// The `statusCode` written by the MOCK request template chosen by the request's
    /// `Content-Type`. Without a template (or with a passthrough one) the selection value is
    /// `200`, so a method without templates gets its default (or `2\d{2}`) response; a template
    /// whose output has no integer `statusCode` selects the default response (`None`).
    /// Overrides the request template writes carry over to the response (SPEC §5.7).
    pub(crate) fn mock_status_code(
        &self,
        request: &RequestContext,
        overrides: &mut Option<render::Overrides>,
    ) -> Result<Option<i64>, Failure> {
        let mime = request
            .header("content-type")
            .map_or("application/json", content::mime_type);
        let Some(entry) = self.request_templates.choose_strict(mime) else {
            return Ok(Some(200));
        };
        let template = match &entry.template {
            templates::Mapping::Passthrough => return Ok(Some(200)),
            templates::Mapping::Invalid(detail) => {
                return Err(Failure::TemplateRender {
                    content_type: entry.key.clone(),
                    detail: detail.to_string(),
                });
            }
            templates::Mapping::Render(t) => t,
        };
        let fresh = render::Overrides::default();
        let scope = render::Scope::new(request.body.clone(), request, &fresh, &template.reads);
        let output = render::render(template, &scope).map_err(|e| Failure::TemplateRender {
            content_type: entry.key.clone(),
            detail: format!("{e:#}"),
        })?;
        for o in [&fresh.request(), &fresh.response()] {
            if let Some(name) = o.set_twice() {
                return Err(Failure::OverrideSetTwice { name });
            }
        }
        // "Overrides are final" counts per template: the response template starts afresh
        // with the values the request template wrote.
        let carried = overrides.get_or_insert_with(render::Overrides::default);
        carried.request().seed(&fresh.request().snapshot());
        carried.response().seed(&fresh.response().snapshot());
        Ok(templates::lenient_status_code(&output))
    }
}

/// Parses `[1-5]\d\d`.
pub(crate) fn parse_status_code(s: &str) -> Option<u16> {
    let b = s.as_bytes();
    if b.len() == 3 && (b'1'..=b'5').contains(&b[0]) && b[1..].iter().all(u8::is_ascii_digit) {
        s.parse().ok()
    } else {
        None
    }
}

/// The selection value of a Lambda function error (SPEC §2.2, §2.4): the `errorMessage`
/// string; compact JSON for a non-string value; `""` when absent or the payload is not JSON.
pub(crate) fn lambda_error_message(payload: &[u8]) -> String {
    match serde_json::from_slice::<Value>(payload) {
        Ok(Value::Object(mut m)) => match m.remove("errorMessage") {
            Some(Value::String(s)) => s,
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        },
        _ => String::new(),
    }
}

/// The string ids of `$context` that API Gateway's headers carry (and parameters often map).
pub(crate) struct ContextIds<'a> {
    pub(crate) request_id: Option<&'a str>,
    pub(crate) extended_request_id: Option<&'a str>,
    xray_trace_id: Option<&'a str>,
}

impl<'a> ContextIds<'a> {
    /// Maps up to this many fields are read in one pass over their names (cheaper than three
    /// hashed lookups); larger ones are looked up.
    const SCANNED: usize = 24;

    pub(crate) fn of(request: &'a RequestContext) -> ContextIds<'a> {
        let context = &request.context;
        if context.len() > ContextIds::SCANNED {
            return ContextIds {
                request_id: request.context_str("requestId"),
                extended_request_id: request.context_str("extendedRequestId"),
                xray_trace_id: request.context_str("xrayTraceId"),
            };
        }
        let mut ids = ContextIds {
            request_id: None,
            extended_request_id: None,
            xray_trace_id: None,
        };
        for (name, value) in context {
            let slot = match name.as_str() {
                "requestId" => &mut ids.request_id,
                "extendedRequestId" => &mut ids.extended_request_id,
                "xrayTraceId" => &mut ids.xray_trace_id,
                _ => continue,
            };
            *slot = value.as_str();
        }
        // The typed ids take precedence over the map's entries.
        if let Some(id) = &request.request_id {
            ids.request_id = Some(id.as_str());
        }
        if let Some(id) = &request.extended_request_id {
            ids.extended_request_id = Some(id.as_str());
        }
        ids
    }
}

/// The `X-Amzn-Trace-Id` value: `$context.xrayTraceId` when the caller supplies one, otherwise
/// a stable id derived from the request id (built on the stack: no allocation).
fn trace_id<'a>(ids: &ContextIds<'a>) -> TraceId<'a> {
    if let Some(t) = ids.xray_trace_id {
        return TraceId::Given(t);
    }
    let seed = ids.request_id.unwrap_or("").as_bytes();
    // Two 64-bit lanes, eight bytes a step (a request id is ~36 bytes), for a 96-bit id.
    let (mut a, mut b) = (0xcbf2_9ce4_8422_2325_u64, 0x6c62_272e_07bb_0142_u64);
    let mut step = |w: u64| {
        a = (a ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
        b = (b ^ w).wrapping_mul(0xc2b2_ae3d_27d4_eb4f).rotate_left(31);
    };
    let mut chunks = seed.chunks_exact(8);
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        step(u64::from_le_bytes(w));
    }
    let mut tail = [0u8; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    // The length goes in too, so ids that differ only by trailing zero bytes differ.
    step(u64::from_le_bytes(tail) ^ ((seed.len() as u64) << 56));
    let finish = |mut h: u64| {
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 29)
    };
    let (a, b) = (finish(a), finish(b));
    let mut id = [0u8; 40];
    id[..16].copy_from_slice(b"Root=1-00000000-");
    for (i, byte) in a.to_be_bytes().into_iter().enumerate() {
        id[16 + 2 * i..18 + 2 * i].copy_from_slice(&HEX_PAIRS[usize::from(byte)]);
    }
    for (i, byte) in b.to_be_bytes()[..4].iter().enumerate() {
        id[32 + 2 * i..34 + 2 * i].copy_from_slice(&HEX_PAIRS[usize::from(*byte)]);
    }
    TraceId::Derived(id)
}

/// Every byte as two lowercase hex digits.
static HEX_PAIRS: [[u8; 2]; 256] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX[i >> 4], HEX[i & 0xf]];
        i += 1;
    }
    t
};

/// A trace id: the caller's, or one derived from the request id.
enum TraceId<'a> {
    Given(&'a str),
    Derived([u8; 40]),
}

impl TraceId<'_> {
    /// The id's bytes (a derived id is ASCII by construction).
    fn as_bytes(&self) -> &[u8] {
        match self {
            TraceId::Given(s) => s.as_bytes(),
            TraceId::Derived(b) => b,
        }
    }
}

/// Proxy integrations: the backend answer passes through (SPEC §1.1).
fn passthrough_proxy(backend: &BackendResponse, headers: &mut HeaderMap) {
    for (name, value) in &backend.headers {
        if let Ok(n) = http::HeaderName::from_bytes(name.as_bytes()) {
            headers.append(n, value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_readers() {
        let template = |t: &str| {
            let mut m = Map::new();
            m.insert("application/json".into(), t.into());
            m
        };
        let response = |templates: Option<Map<String, Value>>,
                        params: Option<Map<String, Value>>| {
            IntegrationResponse {
                status_code: "200".into(),
                response_templates: templates,
                response_parameters: params,
                ..Default::default()
            }
        };
        let reads = |spec: &IntegrationSpec| compile(spec).unwrap().reads_context();
        let mut spec = IntegrationSpec::new(IntegrationKind::Http);
        spec.method_responses = vec!["200".into()];
        assert!(!reads(&spec));
        // Text that only looks like a read: a literal, a header source, another name.
        spec.integration_responses = vec![response(
            Some(template(
                r#"{"context": "$input.path('$.context')", "x": $stageVariables.context}"#,
            )),
            Some(template_params("integration.response.header.context")),
        )];
        assert!(!reads(&spec));
        for t in [
            "$context.requestId",
            "#set($c = $context)$c.stage",
            "#foreach($k in $context.keySet())$k#end",
            "#evaluate('$x')",
            "#macro(m)$context.stage#end#m()",
            "#set($context.responseOverride.status = 201)",
        ] {
            spec.integration_responses = vec![response(Some(template(t)), None)];
            assert!(reads(&spec), "{t}");
        }
        // A template that does not compile never renders.
        spec.integration_responses = vec![response(Some(template("#if($context")), None)];
        assert!(!reads(&spec));
        spec.integration_responses = vec![response(None, Some(template_params("context.stage")))];
        assert!(reads(&spec));
        spec.integration_responses = vec![response(None, None)];
        spec.request_templates = template("{\"id\": \"$context.requestId\"}");
        assert!(reads(&spec));
        spec.request_templates = Map::new();
        for (params, templates, expected) in [
            (Some(gateway_params("context.stage")), None, true),
            (None, Some(template("$context.error.messageString")), true),
            (
                Some(gateway_params("method.request.header.context")),
                Some(template("{}")),
                false,
            ),
        ] {
            spec.gateway_responses = vec![GatewayResponse {
                response_type: "DEFAULT_5XX".into(),
                response_parameters: params,
                response_templates: templates,
                ..Default::default()
            }];
            assert_eq!(reads(&spec), expected);
        }
    }

    fn template_params(source: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("method.response.header.X".into(), source.into());
        m
    }

    fn gateway_params(source: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("gatewayresponse.header.X".into(), source.into());
        m
    }

    #[test]
    fn lambda_error_messages() {
        assert_eq!(
            lambda_error_message(br#"{"errorMessage": "a\nb", "errorType": "E"}"#),
            "a\nb"
        );
        assert_eq!(
            lambda_error_message(br#"{"errorMessage": {"x": 1}}"#),
            r#"{"x":1}"#
        );
        assert_eq!(lambda_error_message(b"not json"), "");
        assert_eq!(lambda_error_message(br#"{"errorType": "E"}"#), "");
    }

    #[test]
    fn status_codes() {
        assert_eq!(parse_status_code("200"), Some(200));
        assert_eq!(parse_status_code("599"), Some(599));
        assert_eq!(parse_status_code("600"), None);
        assert_eq!(parse_status_code("20"), None);
        assert_eq!(parse_status_code("+20"), None);
    }

    #[test]
    fn a_passthrough_json_template_repairs_and_keeps_utf8() {
        for (template, body, expected) in [
            (
                "$input.json('$')",
                &b"{ \"a\" : \"\xff\xe6\x9d\" }"[..],
                "{\"a\":\"\u{fffd}\u{fffd}\"}",
            ),
            (
                "$input.json('$')",
                "[ \"caf\u{e9}\" ,\n 1 ]".as_bytes(),
                "[\"caf\u{e9}\",1]",
            ),
            (
                "<\u{e9}>$input.json('$')</\u{e9}>",
                b"{\"k\": [ ] }",
                "<\u{e9}>{\"k\":[]}</\u{e9}>",
            ),
        ] {
            let mut spec = IntegrationSpec::new(IntegrationKind::Http);
            let mut templates = Map::new();
            templates.insert("application/json".into(), template.into());
            spec.integration_responses = vec![IntegrationResponse {
                status_code: "200".into(),
                response_templates: Some(templates),
                ..Default::default()
            }];
            spec.method_responses = vec!["200".into()];
            let compiled = compile(&spec).unwrap();
            let backend = BackendResponse::new(200, Bytes::copy_from_slice(body));
            let out = compiled.apply(&backend, &RequestContext::default());
            assert_eq!(out.status, 200, "{:?}", out.failure);
            assert_eq!(out.body, expected.as_bytes(), "{template}");
        }
    }

    /// The headers laid out at compile time (what `apply` uses with its fresh map) are the
    /// headers inserted one by one (what `apply_into` does with a map that has capacity):
    /// same names, values and order, whatever the parameters, the request's ids, the
    /// integration kind and the template's overrides.
    #[test]
    fn laid_out_headers_are_the_inserted_headers() {
        let parameter_sets: &[&[(&str, &str)]] = &[
            &[],
            &[("X-A", "'a'")],
            &[("X-A", "'a'"), ("X-B", "integration.response.header.X-Up")],
            &[("Content-Type", "'text/plain'"), ("X-A", "'a'")],
            &[("Content-Type", "integration.response.header.X-Missing")],
            &[
                ("Transfer-Encoding", "'x'"),
                ("X-A", "'a'"),
                ("Date", "'d'"),
            ],
            &[("X-A", "'a'"), ("x-a", "'b'")],
            &[("X-Amzn-RequestId", "'mine'"), ("X-A", "'a'")],
            &[("X-Amzn-Trace-Id", "'t'")],
            &[("Connection", "'close'"), ("X-A", "'a'")],
            &[
                ("X-Id", "context.requestId"),
                ("X-Ext", "context.extendedRequestId"),
            ],
            &[
                ("X-A", "integration.response.header.X-Missing"),
                ("X-B", "'b'"),
            ],
            &[
                ("H1", "'1'"),
                ("H2", "'2'"),
                ("H3", "'3'"),
                ("H4", "'4'"),
                ("H5", "'5'"),
                ("H6", "'6'"),
                ("H7", "'7'"),
                ("H8", "'8'"),
                ("H9", "'9'"),
            ],
        ];
        let templates = [
            None,
            Some("$input.body"),
            Some("#set($context.responseOverride.header.X-A = 'o')ok"),
            Some("#set($context.responseOverride.header.Content-Type = 'text/csv')ok"),
        ];
        let contexts: [&[(&str, &str)]; 4] = [
            &[],
            &[("requestId", "r-1")],
            &[("extendedRequestId", "e=")],
            &[
                ("requestId", "r-1"),
                ("extendedRequestId", "e="),
                ("xrayTraceId", "Root=1-x"),
            ],
        ];
        let mut checked = 0;
        for kind in [
            IntegrationKind::Http,
            IntegrationKind::Mock,
            IntegrationKind::Lambda,
        ] {
            for params in parameter_sets {
                for template in templates {
                    let mut spec = IntegrationSpec::new(kind);
                    let mut map = Map::new();
                    for (header, source) in *params {
                        map.insert(format!("method.response.header.{header}"), (*source).into());
                    }
                    spec.integration_responses = vec![IntegrationResponse {
                        status_code: "200".into(),
                        response_parameters: Some(map),
                        response_templates: template.map(|t| {
                            let mut m = Map::new();
                            m.insert("application/json".into(), t.into());
                            m
                        }),
                        ..Default::default()
                    }];
                    spec.method_responses = vec!["200".into()];
                    let compiled = compile(&spec).unwrap();
                    let backend = BackendResponse {
                        status: 200,
                        headers: vec![("X-Up".into(), HeaderValue::from_static("up"))],
                        body: Bytes::from_static(b"{}"),
                        function_error: false,
                    };
                    for fields in contexts {
                        let mut request = RequestContext::default();
                        for (k, v) in fields {
                            request.context.insert((*k).into(), (*v).into());
                        }
                        let laid = compiled.apply(&backend, &request);
                        let mut inserted = MethodResponse::empty();
                        inserted.headers.reserve(16);
                        compiled.apply_into(
                            &backend,
                            &request,
                            &GatewayHeaderValues::from_request(&request),
                            &mut inserted,
                        );
                        let list = |h: &HeaderMap| -> Vec<(String, Vec<u8>)> {
                            h.iter()
                                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                                .collect()
                        };
                        assert_eq!(
                            list(&laid.headers),
                            list(&inserted.headers),
                            "{kind:?} {params:?} {template:?} {fields:?}"
                        );
                        assert_eq!(laid.status, inserted.status);
                        assert_eq!(laid.body, inserted.body);
                        // With the transport's `Connection: keep-alive`: laid out, it is the
                        // header added last to what `apply` gives.
                        let kept = compiled.apply_with_keep_alive(&backend, &request, None);
                        let mut added = laid.headers.clone();
                        headers::add_keep_alive(&mut added);
                        assert_eq!(
                            list(&kept.headers),
                            list(&added),
                            "keep-alive: {kind:?} {params:?} {template:?} {fields:?}"
                        );
                        assert_eq!(kept.headers.keys().last(), Some(&http::header::CONNECTION));
                        assert_eq!((kept.status, &kept.body), (laid.status, &laid.body));
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(
            checked,
            3 * parameter_sets.len() * templates.len() * contexts.len()
        );
    }

    #[test]
    fn mapped_request_ids_share_the_gateway_values() {
        let mut spec = IntegrationSpec::new(IntegrationKind::Http);
        let mut params = Map::new();
        for (header, source) in [
            ("X-Request-Id", "context.requestId"),
            ("X-Ext", "context.extendedRequestId"),
            ("X-Stage", "context.stage"),
        ] {
            params.insert(format!("method.response.header.{header}"), source.into());
        }
        spec.integration_responses = vec![IntegrationResponse {
            status_code: "200".into(),
            response_parameters: Some(params),
            ..Default::default()
        }];
        spec.method_responses = vec!["200".into()];
        let compiled = compile(&spec).unwrap();
        let backend = BackendResponse {
            status: 200,
            headers: Vec::new(),
            body: Bytes::new(),
            function_error: false,
        };
        let mut request = RequestContext::default();
        request.context.insert("requestId".into(), "r-1".into());
        request
            .context
            .insert("extendedRequestId".into(), "e=".into());
        request.context.insert("stage".into(), "prod".into());
        let response = compiled.apply(&backend, &request);
        let h = &response.headers;
        assert_eq!(h["x-request-id"], "r-1");
        assert_eq!(h["x-ext"], "e=");
        assert_eq!(h["x-stage"], "prod");
        assert_eq!(
            h["x-request-id"].as_bytes().as_ptr(),
            h["x-amzn-requestid"].as_bytes().as_ptr()
        );
        assert_eq!(
            h["x-ext"].as_bytes().as_ptr(),
            h["x-amz-apigw-id"].as_bytes().as_ptr()
        );
        // Values supplied to `apply_into` that are not the request's are not reused.
        let other = GatewayHeaderValues {
            request_id: Some(HeaderValue::from_static("other")),
            ..Default::default()
        };
        let mut reused = MethodResponse::empty();
        compiled.apply_into(&backend, &request, &other, &mut reused);
        assert_eq!(reused.headers["x-request-id"], "r-1");
        assert_eq!(reused.headers["x-amzn-requestid"], "other");
        // A request id that is not a string is mapped as JSON text, and sent by no
        // `x-amzn-RequestId`; an empty one is not mapped.
        request.context.insert("requestId".into(), 7.into());
        let response = compiled.apply(&backend, &request);
        assert_eq!(response.headers["x-request-id"], "7");
        assert!(!response.headers.contains_key("x-amzn-requestid"));
        request.context.insert("requestId".into(), "".into());
        let response = compiled.apply(&backend, &request);
        assert!(!response.headers.contains_key("x-request-id"));
        assert_eq!(response.headers["x-amzn-requestid"], "");
    }

    #[test]
    fn gateway_values_share_one_buffer_or_stand_alone() {
        let mut r = RequestContext::default();
        let values = GatewayHeaderValues::build(&r, false);
        assert_eq!(values, GatewayHeaderValues::default());
        r.context.insert("requestId".into(), "".into());
        r.context.insert("extendedRequestId".into(), "Ab=".into());
        let values = GatewayHeaderValues::build(&r, false);
        assert_eq!(values.request_id.unwrap(), "");
        assert_eq!(values.apigw_id.unwrap(), "Ab=");
        assert!(values.trace_id.is_none());
        // A value that is no header value is left out; the others are kept.
        r.context.insert("requestId".into(), "bad\nid".into());
        r.context.insert("xrayTraceId".into(), "Root=1-x".into());
        let values = GatewayHeaderValues::build(&r, true);
        assert!(values.request_id.is_none());
        assert_eq!(values.apigw_id.unwrap(), "Ab=");
        assert_eq!(values.trace_id.unwrap(), "Root=1-x");
        // Too long together for the shared buffer: each value on its own, same result.
        let long = "r".repeat(Packed::CAPACITY);
        r.context.insert("requestId".into(), long.as_str().into());
        let values = GatewayHeaderValues::build(&r, true);
        assert_eq!(values.request_id.unwrap(), long.as_str());
        assert_eq!(values.apigw_id.unwrap(), "Ab=");
        assert_eq!(values.trace_id.unwrap(), "Root=1-x");
        // The header map gets them under API Gateway's names.
        r.context.insert("requestId".into(), "r-1".into());
        let mut headers = HeaderMap::new();
        GatewayHeaderValues::build(&r, true).insert_into(&mut headers, true);
        assert_eq!(headers["x-amzn-requestid"], "r-1");
        assert_eq!(headers["x-amz-apigw-id"], "Ab=");
        assert_eq!(headers["x-amzn-trace-id"], "Root=1-x");
        assert_eq!(headers.len(), 3);
    }

    #[test]
    fn context_ids_read_alike_from_small_and_large_maps() {
        for extra in [0, 5, ContextIds::SCANNED, 3 * ContextIds::SCANNED] {
            let mut r = RequestContext::default();
            for i in 0..extra {
                r.context.insert(format!("field{i}"), i.into());
            }
            r.context.insert("requestId".into(), "r-1".into());
            r.context.insert("extendedRequestId".into(), 7.into());
            r.context.insert("xrayTraceId".into(), "Root=1-x".into());
            let ids = ContextIds::of(&r);
            assert_eq!(ids.request_id, Some("r-1"), "{extra}");
            // Only strings are ids, as `context_str` reads them.
            assert_eq!(ids.extended_request_id, None, "{extra}");
            assert_eq!(ids.xray_trace_id, Some("Root=1-x"), "{extra}");
            r.context.shift_remove("requestId");
            assert_eq!(ContextIds::of(&r).request_id, None, "{extra}");
        }
    }

    #[test]
    fn trace_id_shape() {
        let mut r = RequestContext::default();
        r.context.insert("requestId".into(), "abc".into());
        let id = trace_id(&ContextIds::of(&r)).as_bytes().to_owned();
        assert_eq!(id.len(), 40);
        assert!(id.starts_with(b"Root=1-00000000-"));
        assert!(
            id[16..]
                .iter()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        );
        assert_eq!(id, trace_id(&ContextIds::of(&r)).as_bytes());
        // Different request ids (even a trailing NUL, or one byte apart) give different ids.
        let mut seen = std::collections::HashSet::new();
        for rid in [
            "abc",
            "abc\0",
            "abd",
            "",
            "c0ffee00-0000-4000-8000-000000000001",
        ] {
            r.context.insert("requestId".into(), rid.into());
            assert!(
                seen.insert(trace_id(&ContextIds::of(&r)).as_bytes().to_owned()),
                "{rid:?}"
            );
        }
        r.context.insert("xrayTraceId".into(), "Root=1-x".into());
        assert_eq!(trace_id(&ContextIds::of(&r)).as_bytes(), b"Root=1-x");
    }

    fn lambda_spec(request_template: &str, response_template: &str) -> CompiledIntegration {
        let mut spec = IntegrationSpec::new(IntegrationKind::Lambda);
        spec.request_templates
            .insert("application/json".into(), request_template.into());
        let mut templates = Map::new();
        templates.insert("application/json".into(), response_template.into());
        spec.integration_responses = vec![IntegrationResponse {
            status_code: "200".into(),
            response_templates: Some(templates),
            ..Default::default()
        }];
        spec.method_responses = vec!["200".into()];
        compile(&spec).unwrap()
    }

    #[test]
    fn request_template_overrides_reach_backend_call_and_response() {
        let c = lambda_spec(
            "#set($context.requestOverride.header.X-Trace = 'abc')\
             #set($context.requestOverride.path.petId = $input.params('id'))\
             #set($context.responseOverride.status = 202)\
             #set($context.responseOverride.header.X-From = 'request'){\"id\": \"$input.params('id')\"}",
            "$context.requestOverride.path.petId/$input.body",
        );
        let mut req = RequestContext::default();
        req.path_parameters.push(("id".into(), "9".into()));
        assert!(c.has_request_template(&req));
        let rendered = c.render_request(&req).unwrap().unwrap();
        assert_eq!(&rendered.body[..], br#"{"id": "9"}"#);
        assert_eq!(
            rendered.request_override.headers,
            vec![("X-Trace".to_owned(), "abc".to_owned())]
        );
        assert_eq!(
            rendered.request_override.path,
            vec![("petId".to_owned(), "9".to_owned())]
        );
        let out = c.apply_rendered(&BackendResponse::new(200, "ok"), &req, &rendered);
        assert_eq!(out.status, 202);
        assert_eq!(out.headers["x-from"], "request");
        assert_eq!(&out.body[..], b"9/ok");
    }

    #[test]
    fn response_template_may_override_what_the_request_template_set() {
        let c = lambda_spec(
            "#set($context.responseOverride.status = 202)",
            "#set($context.responseOverride.status = 203)done",
        );
        let req = RequestContext::default();
        let rendered = c.render_request(&req).unwrap().unwrap();
        let out = c.apply_rendered(&BackendResponse::new(200, ""), &req, &rendered);
        assert_eq!(out.status, 203, "{:?}", out.failure);
        // Twice within one template is the documented 5XX.
        let c = lambda_spec(
            "#set($context.responseOverride.status = 202)#set($context.responseOverride.status = 204)",
            "x",
        );
        assert!(matches!(
            c.render_request(&req),
            Err(Failure::OverrideSetTwice { .. })
        ));
    }

    #[test]
    fn no_request_template_means_passthrough() {
        let c = lambda_spec("x", "y");
        let mut req = RequestContext::default();
        req.headers
            .push(("Content-Type".into(), "text/plain".into()));
        assert!(!c.has_request_template(&req));
        assert!(c.render_request(&req).unwrap().is_none());
    }

    #[test]
    fn configuration_error_is_36_bytes() {
        assert_eq!(CONFIGURATION_ERROR_BODY.len(), 36);
    }
}
