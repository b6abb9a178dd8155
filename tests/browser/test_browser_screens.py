"""The operators' daily tools and the shopper's page in Chinese (the pages' default): every section of
the console at desktop and phone width (a CSV grant's result in Grants, a form in its dialog), a
template's details, the settings, the rules with their caps and a preview, an account's expiring
points, and the mall's card for sale and an order's rebates and purchases, each with catalogue
words only. With DOCS_SCREENS=1 each view is also written to docs/screens/<name>.png (on a
desktop the top 720 px of the viewport, less if need be; on a phone its 390 x 844 px; each under
150 KB), the screenshots the docs show:

    DOCS_SCREENS=1 .venv/bin/python -m pytest tests/browser/test_browser_screens.py -p no:randomly
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import TIMEOUT_MS, Session, english_on, needs_chromium, settled_rebate, shared_data, sign_in
from tests.helpers import REPO_ROOT, headers_for, template_body, token
from tests.helpers import session as http_session
from tests.payment_helpers import generic_payment, rule_body, signed_generic

pytestmark = [pytest.mark.e2e, needs_chromium]

SCREENS = REPO_ROOT / "docs" / "screens"
MAX_BYTES = 150_000


def document(page: Page, name: str, phone: bool = False) -> None:
    """docs/screens/<name>.png when DOCS_SCREENS is set: the viewport as it is scrolled, its top
    720 px on a desktop, all of it on a phone."""
    if not os.environ.get("DOCS_SCREENS"):
        return
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    for height in (720, 640, 560):  # a busy view (a table of codes) is cut shorter to stay small
        page.screenshot(path=path, clip=None if phone else {"x": 0, "y": 0, "width": 1280, "height": height})
        if path.stat().st_size <= MAX_BYTES:
            break
    assert path.stat().st_size <= MAX_BYTES, f"{path.name} is {path.stat().st_size} bytes"


def seeded(stack) -> dict:
    """A draft card for sale with a code batch, a published card for sale, a capped points rule
    and a payment that bought one card and earned points that expire, settled."""
    http, ops, url = http_session(), headers_for("ops-screens", operator=True), stack.api_url
    tag, now = uuid.uuid4().hex[:6], datetime.now(timezone.utc)

    def made(path: str, body: dict | None = None) -> dict:
        response = http.post(f"{url}/{path}", json=body, headers=ops, timeout=30)
        assert response.status_code in (200, 201), response.text
        return response.json()

    draft = made("admin/templates", template_body(name=f"满200减20 {tag}", value=2000, min_spend=20000, total_stock=500,
                                                  per_user_limit=2, scope={"categories": ["tea"]}, points_price=2000))
    made(f"admin/templates/{draft['id']}/codes", {"count": 20})
    card = made("admin/templates", template_body(name=f"200元储值卡 {tag}", kind="stored_value", value=20000, min_spend=0,
                                                 price=18000, claim_channel="grant", total_stock=100, per_user_limit=5))
    made(f"admin/templates/{card['id']}/publish")
    window = {"starts_at": (now - timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(days=30)).isoformat()}
    rule = made("admin/rebate-rules", rule_body(name=f"积分返 5% {tag}", ratio_bp=500, reward="points", pending_days=0,
                                                caps={"per_order": 5000, "per_user_per_day": 10000, "budget": 1000000},
                                                **window))
    made(f"admin/rebate-rules/{rule['id']}/publish")
    assert http.put(f"{url}/admin/settings", json={"points_valid_days": 365}, headers=ops, timeout=30).status_code == 200
    buyer, order = f"buyer-{tag}", f"order-{tag}"
    event = generic_payment(event_id=f"evt-{tag}", payment_id=f"pay-{tag}", user=buyer, amount=36000, paid_at=now,
                            order_id=order)
    event["data"]["purchases"] = [{"template_id": card["id"], "quantity": 1}]
    raw, headers = signed_generic(event, secret=stack.env["PAYMENT_WEBHOOK_SECRET"])
    assert http.post(f"{url}/webhooks/payments/generic", data=raw, headers=headers, timeout=30).status_code == 200
    return {"draft": draft, "card": card, "rule": rule, "buyer": buyer, "order": order}


def test_the_new_tools_in_chinese_with_catalogue_words_only(stack, desktop):
    seed = seeded(stack)
    data = shared_data(stack)
    ops = desktop.page("/console", stack.api_url, lang="zh")
    ops.on("dialog", lambda dialog: dialog.accept())
    sign_in(ops, token("ops-screens", ("operator",)))
    expect(ops.locator("#who-name")).to_contain_text("ops-screens")

    def check(page: Page, name: str) -> None:
        page.wait_for_load_state("networkidle")
        assert english_on(page, data) == [], name
        desktop.shot(page, name)
        document(page, name)

    # Templates: searched, one opened in detail (with its code batch)
    view = ops.locator("#view-templates")
    view.locator("#template-search").fill(seed["draft"]["name"])
    expect(ops.locator("#template-list tbody tr")).to_have_count(1)
    ops.locator("#template-list tbody tr").get_by_role("button", name=seed["draft"]["name"]).click()
    expect(ops.locator("#template-detail")).to_contain_text("20")
    expect(ops.locator("#template-detail tbody tr")).to_have_count(1)
    ops.locator("#template-detail").scroll_into_view_if_needed()
    check(ops, "console-template-detail")
    ops.locator("#template-detail").get_by_role("button", name="编辑").click()
    expect(ops.locator("#template-form [name=name]")).to_have_value(seed["draft"]["name"])
    check(ops, "console-template-edit")  # the form in its dialog
    ops.keyboard.press("Escape")
    expect(ops.locator("#template-dialog")).to_have_count(0)

    # Settings
    ops.locator('#tabs a[href="#settings"]').click()
    expect(ops.locator("#settings-form [name=points_valid_days]")).to_have_value("365")
    check(ops, "console-settings-expiry")

    # Rules: caps, and a preview of the points rule over the last day
    ops.locator('#tabs a[href="#rules"]').click()
    row = ops.locator("#rule-list tbody tr", has_text=seed["rule"]["name"])
    expect(row).to_contain_text("每单 5,000 积分")
    row.scroll_into_view_if_needed()
    check(ops, "console-rule-caps")
    row.get_by_role("button", name="预览").click()
    dialog = ops.locator("#rule-preview")
    dialog.locator("form button[type=submit]").click()
    expect(dialog.locator("#preview-answer .figure")).to_have_count(4, timeout=TIMEOUT_MS)
    expect(dialog.locator("#preview-answer .figure").first).to_contain_text("1 / 1")  # the seeded payment
    check(ops, "console-rule-preview")
    dialog.get_by_role("button", name="关闭").click()

    # The mall: the card for sale, and the order's rebates and purchase
    mall = desktop.page("/mall", stack.api_url, lang="zh")
    sign_in(mall, token(seed["buyer"]))
    expect(mall.locator("#claimable article", has_text=seed["card"]["name"])).to_contain_text("售价 ¥180.00")
    check(mall, "mall-card-for-sale")
    mall.locator("#order-id").fill(seed["order"])
    mall.locator("#order-rebates-form button").click()
    expect(mall.locator("#order-rebates .purchases tbody tr")).to_contain_text(seed["card"]["name"])
    expect(mall.locator("#order-rebates")).not_to_contain_text("正在计算")
    mall.locator("#order-rebates").scroll_into_view_if_needed()
    check(mall, "mall-order-rebates")

    # Support: the account's points by the day they expire
    ops.locator('#tabs a[href="#accounts"]').click()
    ops.locator("#account-user").fill(seed["buyer"])
    ops.locator("#account-lookup button").click()
    expect(ops.locator("#points-expiring")).to_be_visible()
    check(ops, "console-account-expiring")
    assert http_session().put(f"{stack.api_url}/admin/settings", json={"points_valid_days": 0},
                              headers=headers_for("ops-screens", operator=True), timeout=30).status_code == 200


SECTIONS = ["templates", "codes", "grants", "rules", "withdrawals", "accounts", "stats", "settings", "audit"]


def sections_seeded(stack, viewport: str) -> dict:
    """A code template with a batch of codes, a grant template, a capped rule, and a shopper with a
    settled rebate and a withdrawal waiting for review."""
    http, ops, url = http_session(), headers_for("ops-sections", operator=True), stack.api_url
    tag = f"{viewport}-{uuid.uuid4().hex[:4]}"

    def made(path: str, body: dict | None = None, headers: dict | None = None) -> dict:
        response = http.post(f"{url}/{path}", json=body, headers=headers or ops, timeout=30)
        assert response.status_code in (200, 201), response.text
        return response.json()

    codes = made("admin/templates", template_body(name=f"兑换码券 {tag}", claim_channel="code", value=1000))
    made(f"admin/templates/{codes['id']}/publish")
    made(f"admin/templates/{codes['id']}/codes", {"count": 12, "prefix": "DOC"})
    grant = made("admin/templates", template_body(name=f"会员专享券 {tag}", claim_channel="grant", value=3000,
                                                  min_spend=20000))
    made(f"admin/templates/{grant['id']}/publish")
    made("admin/rebate-rules", rule_body(name=f"积分返 3% {tag}", ratio_bp=300, reward="points",
                                         caps={"per_order": 3000, "per_user_per_day": 6000, "budget": 500000}))
    shopper = f"shopper-{tag}"
    settled_rebate(stack, f"返现 5% {tag}", 40000, user=shopper)
    made("me/withdrawals", {"amount": 1000}, headers_for(shopper, **{"Idempotency-Key": uuid.uuid4().hex}))
    return {"codes": codes, "grant": grant, "shopper": shopper, "tag": tag}


def test_every_console_section_in_chinese_at_desktop_and_phone_width(stack, session: Session):
    seed = sections_seeded(stack, session.viewport)
    phone = session.viewport == "phone"
    suffix = "-phone" if phone else ""
    ops = session.page("/console", stack.api_url, lang="zh")
    ops.on("dialog", lambda dialog: dialog.accept())
    sign_in(ops, token("ops-sections", ("operator",)))
    expect(ops.locator("#who-name")).to_contain_text("ops-sections")
    data = [*shared_data(stack), "会员名单.csv"]  # the uploaded file's name is data too

    for section in SECTIONS:
        ops.locator(f'#tabs a[href="#{section}"]').click()
        view = ops.locator(f"#view-{section}")
        expect(view).to_be_visible()
        if section == "codes":
            view.locator("select[name=template]").select_option(seed["codes"]["id"])
            expect(view.locator("#code-list tbody tr")).to_have_count(12)
        elif section == "grants":
            view.locator("select[name=template]").select_option(seed["grant"]["id"])
            users = [f"vip-{seed['tag']}-{n}" for n in range(3)]
            text = "用户ID,姓名\r\n" + "".join(f"{user},{name}\r\n" for user, name in zip(users, ["张三", "李四", "王五"]))
            ops.locator("#grant-file").set_input_files(files=[{"name": "会员名单.csv", "mimeType": "text/csv",
                                                               "buffer": text.encode("gb18030")}])
            view.get_by_role("button", name="发放", exact=True).click()
            expect(view.locator("#grant-results tbody tr")).to_have_count(3)
        elif section == "withdrawals":
            expect(view.locator("#withdrawal-list tbody tr", has_text=seed["shopper"])).to_have_count(1)
        elif section == "stats":  # the figures drawn, not "loading"
            expect(view.locator("#stats-body .figure").first).to_be_visible()
            expect(view.locator("#daily-chart figure, #stats-body figure").first).to_be_visible()
        elif section == "accounts":
            view.locator("#account-user").fill(seed["shopper"])
            view.locator("#account-lookup button").click()
            expect(view.locator("#account-shown .figure").first).to_be_visible()
        ops.wait_for_load_state("networkidle")
        assert english_on(ops, data) == [], section
        session.shot(ops, section)
        view.evaluate("(el) => el.scrollIntoView({ block: 'start' })")
        if section == "grants" and not phone:  # the result table in sight
            view.locator("#grant-results").evaluate("(el) => el.scrollIntoView({ block: 'end' })")
        document(ops, f"console-{section}{suffix}", phone)

    # A form in its dialog
    ops.locator('#tabs a[href="#templates"]').click()
    ops.get_by_role("button", name="新建优惠券模板").click()
    expect(ops.locator("#template-dialog")).to_be_visible()
    assert english_on(ops, data) == [], "dialog"
    session.shot(ops, "dialog")
    document(ops, f"console-dialog{suffix}", phone)
    ops.keyboard.press("Escape")
