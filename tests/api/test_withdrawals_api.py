"""Withdrawals: shoppers ask, operators approve or reject once (chalice.test.Client, moto)."""

from __future__ import annotations

from itertools import count

import pytest

from chalicelib.rebates import settlement
from tests.payment_helpers import NOW, live_rule, payment_event

_payments = count()


@pytest.fixture
def fund(api):
    """fund(user, fen): a rebate of exactly `fen` to the user's balance (a 100% rule)."""
    live_rule(ratio_bp=10000)

    def give(user: str, amount: int) -> None:
        settlement.process(payment_event(f"fund-{next(_payments)}", amount, user=user), NOW)

    return give


def balances(api, user="alice"):
    _, body = api.get("/me/account", user=user)
    return body["balance"], body["frozen"]


def withdraw(api, amount, user="alice", **kw):
    return api.post("/me/withdrawals", {"amount": amount}, user=user, **kw)


def test_a_withdrawal_moves_balance_to_frozen(api, fund):
    fund("alice", 1000)
    status, withdrawal = withdraw(api, 600)
    assert status == 201, withdrawal
    assert (withdrawal["amount"], withdrawal["status"], withdrawal["user_id"]) == (600, "pending", "alice")
    assert balances(api) == (400, 600)
    _, ledger = api.get("/me/rebates")
    assert sorted((e["type"], e["asset"], e["amount"], e["ref"]) for e in ledger["items"][:2]) == [
        ("withdrawal", "balance", -600, withdrawal["id"]), ("withdrawal", "frozen", 600, withdrawal["id"])]


def test_more_than_the_balance_is_refused_and_changes_nothing(api, fund):
    fund("alice", 1000)
    status, body = withdraw(api, 1001)
    assert (status, body["error"]["code"]) == (409, "INSUFFICIENT_BALANCE")
    assert balances(api) == (1000, 0)


def test_a_shopper_without_an_account_has_nothing_to_withdraw(api):
    assert withdraw(api, 1, user="nobody")[1]["error"]["code"] == "INSUFFICIENT_BALANCE"
    assert api.get("/me/account", user="nobody")[1] == {
        "balance": 0, "frozen": 0, "points": 0, "debt": 0, "points_debt": 0, "held": 0, "points_held": 0,
        "pending_balance": 0, "pending_points": 0, "pending_instalments": [], "points_expiring": []}


@pytest.mark.parametrize("body", [{"amount": 0}, {"amount": -5}, {"amount": "100"}, {"amount": 1.5}, {}])
def test_invalid_amounts_are_refused(api, body):
    assert api.post("/me/withdrawals", body)[0] == 400


def test_an_idempotency_key_withdraws_once(api, fund):
    fund("alice", 1000)
    first = withdraw(api, 300, headers={"Idempotency-Key": "w-1"})
    again = withdraw(api, 300, headers={"Idempotency-Key": "w-1"})
    assert first == again
    assert balances(api) == (700, 300)
    assert withdraw(api, 200, headers={"Idempotency-Key": "w-1"})[1]["error"]["code"] == "IDEMPOTENCY_MISMATCH"


def test_approve_pays_the_frozen_amount_out_once(api, fund):
    fund("alice", 1000)
    _, withdrawal = withdraw(api, 600)
    status, approved = api.post(f"/admin/withdrawals/{withdrawal['id']}/approve", operator=True, user="ops")
    assert (status, approved["status"], approved["decided_by"]) == (200, "approved", "ops")
    assert balances(api) == (400, 0)
    for action in ("approve", "reject"):
        status, body = api.post(f"/admin/withdrawals/{withdrawal['id']}/{action}", operator=True)
        assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert balances(api) == (400, 0)


def test_reject_returns_the_frozen_amount_to_the_balance_once(api, fund):
    fund("alice", 1000)
    _, withdrawal = withdraw(api, 600)
    assert api.post(f"/admin/withdrawals/{withdrawal['id']}/reject", operator=True)[1]["status"] == "rejected"
    assert balances(api) == (1000, 0)
    assert api.post(f"/admin/withdrawals/{withdrawal['id']}/reject", operator=True)[0] == 409
    assert balances(api) == (1000, 0)


