//! `apigw-proxy`: a reverse proxy on hyper 1.x that serves a REST API the way AWS API Gateway
//! does, with the response side mapped byte for byte by [`apigw_mapping`] and the definition
//! managed through [`apigw_control`]'s AWS-compatible admin API.
//!
//! - **Routing**: `/{stage}/{path}` onto the deployed resources of the served REST API
//!   (literal segments, `{param}`, `{proxy+}`, `ANY`); path parameters, query string,
//!   headers, stage variables and `$context` reach the mapping. No route → 403
//!   `{"message":"Missing Authentication Token"}`.
//! - **Integrations**: MOCK, HTTP (pooled hyper-util client, backend answer buffered up to
//!   10 MB and mapped by [`apigw_mapping::CompiledIntegration::apply`]; `requestOverride`
//!   from a request template applied to the backend request), HTTP_PROXY (both
//!   bodies streamed untouched), Lambda non-proxy and Lambda proxy (AWS_PROXY) through the
//!   Lambda Invoke REST API (SigV4-signed when credentials are configured). HTTP bodies that
//!   no mapping reads or converts stream through untouched.
//! - **Admin API**: [`apigw_control::Store::handle`] on its own listener; every successful
//!   change rebuilds the routes and swaps them atomically (`arc-swap`): a request keeps the
//!   deployment it started with.
//! - **Errors**: integration timeout → 504 `{"message": "Endpoint request timed out"}`;
//!   unreachable or resetting backends and oversize integration responses → 500
//!   `{"message": "Internal server error"}`; oversize method requests → 413; unreadable
//!   method request bodies → 400; each logged with the request id. When the API customises
//!   the matching gateway response (or `DEFAULT_4XX` / `DEFAULT_5XX`), that answers instead.
//! - **Budgets**: payload size ([`GatewayConfig::max_payload_bytes`]), header count and head
//!   size ([`GatewayConfig::max_headers`], [`GatewayConfig::max_header_bytes`]), admin body
//!   size ([`apigw_control::Config::max_body_bytes`]); template and pattern budgets are the
//!   engines' defaults.
//! - **Backends**: `http://` and `https://` (rustls with the `ring` provider, Mozilla's roots
//!   plus [`GatewayConfig::backend_ca_pem`]).
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
    Body, BoxError, GatewayConfig, INTEGRATION_BUFFER_BYTES, MAX_PAYLOAD_BYTES, MIN_HEADER_BYTES,
    RunningGateway, UNKNOWN_LENGTH_CHARGE, start,
};
