"""DynamoDB storage of templates, claims counters and coupons.

Every limit is a condition evaluated by DynamoDB: stock (`claimed < total_stock`), the
per-user limit, the template's status and claim window. Failed conditions come back as
domain errors, decided from the cancellation reasons in request order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import dynamo
from chalicelib.clock import iso
from chalicelib.coupons import keys, rules
from chalicelib.coupons.models import Coupon, Template
from chalicelib.errors import InvalidState, LimitReached, NotFound, SoldOut
from chalicelib.idempotency import Idempotency, Replay

TEMPLATE_KEY_ATTRS = ("PK", "SK")


def _template_item(template: Template) -> dict[str, Any]:
    data = template.model_dump(mode="json", exclude={"remaining"})
    item = {**keys.template(template.id), **keys.template_listing(data["created_at"], template.id),
            "entity": "template", **data}
    item["claimable_sk"] = keys.claimable_listing(data["claim_ends_at"], template.id)["GSI2SK"]
    if template.status == "published":
        item.update(keys.claimable_listing(data["claim_ends_at"], template.id))
    return item


def _template(item: dict[str, Any]) -> Template:
    return Template.model_validate(item, strict=False)


def _coupon(item: dict[str, Any]) -> Coupon:
    return Coupon.model_validate(item, strict=False)


def _with_idempotency(items: list[dict[str, Any]], idem: Idempotency | None, body: Any) -> list[dict[str, Any]]:
    return items + ([idem.record_item(body)] if idem else [])


def create_template(template: Template, idem: Idempotency | None) -> None:
    items = [dynamo.tx_put(_template_item(template), "attribute_not_exists(PK)")]
    try:
        dynamo.transact(_with_idempotency(items, idem, template.model_dump(mode="json")))
    except dynamo.ConditionFailed as exc:
        if 1 in exc.failed:
            raise Replay() from exc
        raise


def get_template(template_id: str, consistent: bool = False) -> Template | None:
    item = dynamo.get(keys.template(template_id), consistent=consistent)
    return _template(item) if item else None


def list_templates(status: str | None, limit: int, cursor: str | None) -> tuple[list[Template], str | None]:
    items, next_cursor = dynamo.query_page(
        index=keys.ADMIN_INDEX, partition_attr="GSI1PK", partition_value=keys.TEMPLATES_PARTITION,
        key_attrs=("GSI1PK", "GSI1SK", "PK", "SK"), limit=limit, cursor=cursor,
        filter_expression="#status = :status" if status else None,
        names={"#status": "status"} if status else None,
        vals=dynamo.values(status=status) if status else None,
    )
    return [_template(i) for i in items], next_cursor


def list_claimable(now: datetime, limit: int, cursor: str | None) -> tuple[list[Template], str | None]:
    """Published templates whose window is open now and that have stock left (sparse GSI2)."""
    items, next_cursor = dynamo.query_page(
        index=keys.CLAIMABLE_INDEX, partition_attr="GSI2PK", partition_value=keys.CLAIMABLE_PARTITION,
        key_attrs=("GSI2PK", "GSI2SK", "PK", "SK"), limit=limit, cursor=cursor, newest_first=False,
        sort_condition="GSI2SK > :now",
        filter_expression="claim_starts_at <= :now AND claimed < total_stock",
        vals=dynamo.values(now=iso(now)),
    )
    return [_template(i) for i in items], next_cursor


def claimed_counts(user_id: str, template_ids: list[str]) -> dict[str, int]:
    """How many of each template the user has claimed (one BatchGetItem)."""
    found = dynamo.batch_get([keys.user_claims(user_id, t) for t in template_ids])
    return {item["template_id"]: item["claimed"] for item in found}


def change_status(template_id: str, action: str, now: datetime) -> Template:
    """Apply a state-machine action if, at the moment of the write, the template allows it."""
    sources, target = rules.TRANSITIONS[action]
    sources_named = {f"s{i}": s for i, s in enumerate(sorted(sources))}
    listing = ("SET #status = :target, updated_at = :now, GSI2PK = :claimable, GSI2SK = claimable_sk"
               if target == "published" else "SET #status = :target, updated_at = :now REMOVE GSI2PK, GSI2SK")
    vals = {"target": target, "now": iso(now), **sources_named}
    if target == "published":
        vals["claimable"] = keys.CLAIMABLE_PARTITION
    try:
        item = dynamo.update(
            keys.template(template_id), listing,
            condition=f"attribute_exists(PK) AND #status IN ({', '.join(':' + k for k in sources_named)})",
            names={"#status": "status"}, vals=dynamo.values(**vals),
        )
    except dynamo.ConditionFailed as exc:
        old = exc.failed.get(0)
        if old is None:
            raise NotFound("No template with this id.") from exc
        rules.transition(old["status"], action)  # raises InvalidState naming the allowed states
        raise InvalidState() from exc
    return _template(item)


def claim(template: Template, coupon: Coupon, user_id: str, now: datetime, idem: Idempotency | None) -> None:
    """One transaction: take one unit of stock, count the user's claim, store the coupon."""
    now_text = iso(now)
    items = [
        dynamo.tx_update(
            keys.template(template.id), "SET claimed = claimed + :one",
            condition=("#status = :published AND claimed < total_stock "
                       "AND claim_starts_at <= :now AND claim_ends_at > :now"),
            names={"#status": "status"}, vals=dynamo.values(one=1, published="published", now=now_text),
        ),
        dynamo.tx_update(
            keys.user_claims(user_id, template.id), "SET template_id = :tid ADD claimed :one",
            condition="attribute_not_exists(claimed) OR claimed < :limit",
            vals=dynamo.values(tid=template.id, one=1, limit=template.per_user_limit),
        ),
        dynamo.tx_put(
            {**keys.coupon(user_id, coupon.id), "entity": "coupon", "user_id": user_id,
             **coupon.model_dump(mode="json")},
            "attribute_not_exists(PK)",
        ),
    ]
    try:
        dynamo.transact(_with_idempotency(items, idem, coupon.model_dump(mode="json")))
    except dynamo.ConditionFailed as exc:
        if 3 in exc.failed:
            raise Replay() from exc
        if 0 in exc.failed and exc.failed[0] is not None:
            refusal = rules.claim_refusal(_template(exc.failed[0]), now)
            if refusal is not None and not isinstance(refusal, SoldOut):
                raise refusal from exc
        if 1 in exc.failed:
            raise LimitReached(f"You can claim at most {template.per_user_limit} of these.") from exc
        raise SoldOut() from exc


