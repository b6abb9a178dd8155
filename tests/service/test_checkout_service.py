"""Locks over time, through the service with an explicit clock (moto): lapsed locks, takeover,
validity windows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.coupons import checkout, wallet
from chalicelib.coupons.models import CouponListQuery, LineItem, QuoteRequest
from chalicelib.errors import AlreadyLocked, NotUsable
from tests.checkout_helpers import NOW, give, item, lock_request

LATER = NOW + timedelta(minutes=15)  # the default lock lifetime


def test_a_lock_expires_after_the_lock_lifetime(aws):
    locked = checkout.lock_coupon("alice", give().id, lock_request("order-1"), NOW)
    assert locked.lock_expires_at == LATER


def test_another_order_takes_over_a_lapsed_lock(aws):
    coupon = give()
    checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW)
    taken = checkout.lock_coupon("alice", coupon.id, lock_request("order-2"), LATER)
    assert (taken.status, taken.order_id, taken.lock_expires_at) == ("locked", "order-2", LATER + timedelta(minutes=15))


def test_a_live_lock_is_not_taken_over(aws):
    coupon = give()
    checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW)
    with pytest.raises(AlreadyLocked):
        checkout.lock_coupon("alice", coupon.id, lock_request("order-2"), LATER - timedelta(seconds=1))


def test_the_first_order_cannot_unlock_after_a_takeover(aws):
    coupon = give()
    checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW)
    checkout.lock_coupon("alice", coupon.id, lock_request("order-2"), LATER)
    with pytest.raises(AlreadyLocked):
        checkout.unlock_coupon("alice", coupon.id, "order-1", LATER)


def test_locking_again_for_the_same_order_renews_the_lock(aws):
    coupon = give()
    checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW)
    renewed = checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW + timedelta(minutes=10))
    assert renewed.lock_expires_at == NOW + timedelta(minutes=25)


def test_a_coupon_with_a_lapsed_lock_is_listed_as_unused(aws):
    coupon = give()
    checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW)
    unused = wallet.list_coupons("alice", CouponListQuery(status="unused"), LATER).items
    assert [(c.id, c.status) for c in unused] == [(coupon.id, "unused")]
    assert wallet.list_coupons("alice", CouponListQuery(status="locked"), LATER).items == []


def test_best_choice_offers_a_coupon_whose_lock_lapsed_but_not_a_locked_one(aws):
    coupon = give(min_spend=0)
    checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW)
    order = QuoteRequest(items=[LineItem(**item(10_000))])
    assert checkout.quote("alice", order, NOW).applied == []
    assert [a.coupon_id for a in checkout.quote("alice", order, LATER).applied] == [coupon.id]


def test_a_coupon_past_its_validity_cannot_be_locked(aws):
    coupon = give(validity={"days_after_claim": 1})
    with pytest.raises(NotUsable) as refused:
        checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW + timedelta(days=1))
    assert refused.value.details == [{"coupon_id": coupon.id, "reason": "it is expired"}]


def test_a_coupon_not_valid_yet_cannot_be_locked(aws):
    window = {"fixed": {"from": NOW + timedelta(days=1), "until": NOW + timedelta(days=2)}}
    coupon = give(validity=window)
    with pytest.raises(NotUsable):
        checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW)
    assert checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW + timedelta(days=1)).status == "locked"


def test_a_lapsed_lock_past_validity_cannot_be_taken_over(aws):
    coupon = give(validity={"days_after_claim": 1})
    checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW + timedelta(hours=23, minutes=50))
    with pytest.raises(NotUsable):
        checkout.lock_coupon("alice", coupon.id, lock_request("order-2"), NOW + timedelta(days=1, minutes=10))


def test_a_coupon_whose_lock_lapsed_shows_no_order(aws):
    coupon = give()
    checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW)
    shown = wallet.get_coupon("alice", coupon.id, LATER)
    assert (shown.status, shown.order_id, shown.lock_expires_at) == ("unused", None, None)
