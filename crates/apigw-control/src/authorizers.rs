//! Authorizers: `CreateAuthorizer`, `GetAuthorizer(s)`, `UpdateAuthorizer`,
//! `DeleteAuthorizer`, and the rule that a `CUSTOM` / `COGNITO_USER_POOLS` method names one.
//! They are stored so that methods can reference them and exports can write them; the data
//! plane does not run them.

use serde_json::{Value, json};

use crate::error::{ApiError, Violations};
use crate::ids::fresh_id;
use crate::input::Input;
use crate::model::{Authorizer, RestApi};
use crate::ops::JsonInput;
use crate::patch::{self, Op};
use crate::store::Store;
use crate::validate::check_enum;

/// The `type` enum, in the order AWS lists it.
const AUTHORIZER_TYPES: [&str; 3] = ["TOKEN", "REQUEST", "COGNITO_USER_POOLS"];

/// The default `authorizerResultTtlInSeconds`.
const DEFAULT_TTL: i64 = 300;

fn invalid_authorizer() -> ApiError {
    ApiError::not_found("Invalid Authorizer identifier specified")
}

/// Whether a method's `authorizationType` needs an authorizer.
pub(crate) fn needs_authorizer(authorization_type: &str) -> bool {
    matches!(authorization_type, "CUSTOM" | "COGNITO_USER_POOLS")
}

/// The `authorizerId` a method keeps: a `CUSTOM` or `COGNITO_USER_POOLS` method must name an
/// authorizer of its API (`BadRequestException` otherwise, AWS's text); other types keep none
/// (AWS ignores an `authorizerId` given with them).
pub(crate) fn method_authorizer(
    api: &RestApi,
    authorization_type: &str,
    authorizer_id: Option<String>,
) -> Result<Option<String>, ApiError> {
    if !needs_authorizer(authorization_type) {
        return Ok(None);
    }
    match authorizer_id {
        Some(a) if api.authorizers.contains_key(&a) => Ok(Some(a)),
        _ => Err(ApiError::bad_request(
            "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or \
             COGNITO_USER_POOLS requires a valid authorizer.",
        )),
    }
}

impl Store {
    /// `CreateAuthorizer` (201): `name` and `type` (`TOKEN`, `REQUEST`,
    /// `COGNITO_USER_POOLS`) are required; `authorizerResultTtlInSeconds` defaults to 300.
    ///
    /// # Errors
    /// `ValidationException` for a missing `name` / `type` or an unknown `type`;
    /// `NotFoundException` for an unknown API; `SerializationException` for ill-typed members.
    ///
    /// # Example
    /// ```
    /// use apigw_control::{Config, Store};
    /// use serde_json::json;
    /// let store = Store::in_memory(Config { auth_disabled: true, ..Config::default() });
    /// let api = store.create_rest_api(json!({"name": "a"}).as_object().unwrap()).unwrap();
    /// let id = api["id"].as_str().unwrap();
    /// let a = store
    ///     .create_authorizer(id, json!({"name": "pool", "type": "COGNITO_USER_POOLS",
    ///         "providerARNs": ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/p"]})
    ///         .as_object().unwrap())
    ///     .unwrap();
    /// assert_eq!(a["authorizerResultTtlInSeconds"], 300);
    /// ```
    pub fn create_authorizer(&self, api: &str, input: &JsonInput) -> Result<Value, ApiError> {
        let i = Input(input);
        let name = i.string("name")?;
        let kind = i.string("type")?;
        let provider_arns = i.string_list("providerARNs")?;
        let auth_type = i.string("authType")?;
        let authorizer_uri = i.string("authorizerUri")?;
        let authorizer_credentials = i.string("authorizerCredentials")?;
        let identity_source = i.string("identitySource")?;
        let identity_validation_expression = i.string("identityValidationExpression")?;
        let ttl = i.integer("authorizerResultTtlInSeconds")?;
        let mut v = Violations::default();
        if name.is_none() {
            v.push_null("createAuthorizerInput.name");
        }
        match &kind {
            None => v.push_null("createAuthorizerInput.type"),
            Some(k) => check_enum(&mut v, k, "createAuthorizerInput.type", &AUTHORIZER_TYPES),
        }
        v.finish()?;
        self.mutate(|s| {
            let a = self.known_api_mut(s, api)?;
            let id = fresh_id(6, |c| a.authorizers.contains_key(c));
            let authorizer = Authorizer {
                id: id.clone(),
                name: name.unwrap_or_default(),
                kind: kind.unwrap_or_default(),
                provider_arns,
                auth_type,
                authorizer_uri,
                authorizer_credentials,
                identity_source,
                identity_validation_expression,
                authorizer_result_ttl_in_seconds: Some(ttl.unwrap_or(DEFAULT_TTL)),
            };
            let out = authorizer.to_json();
            a.authorizers.insert(id, authorizer);
            Ok(out)
        })
    }

