//! The control plane of AWS API Gateway (REST APIs), transport-free: a store of API
//! definitions with AWS's semantics and exact error texts, spoken over API Gateway's own
//! REST-JSON protocol (so `boto3.client("apigateway", endpoint_url=...)` works), with SigV4
//! verification, atomic persistence and deployments compiled by [`apigw_mapping`].
#![deny(missing_docs)]

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

pub use deploy::{DeployedMethod, RouteMatch, Snapshot};
pub use error::{ApiError, ErrorKind};
pub use ops::JsonInput;
pub use protocol::Response;
pub use store::{Config, Credentials, STATE_FILE, Store};

#[cfg(test)]
mod tests;
