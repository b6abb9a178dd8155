"""The mall's cart survives a reload (issue 19, item 5): its lines and the shopper's choice of what
pays come back; an open reservation comes back (the same order, still watched: its payment shows
without another reload) and is forgotten once paid; and a check-out whose answer was lost is never
reserved twice, whether the request reached the API (the reservation it made is shown) or not (the
next try carries the same Idempotency-Key and order id). At desktop and phone width, in Chinese
and English, with no console error.

Same browser and stack as tests/browser/test_browser.py (Playwright driving /usr/bin/chromium).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import TIMEOUT_MS, needs_chromium, sign_in, watch_console
from tests.helpers import headers_for, template_body, token
from tests.helpers import session as http_session
from tests.payment_helpers import generic_payment, signed_generic

pytestmark = [pytest.mark.e2e, needs_chromium]

WORDS = {
    "en": {"waiting": "is waiting for its payment of {total}", "paid": "Order {order} is paid.",
           "no_voucher": "No voucher chosen."},
    "zh": {"waiting": "待支付 {total}", "paid": "订单 {order} 已支付", "no_voucher": "未选择优惠券。"},
}


def claimed_voucher(stack, shopper: str, **overrides) -> dict:
    """A published ¥10-off-¥100 template, claimed by `shopper`: their coupon."""
    http, ops = http_session(), headers_for("ops-mall-cart", operator=True)
    body = template_body(**{"name": f"Kept {uuid.uuid4().hex[:8]}", **overrides})
    template = http.post(f"{stack.api_url}/admin/templates", json=body, headers=ops, timeout=30).json()
    assert http.post(f"{stack.api_url}/admin/templates/{template['id']}/publish", headers=ops, timeout=30).ok
    claimed = http.post(f"{stack.api_url}/templates/{template['id']}/claim", headers=headers_for(shopper), timeout=30)
    assert claimed.status_code == 201, claimed.text
    return claimed.json()


def quantity(page: Page, sku: str):
    return page.locator(f'#cart-lines li[data-sku="{sku}"] output')


def reservation_posts(page: Page) -> list[str | None]:
    """The Idempotency-Key of every POST /checkout/reservations the page sends, as it sends it."""
    keys: list[str | None] = []
    page.on("request", lambda request: keys.append(request.headers.get("idempotency-key"))
            if request.method == "POST" and urlparse(request.url).path.endswith("/checkout/reservations") else None)
    return keys


def locked(stack, shopper: str) -> list[dict]:
    return http_session().get(f"{stack.api_url}/me/coupons", params={"status": "locked", "limit": 100},
                              headers=headers_for(shopper), timeout=30).json()["items"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_cart_and_the_choice_of_what_pays_survive_a_reload(stack, session, lang):
    shopper = f"cart-{lang}-{session.viewport}-{uuid.uuid4().hex[:6]}"
    coupon = claimed_voucher(stack, shopper)
    mall = session.page("/mall", stack.api_url, lang=lang)
    errors = watch_console(mall)
    sign_in(mall, token(shopper))

    # Given two tea sets and a notebook in the cart, and the voucher the quote chose unticked
    tea = mall.locator('#catalog .product[data-sku="TEA-SET"] button')
    tea.click()
    tea.click()
    mall.locator('#catalog .product[data-sku="NOTEBOOK"] button').click()
    expect(quantity(mall, "TEA-SET")).to_have_text("2")
    voucher = mall.locator(f"#pay-{coupon['id']}")
    expect(voucher).to_be_checked()  # the quote's best choice, preselected
    voucher.uncheck()
    expect(mall.locator("#quote")).to_contain_text(WORDS[lang]["no_voucher"])
    expect(mall.locator(f"#pay-{coupon['id']}")).not_to_be_checked()
    session.shot(mall, f"{lang}-cart-before-reload")

    # When the page is reloaded
    mall.reload()

    # Then the same lines and the same choice are back, priced again by the API
    expect(quantity(mall, "TEA-SET")).to_have_text("2")
    expect(quantity(mall, "NOTEBOOK")).to_have_text("1")
    expect(mall.locator("#cart-lines li")).to_have_count(2)
    expect(mall.locator("#quote")).to_contain_text(WORDS[lang]["no_voucher"])
    expect(mall.locator(f"#pay-{coupon['id']}")).not_to_be_checked()
    expect(mall.locator("#quote .total")).to_contain_text("¥268.50")  # 2 x 128.00 + 12.50, nothing off
    session.shot(mall, f"{lang}-cart-after-reload")

    # And another shopper signing in on this browser does not get this cart
    mall.locator("#sign-out").click()
    sign_in(mall, token(f"other-{shopper}"))
    expect(mall.locator("#cart-lines .empty")).to_be_visible()
    assert errors == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_open_reservation_comes_back_after_a_reload_and_its_payment_shows_without_another(stack, session, lang):
    shopper = f"open-{lang}-{session.viewport}-{uuid.uuid4().hex[:6]}"
    coupon = claimed_voucher(stack, shopper)
    mall = session.page("/mall", stack.api_url, lang=lang)
    errors = watch_console(mall)
    keys = reservation_posts(mall)
    sign_in(mall, token(shopper))

    # Given an order reserved with the voucher (¥128.00 - ¥10.00)
    mall.locator('#catalog .product[data-sku="TEA-SET"] button').click()
    expect(mall.locator(f"#pay-{coupon['id']}")).to_be_checked()
    mall.locator("#checkout").click()
    order = mall.locator("#order")
    expect(order).to_contain_text(WORDS[lang]["waiting"].format(total="¥118.00"))
    order_id = order.get_attribute("data-order")

    # When the page is reloaded
    mall.reload()

    # Then the same reservation is shown, not a second one, and the cart it emptied stays empty
    expect(order).to_have_attribute("data-order", order_id)
    expect(order).to_contain_text(WORDS[lang]["waiting"].format(total="¥118.00"))
    expect(order.locator("#release")).to_be_visible()
    expect(mall.locator("#cart-lines .empty")).to_be_visible()
    assert len(keys) == 1
    assert [c["order_id"] for c in locked(stack, shopper)] == [order_id]
    session.shot(mall, f"{lang}-reservation-after-reload")

    # When its payment arrives, the reloaded page sees it by itself
    tag = uuid.uuid4().hex[:8]
    raw, headers = signed_generic(
        generic_payment(event_id=f"evt-{tag}", payment_id=f"pay-{tag}", user=shopper, amount=11800,
                        paid_at=datetime.now(timezone.utc), coupon_ids=[coupon["id"]], order_id=order_id),
        secret=stack.env["PAYMENT_WEBHOOK_SECRET"])
    assert http_session().post(f"{stack.api_url}/webhooks/payments/generic", data=raw, headers=headers, timeout=30).ok
    expect(order).to_contain_text(WORDS[lang]["paid"].format(order=order_id))

    # And once paid it is forgotten: a reload shows no order any more
    mall.reload()
    expect(mall.locator("#cart-lines .empty")).to_be_visible()
    expect(mall.locator("#quote")).to_be_empty()
    expect(order).to_be_empty()
    assert errors == []


def test_a_check_out_whose_answer_was_lost_is_shown_after_a_reload_not_reserved_again(stack, desktop):
    shopper = f"lost-{uuid.uuid4().hex[:6]}"
    claimed_voucher(stack, shopper, per_user_limit=2)
    mall = desktop.page("/mall", stack.api_url)
    errors = watch_console(mall)
    keys = reservation_posts(mall)
    sign_in(mall, token(shopper))
    mall.locator('#catalog .product[data-sku="TEA-SET"] button').click()
    expect(mall.locator("#checkout")).to_be_enabled()

    # Given a check-out that reached the API, whose answers were all lost (the page's retries too)
    def lose_the_answer(route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        route.fetch()  # the API reserves the order
        route.abort()  # and the page never hears of it

    mall.route("**/checkout/reservations", lose_the_answer)
    mall.locator("#checkout").click()
    expect(mall.locator("#order .notice.error")).to_be_visible(timeout=TIMEOUT_MS)
    mall.unroute("**/checkout/reservations", lose_the_answer)
    assert len(keys) >= 1 and len(set(keys)) == 1  # the page's own retries kept the key
    order_id = f"order-{keys[0][:24]}"
    assert [c["order_id"] for c in locked(stack, shopper)] == [order_id]

    # When the shopper reloads the page
    mall.reload()

    # Then the order the API made is shown (and watched), and nothing was reserved again
    order = mall.locator("#order")
    expect(order).to_have_attribute("data-order", order_id)
    expect(order).to_contain_text("is waiting for its payment of ¥118.00")
    expect(mall.locator("#cart-lines .empty")).to_be_visible()
    assert len(set(keys)) == 1
    assert [c["order_id"] for c in locked(stack, shopper)] == [order_id]
    assert errors == [] or all("Failed to load resource" in e for e in errors)  # the lost answers themselves
    desktop.shot(mall, "lost-answer-after-reload")


def test_a_check_out_that_never_left_is_sent_again_after_a_reload_with_the_same_key(stack, desktop):
    shopper = f"unsent-{uuid.uuid4().hex[:6]}"
    claimed_voucher(stack, shopper)
    mall = desktop.page("/mall", stack.api_url)
    keys = reservation_posts(mall)
    sign_in(mall, token(shopper))
    mall.locator('#catalog .product[data-sku="TEA-SET"] button').click()
    expect(mall.locator("#checkout")).to_be_enabled()

    # Given a check-out that never reached the API (the network failed, for the page's retries too),
    # and the page reloaded
    mall.route("**/checkout/reservations", lambda route: route.abort() if route.request.method == "POST"
               else route.continue_())
    mall.locator("#checkout").click()
    expect(mall.locator("#order .notice.error")).to_be_visible()
    mall.unroute("**/checkout/reservations")
    assert len(set(keys)) == 1
    mall.reload()
    assert locked(stack, shopper) == []

    # When the shopper checks the same cart out again
    expect(mall.locator('#cart-lines li[data-sku="TEA-SET"] output')).to_have_text("1")
    mall.locator("#checkout").click()

    # Then it goes with the key of the first try: the one order it names is reserved, once
    order = mall.locator("#order")
    expect(order).to_contain_text("is waiting for its payment of ¥118.00")
    assert len(keys) >= 2 and len(set(keys)) == 1
    assert order.get_attribute("data-order") == f"order-{keys[0][:24]}"
    assert [c["order_id"] for c in locked(stack, shopper)] == [f"order-{keys[0][:24]}"]
