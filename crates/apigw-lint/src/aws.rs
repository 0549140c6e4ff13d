//! AWS's put-time errors (SPEC §8.2–8.3), found by replaying the document through
//! apigw-control's own import ([`apigw_control::Store::import_rest_api`] on an in-memory
//! store), so the texts are exactly the ones an import or the individual `Put*` calls answer.
//!
//! An import stops at the first error, so the document is imported in small pieces, each
//! owning one place in the file: the document without paths; each gateway response; for
//! each operation, the operation alone, each method response, the integration without
//! responses, and each integration response. A piece reports only an error of its own step
//! (`put integration response` for an integration-response piece, …), so a problem is
//! reported once, at the place that causes it.

use apigw_control::{Config, Store};
use serde_json::{Map, Value, json};

use crate::Finding;
use crate::model::{METHOD_KEYS, push};

const PREFIX: &str = "Errors found during import:\n\tUnable to ";

/// The step an import error names and AWS's own text.
fn split_step(message: &str) -> Option<(&str, &str)> {
    let rest = message.strip_prefix(PREFIX)?;
    if let Some(r) = rest.strip_prefix("create resource at path '") {
        let (_, text) = r.split_once("': ")?;
        return Some(("create resource", text));
    }
    let (step, r) = rest.split_once(" on '")?;
    let (_, text) = r.split_once("': ")?;
    Some((step, text))
}

fn import(doc: &Map<String, Value>) -> Option<String> {
    let store = Store::in_memory(Config {
        auth_disabled: true,
        ..Config::default()
    });
    store
        .import_rest_api(Value::Object(doc.clone()).to_string().as_bytes(), None)
        .err()
        .map(|e| e.message().to_owned())
}

fn finding(pointer: String, message: &str) -> Finding {
    Finding::new(pointer, "aws-validation", message.to_owned())
}

/// Checks the document the way an import would, reporting every error it would stop at.
pub(crate) fn check(doc: &Map<String, Value>, out: &mut Vec<Finding>) {
    let mut base = doc.clone();
    base.remove("x-amazon-apigateway-gateway-responses");
    base.insert("paths".into(), json!({}));
    if let Some(message) = import(&base) {
        // The document as a whole is refused (`info.title`, …): nothing else can be checked.
        let pointer = if message.contains("info.title") {
            "/info".to_owned()
        } else {
            String::new()
        };
        out.push(finding(pointer, &message));
        return;
    }

    let gw_key = "x-amazon-apigateway-gateway-responses";
    for (ty, g) in doc
        .get(gw_key)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let mut piece = base.clone();
        piece.insert(gw_key.into(), json!({ ty: g }));
        if let Some(message) = import(&piece) {
            out.push(finding(push(&push("", gw_key), ty), &message));
        }
    }

    for (path, item) in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let Some(item) = item.as_object() else {
            continue;
        };
        let path_ptr = push("/paths", path);
        let shared = item.get("parameters");
        for key in METHOD_KEYS {
            let Some(op) = item.get(key).and_then(Value::as_object) else {
                continue;
            };
            let op_ptr = push(&path_ptr, key);
            let with_op = |op: Map<String, Value>| {
                let mut item = Map::new();
                if let Some(s) = shared {
                    item.insert("parameters".into(), s.clone());
                }
                item.insert(key.to_owned(), Value::Object(op));
                let mut piece = base.clone();
                piece.insert("paths".into(), json!({ path: item }));
                import(&piece)
            };
            let mut bare = op.clone();
            bare.remove("responses");
            let integration = bare.remove("x-amazon-apigateway-integration");
            if let Some(message) = with_op(bare.clone()) {
                let (step, text) = split_step(&message).unwrap_or(("", &message));
                let pointer = if step == "create resource" {
                    path_ptr.clone()
                } else {
                    op_ptr.clone()
                };
                out.push(finding(pointer, text));
                continue;
            }
            let responses = op.get("responses").and_then(Value::as_object);
            for (code, r) in responses.into_iter().flatten() {
                let mut piece = bare.clone();
                piece.insert("responses".into(), json!({ code: r }));
                if let Some(message) = with_op(piece)
                    && let Some(("put method response", text)) = split_step(&message)
                {
                    out.push(finding(push(&push(&op_ptr, "responses"), code), text));
                }
            }
            let Some(Value::Object(integration)) = integration else {
                continue;
            };
            let i_ptr = push(&op_ptr, "x-amazon-apigateway-integration");
            let mut full = bare.clone();
            if let Some(r) = responses {
                full.insert("responses".into(), Value::Object(r.clone()));
            }
            let mut integ = integration.clone();
            let irs = integ.remove("responses");
            let with_integration = |integ: &Map<String, Value>| {
                let mut piece = full.clone();
                piece.insert(
                    "x-amazon-apigateway-integration".into(),
                    Value::Object(integ.clone()),
                );
                with_op(piece)
            };
            if let Some(message) = with_integration(&integ) {
                if let Some(("put integration", text)) = split_step(&message) {
                    out.push(finding(i_ptr, text));
                }
                continue;
            }
            for (pattern, r) in irs
                .as_ref()
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let mut one = integ.clone();
                one.insert("responses".into(), json!({ pattern: r }));
                if let Some(message) = with_integration(&one)
                    && let Some(("put integration response", text)) = split_step(&message)
                {
                    out.push(finding(push(&push(&i_ptr, "responses"), pattern), text));
                }
            }
        }
    }
}

