//! HTTPS backends: a TLS backend with a certificate made at test time is reached when its
//! certificate is trusted (`backend_ca_pem`, the binary's `--backend-ca`), refused (the
//! 36-byte 500) when it is not.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use common::*;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::json;
use tokio::net::TcpListener;

/// A TLS backend on loopback with a self-signed certificate for `127.0.0.1` and `localhost`;
/// answers `{"secure": true, "path": …}`. Returns its address and the certificate (PEM).
async fn tls_backend() -> (SocketAddr, String) {
    let key = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("certificate");
    let pem = key.cert.pem();
    let der = key.cert.der().clone();
    let private = rustls::pki_types::PrivateKeyDer::Pkcs8(key.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![der], private)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                    let path = req.uri().path().to_owned();
                    Ok::<_, Infallible>(reply(
                        200,
                        &[("Content-Type", "application/json"), ("X-Tls", "1")],
                        json!({"secure": true, "path": path}).to_string(),
                    ))
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (addr, pem)
}

fn api(backend: SocketAddr) -> String {
    document(
        json!({"/secure/{id}": {"get": {
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok", "headers": {"X-Tls": {"schema": {"type": "string"}}}}},
            "x-amazon-apigateway-integration": {
                "type": "http", "httpMethod": "GET",
                "uri": format!("https://{backend}/items/{{id}}"),
                "requestParameters": {"integration.request.path.id": "method.request.path.id"},
                "responses": {"default": {"statusCode": "200",
                    "responseParameters": {"method.response.header.X-Tls": "integration.response.header.X-Tls"},
                    "responseTemplates": {"application/json": "{\"via\": \"tls\", \"backend\": $input.json('$')}"}}}
            }
        }}}),
        &[],
    )
}

#[tokio::test]
async fn https_backend_with_a_trusted_certificate() {
    let (backend, pem) = tls_backend().await;
    let gw = gateway(&api(backend), |c| c.backend_ca_pem = Some(pem.into_bytes())).await;
    let r = send("GET", &gw.url("/secure/9"), &[], "").await;
    let body = br#"{"via": "tls", "backend": {"secure":true,"path":"/items/9"}}"#;
    r.assert(
        200,
        &headers_with(
            &[("x-tls", "1"), ("content-type", "application/json")],
            &TRACED,
            &body.len().to_string(),
        ),
        body,
    );
    gw.gateway.shutdown().await;
}

#[tokio::test]
async fn https_backend_with_an_untrusted_certificate_is_500() {
    let (backend, _) = tls_backend().await;
    let gw = gateway(&api(backend), |_| {}).await;
    let r = send("GET", &gw.url("/secure/9"), &[], "").await;
    r.assert(500, &error_500(), BODY_500);
    gw.gateway.shutdown().await;
}

#[tokio::test]
async fn a_backend_ca_without_certificates_is_refused_at_start() {
    let store = Arc::new(apigw_control::Store::in_memory(
        apigw_control::Config::default(),
    ));
    let err = apigw_proxy::start(
        store,
        apigw_proxy::GatewayConfig {
            backend_ca_pem: Some(b"not a certificate".to_vec()),
            ..apigw_proxy::GatewayConfig::default()
        },
    )
    .await
    .expect_err("no certificate");
    assert_eq!(err.to_string(), "backend CA: no PEM certificate found");
}
