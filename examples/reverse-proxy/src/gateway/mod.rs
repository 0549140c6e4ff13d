//! The servers (data plane and admin API), routing and the integrations.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use apigw_control::{DeployedMethod, Snapshot, Store};
use apigw_mapping::{
    BackendResponse, BinaryMediaTypes, ContextId, IntegrationKind, MethodResponse, RenderedRequest,
    RequestContext,
};
use arc_swap::ArcSwap;
use bytes::Bytes;
use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, Version};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

mod budget;
mod connector;
mod drain;
mod lambda_proxy;
mod plan;
mod pool;
mod upstream;

use crate::context::{self, Clock, ContextInput, RequestIds};
use crate::errors::GatewayError;
use crate::sigv4::{self, AwsCredentials, SigningInput};
use budget::{ByteBudget, Share};
use connector::BackendConnector;
use lambda_proxy::{proxy_event, proxy_result};
use plan::{MethodPlan, StagePlan};
use upstream::{
    UpstreamPlan, backend_headers, build_http_request, hop_by_hop, method_traits,
    substitute_stage_variables,
};

/// The error type of response and request bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The body type of every response the proxy sends (buffered or streamed).
pub type Body = BoxBody<Bytes, BoxError>;

/// API Gateway's payload limit (10 MB), for method requests and integration responses.
pub const MAX_PAYLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The default [`GatewayConfig::integration_buffer_bytes`]: 2 MiB (one W3-sized 1 MiB
/// response at a time, hundreds of small ones).
pub const INTEGRATION_BUFFER_BYTES: usize = 2 * 1024 * 1024;

/// What an integration response without `Content-Length` is charged against
/// [`GatewayConfig::integration_buffer_bytes`] (64 KiB).
pub const UNKNOWN_LENGTH_CHARGE: usize = 64 * 1024;

/// The most a backend connection's read buffer grows to (hyper's minimum is 8 KiB).
const CLIENT_READ_BUFFER_BYTES: usize = 16 * 1024;

/// How long an idle backend connection is kept for the next request.
const BACKEND_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The smallest accepted [`GatewayConfig::max_header_bytes`] (hyper's minimum HTTP/1.1
/// buffer size).
pub const MIN_HEADER_BYTES: usize = 8192;

/// How the gateway runs.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The data-plane listener (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// The admin (control-plane) listener; `None` disables the admin API.
    pub admin_listen: Option<SocketAddr>,
    /// The REST API served; `None` serves the first REST API found with a stage (chosen
    /// once, when the first stage appears).
    pub api_id: Option<String>,
    /// Base URL of the Lambda Invoke API (`http://127.0.0.1:9001`); Lambda integrations fail
    /// with a 500 without it.
    pub lambda_endpoint: Option<String>,
    /// Credentials that sign Lambda Invoke calls (unsigned when `None`).
    pub lambda_credentials: Option<AwsCredentials>,
    /// The payload limit (default [`MAX_PAYLOAD_BYTES`]).
    pub max_payload_bytes: usize,
    /// How long shutdown waits for in-flight requests.
    pub shutdown_grace: Duration,
    /// Whether a request carrying `X-Apigw-Explain` gets, instead of the mapped response, a
    /// JSON document with that response and `apply`'s explanation (off by default: operators
    /// enable it with `--explain`).
    pub explain: bool,
    /// The most request headers an HTTP/1.1 request may carry (both listeners); more get
    /// hyper's `431 Request Header Fields Too Large` and the connection is closed. `None`:
    /// hyper's default, 100 (kept on the stack; a set value costs a heap allocation per
    /// request).
    pub max_headers: Option<usize>,
    /// The largest request head (request line and headers) in bytes, at least 8192: hyper's
    /// HTTP/1.1 read buffer (more gets `431` and the connection is closed) and the HTTP/2
    /// `SETTINGS_MAX_HEADER_LIST_SIZE` (more gets a bare 431 on that stream). `None`: hyper's defaults,
    /// 417,792 bytes (HTTP/1.1) and 16,384 bytes (HTTP/2).
    pub max_header_bytes: Option<usize>,
    /// PEM certificates trusted for `https://` backends (and the Lambda endpoint) in addition
    /// to Mozilla's roots (`webpki-roots`), e.g. a private CA or a self-signed certificate.
    pub backend_ca_pem: Option<Vec<u8>>,
    /// The byte budget of integration responses buffered for mapping (HTTP and Lambda
    /// non-proxy), shared by all requests: a response takes its `Content-Length` (or
    /// [`UNKNOWN_LENGTH_CHARGE`] without one; at most the whole budget) from the budget before
    /// it is read, and gives it back once the mapped response has been sent. Responses that
    /// do not fit wait (within the integration timeout), so memory stays bounded however many
    /// connections there are. Streamed bodies (HTTP_PROXY, untouched bodies) are not charged.
    /// `0` disables the budget. Default [`INTEGRATION_BUFFER_BYTES`].
    pub integration_buffer_bytes: usize,
}

impl Default for GatewayConfig {
    fn default() -> GatewayConfig {
        GatewayConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            admin_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            api_id: None,
            lambda_endpoint: None,
            lambda_credentials: None,
            max_payload_bytes: MAX_PAYLOAD_BYTES,
            shutdown_grace: Duration::from_secs(30),
            explain: false,
            max_headers: None,
            max_header_bytes: None,
            backend_ca_pem: None,
            integration_buffer_bytes: INTEGRATION_BUFFER_BYTES,
        }
    }
}

/// One stage of the served API.
#[derive(Debug)]
struct StageRoute {
    snapshot: Arc<Snapshot>,
    variables: Vec<(String, String)>,
    /// The API's `binaryMediaTypes` at deployment.
    binary_media_types: BinaryMediaTypes,
    /// The router and, per method, what was decided at deployment (integration kind, whether
    /// its integration responses leave the body untouched and whether its mapping may read
    /// `$context`, the backend request template).
    plan: StagePlan,
    /// The gateway responses the API customises (directly or through `DEFAULT_4XX` /
    /// `DEFAULT_5XX`) for the proxy's own errors, by response type.
    host_responses: HashMap<&'static str, apigw_mapping::HostGatewayResponse>,
}

/// What the data plane routes on: the stages of the served API, swapped as a whole.
#[derive(Debug, Default)]
struct Routes {
    api_id: String,
    stages: HashMap<String, Arc<StageRoute>>,
}

impl Routes {
    /// The stage named `name`: compared name by name when there are few stages (cheaper
    /// than hashing the name with SipHash), looked up otherwise.
    fn stage(&self, name: &str) -> Option<&Arc<StageRoute>> {
        if self.stages.len() <= 8 {
            self.stages
                .iter()
                .find(|(k, _)| k.as_str() == name)
                .map(|(_, v)| v)
        } else {
            self.stages.get(name)
        }
    }
}

#[derive(Debug)]
struct Shared {
    store: Arc<Store>,
    routes: ArcSwap<Routes>,
    /// Serializes route rebuilds so the last one stored is built from the newest state; holds
    /// the served REST API once known.
    refresh_lock: Mutex<Option<String>>,
    client: Client<HttpsConnector<BackendConnector>, Body>,
    /// Keep-alive connections to the planned plain-HTTP origins (the other backends go
    /// through `client`).
    pools: pool::Pools,
    /// [`GatewayConfig::integration_buffer_bytes`]; `None` when disabled.
    buffer_budget: Option<BufferBudget>,
    config: GatewayConfig,
    /// Set when shutdown starts.
    draining: AtomicBool,
}

/// A running gateway: its addresses and a handle to stop it.
#[derive(Debug)]
pub struct RunningGateway {
    /// The data-plane address.
    pub addr: SocketAddr,
    /// The admin API address.
    pub admin_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    shared: Arc<Shared>,
}

