"""HTTP routes of coupons: operators manage templates, grants and codes; shoppers claim, see their
wallet, lock and hold at checkout (the quote is orders' route: chalicelib/orders/routes.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib.lazy import lazy_module
from chalicelib.web import OPERATOR, RequestContext, endpoint

if TYPE_CHECKING:  # what a type checker reads; at run time the same names, bound lazily below
    from chalicelib import models as common
    from chalicelib.coupons import checkout, codes, issuing, minting, models, support, templates, wallet
else:  # loaded on a route's first request, not by `import app` (chalicelib.lazy)
    common = lazy_module("chalicelib.models")
    models = lazy_module("chalicelib.coupons.models")
    templates = lazy_module("chalicelib.coupons.templates")
    issuing = lazy_module("chalicelib.coupons.issuing")
    wallet = lazy_module("chalicelib.coupons.wallet")
    checkout = lazy_module("chalicelib.coupons.checkout")
    minting = lazy_module("chalicelib.coupons.minting")
    codes = lazy_module("chalicelib.coupons.codes")
    support = lazy_module("chalicelib.coupons.support")

bp = Blueprint(__name__)


@endpoint(bp, "/admin/templates", methods=("POST",), auth=OPERATOR, status=201, idempotent=True)
def create_template(ctx: RequestContext, body: models.TemplateCreate) -> models.Template:
    return templates.create_template(body, ctx.now, ctx.idempotency, ctx.user_id)


@endpoint(bp, "/admin/templates", auth=OPERATOR)
def list_templates(ctx: RequestContext, query: models.TemplateListQuery) -> common.Page[models.Template]:
    return templates.list_templates(query, ctx.now)


@endpoint(bp, "/admin/templates/{template_id}", auth=OPERATOR)
def get_template(ctx: RequestContext, template_id: common.ResourceId) -> models.Template:
    return templates.get_template(template_id, ctx.now)


@endpoint(bp, "/admin/templates/{template_id}", methods=("PUT",), auth=OPERATOR)
def replace_draft(ctx: RequestContext, template_id: common.ResourceId, body: models.TemplateCreate) -> models.Template:
    """Edit a draft that has issued nothing (no grant, no codes): the body is a whole template, as
    for a creation; audited. 409 INVALID_STATE otherwise (duplicate it instead)."""
    return templates.replace_draft(template_id, body, ctx.now, ctx.user_id)


@endpoint(bp, "/admin/templates/{template_id}", methods=("DELETE",), auth=OPERATOR, status=204)
def delete_draft(ctx: RequestContext, template_id: common.ResourceId) -> None:
    """Delete a draft that has issued nothing, with its stock shards; audited. 409 INVALID_STATE
    otherwise (end it instead)."""
    templates.delete_draft(template_id, ctx.now, ctx.user_id)


@endpoint(bp, "/admin/templates/{template_id}/stats", auth=OPERATOR)
def template_stats(ctx: RequestContext, template_id: common.ResourceId,
                   query: models.TemplateStatsQuery) -> models.TemplateStats:
    """A template's counters and its claims per hour (default: the last 48 hours)."""
    return templates.template_stats(template_id, query, ctx.now)


@endpoint(bp, "/admin/templates/{template_id}/publish", methods=("POST",), auth=OPERATOR)
def publish_template(ctx: RequestContext, template_id: common.ResourceId) -> models.Template:
    return templates.change_template_status(template_id, "publish", ctx.now, ctx.user_id)


@endpoint(bp, "/admin/templates/{template_id}/pause", methods=("POST",), auth=OPERATOR)
def pause_template(ctx: RequestContext, template_id: common.ResourceId) -> models.Template:
    return templates.change_template_status(template_id, "pause", ctx.now, ctx.user_id)


@endpoint(bp, "/admin/templates/{template_id}/end", methods=("POST",), auth=OPERATOR)
def end_template(ctx: RequestContext, template_id: common.ResourceId) -> models.Template:
    return templates.change_template_status(template_id, "end", ctx.now, ctx.user_id)


@endpoint(bp, "/templates")
def list_claimable(ctx: RequestContext, query: common.PageQuery) -> common.Page[issuing.ClaimableTemplate]:
    return issuing.list_claimable(ctx.user_id, query, ctx.now)


@endpoint(bp, "/templates/{template_id}/claim", methods=("POST",), status=201, idempotent=True)
def claim(ctx: RequestContext, template_id: common.ResourceId) -> models.Coupon:
    return issuing.claim(template_id, ctx.user_id, ctx.now, ctx.idempotency)


