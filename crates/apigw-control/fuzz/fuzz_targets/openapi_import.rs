//! Imports arbitrary bytes as an OpenAPI / Swagger document (JSON or YAML) through the wire
//! protocol: `POST /restapis?mode=import`, then, when that worked, `PUT` the same document
//! back in `overwrite` and `merge` mode, deploy, and export the stage both ways.
#![no_main]

use apigw_control::{Config, Store};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let store = Store::in_memory(Config {
        auth_disabled: true,
        ..Config::default()
    });
    let r = store.handle("POST", "/restapis", "mode=import", &[], data);
    let _ = store.handle(
        "POST",
        "/restapis",
        "mode=import&failonwarnings=true",
        &[],
        data,
    );
    if r.status != 201 {
        return;
    }
    let v = r.json();
    let Some(id) = v["id"].as_str() else {
        return;
    };
    let api = format!("/restapis/{id}");
    let _ = store.handle("PUT", &api, "mode=overwrite", &[], data);
    let _ = store.handle("PUT", &api, "mode=merge", &[], data);
    let _ = store.handle(
        "GET",
        &format!("{api}/resources"),
        "embed=methods",
        &[],
        b"",
    );
    let d = store.handle(
        "POST",
        &format!("{api}/deployments"),
        "",
        &[],
        br#"{"stageName":"s"}"#,
    );
    if d.status == 201 {
        for kind in ["swagger", "oas30"] {
            let _ = store.handle(
                "GET",
                &format!("{api}/stages/s/exports/{kind}"),
                "extensions=integrations",
                &[],
                b"",
            );
        }
    }
});
