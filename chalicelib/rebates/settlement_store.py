"""DynamoDB storage of payments, rebates, refunds, clawbacks, 全返 instalments and the
programme's totals.

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
Transactions are of named items: `event`, `payment`, `refund`, `rebate`, `cap_<scope>`,
`totals` (rules_store), `programme`, `account` and `entry<n>` (accounts_store),
`instalment<n>`. Every change of an account goes with its ledger entries, every change of a
rule's totals with the grant or clawback that causes it. The programme's totals
(`ProgrammeChange`: each payment once, whatever rules it earned under) move in the
transaction whose once-only record makes the change happen once: the payment's, a
rebate's, a refund's, a clawback's, a voucher's revocation (`_programme_update`), each twice:
on the all-time item (`programme`) and on the item of the Beijing day of its `now`
(`programme_day`, same shard partition), so a range of days sums to the all-time figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from chalicelib import dynamo
from chalicelib.clock import iso
from chalicelib.rebates import accounts_store, keys, pending_store, rules_store
from chalicelib.rebates.instalments_store import instalment_key
from chalicelib.rebates.returns_store import ReturnedMove, returned_update
from chalicelib.rebates.policy import beijing_day
from chalicelib.rebates.models import AlreadyDone as AlreadyDone  # re-exported: the settlement's name for it
from chalicelib.rebates.models import (
    AccountChange, InstalmentRecord, LedgerEntry, Payment, PlannedPart, Rebate, Stale,
)
from chalicelib.rebates.rules_store import TotalsChange

PROGRAMME_FIELDS = ("payments", "sales", "refunded_payments", "refunded", "granted_balance", "granted_points",
                    "vouchers_granted", "taken_balance", "taken_points", "vouchers_revoked", "vouchers_not_granted")
EVENT, PAYMENT, REFUND, REBATE, PROGRAMME = "event", "payment", "refund", "rebate", "programme"
PROGRAMME_DAY = "programme_day"  # the same change on the shard's item of the Beijing day of `now`
INSTALMENT = "instalment"  # one instalment; a run of them is `instalment0`, `instalment1`, ...


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


def cap_used(counter: CapCounter) -> int:
    key, attr = counter.location()
    item = dynamo.get(key, consistent=True)
    return int((item or {}).get(attr, 0))


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
        expression += rules_store.add(totals.deltas())
        vals.update(totals.deltas())
    return dynamo.tx_update(key, expression, condition="attribute_not_exists(#used) OR #used <= :max_before",
                            names=names, vals=dynamo.values(**vals))


def _programme_update(payment_ref: str, change: ProgrammeChange, now: datetime) -> dict[str, dict[str, Any]]:
    """Add `change` to the payment's shard of the programme's totals (`programme`) and to the
    same shard's item of the Beijing day of `now` (`programme_day`): unconditional ADDs in the
    transaction whose once-only record (or pinned values) makes them count once. Nothing when
    nothing changes."""
    deltas = change.deltas()
    if not deltas:
        return {}
    day = beijing_day(now)
    return {
        PROGRAMME: dynamo.tx_update(
            keys.programme_totals(payment_ref), "SET entity = :entity, updated_at = :now" + rules_store.add(deltas),
            vals=dynamo.values(entity="rebate_programme_totals", now=iso(now), **deltas)),
        PROGRAMME_DAY: dynamo.tx_update(
            keys.programme_day(payment_ref, day), "SET entity = :entity, #day = :day, updated_at = :now"
            + rules_store.add(deltas), names={"#day": "day"},
            vals=dynamo.values(entity="rebate_programme_day", day=day, now=iso(now), **deltas)),
    }


programme_update = _programme_update  # for the other stores' transactions (pending vouchers)


def programme_totals() -> dict[str, int]:
    """The programme's totals, summed over their shards (read eventually consistently, as a
    rule's shards: a total may lag a write by a moment, never lose or double it)."""
    totals = dict.fromkeys(PROGRAMME_FIELDS, 0)
    for shard in dynamo.batch_get(keys.programme_totals_shards()):
        for name in PROGRAMME_FIELDS:
            totals[name] += int(shard.get(name, 0))
    return totals


