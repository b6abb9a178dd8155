"""DynamoDB storage of templates: the template item, its stock shards, its status writes and
its claims counted by hour (keys.py has the formats)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import dynamo, idempotency, lifecycle, lifecycle_store
from chalicelib.audit import store as audit_store
from chalicelib.audit.models import Change
from chalicelib.clock import iso
from chalicelib.coupons import keys, rules
from chalicelib.coupons.models import Template
from chalicelib.coupons.refused import Refused
from chalicelib.idempotency import Idempotency
from chalicelib.indexes import ITEM_ABSENT, ITEM_EXISTS


def template_item(template: Template) -> dict[str, Any]:
    data = template.model_dump(mode="json", exclude={"remaining"})
    item = {**keys.template(template.id), **keys.template_listing(data["created_at"], template.id),
            "entity": "template", **data, "draft_version": template.draft_version}
    item["claimable_sk"] = keys.claimable_sort_key(data["claim_ends_at"], template.id)
    if template.status == "published":
        item.update(keys.claimable_listing(data["claim_ends_at"], template.id))
    return item


def template_from(item: dict[str, Any]) -> Template:
    return Template.model_validate(item, strict=False)


def shard_items(template: Template) -> list[dict[str, Any]]:
    """The stock shards of a sharded template, as created. Each carries what a claim's condition
    needs (status, window, channel) besides its stock, so a claim writes a shard and never
    touches the template item: the template's partition stays cold however hot the sale."""
    data = template.model_dump(mode="json", include={"status", "claim_starts_at", "claim_ends_at", "claim_channel"})
    return [{**keys.stock_shard(template.id, shard), "entity": "stock_shard", "template_id": template.id,
             "shard": shard, "allocation": allocation, "claimed": 0, **data}
            for shard, allocation in enumerate(rules.shard_allocations(template.total_stock, template.stock_shards))]


def create_template(template: Template, idem: Idempotency | None, audit: Change | None = None) -> None:
    """One transaction: the template and, for a sharded one, every stock shard (at most 50)
    [, its audit entry]."""
    items = {"template": dynamo.tx_put(template_item(template), ITEM_ABSENT), **audit_store.items(audit)}
    if template.stock_shards > 1:
        items.update(dynamo.numbered("shard", (dynamo.tx_put(shard, ITEM_ABSENT)
                                               for shard in shard_items(template))))
    idempotency.transact(items, idem, template.model_dump(mode="json"))


def get_template(template_id: str, consistent: bool = False) -> Template | None:
    """The template item. A sharded template's `claimed` lives on its shards (0 here): use
    `with_claim_counts` where the count matters."""
    item = dynamo.get(keys.template(template_id), consistent=consistent)
    return template_from(item) if item else None


def shard_keys(template: Template) -> list[dict[str, str]]:
    return [keys.stock_shard(template.id, shard) for shard in range(template.stock_shards)]


def with_claim_counts(templates: list[Template], consistent: bool) -> list[Template]:
    """The templates with `claimed` summed over their stock shards, read in one BatchGetItem for
    the whole list (100 keys per request); unsharded templates pass through unread."""
    sharded = [t for t in templates if t.stock_shards > 1]
    if not sharded:
        return templates
    claimed: dict[str, int] = {t.id: 0 for t in sharded}
    for item in dynamo.batch_get([k for t in sharded for k in shard_keys(t)], consistent=consistent):
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


def list_templates(status: str | None, now: datetime, limit: int, cursor: str | None,
                   name_part: str | None = None) -> tuple[list[Template], str | None]:
    """Newest first, optionally only those in `status` at `now` and whose name contains `name_part`."""
    conditions: list[str] = []
    vals: dict[str, Any] = {}
    names: dict[str, str] = {}
    if status:
        condition, vals = _status_filter(status, now)
        conditions.append(f"({condition})")
        names["#status"] = "status"
    if name_part:
        conditions.append("contains(#name, :name_part)")
        vals, names = {**vals, "name_part": name_part}, {**names, "#name": "name"}
    items, next_cursor = dynamo.query_page(
        index=keys.ADMIN.name, partition_attr=keys.ADMIN.pk, partition_value=keys.TEMPLATES_PARTITION,
        key_attrs=keys.ADMIN.key_attrs, limit=limit, cursor=cursor,
        filter_expression=" AND ".join(conditions) or None, names=names or None,
        vals=dynamo.values(**vals) if vals else None,
    )
    return [template_from(i) for i in items], next_cursor


