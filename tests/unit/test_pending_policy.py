"""Pure arithmetic of pending rebates (issue 17, item 1): refunds inside the return window take
back from pending first, never from the account; the parts of any refund sequence add up to
exactly the proportional clawback; 全返 parts never fall due before the window ends."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.rebates import policy

PAID_AT = datetime(2030, 6, 1, 12, tzinfo=timezone.utc)


@given(reduction=st.integers(-10, 10**9), pending=st.integers(-10, 10**9))
def test_a_reduction_takes_pending_first_and_the_parts_add_up(reduction, pending):
    first, rest = policy.from_pending(reduction, pending)
    assert first >= 0 and rest >= 0
    assert first + rest == max(reduction, 0)
    assert first <= max(pending, 0)
    assert rest == 0 or first == max(pending, 0)  # the account is reached only once pending is empty


def test_pending_until_is_paid_at_plus_the_days_or_none():
    assert policy.pending_until(PAID_AT, 0) is None
    assert policy.pending_until(PAID_AT, 7) == PAID_AT + timedelta(days=7)


@given(paid=st.integers(1, 10**8), ratio_bp=st.integers(0, 10_000),
       refunds=st.lists(st.integers(1, 10**8), max_size=8), released_after=st.integers(0, 8))
def test_pending_then_released_rebates_never_go_negative_and_end_at_the_kept_share(paid, ratio_bp, refunds,
                                                                                   released_after):
    """A rebate granted pending; the first `released_after` refunds land inside the window, the
    release runs, the others land after it. Inside the window nothing reaches the account; in all,
    what was taken is the proportional clawback of the total refunded, and pending + spendable
    never drop below zero."""
    granted = policy.ratio_of(paid, ratio_bp)
    pending, spendable, taken, refunded = granted, 0, 0, 0
    for n, amount in enumerate(refunds):
        if n == released_after:
            pending, spendable = 0, spendable + pending  # release-pending
        refunded = policy.refunded_after(paid, refunded, amount=amount)
        reduction = policy.clawback_due(granted, refunded, paid) - taken
        assert reduction >= 0
        first, rest = policy.from_pending(reduction, pending)
        if n < released_after:
            assert rest == 0  # inside the window: never from the account, so never a debt
        pending, spendable, taken = pending - first, spendable - rest, taken + reduction
        assert pending >= 0
    if released_after >= len(refunds):
        pending, spendable = 0, spendable + pending
    assert pending + spendable == granted - policy.clawback_due(granted, refunded, paid) >= 0
    assert spendable >= 0  # no spending here: a clawback after release finds what was released


@given(total=st.integers(0, 10**8), parts=st.integers(1, 36), period=st.integers(1, 366),
       pending_days=st.integers(0, 90))
def test_full_return_parts_never_fall_due_inside_the_window(total, parts, period, pending_days):
    plan = policy.schedule(total, parts, period, PAID_AT, pending_days)
    assert sum(p.amount for p in plan) == total
    assert all(p.due_at >= PAID_AT + timedelta(days=pending_days) for p in plan)
    assert all(p.due_at == max(PAID_AT + timedelta(days=p.number * period), PAID_AT + timedelta(days=pending_days))
               for p in plan)
    assert [p.due_at for p in plan] == sorted(p.due_at for p in plan)
    assert policy.schedule(total, parts, period, PAID_AT) == policy.schedule(total, parts, period, PAID_AT, 0)
