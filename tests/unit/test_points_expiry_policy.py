"""Pure arithmetic of points that expire (issue 17, item 3): the account's counters
(`points_consumed`, `points_base`, `points_lots_closed`) and one bucket per expiry day, against
a reference that keeps every lot and takes the soonest-expiring first. Points never go negative;
earned = spent + expired + clawed back + free + held for any sequence; with expiry on from the
start the counters expire exactly what the reference does, and never more otherwise."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from hypothesis import example, given, settings
from hypothesis import strategies as st

from chalicelib.rebates import policy
from chalicelib.rebates.points_expiry import Counters, expired, expires_at, expiring, expiry_day

FOREVER = 10**9  # the reference's expiry day of points credited while points never expire


@dataclass
class Counted:
    """The service's representation: counters on the account and one bucket per day."""

    points: int = 0
    held: int = 0
    debt: int = 0
    consumed: int = 0
    base: int | None = None
    closed: int = 0
    buckets: dict[int, int] = field(default_factory=dict)

    def counters(self) -> Counters:
        return Counters(self.consumed, self.base or 0, self.closed, self.base is not None)

    def take(self, amount: int) -> None:  # every negative `points` delta (accounts_store.account_items)
        self.points -= amount
        self.consumed += amount

    def give(self, amount: int, day: int, valid_days: int) -> None:  # every positive `points` delta
        self.points += amount
        if valid_days and amount:
            self.buckets[day + valid_days] = self.buckets.get(day + valid_days, 0) + amount
            if self.base is None:
                self.base = self.consumed

    def expire(self, day: int, order: list[int]) -> int:
        due = [d for d in self.buckets if d < day]
        total = 0
        for d in sorted(due, key=lambda d: order.index(d % len(order)) if order else d):
            bucket = self.buckets.pop(d)
            x = expired(self.closed, bucket, self.counters().since_base)
            assert 0 <= x <= bucket
            self.take(x)
            self.closed += bucket
            total += x
            assert self.points >= 0
        return total


@dataclass
class Reference:
    """Every lot kept: consumption and clawbacks take the soonest-expiring first."""

    lots: list[list[int]] = field(default_factory=list)  # [expiry day, points left]

    def give(self, amount: int, expiry: int) -> None:
        if amount:
            self.lots.append([expiry, amount])
            self.lots.sort(key=lambda lot: lot[0])

    def take(self, amount: int) -> None:
        """What it has, soonest first. It may have less than the counters: they charge
        consumption of points that never expire to buckets credited later (fewer expire)."""
        for lot in self.lots:
            used = min(lot[1], amount)
            lot[1], amount = lot[1] - used, amount - used
        self.lots = [lot for lot in self.lots if lot[1]]

    def by_day(self) -> list[int]:
        days: dict[int, int] = {}
        for expiry, left in self.lots:
            days[expiry] = days.get(expiry, 0) + left
        return [days[d] for d in sorted(days)]

    def expire(self, day: int) -> int:
        gone = sum(left for expiry, left in self.lots if expiry < day)
        self.lots = [lot for lot in self.lots if lot[0] >= day]
        return gone


OPS = st.lists(st.tuples(
    st.sampled_from(["credit", "credit", "hold", "unhold", "spend_held", "spend_free", "clawback", "days", "days",
                     "toggle"]),
    st.integers(0, 200)), max_size=30)


@settings(max_examples=400, deadline=None)  # no timing: the machine may be loaded
@example(ops=[("credit", 100), ("spend_free", 100), ("days", 10), ("credit", 100), ("days", 10)], valid_days=5,
         on_from_start=True, order=[0, 1, 2, 3, 4])  # a second bucket after a used-up one expires whole
@given(ops=OPS, valid_days=st.integers(1, 30), on_from_start=st.booleans(),
       order=st.permutations(list(range(5))))
