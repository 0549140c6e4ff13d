//! Deployments: an immutable, compiled snapshot of a REST API, and the routing a gateway needs
//! to find a method for a request path.

use std::collections::BTreeMap;

use apigw_mapping::{CompiledIntegration, IntegrationKind, IntegrationSpec};
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::model::{DeployedDefinition, Integration};

/// One deployed method: its integration settings and compiled integration responses.
#[derive(Debug)]
pub struct DeployedMethod {
    /// The resource id.
    pub resource_id: String,
    /// The resource path template (`/pets/{id}`).
    pub resource_path: String,
    /// The method (`GET`, …, `ANY`).
    pub http_method: String,
    /// `authorizationType` of the method.
    pub authorization_type: String,
    /// `apiKeyRequired` of the method.
    pub api_key_required: bool,
    /// The method request parameters (`method.request.{path|querystring|header}.NAME` →
    /// required).
    pub method_request_parameters: Map<String, Value>,
    /// The integration `type` (`HTTP`, `AWS`, `MOCK`, `HTTP_PROXY`, `AWS_PROXY`).
    pub integration_type: String,
    /// The integration's backend method (`httpMethod` of the integration).
    pub integration_http_method: Option<String>,
    /// The integration URI.
    pub uri: Option<String>,
    /// Integration request templates by content type (`null` = passthrough).
    pub request_templates: Map<String, Value>,
    /// Integration request parameters (`integration.request.*` → source).
    pub request_parameters: Map<String, Value>,
    /// `passthroughBehavior`.
    pub passthrough_behavior: String,
    /// `timeoutInMillis`.
    pub timeout_in_millis: i64,
    /// The compiled response side.
    pub compiled: CompiledIntegration,
}

/// A compiled deployment: every method of the REST API at deployment time.
#[derive(Debug)]
pub struct Snapshot {
    /// The REST API id.
    pub api_id: String,
    /// The deployment id.
    pub deployment_id: String,
    /// The API's `binaryMediaTypes`.
    pub binary_media_types: Vec<String>,
    /// Every gateway response type (`API_CONFIGURATION_ERROR`, …) as it applies to this
    /// deployment (customised, inherited from `DEFAULT_4XX`/`DEFAULT_5XX`, or default): JSON
    /// objects with `statusCode`, `responseParameters`, `responseTemplates`,
    /// `defaultResponse`.
    pub gateway_responses: BTreeMap<String, Value>,
    /// Methods keyed by (resource path, HTTP method).
    methods: BTreeMap<(String, String), DeployedMethod>,
}

/// A request routed to a deployed method.
#[derive(Debug)]
pub struct RouteMatch<'a> {
    /// The method that serves the request.
    pub method: &'a DeployedMethod,
    /// Path parameters (`{id}` → segment; `{proxy+}` → the rest of the path).
    pub path_parameters: Vec<(String, String)>,
}

impl Snapshot {
    /// The deployed method at exactly `resource_path` and `http_method` (no `ANY` fallback).
    pub fn method(&self, resource_path: &str, http_method: &str) -> Option<&DeployedMethod> {
        self.methods
            .get(&(resource_path.to_owned(), http_method.to_owned()))
    }

    /// Every deployed method, ordered by path and method.
    pub fn methods(&self) -> impl Iterator<Item = &DeployedMethod> {
        self.methods.values()
    }

    /// Finds the method serving `http_method` on the request `path` (without the stage
    /// prefix). The resource is chosen by path first (literal segments beat `{param}`, which
    /// beats `{proxy+}`, compared from the left), then its exact method or else its `ANY`; when
    /// that resource has neither, there is no match (API Gateway answers 403 Missing
    /// Authentication Token then; a less specific `{proxy+}` is not tried). Segments are
    /// compared as received (percent-decoding is the caller's choice). See the crate-level
    /// example.
    pub fn route(&self, http_method: &str, path: &str) -> Option<RouteMatch<'_>> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut best: Option<(&str, PathMatch)> = None;
        for (resource_path, _) in self.methods.keys() {
            if best
                .as_ref()
                .is_some_and(|(p, _)| *p == resource_path.as_str())
            {
                continue;
            }
            let Some(found) = match_path(resource_path, &segments) else {
                continue;
            };
            if best.as_ref().is_none_or(|(_, (r, _))| found.0 > *r) {
                best = Some((resource_path.as_str(), found));
            }
        }
        let (resource_path, (_, path_parameters)) = best?;
        let method = self
            .method(resource_path, http_method)
            .or_else(|| self.method(resource_path, "ANY"))?;
        Some(RouteMatch {
            method,
            path_parameters,
        })
    }
}

/// Matches a resource path template against request segments; the rank orders matches by
/// specificity (per segment: literal 3, parameter 2, greedy 1).
/// A match's specificity rank and its path parameters.
type PathMatch = (Vec<u8>, Vec<(String, String)>);

