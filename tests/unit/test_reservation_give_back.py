"""The arithmetic of giving back a reservation's balance and points on refunds (pure):
`floor(used * R / C)` over the running refunded total R of a payment C (API.md, "Paying with
rebates ... and order reservations"; rebates.policy.given_back_due)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.rebates.policy import given_back_due


def test_a_partial_refund_gives_back_in_proportion_rounded_down():
    assert given_back_due(used=1000, refunded=3333, paid=10_000) == 333
    assert given_back_due(used=7, refunded=1, paid=3) == 2


def test_the_refund_that_completes_the_payment_gives_the_exact_remainder():
    first = given_back_due(used=1000, refunded=3333, paid=10_000)
    assert given_back_due(used=1000, refunded=10_000, paid=10_000) - first == 667


def test_any_refund_of_a_payment_of_zero_completes_it():
    assert given_back_due(used=500, refunded=0, paid=0) == 500


def test_refunds_past_the_payment_give_back_no_more_than_was_used():
    assert given_back_due(used=500, refunded=20_000, paid=10_000) == 500


@given(used=st.integers(0, 10**9), paid=st.integers(1, 10**9),
       parts=st.lists(st.integers(1, 10**9), min_size=1, max_size=8))
def test_refunds_in_any_parts_never_give_back_more_than_used_and_end_exact(used, paid, parts):
    refunded, given_back = 0, 0
    for part in parts:
        refunded = min(paid, refunded + part)
        due = given_back_due(used, refunded, paid)
        assert due >= given_back  # a later refund never takes back what was given
        given_back = due
        assert 0 <= given_back <= used
        assert given_back == used * refunded // paid
    if refunded == paid:
        assert given_back == used
