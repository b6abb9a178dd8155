"""Racing moves of one withdrawal (approve, reject, paid, failed) and racing requests against
the daily maximum, over real HTTP against the serialized moto server and DynamoDB Local
(`race_api`): exactly one legal path wins and the money moves once (issue 18, item 4)."""

from __future__ import annotations

from collections import Counter

import requests

from chalicelib.rebates import settlement
from tests.helpers import fire, headers_for
from tests.payment_helpers import NOW, live_rule, payment_event
from tests.programme_helpers import set_programme

FINANCE = headers_for("fay", roles=("finance",))
BODIES = {"approve": None, "reject": {"reason": "no"}, "paid": {"payout_ref": "BANK-1"}, "failed": {"reason": "closed"}}
# the final status -> (balance, frozen) of a shopper who had 1000 and asked for 600
MONEY = {"approved": (400, 0), "paid": (400, 0), "rejected": (1000, 0), "failed": (1000, 0)}


def funded_withdrawal(base, amount=600):
    live_rule(ratio_bp=10000)
    settlement.process(payment_event("fund", 1000), NOW)  # balance 1000
    response = requests.post(f"{base}/me/withdrawals", json={"amount": amount}, headers=headers_for("alice"),
                             timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def account(base):
    body = requests.get(f"{base}/me/account", headers=headers_for("alice"), timeout=30).json()
    return body["balance"], body["frozen"]


def state(base, withdrawal_id):
    return requests.get(f"{base}/me/withdrawals/{withdrawal_id}", headers=headers_for("alice"), timeout=30).json()


def audit_actions(base, withdrawal_id):
    page = requests.get(f"{base}/admin/audit?target_type=withdrawal&target_id={withdrawal_id}&limit=100",
                        headers=headers_for("ada", roles=("auditor",)), timeout=30).json()
    return sorted(e["action"] for e in page["items"])


def ledger_of(base, withdrawal_id):
    page = requests.get(f"{base}/me/rebates?limit=100", headers=headers_for("alice"), timeout=30).json()
    return sorted((e["type"], e["asset"], e["amount"]) for e in page["items"] if e["ref"] == withdrawal_id)


def test_approve_reject_paid_and_failed_racing_on_a_pending_withdrawal_take_one_legal_path(race_api):
    withdrawal = funded_withdrawal(race_api)
    base = f"{race_api}/admin/withdrawals/{withdrawal['id']}"
    actions = ["approve", "reject", "paid", "failed"] * 4
    results = fire([("POST", f"{base}/{action}", FINANCE, BODIES[action]) for action in actions])

    won = Counter(action for action, (status, _) in zip(actions, results) if status == 200)
    assert {status for status, _ in results} <= {200, 409}
    assert all(body["error"]["code"] == "INVALID_STATE" for status, body in results if status == 409)
    final = state(race_api, withdrawal["id"])["status"]
    # legal paths: reject; approve; approve then paid; approve then failed
    path = {"rejected": ["reject"], "approved": ["approve"], "paid": ["approve", "paid"],
            "failed": ["approve", "failed"]}[final]
    assert won == Counter(path), (won, final)
    assert audit_actions(race_api, withdrawal["id"]) == sorted(path)
    assert account(race_api) == MONEY[final]


def test_paid_and_failed_racing_on_an_approved_withdrawal_record_one_outcome(race_api):
    withdrawal = funded_withdrawal(race_api)
    base = f"{race_api}/admin/withdrawals/{withdrawal['id']}"
    assert requests.post(f"{base}/approve", headers=FINANCE, timeout=30).status_code == 200
    actions = ["paid", "failed"] * 8
    results = fire([("POST", f"{base}/{action}", FINANCE, BODIES[action]) for action in actions])

    assert Counter(status for status, _ in results) == Counter({200: 1, 409: 15})
    [final] = [body["status"] for status, body in results if status == 200]
    assert state(race_api, withdrawal["id"])["status"] == final
    assert account(race_api) == MONEY[final]
    returned = [("withdrawal_failed", "balance", 600)] if final == "failed" else []
    assert ledger_of(race_api, withdrawal["id"]) == sorted(
        [("withdrawal", "balance", -600), ("withdrawal", "frozen", 600), ("withdrawal_paid", "frozen", -600),
         *returned])


def test_failed_double_clicked_and_redelivered_returns_the_money_once(race_api):
    withdrawal = funded_withdrawal(race_api)
    base = f"{race_api}/admin/withdrawals/{withdrawal['id']}"
    assert requests.post(f"{base}/approve", headers=FINANCE, timeout=30).status_code == 200
    same_key = {**FINANCE, "Idempotency-Key": "fail-click"}
    results = fire([("POST", f"{base}/failed", same_key, BODIES["failed"])] * 10
                   + [("POST", f"{base}/failed", FINANCE, BODIES["failed"])] * 6)

    keyed, unkeyed = results[:10], results[10:]
    assert {status for status, _ in results} <= {200, 409}
    winners = [body for status, body in results if status == 200]
    assert len({(w["id"], w["paid_out_at"]) for w in winners}) == 1  # every 200 is the one move, replayed
    assert all(status == 409 for status, _ in unkeyed) or all(status == 409 for status, _ in keyed)
    assert account(race_api) == (1000, 0)
    assert ledger_of(race_api, withdrawal["id"]).count(("withdrawal_failed", "balance", 600)) == 1
    assert audit_actions(race_api, withdrawal["id"]) == ["approve", "failed"]


def test_withdrawals_racing_the_daily_maximum_never_pass_it(race_api):
    live_rule(ratio_bp=10000)
    settlement.process(payment_event("fund", 5000), NOW)
    set_programme(withdrawal_daily_max=1000)
    results = fire([("POST", f"{race_api}/me/withdrawals", headers_for("alice"), {"amount": 300})] * 12)

    assert Counter(status for status, _ in results) == Counter({201: 3, 409: 9})  # 3 x 300 = 900; a 4th passes 1000
    assert {body["error"]["code"] for status, body in results if status == 409} == {"LIMIT_REACHED"}
    assert account(race_api) == (4100, 900)
