//! Unit tests of the operations, their AWS error texts, the wire protocol, persistence,
//! concurrency and SigV4 through `handle`.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::ops::kind_of;
use crate::{ApiError, Config, Credentials, ErrorKind, JsonInput, STATE_FILE, Store};

fn open_config() -> Config {
    Config {
        auth_disabled: true,
        ..Config::default()
    }
}

fn store() -> Store {
    Store::in_memory(open_config())
}

fn obj(v: Value) -> JsonInput {
    v.as_object().expect("object").clone()
}

/// An API with `/pets` (GET with a MOCK integration).
struct Fx {
    s: Store,
    api: String,
    root: String,
    rid: String,
}

fn fixture_in(s: Store) -> Fx {
    let api = s.create_rest_api(&obj(json!({"name": "pets"}))).unwrap();
    let id = api["id"].as_str().unwrap().to_owned();
    let root = api["rootResourceId"].as_str().unwrap().to_owned();
    let r = s
        .create_resource(&id, &root, &obj(json!({"pathPart": "pets"})))
        .unwrap();
    let rid = r["id"].as_str().unwrap().to_owned();
    s.put_method(&id, &rid, "GET", &obj(json!({"authorizationType": "NONE"})))
        .unwrap();
    s.put_integration(&id, &rid, "GET", &obj(json!({"type": "MOCK"})))
        .unwrap();
    Fx {
        s,
        api: id,
        root,
        rid,
    }
}

fn fixture() -> Fx {
    fixture_in(store())
}

impl Fx {
    fn put_ir(&self, code: &str, input: Value) -> Result<Value, ApiError> {
        self.s
            .put_integration_response(&self.api, &self.rid, "GET", code, &obj(input))
    }
    fn update_ir(&self, code: &str, ops: Value) -> Result<Value, ApiError> {
        self.s.update_integration_response(
            &self.api,
            &self.rid,
            "GET",
            code,
            &obj(json!({ "patchOperations": ops })),
        )
    }
    fn put_mr(&self, code: &str, params: Value) {
        self.s
            .put_method_response(
                &self.api,
                &self.rid,
                "GET",
                code,
                &obj(json!({ "responseParameters": params })),
            )
            .unwrap();
    }
}

fn err(r: Result<Value, ApiError>) -> (ErrorKind, String) {
    let e = r.unwrap_err();
    (e.kind(), e.message().to_owned())
}

const MAPPING_PREFIX: &str =
    "Invalid mapping expression specified: Validation Result: warnings : [], errors : [";

// ------------------------------------------------------------------ integration responses

