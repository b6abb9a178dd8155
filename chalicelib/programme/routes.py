"""HTTP routes of the programme settings (operators)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.lazy import lazy_module
from chalicelib.web import OPERATOR, RequestContext, endpoint

if TYPE_CHECKING:
    from chalicelib.programme import changes, models
else:  # loaded on a route's first request, not by `import app` (chalicelib.lazy)
    models = lazy_module("chalicelib.programme.models")
    changes = lazy_module("chalicelib.programme.changes")

bp = Blueprint(__name__)


@endpoint(bp, "/admin/settings", auth=OPERATOR)
def get_settings(ctx: RequestContext) -> models.ProgrammeSettings:
    """The programme settings: paying with points and balance, the return cap, withdrawal limits, points expiry."""
    return changes.get_settings(ctx.now)


@endpoint(bp, "/admin/settings", methods=("PUT",), auth=OPERATOR)
def put_settings(ctx: RequestContext, body: models.SettingsUpdate) -> models.ProgrammeSettings:
    """Change the settings the body names; the others stay as they are."""
    return changes.update_settings(body, ctx.user_id, ctx.now)
