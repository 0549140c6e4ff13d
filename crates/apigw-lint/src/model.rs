//! The parts of a definition the rules look at, read from the raw JSON document with the JSON
//! pointer of every piece, so each problem can name its exact place in the source file.
//!
//! Two sources produce the same shape: an OpenAPI document (Swagger 2.0 / OpenAPI 3.x, read
//! by [`apigw_control::parse_openapi`] exactly as the import reads it) and an apigw-control
//! `state.json` (every REST API's working definition and every deployment a stage serves).

use apigw_mapping::IntegrationKind;
use serde_json::{Map, Value};

/// Appends one reference token to a JSON pointer (RFC 6901: `~` → `~0`, `/` → `~1`).
pub(crate) fn push(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", token.replace('~', "~0").replace('/', "~1"))
}

/// Sorts findings by the document order of the place they name (a stable sort: findings at
/// one place keep the order the rules produced them in). Pointers not in the document go
/// last.
pub(crate) fn sort_in_document_order(doc: &Value, findings: &mut [crate::Finding]) {
    fn walk(v: &Value, pointer: &str, order: &mut std::collections::HashMap<String, usize>) {
        let n = order.len();
        order.insert(pointer.to_owned(), n);
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    walk(x, &push(pointer, k), order);
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, &push(pointer, &i.to_string()), order);
                }
            }
            _ => {}
        }
    }
    let mut order = std::collections::HashMap::new();
    walk(doc, "", &mut order);
    findings.sort_by_key(|f| order.get(&f.pointer).copied().unwrap_or(usize::MAX));
}

/// A mapping template.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    /// The template text; `None` for a `null` or `""` (passthrough) template.
    pub(crate) text: Option<String>,
    pub(crate) pointer: String,
}

/// An integration response, in the form the import (or the store) gives it.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub(crate) pointer: String,
    /// `statusCode` and its pointer.
    pub(crate) status_code: Option<(String, String)>,
    /// `selectionPattern` and its pointer (for an OpenAPI response, the pattern is the key, so
    /// the pointer is the response object's).
    pub(crate) pattern: Option<(String, String)>,
    pub(crate) templates: Vec<Template>,
    /// `contentHandling` (upper-cased, as imported) and its pointer.
    pub(crate) content_handling: Option<(String, String)>,
}

impl Response {
    /// Whether this is a default response (pattern absent or `""`, SPEC §2.7).
    pub(crate) fn is_default(&self) -> bool {
        self.pattern.as_ref().is_none_or(|(p, _)| p.is_empty())
    }

    pub(crate) fn code(&self) -> Option<&str> {
        self.status_code.as_ref().map(|(c, _)| c.as_str())
    }
}

/// A method's integration.
#[derive(Debug, Clone)]
pub(crate) struct Integration {
    /// `None` for an unknown `type`.
    pub(crate) kind: Option<IntegrationKind>,
    pub(crate) request_templates: Vec<Template>,
    /// In document order.
    pub(crate) responses: Vec<Response>,
}

/// A method of a resource.
#[derive(Debug, Clone)]
pub(crate) struct Method {
    /// Status codes with a method response.
    pub(crate) method_responses: Vec<String>,
    pub(crate) integration: Option<Integration>,
}

/// One API definition.
#[derive(Debug, Clone, Default)]
pub(crate) struct Definition {
    /// `binaryMediaTypes` entries with their pointers.
    pub(crate) binary_media_types: Vec<(String, String)>,
    /// Templates of customised gateway responses.
    pub(crate) gateway_templates: Vec<Template>,
    pub(crate) methods: Vec<Method>,
}

/// A string value, with numbers and booleans (YAML `statusCode: 200`) turned into text, as
/// the import does.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn templates(map: Option<&Value>, pointer: &str) -> Vec<Template> {
    map.and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(ct, t)| Template {
            text: t.as_str().filter(|s| !s.is_empty()).map(str::to_owned),
            pointer: push(pointer, ct),
        })
        .collect()
}

fn kind(integration: &Map<String, Value>) -> Option<IntegrationKind> {
    let ty = text(integration.get("type"))?.to_ascii_uppercase();
    IntegrationKind::from_aws(&ty, integration.get("uri").and_then(Value::as_str))
}

/// OpenAPI path-item keys of operations, with API Gateway's `ANY` extension.
pub(crate) const METHOD_KEYS: [&str; 8] = [
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "x-amazon-apigateway-any-method",
];

