"""The pages in Chinese, their default, and in English (issue 19): every section of the console
and the mall page renders in both languages at desktop and phone width with no console error,
and in Chinese every word shown is a catalogue word or data (names, ids, amounts, dates); the
language switch is visible and remembered; an API error shows in Chinese beside its field; a
double click on 提现 asks once.

Same browser and stack as tests/browser/test_browser.py (Playwright driving /usr/bin/chromium).
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.pages import cell, english_on, needs_chromium, settled_rebate, shared_data, sign_in, watch_console
from tests.helpers import headers_for, token
from tests.helpers import session as http_session

pytestmark = [pytest.mark.e2e, needs_chromium]

CONSOLE_SECTIONS = ["templates", "codes", "grants", "rules", "withdrawals", "accounts", "stats", "settings", "audit"]



@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_console_section_renders_in_each_language_with_catalogue_words_only(stack, session, lang):
    operator = f"ops-{lang}-{session.viewport}-{uuid.uuid4().hex[:4]}"
    ops = session.page("/console", stack.api_url, lang=lang)
    console_errors = watch_console(ops)
    expect(ops.locator("html")).to_have_attribute("lang", "zh-CN" if lang == "zh" else "en")
    expect(ops.locator(".lang-switch button[aria-pressed=true]")).to_have_text("中文" if lang == "zh" else "English")
    if lang == "zh":
        assert english_on(ops, []) == [], "the sign-in page"
    sign_in(ops, token(operator, ("operator",)))
    expect(ops.locator("#who-name")).to_contain_text("运营" if lang == "zh" else "operator")
    for section in CONSOLE_SECTIONS:
        ops.locator(f'#tabs a[href="#{section}"]').click()
        view = ops.locator(f"#view-{section}")
        expect(view).to_be_visible()
        if section == "accounts":  # a user with no account yet: said so, in the page's language
            view.locator("#account-user").fill(operator)
            view.locator("#account-lookup button").click()
            expect(view.locator(".notice.error")).to_have_text(
                "没有该用户的账户：该用户还没有获得过返利或调整。" if lang == "zh"
                else "No account for this user id: they have not earned or been given anything yet.")
        ops.wait_for_load_state("networkidle")
        expect(view.locator(".notice.error")).to_have_count(1 if section == "accounts" else 0)
        session.shot(ops, f"{lang}-{section}")
        if lang == "zh":
            assert english_on(ops, shared_data(stack)) == [], section
    # the one 404 is the account looked up above, which does not exist
    assert [error for error in console_errors if "status of 404" not in error] == []
    assert len(console_errors) <= 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_mall_renders_in_each_language_with_catalogue_words_only(stack, session, lang):
    shopper = f"shopper-{lang}-{uuid.uuid4().hex[:6]}"
    mall = session.page("/mall", stack.api_url, lang=lang)
    console_errors = watch_console(mall)
    expect(mall.locator("html")).to_have_attribute("lang", "zh-CN" if lang == "zh" else "en")
    if lang == "zh":
        assert english_on(mall, []) == [], "the sign-in page"
    sign_in(mall, token(shopper))
    expect(mall.locator("#who-name")).to_contain_text(shopper)
    mall.locator("#catalog .product button").first.click()  # a cart with a quote
    expect(mall.locator("#quote .total")).to_be_visible()
    for status in ("unused", "locked", "used", "expired"):
        mall.locator(f'#wallet-tabs [data-status="{status}"]').click()
        mall.wait_for_load_state("networkidle")
        if lang == "zh":
            assert english_on(mall, shared_data(stack)) == [], status
    session.shot(mall, f"{lang}-mall")
    assert console_errors == []


def test_the_language_switch_is_visible_and_remembered(stack, desktop):
    ops = desktop.page("/console", stack.api_url, lang="zh")
    sign_in(ops, token("ops-switch", ("operator",)))
    expect(ops.locator("#new-template")).to_have_text("新建优惠券模板")
    assert ops.title() == "商城运营后台"

    ops.locator('.lang-switch button[data-lang="en"]').click()
    expect(ops.locator("html")).to_have_attribute("lang", "en")
    expect(ops.locator("#new-template")).to_have_text("New template")  # still signed in
    ops.reload()
    expect(ops.locator("html")).to_have_attribute("lang", "en")
    assert ops.title() == "Mall console"
    desktop.shot(ops, "switched-to-english")

    ops.locator('.lang-switch button[data-lang="zh"]').click()
    expect(ops.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(ops.locator("#new-template")).to_have_text("新建优惠券模板")


def test_a_fresh_browser_opens_in_chinese(stack, browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{stack.api_url}/mall")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(page.locator("#signin h2")).to_have_text("登录")
    finally:
        context.close()


def test_an_api_error_shows_in_chinese_beside_its_field(stack, session):
    # A withdrawal the balance cannot cover: only the API knows the balance
    shopper = f"short-{session.viewport}-{uuid.uuid4().hex[:6]}"
    mall = session.page("/mall", stack.api_url, lang="zh")
    sign_in(mall, token(shopper))
    expect(mall.locator("#rebate-account .figure").first).to_contain_text("¥0.00")
    form = mall.locator("#withdraw-form")
    form.locator("#withdraw-amount").fill("5")
    with mall.expect_response(lambda r: r.url.endswith("/me/withdrawals") and r.request.method == "POST") as answer:
        form.get_by_role("button", name="提现").click()
    assert answer.value.status == 409 and answer.value.json()["error"]["code"] == "INSUFFICIENT_BALANCE"
    note = form.locator(".field-error")
    expect(note).to_have_text("余额不足以提现 ¥5.00。")
    expect(form.locator("#withdraw-amount")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("#withdraw-amount")).to_have_attribute("aria-describedby", "withdraw-amount-error")
    session.shot(mall, "withdrawal-refused-in-chinese")

    # A template with no stock: the API's validation, in Chinese, beside the stock
    ops = session.page("/console", stack.api_url, lang="zh")
    sign_in(ops, token(f"ops-{shopper}", ("operator",)))
    ops.get_by_role("button", name="新建优惠券模板").click()
    template = ops.locator("#template-form")
    template.get_by_label("名称").fill(f"满100减15 {shopper}")
    template.get_by_label("减免金额（元）").fill("15")
    template.get_by_label("发行总量").fill("0")
    with ops.expect_response(lambda r: r.url.endswith("/admin/templates") and r.request.method == "POST") as answer:
        template.get_by_role("button", name="创建草稿").click()
    assert answer.value.status == 400
    stock = template.locator('[data-field="total_stock"]')
    expect(stock.locator(".field-error")).to_have_text("不能小于 1。")
    expect(ops.locator("#template-dialog .notice.error")).to_have_text("请检查标出的字段。")  # the dialog stays open
    ops.locator("#template-dialog").get_by_role("button", name="取消").click()

    # A user id the API would refuse is caught before sending, with the API's own rule in words
    ops.locator('#tabs a[href="#grants"]').click()
    grant = ops.locator("#grant-form")
    grant.get_by_label("用户 ID").fill("张三")
    grant.get_by_role("button", name="发放").click()
    expect(grant.locator('[data-field="user_ids"] .field-error')).to_contain_text("用户 ID 为 1-128 个字母")
    session.shot(ops, "errors-in-chinese")


def test_a_double_click_on_withdraw_in_chinese_asks_once(stack, desktop):
    shopper = f"cn-withdrawer-{uuid.uuid4().hex[:6]}"
    settled_rebate(stack, f"5% back {shopper}", 20000, user=shopper)
    mall = desktop.page("/mall", stack.api_url, lang="zh")
    sign_in(mall, token(shopper))
    rebates = mall.locator("#rebates")
    expect(rebates.locator(".figure", has_text="余额").first).not_to_contain_text("¥0.00")
    rebates.locator("#withdraw-amount").fill("1.00")
    rebates.get_by_role("button", name="提现").dblclick()
    expect(rebates.locator("#rebate-status")).to_have_text("已申请提现 ¥1.00，等待运营审核。")
    expect(cell(rebates.locator("#my-withdrawals tbody tr").first, "状态")).to_have_text("待审核")
    mine = http_session().get(f"{stack.api_url}/me/withdrawals", headers=headers_for(shopper), timeout=30).json()
    assert [w["amount"] for w in mine["items"]] == [100]
    expect(rebates.locator("#ledger")).to_contain_text("申请提现")
    desktop.shot(mall, "withdraw-once-in-chinese")


def test_a_rule_across_fields_is_shown_beside_its_field_before_sending(stack, desktop):
    """The API checks claims close after they open only once every field is valid: the page checks
    it first, so that the operator corrects the form in one round."""
    ops = desktop.page("/console", stack.api_url, lang="zh")
    sign_in(ops, token("ops-cross-field", ("operator",)))
    posts: list[str] = []
    ops.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    ops.get_by_role("button", name="新建优惠券模板").click()
    form = ops.locator("#template-form")
    form.get_by_label("名称").fill("满100减15")
    form.get_by_label("减免金额（元）").fill("15")
    form.get_by_label("结束领取").fill("2020-01-01T10:00")
    form.get_by_label("秒杀模式").check()
    form.get_by_label("库存分片数").fill("20")
    form.get_by_label("发行总量").fill("10")
    form.get_by_role("button", name="创建草稿").click()
    expect(form.locator('[data-field="claim_ends_at"] .field-error')).to_have_text("结束领取时间必须晚于开始领取时间。")
    expect(form.locator('[data-field="stock_shards"] .field-error')).to_have_text(
        "秒杀模式会拆分库存：分片数不能超过发行总量。")
    assert posts == []
    desktop.shot(ops, "cross-field-in-chinese")
