"""Every section of the shopper's mall page in Chinese (the pages' default), at desktop (1280) and
phone (390) width, with catalogue words only: signing in, vouchers to claim, the wallet, the cart
with its quote and an open reservation, the rebate offers, the rebates (account, withdrawal form,
an order's rebates) and the ledger as events (with the withdrawals). With DOCS_SCREENS=1 each is
also written to docs/screens/mall-<section>.png (desktop) and mall-<section>-phone.png (phone),
clipped to the section (at most MAX_HEIGHT px tall) to stay under 150 KB:

    DOCS_SCREENS=1 .venv/bin/python -m pytest tests/browser/test_browser_mall_screens.py -p no:randomly
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.pages import TIMEOUT_MS, english_on, needs_chromium, shared_data, sign_in
from tests.helpers import REPO_ROOT, headers_for, template_body, token
from tests.helpers import session as http_session
from tests.payment_helpers import generic_payment, rule_body, signed_generic

pytestmark = [pytest.mark.e2e, needs_chromium]

SCREENS = REPO_ROOT / "docs" / "screens"
MAX_BYTES = 150_000
MAX_HEIGHT = {"desktop": 760, "phone": 1400}
# The part of the page's content each screenshot shows: from the first element to the last.
REGION = """([first, last]) => {
  const a = first.getBoundingClientRect(), b = last.getBoundingClientRect();
  const top = Math.min(a.top, b.top), bottom = Math.max(a.bottom, b.bottom);
  const left = Math.min(a.left, b.left), right = Math.max(a.right, b.right);
  return {x: left + scrollX, y: top + scrollY, width: right - left, height: bottom - top};
}"""
PAD = 8


def document(page: Page, viewport: str, name: str, first: Locator, last: Locator | None = None) -> None:
    """docs/screens/mall-<name>[-phone].png when DOCS_SCREENS is set: the region from `first` to `last`."""
    if not os.environ.get("DOCS_SCREENS"):
        return
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"mall-{name}{'-phone' if viewport == 'phone' else ''}.png"
    box = page.evaluate(REGION, [first.element_handle(), (last or first).element_handle()])
    width = page.evaluate("document.documentElement.scrollWidth")
    clip = {"x": max(box["x"] - PAD, 0), "y": max(box["y"] - PAD, 0)}
    clip["width"] = min(box["width"] + 2 * PAD, width - clip["x"])
    clip["height"] = min(box["height"] + 2 * PAD, MAX_HEIGHT[viewport])
    page.screenshot(path=path, full_page=True, clip=clip)
    assert path.stat().st_size <= MAX_BYTES, f"{path.name} is {path.stat().st_size} bytes"


def seeded(stack, viewport: str) -> dict:
    """Two vouchers to claim (one claimed by the shopper), a 5% balance rule and a points rule live."""
    http, ops, url = http_session(), headers_for("ops-mall-screens", operator=True), stack.api_url
    tag, now = uuid.uuid4().hex[:6], datetime.now(timezone.utc)
    shopper = f"shopper-{viewport}-{tag}"

    def made(path: str, body: dict | None = None, headers: dict | None = None) -> dict:
        response = http.post(f"{url}/{path}", json=body, headers=headers or ops, timeout=30)
        assert response.status_code in (200, 201), response.text
        return response.json()

    off = made("admin/templates", template_body(name=f"满100减10 {tag}", value=1000, min_spend=10000, per_user_limit=2))
    made(f"admin/templates/{off['id']}/publish")
    percent = made("admin/templates", template_body(name=f"茶具9折 {tag}", kind="percent_off", value=10, min_spend=0,
                                                    max_discount=5000, scope={"categories": ["home"]}))
    made(f"admin/templates/{percent['id']}/publish")
    made(f"templates/{off['id']}/claim", None, headers_for(shopper))
    window = {"starts_at": (now - timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(days=30)).isoformat()}
    rules = [made("admin/rebate-rules", rule_body(name=f"下单返 5% {tag}", ratio_bp=500, reward="balance", **window)),
             made("admin/rebate-rules", rule_body(name=f"积分返 2% {tag}", ratio_bp=200, reward="points", **window))]
    for rule in rules:
        made(f"admin/rebate-rules/{rule['id']}/publish")
    return {"shopper": shopper, "off": off, "rules": rules, "made": made, "tag": tag}


def test_every_mall_section_in_chinese_with_catalogue_words_only(stack, session):
    seed = seeded(stack, session.viewport)
    viewport, shopper, made = session.viewport, seed["shopper"], seed["made"]
    mall = session.page("/mall", stack.api_url, lang="zh")
    data = shared_data(stack)

    def check(name: str, first: Locator, last: Locator | None = None) -> None:
        mall.wait_for_load_state("networkidle")
        first.scroll_into_view_if_needed()
        assert english_on(mall, data) == [], name
        session.shot(mall, name)
        document(mall, viewport, name, first, last)

    # Signing in
    expect(mall.locator("#signin")).to_be_visible()
    check("signin", mall.locator(".topbar"), mall.locator("#signin"))
    sign_in(mall, token(shopper))

    # Vouchers to claim, and the wallet
    expect(mall.locator("#claimable article", has_text=seed["off"]["name"])).to_be_visible()
    check("vouchers", mall.locator("#vouchers"))
    expect(mall.locator("#wallet-list article", has_text=seed["off"]["name"])).to_be_visible()
    check("wallet", mall.locator("#wallet"))

    # The cart: two lines priced, the voucher preselected, then an order reserved and paid
    mall.locator('#catalog .product[data-sku="TEA-SET"] button').click()
    mall.locator('#catalog .product[data-sku="NOTEBOOK"] button').click()
    expect(mall.locator("#quote .total")).to_contain_text("¥130.50")  # 128.00 + 12.50 - 10.00
    check("cart", mall.locator("#cart"))
    mall.locator("#checkout").click()
    order = mall.locator("#order")
    expect(order.locator("#release")).to_be_visible()
    order_id = order.get_attribute("data-order")
    check("order", mall.locator("#cart"))
    [locked] = http_session().get(f"{stack.api_url}/me/coupons", params={"status": "locked"},
                                  headers=headers_for(shopper), timeout=30).json()["items"]
    raw, headers = signed_generic(
        generic_payment(event_id=f"evt-{seed['tag']}", payment_id=f"pay-{seed['tag']}", user=shopper, amount=13050,
                        paid_at=datetime.now(timezone.utc), coupon_ids=[locked["id"]], order_id=order_id),
        secret=stack.env["PAYMENT_WEBHOOK_SECRET"])
    assert http_session().post(f"{stack.api_url}/webhooks/payments/generic", data=raw, headers=headers, timeout=30).ok
    expect(order).to_contain_text(f"订单 {order_id} 已支付")

    # The offers
    expect(mall.locator("#rebate-offers li", has_text=seed["rules"][0]["name"])).to_be_visible()
    check("offers", mall.locator("#offers"))

    # My rebates: the rebate arrived (¥6.52), a withdrawal asked, the order's rebates
    rebates = mall.locator("#rebates")
    expect(rebates.locator("#ledger tbody tr", has_text=f"订单 {order_id} 返利 ¥6.52")).to_have_count(1)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while "积分" not in rebates.locator("#ledger").inner_text():  # the points rule's rebate too
        assert time.monotonic() < deadline, "the points rebate did not arrive"
        mall.wait_for_timeout(200)
    rebates.locator("#withdraw-amount").fill("2.00")
    rebates.locator("#withdraw-form button").click()
    expect(rebates.locator("#ledger tbody tr", has_text="提现 ¥2.00 · 审核中")).to_have_count(1)
    expect(mall.locator("#order-rebates")).not_to_contain_text("正在计算")
    expect(mall.locator(f'#order-rebates [data-order="{order_id}"]')).to_be_visible()
    check("rebates", rebates)
    check("ledger", rebates.locator("h3:has(+ #my-withdrawals)"), rebates.locator("#ledger"))

    for rule in seed["rules"]:  # the stack's later tests pay too: stop both rules
        made(f"admin/rebate-rules/{rule['id']}/end")
