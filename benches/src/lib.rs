//! Shared inputs for the benchmarks: the workload files of `benches/workloads`, read from disk
//! so that the figures stay comparable with the peers' (see `workloads/README.md`).
#![deny(missing_docs)]

use std::path::{Path, PathBuf};
use std::rc::Rc;

use apigw_mapping::{IntegrationKind, IntegrationResponse, IntegrationSpec};
use apigw_vtl::{Call, Error, Host, Object, Value};

/// The benchmarks' heap allocator: the one `apigw-proxy` ships with (mimalloc; see
/// examples/reverse-proxy/README.md, "Allocator"), so that the figures are those of the
/// engine inside the gateway. Every target of this package that uses the library (the
/// benches, `report`'s children, `callgrind_probe`) runs with it, baselines included;
/// `--no-default-features` (without the `mimalloc` feature) runs them with the system's.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The directory holding the workload files.
pub fn workloads_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads")
}

/// Reads a workload file as text.
///
/// # Panics
/// When the file is missing: the benches cannot run without their inputs.
pub fn read(name: &str) -> String {
    let path = workloads_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// W4: the 20 selection patterns and the 10 selection values.
#[derive(Debug, Clone)]
pub struct SelectionWorkload {
    /// Pattern `i` belongs to status code `200 + i`.
    pub patterns: Vec<String>,
    /// The selection values (Lambda `errorMessage`s).
    pub inputs: Vec<String>,
}

/// Loads W4 (`w4_selection.json`).
///
/// # Panics
/// When the file is missing or malformed.
pub fn selection_workload() -> SelectionWorkload {
    let doc: serde_json::Value =
        serde_json::from_str(&read("w4_selection.json")).expect("w4_selection.json is JSON");
    let list = |k: &str| -> Vec<String> {
        doc[k]
            .as_array()
            .unwrap_or_else(|| panic!("w4_selection.json: no {k}"))
            .iter()
            .map(|v| v.as_str().expect("strings").to_owned())
            .collect()
    };
    SelectionWorkload {
        patterns: list("patterns"),
        inputs: list("inputs"),
    }
}

/// The host of the render benchmarks (and of the callgrind probe's render stages): `$input.path('$')`
/// returns the body converted to template values once and shared, and `$util.escapeJavaScript`
/// is the mapping crate's; so a render figure measures the engine, not JSON parsing.
#[derive(Debug)]
pub struct BenchHost {
    input: Rc<Input>,
}

impl BenchHost {
    /// A host whose `$input.path('$')` is `body` (JSON text).
    ///
    /// # Panics
    /// When `body` is not JSON: the workloads are.
    pub fn new(body: &str) -> BenchHost {
        let json: serde_json::Value = serde_json::from_str(body).expect("JSON body");
        BenchHost {
            input: Rc::new(Input(apigw_mapping::json_to_template_value(&json))),
        }
    }
}

impl Host for BenchHost {
    fn lookup(&self, name: &str) -> Option<Value> {
        match name {
            "input" => Some(Value::object(self.input.clone())),
            "util" => Some(apigw_mapping::util_object()),
            _ => None,
        }
    }
}

/// The bench host's `$input`.
#[derive(Debug)]
struct Input(Value);

impl Object for Input {
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Call, Error> {
        Ok(match (name, args) {
            ("path", [p]) if p.as_str() == Some("$") => Call::Value(self.0.clone()),
            _ => Call::NotFound,
        })
    }
}

/// The integration of the apply benchmarks and the callgrind probe: one templated 200 (or a
/// passthrough when `template` is `None`) with `X-Request-Id` mapped from
/// `$context.requestId`, and a 5XX response.
pub fn apply_spec(template: Option<&str>) -> IntegrationSpec {
    let mut spec = IntegrationSpec::new(IntegrationKind::Http);
    let templates = template.map(|t| {
        let mut m = serde_json::Map::new();
        m.insert("application/json".into(), t.into());
        m
    });
    let mut params = serde_json::Map::new();
    params.insert(
        "method.response.header.X-Request-Id".into(),
        "context.requestId".into(),
    );
    spec.integration_responses = vec![
        IntegrationResponse {
            status_code: "200".into(),
            response_templates: templates,
            response_parameters: Some(params),
            ..Default::default()
        },
        IntegrationResponse {
            status_code: "500".into(),
            selection_pattern: Some(r"5\d{2}".into()),
            ..Default::default()
        },
    ];
    spec.method_responses = vec!["200".into(), "500".into()];
    spec
}

/// The method request of the apply benches: `Accept: application/json` and a request id.
///
/// # Example
/// ```
/// let request = apigw_benches::apply_request();
/// assert_eq!(request.header("accept"), Some("application/json"));
/// assert!(request.context_str("requestId").is_some());
/// ```
pub fn apply_request() -> apigw_mapping::RequestContext {
    let mut request = apigw_mapping::RequestContext::default();
    request
        .headers
        .push(("Accept".into(), "application/json".into()));
    request.context.insert(
        "requestId".into(),
        "c0ffee00-0000-4000-8000-000000000001".into(),
    );
    request
}

/// A backend's 200 answer of `body` as `application/json`.
///
/// # Example
/// ```
/// let backend = apigw_benches::json_backend("{}".into());
/// assert_eq!((backend.status, &backend.body[..]), (200, &b"{}"[..]));
/// ```
pub fn json_backend(body: bytes::Bytes) -> apigw_mapping::BackendResponse {
    apigw_mapping::BackendResponse {
        status: 200,
        headers: vec![(
            "Content-Type".into(),
            http::HeaderValue::from_static("application/json"),
        )],
        body,
        function_error: false,
    }
}

/// A W1-sized template reading three fields of [`typical_context`] (the apply bench's
/// `context_fields` and the callgrind probe's `apply-context`).
pub const CONTEXT_TEMPLATE: &str = "#set($r = $input.path('$'))\n{\"id\": \"$r.id\", \
     \"requestId\": \"$context.requestId\", \"stage\": \"$context.stage\", \
     \"ip\": \"$context.identity.sourceIp\"}";

/// The `$context` of a typical request through a REST API stage (the fields API Gateway
/// fills for an unauthenticated call), without `requestId`.
///
/// # Example
/// ```
/// let context = apigw_benches::typical_context();
/// assert_eq!(context["stage"], "prod");
/// assert_eq!(context["identity"]["sourceIp"], "203.0.113.7");
/// ```
pub fn typical_context() -> serde_json::Map<String, serde_json::Value> {
    let value = serde_json::json!({
        "accountId": "123456789012",
        "apiId": "a1b2c3d4e5",
        "domainName": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
        "domainPrefix": "a1b2c3d4e5",
        "extendedRequestId": "Lk3a9FwBoAMEb2Q=",
        "httpMethod": "GET",
        "identity": {
            "accountId": null,
            "caller": null,
            "cognitoIdentityId": null,
            "sourceIp": "203.0.113.7",
            "user": null,
            "userAgent": "curl/8.5.0",
            "userArn": null
        },
        "path": "/prod/pets/7",
        "protocol": "HTTP/1.1",
        "requestTime": "27/Nov/2026:04:45:12 +0000",
        "requestTimeEpoch": 1_795_761_912_000_u64,
        "resourceId": "x9y8z7",
        "resourcePath": "/pets/{id}",
        "stage": "prod"
    });
    match value {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("an object literal"),
    }
}
