//! The typed request ids ([`RequestContext::request_id`],
//! [`RequestContext::extended_request_id`]): everything that reads `$context.requestId` and
//! `$context.extendedRequestId` sees them exactly as it sees the same ids put in the
//! `$context` map, and they take precedence over map entries of the same names.

use apigw_mapping::{
    BackendResponse, ContextId, GatewayHeaderValues, GatewayResponse, HostError,
    HostGatewayResponse, IntegrationKind, IntegrationResponse, IntegrationSpec, MethodResponse,
    RequestContext, compile,
};
use serde_json::{Map, Value, json};

const RID: &str = "c0ffee00-0000-4000-8000-000000000001";
const EXT: &str = "AbCdEfGhIjKlMnO=";

/// The ids in the `$context` map, inserted after `extra` (where typed ids appear when the
/// map has no entries of their names).
fn map_ids(extra: &[(&str, Value)]) -> RequestContext {
    let mut r = RequestContext::default();
    for (k, v) in extra {
        r.context.insert((*k).into(), v.clone());
    }
    r.context.insert("requestId".into(), RID.into());
    r.context.insert("extendedRequestId".into(), EXT.into());
    r
}

/// The same ids typed, the map holding only the other fields.
fn typed_ids(extra: &[(&str, Value)]) -> RequestContext {
    let mut r = RequestContext {
        request_id: Some(ContextId::new(RID)),
        extended_request_id: Some(ContextId::new(EXT)),
        ..RequestContext::default()
    };
    for (k, v) in extra {
        r.context.insert((*k).into(), v.clone());
    }
    r
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!("an object"),
    }
}

/// An HTTP integration answering 200 with `template` (if any) and `params`.
fn spec(kind: IntegrationKind, template: Option<&str>, params: Value) -> IntegrationSpec {
    let mut spec = IntegrationSpec::new(kind);
    spec.integration_responses = vec![IntegrationResponse {
        status_code: "200".into(),
        response_templates: template
            .map(|t| object(json!({"application/json": t, "text/plain": t}))),
        response_parameters: Some(object(params)),
        ..Default::default()
    }];
    spec.method_responses = vec!["200".into()];
    spec
}

fn headers(r: &MethodResponse) -> Vec<(String, String)> {
    r.headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect()
}

fn same(a: &MethodResponse, b: &MethodResponse, what: &str) {
    assert_eq!(a.status, b.status, "{what}");
    assert_eq!(headers(a), headers(b), "{what}");
    assert_eq!(
        String::from_utf8_lossy(&a.body),
        String::from_utf8_lossy(&b.body),
        "{what}"
    );
    assert_eq!(
        a.failure.as_ref().map(ToString::to_string),
        b.failure.as_ref().map(ToString::to_string),
        "{what}"
    );
}

#[test]
fn templates_params_and_headers_see_typed_ids_as_map_ids() {
    let templates = [
        "$context.requestId|$context.extendedRequestId",
        "$context.get('requestId')/$context.get('extendedRequestId')",
        "#set($n = 'requestId')$context.get($n)",
        "$context",
        "#set($c = $context)$c.requestId $c.stage",
        "$context.requestId.length() $context.requestId.substring(0, 8)",
        "#if($context.requestId == \"c0ffee00-0000-4000-8000-000000000001\")yes#end",
        "$context.requestId.x|$!context.extendedRequestId.y",
        "#evaluate('$context.extendedRequestId')",
    ];
    let params = json!({
        "method.response.header.X-Request-Id": "context.requestId",
        "method.response.header.X-Ext": "context.extendedRequestId",
        "method.response.header.X-Member": "context.requestId.x",
        "method.response.header.X-Stage": "context.stage",
    });
    for extra in [vec![], vec![("stage", json!("prod")), ("n", json!(7))]] {
        let by_map = map_ids(&extra);
        let by_type = typed_ids(&extra);
        for kind in [
            IntegrationKind::Http,
            IntegrationKind::Aws,
            IntegrationKind::Mock,
        ] {
            for template in templates.iter().map(Some).chain([None]) {
                let compiled = compile(&spec(kind, template.copied(), params.clone())).unwrap();
                let backend = BackendResponse::new(200, "{}");
                let what = format!("{kind:?} {template:?} {extra:?}");
                let a = compiled.apply(&backend, &by_map);
                let b = compiled.apply(&backend, &by_type);
                same(&a, &b, &what);
                assert_eq!(a.status, 200, "{what}: {:?}", a.failure);
                // `apply_into` with the values built from the typed request.
                let mut reused = MethodResponse::empty();
                compiled.apply_into(
                    &backend,
                    &by_type,
                    &GatewayHeaderValues::from_request(&by_type),
                    &mut reused,
                );
                same(&a, &reused, &what);
                // The explanation's response too.
                same(&compiled.apply_explained(&backend, &by_type).0, &a, &what);
            }
        }
    }
}