def programme_days(first: str, last: str) -> dict[str, dict[str, int]]:
    """The programme's totals of each Beijing day from `first` to `last` (yyyy-mm-dd, both
    included) that has any, summed over the shards: one Query per shard, reading only those
    days (eventually consistent, as `programme_totals`)."""
    days: dict[str, dict[str, int]] = {}
    for shard in range(keys.PROGRAMME_SHARDS):
        for item in dynamo.items_between(keys.programme_partition(shard), keys.programme_day_sort_key(first),
                                         keys.programme_day_sort_key(last)):
            totals = days.setdefault(item["day"], dict.fromkeys(PROGRAMME_FIELDS, 0))
            for name in PROGRAMME_FIELDS:
                totals[name] += int(item.get(name, 0))
    return days


# --- payments -----------------------------------------------------------------------------

def record_payment(payment: Payment, programme: ProgrammeChange) -> bool:
    """Store the payment and its event once, with its `programme` totals; False if either was
    stored before (and then nothing is counted)."""
    event_item = {**keys.event(payment.provider, payment.event_id), "entity": "payment_event",
                  "payment_ref": payment.payment_ref, "type": "payment", "received_at": iso(payment.created_at)}
    payment_item = {**keys.payment(payment.payment_ref), "entity": "payment", **payment.model_dump(mode="json"),
                    **keys.order_payment_listing(payment.user_id, payment.order_id, payment.payment_ref),
                    **keys.payment_day_listing(beijing_day(payment.paid_at), iso(payment.paid_at), payment.payment_ref)}
    try:
        dynamo.transact({EVENT: dynamo.tx_put(event_item, keys.NEW),
                         PAYMENT: dynamo.tx_put(payment_item, keys.NEW),
                         **_programme_update(payment.payment_ref, programme, now=payment.created_at)})
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


def mark_reservation(payment_ref: str, outcome: str) -> None:
    """Note once how spending the order's reservation ended, so a resumed payment skips it."""
    try:
        dynamo.update(keys.payment(payment_ref), "SET reservation_outcome = :outcome",
                      condition="attribute_not_exists(reservation_outcome)", vals=dynamo.values(outcome=outcome))
    except dynamo.ConditionFailed:
        pass


def mark_applied(payment_ref: str) -> None:
    """Every rule's rebate is recorded: refunds may now compute clawbacks from them."""
    try:
        dynamo.update(keys.payment(payment_ref), "SET #status = :applied", condition="#status = :received",
                      names={"#status": "status"}, vals=dynamo.values(applied="applied", received="received"))
    except dynamo.ConditionFailed:
        pass


# --- rebates ------------------------------------------------------------------------------

def get_rebate(payment_ref: str, rule_id: str) -> Rebate | None:
    item = dynamo.get(keys.rebate(payment_ref, rule_id), consistent=True)
    return Rebate.model_validate(item) if item else None


def _rebate_item(rebate: Rebate) -> dict[str, Any]:
    return {**keys.rebate(rebate.payment_ref, rebate.rule_id), **pending_store.listing(rebate), "entity": "rebate",
            **rebate.model_dump(mode="json")}


def _instalment_put(rebate: Rebate, asset: str, part: PlannedPart) -> dict[str, Any]:
    record = InstalmentRecord(due_at=part.due_at, amount=part.amount, asset=asset, user_id=rebate.user_id,
                              payment_ref=rebate.payment_ref, rule_id=rebate.rule_id, number=part.number,
                              status="pending")
    due = iso(part.due_at)
    item = {**instalment_key(record), **keys.due_listing(rebate.user_id, due, rebate.payment_ref, rebate.rule_id,
                                                           part.number),
            "entity": "instalment", **record.model_dump(mode="json")}
    return dynamo.tx_put(item, keys.NEW)