/// A copy of `v`'s members without `drop`.
fn input_without(v: &Value, drop: &[&str]) -> Map<String, Value> {
    let mut m = v.as_object().cloned().unwrap_or_default();
    for d in drop {
        m.remove(*d);
    }
    m
}

/// Checks a stored definition (a REST API or a deployment's `definition` in `state.json`,
/// at `pointer`) by replaying it through the ordinary operations (`CreateResource`,
/// `PutMethod`, `PutMethodResponse`, `PutIntegration`, `PutIntegrationResponse`,
/// `PutGatewayResponse`) on an in-memory store. A state the store wrote passes; a state
/// edited by hand, or written by an older version, gets AWS's texts at each refused piece.
pub(crate) fn check_stored(def: &Value, pointer: &str, out: &mut Vec<Finding>) {
    let store = Store::in_memory(Config {
        auth_disabled: true,
        ..Config::default()
    });
    let Ok(api) = store.create_rest_api(&input_without(&json!({"name": "lint"}), &[])) else {
        return;
    };
    let (Some(id), Some(root)) = (api["id"].as_str(), api["rootResourceId"].as_str()) else {
        return;
    };
    if let Some(types) = def.get("binaryMediaTypes") {
        let input = input_without(&json!({"name": "lint", "binaryMediaTypes": types}), &[]);
        if let Err(e) = store.create_rest_api(&input) {
            out.push(finding(push(pointer, "binaryMediaTypes"), e.message()));
        }
    }
    let gw = push(pointer, "gatewayResponses");
    for (ty, g) in def
        .get("gatewayResponses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Err(e) = store.put_gateway_response(id, ty, &input_without(g, &["responseType"])) {
            out.push(finding(push(&gw, ty), e.message()));
        }
    }
    // Authorizers and request validators before the methods that name them; the methods'
    // ids are rewritten to the replayed ones.
    let authorizers = replay_named(def, pointer, "authorizers", out, |input| {
        store.create_authorizer(id, input)
    });
    let validators = replay_named(def, pointer, "requestValidators", out, |input| {
        store.create_request_validator(id, input)
    });
    let Some(resources) = def.get("resources").and_then(Value::as_object) else {
        return;
    };
    // Parents before children: by the number of segments of the stored path.
    let mut order: Vec<(&String, &Value)> = resources.iter().collect();
    order.sort_by_key(|(_, r)| {
        r.get("path")
            .and_then(Value::as_str)
            .map_or(0, |p| p.split('/').filter(|s| !s.is_empty()).count())
    });
    let mut new_ids: Map<String, Value> = Map::new();
    for (rid, r) in order {
        let r_ptr = push(&push(pointer, "resources"), rid);
        let new_rid = match r.get("parentId").and_then(Value::as_str) {
            None => root.to_owned(),
            Some(parent) => {
                let Some(new_parent) = new_ids.get(parent).and_then(Value::as_str) else {
                    continue;
                };
                let input = input_without(r, &["id", "parentId", "path", "methods"]);
                match store.create_resource(id, new_parent, &input) {
                    Ok(v) => v["id"].as_str().unwrap_or_default().to_owned(),
                    Err(e) => {
                        out.push(finding(r_ptr, e.message()));
                        continue;
                    }
                }
            }
        };
        new_ids.insert(rid.clone(), json!(new_rid));
        for (m, method) in r
            .get("methods")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let m_ptr = push(&push(&r_ptr, "methods"), m);
            let mut input =
                input_without(method, &["httpMethod", "methodResponses", "integration"]);
            for (key, ids) in [
                ("authorizerId", &authorizers),
                ("requestValidatorId", &validators),
            ] {
                if let Some(new) = input
                    .get(key)
                    .and_then(Value::as_str)
                    .and_then(|k| ids.get(k))
                {
                    input.insert(key.to_owned(), new.clone());
                }
            }
            if let Err(e) = store.put_method(id, &new_rid, m, &input) {
                out.push(finding(m_ptr, e.message()));
                continue;
            }
            for (code, mr) in method
                .get("methodResponses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let input = input_without(mr, &["statusCode"]);
                if let Err(e) = store.put_method_response(id, &new_rid, m, code, &input) {
                    out.push(finding(
                        push(&push(&m_ptr, "methodResponses"), code),
                        e.message(),
                    ));
                }
            }
            let Some(integ) = method.get("integration") else {
                continue;
            };
            let i_ptr = push(&m_ptr, "integration");
            let input = input_without(integ, &["integrationResponses"]);
            if let Err(e) = store.put_integration(id, &new_rid, m, &input) {
                out.push(finding(i_ptr, e.message()));
                continue;
            }
            for (code, ir) in integ
                .get("integrationResponses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let input = input_without(ir, &["statusCode"]);
                if let Err(e) = store.put_integration_response(id, &new_rid, m, code, &input) {
                    out.push(finding(
                        push(&push(&i_ptr, "integrationResponses"), code),
                        e.message(),
                    ));
                }
            }
        }
    }
}

/// Replays the stored objects under `def[key]` (by id) with `create`, reporting refusals;
/// returns the map from stored id to replayed id.
fn replay_named(
    def: &Value,
    pointer: &str,
    key: &str,
    out: &mut Vec<Finding>,
    create: impl Fn(&Map<String, Value>) -> Result<Value, apigw_control::ApiError>,
) -> Map<String, Value> {
    let mut ids = Map::new();
    for (old_id, v) in def
        .get(key)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        match create(&input_without(v, &["id"])) {
            Ok(made) => {
                if let Some(new_id) = made.get("id") {
                    ids.insert(old_id.clone(), new_id.clone());
                }
            }
            Err(e) => out.push(finding(push(&push(pointer, key), old_id), e.message())),
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps() {
        assert_eq!(
            split_step(
                "Errors found during import:\n\tUnable to put integration response on 'GET' for \
                 resource at path '/a': Invalid mapping expression specified: x"
            ),
            Some((
                "put integration response",
                "Invalid mapping expression specified: x"
            ))
        );
        assert_eq!(
            split_step(
                "Errors found during import:\n\tUnable to create resource at path '/a b': bad"
            ),
            Some(("create resource", "bad"))
        );
        assert_eq!(split_step("other"), None);
    }
}
