//! Reads conformance case files (format: `conformance/FORMAT.md`) and runs each case against
//! [`apigw_mapping`].
//!
//! One corpus, many runners: the test target `conformance` registers every case as a named
//! test, and the binary `conformance` runs any directory or file of cases and prints
//! `N passed, M failed`.
//!
//! # Example
//! ```no_run
//! let cases = apigw_conformance::load_dir(&apigw_conformance::default_cases_dir()).unwrap();
//! for case in &cases {
//!     if let Err(diff) = apigw_conformance::run(case) {
//!         println!("{}: {diff}", case.name);
//!     }
//! }
//! ```
#![deny(missing_docs)]

mod control;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use apigw_mapping::{
    BackendResponse, IntegrationKind, IntegrationResponse, IntegrationSpec, MethodResponse,
    RequestContext,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::HeaderValue;
use serde_json::{Map, Value};

/// One case, as read from a file.
#[derive(Debug, Clone)]
pub struct Case {
    /// The case's unique name.
    pub name: String,
    /// `data` or `control`.
    pub kind: String,
    /// The file it came from.
    pub file: PathBuf,
    /// The whole case object.
    pub raw: Value,
}

/// The directory holding the project's cases: `$APIGW_CONFORMANCE_DIR` if set, else
/// `conformance/cases` at the workspace root.
pub fn default_cases_dir() -> PathBuf {
    match std::env::var_os("APIGW_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/cases"),
    }
}

/// Loads every `*.json` case file of a directory, sorted by file name.
///
/// # Errors
/// A message naming the file that cannot be read or parsed.
pub fn load_dir(dir: &Path) -> Result<Vec<Case>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for f in files {
        cases.extend(load_file(&f)?);
    }
    Ok(cases)
}

/// Loads the cases of one file.
///
/// # Errors
/// A message naming the file that cannot be read or parsed.
pub fn load_file(path: &Path) -> Result<Vec<Case>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let cases = doc
        .get("cases")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{}: no \"cases\" array", path.display()))?;
    cases
        .iter()
        .map(|c| {
            let name = c
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{}: a case has no name", path.display()))?;
            Ok(Case {
                name: name.to_owned(),
                kind: c
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or("data")
                    .to_owned(),
                file: path.to_owned(),
                raw: c.clone(),
            })
        })
        .collect()
}

/// Runs one case; `Err` holds a readable diff of what differed.
///
/// # Errors
/// The differences between the expectation and the engine's answer, or why the case could not
/// run.
pub fn run(case: &Case) -> Result<(), String> {
    match case.kind.as_str() {
        "data" => run_data(&case.raw),
        "control" => control::run(&case.raw),
        other => Err(format!("unknown case kind {other:?}")),
    }
}

fn run_data(c: &Value) -> Result<(), String> {
    let api = c.get("api").ok_or("case has no \"api\"")?;
    let spec = build_spec(api)?;
    let compiled = apigw_mapping::compile(&spec).map_err(|e| format!("compile failed: {e:#}"))?;
    let request = build_request(c.get("request").unwrap_or(&Value::Null))?;
    let backend = build_backend(c.get("backend").ok_or("case has no \"backend\"")?)?;
    let got = compiled.apply(&backend, &request);
    compare(c.get("expect").ok_or("case has no \"expect\"")?, &got)
}

/// Checks the explanation of a data case (`CompiledIntegration::apply_explained`): the same
/// response as `apply`, the expected status, and a winner consistent with the outcome (a
/// selected response unless nothing matched). Control cases pass trivially.
///
/// # Errors
/// What is inconsistent.
pub fn check_explanation(case: &Case) -> Result<(), String> {
    if case.kind != "data" {
        return Ok(());
    }
    let c = &case.raw;
    let spec = build_spec(c.get("api").ok_or("case has no \"api\"")?)?;
    let compiled = apigw_mapping::compile(&spec).map_err(|e| format!("compile failed: {e:#}"))?;
    let request = build_request(c.get("request").unwrap_or(&Value::Null))?;
    let backend = build_backend(c.get("backend").ok_or("case has no \"backend\"")?)?;
    let plain = compiled.apply(&backend, &request);
    let (response, why) = compiled.apply_explained(&backend, &request);
    if response.status != plain.status || response.body != plain.body {
        return Err("apply_explained answered differently from apply".into());
    }
    if why.status != response.status {
        return Err(format!(
            "explanation status {} but response {}",
            why.status, response.status
        ));
    }
    if let Some(want) = c
        .get("expect")
        .and_then(|e| e.get("status"))
        .and_then(Value::as_u64)
        && u64::from(why.status) != want
    {
        return Err(format!("explanation status {} expected {want}", why.status));
    }
    match (&why.selected, &response.failure) {
        (None, None) if spec.kind.is_mapped() => Err("no response selected, yet no failure".into()),
        (Some(_), Some(apigw_mapping::Failure::NoMatchingResponse { .. })) => {
            Err("a response selected, yet the failure says nothing matched".into())
        }
        _ => Ok(()),
    }
}