impl RunningGateway {
    /// Stops accepting connections and waits for in-flight requests (up to
    /// [`GatewayConfig::shutdown_grace`]).
    pub async fn shutdown(self) {
        self.shared.draining.store(true, Ordering::Release);
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Binds the listeners and starts serving `store` (the routes are built from its stages now
/// and rebuilt after every successful admin change).
///
/// # Errors
/// When a listener cannot be bound, or [`GatewayConfig::backend_ca_pem`] holds no valid
/// certificate.
pub async fn start(store: Arc<Store>, config: GatewayConfig) -> io::Result<RunningGateway> {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(Duration::from_secs(10)));
    connector.enforce_http(false);
    let pools = pool::Pools::new(
        connector.clone(),
        BACKEND_IDLE_TIMEOUT,
        CLIENT_READ_BUFFER_BYTES,
    );
    let tls = tls_config(config.backend_ca_pem.as_deref())?;
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(BackendConnector(connector));
    let client = Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(BACKEND_IDLE_TIMEOUT)
        // A backend response waiting for the buffering budget holds at most this much of its
        // body in the connection's read buffer (hyper's default grows to ~408 KiB).
        .http1_max_buf_size(CLIENT_READ_BUFFER_BYTES)
        .build(connector);
    let shared = Arc::new(Shared {
        store,
        routes: ArcSwap::from_pointee(Routes::default()),
        refresh_lock: Mutex::new(None),
        client,
        pools,
        buffer_budget: BufferBudget::new(config.integration_buffer_bytes),
        config: config.clone(),
        draining: AtomicBool::new(false),
    });
    shared.refresh_routes();
    // Closes idle backend connections of origins that get no traffic (a pool only looks at
    // its connections when a request takes or returns one); ends with the gateway.
    let sweeping = Arc::downgrade(&shared);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(pool::Pools::SWEEP_EVERY).await;
            let Some(shared) = sweeping.upgrade() else {
                break;
            };
            shared.pools.sweep();
        }
    });

    let (tx, rx) = watch::channel(false);
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let mut tasks = Vec::new();
    let data = Arc::clone(&shared);
    tasks.push(tokio::spawn(serve_loop(
        listener,
        rx.clone(),
        config.clone(),
        move |peer| {
            let shared = Arc::clone(&data);
            move |req| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, Infallible>(shared.serve(req, peer).await) }
            }
        },
    )));
    let mut admin_addr = None;
    if let Some(a) = config.admin_listen {
        let listener = TcpListener::bind(a).await?;
        admin_addr = Some(listener.local_addr()?);
        let admin = Arc::clone(&shared);
        tasks.push(tokio::spawn(serve_loop(
            listener,
            rx,
            config.clone(),
            move |_peer| {
                let shared = Arc::clone(&admin);
                move |req| {
                    let shared = Arc::clone(&shared);
                    async move { Ok::<_, Infallible>(shared.admin(req).await) }
                }
            },
        )));
    }
    Ok(RunningGateway {
        addr,
        admin_addr,
        shutdown: tx,
        tasks,
        shared,
    })
}

