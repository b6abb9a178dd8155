"""Pure rules of hot campaigns and claim statistics: stock shard allocations, which shards to
try, the hours a stats request covers. No AWS."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.coupons import rules
from chalicelib.errors import ValidationFailed

UTC = timezone.utc


def test_allocations_give_the_remainder_to_the_first_shards():
    """50 over 8 shards: floor(50 / 8) = 6 each, and 50 mod 8 = 2 shards get one more."""
    assert rules.shard_allocations(50, 8) == [7, 7, 6, 6, 6, 6, 6, 6]


def test_one_shard_holds_the_whole_stock():
    assert rules.shard_allocations(13, 1) == [13]


@given(total=st.integers(1, 10**8), shards=st.integers(1, 50))
def test_allocations_add_up_to_the_stock_and_differ_by_at_most_one(total, shards):
    allocations = rules.shard_allocations(total, shards)
    assert len(allocations) == shards
    assert sum(allocations) == total
    assert max(allocations) - min(allocations) <= 1


def test_shards_are_drawn_in_proportion_to_the_units_they_showed_left():
    remaining = {0: 1, 1: 0, 2: 3}
    assert [rules.pick_shard(remaining, set(), point) for point in (0.0, 0.24, 0.25, 0.99)] == [0, 0, 2, 2]


def test_shards_proved_empty_are_not_drawn_again():
    assert rules.pick_shard({0: 3, 1: 1}, known_empty={0}, point=0.0) == 1


def test_no_shard_is_drawn_when_every_one_is_empty():
    assert rules.pick_shard({0: 0, 1: 2}, known_empty={1}, point=0.5) is None


def test_a_claim_counts_in_the_hour_it_falls_in():
    assert rules.hour_of(datetime(2026, 11, 23, 10, 59, 59, tzinfo=UTC)) == datetime(2026, 11, 23, 10, tzinfo=UTC)


def test_stats_default_to_the_last_48_hours_up_to_now():
    now = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
    hours = rules.stats_hours(now, None, None)
    assert len(hours) == 48
    assert (hours[0], hours[-1]) == (datetime(2026, 11, 21, 11, tzinfo=UTC), datetime(2026, 11, 23, 10, tzinfo=UTC))


def test_stats_hours_run_from_the_hour_of_from_to_the_hour_of_to():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    hours = rules.stats_hours(now, datetime(2026, 11, 23, 9, 15, tzinfo=UTC), datetime(2026, 11, 23, 11, 5, tzinfo=UTC))
    assert hours == [datetime(2026, 11, 23, h, tzinfo=UTC) for h in (9, 10, 11)]


def test_stats_from_alone_runs_to_now():
    now = datetime(2026, 11, 23, 12, 1, tzinfo=UTC)
    hours = rules.stats_hours(now, datetime(2026, 11, 23, 10, tzinfo=UTC), None)
    assert hours[-1] == datetime(2026, 11, 23, 12, tzinfo=UTC) and len(hours) == 3


@pytest.mark.parametrize("start, end", [
    (datetime(2026, 11, 23, 11, tzinfo=UTC), datetime(2026, 11, 23, 10, tzinfo=UTC)),
    (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)),
])
def test_stats_refuse_a_reversed_or_too_long_range(start, end):
    with pytest.raises(ValidationFailed):
        rules.stats_hours(datetime(2026, 12, 1, tzinfo=UTC), start, end)


def test_stats_take_at_most_31_days():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    assert len(rules.stats_hours(start, start, datetime(2026, 12, 1, 23, tzinfo=UTC))) == rules.STATS_MAX_HOURS
