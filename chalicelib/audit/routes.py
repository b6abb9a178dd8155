"""HTTP route of the audit trail: every admin role reads it; no route changes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.lazy import lazy_module
from chalicelib.web import OPERATOR, RequestContext, endpoint

if TYPE_CHECKING:
    from chalicelib import models as common
    from chalicelib.audit import models, trail
else:  # loaded on a route's first request, not by `import app` (chalicelib.lazy)
    common = lazy_module("chalicelib.models")
    models = lazy_module("chalicelib.audit.models")
    trail = lazy_module("chalicelib.audit.trail")

bp = Blueprint(__name__)


@endpoint(bp, "/admin/audit", auth=OPERATOR)
def list_audit(ctx: RequestContext, query: models.AuditQuery) -> common.Page[models.AuditEntry]:
    """Changes made under /admin, newest first: by target, by actor, or all."""
    return trail.list_entries(query)
