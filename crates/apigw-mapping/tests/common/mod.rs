//! Set-ups shared by the integration tests.

use apigw_mapping::{
    BackendResponse, CompiledIntegration, IntegrationKind, IntegrationResponse, IntegrationSpec,
    compile,
};

/// An HTTP integration whose one response, 200 (the default), renders `template` for
/// `application/json`.
pub fn templated(template: &str) -> CompiledIntegration {
    let mut spec = IntegrationSpec::new(IntegrationKind::Http);
    let mut templates = serde_json::Map::new();
    templates.insert("application/json".into(), template.into());
    spec.integration_responses = vec![IntegrationResponse {
        status_code: "200".into(),
        response_templates: Some(templates),
        ..Default::default()
    }];
    spec.method_responses = vec!["200".into()];
    compile(&spec).expect("compiles")
}

/// A backend's 200 answer of `body`, without headers.
pub fn backend(body: String) -> BackendResponse {
    BackendResponse {
        status: 200,
        headers: Vec::new(),
        body: body.into(),
        function_error: false,
    }
}
