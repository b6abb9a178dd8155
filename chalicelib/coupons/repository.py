"""DynamoDB storage of templates, claims counters and coupons.

Every limit is a condition evaluated by DynamoDB: stock (`claimed < total_stock` on the
template, or `claimed < allocation` on one stock shard of a sharded template), the per-user
limit, the template's status and claim window. Failed conditions come back as domain errors,
decided from the cancellation reasons in request order.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, Callable

from chalicelib import dynamo, lifecycle, lifecycle_store
from chalicelib.clock import iso
from chalicelib.coupons import keys, rules
from chalicelib.coupons.models import CardEntry, Code, CodeBatch, Coupon, Hold, Template
from chalicelib.errors import (
    AlreadyLocked, DomainError, InsufficientBalance, InvalidState, LimitReached, NotClaimable, NotFound, NotUsable,
    SoldOut,
)
from chalicelib.idempotency import Idempotency, Replay
from chalicelib.ids import CROCKFORD, new_id



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


def _shard_items(template: Template) -> list[dict[str, Any]]:
    """The stock shards of a sharded template, as created. Each carries what a claim's condition
    needs (status, window, channel) besides its stock, so a claim writes a shard and never
    touches the template item: the template's partition stays cold however hot the sale."""
    data = template.model_dump(mode="json", include={"status", "claim_starts_at", "claim_ends_at", "claim_channel"})
    return [{**keys.stock_shard(template.id, shard), "entity": "stock_shard", "template_id": template.id,
             "shard": shard, "allocation": allocation, "claimed": 0, **data}
            for shard, allocation in enumerate(rules.shard_allocations(template.total_stock, template.stock_shards))]


def _coupon(item: dict[str, Any]) -> Coupon:
    return Coupon.model_validate(item, strict=False)


def _with_idempotency(items: list[dict[str, Any]], idem: Idempotency | None, body: Any) -> list[dict[str, Any]]:
    return items + ([idem.record_item(body)] if idem else [])


def record_response(idem: Idempotency, body: Any) -> None:
    """Record the response of an operation made of many transactions (grants, code batches),
    after its effects, each of which is exactly-once by its own key. A concurrent request with
    the same key that recorded first wins: Replay answers from its record."""
    try:
        dynamo.transact([idem.record_item(body)])
    except dynamo.ConditionFailed as exc:
        raise Replay() from exc


def create_template(template: Template, idem: Idempotency | None) -> None:
    """One transaction: the template and, for a sharded one, every stock shard (at most 50)."""
    items = [dynamo.tx_put(_template_item(template), "attribute_not_exists(PK)")]
    if template.stock_shards > 1:
        items += [dynamo.tx_put(shard, "attribute_not_exists(PK)") for shard in _shard_items(template)]
    try:
        dynamo.transact(_with_idempotency(items, idem, template.model_dump(mode="json")))
    except dynamo.ConditionFailed as exc:
        if len(items) in exc.failed:
            raise Replay() from exc
        raise


def get_template(template_id: str, consistent: bool = False) -> Template | None:
    """The template item. A sharded template's `claimed` lives on its shards (0 here): use
    `with_claim_counts` where the count matters."""
    item = dynamo.get(keys.template(template_id), consistent=consistent)
    return _template(item) if item else None


def _shard_keys(template: Template) -> list[dict[str, str]]:
    return [keys.stock_shard(template.id, shard) for shard in range(template.stock_shards)]


def shard_remaining(template: Template, consistent: bool) -> dict[int, int]:
    """Units left on each shard of a sharded template (one BatchGetItem). A shard missing from
    an eventually consistent read (created an instant ago) counts as full."""
    allocations = rules.shard_allocations(template.total_stock, template.stock_shards)
    left = dict(enumerate(allocations))
    for item in dynamo.batch_get(_shard_keys(template), consistent=consistent):
        left[item["shard"]] = item["allocation"] - item["claimed"]
    return left


def with_claim_counts(templates: list[Template], consistent: bool) -> list[Template]:
    """The templates with `claimed` summed over their stock shards, read in one BatchGetItem for
    the whole list (100 keys per request); unsharded templates pass through unread."""
    sharded = [t for t in templates if t.stock_shards > 1]
    if not sharded:
        return templates
    claimed: dict[str, int] = {t.id: 0 for t in sharded}
    for item in dynamo.batch_get([k for t in sharded for k in _shard_keys(t)], consistent=consistent):
        claimed[item["template_id"]] += item["claimed"]
    return [t.model_copy(update={"claimed": claimed[t.id]}) if t.id in claimed else t for t in templates]


def _status_filter(status: str, now: datetime) -> tuple[str, dict[str, Any]]:
    """A filter on templates in `status` as they stand at `now` (rules.template_shown): published or
    paused past the claim window count as ended. Returns exactly the values it uses."""
    if status == "draft":
        return "#status = :draft", {"draft": "draft"}
    if status == "ended":
        return ("#status = :ended OR (#status IN (:published, :paused) AND claim_ends_at <= :now)",
                {"ended": "ended", "published": "published", "paused": "paused", "now": iso(now)})
    return "#status = :status AND claim_ends_at > :now", {"status": status, "now": iso(now)}


