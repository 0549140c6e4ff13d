//! `bare-proxy`: the baseline of the load test (`load/run.sh`). A minimal hyper 1 +
//! hyper-util forwarder: every request goes to `--backend` with the same method, path, query,
//! headers (minus hop-by-hop ones) and streamed body; the answer comes back streamed. No
//! routing, no mapping — what plain proxying costs with the same stack and runtime settings as
//! `apigw-proxy` (`#[tokio::main]` multi-thread runtime, hyper-util `auto` server with the same
//! HTTP/1 timer settings, pooled legacy client with `TCP_NODELAY` and a 30 s idle timeout).
//!
//! ```text
//! bare-proxy --listen 127.0.0.1:0 --backend 127.0.0.1:9000
//! bare-proxy: listening on http://127.0.0.1:41234
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use http::{HeaderMap, Request, Response, StatusCode, Uri};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

type Body = BoxBody<Bytes, hyper::Error>;

/// The same global allocator as `apigw-proxy` (mimalloc, README.md, "Allocator"), so that the
/// baseline of the load test differs from it by the gateway's work only.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A bare hyper pass-through proxy (the load test's baseline).
#[derive(Debug, Parser)]
#[command(name = "bare-proxy", version)]
struct Cli {
    /// The listener.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// The backend every request is forwarded to (host:port, plain HTTP).
    #[arg(long)]
    backend: SocketAddr,
}

/// Headers a proxy never forwards (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-authenticate",
    "proxy-authorization",
];

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let listener = match TcpListener::bind(cli.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bare-proxy: {}: {e}", cli.listen);
            std::process::exit(1);
        }
    };
    let addr = listener.local_addr().unwrap_or(cli.listen);
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(Duration::from_secs(10)));
    let client: Client<HttpConnector, Incoming> = Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(connector);
    let backend = cli.backend;
    println!("bare-proxy: listening on http://{addr}, forwarding to http://{backend}");

    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30));
    builder.http2().timer(TokioTimer::new());
    let builder = std::sync::Arc::new(builder);
    tokio::select! {
        () = async {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let client = client.clone();
                let builder = std::sync::Arc::clone(&builder);
                tokio::spawn(async move {
                    let service = service_fn(move |req| forward(client.clone(), backend, req));
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        } => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

async fn forward(
    client: Client<HttpConnector, Incoming>,
    backend: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = match Uri::try_from(format!("http://{backend}{path}")) {
        Ok(u) => u,
        Err(_) => return Ok(error(StatusCode::BAD_REQUEST)),
    };
    parts.version = http::Version::HTTP_11;
    strip_hop_by_hop(&mut parts.headers);
    parts.headers.remove(http::header::HOST);
    match client.request(Request::from_parts(parts, body)).await {
        Ok(resp) => {
            let (mut parts, body) = resp.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            Ok(Response::from_parts(parts, body.boxed()))
        }
        Err(_) => Ok(error(StatusCode::BAD_GATEWAY)),
    }
}

fn error(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(
        Full::new(Bytes::new())
            .map_err(|never| match never {})
            .boxed(),
    );
    *r.status_mut() = status;
    r
}
