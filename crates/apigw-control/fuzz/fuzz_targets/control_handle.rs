//! Drives `Store::handle` (in memory, auth disabled) with a sequence of arbitrary requests.
//!
//! Input: requests separated by NUL; each is `METHOD PATH[?QUERY]\nBODY`. In the path,
//! `{api}`, `{root}`, `{res}` and `{dep}` stand for the ids most recently returned by
//! CreateRestApi / ImportRestApi, CreateResource and CreateDeployment (ids are random, so a
//! fuzzer could not guess them). At most 32 requests per input.
#![no_main]

use apigw_control::{Config, Store};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

#[derive(Default)]
struct Ids {
    api: String,
    root: String,
    res: String,
    dep: String,
}

fuzz_target!(|data: &[u8]| {
    let store = Store::in_memory(Config {
        auth_disabled: true,
        ..Config::default()
    });
    let mut ids = Ids::default();
    for chunk in data.split(|&b| b == 0).take(32) {
        let (head, body) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], &chunk[i + 1..]),
            None => (chunk, &[][..]),
        };
        let Ok(head) = std::str::from_utf8(head) else {
            continue;
        };
        let (method, target) = head.split_once(' ').unwrap_or((head, "/"));
        let target = target
            .replace("{api}", &ids.api)
            .replace("{root}", &ids.root)
            .replace("{res}", &ids.res)
            .replace("{dep}", &ids.dep);
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let response = store.handle(method, path, query, &[], body);
        assert!(
            (100..600).contains(&response.status),
            "status {}",
            response.status
        );
        if response.status == 201 {
            let v: Value = response.json();
            let id = v
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if let Some(root) = v.get("rootResourceId").and_then(Value::as_str) {
                ids.root = root.to_owned();
                ids.api = id;
            } else if path.ends_with("/deployments") {
                ids.dep = id;
            } else if v.get("path").is_some() && !id.is_empty() {
                ids.res = id;
            }
        }
    }
});
