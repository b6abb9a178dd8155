"""DynamoDB storage of points that expire (rebates/points_expiry.py has the rules; the buckets
and counters are written with every account change by accounts_store.account_items).

A bucket `ACCT#<uid>` / `PTLOT#<yyyy-mm-dd>` holds `points`: what the user was credited that
expires at the end of that Beijing day, listed in the sparse due index (keys.points_lot_listing)
until expire-points deletes it. Named items of the expiry transaction: `lot` (the bucket's
delete, pinned on the size read) and accounts_store's `account` and `entry0`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Callable

from chalicelib import dynamo
from chalicelib.clock import iso
from chalicelib.indexes import ITEM_EXISTS
from chalicelib.jobs.budget import Budget
from chalicelib.jobs.report import SweepReport
from chalicelib.jobs.walk import walk
from chalicelib.rebates import accounts_store, keys, points_expiry
from chalicelib.rebates.models import AccountChange, AlreadyDone, LedgerEntry, Stale

LOT = "lot"


def walk_due(now: datetime, budget: Budget, report: SweepReport,
             handle: Callable[[str, str, int], bool]) -> SweepReport:
    """Hand (user_id, day, points as listed) of each bucket expired at `now`, soonest first, to
    `handle` through the shared budgeted walk."""
    return walk(report, budget, index=keys.DUE, partitions=[keys.POINTS_DUE_PARTITION],
                upto=keys.due_bound(iso(now)),
                handle=lambda item: handle(item["user_id"], item["day"], int(item["points"])))


def get_lot(user_id: str, day: str) -> dict[str, Any] | None:
    return dynamo.get(keys.points_lot(user_id, day), consistent=True)


def account_state(user_id: str) -> tuple[int, points_expiry.Counters]:
    """The account's free points and expiry counters, read consistently."""
    item = dynamo.get(keys.account(user_id), consistent=True) or {}
    return int(item.get("points", 0)), accounts_store.counters_of(item)


def lots(user_id: str, limit: int) -> list[tuple[date, int]]:
    """The user's open buckets, soonest first (at most `limit`)."""
    items, _ = dynamo.query_page(
        partition_attr=keys.TABLE.pk, partition_value=keys.account_partition(user_id),
        key_attrs=keys.TABLE.key_attrs, limit=limit, cursor=None, newest_first=False,
        sort_condition=f"begins_with({keys.TABLE.sk}, :prefix)", vals=dynamo.values(prefix=keys.POINTS_LOT_PREFIX))
    return [(date.fromisoformat(item["day"]), int(item["points"])) for item in items]


def expire(user_id: str, day: str, points: int, change: AccountChange, entries: list[LedgerEntry],
           now: datetime) -> None:
    """One transaction: the bucket deleted (if it still holds `points`) with the account's
    change (pinned on the counters it was computed from) and its `expire` entry. AlreadyDone
    when the bucket is gone (another run took it); Stale when it or the account moved."""
    delete = dynamo.tx_delete(keys.points_lot(user_id, day), f"{ITEM_EXISTS} AND #points = :points",
                              names={"#points": "points"}, vals=dynamo.values(points=points))
    try:
        dynamo.transact({LOT: delete, **accounts_store.account_items(change, entries, now)})
    except dynamo.ConditionFailed as exc:
        if LOT in exc.failed and exc.failed[LOT] is None:
            raise AlreadyDone() from exc
        raise Stale() from exc
