//! OpenAPI / Swagger import and export (SPEC §9): Swagger 2.0 and OpenAPI 3.0, JSON or YAML,
//! with the `x-amazon-apigateway-integration` (its `responses` keyed by selection pattern,
//! `default` meaning no pattern), `x-amazon-apigateway-binary-media-types` and
//! `x-amazon-apigateway-gateway-responses` extensions.
//!
//! An import is built in a scratch store through the ordinary operations (so every validation
//! and error text is the same as for the individual calls) and then swapped in atomically.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::model::{Resource, RestApi};
use crate::ops::JsonInput;
use crate::store::{Config, Store};

/// HTTP methods as OpenAPI path-item keys, with API Gateway's `ANY` extension.
const METHOD_KEYS: [(&str, &str); 8] = [
    ("get", "GET"),
    ("put", "PUT"),
    ("post", "POST"),
    ("delete", "DELETE"),
    ("options", "OPTIONS"),
    ("head", "HEAD"),
    ("patch", "PATCH"),
    ("x-amazon-apigateway-any-method", "ANY"),
];

fn invalid_input(detail: &str) -> ApiError {
    ApiError::bad_request(
        format!("Invalid OpenAPI input. {detail}")
            .trim_end()
            .to_owned(),
    )
}

/// Converts a YAML value to JSON; mapping keys that are numbers or booleans (`200:`) become
/// strings, as OpenAPI means them.
fn yaml_to_json(v: serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                json!(i)
            } else if let Some(u) = n.as_u64() {
                json!(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let key = match yaml_to_json(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

/// Parses an OpenAPI document the way [`Store::import_rest_api`] reads it: JSON when it
/// starts with `{`, else YAML (mapping keys that are numbers or booleans become strings), and
/// only Swagger 2.0 or OpenAPI 3.x. Used by tools that inspect a document without importing
/// it (`apigw-lint`).
///
/// # Errors
/// `BadRequestException` `Invalid OpenAPI input. ...`, as the import answers.
///
/// # Example
/// ```
/// let doc = apigw_control::parse_openapi(b"swagger: '2.0'\npaths: {/a: {get: {responses: {200: {}}}}}").unwrap();
/// assert!(doc["paths"]["/a"]["get"]["responses"].get("200").is_some());
/// assert!(apigw_control::parse_openapi(b"{\"swagger\": \"1.2\"}").is_err());
/// ```
pub fn parse_document(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let trimmed = body.trim_ascii_start();
    let doc = if trimmed.starts_with(b"{") {
        serde_json::from_slice::<Value>(body).map_err(|e| invalid_input(&e.to_string()))?
    } else {
        let y: serde_yaml_ng::Value =
            serde_yaml_ng::from_slice(body).map_err(|e| invalid_input(&e.to_string()))?;
        yaml_to_json(y)
    };
    let Value::Object(doc) = doc else {
        return Err(invalid_input("The document is not an object."));
    };
    let swagger = doc.get("swagger").and_then(Value::as_str);
    let openapi = doc.get("openapi").and_then(Value::as_str);
    match (swagger, openapi) {
        (Some("2.0"), _) => {}
        (_, Some(v)) if v.starts_with("3.") => {}
        _ => {
            return Err(invalid_input(
                "Only Swagger 2.0 and OpenAPI 3.x documents are supported.",
            ));
        }
    }
    Ok(doc)
}

fn obj(v: &Value) -> JsonInput {
    v.as_object().cloned().unwrap_or_default()
}

/// A string value, with numbers (YAML `statusCode: 200`) turned into text.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// How an import applies to an existing API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A new API, or `PutRestApi mode=overwrite`: the definition replaces everything.
    Overwrite,
    /// `PutRestApi mode=merge`: paths are added, methods in the document replace existing
    /// ones, binary media types are appended.
    Merge,
}

fn step_error(what: &str, method: &str, path: &str, e: &ApiError) -> ApiError {
    ApiError::bad_request(format!(
        "Errors found during import:\n\tUnable to {what} on '{method}' for resource at path \
         '{path}': {}",
        e.message()
    ))
}

/// Applies the document's paths and extensions to API `id` of the scratch store.
fn apply_document(
    scratch: &Store,
    id: &str,
    doc: &Map<String, Value>,
    mode: Mode,
    warnings: &mut Vec<String>,
) -> Result<(), ApiError> {
    let binary: Vec<String> = doc
        .get("x-amazon-apigateway-binary-media-types")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| text(Some(v))).collect())
        .unwrap_or_default();
    scratch.mutate(|s| {
        let api = s.rest_apis.get_mut(id).expect("scratch API");
        match mode {
            Mode::Overwrite => api.binary_media_types = binary.clone(),
            Mode::Merge => {
                for b in &binary {
                    if !api.binary_media_types.contains(b) {
                        api.binary_media_types.push(b.clone());
                    }
                }
            }
        }
        Ok(())
    })?;
    if let Some(grs) = doc
        .get("x-amazon-apigateway-gateway-responses")
        .and_then(Value::as_object)
    {
        for (t, g) in grs {
            let mut input = obj(g);
            if let Some(code) = text(input.get("statusCode")) {
                input.insert("statusCode".into(), Value::String(code));
            }
            scratch.put_gateway_response(id, t, &input)?;
        }
    }
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Ok(());
    };
    let mut security = Security::of(doc);
    security.create_authorizers(scratch, id)?;
    let validators = create_validators(scratch, id, doc)?;
    let default_validator = doc
        .get(VALIDATOR_EXT)
        .and_then(Value::as_str)
        .map(str::to_owned);
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            warnings.push(format!("Parse issue: path {path} is not an object"));
            continue;
        };
        let rid = ensure_resource(scratch, id, path)?;
        let shared_params = item.get("parameters").and_then(Value::as_array);
        for (key, http_method) in METHOD_KEYS {
            let Some(op) = item.get(key).and_then(Value::as_object) else {
                continue;
            };
            if mode == Mode::Merge {
                let _ = scratch.delete_method(id, &rid, http_method);
            }
            import_method(
                scratch,
                id,
                &rid,
                path,
                http_method,
                op,
                shared_params,
                &security,
                (&validators, default_validator.as_deref()),
                warnings,
            )?;
        }
    }
    Ok(())
}

/// The resource at `path`, created (with its ancestors) when missing.
fn ensure_resource(scratch: &Store, id: &str, path: &str) -> Result<String, ApiError> {
    let root = scratch.read(|s| Ok(s.rest_apis[id].root_resource_id.clone()))?;
    let mut current = root;
    let mut current_path = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        current_path = format!("{current_path}/{part}");
        let existing = scratch.read(|s| {
            Ok(s.rest_apis[id]
                .resources
                .values()
                .find(|r| r.path == current_path)
                .map(|r| r.id.clone()))
        })?;
        current = match existing {
            Some(rid) => rid,
            None => {
                let r = scratch
                    .create_resource(id, &current, &obj(&json!({"pathPart": part})))
                    .map_err(|e| {
                        ApiError::bad_request(format!(
                            "Errors found during import:\n\tUnable to create resource at path \
                             '{current_path}': {}",
                            e.message()
                        ))
                    })?;
                r["id"].as_str().unwrap_or_default().to_owned()
            }
        };
    }
    Ok(current)
}

