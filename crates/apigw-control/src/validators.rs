//! Request validators: `CreateRequestValidator`, `GetRequestValidator(s)`,
//! `UpdateRequestValidator`, `DeleteRequestValidator`, and the rule that a method's
//! `requestValidatorId` names one. They are stored so that methods can reference them and
//! exports can write them; the data plane does not validate requests.

use serde_json::{Value, json};

use crate::error::ApiError;
use crate::ids::fresh_id;
use crate::input::Input;
use crate::model::{RequestValidator, RestApi};
use crate::ops::JsonInput;
use crate::patch;
use crate::store::Store;

fn invalid_validator() -> ApiError {
    ApiError::bad_request("Invalid Request Validator identifier specified")
}

/// The `requestValidatorId` a method keeps: it must name a validator of its API
/// (`BadRequestException` `Invalid Request Validator identifier specified`).
pub(crate) fn method_validator(
    api: &RestApi,
    id: Option<String>,
) -> Result<Option<String>, ApiError> {
    match id {
        Some(v) if !api.request_validators.contains_key(&v) => Err(invalid_validator()),
        other => Ok(other),
    }
}

fn not_found() -> ApiError {
    ApiError::not_found("Invalid Request Validator identifier specified")
}

impl Store {
    /// `CreateRequestValidator` (201): `name`, `validateRequestBody` and
    /// `validateRequestParameters` (both `false` when left out).
    ///
    /// # Errors
    /// `NotFoundException` for an unknown API; `SerializationException` for ill-typed members.
    ///
    /// # Example
    /// ```
    /// use apigw_control::{Config, Store};
    /// use serde_json::json;
    /// let store = Store::in_memory(Config { auth_disabled: true, ..Config::default() });
    /// let api = store.create_rest_api(json!({"name": "a"}).as_object().unwrap()).unwrap();
    /// let id = api["id"].as_str().unwrap();
    /// let v = store
    ///     .create_request_validator(id, json!({"name": "params-only",
    ///         "validateRequestParameters": true}).as_object().unwrap())
    ///     .unwrap();
    /// assert_eq!(v["validateRequestBody"], false);
    /// ```
    pub fn create_request_validator(
        &self,
        api: &str,
        input: &JsonInput,
    ) -> Result<Value, ApiError> {
        let i = Input(input);
        let name = i.string("name")?;
        let body = i.boolean("validateRequestBody")?.unwrap_or(false);
        let params = i.boolean("validateRequestParameters")?.unwrap_or(false);
        self.mutate(|s| {
            let a = self.known_api_mut(s, api)?;
            let id = fresh_id(6, |c| a.request_validators.contains_key(c));
            let v = RequestValidator {
                id: id.clone(),
                name,
                validate_request_body: body,
                validate_request_parameters: params,
            };
            let out = v.to_json();
            a.request_validators.insert(id, v);
            Ok(out)
        })
    }

    /// `GetRequestValidator`.
    ///
    /// # Errors
    /// `NotFoundException` (`Invalid Request Validator identifier specified`, or the API).
    pub fn get_request_validator(&self, api: &str, id: &str) -> Result<Value, ApiError> {
        self.read(|s| {
            let a = s.rest_apis.get(api).ok_or_else(|| self.unknown_api(api))?;
            a.request_validators
                .get(id)
                .map(RequestValidator::to_json)
                .ok_or_else(not_found)
        })
    }

    /// `GetRequestValidators`: `{"item": [...]}` ordered by id.
    ///
    /// # Errors
    /// `NotFoundException` for an unknown API.
    pub fn get_request_validators(&self, api: &str) -> Result<Value, ApiError> {
        self.read(|s| {
            let a = s.rest_apis.get(api).ok_or_else(|| self.unknown_api(api))?;
            let list: Vec<Value> = a
                .request_validators
                .values()
                .map(RequestValidator::to_json)
                .collect();
            Ok(json!({ "item": list }))
        })
    }