    /// `GetAuthorizer`.
    ///
    /// # Errors
    /// `NotFoundException` (`Invalid Authorizer identifier specified`, or the API).
    pub fn get_authorizer(&self, api: &str, id: &str) -> Result<Value, ApiError> {
        self.read(|s| {
            let a = s.rest_apis.get(api).ok_or_else(|| self.unknown_api(api))?;
            a.authorizers
                .get(id)
                .map(Authorizer::to_json)
                .ok_or_else(invalid_authorizer)
        })
    }

    /// `GetAuthorizers`: `{"item": [...]}` ordered by id.
    ///
    /// # Errors
    /// `NotFoundException` for an unknown API.
    pub fn get_authorizers(&self, api: &str) -> Result<Value, ApiError> {
        self.read(|s| {
            let a = s.rest_apis.get(api).ok_or_else(|| self.unknown_api(api))?;
            let list: Vec<Value> = a.authorizers.values().map(Authorizer::to_json).collect();
            Ok(json!({ "item": list }))
        })
    }

    /// `UpdateAuthorizer`: `replace` of `/name`, `/type`, `/authType`, `/authorizerUri`,
    /// `/authorizerCredentials`, `/identitySource`, `/identityValidationExpression`,
    /// `/authorizerResultTtlInSeconds`; `add` / `remove` of `/providerARNs` (the ARN as value).
    ///
    /// # Errors
    /// `NotFoundException`; `BadRequestException` `Invalid patch path ...`, a bad type or TTL;
    /// patch-op `ValidationException`.
    pub fn update_authorizer(
        &self,
        api: &str,
        id: &str,
        input: &JsonInput,
    ) -> Result<Value, ApiError> {
        let ops = patch::parse(input, "updateAuthorizerInput")?;
        self.mutate(|s| {
            let a = self
                .known_api_mut(s, api)?
                .authorizers
                .get_mut(id)
                .ok_or_else(invalid_authorizer)?;
            for op in &ops {
                if op.is_keyed() {
                    return Err(op.invalid_path());
                }
                let field = match op.head() {
                    "providerARNs" => {
                        let arn = op.required_value()?.to_owned();
                        let arns = a.provider_arns.get_or_insert_with(Vec::new);
                        match op.op {
                            Op::Add => {
                                if !arns.contains(&arn) {
                                    arns.push(arn);
                                }
                            }
                            Op::Remove => arns.retain(|x| *x != arn),
                            _ => return Err(op.unsupported("add, remove")),
                        }
                        if arns.is_empty() {
                            a.provider_arns = None;
                        }
                        continue;
                    }
                    "name" | "type" => {
                        op.replace_only()?;
                        let value = op.required_value()?.to_owned();
                        if op.head() == "name" {
                            a.name = value;
                        } else {
                            let mut v = Violations::default();
                            check_enum(&mut v, &value, "type", &AUTHORIZER_TYPES);
                            v.finish().map_err(|e| ApiError::bad_request(e.message()))?;
                            a.kind = value;
                        }
                        continue;
                    }
                    "authorizerResultTtlInSeconds" => {
                        op.replace_only()?;
                        let raw = op.required_value()?;
                        let ttl = raw.parse::<i64>().map_err(|_| {
                            ApiError::bad_request(format!(
                                "Invalid value for authorizerResultTtlInSeconds: {raw}"
                            ))
                        })?;
                        a.authorizer_result_ttl_in_seconds = Some(ttl);
                        continue;
                    }
                    "authType" => &mut a.auth_type,
                    "authorizerUri" => &mut a.authorizer_uri,
                    "authorizerCredentials" => &mut a.authorizer_credentials,
                    "identitySource" => &mut a.identity_source,
                    "identityValidationExpression" => &mut a.identity_validation_expression,
                    _ => return Err(op.invalid_path()),
                };
                op.replace_only()?;
                *field = op.value.clone().filter(|v| !v.is_empty());
            }
            Ok(a.to_json())
        })
    }

    /// `DeleteAuthorizer` (202).
    ///
    /// # Errors
    /// `NotFoundException`; `ConflictException` while a method references it (`Cannot delete
    /// authorizer, is referenced in method: GET//pets`, the method and its resource path).
    pub fn delete_authorizer(&self, api: &str, id: &str) -> Result<Value, ApiError> {
        self.mutate(|s| {
            let a = self.known_api_mut(s, api)?;
            if !a.authorizers.contains_key(id) {
                return Err(invalid_authorizer());
            }
            if let Some(m) = method_referencing(a, |m| m.authorizer_id.as_deref() == Some(id)) {
                return Err(ApiError::conflict(format!(
                    "Cannot delete authorizer, is referenced in method: {m}"
                )));
            }
            a.authorizers.remove(id);
            Ok(Value::Null)
        })
    }
}

