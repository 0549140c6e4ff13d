//! The stored definitions. These types are the persisted form (`state.json`); the JSON that
//! the AWS protocol returns is produced by their `to_json` methods, which follow API Gateway's
//! response shapes (members absent when never set).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Everything the store holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct State {
    /// Format version of the state file.
    pub(crate) version: u32,
    /// REST APIs by id.
    pub(crate) rest_apis: BTreeMap<String, RestApi>,
}

/// A REST API and everything under it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RestApi {
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) version: Option<String>,
    pub(crate) created_date: i64,
    #[serde(default)]
    pub(crate) binary_media_types: Vec<String>,
    /// `EDGE`, `REGIONAL` or `PRIVATE`.
    #[serde(default = "default_endpoint_type")]
    pub(crate) endpoint_type: String,
    /// `ipv4` or `dualstack`.
    #[serde(default = "default_ip_address_type")]
    pub(crate) ip_address_type: String,
    pub(crate) root_resource_id: String,
    /// Resources by id.
    pub(crate) resources: BTreeMap<String, Resource>,
    /// Customised gateway responses by `responseType`.
    #[serde(default)]
    pub(crate) gateway_responses: BTreeMap<String, GatewayResponse>,
    /// Deployments by id.
    #[serde(default)]
    pub(crate) deployments: BTreeMap<String, Deployment>,
    /// Stages by name.
    #[serde(default)]
    pub(crate) stages: BTreeMap<String, Stage>,
    /// Authorizers by id.
    #[serde(default)]
    pub(crate) authorizers: BTreeMap<String, Authorizer>,
    /// Request validators by id.
    #[serde(default)]
    pub(crate) request_validators: BTreeMap<String, RequestValidator>,
}

fn default_endpoint_type() -> String {
    "EDGE".into()
}

fn default_ip_address_type() -> String {
    "ipv4".into()
}

impl RestApi {
    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("name".into(), json!(self.name));
        if let Some(d) = &self.description {
            m.insert("description".into(), json!(d));
        }
        if let Some(v) = &self.version {
            m.insert("version".into(), json!(v));
        }
        m.insert("createdDate".into(), json!(self.created_date));
        if !self.binary_media_types.is_empty() {
            m.insert("binaryMediaTypes".into(), json!(self.binary_media_types));
        }
        m.insert("apiKeySource".into(), json!("HEADER"));
        m.insert(
            "endpointConfiguration".into(),
            json!({"ipAddressType": self.ip_address_type, "types": [self.endpoint_type]}),
        );
        m.insert("disableExecuteApiEndpoint".into(), json!(false));
        m.insert("rootResourceId".into(), json!(self.root_resource_id));
        Value::Object(m)
    }
}

/// A resource: one node of the path tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Resource {
    pub(crate) id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) parent_id: Option<String>,
    /// The last segment (`""` for the root).
    pub(crate) path_part: String,
    /// The full path (`/`, `/pets`, `/pets/{id}`).
    pub(crate) path: String,
    /// Methods by HTTP method (`GET`, …, `ANY`).
    #[serde(default)]
    pub(crate) methods: BTreeMap<String, Method>,
}

impl Resource {
    /// `embed_methods`: the full methods (`GetResources?embed=methods`), else empty objects.
    pub(crate) fn to_json(&self, embed_methods: bool) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        if let Some(p) = &self.parent_id {
            m.insert("parentId".into(), json!(p));
            m.insert("pathPart".into(), json!(self.path_part));
        }
        m.insert("path".into(), json!(self.path));
        if !self.methods.is_empty() {
            let methods: Map<String, Value> = self
                .methods
                .iter()
                .map(|(k, v)| {
                    let body = if embed_methods {
                        v.to_json()
                    } else {
                        json!({})
                    };
                    (k.clone(), body)
                })
                .collect();
            m.insert("resourceMethods".into(), Value::Object(methods));
        }
        Value::Object(m)
    }
}

/// A method of a resource.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Method {
    pub(crate) http_method: String,
    pub(crate) authorization_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) authorizer_id: Option<String>,
    #[serde(default)]
    pub(crate) api_key_required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) operation_name: Option<String>,
    /// `method.request.*` → required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) request_parameters: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) request_models: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) request_validator_id: Option<String>,
    #[serde(default)]
    pub(crate) method_responses: BTreeMap<String, MethodResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) integration: Option<Integration>,
}

impl Method {
    /// The `PutMethod` answer: the method without its responses and integration.
    pub(crate) fn to_json_bare(&self) -> Value {
        let mut m = Map::new();
        m.insert("httpMethod".into(), json!(self.http_method));
        m.insert("authorizationType".into(), json!(self.authorization_type));
        if let Some(a) = &self.authorizer_id {
            m.insert("authorizerId".into(), json!(a));
        }
        m.insert("apiKeyRequired".into(), json!(self.api_key_required));
        if let Some(o) = &self.operation_name {
            m.insert("operationName".into(), json!(o));
        }
        if let Some(p) = &self.request_parameters {
            m.insert("requestParameters".into(), Value::Object(p.clone()));
        }
        if let Some(p) = &self.request_models {
            m.insert("requestModels".into(), Value::Object(p.clone()));
        }
        if let Some(v) = &self.request_validator_id {
            m.insert("requestValidatorId".into(), json!(v));
        }
        Value::Object(m)
    }

