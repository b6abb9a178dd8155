"""A reservation through its life in the service (moto): spent once by its payment, given back in
proportion by refunds, released by the lock-release job when it lapses, and a payment after a
release spending what is still free (docs/checkout.md, "Order reservations")."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import dynamo
from chalicelib.coupons import cards_store, checkout, reserving
from chalicelib.coupons import keys as coupon_keys
from chalicelib.coupons.models import LockRequest
from chalicelib.errors import InvalidState
from chalicelib.jobs import registry as jobs
from chalicelib.jobs.budget import Unlimited
from chalicelib.orders import reservations
from chalicelib.orders.models import ReservationRequest
from chalicelib.rebates import accounts_store, settlement, settlement_store
from chalicelib.settings import get_settings
from tests.checkout_helpers import NOW, card, give, item
from tests.payment_helpers import payment_event, refund_event
from tests.reservation_helpers import fund, ledger_sums

LOCK = timedelta(seconds=get_settings().lock_ttl_seconds)
PAID = 5000  # the cash of the order below: 10,000 - 1,000 coupon - 1,000 points - 2,000 card - 1,000 balance


def reserve(order_id="order-pay_1", now=NOW, **fields):
    request = ReservationRequest.model_validate({"order_id": order_id, "items": [item(10_000)], **fields})
    return reservations.reserve("alice", request, now)


def held_account():
    current = accounts_store.get_account("alice")
    return {k: current[k] for k in ("balance", "held", "points", "points_held", "debt")}


def stored(key):
    return dynamo.get(key, consistent=True)


def world():
    fund(balance=3000, points=1500)
    coupon, gift = give(value=1000, min_spend=0), card(value=2000)
    shown = reserve(coupon_ids=[coupon.id, gift.id], use_points=1000, use_balance=1000)
    assert (shown.discount, shown.points_used, shown.stored_value, shown.balance_used, shown.total) == (
        1000, 1000, 2000, 1000, 5000), shown
    return coupon, gift


def test_a_payment_spends_its_reservation_once(aws):
    coupon, gift = world()
    for _ in range(2):  # a redelivery changes nothing
        settlement.process(payment_event("pay_1", PAID), NOW)
    assert held_account() == {"balance": 2000, "held": 0, "points": 500, "points_held": 0, "debt": 0}
    spends = [e for e in accounts_store.ledger_page("alice", 100, None)[0] if e.type == "spend"]
    assert sorted((e.asset, e.amount, e.ref) for e in spends) == [
        ("held", -1000, "generic:pay_1"), ("points_held", -1000, "generic:pay_1")]
    assert stored(coupon_keys.coupon("alice", coupon.id))["status"] == "used"
    assert (stored(coupon_keys.coupon("alice", gift.id))["balance"],
            stored(coupon_keys.coupon("alice", gift.id))["held"]) == (0, 0)
    assert reservations.get("alice", "order-pay_1").status == "paid"
    payment = settlement_store.get_payment("generic:pay_1")
    assert payment.reservation_outcome.startswith("spent balance 1000 of 1000, points 1000 of 1000, cards 1 of 1")


def test_a_payment_without_a_reservation_settles_as_before(aws):
    settlement.process(payment_event("pay_2", 1000), NOW)
    assert settlement_store.get_payment("generic:pay_2").reservation_outcome is None


def test_refunds_give_back_in_proportion_then_the_exact_remainder_never_twice(aws):
    world()
    settlement.process(payment_event("pay_1", PAID), NOW)
    for _ in range(2):
        settlement.process(refund_event("r1", "pay_1", amount=1666), NOW)
    assert held_account() == {"balance": 2333, "held": 0, "points": 833, "points_held": 0, "debt": 0}
    settlement.process(refund_event("r2", "pay_1", amount=PAID - 1666), NOW)
    settlement.process(refund_event("r2", "pay_1", amount=PAID - 1666), NOW)
    assert held_account() == {"balance": 3000, "held": 0, "points": 1500, "points_held": 0, "debt": 0}
    refunds = [e for e in accounts_store.ledger_page("alice", 100, None)[0] if e.type == "refund"]
    assert sorted((e.asset, e.amount) for e in refunds) == [("balance", 333), ("balance", 667),
                                                           ("points", 333), ("points", 667)]
    assert ledger_sums("alice") == {"balance": 3000, "held": 0, "points": 1500, "points_held": 0}


def test_the_job_releases_a_lapsed_reservation_and_reads_only_what_is_due(aws):
    coupon, gift = world()
    assert jobs.run("release-locks", NOW + LOCK - timedelta(seconds=1), Unlimited()).read == 0
    report = jobs.run("release-locks", NOW + LOCK, Unlimited())
    assert (report.read, report.changed, report.finished) == (1, 1, True)  # the coupon and card went with it
    assert held_account() == {"balance": 3000, "held": 0, "points": 1500, "points_held": 0, "debt": 0}
    assert stored(coupon_keys.coupon("alice", coupon.id))["status"] == "unused"
    assert stored(coupon_keys.coupon("alice", gift.id))["balance"] == 2000
    assert reservations.get("alice", "order-pay_1").status == "released"
    assert jobs.run("release-locks", NOW + LOCK, Unlimited()).read == 0


def test_a_payment_after_release_spends_what_is_still_free(aws):
    coupon, _ = world()
    reservations.release("alice", "order-pay_1", NOW)
    settlement.process(payment_event("pay_1", PAID), NOW + timedelta(minutes=1))
    assert held_account() == {"balance": 2000, "held": 0, "points": 500, "points_held": 0, "debt": 0}
    assert stored(coupon_keys.coupon("alice", coupon.id))["status"] == "used"
    assert "released" in settlement_store.get_payment("generic:pay_1").reservation_outcome


def test_a_payment_after_release_reports_what_is_no_longer_free(aws):
    world()
    reservations.release("alice", "order-pay_1", NOW)
    reserve(order_id="other", use_balance=2500, now=NOW)  # takes the balance the payment would spend
    settlement.process(payment_event("pay_1", PAID), NOW + timedelta(minutes=1))
    current = held_account()
    assert (current["balance"], current["held"], current["points"]) == (500, 2500, 500)
    outcome = settlement_store.get_payment("generic:pay_1").reservation_outcome
    assert outcome.startswith("spent balance 0 of 1000, points 1000 of 1000"), outcome


def test_another_body_after_the_reservation_lapsed_releases_it_and_reserves_anew(aws):
    fund(balance=3000)
    reserve(order_id="o-1", use_balance=1000)
    shown = reserve(order_id="o-1", use_balance=2000, now=NOW + LOCK)
    assert (shown.status, shown.balance_used) == ("reserved", 2000)
    assert held_account()["held"] == 2000
    assert ledger_sums("alice")["held"] == 2000


# --- what a reservation holds belongs to it -------------------------------------------------------

def test_the_per_coupon_routes_cannot_give_back_what_a_reservation_holds(aws):
    """Given order-pay_1 reserved with a voucher and a card, when the shopper asks the per-coupon
    routes to unlock each for that order, then both are refused (409, naming the reservation's
    release), nothing moves, and the payment spends both."""
    coupon, gift = world()
    for coupon_id in (gift.id, coupon.id):
        with pytest.raises(InvalidState, match="release the reservation"):
            checkout.unlock_coupon("alice", coupon_id, "order-pay_1", NOW)
    with pytest.raises(InvalidState, match="release the reservation"):
        checkout.lock_coupon("alice", coupon.id, LockRequest(order_id="order-pay_1", items=[item(10_000)]), NOW)
    assert stored(coupon_keys.coupon("alice", coupon.id))["status"] == "locked"
    assert stored(coupon_keys.card_hold("alice", gift.id, "order-pay_1"))["status"] == "held"
    settlement.process(payment_event("pay_1", PAID), NOW)
    outcome = settlement_store.get_payment("generic:pay_1").reservation_outcome
    assert "cards 1 of 1" in outcome and "coupon used" in outcome
    assert stored(coupon_keys.coupon("alice", gift.id))["balance"] == 0


def test_released_by_the_reservation_the_coupons_are_free_for_any_order_again(aws):
    coupon, gift = world()
    reservations.release("alice", "order-pay_1", NOW)
    locked = checkout.lock_coupon("alice", coupon.id, LockRequest(order_id="order-2", items=[item(10_000)]), NOW)
    assert locked.status == "locked"
    assert checkout.unlock_coupon("alice", coupon.id, "order-2", NOW).status == "unused"


def test_a_card_hold_released_between_the_payments_read_and_write_is_spent_from_the_card(aws, monkeypatch):
    """The lock sweep releases a lapsed reservation's card hold right after the payment read it:
    the payment reads the hold again and spends the card's balance, as for any released hold."""
    gift = card(value=2000)
    assert reserve(coupon_ids=[gift.id]).total == 8000
    later = NOW + LOCK + timedelta(seconds=1)
    real, fired = reserving.spend_items, []

    def spend_items(*args, **kwargs):
        items = real(*args, **kwargs)
        if not fired:
            fired.append(True)
            held = cards_store.get_hold("alice", gift.id, "order-pay_1")
            assert cards_store.release("alice", held, later, only_lapsed=True)
        return items

    monkeypatch.setattr(reserving, "spend_items", spend_items)
    settlement.process(payment_event("pay_1", 8000), later)
    assert "cards 1 of 1" in settlement_store.get_payment("generic:pay_1").reservation_outcome
    assert (stored(coupon_keys.coupon("alice", gift.id))["balance"], fired) == (0, [True])
