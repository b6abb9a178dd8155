"""Pending rebates over HTTP (issue 17, item 1; chalice.test.Client, moto): `pending_days` on a
rule, `pending_balance` / `pending_points` in GET /me/account, and pending is not withdrawable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.jobs import registry as jobs
from chalicelib.jobs.budget import Unlimited
from chalicelib.rebates import settlement
from tests.payment_helpers import NOW, payment_event, rule_body


def create_rule(api, **overrides):
    return api.post("/admin/rebate-rules", rule_body(**overrides), operator=True)


def test_a_rule_is_created_and_shown_with_its_pending_days(api):
    status, rule = create_rule(api, pending_days=7)
    assert (status, rule["pending_days"]) == (201, 7)
    assert api.get(f"/admin/rebate-rules/{rule['id']}", operator=True)[1]["pending_days"] == 7
    assert create_rule(api)[1]["pending_days"] == 0


@pytest.mark.parametrize("days", [-1, 91, "7", 1.5, None])
def test_pending_days_outside_0_to_90_is_a_400(api, days):
    status, body = create_rule(api, pending_days=days)
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")


def test_the_account_shows_pending_and_pending_cannot_be_withdrawn(api):
    _, rule = create_rule(api, ratio_bp=500, pending_days=7)
    _, points_rule = create_rule(api, ratio_bp=1000, reward="points", pending_days=7)
    for made in (rule, points_rule):
        assert api.post(f"/admin/rebate-rules/{made['id']}/publish", operator=True)[0] == 200
    settlement.process(payment_event("pay_1", 10000), NOW)
    _, account = api.get("/me/account")
    assert (account["balance"], account["pending_balance"], account["points"], account["pending_points"]) == (
        0, 500, 0, 1000)
    status, body = api.post("/me/withdrawals", {"amount": 1})
    assert (status, body["error"]["code"]) == (409, "INSUFFICIENT_BALANCE")
    jobs.run("release-pending", NOW + timedelta(days=7), Unlimited())
    _, account = api.get("/me/account")
    assert (account["balance"], account["pending_balance"], account["points"], account["pending_points"]) == (
        500, 0, 1000, 0)
    assert api.post("/me/withdrawals", {"amount": 500})[0] == 201