#[test]
fn typed_ids_reach_the_headers_params_and_templates() {
    let compiled = compile(&spec(
        IntegrationKind::Http,
        Some("$context.requestId $context.extendedRequestId $context"),
        json!({
            "method.response.header.X-Request-Id": "context.requestId",
            "method.response.header.X-Ext": "context.extendedRequestId",
        }),
    ))
    .unwrap();
    let request = typed_ids(&[("stage", json!("prod"))]);
    let out = compiled.apply(&BackendResponse::new(200, "{}"), &request);
    assert_eq!(out.status, 200, "{:?}", out.failure);
    assert_eq!(
        String::from_utf8_lossy(&out.body),
        format!("{RID} {EXT} {{stage=prod, requestId={RID}, extendedRequestId={EXT}}}")
    );
    assert_eq!(out.headers["x-request-id"], RID);
    assert_eq!(out.headers["x-ext"], EXT);
    assert_eq!(out.headers["x-amzn-requestid"], RID);
    assert_eq!(out.headers["x-amz-apigw-id"], EXT);
    // The trace id is derived from the request id, whichever way it was given.
    assert_eq!(
        out.headers["x-amzn-trace-id"],
        GatewayHeaderValues::from_request(&map_ids(&[]))
            .trace_id
            .unwrap()
    );
    assert_eq!(request.context_str("requestId"), Some(RID));
    assert_eq!(request.context_str("extendedRequestId"), Some(EXT));
    assert_eq!(request.context_str("stage"), Some("prod"));
}

