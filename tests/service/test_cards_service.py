"""Card holds over time, and cards in the payment flow (service with an explicit clock, moto)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.coupons import checkout, redemption, wallet
from chalicelib.coupons.models import HoldRequest
from chalicelib.errors import InsufficientBalance
from chalicelib.models import PageQuery
from tests.checkout_helpers import NOW, card

LATER = NOW + timedelta(minutes=15)


def hold(card_id, amount, order_id, now=NOW):
    return checkout.hold_card("alice", card_id, HoldRequest(order_id=order_id, amount=amount), now)


def state(card_id, now=NOW):
    current = wallet.get_coupon("alice", card_id, now)
    return current.balance, current.held


def entries(card_id):
    return wallet.card_history("alice", card_id, PageQuery(limit=100)).items


def test_a_hold_expires_after_the_lock_lifetime(aws):
    assert hold(card().id, 100, "order-1").expires_at == LATER


def test_a_lapsed_hold_is_released_when_the_balance_falls_short(aws):
    gift = card(value=1000)
    hold(gift.id, 800, "order-1")
    with pytest.raises(InsufficientBalance):
        hold(gift.id, 800, "order-2", LATER - timedelta(seconds=1))
    assert hold(gift.id, 800, "order-2", LATER).status == "held"
    assert state(gift.id) == (200, 800)
    assert [e.type for e in entries(gift.id)][:2] == ["hold", "release"]


def test_payment_spends_the_orders_hold(aws):
    gift = card(value=5000)
    hold(gift.id, 3000, "order-1")
    spent = redemption.redeem_order("alice", "order-1", [gift.id], "pay-1", NOW)
    assert [(c.id, c.balance, c.held) for c in spent] == [(gift.id, 2000, 0)]


def test_payment_spends_a_hold_past_its_expiry_that_nobody_released(aws):
    gift = card(value=5000)
    hold(gift.id, 3000, "order-1")
    assert [c.balance for c in redemption.redeem_order("alice", "order-1", [gift.id], "pay-1", LATER)] == [2000]


def test_payment_after_a_lapsed_hold_was_released_pays_from_the_balance(aws):
    gift = card(value=1000)
    hold(gift.id, 600, "order-1")
    with pytest.raises(InsufficientBalance):  # falls short even after releasing order-1's lapsed hold
        hold(gift.id, 1100, "order-2", LATER)
    assert state(gift.id) == (1000, 0)
    spent = redemption.redeem_order("alice", "order-1", [gift.id], "pay-1", LATER)
    assert [(c.balance, c.held) for c in spent] == [(400, 0)]
    assert [e.type for e in entries(gift.id)] == ["spend", "release", "hold", "issue"]
    assert (sum(e.balance_change for e in entries(gift.id)), sum(e.held_change for e in entries(gift.id))) == (400, 0)


def test_payment_after_a_lapsed_hold_is_not_taken_when_the_balance_no_longer_covers_it(aws):
    gift = card(value=1000)
    hold(gift.id, 600, "order-1")
    hold(gift.id, 900, "order-2", LATER)
    assert redemption.redeem_order("alice", "order-1", [gift.id], "pay-1", LATER) == []
    assert state(gift.id) == (100, 900)


def test_payment_of_an_order_without_a_hold_spends_nothing(aws):
    gift = card(value=1000)
    assert redemption.redeem_order("alice", "order-1", [gift.id], "pay-1", NOW) == []
    assert state(gift.id) == (1000, 0)


def test_a_redelivered_payment_spends_the_card_once(aws):
    gift = card(value=5000)
    hold(gift.id, 3000, "order-1")
    first = redemption.redeem_order("alice", "order-1", [gift.id], "pay-1", NOW)
    assert redemption.redeem_order("alice", "order-1", [gift.id], "pay-1", NOW) == first
    assert state(gift.id) == (2000, 0)
    assert [e.type for e in entries(gift.id)].count("spend") == 1


def test_a_refund_returns_the_spent_amount_to_the_card_once(aws):
    gift = card(value=5000)
    hold(gift.id, 3000, "order-1")
    redemption.redeem_order("alice", "order-1", [gift.id], "pay-1", NOW)
    restored = redemption.restore_order("alice", "pay-1", NOW)
    assert [(c.id, c.balance) for c in restored] == [(gift.id, 5000)]
    assert redemption.restore_order("alice", "pay-1", NOW) == restored
    assert state(gift.id) == (5000, 0)


def test_a_refund_of_another_payment_does_not_touch_the_card(aws):
    gift = card(value=5000)
    hold(gift.id, 3000, "order-1")
    redemption.redeem_order("alice", "order-1", [gift.id], "pay-1", NOW)
    assert redemption.restore_order("alice", "pay-2", NOW) == []
    assert state(gift.id) == (2000, 0)


def test_an_untouched_card_can_be_revoked_but_not_one_drawn_on(aws):
    untouched, drawn = card(), card()
    hold(drawn.id, 100, "order-1")
    assert redemption.revoke_coupon("alice", untouched.id, NOW) is True
    assert redemption.revoke_coupon("alice", drawn.id, NOW) is False


def test_an_expired_card_cannot_be_held(aws):
    gift = card(validity={"days_after_claim": 1})
    from chalicelib.errors import NotUsable

    with pytest.raises(NotUsable):
        hold(gift.id, 100, "order-1", NOW + timedelta(days=1))
