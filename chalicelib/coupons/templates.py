"""Operators' templates: create, read, list, publish/pause/end, stats. No boto3, no Chalice:
time comes in as `now`; storage is templates_store."""

from __future__ import annotations

from datetime import datetime

from chalicelib import lifecycle
from chalicelib.clock import iso
from chalicelib.coupons import rules, templates_store
from chalicelib.coupons.models import (
    HourlyClaims, Template, TemplateCreate, TemplateListQuery, TemplateStats, TemplateStatsQuery,
)
from chalicelib.coupons.refused import Refused
from chalicelib.errors import NotFound
from chalicelib.idempotency import Idempotency
from chalicelib.ids import new_id
from chalicelib.models import Page

WINDOW_OVER = "This template's claim window is over; it can only be ended."


def create_template(request: TemplateCreate, now: datetime, idem: Idempotency | None) -> Template:
    template = Template(
        id=new_id(), status="draft", claimed=0, redeemed=0, created_at=now, updated_at=now,
        **request.model_dump(exclude={"validity", "scope"}),
        validity=request.validity, scope=request.scope,
    )
    templates_store.create_template(template, idem)
    return template


def stored_template(template_id: str) -> Template:
    template = templates_store.get_template(template_id, consistent=True)
    if template is None:
        raise NotFound("No template with this id.")
    return template


def get_template(template_id: str, now: datetime | None = None) -> Template:
    """A template with exact counters (consistent reads of the template and of its stock shards);
    given `now`, as it stands then (rules.template_shown)."""
    template = templates_store.with_claim_counts([stored_template(template_id)], consistent=True)[0]
    return rules.template_shown(template, now) if now else template


def list_templates(query: TemplateListQuery, now: datetime) -> Page[Template]:
    items, cursor = templates_store.list_templates(query.status, now, query.limit, query.cursor)
    counted = templates_store.with_claim_counts(items, consistent=True)
    return Page[Template](items=[rules.template_shown(t, now) for t in counted], next_cursor=cursor)


def change_template_status(template_id: str, action: str, now: datetime) -> Template:
    """Publish, pause or end, if the stored status allows it at the moment of the write; past its
    claim window a template can only be ended (it already shows as ended)."""
    window_open = action != "end"
    try:
        changed = templates_store.change_status(stored_template(template_id), action, now,
                                                also=templates_store.WINDOW_OPEN if window_open else None)
    except Refused as exc:
        raise lifecycle.refusal(exc.old("template"), action, "template",
                                WINDOW_OVER if window_open else None) from exc
    return templates_store.with_claim_counts([changed], consistent=True)[0]


def template_stats(template_id: str, query: TemplateStatsQuery, now: datetime) -> TemplateStats:
    """A template's counters and its claims per hour, every hour of the range listed."""
    hours = rules.stats_hours(now, query.start, query.end)
    template = get_template(template_id)
    counts = templates_store.claims_by_hour(template, iso(hours[0]), iso(hours[-1]))
    return TemplateStats(template_id=template.id, claimed=template.claimed, redeemed=template.redeemed,
                         hours=[HourlyClaims(hour=hour, claimed=counts.get(iso(hour), 0)) for hour in hours])
