"""Support (API.md, "Compliance and operations"): finance reads a shopper's account, ledger and
withdrawals, and adjusts the balance or free points by a signed amount with a reason; never
below 0, a ledger entry of type `adjustment`, one audit entry, Idempotency-Key honoured."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.rebates import settlement
from tests.payment_helpers import NOW, live_rule, payment_event
from tests.reservation_helpers import ledger_sums

FINANCE = ("finance",)


def _funded(user: str = "wendy", amount: int = 1000) -> None:
    """`user` earns 10% back in balance and 20% in points on a payment of `amount`."""
    live_rule(name="balance back", ratio_bp=1000)
    live_rule(name="points back", ratio_bp=2000, reward="points")
    settlement.process(payment_event(f"fund-{user}", amount, user=user), NOW)


def _adjust(api, body: dict[str, Any], user: str = "wendy", **kw: Any) -> tuple[int, Any]:
    return api.post(f"/admin/accounts/{user}/adjustments", body, user="fay", roles=kw.pop("roles", FINANCE), **kw)


def _audit(api, user: str) -> list[dict[str, Any]]:
    status, body = api.get(f"/admin/audit?target_type=account&target_id={user}", user="ada", roles=("auditor",))
    assert status == 200, body
    return body["items"]


def test_finance_sees_the_account_its_ledger_and_withdrawals(api):
    _funded()
    status, withdrawal = api.post("/me/withdrawals", {"amount": 60}, user="wendy")
    assert status == 201, withdrawal

    status, view = api.get("/admin/accounts/wendy?limit=2", user="fay", roles=FINANCE)

    assert status == 200, view
    assert view["user_id"] == "wendy"
    assert (view["account"]["balance"], view["account"]["frozen"], view["account"]["points"]) == (40, 60, 200)
    assert len(view["ledger"]["items"]) == 2 and view["ledger"]["next_cursor"]
    assert [w["id"] for w in view["withdrawals"]["items"]] == [withdrawal["id"]]
    status, more = api.get(f"/admin/accounts/wendy?limit=2&cursor={view['ledger']['next_cursor']}", user="fay",
                           roles=FINANCE)
    assert status == 200 and more["ledger"]["items"], more
    assert {e["id"] for e in more["ledger"]["items"]}.isdisjoint(e["id"] for e in view["ledger"]["items"])


def test_an_account_never_credited_is_404(api):
    status, body = api.get("/admin/accounts/nobody", user="fay", roles=FINANCE)
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")
    status, body = _adjust(api, {"asset": "balance", "amount": 5, "reason": "goodwill"}, user="nobody")
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")


@pytest.mark.parametrize("asset, amount, after", [("balance", 250, 350), ("balance", -100, 0),
                                                  ("points", -150, 50), ("points", 7, 207)])
def test_an_adjustment_moves_the_asset_with_a_ledger_entry_and_an_audit_entry(api, asset, amount, after):
    _funded()
    status, made = _adjust(api, {"asset": asset, "amount": amount, "reason": "late parcel"})

    assert status == 201, made
    assert (made["asset"], made["amount"], made["reason"], made["actor"]) == (asset, amount, "late parcel", "fay")
    assert made["account"][asset] == after
    status, account = api.get("/me/account", user="wendy")
    assert account[asset] == after
    [entry] = [e for e in api.get("/me/rebates", user="wendy")[1]["items"] if e["type"] == "adjustment"]
    assert (entry["asset"], entry["amount"], entry["reason"], entry["actor"], entry["ref"]) == (
        asset, amount, "late parcel", "fay", made["id"])
    assert ledger_sums("wendy")[asset] == after
    [audit] = _audit(api, "wendy")
    assert (audit["actor"], audit["action"]) == ("fay", "adjust")
    assert (audit["before"][asset], audit["after"][asset]) == (after - amount, after)
    assert audit["after"]["adjustment"]["reason"] == "late parcel"


@pytest.mark.parametrize("asset, amount, code", [("balance", -101, "INSUFFICIENT_BALANCE"),
                                                 ("points", -201, "INSUFFICIENT_POINTS")])
def test_an_adjustment_below_zero_is_refused_and_changes_nothing(api, asset, amount, code):
    _funded()
    before = api.get("/me/account", user="wendy")[1]

    status, body = _adjust(api, {"asset": asset, "amount": amount, "reason": "typo"})

    assert (status, body["error"]["code"]) == (409, code)
    assert api.get("/me/account", user="wendy")[1] == before
    assert _audit(api, "wendy") == []
    assert [e for e in api.get("/me/rebates", user="wendy")[1]["items"] if e["type"] == "adjustment"] == []


def test_frozen_money_cannot_be_adjusted_away(api):
    _funded()
    assert api.post("/me/withdrawals", {"amount": 100}, user="wendy")[0] == 201  # the whole balance is frozen
    status, body = _adjust(api, {"asset": "balance", "amount": -1, "reason": "typo"})
    assert (status, body["error"]["code"]) == (409, "INSUFFICIENT_BALANCE")


@pytest.mark.parametrize("body, field", [
    ({"asset": "frozen", "amount": 5, "reason": "x"}, "asset"),
    ({"asset": "debt", "amount": 5, "reason": "x"}, "asset"),
    ({"asset": "balance", "amount": 0, "reason": "x"}, "amount"),
    ({"asset": "balance", "amount": "5", "reason": "x"}, "amount"),
    ({"asset": "balance", "amount": 1.5, "reason": "x"}, "amount"),
    ({"asset": "balance", "amount": 10**13, "reason": "x"}, "amount"),
    ({"asset": "balance", "amount": 5, "reason": ""}, "reason"),
    ({"asset": "balance", "amount": 5, "reason": "   "}, "reason"),
    ({"asset": "balance", "amount": 5, "reason": "x" * 201}, "reason"),
    ({"asset": "balance", "amount": 5}, "reason"),
    ({"asset": "balance", "amount": 5, "reason": "x", "extra": 1}, "extra"),
])
def test_a_bad_adjustment_is_400_naming_its_field(api, body, field):
    _funded()
    status, answer = _adjust(api, body)
    assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR"), answer
    assert field in {d["field"] for d in answer["error"]["details"]}
    assert _audit(api, "wendy") == []


@pytest.mark.parametrize("roles, allowed", [(("marketing",), False), (("auditor",), False), (("finance",), True),
                                            (("operator",), True), ((), False)])
def test_only_finance_and_the_operator_adjust(api, roles, allowed):
    _funded()
    status, body = _adjust(api, {"asset": "balance", "amount": 1, "reason": "x"}, roles=roles)
    assert (status == 201) == allowed and (allowed or status == 403), body
    read = api.get("/admin/accounts/wendy", user="x", roles=roles)[0]
    assert (read == 200) == (allowed or roles == ("auditor",))


def test_a_retried_adjustment_with_the_same_key_applies_once(api):
    _funded()
    key = {"Idempotency-Key": "adjust-once"}
    first = _adjust(api, {"asset": "balance", "amount": 30, "reason": "goodwill"}, headers=key)
    again = _adjust(api, {"asset": "balance", "amount": 30, "reason": "goodwill"}, headers=key)

    assert first == again and first[0] == 201
    assert api.get("/me/account", user="wendy")[1]["balance"] == 130
    assert len(_audit(api, "wendy")) == 1


def test_a_refused_adjustment_is_replayed_as_refused(api):
    _funded()
    key = {"Idempotency-Key": "adjust-too-much"}
    assert _adjust(api, {"asset": "balance", "amount": -500, "reason": "x"}, headers=key)[0] == 409
    assert _adjust(api, {"asset": "balance", "amount": -500, "reason": "x"}, headers=key)[0] == 409
