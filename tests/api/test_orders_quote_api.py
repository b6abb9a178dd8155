"""POST /checkout/quote with balance and points (chalice.test.Client, moto): the order of
application, every trim with its reason, refusals, and that a quote changes nothing
(API.md, "Paying with rebates"; docs/checkout.md, "Paying with balance and points")."""

from __future__ import annotations

import pytest

from chalicelib import dynamo
from chalicelib.models import MAX_FEN
from chalicelib.rebates import accounts_store, ledger
from chalicelib.rebates.models import AccountChange
from tests.checkout_helpers import NOW, item


def fund(user="alice", balance=0, points=0):
    """Credit the account as a rebate would: the change and its ledger entries in one transaction."""
    deltas = {k: v for k, v in (("balance", balance), ("points", points)) if v}
    entries = ledger.entries_for(deltas, "rebate", "seed", None, NOW)
    dynamo.transact(accounts_store.account_items(AccountChange(user, deltas), entries, NOW))


def claimed(api, user="alice", **overrides):
    template = api.published_template(per_user_limit=5, **overrides)
    status, coupon = api.post(f"/templates/{template['id']}/claim", user=user)
    assert status == 201, coupon
    return coupon


def settings(api, **changes):
    status, body = api.call("PUT", "/admin/settings", changes, operator=True)
    assert status == 200, body


def quote(api, items=None, user="alice", **fields):
    return api.post("/checkout/quote", {"items": items or [item(10_000)], **fields}, user=user)


def paid(body):
    return (body["points_used"], body["points_amount"], body["stored_value"], body["balance_used"], body["total"])


def trims(body):
    return [(t["asset"], t["asked"], t["used"], t["reason"]) for t in body["trimmed"]]


# --- what a quote answers -------------------------------------------------------------------------

def test_a_quote_that_names_neither_balance_nor_points_spends_neither(api):
    fund(balance=5000, points=5000)
    status, body = quote(api)
    assert (status, body) == (200, {"subtotal": 10_000, "discount": 0, "stored_value": 0, "total": 10_000,
                                    "applied": [], "points_used": 0, "points_amount": 0, "balance_used": 0,
                                    "trimmed": [], "expected_rebate": {"balance": 0, "points": 0, "vouchers": 0}})


def test_a_quote_that_names_them_answers_what_each_pays_even_when_zero(api):
    status, body = quote(api, use_balance=0)
    assert status == 200, body
    assert paid(body) == (0, 0, 0, 0, 10_000)
    assert body["trimmed"] == []


def test_coupon_then_points_then_cards_then_balance(api):
    fund(balance=9000, points=2000)
    off = claimed(api, value=1000, min_spend=0)
    gift = claimed(api, kind="stored_value", value=3000, min_spend=0)
    status, body = quote(api, coupon_ids=[off["id"], gift["id"]], use_points=2000, use_balance=9000)
    assert status == 200, body
    assert body["discount"] == 1000
    assert paid(body) == (2000, 2000, 3000, 4000, 0)
    assert [(a["coupon_id"], a["amount"]) for a in body["applied"]] == [(off["id"], 1000), (gift["id"], 3000)]
    assert trims(body) == [("balance", 9000, 4000, "cap")]


def test_the_best_choice_prices_its_cards_after_the_points(api):
    fund(points=5000)
    gift = claimed(api, kind="stored_value", value=9000, min_spend=0)
    status, body = quote(api, use_points=5000)
    assert status == 200, body
    assert paid(body) == (5000, 5000, 5000, 0, 0)
    assert [(a["coupon_id"], a["amount"]) for a in body["applied"]] == [(gift["id"], 5000)]


def test_a_quote_changes_nothing(api):
    fund(balance=3000, points=3000)
    assert quote(api, use_balance=3000, use_points=3000)[0] == 200
    _, account = api.get("/me/account")
    assert (account["balance"], account["points"]) == (3000, 3000)


# --- trims, each with its reason ----------------------------------------------------------------

