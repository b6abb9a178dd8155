"""Pure rebate rules, called with literals: no AWS."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.rebates import policy
from chalicelib.rebates.models import Rule

PAID_AT = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc)


def rule(**fields):
    base = {"id": "R", "name": "r", "kind": "fixed_ratio", "reward": "balance", "caps": {}, "status": "published",
            "starts_at": PAID_AT, "ends_at": PAID_AT, "created_at": PAID_AT, "updated_at": PAID_AT}
    return Rule.model_validate({**base, **fields})


def test_ratio_rounds_down():
    assert policy.ratio_of(1999, 500) == 99  # 99.95 -> 99
    assert policy.ratio_of(19, 500) == 0
    assert policy.ratio_of(10000, 10000) == 10000


def test_tiered_applies_the_highest_step_reached_to_the_whole_amount():
    ladder = [(10000, 100), (50000, 300)]
    assert policy.tiered(9999, ladder) == 0
    assert policy.tiered(10000, ladder) == 100
    assert policy.tiered(49999, ladder) == 499
    assert policy.tiered(50000, ladder) == 1500  # 3% of all of it, not 1% of the first 50,000


def test_threshold_pays_its_amount_from_min_paid_on():
    assert policy.threshold(19999, 20000, 2000) == 0
    assert policy.threshold(20000, 20000, 2000) == 2000


def test_full_return_is_the_whole_amount_or_its_ratio():
    assert policy.computed_reward(rule(kind="full_return", installments=3, period_days=30), 12345) == 12345
    assert policy.computed_reward(rule(kind="full_return", ratio_bp=5000, installments=3, period_days=30), 12345) == 6172


def test_computed_reward_dispatches_by_kind():
    assert policy.computed_reward(rule(ratio_bp=250), 10000) == 250
    assert policy.computed_reward(rule(kind="tiered", ladder=[{"min_paid": 0, "ratio_bp": 100},
                                                       {"min_paid": 5000, "ratio_bp": 200}]), 6000) == 120
    assert policy.computed_reward(rule(kind="threshold", threshold={"min_paid": 5000, "amount": 700}), 6000) == 700


def test_caps_pay_up_to_what_is_left():
    assert policy.within_caps(500, [None, 300, 1000]) == 300
    assert policy.within_caps(500, []) == 500
    assert policy.within_caps(500, [0]) == 0
    assert policy.within_caps(500, [-20]) == 0  # never negative


@given(total=st.integers(0, 10**9), installments=st.integers(1, 36))
def test_instalments_sum_exactly_with_the_remainder_on_the_last(total, installments):
    parts = policy.instalment_amounts(total, installments)
    assert len(parts) == installments
    assert sum(parts) == total
    assert len(set(parts[:-1])) <= 1
    assert 0 <= parts[-1] - parts[0] < installments


def test_schedule_is_one_period_apart_starting_one_period_after_payment():
    parts = policy.schedule(1000, 3, 30, PAID_AT)
    assert [p.amount for p in parts] == [333, 333, 334]
    assert [p.due_at - PAID_AT for p in parts] == [timedelta(days=30), timedelta(days=60), timedelta(days=90)]
    assert [p.number for p in parts] == [1, 2, 3]


def test_schedule_leaves_out_parts_of_zero():
    assert [(p.number, p.amount) for p in policy.schedule(2, 3, 1, PAID_AT)] == [(3, 2)]


@given(rebate=st.integers(0, 10**7), paid=st.integers(1, 10**8), cuts=st.lists(st.integers(1, 100), max_size=8))
def test_clawbacks_over_partial_refunds_add_up_to_exactly_the_rebate(rebate, paid, cuts):
    """Any sequence of partial refunds ending in a full one claws back exactly the rebate."""
    refunded, taken = 0, 0
    for cut in cuts:
        refunded = policy.refunded_after(paid, refunded, amount=max(paid * cut // 1000, 1))
        step = policy.clawback_due(rebate, refunded, paid) - taken
        assert step >= 0
        taken += step
        assert taken <= rebate
    refunded = policy.refunded_after(paid, refunded, amount=paid)
    taken += policy.clawback_due(rebate, refunded, paid) - taken
    assert taken == rebate


def test_clawback_is_proportional_and_rounds_down():
    assert policy.clawback_due(500, 3333, 10000) == 166  # 166.65
    assert policy.clawback_due(500, 10000, 10000) == 500
    assert policy.clawback_due(500, 0, 10000) == 0


def test_refund_amounts_add_and_cumulative_totals_are_a_high_water_mark():
    assert policy.refunded_after(10000, 3000, amount=2000) == 5000
    assert policy.refunded_after(10000, 9000, amount=5000) == 10000  # never above the paid amount
    assert policy.refunded_after(10000, 5000, cumulative=3000) == 5000  # a late, older total changes nothing
    assert policy.refunded_after(10000, 3000, cumulative=5000) == 5000
    with pytest.raises(ValueError):
        policy.refunded_after(10000, 0, amount=1, cumulative=1)


def test_pending_instalments_shrink_latest_first():
    assert policy.reduce_pending([333, 333, 334], 500) == [333, 167, 0]
    assert policy.reduce_pending([333, 333, 334], 5000) == [0, 0, 0]
    assert policy.reduce_pending([], 10) == []


def test_a_voucher_stays_while_the_kept_amount_reaches_the_threshold():
    assert policy.voucher_kept(30000, 10000, 20000)
    assert not policy.voucher_kept(30000, 10001, 20000)


def test_credit_repays_debt_first_and_debit_never_goes_below_zero():
    assert policy.credit(100, 30) == (30, 70)
    assert policy.credit(100, 0) == (0, 100)
    assert policy.credit(20, 30) == (20, 0)
    assert policy.debit(100, 30) == (30, 70)
    assert policy.debit(100, 500) == (100, 0)


def test_daily_caps_count_by_the_beijing_day():
    assert policy.beijing_day(datetime(2030, 6, 1, 15, 59, tzinfo=timezone.utc)) == "2030-06-01"
    assert policy.beijing_day(datetime(2030, 6, 1, 16, 0, tzinfo=timezone.utc)) == "2030-06-02"

