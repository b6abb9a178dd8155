"""The DynamoDB side of the coupons' scheduled jobs: expiry, lock release, expiry reminders.

Each job reads one sparse, sharded index that lists only what it has to act on (keys.py),
up to the moment things become due, and moves every item it finds by its own conditional
write. An item leaves the index in the write that handles it, so

- the read cost of a run grows with what is due, not with the table;
- a run stopped by its budget resumes by simply starting again, and a second run with the
  same `now` finds nothing;
- a racing write by a shopper (a lock, a payment, an unlock) lands either before the job's
  write (which is then refused by its condition and counted as skipped) or after it (and
  finds the item already moved). No Python read decides anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from chalicelib import dynamo
from chalicelib.clock import iso
from chalicelib.coupons import keys
from chalicelib.coupons.repository import hold_from, release, relist_reminder, unlocked
from chalicelib.jobs.budget import Budget
from chalicelib.jobs.report import SweepReport

SWEEP_PAGE = 100


def walk(report: SweepReport, budget: Budget, *, index: str, partitions: list[str], upto: str,
         handle: Callable[[dict[str, Any]], bool]) -> SweepReport:
    """Hand every item of `index` under `partitions` with a sort key <= `upto` to `handle`
    (True: it changed the item; False: a racing write had already moved it), page by page,
    until done or until `budget` runs out (then `report.finished` is False)."""
    pk, sk = f"{index}PK", f"{index}SK"
    for partition in partitions:
        start = None
        while True:
            if budget.exhausted():
                report.finished = False
                return report
            items, start = dynamo.query_once(
                index=index, key_condition="#pk = :pk AND #sk <= :upto", names={"#pk": pk, "#sk": sk},
                vals=dynamo.values(pk=partition, upto=upto), limit=SWEEP_PAGE, start=start,
            )
            report.read += len(items)
            for position, item in enumerate(items):
                if position and budget.exhausted():
                    report.finished = False
                    return report
                if handle(item):
                    report.changed += 1
                else:
                    report.skipped += 1
            if not start:
                break
    return report


def _key(item: dict[str, Any]) -> dict[str, str]:
    return {"PK": item["PK"], "SK": item["SK"]}


# --- expiry -----------------------------------------------------------------------------------

def expire_due(now: datetime, budget: Budget, report: SweepReport) -> SweepReport:
    """Expire the unused coupons (and cards) whose validity ended by `now`, shard by shard."""
    return walk(report, budget, index=keys.EXPIRY_INDEX,
                partitions=[keys.expiry_partition(s) for s in range(keys.EXPIRY_SHARDS)],
                upto=keys.expiry_due_bound(iso(now)), handle=lambda item: expire_one(_key(item), now))


def expire_one(key: dict[str, str], now: datetime) -> bool:
    """unused and past validity -> expired, leaving the expiry and reminder indexes; False if
    not so (any more)."""
    try:
        dynamo.update(
            key, "SET #status = :expired, expired_at = :now REMOVE GSI2PK, GSI2SK, GSI3PK, GSI3SK",
            condition="#status = :unused AND valid_until <= :now", names={"#status": "status"},
            vals=dynamo.values(expired="expired", unused="unused", now=iso(now)),
        )
    except dynamo.ConditionFailed:
        return False
    return True


# --- lock release -----------------------------------------------------------------------------

def release_lapsed(now: datetime, budget: Budget, report: SweepReport) -> SweepReport:
    """Give back the coupon locks and card holds whose orders were not paid by their expiry.

    Shoppers never wait for this: a lapsed lock already counts as free when a coupon is
    quoted, locked or redeemed, and a lapsed hold is released when the card's balance falls
    short. The sweep makes wallets, balances and counts say so without anyone asking.
    """
    return walk(report, budget, index=keys.LOCK_INDEX,
                partitions=[keys.lock_partition(s) for s in range(keys.LOCK_SHARDS)],
                upto=keys.expiry_due_bound(iso(now)), handle=lambda item: _release_one(item, now))


def _release_one(item: dict[str, Any], now: datetime) -> bool:
    if item.get("entity") == "hold":
        return release(keys.user_of(item["PK"]), hold_from(item), now, only_lapsed=True)
    return unlock_lapsed(_key(item), item["id"], now)


def unlock_lapsed(key: dict[str, str], coupon_id: str, now: datetime) -> bool:
    """locked with a lock that lapsed by `now` -> unused (listed for expiry again); False when a
    payment, an unlock or a new lock got there first."""
    expression, expression_vals = unlocked(coupon_id)
    try:
        dynamo.update(
            key, expression, condition="#status = :locked AND lock_expires_at <= :now", names={"#status": "status"},
            vals=dynamo.values(locked="locked", now=iso(now), **expression_vals),
        )
    except dynamo.ConditionFailed:
        return False
    return True


# --- expiry reminders -------------------------------------------------------------------------

def remind_due(now: datetime, horizon: datetime, budget: Budget, report: SweepReport,
               send: Callable[[dict[str, Any]], None]) -> SweepReport:
    """Send one reminder for each coupon still usable whose validity ends by `horizon`.

    Each coupon is first marked (`reminded_at`, leaving the reminder index) by a conditional
    write that only one run can win, then `send` is called with the stored item. If `send`
    raises, the mark is taken back and the error propagates, so the next run tries that coupon
    again. A process killed between the mark and the send loses that one reminder rather than
    risk sending two: at most one reminder per coupon, ever.
    """
    def handle(item: dict[str, Any]) -> bool:
        key = _key(item)
        if not mark_reminded(key, now):
            return False
        try:
            send(item)
        except Exception:
            unmark_reminded(key, item["id"], now)
            raise
        return True

    return walk(report, budget, index=keys.REMINDER_INDEX,
                partitions=[keys.reminder_partition(s) for s in range(keys.EXPIRY_SHARDS)],
                upto=keys.expiry_due_bound(iso(horizon)), handle=handle)


def mark_reminded(key: dict[str, str], now: datetime) -> bool:
    """Claim the coupon's one reminder: it is unused or locked, still valid, never reminded."""
    try:
        dynamo.update(
            key, "SET reminded_at = :now REMOVE GSI3PK, GSI3SK",
            condition=("#status IN (:unused, :locked) AND valid_until > :now "
                       "AND attribute_not_exists(reminded_at)"),
            names={"#status": "status"}, vals=dynamo.values(unused="unused", locked="locked", now=iso(now)),
        )
    except dynamo.ConditionFailed as exc:
        _unlist_if_done(key, exc.old)
        return False
    return True


def _unlist_if_done(key: dict[str, str], old: dict[str, Any] | None) -> None:
    """A coupon found in the reminder index that will never need a reminder (reminded before,
    then given back by a refund) leaves the index, so no later run reads it again. Conditional
    on what made it so, in case a write moved it meanwhile."""
    if old is None or "reminded_at" not in old:
        return  # gone, or moved by a write that takes it out of the index itself
    try:
        dynamo.update(key, "REMOVE GSI3PK, GSI3SK", condition="attribute_exists(reminded_at)")
    except dynamo.ConditionFailed:
        pass


def unmark_reminded(key: dict[str, str], coupon_id: str, now: datetime) -> None:
    """Take back this run's mark (its send failed) and list the coupon again."""
    reminder, reminder_vals = relist_reminder(coupon_id)
    try:
        dynamo.update(key, f"SET {reminder} REMOVE reminded_at", condition="reminded_at = :now",
                      vals=dynamo.values(now=iso(now), **reminder_vals))
    except dynamo.ConditionFailed:
        pass
