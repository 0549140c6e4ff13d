//! `apigw-proxy`: serves a REST API the way AWS API Gateway does. Without arguments it serves
//! the built-in demo API against a built-in demo backend; see README.md.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use apigw_control::{Config, Credentials, Store};
use apigw_mapping::{EngineLimits, PatternLimits, TemplateLimits};
use apigw_proxy::sigv4::AwsCredentials;
use apigw_proxy::{GatewayConfig, demo};
use clap::Parser;
use serde_json::json;
use tracing::{error, info};

/// mimalloc rather than glibc's malloc: the ~36 heap allocations of a request cost less than
/// half as many instructions, 7 % of the request (README.md, "Allocator"). `bare-proxy` and
/// `load-backend` use it too, so the load test compares the proxies with the same allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Serves a REST API the way AWS API Gateway does.
#[derive(Debug, Parser)]
#[command(name = "apigw-proxy", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// An OpenAPI 3 / Swagger 2 file (JSON or YAML) to import and deploy to `--stage`.
    #[arg(long, value_name = "FILE")]
    api: Option<PathBuf>,
    /// Keep the API definitions in DIR/state.json (in memory without it).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// The data-plane listener.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The admin (API Gateway control-plane) listener.
    #[arg(long, default_value = "127.0.0.1:8081")]
    admin_listen: SocketAddr,
    /// Base URL of the Lambda Invoke API (e.g. http://127.0.0.1:9001); the demo uses its
    /// built-in one. Calls are SigV4-signed with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
    /// (and AWS_SESSION_TOKEN) when they are set.
    #[arg(long, value_name = "URL")]
    lambda_endpoint: Option<String>,
    /// The stage `--api` (or the demo) is deployed to.
    #[arg(long, default_value = "dev")]
    stage: String,
    /// The REST API served (default: the imported one, else the first with stages).
    #[arg(long, value_name = "ID")]
    api_id: Option<String>,
    /// Accept unsigned admin requests (otherwise SigV4 with APIGW_ACCESS_KEY_ID /
    /// APIGW_SECRET_ACCESS_KEY, default AKIDEXAMPLE / secret).
    #[arg(long)]
    admin_no_auth: bool,
    /// Answers requests that carry an `X-Apigw-Explain` header with a JSON document: the mapped
    /// response and why (selection value, patterns tried, template, headers, conversion).
    #[arg(long)]
    explain: bool,
    /// Largest method request body and integration response body, in bytes (API Gateway's
    /// 10 MB payload limit). Larger requests get 413, larger integration responses 500.
    #[arg(long, value_name = "BYTES", default_value_t = apigw_proxy::MAX_PAYLOAD_BYTES)]
    max_payload_bytes: usize,
    /// Byte budget of the integration responses (HTTP, Lambda) buffered for mapping at the same
    /// time: each takes its Content-Length (64 KiB without one, at most the whole budget) until
    /// its mapped response is sent; others wait (within the integration timeout). Bounds memory
    /// under many connections; streamed bodies are not charged. 0: no budget.
    #[arg(long, value_name = "BYTES", default_value_t = apigw_proxy::INTEGRATION_BUFFER_BYTES)]
    integration_buffer_bytes: usize,
    /// Largest admin API request body, in bytes; larger ones get 413
    /// `RequestEntityTooLargeException`.
    #[arg(long, value_name = "BYTES", default_value_t = Config::default().max_body_bytes)]
    admin_max_body_bytes: usize,
    /// Most headers in an HTTP/1.1 request (both listeners); more get 431 and the connection
    /// is closed [default: hyper's 100].
    #[arg(long, value_name = "N")]
    max_headers: Option<usize>,
    /// Largest request head in bytes, at least 8192 (both listeners): HTTP/1.1 heads above it
    /// get 431 and the connection is closed, HTTP/2 header lists above it get 431
    /// [default: hyper's 417792 for HTTP/1.1, 16384 for HTTP/2].
    #[arg(long, value_name = "BYTES", value_parser = header_bytes)]
    max_header_bytes: Option<usize>,
    /// PEM file of certificates trusted for https:// backends (and the Lambda endpoint) in
    /// addition to Mozilla's root certificates: a private CA or a self-signed certificate.
    #[arg(long, value_name = "FILE")]
    backend_ca: Option<PathBuf>,
    /// Largest mapping template source, in bytes; a larger template never renders (500).
    #[arg(long, value_name = "BYTES", default_value_t = TemplateLimits::default().max_template_bytes)]
    template_max_bytes: usize,
    /// Deepest nesting of blocks and expressions in a template (compile time).
    #[arg(long, value_name = "N", default_value_t = TemplateLimits::default().max_nesting)]
    template_max_nesting: usize,
    /// Deepest macro call (and `#evaluate`/`#define`) nesting while rendering.
    #[arg(long, value_name = "N", default_value_t = TemplateLimits::default().max_call_depth)]
    template_max_call_depth: usize,
    /// Most `#foreach` iterations in one render.
    #[arg(long, value_name = "N", default_value_t = TemplateLimits::default().max_loop_iterations)]
    template_max_loop_iterations: u64,
    /// Largest output (and any string value) of one render, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = TemplateLimits::default().max_output_bytes)]
    template_max_output_bytes: usize,
    /// Longest `selectionPattern`, in bytes; a longer one never matches.
    #[arg(long, value_name = "BYTES", default_value_t = PatternLimits::default().max_pattern_len)]
    pattern_max_bytes: usize,
    /// Largest compiled program of one `selectionPattern`, in bytes; a larger one never
    /// matches.
    #[arg(long, value_name = "BYTES", default_value_t = PatternLimits::default().size_limit)]
    pattern_max_compiled_bytes: usize,
    /// Most backtracking steps of one pattern match (patterns with look-around,
    /// backreferences, possessive or atomic groups); over it, the pattern does not match.
    #[arg(long, value_name = "N", default_value_t = PatternLimits::default().backtrack_limit)]
    pattern_max_backtrack_steps: usize,
}

