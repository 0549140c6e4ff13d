//! The AWS docs' PetStore example, as API Gateway exports it (with integration responses keyed
//! by pattern and `default`, templates, `responseParameters`, a binary media type,
//! `contentHandling`, a MOCK `OPTIONS` method for CORS and gateway responses), imports,
//! exports and re-imports to the same model, from Swagger 2.0 JSON and OpenAPI 3.0 YAML.

use apigw_control::{Config, Store};
use serde_json::{Map, Value, json};

const SWAGGER: &str = include_str!("fixtures/petstore-swagger.json");
const OAS30: &str = include_str!("fixtures/petstore-oas30.yaml");

fn store() -> Store {
    Store::in_memory(Config {
        auth_disabled: true,
        ..Config::default()
    })
}

fn obj(v: &Value) -> Map<String, Value> {
    v.as_object().expect("object").clone()
}

fn import(s: &Store, doc: &[u8]) -> String {
    let api = s.import_rest_api(doc, Some("true")).expect("import");
    assert!(api.get("warnings").is_none(), "{api}");
    api["id"].as_str().expect("id").to_owned()
}

/// What the store holds for an API, without what differs between two imports of the same
/// document (ids, dates): resources by path, with their methods (responses and integrations
/// embedded), binary media types, gateway responses.
fn model(s: &Store, id: &str) -> Value {
    let api = s.get_rest_api(id).expect("api");
    let mut resources = Map::new();
    for r in s.get_resources(id, true).expect("resources")["item"]
        .as_array()
        .expect("items")
    {
        let rid = r["id"].as_str().expect("id");
        let mut methods = r
            .get("resourceMethods")
            .cloned()
            .unwrap_or_else(|| json!({}));
        for m in methods.as_object_mut().expect("methods").values_mut() {
            if let Some(ns) = m.pointer_mut("/methodIntegration/cacheNamespace")
                && ns == rid
            {
                *ns = json!("<resource id>");
            }
        }
        resources.insert(r["path"].as_str().expect("path").to_owned(), methods);
    }
    json!({
        "name": api["name"],
        "description": api["description"],
        "version": api["version"],
        "binaryMediaTypes": api["binaryMediaTypes"],
        "resources": resources,
        "gatewayResponses": s.get_gateway_responses(id).expect("gateway responses"),
    })
}

/// Deploys the API to a new stage and exports it with its integrations.
fn export(s: &Store, id: &str, kind: &str) -> Value {
    s.create_deployment(id, &obj(&json!({"stageName": "rt"})))
        .expect("deployment");
    let mut doc = s
        .get_export(id, "rt", kind, Some("integrations"))
        .expect("export");
    // The host or server names the API id.
    let m = doc.as_object_mut().expect("document");
    m.remove("host");
    m.remove("servers");
    doc
}

/// import → export → re-import gives the same model; exporting the re-import gives the same
/// document. Returns the first API's id.
fn round_trip(s: &Store, doc: &[u8], kind: &str) -> String {
    let first = import(s, doc);
    let exported = export(s, &first, kind);
    let second = import(s, exported.to_string().as_bytes());
    assert_eq!(model(s, &first), model(s, &second));
    assert_eq!(exported, export(s, &second, kind));
    first
}

fn method(model: &Value, path: &str, m: &str) -> Value {
    model["resources"][path][m].clone()
}