def get_coupon(user_id: str, coupon_id: str) -> Coupon | None:
    item = dynamo.get(keys.coupon(user_id, coupon_id))
    return _coupon(item) if item else None


# What each listed status means in storage: an unused coupon past its validity is expired
# to its holder before the expiry sweep stores it so.
_STATUS_FILTERS = {
    "unused": "#status = :unused AND valid_until > :now",
    "locked": "#status = :locked",
    "used": "#status = :used",
    "expired": "#status = :expired OR (#status = :unused AND valid_until <= :now)",
}


def list_coupons(user_id: str, status: str | None, now: datetime, limit: int,
                 cursor: str | None) -> tuple[list[Coupon], str | None]:
    filter_expression = _STATUS_FILTERS.get(status) if status else None
    vals: dict[str, Any] = {"prefix": keys.COUPON_PREFIX}
    if filter_expression:
        vals.update({name: name for name in ("unused", "locked", "used", "expired") if f":{name}" in filter_expression})
        if ":now" in filter_expression:
            vals["now"] = iso(now)
    items, next_cursor = dynamo.query_page(
        partition_attr="PK", partition_value=keys.user_partition(user_id), key_attrs=("PK", "SK"),
        limit=limit, cursor=cursor, sort_condition="begins_with(SK, :prefix)",
        filter_expression=filter_expression,
        names={"#status": "status"} if filter_expression else None,
        vals=dynamo.values(**vals),
    )
    return [_coupon(i) for i in items], next_cursor
