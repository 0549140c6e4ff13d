//! The operations, with API Gateway's semantics and error texts. Each takes the operation's
//! URI members and its JSON input (the request body of AWS's REST-JSON protocol) and returns
//! the JSON that AWS returns.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::deploy::{self, Snapshot};
use crate::error::{ApiError, Violations};
use crate::ids::fresh_id;
use crate::input::Input;
use crate::model::{
    DeployedDefinition, Deployment, Frozen, GatewayResponse, Integration, IntegrationResponse,
    Method, MethodResponse, Resource, RestApi, Stage,
};
use crate::patch::{self, MapKind, Op, PatchOp};
use crate::store::{
    Store, api_mut, api_ref, integration_ref, invalid_integration, invalid_resource, method_mut,
    method_ref, now_epoch,
};
use crate::validate::{
    CONTENT_HANDLING, check_enum, check_http_method, check_response_destination,
    check_response_source, check_status_code, check_template_keys, validation_result,
};

/// The JSON input of an operation (its request body as an object).
pub type JsonInput = Map<String, Value>;

const INTEGRATION_TYPES: [&str; 5] = ["HTTP", "MOCK", "AWS_PROXY", "HTTP_PROXY", "AWS"];
const PASSTHROUGH: [&str; 3] = ["WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"];

/// Gateway response types with their default status codes (`None`: DEFAULT_4XX/5XX).
pub(crate) const GATEWAY_RESPONSE_TYPES: [(&str, Option<&str>); 21] = [
    ("DEFAULT_4XX", None),
    ("DEFAULT_5XX", None),
    ("RESOURCE_NOT_FOUND", Some("404")),
    ("UNAUTHORIZED", Some("401")),
    ("INVALID_API_KEY", Some("403")),
    ("ACCESS_DENIED", Some("403")),
    ("AUTHORIZER_FAILURE", Some("500")),
    ("AUTHORIZER_CONFIGURATION_ERROR", Some("500")),
    ("INVALID_SIGNATURE", Some("403")),
    ("EXPIRED_TOKEN", Some("403")),
    ("MISSING_AUTHENTICATION_TOKEN", Some("403")),
    ("INTEGRATION_FAILURE", Some("504")),
    ("INTEGRATION_TIMEOUT", Some("504")),
    ("API_CONFIGURATION_ERROR", Some("500")),
    ("UNSUPPORTED_MEDIA_TYPE", Some("415")),
    ("BAD_REQUEST_PARAMETERS", Some("400")),
    ("BAD_REQUEST_BODY", Some("400")),
    ("REQUEST_TOO_LARGE", Some("413")),
    ("THROTTLED", Some("429")),
    ("QUOTA_EXCEEDED", Some("429")),
    ("WAF_FILTERED", Some("403")),
];

fn not_null(v: &mut Violations, field: &str) {
    v.push_null(field);
}

fn items(list: Vec<Value>) -> Value {
    json!({ "item": list })
}

impl Store {
    // ---------------------------------------------------------------- REST APIs

