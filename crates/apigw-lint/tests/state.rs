//! A state directory as apigw-control writes it (`tests/fixtures/state/state.json`, made by
//! the ignored `regenerate_state_fixture` below through the store's own operations) and its
//! exact expected report.

use std::path::{Path, PathBuf};

use apigw_control::{Config, Store};
use apigw_lint::lint_path;
use serde_json::{Map, Value, json};

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("apigw-lint-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Rebuilds the fixture: `cargo test -p apigw-lint --test state -- --ignored`.
#[test]
#[ignore = "rewrites tests/fixtures/state/state.json"]
fn regenerate_state_fixture() {
    let dir = scratch_dir("gen");
    {
        let store = Store::open(
            &dir,
            Config {
                auth_disabled: true,
                ..Config::default()
            },
        )
        .unwrap();
        let api = store
            .create_rest_api(&obj(
                json!({"name": "orders", "binaryMediaTypes": ["*/png"]}),
            ))
            .unwrap();
        let id = api["id"].as_str().unwrap().to_owned();
        let root = api["rootResourceId"].as_str().unwrap().to_owned();
        let res = store
            .create_resource(&id, &root, &obj(json!({"pathPart": "orders"})))
            .unwrap();
        let rid = res["id"].as_str().unwrap().to_owned();
        store
            .put_method(&id, &rid, "GET", &obj(json!({"authorizationType": "NONE"})))
            .unwrap();
        for code in ["200", "400"] {
            store
                .put_method_response(&id, &rid, "GET", code, &obj(json!({})))
                .unwrap();
        }
        store
            .put_integration(
                &id,
                &rid,
                "GET",
                &obj(json!({"type": "HTTP", "httpMethod": "GET",
                            "uri": "https://backend.example/orders"})),
            )
            .unwrap();
        for (code, input) in [
            (
                "200",
                json!({"responseTemplates": {"application/json": "{\"o\": $util.toJson($input.body)}"}}),
            ),
            ("201", json!({"selectionPattern": ""})),
            ("400", json!({"selectionPattern": "4\\d{2}"})),
            ("404", json!({"selectionPattern": "404"})),
        ] {
            store
                .put_integration_response(&id, &rid, "GET", code, &obj(input))
                .unwrap();
        }
        store
            .create_deployment(&id, &obj(json!({"stageName": "dev"})))
            .unwrap();
    }
    let target = Path::new("tests/fixtures/state");
    std::fs::create_dir_all(target).unwrap();
    std::fs::copy(dir.join("state.json"), target.join("state.json")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn state_dir_report() {
    let report = lint_path(Path::new("tests/fixtures/state"));
    if std::env::var_os("APIGW_LINT_BLESS").is_some() {
        std::fs::write("tests/fixtures/state.txt", report.to_text()).unwrap();
    }
    let expected = std::fs::read_to_string("tests/fixtures/state.txt").unwrap();
    assert_eq!(report.to_text(), expected);
    assert_eq!(report.exit_status(false), 1);
}

#[test]
fn the_fixture_is_what_the_store_reads() {
    let dir = scratch_dir("open");
    std::fs::copy("tests/fixtures/state/state.json", dir.join("state.json")).unwrap();
    let store = Store::open(&dir, Config::default()).unwrap();
    let apis = store.get_rest_apis().unwrap();
    assert_eq!(apis["item"][0]["name"], "orders");
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_hand_edited_state_gets_aws_texts() {
    let mut state: Value =
        serde_json::from_slice(&std::fs::read("tests/fixtures/state/state.json").unwrap()).unwrap();
    let api_id = state["rest_apis"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let api = &mut state["rest_apis"][&api_id];
    let rid = api["resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, r)| r["path"] == "/orders")
        .map(|(k, _)| k.clone())
        .unwrap();
    let irs = &mut api["resources"][&rid]["methods"]["GET"]["integration"]["integrationResponses"];
    irs["400"]["responseParameters"] = json!({"method.response.header.X-Nope": "'x'"});
    irs["wrong"] = json!({"statusCode": "wrong"});
    // Only the working definition: drop the deployments.
    api["deployments"] = json!({});
    api["stages"] = json!({});
    let report = apigw_lint::lint_state_source("state.json", state.to_string().as_bytes());
    let aws: Vec<String> = report
        .problems
        .iter()
        .filter(|p| p.rule == "aws-validation")
        .map(|p| format!("{}: {}", p.pointer, p.message))
        .collect();
    let at =
        format!("/rest_apis/{api_id}/resources/{rid}/methods/GET/integration/integrationResponses");
    assert_eq!(
        aws,
        [
            format!(
                "{at}/400: Invalid mapping expression specified: Validation Result: warnings : \
                 [], errors : [Invalid mapping expression parameter specified: \
                 method.response.header.X-Nope]"
            ),
            format!(
                "{at}/wrong: 1 validation error detected: Value 'wrong' at 'statusCode' failed \
                 to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d"
            ),
        ]
    );
}

#[test]
fn methods_naming_authorizers_and_validators_replay_clean() {
    let dir = scratch_dir("auth");
    {
        let store = Store::open(
            &dir,
            Config {
                auth_disabled: true,
                ..Config::default()
            },
        )
        .unwrap();
        let api = store
            .create_rest_api(&obj(json!({"name": "guarded"})))
            .unwrap();
        let id = api["id"].as_str().unwrap().to_owned();
        let root = api["rootResourceId"].as_str().unwrap().to_owned();
        let auth = store
            .create_authorizer(
                &id,
                &obj(json!({"name": "tokens", "type": "TOKEN",
                            "authorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations",
                            "identitySource": "method.request.header.Authorization"})),
            )
            .unwrap();
        let validator = store
            .create_request_validator(
                &id,
                &obj(json!({"name": "body", "validateRequestBody": true})),
            )
            .unwrap();
        store
            .put_method(
                &id,
                &root,
                "GET",
                &obj(json!({"authorizationType": "CUSTOM",
                            "authorizerId": auth["id"],
                            "requestValidatorId": validator["id"]})),
            )
            .unwrap();
        store
            .put_method_response(&id, &root, "GET", "200", &obj(json!({})))
            .unwrap();
        store
            .put_integration(&id, &root, "GET", &obj(json!({"type": "MOCK"})))
            .unwrap();
        store
            .put_integration_response(&id, &root, "GET", "200", &obj(json!({})))
            .unwrap();
        store
            .create_deployment(&id, &obj(json!({"stageName": "dev"})))
            .unwrap();
    }
    let report = lint_path(&dir);
    assert!(report.problems.is_empty(), "{}", report.to_text());
    assert_eq!(report.exit_status(false), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}
