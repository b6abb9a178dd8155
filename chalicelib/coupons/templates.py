"""Operators' templates: create, read, list, edit or delete a draft, publish/pause/end, stats. No boto3, no Chalice:
time comes in as `now`; storage is templates_store."""

from __future__ import annotations

from datetime import datetime

from chalicelib import lifecycle
from chalicelib.audit.models import Change
from chalicelib.clock import iso
from chalicelib.coupons import rules, templates_store
from chalicelib.coupons.models import (
    HourlyClaims, Template, TemplateCreate, TemplateListQuery, TemplateStats, TemplateStatsQuery,
)
from chalicelib.coupons.refused import Refused
from chalicelib.errors import InvalidState, NotFound, Throttled
from chalicelib.idempotency import Idempotency
from chalicelib.ids import new_id
from chalicelib.models import Page

STATUS_ATTEMPTS = 5  # reads and writes of a status change that met another change
WINDOW_OVER = "This template's claim window is over; it can only be ended."


UNISSUED_ONLY = ("Only a draft that has issued nothing (no grant, no code batch) can be {verb}: "
                 "duplicate it and {verb} the copy, or end it.")


def _from_request(request: TemplateCreate, template_id: str, created_at: datetime, now: datetime) -> Template:
    return Template(id=template_id, status="draft", claimed=0, redeemed=0, created_at=created_at, updated_at=now,
                    **request.model_dump(exclude={"validity", "scope"}), validity=request.validity,
                    scope=request.scope)


def create_template(request: TemplateCreate, now: datetime, idem: Idempotency | None,
                    actor: str | None = None) -> Template:
    template = _from_request(request, new_id(), now, now)
    audit = Change(actor, "create", "template", template.id, None, template.model_dump(mode="json"), now)
    templates_store.create_template(template, idem, audit)
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
    items, cursor = templates_store.list_templates(query.status, now, query.limit, query.cursor, query.q)
    counted = templates_store.with_claim_counts(items, consistent=True)
    return Page[Template](items=[rules.template_shown(t, now) for t in counted], next_cursor=cursor)


def replace_draft(template_id: str, request: TemplateCreate, now: datetime, actor: str | None = None) -> Template:
    """Replace a draft that has issued nothing with `request` (as a creation would make it; id and
    created_at kept); audited (`update`), pinned on the draft that was read."""
    for _ in range(STATUS_ATTEMPTS):
        before = _unissued_draft(template_id, "edited")
        after = _from_request(request, before.id, before.created_at, now).model_copy(
            update={"draft_version": before.draft_version + 1})
        audit = Change(actor, "update", "template", template_id, before.model_dump(mode="json"),
                       after.model_dump(mode="json"), now)
        try:
            templates_store.replace_draft(before, after, audit)
        except Refused:
            continue  # it changed since it was read (edited, granted from, minted for): look again
        return after
    raise Throttled("This template is being changed by others at this moment; retry shortly.")


def delete_draft(template_id: str, now: datetime, actor: str | None = None) -> None:
    """Delete a draft that has issued nothing, with its stock shards; audited (`delete`)."""
    for _ in range(STATUS_ATTEMPTS):
        before = _unissued_draft(template_id, "deleted")
        audit = Change(actor, "delete", "template", template_id, before.model_dump(mode="json"), None, now)
        try:
            templates_store.delete_draft(before, audit)
        except Refused:
            continue
        return
    raise Throttled("This template is being changed by others at this moment; retry shortly.")


def _unissued_draft(template_id: str, verb: str) -> Template:
    """The template as stored (exact counts), if it is a draft that has issued nothing; NotFound or
    InvalidState otherwise. The write that follows conditions on the same facts."""
    template = get_template(template_id)
    if template.status != "draft" or template.claimed or templates_store.has_codes(template_id):
        raise InvalidState(UNISSUED_ONLY.format(verb=verb))
    return template


def change_template_status(template_id: str, action: str, now: datetime, actor: str | None = None) -> Template:
    """Publish, pause or end, if the stored status allows it at the moment of the write; past its
    claim window a template can only be ended (it already shows as ended). The change and its
    audit entry (the stored template, with its counts, before and after) commit together."""
    window_open = action != "end"
    for _ in range(STATUS_ATTEMPTS):
        before = get_template(template_id)
        after = before.model_copy(update={"status": lifecycle.TRANSITIONS[action][1], "updated_at": now})
        audit = Change(actor, action, "template", template_id, before.model_dump(mode="json"),
                       after.model_dump(mode="json"), now)
        try:
            changed = templates_store.change_status(before, action, now, also=templates_store.WINDOW_OPEN
                                                    if window_open else None, audit=audit)
        except Refused as exc:
            old = exc.old("template")
            if old is not None and old["status"] != before.status:
                continue  # it moved since it was read: the entry's `before` would be wrong
            raise lifecycle.refusal(old, action, "template", WINDOW_OVER if window_open else None) from exc
        return templates_store.with_claim_counts([changed], consistent=True)[0]
    raise Throttled("This template is being changed by others at this moment; retry shortly.")


def template_stats(template_id: str, query: TemplateStatsQuery, now: datetime) -> TemplateStats:
    """A template's counters and its claims and redemptions per hour, every hour of the range listed."""
    hours = rules.stats_hours(now, query.start, query.end)
    template = get_template(template_id)
    counts = templates_store.claims_by_hour(template, iso(hours[0]), iso(hours[-1]))
    return TemplateStats(template_id=template.id, claimed=template.claimed, redeemed=template.redeemed,
                         hours=[HourlyClaims(hour=hour, claimed=counts.get(iso(hour), (0, 0))[0],
                                             redeemed=counts.get(iso(hour), (0, 0))[1]) for hour in hours])
