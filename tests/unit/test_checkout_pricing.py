"""The quote maths (chalicelib.coupons.pricing) and checkout rules, called with literals: no AWS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.coupons import pricing, rules
from chalicelib.coupons.models import Coupon, Scope
from chalicelib.errors import AlreadyLocked, NotUsable
from chalicelib.ids import new_id
from tests.checkout_helpers import NOW

Line = pricing.Line


def coupon(kind="amount_off", value=1000, min_spend=0, max_discount=None, scope=None, **extra) -> Coupon:
    fields = dict(
        id=new_id(), template_id=new_id(), name=kind, kind=kind, value=value, max_discount=max_discount,
        min_spend=min_spend, scope=scope or Scope(all=True), status="unused",
        valid_from=NOW - timedelta(days=1), valid_until=NOW + timedelta(days=10), claimed_at=NOW,
    )
    if kind == "stored_value":
        fields.update(balance=value, held=0)
    fields.update(extra)
    return Coupon(**fields)


def card(balance, **extra) -> Coupon:
    return coupon("stored_value", value=max(balance, 1), balance=balance, **extra)


FOOD, TOYS = Line("apple", "food", 6000), Line("robot", "toys", 4000)


# --- single discounts ---------------------------------------------------------------------------

def test_percent_off_rounds_down_to_the_fen():
    assert pricing.percent_off(999, 15, None) == 149  # 149.85 -> 149


def test_percent_off_is_capped_by_max_discount():
    assert pricing.percent_off(100_000, 20, 5000) == 5000


def test_amount_off_never_exceeds_the_applicable_amount():
    assert pricing.discount(coupon(value=5000), [Line("a", "x", 3000)]) == 3000


def test_a_coupon_below_its_minimum_spend_takes_off_nothing():
    assert pricing.discount(coupon(value=1000, min_spend=10_001), [FOOD, TOYS]) == 0


def test_the_minimum_spend_counts_only_lines_in_scope():
    by_category = coupon(value=500, min_spend=5000, scope=Scope(categories=["toys"]))
    assert pricing.discount(by_category, [FOOD, TOYS]) == 0
    assert pricing.discount(by_category, [FOOD, TOYS, Line("car", "toys", 1000)]) == 500


def test_percent_off_applies_to_the_skus_in_scope_only():
    by_sku = coupon("percent_off", value=10, scope=Scope(skus=["robot"]))
    assert pricing.discount(by_sku, [FOOD, TOYS]) == 400


def test_a_coupon_with_nothing_in_scope_does_not_apply():
    off = coupon(scope=Scope(categories=["books"]))
    assert pricing.inapplicable_reason(off, [FOOD]) == "no item of the order is in its scope"
    assert not pricing.applies(off, [FOOD])


def test_a_card_is_not_a_discount():
    with pytest.raises(ValueError):
        pricing.discount(card(100), [FOOD])


# --- a whole order --------------------------------------------------------------------------------

def test_price_takes_the_discount_then_cards_pay_in_the_order_given():
    first, second = card(3000), card(9000)
    priced = pricing.price([FOOD, TOYS], coupon(value=1000), [first, second])
    assert (priced.subtotal, priced.discount, priced.stored_value, priced.total) == (10_000, 1000, 9000, 0)
    assert [(c.id, amount) for c, amount in priced.applied][1:] == [(first.id, 3000), (second.id, 6000)]


def test_a_scoped_card_pays_only_what_is_left_of_its_lines():
    toys_card = card(10_000, scope=Scope(categories=["toys"]))
    priced = pricing.price([FOOD, TOYS], coupon("percent_off", value=10), [toys_card])
    assert priced.discount == 1000
    assert priced.stored_value == 3600  # toys 4000 less their 400 share of the discount
    assert priced.total == 10_000 - 1000 - 3600


def test_best_choice_takes_the_largest_discount_and_then_cards():
    small, large, gift = coupon(value=500), coupon("percent_off", value=20), card(2000)
    priced = pricing.best_choice([FOOD, TOYS], [small, large, gift])
    assert [c.id for c, _ in priced.applied] == [large.id, gift.id]
    assert (priced.discount, priced.stored_value, priced.total) == (2000, 2000, 6000)


def test_best_choice_breaks_a_tie_by_the_soonest_expiry():
    later = coupon(value=1000, valid_until=NOW + timedelta(days=9))
    sooner = coupon(value=1000, valid_until=NOW + timedelta(days=2))
    assert pricing.best_choice([FOOD], [later, sooner]).applied[0][0].id == sooner.id


def test_best_choice_spends_soonest_expiring_cards_first_and_leaves_unneeded_ones():
    late = card(9000, valid_until=NOW + timedelta(days=9))
    soon = card(4000, valid_until=NOW + timedelta(days=1))
    extra = card(100, valid_until=NOW + timedelta(days=20))
    priced = pricing.best_choice([FOOD, TOYS], [late, extra, soon])
    assert [(c.id, a) for c, a in priced.applied] == [(soon.id, 4000), (late.id, 6000)]


def test_best_choice_does_not_spend_a_coupon_worth_nothing_here():
    one_percent = coupon("percent_off", value=1)
    assert pricing.best_choice([Line("gum", "food", 50)], [one_percent]).applied == []


def test_best_choice_ignores_coupons_that_do_not_reach_their_minimum_spend():
    big = coupon(value=9000, min_spend=50_000)
    small = coupon(value=100)
    assert [c.id for c, _ in pricing.best_choice([FOOD], [big, small]).applied] == [small.id]


# --- properties -----------------------------------------------------------------------------------

amounts = st.integers(min_value=0, max_value=10**9)
lines = st.lists(st.builds(Line, st.sampled_from(["a", "b", "c"]), st.sampled_from(["x", "y"]), amounts),
                 min_size=1, max_size=6)
scopes = st.one_of(st.just(Scope(all=True)), st.builds(lambda c: Scope(categories=[c]), st.sampled_from(["x", "y"])),
                   st.builds(lambda s: Scope(skus=[s]), st.sampled_from(["a", "b"])))
discount_coupons = st.one_of(
    st.builds(lambda v, m, s: coupon("amount_off", value=v, min_spend=m, scope=s),
              st.integers(1, 10**9), st.integers(0, 10**9), scopes),
    st.builds(lambda v, m, cap, s: coupon("percent_off", value=v, min_spend=m, max_discount=cap, scope=s),
              st.integers(1, 99), st.integers(0, 10**9), st.none() | st.integers(1, 10**9), scopes),
)
cards = st.lists(st.builds(lambda b, s: card(b, scope=s), st.integers(0, 10**9), scopes), max_size=4)


@settings(database=None)  # no .hypothesis/ directory in the repository
@given(amounts, st.integers(1, 99), st.none() | st.integers(1, 10**9))
def test_percent_off_is_the_floor_capped_and_within_the_amount(amount, percent, cap):
    got = pricing.percent_off(amount, percent, cap)
    exact_floor = amount * percent // 100
    assert got == min(exact_floor, cap if cap is not None else exact_floor)
    assert 0 <= got <= amount
    assert got * 100 <= amount * percent  # never rounds up


@settings(database=None)
@given(discount_coupons, lines)
def test_a_discount_never_exceeds_its_applicable_amount_or_cap_and_is_never_negative(off, order):
    got = pricing.discount(off, order)
    applicable = pricing.applicable_amount(off.scope, order)
    assert 0 <= got <= applicable
    if off.max_discount is not None:
        assert got <= off.max_discount
    if applicable < off.min_spend or applicable == 0:
        assert got == 0


@settings(database=None)
@given(lines, st.none() | discount_coupons, cards)
def test_a_priced_order_adds_up_and_never_goes_below_zero(order, off, paying_cards):
    priced = pricing.price(order, off, paying_cards)
    assert priced.subtotal == sum(line.amount for line in order)
    assert priced.total >= 0
    assert priced.total == priced.subtotal - priced.discount - priced.stored_value
    for paying, paid in priced.applied:
        if paying.kind == "stored_value":
            assert 0 <= paid <= paying.balance
            assert paid <= pricing.applicable_amount(paying.scope, order)


@settings(database=None)
@given(lines, st.lists(discount_coupons, max_size=4), cards)
def test_best_choice_uses_at_most_one_discount_and_no_other_choice_of_one_discounts_more(order, offs, paying_cards):
    priced = pricing.best_choice(order, offs + paying_cards)
    chosen = [c for c, _ in priced.applied if c.kind != "stored_value"]
    assert len(chosen) <= 1
    assert priced.discount == max([pricing.discount(c, order) for c in offs] + [0])
    assert priced.total >= 0


# --- checkout rules ---------------------------------------------------------------------------------

def test_a_coupon_whose_lock_lapsed_shows_unused_again():
    locked = coupon(status="locked", order_id="o1", lock_expires_at=NOW)
    assert rules.coupon_status(locked, NOW - timedelta(seconds=1)) == "locked"
    assert rules.coupon_status(locked, NOW) == "unused"


def test_a_coupon_whose_lock_lapsed_after_its_validity_shows_expired():
    locked = coupon(status="locked", order_id="o1", lock_expires_at=NOW, valid_until=NOW)
    assert rules.coupon_status(locked, NOW) == "expired"


@pytest.mark.parametrize("changes, reason", [
    ({}, None),
    ({"status": "used"}, "it is used"),
    ({"status": "revoked"}, "it is revoked"),
    ({"valid_until": NOW}, "it is expired"),
    ({"valid_from": NOW + timedelta(seconds=1)}, "it is not valid yet"),
    ({"status": "locked", "order_id": "o", "lock_expires_at": NOW + timedelta(minutes=1)}, "it is reserved by an order"),
    ({"status": "locked", "order_id": "o", "lock_expires_at": NOW}, None),
])
def test_unusable_reason(changes, reason):
    assert rules.unusable_reason(coupon(**changes), NOW) == reason


def test_an_empty_card_is_unusable():
    assert rules.unusable_reason(card(0), NOW) == "the card has no balance left"


def test_a_live_lock_of_another_order_explains_as_already_locked():
    locked = coupon(status="locked", order_id="o1", lock_expires_at=NOW + timedelta(minutes=1))
    assert isinstance(rules.lock_refusal(locked, "o2", NOW), AlreadyLocked)


def test_a_used_coupon_explains_as_not_usable():
    refusal = rules.lock_refusal(coupon(status="used", order_id="o1"), "o2", NOW)
    assert isinstance(refusal, NotUsable)
    assert refusal.details[0]["reason"] == "it is used"
