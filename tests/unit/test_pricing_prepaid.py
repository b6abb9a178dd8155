"""coupons.pricing with `prepaid`: fen paid before the cards (points, by orders.paying), spread
over the lines after the discount, so the cards pay only what is left. Literals only: no AWS."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.coupons import pricing
from chalicelib.coupons.models import Coupon, Scope
from chalicelib.ids import new_id
from tests.checkout_helpers import NOW

Line = pricing.Line
FOOD, TOYS = Line("apple", "food", 6000), Line("robot", "toys", 4000)


def coupon(kind="amount_off", value=1000, scope=None, **extra) -> Coupon:
    fields = dict(
        id=new_id(), template_id=new_id(), name=kind, kind=kind, value=value, max_discount=None, min_spend=0,
        scope=scope or Scope(all=True), status="unused", valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=10), claimed_at=NOW,
    )
    if kind == "stored_value":
        fields.update(balance=value, held=0)
    fields.update(extra)
    return Coupon(**fields)


def card(balance, **extra) -> Coupon:
    return coupon("stored_value", value=balance, **extra)


def test_prepaid_fen_leave_less_for_the_cards_and_the_total():
    gift = card(20_000)
    priced = pricing.price([FOOD, TOYS], coupon(value=1000), [gift], prepaid=3000)
    assert (priced.discount, priced.stored_value, priced.total) == (1000, 6000, 0)
    assert [(c.id, a) for c, a in priced.applied][1:] == [(gift.id, 6000)]


def test_prepaid_is_spread_over_the_lines_so_a_scoped_card_pays_what_is_left_of_its_own():
    toys_card = card(10_000, scope=Scope(categories=["toys"]))
    priced = pricing.price([FOOD, TOYS], None, [toys_card], prepaid=5000)
    assert priced.stored_value == 2000  # toys 4000 less their 2000 share of the 5000 prepaid
    assert priced.total == 10_000 - 5000 - 2000


def test_the_best_choice_takes_prepaid_into_account_and_leaves_out_cards_it_no_longer_needs():
    soon = card(4000, valid_until=NOW + timedelta(days=1))
    late = card(9000, valid_until=NOW + timedelta(days=9))
    priced = pricing.best_choice([FOOD, TOYS], [late, soon], prepaid=6000)
    assert [(c.id, a) for c, a in priced.applied] == [(soon.id, 4000)]
    assert priced.total == 0


amounts = st.integers(min_value=0, max_value=10**9)
lines = st.lists(st.builds(Line, st.sampled_from(["a", "b"]), st.sampled_from(["x", "y"]), amounts),
                 min_size=1, max_size=5)
scopes = st.one_of(st.just(Scope(all=True)), st.builds(lambda c: Scope(categories=[c]), st.sampled_from(["x", "y"])))
cards = st.lists(st.builds(lambda b, s: card(b, scope=s), st.integers(1, 10**9), scopes), max_size=3)


@settings(database=None)
@given(lines, st.integers(0, 10**9), st.data(), cards)
def test_prepaid_and_cards_never_pay_more_than_is_left_after_the_discount(order, value, data, paying_cards):
    off = coupon(value=value)
    after_discount = sum(line.amount for line in order) - pricing.discount(off, order)
    prepaid = data.draw(st.integers(0, after_discount))
    priced = pricing.price(order, off, paying_cards, prepaid=prepaid)
    assert priced.stored_value <= after_discount - prepaid
    assert priced.total == after_discount - prepaid - priced.stored_value
