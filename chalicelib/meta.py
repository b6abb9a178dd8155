"""Routes about the service itself."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.web import PUBLIC, RequestContext, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/health", auth=PUBLIC)
def health(ctx: RequestContext):
    return {"status": "ok"}
