//! Lints arbitrary bytes as an OpenAPI / Swagger document (JSON or YAML) and as a state file,
//! and renders both reports in both formats: never a panic, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for report in [
        apigw_lint::lint_source("api.yaml", data),
        apigw_lint::lint_state_source("state.json", data),
    ] {
        let _ = report.to_text();
        let _ = report.to_json();
        let _ = report.exit_status(true);
    }
});