impl Cli {
    /// The engine budgets the flags set, for every deployment.
    fn engine_limits(&self) -> EngineLimits {
        EngineLimits {
            templates: TemplateLimits {
                max_template_bytes: self.template_max_bytes,
                max_nesting: self.template_max_nesting,
                max_call_depth: self.template_max_call_depth,
                max_loop_iterations: self.template_max_loop_iterations,
                max_output_bytes: self.template_max_output_bytes,
            },
            patterns: PatternLimits {
                max_pattern_len: self.pattern_max_bytes,
                size_limit: self.pattern_max_compiled_bytes,
                backtrack_limit: self.pattern_max_backtrack_steps,
                ..PatternLimits::default()
            },
        }
    }
}

/// What to do instead of serving.
#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Checks OpenAPI files or state directories without serving them (apigw-lint): AWS's
    /// put-time errors, bad patterns and templates, overlaps, missing method responses…
    /// Exit status 0 clean, 1 problems, 2 unreadable input.
    Lint {
        /// `[--format text|json] [--deny-warnings] FILE|STATE_DIR...`
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "ARGS"
        )]
        args: Vec<String>,
    },
}

/// `--max-header-bytes`: a number of bytes, at least [`apigw_proxy::MIN_HEADER_BYTES`].
fn header_bytes(s: &str) -> Result<usize, String> {
    let n: usize = s.parse().map_err(|e| format!("{e}"))?;
    if n < apigw_proxy::MIN_HEADER_BYTES {
        return Err(format!("at least {}", apigw_proxy::MIN_HEADER_BYTES));
    }
    Ok(n)
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Lint { args }) = cli.command {
        return apigw_lint::run(args);
    }
    serve(cli)
}

