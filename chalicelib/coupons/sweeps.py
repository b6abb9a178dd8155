"""The coupons' scheduled jobs: expiry, lock release, expiry reminders, ending templates.

Each job walks one sparse, sharded index (keys.py) through the shared budgeted walk
(chalicelib/jobs/walk.py, which says why a run costs what is due and resumes cleanly), and
moves every item it finds by its own conditional write in wallet_store, cards_store or
templates_store: this module reads and never writes. No Python read decides anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from chalicelib.clock import iso
from chalicelib.coupons import cards_store, keys, templates_store, wallet_store
from chalicelib.jobs.budget import Budget
from chalicelib.jobs.report import SweepReport
from chalicelib.jobs.walk import walk


def _key(item: dict[str, Any]) -> dict[str, str]:
    return {keys.TABLE.pk: item[keys.TABLE.pk], keys.TABLE.sk: item[keys.TABLE.sk]}


# --- expiry -----------------------------------------------------------------------------------

def expire_due(now: datetime, budget: Budget, report: SweepReport) -> SweepReport:
    """Expire the unused coupons (and cards) whose validity ended by `now`, shard by shard."""
    return walk(report, budget, index=keys.EXPIRY,
                partitions=[keys.expiry_partition(s) for s in range(keys.EXPIRY_SHARDS)],
                upto=keys.expiry_due_bound(iso(now)), handle=lambda item: wallet_store.expire_one(_key(item), now))


# --- lock release -----------------------------------------------------------------------------

def release_lapsed(now: datetime, budget: Budget, report: SweepReport) -> SweepReport:
    """Give back the coupon locks and card holds whose orders were not paid by their expiry.

    Shoppers never wait for this: a lapsed lock already counts as free when a coupon is
    quoted, locked or redeemed, and a lapsed hold is released when the card's balance falls
    short. The sweep makes wallets, balances and counts say so without anyone asking.
    """
    return walk(report, budget, index=keys.LOCKS,
                partitions=[keys.lock_partition(s) for s in range(keys.LOCK_SHARDS)],
                upto=keys.expiry_due_bound(iso(now)), handle=lambda item: _release_one(item, now))


def _release_one(item: dict[str, Any], now: datetime) -> bool:
    if item.get("entity") == "hold":
        return cards_store.release(keys.user_of(item[keys.TABLE.pk]), cards_store.hold_from(item), now,
                                   only_lapsed=True)
    return wallet_store.unlock_lapsed(_key(item), item["id"], now)


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
        if not wallet_store.mark_reminded(key, now):
            return False
        try:
            send(item)
        except Exception:
            wallet_store.unmark_reminded(key, item["id"], now)
            raise
        return True

    return walk(report, budget, index=keys.REMINDERS,
                partitions=[keys.reminder_partition(s) for s in range(keys.EXPIRY_SHARDS)],
                upto=keys.expiry_due_bound(iso(horizon)), handle=handle)


# --- ending templates ------------------------------------------------------------------------

def end_lapsed(now: datetime, budget: Budget, report: SweepReport) -> SweepReport:
    """Store the published or paused templates whose claim window closed by `now` as ended."""
    return walk(report, budget, index=keys.CLAIMABLE, partitions=[keys.CLAIMABLE_PARTITION],
                upto=keys.expiry_due_bound(iso(now)), handle=lambda item: templates_store.end_lapsed(item, now))
