//! The control plane of AWS API Gateway (REST APIs), transport-free: a store of API
//! definitions with AWS's semantics and exact error texts, spoken over API Gateway's own
//! REST-JSON protocol (so `boto3.client("apigateway", endpoint_url=...)` works unchanged),
//! with SigV4 verification, atomic persistence, deployments compiled by [`apigw_mapping`], and
//! OpenAPI import/export.
//!
//! # Example
//! ```
//! use apigw_control::{Config, Store};
//! use serde_json::json;
//!
//! let store = Store::in_memory(Config { auth_disabled: true, ..Config::default() });
//! let call = |method: &str, path: &str, body: serde_json::Value| {
//!     store.handle(method, path, "", &[], body.to_string().as_bytes())
//! };
//! let api = call("POST", "/restapis", json!({"name": "pets"})).json();
//! let (id, root) = (api["id"].as_str().unwrap(), api["rootResourceId"].as_str().unwrap());
//! let m = format!("/restapis/{id}/resources/{root}/methods/GET");
//! call("PUT", &m, json!({"authorizationType": "NONE"}));
//! call("PUT", &format!("{m}/responses/200"), json!({}));
//! call("PUT", &format!("{m}/integration"),
//!      json!({"type": "MOCK", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}}));
//! let r = call("PUT", &format!("{m}/integration/responses/200"),
//!              json!({"selectionPattern": "", "responseTemplates": {"application/json": ""}}));
//! assert_eq!(r.status, 201);
//! assert_eq!(r.json()["responseTemplates"], json!({"application/json": null}));
//!
//! // AWS's error shape: x-amzn-ErrorType + {"message": ...}.
//! let r = call("PUT", &format!("{m}/integration/responses/wrong"), json!({}));
//! assert_eq!((r.status, r.header("x-amzn-ErrorType")), (400, Some("ValidationException")));
//!
//! // Deploy, then route a request the way a gateway does.
//! call("POST", &format!("/restapis/{id}/deployments"), json!({"stageName": "dev"}));
//! let (snapshot, _stage_variables) = store.stage_snapshot(id, "dev").unwrap();
//! let route = snapshot.route("GET", "/").unwrap();
//! assert_eq!(route.method.integration_type, "MOCK");
//! ```
//!
//! # Protocol
//! [`Store::handle`] serves AWS's paths (`POST /restapis`, `PUT
//! /restapis/{id}/resources/{rid}/methods/{m}/integration/responses/{code}`, `PATCH` with
//! `{"patchOperations": [...]}`, …) with AWS's status codes (201 for creates and puts, 202 or
//! 204 for deletes as AWS's model says). Errors carry `x-amzn-ErrorType: <Name>` and
//! `{"message": "..."}`, which botocore turns into `Error.Code` / `Error.Message`. Unknown JSON
//! members are ignored, as AWS's deserializer does; members of the wrong JSON type get AWS's
//! `SerializationException` texts. The typed methods of [`Store`] (`put_integration_response`,
//! …) take the same JSON inputs and are what `handle` calls. Authorizers and request
//! validators are stored (for methods to name and OpenAPI exports to write) but not run: the
//! data plane neither authorizes nor validates requests.
//!
//! # Authentication
//! Requests must carry an `Authorization: AWS4-HMAC-SHA256 ...` header signed for service
//! `apigateway` (any region) with one of [`Config::credentials`]; the embedding program
//! supplies the keys (the `serve` example reads them from the environment). Missing headers
//! get `MissingAuthenticationTokenException`, malformed ones `IncompleteSignatureException`,
//! unknown keys `UnrecognizedClientException`, wrong or expired (±15 min) signatures
//! `InvalidSignatureException`, all 403. [`Config::auth_disabled`] (off by default) skips
//! verification for tests.
//!
//! # Persistence and concurrency
//! [`Store::open`] keeps the definition in `DIR/state.json`. Every change is applied to
//! a copy, written to a temporary file in the same directory, fsynced, renamed over the state
//! file and the directory fsynced; a crash leaves the previous state, and leftover temporary
//! files are removed on open. The store is `Send + Sync`; writers are serialized and each
//! operation is all-or-nothing.
//!
//! # Deployments
//! Every deployment stays a resource (`GetDeployment(s)`, its frozen definition for exports and
//! stages), but deployments that froze the same definition share one copy, in memory and on
//! disk. `state.json` (format 2) holds inline only the definitions of deployments a stage
//! serves; each other distinct definition is written once to `DIR/definitions/<sha256>.json`
//! ([`DEFINITIONS_DIR`]) and referenced by its digest. Format 1 files (every definition
//! inline) still load and are rewritten as format 2 on the next change. Definition files
//! nothing references any more are removed after the state that dropped them is saved. Compiled
//! snapshots are kept only for deployments a stage points at
//! ([`Store::compiled_snapshot_count`]); pointing a stage at an older deployment compiles it
//! again on first use. Redeploying an unchanged API therefore costs a few hundred bytes of
//! state per deployment, and neither memory nor deploy time grows with the number of earlier
//! deployments.
//!
//! # Limits
//! Request bodies above [`Config::max_body_bytes`] (6 MiB) get a 413
//! `RequestEntityTooLargeException`. Identifiers in paths are percent-decoded and only ever
//! used as map keys, never as file names.
#![deny(missing_docs)]

mod authorizers;
mod deploy;
mod error;
mod ids;
mod input;
mod model;
mod openapi;
mod ops;
mod patch;
mod protocol;
mod sigv4;
mod store;
mod validate;
mod validators;

pub use deploy::{DeployedMethod, RouteMatch, Snapshot};
pub use error::{ApiError, ErrorKind};
pub use openapi::parse_document as parse_openapi;
pub use ops::JsonInput;
pub use protocol::Response;
pub use store::{Config, Credentials, DEFINITIONS_DIR, LOCK_FILE, STATE_FILE, Store};

#[cfg(test)]
mod tests;