/// The import itself kept what the document says (so an equal round trip is not two equally
/// empty models).
fn assert_petstore(model: &Value) {
    assert_eq!(model["name"], "PetStore");
    assert_eq!(model["version"], "1.0");
    assert_eq!(model["binaryMediaTypes"], json!(["image/png"]));
    let paths: Vec<&String> = model["resources"].as_object().unwrap().keys().collect();
    assert_eq!(
        paths,
        ["/", "/pets", "/pets/{petId}", "/pets/{petId}/photo"]
    );

    let root = method(model, "/", "GET");
    assert_eq!(root["methodIntegration"]["type"], "MOCK");
    let html =
        root["methodIntegration"]["integrationResponses"]["200"]["responseTemplates"]["text/html"]
            .as_str()
            .unwrap();
    assert!(html.starts_with("<html>\n    <head>"), "{html}");
    assert!(html.ends_with("</body>\n</html>"), "{html}");

    let list = method(model, "/pets", "GET");
    assert_eq!(list["operationName"], "ListPets");
    assert_eq!(
        list["requestParameters"],
        json!({"method.request.querystring.type": false, "method.request.querystring.page": false})
    );
    assert_eq!(
        list["methodResponses"]["200"],
        json!({"statusCode": "200",
               "responseParameters": {"method.response.header.Access-Control-Allow-Origin": false},
               "responseModels": {"application/json": "Pets"}})
    );
    let integ = &list["methodIntegration"];
    assert_eq!(
        (&integ["type"], &integ["httpMethod"], &integ["uri"]),
        (
            &json!("HTTP"),
            &json!("GET"),
            &json!("http://petstore-demo-endpoint.execute-api.com/petstore/pets")
        )
    );
    assert_eq!(
        integ["integrationResponses"],
        json!({
            "200": {"statusCode": "200",
                    "responseParameters": {"method.response.header.Access-Control-Allow-Origin": "'*'"},
                    "responseTemplates": {"application/json": "$input.json('$')"}},
            "500": {"statusCode": "500", "selectionPattern": "5\\d{2}",
                    "responseTemplates": {"application/json": "{\"message\": \"The pet store is unavailable\"}"}}
        })
    );

    let create = method(model, "/pets", "POST");
    assert_eq!(
        create["requestModels"],
        json!({"application/json": "NewPet"})
    );
    assert_eq!(
        create["methodIntegration"]["integrationResponses"]["400"]["selectionPattern"],
        "4\\d{2}"
    );
    assert_eq!(
        create["methodIntegration"]["integrationResponses"]["400"]["responseTemplates"]["application/json"],
        "#set($body = $input.path('$'))\n{\"message\": \"Invalid pet: $util.escapeJavaScript($body.message)\"}"
    );

    let cors = method(model, "/pets", "OPTIONS");
    assert_eq!(cors["methodIntegration"]["type"], "MOCK");
    assert_eq!(
        cors["methodIntegration"]["requestTemplates"],
        json!({"application/json": "{\"statusCode\": 200}"})
    );
    assert_eq!(
        cors["methodIntegration"]["integrationResponses"]["200"],
        json!({"statusCode": "200",
               "responseParameters": {
                   "method.response.header.Access-Control-Allow-Methods": "'POST,GET,OPTIONS'",
                   "method.response.header.Access-Control-Allow-Headers": "'Content-Type,X-Amz-Date,Authorization,X-Api-Key'",
                   "method.response.header.Access-Control-Allow-Origin": "'*'"},
               "responseTemplates": {"application/json": null}})
    );

    let pet = method(model, "/pets/{petId}", "GET");
    assert_eq!(
        pet["requestParameters"],
        json!({"method.request.path.petId": true})
    );
    let irs = &pet["methodIntegration"]["integrationResponses"];
    assert!(irs["200"].get("selectionPattern").is_none(), "{irs}");
    assert_eq!(
        irs["200"]["responseParameters"]["method.response.header.X-Pet-Type"],
        "integration.response.body.type"
    );
    assert_eq!(irs["404"]["selectionPattern"], "404");
    assert_eq!(
        irs["404"]["responseTemplates"]["application/json"],
        "{\"message\": \"No pet with id $input.params('petId')\"}"
    );

    let photo = method(model, "/pets/{petId}/photo", "GET")["methodIntegration"].clone();
    assert_eq!(photo["contentHandling"], "CONVERT_TO_TEXT");
    assert_eq!(photo["passthroughBehavior"], "WHEN_NO_TEMPLATES");
    assert_eq!(
        photo["integrationResponses"]["200"]["contentHandling"],
        "CONVERT_TO_BINARY"
    );

    let gateway: Vec<&Value> = model["gatewayResponses"]["item"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["defaultResponse"] == false)
        .collect();
    assert_eq!(gateway.len(), 2, "{gateway:?}");
    let missing = gateway
        .iter()
        .find(|g| g["responseType"] == "MISSING_AUTHENTICATION_TOKEN")
        .unwrap();
    assert_eq!(missing["statusCode"], "404");
    let d4 = gateway
        .iter()
        .find(|g| g["responseType"] == "DEFAULT_4XX")
        .unwrap();
    assert_eq!(
        d4["responseParameters"],
        json!({"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"})
    );
}

#[test]
fn swagger_round_trips_through_both_export_formats() {
    let s = store();
    let id = round_trip(&s, SWAGGER.as_bytes(), "swagger");
    assert_petstore(&model(&s, &id));
    let id = round_trip(&s, SWAGGER.as_bytes(), "oas30");
    assert_petstore(&model(&s, &id));
}

#[test]
fn openapi3_yaml_round_trips_through_both_export_formats() {
    let s = store();
    let id = round_trip(&s, OAS30.as_bytes(), "oas30");
    assert_petstore(&model(&s, &id));
    let id = round_trip(&s, OAS30.as_bytes(), "swagger");
    assert_petstore(&model(&s, &id));
}

#[test]
fn swagger_and_openapi3_fixtures_describe_the_same_api() {
    let s = store();
    let from_swagger = import(&s, SWAGGER.as_bytes());
    let from_yaml = import(&s, OAS30.as_bytes());
    assert_eq!(model(&s, &from_swagger), model(&s, &from_yaml));
}

#[test]
fn the_exported_integration_responses_are_keyed_by_pattern() {
    let s = store();
    let id = import(&s, SWAGGER.as_bytes());
    let doc = export(&s, &id, "swagger");
    let x = &doc["paths"]["/pets/{petId}"]["get"]["x-amazon-apigateway-integration"];
    let keys: Vec<&String> = x["responses"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["default", "404"]);
    assert_eq!(x["type"], "http");
    assert_eq!(
        doc["paths"]["/pets/{petId}/photo"]["get"]["x-amazon-apigateway-integration"]["responses"]
            ["default"]["contentHandling"],
        "CONVERT_TO_BINARY"
    );
    assert_eq!(
        doc["x-amazon-apigateway-binary-media-types"],
        json!(["image/png"])
    );
}

#[test]
fn standard_documents_export_without_our_extensions() {
    // The PetStore needs nothing beyond AWS's own form: no `x-apigw-*` member is written.
    let s = store();
    for doc in [SWAGGER, OAS30] {
        let id = import(&s, doc.as_bytes());
        for kind in ["swagger", "oas30"] {
            let text = export(&s, &id, kind).to_string();
            assert!(!text.contains("x-apigw-"), "{kind}: {text}");
        }
    }
}