    /// `CreateRestApi` (`POST /restapis`): creates the API and its root resource `/`.
    ///
    /// # Errors
    /// `BadRequestException` when `name` is missing; `SerializationException` for ill-typed
    /// members.
    pub fn create_rest_api(&self, input: &JsonInput) -> Result<Value, ApiError> {
        let i = Input(input);
        let name = i.string("name")?;
        let description = i.string("description")?;
        let version = i.string("version")?;
        let binary_media_types = i.string_list("binaryMediaTypes")?.unwrap_or_default();
        let endpoint = match input.get("endpointConfiguration") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => {
                return Err(ApiError::serialization(
                    "Start of list found where not expected.",
                ));
            }
        };
        let e = Input(&endpoint);
        let types = e.string_list("types")?.unwrap_or_default();
        let ip_address_type = e.string("ipAddressType")?;
        let mut v = Violations::default();
        if types
            .iter()
            .any(|t| !["PRIVATE", "EDGE", "REGIONAL"].contains(&t.as_str()))
        {
            v.push(
                &format!("[{}]", types.join(", ")),
                "createRestApiInput.endpointConfiguration.types",
                "Member must satisfy constraint: [Member must satisfy enum value set: [PRIVATE, \
                 EDGE, REGIONAL]]",
            );
        }
        if let Some(ip) = &ip_address_type {
            check_enum(
                &mut v,
                ip,
                "createRestApiInput.endpointConfiguration.ipAddressType",
                &["ipv4", "dualstack"],
            );
        }
        v.finish()?;
        if description.as_deref() == Some("") {
            return Err(ApiError::bad_request(
                "Description cannot be an empty string",
            ));
        }
        if types.len() > 1 {
            return Err(ApiError::bad_request(
                "Cannot create an api with multiple Endpoint Types.",
            ));
        }
        let endpoint_type = types.first().cloned().unwrap_or_else(|| "EDGE".into());
        let ip_address_type = match (ip_address_type, endpoint_type.as_str()) {
            (Some(ip), "PRIVATE") if ip != "dualstack" => {
                return Err(ApiError::bad_request(
                    "Only dualstack ipAddressType is supported for Private APIs.",
                ));
            }
            (Some(ip), _) => ip,
            (None, "PRIVATE") => "dualstack".into(),
            (None, _) => "ipv4".into(),
        };
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return Err(ApiError::bad_request(
                "Invalid REST API name specified: name must not be empty",
            ));
        };
        self.mutate(|s| {
            let id = fresh_id(10, |c| s.rest_apis.contains_key(c));
            let root = fresh_id(10, |_| false);
            let mut resources = BTreeMap::new();
            resources.insert(
                root.clone(),
                Resource {
                    id: root.clone(),
                    parent_id: None,
                    path_part: String::new(),
                    path: "/".into(),
                    methods: BTreeMap::new(),
                },
            );
            let api = RestApi {
                id: id.clone(),
                name,
                description,
                version,
                created_date: now_epoch(),
                binary_media_types,
                endpoint_type,
                ip_address_type,
                root_resource_id: root,
                resources,
                gateway_responses: BTreeMap::new(),
                deployments: BTreeMap::new(),
                stages: BTreeMap::new(),
                authorizers: BTreeMap::new(),
                request_validators: BTreeMap::new(),
            };
            let out = api.to_json();
            s.rest_apis.insert(id, api);
            Ok(out)
        })
    }

    pub(crate) fn unknown_api(&self, id: &str) -> ApiError {
        ApiError::not_found(format!(
            "Invalid API identifier specified {}:{id}",
            self.config.account_id
        ))
    }

    /// The REST API `id` of a state being changed, or `unknown_api`'s `NotFoundException`.
    pub(crate) fn known_api_mut<'a>(
        &self,
        s: &'a mut crate::model::State,
        id: &str,
    ) -> Result<&'a mut RestApi, ApiError> {
        s.rest_apis.get_mut(id).ok_or_else(|| self.unknown_api(id))
    }

    /// `GetRestApi`.
    ///
    /// # Errors
    /// `NotFoundException` `Invalid API identifier specified <account>:<id>`.
    pub fn get_rest_api(&self, id: &str) -> Result<Value, ApiError> {
        self.read(|s| {
            s.rest_apis
                .get(id)
                .map(RestApi::to_json)
                .ok_or_else(|| self.unknown_api(id))
        })
    }

    /// `GetRestApis`: `{"item": [...]}`.
    ///
    /// # Errors
    /// None in practice.
    pub fn get_rest_apis(&self) -> Result<Value, ApiError> {
        self.read(|s| Ok(items(s.rest_apis.values().map(RestApi::to_json).collect())))
    }

    /// `DeleteRestApi` (202, empty).
    ///
    /// # Errors
    /// `NotFoundException` for an unknown id.
    pub fn delete_rest_api(&self, id: &str) -> Result<Value, ApiError> {
        self.mutate(|s| {
            s.rest_apis.remove(id).ok_or_else(|| self.unknown_api(id))?;
            Ok(Value::Null)
        })
    }

    /// `UpdateRestApi`: `/name`, `/description` (replace), `/binaryMediaTypes/<type>` (add,
    /// remove; `~1` escapes `/`).
    ///
    /// # Errors
    /// `NotFoundException`, `BadRequestException` `Invalid patch path ...`, the patch-op
    /// `ValidationException`.
    pub fn update_rest_api(&self, id: &str, input: &JsonInput) -> Result<Value, ApiError> {
        let ops = patch::parse(input, "updateRestApiInput")?;
        self.mutate(|s| {
            let api = s
                .rest_apis
                .get_mut(id)
                .ok_or_else(|| self.unknown_api(id))?;
            for op in &ops {
                match (op.head(), op.key(), op.op) {
                    (
                        "name" | "description",
                        None,
                        Op::Add | Op::Remove | Op::Move | Op::Copy | Op::Test,
                    ) if !op.is_keyed() => {
                        return Err(op.unsupported("replace"));
                    }
                    ("name", None, Op::Replace) => {
                        let v = op.required_value()?;
                        if v.is_empty() {
                            return Err(ApiError::bad_request(
                                "Invalid REST API name specified: name must not be empty",
                            ));
                        }
                        api.name = v.to_owned();
                    }
                    ("description", None, _) => {
                        api.description = op.value.clone().filter(|d| !d.is_empty());
                    }
                    ("binaryMediaTypes", Some(t), Op::Add) => {
                        if !api.binary_media_types.contains(&t) {
                            api.binary_media_types.push(t);
                        }
                    }
                    ("binaryMediaTypes", Some(t), Op::Remove) => {
                        api.binary_media_types.retain(|x| *x != t);
                    }
                    ("binaryMediaTypes", Some(t), Op::Replace) => {
                        let new = op.required_value()?.replace("~1", "/");
                        for x in &mut api.binary_media_types {
                            if *x == t {
                                x.clone_from(&new);
                            }
                        }
                    }
                    _ => return Err(op.invalid_path()),
                }
            }
            Ok(api.to_json())
        })
    }

    // ---------------------------------------------------------------- resources

    /// `GetResources`: `{"item": [...]}` ordered by path; `embed` adds full methods.
    ///
    /// # Errors
    /// `NotFoundException` `Invalid API identifier specified <account>:<id>`.
    pub fn get_resources(&self, api: &str, embed: bool) -> Result<Value, ApiError> {
        self.read(|s| {
            let api = s.rest_apis.get(api).ok_or_else(|| self.unknown_api(api))?;
            let mut list: Vec<&Resource> = api.resources.values().collect();
            list.sort_by(|a, b| a.path.cmp(&b.path));
            Ok(items(list.into_iter().map(|r| r.to_json(embed)).collect()))
        })
    }

    /// `GetResource`.
    ///
    /// # Errors
    /// `NotFoundException` `Invalid Resource identifier specified`.
    pub fn get_resource(&self, api: &str, rid: &str, embed: bool) -> Result<Value, ApiError> {
        self.read(|s| {
            api_ref(s, api)?
                .resources
                .get(rid)
                .map(|r| r.to_json(embed))
                .ok_or_else(invalid_resource)
        })
    }

    /// `CreateResource` (`POST /restapis/{id}/resources/{parent_id}`, input `pathPart`).
    ///
    /// # Errors
    /// `NotFoundException` for an unknown API or parent; `BadRequestException` for an invalid
    /// path part or a child of a greedy `{proxy+}` resource; `ConflictException` for a
    /// duplicate sibling.
    pub fn create_resource(
        &self,
        api: &str,
        parent: &str,
        input: &JsonInput,
    ) -> Result<Value, ApiError> {
        let path_part = Input(input).string("pathPart")?;
        self.mutate(|s| {
            let api = api_mut(s, api)?;
            let parent_res = api.resources.get(parent).ok_or_else(invalid_resource)?;
            let Some(part) = path_part else {
                let mut v = Violations::default();
                not_null(&mut v, "createResourceInput.pathPart");
                v.finish()?;
                unreachable!("a violation was recorded");
            };
            if !is_valid_path_part(&part) {
                return Err(ApiError::bad_request(
                    "Resource's path part only allow a-zA-Z0-9._- and curly braces at the \
                     beginning and the end and an optional plus sign before the closing brace.",
                ));
            }
            if parent_res.path_part.ends_with("+}") {
                return Err(ApiError::bad_request(format!(
                    "Cannot create a child of a resource with a greedy path variable: {}",
                    parent_res.path_part
                )));
            }
            let siblings = api
                .resources
                .values()
                .filter(|r| r.parent_id.as_deref() == Some(parent));
            for sib in siblings {
                if sib.path_part == part {
                    return Err(ApiError::conflict(format!(
                        "Another resource with the same parent already has this name: {part}"
                    )));
                }
                if part.starts_with('{') && sib.path_part.starts_with('{') {
                    return Err(ApiError::bad_request(format!(
                        "A sibling ({}) of this resource already has a variable path part -- \
                         only one is allowed",
                        sib.path_part
                    )));
                }
            }
            let path = if parent_res.path == "/" {
                format!("/{part}")
            } else {
                format!("{}/{part}", parent_res.path)
            };
            let id = fresh_id(6, |c| api.resources.contains_key(c));
            let r = Resource {
                id: id.clone(),
                parent_id: Some(parent.to_owned()),
                path_part: part,
                path,
                methods: BTreeMap::new(),
            };
            let out = r.to_json(false);
            api.resources.insert(id, r);
            Ok(out)
        })
    }

    /// `UpdateResource`: `replace` of `/pathPart` or `/parentId`; the paths of the resource
    /// and its descendants follow.
    ///
    /// # Errors
    /// `NotFoundException` (API, resource, new parent); `BadRequestException` (AWS's patch-path
    /// texts, root resource, `Resources cannot be cyclical.`, invalid path part);
    /// `ConflictException` for a sibling with the same path part.
    pub fn update_resource(
        &self,
        api: &str,
        rid: &str,
        input: &JsonInput,
    ) -> Result<Value, ApiError> {
        let ops = patch::parse(input, "updateResourceInput")?;
        self.mutate(|s| {
            let a = api_mut(s, api)?;
            if !a.resources.contains_key(rid) {
                return Err(invalid_resource());
            }
            for op in &ops {
                let path = op.path.as_deref().unwrap_or("null");
                if op.op != Op::Replace {
                    return Err(ApiError::bad_request(format!(
                        "Invalid patch path  '{path}' specified for op '{}'. Please choose \
                         supported operations",
                        op_name(op.op)
                    )));
                }
                let is_root = a.root_resource_id == rid;
                match path {
                    "/pathPart" => {
                        if is_root {
                            return Err(ApiError::bad_request(
                                "Root resource cannot update its pathPart.",
                            ));
                        }
                        let part = op.required_value()?.to_owned();
                        if !is_valid_path_part(&part) {
                            return Err(ApiError::bad_request(
                                "Resource's path part only allow a-zA-Z0-9._- and curly braces \
                                 at the beginning and the end and an optional plus sign before \
                                 the closing brace.",
                            ));
                        }
                        let parent = a.resources[rid].parent_id.clone();
                        check_sibling(a, parent.as_deref(), rid, &part)?;
                        a.resources.get_mut(rid).expect("checked").path_part = part;
                    }
                    "/parentId" => {
                        if is_root {
                            return Err(ApiError::bad_request(
                                "Root resource cannot update its parentId.",
                            ));
                        }
                        let parent = op.required_value()?.to_owned();
                        if !a.resources.contains_key(&parent) {
                            return Err(invalid_resource());
                        }
                        let mut cursor = Some(parent.clone());
                        let mut steps = 0;
                        while let Some(c) = cursor {
                            steps += 1;
                            if c == rid || steps > a.resources.len() {
                                return Err(ApiError::bad_request("Resources cannot be cyclical."));
                            }
                            cursor = a.resources.get(&c).and_then(|r| r.parent_id.clone());
                        }
                        let part = a.resources[rid].path_part.clone();
                        check_sibling(a, Some(&parent), rid, &part)?;
                        a.resources.get_mut(rid).expect("checked").parent_id = Some(parent);
                    }
                    _ => {
                        return Err(ApiError::bad_request(format!(
                            "Invalid patch path  '{path}' specified for op 'replace'. Must be \
                             one of: [/parentId, /pathPart]"
                        )));
                    }
                }
            }
            recompute_paths(a);
            Ok(a.resources[rid].to_json(false))
        })
    }

    /// `DeleteResource` (202): removes the resource and its descendants.
    ///
    /// # Errors
    /// `NotFoundException`; `BadRequestException` for the root resource.
    pub fn delete_resource(&self, api: &str, rid: &str) -> Result<Value, ApiError> {
        self.mutate(|s| {
            let api = api_mut(s, api)?;
            if !api.resources.contains_key(rid) {
                return Err(invalid_resource());
            }
            if api.root_resource_id == rid {
                return Err(ApiError::bad_request("Cannot delete the root resource"));
            }
            let mut doomed = vec![rid.to_owned()];
            let mut i = 0;
            while i < doomed.len() {
                let p = doomed[i].clone();
                let children: Vec<String> = api
                    .resources
                    .values()
                    .filter(|r| r.parent_id.as_deref() == Some(p.as_str()))
                    .map(|r| r.id.clone())
                    .filter(|id| !doomed.contains(id))
                    .collect();
                doomed.extend(children);
                i += 1;
            }
            for d in doomed {
                api.resources.remove(&d);
            }
            Ok(Value::Null)
        })
    }

    // ---------------------------------------------------------------- methods

    /// `PutMethod` (201).
    ///
    /// # Errors
    /// `ValidationException` when `authorizationType` is missing; `BadRequestException` for an
    /// unknown HTTP method; `NotFoundException`; `ConflictException` when the method exists.
    pub fn put_method(
        &self,
        api: &str,
        rid: &str,
        http_method: &str,
        input: &JsonInput,
    ) -> Result<Value, ApiError> {
        let i = Input(input);
        let authorization_type = i.string("authorizationType")?;
        let authorizer_id = i.string("authorizerId")?;
        let api_key_required = i.boolean("apiKeyRequired")?.unwrap_or(false);
        let operation_name = i.string("operationName")?;
        let request_parameters = i.bool_map("requestParameters")?;
        let request_models = i.string_map("requestModels", false)?;
        let request_validator_id = i.string("requestValidatorId")?;
        let mut v = Violations::default();
        if authorization_type.is_none() {
            not_null(&mut v, "putMethodInput.authorizationType");
        }
        v.finish()?;
        if let Some(params) = &request_parameters {
            let mut names: Vec<&str> = params
                .keys()
                .filter_map(|k| k.strip_prefix("method.request."))
                .filter_map(|k| k.split_once('.').map(|(_, n)| n))
                .collect();
            names.sort_unstable();
            if names.windows(2).any(|w| w[0] == w[1]) {
                return Err(ApiError::bad_request(
                    "Parameter names must be unique across querystring, header and path",
                ));
            }
        }
        let authorization_type = authorization_type.unwrap_or_default().to_ascii_uppercase();
        self.mutate(|s| {
            let api = api_mut(s, api)?;
            if !api.resources.contains_key(rid) {
                return Err(invalid_resource());
            }
            check_http_method(http_method)?;
            let authorizer_id =
                crate::authorizers::method_authorizer(api, &authorization_type, authorizer_id)?;
            let request_validator_id =
                crate::validators::method_validator(api, request_validator_id)?;
            let res = api.resources.get_mut(rid).ok_or_else(invalid_resource)?;
            if res.methods.contains_key(http_method) {
                return Err(ApiError::conflict(
                    "Method already exists for this resource",
                ));
            }
            let m = Method {
                http_method: http_method.to_owned(),
                authorization_type,
                authorizer_id,
                api_key_required,
                operation_name,
                request_parameters,
                request_models,
                request_validator_id,
                method_responses: BTreeMap::new(),
                integration: None,
            };
            let out = m.to_json_bare();
            res.methods.insert(http_method.to_owned(), m);
            Ok(out)
        })
    }

    /// `GetMethod`.
    ///
    /// # Errors
    /// `NotFoundException` `Invalid Method identifier specified` (or resource).
    pub fn get_method(&self, api: &str, rid: &str, http_method: &str) -> Result<Value, ApiError> {
        self.read(|s| method_ref(s, api, rid, http_method).map(Method::to_json))
    }

    /// `DeleteMethod` (204).
    ///
    /// # Errors
    /// `NotFoundException`.
    pub fn delete_method(
        &self,
        api: &str,
        rid: &str,
        http_method: &str,
    ) -> Result<Value, ApiError> {
        self.mutate(|s| {
            let res = api_mut(s, api)?
                .resources
                .get_mut(rid)
                .ok_or_else(invalid_resource)?;
            res.methods
                .remove(http_method)
                .ok_or_else(|| ApiError::not_found("Invalid Method identifier specified"))?;
            Ok(Value::Null)
        })
    }

    /// `UpdateMethod`: `/authorizationType`, `/authorizerId`, `/apiKeyRequired`,
    /// `/operationName`, `/requestValidatorId` (replace; an empty validator id removes it),
    /// `/requestParameters/<name>` (add/replace with `true` or `false`, remove),
    /// `/requestModels/<type>`. A `CUSTOM` / `COGNITO_USER_POOLS` method must end up with a
    /// valid authorizer, a validator id must name one of the API's.
    ///
    /// # Errors
    /// `NotFoundException`, `BadRequestException` `Invalid patch path ...`, patch-op
    /// `ValidationException`.
    pub fn update_method(
        &self,
        api: &str,
        rid: &str,
        http_method: &str,
        input: &JsonInput,
    ) -> Result<Value, ApiError> {
        let ops = patch::parse(input, "updateMethodInput")?;
        self.mutate(|s| {
            let m = method_mut(s, api, rid, http_method)?;
            let before = (m.authorization_type.clone(), m.authorizer_id.clone());
            for op in &ops {
                match (op.head(), op.key()) {
                    ("authorizationType", None) if !op.is_keyed() => {
                        op.replace_only()?;
                        m.authorization_type = op.required_value()?.to_ascii_uppercase();
                    }
                    ("authorizerId", None) if !op.is_keyed() => {
                        op.replace_only()?;
                        m.authorizer_id = op.value.clone();
                    }
                    ("operationName", None) if !op.is_keyed() => {
                        op.replace_only()?;
                        m.operation_name = op.value.clone();
                    }
                    ("requestValidatorId", None) if !op.is_keyed() => {
                        op.replace_only()?;
                        // An empty value removes the validator.
                        m.request_validator_id = op.value.clone().filter(|v| !v.is_empty());
                    }
                    ("apiKeyRequired", None) if !op.is_keyed() => {
                        op.replace_only()?;
                        m.api_key_required = bool_value(op)? == Some(Value::Bool(true));
                    }
                    ("requestParameters", Some(k)) => {
                        let v = bool_value(op)?;
                        patch::apply_map_op(
                            &mut m.request_parameters,
                            op,
                            k,
                            v,
                            MapKind::Parameters,
                        )?;
                    }
                    ("requestModels", Some(k)) => {
                        let v = op.value.clone().map(Value::String);
                        patch::apply_map_op(
                            &mut m.request_models,
                            op,
                            k,
                            v,
                            MapKind::ContentTypes,
                        )?;
                    }
                    _ => return Err(op.invalid_path()),
                }
            }
            if let Some(v) = m.request_validator_id.clone() {
                let a = api_ref(s, api)?;
                crate::validators::method_validator(a, Some(v))?;
            }
            let m = method_mut(s, api, rid, http_method)?;
            if (m.authorization_type.clone(), m.authorizer_id.clone()) != before {
                let (t, a) = (m.authorization_type.clone(), m.authorizer_id.take());
                let checked = crate::authorizers::method_authorizer(api_ref(s, api)?, &t, a)?;
                method_mut(s, api, rid, http_method)?.authorizer_id = checked;
            }
            Ok(method_ref(s, api, rid, http_method)?.to_json())
        })
    }

    // ---------------------------------------------------------------- method responses

    /// `PutMethodResponse` (201): creates or replaces the method response; absent
    /// `responseParameters` / `responseModels` are stored and returned as `{}` (as recorded
    /// against AWS).
    ///
    /// # Errors
    /// `ValidationException` for a status code not matching `[1-5]\d\d`; `NotFoundException`;
    /// `BadRequestException` for a parameter key that is not `method.response.header.<name>`.
    pub fn put_method_response(
        &self,
        api: &str,
        rid: &str,
        http_method: &str,
        code: &str,
        input: &JsonInput,
    ) -> Result<Value, ApiError> {
        let i = Input(input);
        let response_parameters = i.bool_map("responseParameters")?;
        let response_models = i.string_map("responseModels", false)?;
        let mut v = Violations::default();
        check_status_code(&mut v, code);
        v.finish()?;
        check_method_response_parameters(response_parameters.as_ref())?;
        self.mutate(|s| {
            let m = method_mut(s, api, rid, http_method)?;
            let r = MethodResponse {
                status_code: code.to_owned(),
                response_parameters: Some(response_parameters.unwrap_or_default()),
                response_models: Some(response_models.unwrap_or_default()),
            };
            let out = r.to_json();
            m.method_responses.insert(code.to_owned(), r);
            Ok(out)
        })
    }

    /// `GetMethodResponse`.
    ///
    /// # Errors
    /// `ValidationException`; `NotFoundException` (`Invalid Response status code specified`
    /// for an unknown status).
    pub fn get_method_response(
        &self,
        api: &str,
        rid: &str,
        http_method: &str,
        code: &str,
    ) -> Result<Value, ApiError> {
        let mut v = Violations::default();
        check_status_code(&mut v, code);
        v.finish()?;
        self.read(|s| {
            method_ref(s, api, rid, http_method)?
                .method_responses
                .get(code)
                .map(MethodResponse::to_json)
                .ok_or_else(invalid_status)
        })
    }

    /// `DeleteMethodResponse` (204).
    ///
    /// # Errors
    /// `ValidationException`; `NotFoundException`.
    pub fn delete_method_response(
        &self,
        api: &str,
        rid: &str,
        http_method: &str,
        code: &str,
    ) -> Result<Value, ApiError> {
        let mut v = Violations::default();
        check_status_code(&mut v, code);
        v.finish()?;
        self.mutate(|s| {
            method_mut(s, api, rid, http_method)?
                .method_responses
                .remove(code)
                .ok_or_else(invalid_status)?;
            Ok(Value::Null)
        })
    }

    /// `UpdateMethodResponse` (201, as AWS's model says): `/responseParameters/<key>` (add or
    /// replace with `"true"`/`"false"`, remove), `/responseModels/<type>`.
    ///
    /// # Errors
    /// `ValidationException` (status code, patch op); `NotFoundException` (`Invalid parameter
    /// name specified` when removing a missing key); `BadRequestException` `Invalid patch path`.
    pub fn update_method_response(
        &self,
        api: &str,
        rid: &str,
        http_method: &str,
        code: &str,
        input: &JsonInput,
    ) -> Result<Value, ApiError> {
        let mut v = Violations::default();
        let ops = patch::parse_into(input, "updateMethodResponseInput", &mut v)?;
        check_status_code(&mut v, code);
        v.finish()?;
        self.mutate(|s| {
            let r = method_mut(s, api, rid, http_method)?
                .method_responses
                .get_mut(code)
                .ok_or_else(invalid_status)?;
            for op in &ops {
                match (op.head(), op.key()) {
                    ("responseParameters", Some(k)) => {
                        let v = bool_value(op)?;
                        patch::apply_map_op(
                            &mut r.response_parameters,
                            op,
                            k,
                            v,
                            MapKind::Parameters,
                        )?;
                    }
                    ("responseModels", Some(k)) => {
                        let v = op.value.clone().map(Value::String);
                        patch::apply_map_op(
                            &mut r.response_models,
                            op,
                            k,
                            v,
                            MapKind::ContentTypes,
                        )?;
                    }
                    _ => return Err(op.invalid_path()),
                }
            }
            check_method_response_parameters(r.response_parameters.as_ref())?;
            Ok(r.to_json())
        })
    }

    // ---------------------------------------------------------------- integrations

    /// `PutIntegration` (201). Replaces the integration's settings; existing integration
    /// responses are kept.
    ///
    /// # Errors
    /// `ValidationException` (missing or unknown `type`, bad `contentHandling`);
    /// `NotFoundException`; `BadRequestException` for a missing backend `httpMethod` or `uri`,
    /// an `AWS_PROXY` URI that is not a Lambda function, bad template keys, timeouts outside
    /// 50–29000 ms, an unknown `passthroughBehavior`.
    pub fn put_integration(
        &self,
        api: &str,
        rid: &str,
        http_method: &str,
        input: &JsonInput,
    ) -> Result<Value, ApiError> {
        let i = Input(input);
        let kind = i.string("type")?;
        let backend_method = i.string("httpMethod")?;
        let uri = i.string("uri")?;
        let connection_type = i.string("connectionType")?;
        let credentials = i.string("credentials")?;
        let request_parameters = i.string_map("requestParameters", false)?;
        let request_templates = i.string_map("requestTemplates", true)?;
        let passthrough = i.string("passthroughBehavior")?;
        let content_handling = i.string("contentHandling")?;
        let timeout = i.integer("timeoutInMillis")?;
        let cache_namespace = i.string("cacheNamespace")?;
        let cache_key_parameters = i.string_list("cacheKeyParameters")?.unwrap_or_default();
        let mut v = Violations::default();
        match &kind {
            None => not_null(&mut v, "putIntegrationInput.type"),
            Some(k) => check_enum(&mut v, k, "putIntegrationInput.type", &INTEGRATION_TYPES),
        }
        if let Some(ch) = &content_handling {
            check_enum(
                &mut v,
                ch,
                "putIntegrationInput.contentHandling",
                &CONTENT_HANDLING,
            );
        }
        v.finish()?;
        let kind = kind.unwrap_or_default();
        self.mutate(|s| {
            let m = method_mut(s, api, rid, http_method)?;
            let needs_backend = kind != "MOCK";
            if needs_backend && backend_method.as_deref().is_none_or(str::is_empty) {
                return Err(ApiError::bad_request(
                    "Enumeration value for HttpMethod must be non-empty",
                ));
            }
            if let Some(bm) = backend_method.as_deref().filter(|_| needs_backend) {
                check_http_method(bm)?;
            }
            match kind.as_str() {
                "HTTP" | "HTTP_PROXY" => {
                    let ok = uri.as_deref().is_some_and(|u| {
                        (u.starts_with("http://") || u.starts_with("https://"))
                            && u.len() > "https://".len()
                    });
                    if !ok {
                        return Err(ApiError::bad_request(
                            "Invalid HTTP endpoint specified for URI",
                        ));
                    }
                }
                "AWS" | "AWS_PROXY" => {
                    let Some(u) = uri.as_deref().filter(|u| u.starts_with("arn:")) else {
                        return Err(ApiError::bad_request(
                            "AWS ARN for integration must contain path or action",
                        ));
                    };
                    if !(u.contains(":path/") || u.contains(":action/")) {
                        return Err(ApiError::bad_request(
                            "AWS ARN for integration must contain path or action",
                        ));
                    }
                    if kind == "AWS_PROXY" && !u.contains(":lambda:path/") {
                        return Err(ApiError::bad_request(
                            "Integrations of type 'AWS_PROXY' currently only supports Lambda \
                             function and Firehose stream invocations.",
                        ));
                    }
                }
                _ => {}
            }
            if let Some(t) = &request_templates {
                check_template_keys(t.keys())?;
            }
            if let Some(p) = passthrough.as_deref().filter(|p| !PASSTHROUGH.contains(p)) {
                return Err(ApiError::bad_request(format!(
                    "Invalid passthrough behavior specified: {p}"
                )));
            }
            let timeout = timeout.unwrap_or(29_000);
            if !(50..=29_000).contains(&timeout) {
                return Err(ApiError::bad_request(
                    "Timeout should be between 50 ms and 29000 ms",
                ));
            }
            let kept = m
                .integration
                .take()
                .map(|old| old.integration_responses)
                .unwrap_or_default();
            let connection_type = connection_type.or_else(|| {
                matches!(kind.as_str(), "HTTP" | "HTTP_PROXY").then(|| "INTERNET".to_owned())
            });
            let integration = Integration {
                kind: kind.clone(),
                http_method: backend_method.filter(|_| needs_backend),
                uri,
                connection_type,
                credentials,
                request_parameters,
                request_templates,
                passthrough_behavior: Some(passthrough.unwrap_or_else(|| "WHEN_NO_MATCH".into())),
                content_handling,
                timeout_in_millis: timeout,
                cache_namespace: Some(cache_namespace.unwrap_or_else(|| rid.to_owned())),
                cache_key_parameters,
                integration_responses: kept,
            };
            let out = integration.to_json();
            m.integration = Some(integration);
            Ok(out)
        })
    }

    /// `GetIntegration`.
    ///
    /// # Errors
    /// `NotFoundException` (`Invalid Integration identifier specified` when there is none).
    pub fn get_integration(
        &self,
        api: &str,
        rid: &str,
        http_method: &str,
    ) -> Result<Value, ApiError> {
        self.read(|s| {
            integration_ref(method_ref(s, api, rid, http_method)?).map(Integration::to_json)
        })
    }

    /// `DeleteIntegration` (204).
    ///
    /// # Errors
    /// `NotFoundException`.
    pub fn delete_integration(
        &self,
        api: &str,
        rid: &str,
        http_method: &str,
    ) -> Result<Value, ApiError> {
        self.mutate(|s| {
            method_mut(s, api, rid, http_method)?
                .integration
                .take()
                .ok_or_else(invalid_integration)?;
            Ok(Value::Null)
        })
    }

    /// `UpdateIntegration`: `/uri`, `/httpMethod`, `/passthroughBehavior`, `/contentHandling`,
    /// `/timeoutInMillis`, `/credentials` (replace), `/requestTemplates/<type>`,
    /// `/requestParameters/<name>` (add/replace/remove).
    ///
    /// # Errors
    /// `NotFoundException`; `BadRequestException` (`Invalid patch path`, invalid values);
    /// patch-op `ValidationException`.
    pub fn update_integration(
        &self,
        api: &str,
        rid: &str,
        http_method: &str,
        input: &JsonInput,
    ) -> Result<Value, ApiError> {
        let ops = patch::parse(input, "updateIntegrationInput")?;
        self.mutate(|s| {
            let m = method_mut(s, api, rid, http_method)?;
            let integ = m.integration.as_mut().ok_or_else(invalid_integration)?;
            for op in &ops {
                match (op.head(), op.key()) {
                    ("uri", None) => integ.uri = op.value.clone(),
                    ("httpMethod", None) => {
                        let v = op.required_value()?;
                        check_http_method(v)?;
                        integ.http_method = Some(v.to_owned());
                    }
                    ("credentials", None) => integ.credentials = op.value.clone(),
                    ("passthroughBehavior", None) => {
                        let v = op.required_value()?;
                        if !PASSTHROUGH.contains(&v) {
                            return Err(ApiError::bad_request(format!(
                                "Invalid passthrough behavior specified: {v}"
                            )));
                        }
                        integ.passthrough_behavior = Some(v.to_owned());
                    }
                    ("contentHandling", None) => {
                        integ.content_handling = content_handling_value(op)?;
                    }
                    ("timeoutInMillis", None) => {
                        let t: i64 = op.required_value()?.parse().map_err(|_| {
                            ApiError::bad_request("Timeout should be between 50 ms and 29000 ms")
                        })?;
                        if !(50..=29_000).contains(&t) {
                            return Err(ApiError::bad_request(
                                "Timeout should be between 50 ms and 29000 ms",
                            ));
                        }
                        integ.timeout_in_millis = t;
                    }
                    ("requestTemplates", Some(k)) => {
                        let v = template_value(op);
                        patch::apply_map_op(
                            &mut integ.request_templates,
                            op,
                            k,
                            v,
                            MapKind::ContentTypes,
                        )?;
                    }
                    ("requestParameters", Some(k)) => {
                        let v = op.value.clone().map(Value::String);
                        patch::apply_map_op(
                            &mut integ.request_parameters,
                            op,
                            k,
                            v,
                            MapKind::Parameters,
                        )?;
                    }
                    _ => return Err(op.invalid_path()),
                }
            }
            if let Some(t) = &integ.request_templates {
                check_template_keys(t.keys())?;
            }
            Ok(integ.to_json())
        })
    }

    // ---------------------------------------------------------------- integration responses

    /// `PutIntegrationResponse` (201, SPEC §8.1–8.3): fully replaces the integration response
    /// of `code`; `""`/`null` templates are stored as `null`.
    ///
    /// # Errors
    /// `SerializationException` for non-string members; `ValidationException` for the status
    /// code or `contentHandling`; `NotFoundException` (`Invalid Resource identifier
    /// specified`, `Invalid Method identifier specified`, `Invalid Integration identifier
    /// specified`); `BadRequestException` for template keys and `responseParameters`.
    ///
    /// # Example
    /// ```
    /// use apigw_control::{Config, Store};
    /// use serde_json::json;
    /// let store = Store::in_memory(Config { auth_disabled: true, ..Config::default() });
    /// let api = store.create_rest_api(json!({"name": "a"}).as_object().unwrap()).unwrap();
    /// let (id, root) = (api["id"].as_str().unwrap(), api["rootResourceId"].as_str().unwrap());
    /// store.put_method(id, root, "GET", json!({"authorizationType": "NONE"}).as_object().unwrap()).unwrap();
    /// store.put_integration(id, root, "GET", json!({"type": "MOCK"}).as_object().unwrap()).unwrap();
    /// let ir = store
    ///     .put_integration_response(id, root, "GET", "200",
    ///         json!({"selectionPattern": "", "responseTemplates": {"application/json": ""}})
    ///             .as_object().unwrap())
    ///     .unwrap();
    /// assert_eq!(ir, json!({"statusCode": "200", "selectionPattern": "",
    ///                       "responseTemplates": {"application/json": null}}));
    /// ```
    pub fn put_integration_response(
        &self,
        api: &str,
        rid: &str,
        http_method: &str,
        code: &str,
        input: &JsonInput,
    ) -> Result<Value, ApiError> {
        let i = Input(input);
        let selection_pattern = i.string("selectionPattern")?;
        let response_parameters = i.string_map("responseParameters", false)?.map(|mut m| {
            m.retain(|_, v| !v.is_null());
            m
        });
        let response_templates = i.string_map("responseTemplates", true)?;
        let content_handling = i.string("contentHandling")?;
        let mut v = Violations::default();
        check_status_code(&mut v, code);
        if let Some(ch) = &content_handling {
            check_enum(
                &mut v,
                ch,
                "putIntegrationResponseInput.contentHandling",
                &CONTENT_HANDLING,
            );
        }
        v.finish()?;
        self.mutate(|s| {
            let m = method_mut(s, api, rid, http_method)?;
            let integ = m.integration.as_mut().ok_or_else(invalid_integration)?;
            if let Some(t) = &response_templates {
                check_template_keys(t.keys())?;
            }
            if let Some(p) = &response_parameters {
                check_response_parameters(m.method_responses.get(code), p)?;
            }
            let ir = IntegrationResponse {
                status_code: code.to_owned(),
                selection_pattern,
                response_parameters,
                response_templates,
                content_handling,
            };
            let out = ir.to_json();
            integ.integration_responses.insert(code.to_owned(), ir);
            Ok(out)
        })
    }

    /// `GetIntegrationResponse`.
    ///
    /// # Errors
    /// `ValidationException`; `NotFoundException` (resource, method, integration,
    /// `Invalid Response status code specified`).
    pub fn get_integration_response(
        &self,
        api: &str,
        rid: &str,
        http_method: &str,
        code: &str,
    ) -> Result<Value, ApiError> {
        let mut v = Violations::default();
        check_status_code(&mut v, code);
        v.finish()?;
        self.read(|s| {
            integration_ref(method_ref(s, api, rid, http_method)?)?
                .integration_responses
                .get(code)
                .map(IntegrationResponse::to_json)
                .ok_or_else(invalid_status)
        })
    }

    /// `DeleteIntegrationResponse` (204). A missing method is reported as `Invalid
    /// Integration identifier specified`, as AWS does (SPEC §8.2).
    ///
    /// # Errors
    /// `ValidationException`; `NotFoundException`.
    pub fn delete_integration_response(
        &self,
        api: &str,
        rid: &str,
        http_method: &str,
        code: &str,
    ) -> Result<Value, ApiError> {
        let mut v = Violations::default();
        check_status_code(&mut v, code);
        v.finish()?;
        self.mutate(|s| {
            let res = api_mut(s, api)?
                .resources
                .get_mut(rid)
                .ok_or_else(invalid_resource)?;
            let m = res
                .methods
                .get_mut(http_method)
                .ok_or_else(invalid_integration)?;
            m.integration
                .as_mut()
                .ok_or_else(invalid_integration)?
                .integration_responses
                .remove(code)
                .ok_or_else(invalid_status)?;
            Ok(Value::Null)
        })
    }

    /// `UpdateIntegrationResponse` (SPEC §8.4): `/selectionPattern`, `/contentHandling`
    /// (replace, remove), `/responseTemplates/<type>` and
    /// `/responseParameters/method.response.header.<name>` (add, replace, remove), `/` in keys
    /// escaped `~1`. The result is validated as a put would be.
    ///
    /// # Errors
    /// `ValidationException` (status code, patch op); `NotFoundException` (as get, and
    /// `Invalid parameter name specified` for removing a missing key); `BadRequestException`
    /// (`Invalid patch path <path>`, invalid values).
    pub fn update_integration_response(
        &self,
        api: &str,
        rid: &str,
        http_method: &str,
        code: &str,
        input: &JsonInput,
    ) -> Result<Value, ApiError> {
        let mut v = Violations::default();
        let ops = patch::parse_into(input, "updateIntegrationResponseInput", &mut v)?;
        check_status_code(&mut v, code);
        v.finish()?;
        self.mutate(|s| {
            let m = method_mut(s, api, rid, http_method)?;
            let integ = m.integration.as_mut().ok_or_else(invalid_integration)?;
            let ir = integ
                .integration_responses
                .get_mut(code)
                .ok_or_else(invalid_status)?;
            let mut params_touched = false;
            for op in &ops {
                match (op.head(), op.key()) {
                    ("selectionPattern", None) if !op.is_keyed() => {
                        op.replace_only()?;
                        ir.selection_pattern = op.value.clone();
                    }
                    ("contentHandling", None) if !op.is_keyed() => {
                        ir.content_handling = content_handling_value(op)?;
                    }
                    ("responseTemplates", Some(k)) => {
                        let v = template_value(op);
                        patch::apply_map_op(
                            &mut ir.response_templates,
                            op,
                            k,
                            v,
                            MapKind::ContentTypes,
                        )?;
                    }
                    ("responseParameters", Some(k)) => {
                        params_touched = true;
                        let v = op.value.clone().map(Value::String);
                        patch::apply_map_op(
                            &mut ir.response_parameters,
                            op,
                            k,
                            v,
                            MapKind::Parameters,
                        )?;
                    }
                    _ => return Err(op.invalid_path()),
                }
            }
            if let Some(t) = &ir.response_templates {
                check_template_keys(t.keys())?;
            }
            if let Some(p) = ir.response_parameters.as_mut().filter(|_| params_touched) {
                p.retain(|_, v| !v.is_null());
                check_response_parameters(m.method_responses.get(code), p)?;
            }
            Ok(ir.to_json())
        })
    }

    // ---------------------------------------------------------------- gateway responses

    /// `PutGatewayResponse` (201): customises a gateway response. Members left out take the
    /// type's defaults (its status code, no parameters, the default template), as recorded
    /// against AWS.
    ///
    /// # Errors
    /// `ValidationException` for an unknown `responseType` or status code;
    /// `NotFoundException` `Invalid API identifier specified <account>:<id>`;
    /// `BadRequestException` for template keys.
    pub fn put_gateway_response(
        &self,
        api: &str,
        response_type: &str,
        input: &JsonInput,
    ) -> Result<Value, ApiError> {
        let i = Input(input);
        let status_code = i.string("statusCode")?;
        let response_parameters = i.string_map("responseParameters", false)?;
        let response_templates = i.string_map("responseTemplates", false)?;
        let mut v = Violations::default();
        check_gateway_type(&mut v, response_type);
        if let Some(c) = &status_code {
            check_status_code(&mut v, c);
        }
        v.finish()?;
        if let Some(t) = &response_templates {
            check_template_keys(t.keys())?;
        }
        self.mutate(|s| {
            let a = self.known_api_mut(s, api)?;
            let g = GatewayResponse {
                response_type: response_type.to_owned(),
                status_code: status_code
                    .or_else(|| builtin_status(response_type).map(str::to_owned)),
                response_parameters: Some(response_parameters.unwrap_or_default()),
                response_templates: Some(response_templates.unwrap_or_else(default_templates)),
            };
            let out = g.to_json();
            a.gateway_responses.insert(response_type.to_owned(), g);
            Ok(out)
        })
    }

    /// `GetGatewayResponse`: the customised response, else the default (`defaultResponse:
    /// true`), which follows a customised `DEFAULT_4XX` / `DEFAULT_5XX`.
    ///
    /// # Errors
    /// `ValidationException` for an unknown type; `NotFoundException`.
    pub fn get_gateway_response(&self, api: &str, response_type: &str) -> Result<Value, ApiError> {
        let mut v = Violations::default();
        check_gateway_type(&mut v, response_type);
        v.finish()?;
        self.read(|s| {
            let a = s.rest_apis.get(api).ok_or_else(|| self.unknown_api(api))?;
            Ok(effective_gateway_response(
                &a.gateway_responses,
                response_type,
            ))
        })
    }

    /// `GetGatewayResponses`: every type, customised or default, ordered by type.
    ///
    /// # Errors
    /// `NotFoundException`.
    pub fn get_gateway_responses(&self, api: &str) -> Result<Value, ApiError> {
        self.read(|s| {
            let a = s.rest_apis.get(api).ok_or_else(|| self.unknown_api(api))?;
            let mut types: Vec<&str> = GATEWAY_RESPONSE_TYPES.iter().map(|(t, _)| *t).collect();
            types.sort_unstable();
            Ok(items(
                types
                    .into_iter()
                    .map(|t| effective_gateway_response(&a.gateway_responses, t))
                    .collect(),
            ))
        })
    }

    /// `UpdateGatewayResponse`: `/statusCode` (replace), `/responseParameters/<name>` and
    /// `/responseTemplates/<type>` (add, replace an existing key, remove). Updating a type that
    /// is not customised customises it, starting from its default.
    ///
    /// # Errors
    /// `ValidationException` (type, patch op); `NotFoundException` (API; `Invalid parameter
    /// name specified` for a missing key); `BadRequestException` (`Invalid patch path ...`,
    /// `Invalid null or empty value in responseParameters`).
    pub fn update_gateway_response(
        &self,
        api: &str,
        response_type: &str,
        input: &JsonInput,
    ) -> Result<Value, ApiError> {
        let mut v = Violations::default();
        let ops = patch::parse_into(input, "updateGatewayResponseInput", &mut v)?;
        check_gateway_type(&mut v, response_type);
        v.finish()?;
        self.mutate(|s| {
            let a = self.known_api_mut(s, api)?;
            let current = effective_gateway_response(&a.gateway_responses, response_type);
            let mut g = GatewayResponse {
                response_type: response_type.to_owned(),
                status_code: current["statusCode"].as_str().map(str::to_owned),
                response_parameters: current["responseParameters"].as_object().cloned(),
                response_templates: current["responseTemplates"].as_object().cloned(),
            };
            for op in &ops {
                match (op.head(), op.key(), op.op) {
                    ("statusCode", None, Op::Replace) if !op.is_keyed() => {
                        let code = op.required_value()?;
                        let mut v = Violations::default();
                        check_status_code(&mut v, code);
                        v.finish()?;
                        g.status_code = Some(code.to_owned());
                    }
                    (member @ ("responseParameters" | "responseTemplates"), Some(k), op_kind) => {
                        let (map, kind) = if member == "responseParameters" {
                            (&mut g.response_parameters, MapKind::Parameters)
                        } else {
                            (&mut g.response_templates, MapKind::ContentTypes)
                        };
                        if matches!(op_kind, Op::Add | Op::Replace)
                            && op.value.as_deref().is_none_or(str::is_empty)
                        {
                            return Err(ApiError::bad_request(format!(
                                "Invalid null or empty value in {member}"
                            )));
                        }
                        if op_kind == Op::Replace
                            && !map.as_ref().is_some_and(|m| m.contains_key(&k))
                        {
                            return Err(ApiError::not_found("Invalid parameter name specified"));
                        }
                        let value = op.value.clone().map(Value::String);
                        patch::apply_map_op(map, op, k, value, kind)?;
                    }
                    _ => return Err(op.invalid_path()),
                }
            }
            if let Some(t) = &g.response_templates {
                check_template_keys(t.keys())?;
            }
            g.response_parameters.get_or_insert_with(Map::new);
            g.response_templates.get_or_insert_with(Map::new);
            let out = g.to_json();
            a.gateway_responses.insert(response_type.to_owned(), g);
            Ok(out)
        })
    }

    /// `DeleteGatewayResponse` (202): back to the default.
    ///
    /// # Errors
    /// `ValidationException`; `NotFoundException` (`Gateway response type not defined on
    /// api` when the type is not customised).
    pub fn delete_gateway_response(
        &self,
        api: &str,
        response_type: &str,
    ) -> Result<Value, ApiError> {
        let mut v = Violations::default();
        check_gateway_type(&mut v, response_type);
        v.finish()?;
        self.mutate(|s| {
            s.rest_apis
                .get_mut(api)
                .ok_or_else(|| self.unknown_api(api))?
                .gateway_responses
                .remove(response_type)
                .ok_or_else(|| ApiError::not_found("Gateway response type not defined on api"))?;
            Ok(Value::Null)
        })
    }

    // ---------------------------------------------------------------- deployments and stages

    /// `CreateDeployment` (201): freezes the definition and compiles every method's
    /// integration with [`apigw_mapping::compile`]; with `stageName`, creates or repoints that
    /// stage (with `variables`).
    ///
    /// # Errors
    /// `NotFoundException`; `BadRequestException` when the API has no method, a method has no
    /// integration, or an integration does not compile (the reason is in the message).
    pub fn create_deployment(&self, api: &str, input: &JsonInput) -> Result<Value, ApiError> {
        let i = Input(input);
        let stage_name = i.string("stageName")?;
        let stage_description = i.string("stageDescription")?;
        let description = i.string("description")?;
        let variables = i.string_map("variables", false)?;
        if let Some(name) = &stage_name {
            check_stage_name(name)?;
        }
        if let Some(vars) = &variables {
            check_stage_variables(vars)?;
        }
        let (out, snapshot) = self.mutate(|s| {
            let api_obj = self.known_api_mut(s, api)?;
            let mut definition = Frozen::new(DeployedDefinition {
                binary_media_types: api_obj.binary_media_types.clone(),
                resources: api_obj.resources.clone(),
                gateway_responses: api_obj.gateway_responses.clone(),
                authorizers: api_obj.authorizers.clone(),
                request_validators: api_obj.request_validators.clone(),
            });
            // Redeploying an unchanged API freezes nothing new: share the earlier copy.
            if let Some(same) = api_obj
                .deployments
                .values()
                .find(|d| d.definition.digest() == definition.digest())
            {
                definition = same.definition.clone();
            }
            let id = fresh_id(6, |c| api_obj.deployments.contains_key(c));
            let snapshot =
                deploy::compile_snapshot(api, &id, &definition, &self.config().engine_limits)?;
            let now = now_epoch();
            let d = Deployment {
                id: id.clone(),
                description,
                created_date: now,
                definition,
            };
            let out = d.to_json();
            api_obj.deployments.insert(id.clone(), d);
            if let Some(name) = stage_name {
                let stage = api_obj.stages.entry(name.clone()).or_insert_with(|| Stage {
                    stage_name: name,
                    deployment_id: id.clone(),
                    description: stage_description.clone(),
                    variables: Map::new(),
                    created_date: now,
                    last_updated_date: now,
                });
                stage.deployment_id.clone_from(&id);
                stage.last_updated_date = now;
                if stage_description.is_some() {
                    stage.description = stage_description;
                }
                if let Some(vars) = variables {
                    stage.variables.extend(vars);
                }
            }
            Ok((out, snapshot))
        })?;
        let id = out["id"].as_str().unwrap_or_default().to_owned();
        self.cached_snapshot(api, &id, || Ok(snapshot))?;
        Ok(out)
    }

    /// `GetDeployment`.
    ///
    /// # Errors
    /// `NotFoundException` `Invalid Deployment identifier specified`.
    pub fn get_deployment(&self, api: &str, id: &str) -> Result<Value, ApiError> {
        self.read(|s| {
            s.rest_apis
                .get(api)
                .ok_or_else(|| self.unknown_api(api))?
                .deployments
                .get(id)
                .map(Deployment::to_json)
                .ok_or_else(invalid_deployment)
        })
    }

    /// `GetDeployments`.
    ///
    /// # Errors
    /// `NotFoundException`.
    pub fn get_deployments(&self, api: &str) -> Result<Value, ApiError> {
        self.read(|s| {
            Ok(items(
                s.rest_apis
                    .get(api)
                    .ok_or_else(|| self.unknown_api(api))?
                    .deployments
                    .values()
                    .map(Deployment::to_json)
                    .collect(),
            ))
        })
    }

    /// `DeleteDeployment` (202).
    ///
    /// # Errors
    /// `NotFoundException`; `BadRequestException` while a stage points at it.
    pub fn delete_deployment(&self, api: &str, id: &str) -> Result<Value, ApiError> {
        self.mutate(|s| {
            let a = self.known_api_mut(s, api)?;
            if !a.deployments.contains_key(id) {
                return Err(invalid_deployment());
            }
            if a.stages.values().any(|st| st.deployment_id == id) {
                return Err(ApiError::bad_request(
                    "Active stages pointing to this deployment must be moved or deleted",
                ));
            }
            a.deployments.remove(id);
            Ok(Value::Null)
        })
    }

    /// `CreateStage` (201).
    ///
    /// # Errors
    /// `ValidationException` for missing members; `BadRequestException` for an invalid name or
    /// variable; `NotFoundException` for an unknown API or deployment; `ConflictException`.
    pub fn create_stage(&self, api: &str, input: &JsonInput) -> Result<Value, ApiError> {
        let i = Input(input);
        let stage_name = i.string("stageName")?;
        let deployment_id = i.string("deploymentId")?;
        let description = i.string("description")?;
        let variables = i.string_map("variables", false)?.unwrap_or_default();
        let mut v = Violations::default();
        if stage_name.is_none() {
            not_null(&mut v, "createStageInput.stageName");
        }
        if deployment_id.is_none() {
            not_null(&mut v, "createStageInput.deploymentId");
        }
        v.finish()?;
        let (stage_name, deployment_id) = (
            stage_name.unwrap_or_default(),
            deployment_id.unwrap_or_default(),
        );
        check_stage_name(&stage_name)?;
        check_stage_variables(&variables)?;
        self.mutate(|s| {
            let a = self.known_api_mut(s, api)?;
            if !a.deployments.contains_key(&deployment_id) {
                return Err(invalid_deployment());
            }
            if a.stages.contains_key(&stage_name) {
                return Err(ApiError::conflict("Stage already exists"));
            }
            let now = now_epoch();
            let st = Stage {
                stage_name: stage_name.clone(),
                deployment_id,
                description,
                variables,
                created_date: now,
                last_updated_date: now,
            };
            let out = st.to_json();
            a.stages.insert(stage_name, st);
            Ok(out)
        })
    }

    /// `GetStage`.
    ///
    /// # Errors
    /// `NotFoundException` `Invalid Stage identifier specified`.
    pub fn get_stage(&self, api: &str, name: &str) -> Result<Value, ApiError> {
        self.read(|s| {
            s.rest_apis
                .get(api)
                .ok_or_else(|| self.unknown_api(api))?
                .stages
                .get(name)
                .map(Stage::to_json)
                .ok_or_else(invalid_stage)
        })
    }

    /// `GetStages`: `{"item": [...]}`, only the stages of `deployment_id` when given.
    ///
    /// # Errors
    /// `NotFoundException`.
    pub fn get_stages(&self, api: &str, deployment_id: Option<&str>) -> Result<Value, ApiError> {
        self.read(|s| {
            Ok(items(
                s.rest_apis
                    .get(api)
                    .ok_or_else(|| self.unknown_api(api))?
                    .stages
                    .values()
                    .filter(|st| deployment_id.is_none_or(|d| st.deployment_id == d))
                    .map(Stage::to_json)
                    .collect(),
            ))
        })
    }

    /// `UpdateStage`: `/variables/<name>` (add, replace, remove), `/description`,
    /// `/deploymentId` (replace).
    ///
    /// # Errors
    /// `NotFoundException`; `BadRequestException` (`Invalid patch path`, invalid variable);
    /// patch-op `ValidationException`.
    pub fn update_stage(
        &self,
        api: &str,
        name: &str,
        input: &JsonInput,
    ) -> Result<Value, ApiError> {
        let ops = patch::parse(input, "updateStageInput")?;
        self.mutate(|s| {
            let a = self.known_api_mut(s, api)?;
            let deployments: Vec<String> = a.deployments.keys().cloned().collect();
            let st = a.stages.get_mut(name).ok_or_else(invalid_stage)?;
            for op in &ops {
                match (op.head(), op.key()) {
                    ("variables", Some(k)) => {
                        let mut vars = Some(std::mem::take(&mut st.variables));
                        let v = op.value.clone().map(Value::String);
                        let r = patch::apply_map_op(&mut vars, op, k, v, MapKind::Parameters);
                        st.variables = vars.unwrap_or_default();
                        r?;
                    }
                    ("description", None) => st.description = op.value.clone(),
                    ("deploymentId", None) => {
                        let d = op.required_value()?;
                        if !deployments.iter().any(|x| x == d) {
                            return Err(invalid_deployment());
                        }
                        d.clone_into(&mut st.deployment_id);
                    }
                    _ => return Err(op.invalid_path()),
                }
            }
            check_stage_variables(&st.variables)?;
            st.last_updated_date = now_epoch();
            Ok(st.to_json())
        })
    }

    /// `DeleteStage` (202).
    ///
    /// # Errors
    /// `NotFoundException`.
    pub fn delete_stage(&self, api: &str, name: &str) -> Result<Value, ApiError> {
        self.mutate(|s| {
            s.rest_apis
                .get_mut(api)
                .ok_or_else(|| self.unknown_api(api))?
                .stages
                .remove(name)
                .ok_or_else(invalid_stage)?;
            Ok(Value::Null)
        })
    }

    /// The compiled snapshot a stage serves, with its stage variables: what a gateway's
    /// router needs. Compiled once per deployment and shared while a stage points at it
    /// (dropped by the store when no stage does; compiled again if one does later).
    ///
    /// # Errors
    /// `NotFoundException` for an unknown API or stage; `BadRequestException` if the deployment
    /// no longer compiles (e.g. after an engine upgrade).
    pub fn stage_snapshot(
        &self,
        api: &str,
        stage: &str,
    ) -> Result<(Arc<Snapshot>, Map<String, Value>), ApiError> {
        let (deployment, variables) = self.read(|s| {
            let a = api_ref(s, api)?;
            let st = a.stages.get(stage).ok_or_else(invalid_stage)?;
            let d = a
                .deployments
                .get(&st.deployment_id)
                .ok_or_else(invalid_deployment)?;
            Ok((d.clone(), st.variables.clone()))
        })?;
        let snap = self.cached_snapshot(api, &deployment.id, || {
            deploy::compile_snapshot(
                api,
                &deployment.id,
                &deployment.definition,
                &self.config().engine_limits,
            )
        })?;
        Ok((snap, variables))
    }

    /// Every REST API with its stages' snapshots (for a gateway starting up).
    ///
    /// # Errors
    /// As [`Store::stage_snapshot`].
    pub fn all_stage_snapshots(&self) -> Result<Vec<(String, String, Arc<Snapshot>)>, ApiError> {
        let pairs: Vec<(String, String)> = self.read(|s| {
            Ok(s.rest_apis
                .values()
                .flat_map(|a| a.stages.keys().map(|k| (a.id.clone(), k.clone())))
                .collect())
        })?;
        pairs
            .into_iter()
            .map(|(a, st)| {
                let (snap, _) = self.stage_snapshot(&a, &st)?;
                Ok((a, st, snap))
            })
            .collect()
    }
}

