"""Cards and vouchers for sale (issue 17, item 4; API.md "... cards for sale"): a template's
`price`, a payment's `purchases` issued to the payer once within stock and the per-user limit,
the shortfall in the order's rebates, a full refund revoking what is unused."""

from __future__ import annotations

import pytest

from chalicelib.coupons import checkout, wallet_store
from chalicelib.coupons.models import HoldRequest
from chalicelib.rebates import settlement
from tests.checkout_helpers import create_template
from tests.helpers import template_body
from tests.payment_helpers import NOW, drain, generic_payment, queued_count, refund_event, signed_generic
from tests.purchase_helpers import buying, for_sale


def order_purchases(api, order_id: str = "order-pay-1", user: str = "alice") -> list[dict]:
    status, body = api.get(f"/me/orders/{order_id}/rebates", user=user)
    assert status == 200, body
    [payment] = body["payments"]
    return payment["purchases"]


def coupon(user: str, coupon_id: str):
    found = wallet_store.get_coupon(user, coupon_id, consistent=True)
    assert found is not None
    return found


# --- price ------------------------------------------------------------------------------------

def test_a_template_takes_a_price_shown_to_operators_and_in_the_shoppers_list(api):
    sold = api.published_template(kind="stored_value", value=20000, min_spend=0, price=18000, claim_channel="grant")
    free = api.published_template()
    assert (sold["price"], free["price"]) == (18000, None)
    assert api.get(f"/admin/templates/{sold['id']}", operator=True)[1]["price"] == 18000
    listed = {t["id"]: t for t in api.get("/templates", user="alice")[1]["items"]}
    # a card sold (channel grant) is listed with its price, beside the free ones
    assert (listed[sold["id"]]["price"], listed[sold["id"]]["claim_channel"]) == (18000, "grant")
    assert (listed[free["id"]]["price"], listed[free["id"]]["claim_channel"]) == (None, "open")


def test_a_granted_only_template_without_a_price_is_still_not_listed(api):
    hidden = api.published_template(claim_channel="grant")
    assert hidden["id"] not in {t["id"] for t in api.get("/templates", user="alice")[1]["items"]}


@pytest.mark.parametrize("price", [0, -1, 1.5, "100"])
def test_a_price_below_1_fen_or_not_an_integer_is_a_400(api, price):
    status, body = api.post("/admin/templates", template_body(price=price), operator=True)
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")


# --- the generic webhook ----------------------------------------------------------------------

def test_the_generic_webhook_queues_the_purchases(api):
    body = generic_payment()
    body["data"]["purchases"] = [{"template_id": "01J00000000000000000000001", "quantity": 2}]
    raw, headers = signed_generic(body)
    assert api.post("/webhooks/payments/generic", raw=raw, user=None, headers=headers)[0] == 200
    [event] = drain()
    assert event["purchases"] == [{"template_id": "01J00000000000000000000001", "quantity": 2}]


def test_a_bad_purchase_in_the_generic_webhook_is_a_400_and_nothing_is_queued(api):
    body = generic_payment()
    body["data"]["purchases"] = [{"template_id": "01J00000000000000000000001", "quantity": 11}]
    raw, headers = signed_generic(body)
    status, answer = api.post("/webhooks/payments/generic", raw=raw, user=None, headers=headers)
    assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert queued_count() == 0


# --- issuing ----------------------------------------------------------------------------------

def test_a_payment_issues_what_it_bought_to_the_payer_recording_the_payment(api):
    card = for_sale(price=18000, per_user_limit=5)
    settlement.process(buying("pay-1", (card.id, 2), amount=36000), NOW)

    [line] = order_purchases(api)
    assert (line["template_id"], line["quantity"], line["issued"], line["not_issued_reason"]) == (card.id, 2, 2, None)
    assert (line["price"], line["sales"]) == (18000, 36000)
    for coupon_id in line["coupon_ids"]:
        bought = coupon("alice", coupon_id)
        assert (bought.kind, bought.balance, bought.status, bought.bought_with) == (
            "stored_value", 20000, "unused", "generic:pay-1")