fn match_path(template: &str, segments: &[&str]) -> Option<PathMatch> {
    let parts: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let mut rank = Vec::with_capacity(parts.len());
    let mut params = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix("+}")) {
            if i >= segments.len() {
                return None;
            }
            params.push((name.to_owned(), segments[i..].join("/")));
            rank.push(1);
            return Some((rank, params));
        }
        let seg = segments.get(i)?;
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            params.push((name.to_owned(), (*seg).to_owned()));
            rank.push(2);
        } else if part == seg {
            rank.push(3);
        } else {
            return None;
        }
    }
    (parts.len() == segments.len()).then_some((rank, params))
}

/// Compiles a deployed definition. Refuses (as `BadRequestException`) an API without methods,
/// a method without integration, and an integration that does not compile.
pub(crate) fn compile_snapshot(
    api_id: &str,
    deployment_id: &str,
    def: &DeployedDefinition,
    limits: &apigw_mapping::EngineLimits,
) -> Result<Snapshot, ApiError> {
    let mut methods = BTreeMap::new();
    // Customised gateway responses shape the configuration errors of every method (§7.2).
    let gateway: Vec<apigw_mapping::GatewayResponse> = def
        .gateway_responses
        .values()
        .filter_map(|g| serde_json::from_value(g.to_json()).ok())
        .collect();
    for res in def.resources.values() {
        for (m, method) in &res.methods {
            let Some(integ) = &method.integration else {
                return Err(ApiError::bad_request("No integration defined for method"));
            };
            let compiled =
                compile_integration(integ, method, &def.binary_media_types, &gateway, limits)
                    .map_err(|e| {
                        ApiError::bad_request(format!(
                            "Unable to deploy method {m} {}: {e}",
                            res.path
                        ))
                    })?;
            methods.insert(
                (res.path.clone(), m.clone()),
                DeployedMethod {
                    resource_id: res.id.clone(),
                    resource_path: res.path.clone(),
                    http_method: m.clone(),
                    authorization_type: method.authorization_type.clone(),
                    api_key_required: method.api_key_required,
                    method_request_parameters: method
                        .request_parameters
                        .clone()
                        .unwrap_or_default(),
                    integration_type: integ.kind.clone(),
                    integration_http_method: integ.http_method.clone(),
                    uri: integ.uri.clone(),
                    request_templates: integ.request_templates.clone().unwrap_or_default(),
                    request_parameters: integ.request_parameters.clone().unwrap_or_default(),
                    passthrough_behavior: integ
                        .passthrough_behavior
                        .clone()
                        .unwrap_or_else(|| "WHEN_NO_MATCH".into()),
                    timeout_in_millis: integ.timeout_in_millis,
                    compiled,
                },
            );
        }
    }
    if methods.is_empty() {
        return Err(ApiError::bad_request(
            "The REST API doesn't contain any methods",
        ));
    }
    Ok(Snapshot {
        api_id: api_id.to_owned(),
        deployment_id: deployment_id.to_owned(),
        binary_media_types: def.binary_media_types.clone(),
        gateway_responses: crate::ops::GATEWAY_RESPONSE_TYPES
            .iter()
            .map(|(t, _)| {
                (
                    (*t).to_owned(),
                    crate::ops::effective_gateway_response(&def.gateway_responses, t),
                )
            })
            .collect(),
        methods,
    })
}

fn compile_integration(
    integ: &Integration,
    method: &crate::model::Method,
    binary_media_types: &[String],
    gateway_responses: &[apigw_mapping::GatewayResponse],
    limits: &apigw_mapping::EngineLimits,
) -> Result<CompiledIntegration, String> {
    let kind = IntegrationKind::from_aws(&integ.kind, integ.uri.as_deref())
        .ok_or_else(|| format!("unknown integration type {}", integ.kind))?;
    let mut spec = IntegrationSpec::new(kind);
    spec.request_templates = integ.request_templates.clone().unwrap_or_default();
    spec.method_responses = method.method_responses.keys().cloned().collect();
    spec.binary_media_types = binary_media_types.to_vec();
    spec.gateway_responses = gateway_responses.to_vec();
    for ir in integ.integration_responses.values() {
        let converted: apigw_mapping::IntegrationResponse =
            serde_json::from_value(ir.to_json()).map_err(|e| e.to_string())?;
        spec.integration_responses.push(converted);
    }
    apigw_mapping::compile_with(&spec, limits).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_matching_ranks() {
        let segs = ["pets", "1"];
        let (lit, _) = match_path("/pets/1", &segs).unwrap();
        let (param, p) = match_path("/pets/{id}", &segs).unwrap();
        let (greedy, g) = match_path("/{proxy+}", &segs).unwrap();
        assert!(lit > param && param > greedy);
        assert_eq!(p, vec![("id".to_owned(), "1".to_owned())]);
        assert_eq!(g, vec![("proxy".to_owned(), "pets/1".to_owned())]);
        assert!(match_path("/pets", &segs).is_none());
        assert!(match_path("/pets/{id}/x", &segs).is_none());
        assert!(match_path("/", &[]).is_some());
        assert!(match_path("/{proxy+}", &[]).is_none());
    }
}
