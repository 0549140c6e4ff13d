"""boto3 end to end through the running `apigw-proxy` binary.

An API is configured from scratch through the proxy's admin listener with the real boto3 client
(`create_rest_api`, `get_resources`, `create_resource`, `put_method`, `put_method_response`,
`put_integration` MOCK and HTTP, `put_integration_response` with `selectionPattern`,
`responseParameters` and `responseTemplates`, `create_deployment`), called over HTTP with
urllib (exact status, headers and body), then an integration response is changed
(`update_integration_response` with a patch, `put_integration_response`), redeployed, and the
change is seen on the data plane.

`tests/boto3_proxy.rs` starts the proxy (empty state directory, port-0 listeners, fresh admin
keys) and runs this file with the environment it needs:

- APIGW_PROXY_URL: the data plane, e.g. http://127.0.0.1:41234
- APIGW_ADMIN_URL: the admin listener
- APIGW_ACCESS_KEY_ID / APIGW_SECRET_ACCESS_KEY: the admin keys the proxy was started with

The HTTP backend is started here (http.server on a free loopback port). Run with
`python3 -m pytest test_boto3_proxy.py` or `python3 test_boto3_proxy.py`; the tests run in
file order and build on each other.
"""

import http.server
import json
import os
import re
import sys
import threading
import urllib.error
import urllib.request

import boto3
import botocore.config

REGION = "us-east-1"
STAGE = "test"

# What the steps share: the client, the backend, the ids created.
S = {}


