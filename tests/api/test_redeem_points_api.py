"""Points for coupons over HTTP (issue 17, item 2; chalice.test.Client, moto):
POST /templates/{id}/redeem-points takes `points_price` points and issues the coupon in one
step, within the claim's conditions, idempotent by key; refusals change nothing."""

from __future__ import annotations

import pytest

from chalicelib.rebates import accounts_store
from tests.reservation_helpers import fund, ledger_sums


def redeem(api, template_id, user="alice", **kw):
    return api.post(f"/templates/{template_id}/redeem-points", user=user, **kw)


def points(user="alice"):
    return accounts_store.get_account(user)["points"]


def wallet(api, user="alice"):
    return api.get("/me/coupons", user=user)[1]["items"]


def test_a_template_takes_a_points_price_shown_to_operators_and_shoppers(api):
    template = api.published_template(points_price=500)
    assert template["points_price"] == 500
    listed = api.get("/templates")[1]["items"]
    assert [(t["id"], t["points_price"]) for t in listed] == [(template["id"], 500)]
    assert api.published_template()["points_price"] is None


@pytest.mark.parametrize("price", [0, -1, "500", 1.5])
def test_a_points_price_below_1_or_not_an_integer_is_a_400(api, price):
    from tests.helpers import template_body

    status, body = api.post("/admin/templates", template_body(points_price=price), operator=True)
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")


def test_points_buy_a_coupon_in_one_step_with_an_exchange_entry(api):
    template = api.published_template(points_price=500)
    fund("alice", points=800)
    status, coupon = redeem(api, template["id"])
    assert status == 201, coupon
    assert (coupon["template_id"], coupon["status"]) == (template["id"], "unused")
    assert points() == 300
    assert [c["id"] for c in wallet(api)] == [coupon["id"]]
    entries = api.get("/me/rebates")[1]["items"]
    assert (entries[0]["type"], entries[0]["asset"], entries[0]["amount"], entries[0]["ref"]) == (
        "exchange", "points", -500, coupon["id"])
    assert ledger_sums("alice")["points"] == 300
    assert api.get(f"/admin/templates/{template['id']}", operator=True)[1]["claimed"] == 1


def test_too_few_free_points_is_409_insufficient_points_and_changes_nothing(api):
    template = api.published_template(points_price=500)
    fund("alice", points=499)
    status, body = redeem(api, template["id"])
    assert (status, body["error"]["code"]) == (409, "INSUFFICIENT_POINTS")
    assert points() == 499 and wallet(api) == []
    assert api.get(f"/admin/templates/{template['id']}", operator=True)[1]["claimed"] == 0


def test_points_held_by_an_order_reservation_are_not_free(api):
    from tests.reservation_helpers import reservation_body

    template = api.published_template(points_price=500)
    fund("alice", points=600)
    assert api.post("/checkout/reservations", reservation_body(use_points=200))[0] == 201
    assert redeem(api, template["id"])[1]["error"]["code"] == "INSUFFICIENT_POINTS"
    assert accounts_store.get_account("alice")["points_held"] == 200


def test_a_template_without_a_points_price_is_409_invalid_state(api):
    template = api.published_template()
    fund("alice", points=10_000)
    status, body = redeem(api, template["id"])
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert points() == 10_000


def test_an_unknown_template_is_404(api):
    assert redeem(api, "01HZZZZZZZZZZZZZZZZZZZZZZZ")[0] == 404


def test_the_per_user_limit_and_the_stock_bound_it_as_a_claim_and_refusals_keep_the_points(api):
    template = api.published_template(points_price=100, total_stock=2, per_user_limit=1)
    fund("alice", points=1000)
    fund("bob", points=1000)
    fund("carol", points=1000)
    assert redeem(api, template["id"])[0] == 201
    assert redeem(api, template["id"])[1]["error"]["code"] == "LIMIT_REACHED"
    assert redeem(api, template["id"], user="bob")[0] == 201
    assert redeem(api, template["id"], user="carol")[1]["error"]["code"] == "SOLD_OUT"
    assert (points(), points("bob"), points("carol")) == (900, 900, 1000)


def test_a_paused_template_is_not_redeemable(api):
    template = api.published_template(points_price=100)
    assert api.post(f"/admin/templates/{template['id']}/pause", operator=True)[0] == 200
    fund("alice", points=1000)
    assert redeem(api, template["id"])[1]["error"]["code"] == "NOT_CLAIMABLE"
    assert points() == 1000


def test_the_same_idempotency_key_redeems_once(api):
    template = api.published_template(points_price=100, per_user_limit=5)
    fund("alice", points=1000)
    first = redeem(api, template["id"], headers={"Idempotency-Key": "redeem-1"})
    again = redeem(api, template["id"], headers={"Idempotency-Key": "redeem-1"})
    assert first == again and first[0] == 201
    assert points() == 900 and len(wallet(api)) == 1
