"""Issue 19's done-when, in one test, in Chinese (the pages' default), at desktop and phone width:
an operator runs a campaign (a voucher created in its dialog and published) and a rebate
programme (a 5% balance rule created and published) from the console; a shopper claims the
voucher on the mall page, checks out with it preselected, and once the order is paid (the
provider's signed webhook, settled by the stack's SQS pump) sees the rebate arrive in the ledger,
said of the order, without reloading. No script error on either page."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from tests.browser.pages import cell, needs_chromium, sign_in, watch_console
from tests.helpers import headers_for, token
from tests.helpers import session as http_session
from tests.payment_helpers import generic_payment, signed_generic

pytestmark = [pytest.mark.e2e, needs_chromium]


def test_an_operator_runs_a_campaign_and_a_rebate_programme_and_the_shopper_sees_the_rebate_arrive(stack, session):
    tag = uuid.uuid4().hex[:6]
    voucher, rule_name = f"满100减15 {session.viewport} {tag}", f"消费返 5% {session.viewport} {tag}"
    operator, shopper = f"ops-zh-{tag}", f"shopper-zh-{session.viewport}-{tag}"

    # The campaign: a voucher, created in its dialog and published, in Chinese
    ops = session.page("/console", stack.api_url, lang="zh")
    ops_errors = watch_console(ops)
    sign_in(ops, token(operator, ("operator",)))
    ops.get_by_role("button", name="新建优惠券模板").click()
    form = ops.locator("#template-form")
    form.get_by_label("名称").fill(voucher)
    form.get_by_label("减免金额（元）").fill("15")
    form.get_by_label("使用门槛（满多少元）").fill("100")
    form.get_by_label("发行总量").fill("5")
    form.get_by_role("button", name="创建草稿").click()
    expect(ops.locator("#view-templates")).to_contain_text(f"已创建草稿“{voucher}”")
    row = ops.locator("#template-list tbody tr", has_text=voucher)
    expect(cell(row, "状态")).to_have_text("草稿")
    row.get_by_role("button", name="发布").click()
    expect(cell(row, "状态")).to_have_text("已发布")
    session.shot(ops, "zh-campaign-published")

    # The rebate programme: 5% back as balance, from publication on
    ops.locator('#tabs a[href="#rules"]').click()
    ops.get_by_role("button", name="新建返利规则").click()
    rule_form = ops.locator("#rule-form")
    rule_form.locator("input[name=name]").fill(rule_name)
    rule_form.get_by_label("返利比例（%）").fill("5")
    rule_form.get_by_role("button", name="创建草稿规则").click()
    expect(ops.locator("#view-rules")).to_contain_text(f"已创建草稿规则“{rule_name}”")
    rule_row = ops.locator("#rule-list tbody tr", has_text=rule_name)
    rule_row.get_by_role("button", name="发布").click()
    expect(cell(rule_row, "状态")).to_have_text("已发布")
    session.shot(ops, "zh-rule-published")
    [rule] = [r for r in http_session().get(f"{stack.api_url}/admin/rebate-rules", params={"limit": 100},
                                            headers=headers_for(operator, operator=True), timeout=30).json()["items"]
              if r["name"] == rule_name]
    try:
        # The shopper claims the voucher
        mall = session.page("/mall", stack.api_url, lang="zh")
        mall_errors = watch_console(mall)
        sign_in(mall, token(shopper))
        mall.locator("#claimable article", has_text=voucher).get_by_role("button", name="立即领取").click()
        expect(mall.locator("#wallet-list article", has_text=voucher)).to_be_visible()

        # and checks out a ¥128.00 tea set with it (the quote's best choice, preselected): ¥113.00 to pay
        mall.locator('#catalog .product[data-sku="TEA-SET"] button').click()
        expect(mall.locator("#quote")).to_contain_text(voucher)
        mall.locator("#checkout").click()
        order = mall.locator("#order")
        expect(order.locator("#release")).to_be_visible()
        expect(order).to_contain_text("¥113.00")
        order_id = order.get_attribute("data-order")
        session.shot(mall, "zh-reserved")

        # When the order is paid, the rebate arrives without a reload, said of the order: 5% of ¥113.00
        raw, headers = signed_generic(generic_payment(event_id=f"evt-zh-{tag}", payment_id=f"pay-zh-{tag}", user=shopper,
                                                      amount=11300, paid_at=datetime.now(timezone.utc),
                                                      order_id=order_id), secret=stack.env["PAYMENT_WEBHOOK_SECRET"])
        assert http_session().post(f"{stack.api_url}/webhooks/payments/generic", data=raw, headers=headers,
                                   timeout=30).ok
        rebate = mall.locator("#ledger tbody tr", has_text=f"订单 {order_id} 返利 ¥5.65")
        expect(rebate).to_have_count(1)
        expect(rebate).to_contain_text("+¥5.65")
        expect(mall.locator("#wallet-list article", has_text=voucher)).to_have_count(0)  # held by the order, then used: off the unused tab
        session.shot(mall, "zh-rebate-arrived")
        assert mall_errors == []
    finally:
        http_session().post(f"{stack.api_url}/admin/rebate-rules/{rule['id']}/end",
                            headers=headers_for(operator, operator=True), timeout=30)
    assert ops_errors == []
