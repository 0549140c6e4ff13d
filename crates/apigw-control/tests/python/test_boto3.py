"""End-to-end test of the control plane's wire protocol with the real boto3 client.

Starts the `serve` example of apigw-control on a free loopback port (the binary named by
APIGW_SERVE_BIN, else built with `cargo build -p apigw-control --example serve`), with
credentials it is given through the environment, and drives it with
`boto3.client("apigateway", endpoint_url=...)`: SigV4 signing, AWS's paths, JSON bodies and
AWS's error shapes all go through botocore unchanged.

Run with `python3 -m pytest test_boto3.py` or `python3 test_boto3.py`.
"""

import json
import os
import pathlib
import re
import secrets
import select
import subprocess
import sys
import tempfile
import threading

import boto3
import botocore.config
from botocore.exceptions import ClientError

ROOT = pathlib.Path(__file__).resolve().parents[4]
REGION = "us-east-1"
MAPPING_PREFIX = (
    "Invalid mapping expression specified: Validation Result: warnings : [], errors : ["
)

_server = None


def serve_binary():
    exe = os.environ.get("APIGW_SERVE_BIN")
    if exe:
        return exe
    out = subprocess.run(
        ["cargo", "build", "-q", "-p", "apigw-control", "--example", "serve",
         "--message-format=json"],
        cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True,
    )
    for line in out.stdout.splitlines():
        msg = json.loads(line)
        if (msg.get("reason") == "compiler-artifact"
                and msg["target"]["name"] == "serve" and msg.get("executable")):
            return msg["executable"]
    raise RuntimeError("cargo built no `serve` example executable")


class Server:
    """The `serve` example on 127.0.0.1:0 with a fresh state directory and fresh keys."""

    def __init__(self):
        self.state = tempfile.TemporaryDirectory(prefix="apigw-boto3-")
        self.access_key = "AKID" + secrets.token_hex(8).upper()
        self.secret_key = secrets.token_urlsafe(30)
        env = dict(os.environ)
        env.pop("APIGW_AUTH_DISABLED", None)
        env["APIGW_ACCESS_KEY_ID"] = self.access_key
        env["APIGW_SECRET_ACCESS_KEY"] = self.secret_key
        self.proc = subprocess.Popen(
            [serve_binary(), "127.0.0.1:0", self.state.name],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True,
        )
        ready, _, _ = select.select([self.proc.stderr], [], [], 60)
        first = self.proc.stderr.readline() if ready else ""
        m = re.search(r"http://(127\.0\.0\.1:\d+)", first)
        if not m:
            self.stop()
            raise RuntimeError(f"serve did not start: {first!r}")
        self.endpoint = f"http://{m.group(1)}"
        self.log = [first]
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stderr:
            self.log.append(line)

    def client(self, access_key=None, secret_key=None):
        return boto3.client(
            "apigateway",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            config=botocore.config.Config(retries={"max_attempts": 1}),
        )

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.state.cleanup()


def setup_module(_module=None):
    global _server
    if _server is None:
        _server = Server()


def teardown_module(_module=None):
    global _server
    if _server is not None:
        _server.stop()
        _server = None


def client():
    setup_module()
    return _server.client()


def error_of(call, **kwargs):
    """The (HTTP status, error code, message) of a call that must fail."""
    try:
        call(**kwargs)
    except ClientError as e:
        return (e.response["ResponseMetadata"]["HTTPStatusCode"],
                e.response["Error"]["Code"], e.response["Error"]["Message"])
    raise AssertionError(f"{call.__name__} succeeded, expected an error")


