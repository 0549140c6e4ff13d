#!/usr/bin/env python3
"""Extracts fuzzing seeds from conformance/cases/*.json, benches/workloads and the control
plane's OpenAPI fixtures into each fuzz workspace's corpus directory
(crates/<crate>/fuzz/corpus/<target>/). Corpora are not committed; ./fuzz.sh runs this.

Usage: fuzz/seed.py [REPO_ROOT]
"""

import glob
import hashlib
import json
import os
import re
import struct
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
CASES = sorted(glob.glob(os.path.join(ROOT, "conformance/cases/*.json")))
WORK = os.path.join(ROOT, "benches/workloads")


def corpus(crate, target):
    d = os.path.join(ROOT, "crates", crate, "fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    return d


def put(d, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def all_cases():
    for path in CASES:
        with open(path, encoding="utf-8") as f:
            for case in json.load(f)["cases"]:
                yield case


def walk_strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from walk_strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk_strings(x)


def templates():
    out = []
    for case in all_cases():
        api = case.get("api") or {}
        for ir in api.get("integrationResponses") or []:
            out += [t for t in (ir.get("responseTemplates") or {}).values() if isinstance(t, str)]
        out += [t for t in ((api.get("integration") or {}).get("requestTemplates") or {}).values() if isinstance(t, str)]
        for gr in api.get("gatewayResponses") or []:
            out += [t for t in (gr.get("responseTemplates") or {}).values() if isinstance(t, str)]
        inp = case.get("input") or {}
        out += [t for t in (inp.get("responseTemplates") or {}).values() if isinstance(t, str)]
    for p in sorted(glob.glob(os.path.join(WORK, "*.vtl"))):
        with open(p, encoding="utf-8") as f:
            out.append(f.read())
    return out


def bodies():
    out = []
    for case in all_cases():
        b = case.get("backend") or {}
        if isinstance(b.get("body"), str):
            out.append(b["body"])
    for p in sorted(glob.glob(os.path.join(WORK, "*.body.json"))):
        with open(p, encoding="utf-8") as f:
            out.append(f.read())
    return out


def vtl():
    d = corpus("apigw-vtl", "vtl_compile_render")
    for t in templates():
        put(d, t)


def javaregex():
    d = corpus("apigw-javaregex", "javaregex")
    regex_args = re.compile(r"\.(?:matches|replaceAll|replaceFirst|split)\(\s*['\"]((?:[^'\"\\]|\\.)*)['\"]")
    for case in all_cases():
        api = case.get("api") or {}
        pats = [ir.get("selectionPattern") for ir in api.get("integrationResponses") or []]
        pats = [p for p in pats if isinstance(p, str)]
        b = case.get("backend") or {}
        hay = str(b.get("status", ""))
        if isinstance(b.get("body"), str) and b.get("lambdaError"):
            try:
                hay = json.loads(b["body"]).get("errorMessage", hay)
            except Exception:
                pass
        for p in pats:
            put(d, "\0".join([p, str(hay), "$0"] + [q for q in pats if q != p][:4]))
    for t in templates():
        for m in regex_args.finditer(t):
            put(d, "\0".join([m.group(1), "a-b c,d 123 ÄÖ\r\n", "<$0>"]))
    with open(os.path.join(WORK, "w4_selection.json"), encoding="utf-8") as f:
        w4 = json.load(f)
    for i, hay in enumerate(w4.get("inputs", [])):
        pats = w4["patterns"]
        put(d, "\0".join([pats[i % len(pats)], hay, "$0"] + pats[:6]))


def jsonpath():
    d = corpus("apigw-jsonpath", "jsonpath")
    path_args = re.compile(r"\$input\.(?:path|json)\(\s*['\"]((?:[^'\"\\]|\\.)*)['\"]")
    paths = set()
    for t in templates():
        paths.update(m.group(1) for m in path_args.finditer(t))
    for case in all_cases():
        api = case.get("api") or {}
        for ir in api.get("integrationResponses") or []:
            for v in (ir.get("responseParameters") or {}).values():
                if isinstance(v, str) and v.startswith("integration.response.body."):
                    paths.add(v[len("integration.response.body."):])
    docs = [b for b in bodies() if b.lstrip()[:1] in ("{", "[")][:40]
    docs = docs or ["{}"]
    for i, p in enumerate(sorted(paths)):
        put(d, p + "\0" + docs[i % len(docs)])


def apply():
    d = corpus("apigw-mapping", "apply")
    index = 0
    for case in all_cases():
        if case.get("kind") != "data":
            continue
        b = case.get("backend") or {}
        req = case.get("request") or {}
        accept = ""
        for k, v in (req.get("headers") or {}).items():
            if k.lower() == "accept" and isinstance(v, str):
                accept = v
        headers = []
        for k, v in (b.get("headers") or {}).items():
            for x in (v if isinstance(v, list) else [v]):
                headers.append(f"{k}: {x}")
        if isinstance(b.get("bodyBase64"), str):
            import base64
            body = base64.b64decode(b["bodyBase64"])
        else:
            body = (b.get("body") or "").encode("utf-8", "surrogatepass") if isinstance(b.get("body"), str) else b""
        status = b.get("status", 200) if isinstance(b.get("status"), int) else 200
        flags = 1 if b.get("lambdaError") else 0
        head = struct.pack("<HBH", index % 65536, flags, status % 65536)
        put(d, head + accept.encode() + b"\0" + "\n".join(headers).encode("utf-8", "surrogatepass") + b"\0" + body)
        index += 1


METHOD = "/restapis/{api}/resources/{root}/methods/GET"
SETUP = [
    'POST /restapis\n{"name":"fuzz"}',
    f'PUT {METHOD}\n{{"authorizationType":"NONE"}}',
    f"PUT {METHOD}/responses/200\n{{}}",
    f'PUT {METHOD}/integration\n{{"type":"MOCK","requestTemplates":{{"application/json":"{{\\"statusCode\\": 200}}"}}}}',
]
CALLS = {
    "put_integration_response": ("PUT", "/integration/responses/{code}"),
    "get_integration_response": ("GET", "/integration/responses/{code}"),
    "update_integration_response": ("PATCH", "/integration/responses/{code}"),
    "delete_integration_response": ("DELETE", "/integration/responses/{code}"),
    "put_method_response": ("PUT", "/responses/{code}"),
    "update_method_response": ("PATCH", "/responses/{code}"),
    "put_integration": ("PUT", "/integration"),
    "get_integration": ("GET", "/integration"),
    "get_method": ("GET", ""),
}


def control():
    d = corpus("apigw-control", "control_handle")
    tail = [
        'POST /restapis/{api}/resources/{root}\n{"pathPart":"items"}',
        'PUT /restapis/{api}/resources/{res}/methods/POST\n{"authorizationType":"NONE"}',
        'PUT /restapis/{api}/resources/{res}/methods/POST/integration\n{"type":"HTTP","httpMethod":"POST","uri":"http://example.com/x"}',
        'POST /restapis/{api}/deployments\n{"stageName":"dev"}',
        "GET /restapis/{api}/stages/dev/exports/oas30?extensions=integrations",
        'PATCH /restapis/{api}/stages/dev\n{"patchOperations":[{"op":"replace","path":"/variables/x","value":"1"}]}',
        "GET /restapis/{api}/resources?embed=methods",
        "DELETE /restapis/{api}/resources/{res}",
        "GET /restapis/{api}/deployments/{dep}",
        "DELETE /restapis/{api}",
    ]
    put(d, "\0".join(SETUP + tail))
    for case in all_cases():
        if case.get("kind") != "control":
            continue
        method, suffix = CALLS.get(case["call"], ("GET", ""))
        inp = dict(case.get("input") or {})
        code = str(inp.pop("statusCode", "200"))
        for k in ("restApiId", "resourceId", "httpMethod"):
            inp.pop(k, None)
        setup = list(SETUP)
        for ir in (case.get("setup") or {}).get("integrationResponses") or []:
            setup.append(f"PUT {METHOD}/integration/responses/{ir.get('statusCode', '200')}\n{json.dumps(ir)}")
        call = f"{method} {METHOD}{suffix.replace('{code}', code)}\n{json.dumps(inp)}"
        put(d, "\0".join(setup + [call, "POST /restapis/{api}/deployments\n{\"stageName\":\"s\"}"]))


def openapi():
    d = corpus("apigw-control", "openapi_import")
    for p in sorted(glob.glob(os.path.join(ROOT, "crates/apigw-control/tests/fixtures/*"))):
        with open(p, "rb") as f:
            put(d, f.read())
    put(d, 'openapi: 3.0.1\ninfo: {title: t}\npaths:\n  /p/{id}:\n    get:\n      x-amazon-apigateway-integration:\n        type: mock\n        requestTemplates: {application/json: \'{"statusCode": 200}\'}\n        responses:\n          default: {statusCode: "200"}\n')


def lint():
    d = corpus("apigw-lint", "lint")
    for pattern in ["crates/apigw-control/tests/fixtures/*", "crates/apigw-lint/tests/fixtures/*.yaml",
                    "crates/apigw-lint/tests/fixtures/state/state.json",
                    "crates/apigw-control/tests/fixtures/state-v1.json"]:
        for p in sorted(glob.glob(os.path.join(ROOT, pattern))):
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    put(d, f.read())


if __name__ == "__main__":
    vtl()
    javaregex()
    jsonpath()
    apply()
    control()
    openapi()
    lint()
    for crate, target in [
        ("apigw-vtl", "vtl_compile_render"),
        ("apigw-javaregex", "javaregex"),
        ("apigw-jsonpath", "jsonpath"),
        ("apigw-mapping", "apply"),
        ("apigw-control", "control_handle"),
        ("apigw-control", "openapi_import"),
        ("apigw-lint", "lint"),
    ]:
        n = len(os.listdir(corpus(crate, target)))
        print(f"{crate}/{target}: {n} seeds")