class Backend(http.server.ThreadingHTTPServer):
    """GET /orders/{id}: 200 with a JSON order and an `X-Backend-Trace` header; `/orders/404`
    answers 404 and `/orders/err` 503. Every request's path and headers are recorded."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), BackendHandler)
        self.seen = []
        self.lock = threading.Lock()


class BackendHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (http.server's naming)
        with self.server.lock:
            self.server.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        m = re.fullmatch(r"/orders/([^/?]+)", self.path)
        if m and m.group(1) == "404":
            self.reply(404, {"error": "no such order"})
        elif m and m.group(1) == "err":
            self.reply(503, {"error": "database down"})
        elif m:
            self.reply(200, {"id": m.group(1), "status": "shipped", "total": 12.5,
                             "items": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": 1}]},
                       {"X-Backend-Trace": "trace-" + m.group(1)})
        else:
            self.reply(404, {"error": "unknown path"})

    def reply(self, status, doc, headers=None):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


def env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(
            f"{name} is not set: this file is run by examples/reverse-proxy/tests/boto3_proxy.rs "
            "(`cargo test -p apigw-proxy --test boto3_proxy`), which starts the proxy")
    return value


def setup_module(_module=None):
    if S:
        return
    S["client"] = boto3.client(
        "apigateway",
        endpoint_url=env("APIGW_ADMIN_URL"),
        region_name=REGION,
        aws_access_key_id=env("APIGW_ACCESS_KEY_ID"),
        aws_secret_access_key=env("APIGW_SECRET_ACCESS_KEY"),
        config=botocore.config.Config(retries={"max_attempts": 1}),
    )
    S["proxy"] = env("APIGW_PROXY_URL")
    backend = Backend()
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    S["backend"] = backend


def teardown_module(_module=None):
    if "backend" in S:
        S["backend"].shutdown()
        S["backend"].server_close()
    S.clear()


def call(path, accept=None):
    """GET proxy/STAGE/path → (status, {lower-case header: value}, body bytes)."""
    req = urllib.request.Request(f"{S['proxy']}/{STAGE}{path}")
    if accept:
        req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


# The headers the proxy adds to every answer whose values vary, and their shapes.
VARYING = {
    "x-amzn-requestid": r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "x-amz-apigw-id": r"[A-Za-z0-9_-]{15}=",
    "date": r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT",
}
TRACE = r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}"


def assert_response(got, status, headers, body, traced):
    """Exact status, body bytes and header set: `headers` are the fixed ones (content-length
    is added from the body), the varying ones must be present with their shape, nothing else."""
    got_status, got_headers, got_body = got
    assert (got_status, got_body) == (status, body), got
    expected = dict(headers, **{"content-length": str(len(body))})
    shapes = dict(VARYING, **({"x-amzn-trace-id": TRACE} if traced else {}))
    for name, shape in shapes.items():
        value = got_headers.pop(name, None)
        assert value is not None and re.fullmatch(shape, value), (name, value, got)
    got_headers.pop("connection", None)  # keep-alive or close, as the client asked
    assert got_headers == expected, got


def test_configure_api_from_scratch():
    setup_module()
    c = S["client"]
    api = c.create_rest_api(name="orders", description="configured by boto3 through apigw-proxy")
    assert api["ResponseMetadata"]["HTTPStatusCode"] == 201
    api_id = S["api"] = api["id"]
    resources = c.get_resources(restApiId=api_id)["items"]
    assert [r["path"] for r in resources] == ["/"]
    root = resources[0]["id"]

    # GET /health: MOCK, the request template selects 200, the response template reads $context.
    health = c.create_resource(restApiId=api_id, parentId=root, pathPart="health")
    assert (health["path"], health["pathPart"]) == ("/health", "health")
    c.put_method(restApiId=api_id, resourceId=health["id"], httpMethod="GET",
                 authorizationType="NONE")
    c.put_method_response(restApiId=api_id, resourceId=health["id"], httpMethod="GET",
                          statusCode="200",
                          responseParameters={"method.response.header.X-Health": False})
    c.put_integration(restApiId=api_id, resourceId=health["id"], httpMethod="GET", type="MOCK",
                      requestTemplates={"application/json": '{"statusCode": 200}'})
    r = c.put_integration_response(
        restApiId=api_id, resourceId=health["id"], httpMethod="GET", statusCode="200",
        selectionPattern="",
        responseParameters={"method.response.header.X-Health": "'green'"},
        responseTemplates={"application/json":
                           '{"ok": true, "stage": "$context.stage", "path": "$context.resourcePath"}'},
    )
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 201

    # GET /orders/{id}: HTTP to the backend; {id} mapped into the URI, the stage into a header.
    orders = c.create_resource(restApiId=api_id, parentId=root, pathPart="orders")
    order = c.create_resource(restApiId=api_id, parentId=orders["id"], pathPart="{id}")
    assert order["path"] == "/orders/{id}"
    rid = S["order"] = order["id"]
    c.put_method(restApiId=api_id, resourceId=rid, httpMethod="GET", authorizationType="NONE",
                 requestParameters={"method.request.path.id": True})
    c.put_method_response(restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode="200",
                          responseParameters={"method.response.header.X-Order-Status": False,
                                              "method.response.header.X-Trace": False})
    c.put_method_response(restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode="404")
    c.put_method_response(restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode="502",
                          responseParameters={"method.response.header.Retry-After": False})
    backend = S["backend"].server_address
    r = c.put_integration(
        restApiId=api_id, resourceId=rid, httpMethod="GET", type="HTTP",
        integrationHttpMethod="GET",
        uri=f"http://{backend[0]}:{backend[1]}/orders/{{id}}",
        requestParameters={"integration.request.path.id": "method.request.path.id",
                           "integration.request.header.X-Stage": "context.stage"},
    )
    assert r["type"] == "HTTP"
    c.put_integration_response(
        restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode="200",
        responseParameters={
            "method.response.header.X-Order-Status": "integration.response.body.status",
            "method.response.header.X-Trace": "integration.response.header.X-Backend-Trace",
        },
        responseTemplates={"application/json": (
            "#set($o = $input.path('$'))\n"
            '{"order": "$o.id", "total": $o.total, "skus": ['
            '#foreach($i in $o.items)"$i.sku"#if($foreach.hasNext),#end#end]}')},
    )
    c.put_integration_response(
        restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode="404",
        selectionPattern="404",
        responseTemplates={"application/json":
                           '{"message": "order $input.params(\'id\') not found"}'},
    )
    c.put_integration_response(
        restApiId=api_id, resourceId=rid, httpMethod="GET", statusCode="502",
        selectionPattern="5\\d{2}",
        responseParameters={"method.response.header.Retry-After": "'30'"},
        responseTemplates={"application/json": '{"message": "backend said $input.path(\'$.error\')"}'},
    )

    # Nothing is deployed yet: the data plane has no stage.
    assert_response(call("/health"), 403,
                    {"content-type": "application/json",
                     "x-amzn-errortype": "MissingAuthenticationTokenException"},
                    b'{"message":"Missing Authentication Token"}', traced=False)

    d = c.create_deployment(restApiId=api_id, stageName=STAGE, description="first")
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 201
    S["deployment"] = d["id"]
    assert c.get_stage(restApiId=api_id, stageName=STAGE)["deploymentId"] == d["id"]


def test_call_mock_method():
    assert_response(call("/health"), 200,
                    {"content-type": "application/json", "x-health": "green"},
                    b'{"ok": true, "stage": "test", "path": "/health"}', traced=False)


def test_call_http_method():
    S["backend"].seen.clear()
    assert_response(call("/orders/o-17"), 200,
                    {"content-type": "application/json", "x-order-status": "shipped",
                     "x-trace": "trace-o-17"},
                    b'{"order": "o-17", "total": 12.5, "skus": ["A-1","B-7"]}', traced=True)
    # The backend got the mapped path and header.
    [(path, headers)] = S["backend"].seen
    assert path == "/orders/o-17"
    assert headers["x-stage"] == STAGE
    assert headers["user-agent"] == f"AmazonAPIGateway_{S['api']}"

    assert_response(call("/orders/404"), 404, {"content-type": "application/json"},
                    b'{"message": "order 404 not found"}', traced=True)
    assert_response(call("/orders/err"), 502,
                    {"content-type": "application/json", "retry-after": "30"},
                    b'{"message": "backend said database down"}', traced=True)


def test_change_integration_response_and_redeploy():
    c = S["client"]
    args = {"restApiId": S["api"], "resourceId": S["order"], "httpMethod": "GET"}
    new_template = '{"id": "$input.path(\'$.id\')", "state": "$input.path(\'$.status\')"}'
    r = c.update_integration_response(**args, statusCode="200", patchOperations=[
        {"op": "replace", "path": "/responseTemplates/application~1json", "value": new_template},
        {"op": "remove", "path": "/responseParameters/method.response.header.X-Trace"},
    ])
    assert r["responseTemplates"] == {"application/json": new_template}
    assert r["responseParameters"] == {
        "method.response.header.X-Order-Status": "integration.response.body.status"}
    # A put replaces the 404 response: another template and a static header.
    c.put_method_response(**args, statusCode="410",
                          responseParameters={"method.response.header.X-Gone": True})
    c.delete_integration_response(**args, statusCode="404")
    c.put_integration_response(
        **args, statusCode="410", selectionPattern="404",
        responseParameters={"method.response.header.X-Gone": "'yes'"},
        responseTemplates={"application/json": '{"gone": "$input.params(\'id\')"}'})

    # Not deployed yet: the stage still serves the first deployment.
    got = call("/orders/o-1")
    assert got[0] == 200 and got[2] == b'{"order": "o-1", "total": 12.5, "skus": ["A-1","B-7"]}'
    assert got[1]["x-trace"] == "trace-o-1"
    assert call("/orders/404")[0] == 404

    d = c.create_deployment(restApiId=S["api"], stageName=STAGE, description="second")
    assert d["id"] != S["deployment"]
    assert c.get_stage(restApiId=S["api"], stageName=STAGE)["deploymentId"] == d["id"]

    assert_response(call("/orders/o-1"), 200,
                    {"content-type": "application/json", "x-order-status": "shipped"},
                    b'{"id": "o-1", "state": "shipped"}', traced=True)
    assert_response(call("/orders/404"), 410,
                    {"content-type": "application/json", "x-gone": "yes"},
                    b'{"gone": "404"}', traced=True)
    # Untouched methods keep answering the same.
    assert_response(call("/health"), 200,
                    {"content-type": "application/json", "x-health": "green"},
                    b'{"ok": true, "stage": "test", "path": "/health"}', traced=False)


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
