"""Revoking and topping up after release (API.md, "Compliance and operations"): marketing revokes
an unused or locked coupon (not one an order reservation holds) and adds stock to a draft or
published template; each audited, each refusal a 4xx that changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkout_helpers import item
from tests.helpers import template_body

MARKETING = ("marketing",)


def _claimed(api, **overrides: Any) -> dict[str, Any]:
    template = api.published_template(**overrides)
    status, coupon = api.post(f"/templates/{template['id']}/claim", user="alice")
    assert status == 201, coupon
    return coupon


def _revoke(api, coupon_id: str, user: str = "alice", roles: tuple[str, ...] = MARKETING) -> tuple[int, Any]:
    return api.post(f"/admin/coupons/{user}/{coupon_id}/revoke", user="mia", roles=roles)


def _audit(api, target_type: str, target_id: str) -> list[dict[str, Any]]:
    status, body = api.get(f"/admin/audit?target_type={target_type}&target_id={target_id}", user="ada",
                           roles=("auditor",))
    assert status == 200, body
    return body["items"]


def test_an_unused_coupon_is_revoked_audited_and_can_no_longer_be_used(api):
    coupon = _claimed(api)

    status, revoked = _revoke(api, coupon["id"])

    assert (status, revoked["status"]) == (200, "revoked"), revoked
    [entry] = _audit(api, "coupon", coupon["id"])
    assert (entry["actor"], entry["action"], entry["before"]["status"], entry["after"]["status"]) == (
        "mia", "revoke", "unused", "revoked")
    status, body = api.post(f"/me/coupons/{coupon['id']}/lock", {"order_id": "o-1", "items": [item(20_000)]})
    assert status == 409, body
    status, quote = api.post("/checkout/quote", {"items": [item(20_000)]})
    assert status == 200 and coupon["id"] not in {a["coupon_id"] for a in quote["applied"]}
    status, body = api.post("/checkout/quote", {"items": [item(20_000)], "coupon_ids": [coupon["id"]]})
    assert (status, body["error"]["code"]) == (409, "NOT_USABLE")


def test_a_coupon_locked_for_checkout_is_revoked_with_its_lock(api):
    coupon = _claimed(api)
    assert api.post(f"/me/coupons/{coupon['id']}/lock", {"order_id": "o-1", "items": [item(20_000)]})[0] == 200
    status, revoked = _revoke(api, coupon["id"])
    assert (status, revoked["status"], revoked.get("order_id")) == (200, "revoked", None)
    assert _audit(api, "coupon", coupon["id"])[0]["before"]["status"] == "locked"


def test_a_coupon_held_by_an_order_reservation_is_refused(api):
    coupon = _claimed(api)
    status, reserved = api.post("/checkout/reservations", {"order_id": "o-1", "items": [item(20_000)],
                                                           "coupon_ids": [coupon["id"]]})
    assert status == 201, reserved
    status, body = _revoke(api, coupon["id"])
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert _audit(api, "coupon", coupon["id"]) == []
    assert api.post("/checkout/reservations/o-1/release")[0] == 200
    assert _revoke(api, coupon["id"])[0] == 200  # released: now it can be revoked


def test_a_used_or_revoked_coupon_cannot_be_revoked(api):
    coupon = _claimed(api)
    assert _revoke(api, coupon["id"])[0] == 200
    status, body = _revoke(api, coupon["id"])
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert len(_audit(api, "coupon", coupon["id"])) == 1


def test_an_unknown_coupon_or_another_users_is_404_and_roles_are_enforced(api):
    coupon = _claimed(api)
    assert _revoke(api, coupon["id"], user="bob")[0] == 404
    assert _revoke(api, "01J00000000000000000000000")[0] == 404
    for roles in (("finance",), ("auditor",), ()):
        status, body = _revoke(api, coupon["id"], roles=roles)
        assert (status, body["error"]["code"]) == (403, "FORBIDDEN")


@pytest.mark.parametrize("shards", [1, 8])
def test_stock_added_is_claimable_and_audited(api, shards):
    stock = max(3, shards)  # every shard holds at least one unit
    template = api.published_template(total_stock=stock, stock_shards=shards, per_user_limit=100)

    status, topped = api.post(f"/admin/templates/{template['id']}/stock", {"add": 5}, user="mia", roles=MARKETING)

    assert status == 200, topped
    assert (topped["total_stock"], topped["remaining"]) == (stock + 5, stock + 5)
    statuses = [api.post(f"/templates/{template['id']}/claim", user=f"u{n}")[0] for n in range(stock + 7)]
    assert statuses.count(201) == stock + 5 and set(statuses) == {201, 409}
    [entry] = [e for e in _audit(api, "template", template["id"]) if e["action"] == "add_stock"]
    assert (entry["actor"], entry["before"]["total_stock"], entry["after"]["total_stock"]) == ("mia", stock, stock + 5)


def test_stock_goes_to_a_draft_but_not_to_an_ended_template(api):
    status, draft = api.post("/admin/templates", template_body(total_stock=3), operator=True)
    assert api.post(f"/admin/templates/{draft['id']}/stock", {"add": 1}, user="mia", roles=MARKETING)[1][
        "total_stock"] == 4
    ended = api.published_template()
    assert api.post(f"/admin/templates/{ended['id']}/end", operator=True)[0] == 200
    status, body = api.post(f"/admin/templates/{ended['id']}/stock", {"add": 1}, user="mia", roles=MARKETING)
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert [e for e in _audit(api, "template", ended["id"]) if e["action"] == "add_stock"] == []


@pytest.mark.parametrize("body", [{"add": 0}, {"add": -1}, {"add": 1_000_001}, {"add": "5"}, {}, {"add": 1, "x": 1}])
def test_a_bad_stock_body_is_400(api, body):
    template = api.published_template()
    status, answer = api.post(f"/admin/templates/{template['id']}/stock", body, user="mia", roles=MARKETING)
    assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR")


def test_finance_cannot_add_stock(api):
    template = api.published_template()
    status, body = api.post(f"/admin/templates/{template['id']}/stock", {"add": 1}, user="fay", roles=("finance",))
    assert (status, body["error"]["code"]) == (403, "FORBIDDEN")
