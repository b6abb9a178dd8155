"""The console's statistics overview counts each payment once, and a voucher not granted shows in
the console and on the mall page: Chromium against a whole local stack of this module's own (the
fixtures of tests/browser/conftest.py), so the figures are this module's payments alone."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.browser.pages import TIMEOUT_MS, cell, needs_chromium, sign_in
from tests.helpers import headers_for, template_body, token
from tests.helpers import session as http_session
from tests.payment_helpers import generic_payment, rule_body, signed_generic

pytestmark = [pytest.mark.e2e, needs_chromium]

SHOPPER = f"overview-shopper-{uuid.uuid4().hex[:6]}"
PAYMENTS = [25680, 42520]  # ¥682.00 in all, the figure
BALANCE = sum(a * 500 // 10000 + a * 1000 // 10000 for a in PAYMENTS)  # 5% and 全返 10%: 10,230
POINTS = 300 * 2


@pytest.fixture(scope="module")
def programme(stack):
    """Four live rules (5% balance, 300 points from ¥50, 全返 10%, a voucher from ¥100 of a template
    the shopper already holds its one of), and two payments by that shopper, settled by the pump."""
    http, ops = http_session(), headers_for("ops-overview", operator=True)
    api = stack.api_url
    template = http.post(f"{api}/admin/templates", json=template_body(name="Overview voucher", per_user_limit=1),
                         headers=ops, timeout=30).json()
    assert http.post(f"{api}/admin/templates/{template['id']}/publish", headers=ops, timeout=30).status_code == 200
    assert http.post(f"{api}/templates/{template['id']}/claim", headers=headers_for(SHOPPER),
                     timeout=30).status_code == 201
    now = datetime.now(timezone.utc)
    window = {"starts_at": (now - timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(days=1)).isoformat()}
    rules = [
        rule_body(name="Overview 5%", ratio_bp=500, **window),
        rule_body(name="Overview points", kind="threshold", ratio_bp=None,
                  threshold={"min_paid": 5000, "amount": 300}, reward="points", **window),
        rule_body(name="Overview 全返", kind="full_return", ratio_bp=1000, installments=3, period_days=10, **window),
        rule_body(name="Overview voucher", kind="threshold", ratio_bp=None, threshold={"min_paid": 10000},
                  reward={"voucher_template_id": template["id"]}, **window),
    ]
    for body in rules:
        rule = http.post(f"{api}/admin/rebate-rules", json=body, headers=ops, timeout=30).json()
        assert http.post(f"{api}/admin/rebate-rules/{rule['id']}/publish", headers=ops, timeout=30).status_code == 200
    for amount in PAYMENTS:
        tag = uuid.uuid4().hex[:8]
        raw, headers = signed_generic(
            generic_payment(event_id=f"evt-{tag}", payment_id=f"pay-{tag}", user=SHOPPER, amount=amount,
                            paid_at=now, order_id=f"order-{tag}"),
            secret=stack.env["PAYMENT_WEBHOOK_SECRET"])
        assert http.post(f"{api}/webhooks/payments/generic", data=raw, headers=headers, timeout=30).status_code == 200
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        figures = http.get(f"{api}/admin/rebates/overview", headers=ops, timeout=30).json()
        if figures["payments"] == 2 and figures["vouchers_not_granted"] == 2 and figures["granted"]["points"] == POINTS:
            return figures
        time.sleep(0.2)
    raise AssertionError(f"the pump did not settle the payments (see {stack.log_dir}/pump.log)")


def test_the_overview_counts_each_payment_once_under_four_live_rules(stack, session, programme):
    assert (programme["sales"], programme["granted"]["balance"], programme["return_bp"]) == (
        68200, BALANCE, (BALANCE + POINTS) * 10000 // 68200)

    ops = session.page("/console#stats", stack.api_url)
    sign_in(ops, token("ops-overview", ("operator",)))
    overall = ops.locator("#view-stats #rebate-overall")
    expect(overall.locator(".figure", has_text="Payments")).to_contain_text("2")
    expect(overall.locator(".figure", has_text="Sales (net of refunds)")).to_contain_text("¥682.00")
    expect(overall.locator(".figure", has_text="Rebated to balance")).to_contain_text("¥102.30")
    expect(overall.locator(".figure", has_text="Points given")).to_contain_text("600")
    expect(overall.locator(".figure", has_text="Return rate (all rules)")).to_contain_text("15.87%")
    expect(overall.locator(".figure", has_text="Vouchers not granted")).to_contain_text("2")
    # per rule, each rule still counts both payments as its sales
    row = ops.locator("#view-stats tbody tr", has_text="Overview 5%")
    expect(cell(row, "Sales driven")).to_have_text("¥682.00")
    missed = ops.locator("#rewards-not-granted tbody tr", has_text="Overview voucher")
    expect(cell(missed, "Not granted")).to_have_text("2")
    expect(cell(missed, "why")).to_have_text("you already hold as many as allowed: 2")  # LIMIT_REACHED, by reason
    overall.scroll_into_view_if_needed()
    session.shot(ops, "programme-overview")

    ops.get_by_role("link", name="Rebate rules").click()
    voucher_rule = ops.locator("#rule-list tbody tr", has_text="Overview voucher")
    expect(cell(voucher_rule, "Vouchers not granted")).to_have_text("2")
    session.shot(ops, "rules-not-granted")


def test_the_shopper_sees_the_voucher_not_granted_in_their_ledger(stack, session, programme):
    shopper = session.page("/mall", stack.api_url)
    sign_in(shopper, token(SHOPPER))
    ledger = shopper.locator("#ledger")
    expect(ledger.locator("tbody tr", has_text="voucher earned but not granted")).to_have_count(2)
    expect(ledger).to_contain_text("you already hold as many as allowed")
    session.shot(shopper, "ledger-not-granted")