def list_templates(status: str | None, now: datetime, limit: int,
                   cursor: str | None) -> tuple[list[Template], str | None]:
    """Newest first, optionally only those in `status` at `now`."""
    condition, vals = _status_filter(status, now) if status else (None, None)
    items, next_cursor = dynamo.query_page(
        index=keys.ADMIN_INDEX, partition_attr="GSI1PK", partition_value=keys.TEMPLATES_PARTITION,
        key_attrs=("GSI1PK", "GSI1SK", "PK", "SK"), limit=limit, cursor=cursor,
        filter_expression=condition, names={"#status": "status"} if condition else None,
        vals=dynamo.values(**vals) if vals else None,
    )
    return [_template(i) for i in items], next_cursor


def list_claimable(now: datetime, limit: int, cursor: str | None) -> tuple[list[Template], str | None]:
    """Published templates whose window is open now and that have stock left (sparse GSI2). The
    stock filter sees only the template item: a sharded template passes it (its count is on its
    shards) and is judged after `with_claim_counts`."""
    items, next_cursor = dynamo.query_page(
        index=keys.CLAIMABLE_INDEX, partition_attr="GSI2PK", partition_value=keys.CLAIMABLE_PARTITION,
        key_attrs=("GSI2PK", "GSI2SK", "PK", "SK"), limit=limit, cursor=cursor, newest_first=False,
        sort_condition="GSI2SK > :now",
        filter_expression=("claim_starts_at <= :now AND claimed < total_stock "
                           "AND (attribute_not_exists(claim_channel) OR claim_channel = :open)"),
        vals=dynamo.values(now=iso(now), open="open"),
    )
    return [_template(i) for i in items], next_cursor


def claimed_counts(user_id: str, template_ids: list[str]) -> dict[str, int]:
    """How many of each template the user has claimed (one BatchGetItem)."""
    found = dynamo.batch_get([keys.user_claims(user_id, t) for t in template_ids])
    return {item["template_id"]: item["claimed"] for item in found}


_WINDOW_OPEN = ("claim_ends_at > :now", "This template's claim window is over; it can only be ended.")


def change_status(template: Template, action: str, now: datetime, also: tuple[str, str] | None = None) -> Template:
    """Apply a state-machine action if, at the moment of the write, the template allows it.
    Past its claim window a template can only be ended (it already shows as ended); `also`
    replaces that further condition (and its message).

    A sharded template's shards carry its status (claims check it there), so they move in the
    same transaction as the template: claims never see the two disagree.
    """
    if also is None and action != "end":
        also = _WINDOW_OPEN
    key = keys.template(template.id)
    placement = {"listed_partition": keys.CLAIMABLE_PARTITION, "listed_sk_attribute": "claimable_sk"}
    if template.stock_shards == 1:
        return _template(lifecycle_store.apply(key, action, now, noun="template", also=also, **placement))
    expression, condition, names, vals = lifecycle_store.status_write(action, now, also=also[0] if also else None,
                                                                **placement)
    target = lifecycle.TRANSITIONS[action][1]
    items = [dynamo.tx_update(key, expression, condition=condition, names=names, vals=vals)]
    items += [dynamo.tx_update(shard, "SET #status = :target", condition="attribute_exists(PK)",
                               names={"#status": "status"}, vals=dynamo.values(target=target))
              for shard in _shard_keys(template)]
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        raise lifecycle.refusal(exc.failed.get(0), action, "template", also[1] if also else None) from exc
    return _template(dynamo.get(key, consistent=True))


def end_lapsed(item: dict[str, Any], now: datetime) -> bool:
    """The end-templates job's write: a template (with its shards) whose claim window closed by
    `now` is stored as ended; False when an operator ended it first."""
    try:
        change_status(_template(item), "end", now, also=("claim_ends_at <= :now", "Its claim window is still open."))
    except (InvalidState, NotFound):
        return False
    return True


# --- issuing: claims, code claims, grants ---------------------------------------------------

def coupon_item(user_id: str, coupon: Coupon) -> dict[str, Any]:
    """The stored item of a coupon. An unused one is listed in the expiry index (GSI2) and the
    reminder index (GSI3), and every coupon keeps `expiry_sk` so a write returning it to
    `unused` can list it again without reading it. Public because the sweep benchmark seeds
    the table with it."""
    data = coupon.model_dump(mode="json")
    listing = keys.expiry_listing(data["valid_until"], coupon.id)
    item = {**keys.coupon(user_id, coupon.id), "entity": "coupon", "user_id": user_id, **data,
            "expiry_sk": listing["GSI2SK"]}
    if coupon.status == "unused":
        item.update(listing)
        item.update(keys.reminder_listing(data["valid_until"], coupon.id))
    return item


# Update-expression fragments that keep the jobs' due indexes exact (keys.py): a coupon
# leaving `unused` leaves the expiry index (GSI2) in the same write, and one returning to
# `unused` is listed again in the same write; a lock is listed (GSI1) while it holds; a
# coupon that can no longer be used leaves the reminder index (GSI3).
_UNLIST = "REMOVE GSI2PK, GSI2SK"
_UNLIST_ALL = "GSI1PK, GSI1SK, GSI2PK, GSI2SK, GSI3PK, GSI3SK"


def relist(coupon_id: str) -> tuple[str, dict[str, Any]]:
    """SET fragment (and its value) listing a coupon again under its shard."""
    return "GSI2PK = :expiry_pk, GSI2SK = expiry_sk", {"expiry_pk": keys.expiry_partition(keys.expiry_shard(coupon_id))}


def relist_reminder(coupon_id: str) -> tuple[str, dict[str, Any]]:
    """SET fragment (and its value) listing a coupon again for its expiry reminder."""
    return ("GSI3PK = :remind_pk, GSI3SK = expiry_sk",
            {"remind_pk": keys.reminder_partition(keys.expiry_shard(coupon_id))})