def grant_rebate(rebate: Rebate, caps: list[CapCounter], change: AccountChange | None,
                 entries: list[LedgerEntry], totals: TotalsChange, programme: ProgrammeChange,
                 now: datetime, returned: ReturnedMove | None = None) -> None:
    """One transaction: the rebate's once-only record, `rebate.amount` taken from each cap
    counter, the payment's `returned` moved from the value seen (returns_store), the rule's
    totals moved (on the rule item if the budget counter writes it anyway, else on the
    payment's shard), the programme's totals moved, and either the account credit (with its
    ledger entries) or the instalments."""
    budget = any(cap.scope == "budget" for cap in caps)
    items = {REBATE: dynamo.tx_put(_rebate_item(rebate), keys.NEW), **returned_update(returned),
             **{f"cap_{cap.scope}": _cap_update(cap, rebate.amount, now, totals if cap.scope == "budget" else None)
                for cap in caps}}
    if not budget:
        items.update(rules_store.totals_update(rebate, totals, now))
    items.update(_programme_update(rebate.payment_ref, programme, now))
    if change is not None:
        items.update(accounts_store.account_items(change, entries, now))
    if rebate.plan:
        assert rebate.asset is not None  # 全返 pays points or balance, never a voucher (RuleCreate)
        items.update(dynamo.numbered(INSTALMENT, (_instalment_put(rebate, rebate.asset, part)
                                                  for part in rebate.plan)))
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        if REBATE in exc.failed:
            raise AlreadyDone() from exc
        raise Stale() from exc


def record_rebate(rebate: Rebate, totals: TotalsChange | None, programme: ProgrammeChange,
                  entries: list[LedgerEntry], now: datetime, returned: ReturnedMove | None = None) -> None:
    """Store a rebate that moves no money (a voucher granted or not, or nothing left under a
    cap), in one transaction with what it changes: the rule's `totals`, the programme's, the
    payment's `returned` (a voucher counted at its face value), and `entries` (the shopper's
    notice of a voucher not granted, which moves no asset)."""
    items = {REBATE: dynamo.tx_put(_rebate_item(rebate), keys.NEW), **returned_update(returned)}
    if totals is not None:
        items.update(rules_store.totals_update(rebate, totals, now))
    items.update(_programme_update(rebate.payment_ref, programme, now))
    items.update(accounts_store.ledger_puts(rebate.user_id, entries))
    try:
        if len(items) == 1:
            dynamo.put(_rebate_item(rebate), keys.NEW)
        else:
            dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        if returned is not None and REBATE not in exc.failed:
            raise Stale() from exc
        raise AlreadyDone() from exc


def set_voucher_state(rebate: Rebate, state: str, programme: ProgrammeChange, now: datetime) -> None:
    """A granted voucher becomes `state` once, with the programme's totals moved (a revocation)."""
    key, expression = keys.rebate(rebate.payment_ref, rebate.rule_id), "SET voucher_state = :state"
    condition, vals = "voucher_state = :granted", dynamo.values(state=state, granted="granted")
    counted = _programme_update(rebate.payment_ref, programme, now)
    try:
        if counted:
            dynamo.transact({REBATE: dynamo.tx_update(key, expression, condition=condition, vals=vals), **counted})
        else:
            dynamo.update(key, expression, condition=condition, vals=vals)
    except dynamo.ConditionFailed:
        pass


# --- refunds and clawbacks ----------------------------------------------------------------

