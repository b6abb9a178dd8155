"""End to end over HTTP against the local stack (`dev.stack`): a signed webhook in, the rebate
out in /me/account, carried by SQS and the event pump."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.helpers import headers_for
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