fn invalid_status() -> ApiError {
    ApiError::not_found("Invalid Response status code specified")
}

fn invalid_deployment() -> ApiError {
    ApiError::not_found("Invalid Deployment identifier specified")
}

fn invalid_stage() -> ApiError {
    ApiError::not_found("Invalid Stage identifier specified")
}

/// `""` templates become `null` (SPEC §8.1).
fn template_value(op: &PatchOp) -> Option<Value> {
    match op.value.as_deref() {
        None | Some("") => Some(Value::Null),
        Some(t) => Some(Value::String(t.to_owned())),
    }
}

/// `"true"`/`"false"` for boolean maps (method parameters' `required`).
fn bool_value(op: &PatchOp) -> Result<Option<Value>, ApiError> {
    match op.value.as_deref() {
        None => Ok(Some(Value::Bool(false))),
        Some("true") => Ok(Some(Value::Bool(true))),
        Some("false") => Ok(Some(Value::Bool(false))),
        Some(other) => Err(ApiError::bad_request(format!(
            "Invalid boolean value specified: {other}"
        ))),
    }
}

fn content_handling_value(op: &PatchOp) -> Result<Option<String>, ApiError> {
    match op.op {
        Op::Remove => Ok(None),
        Op::Add | Op::Replace => match op.value.as_deref() {
            None | Some("") => Ok(None),
            Some(v) if CONTENT_HANDLING.contains(&v) => Ok(Some(v.to_owned())),
            Some(v) => Err(ApiError::bad_request(format!(
                "Invalid content handling specified: {v}"
            ))),
        },
        _ => Err(op.unsupported("add, remove, replace")),
    }
}