#[tokio::main]
async fn serve(cli: Cli) -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            error!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let stop = shutdown_signal();
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let config = Config {
        credentials: vec![Credentials {
            access_key_id: env("APIGW_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            secret_access_key: env("APIGW_SECRET_ACCESS_KEY", "secret"),
        }],
        auth_disabled: cli.admin_no_auth,
        max_body_bytes: cli.admin_max_body_bytes,
        engine_limits: cli.engine_limits(),
        ..Config::default()
    };
    let store = match &cli.state_dir {
        Some(dir) => Store::open(dir, config).map_err(|e| format!("{}: {e}", dir.display()))?,
        None => Store::in_memory(config),
    };
    let demo_mode = cli.api.is_none() && cli.state_dir.is_none();
    let mut lambda_endpoint = cli.lambda_endpoint.clone();
    let document = if demo_mode {
        let (backend, _task) = demo::start_demo_backend(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(|e| format!("demo backend: {e}"))?;
        info!(%backend, "demo backend listening");
        lambda_endpoint.get_or_insert_with(|| format!("http://{backend}"));
        Some(demo::demo_document(backend).into_bytes())
    } else if let Some(path) = &cli.api {
        Some(std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?)
    } else {
        None
    };
    let backend_ca_pem = match &cli.backend_ca {
        Some(path) => Some(std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?),
        None => None,
    };
    let mut api_id = cli.api_id.clone();
    if let Some(doc) = document {
        let api = store
            .import_rest_api(&doc, None)
            .map_err(|e| format!("import: {}", e.message()))?;
        let id = api["id"].as_str().unwrap_or_default().to_owned();
        for w in api["warnings"].as_array().into_iter().flatten() {
            info!(warning = %w, "import warning");
        }
        let input = json!({"stageName": cli.stage});
        store
            .create_deployment(&id, input.as_object().unwrap_or(&serde_json::Map::new()))
            .map_err(|e| format!("deployment: {}", e.message()))?;
        info!(api_id = %id, stage = %cli.stage, "imported and deployed");
        api_id.get_or_insert(id);
    }
    let gateway = apigw_proxy::start(
        Arc::new(store),
        GatewayConfig {
            listen: cli.listen,
            admin_listen: Some(cli.admin_listen),
            api_id,
            lambda_endpoint,
            lambda_credentials: AwsCredentials::from_env(),
            explain: cli.explain,
            max_payload_bytes: cli.max_payload_bytes,
            max_headers: cli.max_headers,
            max_header_bytes: cli.max_header_bytes,
            backend_ca_pem,
            integration_buffer_bytes: cli.integration_buffer_bytes,
            ..GatewayConfig::default()
        },
    )
    .await
    .map_err(|e| format!("start: {e}"))?;
    let base = format!("http://{}/{}", gateway.addr, cli.stage);
    say(&format!(
        "apigw-proxy: data plane on http://{}",
        gateway.addr
    ));
    if let Some(a) = gateway.admin_addr {
        say(&format!(
            "apigw-proxy: admin API (API Gateway REST-JSON) on http://{a}"
        ));
    }
    if demo_mode {
        say("Try:");
        for line in [
            format!("curl -i {base}/hello"),
            format!("curl -i {base}/mock/404"),
            format!("curl -i {base}/pets/1"),
            format!("curl -i {base}/pets/7"),
            format!("curl -s -H 'Accept: image/png' {base}/image | od -A d -t x1 | head -2"),
            format!("curl -i {base}/slow"),
            format!("curl -i -X POST -d '{{\"name\": \"Ada\"}}' {base}/greet"),
            format!("curl -i -X POST -d '{{}}' {base}/greet"),
            format!("curl -i '{base}/proxy/any/path?x=1'"),
            format!("curl -i {base}/nope"),
        ] {
            say(&format!("  {line}"));
        }
    }
    stop.await;
    info!("shutting down");
    gateway.shutdown().await;
    Ok(())
}

/// Prints a line on stdout; a closed stdout (`apigw-proxy | head -2`) is not an error.
fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// Ctrl-C or SIGTERM. The SIGTERM handler is installed when this is called (before the
/// listeners are announced), so a SIGTERM sent right after the announcement is not lost.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async move {
            match term {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => {}
            () = term => {}
        }
    }
}
