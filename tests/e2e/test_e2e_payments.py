"""End to end over HTTP against the local stack (`dev.stack`): a signed webhook in, the rebate
out in /me/account, carried by SQS and the event pump."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.helpers import headers_for, template_body
from tests.payment_helpers import generic_payment, generic_refund, rule_body, signed_generic

pytestmark = pytest.mark.e2e
DEADLINE_SECONDS = 60


def eventually(read, wanted):
    """Poll `read()` until it returns `wanted` (bounded: the pump delivers within seconds)."""
    deadline, seen = time.monotonic() + DEADLINE_SECONDS, None
    while time.monotonic() < deadline:
        seen = read()
        if seen == wanted:
            return
        time.sleep(0.3)
    raise AssertionError(f"still {seen!r}, expected {wanted!r}")


def test_a_signed_payment_webhook_becomes_a_rebate_and_a_refund_claws_it_back(stack):
    now = datetime.now(timezone.utc)
    ops = headers_for("ops", operator=True)
    window = {"starts_at": (now - timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat()}
    rule = requests.post(f"{stack.api_url}/admin/rebate-rules", json=rule_body(ratio_bp=500, **window), headers=ops,
                         timeout=10).json()
    assert requests.post(f"{stack.api_url}/admin/rebate-rules/{rule['id']}/publish", headers=ops,
                         timeout=10).status_code == 200

    raw, headers = signed_generic(generic_payment("evt_e2e_1", "pay_e2e_1", user="e2e-shopper", amount=12345,
                                                  paid_at=now))
    response = requests.post(f"{stack.api_url}/webhooks/payments/generic", data=raw, headers=headers, timeout=10)
    assert response.json() == {"received": True, "queued": True}

    def balance():
        account = requests.get(f"{stack.api_url}/me/account", headers=headers_for("e2e-shopper"), timeout=10)
        return account.json()["balance"]

    eventually(balance, 617)  # 5% of 12,345, rounded down
    raw, headers = signed_generic(generic_refund("evt_e2e_2", "ref_e2e_1", "pay_e2e_1", user="e2e-shopper",
                                                 amount=12345))
    assert requests.post(f"{stack.api_url}/webhooks/payments/generic", data=raw, headers=headers,
                         timeout=10).status_code == 200
    eventually(balance, 0)
    ledger = requests.get(f"{stack.api_url}/me/rebates", headers=headers_for("e2e-shopper"), timeout=10).json()
    assert [(e["type"], e["amount"]) for e in ledger["items"]] == [("clawback", -617), ("rebate", 617)]


def test_a_forged_webhook_is_refused_over_http(stack):
    raw, headers = signed_generic(generic_payment("evt_forged"), secret="not-the-secret")
    response = requests.post(f"{stack.api_url}/webhooks/payments/generic", data=raw, headers=headers, timeout=10)
    assert (response.status_code, response.json()["error"]["code"]) == (401, "UNAUTHENTICATED")


def test_withdrawals_reach_the_payee_paid_with_a_reference_or_failed_with_the_money_back(stack):
    """Issue 18's "done when", over HTTP: a finance token (not a marketing one) moves one withdrawal
    pending -> approved -> paid with its payout reference, another -> approved -> failed, whose
    money returns; the CSV had both payees in full, every list masks them; the audit names fay."""
    now, api, shopper = datetime.now(timezone.utc), stack.api_url, "e2e-payee"
    ops, finance = headers_for("ops", operator=True), headers_for("fay", roles=("finance",))
    window = {"starts_at": (now - timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat()}
    rule = requests.post(f"{api}/admin/rebate-rules", json=rule_body(ratio_bp=500, **window), headers=ops,
                         timeout=10).json()
    assert requests.post(f"{api}/admin/rebate-rules/{rule['id']}/publish", headers=ops, timeout=10).status_code == 200
    raw, headers = signed_generic(generic_payment("evt_e2e_payee", "pay_e2e_payee", user=shopper, amount=20000,
                                                  paid_at=now))
    assert requests.post(f"{api}/webhooks/payments/generic", data=raw, headers=headers, timeout=10).status_code == 200

    def balance():
        return requests.get(f"{api}/me/account", headers=headers_for(shopper), timeout=10).json()["balance"]

    deadline = time.monotonic() + DEADLINE_SECONDS
    while balance() < 500 and time.monotonic() < deadline:
        time.sleep(0.3)
    start = balance()
    assert start >= 500
    payee = {"channel": "alipay", "account": "13800138000", "name": "王小明"}
    made = [requests.post(f"{api}/me/withdrawals", json={"amount": amount, "payee": payee},
                          headers=headers_for(shopper), timeout=10).json() for amount in (300, 200)]
    assert [w["payee"]["account"] for w in made] == ["****8000", "****8000"]
    assert requests.post(f"{api}/admin/withdrawals/{made[0]['id']}/approve", timeout=10,
                         headers=headers_for("mia", roles=("marketing",))).status_code == 403
    for withdrawal in made:
        assert requests.post(f"{api}/admin/withdrawals/{withdrawal['id']}/approve", headers=finance,
                             timeout=10).status_code == 200
    listed = requests.get(f"{api}/admin/withdrawals.csv?status=approved", headers=finance, timeout=10).text
    assert all(w["id"] in listed for w in made) and "13800138000" in listed and "王小明" in listed

    paid = requests.post(f"{api}/admin/withdrawals/{made[0]['id']}/paid", json={"payout_ref": "ALI-E2E-1"},
                         headers=finance, timeout=10).json()
    failed = requests.post(f"{api}/admin/withdrawals/{made[1]['id']}/failed", json={"reason": "账户异常"},
                           headers=finance, timeout=10).json()
    assert (paid["status"], paid["payout_ref"], failed["status"], failed["reason"]) == (
        "paid", "ALI-E2E-1", "failed", "账户异常")
    assert balance() == start - 300  # the failed 200 came back, the paid 300 left
    mine = requests.get(f"{api}/me/withdrawals", headers=headers_for(shopper), timeout=10).json()["items"]
    assert {(w["status"], w["payout_ref"], w["reason"]) for w in mine} == {
        ("paid", "ALI-E2E-1", None), ("failed", None, "账户异常")}
    for withdrawal in made:
        entries = requests.get(f"{api}/admin/audit", params={"target_type": "withdrawal", "target_id": withdrawal["id"]},
                               headers=headers_for("ada", roles=("auditor",)), timeout=10).json()["items"]
        assert [(e["actor"], e["action"]) for e in entries][::-1][0] == ("fay", "approve")
        assert "13800138000" not in str(entries)


def test_a_card_bought_with_a_payment_is_issued_once_however_often_the_event_comes(stack):
    """Issue 17, item 4 over HTTP: a ¥200 card for ¥180, its payment delivered three times (and
    once more as another notification of the same payment); a full refund revokes it unused."""
    ops, shopper = headers_for("ops", operator=True), headers_for("e2e-buyer")
    card = requests.post(f"{stack.api_url}/admin/templates", headers=ops, timeout=10, json=template_body(
        name="¥200 card", kind="stored_value", value=20000, min_spend=0, price=18000, claim_channel="grant",
        per_user_limit=5)).json()
    assert requests.post(f"{stack.api_url}/admin/templates/{card['id']}/publish", headers=ops,
                         timeout=10).status_code == 200
    listed = requests.get(f"{stack.api_url}/templates", headers=shopper, timeout=10).json()["items"]
    assert [t["price"] for t in listed if t["id"] == card["id"]] == [18000]

    for event_id in ("evt_buy_1", "evt_buy_1", "evt_buy_1", "evt_buy_2"):
        body = generic_payment(event_id, "pay_buy_1", user="e2e-buyer", amount=18000, order_id="order_buy_1")
        body["data"]["purchases"] = [{"template_id": card["id"], "quantity": 1}]
        raw, headers = signed_generic(body)
        assert requests.post(f"{stack.api_url}/webhooks/payments/generic", data=raw, headers=headers,
                             timeout=10).status_code == 200

    def issued():
        answer = requests.get(f"{stack.api_url}/me/orders/order_buy_1/rebates", headers=shopper, timeout=10)
        payments = answer.json().get("payments", []) if answer.status_code == 200 else []
        return [(p["issued"], p["not_issued_reason"]) for pay in payments for p in pay["purchases"]]

    eventually(issued, [(1, None)])
    time.sleep(2)  # the duplicates have had their turn: still one card
    wallet = requests.get(f"{stack.api_url}/me/coupons", headers=shopper, timeout=10).json()["items"]
    assert [(c["template_id"], c["balance"], c["bought_with"]) for c in wallet] == [
        (card["id"], 20000, "generic:pay_buy_1")]

    raw, headers = signed_generic(generic_refund("evt_buy_r1", "ref_buy_1", "pay_buy_1", user="e2e-buyer",
                                                 amount=18000))
    assert requests.post(f"{stack.api_url}/webhooks/payments/generic", data=raw, headers=headers,
                         timeout=10).status_code == 200

    def status():
        coupons = requests.get(f"{stack.api_url}/me/coupons?status=revoked", headers=shopper, timeout=10).json()
        return [c["id"] for c in coupons["items"]]

    eventually(status, [wallet[0]["id"]])
