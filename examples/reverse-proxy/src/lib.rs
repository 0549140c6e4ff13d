//! `apigw-proxy`: a reverse proxy on hyper 1.x that serves a REST API the way AWS API Gateway
//! does, with the response side mapped byte for byte by [`apigw_mapping`] and the definition
//! managed through [`apigw_control`]'s AWS-compatible admin API.
//!
//! - **Routing**: `/{stage}/{path}` onto the deployed resources of the served REST API
//!   (literal segments, `{param}`, `{proxy+}`, `ANY`); path parameters, query string,
//!   headers, stage variables and `$context` reach the mapping. No route → 403
//!   `{"message":"Missing Authentication Token"}`.
//! - **Integrations**: MOCK, HTTP (pooled hyper-util client, backend answer buffered up to
//!   10 MB and mapped by [`apigw_mapping::CompiledIntegration::apply`]), HTTP_PROXY (both
//!   bodies streamed untouched), Lambda non-proxy and Lambda proxy (AWS_PROXY) through the
//!   Lambda Invoke REST API (SigV4-signed when credentials are configured). HTTP bodies that
//!   no mapping reads or converts stream through untouched.
//! - **Admin API**: [`apigw_control::Store::handle`] on its own listener; every successful
//!   change rebuilds the routes and swaps them atomically (`arc-swap`): a request keeps the
//!   deployment it started with.
//! - **Errors**: integration timeout → 504 `{"message": "Endpoint request timed out"}`;
//!   unreachable or resetting backends and oversize integration responses → 500
//!   `{"message": "Internal server error"}`; oversize method requests → 413; each logged
//!   with the request id.
//! - **Shutdown**: [`RunningGateway::shutdown`] stops accepting and drains in-flight
//!   requests (the binary calls it on Ctrl-C / SIGTERM).
//!
//! # Example
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use apigw_control::{Config, Store};
//! use apigw_proxy::{GatewayConfig, start};
//!
//! let store = Arc::new(Store::in_memory(Config::default()));
//! let gateway = start(store, GatewayConfig::default()).await?;
//! println!("data plane on {}, admin on {:?}", gateway.addr, gateway.admin_addr);
//! gateway.shutdown().await;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod context;
pub mod demo;
pub mod errors;
mod gateway;
pub mod sigv4;

pub use gateway::{
    Body, BoxError, GatewayConfig, MAX_PAYLOAD_BYTES, MIN_HEADER_BYTES, RunningGateway, start,
};