    /// The `GetMethod` answer: with `methodResponses` and `methodIntegration`.
    pub(crate) fn to_json(&self) -> Value {
        let mut v = self.to_json_bare();
        let m = v.as_object_mut().expect("object");
        if !self.method_responses.is_empty() {
            let r: Map<String, Value> = self
                .method_responses
                .iter()
                .map(|(k, r)| (k.clone(), r.to_json()))
                .collect();
            m.insert("methodResponses".into(), Value::Object(r));
        }
        if let Some(i) = &self.integration {
            m.insert("methodIntegration".into(), i.to_json());
        }
        v
    }
}

/// A method response: a status code the method declares, with its header parameters.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MethodResponse {
    pub(crate) status_code: String,
    /// `method.response.header.X` → required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) response_parameters: Option<Map<String, Value>>,
    /// Content type → model name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) response_models: Option<Map<String, Value>>,
}

impl MethodResponse {
    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("statusCode".into(), json!(self.status_code));
        if let Some(p) = &self.response_parameters {
            m.insert("responseParameters".into(), Value::Object(p.clone()));
        }
        if let Some(p) = &self.response_models {
            m.insert("responseModels".into(), Value::Object(p.clone()));
        }
        Value::Object(m)
    }

    /// Whether `key` (`method.response.header.X`) is declared.
    pub(crate) fn declares(&self, key: &str) -> bool {
        self.response_parameters
            .as_ref()
            .is_some_and(|p| p.contains_key(key))
    }
}

/// A method's integration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Integration {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) http_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) connection_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) credentials: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) request_parameters: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) request_templates: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) passthrough_behavior: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) content_handling: Option<String>,
    pub(crate) timeout_in_millis: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cache_namespace: Option<String>,
    #[serde(default)]
    pub(crate) cache_key_parameters: Vec<String>,
    /// By status code.
    #[serde(default)]
    pub(crate) integration_responses: BTreeMap<String, IntegrationResponse>,
}

impl Integration {
    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), json!(self.kind));
        if let Some(h) = &self.http_method {
            m.insert("httpMethod".into(), json!(h));
        }
        if let Some(u) = &self.uri {
            m.insert("uri".into(), json!(u));
        }
        if let Some(c) = &self.connection_type {
            m.insert("connectionType".into(), json!(c));
        }
        if let Some(c) = &self.credentials {
            m.insert("credentials".into(), json!(c));
        }
        if let Some(p) = &self.request_parameters {
            m.insert("requestParameters".into(), Value::Object(p.clone()));
        }
        if let Some(p) = &self.request_templates {
            m.insert("requestTemplates".into(), Value::Object(p.clone()));
        }
        if let Some(p) = &self.passthrough_behavior {
            m.insert("passthroughBehavior".into(), json!(p));
        }
        if let Some(c) = &self.content_handling {
            m.insert("contentHandling".into(), json!(c));
        }
        m.insert("timeoutInMillis".into(), json!(self.timeout_in_millis));
        if let Some(c) = &self.cache_namespace {
            m.insert("cacheNamespace".into(), json!(c));
        }
        m.insert(
            "cacheKeyParameters".into(),
            json!(self.cache_key_parameters),
        );
        if !self.integration_responses.is_empty() {
            let r: Map<String, Value> = self
                .integration_responses
                .iter()
                .map(|(k, r)| (k.clone(), r.to_json()))
                .collect();
            m.insert("integrationResponses".into(), Value::Object(r));
        }
        Value::Object(m)
    }
}

/// An integration response (SPEC §8.1 shape).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IntegrationResponse {
    pub(crate) status_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) selection_pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) response_parameters: Option<Map<String, Value>>,
    /// Content type → template; `null` for an empty template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) response_templates: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) content_handling: Option<String>,
}

impl IntegrationResponse {
    pub(crate) fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("serializable")
    }
}

/// A customised gateway response.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GatewayResponse {
    pub(crate) response_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) status_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) response_parameters: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) response_templates: Option<Map<String, Value>>,
}

impl GatewayResponse {
    pub(crate) fn to_json(&self) -> Value {
        let mut v = serde_json::to_value(self).expect("serializable");
        v.as_object_mut()
            .expect("object")
            .insert("defaultResponse".into(), json!(false));
        v
    }
}

