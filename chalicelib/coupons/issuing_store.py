"""DynamoDB storage of issuing: the claims counters, the transactions that take a unit of stock
and store a coupon (claims, code claims, grants), the stock shards' counts, grant markers.

Every limit is a condition evaluated by DynamoDB: stock (`claimed < total_stock` on the
template, or `claimed < allocation` on one stock shard of a sharded template), the per-user
limit, the template's status and claim window. A refused transaction raises Refused naming
the refused items, each with the item as it was; issuing.py explains it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import dynamo, idempotency
from chalicelib.clock import iso
from chalicelib.coupons import cards, keys, rules, templates_store, wallet_store
from chalicelib.coupons.cards_store import card_log_put
from chalicelib.coupons.models import ClaimChannel, Coupon, Template
from chalicelib.coupons.refused import Refused
from chalicelib.idempotency import Idempotency
from chalicelib.indexes import ITEM_ABSENT, ITEM_EXISTS

# The names of the items every way of issuing shares (see `_issue_items`).
STOCK, USER_CLAIMS = "stock", "user_claims"
TERMS = "terms"  # a grant from a draft: the template is still the draft it was read as


def list_claimable(now: datetime, limit: int, cursor: str | None) -> tuple[list[Template], str | None]:
    """Published templates whose window is open now and that have stock left (sparse index), open
    to claims or for sale (a `price`). The stock filter sees only the template item: a sharded
    template passes it (its count is on its shards) and is judged after `with_claim_counts`."""
    items, next_cursor = dynamo.query_page(
        index=keys.CLAIMABLE.name, partition_attr=keys.CLAIMABLE.pk, partition_value=keys.CLAIMABLE_PARTITION,
        key_attrs=keys.CLAIMABLE.key_attrs, limit=limit, cursor=cursor, newest_first=False,
        sort_condition=f"{keys.CLAIMABLE.sk} > :now",
        filter_expression=("claim_starts_at <= :now AND claimed < total_stock "
                           "AND (attribute_not_exists(claim_channel) OR claim_channel = :open "
                           "OR attribute_exists(price))"),
        vals=dynamo.values(now=iso(now), open="open"),
    )
    return [templates_store.template_from(i) for i in items], next_cursor


def claimed_counts(user_id: str, template_ids: list[str]) -> dict[str, int]:
    """How many of each template the user has claimed (one BatchGetItem)."""
    found = dynamo.batch_get([keys.user_claims(user_id, t) for t in template_ids])
    return {item["template_id"]: item["claimed"] for item in found}


def shard_remaining(template: Template, consistent: bool) -> dict[int, int]:
    """Units left on each shard of a sharded template (one BatchGetItem). A shard missing from
    an eventually consistent read (created an instant ago) counts as full."""
    allocations = rules.shard_allocations(template.total_stock, template.stock_shards)
    left = dict(enumerate(allocations))
    for item in dynamo.batch_get(templates_store.shard_keys(template), consistent=consistent):
        left[item["shard"]] = item["allocation"] - item["claimed"]
    return left


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
    return (f"{ITEM_EXISTS} AND #status <> :ended AND claim_ends_at > :now AND claimed < #stock",
            {"ended": "ended", "now": iso(now)})


def _stock_key(template: Template, shard: int) -> tuple[dict[str, str], str]:
    """The item a claim takes its unit from, and the name of its stock limit."""
    if template.stock_shards == 1:
        return keys.template(template.id), "total_stock"
    return keys.stock_shard(template.id, shard), "allocation"


def _issue_items(template: Template, coupon: Coupon, user_id: str, now: datetime, shard: int,
                 template_condition: tuple[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Take one unit of stock (from the template, or from stock shard `shard`), count the coupon
    against the user's limit, store it (and a card's first history entry), and count it in its
    hour: the items every way of issuing a coupon shares. The hourly count rides in its own
    partition, one per shard, so it is never hotter than the stock it counts."""
    condition, condition_vals = template_condition
    stock_key, stock_attr = _stock_key(template, shard)
    items = {
        STOCK: dynamo.tx_update(
            stock_key, "SET claimed = claimed + :one", condition=condition,
            names={"#status": "status", "#stock": stock_attr}, vals=dynamo.values(one=1, **condition_vals),
        ),
        USER_CLAIMS: dynamo.tx_update(
            keys.user_claims(user_id, template.id), "SET template_id = :tid ADD claimed :one",
            condition="attribute_not_exists(claimed) OR claimed < :limit",
            vals=dynamo.values(tid=template.id, one=1, limit=template.per_user_limit),
        ),
        "coupon": dynamo.tx_put(wallet_store.coupon_item(user_id, coupon), ITEM_ABSENT),
    }
    if coupon.kind == "stored_value":
        items["card_entry"] = card_log_put(user_id, coupon.id, rules.issue_entry(coupon, cards.entry_id(), now))
    hour = iso(rules.hour_of(now))
    items["hour"] = dynamo.tx_update(
        keys.claim_stats(template.id, shard, hour), "SET template_id = :tid, #shard = :shard, #hour = :hour "
        "ADD claimed :one", names={"#shard": "shard", "#hour": "hour"},
        vals=dynamo.values(tid=template.id, shard=shard, hour=hour, one=1),
    )
    return items