    /// `UpdateRequestValidator`: `replace` of `/name`, `/validateRequestBody`,
    /// `/validateRequestParameters` (`"true"` / `"false"`).
    ///
    /// # Errors
    /// `NotFoundException`; `BadRequestException` (`Invalid patch path ...`, `Invalid boolean
    /// value specified: X`); patch-op `ValidationException`.
    pub fn update_request_validator(
        &self,
        api: &str,
        id: &str,
        input: &JsonInput,
    ) -> Result<Value, ApiError> {
        let ops = patch::parse(input, "updateRequestValidatorInput")?;
        self.mutate(|s| {
            let v = self
                .known_api_mut(s, api)?
                .request_validators
                .get_mut(id)
                .ok_or_else(not_found)?;
            for op in &ops {
                if op.is_keyed() {
                    return Err(op.invalid_path());
                }
                let flag = match op.head() {
                    "name" => {
                        op.replace_only()?;
                        v.name = op.value.clone();
                        continue;
                    }
                    "validateRequestBody" => &mut v.validate_request_body,
                    "validateRequestParameters" => &mut v.validate_request_parameters,
                    _ => return Err(op.invalid_path()),
                };
                op.replace_only()?;
                *flag = match op.value.as_deref() {
                    Some("true") => true,
                    Some("false") | None => false,
                    Some(other) => {
                        return Err(ApiError::bad_request(format!(
                            "Invalid boolean value specified: {other}"
                        )));
                    }
                };
            }
            Ok(v.to_json())
        })
    }

    /// `DeleteRequestValidator` (202).
    ///
    /// # Errors
    /// `NotFoundException`; `ConflictException` while a method references it (our text, by
    /// analogy with authorizers: `Cannot delete request validator, is referenced in method:
    /// GET//pets`).
    pub fn delete_request_validator(&self, api: &str, id: &str) -> Result<Value, ApiError> {
        self.mutate(|s| {
            let a = self.known_api_mut(s, api)?;
            if !a.request_validators.contains_key(id) {
                return Err(not_found());
            }
            if let Some(m) = crate::authorizers::method_referencing(a, |m| {
                m.request_validator_id.as_deref() == Some(id)
            }) {
                return Err(ApiError::conflict(format!(
                    "Cannot delete request validator, is referenced in method: {m}"
                )));
            }
            a.request_validators.remove(id);
            Ok(Value::Null)
        })
    }
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
    fn request_validator_lifecycle_and_method_references() {
        let s = Store::in_memory(Config {
            auth_disabled: true,
            ..Config::default()
        });
        let api = s.create_rest_api(&obj(json!({"name": "a"}))).unwrap();
        let id = api["id"].as_str().unwrap().to_owned();
        let root = api["rootResourceId"].as_str().unwrap().to_owned();
        let v = s
            .create_request_validator(
                &id,
                &obj(json!({"name": "basic", "validateRequestBody": true})),
            )
            .unwrap();
        let vid = v["id"].as_str().unwrap().to_owned();
        assert_eq!(
            v,
            json!({"id": vid, "name": "basic", "validateRequestBody": true,
                   "validateRequestParameters": false})
        );
        assert_eq!(s.get_request_validators(&id).unwrap()["item"], json!([v]));
        let invalid = (
            ErrorKind::BadRequest,
            "Invalid Request Validator identifier specified".to_owned(),
        );
        assert_eq!(
            err(s.put_method(
                &id,
                &root,
                "GET",
                &obj(json!({"authorizationType": "NONE", "requestValidatorId": "nope"}))
            )),
            invalid
        );
        let m = s
            .put_method(
                &id,
                &root,
                "GET",
                &obj(json!({"authorizationType": "NONE", "requestValidatorId": vid})),
            )
            .unwrap();
        assert_eq!(m["requestValidatorId"], json!(vid));
        let patch = |ops: Value| obj(json!({ "patchOperations": ops }));
        assert_eq!(
            err(s.update_method(
                &id,
                &root,
                "GET",
                &patch(json!([{"op": "replace", "path": "/requestValidatorId", "value": "nope"}]))
            )),
            invalid
        );
        assert_eq!(
            err(s.delete_request_validator(&id, &vid)),
            (
                ErrorKind::Conflict,
                "Cannot delete request validator, is referenced in method: GET//".into()
            )
        );
        let u = s
            .update_request_validator(
                &id,
                &vid,
                &patch(json!([{"op": "replace", "path": "/validateRequestParameters", "value": "true"}])),
            )
            .unwrap();
        assert_eq!(u["validateRequestParameters"], true);
        let m = s
            .update_method(
                &id,
                &root,
                "GET",
                &patch(json!([{"op": "replace", "path": "/requestValidatorId", "value": ""}])),
            )
            .unwrap();
        assert!(m.get("requestValidatorId").is_none(), "{m}");
        s.delete_request_validator(&id, &vid).unwrap();
        assert_eq!(
            err(s.get_request_validator(&id, &vid)),
            (
                ErrorKind::NotFound,
                "Invalid Request Validator identifier specified".into()
            )
        );
    }
}
