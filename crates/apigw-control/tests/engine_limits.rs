//! `Config::engine_limits`: deployments compile templates and patterns with the configured
//! budgets, not only the engines' defaults.

use apigw_control::{Config, Store};
use apigw_mapping::{BackendResponse, EngineLimits, RequestContext};
use serde_json::{Map, Value, json};

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// A MOCK `GET /` whose default response loops 50 times; returns the deployed status.
fn deploy_and_call(limits: EngineLimits) -> (u16, usize) {
    let store = Store::in_memory(Config {
        auth_disabled: true,
        engine_limits: limits,
        ..Config::default()
    });
    let api = store
        .create_rest_api(&obj(json!({"name": "loops"})))
        .unwrap();
    let id = api["id"].as_str().unwrap();
    let root = api["rootResourceId"].as_str().unwrap();
    store
        .put_method(id, root, "GET", &obj(json!({"authorizationType": "NONE"})))
        .unwrap();
    store
        .put_method_response(id, root, "GET", "200", &obj(json!({})))
        .unwrap();
    store
        .put_integration(id, root, "GET", &obj(json!({"type": "MOCK"})))
        .unwrap();
    store
        .put_integration_response(
            id,
            root,
            "GET",
            "200",
            &obj(
                json!({"responseTemplates": {"application/json": "#foreach($i in [1..50])x#end"}}),
            ),
        )
        .unwrap();
    store
        .create_deployment(id, &obj(json!({"stageName": "dev"})))
        .unwrap();
    let (snapshot, _) = store.stage_snapshot(id, "dev").unwrap();
    let method = snapshot.method("/", "GET").expect("deployed");
    let r = method
        .compiled
        .apply(&BackendResponse::new(200, ""), &RequestContext::default());
    (r.status, r.body.len())
}

#[test]
fn deployments_compile_with_the_configured_budgets() {
    assert_eq!(deploy_and_call(EngineLimits::default()), (200, 50));
    let mut small = EngineLimits::default();
    small.templates.max_loop_iterations = 10;
    assert_eq!(deploy_and_call(small), (500, 36));
}
