"""POST /checkout/reservations, GET and release (chalice.test.Client, moto): what a reservation
holds, each refusal holding nothing, renewal, another body, release, a paid one, another
user's order (API.md, "Paying with rebates (余额/积分抵扣) and order reservations")."""

from __future__ import annotations

from chalicelib.orders import settle
from tests.checkout_helpers import NOW, item
from tests.reservation_helpers import fund, ledger_sums, reservation_body


def claimed(api, user="alice", **overrides):
    template = api.published_template(per_user_limit=5, **overrides)
    status, coupon = api.post(f"/templates/{template['id']}/claim", user=user)
    assert status == 201, coupon
    return coupon


def reserve(api, user="alice", **fields):
    return api.post("/checkout/reservations", reservation_body(**fields), user=user)


def account(api, user="alice"):
    body = api.get("/me/account", user=user)[1]
    return {k: body[k] for k in ("balance", "held", "points", "points_held")}


def coupon(api, coupon_id, user="alice"):
    return api.get(f"/me/coupons/{coupon_id}", user=user)[1]


def test_a_reservation_holds_coupon_card_balance_and_points_in_one_step(api):
    fund(balance=9000, points=2000)
    off = claimed(api, value=1000, min_spend=0)
    gift = claimed(api, kind="stored_value", value=3000, min_spend=0)
    status, body = reserve(api, coupon_ids=[off["id"], gift["id"]], use_points=2000, use_balance=9000)
    assert status == 201, body
    assert (body["order_id"], body["status"]) == ("order-1", "reserved")
    assert (body["discount"], body["points_used"], body["stored_value"], body["balance_used"], body["total"]) == (
        1000, 2000, 3000, 4000, 0)
    assert body["expires_at"] > body.get("created_at", "")
    assert account(api) == {"balance": 5000, "held": 4000, "points": 0, "points_held": 2000}
    assert coupon(api, off["id"])["status"] == "locked"
    assert (coupon(api, gift["id"])["balance"], coupon(api, gift["id"])["held"]) == (0, 3000)
    assert api.get("/checkout/reservations/order-1")[1] == body


def test_the_ledger_explains_every_hold(api):
    fund(balance=9000, points=2000)
    assert reserve(api, use_points=500, use_balance=3000)[0] == 201
    assert ledger_sums("alice") == {"balance": 6000, "held": 3000, "points": 1500, "points_held": 500}
    types = {e["type"] for e in api.get("/me/rebates?limit=100")[1]["items"]}
    assert "reserve" in types


def test_without_coupon_ids_it_takes_the_quotes_best_choice(api):
    off = claimed(api, value=1000, min_spend=0)
    status, body = reserve(api)
    assert status == 201, body
    assert [a["coupon_id"] for a in body["applied"]] == [off["id"]]
    assert coupon(api, off["id"])["status"] == "locked"


def test_the_same_body_again_returns_the_same_reservation_renewed(api):
    fund(balance=5000)
    first = reserve(api, use_balance=1000)[1]
    status, again = reserve(api, use_balance=1000)
    assert status == 201, again
    assert {k: v for k, v in again.items() if k != "expires_at"} == {k: v for k, v in first.items() if k != "expires_at"}
    assert again["expires_at"] >= first["expires_at"]
    assert account(api) == {"balance": 4000, "held": 1000, "points": 0, "points_held": 0}


def test_another_body_for_a_reserved_order_is_already_locked_until_released(api):
    fund(balance=5000)
    assert reserve(api, use_balance=1000)[0] == 201
    status, body = reserve(api, use_balance=2000)
    assert (status, body["error"]["code"]) == (409, "ALREADY_LOCKED")
    assert api.post("/checkout/reservations/order-1/release")[0] == 200
    status, body = reserve(api, use_balance=2000)
    assert (status, body["balance_used"]) == (201, 2000)
    assert account(api) == {"balance": 3000, "held": 2000, "points": 0, "points_held": 0}