def new_api(c, name="pets"):
    """A REST API with /pets GET, a 200 method response declaring X-Id and X-Origin, and a MOCK
    integration. Returns (api id, resource id)."""
    api = c.create_rest_api(name=name, description="boto3 end to end")
    api_id = api["id"]
    pets = c.create_resource(restApiId=api_id, parentId=api["rootResourceId"], pathPart="pets")
    rid = pets["id"]
    c.put_method(restApiId=api_id, resourceId=rid, httpMethod="GET", authorizationType="NONE")
    c.put_method_response(
        restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode="200",
        responseParameters={"method.response.header.X-Id": False,
                            "method.response.header.X-Origin": True},
    )
    c.put_integration(
        restApiId=api_id, resourceId=rid, httpMethod="GET", type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    return api_id, rid


def ir_args(api_id, rid, code="200"):
    return {"restApiId": api_id, "resourceId": rid, "httpMethod": "GET", "statusCode": code}


def test_create_rest_api_and_resources():
    c = client()
    api = c.create_rest_api(name="first", binaryMediaTypes=["image/png"])
    assert api["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert api["name"] == "first"
    assert api["binaryMediaTypes"] == ["image/png"]
    items = c.get_resources(restApiId=api["id"])["items"]
    assert [(i["id"], i["path"]) for i in items] == [(api["rootResourceId"], "/")]
    c.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="pets")
    paths = sorted(i["path"] for i in c.get_resources(restApiId=api["id"])["items"])
    assert paths == ["/", "/pets"]
    assert c.get_rest_api(restApiId=api["id"])["name"] == "first"
    assert any(a["id"] == api["id"] for a in c.get_rest_apis()["items"])
    assert error_of(c.get_rest_api, restApiId="nope")[:2] == (404, "NotFoundException")


def test_put_and_get_integration_response():
    c = client()
    api_id, rid = new_api(c)
    put = c.put_integration_response(
        **ir_args(api_id, rid), selectionPattern="",
        responseParameters={"method.response.header.X-Id": "integration.response.body.id",
                            "method.response.header.X-Origin": "'*'"},
        responseTemplates={"application/json": "$input.json('$')", "text/html": ""},
        contentHandling="CONVERT_TO_TEXT",
    )
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert put["statusCode"] == "200"
    assert put["selectionPattern"] == ""
    assert put["responseParameters"] == {
        "method.response.header.X-Id": "integration.response.body.id",
        "method.response.header.X-Origin": "'*'"}
    assert put["responseTemplates"]["application/json"] == "$input.json('$')"
    # An empty template is stored and returned as null.
    assert put["responseTemplates"].get("text/html") is None
    assert put["contentHandling"] == "CONVERT_TO_TEXT"
    got = c.get_integration_response(**ir_args(api_id, rid))
    for k in ("statusCode", "selectionPattern", "responseParameters", "responseTemplates",
              "contentHandling"):
        assert got[k] == put[k], k
    method = c.get_method(restApiId=api_id, resourceId=rid, httpMethod="GET")
    assert method["methodIntegration"]["integrationResponses"]["200"]["statusCode"] == "200"
    # A put replaces the whole integration response.
    again = c.put_integration_response(**ir_args(api_id, rid))
    assert "responseParameters" not in again and "responseTemplates" not in again


def test_put_integration_response_errors():
    c = client()
    api_id, rid = new_api(c)
    assert error_of(c.put_integration_response, **ir_args(api_id, rid, "wrong")) == (
        400, "ValidationException",
        "1 validation error detected: Value 'wrong' at 'statusCode' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d")
    assert error_of(c.put_integration_response, **ir_args(api_id, rid),
                    responseParameters={"method.response.header.Z": "'a'"}) == (
        400, "BadRequestException",
        MAPPING_PREFIX + "Invalid mapping expression parameter specified: "
                         "method.response.header.Z]")
    assert error_of(c.put_integration_response, **ir_args(api_id, rid, "500"),
                    responseParameters={"method.response.header.X-Id": "'a'"}) == (
        400, "BadRequestException", MAPPING_PREFIX + "No method response exists for method.]")
    assert error_of(c.put_integration_response, **ir_args(api_id, rid),
                    responseParameters={"method.response.header.X-Id": '"*"',
                                        "method.response.header.X-Origin":
                                            "integration.response.body.a[?"}) == (
        400, "BadRequestException",
        MAPPING_PREFIX + 'Invalid mapping expression specified: "*", Invalid mapping '
                         "expression specified: integration.response.body.a[?]")
    status, code, message = error_of(c.put_integration_response, **ir_args(api_id, rid),
                                     contentHandling="CONVERT")
    assert (status, code) == (400, "ValidationException")
    assert message == (
        "1 validation error detected: Value 'CONVERT' at "
        "'putIntegrationResponseInput.contentHandling' failed to satisfy constraint: Member "
        "must satisfy enum value set: [CONVERT_TO_BINARY, CONVERT_TO_TEXT]")
    assert error_of(c.put_integration_response, **ir_args(api_id, rid),
                    responseTemplates={"123": "x"}) == (
        400, "BadRequestException",
        "Validation Result: warnings : [], errors : [Invalid content type specified: 123]")
    # Nothing was stored by the failed puts.
    assert error_of(c.get_integration_response, **ir_args(api_id, rid)) == (
        404, "NotFoundException", "Invalid Response status code specified")


def test_update_integration_response():
    c = client()
    api_id, rid = new_api(c)
    c.put_integration_response(**ir_args(api_id, rid),
                               responseTemplates={"application/json": "{}"},
                               contentHandling="CONVERT_TO_BINARY")
    r = c.update_integration_response(**ir_args(api_id, rid), patchOperations=[
        {"op": "replace", "path": "/selectionPattern", "value": "2\\d{2}"},
        {"op": "add", "path": "/responseTemplates/application~1xml", "value": "<pet/>"},
        {"op": "add", "path": "/responseParameters/method.response.header.X-Origin",
         "value": "'https://example.com'"},
        {"op": "remove", "path": "/contentHandling"},
    ])
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert r["selectionPattern"] == "2\\d{2}"
    assert r["responseTemplates"] == {"application/json": "{}", "application/xml": "<pet/>"}
    assert r["responseParameters"] == {
        "method.response.header.X-Origin": "'https://example.com'"}
    assert "contentHandling" not in r
    assert c.get_integration_response(**ir_args(api_id, rid))["selectionPattern"] == "2\\d{2}"
    assert error_of(c.update_integration_response, **ir_args(api_id, rid), patchOperations=[
        {"op": "add", "path": "/responseParameters/method.response.header.Nope",
         "value": "'x'"}]) == (
        400, "BadRequestException",
        MAPPING_PREFIX + "Invalid mapping expression parameter specified: "
                         "method.response.header.Nope]")
    assert error_of(c.update_integration_response, **ir_args(api_id, rid), patchOperations=[
        {"op": "replace", "path": "/statusCode", "value": "201"}]) == (
        400, "BadRequestException", "Invalid patch path /statusCode")
    assert error_of(c.update_integration_response, **ir_args(api_id, rid), patchOperations=[
        {"op": "remove", "path": "/responseParameters/method.response.header.X-Id"}]) == (
        404, "NotFoundException", "Invalid parameter name specified")
    status, code, message = error_of(
        c.update_integration_response, **ir_args(api_id, rid),
        patchOperations=[{"op": "bad", "path": "/selectionPattern", "value": "x"}])
    assert (status, code) == (400, "ValidationException")
    assert "'updateIntegrationResponseInput.patchOperations.1.member.op'" in message
    # The failed updates changed nothing.
    assert c.get_integration_response(**ir_args(api_id, rid))["responseParameters"] == {
        "method.response.header.X-Origin": "'https://example.com'"}


def test_delete_integration_response():
    c = client()
    api_id, rid = new_api(c)
    c.put_integration_response(**ir_args(api_id, rid))
    r = c.delete_integration_response(**ir_args(api_id, rid))
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(c.get_integration_response, **ir_args(api_id, rid)) == (
        404, "NotFoundException", "Invalid Response status code specified")
    assert error_of(c.delete_integration_response, **ir_args(api_id, rid)) == (
        404, "NotFoundException", "Invalid Response status code specified")
    assert error_of(c.delete_integration_response, restApiId=api_id, resourceId=rid,
                    httpMethod="POST", statusCode="200") == (
        404, "NotFoundException", "Invalid Integration identifier specified")


def test_deployment_and_export():
    c = client()
    api_id, rid = new_api(c, "exported")
    c.put_integration_response(
        **ir_args(api_id, rid), selectionPattern="2\\d{2}",
        responseParameters={"method.response.header.X-Origin": "'*'"},
        responseTemplates={"application/json": '{"pets": "ünïcødé"}'},
        contentHandling="CONVERT_TO_TEXT")
    d = c.create_deployment(restApiId=api_id, stageName="dev", description="first")
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 201
    stage = c.get_stage(restApiId=api_id, stageName="dev")
    assert stage["deploymentId"] == d["id"]
    assert [x["id"] for x in c.get_deployments(restApiId=api_id)["items"]] == [d["id"]]
    for export_type, version_key in (("swagger", "swagger"), ("oas30", "openapi")):
        r = c.get_export(restApiId=api_id, stageName="dev", exportType=export_type,
                         parameters={"extensions": "integrations"}, accepts="application/json")
        doc = json.loads(r["body"].read())
        assert version_key in doc
        x = doc["paths"]["/pets"]["get"]["x-amazon-apigateway-integration"]
        assert x["type"] == "mock"
        assert x["responses"] == {"2\\d{2}": {
            "statusCode": "200",
            "responseParameters": {"method.response.header.X-Origin": "'*'"},
            "responseTemplates": {"application/json": '{"pets": "ünïcødé"}'},
            "contentHandling": "CONVERT_TO_TEXT"}}
        # The export imports again, with the same integration response.
        imported = c.import_rest_api(body=json.dumps(doc).encode())
        pets = [i for i in c.get_resources(restApiId=imported["id"])["items"]
                if i["path"] == "/pets"][0]
        again = c.get_integration_response(**ir_args(imported["id"], pets["id"]))
        assert again["selectionPattern"] == "2\\d{2}"
        assert again["responseTemplates"] == {"application/json": '{"pets": "ünïcødé"}'}
        assert again["contentHandling"] == "CONVERT_TO_TEXT"
    assert error_of(c.get_export, restApiId=api_id, stageName="nope", exportType="swagger") == (
        404, "NotFoundException", "Invalid Stage identifier specified")


def test_authorizers_api_keys_and_their_export():
    c = client()
    api_id, rid = new_api(c, "guarded")
    a = c.create_authorizer(
        restApiId=api_id, name="gate", type="TOKEN",
        authorizerUri="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                      "arn:aws:lambda:us-east-1:123456789012:function:auth/invocations",
        identitySource="method.request.header.Authorization", authorizerResultTtlInSeconds=60)
    assert a["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert [x["id"] for x in c.get_authorizers(restApiId=api_id)["items"]] == [a["id"]]
    assert error_of(c.put_method, restApiId=api_id, resourceId=rid, httpMethod="POST",
                    authorizationType="COGNITO_USER_POOLS") == (
        400, "BadRequestException",
        "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
        "COGNITO_USER_POOLS requires a valid authorizer.")
    m = c.update_method(restApiId=api_id, resourceId=rid, httpMethod="GET", patchOperations=[
        {"op": "replace", "path": "/authorizationType", "value": "CUSTOM"},
        {"op": "replace", "path": "/authorizerId", "value": a["id"]},
        {"op": "replace", "path": "/apiKeyRequired", "value": "true"}])
    assert (m["authorizationType"], m["authorizerId"], m["apiKeyRequired"]) == (
        "CUSTOM", a["id"], True)
    assert error_of(c.delete_authorizer, restApiId=api_id, authorizerId=a["id"])[:2] == (
        409, "ConflictException")
    c.create_deployment(restApiId=api_id, stageName="dev")
    r = c.get_export(restApiId=api_id, stageName="dev", exportType="oas30",
                     parameters={"extensions": "integrations"}, accepts="application/json")
    doc = json.loads(r["body"].read())
    assert doc["paths"]["/pets"]["get"]["security"] == [{"gate": []}, {"api_key": []}]
    gate = doc["components"]["securitySchemes"]["gate"]
    assert gate["x-amazon-apigateway-authorizer"]["type"] == "token"
    assert gate["name"] == "Authorization"
    imported = c.import_rest_api(body=json.dumps(doc).encode(), failOnWarnings=True)
    pets = [i for i in c.get_resources(restApiId=imported["id"])["items"]
            if i["path"] == "/pets"][0]
    again = c.get_method(restApiId=imported["id"], resourceId=pets["id"], httpMethod="GET")
    assert (again["authorizationType"], again["apiKeyRequired"]) == ("CUSTOM", True)
    copy = c.get_authorizer(restApiId=imported["id"], authorizerId=again["authorizerId"])
    assert (copy["name"], copy["authorizerResultTtlInSeconds"]) == ("gate", 60)
    assert copy["identitySource"] == "method.request.header.Authorization"


def test_requests_must_be_signed_with_a_known_key():
    setup_module()
    wrong_secret = _server.client(secret_key="not-the-secret")
    status, code, _ = error_of(wrong_secret.get_rest_apis)
    assert (status, code) == (403, "InvalidSignatureException")
    unknown = _server.client(access_key="AKIDUNKNOWN0000000", secret_key="x")
    status, code, _ = error_of(unknown.get_rest_apis)
    assert (status, code) == (403, "UnrecognizedClientException")


def main():
    tests = [(n, f) for n, f in globals().items() if n.startswith("test_") and callable(f)]
    failed = 0
    setup_module()
    try:
        for name, f in tests:
            try:
                f()
                print(f"{name} ... ok")
            except Exception as e:  # report every failure, then fail the run
                failed += 1
                print(f"{name} ... FAILED: {type(e).__name__}: {e}")
                import traceback
                traceback.print_exc()
    finally:
        teardown_module()
    print(f"{len(tests) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