def unlocked(coupon_id: str) -> tuple[str, dict[str, Any]]:
    """The update (and its values) giving a locked coupon back: `unused`, listed for expiry
    again, its lock and lock listing gone. The caller's condition says whose lock may go."""
    listing, listing_vals = relist(coupon_id)
    return (f"SET #status = :unused, {listing} REMOVE order_id, lock_expires_at, locked_at, GSI1PK, GSI1SK",
            {"unused": "unused", **listing_vals})


def _lock_listing(expires_at: datetime, holder: str) -> tuple[str, dict[str, Any]]:
    """SET fragment (and its values) listing a lock or hold by when it lapses."""
    listing = keys.lock_listing(iso(expires_at), holder)
    return "GSI1PK = :lock_pk, GSI1SK = :lock_sk", {"lock_pk": listing["GSI1PK"], "lock_sk": listing["GSI1SK"]}


def _claim_condition(channels: tuple[str, ...], now: datetime) -> tuple[str, dict[str, Any]]:
    """A claim takes stock only from a published template, inside its window, on a channel it
    serves. Returns the condition and exactly the values it uses (DynamoDB rejects unused ones).
    `#stock` names the stock limit of the item written: the template's `total_stock` or a shard's
    `allocation`; both items carry the status, window and channel the condition reads."""
    named = {f"ch{i}": c for i, c in enumerate(channels)}
    condition = ("#status = :published AND claimed < #stock AND claim_starts_at <= :now AND claim_ends_at > :now "
                 f"AND (attribute_not_exists(claim_channel) OR claim_channel IN ({', '.join(':' + k for k in named)}))")
    return condition, {"published": "published", "now": iso(now), **named}


# A grant ignores the window's start, the channel and a draft or paused status; it refuses an
# ended template, ended by an operator or by its claim window closing.
def _grant_condition(now: datetime) -> tuple[str, dict[str, Any]]:
    return ("attribute_exists(PK) AND #status <> :ended AND claim_ends_at > :now AND claimed < #stock",
            {"ended": "ended", "now": iso(now)})


class ShardEmpty(Exception):
    """The stock shard a claim tried has no units left (proved by its refused condition): try
    another shard; the template is sold out only when every shard is."""

    def __init__(self, shard: int) -> None:
        super().__init__(f"stock shard {shard} is empty")
        self.shard = shard


def _stock_key(template: Template, shard: int) -> tuple[dict[str, str], str]:
    """The item a claim takes its unit from, and the name of its stock limit."""
    if template.stock_shards == 1:
        return keys.template(template.id), "total_stock"
    return keys.stock_shard(template.id, shard), "allocation"


