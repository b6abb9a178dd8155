"""Shoppers quote an order and lock coupons for it (chalice.test.Client, moto)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.settings import get_settings
from tests.checkout_helpers import item
from tests.helpers import iso


def claimed(api, user="alice", **overrides):
    template = api.published_template(per_user_limit=5, **overrides)
    status, coupon = api.post(f"/templates/{template['id']}/claim", user=user)
    assert status == 201, coupon
    return coupon


def quote(api, items, coupon_ids=None, user="alice"):
    body = {"items": items} if coupon_ids is None else {"items": items, "coupon_ids": coupon_ids}
    return api.post("/checkout/quote", body, user=user)


def lock(api, coupon_id, order_id="order-1", items=None, user="alice"):
    return api.post(f"/me/coupons/{coupon_id}/lock", {"order_id": order_id, "items": items or [item(20_000)]},
                    user=user)


def unlock(api, coupon_id, order_id="order-1", user="alice"):
    return api.post(f"/me/coupons/{coupon_id}/unlock", {"order_id": order_id}, user=user)


def error_code(response):
    status, body = response
    return status, body["error"]["code"]


# --- quote ----------------------------------------------------------------------------------------

def test_quote_without_coupons_chooses_the_best_from_the_wallet(api):
    small = claimed(api, value=500, min_spend=0)
    large = claimed(api, value=2000, min_spend=10_000)
    claimed(api, value=5000, min_spend=100_000)  # does not reach its minimum spend
    status, body = quote(api, [item(6000, 2)])
    assert status == 200, body
    assert (body["subtotal"], body["discount"], body["stored_value"], body["total"]) == (12_000, 2000, 0, 10_000)
    assert [(a["coupon_id"], a["amount"]) for a in body["applied"]] == [(large["id"], 2000)]
    assert small["id"] not in {a["coupon_id"] for a in body["applied"]}


def test_quote_with_an_empty_wallet_charges_the_subtotal(api):
    status, body = quote(api, [item(999, 3)])
    assert (status, body) == (200, {"subtotal": 2997, "discount": 0, "stored_value": 0, "total": 2997, "applied": [],
                                    "points_used": 0, "points_amount": 0, "balance_used": 0, "trimmed": [],
                                    "expected_rebate": {"balance": 0, "points": 0, "vouchers": 0}})


def test_quote_with_chosen_coupons_applies_exactly_those(api):
    chosen = claimed(api, kind="percent_off", value=15, max_discount=1000, min_spend=0)
    claimed(api, value=5000, min_spend=0)  # better, but not chosen
    status, body = quote(api, [item(3333, 1)], [chosen["id"]])
    assert status == 200, body
    assert (body["discount"], body["total"]) == (499, 2834)
    assert [a["coupon_id"] for a in body["applied"]] == [chosen["id"]]


def test_quote_with_a_card_pays_part_of_the_rest(api):
    off = claimed(api, value=1000, min_spend=0)
    gift = claimed(api, kind="stored_value", value=3000, min_spend=0)
    status, body = quote(api, [item(10_000)], [off["id"], gift["id"]])
    assert status == 200, body
    assert (body["discount"], body["stored_value"], body["total"]) == (1000, 3000, 6000)


def test_quote_refuses_two_discount_coupons(api):
    first, second = claimed(api, min_spend=0), claimed(api, min_spend=0)
    status, body = quote(api, [item(10_000)], [first["id"], second["id"]])
    assert (status, body["error"]["code"]) == (409, "NOT_USABLE")
    assert body["error"]["details"] == [{"coupon_id": second["id"], "reason": "an order takes at most one discount coupon"}]


def test_quote_refuses_another_users_coupon_naming_it(api):
    bobs = claimed(api, user="bob", min_spend=0)
    status, body = quote(api, [item(10_000)], [bobs["id"]])
    assert (status, body["error"]["code"]) == (409, "NOT_USABLE")
    assert body["error"]["details"] == [{"coupon_id": bobs["id"], "reason": "it is not in your wallet"}]


def test_quote_refuses_a_coupon_below_its_minimum_spend(api):
    coupon = claimed(api, value=1000, min_spend=10_000)
    status, body = quote(api, [item(9_999)], [coupon["id"]])
    assert (status, body["error"]["code"]) == (409, "NOT_USABLE")
    assert "below its minimum spend of 10000 fen" in body["error"]["details"][0]["reason"]


def test_quote_refuses_a_coupon_locked_by_an_order(api):
    coupon = claimed(api, min_spend=0)
    assert lock(api, coupon["id"])[0] == 200
    status, body = quote(api, [item(10_000)], [coupon["id"]])
    assert (status, body["error"]["details"][0]["reason"]) == (409, "it is reserved by an order")
    assert quote(api, [item(10_000)])[1]["applied"] == []


def test_quote_refuses_a_coupon_that_is_not_valid_yet(api):
    later = {"fixed": {"from": iso(datetime.now(timezone.utc) + timedelta(days=1)), "until": "2099-01-01T00:00:00Z"}}
    coupon = claimed(api, min_spend=0, validity=later)
    status, body = quote(api, [item(10_000)], [coupon["id"]])
    assert (status, body["error"]["details"][0]["reason"]) == (409, "it is not valid yet")


@pytest.mark.parametrize("body, field", [
    ({}, "items"),
    ({"items": []}, "items"),
    ({"items": [{"sku": "a", "category": "c", "unit_price": -1, "quantity": 1}]}, "items.0.unit_price"),
    ({"items": [{"sku": "a", "category": "c", "unit_price": 10.5, "quantity": 1}]}, "items.0.unit_price"),
    ({"items": [{"sku": "a", "category": "c", "unit_price": "100", "quantity": 1}]}, "items.0.unit_price"),
    ({"items": [{"sku": "a", "category": "c", "unit_price": 100, "quantity": 0}]}, "items.0.quantity"),
    ({"items": [{"sku": "", "category": "c", "unit_price": 100, "quantity": 1}]}, "items.0.sku"),
    ({"items": [{"category": "c", "unit_price": 100, "quantity": 1}]}, "items.0.sku"),
    ({"items": [{"sku": "a", "category": "c", "unit_price": 1, "quantity": 1, "color": "red"}]}, "items.0.color"),
    ({"items": [item(100)], "coupon_ids": ["not-an-id"]}, "coupon_ids.0"),
    ({"items": [item(100)], "coupon_ids": ["01ARZ3NDEKTSV4RRFFQ69G5FAV"] * 2}, "body"),
    ({"items": [item(100)], "discount": 5}, "discount"),
])
def test_quote_rejects_bad_input_with_the_field_named(api, body, field):
    status, answer = api.post("/checkout/quote", body)
    assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert field in [d["field"] for d in answer["error"]["details"]], answer


def test_quote_needs_a_token(api):
    assert error_code(api.post("/checkout/quote", {"items": [item(100)]}, user=None)) == (401, "UNAUTHENTICATED")


# --- lock and unlock ------------------------------------------------------------------------------

def test_lock_reserves_the_coupon_for_the_order_until_its_expiry(api):
    coupon = claimed(api)
    status, body = lock(api, coupon["id"], "order-7")
    assert status == 200, body
    assert (body["status"], body["order_id"]) == ("locked", "order-7")
    expires = datetime.fromisoformat(body["lock_expires_at"])
    assert abs(expires - (datetime.now(timezone.utc) + timedelta(minutes=15))) < timedelta(minutes=1)
    assert [c["id"] for c in api.get("/me/coupons?status=locked")[1]["items"]] == [coupon["id"]]
    assert api.get("/me/coupons?status=unused")[1]["items"] == []


def test_the_lock_lifetime_comes_from_the_setting(api, monkeypatch):
    monkeypatch.setenv("MALL_LOCK_TTL_SECONDS", "120")
    get_settings.cache_clear()
    status, body = lock(api, claimed(api)["id"])
    get_settings.cache_clear()
    expires = datetime.fromisoformat(body["lock_expires_at"])
    assert abs(expires - (datetime.now(timezone.utc) + timedelta(seconds=120))) < timedelta(seconds=30)


def test_the_same_order_locking_again_gets_the_lock(api):
    coupon = claimed(api)
    assert lock(api, coupon["id"], "order-1")[0] == 200
    status, body = lock(api, coupon["id"], "order-1")
    assert (status, body["status"], body["order_id"]) == (200, "locked", "order-1")


def test_another_order_cannot_lock_a_locked_coupon(api):
    coupon = claimed(api)
    lock(api, coupon["id"], "order-1")
    assert error_code(lock(api, coupon["id"], "order-2")) == (409, "ALREADY_LOCKED")
    assert api.get(f"/me/coupons/{coupon['id']}")[1]["order_id"] == "order-1"


def test_lock_refuses_items_below_the_minimum_spend(api):
    coupon = claimed(api, min_spend=10_000)
    status, body = lock(api, coupon["id"], items=[item(4000, 2)])
    assert (status, body["error"]["code"]) == (409, "NOT_USABLE")
    assert api.get(f"/me/coupons/{coupon['id']}")[1]["status"] == "unused"


def test_lock_refuses_items_outside_the_scope(api):
    coupon = claimed(api, min_spend=0, scope={"categories": ["toys"]})
    assert error_code(lock(api, coupon["id"], items=[item(50_000, category="food")])) == (409, "NOT_USABLE")


def test_lock_refuses_a_used_coupon(api):
    from chalicelib.coupons import redemption

    coupon = claimed(api)
    lock(api, coupon["id"], "order-1")
    redemption.redeem_order("alice", "order-1", [coupon["id"]], "pay-1", datetime.now(timezone.utc))
    status, body = lock(api, coupon["id"], "order-2")
    assert (status, body["error"]["code"], body["error"]["details"][0]["reason"]) == (409, "NOT_USABLE", "it is used")


def test_lock_refuses_a_stored_value_card(api):
    gift = claimed(api, kind="stored_value", value=5000, min_spend=0)
    assert error_code(lock(api, gift["id"])) == (409, "NOT_USABLE")


def test_another_users_coupon_is_not_found_for_lock_and_unlock(api):
    bobs = claimed(api, user="bob")
    assert error_code(lock(api, bobs["id"], user="alice")) == (404, "NOT_FOUND")
    assert error_code(unlock(api, bobs["id"], user="alice")) == (404, "NOT_FOUND")
    assert error_code(api.get(f"/me/coupons/{bobs['id']}", user="alice")) == (404, "NOT_FOUND")


@pytest.mark.parametrize("body, field", [
    ({"items": [item(100)]}, "order_id"),
    ({"order_id": "order#1", "items": [item(100)]}, "order_id"),
    ({"order_id": "x" * 65, "items": [item(100)]}, "order_id"),
    ({"order_id": "o-1"}, "items"),
    ({"order_id": "o-1", "items": [item(100)], "extra": 1}, "extra"),
])
def test_lock_rejects_bad_input(api, body, field):
    coupon = claimed(api)
    status, answer = api.post(f"/me/coupons/{coupon['id']}/lock", body)
    assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert field in [d["field"] for d in answer["error"]["details"]]


def test_lock_rejects_a_malformed_coupon_id(api):
    assert error_code(lock(api, "nope")) == (404, "NOT_FOUND")


def test_unlock_gives_the_coupon_back(api):
    coupon = claimed(api)
    lock(api, coupon["id"], "order-1")
    status, body = unlock(api, coupon["id"], "order-1")
    assert (status, body["status"], body["order_id"], body["lock_expires_at"]) == (200, "unused", None, None)
    assert lock(api, coupon["id"], "order-2")[0] == 200


def test_unlock_twice_is_harmless(api):
    coupon = claimed(api)
    lock(api, coupon["id"], "order-1")
    unlock(api, coupon["id"], "order-1")
    assert unlock(api, coupon["id"], "order-1")[1]["status"] == "unused"


def test_only_the_locking_order_can_unlock(api):
    coupon = claimed(api)
    lock(api, coupon["id"], "order-1")
    assert error_code(unlock(api, coupon["id"], "order-2")) == (409, "ALREADY_LOCKED")
    assert api.get(f"/me/coupons/{coupon['id']}")[1]["status"] == "locked"


def test_a_used_coupon_cannot_be_unlocked(api):
    from chalicelib.coupons import redemption

    coupon = claimed(api)
    lock(api, coupon["id"], "order-1")
    redemption.redeem_order("alice", "order-1", [coupon["id"]], "pay-1", datetime.now(timezone.utc))
    assert error_code(unlock(api, coupon["id"], "order-1")) == (409, "INVALID_STATE")


def test_unlock_rejects_bad_input(api):
    coupon = claimed(api)
    status, body = api.post(f"/me/coupons/{coupon['id']}/unlock", {"order_id": ""})
    assert (status, body["error"]["details"][0]["field"]) == (400, "order_id")
