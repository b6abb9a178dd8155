"""What shoppers see (API.md): `GET /rebate-offers` lists the live rules as terms, without a
token and cacheable; a quote and a reservation carry `expected_rebate`."""

from __future__ import annotations

from tests.checkout_helpers import item
from tests.payment_helpers import live_rule
from tests.programme_helpers import set_programme

OPEN = {"starts_at": None, "ends_at": None}  # live whatever the wall clock says


def test_offers_are_the_live_rules_as_terms_public_and_cacheable(api):
    set_programme(max_return_bp=2000)
    live_rule(name="10% back", ratio_bp=1000, **OPEN)
    live_rule(name="points ladder", kind="tiered", ratio_bp=None, reward="points",
              ladder=[{"min_paid": 1000, "ratio_bp": 100}, {"min_paid": 50000, "ratio_bp": 300}], **OPEN)
    live_rule(name="ended long ago", ratio_bp=500, starts_at="2001-01-01T00:00:00Z", ends_at="2001-02-01T00:00:00Z")

    response = api.client.http.get("/rebate-offers")

    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    body = response.json_body
    assert body["max_return_bp"] == 2000
    assert [(o["name"], o["kind"], o["reward"]) for o in body["items"]] == [
        ("10% back", "fixed_ratio", "balance"), ("points ladder", "tiered", "points")]
    first, ladder = body["items"]
    assert (first["ratio_bp"], first["starts_at"], first["ends_at"]) == (1000, None, None)
    assert ladder["ladder"] == [{"min_paid": 1000, "ratio_bp": 100}, {"min_paid": 50000, "ratio_bp": 300}]


def test_no_live_rule_offers_nothing(api):
    status, body = api.get("/rebate-offers", user=None)
    assert (status, body["items"]) == (200, [])


def test_a_quote_and_a_reservation_carry_the_expected_rebate(api):
    set_programme(max_return_bp=1500)
    live_rule(name="10% back", ratio_bp=1000, **OPEN)
    live_rule(name="10% in points", ratio_bp=1000, reward="points", **OPEN)

    status, quote = api.post("/checkout/quote", {"items": [item(10_000)], "coupon_ids": []})
    assert status == 200, quote
    assert quote["expected_rebate"] == {"balance": 1000, "points": 500, "vouchers": 0}  # the cap trims the second
    status, reserved = api.post("/checkout/reservations", {"order_id": "o-1", "items": [item(10_000)],
                                                           "coupon_ids": []})
    assert status == 201, reserved
    assert reserved["expected_rebate"] == quote["expected_rebate"]
