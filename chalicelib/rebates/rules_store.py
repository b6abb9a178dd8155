"""DynamoDB storage of rebate rules and their totals.

A rule's totals (`RuleTotals`) move in the transaction of the grant or clawback that
causes them (`totals_update`, named `totals`): on the payment's shard of the rule's totals,
or on the rule item itself for a rule with a budget (its budget counter writes that item
anyway). Reading a rule sums the item and its shards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib import dynamo, idempotency, lifecycle_store
from chalicelib.audit import store as audit_store
from chalicelib.audit.models import Change
from chalicelib.clock import iso
from chalicelib.idempotency import Idempotency
from chalicelib.lifecycle import Moved, refusal
from chalicelib.rebates import keys
from chalicelib.rebates.models import Rebate, Rule, RuleView, Stale

TOTAL_FIELDS = ("rebated_payments", "rebate_cost", "sales_driven", "rewards_not_granted")
# `rewards_not_granted` by reason: one top-level attribute per refusal code (ADD takes no map path),
# e.g. `not_granted_by_SOLD_OUT`, moved with `rewards_not_granted` in the same transaction.
BY_REASON_PREFIX = "not_granted_by_"
RULE, TOTALS = "rule", "totals"  # their names among a transaction's items
LIVE_SK = "live_sk"  # the rule's own copy of its live listing sort key, for publishing


@dataclass(frozen=True)
class TotalsChange:
    """Signed changes of one rule's totals (`RuleTotals`) caused by one payment."""

    rebated_payments: int = 0
    rebate_cost: int = 0
    sales_driven: int = 0
    rewards_not_granted: int = 0
    not_granted_reason: str | None = None  # the refusal's code, counted with `rewards_not_granted`

    def deltas(self) -> dict[str, int]:
        """The fields that change (an ADD of 0 would only add an attribute)."""
        deltas = {name: getattr(self, name) for name in TOTAL_FIELDS if getattr(self, name)}
        if self.rewards_not_granted and self.not_granted_reason:
            deltas[BY_REASON_PREFIX + self.not_granted_reason] = self.rewards_not_granted
        return deltas


def add(deltas: dict[str, int]) -> str:
    """` ADD a :a, b :b` for `deltas` (their values passed as `:a`, `:b`)."""
    return " ADD " + ", ".join(f"{name} :{name}" for name in deltas) if deltas else ""


def _rule_item(rule: Rule) -> dict[str, Any]:
    data = rule.model_dump(mode="json")
    item = {**keys.rule(rule.id), **keys.rule_listing(data["created_at"], rule.id), "entity": "rebate_rule", **data}
    item[LIVE_SK] = keys.live_rule_sort(data["ends_at"], rule.id)
    if rule.status == "published":
        item.update(keys.live_rule_listing(data["ends_at"], rule.id))
    return item


def _with_totals(items: list[dict[str, Any]]) -> list[RuleView]:
    """Rule items with their totals: what the item holds (grants of a rule with a budget)
    plus its shards (everything else). Shards are read eventually consistently: a total may
    lag a grant by a moment, never lose it."""
    totals: dict[str, dict[str, Any]] = {item["id"]: {name: 0 for name in TOTAL_FIELDS} for item in items}
    by_reason: dict[str, dict[str, int]] = {item["id"]: {} for item in items}
    shards = dynamo.batch_get([key for item in items for key in keys.rule_stats_shards(item["id"])])
    for rule_id, found in [(item["id"], item) for item in items] + [(shard["rule_id"], shard) for shard in shards]:
        for name in TOTAL_FIELDS:
            totals[rule_id][name] += int(found.get(name, 0))
        for name, value in found.items():
            if name.startswith(BY_REASON_PREFIX):
                reason = name.removeprefix(BY_REASON_PREFIX)
                by_reason[rule_id][reason] = by_reason[rule_id].get(reason, 0) + int(value)
    return [RuleView.model_validate({**item, **totals[item["id"]], "rewards_not_granted_by_reason": by_reason[item["id"]]})
            for item in items]


def create_rule(rule: RuleView, idem: Idempotency | None, audit: Change | None = None) -> None:
    idempotency.transact({RULE: dynamo.tx_put(_rule_item(rule), keys.NEW), **audit_store.items(audit)},
                         idem, rule.model_dump(mode="json"))


def get_rule(rule_id: str) -> RuleView | None:
    item = dynamo.get(keys.rule(rule_id), consistent=True)
    return _with_totals([item])[0] if item else None


