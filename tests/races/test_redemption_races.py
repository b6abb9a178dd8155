"""Redeliveries and rivals of the payment flow racing: the service on threads, against the serialized
moto server and against DynamoDB Local (the `race_aws` fixture)."""

from __future__ import annotations

from chalicelib.coupons import checkout, redemption, templates, wallet
from chalicelib.coupons.models import Coupon
from chalicelib.ids import new_id
from tests.checkout_helpers import NOW, create_template, give, lock_request, race


def test_20_concurrent_redeliveries_of_a_payment_use_the_coupon_once(race_aws):
    coupon = give()
    checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW)
    results = race([lambda: redemption.redeem_order("alice", "order-1", [coupon.id], "pay-1", NOW) for _ in range(20)])
    assert all(isinstance(r, list) and [c.id for c in r] == [coupon.id] for r in results), results
    assert {r[0].payment_id for r in results} == {"pay-1"}
    assert templates.get_template(coupon.template_id).redeemed == 1


def test_20_payments_racing_for_one_unlocked_coupon_use_it_once(race_aws):
    coupon = give()
    results = race([lambda n=n: redemption.redeem_order("alice", f"order-{n}", [coupon.id], f"pay-{n}", NOW)
                    for n in range(20)])
    winners = [r[0].payment_id for r in results if r]
    assert len(winners) == 1, results
    assert wallet.get_coupon("alice", coupon.id, NOW).payment_id == winners[0]
    assert templates.get_template(coupon.template_id).redeemed == 1


def test_20_concurrent_redeliveries_of_a_refund_restore_once(race_aws):
    coupon = give()
    redemption.redeem_order("alice", "order-1", [coupon.id], "pay-1", NOW)
    results = race([lambda: redemption.restore_order("alice", "pay-1", NOW) for _ in range(20)])
    assert all(isinstance(r, list) for r in results), results
    assert templates.get_template(coupon.template_id).redeemed == 0
    assert wallet.get_coupon("alice", coupon.id, NOW).status == "unused"


def test_20_concurrent_retries_of_one_grant_issue_one_coupon(race_aws):
    template = create_template(total_stock=50)
    ref = new_id()
    results = race([lambda: redemption.grant_one(template.id, "alice", NOW, ref) for _ in range(20)])
    assert all(isinstance(r, Coupon) for r in results), results
    assert len({r.id for r in results}) == 1
    assert templates.get_template(template.id).claimed == 1
