"""Routes about the service itself."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.web import PUBLIC, RequestContext, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/health", auth=PUBLIC)
def health(ctx: RequestContext) -> dict[str, str]:
    return {"status": "ok"}


@endpoint(bp, "/openapi.json", auth=PUBLIC)
def openapi_document(ctx: RequestContext) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route."""
    from chalicelib import openapi  # built on first request: it needs every model's schema

    return openapi.document()