#[test]
fn typed_ids_take_precedence_over_map_entries() {
    let mut request = RequestContext::default();
    request.context.insert("a".into(), 1.into());
    request.context.insert("requestId".into(), "map-r".into());
    request
        .context
        .insert("extendedRequestId".into(), json!({"not": "a string"}));
    request.context.insert("z".into(), 2.into());
    let compiled = compile(&spec(
        IntegrationKind::Http,
        Some("$context.requestId/$context.get('extendedRequestId')/$context"),
        json!({
            "method.response.header.X-Request-Id": "context.requestId",
            "method.response.header.X-Ext": "context.extendedRequestId",
            "method.response.header.X-Not": "context.extendedRequestId.not",
        }),
    ))
    .unwrap();
    let backend = BackendResponse::new(200, "{}");

    // Without typed ids, the map's entries (as before).
    let out = compiled.apply(&backend, &request);
    assert_eq!(
        String::from_utf8_lossy(&out.body),
        "map-r/{not=a string}/{a=1, requestId=map-r, extendedRequestId={not=a string}, z=2}"
    );
    assert_eq!(out.headers["x-amzn-requestid"], "map-r");
    assert!(out.headers.get("x-amz-apigw-id").is_none());
    assert_eq!(out.headers["x-ext"], r#"{"not":"a string"}"#);
    assert_eq!(out.headers["x-not"], "a string");

    // Typed ids win, in the entries' places.
    request.request_id = Some("typed-r".into());
    request.extended_request_id = Some("typed-e".into());
    let out = compiled.apply(&backend, &request);
    assert_eq!(
        String::from_utf8_lossy(&out.body),
        "typed-r/typed-e/{a=1, requestId=typed-r, extendedRequestId=typed-e, z=2}"
    );
    assert_eq!(out.headers["x-request-id"], "typed-r");
    assert_eq!(out.headers["x-ext"], "typed-e");
    assert!(
        out.headers.get("x-not").is_none(),
        "a string has no members"
    );
    assert_eq!(out.headers["x-amzn-requestid"], "typed-r");
    assert_eq!(out.headers["x-amz-apigw-id"], "typed-e");
    assert_eq!(request.context_str("requestId"), Some("typed-r"));
    let whole = request.context_map();
    let keys: Vec<&str> = whole.keys().map(String::as_str).collect();
    assert_eq!(keys, ["a", "requestId", "extendedRequestId", "z"]);
    assert_eq!(whole["extendedRequestId"], "typed-e");

    // One typed id: the other still comes from the map.
    request.request_id = None;
    let out = compiled.apply(&backend, &request);
    assert_eq!(out.headers["x-amzn-requestid"], "map-r");
    assert_eq!(out.headers["x-amz-apigw-id"], "typed-e");

    // Without map entries, typed ids follow the map's fields, `requestId` first.
    let mut request = typed_ids(&[("z", json!(2))]);
    let out = compiled.apply(&backend, &request);
    assert_eq!(
        String::from_utf8_lossy(&out.body),
        format!("{RID}/{EXT}/{{z=2, requestId={RID}, extendedRequestId={EXT}}}")
    );
    // A long id (kept on the heap) reads the same.
    let long = "r".repeat(100);
    request.request_id = Some(ContextId::new(&long));
    let out = compiled.apply(&backend, &request);
    assert_eq!(out.headers["x-amzn-requestid"], long.as_str());
    // A typed id that is not a valid header value is left out of the headers, as a map
    // entry is.
    request.request_id = Some("bad\nid".into());
    let out = compiled.apply(&backend, &request);
    assert!(out.headers.get("x-amzn-requestid").is_none());
    assert!(out.headers.get("x-request-id").is_none());
}

#[test]
fn gateway_responses_see_typed_ids() {
    // A configuration error (no method response for 500), answered by the default and by a
    // customised gateway response reading `$context`.
    let mut failing = spec(IntegrationKind::Http, None, json!({}));
    failing.integration_responses[0].status_code = "500".into();
    let mut customised = failing.clone();
    customised.gateway_responses = vec![GatewayResponse {
        response_type: "DEFAULT_5XX".into(),
        response_parameters: Some(object(json!({
            "gatewayresponse.header.X-Request-Id": "context.requestId",
            "gatewayresponse.header.X-Ext": "context.extendedRequestId",
        }))),
        response_templates: Some(object(json!({
            "application/json":
                "$context.requestId $context.extendedRequestId $context.error.responseType $context",
        }))),
        ..Default::default()
    }];
    let backend = BackendResponse::new(200, "{}");
    for s in [&failing, &customised] {
        let compiled = compile(s).unwrap();
        let a = compiled.apply(&backend, &map_ids(&[("stage", json!("prod"))]));
        let b = compiled.apply(&backend, &typed_ids(&[("stage", json!("prod"))]));
        assert_eq!(a.status, 500);
        assert!(a.failure.is_some());
        same(&a, &b, "gateway response");
        assert_eq!(b.headers["x-amzn-requestid"], RID);
        assert_eq!(b.headers["x-amz-apigw-id"], EXT);
    }
    let compiled = compile(&customised).unwrap();
    let out = compiled.apply(&backend, &typed_ids(&[("stage", json!("prod"))]));
    assert_eq!(out.headers["x-request-id"], RID);
    assert_eq!(out.headers["x-ext"], EXT);
    assert_eq!(
        String::from_utf8_lossy(&out.body),
        format!(
            "{RID} {EXT} API_CONFIGURATION_ERROR {{stage=prod, requestId={RID}, \
             extendedRequestId={EXT}, error={{message=Internal server error, \
             messageString=\"Internal server error\", responseType=API_CONFIGURATION_ERROR}}}}"
        )
    );

    // A host's gateway response.
    let g: GatewayResponse = serde_json::from_value(json!({
        "responseType": "MISSING_AUTHENTICATION_TOKEN",
        "statusCode": "404",
        "responseParameters": {"gatewayresponse.header.X-Request-Id": "context.requestId"},
        "responseTemplates": {"application/json": "$context.requestId $context.extendedRequestId"},
    }))
    .unwrap();
    let host = HostGatewayResponse::compile(&g).unwrap();
    let error = HostError {
        status: 403,
        message: "Missing Authentication Token",
        body: "{}",
        error_type: None,
    };
    let a = host.respond(&map_ids(&[]), &error).unwrap();
    let b = host.respond(&typed_ids(&[]), &error).unwrap();
    same(&a, &b, "host gateway response");
    assert_eq!(&b.body[..], format!("{RID} {EXT}").as_bytes());
    assert_eq!(b.headers["x-request-id"], RID);
    assert_eq!(b.headers["x-amz-apigw-id"], EXT);
}

#[test]
fn request_templates_see_typed_ids() {
    let mut s = IntegrationSpec::new(IntegrationKind::Lambda);
    s.request_templates = object(json!({
        "application/json": "{\"id\": \"$context.requestId\", \"ext\": \"$context.extendedRequestId\"}",
    }));
    let compiled = compile(&s).unwrap();
    let rendered = compiled.render_request(&typed_ids(&[])).unwrap().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&rendered.body),
        format!("{{\"id\": \"{RID}\", \"ext\": \"{EXT}\"}}")
    );
    // MOCK: the request template picks the status from the id.
    let mut mock = spec(IntegrationKind::Mock, None, json!({}));
    mock.request_templates = object(json!({
        "application/json":
            "{\"statusCode\": #if($context.requestId == \"c0ffee00-0000-4000-8000-000000000001\")200#{else}500#end}",
    }));
    let compiled = compile(&mock).unwrap();
    let out = compiled.apply(&BackendResponse::default(), &typed_ids(&[]));
    assert_eq!(out.status, 200, "{:?}", out.failure);
}
