"""Paying for one order (chalicelib.orders.paying): the discount coupon, then points, then cards,
then the balance, with the rounding and caps of API.md "Paying with rebates". Literals only."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.coupons import pricing
from chalicelib.coupons.models import Coupon, Scope
from chalicelib.ids import new_id
from chalicelib.orders import paying
from chalicelib.programme.models import ProgrammeSettings
from tests.checkout_helpers import NOW

Line = pricing.Line
ORDER = [Line("apple", "food", 6000), Line("robot", "toys", 4000)]  # 10,000 fen


Rules = ProgrammeSettings  # API.md's defaults; paying reads four of its fields


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


def trims(bill):
    return [(t.asset, t.asked, t.used, t.reason) for t in bill.trimmed]


DEFAULTS = Rules()


def pay(rules=DEFAULTS, off=None, cards=(), order=ORDER, **asked):
    wallet = {"free_points": 10**9, "free_balance": 10**9}
    wallet.update(asked)
    return paying.bill(order, off, list(cards), rules, **wallet)


# --- the order of application ---------------------------------------------------------------------

def test_nothing_asked_spends_neither_points_nor_balance():
    bill = pay(off=coupon(value=1000))
    assert (bill.points_used, bill.points_amount, bill.balance_used, bill.total) == (0, 0, 0, 9000)
    assert bill.trimmed == []


def test_coupon_then_points_then_cards_then_balance():
    gift = card(3000)
    bill = pay(off=coupon(value=1000), cards=[gift], use_points=2000, use_balance=5000)
    assert (bill.discount, bill.points_amount, bill.stored_value, bill.balance_used) == (1000, 2000, 3000, 4000)
    assert bill.total == 0
    assert [(c.id, a) for c, a in bill.applied][1:] == [(gift.id, 3000)]
    assert trims(bill) == [("balance", 5000, 4000, "cap")]  # only 4000 fen were left to pay


def test_points_are_capped_at_their_percent_of_the_order_after_the_discount():
    bill = pay(off=coupon(value=1000), use_points=9000)
    assert (bill.points_used, bill.points_amount, bill.total) == (4500, 4500, 4500)  # 50% of 9000, rounded down
    assert trims(bill) == [("points", 9000, 4500, "cap")]


def test_the_points_cap_rounds_down():
    bill = pay(Rules(points_max_percent=33), order=[Line("a", "x", 1001)], use_points=1000)
    assert bill.points_amount == 330  # 1001 * 33 // 100 = 330.33 -> 330


def test_points_pay_whole_fen_and_no_point_is_spent_that_pays_nothing():
    bill = pay(Rules(points_per_yuan=150), use_points=10)
    assert (bill.points_amount, bill.points_used) == (6, 9)  # 10 points pay 6.67 fen: 6 fen, which 9 points pay
    assert trims(bill) == [("points", 10, 9, "whole_fen")]


def test_points_too_few_to_pay_a_fen_are_not_spent():
    bill = pay(Rules(points_per_yuan=1000), use_points=9)
    assert (bill.points_used, bill.points_amount, bill.total) == (0, 0, 10_000)
    assert trims(bill) == [("points", 9, 0, "whole_fen")]


def test_points_worth_more_than_a_fen_each_never_pay_past_the_cap():
    bill = pay(Rules(points_per_yuan=50, points_max_percent=100), order=[Line("a", "x", 3)], use_points=10)
    assert (bill.points_used, bill.points_amount, bill.total) == (1, 2, 1)  # 2 points would pay 4 fen of 3
    assert trims(bill) == [("points", 10, 1, "cap")]


def test_points_are_trimmed_to_what_is_free():
    bill = pay(use_points=3000, free_points=1200)
    assert (bill.points_used, bill.points_amount) == (1200, 1200)
    assert trims(bill) == [("points", 3000, 1200, "not_enough")]


def test_points_do_not_combine_with_a_discount_coupon_when_the_programme_says_so():
    bill = pay(Rules(points_with_coupon=False), off=coupon(value=1000), use_points=500, use_balance=100)
    assert (bill.points_used, bill.points_amount, bill.balance_used, bill.total) == (0, 0, 100, 8900)
    assert trims(bill) == [("points", 500, 0, "coupon_does_not_combine")]


def test_points_without_a_coupon_pay_even_when_they_do_not_combine_with_one():
    assert pay(Rules(points_with_coupon=False), use_points=500).points_amount == 500


def test_the_balance_cap_is_a_percent_of_the_order_after_coupon_and_points():
    bill = pay(Rules(balance_max_percent=50), off=coupon(value=1000), use_points=1000, use_balance=9000)
    assert bill.balance_used == 4000  # (10,000 - 1000 - 1000) * 50 // 100
    assert bill.total == 4000
    assert trims(bill) == [("balance", 9000, 4000, "cap")]


def test_the_balance_is_trimmed_to_what_is_free():
    bill = pay(use_balance=5000, free_balance=700)
    assert (bill.balance_used, bill.total) == (700, 9300)
    assert trims(bill) == [("balance", 5000, 700, "not_enough")]


def test_cards_pay_after_points_so_a_scoped_card_pays_only_what_is_left_of_its_lines():
    toys_card = card(10_000, scope=Scope(categories=["toys"]))
    bill = pay(cards=[toys_card], use_points=5000)
    assert bill.stored_value == 2000  # toys 4000 less their 2000 share of the points
    assert bill.total == 3000


def test_the_best_choice_prices_cards_after_points():
    big, gift = coupon(value=2000), card(9000)
    bill = paying.best_bill(ORDER, [gift, big], Rules(), use_points=1000, free_points=1000)
    assert [(c.id, a) for c, a in bill.applied] == [(big.id, 2000), (gift.id, 7000)]
    assert (bill.points_amount, bill.total) == (1000, 0)


def test_the_best_choice_leaves_out_a_card_that_points_made_unneeded():
    gift = card(9000)
    bill = paying.best_bill([Line("a", "x", 1000)], [gift], Rules(points_max_percent=100), use_points=1000,
                            free_points=1000)
    assert bill.applied == []
    assert bill.total == 0


# --- properties -----------------------------------------------------------------------------------

amounts = st.integers(min_value=0, max_value=10**7)
lines = st.lists(st.builds(Line, st.sampled_from(["a", "b"]), st.sampled_from(["x", "y"]), amounts),
                 min_size=1, max_size=4)
scopes = st.one_of(st.just(Scope(all=True)), st.builds(lambda c: Scope(categories=[c]), st.sampled_from(["x", "y"])))
offs = st.none() | st.builds(lambda v, s: coupon(value=v, scope=s), st.integers(1, 10**7), scopes) | st.builds(
    lambda v, s: coupon("percent_off", value=v, scope=s), st.integers(1, 99), scopes)
card_lists = st.lists(st.builds(lambda b, s: card(b, scope=s), st.integers(1, 10**7), scopes), max_size=3)
rules = st.builds(Rules, points_per_yuan=st.integers(1, 10_000), points_max_percent=st.integers(0, 100),
                  points_with_coupon=st.booleans(), balance_max_percent=st.integers(0, 100))
asked = st.integers(0, 10**8)


@settings(database=None, max_examples=300)
@given(lines, offs, card_lists, rules, asked, asked, asked, asked)
def test_a_bill_adds_up_never_below_zero_caps_never_passed_no_point_wasted(
        order, off, paying_cards, programme, use_points, use_balance, free_points, free_balance):
    bill = paying.bill(order, off, paying_cards, programme, use_points=use_points, use_balance=use_balance,
                       free_points=free_points, free_balance=free_balance)
    after_discount = bill.subtotal - bill.discount
    after_points = after_discount - bill.points_amount
    assert bill.total >= 0
    assert bill.total == after_points - bill.stored_value - bill.balance_used
    # caps, what was asked, what is free
    assert 0 <= bill.points_amount <= after_discount * programme.points_max_percent // 100
    assert 0 <= bill.points_used <= min(use_points, free_points)
    assert 0 <= bill.balance_used <= min(use_balance, free_balance, after_points * programme.balance_max_percent // 100)
    if off is not None and not programme.points_with_coupon:
        assert bill.points_used == 0
    # points pay whole fen, and one point fewer would pay less: no point is wasted
    assert bill.points_amount == bill.points_used * 100 // programme.points_per_yuan
    if bill.points_used:
        assert (bill.points_used - 1) * 100 // programme.points_per_yuan < bill.points_amount
    # every shortfall is reported, once, with why; nothing else is
    expected = {("points", use_points, bill.points_used), ("balance", use_balance, bill.balance_used)}
    short = {e for e in expected if e[2] < e[1]}
    assert {(t.asset, t.asked, t.used) for t in bill.trimmed} == short
    assert all(t.reason in paying.REASONS for t in bill.trimmed)


@settings(database=None, max_examples=300)
@given(st.integers(0, 3000), st.integers(1, 400), st.integers(0, 100), st.integers(0, 3000), st.integers(0, 3000))
def test_points_pay_the_most_they_may(amount, per_yuan, percent, use_points, free_points):
    programme = Rules(points_per_yuan=per_yuan, points_max_percent=percent)
    bill = pay(programme, order=[Line("a", "x", amount)], use_points=use_points, free_points=free_points)
    cap = amount * percent // 100
    reachable = [p * 100 // per_yuan for p in range(min(use_points, free_points) + 1)]
    assert bill.points_amount == max(a for a in reachable if a <= cap)


@settings(database=None, max_examples=200)
@given(lines, card_lists, rules, asked, asked, asked)
def test_the_balance_pays_the_most_it_may(order, paying_cards, programme, use_points, use_balance, free_balance):
    bill = paying.bill(order, None, paying_cards, programme, use_points=use_points, use_balance=use_balance,
                       free_points=use_points, free_balance=free_balance)
    after_points = bill.subtotal - bill.points_amount
    room = min(after_points * programme.balance_max_percent // 100, after_points - bill.stored_value)
    assert bill.balance_used == min(use_balance, free_balance, room)