#[test]
fn put_integration_response_shape_and_full_replace() {
    let f = fixture();
    let r = f
        .put_ir(
            "200",
            json!({"selectionPattern": "", "responseTemplates": {"application/json": "\"created\""}}),
        )
        .unwrap();
    assert_eq!(
        r,
        json!({"statusCode": "200", "selectionPattern": "",
               "responseTemplates": {"application/json": "\"created\""}})
    );
    // Full replace: the template is gone after a put without it.
    let r = f
        .put_ir(
            "200",
            json!({"selectionPattern": "2\\d{2}", "contentHandling": "CONVERT_TO_TEXT"}),
        )
        .unwrap();
    assert_eq!(
        r,
        json!({"statusCode": "200", "selectionPattern": "2\\d{2}", "contentHandling": "CONVERT_TO_TEXT"})
    );
    let got =
        f.s.get_integration_response(&f.api, &f.rid, "GET", "200")
            .unwrap();
    assert_eq!(got, r);
    // Without anything: only the status code.
    assert_eq!(
        f.put_ir("201", json!({})).unwrap(),
        json!({"statusCode": "201"})
    );
    // The integration lists both.
    let integ = f.s.get_integration(&f.api, &f.rid, "GET").unwrap();
    assert_eq!(
        integ["integrationResponses"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["200", "201"]
    );
    f.s.delete_integration_response(&f.api, &f.rid, "GET", "200")
        .unwrap();
    assert_eq!(
        err(f.s.get_integration_response(&f.api, &f.rid, "GET", "200")),
        (
            ErrorKind::NotFound,
            "Invalid Response status code specified".into()
        )
    );
}

#[test]
fn empty_and_null_templates_are_stored_as_null() {
    let f = fixture();
    let r = f
        .put_ir(
            "200",
            json!({"responseTemplates": {"application/json": "", "text/plain": null, "application/xml": "x"}}),
        )
        .unwrap();
    assert_eq!(
        r["responseTemplates"],
        json!({"application/json": null, "text/plain": null, "application/xml": "x"})
    );
    let r = f.put_ir("200", json!({"responseTemplates": {}})).unwrap();
    assert_eq!(r, json!({"statusCode": "200", "responseTemplates": {}}));
}

#[test]
fn status_code_validation() {
    let f = fixture();
    let want = (
        ErrorKind::Validation,
        "1 validation error detected: Value 'wrong' at 'statusCode' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d"
            .to_owned(),
    );
    assert_eq!(err(f.put_ir("wrong", json!({}))), want);
    assert_eq!(
        err(f.s.get_integration_response(&f.api, &f.rid, "GET", "wrong")),
        want
    );
    assert_eq!(err(f.put_ir("600", json!({}))).0, ErrorKind::Validation);
}

#[test]
fn not_found_texts() {
    let f = fixture();
    let res = "Invalid Resource identifier specified".to_owned();
    let nf = ErrorKind::NotFound;
    assert_eq!(
        err(f
            .s
            .put_integration_response("nope", &f.rid, "GET", "200", &obj(json!({})))),
        (nf, res.clone())
    );
    assert_eq!(
        err(f.s.get_integration_response("nope", &f.rid, "GET", "200")),
        (nf, res.clone())
    );
    assert_eq!(
        err(f
            .s
            .delete_integration_response("nope", &f.rid, "GET", "200")),
        (nf, res.clone())
    );
    assert_eq!(
        err(f
            .s
            .put_integration_response(&f.api, "badresource", "GET", "200", &obj(json!({})))),
        (nf, res)
    );
    let method = "Invalid Method identifier specified".to_owned();
    assert_eq!(
        err(f
            .s
            .put_integration_response(&f.api, &f.rid, "POST", "200", &obj(json!({})))),
        (nf, method.clone())
    );
    assert_eq!(
        err(f.s.get_integration_response(&f.api, &f.rid, "POST", "200")),
        (nf, method)
    );
    let integ = "Invalid Integration identifier specified".to_owned();
    assert_eq!(
        err(f
            .s
            .delete_integration_response(&f.api, &f.rid, "POST", "200")),
        (nf, integ.clone())
    );
    f.s.put_method(
        &f.api,
        &f.rid,
        "POST",
        &obj(json!({"authorizationType": "NONE"})),
    )
    .unwrap();
    assert_eq!(
        err(f.s.get_integration_response(&f.api, &f.rid, "POST", "200")),
        (nf, integ.clone())
    );
    assert_eq!(
        err(f
            .s
            .put_integration_response(&f.api, &f.rid, "POST", "200", &obj(json!({})))),
        (nf, integ)
    );
    assert_eq!(
        err(f
            .s
            .delete_integration_response(&f.api, &f.rid, "GET", "404")),
        (nf, "Invalid Response status code specified".into())
    );
}

#[test]
fn template_key_and_value_validation() {
    let f = fixture();
    assert_eq!(
        err(f.put_ir("200", json!({"responseTemplates": {"123": "{}"}}))),
        (
            ErrorKind::BadRequest,
            "Validation Result: warnings : [], errors : [Invalid content type specified: 123]"
                .into()
        )
    );
    assert_eq!(
        err(f.put_ir("200", json!({"responseTemplates": {"application/json": 123}}))),
        (
            ErrorKind::Serialization,
            "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"
                .into()
        )
    );
    assert_eq!(
        err(f.put_ir("200", json!({"selectionPattern": true}))),
        (
            ErrorKind::Serialization,
            "class java.lang.Boolean can not be converted to an String".into()
        )
    );
    // Nothing was stored by the failed puts.
    assert_eq!(
        err(f.s.get_integration_response(&f.api, &f.rid, "GET", "200")).0,
        ErrorKind::NotFound
    );
}

#[test]
fn content_handling_enum() {
    let f = fixture();
    assert_eq!(
        err(f.put_ir("200", json!({"contentHandling": "CONVERT_TO_JSON"}))),
        (
            ErrorKind::Validation,
            "1 validation error detected: Value 'CONVERT_TO_JSON' at \
             'putIntegrationResponseInput.contentHandling' failed to satisfy constraint: Member \
             must satisfy enum value set: [CONVERT_TO_BINARY, CONVERT_TO_TEXT]"
                .into()
        )
    );
    // Both violations are reported together.
    let (k, m) = err(f.put_ir("2000", json!({"contentHandling": "X"})));
    assert_eq!(k, ErrorKind::Validation);
    assert!(
        m.starts_with("2 validation errors detected: Value '2000' at 'statusCode'"),
        "{m}"
    );
}

#[test]
fn response_parameters_validation() {
    let f = fixture();
    // Without a method response.
    assert_eq!(
        err(f.put_ir(
            "200",
            json!({"responseParameters": {"method.response.header.X": "'a'"}})
        )),
        (
            ErrorKind::BadRequest,
            format!("{MAPPING_PREFIX}No method response exists for method.]")
        )
    );
    // Without parameters, no method response is needed.
    f.put_ir("200", json!({"selectionPattern": ""})).unwrap();
    f.put_mr(
        "200",
        json!({"method.response.header.X": false, "method.response.header.Y": true}),
    );
    assert_eq!(
        err(f.put_ir(
            "200",
            json!({"responseParameters": {"method.response.header.Z": "'a'"}})
        )),
        (
            ErrorKind::BadRequest,
            format!(
                "{MAPPING_PREFIX}Invalid mapping expression parameter specified: method.response.header.Z]"
            )
        )
    );
    assert_eq!(
        err(f.put_ir(
            "200",
            json!({"responseParameters": {"method.response.header.X": "\"*\""}})
        )),
        (
            ErrorKind::BadRequest,
            format!("{MAPPING_PREFIX}Invalid mapping expression specified: \"*\"]")
        )
    );
    assert_eq!(
        err(f.put_ir(
            "200",
            json!({"responseParameters": {"integration.response.header.Content-Type": "true"}})
        )),
        (
            ErrorKind::BadRequest,
            format!(
                "{MAPPING_PREFIX}Invalid mapping expression specified: true, Invalid mapping \
                 expression specified: integration.response.header.Content-Type]"
            )
        )
    );
    assert_eq!(
        err(f.put_ir(
            "200",
            json!({"responseParameters": {"method.response.header.X": true}})
        )),
        (
            ErrorKind::Serialization,
            "class java.lang.Boolean can not be converted to an String".into()
        )
    );
    let ok = f
        .put_ir(
            "200",
            json!({"responseParameters": {
                "method.response.header.X": "integration.response.body.a.b",
                "method.response.header.Y": "'*'"}}),
        )
        .unwrap();
    assert_eq!(ok["responseParameters"]["method.response.header.Y"], "'*'");
}

#[test]
fn update_integration_response_patch_ops() {
    let f = fixture();
    f.put_ir("200", json!({"selectionPattern": ""})).unwrap();
    let r = f
        .update_ir(
            "200",
            json!([
                {"op": "replace", "path": "/selectionPattern", "value": "2\\d{2}"},
                {"op": "add", "path": "/responseTemplates/application~1json", "value": "{}"},
                {"op": "add", "path": "/responseTemplates/text~1plain", "value": ""},
                {"op": "replace", "path": "/contentHandling", "value": "CONVERT_TO_BINARY"}
            ]),
        )
        .unwrap();
    assert_eq!(
        r,
        json!({"statusCode": "200", "selectionPattern": "2\\d{2}",
               "responseTemplates": {"application/json": "{}", "text/plain": null},
               "contentHandling": "CONVERT_TO_BINARY"})
    );
    let r = f
        .update_ir(
            "200",
            json!([{"op": "remove", "path": "/responseTemplates/text~1plain"},
                   {"op": "remove", "path": "/contentHandling"}]),
        )
        .unwrap();
    assert_eq!(r["responseTemplates"], json!({"application/json": "{}"}));
    assert!(r.get("contentHandling").is_none());

    assert_eq!(
        err(f.update_ir("200", json!([{"op": "bad", "path": "/selectionPattern", "value": "x"}]))),
        (
            ErrorKind::Validation,
            "1 validation error detected: Value 'bad' at \
             'updateIntegrationResponseInput.patchOperations.1.member.op' failed to satisfy \
             constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]"
                .into()
        )
    );
    assert_eq!(
        err(f.update_ir(
            "200",
            json!([{"op": "replace", "path": "/statusCode", "value": "201"}])
        )),
        (
            ErrorKind::BadRequest,
            "Invalid patch path /statusCode".into()
        )
    );
    assert_eq!(
        err(f.update_ir(
            "200",
            json!([{"op": "remove", "path": "/responseParameters/method.response.header.X"}])
        )),
        (
            ErrorKind::NotFound,
            "Invalid parameter name specified".into()
        )
    );
    assert_eq!(
        err(f.update_ir(
            "404",
            json!([{"op": "replace", "path": "/selectionPattern", "value": "x"}])
        )),
        (
            ErrorKind::NotFound,
            "Invalid Response status code specified".into()
        )
    );
    // Parameters are validated as on put, and a failed update changes nothing.
    assert_eq!(
        err(f.update_ir(
            "200",
            json!([{"op": "replace", "path": "/selectionPattern", "value": "changed"},
                   {"op": "add", "path": "/responseParameters/method.response.header.X", "value": "'a'"}])
        )),
        (
            ErrorKind::BadRequest,
            format!("{MAPPING_PREFIX}No method response exists for method.]")
        )
    );
    let now =
        f.s.get_integration_response(&f.api, &f.rid, "GET", "200")
            .unwrap();
    assert_eq!(now["selectionPattern"], "2\\d{2}");
    f.put_mr("200", json!({"method.response.header.X": false}));
    let r = f
        .update_ir(
            "200",
            json!([{"op": "add", "path": "/responseParameters/method.response.header.X", "value": "'a'"}]),
        )
        .unwrap();
    assert_eq!(
        r["responseParameters"],
        json!({"method.response.header.X": "'a'"})
    );
    assert_eq!(
        err(f.update_ir(
            "200",
            json!([{"op": "replace", "path": "/contentHandling", "value": "NOPE"}])
        ))
        .0,
        ErrorKind::BadRequest
    );
}

// ------------------------------------------------------------------ other operations

#[test]
fn rest_api_lifecycle() {
    let s = store();
    let a = s
        .create_rest_api(&obj(
            json!({"name": "x", "binaryMediaTypes": ["image/png"], "unknownMember": 1}),
        ))
        .unwrap();
    let id = a["id"].as_str().unwrap();
    assert_eq!(id.len(), 10);
    assert_eq!(a["binaryMediaTypes"], json!(["image/png"]));
    assert_eq!(s.get_rest_api(id).unwrap(), a);
    assert_eq!(s.get_rest_apis().unwrap()["item"][0]["id"], json!(id));
    let u = s
        .update_rest_api(
            id,
            &obj(json!({"patchOperations": [
                {"op": "add", "path": "/binaryMediaTypes/image~1jpeg"},
                {"op": "remove", "path": "/binaryMediaTypes/image~1png"},
                {"op": "replace", "path": "/name", "value": "y"}]})),
        )
        .unwrap();
    assert_eq!(u["binaryMediaTypes"], json!(["image/jpeg"]));
    assert_eq!(u["name"], "y");
    assert_eq!(
        err(s.get_rest_api("nope")),
        (
            ErrorKind::NotFound,
            "Invalid API identifier specified 123456789012:nope".into()
        )
    );
    s.delete_rest_api(id).unwrap();
    assert_eq!(err(s.get_rest_api(id)).0, ErrorKind::NotFound);
    assert_eq!(
        err(s.create_rest_api(&obj(json!({})))).0,
        ErrorKind::BadRequest
    );
}

#[test]
fn resources() {
    let f = fixture();
    let s = &f.s;
    let child = s
        .create_resource(&f.api, &f.rid, &obj(json!({"pathPart": "{id}"})))
        .unwrap();
    assert_eq!(child["path"], "/pets/{id}");
    assert_eq!(child["parentId"], json!(f.rid));
    assert_eq!(
        err(s.create_resource(&f.api, &f.root, &obj(json!({"pathPart": "pets"})))),
        (
            ErrorKind::Conflict,
            "Another resource with the same parent already has this name: pets".into()
        )
    );
    assert_eq!(
        err(s.create_resource(&f.api, &f.root, &obj(json!({"pathPart": "a/b"})))).0,
        ErrorKind::BadRequest
    );
    assert_eq!(
        err(s.create_resource(&f.api, &f.rid, &obj(json!({"pathPart": "{other}"})))).0,
        ErrorKind::BadRequest
    );
    let greedy = s
        .create_resource(&f.api, &f.root, &obj(json!({"pathPart": "{proxy+}"})))
        .unwrap();
    let gid = greedy["id"].as_str().unwrap();
    assert_eq!(
        err(s.create_resource(&f.api, gid, &obj(json!({"pathPart": "x"})))),
        (
            ErrorKind::BadRequest,
            "Cannot create a child of a resource with a greedy path variable: {proxy+}".into()
        )
    );
    let all = s.get_resources(&f.api, false).unwrap();
    let paths: Vec<&str> = all["item"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/", "/pets", "/pets/{id}", "/{proxy+}"]);
    let pets = s.get_resource(&f.api, &f.rid, false).unwrap();
    assert_eq!(pets["resourceMethods"], json!({"GET": {}}));
    let embedded = s.get_resource(&f.api, &f.rid, true).unwrap();
    assert_eq!(
        embedded["resourceMethods"]["GET"]["methodIntegration"]["type"],
        "MOCK"
    );
    // Deleting /pets removes /pets/{id} too.
    s.delete_resource(&f.api, &f.rid).unwrap();
    let cid = child["id"].as_str().unwrap();
    assert_eq!(
        err(s.get_resource(&f.api, cid, false)),
        (
            ErrorKind::NotFound,
            "Invalid Resource identifier specified".into()
        )
    );
    assert_eq!(
        err(s.delete_resource(&f.api, &f.root)).0,
        ErrorKind::BadRequest
    );
}

#[test]
fn methods() {
    let f = fixture();
    let s = &f.s;
    assert_eq!(
        err(s.put_method(
            &f.api,
            &f.rid,
            "GET",
            &obj(json!({"authorizationType": "NONE"}))
        )),
        (
            ErrorKind::Conflict,
            "Method already exists for this resource".into()
        )
    );
    assert_eq!(
        err(s.put_method(
            &f.api,
            &f.rid,
            "FOO",
            &obj(json!({"authorizationType": "NONE"}))
        ))
        .0,
        ErrorKind::BadRequest
    );
    assert_eq!(
        err(s.put_method(&f.api, &f.rid, "POST", &obj(json!({})))),
        (
            ErrorKind::Validation,
            "1 validation error detected: Value null at 'putMethodInput.authorizationType' \
             failed to satisfy constraint: Member must not be null"
                .into()
        )
    );
    let any = s
        .put_method(
            &f.api,
            &f.rid,
            "ANY",
            &obj(json!({"authorizationType": "NONE", "requestParameters": {"method.request.path.id": true}})),
        )
        .unwrap();
    assert_eq!(
        any,
        json!({"httpMethod": "ANY", "authorizationType": "NONE", "apiKeyRequired": false,
               "requestParameters": {"method.request.path.id": true}})
    );
    let u = s
        .update_method(
            &f.api,
            &f.rid,
            "ANY",
            &obj(json!({"patchOperations": [{"op": "replace", "path": "/apiKeyRequired", "value": "true"}]})),
        )
        .unwrap();
    assert_eq!(u["apiKeyRequired"], true);
    let got = s.get_method(&f.api, &f.rid, "GET").unwrap();
    assert_eq!(got["methodIntegration"]["type"], "MOCK");
    s.delete_method(&f.api, &f.rid, "ANY").unwrap();
    assert_eq!(
        err(s.get_method(&f.api, &f.rid, "ANY")),
        (
            ErrorKind::NotFound,
            "Invalid Method identifier specified".into()
        )
    );
}

#[test]
fn method_responses() {
    let f = fixture();
    let s = &f.s;
    let r = s
        .put_method_response(
            &f.api,
            &f.rid,
            "GET",
            "200",
            &obj(
                json!({"responseParameters": {"method.response.header.X": true},
                        "responseModels": {"application/json": "Empty"}}),
            ),
        )
        .unwrap();
    assert_eq!(
        r,
        json!({"statusCode": "200", "responseParameters": {"method.response.header.X": true},
               "responseModels": {"application/json": "Empty"}})
    );
    // A put over an existing response replaces it; absent maps are returned as {}.
    assert_eq!(
        s.put_method_response(&f.api, &f.rid, "GET", "200", &obj(json!({})))
            .unwrap(),
        json!({"statusCode": "200", "responseParameters": {}, "responseModels": {}})
    );
    s.put_method_response(&f.api, &f.rid, "GET", "200", &obj(r.clone()))
        .unwrap();
    assert_eq!(
        err(s.put_method_response(&f.api, &f.rid, "GET", "abc", &obj(json!({})))).0,
        ErrorKind::Validation
    );
    // Patch-op violations come first, then the status code's, in one exception.
    assert_eq!(
        err(s.update_method_response(
            &f.api,
            &f.rid,
            "GET",
            "wrong",
            &obj(json!({"patchOperations": [{"op": "wrong_op", "path": "/responseModels/a~1b"}]}))
        )),
        (
            ErrorKind::Validation,
            "2 validation errors detected: Value 'wrong_op' at \
             'updateMethodResponseInput.patchOperations.1.member.op' failed to satisfy \
             constraint: Member must satisfy enum value set: [add, remove, move, test, replace, \
             copy]; Value 'wrong' at 'statusCode' failed to satisfy constraint: Member must \
             satisfy regular expression pattern: [1-5]\\d\\d"
                .into()
        )
    );
    assert_eq!(
        err(s.update_method_response(
            &f.api,
            &f.rid,
            "GET",
            "200",
            &obj(
                json!({"patchOperations": [{"op": "remove", "path": "/responseModels/text~1xml"}]})
            )
        )),
        (
            ErrorKind::NotFound,
            "Content-Type specified was not found".into()
        )
    );
    assert_eq!(
        err(s.update_method_response(
            &f.api,
            &f.rid,
            "GET",
            "200",
            &obj(json!({"patchOperations": [{"op": "add", "path": "/wrong/method.response.header.my-header"}]}))
        )),
        (
            ErrorKind::BadRequest,
            "Invalid patch path /wrong/method.response.header.my-header".into()
        )
    );
    let u = s
        .update_method_response(
            &f.api,
            &f.rid,
            "GET",
            "200",
            &obj(json!({"patchOperations": [
                {"op": "add", "path": "/responseParameters/method.response.header.Y", "value": "false"},
                {"op": "remove", "path": "/responseParameters/method.response.header.X"}]})),
        )
        .unwrap();
    assert_eq!(
        u["responseParameters"],
        json!({"method.response.header.Y": false})
    );
    assert_eq!(
        err(s.update_method_response(
            &f.api,
            &f.rid,
            "GET",
            "200",
            &obj(json!({"patchOperations": [{"op": "remove", "path": "/responseParameters/method.response.header.Q"}]}))
        )),
        (ErrorKind::NotFound, "Invalid parameter name specified".into())
    );
    assert_eq!(
        s.get_method_response(&f.api, &f.rid, "GET", "200").unwrap(),
        u
    );
    s.delete_method_response(&f.api, &f.rid, "GET", "200")
        .unwrap();
    assert_eq!(
        err(s.get_method_response(&f.api, &f.rid, "GET", "200")),
        (
            ErrorKind::NotFound,
            "Invalid Response status code specified".into()
        )
    );
}

#[test]
fn integrations() {
    let f = fixture();
    let s = &f.s;
    let put = |v: Value| s.put_integration(&f.api, &f.rid, "GET", &obj(v));
    assert_eq!(
        err(put(json!({"type": "HTTPS"}))),
        (
            ErrorKind::Validation,
            "1 validation error detected: Value 'HTTPS' at 'putIntegrationInput.type' failed to \
             satisfy constraint: Member must satisfy enum value set: [HTTP, MOCK, AWS_PROXY, \
             HTTP_PROXY, AWS]"
                .into()
        )
    );
    assert_eq!(
        err(put(json!({"type": "HTTP", "uri": "https://example.com"}))),
        (
            ErrorKind::BadRequest,
            "Enumeration value for HttpMethod must be non-empty".into()
        )
    );
    assert_eq!(
        err(put(
            json!({"type": "HTTP", "httpMethod": "GET", "uri": "ftp://x"})
        )),
        (
            ErrorKind::BadRequest,
            "Invalid HTTP endpoint specified for URI".into()
        )
    );
    assert_eq!(
        err(put(json!({"type": "MOCK", "timeoutInMillis": 30000}))).0,
        ErrorKind::BadRequest
    );
    assert_eq!(
        err(put(
            json!({"type": "MOCK", "requestTemplates": {"json": "{}"}})
        ))
        .0,
        ErrorKind::BadRequest
    );
    f.put_ir("200", json!({})).unwrap();
    let r = put(
        json!({"type": "HTTP", "httpMethod": "POST", "uri": "https://example.com/x",
                       "requestTemplates": {"application/json": ""}}),
    )
    .unwrap();
    assert_eq!(r["type"], "HTTP");
    assert_eq!(r["httpMethod"], "POST");
    assert_eq!(r["passthroughBehavior"], "WHEN_NO_MATCH");
    assert_eq!(r["timeoutInMillis"], 29000);
    assert_eq!(r["connectionType"], "INTERNET");
    assert_eq!(r["requestTemplates"], json!({"application/json": null}));
    // Integration responses survive a re-put of the integration.
    assert_eq!(r["integrationResponses"]["200"]["statusCode"], "200");
    let lambda = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:f/invocations";
    put(json!({"type": "AWS_PROXY", "httpMethod": "POST", "uri": lambda})).unwrap();
    assert_eq!(
        err(put(json!({"type": "AWS_PROXY", "httpMethod": "POST",
                       "uri": "arn:aws:apigateway:us-east-1:sqs:path/123/q"})))
        .0,
        ErrorKind::BadRequest
    );
    let u = s
        .update_integration(
            &f.api,
            &f.rid,
            "GET",
            &obj(json!({"patchOperations": [
                {"op": "replace", "path": "/timeoutInMillis", "value": "1000"},
                {"op": "add", "path": "/requestTemplates/application~1json", "value": "{\"statusCode\": 200}"}]})),
        )
        .unwrap();
    assert_eq!(u["timeoutInMillis"], 1000);
    assert_eq!(
        u["requestTemplates"]["application/json"],
        "{\"statusCode\": 200}"
    );
    s.delete_integration(&f.api, &f.rid, "GET").unwrap();
    assert_eq!(
        err(s.get_integration(&f.api, &f.rid, "GET")),
        (
            ErrorKind::NotFound,
            "Invalid Integration identifier specified".into()
        )
    );
}

#[test]
fn gateway_responses() {
    let f = fixture();
    let s = &f.s;
    let d = s
        .get_gateway_response(&f.api, "API_CONFIGURATION_ERROR")
        .unwrap();
    assert_eq!(d["defaultResponse"], true);
    assert_eq!(d["statusCode"], "500");
    let p = s
        .put_gateway_response(
            &f.api,
            "DEFAULT_4XX",
            &obj(json!({"statusCode": "418", "responseTemplates": {"application/json": "{\"m\":1}"}})),
        )
        .unwrap();
    assert_eq!(p["defaultResponse"], false);
    assert_eq!(s.get_gateway_response(&f.api, "DEFAULT_4XX").unwrap(), p);
    assert_eq!(
        s.get_gateway_responses(&f.api).unwrap()["item"]
            .as_array()
            .unwrap()
            .len(),
        21
    );
    assert_eq!(
        err(s.put_gateway_response(&f.api, "NOPE", &obj(json!({})))).0,
        ErrorKind::Validation
    );
    s.delete_gateway_response(&f.api, "DEFAULT_4XX").unwrap();
    assert_eq!(
        err(s.delete_gateway_response(&f.api, "DEFAULT_4XX")).0,
        ErrorKind::NotFound
    );
}

#[test]
fn deployments_and_stages() {
    let s = store();
    let a = s.create_rest_api(&obj(json!({"name": "x"}))).unwrap();
    let id = a["id"].as_str().unwrap();
    let root = a["rootResourceId"].as_str().unwrap();
    assert_eq!(
        err(s.create_deployment(id, &obj(json!({})))),
        (
            ErrorKind::BadRequest,
            "The REST API doesn't contain any methods".into()
        )
    );
    s.put_method(id, root, "GET", &obj(json!({"authorizationType": "NONE"})))
        .unwrap();
    assert_eq!(
        err(s.create_deployment(id, &obj(json!({})))),
        (
            ErrorKind::BadRequest,
            "No integration defined for method".into()
        )
    );
    s.put_integration(id, root, "GET", &obj(json!({"type": "MOCK"})))
        .unwrap();
    let proxy = s
        .create_resource(id, root, &obj(json!({"pathPart": "{proxy+}"})))
        .unwrap();
    let pid = proxy["id"].as_str().unwrap();
    s.put_method(id, pid, "ANY", &obj(json!({"authorizationType": "NONE"})))
        .unwrap();
    s.put_integration(id, pid, "ANY", &obj(json!({"type": "MOCK"})))
        .unwrap();
    let d = s
        .create_deployment(
            id,
            &obj(json!({"stageName": "dev", "variables": {"env": "test"}})),
        )
        .unwrap();
    let did = d["id"].as_str().unwrap();
    assert_eq!(s.get_deployment(id, did).unwrap(), d);
    let st = s.get_stage(id, "dev").unwrap();
    assert_eq!(st["deploymentId"], json!(did));
    assert_eq!(st["variables"], json!({"env": "test"}));

    let (snap, vars) = s.stage_snapshot(id, "dev").unwrap();
    assert_eq!(vars["env"], "test");
    let root_get = snap.route("GET", "/").unwrap();
    assert_eq!(root_get.method.resource_path, "/");
    let deep = snap.route("POST", "/a/b/c").unwrap();
    assert_eq!(deep.method.http_method, "ANY");
    assert_eq!(
        deep.path_parameters,
        vec![("proxy".to_owned(), "a/b/c".to_owned())]
    );
    assert!(snap.route("POST", "/").is_none());
    // The snapshot is shared, not recompiled.
    let (again, _) = s.stage_snapshot(id, "dev").unwrap();
    assert!(Arc::ptr_eq(&snap, &again));
    // Later changes do not alter the deployed snapshot.
    s.delete_method(id, pid, "ANY").unwrap();
    let (still, _) = s.stage_snapshot(id, "dev").unwrap();
    assert!(still.route("POST", "/a").is_some());

    assert_eq!(
        err(s.create_stage(id, &obj(json!({"stageName": "dev", "deploymentId": did})))),
        (ErrorKind::Conflict, "Stage already exists".into())
    );
    assert_eq!(
        err(s.create_stage(id, &obj(json!({"stageName": "p", "deploymentId": "nope"})))),
        (
            ErrorKind::NotFound,
            "Invalid Deployment identifier specified".into()
        )
    );
    assert_eq!(
        err(s.create_stage(id, &obj(json!({"stageName": "../x", "deploymentId": did})))).0,
        ErrorKind::BadRequest
    );
    s.create_stage(id, &obj(json!({"stageName": "prod", "deploymentId": did})))
        .unwrap();
    let u = s
        .update_stage(
            id,
            "prod",
            &obj(json!({"patchOperations": [{"op": "replace", "path": "/variables/url", "value": "example.com"}]})),
        )
        .unwrap();
    assert_eq!(u["variables"], json!({"url": "example.com"}));
    assert_eq!(
        s.get_stages(id, None).unwrap()["item"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        s.get_stages(id, Some(did)).unwrap()["item"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(
        s.get_stages(id, Some("other")).unwrap()["item"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        err(s.delete_deployment(id, did)),
        (
            ErrorKind::BadRequest,
            "Active stages pointing to this deployment must be moved or deleted".into()
        )
    );
    s.delete_stage(id, "prod").unwrap();
    s.delete_stage(id, "dev").unwrap();
    s.delete_deployment(id, did).unwrap();
    assert_eq!(
        err(s.get_deployment(id, did)),
        (
            ErrorKind::NotFound,
            "Invalid Deployment identifier specified".into()
        )
    );
    assert_eq!(
        err(s.get_stage(id, "dev")),
        (
            ErrorKind::NotFound,
            "Invalid Stage identifier specified".into()
        )
    );
}

// ------------------------------------------------------------------ wire protocol

fn call(s: &Store, method: &str, path: &str, body: &str) -> crate::Response {
    s.handle(method, path, "", &[], body.as_bytes())
}

#[test]
fn protocol_round_trip() {
    let s = store();
    let r = call(&s, "POST", "/restapis", r#"{"name": "pets"}"#);
    assert_eq!(r.status, 201);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-amzn-RequestId").map(str::len), Some(36));
    let api = r.json();
    let id = api["id"].as_str().unwrap();
    let root = api["rootResourceId"].as_str().unwrap();
    let base = format!("/restapis/{id}/resources/{root}/methods/GET");
    assert_eq!(
        call(&s, "PUT", &base, r#"{"authorizationType": "NONE"}"#).status,
        201
    );
    assert_eq!(
        call(
            &s,
            "PUT",
            &format!("{base}/integration"),
            r#"{"type": "MOCK"}"#
        )
        .status,
        201
    );
    let r = call(
        &s,
        "PUT",
        &format!("{base}/integration/responses/200"),
        r#"{"selectionPattern": "", "responseTemplates": {"application/json": ""}}"#,
    );
    assert_eq!(r.status, 201);
    assert_eq!(
        r.json(),
        json!({"statusCode": "200", "selectionPattern": "", "responseTemplates": {"application/json": null}})
    );
    let r = call(
        &s,
        "PATCH",
        &format!("{base}/integration/responses/200"),
        r#"{"patchOperations": [{"op": "replace", "path": "/selectionPattern", "value": "x"}]}"#,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["selectionPattern"], "x");
    let r = call(
        &s,
        "DELETE",
        &format!("{base}/integration/responses/200"),
        "",
    );
    assert_eq!((r.status, r.body.len()), (204, 0));
    let r = call(&s, "GET", &format!("{base}/integration/responses/200"), "");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-amzn-ErrorType"), Some("NotFoundException"));
    assert_eq!(
        r.json(),
        json!({"message": "Invalid Response status code specified"})
    );
    let r = call(&s, "PUT", &format!("{base}/responses/200"), "{}");
    assert_eq!(r.status, 201);
    let r = call(
        &s,
        "PATCH",
        &format!("{base}/responses/200"),
        r#"{"patchOperations": []}"#,
    );
    assert_eq!(
        r.status, 201,
        "UpdateMethodResponse answers 201 in AWS's model"
    );
    let r = call(
        &s,
        "POST",
        &format!("/restapis/{id}/deployments"),
        r#"{"stageName": "dev"}"#,
    );
    assert_eq!(r.status, 201, "{:?}", r.json());
    assert_eq!(
        call(&s, "GET", &format!("/restapis/{id}/stages/dev"), "").status,
        200
    );
    assert_eq!(
        call(&s, "GET", &format!("/restapis/{id}/stages"), "").json()["item"][0]["stageName"],
        "dev"
    );
    let r = s.handle(
        "GET",
        &format!("/restapis/{id}/stages/dev/exports/oas30"),
        "extensions=integrations",
        &[],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    let disposition = r.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"oas30_")
            && disposition.ends_with(".json\""),
        "{disposition}"
    );
    assert_eq!(r.json()["openapi"], "3.0.1");
    let yaml = s.handle(
        "GET",
        &format!("/restapis/{id}/stages/dev/exports/swagger"),
        "",
        &[("Accept".to_owned(), "application/yaml".to_owned())],
        b"",
    );
    assert!(
        String::from_utf8(yaml.body)
            .unwrap()
            .starts_with("swagger: '2.0'")
    );
    let r = call(
        &s,
        "GET",
        &format!("/restapis/{id}/stages/nope/exports/swagger"),
        "",
    );
    assert_eq!(r.status, 404);
    let r = call(&s, "DELETE", &format!("/restapis/{id}"), "");
    assert_eq!((r.status, r.body.len()), (202, 0));
}

#[test]
fn protocol_errors_are_aws_shaped() {
    let s = store();
    let r = call(&s, "POST", "/restapis", "{not json");
    assert_eq!(r.status, 400);
    assert_eq!(r.header("x-amzn-ErrorType"), Some("SerializationException"));
    assert!(r.json()["message"].is_string());

    let r = call(&s, "POST", "/restapis", "[1]");
    assert_eq!(
        r.json()["message"],
        "Start of list found where not expected."
    );

    let r = s.handle("GET", "/restapis?limit=5", "", &[], b"");
    assert_eq!(r.status, 200, "a query left on the path is split off");
    let r = call(&s, "GET", "/nothing/here", "");
    assert_eq!(r.status, 404);
    assert_eq!(
        r.header("x-amzn-ErrorType"),
        Some("UnknownOperationException")
    );

    let r = call(&s, "GET", "/restapis/..%2F..%2Fetc", "");
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["message"],
        "Invalid API identifier specified 123456789012:../../etc"
    );
    let r = call(&s, "GET", "/restapis/../resources", "");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-amzn-ErrorType"), Some("NotFoundException"));

    let small = Store::in_memory(Config {
        max_body_bytes: 10,
        ..open_config()
    });
    let r = call(
        &small,
        "POST",
        "/restapis",
        r#"{"name": "longer than ten"}"#,
    );
    assert_eq!(r.status, 413);
    assert_eq!(
        r.header("x-amzn-ErrorType"),
        Some("RequestEntityTooLargeException")
    );
    assert!(
        small.get_rest_apis().unwrap()["item"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

// ------------------------------------------------------------------ SigV4 through handle

/// Requests signed by botocore 1.43 (`SigV4Auth`, service `apigateway`, region `eu-west-1`,
/// clock fixed at 2026-11-26T09:30:00Z, key AKIDEXAMPLE / AWS's documentation example secret)
/// for `http://localhost:4566`.
#[test]
fn sigv4_vectors_from_botocore() {
    let signed = Store::in_memory(Config {
        credentials: vec![Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        }],
        ..Config::default()
    });
    let now = UNIX_EPOCH + Duration::from_secs(1_795_685_400 + 60);
    let h = |auth: &str, with_ct: bool| {
        let mut v = vec![
            ("Host".to_owned(), "localhost:4566".to_owned()),
            ("X-Amz-Date".to_owned(), "20261126T093000Z".to_owned()),
            ("Authorization".to_owned(), auth.to_owned()),
        ];
        if with_ct {
            v.push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        v
    };
    let body = br#"{"name": "pets", "binaryMediaTypes": ["image/png"]}"#;
    let auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/eu-west-1/apigateway/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=e87f4d697278a04deeaa3322d9f0d8ba3516725e64b36d1b84283e230b4b4fbd";
    let r = signed.handle_at("POST", "/restapis", "", &h(auth, true), body, now);
    assert_eq!(r.status, 201, "{:?}", r.json());
    assert_eq!(r.json()["binaryMediaTypes"], json!(["image/png"]));

    // Tampered body.
    let r = signed.handle_at(
        "POST",
        "/restapis",
        "",
        &h(auth, true),
        br#"{"name": "evil"}"#,
        now,
    );
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("x-amzn-ErrorType"),
        Some("InvalidSignatureException")
    );

    // A GET with an encoded path segment and a query string.
    let auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/eu-west-1/apigateway/aws4_request, SignedHeaders=host;x-amz-date, Signature=daf8821eb7b2779487bdbf88d16fb8b3661fb70da7fe75de9b54a98f4356b463";
    let r = signed.handle_at(
        "GET",
        "/restapis/abc%2Fdef/resources",
        "embed=methods&limit=5",
        &h(auth, false),
        b"",
        now,
    );
    assert_eq!(r.status, 404, "signature accepted, then the id is unknown");
    assert_eq!(
        r.json()["message"],
        "Invalid API identifier specified 123456789012:abc/def"
    );
    let r = signed.handle_at(
        "GET",
        "/restapis/abc%2Fdef/resources",
        "embed=methods&limit=6",
        &h(auth, false),
        b"",
        now,
    );
    assert_eq!(r.status, 403);

    let r = signed.handle_at("GET", "/restapis", "", &[], b"", now);
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("x-amzn-ErrorType"),
        Some("MissingAuthenticationTokenException")
    );
    assert_eq!(r.json()["message"], "Missing Authentication Token");
}

// ------------------------------------------------------------------ persistence

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "apigw-control-test-{name}-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn persistence_reloads_everything() {
    let dir = temp_dir("reload");
    let f = fixture_in(Store::open(&dir, open_config()).unwrap());
    f.put_ir(
        "200",
        json!({"selectionPattern": "", "responseTemplates": {"application/json": ""}}),
    )
    .unwrap();
    f.s.create_deployment(&f.api, &obj(json!({"stageName": "dev"})))
        .unwrap();
    let before = f.s.get_integration(&f.api, &f.rid, "GET").unwrap();
    drop(f.s);
    let s = Store::open(&dir, open_config()).unwrap();
    assert_eq!(s.get_integration(&f.api, &f.rid, "GET").unwrap(), before);
    let (snap, _) = s.stage_snapshot(&f.api, "dev").unwrap();
    assert!(snap.route("GET", "/pets").is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn interrupted_write_leaves_previous_state() {
    let dir = temp_dir("crash");
    let s = Store::open(&dir, open_config()).unwrap();
    let a = s.create_rest_api(&obj(json!({"name": "kept"}))).unwrap();
    let previous = std::fs::read(dir.join(STATE_FILE)).unwrap();
    // A crash after writing part of the next state: the temporary file is all that changed.
    std::fs::write(
        dir.join(".state.json.tmp.999.0"),
        b"{\"version\": 1, \"rest_a",
    )
    .unwrap();
    drop(s);
    let s = Store::open(&dir, open_config()).unwrap();
    assert_eq!(
        s.get_rest_api(a["id"].as_str().unwrap()).unwrap()["name"],
        "kept"
    );
    assert_eq!(std::fs::read(dir.join(STATE_FILE)).unwrap(), previous);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let mut leftovers = leftovers;
    leftovers.sort();
    assert_eq!(
        leftovers,
        [
            std::ffi::OsString::from(STATE_FILE),
            std::ffi::OsString::from(crate::LOCK_FILE)
        ]
    );
    // A failed operation writes nothing.
    let before = std::fs::read(dir.join(STATE_FILE)).unwrap();
    assert!(s.create_rest_api(&obj(json!({"name": 5}))).is_err());
    assert_eq!(std::fs::read(dir.join(STATE_FILE)).unwrap(), before);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_state_directory_has_one_store_at_a_time() {
    let dir = temp_dir("lock");
    let first = Store::open(&dir, open_config()).unwrap();
    let e = Store::open(&dir, open_config()).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
    drop(first);
    Store::open(&dir, open_config()).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn corrupt_state_file_is_refused_and_kept() {
    let dir = temp_dir("corrupt");
    std::fs::write(dir.join(STATE_FILE), b"{torn").unwrap();
    let e = Store::open(&dir, open_config()).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(std::fs::read(dir.join(STATE_FILE)).unwrap(), b"{torn");
    std::fs::remove_dir_all(&dir).unwrap();
}

// ------------------------------------------------------------------ concurrency

#[test]
fn concurrent_puts_are_all_kept() {
    let dir = temp_dir("threads");
    let f = Arc::new(fixture_in(Store::open(&dir, open_config()).unwrap()));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let f = Arc::clone(&f);
            std::thread::spawn(move || {
                for i in 0..25 {
                    let code = format!("{}{:02}", t + 2, i);
                    f.put_ir(&code, json!({"selectionPattern": code})).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let integ = f.s.get_integration(&f.api, &f.rid, "GET").unwrap();
    assert_eq!(
        integ["integrationResponses"].as_object().unwrap().len(),
        100
    );
    let (api, rid) = (f.api.clone(), f.rid.clone());
    drop(f);
    let reloaded = Store::open(&dir, open_config()).unwrap();
    let integ2 = reloaded.get_integration(&api, &rid, "GET").unwrap();
    assert_eq!(integ, integ2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn kind_helper() {
    let f = fixture();
    assert_eq!(
        kind_of(&f.put_ir("x", json!({}))),
        Some(ErrorKind::Validation)
    );
}

#[test]
fn deployment_refuses_a_definition_that_does_not_compile() {
    // PUT checks sources with the data plane's grammar, JSONPath included, so a bad JSONPath
    // never reaches a deployment through the API.
    let f = fixture();
    f.put_mr("200", json!({"method.response.header.X": false}));
    let (kind, message) = err(f.put_ir(
        "200",
        json!({"responseParameters": {"method.response.header.X": "integration.response.body.a[?"}}),
    ));
    assert_eq!(kind, ErrorKind::BadRequest);
    assert_eq!(
        message,
        format!(
            "{MAPPING_PREFIX}Invalid mapping expression specified: integration.response.body.a[?]"
        )
    );
    // The same check on a patch; the stored response is left as it was.
    let good = f
        .put_ir(
            "200",
            json!({"responseParameters": {"method.response.header.X": "integration.response.body.a"}}),
        )
        .unwrap();
    let (kind, message) = err(f.update_ir(
        "200",
        json!([{"op": "replace", "path": "/responseParameters/method.response.header.X",
                "value": "integration.response.body.a[?"}]),
    ));
    assert_eq!(kind, ErrorKind::BadRequest);
    assert_eq!(
        message,
        format!(
            "{MAPPING_PREFIX}Invalid mapping expression specified: integration.response.body.a[?]"
        )
    );
    assert_eq!(
        f.s.get_integration_response(&f.api, &f.rid, "GET", "200")
            .unwrap(),
        good
    );

    // A state file written by an earlier, laxer version can still hold one: the deployment
    // compiles the definition and refuses it.
    let dir = temp_dir("uncompilable");
    let f = fixture_in(Store::open(&dir, open_config()).unwrap());
    f.put_mr("200", json!({"method.response.header.X": false}));
    f.put_ir(
        "200",
        json!({"responseParameters": {"method.response.header.X": "integration.response.body.a"}}),
    )
    .unwrap();
    drop(f.s);
    let state = std::fs::read_to_string(dir.join(STATE_FILE)).unwrap();
    assert_eq!(state.matches("\"integration.response.body.a\"").count(), 1);
    std::fs::write(
        dir.join(STATE_FILE),
        state.replace(
            "\"integration.response.body.a\"",
            "\"integration.response.body.a[?\"",
        ),
    )
    .unwrap();
    let s = Store::open(&dir, open_config()).unwrap();
    let (kind, message) = err(s.create_deployment(&f.api, &obj(json!({"stageName": "dev"}))));
    assert_eq!(kind, ErrorKind::BadRequest);
    assert!(
        message.starts_with("Unable to deploy method GET /pets: "),
        "{message}"
    );
    // Nothing was created.
    assert!(
        s.get_deployments(&f.api).unwrap()["item"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(err(s.get_stage(&f.api, "dev")).0, ErrorKind::NotFound);
    drop(s);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn routing_picks_the_resource_first_then_the_method() {
    let f = fixture();
    let s = &f.s;
    let proxy = s
        .create_resource(&f.api, &f.root, &obj(json!({"pathPart": "{proxy+}"})))
        .unwrap();
    let pid = proxy["id"].as_str().unwrap();
    s.put_method(
        &f.api,
        pid,
        "ANY",
        &obj(json!({"authorizationType": "NONE"})),
    )
    .unwrap();
    s.put_integration(&f.api, pid, "ANY", &obj(json!({"type": "MOCK"})))
        .unwrap();
    let item = s
        .create_resource(&f.api, &f.rid, &obj(json!({"pathPart": "{id}"})))
        .unwrap();
    let iid = item["id"].as_str().unwrap();
    s.put_method(
        &f.api,
        iid,
        "GET",
        &obj(json!({"authorizationType": "NONE"})),
    )
    .unwrap();
    s.put_integration(&f.api, iid, "GET", &obj(json!({"type": "MOCK"})))
        .unwrap();
    s.create_deployment(&f.api, &obj(json!({"stageName": "dev"})))
        .unwrap();
    let (snap, _) = s.stage_snapshot(&f.api, "dev").unwrap();
    assert_eq!(
        snap.route("GET", "/pets").unwrap().method.resource_path,
        "/pets"
    );
    let item = snap.route("GET", "/pets/7").unwrap();
    assert_eq!(item.method.resource_path, "/pets/{id}");
    assert_eq!(
        item.path_parameters,
        vec![("id".to_owned(), "7".to_owned())]
    );
    // /pets has no POST: the greedy resource is not tried.
    assert!(snap.route("POST", "/pets").is_none());
    let other = snap.route("POST", "/other/x").unwrap();
    assert_eq!(other.method.resource_path, "/{proxy+}");
    assert_eq!(other.method.http_method, "ANY");
    assert_eq!(
        other.path_parameters,
        vec![("proxy".to_owned(), "other/x".to_owned())]
    );
    assert_eq!(snap.methods().count(), 3);
}

/// Mirrors LocalStack's AWS-recorded snapshots `test_gateway_response_put`,
/// `test_gateway_response_validation` and `test_update_gateway_response`.
#[test]
fn gateway_response_defaults_inheritance_and_updates() {
    let f = fixture();
    let s = &f.s;
    let default_template =
        json!({"application/json": "{\"message\":$context.error.messageString}"});
    // Members left out take the type's defaults.
    let status_only = s
        .put_gateway_response(
            &f.api,
            "MISSING_AUTHENTICATION_TOKEN",
            &obj(json!({"statusCode": "404"})),
        )
        .unwrap();
    assert_eq!(
        status_only,
        json!({"responseType": "MISSING_AUTHENTICATION_TOKEN", "statusCode": "404",
               "responseParameters": {}, "responseTemplates": default_template,
               "defaultResponse": false})
    );
    let params_only = s
        .put_gateway_response(
            &f.api,
            "MISSING_AUTHENTICATION_TOKEN",
            &obj(json!({"responseParameters": {"gatewayresponse.header.x": "'y'"}})),
        )
        .unwrap();
    assert_eq!(params_only["statusCode"], "403");
    // A customised DEFAULT_5XX is what the other 5xx types answer with.
    s.put_gateway_response(
        &f.api,
        "DEFAULT_5XX",
        &obj(json!({"statusCode": "599", "responseTemplates": {"application/json": "x"}})),
    )
    .unwrap();
    let inherited = s
        .get_gateway_response(&f.api, "INTEGRATION_TIMEOUT")
        .unwrap();
    assert_eq!(
        inherited,
        json!({"responseType": "INTEGRATION_TIMEOUT", "statusCode": "599",
               "responseParameters": {}, "responseTemplates": {"application/json": "x"},
               "defaultResponse": true})
    );
    assert_eq!(
        s.get_gateway_response(&f.api, "THROTTLED").unwrap()["statusCode"],
        "429"
    );
    let all = s.get_gateway_responses(&f.api).unwrap();
    let types: Vec<&str> = all["item"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["responseType"].as_str().unwrap())
        .collect();
    let mut sorted = types.clone();
    sorted.sort_unstable();
    assert_eq!(types, sorted);
    assert_eq!(types.len(), 21);

    // Errors.
    assert_eq!(
        err(s.delete_gateway_response(&f.api, "THROTTLED")),
        (
            ErrorKind::NotFound,
            "Gateway response type not defined on api".into()
        )
    );
    assert_eq!(
        err(s.get_gateway_responses("fake-api-id")),
        (
            ErrorKind::NotFound,
            "Invalid API identifier specified 123456789012:fake-api-id".into()
        )
    );
    let (kind, message) = err(s.get_gateway_response(&f.api, "FAKE_RESPONSE_TYPE"));
    assert_eq!(kind, ErrorKind::Validation);
    assert_eq!(
        message,
        "1 validation error detected: Value 'FAKE_RESPONSE_TYPE' at 'responseType' failed to \
         satisfy constraint: Member must satisfy enum value set: [REQUEST_TOO_LARGE, \
         RESOURCE_NOT_FOUND, AUTHORIZER_CONFIGURATION_ERROR, MISSING_AUTHENTICATION_TOKEN, \
         BAD_REQUEST_BODY, INVALID_SIGNATURE, INVALID_API_KEY, BAD_REQUEST_PARAMETERS, \
         AUTHORIZER_FAILURE, UNAUTHORIZED, INTEGRATION_TIMEOUT, ACCESS_DENIED, DEFAULT_4XX, \
         DEFAULT_5XX, WAF_FILTERED, QUOTA_EXCEEDED, THROTTLED, API_CONFIGURATION_ERROR, \
         UNSUPPORTED_MEDIA_TYPE, INTEGRATION_FAILURE, EXPIRED_TOKEN]"
    );

    // Updates: a default type becomes customised.
    let patch = |ops: Value| {
        s.update_gateway_response(
            &f.api,
            "DEFAULT_4XX",
            &obj(json!({ "patchOperations": ops })),
        )
    };
    let u = patch(json!([{"op": "replace", "path": "/statusCode", "value": "444"}])).unwrap();
    assert_eq!(
        u,
        json!({"responseType": "DEFAULT_4XX", "statusCode": "444", "responseParameters": {},
               "responseTemplates": default_template, "defaultResponse": false})
    );
    assert_eq!(
        err(patch(
            json!([{"op": "add", "path": "/statusCode", "value": "400"}])
        )),
        (
            ErrorKind::BadRequest,
            "Invalid patch path /statusCode".into()
        )
    );
    assert_eq!(
        err(patch(
            json!([{"op": "replace", "path": "/responseParameters/gatewayresponse.header.nope", "value": "'a'"}])
        )),
        (
            ErrorKind::NotFound,
            "Invalid parameter name specified".into()
        )
    );
    assert_eq!(
        err(patch(json!([{"op": "add", "value": "x"}]))),
        (ErrorKind::BadRequest, "Invalid patch path null".into())
    );
    assert_eq!(
        err(patch(
            json!([{"op": "add", "path": "/responseTemplates/application~1xml"}])
        )),
        (
            ErrorKind::BadRequest,
            "Invalid null or empty value in responseTemplates".into()
        )
    );
    let u = patch(
        json!([{"op": "add", "path": "/responseTemplates/application~1xml", "value": "<m/>"}]),
    )
    .unwrap();
    assert_eq!(u["responseTemplates"]["application/xml"], "<m/>");
    // The 4xx types now follow DEFAULT_4XX.
    assert_eq!(
        s.get_gateway_response(&f.api, "THROTTLED").unwrap()["statusCode"],
        "444"
    );
}

/// Mirrors LocalStack's AWS-recorded `test_update_resource_behaviour` and
/// `test_update_resource_on_root`.
#[test]
fn update_resource_behaviour() {
    let f = fixture();
    let s = &f.s;
    let sub = s
        .create_resource(&f.api, &f.rid, &obj(json!({"pathPart": "subpets"})))
        .unwrap();
    let sub_id = sub["id"].as_str().unwrap();
    let child = s
        .create_resource(&f.api, sub_id, &obj(json!({"pathPart": "pets"})))
        .unwrap();
    let child_id = child["id"].as_str().unwrap();
    let upd = |rid: &str, ops: Value| {
        s.update_resource(&f.api, rid, &obj(json!({ "patchOperations": ops })))
    };
    assert_eq!(
        err(upd(
            sub_id,
            json!([{"op": "replace", "path": "/invalid", "value": "x"}])
        )),
        (
            ErrorKind::BadRequest,
            "Invalid patch path  '/invalid' specified for op 'replace'. Must be one of: \
             [/parentId, /pathPart]"
                .into()
        )
    );
    assert_eq!(
        err(upd(sub_id, json!([{"op": "remove", "path": "/pathPart"}]))),
        (
            ErrorKind::BadRequest,
            "Invalid patch path  '/pathPart' specified for op 'remove'. Please choose supported \
             operations"
                .into()
        )
    );
    assert_eq!(
        err(upd(
            &f.rid,
            json!([{"op": "replace", "path": "/parentId", "value": child_id}])
        )),
        (
            ErrorKind::BadRequest,
            "Resources cannot be cyclical.".into()
        )
    );
    assert_eq!(
        err(upd(
            sub_id,
            json!([{"op": "replace", "path": "/parentId", "value": "nope"}])
        )),
        (
            ErrorKind::NotFound,
            "Invalid Resource identifier specified".into()
        )
    );
    assert_eq!(
        err(upd(
            &f.root,
            json!([{"op": "replace", "path": "/pathPart", "value": "x"}])
        )),
        (
            ErrorKind::BadRequest,
            "Root resource cannot update its pathPart.".into()
        )
    );
    assert_eq!(
        err(upd(
            child_id,
            json!([{"op": "replace", "path": "/parentId", "value": f.root}])
        )),
        (
            ErrorKind::Conflict,
            "Another resource with the same parent already has this name: pets".into()
        )
    );
    // Moving /pets/subpets to the root moves its child too.
    let moved = upd(
        sub_id,
        json!([{"op": "replace", "path": "/parentId", "value": f.root}]),
    )
    .unwrap();
    assert_eq!(moved["path"], "/subpets");
    assert_eq!(
        s.get_resource(&f.api, child_id, false).unwrap()["path"],
        "/subpets/pets"
    );
    let renamed = upd(
        &f.rid,
        json!([{"op": "replace", "path": "/pathPart", "value": "dogs"}]),
    )
    .unwrap();
    assert_eq!(renamed["path"], "/dogs");
}

#[test]
fn yaml_alias_bomb_is_refused_quickly() {
    let s = store();
    let mut doc = String::from(
        "swagger: \"2.0\"\ninfo: {title: x}\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..12 {
        let prev = i - 1;
        doc.push_str(&format!(
            "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    let started = std::time::Instant::now();
    let r = s.import_rest_api(doc.as_bytes(), None);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(r.unwrap_err().kind(), ErrorKind::BadRequest);
}

/// Random paths, methods and bodies (a fixed-seed xorshift generator) never panic and always
/// get a well-formed AWS answer: a JSON error body with `x-amzn-ErrorType`, or a success.
#[test]
fn hostile_requests_never_panic() {
    let f = fixture();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let segments = [
        "restapis".to_owned(),
        f.api.clone(),
        "resources".into(),
        f.rid.clone(),
        f.root.clone(),
        "methods".into(),
        "GET".into(),
        "ANY".into(),
        "integration".into(),
        "responses".into(),
        "200".into(),
        "wrong".into(),
        "gatewayresponses".into(),
        "DEFAULT_4XX".into(),
        "deployments".into(),
        "stages".into(),
        "exports".into(),
        "swagger".into(),
        "..".into(),
        "%2F..%2F".into(),
        "%ZZ".into(),
        "".into(),
    ];
    let bodies: [&[u8]; 10] = [
        b"",
        b"{",
        b"null",
        b"[]",
        b"\"x\"",
        b"{\"patchOperations\": [{\"op\": \"add\"}]}",
        b"{\"patchOperations\": {}}",
        b"{\"responseTemplates\": {\"\": null}, \"responseParameters\": {\"\": \"\"}}",
        b"{\"type\": \"MOCK\", \"authorizationType\": \"NONE\", \"pathPart\": \"{x+}\"}",
        b"\xff\xfe\x00",
    ];
    let methods = ["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "get"];
    for _ in 0..3000 {
        let n = (next() % 8) as usize;
        let path: String = (0..n)
            .map(|_| format!("/{}", segments[(next() % segments.len() as u64) as usize]))
            .collect();
        let method = methods[(next() % methods.len() as u64) as usize];
        let body = bodies[(next() % bodies.len() as u64) as usize];
        let r =
            f.s.handle(method, &path, "mode=import&embed=methods", &[], body);
        if r.status >= 400 {
            assert!(r.header("x-amzn-ErrorType").is_some(), "{method} {path}");
            assert!(r.json()["message"].is_string(), "{method} {path}");
        }
    }
    // The store still answers (whatever the hostile DELETEs removed).
    assert!(f.s.get_rest_apis().unwrap()["item"].is_array());
}

/// A hand-damaged state file (a parent cycle) neither hangs nor panics the operations that
/// walk the resource tree.
#[test]
fn damaged_parent_cycle_does_not_hang() {
    let dir = temp_dir("cycle");
    let f = fixture_in(Store::open(&dir, open_config()).unwrap());
    let child =
        f.s.create_resource(&f.api, &f.rid, &obj(json!({"pathPart": "x"})))
            .unwrap();
    let child_id = child["id"].as_str().unwrap().to_owned();
    let (api, rid) = (f.api.clone(), f.rid.clone());
    drop(f);
    let path = dir.join(STATE_FILE);
    let mut state: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    state["rest_apis"][&api]["resources"][&rid]["parentId"] = json!(child_id);
    std::fs::write(&path, serde_json::to_vec(&state).unwrap()).unwrap();
    let s = Store::open(&dir, open_config()).unwrap();
    let r = s.update_resource(
        &api,
        &child_id,
        &obj(json!({"patchOperations": [{"op": "replace", "path": "/pathPart", "value": "y"}]})),
    );
    assert!(r.is_ok(), "{r:?}");
    s.delete_resource(&api, &rid).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn authorizers_through_handle() {
    let s = store();
    let api = call(&s, "POST", "/restapis", r#"{"name": "a"}"#).json();
    let id = api["id"].as_str().unwrap();
    let root = api["rootResourceId"].as_str().unwrap();
    let base = format!("/restapis/{id}/authorizers");
    let r = call(
        &s,
        "POST",
        &base,
        r#"{"name": "t", "type": "TOKEN", "identitySource": "method.request.header.Auth"}"#,
    );
    assert_eq!(r.status, 201);
    let aid = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        call(&s, "GET", &base, "").json()["item"][0]["id"],
        json!(aid)
    );
    let method = format!("/restapis/{id}/resources/{root}/methods/GET");
    let r = call(
        &s,
        "PUT",
        &method,
        r#"{"authorizationType": "COGNITO_USER_POOLS"}"#,
    );
    assert_eq!(
        (r.status, r.header("x-amzn-ErrorType")),
        (400, Some("BadRequestException"))
    );
    let body = format!(r#"{{"authorizationType": "CUSTOM", "authorizerId": "{aid}"}}"#);
    assert_eq!(call(&s, "PUT", &method, &body).status, 201);
    let r = call(&s, "DELETE", &format!("{base}/{aid}"), "");
    assert_eq!(
        (r.status, r.header("x-amzn-ErrorType")),
        (409, Some("ConflictException"))
    );
    let r = call(
        &s,
        "PATCH",
        &format!("{base}/{aid}"),
        r#"{"patchOperations": [{"op": "replace", "path": "/name", "value": "u"}]}"#,
    );
    assert_eq!((r.status, r.json()["name"].clone()), (200, json!("u")));
    assert_eq!(call(&s, "DELETE", &method, "").status, 204);
    assert_eq!(call(&s, "DELETE", &format!("{base}/{aid}"), "").status, 202);
    let r = call(&s, "GET", &format!("{base}/{aid}"), "");
    assert_eq!(
        (r.status, r.json()["message"].clone()),
        (404, json!("Invalid Authorizer identifier specified"))
    );
}

/// Ids that try to leave the state directory are only unknown ids: AWS-shaped 404s, and the
/// directory holds the state and lock files and nothing else.
#[test]
fn path_traversal_in_ids_is_an_unknown_id() {
    let dir = temp_dir("traversal");
    let f = fixture_in(Store::open(&dir, open_config()).unwrap());
    let (api, rid) = (f.api.as_str(), f.rid.as_str());
    let hostile = [
        "..",
        "..%2F..%2Fstate.json",
        "%2E%2E%2F%2E%2E",
        "..%5C..%5Cstate.json",
        "%00",
        "state.json",
        "%2Fetc%2Fpasswd",
    ];
    for h in hostile {
        for (method, path, body) in [
            ("GET", format!("/restapis/{h}"), ""),
            ("PUT", format!("/restapis/{h}"), "{}"),
            (
                "POST",
                format!("/restapis/{api}/resources/{h}"),
                r#"{"pathPart": "x"}"#,
            ),
            (
                "PUT",
                format!("/restapis/{api}/resources/{h}/methods/GET"),
                r#"{"authorizationType": "NONE"}"#,
            ),
            (
                "PUT",
                format!("/restapis/{api}/resources/{rid}/methods/GET/integration/responses/{h}"),
                "{}",
            ),
            (
                "GET",
                format!("/restapis/{api}/stages/{h}/exports/swagger"),
                "",
            ),
            ("GET", format!("/restapis/{api}/authorizers/{h}"), ""),
            ("DELETE", format!("/restapis/{api}/deployments/{h}"), ""),
        ] {
            let r = call(&f.s, method, &path, body);
            assert!(
                (400..500).contains(&r.status),
                "{method} {path}: {}",
                r.status
            );
            assert!(r.header("x-amzn-ErrorType").is_some(), "{method} {path}");
            assert!(r.json()["message"].is_string(), "{method} {path}");
        }
    }
    // A stage name that looks like a path is refused by its own rule.
    let r = call(
        &f.s,
        "POST",
        &format!("/restapis/{api}/deployments"),
        r#"{"stageName": "../../x"}"#,
    );
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            std::ffi::OsString::from(STATE_FILE),
            std::ffi::OsString::from(crate::LOCK_FILE)
        ]
    );
    assert!(!dir.parent().unwrap().join("x").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Unknown JSON members are ignored, as AWS's deserializer does; ill-typed known members get a
/// `SerializationException`.
#[test]
fn unknown_members_are_ignored() {
    let s = store();
    let r = call(
        &s,
        "POST",
        "/restapis",
        r#"{"name": "x", "unknownMember": {"deep": [1, 2]}, "Name": 5}"#,
    );
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["name"], "x");
    assert!(r.json().get("unknownMember").is_none());
    let r = call(&s, "POST", "/restapis", r#"{"name": ["x"]}"#);
    assert_eq!(
        (r.status, r.header("x-amzn-ErrorType")),
        (400, Some("SerializationException"))
    );
}

/// Writers racing through `handle` on one state directory: every answer is AWS-shaped (one
/// creation of a contested path part wins, the others get a `ConflictException`), and a reader
/// polling `state.json` meanwhile only ever sees a whole, parseable state.
#[test]
fn concurrent_writers_through_handle_never_tear_the_state_file() {
    let dir = temp_dir("race");
    let f = Arc::new(fixture_in(Store::open(&dir, open_config()).unwrap()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (dir, stop) = (dir.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Acquire) {
                let bytes = std::fs::read(dir.join(STATE_FILE)).unwrap();
                serde_json::from_slice::<Value>(&bytes).expect("a whole state file");
                reads += 1;
            }
            reads
        })
    };
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let f = Arc::clone(&f);
            std::thread::spawn(move || {
                let mut created = 0;
                for i in 0..20 {
                    // Everyone contests the same path part.
                    let r = call(
                        &f.s,
                        "POST",
                        &format!("/restapis/{}/resources/{}", f.api, f.root),
                        &format!(r#"{{"pathPart": "p{i}"}}"#),
                    );
                    match r.status {
                        201 => created += 1,
                        409 => assert_eq!(r.header("x-amzn-ErrorType"), Some("ConflictException")),
                        other => panic!("unexpected {other}"),
                    }
                    let code = format!("{}{:02}", t + 2, i);
                    let r = call(
                        &f.s,
                        "PUT",
                        &format!(
                            "/restapis/{}/resources/{}/methods/GET/integration/responses/{code}",
                            f.api, f.rid
                        ),
                        r#"{"selectionPattern": "x"}"#,
                    );
                    assert_eq!(r.status, 201);
                }
                created
            })
        })
        .collect();
    let created: i32 = writers.into_iter().map(|w| w.join().unwrap()).sum();
    stop.store(true, std::sync::atomic::Ordering::Release);
    assert!(reader.join().unwrap() > 0);
    assert_eq!(created, 20, "each contested path part is created once");
    let (api, rid) = (f.api.clone(), f.rid.clone());
    let live = f.s.get_resources(&api, false).unwrap();
    drop(f);
    let reloaded = Store::open(&dir, open_config()).unwrap();
    assert_eq!(reloaded.get_resources(&api, false).unwrap(), live);
    let irs = reloaded.get_integration(&api, &rid, "GET").unwrap()["integrationResponses"]
        .as_object()
        .unwrap()
        .len();
    assert_eq!(irs, 80);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn request_validators_through_handle_and_import() {
    let s = store();
    let api = call(&s, "POST", "/restapis", r#"{"name": "v"}"#).json();
    let id = api["id"].as_str().unwrap();
    let base = format!("/restapis/{id}/requestvalidators");
    let r = call(
        &s,
        "POST",
        &base,
        r#"{"name": "all", "validateRequestBody": true}"#,
    );
    assert_eq!(r.status, 201);
    let vid = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(call(&s, "GET", &base, "").json()["item"][0]["name"], "all");
    let r = call(
        &s,
        "PATCH",
        &format!("{base}/{vid}"),
        r#"{"patchOperations": [{"op": "replace", "path": "/validateRequestBody", "value": "yes"}]}"#,
    );
    assert_eq!(
        (r.status, r.json()["message"].clone()),
        (400, json!("Invalid boolean value specified: yes"))
    );
    assert_eq!(call(&s, "DELETE", &format!("{base}/{vid}"), "").status, 202);
    let r = call(&s, "GET", &format!("{base}/{vid}"), "");
    assert_eq!(
        (r.status, r.header("x-amzn-ErrorType")),
        (404, Some("NotFoundException"))
    );
    // An import naming a validator the document does not define warns.
    let doc = br#"{"swagger": "2.0", "info": {"title": "v"},
        "x-amazon-apigateway-request-validator": "missing",
        "paths": {"/a": {"get": {"responses": {},
            "x-amazon-apigateway-integration": {"type": "mock"}}}}}"#;
    let r = s.handle("POST", "/restapis", "mode=import", &[], doc);
    assert_eq!(r.status, 201);
    assert_eq!(
        r.json()["warnings"],
        json!(["Request validator 'missing' of 'GET' at '/a' is not defined"])
    );
}

// ------------------------------------------------------------------ redeploys

/// `/pets` GET plus `/pets/{id}` GET and POST, with templates and a selection pattern: a
/// definition that compiles to something of a realistic size.
fn redeploy_fixture(s: Store) -> Fx {
    let f = fixture_in(s);
    f.put_ir(
        "200",
        json!({"selectionPattern": "", "responseTemplates": {"application/json": "#set($p = $input.path('$'))\n{\"n\": \"$p.name\"}"}}),
    )
    .unwrap();
    let child =
        f.s.create_resource(&f.api, &f.rid, &obj(json!({"pathPart": "{id}"})))
            .unwrap();
    let cid = child["id"].as_str().unwrap();
    for m in ["GET", "POST"] {
        f.s.put_method(&f.api, cid, m, &obj(json!({"authorizationType": "NONE"})))
            .unwrap();
        f.s.put_method_response(&f.api, cid, m, "404", &obj(json!({})))
            .unwrap();
        f.s.put_integration(
            &f.api,
            cid,
            m,
            &obj(json!({"type": "HTTP", "httpMethod": m, "uri": "http://backend/pets/{id}",
                        "requestTemplates": {"application/json": "{\"id\": \"$input.params('id')\"}"}})),
        )
        .unwrap();
        f.s.put_integration_response(
            &f.api,
            cid,
            m,
            "404",
            &obj(json!({"selectionPattern": "4\\d{2}", "responseTemplates": {"application/json": "{\"message\": \"$input.path('$.error')\"}"}})),
        )
        .unwrap();
    }
    f
}

fn state_file_len(dir: &std::path::Path) -> u64 {
    std::fs::metadata(dir.join(STATE_FILE)).unwrap().len()
}

#[test]
fn redeploys_keep_one_compiled_snapshot_per_stage_and_share_the_frozen_definition() {
    let dir = temp_dir("redeploys");
    let f = redeploy_fixture(Store::open(&dir, open_config()).unwrap());
    let deploy = |i: usize| {
        let d =
            f.s.create_deployment(
                &f.api,
                &obj(json!({"stageName": "dev", "description": format!("redeploy {i}")})),
            )
            .unwrap();
        // What a gateway does after every change.
        let (snap, _) = f.s.stage_snapshot(&f.api, "dev").unwrap();
        assert_eq!(Some(snap.deployment_id.as_str()), d["id"].as_str());
        d["id"].as_str().unwrap().to_owned()
    };
    let first = deploy(0);
    let after_first = state_file_len(&dir);
    for i in 1..100 {
        deploy(i);
    }
    let after_100 = state_file_len(&dir);
    for i in 100..300 {
        deploy(i);
    }
    let after_300 = state_file_len(&dir);
    // Only the stage's deployment keeps a compiled snapshot.
    assert_eq!(f.s.compiled_snapshot_count(), 1);
    // Every deployment is still an AWS resource.
    let all = f.s.get_deployments(&f.api).unwrap();
    assert_eq!(all["item"].as_array().unwrap().len(), 300);
    assert_eq!(
        f.s.get_deployment(&f.api, &first).unwrap()["description"],
        "redeploy 0"
    );
    // 300 deployments of one unchanged API freeze one definition, in memory and on disk; the
    // state file grows by the deployments' metadata only.
    assert_eq!(f.s.frozen_definition_count(&f.api), 1);
    assert_eq!(
        std::fs::read_dir(dir.join(crate::DEFINITIONS_DIR))
            .unwrap()
            .count(),
        1
    );
    let per_deployment = (after_300 - after_100) / 200;
    assert!(
        per_deployment < 256,
        "state file grows {per_deployment} bytes per deployment ({after_first} after the first)"
    );

    // A deployment without a stage is validated (compiled) but its compiled form is not kept.
    f.s.create_deployment(&f.api, &obj(json!({}))).unwrap();
    assert_eq!(f.s.compiled_snapshot_count(), 1);
    // Pointing a stage at an old deployment compiles it on demand; the replaced one is dropped.
    f.s.update_stage(
        &f.api,
        "dev",
        &obj(json!({"patchOperations": [{"op": "replace", "path": "/deploymentId", "value": first}]})),
    )
    .unwrap();
    let (old, _) = f.s.stage_snapshot(&f.api, "dev").unwrap();
    assert_eq!(old.deployment_id, first);
    assert!(old.route("POST", "/pets/7").is_some());
    assert_eq!(f.s.compiled_snapshot_count(), 1);
    // A second stage on another deployment: two snapshots; deleting it drops one.
    let other = deploy(300);
    f.s.create_stage(
        &f.api,
        &obj(json!({"stageName": "old", "deploymentId": first})),
    )
    .unwrap();
    f.s.stage_snapshot(&f.api, "old").unwrap();
    assert_eq!(f.s.compiled_snapshot_count(), 2);
    f.s.delete_stage(&f.api, "old").unwrap();
    assert_eq!(f.s.compiled_snapshot_count(), 1);

    // A change makes the next deployment freeze a second definition; the old ones still serve.
    f.s.delete_method(&f.api, &f.rid, "GET").unwrap();
    let changed = deploy(301);
    assert_eq!(f.s.frozen_definition_count(&f.api), 2);
    let (snap, _) = f.s.stage_snapshot(&f.api, "dev").unwrap();
    assert_eq!(snap.deployment_id, changed);
    assert!(snap.route("GET", "/pets").is_none());

    // Everything reloads, frozen definitions included.
    let export = f.s.get_export(&f.api, "dev", "oas30", None).unwrap();
    drop(f.s);
    let s = Store::open(&dir, open_config()).unwrap();
    assert_eq!(
        s.get_deployments(&f.api).unwrap()["item"]
            .as_array()
            .unwrap()
            .len(),
        303
    );
    assert_eq!(s.frozen_definition_count(&f.api), 2);
    assert_eq!(s.compiled_snapshot_count(), 0);
    assert_eq!(s.get_export(&f.api, "dev", "oas30", None).unwrap(), export);
    s.update_stage(
        &f.api,
        "dev",
        &obj(json!({"patchOperations": [{"op": "replace", "path": "/deploymentId", "value": other}]})),
    )
    .unwrap();
    let (snap, _) = s.stage_snapshot(&f.api, "dev").unwrap();
    assert!(snap.route("GET", "/pets").is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A state directory written by format 1 (every deployment's definition inline, as `main`
/// wrote it before definitions were shared): it loads, serves, and is rewritten as format 2
/// on the next change.
#[test]
fn a_format_1_state_directory_still_loads_and_is_upgraded_on_the_next_change() {
    let dir = temp_dir("v1");
    std::fs::write(
        dir.join(STATE_FILE),
        include_bytes!("../tests/fixtures/state-v1.json"),
    )
    .unwrap();
    let (api, first, second) = ("fuixtjfjyb", "05z82n", "yshi24");
    let s = Store::open(&dir, open_config()).unwrap();
    assert_eq!(
        s.get_deployment(api, first).unwrap()["description"],
        "redeploy 1"
    );
    assert_eq!(s.get_stage(api, "dev").unwrap()["deploymentId"], second);
    // Both deployments froze the same definition: loaded once.
    assert_eq!(s.frozen_definition_count(api), 1);
    let (snap, _) = s.stage_snapshot(api, "dev").unwrap();
    let pet = snap.route("GET", "/pets/7").unwrap();
    assert_eq!(
        pet.method.uri.as_deref(),
        Some("http://127.0.0.1:9/pets/{id}")
    );
    let export = s
        .get_export(api, "dev", "oas30", Some("integrations"))
        .unwrap();

    // The next change writes format 2: one definition file, referenced by digest.
    s.update_stage(
        api,
        "dev",
        &obj(json!({"patchOperations": [{"op": "replace", "path": "/deploymentId", "value": first}]})),
    )
    .unwrap();
    let written: Value =
        serde_json::from_slice(&std::fs::read(dir.join(STATE_FILE)).unwrap()).unwrap();
    assert_eq!(written["version"], 2);
    // The served deployment's definition stays inline, exactly as format 1 wrote it; the
    // other one references the definition's file.
    let v1: Value =
        serde_json::from_slice(include_bytes!("../tests/fixtures/state-v1.json")).unwrap();
    let deployments = &written["rest_apis"][api]["deployments"];
    assert_eq!(
        deployments[first]["definition"],
        v1["rest_apis"][api]["deployments"][first]["definition"]
    );
    let digest = deployments[second]["definition"]
        .as_str()
        .unwrap()
        .to_owned();
    let files: Vec<_> = std::fs::read_dir(dir.join(crate::DEFINITIONS_DIR))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files, [format!("{digest}.json")]);
    drop(s);

    let s = Store::open(&dir, open_config()).unwrap();
    assert_eq!(s.get_stage(api, "dev").unwrap()["deploymentId"], first);
    assert_eq!(
        s.get_export(api, "dev", "oas30", Some("integrations"))
            .unwrap(),
        export
    );
    // Deleting every deployment removes the definition file once nothing references it.
    s.delete_stage(api, "dev").unwrap();
    s.delete_deployment(api, first).unwrap();
    assert!(
        dir.join(crate::DEFINITIONS_DIR)
            .join(format!("{digest}.json"))
            .exists()
    );
    s.delete_deployment(api, second).unwrap();
    assert!(
        !dir.join(crate::DEFINITIONS_DIR)
            .join(format!("{digest}.json"))
            .exists()
    );
    drop(s);
    // A state file that references a missing or malformed definition is refused, untouched.
    let bad = br#"{"version": 2, "rest_apis": {"a": {"id": "a", "name": "a", "createdDate": 0,
        "rootResourceId": "r", "resources": {}, "deployments": {"d": {"id": "d",
        "createdDate": 0, "definition": "../../etc/passwd"}}}}}"#;
    std::fs::write(dir.join(STATE_FILE), bad).unwrap();
    let e = Store::open(&dir, open_config()).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    assert!(
        e.to_string().contains("invalid definition reference"),
        "{e}"
    );
    let missing = String::from_utf8_lossy(bad).replace("../../etc/passwd", &digest);
    std::fs::write(dir.join(STATE_FILE), missing.as_bytes()).unwrap();
    let e = Store::open(&dir, open_config()).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(
        std::fs::read(dir.join(STATE_FILE)).unwrap(),
        missing.as_bytes()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
