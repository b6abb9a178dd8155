"""Business operations on templates and coupons. No boto3, no Chalice: time comes in as `now`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from chalicelib.coupons import repository, rules
from chalicelib.coupons.models import (
    Coupon, CouponListQuery, Scope, Template, TemplateCreate, TemplateListQuery, Validity,
)
from chalicelib.errors import DomainError, NotFound
from chalicelib.ids import new_id
from chalicelib.idempotency import Idempotency
from chalicelib.observability import count
from chalicelib.web import Page, PageQuery


def create_template(request: TemplateCreate, now: datetime, idem: Idempotency | None) -> Template:
    template = Template(
        id=new_id(), status="draft", claimed=0, redeemed=0, created_at=now, updated_at=now,
        **request.model_dump(exclude={"validity", "scope"}),
        validity=request.validity, scope=request.scope,
    )
    repository.create_template(template, idem)
    return template


def get_template(template_id: str) -> Template:
    template = repository.get_template(template_id, consistent=True)
    if template is None:
        raise NotFound("No template with this id.")
    return template


def list_templates(query: TemplateListQuery) -> Page[Template]:
    items, cursor = repository.list_templates(query.status, query.limit, query.cursor)
    return Page[Template](items=items, next_cursor=cursor)


def change_template_status(template_id: str, action: str, now: datetime) -> Template:
    return repository.change_status(template_id, action, now)


class ClaimableTemplate(BaseModel):
    """A template as a shopper sees it in the list of what they can claim."""

    id: str
    name: str
    kind: str
    value: int
    max_discount: int | None
    min_spend: int
    scope: Scope
    validity: Validity
    claim_starts_at: datetime
    claim_ends_at: datetime
    per_user_limit: int
    claimed_by_me: int
    remaining: int


def list_claimable(user_id: str, query: PageQuery, now: datetime) -> Page[ClaimableTemplate]:
    """Templates the caller can claim now: published, in window, in stock, under their limit."""
    templates, cursor = repository.list_claimable(now, query.limit, query.cursor)
    mine = repository.claimed_counts(user_id, [t.id for t in templates]) if templates else {}
    items = [
        ClaimableTemplate(**t.model_dump(include=set(ClaimableTemplate.model_fields) - {"claimed_by_me"}),
                          claimed_by_me=mine.get(t.id, 0))
        for t in templates
        if rules.claim_refusal(t, now) is None and mine.get(t.id, 0) < t.per_user_limit
    ]
    return Page[ClaimableTemplate](items=items, next_cursor=cursor)


def claim(template_id: str, user_id: str, now: datetime, idem: Idempotency | None) -> Coupon:
    """Claim one coupon of a template. The transaction decides; the read only explains and builds."""
    template = repository.get_template(template_id)
    if template is None:
        raise NotFound("No template with this id.")
    try:
        refusal = rules.claim_refusal(template, now)
        if refusal is not None:
            raise refusal
        valid_from, valid_until = rules.validity_window(template, now)
        coupon = Coupon(
            id=new_id(), template_id=template.id, name=template.name, kind=template.kind,
            value=template.value, max_discount=template.max_discount, min_spend=template.min_spend,
            scope=template.scope, status="unused", valid_from=valid_from, valid_until=valid_until,
            claimed_at=now,
        )
        repository.claim(template, coupon, user_id, now, idem)
    except DomainError as exc:
        count("ClaimRejected", reason=type(exc).__name__)
        raise
    count("ClaimSucceeded")
    return coupon


def list_coupons(user_id: str, query: CouponListQuery, now: datetime) -> Page[Coupon]:
    coupons, cursor = repository.list_coupons(user_id, query.status, now, query.limit, query.cursor)
    shown = [c.model_copy(update={"status": rules.coupon_status(c, now)}) for c in coupons]
    return Page[Coupon](items=shown, next_cursor=cursor)