/// The first method of `api` that `refers` names, as AWS writes it in conflict messages:
/// `GET//pets` (the HTTP method, `/`, the resource path).
pub(crate) fn method_referencing(
    api: &crate::model::RestApi,
    refers: impl Fn(&crate::model::Method) -> bool,
) -> Option<String> {
    api.resources.values().find_map(|r| {
        r.methods
            .iter()
            .find(|(_, method)| refers(method))
            .map(|(m, _)| format!("{m}/{}", r.path))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, ErrorKind};

    fn obj(v: Value) -> JsonInput {
        v.as_object().unwrap().clone()
    }

    fn err(r: Result<Value, ApiError>) -> (ErrorKind, String) {
        let e = r.unwrap_err();
        (e.kind(), e.message().to_owned())
    }

    #[test]
    fn authorizer_lifecycle_and_method_references() {
        let s = Store::in_memory(Config {
            auth_disabled: true,
            ..Config::default()
        });
        let api = s.create_rest_api(&obj(json!({"name": "a"}))).unwrap();
        let id = api["id"].as_str().unwrap().to_owned();
        let root = api["rootResourceId"].as_str().unwrap().to_owned();
        assert_eq!(
            err(s.create_authorizer(&id, &obj(json!({"type": "LAMBDA"})))),
            (
                ErrorKind::Validation,
                "2 validation errors detected: Value null at 'createAuthorizerInput.name' \
                 failed to satisfy constraint: Member must not be null; Value 'LAMBDA' at \
                 'createAuthorizerInput.type' failed to satisfy constraint: Member must satisfy \
                 enum value set: [TOKEN, REQUEST, COGNITO_USER_POOLS]"
                    .into()
            )
        );
        let a = s
            .create_authorizer(
                &id,
                &obj(json!({"name": "tok", "type": "TOKEN",
                            "authorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/f",
                            "identitySource": "method.request.header.Authorization"})),
            )
            .unwrap();
        let aid = a["id"].as_str().unwrap().to_owned();
        assert_eq!(a["authorizerResultTtlInSeconds"], 300);
        assert_eq!(s.get_authorizer(&id, &aid).unwrap(), a);
        assert_eq!(s.get_authorizers(&id).unwrap()["item"], json!([a]));
        assert_eq!(
            err(s.get_authorizer(&id, "nope")),
            (
                ErrorKind::NotFound,
                "Invalid Authorizer identifier specified".into()
            )
        );

        // A CUSTOM method needs a valid authorizer.
        let needs = (
            ErrorKind::BadRequest,
            "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or \
             COGNITO_USER_POOLS requires a valid authorizer."
                .to_owned(),
        );
        for input in [
            json!({"authorizationType": "CUSTOM"}),
            json!({"authorizationType": "COGNITO_USER_POOLS", "authorizerId": "nope"}),
        ] {
            assert_eq!(err(s.put_method(&id, &root, "GET", &obj(input))), needs);
        }
        // With another type, an authorizerId is ignored.
        let m = s
            .put_method(
                &id,
                &root,
                "GET",
                &obj(json!({"authorizationType": "NONE", "authorizerId": aid})),
            )
            .unwrap();
        assert!(m.get("authorizerId").is_none(), "{m}");
        let patch = |ops: Value| obj(json!({ "patchOperations": ops }));
        assert_eq!(
            err(s.update_method(
                &id,
                &root,
                "GET",
                &patch(json!([{"op": "replace", "path": "/authorizationType", "value": "CUSTOM"}]))
            )),
            needs
        );
        let m = s
            .update_method(
                &id,
                &root,
                "GET",
                &patch(json!([
                    {"op": "replace", "path": "/authorizationType", "value": "CUSTOM"},
                    {"op": "replace", "path": "/authorizerId", "value": aid}])),
            )
            .unwrap();
        assert_eq!(
            (&m["authorizationType"], &m["authorizerId"]),
            (&json!("CUSTOM"), &json!(aid))
        );

        // Referenced: not deletable.
        assert_eq!(
            err(s.delete_authorizer(&id, &aid)),
            (
                ErrorKind::Conflict,
                "Cannot delete authorizer, is referenced in method: GET//".into()
            )
        );
        let u = s
            .update_authorizer(
                &id,
                &aid,
                &patch(json!([
                    {"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": "60"},
                    {"op": "replace", "path": "/identityValidationExpression", "value": "^x"}])),
            )
            .unwrap();
        assert_eq!(u["authorizerResultTtlInSeconds"], 60);
        assert_eq!(u["identityValidationExpression"], "^x");
        assert_eq!(
            err(s.update_authorizer(
                &id,
                &aid,
                &patch(json!([{"op": "replace", "path": "/nope", "value": "1"}]))
            )),
            (ErrorKind::BadRequest, "Invalid patch path /nope".into())
        );
        s.update_method(
            &id,
            &root,
            "GET",
            &patch(json!([{"op": "replace", "path": "/authorizationType", "value": "NONE"}])),
        )
        .unwrap();
        assert!(
            s.get_method(&id, &root, "GET")
                .unwrap()
                .get("authorizerId")
                .is_none()
        );
        s.delete_authorizer(&id, &aid).unwrap();
        assert_eq!(
            err(s.delete_authorizer(&id, &aid)).1,
            "Invalid Authorizer identifier specified"
        );
    }
}
