//! OpenAPI / Swagger import and export (SPEC §9).

use serde_json::Value;

use crate::error::ApiError;
use crate::store::Store;

impl Store {
    /// `ImportRestApi` (`POST /restapis?mode=import`).
    ///
    /// # Errors
    /// Not implemented yet: always a `BadRequestException` saying so.
    pub fn import_rest_api(
        &self,
        _body: &[u8],
        _fail_on_warnings: Option<&str>,
    ) -> Result<Value, ApiError> {
        Err(not_yet())
    }

    /// `PutRestApi` (`PUT /restapis/{id}?mode=merge|overwrite`).
    ///
    /// # Errors
    /// Not implemented yet: always a `BadRequestException` saying so.
    pub fn put_rest_api(&self, _id: &str, _body: &[u8], _mode: &str) -> Result<Value, ApiError> {
        Err(not_yet())
    }

    /// `GetExport` (`GET /restapis/{id}/stages/{stage}/exports/{swagger|oas30}`).
    ///
    /// # Errors
    /// Not implemented yet: always a `BadRequestException` saying so.
    pub fn get_export(
        &self,
        _id: &str,
        _stage: &str,
        _kind: &str,
        _extensions: Option<&str>,
    ) -> Result<Value, ApiError> {
        Err(not_yet())
    }
}

fn not_yet() -> ApiError {
    ApiError::bad_request("OpenAPI import and export are not implemented yet in apigw-control")
}