/// The TLS client configuration of HTTPS backends: rustls with the `ring` provider, TLS 1.2
/// and 1.3, Mozilla's root certificates (`webpki-roots`) plus the PEM certificates of
/// `extra_ca`.
fn tls_config(extra_ca: Option<&[u8]>) -> io::Result<rustls::ClientConfig> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let invalid = |e: String| io::Error::new(io::ErrorKind::InvalidData, e);
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra_ca {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| invalid(format!("backend CA: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| invalid(format!("backend CA: {e}")))?;
            added += 1;
        }
        if added == 0 {
            return Err(invalid("backend CA: no PEM certificate found".into()));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Accepts connections (HTTP/1.1 and h2) until shutdown, then drains them gracefully.
async fn serve_loop<M, S, F>(
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
    config: GatewayConfig,
    make_service: M,
) where
    M: Fn(SocketAddr) -> S,
    S: Fn(Request<Incoming>) -> F + Send + 'static,
    F: Future<Output = Result<Response<Body>, Infallible>> + Send + 'static,
{
    let drain = Arc::new(drain::Drain::default());
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // A timer enables hyper's HTTP/1 header read timeout (30 s) and HTTP/2 keep-alive.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30));
    if let Some(n) = config.max_headers {
        builder.http1().max_headers(n);
    }
    if let Some(n) = config.max_header_bytes {
        // hyper panics below its minimum buffer size.
        let n = n.max(MIN_HEADER_BYTES);
        builder.http1().max_buf_size(n);
        builder
            .http2()
            .max_header_list_size(u32::try_from(n).unwrap_or(u32::MAX));
    }
    builder.http2().timer(TokioTimer::new());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = service_fn(make_service(peer));
                let conn = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .into_owned();
                let registration = drain.register();
                tokio::spawn(async move {
                    let conn = std::pin::pin!(conn);
                    let served = registration.serve(conn, |c| c.graceful_shutdown()).await;
                    if let Err(e) = served {
                        debug!(error = %e, %peer, "connection ended with an error");
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = drain.shutdown() => {}
        () = tokio::time::sleep(config.shutdown_grace) => warn!("shutdown grace period over; closing connections"),
    }
}

/// A buffered body.
/// Applies `$context.requestOverride.header.*` from a request template to the backend call;
/// a rendered body replaces the client's, so its `Content-Length` is recomputed by hyper.
fn apply_request_override(headers: &mut http::HeaderMap, rendered: &RenderedRequest) {
    headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &rendered.request_override.headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            headers.insert(n, v);
        }
    }
}

/// An HTTP integration whose method has no upstream plan (cannot happen: every HTTP and
/// HTTP_PROXY method is planned).
fn no_upstream_plan() -> IntegrationError {
    IntegrationError::config("HTTP integration without a backend request plan")
}

fn full(bytes: Bytes) -> Body {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

/// Why an integration produced no backend answer.
#[derive(Debug)]
enum IntegrationError {
    Timeout,
    Gateway(GatewayError, String),
}

impl IntegrationError {
    fn config(detail: impl Into<String>) -> IntegrationError {
        IntegrationError::Gateway(GatewayError::ConfigurationError, detail.into())
    }
}

/// What `$context` is built from, once a stage is found.
struct RequestFacts<'a> {
    parts: &'a http::request::Parts,
    api_id: &'a str,
    stage: &'a str,
    stage_route: &'a StageRoute,
    http_method: &'a str,
    raw_path: &'a str,
    version: Version,
    peer: SocketAddr,
    /// `requestId`, `extendedRequestId`.
    ids: (&'a str, &'a str),
}

/// The per-request facts the integrations need.
struct Invocation<'a> {
    method: &'a DeployedMethod,
    ctx: RequestContext,
    client_method: Method,
    raw_query: Option<&'a str>,
    client_headers: &'a HeaderMap,
    plan: &'a MethodPlan,
    peer: SocketAddr,
    stage: &'a StageRoute,
    /// The connection stays open after the answer: a mapped response ends with
    /// `Connection: keep-alive` ([`apigw_mapping::CompiledIntegration::apply_with_keep_alive`]).
    keep_alive: bool,
}

impl Shared {
    /// Rebuilds the routes from the store's stages and swaps them in atomically.
    fn refresh_routes(&self) {
        let mut served = self
            .refresh_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if served.is_none() {
            *served = self.config.api_id.clone().or_else(|| {
                let apis = self.store.get_rest_apis().ok()?;
                apis["item"]
                    .as_array()?
                    .iter()
                    .filter_map(|a| a["id"].as_str())
                    .find(|id| !self.stage_names(id).is_empty())
                    .map(str::to_owned)
            });
        }
        let api_id = served.clone().unwrap_or_default();
        let previous = self.routes.load();
        let mut stages = HashMap::new();
        for stage in self.stage_names(&api_id) {
            match self.stage_route(&api_id, &stage) {
                Ok(route) => {
                    stages.insert(stage, Arc::new(route));
                }
                Err(e) => {
                    warn!(%stage, error = %e.message(), "stage could not be compiled; previous routes kept");
                    if let Some(old) = previous.stages.get(&stage) {
                        stages.insert(stage, Arc::clone(old));
                    }
                }
            }
        }
        info!(api_id = %api_id, stages = ?stages.keys().collect::<Vec<_>>(), "routes updated");
        self.routes.store(Arc::new(Routes { api_id, stages }));
    }

    /// The stage names of a REST API (none when it does not exist).
    fn stage_names(&self, api: &str) -> Vec<String> {
        self.store
            .get_stages(api, None)
            .ok()
            .and_then(|v| {
                v["item"].as_array().map(|a| {
                    a.iter()
                        .filter_map(|s| s["stageName"].as_str().map(str::to_owned))
                        .collect()
                })
            })
            .unwrap_or_default()
    }

    /// One stage: its snapshot, variables, and which methods leave the body untouched
    /// (read from the stage's export, which describes the same deployment; retried if a
    /// deployment lands in between).
    fn stage_route(&self, api: &str, stage: &str) -> Result<StageRoute, apigw_control::ApiError> {
        loop {
            let (snapshot, vars) = self.store.stage_snapshot(api, stage)?;
            let export = self
                .store
                .get_export(api, stage, "oas30", Some("integrations"))?;
            let (again, _) = self.store.stage_snapshot(api, stage)?;
            if again.deployment_id != snapshot.deployment_id {
                continue;
            }
            for m in snapshot.methods() {
                let kind = IntegrationKind::from_aws(&m.integration_type, m.uri.as_deref());
                // HTTP, Lambda and MOCK request templates are rendered; other AWS services
                // are not supported by this proxy at all.
                let renders_elsewhere = matches!(kind, Some(IntegrationKind::Aws));
                let has_templates = m
                    .request_templates
                    .values()
                    .any(|t| t.as_str().is_some_and(|t| !t.is_empty()));
                if renders_elsewhere && has_templates {
                    warn!(%stage, method = %m.http_method, resource = %m.resource_path,
                          "request templates are not rendered for this integration type by apigw-proxy; the method request body is passed through");
                }
            }
            let variables: Vec<(String, String)> = vars
                .into_iter()
                .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned()))
                .collect();
            let host_responses =
                host_gateway_responses(&snapshot, stage, &self.store.config().engine_limits);
            let traits = method_traits(&export, snapshot.methods());
            let mut plan = StagePlan::new(&snapshot, &traits, &variables, api);
            plan.attach_pools(&self.pools);
            return Ok(StageRoute {
                host_responses,
                binary_media_types: BinaryMediaTypes::new(&snapshot.binary_media_types),
                plan,
                snapshot,
                variables,
            });
        }
    }

    /// The admin API: apigw-control's REST-JSON protocol; successful changes rebuild the
    /// routes (a new deployment is live for the next request).
    async fn admin(self: Arc<Self>, req: Request<Incoming>) -> Response<Body> {
        let (parts, body) = req.into_parts();
        let limit = self.store.config().max_body_bytes;
        // An oversize body is refused from its `Content-Length`, or as soon as reading it
        // passes the limit: it is never buffered whole.
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(n) = declared.filter(|n| *n > limit as u64) {
            return admin_error(&apigw_control::ApiError::new(
                apigw_control::ErrorKind::RequestTooLarge,
                format!("Request body of {n} bytes exceeds the limit of {limit} bytes"),
            ));
        }
        let body = match Limited::new(body, limit.saturating_add(1)).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                return admin_error(&apigw_control::ApiError::new(
                    apigw_control::ErrorKind::RequestTooLarge,
                    format!(
                        "Request body of more than {limit} bytes exceeds the limit of {limit} bytes"
                    ),
                ));
            }
            Err(e) => {
                return admin_error(&apigw_control::ApiError::bad_request(format!(
                    "Unable to read the request body: {e}"
                )));
            }
        };
        let headers: Vec<(String, String)> = header_pairs(&parts.headers, None);
        let method = parts.method.as_str().to_owned();
        let path = parts.uri.path().to_owned();
        let query = parts.uri.query().unwrap_or("").to_owned();
        let shared = Arc::clone(&self);
        let result = tokio::task::spawn_blocking(move || {
            let before = shared.store.generation();
            let r = shared.store.handle(&method, &path, &query, &headers, &body);
            if shared.store.generation() != before {
                shared.refresh_routes();
            }
            r
        })
        .await;
        let r = match result {
            Ok(r) => r,
            Err(e) => {
                warn!(error = %e, "admin request panicked");
                return Response::builder()
                    .status(500)
                    .body(full(Bytes::from_static(
                        b"{\"message\":\"Internal error\"}",
                    )))
                    .unwrap_or_default();
            }
        };
        let mut resp = Response::new(full(Bytes::from(r.body)));
        *resp.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK);
        for (n, v) in r.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(n.as_bytes()),
                HeaderValue::from_str(&v),
            ) {
                resp.headers_mut().append(n, v);
            }
        }
        resp
    }

    /// The data plane: the mapped response plus `Connection: keep-alive`.
    async fn serve(self: Arc<Self>, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        // Whether the connection stays open after this answer, as known now: a mapped
        // response then gets `Connection: keep-alive` laid out with its other headers.
        let stays_open = req.version() == Version::HTTP_11
            && !client_closes(req.headers())
            && !self.draining.load(Ordering::Acquire);
        let mut resp = Arc::clone(&self)
            .route_and_invoke(req, peer, stays_open)
            .await;
        // Shutdown may have started meanwhile.
        let draining = self.draining.load(Ordering::Acquire);
        keep_alive(resp.headers_mut(), stays_open && !draining);
        resp
    }

    /// Routing and the integration.
    async fn route_and_invoke(
        self: Arc<Self>,
        req: Request<Incoming>,
        peer: SocketAddr,
        keep_alive: bool,
    ) -> Response<Body> {
        let request_ids = RequestIds::new();
        let request_id = request_ids.request_id();
        let extended_id = request_ids.extended_request_id();
        // The routes this request started with: a deployment swapped in meanwhile does not
        // affect it.
        let routes = self.routes.load_full();
        let (parts, body) = req.into_parts();
        let version = parts.version;
        let http_method = parts.method.as_str();
        let raw_path = parts.uri.path();
        // Not origin-form (`CONNECT host:443`, `OPTIONS *`): no stage can match.
        let Some(after_slash) = raw_path.strip_prefix('/') else {
            info!(%request_id, method = %http_method, path = %raw_path, "not a path");
            return gateway_response(
                GatewayError::MissingAuthenticationToken,
                request_id,
                extended_id,
            );
        };
        let (stage, rest) = match after_slash.split_once('/') {
            Some((s, _)) => (s, &after_slash[s.len()..]),
            None => (after_slash, "/"),
        };
        let Some(stage_route) = routes.stage(stage) else {
            info!(%request_id, method = %http_method, path = %raw_path, "no such stage");
            return gateway_response(
                GatewayError::MissingAuthenticationToken,
                request_id,
                extended_id,
            );
        };
        let ids = (request_id, extended_id);
        let facts = RequestFacts {
            parts: &parts,
            api_id: &routes.api_id,
            stage,
            stage_route,
            http_method,
            raw_path,
            version,
            peer,
            ids,
        };
        let routed = stage_route.plan.route(http_method, rest);
        let found = routed.as_ref().and_then(|r| {
            let plan = stage_route.plan.method(r.index)?;
            let m = stage_route.plan.deployed(&stage_route.snapshot, r.index)?;
            Some((plan, m))
        });
        let (Some(routed), Some((plan, m))) = (routed, found) else {
            info!(%request_id, method = %http_method, path = %raw_path, "no such resource or method");
            let ctx = self.request_context(&facts, None, Vec::new(), true, None);
            return host_error(GatewayError::MissingAuthenticationToken, stage_route, &ctx);
        };
        let path_parameters = routed.path_parameters;
        let kind = plan.kind;
        // `$context` in full when a mapping may read it, a customised gateway response may
        // render it, or it becomes part of a Lambda proxy event; else just the request ids.
        let full_context = plan.traits.reads_context
            || !stage_route.host_responses.is_empty()
            || !matches!(
                kind,
                Some(IntegrationKind::Http | IntegrationKind::HttpProxy | IntegrationKind::Mock)
            );
        // Only the headers something may read, unless `$context` is whole (a Lambda proxy
        // event or a customised gateway response may read any).
        let headers_read = if full_context {
            None
        } else {
            plan.request_headers.as_deref()
        };
        let ctx =
            self.request_context(&facts, Some(m), path_parameters, full_context, headers_read);
        // The error responses need the request after the integration consumed it, when the
        // API customises them.
        let error_ctx = (!stage_route.host_responses.is_empty()).then(|| ctx.clone());
        let on_error = |e: GatewayError, ctx: &RequestContext| host_error(e, stage_route, ctx);

        let declared_len = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared_len.is_some_and(|n| n > self.config.max_payload_bytes as u64) {
            warn!(%request_id, length = ?declared_len, "method request body too large");
            return on_error(GatewayError::RequestTooLarge, &ctx);
        }

        let inv = Invocation {
            method: m,
            ctx,
            client_method: parts.method.clone(),
            raw_query: parts.uri.query(),
            client_headers: &parts.headers,
            plan,
            peer,
            stage: stage_route,
            keep_alive,
        };
        if kind.is_some_and(IntegrationKind::is_mapped) && rejects_media_type(m, plan, &inv.ctx) {
            info!(%request_id, content_type = ?inv.ctx.header("content-type"),
                  passthrough_behavior = %m.passthrough_behavior, "no request template for the content type");
            return on_error(GatewayError::UnsupportedMediaType, &inv.ctx);
        }
        let timeout = plan.timeout;
        let result = match kind {
            Some(IntegrationKind::Mock) => self.mock(inv, body).await,
            Some(IntegrationKind::Http) => self.http(inv, body, timeout).await,
            Some(IntegrationKind::HttpProxy) => self.http_proxy(inv, body, timeout).await,
            Some(IntegrationKind::Lambda) => self.lambda(inv, body, timeout).await,
            Some(IntegrationKind::AwsProxy) => self.lambda_proxy(inv, body, timeout).await,
            _ => Err(IntegrationError::config(format!(
                "integration type {} is not supported by this proxy",
                m.integration_type
            ))),
        };
        match result {
            Ok(resp) => {
                debug!(%request_id, status = resp.status().as_u16(), "method completed");
                resp
            }
            Err(IntegrationError::Timeout) => {
                warn!(%request_id, timeout_ms = m.timeout_in_millis, resource = %m.resource_path, "Execution failed due to a timeout error");
                error_response(
                    GatewayError::IntegrationTimeout,
                    stage_route,
                    error_ctx.as_ref(),
                    ids,
                )
            }
            Err(IntegrationError::Gateway(e, detail)) => {
                warn!(%request_id, resource = %m.resource_path, %detail, "Execution failed");
                error_response(e, stage_route, error_ctx.as_ref(), ids)
            }
        }
    }

    /// The method request as the mapping sees it: headers, query string, path parameters,
    /// stage variables and `$context` (without a method: an unrouted request, for its
    /// gateway response). `headers_read`: the only headers to copy besides those the proxy
    /// reads ([`READ_BY_THE_PROXY`]); `None`: all.
    fn request_context(
        &self,
        f: &RequestFacts<'_>,
        method: Option<&DeployedMethod>,
        path_parameters: Vec<(String, String)>,
        full_context: bool,
        headers_read: Option<&[String]>,
    ) -> RequestContext {
        let parts = f.parts;
        let headers: Vec<(String, String)> = header_pairs(&parts.headers, headers_read);
        let query_string = match parts.uri.query() {
            Some(q) => context::query_pairs(q),
            None => Vec::new(),
        };
        if !full_context {
            return RequestContext {
                headers,
                query_string,
                path_parameters,
                stage_variables: f.stage_route.variables.clone(),
                // Only the ids (what API Gateway's headers carry), typed: no map entry, no
                // heap allocation.
                context: serde_json::Map::new(),
                request_id: Some(ContextId::new(f.ids.0)),
                extended_request_id: Some(ContextId::new(f.ids.1)),
                body: Bytes::new(),
            };
        }
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| parts.uri.authority().map(http::uri::Authority::as_str))
            .unwrap_or("localhost");
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok());
        let source_ip = f.peer.ip().to_string();
        let context = context::context_object(&ContextInput {
            request_id: f.ids.0,
            extended_request_id: f.ids.1,
            api_id: f.api_id,
            account_id: &self.store.config().account_id,
            stage: f.stage,
            deployment_id: &f.stage_route.snapshot.deployment_id,
            http_method: f.http_method,
            resource_id: method.map_or("", |m| m.resource_id.as_str()),
            resource_path: method.map_or("", |m| m.resource_path.as_str()),
            path: f.raw_path,
            domain_name: host,
            protocol: if f.version == Version::HTTP_2 {
                "HTTP/2.0"
            } else {
                "HTTP/1.1"
            },
            source_ip: &source_ip,
            user_agent,
            // When the request arrived (routing took a few microseconds): read only for a
            // full `$context`.
            clock: Clock::now(),
        });
        RequestContext {
            headers,
            query_string,
            path_parameters,
            stage_variables: f.stage_route.variables.clone(),
            // The ids are in `context`, in their place among its fields.
            context,
            request_id: None,
            extended_request_id: None,
            body: Bytes::new(),
        }
    }

    /// Maps a buffered backend answer (`apply`, or `apply_rendered` after a request template).
    /// With `--explain` and an `X-Apigw-Explain` request header, answers a JSON document with
    /// the mapped response and its explanation instead (also logged at debug level).
    fn finish(
        &self,
        inv: &Invocation<'_>,
        backend: &BackendResponse,
        rendered: Option<&RenderedRequest>,
        share: Option<Share>,
    ) -> Response<Body> {
        let compiled = &inv.method.compiled;
        let explain = self.config.explain && inv.ctx.header("x-apigw-explain").is_some();
        if inv.keep_alive && !explain {
            let out = compiled.apply_with_keep_alive(backend, &inv.ctx, rendered);
            return held_response(out, &inv.ctx, share);
        }
        let out = match rendered {
            Some(r) => compiled.apply_rendered(backend, &inv.ctx, r),
            None => compiled.apply(backend, &inv.ctx),
        };
        if !explain {
            return held_response(out, &inv.ctx, share);
        }
        let (_, why) = compiled.apply_explained(backend, &inv.ctx);
        let headers: Vec<serde_json::Value> = out
            .headers
            .iter()
            .map(|(n, v)| serde_json::json!([n.as_str(), String::from_utf8_lossy(v.as_bytes())]))
            .collect();
        let doc = serde_json::json!({
            "response": {
                "status": out.status,
                "headers": headers,
                "body": String::from_utf8_lossy(&out.body),
            },
            "explanation": why,
        });
        debug!(request_id = ?inv.ctx.context_str("requestId"), explanation = %doc, "explain");
        let mut resp = Response::new(full(Bytes::from(doc.to_string())));
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        hold_until_sent(resp, share)
    }

    /// Buffers a method request body up to the payload limit.
    async fn read_request_body(&self, body: Incoming) -> Result<Bytes, IntegrationError> {
        match Limited::new(body, self.config.max_payload_bytes)
            .collect()
            .await
        {
            Ok(b) => Ok(b.to_bytes()),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(IntegrationError::Gateway(
                GatewayError::RequestTooLarge,
                "method request body larger than the payload limit".into(),
            )),
            Err(e) => Err(IntegrationError::Gateway(
                GatewayError::BadRequestBody,
                format!("reading the method request body: {e}"),
            )),
        }
    }

    async fn mock(
        &self,
        mut inv: Invocation<'_>,
        body: Incoming,
    ) -> Result<Response<Body>, IntegrationError> {
        inv.ctx.body = self.read_request_body(body).await?;
        Ok(self.finish(&inv, &BackendResponse::new(200, Bytes::new()), None, None))
    }

    /// HTTP (non-proxy): the method request body streams to the backend; the backend answer
    /// is buffered (up to the payload limit) and mapped by `apply`.
    async fn http(
        &self,
        mut inv: Invocation<'_>,
        body: Incoming,
        timeout: Duration,
    ) -> Result<Response<Body>, IntegrationError> {
        // A request template needs the whole body; without one the body streams untouched.
        let templated =
            !inv.plan.no_request_templates && inv.method.compiled.has_request_template(&inv.ctx);
        let (rendered, upstream_body) = if templated {
            inv.ctx.body = self.read_request_body(body).await?;
            match inv.method.compiled.render_request(&inv.ctx) {
                Ok(Some(r)) => {
                    let b = full(r.body.clone());
                    (Some(r), b)
                }
                Ok(None) => (None, full(inv.ctx.body.clone())),
                Err(failure) => {
                    let out = inv.method.compiled.failure_response(&inv.ctx, failure);
                    return Ok(mapped_response(out, &inv.ctx));
                }
            }
        } else {
            (None, self.limited(body))
        };
        let overrides = rendered.as_ref().map(|r| &r.request_override);
        let plan = inv.plan.upstream.as_ref().ok_or_else(no_upstream_plan)?;
        let mut upstream = build_http_request(&inv, plan, false, upstream_body, overrides)?;
        if let Some(r) = &rendered {
            apply_request_override(upstream.headers_mut(), r);
        }
        let limit = self.config.max_payload_bytes;
        let pending = self.send_upstream(plan, upstream);
        let streams = |parts: &http::response::Parts| self.streams_untouched(&inv, parts);
        let budget = self.buffer_budget.as_ref();
        let fetch = async move {
            let (resp, lease) = pending.await?;
            let (parts, body) = resp.into_parts();
            if streams(&parts) {
                return Ok((parts, Fetched::Streamed(pool::LeasedBody::new(body, lease))));
            }
            // The share is taken once the head is in (a slow backend holds none); a response
            // waiting for it holds only its head and at most the client's read buffer.
            let share = match budget {
                Some(b) => Some(b.reserve(hyper::body::Body::size_hint(&body).exact()).await),
                None => None,
            };
            let bytes = collect_limited(body, limit).await?;
            if let Some(lease) = lease {
                lease.release();
            }
            Ok::<_, IntegrationError>((parts, Fetched::Buffered(bytes, share)))
        };
        let (mut parts, fetched) = tokio::time::timeout(timeout, fetch)
            .await
            .map_err(|_| IntegrationError::Timeout)??;
        let mut backend = BackendResponse {
            status: parts.status.as_u16(),
            headers: backend_headers(
                std::mem::take(&mut parts.headers),
                inv.plan.backend_headers.as_ref(),
            ),
            body: Bytes::new(),
            function_error: false,
        };
        match fetched {
            Fetched::Buffered(bytes, share) => {
                backend.body = bytes;
                let resp = self.finish(&inv, &backend, rendered.as_ref(), share);
                drop(backend);
                Ok(resp)
            }
            Fetched::Streamed(body) => {
                // Status and headers do not depend on the body here (no mapping reads it):
                // `apply` runs on the head, the body streams through untouched.
                let out = inv.method.compiled.apply(&backend, &inv.ctx);
                if out.failure.is_some() {
                    return Ok(mapped_response(out, &inv.ctx));
                }
                debug!(request_id = ?inv.ctx.context_str("requestId"), "streaming the integration response body");
                let mut resp = Response::new(Limited::new(body, limit).boxed());
                *resp.status_mut() = StatusCode::from_u16(out.status).unwrap_or(StatusCode::OK);
                // hyper writes the backend's Content-Length from the body's exact size hint.
                *resp.headers_mut() = out.headers;
                Ok(resp)
            }
        }
    }

    /// Whether an HTTP integration response can stream through untouched: no integration
    /// response of the method reads or converts the body, the payload is binary (so no UTF-8
    /// repair applies) and the client accepts binary (so no base64 encoding applies), and
    /// its declared length is within the payload limit.
    fn streams_untouched(&self, inv: &Invocation<'_>, parts: &http::response::Parts) -> bool {
        if !inv.plan.traits.body_untouched {
            return false;
        }
        let binary = &inv.stage.binary_media_types;
        let payload_binary = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| binary.matches(ct));
        let accept_binary = inv
            .ctx
            .header("accept")
            .is_some_and(|a| binary.matches(apigw_mapping::content::first_accept_media_type(a)));
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        payload_binary
            && accept_binary
            && declared.is_none_or(|n| n <= self.config.max_payload_bytes as u64)
    }

    /// HTTP_PROXY: request and response bodies stream through untouched; hop-by-hop headers
    /// are dropped. The timeout covers the backend's response head.
    async fn http_proxy(
        &self,
        inv: Invocation<'_>,
        body: Incoming,
        timeout: Duration,
    ) -> Result<Response<Body>, IntegrationError> {
        let plan = inv.plan.upstream.as_ref().ok_or_else(no_upstream_plan)?;
        let upstream = build_http_request(&inv, plan, true, self.limited(body), None)?;
        let (resp, lease) = tokio::time::timeout(timeout, self.send_upstream(plan, upstream))
            .await
            .map_err(|_| IntegrationError::Timeout)??;
        let (parts, body) = resp.into_parts();
        let body = pool::LeasedBody::new(body, lease);
        let mut out = Response::new(body.map_err(BoxError::from).boxed());
        *out.status_mut() = parts.status;
        for (n, v) in &parts.headers {
            if !hop_by_hop(n) {
                out.headers_mut().append(n.clone(), v.clone());
            }
        }
        add_request_ids(out.headers_mut(), &inv.ctx);
        Ok(out)
    }

    /// Sends a backend request of an HTTP or HTTP_PROXY integration: on its origin's pool
    /// when the plan has one (the lease goes back once the response body is read), else
    /// with the general client.
    async fn send_upstream(
        &self,
        plan: &UpstreamPlan,
        req: Request<Body>,
    ) -> Result<(Response<Incoming>, Option<pool::Lease>), IntegrationError> {
        match plan.pool() {
            Some(p) => p
                .send(req)
                .await
                .map(|(resp, lease)| (resp, Some(lease)))
                .map_err(|e| backend_failure(&*e)),
            None => self
                .client
                .request(req)
                .await
                .map(|resp| (resp, None))
                .map_err(|e| backend_failure(&e)),
        }
    }

    /// A method request body limited to the payload size, for streaming upstream (an empty
    /// body, as a `GET` has, as a zero-sized body: boxing it allocates nothing).
    fn limited(&self, body: Incoming) -> Body {
        use hyper::body::Body as _;
        if body.is_end_stream() {
            return http_body_util::Empty::new()
                .map_err(|never| match never {})
                .boxed();
        }
        Limited::new(body, self.config.max_payload_bytes).boxed()
    }

    /// Lambda (non-proxy) through the Lambda Invoke REST API.
    async fn lambda(
        &self,
        mut inv: Invocation<'_>,
        body: Incoming,
        timeout: Duration,
    ) -> Result<Response<Body>, IntegrationError> {
        inv.ctx.body = self.read_request_body(body).await?;
        // The request template, if one applies, builds the Invoke payload.
        let rendered = match inv.method.compiled.render_request(&inv.ctx) {
            Ok(r) => r,
            Err(failure) => {
                let out = inv.method.compiled.failure_response(&inv.ctx, failure);
                return Ok(mapped_response(out, &inv.ctx));
            }
        };
        let payload = rendered
            .as_ref()
            .map_or_else(|| inv.ctx.body.clone(), |r| r.body.clone());
        let (mut parts, bytes, share) = self.invoke_lambda(&inv, payload, timeout).await?;
        let function_error = parts.headers.contains_key("x-amz-function-error");
        let backend = BackendResponse {
            status: parts.status.as_u16(),
            headers: backend_headers(
                std::mem::take(&mut parts.headers),
                inv.plan.backend_headers.as_ref(),
            ),
            body: bytes,
            function_error,
        };
        let resp = self.finish(&inv, &backend, rendered.as_ref(), share);
        drop(backend);
        Ok(resp)
    }

    /// AWS_PROXY (Lambda proxy): the request as a proxy event (payload format 1.0), the
    /// function's `{statusCode, headers, multiValueHeaders, body, isBase64Encoded}` as the
    /// response. A function error or a malformed result is a 502, a service error a 500.
    async fn lambda_proxy(
        &self,
        inv: Invocation<'_>,
        body: Incoming,
        timeout: Duration,
    ) -> Result<Response<Body>, IntegrationError> {
        let payload = self.read_request_body(body).await?;
        let event = proxy_event(&inv, &payload);
        let (parts, bytes, share) = self
            .invoke_lambda(&inv, Bytes::from(event.to_string()), timeout)
            .await?;
        if !parts.status.is_success() {
            return Err(IntegrationError::config(format!(
                "Lambda invocation failed with status: {}",
                parts.status.as_u16()
            )));
        }
        if parts.headers.contains_key("x-amz-function-error") {
            return Err(IntegrationError::Gateway(
                GatewayError::BadGateway,
                format!("Lambda function error: {}", String::from_utf8_lossy(&bytes)),
            ));
        }
        let accept_binary = inv.ctx.header("accept").is_some_and(|a| {
            inv.stage
                .binary_media_types
                .matches(apigw_mapping::content::first_accept_media_type(a))
        });
        let mut resp = proxy_result(&bytes, accept_binary).map_err(|detail| {
            IntegrationError::Gateway(
                GatewayError::BadGateway,
                format!("Malformed Lambda proxy response: {detail}"),
            )
        })?;
        add_request_ids(resp.headers_mut(), &inv.ctx);
        drop(bytes);
        Ok(hold_until_sent(resp, share))
    }

    /// Calls the Lambda Invoke API for the method's function; non-2xx answers are logged.
    async fn invoke_lambda(
        &self,
        inv: &Invocation<'_>,
        payload: Bytes,
        timeout: Duration,
    ) -> Result<(http::response::Parts, Bytes, Option<Share>), IntegrationError> {
        let Some(endpoint) = &self.config.lambda_endpoint else {
            return Err(IntegrationError::config(
                "Lambda integration without --lambda-endpoint",
            ));
        };
        let uri = inv.method.uri.as_deref().unwrap_or("");
        let region = uri.split(':').nth(3).unwrap_or("us-east-1").to_owned();
        let Some((_, path)) = uri.split_once(":lambda:path") else {
            return Err(IntegrationError::config(format!("not a Lambda URI: {uri}")));
        };
        let path = substitute_stage_variables(path, &inv.ctx.stage_variables);
        let wire_path: Vec<String> = path
            .split('/')
            .map(|s| context::percent_encode(s, false))
            .collect();
        let canonical_path: Vec<String> = wire_path
            .iter()
            .map(|s| context::percent_encode(s, false))
            .collect();
        let (wire_path, canonical_path) = (wire_path.join("/"), canonical_path.join("/"));
        let endpoint = endpoint.trim_end_matches('/');
        let target: Uri = format!("{endpoint}{wire_path}")
            .parse()
            .map_err(|e| IntegrationError::config(format!("Lambda endpoint URL: {e}")))?;
        let host = target
            .authority()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default();
        let mut headers = vec![
            ("host".to_owned(), host),
            ("content-type".to_owned(), "application/json".to_owned()),
            (
                "x-amz-invocation-type".to_owned(),
                "RequestResponse".to_owned(),
            ),
        ];
        if let Some(creds) = &self.config.lambda_credentials {
            let auth = sigv4::sign(
                creds,
                &SigningInput {
                    method: "POST",
                    canonical_uri: &canonical_path,
                    canonical_query: "",
                    region: &region,
                    service: "lambda",
                    body: &payload,
                },
                &mut headers,
                Clock::now(),
            );
            headers.push(("authorization".to_owned(), auth));
        }
        let mut req = Request::builder().method(Method::POST).uri(target);
        for (n, v) in &headers {
            if n != "host" {
                req = req.header(n.as_str(), v.as_str());
            }
        }
        let req = req
            .body(full(payload))
            .map_err(|e| IntegrationError::config(format!("Lambda request: {e}")))?;
        let limit = self.config.max_payload_bytes;
        let client = self.client.clone();
        let budget = self.buffer_budget.as_ref();
        let fetch = async move {
            let resp = client
                .request(req)
                .await
                .map_err(|e| IntegrationError::config(format!("Lambda Invoke failed: {e:?}")))?;
            let (parts, body) = resp.into_parts();
            let share = match budget {
                Some(b) => Some(b.reserve(hyper::body::Body::size_hint(&body).exact()).await),
                None => None,
            };
            let bytes = collect_limited(body, limit).await?;
            Ok::<_, IntegrationError>((parts, bytes, share))
        };
        let (parts, bytes, share) = tokio::time::timeout(timeout, fetch)
            .await
            .map_err(|_| IntegrationError::Timeout)??;
        if !parts.status.is_success() {
            warn!(request_id = ?inv.ctx.context_str("requestId"), status = parts.status.as_u16(),
                  body = %String::from_utf8_lossy(&bytes), "Lambda invocation failed");
        }
        Ok((parts, bytes, share))
    }
}

