"""Points that expire: the `expire-points` job and what `GET /me/account` shows as expiring
(rebates/points_expiry.py has the arithmetic, points_store the storage). No boto3, no Chalice.

The job walks the due index of points buckets up to `now` and takes each bucket by one
transaction: delete the bucket (pinned on its size), account `points -= x`, `points_consumed
+= x` (account_items counts it as any consumption), `points_lots_closed += b`, pinned on the
`points_consumed` and `points_lots_closed` it read (a racing spend or hold makes it read again),
with a ledger entry `expire` (asset `points`, `ref` the bucket's day) when x > 0. Reads per due
bucket: its index entry (one page of the walk holds 100), one consistent GetItem of the account
(and, only after a lost race, of the bucket). A second run with the same `now` finds nothing.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.jobs.budget import Budget
from chalicelib.jobs.report import SweepReport
from chalicelib.observability import count
from chalicelib.rebates import ledger, points_expiry, points_store, retry
from chalicelib.rebates.models import AccountChange, AlreadyDone, PointsExpiring, Stale


def expire_due(now: datetime, budget: Budget, report: SweepReport) -> SweepReport:
    """Take every bucket expired at `now` (soonest first; cost in proportion to them)."""
    def handle(user_id: str, day: str, listed: int) -> bool:
        seen = {"points": listed}

        def attempt() -> None:
            try:
                _expire(user_id, day, seen["points"], now)
            except Stale:
                lot = points_store.get_lot(user_id, day)  # moved since listed: read it again
                if lot is None:
                    raise AlreadyDone()
                seen["points"] = int(lot["points"])
                raise

        try:
            retry.on_stale(attempt)
        except AlreadyDone:
            return False
        return True

    return points_store.walk_due(now, budget, report, handle)


def _expire(user_id: str, day: str, bucket: int, now: datetime) -> None:
    free, counters = points_store.account_state(user_id)
    taken = points_expiry.expired(counters.lots_closed, bucket, counters.since_base)
    deltas = {"points": -taken, "points_lots_closed": bucket}
    change = AccountChange(user_id, {k: v for k, v in deltas.items() if v},
                           expect={"points_consumed": counters.consumed, "points_lots_closed": counters.lots_closed},
                           at_least={"points": taken} if taken else {})
    entries = ledger.entries_for({"points": -taken}, "expire", day, None, now)
    points_store.expire(user_id, day, bucket, change, entries, now)
    if taken:
        count("PointsExpired", taken)


def points_expiring(user_id: str, points: int) -> list[PointsExpiring]:
    """The user's next buckets (at most points_expiry.SHOWN) less the open consumption, soonest
    first (their sum never exceeds the free `points` plus what holds took: holds count as
    consumption). Nothing to read when the user has no free points."""
    if points <= 0:
        return []
    lots = points_store.lots(user_id, points_expiry.SHOWN)
    if not lots:
        return []
    _, counters = points_store.account_state(user_id)
    return [PointsExpiring(points=left, expires_at=at)
            for at, left in points_expiry.expiring(lots, counters.open_consumption)]