def test_points_are_trimmed_to_their_cap_of_the_order_after_the_discount(api):
    fund(points=9000)
    off = claimed(api, value=2000, min_spend=0)
    _, body = quote(api, coupon_ids=[off["id"]], use_points=9000)
    assert paid(body) == (4000, 4000, 0, 0, 4000)  # 50% of 8000
    assert trims(body) == [("points", 9000, 4000, "cap")]


def test_points_are_trimmed_to_what_the_account_has(api):
    fund(points=700)
    _, body = quote(api, use_points=1000)
    assert paid(body)[:2] == (700, 700)
    assert trims(body) == [("points", 1000, 700, "not_enough")]


def test_the_balance_is_trimmed_to_what_the_account_has(api):
    fund(balance=2500)
    _, body = quote(api, use_balance=4000)
    assert paid(body) == (0, 0, 0, 2500, 7500)
    assert trims(body) == [("balance", 4000, 2500, "not_enough")]


def test_a_shopper_without_an_account_has_nothing_to_pay_with(api):
    _, body = quote(api, user="nobody", use_balance=100, use_points=100)
    assert paid(body) == (0, 0, 0, 0, 10_000)
    assert trims(body) == [("points", 100, 0, "not_enough"), ("balance", 100, 0, "not_enough")]


def test_the_balance_is_trimmed_to_its_cap_after_coupon_and_points(api):
    settings(api, balance_max_percent=50)
    fund(balance=9000, points=1000)
    _, body = quote(api, use_points=1000, use_balance=9000)
    assert paid(body) == (1000, 1000, 0, 4500, 4500)  # 50% of 10,000 - 1000
    assert trims(body) == [("balance", 9000, 4500, "cap")]


def test_points_do_not_combine_with_a_discount_coupon_when_the_programme_says_so(api):
    settings(api, points_with_coupon=False)
    fund(points=1000)
    off = claimed(api, value=1000, min_spend=0)
    _, body = quote(api, coupon_ids=[off["id"]], use_points=1000)
    assert paid(body) == (0, 0, 0, 0, 9000)
    assert trims(body) == [("points", 1000, 0, "coupon_does_not_combine")]
    _, without = quote(api, coupon_ids=[], use_points=1000)  # no coupon: the points pay
    assert paid(without) == (1000, 1000, 0, 0, 9000)


def test_points_pay_whole_fen_and_none_is_spent_for_a_fraction(api):
    settings(api, points_per_yuan=150)
    fund(points=10)
    _, body = quote(api, use_points=10)
    assert paid(body)[:2] == (9, 6)  # 10 points are worth 6.67 fen: 6 fen, which 9 points pay
    assert trims(body) == [("points", 10, 9, "whole_fen")]


# --- refusals -----------------------------------------------------------------------------------

def test_an_unusable_coupon_is_refused_with_balance_and_points_asked_and_changes_nothing(api):
    fund(balance=1000, points=1000)
    bobs = claimed(api, user="bob", min_spend=0)
    status, body = quote(api, coupon_ids=[bobs["id"]], use_balance=1000, use_points=1000)
    assert (status, body["error"]["code"]) == (409, "NOT_USABLE")
    assert body["error"]["details"] == [{"coupon_id": bobs["id"], "reason": "it is not in your wallet"}]
    _, account = api.get("/me/account")
    assert (account["balance"], account["points"]) == (1000, 1000)


@pytest.mark.parametrize("field", ["use_balance", "use_points"])
@pytest.mark.parametrize("value", [-1, MAX_FEN + 1, 1.5, "100", True])
def test_a_bad_amount_is_refused_naming_the_field(api, field, value):
    status, body = quote(api, **{field: value})
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert field in [d["field"] for d in body["error"]["details"]], body


def test_the_quote_documents_the_new_fields(api):
    _, document = api.get("/openapi.json", user=None)
    body = document["paths"]["/checkout/quote"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    schema = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    assert schema["properties"]["use_balance"]["anyOf"][0]["minimum"] == 0
    assert "use_points" in schema["properties"]