/// An integration response body, buffered or left to stream.
enum Fetched {
    /// With its share of the buffering budget.
    Buffered(Bytes, Option<Share>),
    Streamed(pool::LeasedBody),
}

/// [`GatewayConfig::integration_buffer_bytes`]: a [`ByteBudget`] (taking a share that fits
/// while nobody waits costs one compare-and-swap, giving it back one atomic subtraction;
/// waiting responses are served in turn).
#[derive(Debug)]
struct BufferBudget {
    bytes: ByteBudget,
}

impl BufferBudget {
    /// `None` for a budget of 0 (disabled); at most `u32::MAX` bytes.
    fn new(bytes: usize) -> Option<BufferBudget> {
        let total = u32::try_from(bytes).unwrap_or(u32::MAX);
        (total > 0).then(|| BufferBudget {
            bytes: ByteBudget::new(total),
        })
    }

    /// The share of a response whose body declares `declared` bytes (its `Content-Length`,
    /// as hyper's exact size hint of the body gives it), else [`UNKNOWN_LENGTH_CHARGE`]; at
    /// least 1 byte and at most the whole budget. Taken at once when it fits and no other
    /// response waits, else waited for in turn.
    fn reserve(&self, declared: Option<u64>) -> budget::Take<'_> {
        let declared = declared.unwrap_or(UNKNOWN_LENGTH_CHARGE as u64);
        let share = u32::try_from(declared)
            .unwrap_or(u32::MAX)
            .clamp(1, self.bytes.total());
        self.bytes.take(share)
    }
}