fn build_spec(api: &Value) -> Result<IntegrationSpec, String> {
    let integration = api.get("integration").unwrap_or(&Value::Null);
    let ty = integration
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("HTTP");
    let kind = if integration.get("lambda").and_then(Value::as_bool) == Some(true) {
        IntegrationKind::Lambda
    } else {
        IntegrationKind::from_aws(ty, integration.get("uri").and_then(Value::as_str))
            .ok_or_else(|| format!("unknown integration type {ty:?}"))?
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
            serde_json::from_value::<Vec<IntegrationResponse>>(irs.clone())
                .map_err(|e| format!("integrationResponses: {e}"))?;
    }
    spec.method_responses = strings(api.get("methodResponses"));
    if let Some(g) = api.get("gatewayResponses") {
        spec.gateway_responses =
            serde_json::from_value(g.clone()).map_err(|e| format!("gatewayResponses: {e}"))?;
    }
    spec.binary_media_types = strings(api.get("binaryMediaTypes"));
    Ok(spec)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Header maps take a string or an array of strings per name.
fn header_pairs(v: Option<&Value>) -> Vec<(String, String)> {
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

fn build_request(r: &Value) -> Result<RequestContext, String> {
    let mut req = RequestContext {
        headers: header_pairs(r.get("headers")),
        query_string: header_pairs(r.get("queryString")),
        path_parameters: header_pairs(r.get("pathParameters")),
        stage_variables: header_pairs(r.get("stageVariables")),
        context: Map::new(),
        request_id: None,
        extended_request_id: None,
        body: r
            .get("body")
            .and_then(Value::as_str)
            .map_or_else(Bytes::new, |b| Bytes::from(b.to_owned())),
    };
    if let Some(ctx) = r.get("context") {
        req.context = ctx
            .as_object()
            .ok_or("request.context is not an object")?
            .clone();
    }
    for (field, key) in [
        ("httpMethod", "httpMethod"),
        ("path", "path"),
        ("resourcePath", "resourcePath"),
    ] {
        if let Some(v) = r.get(field) {
            req.context.entry(key).or_insert_with(|| v.clone());
        }
    }
    Ok(req)
}

fn build_backend(b: &Value) -> Result<BackendResponse, String> {
    let status = b
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or(200);
    let body = match (b.get("body"), b.get("bodyBase64")) {
        (_, Some(Value::String(b64))) => Bytes::from(
            STANDARD
                .decode(b64)
                .map_err(|e| format!("backend.bodyBase64: {e}"))?,
        ),
        (Some(Value::String(s)), _) => Bytes::from(s.clone()),
        _ => Bytes::new(),
    };
    let headers = header_pairs(b.get("headers"))
        .into_iter()
        .map(|(n, v)| {
            HeaderValue::from_str(&v)
                .map(|v| (n.clone(), v))
                .map_err(|e| format!("backend header {n}: {e}"))
        })
        .collect::<Result<_, _>>()?;
    Ok(BackendResponse {
        status,
        headers,
        body,
        function_error: b.get("lambdaError").and_then(Value::as_bool) == Some(true),
    })
}

fn compare(expect: &Value, got: &MethodResponse) -> Result<(), String> {
    let mut diff = String::new();
    if let Some(status) = expect.get("status").and_then(Value::as_u64)
        && status != u64::from(got.status)
    {
        let _ = writeln!(diff, "status: expected {status}, got {}", got.status);
    }
    for (name, want) in header_pairs_grouped(expect.get("headers")) {
        let have: Vec<&str> = got
            .headers
            .get_all(name.as_str())
            .iter()
            .map(|v| v.to_str().unwrap_or("<non-UTF-8>"))
            .collect();
        if have != want {
            let _ = writeln!(diff, "header {name}: expected {want:?}, got {have:?}");
        }
    }
    for name in strings(expect.get("absentHeaders")) {
        if let Some(v) = got.headers.get(name.as_str()) {
            let _ = writeln!(diff, "header {name}: expected absent, got {v:?}");
        }
    }
    let body = &got.body[..];
    if let Some(want) = expect.get("body").and_then(Value::as_str) {
        if want.as_bytes() != body {
            let _ = writeln!(
                diff,
                "body:\n  expected {:?}\n  got      {:?}",
                want,
                String::from_utf8_lossy(body)
            );
        }
    } else if let Some(want) = expect.get("bodyJson") {
        match serde_json::from_slice::<Value>(body) {
            Ok(have) if have == *want => {}
            Ok(have) => {
                let _ = writeln!(diff, "bodyJson:\n  expected {want}\n  got      {have}");
            }
            Err(e) => {
                let _ = writeln!(
                    diff,
                    "bodyJson: expected {want}\n  got non-JSON ({e}): {:?}",
                    String::from_utf8_lossy(body)
                );
            }
        }
    } else if let Some(want) = expect.get("bodyBase64").and_then(Value::as_str) {
        let have = STANDARD.encode(body);
        if have != want {
            let _ = writeln!(diff, "bodyBase64:\n  expected {want}\n  got      {have}");
        }
    }
    if diff.is_empty() {
        Ok(())
    } else {
        if let Some(f) = &got.failure {
            let _ = writeln!(diff, "(engine failure: {f})");
        }
        Err(diff)
    }
}

/// Expected headers grouped by name (lower-cased), each with its list of values.
fn header_pairs_grouped(v: Option<&Value>) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (n, val) in header_pairs(v) {
        let n = n.to_ascii_lowercase();
        match out.iter_mut().find(|(k, _)| *k == n) {
            Some((_, vals)) => vals.push(val),
            None => out.push((n, vec![val])),
        }
    }
    out
}

/// The expected-failures list: case name → reason. Lines are `name  # reason`; `#` lines and
/// blank lines are ignored.
///
/// # Errors
/// A message when the file cannot be read.
pub fn load_expected_failures(path: &Path) -> Result<Vec<(String, String)>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once('#') {
            Some((name, reason)) => (name.trim().to_owned(), reason.trim().to_owned()),
            None => (l.to_owned(), String::new()),
        })
        .collect())
}