/// SPEC §8.3: validates an integration response's `responseParameters` against the method
/// response of the same status code.
fn check_response_parameters(
    method_response: Option<&MethodResponse>,
    params: &Map<String, Value>,
) -> Result<(), ApiError> {
    if params.is_empty() {
        return Ok(());
    }
    let fail = |errors: &[String]| {
        ApiError::bad_request(format!(
            "Invalid mapping expression specified: {}",
            validation_result(errors)
        ))
    };
    let Some(mr) = method_response else {
        return Err(fail(&["No method response exists for method.".to_owned()]));
    };
    // Per entry, as AWS reports them: the source's error, then the key's (malformed, else
    // undeclared). Both come from the data plane's grammar (`apigw_mapping`).
    let mut errors = Vec::new();
    for (key, value) in params {
        let expr = value.as_str().unwrap_or_default();
        if let Err(e) = check_response_source(expr) {
            errors.push(e);
        }
        if let Err(e) = check_response_destination(key) {
            errors.push(e);
        } else if !mr.declares(key) {
            errors.push(format!(
                "Invalid mapping expression parameter specified: {key}"
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(fail(&errors))
    }
}

/// Method response parameter keys must be `method.response.header.<name>`.
fn check_method_response_parameters(params: Option<&Map<String, Value>>) -> Result<(), ApiError> {
    let errors: Vec<String> = params
        .into_iter()
        .flat_map(Map::keys)
        .filter_map(|k| check_response_destination(k).err())
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Invalid mapping expression specified: {}",
            validation_result(&errors)
        )))
    }
}

