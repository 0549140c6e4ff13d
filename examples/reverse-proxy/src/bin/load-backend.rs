//! `load-backend`: the backend of the load test (`load/run.sh`), in its own process so that
//! neither proxy shares a runtime (or an RSS figure) with it.
//!
//! - `GET /pets/{id}`: the demo backend's pets (`{"id": 1, "name": "Rex", "kind": "dog"}`,
//!   `{"id": 2, …}`, else 404 `{"error": "not found"}`).
//! - `GET /w3`: the bytes of `--w3 FILE` (the 1 MiB W3 workload body) as `application/json`.
//!
//! ```text
//! load-backend --listen 127.0.0.1:0 --w3 benches/workloads/w3_passthrough.body.json
//! load-backend: listening on http://127.0.0.1:41235
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

/// The same global allocator as the proxies it serves (mimalloc, README.md, "Allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The load test's backend.
#[derive(Debug, Parser)]
#[command(name = "load-backend", version)]
struct Cli {
    /// The listener.
    #[arg(long, default_value = "127.0.0.1:8091")]
    listen: SocketAddr,
    /// The body `GET /w3` answers (empty without it).
    #[arg(long, value_name = "FILE")]
    w3: Option<PathBuf>,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let w3 = match &cli.w3 {
        Some(p) => match std::fs::read(p) {
            Ok(b) => Bytes::from(b),
            Err(e) => {
                eprintln!("load-backend: {}: {e}", p.display());
                std::process::exit(1);
            }
        },
        None => Bytes::new(),
    };
    let listener = match TcpListener::bind(cli.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("load-backend: {}: {e}", cli.listen);
            std::process::exit(1);
        }
    };
    let addr = listener.local_addr().unwrap_or(cli.listen);
    println!("load-backend: listening on http://{addr}");
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new());
    let builder = std::sync::Arc::new(builder);
    tokio::select! {
        () = async {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let w3 = w3.clone();
                let builder = std::sync::Arc::clone(&builder);
                tokio::spawn(async move {
                    let service = service_fn(move |req| answer(req, w3.clone()));
                    let _ = builder.serve_connection(TokioIo::new(stream), service).await;
                });
            }
        } => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

async fn answer(req: Request<Incoming>, w3: Bytes) -> Result<Response<Full<Bytes>>, Infallible> {
    let segments: Vec<&str> = req
        .uri()
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let (status, body) = match (req.method(), segments.as_slice()) {
        (&Method::GET, ["pets", "1"]) => (
            StatusCode::OK,
            Bytes::from_static(br#"{"id": 1, "name": "Rex", "kind": "dog"}"#),
        ),
        (&Method::GET, ["pets", "2"]) => (
            StatusCode::OK,
            Bytes::from_static(br#"{"id": 2, "name": "Tom", "kind": "cat"}"#),
        ),
        (&Method::GET, ["w3"]) => (StatusCode::OK, w3),
        _ => (
            StatusCode::NOT_FOUND,
            Bytes::from_static(br#"{"error": "not found"}"#),
        ),
    };
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    Ok(r)
}
