"""DynamoDB storage of pending rebates: rebates of a rule with `pending_days`, still inside the
return window (rebates/pending.py has the rules).

A pending rebate is its own rebate item (`PAY#<payment_ref>` / `REBATE#<rid>`) with `pending`
(what still waits in the account's `pending_<asset>`), `pending_until` and `pending_state`,
listed in the sparse due index (keys.pending_listing) while `pending_state = pending`. Every
write that changes it pins what it was computed from and, when it ends the wait, takes it out
of the index in the same write:
- the grant puts the rebate listed (settlement_store.grant_rebate / record_rebate);
- a refund's clawback shrinks `pending` (pinned), and at 0 sets `cancelled` and unlists it
  (`clawback_terms`, in settlement_store.claw_back's transaction);
- the release job sets `released` and unlists it, with the account moved from pending to
  spendable (`release`), or, for a voucher, with the voucher's outcome (`settle_voucher`).
Named items: `rebate`, `payment` (a pin), `totals` (rules_store), `programme`, and
accounts_store's `account` and `entry<n>`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from chalicelib import dynamo
from chalicelib.clock import iso
from chalicelib.jobs.budget import Budget
from chalicelib.jobs.report import SweepReport
from chalicelib.jobs.walk import walk
from chalicelib.rebates import accounts_store, keys
from chalicelib.rebates.models import AccountChange, AlreadyDone, LedgerEntry, Rebate, Stale

REBATE, PAYMENT = "rebate", "payment"
PENDING = "pending"


def listing(rebate: Rebate) -> dict[str, str]:
    """The due-index attributes of a rebate put while pending (none otherwise)."""
    if rebate.pending_state != PENDING or rebate.pending_until is None:
        return {}
    return keys.pending_listing(iso(rebate.pending_until), rebate.user_id, rebate.payment_ref, rebate.rule_id)


def clawback_terms(rebate: Rebate, pending_after: int) -> tuple[str, str, str, dict[str, Any]]:
    """(SET fragment, REMOVE fragment, condition, values) for a clawback's update of a pending
    rebate: `pending` down to `pending_after` from the value it was seen with; at 0 the wait is
    over (`cancelled`) and the rebate leaves the due index."""
    sets = ", pending = :pending_after"
    vals: dict[str, Any] = {"pending_after": pending_after, "pending_seen": rebate.pending, "pending_state": PENDING}
    remove = ""
    if pending_after == 0:
        sets += ", pending_state = :pending_cancelled"
        vals["pending_cancelled"] = "cancelled"
        remove = f" REMOVE {keys.DUE.remove}"
    return sets, remove, " AND pending = :pending_seen AND pending_state = :pending_state", vals


def walk_due(now: datetime, budget: Budget, report: SweepReport,
             handle: Callable[[str, str], bool]) -> SweepReport:
    """Hand (payment_ref, rule_id) of each rebate whose window ended at `now` or before, oldest
    first, to `handle` through the shared budgeted walk (sparse: pending only)."""
    return walk(report, budget, index=keys.DUE, partitions=[keys.PENDING_DUE_PARTITION],
                upto=keys.due_bound(iso(now)), handle=lambda item: handle(item["payment_ref"], item["rule_id"]))


def _ended(rebate: Rebate, sets: str, now: datetime, **vals: Any) -> dict[str, Any]:
    """The rebate's update that ends its wait: only if still pending with what was seen, and due."""
    return dynamo.tx_update(
        keys.rebate(rebate.payment_ref, rebate.rule_id),
        f"SET pending = :zero, pending_state = :ended, released_at = :now{sets} REMOVE {keys.DUE.remove}",
        condition="pending_state = :pending AND pending = :seen AND pending_until <= :now",
        vals=dynamo.values(zero=0, pending=PENDING, seen=rebate.pending, now=iso(now), **vals),
    )


def _transact(items: dict[str, dict[str, Any]]) -> None:
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        if REBATE in exc.failed:
            old = exc.failed[REBATE]
            if old is None or old.get("pending_state") != PENDING:
                raise AlreadyDone() from exc
        raise Stale() from exc


def release(rebate: Rebate, change: AccountChange, entries: list[LedgerEntry], now: datetime) -> None:
    """One transaction: the rebate `released` (out of the index) and the account's pending moved
    to the spendable asset, with the `release` ledger entries."""
    _transact({REBATE: _ended(rebate, "", now, ended="released"), **accounts_store.account_items(change, entries, now)})


def settle_voucher(rebate: Rebate, refunded_seen: int, also: dict[str, dict[str, Any]], now: datetime) -> None:
    """One transaction: a pending voucher's outcome (`voucher_state` granted, not_granted or
    cancelled, `coupon_id`, `not_granted_reason`, `counted`) on the rebate, ended `released` or
    `cancelled`, pinned on the payment's refunded total it was decided with (a refund in between
    makes it Stale: decided again), with `also` (totals, programme, the shopper's notice)."""
    state = rebate.voucher_state
    ended = "cancelled" if state == "cancelled" else "released"
    sets = ", voucher_state = :state, coupon_id = :coupon, not_granted_reason = :reason, counted = :counted"
    update = _ended(rebate, sets, now, ended=ended, state=state, coupon=rebate.coupon_id,
                    reason=rebate.not_granted_reason, counted=rebate.counted)
    pin = dynamo.tx_check(keys.payment(rebate.payment_ref), "refunded = :refunded",
                          vals=dynamo.values(refunded=refunded_seen))
    _transact({REBATE: update, PAYMENT: pin, **also})