/// Reads an OpenAPI document.
pub(crate) fn from_openapi(doc: &Map<String, Value>) -> Definition {
    let mut def = Definition::default();
    let key = "x-amazon-apigateway-binary-media-types";
    for (i, v) in doc
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(t) = text(Some(v)) {
            def.binary_media_types
                .push((t, push(&push("", key), &i.to_string())));
        }
    }
    let key = "x-amazon-apigateway-gateway-responses";
    for (ty, g) in doc
        .get(key)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let p = push(&push(&push("", key), ty), "responseTemplates");
        def.gateway_templates
            .extend(templates(g.get("responseTemplates"), &p));
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
        for key in METHOD_KEYS {
            let Some(op) = item.get(key).and_then(Value::as_object) else {
                continue;
            };
            let op_ptr = push(&path_ptr, key);
            let method_responses = op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(code, _)| code.clone())
                .filter(|c| c != "default")
                .collect();
            let integration = op
                .get("x-amazon-apigateway-integration")
                .and_then(Value::as_object)
                .map(|integ| {
                    let i_ptr = push(&op_ptr, "x-amazon-apigateway-integration");
                    let responses = integ
                        .get("responses")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                        .filter_map(|(pattern, r)| {
                            let r = r.as_object()?;
                            let r_ptr = push(&push(&i_ptr, "responses"), pattern);
                            Some(Response {
                                status_code: text(r.get("statusCode"))
                                    .map(|c| (c, push(&r_ptr, "statusCode"))),
                                pattern: (pattern != "default")
                                    .then(|| (pattern.clone(), r_ptr.clone())),
                                templates: templates(
                                    r.get("responseTemplates"),
                                    &push(&r_ptr, "responseTemplates"),
                                ),
                                content_handling: text(r.get("contentHandling")).map(|c| {
                                    (c.to_ascii_uppercase(), push(&r_ptr, "contentHandling"))
                                }),
                                pointer: r_ptr,
                            })
                        })
                        .collect();
                    Integration {
                        kind: kind(integ),
                        request_templates: templates(
                            integ.get("requestTemplates"),
                            &push(&i_ptr, "requestTemplates"),
                        ),
                        responses,
                    }
                });
            def.methods.push(Method {
                method_responses,
                integration,
            });
        }
    }
    def
}

/// Reads the resources (and binary media types, gateway responses) of a stored definition:
/// a REST API or a deployment's `definition`, both with the same member names.
fn from_stored(v: &Value, pointer: &str) -> Definition {
    let mut def = Definition::default();
    for (i, t) in v
        .get("binaryMediaTypes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(t) = t.as_str() {
            def.binary_media_types.push((
                t.to_owned(),
                push(&push(pointer, "binaryMediaTypes"), &i.to_string()),
            ));
        }
    }
    for (ty, g) in v
        .get("gatewayResponses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let p = push(
            &push(&push(pointer, "gatewayResponses"), ty),
            "responseTemplates",
        );
        def.gateway_templates
            .extend(templates(g.get("responseTemplates"), &p));
    }
    for (rid, res) in v
        .get("resources")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let res_ptr = push(&push(pointer, "resources"), rid);
        for (m, method) in res
            .get("methods")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let m_ptr = push(&push(&res_ptr, "methods"), m);
            let method_responses = method
                .get("methodResponses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(code, _)| code.clone())
                .collect();
            let integration = method
                .get("integration")
                .and_then(Value::as_object)
                .map(|integ| {
                    let i_ptr = push(&m_ptr, "integration");
                    let responses = integ
                        .get("integrationResponses")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                        .filter_map(|(code, r)| {
                            let r = r.as_object()?;
                            let r_ptr = push(&push(&i_ptr, "integrationResponses"), code);
                            Some(Response {
                                status_code: Some((
                                    text(r.get("statusCode")).unwrap_or_else(|| code.clone()),
                                    push(&r_ptr, "statusCode"),
                                )),
                                pattern: r
                                    .get("selectionPattern")
                                    .and_then(Value::as_str)
                                    .map(|p| (p.to_owned(), push(&r_ptr, "selectionPattern"))),
                                templates: templates(
                                    r.get("responseTemplates"),
                                    &push(&r_ptr, "responseTemplates"),
                                ),
                                content_handling: text(r.get("contentHandling"))
                                    .map(|c| (c, push(&r_ptr, "contentHandling"))),
                                pointer: r_ptr,
                            })
                        })
                        .collect();
                    Integration {
                        kind: kind(integ),
                        request_templates: templates(
                            integ.get("requestTemplates"),
                            &push(&i_ptr, "requestTemplates"),
                        ),
                        responses,
                    }
                });
            def.methods.push(Method {
                method_responses,
                integration,
            });
        }
    }
    def
}

/// One definition of a state file: what the rules read, the raw value, and its pointer.
#[derive(Debug)]
pub(crate) struct Stored<'a> {
    pub(crate) definition: Definition,
    pub(crate) raw: &'a Value,
    pub(crate) pointer: String,
}

/// Reads an apigw-control `state.json`: for every REST API its working definition
/// (`/rest_apis/{id}`) and the definition of every deployment a stage points at
/// (`/rest_apis/{id}/deployments/{d}/definition`); deployments no stage serves are skipped.
///
/// # Errors
/// A message when the document is not a state file.
pub(crate) fn from_state(state: &Value) -> Result<Vec<Stored<'_>>, String> {
    let apis = state
        .get("rest_apis")
        .and_then(Value::as_object)
        .ok_or("not an apigw-control state file (no \"rest_apis\" object)")?;
    let mut out = Vec::new();
    for (id, api) in apis {
        let api_ptr = push("/rest_apis", id);
        out.push(Stored {
            definition: from_stored(api, &api_ptr),
            raw: api,
            pointer: api_ptr.clone(),
        });
        let served: Vec<&str> = api
            .get("stages")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(_, s)| s.get("deploymentId").and_then(Value::as_str))
            .collect();
        for (did, d) in api
            .get("deployments")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if served.contains(&did.as_str())
                && let Some(defn) = d.get("definition")
            {
                let p = push(&push(&push(&api_ptr, "deployments"), did), "definition");
                out.push(Stored {
                    definition: from_stored(defn, &p),
                    raw: defn,
                    pointer: p,
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(push("/paths", "/pets/{id}"), "/paths/~1pets~1{id}");
        assert_eq!(push("", "a~b"), "/a~0b");
    }

    #[test]
    fn not_a_state_file() {
        assert!(from_state(&serde_json::json!({"version": 1})).is_err());
    }
}