def stock_view(template: Template, old: dict[str, Any]) -> Template:
    """The template as a refused stock item saw it: the template item itself, or, for a shard,
    the template with the shard's status, count and allocation (what the shard's condition read)."""
    if template.stock_shards == 1:
        return templates_store.template_from(old)
    return template.model_copy(update={"status": old["status"], "claimed": old["claimed"],
                                       "total_stock": old["allocation"]})


def _transact(items: dict[str, dict[str, Any]], idem: Idempotency | None, body: Any) -> None:
    try:
        idempotency.transact(items, idem, body)
    except dynamo.ConditionFailed as exc:
        raise Refused(exc.failed) from exc


def claim(template: Template, coupon: Coupon, user_id: str, now: datetime, idem: Idempotency | None,
          shard: int = 0) -> None:
    """One transaction: take one unit of stock, count the user's claim, store the coupon, count
    the hour. Refused names `stock` or `user_claims`."""
    items = _issue_items(template, coupon, user_id, now, shard, _claim_condition(("open",), now))
    _transact(items, idem, coupon.model_dump(mode="json"))


def claim_items(template: Template, coupon: Coupon, user_id: str, now: datetime,
                shard: int = 0) -> dict[str, dict[str, Any]]:
    """A claim's items, for another domain's transaction (coupons/exchanging.py): `stock`,
    `user_claims`, `coupon`, `hour` (and `card_entry`), with the claim's conditions."""
    return _issue_items(template, coupon, user_id, now, shard, _claim_condition(("open",), now))


CODE_CHANNELS: tuple[ClaimChannel, ...] = ("open", "code")


def claim_code(code_text: str, template: Template, coupon: Coupon, user_id: str, now: datetime,
               idem: Idempotency | None, shard: int = 0) -> None:
    """One transaction: mark the code claimed (only if it is new), then issue as a claim does.
    Refused names `code`, `stock` or `user_claims`."""
    items = {
        "code": dynamo.tx_update(
            keys.code(code_text), "SET #status = :claimed, claimed_by = :uid, coupon_id = :cid, claimed_at = :now",
            condition="#status = :new", names={"#status": "status"},
            vals=dynamo.values(claimed="claimed", new="new", uid=user_id, cid=coupon.id, now=iso(now)),
        ),
        **_issue_items(template, coupon, user_id, now, shard, _claim_condition(CODE_CHANNELS, now)),
    }
    _transact(items, idem, coupon.model_dump(mode="json"))


def grant(template: Template, coupon: Coupon, user_id: str, grant_ref: str, now: datetime, shard: int = 0) -> None:
    """Issue `coupon` with the marker of the grant `grant_ref`, written with `attribute_not_exists`
    in the same transaction. Refused names `marker` (the grant happened before), `stock` or
    `user_claims`."""
    marker = {**keys.grant_marker(template.id, grant_ref), "entity": "grant", "template_id": template.id,
              "user_id": user_id, "coupon_id": coupon.id, "created_at": iso(now)}
    condition = _grant_condition(now)
    unchanged, unchanged_vals = _draft_unchanged(template)
    if template.status == "draft" and template.stock_shards == 1:  # the stock item is the template item
        condition = f"{condition[0]} AND {unchanged}", {**condition[1], **unchanged_vals}
    items = {"marker": dynamo.tx_put(marker, ITEM_ABSENT),
             **_issue_items(template, coupon, user_id, now, shard, condition)}
    if template.status == "draft" and template.stock_shards > 1:
        items[TERMS] = dynamo.tx_check(keys.template(template.id), unchanged, names={"#status": "status"},
                                       vals=dynamo.values(**unchanged_vals))
    _transact(items, None, None)


def _draft_unchanged(template: Template) -> tuple[str, dict[str, Any]]:
    """A draft's terms may still change (templates.replace_draft, which needs `claimed = 0`): a
    grant from a draft holds only while the template is the draft version the coupon's terms were
    copied from. Publishing moves the status, never the terms: a template no longer draft passes."""
    seen, vals = templates_store.draft_seen(template)
    return f"(#status <> :draft OR {seen})", {"draft": "draft", **vals}


def terms_changed(refused: Refused, template: Template) -> bool:
    """Whether a refused grant from a draft met the draft edited since it was read."""
    if TERMS in refused.failed:
        return True
    old = refused.old(STOCK)
    return (template.status == "draft" and template.stock_shards == 1 and old is not None
            and old.get("status") == "draft" and int(old.get("draft_version", 0)) != template.draft_version)


def granted(template_id: str, grant_ref: str) -> Coupon | None:
    """The coupon an earlier grant with this reference issued, if there was one."""
    marker = dynamo.get(keys.grant_marker(template_id, grant_ref), consistent=True)
    return wallet_store.get_coupon(marker["user_id"], marker["coupon_id"], consistent=True) if marker else None