#[allow(clippy::too_many_arguments)]
fn import_method(
    scratch: &Store,
    id: &str,
    rid: &str,
    path: &str,
    http_method: &str,
    op: &Map<String, Value>,
    shared_params: Option<&Vec<Value>>,
    security: &Security,
    (validators, default_validator): (&BTreeMap<String, String>, Option<&str>),
    warnings: &mut Vec<String>,
) -> Result<(), ApiError> {
    let produces = op
        .get("produces")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str)
        .unwrap_or("application/json");
    let mut method = Map::new();
    let (authorization_type, authorizer_id, api_key_required) = security.method_auth(op);
    method.insert("authorizationType".into(), json!(authorization_type));
    if let Some(a) = authorizer_id {
        method.insert("authorizerId".into(), json!(a));
    }
    if let Some(o) = op.get("operationId").and_then(Value::as_str) {
        method.insert("operationName".into(), json!(o));
    }
    let consumes = op
        .get("consumes")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str)
        .unwrap_or("application/json");
    if api_key_required {
        method.insert("apiKeyRequired".into(), json!(true));
    }
    if let Some(name) = op
        .get(VALIDATOR_EXT)
        .and_then(Value::as_str)
        .or(default_validator)
    {
        match validators.get(name) {
            Some(vid) => {
                method.insert("requestValidatorId".into(), json!(vid));
            }
            None => warnings.push(format!(
                "Request validator '{name}' of '{http_method}' at '{path}' is not defined"
            )),
        }
    }
    // Request models: a Swagger `in: body` parameter's schema, an OpenAPI 3 `requestBody`.
    let mut request_models = Map::new();
    let model_name = |schema: Option<&Value>| {
        schema
            .and_then(|s| s.get("$ref"))
            .and_then(Value::as_str)
            .and_then(|r| r.rsplit('/').next())
            .map(|n| json!(n))
    };
    for (ct, media) in op
        .get("requestBody")
        .and_then(|b| b.get("content"))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Some(n) = model_name(media.get("schema")) {
            request_models.insert(ct.clone(), n);
        }
    }
    let mut request_parameters = Map::new();
    for p in shared_params.into_iter().flatten().chain(
        op.get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten(),
    ) {
        let (Some(name), Some(location)) = (
            p.get("name").and_then(Value::as_str),
            p.get("in").and_then(Value::as_str),
        ) else {
            continue;
        };
        let loc = match location {
            "path" => "path",
            "query" => "querystring",
            "header" => "header",
            "body" => {
                if let Some(n) = model_name(p.get("schema")) {
                    request_models.insert(consumes.to_owned(), n);
                }
                continue;
            }
            _ => continue,
        };
        let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
        request_parameters.insert(format!("method.request.{loc}.{name}"), json!(required));
    }
    if !request_parameters.is_empty() {
        method.insert(
            "requestParameters".into(),
            Value::Object(request_parameters),
        );
    }
    // Our export's extension for what Swagger 2.0 cannot say (several content types).
    if let Some(explicit) = op.get(REQUEST_MODELS_EXT).and_then(Value::as_object) {
        request_models = explicit.clone();
    }
    if !request_models.is_empty() {
        method.insert("requestModels".into(), Value::Object(request_models));
    }
    scratch
        .put_method(id, rid, http_method, &method)
        .map_err(|e| step_error("put method", http_method, path, &e))?;

    // Method responses: the status codes of `responses`, with their headers and the model a
    // schema `$ref` names. Unlike a PutMethodResponse call, an import leaves absent maps absent
    // (as recorded against AWS).
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        for (code, r) in responses {
            if code == "default" {
                continue;
            }
            let mut input = Map::new();
            if let Some(headers) = r.get("headers").and_then(Value::as_object) {
                let params: Map<String, Value> = headers
                    .iter()
                    .map(|(h, spec)| {
                        (
                            format!("method.response.header.{h}"),
                            json!(header_required(spec)),
                        )
                    })
                    .collect();
                input.insert("responseParameters".into(), Value::Object(params));
            }
            let models = match r.get(RESPONSE_MODELS_EXT).and_then(Value::as_object) {
                Some(explicit) => explicit.clone(),
                None => response_models(r, produces),
            };
            if !models.is_empty() {
                input.insert("responseModels".into(), Value::Object(models));
            }
            scratch
                .put_method_response(id, rid, http_method, code, &input)
                .map_err(|e| step_error("put method response", http_method, path, &e))?;
            scratch.mutate(|s| {
                let mr = crate::store::method_mut(s, id, rid, http_method)?
                    .method_responses
                    .get_mut(code)
                    .expect("just created");
                if mr.response_parameters.as_ref().is_some_and(Map::is_empty) {
                    mr.response_parameters = None;
                }
                if mr.response_models.as_ref().is_some_and(Map::is_empty) {
                    mr.response_models = None;
                }
                Ok(())
            })?;
        }
    }

    let Some(integration) = op
        .get("x-amazon-apigateway-integration")
        .and_then(Value::as_object)
    else {
        warnings.push(format!(
            "No integration defined for method '{http_method}' at path '{path}'"
        ));
        return Ok(());
    };
    let mut input = Map::new();
    for (k, v) in integration {
        match k.as_str() {
            "type" | "passthroughBehavior" | "contentHandling" | "connectionType" => {
                if let Some(t) = text(Some(v)) {
                    input.insert(k.clone(), json!(t.to_ascii_uppercase()));
                }
            }
            "httpMethod" => {
                if let Some(t) = text(Some(v)) {
                    input.insert(k.clone(), json!(t.to_ascii_uppercase()));
                }
            }
            "timeoutInMillis" => {
                input.insert(k.clone(), v.clone());
            }
            "uri" | "credentials" | "cacheNamespace" | "cacheKeyParameters"
            | "requestTemplates" | "requestParameters" => {
                input.insert(k.clone(), v.clone());
            }
            _ => {}
        }
    }
    scratch
        .put_integration(id, rid, http_method, &input)
        .map_err(|e| step_error("put integration", http_method, path, &e))?;

    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (pattern, r) in integration
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let Some(r) = r.as_object() else { continue };
        let Some(code) = text(r.get("statusCode")) else {
            warnings.push(format!(
                "Integration response '{pattern}' of '{http_method}' at '{path}' has no statusCode"
            ));
            continue;
        };
        if let Some(previous) = seen.insert(code.clone(), pattern.clone()) {
            warnings.push(format!(
                "Integration responses '{previous}' and '{pattern}' of '{http_method}' at \
                 '{path}' share statusCode {code}; the later one is kept"
            ));
        }
        let mut ir = Map::new();
        if pattern != "default" {
            ir.insert("selectionPattern".into(), json!(pattern));
        }
        for k in ["responseTemplates", "responseParameters"] {
            if let Some(v) = r.get(k) {
                ir.insert(k.into(), v.clone());
            }
        }
        if let Some(ch) = text(r.get("contentHandling")) {
            ir.insert("contentHandling".into(), json!(ch.to_ascii_uppercase()));
        }
        scratch
            .put_integration_response(id, rid, http_method, &code, &ir)
            .map_err(|e| step_error("put integration response", http_method, path, &e))?;
    }
    Ok(())
}

/// The model names a response's schema references: Swagger 2.0 `schema.$ref` under the
/// operation's first `produces` type (default `application/json`), OpenAPI 3
/// `content.<type>.schema.$ref`. The name is the last segment of the reference.
fn response_models(r: &Value, produces: &str) -> Map<String, Value> {
    let name = |schema: Option<&Value>| {
        schema
            .and_then(|s| s.get("$ref"))
            .and_then(Value::as_str)
            .and_then(|r| r.rsplit('/').next())
            .map(|n| json!(n))
    };
    let mut out = Map::new();
    if let Some(n) = name(r.get("schema")) {
        out.insert(produces.to_owned(), n);
    }
    for (ct, media) in r
        .get("content")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Some(n) = name(media.get("schema")) {
            out.insert(ct.clone(), n);
        }
    }
    out
}

/// Swagger 2.0 operation extension of our exports: the method's `requestModels` (content
/// type → model) when the standard form (one `in: body` parameter, read under the first
/// `consumes` type) cannot hold them.
const REQUEST_MODELS_EXT: &str = "x-apigw-request-models";
/// Swagger 2.0 response extension of our exports: the method response's `responseModels` when
/// one `schema` under the first `produces` type cannot hold them.
const RESPONSE_MODELS_EXT: &str = "x-apigw-response-models";
/// Swagger 2.0 header extension of our exports: a required method-response header (Swagger
/// 2.0 header objects have no `required`; OpenAPI 3 ones do).
const HEADER_REQUIRED_EXT: &str = "x-apigw-required";