def test_unknown_withdrawal_is_404(api):
    assert api.post("/admin/withdrawals/01J00000000000000000000000/approve", operator=True)[0] == 404


def test_operators_list_withdrawals_by_status_oldest_first(api, fund):
    fund("alice", 1000)
    ids = [withdraw(api, 100)[1]["id"] for _ in range(3)]
    api.post(f"/admin/withdrawals/{ids[1]}/approve", operator=True)
    _, page = api.get("/admin/withdrawals?limit=1", operator=True)
    _, rest = api.get(f"/admin/withdrawals?limit=1&cursor={page['next_cursor']}", operator=True)
    assert [page["items"][0]["id"], rest["items"][0]["id"]] == [ids[0], ids[2]]
    _, approved = api.get("/admin/withdrawals?status=approved", operator=True)
    assert [w["id"] for w in approved["items"]] == [ids[1]]


def test_shoppers_cannot_decide_withdrawals(api, fund):
    fund("alice", 100)
    _, withdrawal = withdraw(api, 100)
    assert api.post(f"/admin/withdrawals/{withdrawal['id']}/approve")[0] == 403
    assert api.get("/admin/withdrawals")[0] == 403


def test_the_ledger_is_paginated_newest_first(api, fund):
    for amount in (100, 200, 300):
        fund("alice", amount)
    _, page = api.get("/me/rebates?limit=2")
    assert [e["amount"] for e in page["items"]] == [300, 200]
    _, rest = api.get(f"/me/rebates?limit=2&cursor={page['next_cursor']}")
    assert ([e["amount"] for e in rest["items"]], rest["next_cursor"]) == ([100], None)
    assert set(page["items"][0]) == {"id", "type", "amount", "asset", "ref", "rule_id", "reason", "actor", "created_at"}
    assert api.get(f"/me/rebates?cursor={page['next_cursor']}", user="bob")[0] == 400  # another's cursor


def test_shoppers_see_their_own_withdrawals_newest_first_with_their_status(api, fund):
    fund("alice", 1000)
    fund("bob", 1000)
    ids = [withdraw(api, amount)[1]["id"] for amount in (100, 200, 300)]
    bobs = withdraw(api, 50, user="bob")[1]["id"]
    api.post(f"/admin/withdrawals/{ids[0]}/approve", operator=True, user="ops")
    api.post(f"/admin/withdrawals/{ids[1]}/reject", operator=True, user="ops")

    _, page = api.get("/me/withdrawals?limit=2")
    _, rest = api.get(f"/me/withdrawals?limit=2&cursor={page['next_cursor']}")

    shown = [(w["id"], w["amount"], w["status"]) for w in page["items"] + rest["items"]]
    assert shown == [(ids[2], 300, "pending"), (ids[1], 200, "rejected"), (ids[0], 100, "approved")]
    assert rest["next_cursor"] is None
    assert [w["id"] for w in api.get("/me/withdrawals", user="bob")[1]["items"]] == [bobs]
    assert api.get("/me/withdrawals", user="carol")[1] == {"items": [], "next_cursor": None}
    assert api.get(f"/me/withdrawals?cursor={page['next_cursor']}", user="bob")[0] == 400  # another's cursor


def test_a_shopper_reads_one_withdrawal_and_never_anothers(api, fund):
    fund("alice", 1000)
    _, withdrawal = withdraw(api, 600)
    api.post(f"/admin/withdrawals/{withdrawal['id']}/approve", operator=True, user="ops")

    status, body = api.get(f"/me/withdrawals/{withdrawal['id']}")

    assert (status, body["status"], body["decided_by"], body["amount"]) == (200, "approved", "ops", 600)
    status, body = api.get(f"/me/withdrawals/{withdrawal['id']}", user="bob")
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")
    assert api.get("/me/withdrawals/01J00000000000000000000000")[0] == 404
    assert api.get("/me/withdrawals/not-an-id")[0] == 404
