"""The console's statistics over a range of Beijing days (issue 19, item 4): the date-range
toolbar (two date inputs and the presets 今天 / 近7天 / 近30天 / 全部, 近7天 by default) changes the
overview's figures, the claims and redemptions, and the daily charts; every bar and column shows
a tooltip on hover and on keyboard focus; desktop and phone, Chinese and English, no console
error. Chromium against a whole local stack of this module's own (tests/browser/conftest.py), so
the figures are this module's payments and claims alone."""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import TIMEOUT_MS, needs_chromium, sign_in, watch_console, yuan
from tests.helpers import headers_for, template_body, token
from tests.helpers import session as http_session
from tests.payment_helpers import generic_payment, rule_body, signed_generic

pytestmark = [pytest.mark.e2e, needs_chromium]

OPERATOR = "ops-stats-range"
PAYMENTS = [25680, 42520]
BALANCE = sum(a * 500 // 10000 for a in PAYMENTS)  # a 5% rule: 1,284 + 2,126
WORDS = {
    "zh": {"payments": "支付笔数", "sales": "销售额", "balance": "返到余额", "claims": "领券数",
           "redemptions": "核销数", "today": "今天", "week": "近7天", "month": "近30天", "all": "全部",
           "none": "该日期范围内没有领取。", "daily": "每日销售额与返利成本", "sales_series": "销售额",
           "claimed_series": "领取"},
    "en": {"payments": "Payments", "sales": "Sales", "balance": "Rebated to balance", "claims": "Coupons claimed",
           "redemptions": "Coupons redeemed", "today": "Today", "week": "Last 7 days", "month": "Last 30 days",
           "all": "All time", "none": "No claims in this range.", "daily": "Sales and rebate cost per day",
           "sales_series": "sales", "claimed_series": "claimed"},
}


@pytest.fixture(scope="module")
def programme(stack):
    """A template three shoppers claimed, one of whom paid with the coupon, a 5% rule, and two
    payments in all, settled by the pump: the overview as the API reports it."""
    http, ops = http_session(), headers_for(OPERATOR, operator=True)
    api = stack.api_url
    template = http.post(f"{api}/admin/templates", json=template_body(name="Range voucher", total_stock=10),
                         headers=ops, timeout=30).json()
    assert http.post(f"{api}/admin/templates/{template['id']}/publish", headers=ops, timeout=30).status_code == 200
    shoppers = [f"range-shopper-{n}-{uuid.uuid4().hex[:4]}" for n in range(3)]
    coupons = [http.post(f"{api}/templates/{template['id']}/claim", headers=headers_for(s), timeout=30).json()
               for s in shoppers]
    now = datetime.now(timezone.utc)
    rule = http.post(f"{api}/admin/rebate-rules", json=rule_body(
        name="Range 5%", ratio_bp=500, starts_at=(now - timedelta(hours=1)).isoformat(),
        ends_at=(now + timedelta(days=1)).isoformat()), headers=ops, timeout=30).json()
    assert http.post(f"{api}/admin/rebate-rules/{rule['id']}/publish", headers=ops, timeout=30).status_code == 200
    for n, amount in enumerate(PAYMENTS):
        tag = uuid.uuid4().hex[:8]
        raw, headers = signed_generic(
            generic_payment(event_id=f"evt-{tag}", payment_id=f"pay-{tag}", user=shoppers[n], amount=amount,
                            paid_at=now, order_id=f"order-{tag}", coupon_ids=[coupons[n]["id"]] if n == 0 else []),
            secret=stack.env["PAYMENT_WEBHOOK_SECRET"])
        assert http.post(f"{api}/webhooks/payments/generic", data=raw, headers=headers, timeout=30).status_code == 200
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        figures = http.get(f"{api}/admin/rebates/overview", headers=ops, timeout=30).json()
        redeemed = http.get(f"{api}/admin/templates/{template['id']}", headers=ops, timeout=30).json()["redeemed"]
        if figures["payments"] == 2 and figures["granted"]["balance"] == BALANCE and redeemed == 1:
            return figures
        time.sleep(0.2)
    raise AssertionError(f"the pump did not settle the payments (see {stack.log_dir}/pump.log)")


def value(page: Page, label: str):
    """The figure of the overview whose label is exactly `label`."""
    return page.locator("#rebate-overall .figure").filter(has=page.get_by_text(label, exact=True)).locator("strong")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_range_changes_the_figures_and_every_chart_has_an_axis_and_tooltips(stack, session, programme, lang):
    words = WORDS[lang]
    ops = session.page("/console#stats", stack.api_url, lang=lang)
    console_errors = watch_console(ops)
    sign_in(ops, token(OPERATOR, ("operator",)))
    stats = ops.locator("#view-stats")

    # The default range is the last 7 Beijing days, which hold this module's payments and claims
    expect(stats.get_by_role("button", name=words["week"])).to_have_attribute("aria-pressed", "true")
    expect(value(ops, words["payments"])).to_have_text("2")
    expect(value(ops, words["sales"])).to_have_text(yuan(sum(PAYMENTS)))
    expect(value(ops, words["balance"])).to_have_text(yuan(BALANCE))
    expect(value(ops, words["claims"])).to_have_text("3")
    expect(value(ops, words["redemptions"])).to_have_text("1")
    today = stats.locator("#stats-to").input_value()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", today)
    daily = stats.locator("#daily-chart figure")
    expect(daily).to_contain_text(words["daily"])
    expect(daily.locator("rect.bar")).to_have_count(7 * 2)  # 7 days, sales and cost side by side
    assert 3 <= daily.locator(".chart-tick").count() <= 5  # the value axis's labels
    session.shot(ops, f"{lang}-last-7-days")

    # A tooltip on hovering today's sales column names the day, the series and the amount
    daily.scroll_into_view_if_needed()
    daily.locator("rect.bar.sales").last.hover()
    tip = daily.locator(".chart-tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(f"{today[5:7]}/{today[8:10]}")
    expect(tip).to_contain_text(words["sales_series"])
    expect(tip).to_contain_text(yuan(sum(PAYMENTS)))
    session.shot(ops, f"{lang}-tooltip")
    # and with the keyboard: a column of the claims chart takes the focus and shows its own
    claims = stats.locator("#claims-over-time figure")
    claims.locator("rect.bar.claimed").last.focus()
    expect(claims.locator(".chart-tip")).to_be_visible()
    expect(claims.locator(".chart-tip")).to_contain_text(words["claimed_series"])
    expect(claims.locator(".chart-tip")).to_contain_text("3")

    # A past week holds nothing of this module: every figure is zero, and says why for the claims
    stats.locator("#stats-from").fill("2020-01-01")
    stats.locator("#stats-to").fill("2020/1/7")  # as a person may type it
    stats.locator("#stats-to").press("Enter")
    expect(value(ops, words["payments"])).to_have_text("0")
    expect(value(ops, words["sales"])).to_have_text("¥0.00")
    expect(value(ops, words["claims"])).to_have_text("0")
    expect(stats.get_by_text(words["none"])).to_have_count(2)  # the coupons' figures and the chart's place
    expect(stats.get_by_role("button", name=words["week"])).to_have_attribute("aria-pressed", "false")

    # Today and all time hold them again
    stats.get_by_role("button", name=words["today"]).click()
    expect(value(ops, words["payments"])).to_have_text("2")
    expect(stats.locator("#claims-over-time figure rect.bar.claimed")).to_have_count(24)  # one day: per hour
    stats.get_by_role("button", name=words["all"]).click()
    expect(stats.get_by_role("button", name=words["all"])).to_have_attribute("aria-pressed", "true")
    expect(value(ops, words["payments"])).to_have_text("2")
    expect(value(ops, words["claims"])).to_have_text("3")
    expect(stats.locator("#stats-from")).to_have_value("")
    stats.get_by_role("button", name=words["month"]).click()
    expect(daily.locator("rect.bar")).to_have_count(30 * 2)
    expect(stats.locator(".notice.error")).to_have_count(0)
    session.shot(ops, f"{lang}-last-30-days")
    assert console_errors == []


def test_a_backwards_range_is_refused_on_the_page_without_asking(stack, desktop, programme):
    ops = desktop.page("/console#stats", stack.api_url, lang="zh")
    sign_in(ops, token(OPERATOR, ("operator",)))
    stats = ops.locator("#view-stats")
    expect(value(ops, WORDS["zh"]["payments"])).to_have_text("2")
    stats.locator("#stats-to").fill("2020-01-01")
    stats.locator("#stats-to").press("Enter")
    expect(stats.locator(".notice.error")).to_have_text("请选择开始和结束日期：开始不晚于结束，最长 366 天。")
    expect(value(ops, WORDS["zh"]["payments"])).to_have_text("2")  # the last figures stay