# A draft that has issued nothing: no coupon granted from it (a sharded template counts on its
# shards, conditioned one by one), no code batch minted for it (`has_codes`, set by minting).
UNISSUED_DRAFT = f"{ITEM_EXISTS} AND #status = :draft AND claimed = :zero AND attribute_not_exists(has_codes)"
UNISSUED_SHARD = f"{ITEM_EXISTS} AND claimed = :zero"


def has_codes(template_id: str) -> bool:
    """Whether a code batch was ever minted for the template (minting_store sets `has_codes`)."""
    item = dynamo.get(keys.template(template_id), consistent=True)
    return bool(item and item.get("has_codes"))


def draft_seen(template: Template) -> tuple[str, dict[str, Any]]:
    """A condition that the template item is still at the `draft_version` it was read with (absent
    on templates stored before versions: version 0), and its values."""
    if template.draft_version == 0:
        return "(attribute_not_exists(draft_version) OR draft_version = :seen_version)", {"seen_version": 0}
    return "draft_version = :seen_version", {"seen_version": template.draft_version}


def replace_draft(before: Template, after: Template, audit: Change) -> None:
    """One transaction: the template item replaced by `after` (its `draft_version` one more),
    pinned on `before`'s version (what the audit entry's `before` shows) and on being a draft that
    issued nothing; its stock shards rewritten to `after`'s (the old ones beyond
    `after.stock_shards` deleted: at most 50 items in all, as shards are); the audit entry.
    Refused (`template`, or `shard<n>`: a grant reached it)."""
    seen, seen_vals = draft_seen(before)
    vals = dynamo.values(draft="draft", zero=0, **seen_vals)
    items = {"template": dynamo.tx_put(template_item(after), f"{UNISSUED_DRAFT} AND {seen}",
                                       names={"#status": "status"}, vals=vals)}
    new_shards = shard_items(after) if after.stock_shards > 1 else []
    old_keys = shard_keys(before) if before.stock_shards > 1 else []
    items.update(dynamo.numbered("shard", [
        *(dynamo.tx_put(shard, f"{ITEM_ABSENT} OR claimed = :zero",
                        vals=dynamo.values(zero=0)) for shard in new_shards),
        *(dynamo.tx_delete(key, UNISSUED_SHARD, vals=dynamo.values(zero=0)) for key in old_keys[len(new_shards):]),
    ]))
    _transact_refused({**items, **audit_store.items(audit)})


def delete_draft(template: Template, audit: Change) -> None:
    """One transaction: the template item and its stock shards deleted, on condition that it is
    still the draft that was read (`draft_version`) and issued nothing; the audit entry."""
    seen, seen_vals = draft_seen(template)
    vals = dynamo.values(draft="draft", zero=0, **seen_vals)
    items = {"template": dynamo.tx_delete(keys.template(template.id), f"{UNISSUED_DRAFT} AND {seen}",
                                          names={"#status": "status"}, vals=vals)}
    if template.stock_shards > 1:
        items.update(dynamo.numbered("shard", (dynamo.tx_delete(key, UNISSUED_SHARD, vals=dynamo.values(zero=0))
                                               for key in shard_keys(template))))
    _transact_refused({**items, **audit_store.items(audit)})


def _transact_refused(items: dict[str, dict[str, Any]]) -> None:
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        raise Refused(exc.failed) from exc


# Past its claim window a template can only be ended (it already shows as ended).
WINDOW_OPEN = "claim_ends_at > :now"
WINDOW_CLOSED = "claim_ends_at <= :now"


