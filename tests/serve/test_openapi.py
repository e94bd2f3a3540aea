"""docs/openapi.json against the program: every route the server has is documented with its method, every
documented route is served, the document is the join of docs/openapi/*.json, and it is a valid OpenAPI 3.1
document whose schemas are valid JSON Schemas. (Every answer of every serve test is validated against it by
conftest's client.)"""
import json
import os
import subprocess

import jsonschema

from conftest import OPENAPI, ROOT, TB


def served_routes():
    p = subprocess.run([TB, "serve", "--routes"], capture_output=True, text=True, check=True)
    return {tuple(line.split()) for line in p.stdout.splitlines()}


def documented_routes():
    return {(m.upper(), path) for path, ops in OPENAPI["paths"].items() for m in ops
            if m in ("get", "post", "put", "delete", "patch")}


def test_every_served_route_is_documented():
    missing = served_routes() - documented_routes()
    assert not missing, f"served but not in docs/openapi.json: {sorted(missing)}"


def test_every_documented_route_is_served():
    extra = documented_routes() - served_routes()
    assert not extra, f"in docs/openapi.json but not served: {sorted(extra)}"


def test_document_is_current():
    p = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "tb_openapi.py"), "--check"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_schemas_are_valid_json_schemas():
    assert OPENAPI["openapi"].startswith("3.1")
    for name, schema in OPENAPI["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)
    for path, ops in OPENAPI["paths"].items():
        for m, op in ops.items():
            assert any(s.startswith("2") for s in op["responses"]), f"{m} {path}: no 2xx answer documented"
            for status, resp in op["responses"].items():
                for media, c in resp.get("content", {}).items():
                    if "schema" in c:
                        jsonschema.Draft202012Validator.check_schema(c["schema"])


def test_a_broken_answer_fails_validation():
    """The client's check is not a formality: a health answer missing a field, or an undocumented status, fails."""
    from conftest import check_against_openapi
    good = json.dumps({"status": "ok", "version": "0", "format_version": 1, "uptime_s": 1.0, "executor": "local",
                       "workers": 2, "workers_busy": 0, "queue_depth": 0, "queue_limit": 1}).encode()
    check_against_openapi("GET", "/v1/health", 200, "application/json", good)
    bad = json.loads(good)
    del bad["workers"]
    for args in ((200, json.dumps(bad).encode()), (418, good)):
        try:
            check_against_openapi("GET", "/v1/health", args[0], "application/json", args[1])
        except (AssertionError, jsonschema.ValidationError):
            continue
        raise AssertionError(f"{args[0]} passed validation")