def test_counters_keep_the_equation_never_go_negative_and_never_expire_more_than_the_lots(
        ops, valid_days, on_from_start, order):
    counted, reference = Counted(), Reference()
    n = valid_days if on_from_start else 0
    day = 0
    earned = spent = expired_total = clawed = reference_expired = 0
    for op, amount in ops:
        if op == "credit":
            repaid, added = policy.credit(amount, counted.debt)
            counted.debt -= repaid
            counted.give(added, day, n)
            reference.give(added, day + n if n else FOREVER)
            earned += added
        elif op == "hold":
            p = min(amount, counted.points)
            counted.take(p)
            counted.held += p
            reference.take(p)
        elif op == "unhold":  # a released hold: a new credit (unreserve repays no debt)
            p = min(amount, counted.held)
            counted.held -= p
            counted.give(p, day, n)
            reference.give(p, day + n if n else FOREVER)
        elif op == "spend_held":
            p = min(amount, counted.held)
            counted.held -= p
            spent += p
        elif op == "spend_free":
            p = min(amount, counted.points)
            counted.take(p)
            reference.take(p)
            spent += p
        elif op == "clawback":
            taken, owed = policy.debit(amount, counted.points)
            counted.take(taken)
            reference.take(taken)
            counted.debt += owed
            clawed += taken
        elif op == "days":
            day += amount % 40
            expired_total += counted.expire(day, order)
            reference_expired += reference.expire(day)
        elif op == "toggle" and not on_from_start:
            n = 0 if n else valid_days
        assert counted.points >= 0 and counted.held >= 0
        assert earned == spent + expired_total + clawed + counted.points + counted.held
        assert expired_total <= reference_expired
        if on_from_start:
            assert expired_total == reference_expired
            assert counted.points == sum(left for _, left in reference.lots)
            shown = expiring(sorted((date(2030, 1, 1) + timedelta(days=d), b) for d, b in counted.buckets.items()),
                             counted.counters().open_consumption)
            assert [p for _, p in shown] == reference.by_day()


@settings(deadline=None)
@given(lots_closed=st.integers(0, 10**6), bucket=st.integers(0, 10**6), since_base=st.integers(0, 3 * 10**6))
def test_a_due_bucket_takes_what_consumption_left_of_it(lots_closed, bucket, since_base):
    x = expired(lots_closed, bucket, since_base)
    assert 0 <= x <= bucket
    assert x == min(max(lots_closed + bucket - since_base, 0), bucket)


@settings(deadline=None)
@given(b1=st.integers(0, 1000), b2=st.integers(0, 1000), lots_closed=st.integers(0, 1000),
       since_base=st.integers(0, 3000))
def test_two_due_buckets_expire_the_same_total_in_either_order(b1, b2, lots_closed, since_base):
    since_base = max(since_base, lots_closed)  # C' >= L always (an expiry charges what it takes)

    def total(first, second):
        x = expired(lots_closed, first, since_base)
        return x + expired(lots_closed + first, second, since_base + x)

    assert total(b1, b2) == total(b2, b1) == max(lots_closed + b1 + b2 - since_base, 0)


def test_points_expire_at_the_end_of_the_beijing_day_n_days_after_they_are_credited():
    late_evening_utc = datetime(2030, 3, 1, 17, 30, tzinfo=timezone.utc)  # 01:30 on 2 March in Beijing
    assert expiry_day(late_evening_utc, 10) == date(2030, 3, 12)
    assert expires_at(date(2030, 3, 12)) == datetime(2030, 3, 12, 16, 0, tzinfo=timezone.utc)


def test_the_open_consumption_is_charged_to_the_soonest_buckets_and_used_up_ones_are_left_out():
    shown = expiring([(date(2030, 3, 1), 100), (date(2030, 3, 2), 50), (date(2030, 3, 3), 70)], 120)
    assert shown == [(expires_at(date(2030, 3, 2)), 30), (expires_at(date(2030, 3, 3)), 70)]
    assert Counters(consumed=500, base=100, lots_closed=150, based=True).open_consumption == 250
    assert Counters(consumed=500).since_base == 0  # no bucket yet: nothing was taken from one
