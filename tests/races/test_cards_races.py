"""Concurrent holds and payments on one card never overdraw it (serialized moto server and DynamoDB Local)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import requests

from chalicelib.coupons import checkout, redemption, wallet
from chalicelib.coupons.models import HoldRequest
from chalicelib.errors import InsufficientBalance
from chalicelib.models import PageQuery
from tests.checkout_helpers import NOW, card, race
from tests.helpers import fire, headers_for
from tests.race_helpers import published

LATER = NOW + timedelta(minutes=15)


def sums(user, card_id):
    entries = wallet.card_history(user, card_id, PageQuery(limit=100)).items
    return sum(e.balance_change for e in entries), sum(e.held_change for e in entries)


def test_20_concurrent_holds_never_overdraw_a_card(race_api):
    template_id = published(race_api, kind="stored_value", value=5000, min_spend=0)
    gift = requests.post(f"{race_api}/templates/{template_id}/claim", headers=headers_for("alice")).json()
    url = f"{race_api}/me/coupons/{gift['id']}/hold"
    results = fire([("POST", url, headers_for("alice"), {"order_id": f"order-{i}", "amount": 1000}) for i in range(20)])
    assert Counter(status for status, _ in results) == Counter({200: 5, 409: 15}), results
    assert {body["error"]["code"] for status, body in results if status == 409} == {"INSUFFICIENT_BALANCE"}
    stored = requests.get(f"{race_api}/me/coupons/{gift['id']}", headers=headers_for("alice")).json()
    assert (stored["balance"], stored["held"]) == (0, 5000)
    assert sums("alice", gift["id"]) == (0, 5000)


def test_20_concurrent_payments_from_the_balance_never_overdraw_a_card(race_aws):
    gift = card(value=3000)
    for n in range(20):
        checkout.hold_card("alice", gift.id, HoldRequest(order_id=f"order-{n}", amount=150), NOW)
    # At LATER every hold has lapsed: a new order's hold releases them all, then takes 2000.
    checkout.hold_card("alice", gift.id, HoldRequest(order_id="order-new", amount=2000), LATER)
    results = race([lambda n=n: redemption.redeem_order("alice", f"order-{n}", [gift.id], f"pay-{n}", LATER)
                    for n in range(20)])
    assert not [r for r in results if isinstance(r, Exception)], results
    paid = [r for r in results if r]
    assert len(paid) == 6  # the 1000 fen left pay six lapsed holds of 150
    current = wallet.get_coupon("alice", gift.id, LATER)
    assert (current.balance, current.held) == (100, 2000)
    assert sums("alice", gift.id) == (100, 2000)


def test_concurrent_holds_and_a_release_keep_the_card_consistent(race_aws):
    gift = card(value=1000)
    checkout.hold_card("alice", gift.id, HoldRequest(order_id="first", amount=500), NOW)
    calls = [lambda: checkout.unlock_coupon("alice", gift.id, "first", NOW)]
    calls += [lambda n=n: checkout.hold_card("alice", gift.id, HoldRequest(order_id=f"o{n}", amount=300), NOW)
              for n in range(10)]
    results = race(calls)
    held_ok = [r for r in results[1:] if not isinstance(r, Exception)]
    assert all(isinstance(r, InsufficientBalance) for r in results[1:] if isinstance(r, Exception)), results
    assert 1 <= len(held_ok) <= 3
    current = wallet.get_coupon("alice", gift.id, NOW)
    assert current.balance == 1000 - 300 * len(held_ok) >= 0
    assert current.held == 300 * len(held_ok)
    assert sums("alice", gift.id) == (current.balance, current.held)