/// A deployment: an immutable copy of the API's definition at creation time.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Deployment {
    pub(crate) id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    pub(crate) created_date: i64,
    /// The definition as it was deployed: shared by the deployments that froze the same
    /// definition. Persisted inline while a stage serves the deployment (and always in state
    /// format 1), else as a reference to `definitions/<sha256>.json`.
    pub(crate) definition: Frozen,
}

/// A frozen [`DeployedDefinition`] with its content digest (the SHA-256 of its compact JSON),
/// which names its file in the state directory. Cloning shares the definition.
#[derive(Debug, Clone)]
pub(crate) struct Frozen {
    digest: Arc<str>,
    definition: Arc<DeployedDefinition>,
}

impl Frozen {
    /// Freezes `definition`, computing its digest.
    pub(crate) fn new(definition: DeployedDefinition) -> Frozen {
        let json = serde_json::to_vec(&definition).expect("serializable");
        Frozen {
            digest: hex_sha256(&json).into(),
            definition: Arc::new(definition),
        }
    }

    /// The lowercase hex SHA-256 of the definition's compact JSON.
    pub(crate) fn digest(&self) -> &str {
        &self.digest
    }

    /// Whether both share one allocation.
    #[cfg(test)]
    pub(crate) fn shares(&self, other: &Frozen) -> bool {
        Arc::ptr_eq(&self.definition, &other.definition)
    }

    /// The compact JSON of the definition (what its file holds).
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        serde_json::to_vec(&*self.definition).expect("serializable")
    }
}

impl std::ops::Deref for Frozen {
    type Target = DeployedDefinition;
    fn deref(&self) -> &DeployedDefinition {
        &self.definition
    }
}

/// Whether `s` is a digest as [`Frozen::digest`] writes it (and so a safe file name).
pub(crate) fn is_digest(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn hex_sha256(data: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Written as the digest (a reference to the definition's own file); the store writes the
/// definitions of served deployments inline instead.
impl Serialize for Frozen {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.digest)
    }
}

/// Read from the inline definition (state format 1, or format 2 after the store has put each
/// referenced file's content in place of its digest).
impl<'de> Deserialize<'de> for Frozen {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Frozen, D::Error> {
        DeployedDefinition::deserialize(d).map(Frozen::new)
    }
}

impl Deployment {
    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        if let Some(d) = &self.description {
            m.insert("description".into(), json!(d));
        }
        m.insert("createdDate".into(), json!(self.created_date));
        Value::Object(m)
    }
}

/// What a deployment freezes: resources (with methods), binary media types, gateway responses.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeployedDefinition {
    pub(crate) binary_media_types: Vec<String>,
    pub(crate) resources: BTreeMap<String, Resource>,
    #[serde(default)]
    pub(crate) gateway_responses: BTreeMap<String, GatewayResponse>,
    /// Authorizers by id (what the methods' `authorizerId` name).
    #[serde(default)]
    pub(crate) authorizers: BTreeMap<String, Authorizer>,
    /// Request validators by id (what the methods' `requestValidatorId` name).
    #[serde(default)]
    pub(crate) request_validators: BTreeMap<String, RequestValidator>,
}

/// A request validator. Stored for methods to name and exports to write; the data plane does
/// not validate requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RequestValidator {
    pub(crate) id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) validate_request_body: bool,
    #[serde(default)]
    pub(crate) validate_request_parameters: bool,
}

impl RequestValidator {
    pub(crate) fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("serializable")
    }
}

/// An authorizer (Lambda `TOKEN` / `REQUEST`, or `COGNITO_USER_POOLS`). The control plane
/// stores it for methods to name; the data plane does not run it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Authorizer {
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
    #[serde(
        rename = "providerARNs",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) provider_arns: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) auth_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) authorizer_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) authorizer_credentials: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) identity_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) identity_validation_expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) authorizer_result_ttl_in_seconds: Option<i64>,
}

impl Authorizer {
    pub(crate) fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("serializable")
    }
}

/// A stage: a name pointing at a deployment, with stage variables.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Stage {
    pub(crate) stage_name: String,
    pub(crate) deployment_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) variables: Map<String, Value>,
    pub(crate) created_date: i64,
    pub(crate) last_updated_date: i64,
}

impl Stage {
    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("deploymentId".into(), json!(self.deployment_id));
        m.insert("stageName".into(), json!(self.stage_name));
        if let Some(d) = &self.description {
            m.insert("description".into(), json!(d));
        }
        m.insert("cacheClusterEnabled".into(), json!(false));
        m.insert("cacheClusterStatus".into(), json!("NOT_AVAILABLE"));
        m.insert("methodSettings".into(), json!({}));
        if !self.variables.is_empty() {
            m.insert("variables".into(), Value::Object(self.variables.clone()));
        }
        m.insert("tracingEnabled".into(), json!(false));
        m.insert("createdDate".into(), json!(self.created_date));
        m.insert("lastUpdatedDate".into(), json!(self.last_updated_date));
        Value::Object(m)
    }
}