def list_rules(status: str | None, limit: int, cursor: str | None) -> tuple[list[RuleView], str | None]:
    index = keys.RULES
    items, next_cursor = dynamo.query_page(
        index=index.name, partition_attr=index.pk, partition_value=keys.RULES_PARTITION,
        key_attrs=index.key_attrs, limit=limit, cursor=cursor,
        filter_expression="#status = :status" if status else None,
        names={"#status": "status"} if status else None,
        vals=dynamo.values(status=status) if status else None,
    )
    return _with_totals(items), next_cursor


def change_rule_status(rule_id: str, action: str, now: datetime, seen: str, audit: Change) -> None:
    """Apply a state-machine action if, at the moment of the write, the rebate rule is still in
    status `seen` and allows it, with its audit entry (lifecycle_store.apply_audited)."""
    _live_cache.clear()  # this process's next quote reads the change (others within the cache's age)
    lifecycle_store.apply_audited(keys.rule(rule_id), action, now, seen, audit, noun="rebate rule",
                                  listed=keys.LIVE_RULES, listed_partition=keys.LIVE_RULES_PARTITION,
                                  listed_sk_attribute=LIVE_SK)


def publish_rule(rule_id: str, now: datetime, seen: str, audit: Change, also: dict[str, dict[str, Any]]) -> None:
    """Publish a rule if, at the moment of the write, its status is still `seen` (the status it
    was read with) and allows it, and every named item of `also` (the settings' ConditionCheck)
    still holds, with its audit entry; the first publication's time is kept (`published_at`:
    rules share the return cap in that order). Raises NotFound or InvalidState for the rule,
    lifecycle.Moved when its status moved since it was read, `Stale` when only `also` failed."""
    expression, condition, names, vals = lifecycle_store.status_write(
        "publish", now, listed=keys.LIVE_RULES, listed_partition=keys.LIVE_RULES_PARTITION, listed_sk_attribute=LIVE_SK)
    condition, vals = lifecycle_store.seen_status(condition, vals, seen)
    _live_cache.clear()
    try:
        dynamo.transact({RULE: dynamo.tx_update(keys.rule(rule_id), expression + ", published_at = if_not_exists("
                                                "published_at, :now)", condition=condition, names=names, vals=vals),
                         **audit_store.items(audit), **also})
    except dynamo.ConditionFailed as exc:
        if RULE in exc.failed:
            old = exc.failed[RULE]
            if old is not None and old.get("status") != seen:
                raise Moved() from exc
            raise refusal(old, "publish", "rebate rule") from exc
        raise Stale() from exc


def live_rules_at(moment: datetime) -> list[Rule]:
    """Published rules whose window holds `moment` (a sparse index: published rules only). A
    rule without `starts_at` or `ends_at` has no such attribute (absent, not null): its window
    is open at that side."""
    index = keys.LIVE_RULES
    rules: list[Rule] = []
    cursor: str | None = None
    while True:
        items, cursor = dynamo.query_page(
            index=index.name, partition_attr=index.pk, partition_value=keys.LIVE_RULES_PARTITION,
            key_attrs=index.key_attrs, limit=100, cursor=cursor, newest_first=False,
            sort_condition=keys.LIVE_CONDITION,
            filter_expression=("(attribute_not_exists(starts_at) OR starts_at <= :at) "
                               "AND (attribute_not_exists(ends_at) OR ends_at > :at)"),
            vals=dynamo.values(at=iso(moment)),
        )
        rules.extend(Rule.model_validate(i) for i in items)
        if cursor is None:
            return rules


def totals_update(rebate: Rebate, totals: TotalsChange, now: datetime) -> dict[str, dict[str, Any]]:
    """Add `totals` to the payment's shard of its rule's totals (an unconditional ADD: the
    transaction's once-only condition on the rebate is what makes it count once), as the
    transaction item `totals`."""
    return {TOTALS: dynamo.tx_update(
        keys.rule_stats(rebate.rule_id, rebate.payment_ref),
        "SET entity = :entity, rule_id = :rule_id, updated_at = :now" + add(totals.deltas()),
        vals=dynamo.values(entity="rebate_rule_totals", rule_id=rebate.rule_id, now=iso(now), **totals.deltas()),
    )}


_live_cache: dict[str, tuple[datetime, list[Rule]]] = {}


def live_rules_cached(now: datetime, max_age: timedelta) -> tuple[datetime, list[Rule]]:
    """(when they were read, the rules live then) as of at most `max_age` before `now`, per table;
    a status change made by this process empties the cache. Quotes and offers read this;
    settlement reads `live_rules_at(paid_at)` itself."""
    cached = _live_cache.get(dynamo.table_name())
    if cached is None or not timedelta(0) <= now - cached[0] < max_age:
        cached = _live_cache[dynamo.table_name()] = (now, live_rules_at(now))
    return cached


def clear_cache() -> None:
    _live_cache.clear()
