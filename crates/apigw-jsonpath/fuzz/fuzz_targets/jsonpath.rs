//! Parses an arbitrary JSONPath (both as a full path and as an
//! `integration.response.body.<suffix>`) and queries an arbitrary JSON document with it.
//!
//! Input: `path \0 json`. A document that does not parse is queried as a fixed sample.
#![no_main]

use apigw_jsonpath::JsonPath;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fn exercise(path: &JsonPath, doc: &Value) {
    let _ = path.is_definite();
    let _ = path.is_singular();
    let _ = path.rfc9535();
    let result = path.query(doc);
    let _ = result.len();
    let _ = result.first();
    let _ = result.to_value();
    let _ = path.try_query(doc);
    let got = path.get(doc);
    let _ = path.get_parsing_json_strings(doc);
    if path.is_definite() {
        // A definite path gives one value or nothing; `get` is its zero-allocation twin.
        if let Some(v) = got {
            let _ = v.to_string();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (path, doc) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(path) = std::str::from_utf8(path) else {
        return;
    };
    let doc: Value = serde_json::from_slice(doc).unwrap_or_else(|_| {
        json!({"a": {"b": [1, 2.5, "x", null, {"c": true}]}, "items": [{"id": 1, "s": "{\"k\":[1]}"}, {"id": 2}], "": {"": 0}})
    });
    if let Ok(p) = JsonPath::parse(path) {
        exercise(&p, &doc);
    }
    if let Ok(p) = JsonPath::parse_body_suffix(path) {
        exercise(&p, &doc);
    }
});