def _issue_items(template: Template, coupon: Coupon, user_id: str, now: datetime, shard: int,
                 template_condition: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Take one unit of stock (from the template, or from stock shard `shard`), count the coupon
    against the user's limit, store it (and a card's first history entry), and count it in its
    hour: the items every way of issuing a coupon shares, in this order. The hourly count rides
    in its own partition, one per shard, so it is never hotter than the stock it counts."""
    condition, condition_vals = template_condition
    stock_key, stock_attr = _stock_key(template, shard)
    items = [
        dynamo.tx_update(
            stock_key, "SET claimed = claimed + :one", condition=condition,
            names={"#status": "status", "#stock": stock_attr}, vals=dynamo.values(one=1, **condition_vals),
        ),
        dynamo.tx_update(
            keys.user_claims(user_id, template.id), "SET template_id = :tid ADD claimed :one",
            condition="attribute_not_exists(claimed) OR claimed < :limit",
            vals=dynamo.values(tid=template.id, one=1, limit=template.per_user_limit),
        ),
        dynamo.tx_put(coupon_item(user_id, coupon), "attribute_not_exists(PK)"),
    ]
    if coupon.kind == "stored_value":
        items.append(_card_log_put(user_id, coupon.id, rules.issue_entry(coupon, _entry_id(), now)))
    hour = iso(rules.hour_of(now))
    items.append(dynamo.tx_update(
        keys.claim_stats(template.id, shard, hour), "SET template_id = :tid, #shard = :shard, #hour = :hour "
        "ADD claimed :one", names={"#shard": "shard", "#hour": "hour"},
        vals=dynamo.values(tid=template.id, shard=shard, hour=hour, one=1),
    ))
    return items


def _stock_view(template: Template, old: dict[str, Any]) -> Template:
    """The template as the refused stock item saw it: the template item itself, or, for a shard,
    the template with the shard's status, count and allocation (what the shard's condition read)."""
    if template.stock_shards == 1:
        return _template(old)
    return template.model_copy(update={"status": old["status"], "claimed": old["claimed"],
                                       "total_stock": old["allocation"]})


def _issue_refusal(failed: dict[int, dict[str, Any] | None], base: int, template: Template, shard: int,
                   now: datetime, explain: Callable[[Template, datetime], DomainError | None]) -> Exception:
    """Name the refusal of the issue items that start at position `base` of a cancelled
    transaction. No stock left is SoldOut for an unsharded template, ShardEmpty for a shard."""
    if base in failed:
        old = failed[base]
        if old is None:
            return NotFound("No template with this id.")
        refusal = explain(_stock_view(template, old), now)
        if refusal is not None and not isinstance(refusal, SoldOut):
            return refusal
    if base + 1 in failed:
        return LimitReached(f"You can claim at most {template.per_user_limit} of these.")
    return SoldOut() if template.stock_shards == 1 else ShardEmpty(shard)


def claim(template: Template, coupon: Coupon, user_id: str, now: datetime, idem: Idempotency | None,
          shard: int = 0) -> None:
    """One transaction: take one unit of stock, count the user's claim, store the coupon, count
    the hour. Raises ShardEmpty when stock shard `shard` has nothing left."""
    items = _issue_items(template, coupon, user_id, now, shard, _claim_condition(("open",), now))
    try:
        dynamo.transact(_with_idempotency(items, idem, coupon.model_dump(mode="json")))
    except dynamo.ConditionFailed as exc:
        if len(items) in exc.failed:
            raise Replay() from exc
        raise _issue_refusal(exc.failed, 0, template, shard, now, rules.claim_refusal) from exc


def claim_code(code_text: str, template: Template, coupon: Coupon, user_id: str, now: datetime,
               idem: Idempotency | None, shard: int = 0) -> None:
    """One transaction: mark the code claimed (only if it is new), then issue as a claim does."""
    channels = ("open", "code")
    items = [
        dynamo.tx_update(
            keys.code(code_text), "SET #status = :claimed, claimed_by = :uid, coupon_id = :cid, claimed_at = :now",
            condition="#status = :new", names={"#status": "status"},
            vals=dynamo.values(claimed="claimed", new="new", uid=user_id, cid=coupon.id, now=iso(now)),
        ),
        *_issue_items(template, coupon, user_id, now, shard, _claim_condition(channels, now)),
    ]
    try:
        dynamo.transact(_with_idempotency(items, idem, coupon.model_dump(mode="json")))
    except dynamo.ConditionFailed as exc:
        if len(items) in exc.failed:
            raise Replay() from exc
        if 0 in exc.failed:
            if exc.failed[0] is None:
                raise NotFound("No such code.") from exc
            raise NotClaimable("This code has already been used.") from exc
        raise _issue_refusal(exc.failed, 1, template, shard, now,
                             lambda t, at: rules.claim_refusal(t, at, channels)) from exc


def grant(template: Template, coupon: Coupon, user_id: str, grant_ref: str, now: datetime, shard: int = 0) -> Coupon:
    """Issue `coupon` unless the grant `grant_ref` already happened; return the granted coupon.

    The grant marker is written in the same transaction, with `attribute_not_exists`: a
    retried grant fails on it and answers with the coupon the first attempt issued.
    """
    marker = {**keys.grant_marker(template.id, grant_ref), "entity": "grant", "template_id": template.id,
              "user_id": user_id, "coupon_id": coupon.id, "created_at": iso(now)}
    items = [dynamo.tx_put(marker, "attribute_not_exists(PK)"),
             *_issue_items(template, coupon, user_id, now, shard, _grant_condition(now))]
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        if 0 in exc.failed:
            earlier = granted(template.id, grant_ref)
            if earlier is None:
                raise InvalidState("This grant reference was used, but its coupon is gone.") from exc
            return earlier
        raise _issue_refusal(exc.failed, 1, template, shard, now, rules.grant_refusal) from exc
    return coupon


def claims_by_hour(template: Template, first_hour: str, last_hour: str) -> dict[str, int]:
    """Claims per hour from `first_hour` to `last_hour` (both included), summed over the stock
    shards: one Query per shard (at most 50), each reading only the hours asked for."""
    counts: dict[str, int] = {}
    for shard in range(template.stock_shards):
        start = None
        while True:
            items, start = dynamo.query_once(
                index=None, key_condition="#pk = :pk AND #sk BETWEEN :first AND :last",
                names={"#pk": "PK", "#sk": "SK"},
                vals=dynamo.values(pk=keys.claim_stats_partition(template.id, shard),
                                   first=keys.claim_stats(template.id, shard, first_hour)["SK"],
                                   last=keys.claim_stats(template.id, shard, last_hour)["SK"]),
                limit=1000, start=start,
            )
            for item in items:
                counts[item["hour"]] = counts.get(item["hour"], 0) + item["claimed"]
            if not start:
                break
    return counts


def get_coupon(user_id: str, coupon_id: str, consistent: bool = False) -> Coupon | None:
    item = dynamo.get(keys.coupon(user_id, coupon_id), consistent=consistent)
    return _coupon(item) if item else None


# What each listed status means in storage: an unused coupon past its validity is expired
# to its holder before the expiry sweep stores it so.
_AVAILABLE = "(#status = :unused OR (#status = :locked AND lock_expires_at <= :now))"
_STATUS_FILTERS = {
    "unused": f"{_AVAILABLE} AND valid_until > :now",
    "locked": "#status = :locked AND lock_expires_at > :now",
    "used": "#status = :used",
    "expired": f"#status = :expired OR ({_AVAILABLE} AND valid_until <= :now)",
    "revoked": "#status = :revoked",
}


def list_coupons(user_id: str, status: str | None, now: datetime, limit: int,
                 cursor: str | None) -> tuple[list[Coupon], str | None]:
    filter_expression = _STATUS_FILTERS.get(status) if status else None
    vals: dict[str, Any] = {"prefix": keys.COUPON_PREFIX}
    if filter_expression:
        vals.update({name: name for name in ("unused", "locked", "used", "expired", "revoked")
                     if f":{name}" in filter_expression})
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


def usable_coupons(user_id: str, now: datetime, max_items: int = 1000) -> list[Coupon]:
    """The caller's coupons that a new order could use now (unused or with a lapsed lock, inside
    their validity), for the best-choice quote. Reads the wallet page by page."""
    found: list[Coupon] = []
    cursor = None
    while len(found) < max_items:
        items, cursor = dynamo.query_page(
            partition_attr="PK", partition_value=keys.user_partition(user_id), key_attrs=("PK", "SK"),
            limit=100, cursor=cursor, sort_condition="begins_with(SK, :prefix)",
            filter_expression=f"{_AVAILABLE} AND valid_from <= :now AND valid_until > :now",
            names={"#status": "status"},
            vals=dynamo.values(prefix=keys.COUPON_PREFIX, unused="unused", locked="locked", now=iso(now)),
        )
        found.extend(_coupon(i) for i in items)
        if cursor is None:
            break
    return found[:max_items]


def coupons_by_id(user_id: str, coupon_ids: list[str]) -> dict[str, Coupon]:
    """The caller's coupons among `coupon_ids` (one BatchGetItem); others' ids simply are not found."""
    found = dynamo.batch_get([keys.coupon(user_id, cid) for cid in coupon_ids])
    return {item["id"]: _coupon(item) for item in found}


# --- locks ------------------------------------------------------------------------------------

# A coupon can go into an order if it is unused, or locked by this order, or its lock lapsed,
# and it is inside its validity window; a card is never locked (its balance is held instead).
_LOCKABLE = ("#kind <> :card AND valid_from <= :now AND valid_until > :now AND (#status = :unused "
             "OR (#status = :locked AND (order_id = :order OR lock_expires_at <= :now)))")


def lock(user_id: str, coupon_id: str, order_id: str, now: datetime, expires_at: datetime) -> Coupon:
    """Reserve a coupon for one order: one conditional UpdateItem decides among racing orders.
    The lock is listed by when it lapses, for the lock release sweep."""
    listed, listed_vals = _lock_listing(expires_at, coupon_id)
    try:
        item = dynamo.update(
            keys.coupon(user_id, coupon_id),
            f"SET #status = :locked, order_id = :order, lock_expires_at = :expires, locked_at = :now, {listed} "
            f"{_UNLIST}",
            condition=f"attribute_exists(PK) AND {_LOCKABLE}",
            names={"#status": "status", "#kind": "kind"},
            vals=dynamo.values(locked="locked", unused="unused", card="stored_value", order=order_id,
                               expires=iso(expires_at), now=iso(now), **listed_vals),
        )
    except dynamo.ConditionFailed as exc:
        old = exc.old
        if old is None:
            raise NotFound("No coupon with this id in your wallet.") from exc
        raise rules.lock_refusal(_coupon(old), order_id, now) from exc
    return _coupon(item)


def unlock(user_id: str, coupon_id: str, order_id: str) -> Coupon:
    """Give back the lock `order_id` holds; unlocking what is not locked is a no-op. The coupon
    is listed in the expiry index again, so a sweep expires it if its validity is over."""
    expression, expression_vals = unlocked(coupon_id)
    try:
        item = dynamo.update(
            keys.coupon(user_id, coupon_id), expression, condition="#status = :locked AND order_id = :order",
            names={"#status": "status"}, vals=dynamo.values(locked="locked", order=order_id, **expression_vals),
        )
    except dynamo.ConditionFailed as exc:
        old = exc.old
        if old is None:
            raise NotFound("No coupon with this id in your wallet.") from exc
        refusal = rules.unlock_refusal(_coupon(old), order_id)
        if refusal is not None:
            raise refusal from exc
        return _coupon(old)
    return _coupon(item)


# --- stored-value cards: holds, releases, history ---------------------------------------------

def _card_log_put(user_id: str, card_id: str, entry: CardEntry) -> dict[str, Any]:
    return dynamo.tx_put({**keys.card_log(user_id, card_id, entry.id), "entity": "card_entry", "card_id": card_id,
                          **entry.model_dump(mode="json")}, "attribute_not_exists(PK)")


_last_entry_id = [""]
_entry_id_lock = threading.Lock()


def _entry_id() -> str:
    """A time-ordered id that also keeps its order within one millisecond in this process (the
    ULID monotonic rule: one more than the last id), so a card's history reads in the order
    its changes happened."""
    with _entry_id_lock:
        candidate = new_id()
        if candidate <= _last_entry_id[0]:
            value = sum(CROCKFORD.index(ch) << (5 * i) for i, ch in enumerate(reversed(_last_entry_id[0]))) + 1
            candidate = "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(len(candidate))))
        _last_entry_id[0] = candidate
        return candidate


def _entry(kind: str, amount: int, balance_change: int, held_change: int, now: datetime, order_id: str | None,
           payment_id: str | None = None) -> CardEntry:
    return CardEntry(id=_entry_id(), type=kind, amount=amount, balance_change=balance_change, held_change=held_change,
                     order_id=order_id, payment_id=payment_id, created_at=now)


def hold_from(item: dict[str, Any]) -> Hold:
    return Hold.model_validate(item, strict=False)


def get_hold(user_id: str, card_id: str, order_id: str) -> Hold | None:
    item = dynamo.get(keys.card_hold(user_id, card_id, order_id), consistent=True)
    return hold_from(item) if item else None


def hold(user_id: str, card_id: str, order_id: str, amount: int, now: datetime, expires_at: datetime) -> Hold:
    """Move `amount` of a card's balance into a hold for one order, in one transaction with its
    history entry. `balance >= :amount` is the condition that keeps the balance from going
    negative, however many holds race."""
    held = Hold(card_id=card_id, order_id=order_id, amount=amount, status="held", expires_at=expires_at,
                created_at=now)
    items = [
        dynamo.tx_update(
            keys.coupon(user_id, card_id), "SET balance = balance - :amount, held = held + :amount",
            condition=("#kind = :card AND #status = :unused AND valid_from <= :now AND valid_until > :now "
                       "AND balance >= :amount"),
            names={"#kind": "kind", "#status": "status"},
            vals=dynamo.values(amount=amount, card="stored_value", unused="unused", now=iso(now)),
        ),
        dynamo.tx_put({**keys.card_hold(user_id, card_id, order_id), "entity": "hold", **held.model_dump(mode="json"),
                       **keys.lock_listing(iso(expires_at), keys.hold_holder(card_id, order_id))},
                      "attribute_not_exists(PK) OR #status = :released", names={"#status": "status"},
                      vals=dynamo.values(released="released")),
        _card_log_put(user_id, card_id, _entry("hold", amount, -amount, amount, now, order_id)),
    ]
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        if 1 in exc.failed:
            existing = hold_from(exc.failed[1]) if exc.failed[1] else get_hold(user_id, card_id, order_id)
            if existing is not None and existing.status == "held" and existing.amount == amount:
                return existing  # the same hold again: idempotent
            if existing is not None and existing.status == "held":
                raise AlreadyLocked(f"This order already holds {existing.amount} fen of this card; "
                                    "unlock it before holding another amount.") from exc
            raise InvalidState("This order has already paid with this card.") from exc
        old = exc.failed.get(0)
        if old is None:
            raise NotFound("No coupon with this id in your wallet.") from exc
        card = _coupon(old)
        reason = rules.unusable_reason(card, now, need_balance=False)
        if reason is None and card.kind == "stored_value":
            raise InsufficientBalance(f"The card's available balance is {card.balance} fen.",
                                      [{"coupon_id": card_id, "balance": card.balance}]) from exc
        reason = reason or "it is not a stored-value card"
        raise NotUsable(f"This card cannot be held: {reason}.", [{"coupon_id": card_id, "reason": reason}]) from exc
    return held


def release(user_id: str, held: Hold, now: datetime, only_lapsed: bool = False) -> bool:
    """Return a hold's amount to the card's balance. False when the hold is no longer `held` as
    read (released, spent, or replaced by a new hold of another amount meanwhile)."""
    condition = "#status = :held AND amount = :amount" + (" AND expires_at <= :now" if only_lapsed else "")
    items = [
        dynamo.tx_update(keys.card_hold(user_id, held.card_id, held.order_id),
                         "SET #status = :released, released_at = :now REMOVE GSI1PK, GSI1SK", condition=condition,
                         names={"#status": "status"},
                         vals=dynamo.values(held="held", released="released", amount=held.amount, now=iso(now))),
        dynamo.tx_update(keys.coupon(user_id, held.card_id), "SET balance = balance + :amount, held = held - :amount",
                         condition="attribute_exists(PK)", vals=dynamo.values(amount=held.amount)),
        _card_log_put(user_id, held.card_id, _entry("release", held.amount, held.amount, -held.amount, now,
                                                    held.order_id)),
    ]
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed:
        return False
    return True


def lapsed_holds(user_id: str, card_id: str, now: datetime) -> list[Hold]:
    """Holds of a card whose order neither paid nor gave them back in time."""
    items, _ = dynamo.query_page(
        partition_attr="PK", partition_value=keys.user_partition(user_id), key_attrs=("PK", "SK"),
        limit=100, cursor=None, sort_condition="begins_with(SK, :prefix)",
        filter_expression="#status = :held AND expires_at <= :now", names={"#status": "status"},
        vals=dynamo.values(prefix=keys.card_holds_prefix(card_id), held="held", now=iso(now)),
    )
    return [hold_from(i) for i in items]


def card_history(user_id: str, card_id: str, limit: int, cursor: str | None) -> tuple[list[CardEntry], str | None]:
    items, next_cursor = dynamo.query_page(
        partition_attr="PK", partition_value=keys.user_partition(user_id), key_attrs=("PK", "SK"),
        limit=limit, cursor=cursor, sort_condition="begins_with(SK, :prefix)",
        vals=dynamo.values(prefix=keys.card_log_prefix(card_id)),
    )
    return [CardEntry.model_validate(i, strict=False) for i in items], next_cursor


# --- redemption: payment, refund, revocation --------------------------------------------------

def _record_payment(user_id: str, payment_id: str, order_id: str, field: str, coupon_id: str) -> dict[str, Any]:
    """Add a coupon or card to what a payment used: the list a refund restores."""
    return dynamo.tx_update(
        keys.redemption(user_id, payment_id),
        f"SET entity = :entity, order_id = :order, payment_id = :payment ADD {field} :ids",
        vals=dynamo.values(entity="redemption", order=order_id, payment=payment_id, ids={coupon_id}),
    )


def get_redemption(user_id: str, payment_id: str) -> dict[str, Any] | None:
    return dynamo.get(keys.redemption(user_id, payment_id), consistent=True)


# A paid order uses a coupon it locked, whatever the clock says (the lock proved it usable and
# the shopper paid the discounted price); or one nobody holds now that is inside its validity.
_REDEEMABLE = ("#kind <> :card AND ((#status = :locked AND order_id = :order) OR "
               "((#status = :unused OR (#status = :locked AND lock_expires_at <= :now)) "
               "AND valid_from <= :now AND valid_until > :now))")


def redeem(user_id: str, coupon: Coupon, order_id: str, payment_id: str, now: datetime) -> Coupon | None:
    """Use one coupon for a payment, counting it on its template, in one transaction.

    Returns the used coupon (also when this payment had already used it: a redelivery), or
    None when it cannot be used by this payment (used by another, revoked, reserved by a live
    lock of another order, expired).
    """
    items = [
        dynamo.tx_update(
            keys.coupon(user_id, coupon.id),
            "SET #status = :used, order_id = :order, payment_id = :payment, used_at = :now "
            f"REMOVE lock_expires_at, locked_at, {_UNLIST_ALL}",
            condition=f"attribute_exists(PK) AND {_REDEEMABLE}", names={"#status": "status", "#kind": "kind"},
            vals=dynamo.values(used="used", locked="locked", unused="unused", card="stored_value", order=order_id,
                               payment=payment_id, now=iso(now)),
        ),
        dynamo.tx_update(keys.template(coupon.template_id), "SET redeemed = redeemed + :one",
                         condition="attribute_exists(PK)", vals=dynamo.values(one=1)),
        _record_payment(user_id, payment_id, order_id, "coupon_ids", coupon.id),
    ]
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        old = exc.failed.get(0)
        if old is not None and old.get("status") == "used" and old.get("payment_id") == payment_id:
            return _coupon(old)
        return None
    return get_coupon(user_id, coupon.id, consistent=True)


def restore(user_id: str, coupon_id: str, template_id: str, payment_id: str, now: datetime) -> Coupon | None:
    """Give a coupon used by a refunded payment back (unused) if it is still valid; returns it, also
    when an earlier delivery of the refund restored it, or None when it stays as it is. It is
    listed for expiry and for a reminder again (a coupon reminded before is not reminded twice:
    the reminder sweep checks `reminded_at`)."""
    listing, listing_vals = relist(coupon_id)
    reminder, reminder_vals = relist_reminder(coupon_id)
    items = [
        dynamo.tx_update(
            keys.coupon(user_id, coupon_id),
            f"SET #status = :unused, restored_from = :payment, restored_at = :now, {listing}, {reminder} "
            "REMOVE order_id, payment_id, used_at",
            condition="#status = :used AND payment_id = :payment AND valid_until > :now",
            names={"#status": "status"},
            vals=dynamo.values(unused="unused", used="used", payment=payment_id, now=iso(now), **listing_vals,
                               **reminder_vals),
        ),
        dynamo.tx_update(keys.template(template_id), "SET redeemed = redeemed - :one",
                         condition="redeemed >= :one", vals=dynamo.values(one=1)),
    ]
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        old = exc.failed.get(0)
        if old is not None and old.get("status") == "unused" and old.get("restored_from") == payment_id:
            return _coupon(old)
        return None
    return get_coupon(user_id, coupon_id, consistent=True)


def spend_hold(user_id: str, held: Hold, payment_id: str, now: datetime) -> bool:
    """Spend an order's hold for its payment. A hold still `held` (even past its expiry) is paid
    from the held amount; a hold that lapsed and was released is paid from the balance again,
    if the balance still covers it. False when the hold is not as read (the caller re-reads)."""
    lapsed = held.status == "released"
    card_update = (
        dynamo.tx_update(keys.coupon(user_id, held.card_id), "SET balance = balance - :amount",
                         condition="balance >= :amount", vals=dynamo.values(amount=held.amount))
        if lapsed else
        dynamo.tx_update(keys.coupon(user_id, held.card_id), "SET held = held - :amount",
                         condition="attribute_exists(PK)", vals=dynamo.values(amount=held.amount))
    )
    entry = (_entry("spend", held.amount, -held.amount, 0, now, held.order_id, payment_id) if lapsed
             else _entry("spend", held.amount, 0, -held.amount, now, held.order_id, payment_id))
    items = [
        dynamo.tx_update(keys.card_hold(user_id, held.card_id, held.order_id),
                         "SET #status = :spent, payment_id = :payment, spent_at = :now REMOVE GSI1PK, GSI1SK",
                         condition="#status = :was AND amount = :amount", names={"#status": "status"},
                         vals=dynamo.values(spent="spent", payment=payment_id, now=iso(now), was=held.status,
                                            amount=held.amount)),
        card_update,
        _card_log_put(user_id, held.card_id, entry),
        _record_payment(user_id, payment_id, held.order_id, "card_ids", held.card_id),
    ]
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        if 1 in exc.failed and 0 not in exc.failed:
            raise InsufficientBalance("The card no longer covers this order's lapsed hold.") from exc
        return False
    return True


def refund_hold(user_id: str, held: Hold, payment_id: str, now: datetime) -> bool:
    """Return what a refunded payment spent from a card to its balance; False if not spent by it."""
    items = [
        dynamo.tx_update(keys.card_hold(user_id, held.card_id, held.order_id),
                         "SET #status = :refunded, refunded_at = :now",
                         condition="#status = :spent AND payment_id = :payment", names={"#status": "status"},
                         vals=dynamo.values(refunded="refunded", spent="spent", payment=payment_id, now=iso(now))),
        dynamo.tx_update(keys.coupon(user_id, held.card_id), "SET balance = balance + :amount",
                         condition="attribute_exists(PK)", vals=dynamo.values(amount=held.amount)),
        _card_log_put(user_id, held.card_id, _entry("refund", held.amount, held.amount, 0, now, held.order_id,
                                                    payment_id)),
    ]
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed:
        return False
    return True


def revoke(user_id: str, coupon_id: str, now: datetime) -> Coupon | None:
    """unused (or locked, or stored as expired) -> revoked; a card only while untouched.
    Returns the revoked coupon (also when it was revoked before), or None when it cannot be
    revoked: used, or a card already drawn on."""
    try:
        item = dynamo.update(
            keys.coupon(user_id, coupon_id),
            f"SET #status = :revoked, revoked_at = :now REMOVE order_id, lock_expires_at, locked_at, {_UNLIST_ALL}",
            condition=("attribute_exists(PK) AND #status IN (:unused, :locked, :expired) "
                       "AND (#kind <> :card OR (balance = #value AND held = :zero))"),
            names={"#status": "status", "#kind": "kind", "#value": "value"},
            vals=dynamo.values(revoked="revoked", unused="unused", locked="locked", expired="expired",
                               card="stored_value", zero=0, now=iso(now)),
        )
    except dynamo.ConditionFailed as exc:
        old = exc.old
        if old is None:
            raise NotFound("No coupon with this id in this wallet.") from exc
        return _coupon(old) if old.get("status") == "revoked" else None
    return _coupon(item)


# --- codes ------------------------------------------------------------------------------------

def _batch(item: dict[str, Any]) -> CodeBatch:
    return CodeBatch.model_validate(item, strict=False)


def start_batch(batch: CodeBatch, now: datetime) -> CodeBatch:
    """Store a new code batch for a template that exists and has not ended; an existing batch
    with this id (a retry, a resumed run) is returned as it is, with its progress."""
    items = [
        dynamo.tx_check(keys.template(batch.template_id), "attribute_exists(PK) AND #status <> :ended",
                        names={"#status": "status"}, vals=dynamo.values(ended="ended")),
        dynamo.tx_put({**keys.code_batch(batch.template_id, batch.id), "entity": "code_batch",
                       **batch.model_dump(mode="json")}, "attribute_not_exists(PK)"),
    ]
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        if 1 in exc.failed:
            existing = exc.failed[1] or dynamo.get(keys.code_batch(batch.template_id, batch.id), consistent=True)
            return _batch(existing)
        if exc.failed.get(0) is None:
            raise NotFound("No template with this id.") from exc
        raise InvalidState("This template has ended; it takes no new codes.") from exc
    return batch


class CodeCollision(Exception):
    """Some drawn codes exist already (by position in the list given); nothing was written."""

    def __init__(self, positions: list[int]) -> None:
        super().__init__(f"codes at {positions} exist already")
        self.positions = positions


class BatchMoved(Exception):
    """Another writer advanced this batch first; `minted` is where it stands now."""

    def __init__(self, minted: int) -> None:
        super().__init__(f"batch is at {minted}")
        self.minted = minted


MAX_CODES_PER_WRITE = 99  # TransactWriteItems takes 100 items: the batch counter and 99 codes


def add_codes(batch: CodeBatch, texts: list[str], minted: int, now: datetime) -> int:
    """Write up to 99 new codes with `attribute_not_exists` and advance the batch from `minted`,
    all or nothing. Returns the batch's new count. Raises CodeCollision naming the codes that
    exist already, BatchMoved when another writer advanced the batch first."""
    if not 1 <= len(texts) <= MAX_CODES_PER_WRITE or minted + len(texts) > batch.count:
        raise ValueError("a write adds 1-99 codes and never passes the batch's count")
    items = [dynamo.tx_update(keys.code_batch(batch.template_id, batch.id), "SET minted = minted + :n",
                              condition="minted = :minted", vals=dynamo.values(n=len(texts), minted=minted))]
    for text in texts:
        code = Code(code=text, template_id=batch.template_id, batch_id=batch.id, status="new", created_at=now)
        items.append(dynamo.tx_put(
            {**keys.code(text), **keys.code_listing(batch.template_id, batch.id, text), "entity": "code",
             **code.model_dump(mode="json")},
            "attribute_not_exists(PK)",
        ))
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        collisions = sorted(pos - 1 for pos in exc.failed if pos > 0)
        if collisions:
            raise CodeCollision(collisions) from exc
        current = exc.failed.get(0) or dynamo.get(keys.code_batch(batch.template_id, batch.id), consistent=True)
        raise BatchMoved(int(current["minted"])) from exc
    return minted + len(texts)


def get_code(code_text: str) -> Code | None:
    item = dynamo.get(keys.code(code_text), consistent=True)
    return Code.model_validate(item, strict=False) if item else None


def list_codes(template_id: str, batch_id: str | None, limit: int, cursor: str | None) -> tuple[list[Code], str | None]:
    """A template's codes, batch by batch (in batch-id order), by code within a batch."""
    items, next_cursor = dynamo.query_page(
        index=keys.CODES_INDEX, partition_attr="GSI1PK", partition_value=keys.code_partition(template_id),
        key_attrs=("GSI1PK", "GSI1SK", "PK", "SK"), limit=limit, cursor=cursor, newest_first=False,
        sort_condition="begins_with(GSI1SK, :batch)" if batch_id else None,
        vals=dynamo.values(batch=f"{batch_id}#") if batch_id else None,
    )
    return [Code.model_validate(i, strict=False) for i in items], next_cursor


def granted(template_id: str, grant_ref: str) -> Coupon | None:
    """The coupon an earlier grant with this reference issued, if there was one."""
    marker = dynamo.get(keys.grant_marker(template_id, grant_ref), consistent=True)
    return get_coupon(marker["user_id"], marker["coupon_id"], consistent=True) if marker else None