def record_refund(payment: Payment, refund_id: str, event_id: str, provider: str, amount: int,
                  refunded_after: int, programme: ProgrammeChange, now: datetime, refunded_at: datetime) -> None:
    """One transaction: the refund's once-only record (listed by the day of `refunded_at`), its
    event, the payment's refunded total moved from the value it was computed from
    (`payment.refunded`), and the programme's totals."""
    refund_item = {**keys.refund(payment.payment_ref, refund_id), "entity": "refund", "refund_id": refund_id,
                   "payment_ref": payment.payment_ref, "amount": amount, "refunded_before": payment.refunded,
                   "refunded_after": refunded_after, "event_id": event_id, "created_at": iso(now),
                   "refunded_at": iso(refunded_at),
                   **keys.refund_day_listing(beijing_day(refunded_at), iso(refunded_at), payment.payment_ref, refund_id)}
    event_item = {**keys.event(provider, event_id), "entity": "payment_event", "payment_ref": payment.payment_ref,
                  "type": "refund", "received_at": iso(now)}
    try:
        dynamo.transact({
            EVENT: dynamo.tx_put(event_item, keys.NEW),
            REFUND: dynamo.tx_put(refund_item, keys.NEW),
            PAYMENT: dynamo.tx_update(
                keys.payment(payment.payment_ref), "SET refunded = :after",
                condition="refunded = :before AND #status = :applied", names={"#status": "status"},
                vals=dynamo.values(after=refunded_after, before=payment.refunded, applied="applied")),
            **_programme_update(payment.payment_ref, programme, now),
        })
    except dynamo.ConditionFailed as exc:
        if EVENT in exc.failed or REFUND in exc.failed:
            raise AlreadyDone() from exc
        raise Stale() from exc


def claw_back(rebate: Rebate, clawed: int, cancelled: int, refunds_counted: int,
              cancellations: list[tuple[InstalmentRecord, int]], change: AccountChange | None,
              entries: list[LedgerEntry], totals: TotalsChange | None, programme: ProgrammeChange,
              now: datetime, pending_after: int | None = None) -> None:
    """One transaction: the rebate's clawed/cancelled/refunds_counted moved from the values
    they were computed from, pending instalments shrunk (each from the amount it was seen
    with), the account debited with its ledger entries, and the rule's `totals` and the
    programme's moved on the payment's shards. The pinned rebate makes each refund's effect
    on the totals count once."""
    refunds_pinned = "refunds_counted = :seen_refunds"
    if rebate.refunds_counted == 0:  # a rebate stored before its rule had totals has no attribute
        refunds_pinned = f"(attribute_not_exists(refunds_counted) OR {refunds_pinned})"
    sets, remove, pinned, pending_vals = ("", "", "", {}) if pending_after is None else \
        pending_store.clawback_terms(rebate, pending_after)  # still in its return window: pending first
    items = {REBATE: dynamo.tx_update(
        keys.rebate(rebate.payment_ref, rebate.rule_id),
        f"SET clawed = :clawed, cancelled = :cancelled, refunds_counted = :refunds{sets}{remove}",
        condition=f"clawed = :seen_clawed AND cancelled = :seen_cancelled AND {refunds_pinned}{pinned}",
        vals=dynamo.values(clawed=clawed, cancelled=cancelled, refunds=refunds_counted, seen_clawed=rebate.clawed,
                           seen_cancelled=rebate.cancelled, seen_refunds=rebate.refunds_counted, **pending_vals),
    )}
    if totals is not None:
        items.update(rules_store.totals_update(rebate, totals, now))
    items.update(_programme_update(rebate.payment_ref, programme, now))
    items.update(dynamo.numbered(INSTALMENT, (_instalment_shrink(instalment, new_amount, now)
                                              for instalment, new_amount in cancellations)))
    if change is not None:
        items.update(accounts_store.account_items(change, entries, now))
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        raise Stale() from exc


def _instalment_shrink(instalment: InstalmentRecord, new_amount: int, now: datetime) -> dict[str, Any]:
    """A pending instalment (still of the amount it was seen with) down to `new_amount`;
    cancelled, and out of the due index, at 0."""
    expression = ("SET amount = :new, updated_at = :now" if new_amount > 0 else
                  f"SET amount = :new, #status = :cancelled, updated_at = :now REMOVE {keys.DUE.remove}")
    return dynamo.tx_update(
        instalment_key(instalment), expression,
        condition="#status = :pending AND amount = :seen", names={"#status": "status"},
        vals=dynamo.values(new=new_amount, now=iso(now), pending="pending", seen=instalment.amount,
                           **({"cancelled": "cancelled"} if new_amount == 0 else {})),
    )
