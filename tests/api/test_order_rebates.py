"""`GET /me/orders/{order_id}/rebates` (API.md, "What shoppers see"): what the caller's order
earned per payment and rule, why a rebate is less than its rule computes, what refunds clawed
back, and the 全返 instalments; another shopper's order, or an unknown one, is 404."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.rebates import settlement
from tests.checkout_helpers import give
from tests.payment_helpers import NOW, live_rule, payment_event, refund_event
from tests.programme_helpers import set_programme


def published(minutes: int, **fields):
    return live_rule(now=NOW - timedelta(hours=1) + timedelta(minutes=minutes), **fields)


def test_an_order_shows_each_rule_what_limited_it_and_what_a_refund_took_back(api):
    cash = published(1, name="10% back", ratio_bp=1000)
    points = published(2, name="10% in points", ratio_bp=1000, reward="points", caps={"per_order": 400})
    settlement.process(payment_event("pay-1", 10_000, user="alice", order_id="o-1"), NOW)
    settlement.process(refund_event("r-1", "pay-1", amount=5_000), NOW)

    status, body = api.get("/me/orders/o-1/rebates", user="alice")

    assert status == 200, body
    [payment] = body["payments"]
    assert (payment["payment_ref"], payment["amount"], payment["refunded"], payment["settled"]) == (
        "generic:pay-1", 10_000, 5_000, True)
    by_rule = {r["rule_id"]: r for r in payment["rebates"]}
    first, second = by_rule[cash.id], by_rule[points.id]
    assert (first["rule_name"], first["asset"], first["computed"], first["amount"], first["limited_by"]) == (
        "10% back", "balance", 1000, 1000, None)
    assert (first["clawed_back"], first["kept"]) == (500, 500)
    # the rule's own per-order cap of 400 points
    assert (second["computed"], second["amount"], second["limited_by"]) == (1000, 400, "caps")
    assert (second["clawed_back"], second["kept"]) == (200, 200)
    assert body["totals"] == {"balance": 500, "points": 200, "vouchers": 0}


def test_a_return_cap_trim_is_named(api):
    set_programme(max_return_bp=1500)
    published(1, ratio_bp=1000)
    second = published(2, ratio_bp=1000)
    settlement.process(payment_event("pay-1", 10_000, user="alice", order_id="o-1"), NOW)
    rebates = {r["rule_id"]: r for r in api.get("/me/orders/o-1/rebates", user="alice")[1]["payments"][0]["rebates"]}
    assert (rebates[second.id]["amount"], rebates[second.id]["limited_by"]) == (500, "return_cap")


def test_full_return_instalments_are_listed_with_their_status(api):
    published(1, kind="full_return", ratio_bp=None, installments=3, period_days=30)
    settlement.process(payment_event("pay-1", 3_000, user="alice", order_id="o-1"), NOW)

    [rebate] = api.get("/me/orders/o-1/rebates", user="alice")[1]["payments"][0]["rebates"]

    assert [(i["number"], i["amount"], i["status"]) for i in rebate["instalments"]] == [
        (1, 1000, "pending"), (2, 1000, "pending"), (3, 1000, "pending")]
    assert (rebate["amount"], rebate["pending"]) == (3000, 3000)


def test_a_voucher_that_could_not_be_granted_says_why(api):
    template_id = give("ops-seed", total_stock=1).template_id  # its only coupon is taken
    published(1, kind="threshold", ratio_bp=None, threshold={"min_paid": 100},
              reward={"voucher_template_id": template_id})
    settlement.process(payment_event("pay-1", 10_000, user="alice", order_id="o-1"), NOW)
    [rebate] = api.get("/me/orders/o-1/rebates", user="alice")[1]["payments"][0]["rebates"]
    assert (rebate["asset"], rebate["voucher_state"], rebate["not_granted_reason"]) == (
        "voucher", "not_granted", "SOLD_OUT")


def test_another_shoppers_order_and_an_unknown_order_are_404(api):
    published(1, ratio_bp=1000)
    settlement.process(payment_event("pay-1", 10_000, user="alice", order_id="o-1"), NOW)
    for user, order in (("bob", "o-1"), ("alice", "o-2")):
        status, body = api.get(f"/me/orders/{order}/rebates", user=user)
        assert (status, body["error"]["code"]) == (404, "NOT_FOUND")
    assert api.get("/me/orders/o-1/rebates", user=None)[0] == 401
