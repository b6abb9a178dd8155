"""HTTP routes of coupons: operators manage templates, shoppers claim and see their wallet."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.coupons import service
from chalicelib.coupons.models import CouponListQuery, TemplateCreate, TemplateListQuery
from chalicelib.models import ResourceId
from chalicelib.web import OPERATOR, PageQuery, RequestContext, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/admin/templates", methods=("POST",), auth=OPERATOR, status=201, idempotent=True)
def create_template(ctx: RequestContext, body: TemplateCreate):
    return service.create_template(body, ctx.now, ctx.idempotency)


@endpoint(bp, "/admin/templates", auth=OPERATOR)
def list_templates(ctx: RequestContext, query: TemplateListQuery):
    return service.list_templates(query)


@endpoint(bp, "/admin/templates/{template_id}", auth=OPERATOR)
def get_template(ctx: RequestContext, template_id: ResourceId):
    return service.get_template(template_id)


@endpoint(bp, "/admin/templates/{template_id}/publish", methods=("POST",), auth=OPERATOR)
def publish_template(ctx: RequestContext, template_id: ResourceId):
    return service.change_template_status(template_id, "publish", ctx.now)


@endpoint(bp, "/admin/templates/{template_id}/pause", methods=("POST",), auth=OPERATOR)
def pause_template(ctx: RequestContext, template_id: ResourceId):
    return service.change_template_status(template_id, "pause", ctx.now)


@endpoint(bp, "/admin/templates/{template_id}/end", methods=("POST",), auth=OPERATOR)
def end_template(ctx: RequestContext, template_id: ResourceId):
    return service.change_template_status(template_id, "end", ctx.now)


@endpoint(bp, "/templates")
def list_claimable(ctx: RequestContext, query: PageQuery):
    return service.list_claimable(ctx.user_id, query, ctx.now)


@endpoint(bp, "/templates/{template_id}/claim", methods=("POST",), status=201, idempotent=True)
def claim(ctx: RequestContext, template_id: ResourceId):
    return service.claim(template_id, ctx.user_id, ctx.now, ctx.idempotency)


@endpoint(bp, "/me/coupons")
def list_my_coupons(ctx: RequestContext, query: CouponListQuery):
    return service.list_coupons(ctx.user_id, query, ctx.now)
