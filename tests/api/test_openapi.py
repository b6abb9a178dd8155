"""GET /openapi.json: an OpenAPI 3.1 document of every route, and schemathesis against the
running stack with a shopper's and an operator's token: no 5xx, responses match the schemas."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from tests.helpers import token


def test_the_document_is_valid_openapi_31(api):
    status, document = api.get("/openapi.json", user=None)
    assert status == 200
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_route_is_documented(api):
    from app import app

    _, document = api.get("/openapi.json", user=None)
    routes = {(path, method.lower()) for path, methods in app.routes.items() for method in methods}
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert routes == documented


def test_request_bodies_carry_the_validation_rules(api):
    _, document = api.get("/openapi.json", user=None)
    body = document["paths"]["/admin/templates"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[-1]
    schema = document["components"]["schemas"][name]
    assert schema["properties"]["total_stock"]["minimum"] == 1
    assert schema["additionalProperties"] is False


@pytest.mark.e2e
@pytest.mark.parametrize("who, roles", [("fuzzy-shopper", ()), ("fuzzy-operator", ("operator",))])
def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(who, roles, tmp_path):
    from dev.stack import start_stack

    cli = Path(sys.executable).with_name("schemathesis")
    assert cli.exists() or shutil.which("schemathesis"), "schemathesis is in requirements-dev.txt"
    with start_stack() as stack:
        result = subprocess.run(
            [str(cli), "--config-file", str(Path(__file__).with_name("schemathesis.toml")), "--no-color",
             "run", f"{stack.api_url}/openapi.json",
             "--checks", "not_a_server_error,response_schema_conformance",
             "--header", f"Authorization: Bearer {token(who, roles, ttl=3600)}",
             "--max-examples", os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"),
             "--generation-deterministic", "--request-timeout", "20"],
            capture_output=True, text=True, timeout=600, cwd=tmp_path,
        )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
