"""Points that expire (issue 17 item 3; docs/rebates.md, "Points that expire"). Pure: no I/O.

With the programme's `points_valid_days` N > 0, every credit of points (a rule's points, a
pending release, a refund or a released hold giving points back, a positive adjustment, the
`added` part of a credit that repays `points_debt` first) goes into ONE day bucket of the user:
the points expiring at the end of the Beijing day N days after `now`. The account keeps three
counters instead of a list of lots:

- `points_consumed` C: every change that takes free points (`points` delta < 0: a hold, a spend
  of free points, a clawback's `debit`, an exchange, a negative adjustment, an expiry) adds what
  it took. Holds count: a released hold is a new credit (a new bucket).
- `points_base` B: C when the user's first bucket was written. C' = C - B is what was taken
  since then.
- `points_lots_closed` L: the sum of every bucket already expired.

Soonest-expiring first, C' is charged to the buckets in expiry order, so the open consumption
O = C' - L (never negative) is charged to the open buckets soonest first, and a due bucket of
`b` points expires `expired(L, b, C')` = max(0, L + b - C'). Taking two due buckets in either
order expires the same total (max(0, L + b1 + b2 - C')).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from chalicelib.clock import BEIJING

SHOWN = 5  # the buckets GET /me/account reads for `points_expiring`


@dataclass(frozen=True)
class Counters:
    """The account's expiry counters (0 when absent); `based`: a bucket was ever written."""

    consumed: int = 0
    base: int = 0
    lots_closed: int = 0
    based: bool = False

    @property
    def since_base(self) -> int:
        """C': what was taken since the first bucket (all of C before any bucket)."""
        return self.consumed - self.base if self.based else 0

    @property
    def open_consumption(self) -> int:
        """O = C' - L: taken since the first bucket and not yet charged to an expired bucket."""
        return max(self.since_base - self.lots_closed, 0)


def expiry_day(now: datetime, valid_days: int) -> date:
    """The Beijing day at whose end points credited at `now` expire."""
    return now.astimezone(BEIJING).date() + timedelta(days=valid_days)


def expires_at(day: date) -> datetime:
    """The end of Beijing day `day` (the next day's 00:00 in Beijing), in UTC as stored and shown."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=BEIJING).astimezone(timezone.utc)


def expired(lots_closed: int, bucket: int, since_base: int) -> int:
    """What a due bucket of `bucket` points takes: its part that consumption has not used,
    max(0, L + b - C'); never more than `bucket`, never negative."""
    return min(max(lots_closed + bucket - since_base, 0), bucket)


def expiring(buckets: list[tuple[date, int]], open_consumption: int) -> list[tuple[datetime, int]]:
    """The open buckets `(day, points)` in expiry order, less the open consumption charged to
    them soonest first: `(expires_at, points left)`, buckets used up left out."""
    left, shown = open_consumption, []
    for day, points in buckets:
        used = min(left, points)
        left -= used
        if points - used > 0:
            shown.append((expires_at(day), points - used))
    return shown
