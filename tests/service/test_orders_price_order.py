"""orders.quotes.price_order, the pricing reservations build on (in-process moto): what it
returns besides the quote, the discount coupon to lock and the cards with what each pays."""

from __future__ import annotations

import pytest

from chalicelib.coupons.models import LineItem
from chalicelib.errors import NotUsable
from chalicelib.orders.quotes import price_order
from chalicelib.programme.models import ProgrammeSettings
from tests.checkout_helpers import NOW, card, give, item

Rules = ProgrammeSettings


def items(*amounts):
    return [LineItem(**item(a)) for a in amounts]


def test_price_order_names_the_coupon_to_lock_and_the_cards_that_pay(aws):
    off = give(value=1000, min_spend=0)
    gift, spare = card(value=2000), card(value=5000)
    priced = price_order("alice", items(10_000), [off.id, gift.id, spare.id], use_balance=9000, use_points=1000,
                         settings=Rules(), account={"balance": 3000, "points": 1000}, now=NOW)
    assert priced.discount_coupon.id == off.id
    assert [(c.id, amount) for c, amount in priced.cards] == [(gift.id, 2000), (spare.id, 5000)]
    assert (priced.points_used, priced.points_amount, priced.balance_used) == (1000, 1000, 1000)
    assert (priced.quote.total, priced.quote.balance_used) == (0, 1000)
    assert [(t.asset, t.reason) for t in priced.quote.trimmed] == [("balance", "cap")]


def test_price_order_leaves_out_a_chosen_card_that_pays_nothing(aws):
    gift, spare = card(value=9000), card(value=5000)
    priced = price_order("alice", items(1000), [gift.id, spare.id], use_balance=0, use_points=0,
                         settings=Rules(), account={}, now=NOW)
    assert priced.discount_coupon is None
    assert [(c.id, amount) for c, amount in priced.cards] == [(gift.id, 1000)]
    assert [(a.coupon_id, a.amount) for a in priced.quote.applied] == [(gift.id, 1000), (spare.id, 0)]


def test_price_order_without_coupon_ids_takes_the_best_choice(aws):
    off = give(value=1000, min_spend=0)
    priced = price_order("alice", items(10_000), None, use_balance=0, use_points=500, settings=Rules(),
                         account={"points": 500}, now=NOW)
    assert priced.discount_coupon.id == off.id
    assert (priced.points_used, priced.quote.total) == (500, 8500)


def test_price_order_refuses_a_coupon_that_is_not_the_callers(aws):
    bobs = give("bob", value=1000, min_spend=0)
    with pytest.raises(NotUsable):
        price_order("alice", items(10_000), [bobs.id], use_balance=0, use_points=0, settings=Rules(),
                    account={}, now=NOW)