@endpoint(bp, "/me/coupons")
def list_my_coupons(ctx: RequestContext, query: models.CouponListQuery) -> common.Page[models.Coupon]:
    return wallet.list_coupons(ctx.user_id, query, ctx.now)


@endpoint(bp, "/me/coupons/{coupon_id}")
def get_my_coupon(ctx: RequestContext, coupon_id: common.ResourceId) -> models.Coupon:
    return wallet.get_coupon(ctx.user_id, coupon_id, ctx.now)


# --- checkout ---------------------------------------------------------------------------------

@endpoint(bp, "/me/coupons/{coupon_id}/lock", methods=("POST",))
def lock_coupon(ctx: RequestContext, coupon_id: common.ResourceId, body: models.LockRequest) -> models.Coupon:
    return checkout.lock_coupon(ctx.user_id, coupon_id, body, ctx.now)


@endpoint(bp, "/me/coupons/{coupon_id}/unlock", methods=("POST",))
def unlock_coupon(ctx: RequestContext, coupon_id: common.ResourceId, body: models.UnlockRequest) -> models.Coupon:
    return checkout.unlock_coupon(ctx.user_id, coupon_id, body.order_id, ctx.now)


@endpoint(bp, "/me/coupons/{coupon_id}/hold", methods=("POST",))
def hold_card(ctx: RequestContext, coupon_id: common.ResourceId, body: models.HoldRequest) -> models.Hold:
    return checkout.hold_card(ctx.user_id, coupon_id, body, ctx.now)


@endpoint(bp, "/me/coupons/{coupon_id}/history")
def card_history(ctx: RequestContext, coupon_id: common.ResourceId,
                 query: common.PageQuery) -> common.Page[models.CardEntry]:
    return wallet.card_history(ctx.user_id, coupon_id, query)


# --- grants and codes -------------------------------------------------------------------------

@endpoint(bp, "/admin/templates/{template_id}/grant", methods=("POST",), auth=OPERATOR, idempotent=True)
def grant(ctx: RequestContext, template_id: common.ResourceId, body: models.GrantRequest) -> models.GrantReport:
    return issuing.grant_many(template_id, body.user_ids, ctx.now, ctx.user_id, ctx.idempotency)


@endpoint(bp, "/admin/templates/{template_id}/codes", methods=("POST",), auth=OPERATOR, status=201, idempotent=True)
def mint_codes(ctx: RequestContext, template_id: common.ResourceId, body: models.CodeMintRequest) -> models.CodeBatch:
    return minting.mint_codes_for_request(template_id, body, ctx.now, ctx.user_id, ctx.idempotency)


@endpoint(bp, "/admin/templates/{template_id}/codes", auth=OPERATOR)
def list_codes(ctx: RequestContext, template_id: common.ResourceId,
               query: models.CodeListQuery) -> common.Page[models.Code]:
    return minting.list_codes(template_id, query)


@endpoint(bp, "/admin/templates/{template_id}/codes.csv", auth=OPERATOR, produces=("text/csv",))
def export_codes(ctx: RequestContext, template_id: common.ResourceId, query: models.CodeCsvQuery) -> Response:
    """One page of codes as CSV (header row included); `X-Next-Cursor` fetches the next page."""
    page = minting.list_codes(template_id, query)
    headers: dict[str, str | list[str]] = {"Content-Type": "text/csv; charset=utf-8",
                                           "Content-Disposition": f'attachment; filename="codes-{template_id}.csv"'}
    if page.next_cursor:
        headers["X-Next-Cursor"] = page.next_cursor
    return Response(body=codes.to_csv(page.items), status_code=200, headers=headers)


@endpoint(bp, "/codes/{code}/claim", methods=("POST",), status=201, idempotent=True)
def claim_code(ctx: RequestContext, code: models.CodeText) -> models.Coupon:
    return issuing.claim_code(code, ctx.user_id, ctx.now, ctx.idempotency)


@endpoint(bp, "/admin/coupons/{user_id}/{coupon_id}/revoke", methods=("POST",), auth=OPERATOR)
def revoke_coupon(ctx: RequestContext, user_id: common.UserId, coupon_id: common.ResourceId) -> models.Coupon:
    """Revoke one shopper's unused or locked coupon (not one an order reservation holds); audited."""
    return support.revoke(user_id, coupon_id, ctx.user_id, ctx.now)


@endpoint(bp, "/admin/templates/{template_id}/stock", methods=("POST",), auth=OPERATOR)
def add_stock(ctx: RequestContext, template_id: common.ResourceId, body: models.StockAdd) -> models.Template:
    """Add stock to a draft or published template (spread over its stock shards); audited."""
    return support.add_stock(template_id, body.add, ctx.user_id, ctx.now)
