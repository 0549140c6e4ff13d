//! API Gateway's REST-JSON wire protocol: AWS's own paths, JSON bodies, `x-amzn-ErrorType`
//! and `{"message": ...}` errors, as botocore's `rest-json` parser reads them.

use std::time::SystemTime;

use serde_json::{Value, json};

use crate::error::{ApiError, ErrorKind};
use crate::ids;
use crate::input::parse_body;
use crate::ops::JsonInput;
use crate::sigv4::{self, SignedRequest, percent_decode};
use crate::store::Store;

/// An HTTP response of the control plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Response headers (`Content-Type`, `x-amzn-RequestId`, `x-amzn-ErrorType` on errors).
    pub headers: Vec<(String, String)>,
    /// The body (JSON, or empty for 202/204 answers).
    pub body: Vec<u8>,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    ///
    /// # Example
    /// ```
    /// let r = apigw_control::Response {
    ///     status: 404,
    ///     headers: vec![("x-amzn-ErrorType".into(), "NotFoundException".into())],
    ///     body: Vec::new(),
    /// };
    /// assert_eq!(r.header("X-Amzn-ErrorType"), Some("NotFoundException"));
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON (`Null` when empty or not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn error(e: &ApiError, request_id: &str) -> Response {
        Response {
            status: e.kind().status(),
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("x-amzn-RequestId".into(), request_id.to_owned()),
                ("x-amzn-ErrorType".into(), e.kind().name().to_owned()),
            ],
            body: json!({ "message": e.message() }).to_string().into_bytes(),
        }
    }
}

/// Decoded query-string pairs.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                String::from_utf8_lossy(&percent_decode(&s.replace('+', " "))).into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

