"""The OpenAPI 3.1 document of every route, built from the models that validate requests.

`chalicelib.web.endpoint` records each route with its body, query, path and response types;
this turns them into one document, with API.md's error shape for every refusal.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from chalicelib import access
from chalicelib.web import ENDPOINTS, OPERATOR, PUBLIC, Endpoint

REF = "#/components/schemas/{model}"
ERROR_SCHEMA = {
    "type": "object", "required": ["error"], "additionalProperties": False,
    "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {}},
    }},
}
REFUSALS = {
    "400": "Invalid input (`VALIDATION_ERROR`, details name the fields)",
    "401": "Missing, invalid or expired token (`UNAUTHENTICATED`)",
    "403": "The token lacks the role (`FORBIDDEN`)",
    "404": "No such resource, or not yours (`NOT_FOUND`)",
    "409": "A business conflict (`SOLD_OUT`, `LIMIT_REACHED`, `INVALID_STATE`, ...)",
    "429": "Busy (`THROTTLED`); retry after a pause",
    "503": "A dependency is unavailable or not configured; the caller retries",
}


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    inputs = {e.body for e in ENDPOINTS if _is_model(e.body)}
    outputs = {e.response for e in ENDPOINTS if _is_model(e.response)}
    keys, definitions = models_json_schema(
        [(m, "validation") for m in inputs] + [(m, "serialization") for m in outputs], ref_template=REF,
    )
    schemas = {**definitions.get("$defs", {}), "Error": ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        for method in endpoint.methods:
            operation = _operation(endpoint, keys)
            if endpoint.auth == OPERATOR:  # who may call it: chalicelib.access
                admits = access.admitted(method, endpoint.path)
                operation["x-roles"] = [role for role in access.ROLES if role in admits]
            paths.setdefault(endpoint.path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "mall: vouchers, cards and rebates", "version": "1.0.0",
                 "description": "Money is integer fen; times are ISO 8601 UTC. See API.md."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def _operation(endpoint: Endpoint, keys: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": TypeAdapter(annotation).json_schema()}
        for name, annotation in endpoint.path_params.items()
    ]
    if _is_model(endpoint.query):
        schema = endpoint.query.model_json_schema(ref_template=REF)
        required = set(schema.get("required", []))
        parameters += [
            {"name": name, "in": "query", "required": name in required, "schema": field}
            for name, field in schema.get("properties", {}).items()
        ]
    if endpoint.idempotent:
        parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "schema": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[^#]+$"}})
    operation: dict[str, Any] = {
        "summary": endpoint.summary, "operationId": f"{endpoint.methods[0].lower()}{endpoint.path}",
        "parameters": parameters, "responses": _responses(endpoint, keys),
    }
    if _is_model(endpoint.body):
        operation["requestBody"] = {"required": True, "content": {
            endpoint.content_types[0]: {"schema": keys[(endpoint.body, "validation")]}}}
    operation["security"] = [] if endpoint.auth == PUBLIC else [{"bearer": []}]
    return operation


def _responses(endpoint: Endpoint, keys: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    if endpoint.status == 204:
        success: dict[str, Any] = {"description": "Done"}
    elif endpoint.produces != ("application/json",):
        success = {"description": "OK", "content": {t: {"schema": {"type": "string"}} for t in endpoint.produces}}
    else:
        schema = keys[(endpoint.response, "serialization")] if _is_model(endpoint.response) else {"type": "object"}
        success = {"description": "OK", "content": {"application/json": {"schema": schema}}}
    responses = {str(endpoint.status): success}
    media, schema = endpoint.failure or ("application/json", {"$ref": REF.format(model="Error")})
    error = {"content": {media: {"schema": schema}}}
    wanted = ["400", "429"]
    if endpoint.auth != PUBLIC:
        wanted += ["401", "403"] if endpoint.auth == "operator" else ["401"]
    elif endpoint.methods != ("GET",):
        wanted += ["401", "503"]  # a public POST is a webhook: signed, and refused while unconfigured
    if endpoint.path_params:
        wanted.append("404")
    if endpoint.methods != ("GET",):
        wanted.append("409")
    for status in sorted(wanted):
        responses[status] = {"description": REFUSALS[status], **error}
    return responses
