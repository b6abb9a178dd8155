"""DynamoDB storage of rebate rules, payments, rebates, refunds, accounts, ledgers, withdrawals.

Every limit and every once-only effect is a condition evaluated by DynamoDB:
- once only: the record of an effect (`EVT#`, `PAY#`, `REBATE#`, `REFUND#`) is put with
  `attribute_not_exists` in the same transaction as the effect, so a redelivery or a
  racing duplicate fails on it (`AlreadyDone`) and changes nothing;
- caps: each counter is updated with `used <= cap - amount`, so racing payments never
  push it over the cap;
- values the service computed from (an account's debt, a balance being debited, a rebate's
  clawed amount, a pending instalment's amount) are pinned with `attribute = :seen`; when a
  concurrent writer got there first the transaction fails with `Stale` and the service
  reads again and recomputes. Nothing is decided by a read that the write does not check.
Every change of balance, frozen, points or debt is written with its ledger entries in the
same transaction (`_account_items`), and every change of a rule's totals (`RuleTotals`) in
the transaction of the grant or clawback that causes it (`_totals_update`). The programme's
totals (`ProgrammeChange`: each payment once, whatever rules it earned under) move in the
transaction whose once-only record makes the change happen once: the payment's, a rebate's,
a refund's, a clawback's, a voucher's revocation (`_programme_update`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from chalicelib import dynamo, lifecycle_store
from chalicelib.clock import iso
from chalicelib.errors import InsufficientBalance, InvalidState, NotFound
from chalicelib.idempotency import Idempotency, Replay
from chalicelib.rebates import keys
from chalicelib.rebates.models import (
    AccountChange, Stale,
    Instalment, InstalmentRecord, LedgerEntry, Payment, PlannedPart, Rebate, Rule, RuleView, Withdrawal,
)

ACCOUNT_FIELDS = ("balance", "frozen", "points", "debt", "points_debt")
TOTAL_FIELDS = ("rebated_payments", "rebate_cost", "sales_driven", "rewards_not_granted")
PROGRAMME_FIELDS = ("payments", "sales", "refunded_payments", "refunded", "granted_balance", "granted_points",
                    "vouchers_granted", "taken_balance", "taken_points", "vouchers_revoked", "vouchers_not_granted")


class AlreadyDone(Exception):
    """The once-only record of this effect exists: it happened before (or concurrently)."""


@dataclass(frozen=True)
class CapCounter:
    """One cap of one rule: `scope` "order" (subject: the order id), "user_day" (subject:
    user id and day) or "budget" (the rule's own `budget_used`), holding at most `limit`."""

    rule_id: str
    scope: Literal["order", "user_day", "budget"]
    subject: tuple[str, ...]
    limit: int
    expires_at: int | None = None  # epoch seconds: a daily counter is not kept forever

    def location(self) -> tuple[dict[str, str], str]:
        """(item key, attribute) of the counter."""
        if self.scope == "order":
            return keys.order_cap(self.rule_id, *self.subject), "used"
        if self.scope == "user_day":
            return keys.user_day_cap(self.rule_id, *self.subject), "used"
        return keys.rule(self.rule_id), "budget_used"


@dataclass(frozen=True)
class TotalsChange:
    """Signed changes of one rule's totals (`RuleTotals`) caused by one payment."""

    rebated_payments: int = 0
    rebate_cost: int = 0
    sales_driven: int = 0
    rewards_not_granted: int = 0

    def deltas(self) -> dict[str, int]:
        """The fields that change (an ADD of 0 would only add an attribute)."""
        return {name: getattr(self, name) for name in TOTAL_FIELDS if getattr(self, name)}


@dataclass(frozen=True)
class ProgrammeChange:
    """Signed changes of the programme's totals (`RebateOverview`) caused by one payment: the
    payment itself, what a rule granted (`granted_<asset>`, `vouchers_granted`) or could not
    grant, a refund (`refunded`, `refunded_payments` once refunded in full), and what refunds
    took back (`taken_<asset>`, `vouchers_revoked`)."""

    payments: int = 0
    sales: int = 0
    refunded_payments: int = 0
    refunded: int = 0
    granted_balance: int = 0
    granted_points: int = 0
    vouchers_granted: int = 0
    taken_balance: int = 0
    taken_points: int = 0
    vouchers_revoked: int = 0
    vouchers_not_granted: int = 0

    def deltas(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in PROGRAMME_FIELDS if getattr(self, name)}


def _add(deltas: dict[str, int]) -> str:
    """` ADD a :a, b :b` for `deltas` (their values passed as `:a`, `:b`)."""
    return " ADD " + ", ".join(f"{name} :{name}" for name in deltas) if deltas else ""


# --- rules --------------------------------------------------------------------------------

def _rule_item(rule: Rule) -> dict[str, Any]:
    data = rule.model_dump(mode="json")
    item = {**keys.rule(rule.id), **keys.rule_listing(data["created_at"], rule.id), "entity": "rebate_rule", **data}
    item["live_sk"] = keys.live_rule_listing(data["ends_at"], rule.id)["GSI2SK"]
    if rule.status == "published":
        item.update(keys.live_rule_listing(data["ends_at"], rule.id))
    return item


def _rule(item: dict[str, Any]) -> Rule:
    return Rule.model_validate(item)


def _with_totals(items: list[dict[str, Any]]) -> list[RuleView]:
    """Rule items with their totals: what the item holds (grants of a rule with a budget)
    plus its shards (everything else). Shards are read eventually consistently: a total may
    lag a grant by a moment, never lose it."""
    totals = {item["id"]: {name: int(item.get(name, 0)) for name in TOTAL_FIELDS} for item in items}
    for shard in dynamo.batch_get([key for item in items for key in keys.rule_stats_shards(item["id"])]):
        for name in TOTAL_FIELDS:
            totals[shard["rule_id"]][name] += int(shard.get(name, 0))
    return [RuleView.model_validate({**item, **totals[item["id"]]}) for item in items]


def create_rule(rule: RuleView, idem: Idempotency | None) -> None:
    items = [dynamo.tx_put(_rule_item(rule), "attribute_not_exists(PK)")]
    if idem:
        items.append(idem.record_item(rule.model_dump(mode="json")))
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        if 1 in exc.failed:
            raise Replay() from exc
        raise


def get_rule(rule_id: str) -> RuleView | None:
    item = dynamo.get(keys.rule(rule_id), consistent=True)
    return _with_totals([item])[0] if item else None


def list_rules(status: str | None, limit: int, cursor: str | None) -> tuple[list[RuleView], str | None]:
    items, next_cursor = dynamo.query_page(
        index=keys.ADMIN_INDEX, partition_attr="GSI1PK", partition_value=keys.RULES_PARTITION,
        key_attrs=("GSI1PK", "GSI1SK", "PK", "SK"), limit=limit, cursor=cursor,
        filter_expression="#status = :status" if status else None,
        names={"#status": "status"} if status else None,
        vals=dynamo.values(status=status) if status else None,
    )
    return _with_totals(items), next_cursor


def change_rule_status(rule_id: str, action: str, now: datetime) -> RuleView:
    """Apply a state-machine action if, at the moment of the write, the rebate rule allows it."""
    item = lifecycle_store.apply(keys.rule(rule_id), action, now, noun="rebate rule",
                           listed_partition=keys.LIVE_RULES_PARTITION, listed_sk_attribute="live_sk")
    return _with_totals([item])[0]


def live_rules_at(moment: datetime) -> list[Rule]:
    """Published rules whose window holds `moment` (sparse GSI2: published rules only). A rule
    without `starts_at` or `ends_at` has no such attribute (absent, not null): its window is
    open at that side."""
    rules: list[Rule] = []
    cursor: str | None = None
    while True:
        items, cursor = dynamo.query_page(
            index=keys.LIVE_INDEX, partition_attr="GSI2PK", partition_value=keys.LIVE_RULES_PARTITION,
            key_attrs=("GSI2PK", "GSI2SK", "PK", "SK"), limit=100, cursor=cursor, newest_first=False,
            sort_condition="GSI2SK > :at",
            filter_expression=("(attribute_not_exists(starts_at) OR starts_at <= :at) "
                               "AND (attribute_not_exists(ends_at) OR ends_at > :at)"),
            vals=dynamo.values(at=iso(moment)),
        )
        rules.extend(_rule(i) for i in items)
        if cursor is None:
            return rules


def cap_used(counter: CapCounter) -> int:
    key, attr = counter.location()
    item = dynamo.get(key, consistent=True)
    return int((item or {}).get(attr, 0))


# --- payments, rebates, refunds -----------------------------------------------------------

def record_payment(payment: Payment, programme: ProgrammeChange) -> bool:
    """Store the payment and its event once, with its `programme` totals; False if either was
    stored before (and then nothing is counted)."""
    event_item = {**keys.event(payment.provider, payment.event_id), "entity": "payment_event",
                  "payment_ref": payment.payment_ref, "type": "payment", "received_at": iso(payment.created_at)}
    payment_item = {**keys.payment(payment.payment_ref), "entity": "payment", **payment.model_dump(mode="json")}
    try:
        dynamo.transact([dynamo.tx_put(event_item, "attribute_not_exists(PK)"),
                         dynamo.tx_put(payment_item, "attribute_not_exists(PK)"),
                         *_programme_update(payment.payment_ref, programme, now=payment.created_at)])
    except dynamo.ConditionFailed:
        return False
    return True


def get_payment(payment_ref: str) -> Payment | None:
    item = dynamo.get(keys.payment(payment_ref), consistent=True)
    return Payment.model_validate(item) if item else None


def mark_coupons(payment_ref: str, outcome: str) -> None:
    """Note once how redeeming the order's coupons ended, so a resumed payment skips it."""
    try:
        dynamo.update(keys.payment(payment_ref), "SET coupons_outcome = :outcome",
                      condition="attribute_not_exists(coupons_outcome)", vals=dynamo.values(outcome=outcome))
    except dynamo.ConditionFailed:
        pass


def mark_applied(payment_ref: str) -> None:
    """Every rule's rebate is recorded: refunds may now compute clawbacks from them."""
    try:
        dynamo.update(keys.payment(payment_ref), "SET #status = :applied", condition="#status = :received",
                      names={"#status": "status"}, vals=dynamo.values(applied="applied", received="received"))
    except dynamo.ConditionFailed:
        pass


def get_rebate(payment_ref: str, rule_id: str) -> Rebate | None:
    item = dynamo.get(keys.rebate(payment_ref, rule_id), consistent=True)
    return Rebate.model_validate(item) if item else None


def _rebate_item(rebate: Rebate) -> dict[str, Any]:
    return {**keys.rebate(rebate.payment_ref, rebate.rule_id), "entity": "rebate", **rebate.model_dump(mode="json")}


def _cap_update(counter: CapCounter, amount: int, now: datetime, totals: TotalsChange | None = None
                ) -> dict[str, Any]:
    """Take `amount` from the cap counter; the budget counter, being the rule item, also
    carries the grant's `totals` when given (one write of an item the grant writes anyway)."""
    key, attr = counter.location()
    expression = "SET #used = if_not_exists(#used, :zero) + :amount, last_used_at = :now"
    vals: dict[str, Any] = {"zero": 0, "amount": amount, "max_before": counter.limit - amount, "now": iso(now)}
    names = {"#used": attr}
    if counter.expires_at is not None:
        expression += ", #ttl = :ttl"
        vals["ttl"], names["#ttl"] = counter.expires_at, "ttl"
    if totals is not None:
        assert counter.scope == "budget"
        expression += _add(totals.deltas())
        vals.update(totals.deltas())
    return dynamo.tx_update(key, expression, condition="attribute_not_exists(#used) OR #used <= :max_before",
                            names=names, vals=dynamo.values(**vals))


def _totals_update(rebate: Rebate, totals: TotalsChange, now: datetime) -> dict[str, Any]:
    """Add `totals` to the payment's shard of its rule's totals (an unconditional ADD: the
    transaction's once-only condition on the rebate is what makes it count once)."""
    return dynamo.tx_update(
        keys.rule_stats(rebate.rule_id, rebate.payment_ref),
        "SET entity = :entity, rule_id = :rule_id, updated_at = :now" + _add(totals.deltas()),
        vals=dynamo.values(entity="rebate_rule_totals", rule_id=rebate.rule_id, now=iso(now), **totals.deltas()),
    )


def _programme_update(payment_ref: str, change: ProgrammeChange, now: datetime) -> list[dict[str, Any]]:
    """Add `change` to the payment's shard of the programme's totals: an unconditional ADD in
    the transaction whose once-only record (or pinned values) makes it count once. Nothing
    when nothing changes."""
    deltas = change.deltas()
    if not deltas:
        return []
    return [dynamo.tx_update(
        keys.programme_totals(payment_ref), "SET entity = :entity, updated_at = :now" + _add(deltas),
        vals=dynamo.values(entity="rebate_programme_totals", now=iso(now), **deltas),
    )]


def programme_totals() -> dict[str, int]:
    """The programme's totals, summed over their shards (read eventually consistently, as a
    rule's shards: a total may lag a write by a moment, never lose or double it)."""
    totals = dict.fromkeys(PROGRAMME_FIELDS, 0)
    for shard in dynamo.batch_get(keys.programme_totals_shards()):
        for name in PROGRAMME_FIELDS:
            totals[name] += int(shard.get(name, 0))
    return totals


def _instalment_put(rebate: Rebate, asset: str, part: PlannedPart) -> dict[str, Any]:
    record = InstalmentRecord(due_at=part.due_at, amount=part.amount, asset=asset, user_id=rebate.user_id,
                              payment_ref=rebate.payment_ref, rule_id=rebate.rule_id, number=part.number,
                              status="pending")
    due = iso(part.due_at)
    item = {**_instalment_key(record), **keys.due_listing(rebate.user_id, due, rebate.payment_ref, rebate.rule_id,
                                                           part.number),
            "entity": "instalment", **record.model_dump(mode="json")}
    return dynamo.tx_put(item, "attribute_not_exists(PK)")


def grant_rebate(rebate: Rebate, caps: list[CapCounter], change: AccountChange | None,
                 entries: list[LedgerEntry], totals: TotalsChange, programme: ProgrammeChange,
                 now: datetime) -> None:
    """One transaction: the rebate's once-only record, `rebate.amount` taken from each cap
    counter, the rule's totals moved (on the rule item if the budget counter writes it
    anyway, else on the payment's shard), the programme's totals moved, and either the
    account credit (with its ledger entries) or the instalments."""
    budget = any(cap.scope == "budget" for cap in caps)
    items = [dynamo.tx_put(_rebate_item(rebate), "attribute_not_exists(PK)"),
             *(_cap_update(cap, rebate.amount, now, totals if cap.scope == "budget" else None) for cap in caps)]
    if not budget:
        items.append(_totals_update(rebate, totals, now))
    items.extend(_programme_update(rebate.payment_ref, programme, now))
    if change is not None:
        items.extend(_account_items(change, entries, now))
    if rebate.plan:
        assert rebate.asset is not None  # 全返 pays points or balance, never a voucher (RuleCreate)
        items.extend(_instalment_put(rebate, rebate.asset, part) for part in rebate.plan)
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        if 0 in exc.failed:
            raise AlreadyDone() from exc
        raise Stale() from exc


def record_rebate(rebate: Rebate, totals: TotalsChange | None, programme: ProgrammeChange,
                  entries: list[LedgerEntry], now: datetime) -> None:
    """Store a rebate that moves no money (a voucher granted or not, or nothing left under a
    cap), in one transaction with what it changes: the rule's `totals`, the programme's, and
    `entries` (the shopper's notice of a voucher not granted, which moves no asset)."""
    items = [dynamo.tx_put(_rebate_item(rebate), "attribute_not_exists(PK)")]
    if totals is not None:
        items.append(_totals_update(rebate, totals, now))
    items.extend(_programme_update(rebate.payment_ref, programme, now))
    items.extend(_ledger_put(rebate.user_id, entry) for entry in entries)
    try:
        if len(items) == 1:
            dynamo.put(_rebate_item(rebate), "attribute_not_exists(PK)")
        else:
            dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        raise AlreadyDone() from exc


def record_refund(payment: Payment, refund_id: str, event_id: str, provider: str, amount: int,
                  refunded_after: int, programme: ProgrammeChange, now: datetime) -> None:
    """One transaction: the refund's once-only record, its event, the payment's refunded
    total moved from the value it was computed from (`payment.refunded`), and the programme's
    totals."""
    refund_item = {**keys.refund(payment.payment_ref, refund_id), "entity": "refund", "refund_id": refund_id,
                   "payment_ref": payment.payment_ref, "amount": amount, "refunded_before": payment.refunded,
                   "refunded_after": refunded_after, "event_id": event_id, "created_at": iso(now)}
    event_item = {**keys.event(provider, event_id), "entity": "payment_event", "payment_ref": payment.payment_ref,
                  "type": "refund", "received_at": iso(now)}
    try:
        dynamo.transact([
            dynamo.tx_put(event_item, "attribute_not_exists(PK)"),
            dynamo.tx_put(refund_item, "attribute_not_exists(PK)"),
            dynamo.tx_update(keys.payment(payment.payment_ref), "SET refunded = :after",
                             condition="refunded = :before AND #status = :applied", names={"#status": "status"},
                             vals=dynamo.values(after=refunded_after, before=payment.refunded, applied="applied")),
            *_programme_update(payment.payment_ref, programme, now),
        ])
    except dynamo.ConditionFailed as exc:
        if 0 in exc.failed or 1 in exc.failed:
            raise AlreadyDone() from exc
        raise Stale() from exc


def claw_back(rebate: Rebate, clawed: int, cancelled: int, refunds_counted: int,
              cancellations: list[tuple[InstalmentRecord, int]], change: AccountChange | None,
              entries: list[LedgerEntry], totals: TotalsChange | None, programme: ProgrammeChange,
              now: datetime) -> None:
    """One transaction: the rebate's clawed/cancelled/refunds_counted moved from the values
    they were computed from, pending instalments shrunk (each from the amount it was seen
    with), the account debited with its ledger entries, and the rule's `totals` and the
    programme's moved on the payment's shards. The pinned rebate makes each refund's effect
    on the totals count once."""
    refunds_pinned = "refunds_counted = :seen_refunds"
    if rebate.refunds_counted == 0:  # a rebate stored before its rule had totals has no attribute
        refunds_pinned = f"(attribute_not_exists(refunds_counted) OR {refunds_pinned})"
    items = [dynamo.tx_update(
        keys.rebate(rebate.payment_ref, rebate.rule_id),
        "SET clawed = :clawed, cancelled = :cancelled, refunds_counted = :refunds",
        condition=f"clawed = :seen_clawed AND cancelled = :seen_cancelled AND {refunds_pinned}",
        vals=dynamo.values(clawed=clawed, cancelled=cancelled, refunds=refunds_counted, seen_clawed=rebate.clawed,
                           seen_cancelled=rebate.cancelled, seen_refunds=rebate.refunds_counted),
    )]
    if totals is not None:
        items.append(_totals_update(rebate, totals, now))
    items.extend(_programme_update(rebate.payment_ref, programme, now))
    for instalment, new_amount in cancellations:
        expression = ("SET amount = :new, updated_at = :now" if new_amount > 0 else
                      "SET amount = :new, #status = :cancelled, updated_at = :now REMOVE GSI1PK, GSI1SK")
        items.append(dynamo.tx_update(
            _instalment_key(instalment), expression,
            condition="#status = :pending AND amount = :seen", names={"#status": "status"},
            vals=dynamo.values(new=new_amount, now=iso(now), pending="pending", seen=instalment.amount,
                               **({"cancelled": "cancelled"} if new_amount == 0 else {})),
        ))
    if change is not None:
        items.extend(_account_items(change, entries, now))
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        raise Stale() from exc


def set_voucher_state(rebate: Rebate, state: str, programme: ProgrammeChange, now: datetime) -> None:
    """A granted voucher becomes `state` once, with the programme's totals moved (a revocation)."""
    key, expression = keys.rebate(rebate.payment_ref, rebate.rule_id), "SET voucher_state = :state"
    condition, vals = "voucher_state = :granted", dynamo.values(state=state, granted="granted")
    counted = _programme_update(rebate.payment_ref, programme, now)
    try:
        if counted:
            dynamo.transact([dynamo.tx_update(key, expression, condition=condition, vals=vals), *counted])
        else:
            dynamo.update(key, expression, condition=condition, vals=vals)
    except dynamo.ConditionFailed:
        pass


def _instalment_key(instalment: InstalmentRecord) -> dict[str, str]:
    return keys.instalment(instalment.user_id, iso(instalment.due_at), instalment.payment_ref, instalment.rule_id,
                           instalment.number)


def instalments_of(rebate: Rebate) -> list[InstalmentRecord]:
    """The rebate's instalments, in due order (eventually consistent: every write that uses
    them pins the status and amount it saw)."""
    wanted = [keys.instalment(rebate.user_id, iso(p.due_at), rebate.payment_ref, rebate.rule_id, p.number)
              for p in rebate.plan]
    found = {item["SK"]: item for item in dynamo.batch_get(wanted)}
    return [InstalmentRecord.model_validate(found[k["SK"]]) for k in wanted if k["SK"] in found]


def get_instalment(instalment: InstalmentRecord) -> InstalmentRecord | None:
    item = dynamo.get(_instalment_key(instalment), consistent=True)
    return InstalmentRecord.model_validate(item) if item else None


def due_instalments(now: datetime, limit: int) -> list[InstalmentRecord]:
    """Pending instalments due at `now` or before, oldest first (sparse index: pending only)."""
    items, _ = dynamo.query_page(
        index=keys.DUE_INDEX, partition_attr="GSI1PK", partition_value=keys.DUE_PARTITION,
        key_attrs=("GSI1PK", "GSI1SK", "PK", "SK"), limit=limit, cursor=None, newest_first=False,
        sort_condition="GSI1SK <= :upto", vals=dynamo.values(upto=f"{iso(now)}#~"),
    )
    return [InstalmentRecord.model_validate(i) for i in items]


def release_instalment(instalment: InstalmentRecord, change: AccountChange, entries: list[LedgerEntry],
                       now: datetime) -> None:
    """One transaction: a pending instalment (with the amount it was seen with) becomes
    released, and the account is credited with its ledger entries."""
    items = [dynamo.tx_update(
        _instalment_key(instalment),
        "SET #status = :released, released_at = :now REMOVE GSI1PK, GSI1SK",
        condition="#status = :pending AND amount = :seen AND due_at <= :now", names={"#status": "status"},
        vals=dynamo.values(released="released", pending="pending", seen=instalment.amount, now=iso(now)),
    ), *_account_items(change, entries, now)]
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        old = exc.failed.get(0)
        if 0 in exc.failed and (old is None or old.get("status") != "pending"):
            raise AlreadyDone() from exc
        raise Stale() from exc


# --- accounts and ledgers -----------------------------------------------------------------

def _account_items(change: AccountChange, entries: list[LedgerEntry], now: datetime) -> list[dict[str, Any]]:
    names: dict[str, str] = {}
    vals: dict[str, Any] = {"zero": 0, "now": iso(now), "uid": change.user_id}
    sets, conditions = ["user_id = :uid", "updated_at = :now"], []
    for i, (name, delta) in enumerate(sorted(change.deltas.items())):
        names[f"#d{i}"], vals[f"d{i}"] = name, delta
        sets.append(f"#d{i} = if_not_exists(#d{i}, :zero) + :d{i}")
    for i, (name, seen) in enumerate(sorted(change.expect.items())):
        names[f"#e{i}"], vals[f"e{i}"] = name, seen
        conditions.append(f"(attribute_not_exists(#e{i}) OR #e{i} = :e{i})" if seen == 0 else f"#e{i} = :e{i}")
    for i, (name, minimum) in enumerate(sorted(change.at_least.items())):
        names[f"#m{i}"], vals[f"m{i}"] = name, minimum
        conditions.append(f"#m{i} >= :m{i}")
    update = dynamo.tx_update(keys.account(change.user_id), "SET " + ", ".join(sets),
                              condition=" AND ".join(conditions) or None, names=names, vals=dynamo.values(**vals))
    return [update, *(_ledger_put(change.user_id, e) for e in entries)]


def _ledger_put(user_id: str, entry: LedgerEntry) -> dict[str, Any]:
    return dynamo.tx_put({**keys.ledger_entry(user_id, entry.id), "entity": "ledger_entry", "user_id": user_id,
                          **entry.model_dump(mode="json")}, "attribute_not_exists(PK)")


def get_account(user_id: str) -> dict[str, int]:
    """The account's fields (0 for an account never credited), read consistently: changes are
    computed from it and pinned on it."""
    item = dynamo.get(keys.account(user_id), consistent=True) or {}
    return {name: int(item.get(name, 0)) for name in ACCOUNT_FIELDS}


def pending_instalments(user_id: str, limit: int) -> list[Instalment]:
    items, _ = dynamo.query_page(
        partition_attr="PK", partition_value=keys.account_partition(user_id), key_attrs=("PK", "SK"),
        limit=limit, cursor=None, newest_first=False, sort_condition="begins_with(SK, :prefix)",
        filter_expression="#status = :pending", names={"#status": "status"},
        vals=dynamo.values(prefix=keys.INSTALMENT_PREFIX, pending="pending"),
    )
    return [Instalment.model_validate(i) for i in items]


def ledger_page(user_id: str, limit: int, cursor: str | None) -> tuple[list[LedgerEntry], str | None]:
    items, next_cursor = dynamo.query_page(
        partition_attr="PK", partition_value=keys.account_partition(user_id), key_attrs=("PK", "SK"),
        limit=limit, cursor=cursor, sort_condition="begins_with(SK, :prefix)",
        vals=dynamo.values(prefix=keys.LEDGER_PREFIX),
    )
    return [LedgerEntry.model_validate(i) for i in items], next_cursor


# --- withdrawals --------------------------------------------------------------------------

def _withdrawal_item(withdrawal: Withdrawal) -> dict[str, Any]:
    data = withdrawal.model_dump(mode="json")
    return {**keys.withdrawal(withdrawal.id),
            **keys.withdrawal_listing(withdrawal.status, data["created_at"], withdrawal.id),
            **keys.user_withdrawal_listing(withdrawal.user_id, data["created_at"], withdrawal.id),
            "entity": "withdrawal", **data}


def create_withdrawal(withdrawal: Withdrawal, change: AccountChange, entries: list[LedgerEntry],
                      idem: Idempotency | None, now: datetime) -> None:
    """One transaction: balance -> frozen if the balance covers it, the withdrawal, its
    ledger entries [, the Idempotency-Key record]."""
    items = [*_account_items(change, entries, now), dynamo.tx_put(_withdrawal_item(withdrawal),
                                                                  "attribute_not_exists(PK)")]
    if idem:
        items.append(idem.record_item(withdrawal.model_dump(mode="json")))
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        if idem and len(items) - 1 in exc.failed:
            raise Replay() from exc
        if 0 in exc.failed:
            raise InsufficientBalance(f"The balance cannot cover {withdrawal.amount} fen.") from exc
        raise


def get_withdrawal(withdrawal_id: str) -> Withdrawal | None:
    item = dynamo.get(keys.withdrawal(withdrawal_id), consistent=True)
    return Withdrawal.model_validate(item) if item else None


def list_withdrawals(status: str, limit: int, cursor: str | None) -> tuple[list[Withdrawal], str | None]:
    """Oldest first: operators work through the pending ones in the order they came."""
    items, next_cursor = dynamo.query_page(
        index=keys.WITHDRAWALS_INDEX, partition_attr="GSI1PK", partition_value=keys.withdrawal_partition(status),
        key_attrs=("GSI1PK", "GSI1SK", "PK", "SK"), limit=limit, cursor=cursor, newest_first=False,
    )
    return [Withdrawal.model_validate(i) for i in items], next_cursor


def user_withdrawals(user_id: str, limit: int, cursor: str | None) -> tuple[list[Withdrawal], str | None]:
    """One shopper's withdrawals, newest first, whatever their status."""
    items, next_cursor = dynamo.query_page(
        index=keys.USER_WITHDRAWALS_INDEX, partition_attr="GSI2PK",
        partition_value=keys.user_withdrawals_partition(user_id),
        key_attrs=("GSI2PK", "GSI2SK", "PK", "SK"), limit=limit, cursor=cursor,
    )
    return [Withdrawal.model_validate(i) for i in items], next_cursor


def decide_withdrawal(withdrawal: Withdrawal, status: str, operator: str, change: AccountChange,
                      entries: list[LedgerEntry], now: datetime) -> Withdrawal:
    """One transaction: pending -> `status` exactly once, and the account change with its entries."""
    decided = withdrawal.model_copy(update={"status": status, "decided_at": now, "decided_by": operator})
    listing = keys.withdrawal_listing(status, iso(withdrawal.created_at), withdrawal.id)
    items = [dynamo.tx_update(
        keys.withdrawal(withdrawal.id),
        "SET #status = :status, decided_at = :now, decided_by = :operator, GSI1PK = :gpk, GSI1SK = :gsk",
        condition="#status = :pending", names={"#status": "status"},
        vals=dynamo.values(status=status, now=iso(now), operator=operator, pending="pending",
                           gpk=listing["GSI1PK"], gsk=listing["GSI1SK"]),
    ), *_account_items(change, entries, now)]
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        old = exc.failed.get(0)
        if 0 in exc.failed:
            if old is None:
                raise NotFound("No withdrawal with this id.") from exc
            raise InvalidState(f"This withdrawal is already {old['status']}.") from exc
        raise Stale() from exc
    return decided
