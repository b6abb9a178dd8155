"""Points that expire over HTTP (issue 17, item 3): the setting, GET /me/account's
`points_expiring` and the `expire` ledger entry (API.md, "Pending rebates, points for coupons,
points expiry, cards for sale")."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.jobs import registry as jobs
from chalicelib.jobs.budget import Unlimited
from chalicelib.rebates import settlement
from tests.payment_helpers import NOW, payment_event, rule_body


def test_a_points_rebate_shows_when_it_expires_and_the_job_takes_it_with_an_expire_entry(api):
    assert api.call("PUT", "/admin/settings", {"points_valid_days": 10}, operator=True)[0] == 200
    _, rule = api.post("/admin/rebate-rules", rule_body(ratio_bp=600, reward="points"), operator=True)
    assert api.post(f"/admin/rebate-rules/{rule['id']}/publish", operator=True)[0] == 200
    settlement.process(payment_event("pay_1", 10000), NOW)

    status, account = api.get("/me/account")
    assert status == 200
    assert (account["points"], account["points_expiring"]) == (
        600, [{"points": 600, "expires_at": "2030-06-11T16:00:00Z"}])  # the end of 11 June in Beijing

    jobs.run("expire-points", NOW + timedelta(days=11), Unlimited())
    _, account = api.get("/me/account")
    assert (account["points"], account["points_expiring"]) == (0, [])
    _, ledger = api.get("/me/rebates")
    assert [(e["type"], e["asset"], e["amount"], e["ref"]) for e in ledger["items"] if e["type"] == "expire"] == [
        ("expire", "points", -600, "2030-06-11")]


def test_points_valid_days_outside_0_to_3650_is_a_400(api):
    assert api.call("PUT", "/admin/settings", {"points_valid_days": 3651}, operator=True)[0] == 400
    assert api.call("PUT", "/admin/settings", {"points_valid_days": -1}, operator=True)[0] == 400