/// The enum as AWS lists it in the `responseType` validation message (recorded: LocalStack
/// snapshot `TestApiGatewayGatewayResponse::test_gateway_response_validation`).
const GATEWAY_RESPONSE_ENUM_ORDER: [&str; 21] = [
    "REQUEST_TOO_LARGE",
    "RESOURCE_NOT_FOUND",
    "AUTHORIZER_CONFIGURATION_ERROR",
    "MISSING_AUTHENTICATION_TOKEN",
    "BAD_REQUEST_BODY",
    "INVALID_SIGNATURE",
    "INVALID_API_KEY",
    "BAD_REQUEST_PARAMETERS",
    "AUTHORIZER_FAILURE",
    "UNAUTHORIZED",
    "INTEGRATION_TIMEOUT",
    "ACCESS_DENIED",
    "DEFAULT_4XX",
    "DEFAULT_5XX",
    "WAF_FILTERED",
    "QUOTA_EXCEEDED",
    "THROTTLED",
    "API_CONFIGURATION_ERROR",
    "UNSUPPORTED_MEDIA_TYPE",
    "INTEGRATION_FAILURE",
    "EXPIRED_TOKEN",
];

fn check_gateway_type(v: &mut Violations, t: &str) {
    check_enum(v, t, "responseType", &GATEWAY_RESPONSE_ENUM_ORDER);
}