/// Whether a response header object marks the header required: OpenAPI 3 `required`, or our
/// Swagger 2.0 extension.
fn header_required(spec: &Value) -> bool {
    spec.get("required")
        .or_else(|| spec.get(HEADER_REQUIRED_EXT))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// What a document's security schemes mean to API Gateway (Swagger `securityDefinitions`,
/// OpenAPI 3 `components.securitySchemes`), and its top-level security requirements.
#[derive(Debug, Default)]
struct Security {
    /// Schemes that are API keys in the `x-api-key` header.
    api_key: Vec<String>,
    /// Schemes with `x-amazon-apigateway-authtype: awsSigv4` (IAM authorization).
    sigv4: Vec<String>,
    /// Schemes with an `x-amazon-apigateway-authorizer`: the `CreateAuthorizer` input.
    authorizers: Vec<(String, Map<String, Value>)>,
    /// Scheme name → (authorizer id, `authorizationType`) once created.
    created: BTreeMap<String, (String, &'static str)>,
    /// The document's `security`, for operations without their own.
    global: Option<Vec<Value>>,
}

impl Security {
    fn of(doc: &Map<String, Value>) -> Self {
        let defs = doc
            .get("securityDefinitions")
            .or_else(|| doc.get("components").and_then(|c| c.get("securitySchemes")));
        let mut out = Self {
            global: doc.get("security").and_then(Value::as_array).cloned(),
            ..Self::default()
        };
        for (name, d) in defs.and_then(Value::as_object).into_iter().flatten() {
            let field = |k: &str| d.get(k).and_then(Value::as_str).unwrap_or_default();
            let auth_type = field("x-amazon-apigateway-authtype");
            if let Some(x) = d
                .get("x-amazon-apigateway-authorizer")
                .and_then(Value::as_object)
            {
                out.authorizers
                    .push((name.clone(), authorizer_input(name, d, x)));
                continue;
            }
            if field("type") != "apiKey" || field("in") != "header" {
                continue;
            }
            if auth_type.eq_ignore_ascii_case("awsSigv4") {
                out.sigv4.push(name.clone());
            } else if auth_type.is_empty() && field("name").eq_ignore_ascii_case("x-api-key") {
                out.api_key.push(name.clone());
            }
        }
        out
    }

    /// Creates the document's authorizers in API `id` of the scratch store (in merge mode an
    /// authorizer of the same name is reused).
    fn create_authorizers(&mut self, scratch: &Store, id: &str) -> Result<(), ApiError> {
        for (name, input) in &self.authorizers {
            let existing = scratch.read(|s| {
                Ok(s.rest_apis[id]
                    .authorizers
                    .values()
                    .find(|a| &a.name == name)
                    .map(|a| (a.id.clone(), a.kind.clone())))
            })?;
            let (aid, kind) = match existing {
                Some(found) => found,
                None => {
                    let a = scratch.create_authorizer(id, input).map_err(|e| {
                        ApiError::bad_request(format!(
                            "Errors found during import:\n\tUnable to create authorizer '{name}': {}",
                            e.message()
                        ))
                    })?;
                    (
                        a["id"].as_str().unwrap_or_default().to_owned(),
                        a["type"].as_str().unwrap_or_default().to_owned(),
                    )
                }
            };
            let auth = if kind == "COGNITO_USER_POOLS" {
                "COGNITO_USER_POOLS"
            } else {
                "CUSTOM"
            };
            self.created.insert(name.clone(), (aid, auth));
        }
        Ok(())
    }

    /// The `authorizationType`, `authorizerId` and `apiKeyRequired` of an operation: its
    /// `security` (else the document's) naming an authorizer, an IAM scheme or an API-key
    /// scheme; an `x-amazon-apigateway-auth` object's `type` (case-insensitive) wins.
    fn method_auth(&self, op: &Map<String, Value>) -> (String, Option<String>, bool) {
        let requirements = op
            .get("security")
            .and_then(Value::as_array)
            .or(self.global.as_ref());
        let names: Vec<&String> = requirements
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .flat_map(Map::keys)
            .collect();
        let api_key = names.iter().any(|n| self.api_key.contains(n));
        let authorizer = names.iter().find_map(|n| self.created.get(*n));
        let (mut auth, authorizer_id) = if let Some((aid, t)) = authorizer {
            ((*t).to_owned(), Some(aid.clone()))
        } else if names.iter().any(|n| self.sigv4.contains(n)) {
            ("AWS_IAM".to_owned(), None)
        } else {
            ("NONE".to_owned(), None)
        };
        if let Some(t) = op
            .get("x-amazon-apigateway-auth")
            .and_then(|a| text(a.get("type")))
        {
            auth = t.to_ascii_uppercase();
        }
        (auth, authorizer_id, api_key)
    }
}

/// Token-like authorizers (`TOKEN`, `COGNITO_USER_POOLS`) read one header: the scheme's
/// `name` says which, so their `identitySource` is implied by it.
fn identity_from_name(kind: &str) -> bool {
    matches!(kind, "TOKEN" | "COGNITO_USER_POOLS")
}

/// The `CreateAuthorizer` input of a security scheme with `x-amazon-apigateway-authorizer`
/// (`x`): its type upper-cased, the scheme's `x-amazon-apigateway-authtype` as `authType`, the
/// `identitySource` given, else (token-like types) the header the scheme names.
fn authorizer_input(name: &str, scheme: &Value, x: &Map<String, Value>) -> JsonInput {
    let mut input = Map::new();
    input.insert("name".into(), json!(name));
    let kind = text(x.get("type")).map(|t| t.to_ascii_uppercase());
    if let Some(k) = &kind {
        input.insert("type".into(), json!(k));
    }
    for k in [
        "authorizerUri",
        "authorizerCredentials",
        "identityValidationExpression",
        "identitySource",
        "providerARNs",
        "authorizerResultTtlInSeconds",
    ] {
        if let Some(v) = x.get(k) {
            input.insert(k.into(), v.clone());
        }
    }
    if let Some(t) = scheme
        .get("x-amazon-apigateway-authtype")
        .and_then(Value::as_str)
    {
        input.insert("authType".into(), json!(t));
    }
    let header = scheme.get("name").and_then(Value::as_str);
    if let (false, true, Some(h)) = (
        input.contains_key("identitySource"),
        kind.as_deref().is_some_and(identity_from_name),
        header.filter(|h| *h != UNUSED_HEADER),
    ) {
        input.insert(
            "identitySource".into(),
            json!(format!("method.request.header.{h}")),
        );
    }
    input
}

/// The scheme `name` of an authorizer that reads no single header (as AWS writes it).
const UNUSED_HEADER: &str = "Unused";

/// The request validators of a document (`x-amazon-apigateway-request-validators`, name →
/// rules), and the validator a method uses (`x-amazon-apigateway-request-validator`, on the
/// operation or, as the default, on the document).
const VALIDATORS_EXT: &str = "x-amazon-apigateway-request-validators";
const VALIDATOR_EXT: &str = "x-amazon-apigateway-request-validator";

/// Creates the document's request validators in API `id` of the scratch store (an existing
/// one of the same name is reused, as in merge mode); returns name → id.
fn create_validators(
    scratch: &Store,
    id: &str,
    doc: &Map<String, Value>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    for (name, rules) in doc
        .get(VALIDATORS_EXT)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let existing = scratch.read(|s| {
            Ok(s.rest_apis[id]
                .request_validators
                .values()
                .find(|v| v.name.as_deref() == Some(name.as_str()))
                .map(|v| v.id.clone()))
        })?;
        let vid = match existing {
            Some(v) => v,
            None => {
                let mut input = obj(rules);
                input.retain(|k, _| {
                    matches!(
                        k.as_str(),
                        "validateRequestBody" | "validateRequestParameters"
                    )
                });
                input.insert("name".into(), json!(name));
                let v = scratch.create_request_validator(id, &input).map_err(|e| {
                    ApiError::bad_request(format!(
                        "Errors found during import:\n\tUnable to create request validator '{name}': {}",
                        e.message()
                    ))
                })?;
                v["id"].as_str().unwrap_or_default().to_owned()
            }
        };
        out.insert(name.clone(), vid);
    }
    Ok(out)
}

fn scratch_store() -> Store {
    Store::in_memory(Config {
        auth_disabled: true,
        ..Config::default()
    })
}

impl Store {
    /// `ImportRestApi` (`POST /restapis?mode=import`): creates a REST API from a Swagger 2.0
    /// or OpenAPI 3.0 document (JSON or YAML). The answer is the new API, with `warnings`
    /// when there are any; `failonwarnings=true` turns warnings into a
    /// `BadRequestException`.
    ///
    /// # Errors
    /// `BadRequestException` for an unreadable document, an unsupported version, a missing
    /// `info.title`, or any definition the individual operations would refuse (the message
    /// says which step failed, with the operation's own text).
    ///
    /// # Example
    /// ```
    /// use apigw_control::{Config, Store};
    /// let store = Store::in_memory(Config { auth_disabled: true, ..Config::default() });
    /// let doc = br#"
    /// swagger: "2.0"
    /// info: {title: pets}
    /// paths:
    ///   /pets:
    ///     get:
    ///       responses: {"200": {description: ok}}
    ///       x-amazon-apigateway-integration:
    ///         type: mock
    ///         requestTemplates: {application/json: '{"statusCode": 200}'}
    ///         responses:
    ///           default: {statusCode: 200}
    /// "#;
    /// let api = store.import_rest_api(doc, None).unwrap();
    /// assert_eq!(api["name"], "pets");
    /// ```
    pub fn import_rest_api(
        &self,
        body: &[u8],
        fail_on_warnings: Option<&str>,
    ) -> Result<Value, ApiError> {
        let doc = parse_document(body)?;
        let info = doc.get("info").cloned().unwrap_or(Value::Null);
        let Some(name) = text(info.get("title")).filter(|t| !t.is_empty()) else {
            return Err(invalid_input("The info.title field is required."));
        };
        let scratch = scratch_store();
        let mut create = Map::new();
        create.insert("name".into(), json!(name));
        if let Some(d) = text(info.get("description")) {
            create.insert("description".into(), json!(d));
        }
        if let Some(v) = text(info.get("version")) {
            create.insert("version".into(), json!(v));
        }
        let created = scratch.create_rest_api(&create)?;
        let scratch_id = created["id"].as_str().unwrap_or_default().to_owned();
        let mut warnings = Vec::new();
        apply_document(&scratch, &scratch_id, &doc, Mode::Overwrite, &mut warnings)?;
        if fail_on_warnings == Some("true") && !warnings.is_empty() {
            return Err(ApiError::bad_request(format!(
                "Warnings found during import:\n\t{}",
                warnings.join("\n\t")
            )));
        }
        let mut api = scratch.read(|s| Ok(s.rest_apis[&scratch_id].clone()))?;
        let out = self.mutate(|s| {
            let id = crate::ids::fresh_id(10, |c| s.rest_apis.contains_key(c));
            api.id.clone_from(&id);
            let out = api.to_json();
            s.rest_apis.insert(id, api);
            Ok(out)
        })?;
        Ok(with_warnings(out, &warnings))
    }

    /// `PutRestApi` (`PUT /restapis/{id}?mode=merge|overwrite`): updates an existing API from
    /// a document. `overwrite` replaces resources, methods, binary media types and gateway
    /// responses; `merge` (the default) adds the document's paths, replaces the methods it
    /// names, and appends binary media types (SPEC §9.4). Deployments and stages are kept.
    ///
    /// # Errors
    /// As [`Store::import_rest_api`]; `NotFoundException` for an unknown id.
    pub fn put_rest_api(&self, id: &str, body: &[u8], mode: &str) -> Result<Value, ApiError> {
        let doc = parse_document(body)?;
        let mode = match mode {
            "overwrite" => Mode::Overwrite,
            "merge" => Mode::Merge,
            other => {
                return Err(ApiError::bad_request(format!(
                    "Invalid mode specified: {other}. Valid modes are merge and overwrite"
                )));
            }
        };
        let existing = self.read(|s| {
            s.rest_apis.get(id).cloned().ok_or_else(|| {
                ApiError::not_found(format!(
                    "Invalid API identifier specified {}:{id}",
                    self.config.account_id
                ))
            })
        })?;
        let scratch = scratch_store();
        let mut start = existing.clone();
        if mode == Mode::Overwrite {
            let root = existing
                .resources
                .get(&existing.root_resource_id)
                .cloned()
                .ok_or_else(crate::store::invalid_resource)?;
            start.resources = BTreeMap::from([(
                root.id.clone(),
                Resource {
                    methods: BTreeMap::new(),
                    ..root
                },
            )]);
            start.gateway_responses.clear();
            start.authorizers.clear();
            start.request_validators.clear();
        }
        scratch.mutate(|s| {
            s.rest_apis.insert(id.to_owned(), start);
            Ok(())
        })?;
        let mut warnings = Vec::new();
        apply_document(&scratch, id, &doc, mode, &mut warnings)?;
        let built = scratch.read(|s| Ok(s.rest_apis[id].clone()))?;
        let out = self.mutate(|s| {
            let api = s.rest_apis.get_mut(id).ok_or_else(|| {
                ApiError::not_found(format!(
                    "Invalid API identifier specified {}:{id}",
                    self.config.account_id
                ))
            })?;
            api.resources = built.resources;
            api.binary_media_types = built.binary_media_types;
            api.gateway_responses = built.gateway_responses;
            api.authorizers = built.authorizers;
            api.request_validators = built.request_validators;
            Ok(api.to_json())
        })?;
        Ok(with_warnings(out, &warnings))
    }

    /// `GetExport` (`GET /restapis/{id}/stages/{stage}/exports/{swagger|oas30}`): the
    /// stage's deployed definition as a JSON document. With `extensions=integrations` (or
    /// `apigateway`), the `x-amazon-apigateway-integration` objects are included, with
    /// lower-case `type` / `passthroughBehavior` and integration responses keyed by selection
    /// pattern (`default` when there is none, SPEC §9.5).
    ///
    /// # Errors
    /// `NotFoundException` for an unknown API or stage; `BadRequestException` for an unknown
    /// export type.
    pub fn get_export(
        &self,
        id: &str,
        stage: &str,
        kind: &str,
        extensions: Option<&str>,
    ) -> Result<Value, ApiError> {
        let oas3 = match kind {
            "swagger" => false,
            "oas30" => true,
            other => {
                return Err(ApiError::bad_request(format!(
                    "Invalid export type specified: {other}"
                )));
            }
        };
        let with_integrations = extensions.is_some_and(|e| {
            e.split(',')
                .any(|x| matches!(x.trim(), "integrations" | "apigateway"))
        });
        let (api, def) = self.read(|s| {
            let a = s
                .rest_apis
                .get(id)
                .ok_or_else(crate::store::invalid_resource)?;
            let st = a
                .stages
                .get(stage)
                .ok_or_else(|| ApiError::not_found("Invalid Stage identifier specified"))?;
            let d = a
                .deployments
                .get(&st.deployment_id)
                .ok_or_else(|| ApiError::not_found("Invalid Deployment identifier specified"))?;
            Ok((a.clone(), d.clone()))
        })?;
        Ok(export(
            &api,
            &def,
            stage,
            &self.config.region,
            oas3,
            with_integrations,
        ))
    }
}

fn with_warnings(mut out: Value, warnings: &[String]) -> Value {
    if let Some(m) = out.as_object_mut().filter(|_| !warnings.is_empty()) {
        m.insert("warnings".into(), json!(warnings));
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SSZ` of epoch seconds.
fn iso8601(t: i64) -> String {
    let basic = crate::sigv4::format_amz_date(t);
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        &basic[0..4],
        &basic[4..6],
        &basic[6..8],
        &basic[9..11],
        &basic[11..13],
        &basic[13..15]
    )
}

/// Writes the deployed definition as a Swagger 2.0 or OpenAPI 3.0.1 document, in the shape of
/// AWS's exports (recorded: LocalStack snapshot `test_apigateway_extended`,
/// `test_export_swagger_openapi` / `test_export_oas30_openapi`). Models are not stored, so
/// `definitions` / `components.schemas` are not written (only referenced by name).
fn export(
    api: &RestApi,
    deployment: &crate::model::Deployment,
    stage: &str,
    region: &str,
    oas3: bool,
    with_integrations: bool,
) -> Value {
    let def = &deployment.definition;
    let schema_ref = |model: &str| {
        if oas3 {
            json!({"$ref": format!("#/components/schemas/{model}")})
        } else {
            json!({"$ref": format!("#/definitions/{model}")})
        }
    };
    let string_schema = || {
        if oas3 {
            json!({"schema": {"type": "string"}})
        } else {
            json!({"type": "string"})
        }
    };
    let mut paths = BTreeMap::new();
    let mut schemes = Map::new();
    for res in def.resources.values() {
        let mut item = Map::new();
        for (m, method) in &res.methods {
            let key = if m == "ANY" {
                "x-amazon-apigateway-any-method".to_owned()
            } else {
                m.to_ascii_lowercase()
            };
            let integ = method.integration.as_ref();
            let mut op = Map::new();
            if let Some(o) = &method.operation_name {
                op.insert("operationId".into(), json!(o));
            }
            // The first `consumes` / `produces` type: where a Swagger 2.0 import puts the body
            // parameter's and a response schema's model.
            let mut swagger_first_types: (Option<String>, Option<String>) = (None, None);
            if !oas3 {
                let mut consumes: Vec<String> = method
                    .request_models
                    .iter()
                    .flatten()
                    .map(|(k, _)| k.clone())
                    .collect();
                consumes.extend(
                    integ
                        .and_then(|i| i.request_templates.as_ref())
                        .into_iter()
                        .flatten()
                        .map(|(k, _)| k.clone()),
                );
                let mut produces: Vec<String> = method
                    .method_responses
                    .values()
                    .flat_map(|r| r.response_models.iter().flatten().map(|(k, _)| k.clone()))
                    .collect();
                produces.extend(
                    integ
                        .into_iter()
                        .flat_map(|i| i.integration_responses.values())
                        .flat_map(|r| {
                            r.response_templates
                                .iter()
                                .flatten()
                                .map(|(k, _)| k.clone())
                        }),
                );
                for (name, list) in [("consumes", &mut consumes), ("produces", &mut produces)] {
                    list.sort();
                    list.dedup();
                    if !list.is_empty() {
                        op.insert(name.into(), json!(list));
                    }
                }
                swagger_first_types = (consumes.first().cloned(), produces.first().cloned());
            }
            let mut params: Vec<Value> = method
                .request_parameters
                .iter()
                .flatten()
                .filter_map(|(k, required)| {
                    let rest = k.strip_prefix("method.request.")?;
                    let (loc, name) = rest.split_once('.')?;
                    let loc = match loc {
                        "querystring" => "query",
                        other => other,
                    };
                    let required = required.as_bool().unwrap_or(false);
                    let mut p = Map::new();
                    p.insert("name".into(), json!(name));
                    p.insert("in".into(), json!(loc));
                    if required || !oas3 {
                        p.insert("required".into(), json!(required));
                    }
                    if let Value::Object(t) = string_schema() {
                        p.extend(t);
                    }
                    Some(Value::Object(p))
                })
                .collect();
            if let (false, Some((_, model))) = (oas3, method.request_models.iter().flatten().next())
            {
                let model = model.as_str().unwrap_or_default();
                params.push(json!({"in": "body", "name": model, "required": true,
                                       "schema": schema_ref(model)}));
            }
            if !params.is_empty() {
                op.insert("parameters".into(), Value::Array(params));
            }
            if !oas3 {
                let models = method.request_models.clone().unwrap_or_default();
                if !models_fit_swagger(&models, swagger_first_types.0.as_deref()) {
                    op.insert(REQUEST_MODELS_EXT.into(), Value::Object(models));
                }
            }
            if oas3 {
                let content: Map<String, Value> = method
                    .request_models
                    .iter()
                    .flatten()
                    .map(|(ct, model)| {
                        (
                            ct.clone(),
                            json!({"schema": schema_ref(model.as_str().unwrap_or_default())}),
                        )
                    })
                    .collect();
                if !content.is_empty() {
                    op.insert(
                        "requestBody".into(),
                        json!({"content": content, "required": true}),
                    );
                }
            }
            let mut responses = Map::new();
            for (code, mr) in &method.method_responses {
                let mut r = Map::new();
                r.insert("description".into(), json!(format!("{code} response")));
                let models: Vec<(&String, &Value)> = mr.response_models.iter().flatten().collect();
                if let (false, Some((_, model))) = (oas3, models.first()) {
                    r.insert(
                        "schema".into(),
                        schema_ref(model.as_str().unwrap_or_default()),
                    );
                }
                let headers: Map<String, Value> = mr
                    .response_parameters
                    .iter()
                    .flatten()
                    .filter_map(|(k, required)| {
                        let h = k.strip_prefix("method.response.header.")?;
                        let mut spec = string_schema();
                        if required.as_bool() == Some(true) {
                            let flag = if oas3 {
                                "required"
                            } else {
                                HEADER_REQUIRED_EXT
                            };
                            spec.as_object_mut()?.insert(flag.into(), json!(true));
                        }
                        Some((h.to_owned(), spec))
                    })
                    .collect();
                if !headers.is_empty() {
                    r.insert("headers".into(), Value::Object(headers));
                }
                if !oas3 {
                    let all = mr.response_models.clone().unwrap_or_default();
                    if !models_fit_swagger(&all, swagger_first_types.1.as_deref()) {
                        r.insert(RESPONSE_MODELS_EXT.into(), Value::Object(all));
                    }
                }
                if oas3 && !models.is_empty() {
                    let content: Map<String, Value> = models
                        .iter()
                        .map(|(ct, model)| {
                            (
                                (*ct).clone(),
                                json!({"schema": schema_ref(model.as_str().unwrap_or_default())}),
                            )
                        })
                        .collect();
                    r.insert("content".into(), Value::Object(content));
                }
                responses.insert(code.clone(), Value::Object(r));
            }
            op.insert("responses".into(), Value::Object(responses));
            let (security, expressed) = security_requirements(method, def, &mut schemes);
            if !security.is_empty() {
                op.insert("security".into(), Value::Array(security));
            }
            if let (true, Some(v)) = (
                with_integrations,
                method
                    .request_validator_id
                    .as_ref()
                    .and_then(|v| def.request_validators.get(v)),
            ) {
                op.insert(VALIDATOR_EXT.into(), json!(validator_name(v)));
            }
            if method.authorization_type != "NONE" && !expressed {
                op.insert(
                    "x-amazon-apigateway-auth".into(),
                    json!({"type": method.authorization_type}),
                );
            }
            if let (true, Some(integ)) = (with_integrations, integ) {
                op.insert(
                    "x-amazon-apigateway-integration".into(),
                    integration_extension(integ, &res.id),
                );
            }
            item.insert(key, Value::Object(op));
        }
        // A resource without methods is written only when no deeper path implies it (a
        // leaf), as an empty path item, so that the resource tree survives a re-import.
        let leaf = || {
            res.parent_id.is_some()
                && !def
                    .resources
                    .values()
                    .any(|r| r.parent_id.as_deref() == Some(res.id.as_str()))
        };
        if !item.is_empty() || leaf() {
            paths.insert(res.path.clone(), Value::Object(item));
        }
    }
    let host = format!("{}.execute-api.{region}.amazonaws.com", api.id);
    let version = api
        .version
        .clone()
        .unwrap_or_else(|| iso8601(deployment.created_date));
    let mut info = Map::new();
    let mut doc = Map::new();
    if oas3 {
        info.insert("title".into(), json!(api.name));
        if let Some(d) = &api.description {
            info.insert("description".into(), json!(d));
        }
        info.insert("version".into(), json!(version));
        doc.insert("openapi".into(), json!("3.0.1"));
        doc.insert("info".into(), Value::Object(info));
        doc.insert(
            "servers".into(),
            json!([{"url": format!("https://{host}/{{basePath}}"),
                    "variables": {"basePath": {"default": stage}}}]),
        );
    } else {
        if let Some(d) = &api.description {
            info.insert("description".into(), json!(d));
        }
        info.insert("version".into(), json!(version));
        info.insert("title".into(), json!(api.name));
        doc.insert("swagger".into(), json!("2.0"));
        doc.insert("info".into(), Value::Object(info));
        doc.insert("host".into(), json!(host));
        doc.insert("basePath".into(), json!(format!("/{stage}")));
        doc.insert("schemes".into(), json!(["https"]));
    }
    doc.insert("paths".into(), Value::Object(paths.into_iter().collect()));
    if !schemes.is_empty() {
        if oas3 {
            doc.insert("components".into(), json!({"securitySchemes": schemes}));
        } else {
            doc.insert("securityDefinitions".into(), Value::Object(schemes));
        }
    }
    if !def.binary_media_types.is_empty() {
        doc.insert(
            "x-amazon-apigateway-binary-media-types".into(),
            json!(def.binary_media_types),
        );
    }
    if with_integrations && !def.request_validators.is_empty() {
        let v: Map<String, Value> = def
            .request_validators
            .values()
            .map(|v| {
                (
                    validator_name(v).to_owned(),
                    json!({"validateRequestBody": v.validate_request_body,
                           "validateRequestParameters": v.validate_request_parameters}),
                )
            })
            .collect();
        doc.insert(VALIDATORS_EXT.into(), Value::Object(v));
    }
    if with_integrations && !def.gateway_responses.is_empty() {
        let g: Map<String, Value> = def
            .gateway_responses
            .iter()
            .map(|(k, g)| {
                let mut v = serde_json::to_value(g).unwrap_or(Value::Null);
                if let Some(m) = v.as_object_mut() {
                    m.remove("responseType");
                }
                (k.clone(), v)
            })
            .collect();
        doc.insert(
            "x-amazon-apigateway-gateway-responses".into(),
            Value::Object(g),
        );
    }
    Value::Object(doc)
}

/// The key of a request validator in an export: its name (its id when it has none).
fn validator_name(v: &crate::model::RequestValidator) -> &str {
    v.name.as_deref().unwrap_or(&v.id)
}

/// Whether a Swagger 2.0 import of the standard form (the first model under the first
/// `consumes` / `produces` type, `application/json` when there is none) gives back `models`.
fn models_fit_swagger(models: &Map<String, Value>, first_type: Option<&str>) -> bool {
    let mut iter = models.iter();
    match (iter.next(), iter.next()) {
        (None, _) => true,
        (Some((ct, _)), None) => ct == first_type.unwrap_or("application/json"),
        _ => false,
    }
}

/// The security schemes of API Gateway's exports: the API key (`x-api-key` header) and IAM
/// authorization (`x-amazon-apigateway-authtype: awsSigv4`).
fn api_key_scheme() -> Value {
    json!({"type": "apiKey", "name": "x-api-key", "in": "header"})
}

fn sigv4_scheme() -> Value {
    json!({"type": "apiKey", "name": "Authorization", "in": "header",
           "x-amazon-apigateway-authtype": "awsSigv4"})
}

/// The security scheme of an authorizer, as API Gateway exports it: an `apiKey` scheme
/// named after the header it reads (`Unused` when none), `x-amazon-apigateway-authtype` (the
/// authorizer's `authType`) and `x-amazon-apigateway-authorizer` with the lower-case type
/// and the settings; `identitySource` is written unless the header name implies it.
fn authorizer_scheme(a: &crate::model::Authorizer) -> Value {
    let header = a
        .identity_source
        .as_deref()
        .and_then(|s| s.strip_prefix("method.request.header."))
        .filter(|h| !h.contains(',') && !h.contains(' ') && *h != UNUSED_HEADER);
    let mut x = Map::new();
    x.insert("type".into(), json!(a.kind.to_ascii_lowercase()));
    if let Some(u) = &a.authorizer_uri {
        x.insert("authorizerUri".into(), json!(u));
    }
    if let Some(c) = &a.authorizer_credentials {
        x.insert("authorizerCredentials".into(), json!(c));
    }
    if let Some(p) = &a.provider_arns {
        x.insert("providerARNs".into(), json!(p));
    }
    if let Some(i) = &a.identity_source
        && !(identity_from_name(&a.kind) && header.is_some())
    {
        x.insert("identitySource".into(), json!(i));
    }
    if let Some(e) = &a.identity_validation_expression {
        x.insert("identityValidationExpression".into(), json!(e));
    }
    if let Some(t) = a.authorizer_result_ttl_in_seconds {
        x.insert("authorizerResultTtlInSeconds".into(), json!(t));
    }
    let mut scheme = Map::new();
    scheme.insert("type".into(), json!("apiKey"));
    scheme.insert("name".into(), json!(header.unwrap_or(UNUSED_HEADER)));
    scheme.insert("in".into(), json!("header"));
    if let Some(t) = &a.auth_type {
        scheme.insert("x-amazon-apigateway-authtype".into(), json!(t));
    }
    scheme.insert("x-amazon-apigateway-authorizer".into(), Value::Object(x));
    Value::Object(scheme)
}

/// A method's security requirements, as API Gateway exports them (one object per scheme: the
/// authorization first, then `api_key`); the schemes used are added to `schemes`. The flag
/// says whether the requirements express the `authorizationType` (else the export writes
/// `x-amazon-apigateway-auth`).
fn security_requirements(
    method: &crate::model::Method,
    def: &crate::model::DeployedDefinition,
    schemes: &mut Map<String, Value>,
) -> (Vec<Value>, bool) {
    let mut out = Vec::new();
    let mut expressed = false;
    let authorizer = method
        .authorizer_id
        .as_ref()
        .and_then(|id| def.authorizers.get(id));
    match (method.authorization_type.as_str(), authorizer) {
        ("AWS_IAM", _) => {
            schemes.insert("sigv4".into(), sigv4_scheme());
            out.push(json!({"sigv4": []}));
            expressed = true;
        }
        (t @ ("CUSTOM" | "COGNITO_USER_POOLS"), Some(a)) => {
            schemes.insert(a.name.clone(), authorizer_scheme(a));
            out.push(json!({ a.name.clone(): [] }));
            // An import reads the type from the authorizer's; a mismatch needs the extension.
            expressed = (t == "COGNITO_USER_POOLS") == (a.kind == "COGNITO_USER_POOLS");
        }
        _ => {}
    }
    if method.api_key_required {
        schemes.insert("api_key".into(), api_key_scheme());
        out.push(json!({"api_key": []}));
    }
    (out, expressed)
}

/// The keys of an integration's `responses` in an export, in status-code order: the selection
/// pattern, `default` for a response without one (SPEC §9.5), `""` for an empty one. The key
/// is all the format has for the pattern, so a key that would change the meaning on import is
/// rewritten to a regex with the same meaning:
/// - the pattern `default` (an ordinary regex through the API, SPEC §2.7) is written
///   `(?:default)`;
/// - of two responses without a pattern, the second is written under `""` (also the default,
///   §2.7), and an empty pattern whose `""` is taken under `default`;
/// - a non-empty pattern shared by several responses gets `(?:)` appended until unique.
///
/// A third default cannot be written as a default in this format; it gets a `(?:)` key (AWS's
/// choice among several defaults is unknown, §2.9).
fn response_keys(
    integ: &crate::model::Integration,
) -> Vec<(String, &crate::model::IntegrationResponse)> {
    let mut used = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(integ.integration_responses.len());
    for ir in integ.integration_responses.values() {
        let mut key = match ir.selection_pattern.as_deref() {
            None => "default".to_owned(),
            Some("default") => "(?:default)".to_owned(),
            Some(p) => p.to_owned(),
        };
        let default_like = matches!(ir.selection_pattern.as_deref(), None | Some(""));
        if used.contains(&key) {
            match key.as_str() {
                "default" => key.clear(),
                "" => key.push_str("default"),
                _ => {}
            }
        }
        if default_like && used.contains(&key) {
            key.clear();
        }
        while used.contains(&key) {
            key.push_str("(?:)");
        }
        used.insert(key.clone());
        out.push((key, ir));
    }
    out
}

/// The `x-amazon-apigateway-integration` object of an export: lower-case `type` and
/// `passthroughBehavior`, responses keyed by selection pattern ([`response_keys`]),
/// `timeoutInMillis` only when not the default 29000 (SPEC §9.5), and the members an import
/// would not restore by itself: `connectionType` unless the HTTP default `INTERNET`,
/// `credentials`, `cacheNamespace` unless the resource id (the default), non-empty
/// `cacheKeyParameters`.
fn integration_extension(integ: &crate::model::Integration, resource_id: &str) -> Value {
    let mut x = Map::new();
    x.insert("type".into(), json!(integ.kind.to_ascii_lowercase()));
    if let Some(h) = &integ.http_method {
        x.insert("httpMethod".into(), json!(h));
    }
    if let Some(u) = &integ.uri {
        x.insert("uri".into(), json!(u));
    }
    let http = matches!(integ.kind.as_str(), "HTTP" | "HTTP_PROXY");
    if let Some(c) = integ
        .connection_type
        .as_ref()
        .filter(|c| !(http && c.as_str() == "INTERNET"))
    {
        x.insert("connectionType".into(), json!(c));
    }
    if let Some(c) = &integ.credentials {
        x.insert("credentials".into(), json!(c));
    }
    if let Some(c) = integ
        .cache_namespace
        .as_ref()
        .filter(|c| c.as_str() != resource_id)
    {
        x.insert("cacheNamespace".into(), json!(c));
    }
    if !integ.cache_key_parameters.is_empty() {
        x.insert(
            "cacheKeyParameters".into(),
            json!(integ.cache_key_parameters),
        );
    }
    let mut irs = Map::new();
    for (key, ir) in response_keys(integ) {
        let mut r = Map::new();
        r.insert("statusCode".into(), json!(ir.status_code));
        if let Some(p) = &ir.response_parameters {
            r.insert("responseParameters".into(), Value::Object(p.clone()));
        }
        if let Some(t) = &ir.response_templates {
            r.insert("responseTemplates".into(), Value::Object(t.clone()));
        }
        if let Some(c) = &ir.content_handling {
            r.insert("contentHandling".into(), json!(c));
        }
        irs.insert(key, Value::Object(r));
    }
    x.insert("responses".into(), Value::Object(irs));
    if let Some(p) = &integ.request_parameters {
        x.insert("requestParameters".into(), Value::Object(p.clone()));
    }
    if let Some(t) = &integ.request_templates {
        x.insert("requestTemplates".into(), Value::Object(t.clone()));
    }
    if let Some(p) = &integ.passthrough_behavior {
        x.insert("passthroughBehavior".into(), json!(p.to_ascii_lowercase()));
    }
    if let Some(c) = &integ.content_handling {
        x.insert("contentHandling".into(), json!(c));
    }
    if integ.timeout_in_millis != 29_000 {
        x.insert("timeoutInMillis".into(), json!(integ.timeout_in_millis));
    }
    Value::Object(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn store() -> Store {
        scratch_store()
    }

    const SWAGGER_YAML: &str = r#"
swagger: "2.0"
info:
  title: pets
  version: "1.0"
x-amazon-apigateway-binary-media-types: [image/png]
securityDefinitions:
  api_key: {type: apiKey, name: x-api-key, in: header}
x-amazon-apigateway-gateway-responses:
  DEFAULT_4XX:
    statusCode: 418
    responseTemplates: {application/json: '{"m": "$context.error.messageString"}'}
paths:
  /pets/{id}:
    parameters:
      - {name: id, in: path, required: true, type: string}
    get:
      operationId: getPet
      security: [{api_key: []}]
      responses:
        200:
          description: ok
          headers: {X-Id: {type: string}}
        400:
          description: bad
          schema: {$ref: '#/definitions/Error'}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: https://example.com/pets/{id}
        passthroughBehavior: when_no_match
        responses:
          default:
            statusCode: 200
            responseParameters: {method.response.header.X-Id: integration.response.body.id}
            responseTemplates: {application/json: ''}
          "4\\d{2}":
            statusCode: "400"
            contentHandling: CONVERT_TO_TEXT
"#;

    #[test]
    fn import_swagger_yaml() {
        let s = store();
        let api = s.import_rest_api(SWAGGER_YAML.as_bytes(), None).unwrap();
        let id = api["id"].as_str().unwrap();
        assert_eq!(api["name"], "pets");
        assert_eq!(api["binaryMediaTypes"], json!(["image/png"]));
        assert!(api.get("warnings").is_none(), "{api}");
        let res = s.get_resources(id, true).unwrap();
        let pet = res["item"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"] == "/pets/{id}")
            .unwrap();
        let get = &pet["resourceMethods"]["GET"];
        assert_eq!(get["operationName"], "getPet");
        assert_eq!(get["apiKeyRequired"], true);
        // Imported method responses leave absent maps absent; a schema $ref names the model.
        assert_eq!(
            get["methodResponses"]["400"],
            json!({"statusCode": "400", "responseModels": {"application/json": "Error"}})
        );
        assert_eq!(
            get["requestParameters"],
            json!({"method.request.path.id": true})
        );
        assert_eq!(
            get["methodResponses"]["200"]["responseParameters"],
            json!({"method.response.header.X-Id": false})
        );
        let integ = &get["methodIntegration"];
        assert_eq!(integ["type"], "HTTP");
        assert_eq!(integ["passthroughBehavior"], "WHEN_NO_MATCH");
        // `default` imports without selectionPattern; the key is the pattern otherwise.
        assert_eq!(
            integ["integrationResponses"]["200"],
            json!({"statusCode": "200",
                   "responseParameters": {"method.response.header.X-Id": "integration.response.body.id"},
                   "responseTemplates": {"application/json": null}})
        );
        assert_eq!(
            integ["integrationResponses"]["400"],
            json!({"statusCode": "400", "selectionPattern": "4\\d{2}", "contentHandling": "CONVERT_TO_TEXT"})
        );
        assert_eq!(
            s.get_gateway_response(id, "DEFAULT_4XX").unwrap()["statusCode"],
            "418"
        );
    }

    #[test]
    fn import_openapi3_json_and_export_round_trip() {
        let s = store();
        let doc = json!({
            "openapi": "3.0.1",
            "info": {"title": "mock"},
            "paths": {"/": {"x-amazon-apigateway-any-method": {
                "requestBody": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/NewPet"}}}},
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                    "responses": {"default": {"statusCode": "200"}, "5\\d{2}": {"statusCode": "200"}}
                }}}}
        });
        let api = s.import_rest_api(doc.to_string().as_bytes(), None).unwrap();
        let id = api["id"].as_str().unwrap().to_owned();
        let root = api["rootResourceId"].as_str().unwrap();
        assert_eq!(
            s.get_method(&id, root, "ANY").unwrap()["requestModels"],
            json!({"application/json": "NewPet"})
        );
        // Two responses for one statusCode: the later wins, with a warning.
        assert_eq!(api["warnings"].as_array().unwrap().len(), 1);
        assert_eq!(
            err_kind(s.import_rest_api(doc.to_string().as_bytes(), Some("true"))),
            Some(ErrorKind::BadRequest)
        );
        s.create_deployment(&id, &obj(&json!({"stageName": "dev"})))
            .unwrap();
        let out = s
            .get_export(&id, "dev", "swagger", Some("integrations"))
            .unwrap();
        assert_eq!(out["swagger"], "2.0");
        assert_eq!(out["basePath"], "/dev");
        let x =
            &out["paths"]["/"]["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"];
        assert_eq!(x["type"], "mock");
        assert_eq!(x["passthroughBehavior"], "when_no_match");
        assert_eq!(x["responses"], json!({"5\\d{2}": {"statusCode": "200"}}));
        let plain = s.get_export(&id, "dev", "oas30", None).unwrap();
        assert_eq!(plain["openapi"], "3.0.1");
        assert!(
            plain["paths"]["/"]["x-amazon-apigateway-any-method"]
                .get("x-amazon-apigateway-integration")
                .is_none()
        );
        // The export imports again.
        let again = s.import_rest_api(out.to_string().as_bytes(), None).unwrap();
        assert_eq!(again["name"], "mock");
    }

    #[test]
    fn export_keys_keep_every_response_and_its_meaning() {
        let s = store();
        let api = s.create_rest_api(&obj(&json!({"name": "keys"}))).unwrap();
        let id = api["id"].as_str().unwrap().to_owned();
        let root = api["rootResourceId"].as_str().unwrap().to_owned();
        s.put_method(
            &id,
            &root,
            "GET",
            &obj(&json!({"authorizationType": "NONE"})),
        )
        .unwrap();
        s.put_integration(&id, &root, "GET", &obj(&json!({"type": "MOCK"})))
            .unwrap();
        let patterns = [
            ("200", None),
            ("201", None),
            ("202", Some("")),
            ("400", Some("default")),
            ("404", Some("4\\d{2}")),
            ("500", Some("4\\d{2}")),
        ];
        for (code, p) in patterns {
            let input = p.map_or_else(|| json!({}), |p| json!({"selectionPattern": p}));
            s.put_integration_response(&id, &root, "GET", code, &obj(&input))
                .unwrap();
        }
        s.create_deployment(&id, &obj(&json!({"stageName": "dev"})))
            .unwrap();
        let doc = s
            .get_export(&id, "dev", "swagger", Some("integrations"))
            .unwrap();
        let x = &doc["paths"]["/"]["get"]["x-amazon-apigateway-integration"]["responses"];
        let keys: Vec<(&str, &str)> = x
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, r)| (k.as_str(), r["statusCode"].as_str().unwrap()))
            .collect();
        assert_eq!(
            keys,
            [
                ("default", "200"),
                ("", "201"),
                ("(?:)", "202"),
                ("(?:default)", "400"),
                ("4\\d{2}", "404"),
                ("4\\d{2}(?:)", "500"),
            ]
        );
        // Re-imported, every response is there and the export is the same.
        let again = s.import_rest_api(doc.to_string().as_bytes(), None).unwrap();
        let again_id = again["id"].as_str().unwrap().to_owned();
        let irs = &s
            .get_method(&again_id, again["rootResourceId"].as_str().unwrap(), "GET")
            .unwrap()["methodIntegration"]["integrationResponses"];
        assert_eq!(irs.as_object().unwrap().len(), 6);
        assert!(irs["200"].get("selectionPattern").is_none());
        assert_eq!(irs["201"]["selectionPattern"], "");
        assert_eq!(irs["400"]["selectionPattern"], "(?:default)");
        s.create_deployment(&again_id, &obj(&json!({"stageName": "dev"})))
            .unwrap();
        let mut doc2 = s
            .get_export(&again_id, "dev", "swagger", Some("integrations"))
            .unwrap();
        doc2["host"] = doc["host"].clone();
        assert_eq!(doc2, doc);
    }

    #[test]
    fn export_writes_security_required_headers_and_models_as_aws_does() {
        let s = store();
        let api = s.create_rest_api(&obj(&json!({"name": "sec"}))).unwrap();
        let id = api["id"].as_str().unwrap().to_owned();
        let root = api["rootResourceId"].as_str().unwrap().to_owned();
        s.put_method(
            &id,
            &root,
            "GET",
            &obj(
                &json!({"authorizationType": "aws_iam", "apiKeyRequired": true,
                         "requestModels": {"application/json": "Pet"}}),
            ),
        )
        .unwrap();
        s.put_method_response(
            &id,
            &root,
            "GET",
            "200",
            &obj(&json!({"responseParameters": {"method.response.header.X-Id": true,
                                                "method.response.header.X-Other": false},
                         "responseModels": {"application/json": "Pet", "application/xml": "PetXml"}})),
        )
        .unwrap();
        s.put_integration(&id, &root, "GET", &obj(&json!({"type": "MOCK"})))
            .unwrap();
        s.create_deployment(&id, &obj(&json!({"stageName": "dev"})))
            .unwrap();
        // `authorizationType` is stored upper-case.
        assert_eq!(
            s.get_method(&id, &root, "GET").unwrap()["authorizationType"],
            "AWS_IAM"
        );

        let swagger = s.get_export(&id, "dev", "swagger", None).unwrap();
        let get = &swagger["paths"]["/"]["get"];
        assert_eq!(get["security"], json!([{"sigv4": []}, {"api_key": []}]));
        assert_eq!(
            swagger["securityDefinitions"],
            json!({"sigv4": {"type": "apiKey", "name": "Authorization", "in": "header",
                             "x-amazon-apigateway-authtype": "awsSigv4"},
                   "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}})
        );
        // One request model under the first `consumes` type: the standard form only.
        assert!(get.get(REQUEST_MODELS_EXT).is_none(), "{get}");
        let ok = &get["responses"]["200"];
        assert_eq!(
            ok["headers"],
            json!({"X-Id": {"type": "string", "x-apigw-required": true},
                   "X-Other": {"type": "string"}})
        );
        // Two response models: Swagger 2.0 holds one, so the map is in our extension.
        assert_eq!(ok["schema"], json!({"$ref": "#/definitions/Pet"}));
        assert_eq!(
            ok[RESPONSE_MODELS_EXT],
            json!({"application/json": "Pet", "application/xml": "PetXml"})
        );

        let oas3 = s.get_export(&id, "dev", "oas30", None).unwrap();
        let get = &oas3["paths"]["/"]["get"];
        assert_eq!(get["security"], json!([{"sigv4": []}, {"api_key": []}]));
        assert_eq!(
            oas3["components"]["securitySchemes"]["api_key"],
            json!({"type": "apiKey", "name": "x-api-key", "in": "header"})
        );
        let ok = &get["responses"]["200"];
        assert_eq!(
            ok["headers"]["X-Id"],
            json!({"schema": {"type": "string"}, "required": true})
        );
        assert!(ok.get(RESPONSE_MODELS_EXT).is_none(), "{ok}");
        assert_eq!(
            ok["content"]["application/xml"],
            json!({"schema": {"$ref": "#/components/schemas/PetXml"}})
        );
    }

    #[test]
    fn import_reads_auth_extension_global_security_and_required_headers() {
        let s = store();
        let doc = br#"
openapi: 3.0.1
info: {title: auth}
security: [{key: []}]
components:
  securitySchemes:
    key: {type: apiKey, name: X-API-Key, in: header}
paths:
  /a:
    get:
      x-amazon-apigateway-auth: {type: aws_iam}
      responses:
        "200":
          description: ok
          headers: {X-Req: {required: true, schema: {type: string}}}
      x-amazon-apigateway-integration: {type: mock}
    post:
      security: []
      responses: {}
      x-amazon-apigateway-integration: {type: mock}
"#;
        let api = s.import_rest_api(doc, None).unwrap();
        let id = api["id"].as_str().unwrap();
        let a = s.get_resources(id, true).unwrap()["item"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"] == "/a")
            .unwrap()
            .clone();
        let get = &a["resourceMethods"]["GET"];
        assert_eq!(get["authorizationType"], "AWS_IAM");
        // The document's security applies to operations without their own.
        assert_eq!(get["apiKeyRequired"], true);
        assert_eq!(
            get["methodResponses"]["200"]["responseParameters"],
            json!({"method.response.header.X-Req": true})
        );
        // An operation's empty `security` overrides the document's.
        let post = &a["resourceMethods"]["POST"];
        assert_eq!(post["apiKeyRequired"], false);
        assert_eq!(post["authorizationType"], "NONE");
    }

    #[test]
    fn authorizers_import_and_export_in_aws_form() {
        let s = store();
        let schemes = json!({
            "test-authorizer": {
                "type": "apiKey", "name": "Authorization", "in": "header",
                "x-amazon-apigateway-authtype": "custom",
                "x-amazon-apigateway-authorizer": {
                    "type": "token",
                    "authorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations",
                    "authorizerCredentials": "arn:aws:iam::123456789012:role/invoker",
                    "identityValidationExpression": "^x-[a-z]+",
                    "authorizerResultTtlInSeconds": 60}},
            "request-authorizer": {
                "type": "apiKey", "name": "Unused", "in": "header",
                "x-amazon-apigateway-authtype": "custom",
                "x-amazon-apigateway-authorizer": {
                    "type": "request",
                    "authorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/f",
                    "identitySource": "method.request.header.Auth, method.request.querystring.q",
                    "authorizerResultTtlInSeconds": 300}},
            "pool": {
                "type": "apiKey", "name": "Authorization", "in": "header",
                "x-amazon-apigateway-authtype": "cognito_user_pools",
                "x-amazon-apigateway-authorizer": {
                    "type": "cognito_user_pools",
                    "providerARNs": ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"],
                    "authorizerResultTtlInSeconds": 300}}
        });
        let mock = json!({"type": "mock", "responses": {"default": {"statusCode": "200"}}});
        let doc = json!({
            "swagger": "2.0", "info": {"title": "auth", "version": "1"},
            "paths": {"/t": {
                "get": {"responses": {"200": {"description": "ok"}},
                        "security": [{"test-authorizer": []}, {"api_key": []}],
                        "x-amazon-apigateway-integration": mock},
                "post": {"responses": {"200": {"description": "ok"}},
                         "security": [{"request-authorizer": []}],
                         "x-amazon-apigateway-integration": mock},
                "put": {"responses": {"200": {"description": "ok"}},
                        "security": [{"pool": []}],
                        "x-amazon-apigateway-integration": mock}}},
            "securityDefinitions": schemes,
        });
        let mut with_key = doc.clone();
        with_key["securityDefinitions"]["api_key"] =
            json!({"type": "apiKey", "name": "x-api-key", "in": "header"});
        let api = s
            .import_rest_api(with_key.to_string().as_bytes(), Some("true"))
            .unwrap();
        let id = api["id"].as_str().unwrap().to_owned();
        let list = s.get_authorizers(&id).unwrap()["item"].clone();
        let by_name = |n: &str| {
            list.as_array()
                .unwrap()
                .iter()
                .find(|a| a["name"] == n)
                .unwrap()
                .clone()
        };
        let token = by_name("test-authorizer");
        assert_eq!(token["type"], "TOKEN");
        assert_eq!(token["authType"], "custom");
        // A token authorizer's identity source is the header its scheme names.
        assert_eq!(
            token["identitySource"],
            "method.request.header.Authorization"
        );
        assert_eq!(token["authorizerResultTtlInSeconds"], 60);
        assert_eq!(by_name("pool")["type"], "COGNITO_USER_POOLS");
        let t = s.get_resources(&id, true).unwrap()["item"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"] == "/t")
            .unwrap()
            .clone();
        let get = &t["resourceMethods"]["GET"];
        assert_eq!(get["authorizationType"], "CUSTOM");
        assert_eq!(get["authorizerId"], token["id"]);
        assert_eq!(get["apiKeyRequired"], true);
        assert_eq!(
            t["resourceMethods"]["PUT"]["authorizationType"],
            "COGNITO_USER_POOLS"
        );

        s.create_deployment(&id, &obj(&json!({"stageName": "dev"})))
            .unwrap();
        let out = s.get_export(&id, "dev", "swagger", None).unwrap();
        assert_eq!(out["securityDefinitions"], with_key["securityDefinitions"]);
        assert_eq!(
            out["paths"]["/t"]["get"]["security"],
            json!([{"test-authorizer": []}, {"api_key": []}])
        );
        let oas3 = s.get_export(&id, "dev", "oas30", None).unwrap();
        assert_eq!(
            oas3["components"]["securitySchemes"],
            with_key["securityDefinitions"]
        );
        // PutRestApi overwrite replaces the authorizers with the document's.
        let plain = json!({"swagger": "2.0", "info": {"title": "auth"}, "paths": {}});
        s.put_rest_api(&id, plain.to_string().as_bytes(), "overwrite")
            .unwrap();
        assert_eq!(s.get_authorizers(&id).unwrap()["item"], json!([]));
        // An authorizer the operations refuse: the step is reported.
        let mut bad = doc;
        bad["securityDefinitions"]["pool"]["x-amazon-apigateway-authorizer"]["type"] = json!("jwt");
        let e = s
            .import_rest_api(bad.to_string().as_bytes(), None)
            .unwrap_err();
        assert!(
            e.message().starts_with(
                "Errors found during import:\n\tUnable to create authorizer 'pool': 1 validation \
                 error detected: Value 'JWT' at 'createAuthorizerInput.type'"
            ),
            "{}",
            e.message()
        );
    }

    #[test]
    fn resources_without_methods_survive_the_round_trip() {
        let s = store();
        let api = s.create_rest_api(&obj(&json!({"name": "tree"}))).unwrap();
        let id = api["id"].as_str().unwrap().to_owned();
        let root = api["rootResourceId"].as_str().unwrap().to_owned();
        let a = s
            .create_resource(&id, &root, &obj(&json!({"pathPart": "a"})))
            .unwrap();
        let a_id = a["id"].as_str().unwrap().to_owned();
        s.create_resource(&id, &a_id, &obj(&json!({"pathPart": "{leaf}"})))
            .unwrap();
        s.create_resource(&id, &root, &obj(&json!({"pathPart": "b"})))
            .unwrap();
        // A deployment needs a method.
        s.put_method(
            &id,
            &root,
            "GET",
            &obj(&json!({"authorizationType": "NONE"})),
        )
        .unwrap();
        s.put_integration(&id, &root, "GET", &obj(&json!({"type": "MOCK"})))
            .unwrap();
        s.create_deployment(&id, &obj(&json!({"stageName": "dev"})))
            .unwrap();
        let doc = s.get_export(&id, "dev", "oas30", None).unwrap();
        // Leaves only: `/a` is implied by `/a/{leaf}`.
        let keys: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["/", "/a/{leaf}", "/b"]);
        assert_eq!(doc["paths"]["/b"], json!({}));
        let again = s.import_rest_api(doc.to_string().as_bytes(), None).unwrap();
        let paths = |api: &str| {
            let mut p: Vec<String> = s.get_resources(api, false).unwrap()["item"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["path"].as_str().unwrap().to_owned())
                .collect();
            p.sort();
            p
        };
        assert_eq!(paths(again["id"].as_str().unwrap()), paths(&id));
    }

    fn err_kind(r: Result<Value, ApiError>) -> Option<ErrorKind> {
        r.err().map(|e| e.kind())
    }

    #[test]
    fn put_rest_api_merge_and_overwrite_binary_media_types() {
        let s = store();
        let created = s
            .create_rest_api(&obj(
                &json!({"name": "x", "binaryMediaTypes": ["image/heif"]}),
            ))
            .unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        let doc = br#"{"swagger": "2.0", "info": {"title": "x"},
                       "x-amazon-apigateway-binary-media-types": ["image/png", "image/jpg"],
                       "paths": {"/a": {"get": {"responses": {},
                         "x-amazon-apigateway-integration": {"type": "mock"}}}}}"#;
        let merged = s.put_rest_api(&id, doc, "merge").unwrap();
        assert_eq!(
            merged["binaryMediaTypes"],
            json!(["image/heif", "image/png", "image/jpg"])
        );
        let over = s.put_rest_api(&id, doc, "overwrite").unwrap();
        assert_eq!(over["binaryMediaTypes"], json!(["image/png", "image/jpg"]));
        assert_eq!(over["id"], json!(id));
        let paths: Vec<String> = s.get_resources(&id, false).unwrap()["item"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["path"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(paths, ["/", "/a"]);
    }

    #[test]
    fn import_errors() {
        let s = store();
        for bad in [
            &b"{not json"[..],
            b"just: [a",
            b"[1, 2]",
            b"{\"swagger\": \"1.2\", \"info\": {\"title\": \"x\"}}",
        ] {
            let e = s.import_rest_api(bad, None).unwrap_err();
            assert_eq!(
                e.kind(),
                ErrorKind::BadRequest,
                "{}",
                String::from_utf8_lossy(bad)
            );
            assert!(
                e.message().starts_with("Invalid OpenAPI input."),
                "{}",
                e.message()
            );
        }
        assert_eq!(
            s.import_rest_api(br#"{"swagger": "2.0", "info": {}}"#, None)
                .unwrap_err()
                .message(),
            "Invalid OpenAPI input. The info.title field is required."
        );
        // A definition the operations refuse: the step and AWS's text are reported, and
        // nothing is created.
        let doc = br#"{"swagger": "2.0", "info": {"title": "x"}, "paths": {"/a": {"get": {
            "responses": {},
            "x-amazon-apigateway-integration": {"type": "mock", "responses": {
                "default": {"statusCode": "200",
                            "responseParameters": {"method.response.header.X": "'a'"}}}}}}}}"#;
        let e = s.import_rest_api(doc, None).unwrap_err();
        assert_eq!(
            e.message(),
            "Errors found during import:\n\tUnable to put integration response on 'GET' for \
             resource at path '/a': Invalid mapping expression specified: Validation Result: \
             warnings : [], errors : [No method response exists for method.]"
        );
        assert!(
            s.get_rest_apis().unwrap()["item"]
                .as_array()
                .unwrap()
                .is_empty()
        );
    }
}
