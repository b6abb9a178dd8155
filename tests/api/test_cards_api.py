"""Stored-value cards: holds for orders, releases, history (chalice.test.Client, moto)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib.coupons import redemption


def new_card(api, user="alice", value=5000, **overrides):
    template = api.published_template(kind="stored_value", value=value, min_spend=0, per_user_limit=5,
                                      name="Gift card", **overrides)
    status, card = api.post(f"/templates/{template['id']}/claim", user=user)
    assert status == 201, card
    return card


def hold(api, card_id, amount, order_id="order-1", user="alice"):
    return api.post(f"/me/coupons/{card_id}/hold", {"order_id": order_id, "amount": amount}, user=user)


def release(api, card_id, order_id="order-1", user="alice"):
    return api.post(f"/me/coupons/{card_id}/unlock", {"order_id": order_id}, user=user)


def card_state(api, card_id, user="alice"):
    body = api.get(f"/me/coupons/{card_id}", user=user)[1]
    return body["balance"], body["held"]


def history(api, card_id, user="alice"):
    return api.get(f"/me/coupons/{card_id}/history?limit=100", user=user)[1]["items"]


def test_a_claimed_card_starts_full_with_an_issue_entry(api):
    card = new_card(api, value=8000)
    assert (card["kind"], card["balance"], card["held"]) == ("stored_value", 8000, 0)
    assert [(e["type"], e["balance_change"], e["held_change"]) for e in history(api, card["id"])] == [("issue", 8000, 0)]


def test_a_hold_moves_balance_into_held(api):
    card = new_card(api)
    status, body = hold(api, card["id"], 1200)
    assert status == 200, body
    assert (body["card_id"], body["order_id"], body["amount"], body["status"]) == (card["id"], "order-1", 1200, "held")
    assert card_state(api, card["id"]) == (3800, 1200)


def test_a_hold_above_the_balance_is_refused_and_changes_nothing(api):
    card = new_card(api, value=1000)
    status, body = hold(api, card["id"], 1001)
    assert (status, body["error"]["code"]) == (409, "INSUFFICIENT_BALANCE")
    assert card_state(api, card["id"]) == (1000, 0)
    assert len(history(api, card["id"])) == 1


def test_holds_of_two_orders_share_the_balance(api):
    card = new_card(api, value=5000)
    assert hold(api, card["id"], 3000, "order-1")[0] == 200
    assert hold(api, card["id"], 3000, "order-2")[1]["error"]["code"] == "INSUFFICIENT_BALANCE"
    assert hold(api, card["id"], 2000, "order-2")[0] == 200
    assert card_state(api, card["id"]) == (0, 5000)


def test_the_same_hold_again_is_idempotent(api):
    card = new_card(api)
    first = hold(api, card["id"], 1000)
    assert hold(api, card["id"], 1000) == first
    assert card_state(api, card["id"]) == (4000, 1000)


def test_a_second_hold_of_another_amount_for_the_same_order_is_refused(api):
    card = new_card(api)
    hold(api, card["id"], 1000)
    status, body = hold(api, card["id"], 2000)
    assert (status, body["error"]["code"]) == (409, "ALREADY_LOCKED")
    assert card_state(api, card["id"]) == (4000, 1000)


def test_unlock_releases_the_orders_hold(api):
    card = new_card(api)
    hold(api, card["id"], 1500)
    status, body = release(api, card["id"])
    assert (status, body["balance"], body["held"]) == (200, 5000, 0)
    assert release(api, card["id"])[0] == 200  # again: nothing more to give back
    assert card_state(api, card["id"]) == (5000, 0)


def test_an_order_may_hold_again_after_releasing(api):
    card = new_card(api)
    hold(api, card["id"], 1500)
    release(api, card["id"])
    assert hold(api, card["id"], 2500)[1]["status"] == "held"
    assert card_state(api, card["id"]) == (2500, 2500)


def test_unlock_of_an_order_that_holds_nothing_is_refused(api):
    card = new_card(api)
    status, body = release(api, card["id"], "order-9")
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")


def test_a_paid_hold_cannot_be_released_or_held_again(api):
    card = new_card(api)
    hold(api, card["id"], 1000)
    redemption.redeem_order("alice", "order-1", [card["id"]], "pay-1", datetime.now(timezone.utc))
    assert release(api, card["id"])[1]["error"]["code"] == "INVALID_STATE"
    assert hold(api, card["id"], 1000)[1]["error"]["code"] == "INVALID_STATE"
    assert card_state(api, card["id"]) == (4000, 0)


def test_a_voucher_cannot_be_held(api):
    template = api.published_template(min_spend=0)
    _, voucher = api.post(f"/templates/{template['id']}/claim")
    status, body = hold(api, voucher["id"], 100)
    assert (status, body["error"]["code"]) == (409, "NOT_USABLE")


def test_another_users_card_is_not_found(api):
    card = new_card(api, user="bob")
    assert hold(api, card["id"], 100, user="alice")[0] == 404
    assert api.get(f"/me/coupons/{card['id']}/history", user="alice")[0] == 404
    assert card_state(api, card["id"], user="bob") == (5000, 0)


def test_a_voucher_has_no_history(api):
    template = api.published_template()
    _, voucher = api.post(f"/templates/{template['id']}/claim")
    status, body = api.get(f"/me/coupons/{voucher['id']}/history")
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")


@pytest.mark.parametrize("body, field", [
    ({"order_id": "o-1", "amount": 0}, "amount"),
    ({"order_id": "o-1", "amount": -5}, "amount"),
    ({"order_id": "o-1", "amount": 12.5}, "amount"),
    ({"order_id": "o-1", "amount": "100"}, "amount"),
    ({"amount": 100}, "order_id"),
    ({"order_id": "o 1", "amount": 100}, "order_id"),
    ({"order_id": "o-1", "amount": 100, "note": "x"}, "note"),
])
def test_hold_rejects_bad_input(api, body, field):
    card = new_card(api)
    status, answer = api.post(f"/me/coupons/{card['id']}/hold", body)
    assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert field in [d["field"] for d in answer["error"]["details"]]
    assert card_state(api, card["id"]) == (5000, 0)


def test_history_lists_every_change_newest_first_and_sums_to_the_card(api):
    card = new_card(api, value=5000)
    hold(api, card["id"], 1000, "order-1")
    hold(api, card["id"], 2000, "order-2")
    release(api, card["id"], "order-1")
    redemption.redeem_order("alice", "order-2", [card["id"]], "pay-2", datetime.now(timezone.utc))
    redemption.restore_order("alice", "pay-2", datetime.now(timezone.utc))
    entries = history(api, card["id"])
    assert [e["type"] for e in entries] == ["refund", "spend", "release", "hold", "hold", "issue"]
    assert (sum(e["balance_change"] for e in entries), sum(e["held_change"] for e in entries)) == card_state(api, card["id"])
    assert entries[1]["payment_id"] == "pay-2"


def test_history_paginates(api):
    card = new_card(api)
    for n in range(3):
        hold(api, card["id"], 100, f"order-{n}")
    status, page = api.get(f"/me/coupons/{card['id']}/history?limit=2")
    assert (status, len(page["items"])) == (200, 2)
    rest = api.get(f"/me/coupons/{card['id']}/history?limit=2&cursor={page['next_cursor']}")[1]
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None


def test_a_quote_spends_cards_after_the_discount(api):
    card = new_card(api, value=2500)
    status, body = api.post("/checkout/quote", {"items": [{"sku": "a", "category": "c", "unit_price": 4000,
                                                           "quantity": 1}]})
    assert status == 200, body
    assert (body["stored_value"], body["total"]) == (2500, 1500)
    assert body["applied"] == [{"coupon_id": card["id"], "kind": "stored_value", "name": "Gift card", "amount": 2500}]