def change_status(template: Template, action: str, now: datetime, also: str | None,
                  audit: Change | None = None) -> Template:
    """Apply a state-machine action if, at the moment of the write, the template's status allows
    it and the further condition `also` (which may use `:now`) holds. Returns the template after
    the write; raises Refused (`template`: the item as it was) otherwise.

    With `audit`, the write also requires the status still be `template.status` (the `before`
    of the entry) and the entry commits in the same transaction.

    A sharded template's shards carry its status (claims check it there), so they move in the
    same transaction as the template: claims never see the two disagree.
    """
    key = keys.template(template.id)
    expression, condition, names, vals = lifecycle_store.status_write(
        action, now, also=also, listed=keys.CLAIMABLE, listed_partition=keys.CLAIMABLE_PARTITION, listed_sk_attribute="claimable_sk")
    if audit is not None:
        condition, vals = lifecycle_store.seen_status(condition, vals, template.status)
    if template.stock_shards == 1 and audit is None:
        try:
            return template_from(dynamo.update(key, expression, condition=condition, names=names, vals=vals))
        except dynamo.ConditionFailed as exc:
            raise Refused({"template": exc.old}) from exc
    target = lifecycle.TRANSITIONS[action][1]
    items = {"template": dynamo.tx_update(key, expression, condition=condition, names=names, vals=vals)}
    if template.stock_shards > 1:
        items.update(dynamo.numbered("shard", (
            dynamo.tx_update(shard, "SET #status = :target", condition=ITEM_EXISTS,
                             names={"#status": "status"}, vals=dynamo.values(target=target))
            for shard in shard_keys(template))))
    try:
        dynamo.transact({**items, **audit_store.items(audit)})
    except dynamo.ConditionFailed as exc:
        if "template" not in exc.failed:
            raise
        raise Refused({"template": exc.failed.get("template")}) from exc
    item = dynamo.get(key, consistent=True)
    assert item is not None, "a template is never deleted"
    return template_from(item)


def end_lapsed(item: dict[str, Any], now: datetime) -> bool:
    """The end-templates job's write: a template (with its shards) whose claim window closed by
    `now` is stored as ended; False when an operator ended it first."""
    try:
        change_status(template_from(item), "end", now, also=WINDOW_CLOSED)
    except Refused:
        return False
    return True


def claims_by_hour(template: Template, first_hour: str, last_hour: str) -> dict[str, tuple[int, int]]:
    """(claims, redemptions) per hour from `first_hour` to `last_hour` (both included), summed
    over the stock shards: one Query per shard (at most 50), each reading only the hours asked
    for (redemptions count on shard 0)."""
    counts: dict[str, tuple[int, int]] = {}
    for shard in range(template.stock_shards):
        for item in dynamo.items_between(keys.claim_stats_partition(template.id, shard),
                                         keys.claim_stats_sort_key(first_hour), keys.claim_stats_sort_key(last_hour)):
            claimed, redeemed = counts.get(item["hour"], (0, 0))
            counts[item["hour"]] = (claimed + int(item.get("claimed", 0)), redeemed + int(item.get("redeemed", 0)))
    return counts


def add_stock(template: Template, add: int, audit: dict[str, dict[str, Any]]) -> None:
    """One transaction: `total_stock` + `add` on the template while it is draft or published,
    and for a sharded template each shard's `allocation` + its share of `add`
    (rules.shard_allocations: spread as creation spreads stock, the first shards one more), with
    the `audit` items. A claim's condition reads `claimed < allocation` (or `total_stock`) at its
    own write, so raising them never lets a racing claim oversell. Refused (`template`) when the
    template is absent or in another status."""
    items = {"template": dynamo.tx_update(
        keys.template(template.id), "SET total_stock = total_stock + :add",
        condition=f"{ITEM_EXISTS} AND #status IN (:draft, :published)", names={"#status": "status"},
        vals=dynamo.values(add=add, draft="draft", published="published"))}
    if template.stock_shards > 1:
        items.update(dynamo.numbered("shard", (
            dynamo.tx_update(keys.stock_shard(template.id, shard), "SET allocation = allocation + :add",
                             condition=ITEM_EXISTS, vals=dynamo.values(add=part))
            for shard, part in enumerate(rules.shard_allocations(add, template.stock_shards)) if part)))
    try:
        dynamo.transact({**items, **audit})
    except dynamo.ConditionFailed as exc:
        raise Refused({"template": exc.failed.get("template")}) from exc