/// The built-in status code of a gateway response type (`None` for `DEFAULT_4XX/5XX`).
fn builtin_status(t: &str) -> Option<&'static str> {
    GATEWAY_RESPONSE_TYPES
        .iter()
        .find(|(n, _)| *n == t)
        .and_then(|(_, s)| *s)
}

/// The template every default gateway response has.
fn default_templates() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "application/json".into(),
        json!("{\"message\":$context.error.messageString}"),
    );
    m
}

/// What a gateway response type answers with: its customisation, else the customised
/// `DEFAULT_5XX` (for 5xx types) or `DEFAULT_4XX` (for the others) with `defaultResponse:
/// true`, else the built-in default (as recorded against AWS).
pub(crate) fn effective_gateway_response(
    customised: &std::collections::BTreeMap<String, GatewayResponse>,
    t: &str,
) -> Value {
    if let Some(g) = customised.get(t) {
        return g.to_json();
    }
    let builtin = builtin_status(t);
    let parent = match builtin {
        Some(code) if code.starts_with('5') => Some("DEFAULT_5XX"),
        Some(_) => Some("DEFAULT_4XX"),
        None => None,
    };
    let mut m = Map::new();
    if let Some(p) = parent.and_then(|p| customised.get(p)) {
        if let Some(code) = &p.status_code {
            m.insert("statusCode".into(), json!(code));
        }
        m.insert(
            "responseParameters".into(),
            Value::Object(p.response_parameters.clone().unwrap_or_default()),
        );
        m.insert(
            "responseTemplates".into(),
            Value::Object(p.response_templates.clone().unwrap_or_default()),
        );
    } else {
        if let Some(code) = builtin {
            m.insert("statusCode".into(), json!(code));
        }
        m.insert("responseParameters".into(), json!({}));
        m.insert(
            "responseTemplates".into(),
            Value::Object(default_templates()),
        );
    }
    m.insert("responseType".into(), json!(t));
    m.insert("defaultResponse".into(), json!(true));
    Value::Object(m)
}

