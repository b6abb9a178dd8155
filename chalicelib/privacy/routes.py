"""HTTP routes of personal data (docs/compliance.md, "Personal data"): an operator exports one
user's data or erases what identifies them. The CLI (`python -m chalicelib.privacy`) does the same."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.lazy import lazy_module
from chalicelib.web import OPERATOR, RequestContext, endpoint

if TYPE_CHECKING:  # what a type checker reads; at run time the same names, bound lazily below
    from chalicelib import models as common
    from chalicelib.privacy import models, service
else:  # loaded on a route's first request, not by `import app` (chalicelib.lazy)
    common = lazy_module("chalicelib.models")
    models = lazy_module("chalicelib.privacy.models")
    service = lazy_module("chalicelib.privacy.service")

bp = Blueprint(__name__)


def _user_exists(user_id: str) -> None:
    service.require_user(user_id)


@endpoint(bp, "/admin/privacy/{user_id}", auth=OPERATOR, exists=_user_exists)
def export_user(ctx: RequestContext, user_id: common.UserId) -> models.PrivacyExport:
    """Everything stored about one user, payee details unmasked (reads the whole table once)."""
    return service.export(user_id, ctx.now)


@endpoint(bp, "/admin/privacy/{user_id}/erase", methods=("POST",), auth=OPERATOR, exists=_user_exists)
def erase_user(ctx: RequestContext, user_id: common.UserId) -> models.ErasureReport:
    """Erase the payee details and Idempotency-Key records of one user, keeping the ledger whole;
    409 INVALID_STATE while money or holds are open. Audited (`erase`, target `account`)."""
    return service.erase(user_id, ctx.now, ctx.user_id)