def test_a_redelivered_payment_issues_nothing_more(api):
    card = for_sale(per_user_limit=5)
    event = buying("pay-1", (card.id, 2))
    for _ in range(3):
        settlement.process(event, NOW)
    wallet = api.get("/me/coupons", user="alice")[1]["items"]
    assert len(wallet) == 2
    assert order_purchases(api)[0]["issued"] == 2


def test_stock_runs_out_part_way_and_the_shortfall_is_listed(api):
    card = for_sale(total_stock=3, per_user_limit=10)
    settlement.process(buying("pay-1", (card.id, 5)), NOW)
    [line] = order_purchases(api)
    assert (line["quantity"], line["issued"], len(line["coupon_ids"]), line["not_issued_reason"]) == (
        5, 3, 3, "SOLD_OUT")
    assert line["sales"] == 3 * 18000


def test_the_per_user_limit_is_respected_across_payments(api):
    card = for_sale(per_user_limit=2)
    settlement.process(buying("pay-1", (card.id, 1)), NOW)
    settlement.process(buying("pay-2", (card.id, 3)), NOW)
    [line] = order_purchases(api, "order-pay-2")
    assert (line["issued"], line["not_issued_reason"]) == (1, "LIMIT_REACHED")
    assert len(api.get("/me/coupons", user="alice")[1]["items"]) == 2


def test_a_template_without_a_price_is_not_sold(api):
    free = create_template(NOW)
    other = for_sale()
    settlement.process(buying("pay-1", (free.id, 1), (other.id, 1)), NOW)
    first, second = order_purchases(api)
    assert (first["issued"], first["not_issued_reason"], first["price"]) == (0, "NOT_FOR_SALE", None)
    assert (second["issued"], second["not_issued_reason"]) == (1, None)


def test_an_unknown_template_is_listed_as_not_found(api):
    settlement.process(buying("pay-1", ("01ARZ3NDEKTSV4RRFFQ69G5FAV", 1)), NOW)
    assert order_purchases(api)[0]["not_issued_reason"] == "NOT_FOUND"


# --- refunds ----------------------------------------------------------------------------------

def test_a_full_refund_revokes_what_is_unused_and_keeps_a_card_spent_from_or_holding_money(api):
    card = for_sale(per_user_limit=5)
    settlement.process(buying("pay-1", (card.id, 3), amount=54000), NOW)
    spent, held, untouched = order_purchases(api)[0]["coupon_ids"]
    checkout.hold_card("alice", spent, HoldRequest(order_id="o-spend", amount=1000), NOW)
    settlement.process(buying("pay-2", order_id="o-spend", amount=0, coupon_ids=[spent]), NOW)
    checkout.hold_card("alice", held, HoldRequest(order_id="o-unpaid", amount=500), NOW)

    for _ in range(2):  # redelivered: revokes nothing twice
        settlement.process(refund_event("r-1", "pay-1", amount=54000), NOW)

    assert coupon("alice", untouched).status == "revoked"
    assert (coupon("alice", spent).status, coupon("alice", spent).balance) == ("unused", 19000)
    assert (coupon("alice", held).status, coupon("alice", held).held) == ("unused", 500)
    [line] = order_purchases(api)
    assert (line["revoked_ids"], sorted(line["kept_ids"])) == ([untouched], sorted([spent, held]))


def test_a_partial_refund_revokes_nothing(api):
    card = for_sale(per_user_limit=5)
    settlement.process(buying("pay-1", (card.id, 2), amount=36000), NOW)
    settlement.process(refund_event("r-1", "pay-1", amount=35999), NOW)
    line = order_purchases(api)[0]
    assert [coupon("alice", c).status for c in line["coupon_ids"]] == ["unused", "unused"]
    assert line["revoked_ids"] is None
