"""Racing withdrawals and decisions over real HTTP, against the serialized moto server and
DynamoDB Local (`race_api`)."""

from __future__ import annotations

from collections import Counter

import requests

from chalicelib.rebates import settlement
from tests.helpers import fire, headers_for
from tests.payment_helpers import NOW, live_rule, payment_event


def account(base, user="alice"):
    return requests.get(f"{base}/me/account", headers=headers_for(user), timeout=30).json()


def test_20_racing_withdrawals_never_overdraw(race_api):
    live_rule(ratio_bp=10000)
    settlement.process(payment_event("fund", 1000), NOW)  # balance 1000
    results = fire([("POST", f"{race_api}/me/withdrawals", headers_for("alice"), {"amount": 70})] * 20)
    statuses = Counter(status for status, _ in results)
    assert statuses == Counter({201: 14, 409: 6}), statuses  # 14 x 70 = 980; the 15th would overdraw
    assert {body["error"]["code"] for status, body in results if status == 409} == {"INSUFFICIENT_BALANCE"}
    current = account(race_api)
    assert (current["balance"], current["frozen"]) == (20, 980)


def test_racing_decisions_on_one_withdrawal_decide_it_once(race_api):
    live_rule(ratio_bp=10000)
    settlement.process(payment_event("fund", 1000), NOW)
    withdrawal = requests.post(f"{race_api}/me/withdrawals", json={"amount": 600}, headers=headers_for("alice"),
                               timeout=30).json()
    ops = headers_for("ops", operator=True)
    base = f"{race_api}/admin/withdrawals/{withdrawal['id']}"
    results = fire([("POST", f"{base}/approve", ops, None)] * 5 + [("POST", f"{base}/reject", ops, None)] * 5)
    assert Counter(status for status, _ in results) == Counter({200: 1, 409: 9})
    [decided] = [body for status, body in results if status == 200]
    current = account(race_api)
    expected = (400, 0) if decided["status"] == "approved" else (1000, 0)
    assert (current["balance"], current["frozen"]) == expected