/// `[A-Za-z0-9_-]+`, at most 128 characters.
fn check_stage_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request("Stage name only allows a-zA-Z0-9_-"))
    }
}

/// Stage variable names `[A-Za-z0-9_]+`; values `[A-Za-z0-9-._~:/?#&=,]+` (AWS docs).
fn check_stage_variables(vars: &Map<String, Value>) -> Result<(), ApiError> {
    for (k, v) in vars {
        if k.is_empty() || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(ApiError::bad_request(format!(
                "Stage variable name {k} does not match the regular expression [a-zA-Z0-9_]+"
            )));
        }
        let value = v.as_str().unwrap_or_default();
        let ok = !value.is_empty()
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#&=,".contains(&b));
        if !ok {
            return Err(ApiError::bad_request(format!(
                "Stage variable value {value} does not match the regular expression \
                 [A-Za-z0-9-._~:/?#&=,]+"
            )));
        }
    }
    Ok(())
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Add => "add",
        Op::Remove => "remove",
        Op::Replace => "replace",
        Op::Move => "move",
        Op::Copy => "copy",
        Op::Test => "test",
    }
}

/// Refuses a second child of `parent` named `part`, and a second variable child.
fn check_sibling(a: &RestApi, parent: Option<&str>, rid: &str, part: &str) -> Result<(), ApiError> {
    for sib in a
        .resources
        .values()
        .filter(|r| r.id != rid && r.parent_id.as_deref() == parent)
    {
        if sib.path_part == part {
            return Err(ApiError::conflict(format!(
                "Another resource with the same parent already has this name: {part}"
            )));
        }
        if part.starts_with('{') && sib.path_part.starts_with('{') {
            return Err(ApiError::bad_request(format!(
                "A sibling ({}) of this resource already has a variable path part -- only one \
                 is allowed",
                sib.path_part
            )));
        }
    }
    Ok(())
}