/// A response body that keeps a share of the buffering budget until it has been sent (or
/// dropped).
struct HeldBody {
    inner: Body,
    share: Option<Share>,
}

impl hyper::body::Body for HeldBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, BoxError>>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, std::task::Poll::Ready(None | Some(Err(_)))) {
            self.share = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// A buffered response body holding a share of the buffering budget until it has been sent
/// (or dropped): one allocation for the boxed body, however the response was produced.
struct MappedBody {
    data: Option<Bytes>,
    share: Option<Share>,
}

impl hyper::body::Body for MappedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, BoxError>>> {
        let frame = self.data.take().map(|d| Ok(hyper::body::Frame::data(d)));
        if frame.is_none() {
            self.share = None;
        }
        std::task::Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.data.as_ref().map_or(0, |d| d.len() as u64))
    }
}

/// `resp` with `share` released only when its body has been sent.
fn hold_until_sent(resp: Response<Body>, share: Option<Share>) -> Response<Body> {
    match share {
        None => resp,
        Some(share) => resp.map(|inner| {
            HeldBody {
                inner,
                share: Some(share),
            }
            .boxed()
        }),
    }
}

/// A failed backend call: the method request body streamed to it went over the payload limit
/// (413) or could not be read from the client (400), or the backend could not be reached or
/// reset the connection (500).
fn backend_failure(e: &(dyn std::error::Error + 'static)) -> IntegrationError {
    let chain =
        || std::iter::successors(Some(e), |s: &&(dyn std::error::Error + 'static)| s.source());
    if chain().any(|s| s.is::<http_body_util::LengthLimitError>()) {
        return IntegrationError::Gateway(
            GatewayError::RequestTooLarge,
            "method request body larger than the payload limit".into(),
        );
    }
    // hyper's "error from user's Body stream": the client's body failed while streaming.
    let client_body = chain().any(|s| {
        s.downcast_ref::<hyper::Error>()
            .is_some_and(|h| h.is_user() && std::error::Error::source(h).is_some())
    });
    if client_body {
        return IntegrationError::Gateway(
            GatewayError::BadRequestBody,
            format!("reading the method request body: {e:?}"),
        );
    }
    IntegrationError::config(format!("backend request failed: {e:?}"))
}

/// The method request headers the proxy reads itself (lower case), copied into the
/// `RequestContext` whatever the mapping reads.
const READ_BY_THE_PROXY: [&str; 3] = ["accept", "content-type", "x-apigw-explain"];

/// A request's headers as name/value pairs in order (lower-case names; values decoded as
/// UTF-8, invalid bytes as U+FFFD), as the admin protocol and `RequestContext` take them.
/// `only`: copy only the headers it names (case-insensitively) and [`READ_BY_THE_PROXY`];
/// `None`: all.
fn header_pairs(headers: &http::HeaderMap, only: Option<&[String]>) -> Vec<(String, String)> {
    let keep = |name: &HeaderName| {
        only.is_none_or(|read| {
            READ_BY_THE_PROXY.contains(&name.as_str())
                || read.iter().any(|r| r.eq_ignore_ascii_case(name.as_str()))
        })
    };
    // Room for every header when all are copied; a selection is usually none or one.
    let mut out = Vec::with_capacity(if only.is_none() { headers.len() } else { 0 });
    out.extend(headers.iter().filter(|(n, _)| keep(n)).map(|(n, v)| {
        let value = match v.to_str() {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(v.as_bytes()).into_owned(),
        };
        (n.as_str().to_owned(), value)
    }));
    out
}

/// Buffers an integration response up to the payload limit.
/// A body that arrives in one chunk is kept as it is; one in several chunks is copied once
/// into a buffer of its declared length (no list of chunks copied at the end).
async fn collect_limited(mut body: Incoming, limit: usize) -> Result<Bytes, IntegrationError> {
    use hyper::body::Body as _;
    let declared = body.size_hint().exact();
    let mut first: Option<Bytes> = None;
    let mut joined: Option<bytes::BytesMut> = None;
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            IntegrationError::config(format!("reading the integration response: {e}"))
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len());
        if total > limit {
            return Err(IntegrationError::config(format!(
                "Integration response is larger than allowed maximum of {limit} bytes"
            )));
        }
        if let Some(buf) = &mut joined {
            buf.extend_from_slice(&data);
        } else if let Some(head) = first.take() {
            let hint = declared.map_or(0, |n| usize::try_from(n).unwrap_or(limit).min(limit));
            let mut buf = bytes::BytesMut::with_capacity(hint.max(total));
            buf.extend_from_slice(&head);
            buf.extend_from_slice(&data);
            joined = Some(buf);
        } else {
            first = Some(data);
        }
    }
    Ok(match joined {
        Some(buf) => buf.freeze(),
        None => first.unwrap_or_default(),
    })
}

/// `passthroughBehavior`: whether a request whose content type has no request template is
/// refused (`NEVER`, or `WHEN_NO_TEMPLATES` when the method has templates). The content type
/// is the request's media type in lower case, `application/json` when absent.
fn rejects_media_type(m: &DeployedMethod, plan: &MethodPlan, ctx: &RequestContext) -> bool {
    if plan.no_request_templates {
        return m.passthrough_behavior.eq_ignore_ascii_case("NEVER");
    }
    let mime = ctx
        .header("content-type")
        .map_or("application/json", apigw_mapping::content::mime_type)
        .trim()
        .to_ascii_lowercase();
    if m.request_templates
        .keys()
        .any(|k| k.eq_ignore_ascii_case(&mime))
    {
        return false;
    }
    let behavior = &m.passthrough_behavior;
    if behavior.eq_ignore_ascii_case("NEVER") {
        true
    } else if behavior.eq_ignore_ascii_case("WHEN_NO_TEMPLATES") {
        !m.request_templates.is_empty()
    } else {
        false
    }
}

/// `x-amzn-RequestId` and `x-amz-apigw-id` on a streamed response.
fn add_request_ids(headers: &mut HeaderMap, ctx: &RequestContext) {
    if let Some(v) = ctx
        .context_str("requestId")
        .and_then(|s| HeaderValue::from_str(s).ok())
    {
        headers.insert(HeaderName::from_static("x-amzn-requestid"), v);
    }
    if let Some(v) = ctx
        .context_str("extendedRequestId")
        .and_then(|s| HeaderValue::from_str(s).ok())
    {
        headers.insert(HeaderName::from_static("x-amz-apigw-id"), v);
    }
}

/// API Gateway answers HTTP/1.1 with `Connection: keep-alive`; hyper itself writes
/// `close` when the client asked for it or the server is draining, so the header is only
/// there when the connection really stays open (`stays_open`), and never over a
/// `Connection` the response already carries. A mapped response has it already, laid out
/// last ([`apigw_mapping::CompiledIntegration::apply_with_keep_alive`]): seen at the end of the map, no
/// lookup. Without `stays_open` (shutdown started while the request was served) a
/// trailing `Connection: keep-alive` is taken out again.
fn keep_alive(headers: &mut HeaderMap, stays_open: bool) {
    let ends_with_connection = headers.keys().last() == Some(&header::CONNECTION);
    if stays_open {
        if !ends_with_connection {
            // One lookup: added only when the response has no `Connection` yet.
            headers
                .entry(header::CONNECTION)
                .or_insert(HeaderValue::from_static("keep-alive"));
        }
    } else if ends_with_connection
        && headers
            .get_all(header::CONNECTION)
            .iter()
            .eq([&HeaderValue::from_static("keep-alive")])
    {
        headers.remove(header::CONNECTION);
    }
}

/// Whether the request's `Connection` header asks to close the connection.
fn client_closes(request: &HeaderMap) -> bool {
    request.get_all(header::CONNECTION).iter().any(|v| {
        v.as_bytes()
            .windows(5)
            .any(|w| w.eq_ignore_ascii_case(b"close"))
    })
}

/// A mapped [`MethodResponse`] as a hyper response (the failure, if any, is logged).
fn mapped_response(out: MethodResponse, ctx: &RequestContext) -> Response<Body> {
    held_response(out, ctx, None)
}

/// [`mapped_response`] keeping `share` of the buffering budget until the body is sent.
fn held_response(
    out: MethodResponse,
    ctx: &RequestContext,
    share: Option<Share>,
) -> Response<Body> {
    if let Some(f) = &out.failure {
        warn!(request_id = ?ctx.context_str("requestId"), failure = %f, "Execution failed due to configuration error");
    }
    let mut resp = Response::new(
        MappedBody {
            data: Some(out.body).filter(|b| !b.is_empty()),
            share,
        }
        .boxed(),
    );
    *resp.status_mut() = StatusCode::from_u16(out.status).unwrap_or(StatusCode::OK);
    *resp.headers_mut() = out.headers;
    resp
}

fn gateway_response(e: GatewayError, request_id: &str, extended_id: &str) -> Response<Body> {
    let (status, headers, body) = e.response(request_id, extended_id);
    let mut resp = Response::new(full(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    *resp.headers_mut() = headers;
    resp
}

/// An admin API error produced before the store sees the request (in the store's shape:
/// `Content-Type`, `x-amzn-RequestId`, `x-amzn-ErrorType`, `{"message"}`).
fn admin_error(e: &apigw_control::ApiError) -> Response<Body> {
    let body = serde_json::json!({"message": e.message()}).to_string();
    let mut resp = Response::new(full(Bytes::from(body)));
    *resp.status_mut() = StatusCode::from_u16(e.kind().status()).unwrap_or(StatusCode::BAD_REQUEST);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(RequestIds::new().request_id()) {
        h.insert(HeaderName::from_static("x-amzn-requestid"), v);
    }
    h.insert(
        HeaderName::from_static("x-amzn-errortype"),
        HeaderValue::from_static(e.kind().name()),
    );
    resp
}

/// The proxy's own error `e` for a routed (or unrouted, within a stage) request: the API's
/// customised gateway response for its type when there is one (SPEC §7.2), else API Gateway's
/// default.
fn host_error(e: GatewayError, stage: &StageRoute, ctx: &RequestContext) -> Response<Body> {
    let ids = (
        ctx.context_str("requestId").unwrap_or_default(),
        ctx.context_str("extendedRequestId").unwrap_or_default(),
    );
    error_response(e, stage, Some(ctx), ids)
}

fn error_response(
    e: GatewayError,
    stage: &StageRoute,
    ctx: Option<&RequestContext>,
    (request_id, extended_id): (&str, &str),
) -> Response<Body> {
    if let (Some(custom), Some(ctx)) = (stage.host_responses.get(e.response_type()), ctx) {
        let (status, body, error_type) = e.parts();
        let error = apigw_mapping::HostError {
            status,
            message: e.message(),
            body,
            error_type,
        };
        if let Some(out) = custom.respond(ctx, &error) {
            let mut resp = mapped_response(out, ctx);
            if e == GatewayError::BadRequestBody {
                resp.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            return resp;
        }
        warn!(%request_id, response_type = e.response_type(), "the customised gateway response failed to render; default response sent");
    }
    gateway_response(e, request_id, extended_id)
}

/// Compiles the gateway responses a deployment customises for the proxy's own errors: a type
/// counts as customised when it is (`defaultResponse: false`) or when its parent
/// (`DEFAULT_5XX` for 5xx errors, else `DEFAULT_4XX`) is; the snapshot already holds the
/// inherited view. One that does not compile is logged and left at the default.
fn host_gateway_responses(
    snapshot: &Snapshot,
    stage: &str,
    limits: &apigw_mapping::EngineLimits,
) -> HashMap<&'static str, apigw_mapping::HostGatewayResponse> {
    let customised = |t: &str| {
        snapshot
            .gateway_responses
            .get(t)
            .is_some_and(|g| g["defaultResponse"] == serde_json::Value::Bool(false))
    };
    let mut out = HashMap::new();
    for e in GatewayError::ALL {
        let t = e.response_type();
        let parent = if e.parts().0 >= 500 {
            "DEFAULT_5XX"
        } else {
            "DEFAULT_4XX"
        };
        if !(customised(t) || customised(parent)) {
            continue;
        }
        let Some(g) = snapshot
            .gateway_responses
            .get(t)
            .and_then(|g| serde_json::from_value::<apigw_mapping::GatewayResponse>(g.clone()).ok())
        else {
            continue;
        };
        match apigw_mapping::HostGatewayResponse::compile_with(&g, limits) {
            Ok(c) => {
                out.insert(t, c);
            }
            Err(err) => {
                warn!(%stage, response_type = t, error = %err, "gateway response not applied");
            }
        }
    }
    out
}

/// For tests: `doc` (an OpenAPI document) imported into an in-memory store and deployed to
/// stage `dev`; the store, the API's id and the stage's snapshot.
#[cfg(test)]
fn deployed_for_tests(doc: &serde_json::Value) -> (Store, String, Arc<Snapshot>) {
    let store = Store::in_memory(apigw_control::Config::default());
    let api = store
        .import_rest_api(doc.to_string().as_bytes(), None)
        .unwrap();
    let id = api["id"].as_str().unwrap().to_owned();
    let stage = serde_json::json!({"stageName": "dev"});
    store
        .create_deployment(&id, stage.as_object().unwrap())
        .unwrap();
    let (snapshot, _) = store.stage_snapshot(&id, "dev").unwrap();
    (store, id, snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_pairs_keep_what_is_read() {
        let mut h = http::HeaderMap::new();
        for (n, v) in [
            ("host", "example"),
            ("accept", "text/plain"),
            ("x-in", "1"),
            ("content-type", "a/b"),
            ("x-in", "2"),
            ("x-apigw-explain", "1"),
            ("x-other", "o"),
        ] {
            h.append(n, HeaderValue::from_static(v));
        }
        let pairs = |only: Option<&[String]>| -> Vec<String> {
            header_pairs(&h, only)
                .into_iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect()
        };
        assert_eq!(
            pairs(None),
            [
                "host=example",
                "accept=text/plain",
                "x-in=1",
                "x-in=2",
                "content-type=a/b",
                "x-apigw-explain=1",
                "x-other=o"
            ]
        );
        assert_eq!(
            pairs(Some(&["X-In".to_owned()])),
            [
                "accept=text/plain",
                "x-in=1",
                "x-in=2",
                "content-type=a/b",
                "x-apigw-explain=1"
            ]
        );
        assert_eq!(
            pairs(Some(&[])),
            ["accept=text/plain", "content-type=a/b", "x-apigw-explain=1"]
        );
    }

    /// The body of the response `raw` (a whole HTTP/1.1 response) as hyper's client reads
    /// it.
    async fn incoming(raw: &'static str) -> Incoming {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await;
            s.write_all(raw.as_bytes()).await.unwrap();
        });
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let req = Request::get("/").body(full(Bytes::new())).unwrap();
        send.send_request(req).await.unwrap().into_body()
    }

    #[tokio::test]
    async fn budget_shares_follow_content_length() {
        let budget = BufferBudget::new(1000).unwrap();
        // The length a backend declares reaches the budget through the body's size hint.
        let declared = incoming("HTTP/1.1 200 OK\r\nContent-Length: 600\r\n\r\n").await;
        let declared = hyper::body::Body::size_hint(&declared).exact();
        assert_eq!(declared, Some(600));
        let a = budget.reserve(declared).await;
        assert_eq!(a.bytes(), 600);
        // Without Content-Length (chunked): the fixed charge, capped at the budget.
        let chunked =
            incoming("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").await;
        let unknown = hyper::body::Body::size_hint(&chunked).exact();
        assert_eq!(unknown, None);
        let none = BufferBudget::new(UNKNOWN_LENGTH_CHARGE * 2).unwrap();
        let b = none.reserve(unknown).await;
        assert_eq!(b.bytes() as usize, UNKNOWN_LENGTH_CHARGE);
        assert_eq!(budget.reserve(Some(0)).await.bytes(), 1, "at least 1 byte");
        // Larger than the budget: the whole budget, once the others are done.
        let big = budget.reserve(Some(5000));
        tokio::pin!(big);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), &mut big)
                .await
                .is_err(),
            "must wait while 600 bytes are taken"
        );
        drop(a);
        let all = big.await;
        assert_eq!(all.bytes(), 1000);
        assert!(BufferBudget::new(0).is_none());
    }

    #[tokio::test]
    async fn a_share_is_held_until_the_body_is_sent() {
        let budget = BufferBudget::new(100).unwrap();
        let share = Some(budget.reserve(Some(100)).await);
        let resp = hold_until_sent(Response::new(full(Bytes::from_static(b"mapped"))), share);
        assert_eq!(budget.bytes.available(), 0);
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"mapped");
        assert_eq!(budget.bytes.available(), 100);
        // A response dropped before it is sent gives its share back too.
        let share = Some(budget.reserve(Some(40)).await);
        let resp = hold_until_sent(Response::new(full(Bytes::new())), share);
        assert_eq!(budget.bytes.available(), 60);
        drop(resp);
        assert_eq!(budget.bytes.available(), 100);
    }
}
