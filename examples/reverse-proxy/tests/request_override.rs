//! `$context.requestOverride.{header,querystring,path}.X` written by a request template change
//! the backend request: they replace the `requestParameters` value of the same name
//! (overrides are final) or add one; the response template can read them back (SPEC §5.7).

mod common;

use std::sync::Arc;

use common::*;
use serde_json::json;

#[tokio::test]
async fn request_override_reaches_the_backend() {
    let log: Log = Arc::default();
    let l = Arc::clone(&log);
    let echo = backend(move |req| {
        let l = Arc::clone(&l);
        async move {
            let s = seen(req).await;
            l.lock().unwrap().push(s);
            reply(200, &[("Content-Type", "application/json")], "{}")
        }
    })
    .await;
    let template = "#set($context.requestOverride.header.X-Over = 'h1')\
        #set($context.requestOverride.header.X-Mapped = 'replaced')\
        #set($context.requestOverride.querystring.q = 'over ridden')\
        #set($context.requestOverride.querystring.extra = 'e')\
        #set($context.requestOverride.path.id = 'a/b c')\
        {\"sent\": true}";
    let paths = json!({
        "/items/{id}": {"post": {
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {
                "type": "http", "httpMethod": "POST",
                "uri": format!("http://{echo}/items/{{id}}/{{kind}}"),
                "requestParameters": {
                    "integration.request.path.id": "method.request.path.id",
                    "integration.request.path.kind": "'fixed'",
                    "integration.request.querystring.q": "method.request.querystring.q",
                    "integration.request.querystring.keep": "'k'",
                    "integration.request.header.X-Mapped": "'mapped'",
                },
                "requestTemplates": {"application/json": template},
                "responses": {"default": {"statusCode": "200", "responseTemplates": {
                    "application/json": "$context.requestOverride.path.id|$context.requestOverride.querystring.q|$context.requestOverride.header.X-Over"}}}
            }
        }},
        "/plain/{id}": {"post": {
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {
                "type": "http", "httpMethod": "POST",
                "uri": format!("http://{echo}/items/{{id}}/{{kind}}"),
                "requestParameters": {
                    "integration.request.path.kind": "'fixed'",
                    "integration.request.querystring.q": "method.request.querystring.q",
                },
                "requestTemplates": {"application/json": "{\"sent\": true}"},
                "responses": {"default": {"statusCode": "200"}}
            }
        }},
    });
    let gw = gateway(&document(paths, &[]), |_| {}).await;
    let r = send("POST", &gw.url("/items/7?q=client"), &[], "{}").await;
    assert_eq!((r.status, &r.body[..]), (200, &b"a/b c|over ridden|h1"[..]));
    // Without overrides: the mapped values.
    let r = send("POST", &gw.url("/plain/7?q=client"), &[], "{}").await;
    assert_eq!(r.status, 200);
    let seen = log.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].uri,
        "/items/a%2Fb%20c/fixed?q=over%20ridden&keep=k&extra=e"
    );
    assert_eq!(seen[0].header("x-over"), Some("h1"));
    assert_eq!(seen[0].header("x-mapped"), Some("replaced"));
    assert_eq!(&seen[0].body[..], br#"{"sent": true}"#);
    assert_eq!(seen[1].uri, "/items/7/fixed?q=client");
    gw.gateway.shutdown().await;
}
