//! `compile_with`: the engines' budgets are settings. Each test compiles the same spec with
//! the default budgets and with a smaller one, and checks that only the smaller one hits it.

use apigw_mapping::{
    BackendResponse, EngineLimits, IntegrationKind, IntegrationResponse, IntegrationSpec,
    RequestContext, compile, compile_with,
};
use serde_json::{Map, Value, json};

fn templates(t: &str) -> Option<Map<String, Value>> {
    json!({"application/json": t}).as_object().cloned()
}

fn spec(responses: Vec<IntegrationResponse>) -> IntegrationSpec {
    let mut spec = IntegrationSpec::new(IntegrationKind::Http);
    spec.method_responses = responses.iter().map(|r| r.status_code.clone()).collect();
    spec.integration_responses = responses;
    spec
}

fn small(f: impl FnOnce(&mut EngineLimits)) -> EngineLimits {
    let mut limits = EngineLimits::default();
    f(&mut limits);
    limits
}

#[test]
fn loop_budget_is_a_setting() {
    let spec = spec(vec![IntegrationResponse {
        status_code: "200".into(),
        response_templates: templates("#foreach($i in [1..50])x#end"),
        ..Default::default()
    }]);
    let backend = BackendResponse::new(200, "{}");
    let request = RequestContext::default();

    let fine = compile(&spec).unwrap().apply(&backend, &request);
    assert_eq!((fine.status, fine.body.len()), (200, 50));

    let limited = compile_with(&spec, &small(|l| l.templates.max_loop_iterations = 10)).unwrap();
    let r = limited.apply(&backend, &request);
    assert_eq!(r.status, 500);
    assert_eq!(&r.body[..], br#"{"message": "Internal server error"}"#);
    let failure = r.failure.expect("the failure says why").to_string();
    assert!(failure.contains("loop iteration limit"), "{failure}");
}

#[test]
fn template_size_budget_is_a_setting_and_a_compile_warning() {
    let spec = spec(vec![IntegrationResponse {
        status_code: "200".into(),
        response_templates: templates(&"x".repeat(100)),
        ..Default::default()
    }]);
    assert!(compile(&spec).unwrap().warnings().is_empty());
    let limited = compile_with(&spec, &small(|l| l.templates.max_template_bytes = 64)).unwrap();
    assert_eq!(limited.warnings().len(), 1, "{:?}", limited.warnings());
    let r = limited.apply(&BackendResponse::new(200, "{}"), &RequestContext::default());
    assert_eq!(r.status, 500);
}

#[test]
fn pattern_budget_is_a_setting() {
    let spec = spec(vec![
        IntegrationResponse {
            status_code: "200".into(),
            ..Default::default()
        },
        IntegrationResponse {
            status_code: "404".into(),
            selection_pattern: Some("4(0)4|40[4]".into()),
            ..Default::default()
        },
    ]);
    let backend = BackendResponse::new(404, "");
    let request = RequestContext::default();
    assert_eq!(
        compile(&spec).unwrap().apply(&backend, &request).status,
        404
    );

    // A pattern longer than the budget never matches: the default response answers.
    let limited = compile_with(&spec, &small(|l| l.patterns.max_pattern_len = 4)).unwrap();
    assert_eq!(limited.apply(&backend, &request).status, 200);
    assert!(
        limited.warnings()[0].contains("selectionPattern of integration response \"404\""),
        "{:?}",
        limited.warnings()
    );
    // The explain trace tries the pattern within the same budget.
    let (r, why) = limited.apply_explained(&backend, &request);
    assert_eq!(r.status, 200);
    assert_eq!(why.patterns[0].matched, None);
}