def test_release_gives_everything_back_and_is_idempotent(api):
    fund(balance=5000, points=800)
    off = claimed(api, value=1000, min_spend=0)
    gift = claimed(api, kind="stored_value", value=3000, min_spend=0)
    assert reserve(api, coupon_ids=[off["id"], gift["id"]], use_balance=1000, use_points=800)[0] == 201
    for _ in range(2):
        status, body = api.post("/checkout/reservations/order-1/release")
        assert (status, body["status"]) == (200, "released")
    assert account(api) == {"balance": 5000, "held": 0, "points": 800, "points_held": 0}
    assert coupon(api, off["id"])["status"] == "unused"
    assert (coupon(api, gift["id"])["balance"], coupon(api, gift["id"])["held"]) == (3000, 0)
    assert ledger_sums("alice") == {"balance": 5000, "held": 0, "points": 800, "points_held": 0}


def test_releasing_a_paid_reservation_is_invalid_state(api):
    fund(balance=5000)
    assert reserve(api, use_balance=1000)[0] == 201
    assert settle.spend_reservation("alice", "order-1", "generic:pay-1", NOW).startswith("spent balance 1000")
    status, body = api.post("/checkout/reservations/order-1/release")
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert api.get("/checkout/reservations/order-1")[1]["status"] == "paid"
    assert account(api) == {"balance": 4000, "held": 0, "points": 0, "points_held": 0}


def test_another_users_order_is_not_found(api):
    fund(balance=5000)
    assert reserve(api, use_balance=1000)[0] == 201
    assert api.get("/checkout/reservations/order-1", user="bob")[0] == 404
    assert api.post("/checkout/reservations/order-1/release", user="bob")[0] == 404
    assert api.get("/checkout/reservations/order-2")[0] == 404


def test_an_unusable_coupon_is_not_usable_and_holds_nothing(api):
    fund(balance=5000)
    off = claimed(api, value=1000, min_spend=50_000)
    status, body = reserve(api, coupon_ids=[off["id"]], use_balance=1000)
    assert (status, body["error"]["code"]) == (409, "NOT_USABLE")
    assert account(api) == {"balance": 5000, "held": 0, "points": 0, "points_held": 0}
    assert api.get("/checkout/reservations/order-1")[0] == 404


def test_a_coupon_another_order_locked_is_already_locked_and_holds_nothing(api):
    fund(balance=5000, points=100)
    off = claimed(api, value=1000, min_spend=0)
    assert reserve(api, order_id="order-a", coupon_ids=[off["id"]])[0] == 201
    status, body = reserve(api, order_id="order-b", coupon_ids=[off["id"]], use_balance=1000, use_points=100)
    assert (status, body["error"]["code"]) == (409, "NOT_USABLE"), body  # the quote sees it reserved
    assert account(api) == {"balance": 5000, "held": 0, "points": 100, "points_held": 0}


def test_a_card_held_by_this_order_elsewhere_is_already_locked(api):
    gift = claimed(api, kind="stored_value", value=3000, min_spend=0)
    assert api.post(f"/me/coupons/{gift['id']}/hold", {"order_id": "order-1", "amount": 500})[0] in (200, 201)
    status, body = reserve(api, coupon_ids=[gift["id"]])
    assert (status, body["error"]["code"]) == (409, "ALREADY_LOCKED"), body


def test_balance_or_points_taken_between_quote_and_hold_are_insufficient(api, monkeypatch):
    """The race the API names: priced from a read, refused by the write's condition."""
    from chalicelib.rebates import holds

    fund(balance=5000, points=500)
    monkeypatch.setattr(holds, "free", lambda user_id: {"balance": 9000, "points": 500})
    status, body = reserve(api, use_balance=9000)
    assert (status, body["error"]["code"]) == (409, "INSUFFICIENT_BALANCE")
    monkeypatch.setattr(holds, "free", lambda user_id: {"balance": 5000, "points": 900})
    status, body = reserve(api, use_points=900, use_balance=100)
    assert (status, body["error"]["code"]) == (409, "INSUFFICIENT_POINTS")
    monkeypatch.undo()
    assert account(api) == {"balance": 5000, "held": 0, "points": 500, "points_held": 0}


def test_a_reservation_request_is_validated(api):
    for body in ({"items": [item(100)]}, {"order_id": "a#b", "items": [item(100)]},
                 reservation_body(use_balance=-1), reservation_body(use_points="5")):
        status, answer = api.post("/checkout/reservations", body)
        assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR"), body