impl Store {
    /// Serves one control-plane request on API Gateway's REST-JSON protocol.
    ///
    /// `path` is the request path as received (still percent-encoded; a `?query` left on it
    /// is split off and used when `query` is empty); `query` the raw query string without `?`. Unless [`crate::Config::auth_disabled`], the
    /// request must carry a valid SigV4 `Authorization` header for one of the configured
    /// keys. Bodies larger than [`crate::Config::max_body_bytes`] get a 413. Unknown JSON
    /// members are ignored (as AWS's deserializer does); members of the wrong type get a
    /// `SerializationException`.
    ///
    /// # Example
    /// ```
    /// use apigw_control::{Config, Store};
    /// let store = Store::in_memory(Config { auth_disabled: true, ..Config::default() });
    /// let created = store.handle("POST", "/restapis", "", &[], br#"{"name": "pets"}"#).json();
    /// let id = created["id"].as_str().unwrap();
    /// let r = store.handle("GET", &format!("/restapis/{id}/resources/nope"), "", &[], b"");
    /// assert_eq!(r.status, 404);
    /// assert_eq!(r.header("x-amzn-ErrorType"), Some("NotFoundException"));
    /// assert_eq!(r.json()["message"], "Invalid Resource identifier specified");
    /// ```
    pub fn handle(
        &self,
        method: &str,
        path: &str,
        query: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Response {
        self.handle_at(method, path, query, headers, body, SystemTime::now())
    }

    /// [`Store::handle`] with the clock given (for signature-expiry checks in tests).
    pub fn handle_at(
        &self,
        method: &str,
        path: &str,
        query: &str,
        headers: &[(String, String)],
        body: &[u8],
        now: SystemTime,
    ) -> Response {
        let request_id = ids::request_id();
        // A path that still carries its query string is split here.
        let (path, query) = match path.split_once('?') {
            Some((p, q)) if query.is_empty() => (p, q),
            Some((p, _)) => (p, query),
            None => (path, query),
        };
        if body.len() > self.config.max_body_bytes {
            return Response::error(
                &ApiError::new(
                    ErrorKind::RequestTooLarge,
                    format!(
                        "Request body of {} bytes exceeds the limit of {} bytes",
                        body.len(),
                        self.config.max_body_bytes
                    ),
                ),
                &request_id,
            );
        }
        if !self.config.auth_disabled {
            let req = SignedRequest {
                method,
                path,
                query,
                headers,
                body,
            };
            if let Err(e) = sigv4::verify(
                &req,
                &self.config.credentials,
                now,
                self.config.max_clock_skew_secs,
            ) {
                return Response::error(&e, &request_id);
            }
        }
        if let Some(r) = self.export_response(method, path, query, headers, &request_id) {
            return r;
        }
        match self.dispatch(method, path, query, body) {
            Ok((status, value)) => {
                let body = if value.is_null() {
                    Vec::new()
                } else {
                    value.to_string().into_bytes()
                };
                Response {
                    status,
                    headers: vec![
                        ("Content-Type".into(), "application/json".into()),
                        ("x-amzn-RequestId".into(), request_id),
                    ],
                    body,
                }
            }
            Err(e) => Response::error(&e, &request_id),
        }
    }

    /// `GetExport` answers with the document itself (`application/octet-stream`, a
    /// `Content-Disposition` naming `swagger_<version>.json` / `oas30_<version>.json`, as
    /// recorded against AWS); `Accept: application/yaml` gets YAML.
    fn export_response(
        &self,
        method: &str,
        path: &str,
        query: &str,
        headers: &[(String, String)],
        request_id: &str,
    ) -> Option<Response> {
        let segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(&percent_decode(s)).into_owned())
            .collect();
        let ["restapis", id, "stages", stage, "exports", kind] =
            segments.iter().map(String::as_str).collect::<Vec<_>>()[..]
        else {
            return None;
        };
        if method != "GET" {
            return None;
        }
        let q = query_pairs(query);
        let extensions = q
            .iter()
            .find(|(k, _)| k == "extensions")
            .map(|(_, v)| v.as_str());
        let doc = match self.get_export(id, stage, kind, extensions) {
            Ok(doc) => doc,
            Err(e) => return Some(Response::error(&e, request_id)),
        };
        let yaml = headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("accept") && v.contains("yaml"));
        let (body, ext) = if yaml {
            match serde_yaml_ng::to_string(&doc) {
                Ok(y) => (y.into_bytes(), "yaml"),
                Err(_) => (doc.to_string().into_bytes(), "json"),
            }
        } else {
            (doc.to_string().into_bytes(), "json")
        };
        let version = doc["info"]["version"].as_str().unwrap_or("");
        let prefix = if kind == "oas30" { "oas30" } else { "swagger" };
        Some(Response {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "application/octet-stream".into()),
                (
                    "Content-Disposition".into(),
                    format!("attachment; filename=\"{prefix}_{version}.{ext}\""),
                ),
                ("x-amzn-RequestId".into(), request_id.to_owned()),
            ],
            body,
        })
    }

    fn dispatch(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> Result<(u16, Value), ApiError> {
        let segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(&percent_decode(s)).into_owned())
            .collect();
        let s: Vec<&str> = segments.iter().map(String::as_str).collect();
        let q = query_pairs(query);
        let qv = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let input = || -> Result<JsonInput, ApiError> { parse_body(body) };
        let embed = qv("embed").is_some_and(|e| e.split(',').any(|x| x == "methods"));
        let ok = |v: Value| Ok((200, v));
        let created = |v: Value| Ok((201, v));
        let accepted = |_: Value| Ok((202, Value::Null));
        let no_content = |_: Value| Ok((204, Value::Null));
        match (method, s.as_slice()) {
            ("POST", ["restapis"]) => match qv("mode") {
                Some("import") => created(self.import_rest_api(body, qv("failonwarnings"))?),
                _ => created(self.create_rest_api(&input()?)?),
            },
            ("GET", ["restapis"]) => ok(self.get_rest_apis()?),
            ("GET", ["restapis", id]) => ok(self.get_rest_api(id)?),
            ("PATCH", ["restapis", id]) => ok(self.update_rest_api(id, &input()?)?),
            ("PUT", ["restapis", id]) => {
                ok(self.put_rest_api(id, body, qv("mode").unwrap_or("merge"))?)
            }
            ("DELETE", ["restapis", id]) => accepted(self.delete_rest_api(id)?),
            ("GET", ["restapis", id, "resources"]) => ok(self.get_resources(id, embed)?),
            ("GET", ["restapis", id, "resources", rid]) => ok(self.get_resource(id, rid, embed)?),
            ("POST", ["restapis", id, "resources", parent]) => {
                created(self.create_resource(id, parent, &input()?)?)
            }
            ("DELETE", ["restapis", id, "resources", rid]) => {
                accepted(self.delete_resource(id, rid)?)
            }
            ("PATCH", ["restapis", id, "resources", rid]) => {
                ok(self.update_resource(id, rid, &input()?)?)
            }
            (_, ["restapis", id, "resources", rid, "methods", m]) => match method {
                "PUT" => created(self.put_method(id, rid, m, &input()?)?),
                "GET" => ok(self.get_method(id, rid, m)?),
                "DELETE" => no_content(self.delete_method(id, rid, m)?),
                "PATCH" => ok(self.update_method(id, rid, m, &input()?)?),
                _ => Err(unknown_operation()),
            },
            (
                _,
                [
                    "restapis",
                    id,
                    "resources",
                    rid,
                    "methods",
                    m,
                    "responses",
                    code,
                ],
            ) => match method {
                "PUT" => created(self.put_method_response(id, rid, m, code, &input()?)?),
                "GET" => ok(self.get_method_response(id, rid, m, code)?),
                "DELETE" => no_content(self.delete_method_response(id, rid, m, code)?),
                "PATCH" => created(self.update_method_response(id, rid, m, code, &input()?)?),
                _ => Err(unknown_operation()),
            },
            (
                _,
                [
                    "restapis",
                    id,
                    "resources",
                    rid,
                    "methods",
                    m,
                    "integration",
                ],
            ) => match method {
                "PUT" => created(self.put_integration(id, rid, m, &input()?)?),
                "GET" => ok(self.get_integration(id, rid, m)?),
                "DELETE" => no_content(self.delete_integration(id, rid, m)?),
                "PATCH" => ok(self.update_integration(id, rid, m, &input()?)?),
                _ => Err(unknown_operation()),
            },
            (
                _,
                [
                    "restapis",
                    id,
                    "resources",
                    rid,
                    "methods",
                    m,
                    "integration",
                    "responses",
                    code,
                ],
            ) => match method {
                "PUT" => created(self.put_integration_response(id, rid, m, code, &input()?)?),
                "GET" => ok(self.get_integration_response(id, rid, m, code)?),
                "DELETE" => no_content(self.delete_integration_response(id, rid, m, code)?),
                "PATCH" => ok(self.update_integration_response(id, rid, m, code, &input()?)?),
                _ => Err(unknown_operation()),
            },
            ("POST", ["restapis", id, "authorizers"]) => {
                created(self.create_authorizer(id, &input()?)?)
            }
            ("GET", ["restapis", id, "authorizers"]) => ok(self.get_authorizers(id)?),
            (_, ["restapis", id, "authorizers", a]) => match method {
                "GET" => ok(self.get_authorizer(id, a)?),
                "PATCH" => ok(self.update_authorizer(id, a, &input()?)?),
                "DELETE" => accepted(self.delete_authorizer(id, a)?),
                _ => Err(unknown_operation()),
            },
            ("POST", ["restapis", id, "requestvalidators"]) => {
                created(self.create_request_validator(id, &input()?)?)
            }
            ("GET", ["restapis", id, "requestvalidators"]) => ok(self.get_request_validators(id)?),
            (_, ["restapis", id, "requestvalidators", v]) => match method {
                "GET" => ok(self.get_request_validator(id, v)?),
                "PATCH" => ok(self.update_request_validator(id, v, &input()?)?),
                "DELETE" => accepted(self.delete_request_validator(id, v)?),
                _ => Err(unknown_operation()),
            },
            ("GET", ["restapis", id, "gatewayresponses"]) => ok(self.get_gateway_responses(id)?),
            (_, ["restapis", id, "gatewayresponses", t]) => match method {
                "PUT" => created(self.put_gateway_response(id, t, &input()?)?),
                "GET" => ok(self.get_gateway_response(id, t)?),
                "DELETE" => accepted(self.delete_gateway_response(id, t)?),
                "PATCH" => ok(self.update_gateway_response(id, t, &input()?)?),
                _ => Err(unknown_operation()),
            },
            ("POST", ["restapis", id, "deployments"]) => {
                created(self.create_deployment(id, &input()?)?)
            }
            ("GET", ["restapis", id, "deployments"]) => ok(self.get_deployments(id)?),
            ("GET", ["restapis", id, "deployments", d]) => ok(self.get_deployment(id, d)?),
            ("DELETE", ["restapis", id, "deployments", d]) => {
                accepted(self.delete_deployment(id, d)?)
            }
            ("POST", ["restapis", id, "stages"]) => created(self.create_stage(id, &input()?)?),
            ("GET", ["restapis", id, "stages"]) => ok(self.get_stages(id, qv("deploymentId"))?),
            ("GET", ["restapis", id, "stages", name]) => ok(self.get_stage(id, name)?),
            ("PATCH", ["restapis", id, "stages", name]) => {
                ok(self.update_stage(id, name, &input()?)?)
            }
            ("DELETE", ["restapis", id, "stages", name]) => accepted(self.delete_stage(id, name)?),
            _ => Err(unknown_operation()),
        }
    }
}

fn unknown_operation() -> ApiError {
    ApiError::new(ErrorKind::UnknownOperation, "Unknown operation")
}