/// Recomputes every resource's `path` from its ancestors' path parts.
fn recompute_paths(a: &mut RestApi) {
    let ids: Vec<String> = a.resources.keys().cloned().collect();
    for id in ids {
        let mut parts = Vec::new();
        let mut cursor = Some(id.clone());
        // Bounded: a damaged state file with a parent cycle cannot loop forever.
        for _ in 0..=a.resources.len() {
            let Some(r) = cursor.as_ref().and_then(|c| a.resources.get(c)) else {
                break;
            };
            if r.parent_id.is_some() {
                parts.push(r.path_part.clone());
            }
            cursor = r.parent_id.clone();
        }
        parts.reverse();
        let path = format!("/{}", parts.join("/"));
        a.resources.get_mut(&id).expect("listed").path = path;
    }
}

/// `a-zA-Z0-9._-`, or `{name}` / `{name+}`.
fn is_valid_path_part(p: &str) -> bool {
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    };
    if let Some(inner) = p.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        let name = inner.strip_suffix('+').unwrap_or(inner);
        plain(name)
    } else {
        plain(p)
    }
}

/// Lets tests reach the error kind of a `Result` quickly.
#[cfg(test)]
pub(crate) fn kind_of<T>(r: &Result<T, ApiError>) -> Option<crate::ErrorKind> {
    r.as_ref().err().map(ApiError::kind)
}
