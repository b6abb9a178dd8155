"""Every button of the console and the mall page that creates or spends acts once: a fast double
click, a click while its request is still in flight, or a retry after a lost answer gives ONE
effect through the API (one withdrawal, one claim, one reservation, one grant, one batch of codes, one
decision), because the page keeps one Idempotency-Key per intended action and disables the
button meanwhile. And after a payment the mall page shows what it changed without a reload.

Same browser and stack as tests/browser/test_browser.py (Playwright driving /usr/bin/chromium).
"""

from __future__ import annotations

import re
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.pages import (
    TIMEOUT_MS,
    cell,
    needs_chromium,
    settled_rebate,
    sign_in,
    yuan,
)
from tests.helpers import headers_for, template_body, token
from tests.helpers import session as http_session
from tests.payment_helpers import generic_payment, rule_body, signed_generic

pytestmark = [pytest.mark.e2e, needs_chromium]


class Posts:
    """The POSTs a page sends, by path, with their Idempotency-Key; and how many are unanswered."""

    def __init__(self, page: Page) -> None:
        self.sent: list[tuple[str, str | None]] = []
        self.open = 0
        page.on("request", self._sent)
        page.on("requestfinished", self._done)
        page.on("requestfailed", self._done)

    def _sent(self, request) -> None:
        if request.method == "POST":
            self.sent.append((urlparse(request.url).path, request.headers.get("idempotency-key")))
            self.open += 1

    def _done(self, request) -> None:
        if request.method == "POST":
            self.open -= 1

    def to(self, page: Page, path_end: str) -> list[str | None]:
        """The keys of every POST to a path ending so, once no POST is in flight any more."""
        wait_until(page, lambda: self.open == 0)
        return [key for path, key in self.sent if path.endswith(path_end)]


def wait_until(page: Page, condition) -> None:
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(50)


@contextmanager
def in_flight(page: Page, url_glob: str):
    """POSTs to `url_glob` get no answer until the block ends: a second click meets one in flight."""
    held = []

    def hold(route) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route(url_glob, hold)
    try:
        yield held
    finally:
        for route in held:
            route.continue_()
        page.unroute(url_glob, hold)


def again_while_in_flight(page: Page, button: Locator, url_glob: str, form: Locator | None = None) -> None:
    """Click `button`; while its request is held, try again every way a page can be asked to: a
    click on the (disabled) button, the click event itself, and the form submitted once more."""
    with in_flight(page, url_glob) as held:
        button.click()
        wait_until(page, lambda: held)
        expect(button).to_be_disabled()
        button.click(force=True)
        button.dispatch_event("click")
        if form is not None:
            form.dispatch_event("submit")
        page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 100))")  # let any handler send


def api_url(stack, path: str) -> str:
    return f"{stack.api_url}/{path.lstrip('/')}"


def published_template(stack, **overrides) -> dict:
    http, ops = http_session(), headers_for("ops-money", operator=True)
    body = template_body(**{"name": f"Once {uuid.uuid4().hex[:8]}", **overrides})
    created = http.post(api_url(stack, "admin/templates"), json=body, headers=ops, timeout=30).json()
    assert http.post(api_url(stack, f"admin/templates/{created['id']}/publish"), headers=ops, timeout=30).ok
    return created


def coupons_of(stack, user: str, template_id: str, status: str | None = None) -> list[dict]:
    query = {"limit": 100, **({"status": status} if status else {})}
    page = http_session().get(api_url(stack, "me/coupons"), params=query, headers=headers_for(user), timeout=30).json()
    return [c for c in page["items"] if c["template_id"] == template_id]


# --- the mall page ---------------------------------------------------------------------------


def test_withdraw_asks_once_for_a_double_click_a_click_in_flight_and_a_retry_after_a_lost_answer(stack, desktop):
    shopper = f"withdrawer-{uuid.uuid4().hex[:6]}"
    settled_rebate(stack, f"5% back {shopper}", 20000, user=shopper)  # ¥10.00 or more to withdraw
    http = http_session()

    def withdrawals() -> list[dict]:
        return http.get(api_url(stack, "me/withdrawals"), headers=headers_for(shopper), timeout=30).json()["items"]

    mall = desktop.page("/mall", stack.api_url)
    sign_in(mall, token(shopper))
    posts = Posts(mall)
    rebates = mall.locator("#rebates")
    form, amount = rebates.locator("#withdraw-form"), rebates.locator("#withdraw-amount")
    button = rebates.get_by_role("button", name="Withdraw")
    expect(rebates.locator(".figure", has_text="Balance")).not_to_contain_text("¥0.00")

    # A fast double click on 提现 asks once
    amount.fill("1.00")
    button.dblclick()
    expect(rebates.locator("#rebate-status")).to_contain_text("Asked to withdraw ¥1.00")
    assert len(posts.to(mall, "/me/withdrawals")) == 1
    assert [w["amount"] for w in withdrawals()] == [100]

    # A click (and a submit) while the first request is in flight adds nothing
    amount.fill("1.10")
    again_while_in_flight(mall, button, "**/me/withdrawals", form)
    expect(rebates.locator("#rebate-status")).to_contain_text("Asked to withdraw ¥1.10")
    assert len(posts.to(mall, "/me/withdrawals")) == 2
    assert sorted(w["amount"] for w in withdrawals()) == [100, 110]
    desktop.shot(mall, "withdrawals-once")

    # Answers lost on the way back (the service did it): the shopper's retry carries the same key
    def answer_lost(route) -> None:
        if route.request.method == "POST":
            route.fetch()
            route.abort("failed")
        else:
            route.continue_()

    amount.fill("1.20")
    mall.route("**/me/withdrawals", answer_lost)
    button.click()
    expect(rebates.locator("#rebate-status")).to_contain_text("cannot be reached")
    mall.unroute("**/me/withdrawals", answer_lost)
    button.click()
    expect(rebates.locator("#rebate-status")).to_contain_text("Asked to withdraw ¥1.20")
    keys = posts.to(mall, "/me/withdrawals")[2:]
    assert len(keys) >= 2 and len(set(keys)) == 1, keys
    assert sorted(w["amount"] for w in withdrawals()) == [100, 110, 120]
    expect(rebates.locator("#my-withdrawals tbody tr")).to_have_count(3)


def test_claim_claims_once_for_a_double_click_and_a_click_in_flight(stack, desktop):
    shopper = f"claimer-{uuid.uuid4().hex[:6]}"
    first, second = published_template(stack, per_user_limit=5), published_template(stack, per_user_limit=5)
    mall = desktop.page("/mall", stack.api_url)
    sign_in(mall, token(shopper))
    posts = Posts(mall)

    # A fast double click on one voucher's Claim claims it once
    mall.locator(f'#claimable article[data-template="{first["id"]}"]').get_by_role("button", name="Claim").dblclick()
    expect(mall.locator("#claim-status")).to_have_text(f"Claimed “{first['name']}”: it is in your wallet.")
    assert len(posts.to(mall, f"/templates/{first['id']}/claim")) == 1
    assert len(coupons_of(stack, shopper, first["id"])) == 1

    # A click while its claim is in flight claims nothing more
    tile = mall.locator(f'#claimable article[data-template="{second["id"]}"]')
    again_while_in_flight(mall, tile.get_by_role("button", name="Claim"), f"**/templates/{second['id']}/claim")
    expect(mall.locator("#claim-status")).to_have_text(f"Claimed “{second['name']}”: it is in your wallet.")
    assert len(posts.to(mall, f"/templates/{second['id']}/claim")) == 1
    assert len(coupons_of(stack, shopper, second["id"])) == 1
    expect(tile).to_contain_text("you have 1 of 5")
    desktop.shot(mall, "claimed-once")


def test_a_code_is_redeemed_once_for_a_double_click_and_a_click_in_flight(stack, desktop):
    shopper = f"code-claimer-{uuid.uuid4().hex[:6]}"
    http, ops = http_session(), headers_for("ops-money", operator=True)
    template = published_template(stack, claim_channel="code", per_user_limit=5)
    minted = http.post(api_url(stack, f"admin/templates/{template['id']}/codes"), json={"count": 2},
                       headers=ops, timeout=30)
    codes = [c["code"] for c in http.get(api_url(stack, f"admin/templates/{template['id']}/codes"),
                                         headers=ops, timeout=30).json()["items"]]
    assert minted.status_code == 201 and len(codes) == 2
    mall = desktop.page("/mall", stack.api_url)
    sign_in(mall, token(shopper))
    posts = Posts(mall)
    form = mall.locator("#code-form")
    redeem = form.get_by_role("button", name="Redeem")

    mall.get_by_label("Have a code?").fill(codes[0])
    redeem.dblclick()
    expect(mall.locator("#claim-status")).to_have_text(f"Redeemed the code: “{template['name']}” is in your wallet.")
    assert len(posts.to(mall, "/claim")) == 1

    mall.get_by_label("Have a code?").fill(codes[1])
    again_while_in_flight(mall, redeem, "**/codes/*/claim", form)
    expect(mall.locator("#claim-status")).to_have_text(f"Redeemed the code: “{template['name']}” is in your wallet.")
    assert len(posts.to(mall, "/claim")) == 2
    assert len(coupons_of(stack, shopper, template["id"])) == 2


def test_check_out_reserves_the_order_once_for_a_double_click_and_a_click_in_flight(stack, desktop):
    shopper = f"buyer-{uuid.uuid4().hex[:6]}"
    template = published_template(stack, per_user_limit=2)
    http = http_session()
    for _ in range(2):
        assert http.post(api_url(stack, f"templates/{template['id']}/claim"), headers=headers_for(shopper),
                         timeout=30).status_code == 201
    mall = desktop.page("/mall", stack.api_url)
    sign_in(mall, token(shopper))
    posts = Posts(mall)
    quote = mall.locator("#quote")

    # A double click on Check out places one order: one reservation, its voucher locked
    mall.get_by_role("button", name="Add Tea set").click()
    expect(quote).to_contain_text(f"Best voucher from your wallet: “{template['name']}”")
    quote.get_by_role("button", name="Check out").dblclick()
    expect(mall.locator("#order")).to_contain_text("is waiting for its payment of ¥118.00")
    assert len(posts.to(mall, "/checkout/reservations")) == 1
    assert len(coupons_of(stack, shopper, template["id"], "locked")) == 1

    # A click while the reservation is in flight reserves nothing more (the second voucher stays unused)
    mall.get_by_role("button", name="Add Tea set").click()
    expect(quote).to_contain_text(f"Best voucher from your wallet: “{template['name']}”")
    again_while_in_flight(mall, quote.get_by_role("button", name="Check out"), "**/checkout/reservations")
    expect(mall.locator("#order")).to_contain_text("is waiting for its payment of ¥118.00")
    assert len(posts.to(mall, "/checkout/reservations")) == 2
    locked = coupons_of(stack, shopper, template["id"], "locked")
    assert len(locked) == 2 and len({c["order_id"] for c in locked}) == 2
    desktop.shot(mall, "checked-out")


def test_a_shopper_reserves_an_order_paying_with_balance_and_points_and_releases_it(stack, session):
    shopper = f"spender-{session.viewport}-{uuid.uuid4().hex[:6]}"
    http, ops, mine = http_session(), headers_for("ops-money", operator=True), headers_for(shopper)
    now = datetime.now(timezone.utc)
    rule = http.post(api_url(stack, "admin/rebate-rules"), headers=ops, timeout=30, json={
        "name": f"points back {shopper}", "kind": "fixed_ratio", "ratio_bp": 1000, "reward": "points",
        "starts_at": (now - timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(days=1)).isoformat()})
    assert rule.status_code == 201, rule.text
    assert http.post(api_url(stack, f"admin/rebate-rules/{rule.json()['id']}/publish"), headers=ops, timeout=30).ok
    # Given a shopper who earned balance and points from a payment of ¥200.00
    settled = settled_rebate(stack, f"5% back {shopper}", 20000, user=shopper)
    account = http.get(api_url(stack, "me/account"), headers=mine, timeout=30).json()
    assert account["balance"] > 0 and account["points"] > 0

    # When they tick their balance and points for a cart
    mall = session.page("/mall", stack.api_url)
    sign_in(mall, token(shopper))
    quote = mall.locator("#quote")
    mall.get_by_role("button", name="Add Tea set").click()  # ¥128.00
    expect(quote.get_by_role("button", name="Check out")).to_be_enabled()
    quote.get_by_label(f"My balance ({yuan(account['balance'])} free)").check()
    expect(quote).to_contain_text("Paid by my balance")
    quote.get_by_label(f"My points ({account['points']:,} free)").check()
    expect(quote).to_contain_text("points")
    items = [{"sku": "TEA-SET", "category": "home", "unit_price": 12800, "quantity": 1}]
    priced = http.post(api_url(stack, "checkout/quote"), headers=mine, timeout=30, json={
        "items": items, "use_balance": account["balance"], "use_points": account["points"]}).json()
    assert priced["balance_used"] > 0 and priced["points_used"] > 0
    # Then the page shows the API's own figures: what each pays and what is left
    expect(quote.locator(".total")).to_contain_text(yuan(priced["total"]))
    expect(quote).to_contain_text(f"Paid by {priced['points_used']:,} points")
    # the live offers, in words (GET /rebate-offers), and what they would give back on that total
    expect(mall.locator("#rebate-offers li", has_text=f"points back {shopper}")).to_contain_text(
        "10.00% back in points")
    # and what the live offers would give back on that total (issue 18: expected_rebate)
    assert priced["expected_rebate"]["points"] > 0
    expect(quote.locator(".expected-rebate")).to_contain_text(f"{priced['expected_rebate']['points']:,} points")
    session.shot(mall, "pay-with-balance-and-points")

    # When they check out, the order is reserved: the balance and points are held for it
    quote.get_by_role("button", name="Check out").click()
    order = mall.locator("#order")
    expect(order).to_contain_text(f"{priced['points_used']:,} points")
    expect(order).to_contain_text(f"{yuan(priced['balance_used'])} of your balance")
    order_id = order.get_attribute("data-order")
    reservation = http.get(api_url(stack, f"checkout/reservations/{order_id}"), headers=mine, timeout=30).json()
    assert reservation["status"] == "reserved"
    assert (reservation["balance_used"], reservation["points_used"]) == (priced["balance_used"], priced["points_used"])
    held = http.get(api_url(stack, "me/account"), headers=mine, timeout=30).json()
    assert (held["held"], held["points_held"]) == (priced["balance_used"], priced["points_used"])
    expect(mall.locator("#rebates .figure", has_text=re.compile("^Held for orders"))).to_contain_text(
        yuan(priced["balance_used"]))
    expect(mall.locator("#rebates .figure", has_text="Points held for orders")).to_contain_text(
        f"{priced['points_used']:,}")
    session.shot(mall, "order-reserved")

    # And Release gives everything back
    order.get_by_role("button", name="Release").click()
    expect(order).to_contain_text(f"Order {order_id} is released")
    released = http.get(api_url(stack, f"checkout/reservations/{order_id}"), headers=mine, timeout=30).json()
    assert released["status"] == "released"
    after = http.get(api_url(stack, "me/account"), headers=mine, timeout=30).json()
    assert (after["held"], after["points_held"]) == (0, 0)
    # What was held went back whole: the reserve and unreserve entries cancel out, asset by asset
    # (the balances themselves are not compared: this shared stack's other live rules may still
    # be crediting the earning payment)
    ledger = http.get(api_url(stack, "me/rebates"), params={"limit": 100}, headers=mine, timeout=30).json()["items"]
    moved = [e for e in ledger if e["type"] in ("reserve", "unreserve")]
    assert {(e["type"], e["asset"], e["amount"]) for e in moved if e["type"] == "reserve"} == {
        ("reserve", "balance", -priced["balance_used"]), ("reserve", "held", priced["balance_used"]),
        ("reserve", "points", -priced["points_used"]), ("reserve", "points_held", priced["points_used"])}
    for asset in ("balance", "held", "points", "points_held"):
        assert sum(e["amount"] for e in moved if e["asset"] == asset) == 0
    expect(mall.locator("#rebates .figure", has_text="Held for orders")).to_have_count(0)
    for rule_id in (rule.json()["id"], settled["id"]):  # other tests of this stack pay too: stop both rules
        assert http.post(api_url(stack, f"admin/rebate-rules/{rule_id}/end"), headers=ops, timeout=30).ok


def wait_until_api(condition) -> None:
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


# --- the console -----------------------------------------------------------------------------


def console(desktop, stack, view: str) -> Page:
    page = desktop.page(f"/console#{view}", stack.api_url)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, token("ops-money", ("operator",)))
    return page


def test_grant_grants_once_for_a_double_click_and_a_click_in_flight(stack, desktop):
    template = published_template(stack, claim_channel="grant", per_user_limit=3)
    users = [f"granted-{n}-{uuid.uuid4().hex[:6]}" for n in range(2)]
    page = console(desktop, stack, "grants")
    posts = Posts(page)
    form = page.locator("#grant-form")
    grant = form.get_by_role("button", name="Grant")
    form.locator("select[name=template]").select_option(template["id"])

    form.get_by_label("User ids").fill(users[0])
    grant.dblclick()
    expect(page.locator("#view-grants .notice")).to_have_text("Granted to 1 of 1 users.")
    assert len(posts.to(page, "/grant")) == 1
    assert len(coupons_of(stack, users[0], template["id"])) == 1

    form.get_by_label("User ids").fill(users[1])
    again_while_in_flight(page, grant, "**/grant", form)
    expect(page.locator("#view-grants .notice")).to_have_text("Granted to 1 of 1 users.")
    assert len(posts.to(page, "/grant")) == 2
    assert len(coupons_of(stack, users[1], template["id"])) == 1
    desktop.shot(page, "granted-once")


def test_mint_mints_one_batch_for_a_double_click_and_a_click_in_flight(stack, desktop):
    template = published_template(stack, claim_channel="code")
    http, ops = http_session(), headers_for("ops-money", operator=True)
    page = console(desktop, stack, "codes")
    posts = Posts(page)
    form = page.locator("#codes-form")
    mint = form.get_by_role("button", name="Mint codes")
    page.locator("#view-codes select[name=template]").select_option(template["id"])
    new_batch = page.locator("#view-codes").get_by_role("button", name="New code batch")

    def codes() -> int:
        return len(http.get(api_url(stack, f"admin/templates/{template['id']}/codes"), params={"limit": 100},
                            headers=ops, timeout=30).json()["items"])

    new_batch.click()
    form.get_by_label("How many codes").fill("3")
    mint.dblclick()
    expect(page.locator("#view-codes .notice")).to_have_text("Minted 3 codes. Download them as CSV.")
    assert len(posts.to(page, "/codes")) == 1
    assert codes() == 3

    new_batch.click()
    form.get_by_label("How many codes").fill("2")
    again_while_in_flight(page, mint, "**/codes", form)
    expect(page.locator("#view-codes .notice")).to_have_text("Minted 2 codes. Download them as CSV.")
    assert len(posts.to(page, "/codes")) == 2
    assert codes() == 5


def test_a_withdrawal_is_decided_once_for_a_double_click_and_a_click_in_flight(stack, desktop):
    shopper = f"decided-{uuid.uuid4().hex[:6]}"
    settled_rebate(stack, f"5% back {shopper}", 20000, user=shopper)
    http = http_session()
    for amount in (111, 122):
        assert http.post(api_url(stack, "me/withdrawals"), json={"amount": amount}, timeout=30,
                         headers=headers_for(shopper, **{"Idempotency-Key": uuid.uuid4().hex})).status_code == 201
    page = console(desktop, stack, "withdrawals")
    posts = Posts(page)

    def row(amount: str) -> Locator:
        return page.locator("#withdrawal-list tbody tr", has_text=shopper).filter(has_text=amount)

    def statuses() -> dict[int, str]:
        items = http.get(api_url(stack, "me/withdrawals"), headers=headers_for(shopper), timeout=30).json()["items"]
        return {w["amount"]: w["status"] for w in items}

    # A double click on approve decides once (the confirmation is accepted each time it is asked)
    row("¥1.11").get_by_role("button", name="approve").dblclick()
    expect(page.locator("#view-withdrawals .notice")).to_contain_text("is approved")
    assert len(posts.to(page, "/approve")) == 1
    assert statuses()[111] == "approved"

    # Clicks on approve or reject while a rejection is in flight send nothing
    pending = row("¥1.22")
    with in_flight(page, "**/reject") as held:
        pending.get_by_role("button", name="reject").click()
        wait_until(page, lambda: held)
        for name in ("approve", "reject"):
            expect(pending.get_by_role("button", name=name)).to_be_disabled()
            pending.get_by_role("button", name=name).click(force=True)
            pending.get_by_role("button", name=name).dispatch_event("click")
    expect(page.locator("#view-withdrawals .notice")).to_contain_text("is rejected")
    assert len(posts.to(page, "/reject")) == 1 and len(posts.to(page, "/approve")) == 1
    assert statuses() == {111: "approved", 122: "rejected"}
    desktop.shot(page, "decided-once")


def test_create_and_publish_act_once_for_a_double_click_and_a_click_in_flight(stack, desktop):
    http, ops = http_session(), headers_for("ops-money", operator=True)
    page = console(desktop, stack, "templates")
    posts = Posts(page)

    def named(path: str, name: str) -> list[dict]:
        items = http.get(api_url(stack, path), params={"limit": 100}, headers=ops, timeout=30).json()["items"]
        return [item for item in items if item["name"] == name]

    # Create a template: a double click makes one draft, then publishing it is one move
    name = f"Once-only draft {uuid.uuid4().hex[:6]}"
    page.get_by_role("button", name="New template").click()
    form = page.locator("#template-form")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Amount off (¥)").fill("5")
    form.get_by_role("button", name="Create draft").dblclick()
    expect(page.locator("#view-templates")).to_contain_text(f"Created the draft “{name}”")
    assert len(posts.to(page, "/admin/templates")) == 1 and len(named("admin/templates", name)) == 1
    row = page.locator("#template-list tbody tr", has_text=name)
    again_while_in_flight(page, row.get_by_role("button", name="publish"), "**/publish")
    expect(cell(row, "Status")).to_have_text("published")
    assert len(posts.to(page, "/publish")) == 1

    # Create a rebate rule while its request is in flight: one rule
    page.get_by_role("link", name="Rebate rules").click()
    rule = f"Once-only rule {uuid.uuid4().hex[:6]}"
    new_rule = page.locator("#view-rules").get_by_role("button", name="New rebate rule")
    new_rule.click()
    form = page.locator("#rule-form")
    form.locator("input[name=name]").fill(rule)
    again_while_in_flight(page, form.get_by_role("button", name="Create draft rule"), "**/admin/rebate-rules", form)
    expect(page.locator("#view-rules")).to_contain_text(f"Created the draft rule “{rule}”")
    assert len(posts.to(page, "/admin/rebate-rules")) == 1 and len(named("admin/rebate-rules", rule)) == 1
    new_rule.click()
    form.locator("input[name=name]").fill(f"{rule} twice")
    form.get_by_role("button", name="Create draft rule").dblclick()
    expect(page.locator("#view-rules")).to_contain_text(f"Created the draft rule “{rule} twice”")
    assert len(posts.to(page, "/admin/rebate-rules")) == 2 and len(named("admin/rebate-rules", f"{rule} twice")) == 1
    desktop.shot(page, "created-once")


# --- after a payment -------------------------------------------------------------------------


def test_after_a_payment_the_mall_shows_the_voucher_used_and_the_new_balance_without_a_reload(stack, session):
    shopper = f"payer-{session.viewport}-{uuid.uuid4().hex[:6]}"
    http, ops = http_session(), headers_for("ops-money", operator=True)
    now = datetime.now(timezone.utc)
    rule = http.post(api_url(stack, "admin/rebate-rules"), headers=ops, timeout=30, json={
        "name": f"5% back {shopper}", "kind": "fixed_ratio", "ratio_bp": 500, "reward": "balance",
        "starts_at": (now - timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(days=1)).isoformat()})
    assert rule.status_code == 201, rule.text
    assert http.post(api_url(stack, f"admin/rebate-rules/{rule.json()['id']}/publish"), headers=ops, timeout=30).ok
    template = published_template(stack, name=f"¥10 off {shopper}")

    # Given a shopper who claimed a voucher and checked out a cart with it: the voucher is locked
    mall = session.page("/mall", stack.api_url)
    sign_in(mall, token(shopper))
    mall.locator(f'#claimable article[data-template="{template["id"]}"]').get_by_role("button", name="Claim").click()
    expect(mall.locator("#wallet-list article", has_text=template["name"])).to_contain_text("unused")
    mall.get_by_role("button", name="Add Tea set").click()  # ¥128.00, ¥10.00 off
    expect(mall.locator("#quote")).to_contain_text(f"Best voucher from your wallet: “{template['name']}”")
    session.shot(mall, "quote-to-check-out")
    mall.locator("#quote").get_by_role("button", name="Check out").click()
    order = mall.locator("#order")
    expect(order).to_contain_text("is waiting for its payment of ¥118.00")
    mall.get_by_role("tab", name="locked").click()
    expect(mall.locator("#wallet-list article", has_text=template["name"])).to_contain_text("locked")
    balance = mall.locator("#rebates .figure", has_text="Balance")
    expect(balance).to_contain_text("¥0.00")
    session.shot(mall, "waiting-for-payment")

    # When the payment provider's signed webhook says the order is paid
    order_id = order.get_attribute("data-order")
    [coupon] = coupons_of(stack, shopper, template["id"], "locked")
    tag = uuid.uuid4().hex[:8]
    raw, headers = signed_generic(
        generic_payment(event_id=f"evt-{tag}", payment_id=f"pay-{tag}", user=shopper, amount=11800,
                        paid_at=datetime.now(timezone.utc),
                        coupon_ids=[coupon["id"]], order_id=order_id),
        secret=stack.env["PAYMENT_WEBHOOK_SECRET"])
    assert http.post(api_url(stack, "webhooks/payments/generic"), data=raw, headers=headers, timeout=30).ok

    # Then, without a reload, the page shows the order paid, the voucher used and the new balance
    expect(order).to_contain_text(f"Order {order_id} is paid. “{template['name']}” is used.")
    expect(mall.locator("#wallet-list")).to_contain_text("No locked coupons.")
    wait_until(mall, lambda: http.get(api_url(stack, "me/account"), headers=headers_for(shopper),
                                      timeout=30).json()["balance"] > 0)
    credited = http.get(api_url(stack, "me/account"), headers=headers_for(shopper), timeout=30).json()["balance"]
    assert credited >= 590  # 5% of ¥118.00 at least (other live rules of this stack add theirs)
    expect(balance).to_contain_text(yuan(credited))
    expect(mall.locator("#ledger")).to_contain_text(f"Order {order_id}: rebate of")
    # and what the order earned, without looking it up (GET /me/orders/{order_id}/rebates)
    earned = mall.locator(f'#order-rebates [data-order="{order_id}"]')
    expect(earned.locator("tr", has_text=f"5% back {shopper}")).to_contain_text("¥5.90")
    expect(mall.locator("#order-id")).to_have_value(order_id)
    mall.get_by_role("tab", name="used", exact=True).click()
    expect(mall.locator("#wallet-list article", has_text=template["name"])).to_contain_text("used")
    session.shot(mall, "paid-without-reload")


def test_the_mall_shows_a_rebate_credited_elsewhere_when_it_comes_back_into_view(stack, desktop):
    shopper = f"returning-{uuid.uuid4().hex[:6]}"
    # Given the mall page open on an empty account
    mall = desktop.page("/mall", stack.api_url)
    sign_in(mall, token(shopper))
    balance = mall.locator("#rebates .figure", has_text="Balance")
    expect(balance).to_contain_text("¥0.00")

    # When a payment made elsewhere (another tab, the app) earns a rebate
    settled_rebate(stack, f"5% back {shopper}", 20000, user=shopper)
    credited = http_session().get(api_url(stack, "me/account"), headers=headers_for(shopper),
                                  timeout=30).json()["balance"]
    assert credited >= 1000

    # Then the page shows it as soon as it is looked at again, without a reload
    mall.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    expect(balance).to_contain_text(yuan(credited))
    expect(mall.locator("#ledger")).to_contain_text("rebate of")


def test_a_payout_is_recorded_once_with_its_reference_and_a_failed_one_returns_the_money(stack, desktop):
    shopper = f"payee-{uuid.uuid4().hex[:6]}"
    settled_rebate(stack, f"5% back {shopper}", 20000, user=shopper)
    http, finance = http_session(), headers_for("fay-money", roles=("finance",))
    payee = {"channel": "bank", "account": "6222021234567890123", "name": "张三"}
    for amount in (111, 122):
        made = http.post(api_url(stack, "me/withdrawals"), json={"amount": amount, "payee": payee}, timeout=30,
                         headers=headers_for(shopper)).json()
        assert http.post(api_url(stack, f"admin/withdrawals/{made['id']}/approve"), headers=finance,
                         timeout=30).status_code == 200

    def mine() -> dict[int, dict]:
        items = http.get(api_url(stack, "me/withdrawals"), headers=headers_for(shopper), timeout=30).json()["items"]
        return {w["amount"]: w for w in items}

    balance_before = http.get(api_url(stack, "me/account"), headers=headers_for(shopper), timeout=30).json()["balance"]
    page = desktop.page("/console#withdrawals", stack.api_url)
    answers = {"reference": "BANK-REF-0001", "fail": "账户已销户"}
    page.on("dialog", lambda d: d.accept(answers["reference"] if "reference" in d.message else answers["fail"])
            if d.type == "prompt" else d.accept())
    sign_in(page, token("ops-money", ("operator",)))
    posts = Posts(page)
    page.locator("#view-withdrawals").get_by_label("Status").select_option("approved")

    def row(amount: str) -> Locator:
        return page.locator("#withdrawal-list tbody tr", has_text=shopper).filter(has_text=amount)

    # The payee shows masked
    expect(cell(row("¥1.11"), "Payee")).to_have_text("bank card ****0123 张*")
    expect(page.locator("#withdrawal-list")).not_to_contain_text("6222021234567890123")

    # A double click on Paid records the payout once, with the reference finance typed
    row("¥1.11").get_by_role("button", name="Paid").dblclick()
    expect(page.locator("#view-withdrawals .notice")).to_contain_text("is paid")
    assert len(posts.to(page, "/paid")) == 1
    assert (mine()[111]["status"], mine()[111]["payout_ref"]) == ("paid", "BANK-REF-0001")

    # The payout list for finance has the payee in full
    with page.expect_download() as download:
        page.get_by_role("button", name="Payout CSV (approved)").click()
    listed = open(download.value.path(), encoding="utf-8").read()
    assert "6222021234567890123" in listed and "张三" in listed and "1.22" in listed

    # Failed, clicked again while in flight, returns the money once
    pending = row("¥1.22")
    with in_flight(page, "**/failed") as held:
        pending.get_by_role("button", name="Failed").click()
        wait_until(page, lambda: held)
        expect(pending.get_by_role("button", name="Failed")).to_be_disabled()
        pending.get_by_role("button", name="Failed").dispatch_event("click")
    expect(page.locator("#view-withdrawals .notice")).to_contain_text("is failed")
    assert len(posts.to(page, "/failed")) == 1
    assert (mine()[122]["status"], mine()[122]["reason"]) == ("failed", "账户已销户")
    balance = http.get(api_url(stack, "me/account"), headers=headers_for(shopper), timeout=30).json()["balance"]
    assert balance == balance_before + 122
    desktop.shot(page, "payouts-recorded")


def test_the_mall_takes_a_payee_and_shows_the_reason_and_payout_reference(stack, desktop):
    shopper = f"mall-payee-{uuid.uuid4().hex[:6]}"
    settled_rebate(stack, f"5% back {shopper}", 20000, user=shopper)
    http, finance = http_session(), headers_for("fay-money", roles=("finance",))
    mall = desktop.page("/mall", stack.api_url)
    sign_in(mall, token(shopper))
    rebates = mall.locator("#rebates")
    rebates.locator("#withdraw-amount").fill("1.00")
    rebates.get_by_label("Payee channel").select_option("alipay")
    rebates.get_by_label("Payee account").fill("13800138000")
    rebates.get_by_label("Payee name").fill("李四")
    rebates.get_by_role("button", name="Withdraw").click()
    expect(rebates.locator("#rebate-status")).to_contain_text("Asked to withdraw ¥1.00")
    row = rebates.locator("#my-withdrawals tbody tr").first
    expect(cell(row, "Pay to")).to_have_text("Alipay ****8000 李*")

    [made] = http.get(api_url(stack, "me/withdrawals"), headers=headers_for(shopper), timeout=30).json()["items"]
    assert http.post(api_url(stack, f"admin/withdrawals/{made['id']}/approve"), headers=finance,
                     timeout=30).status_code == 200
    assert http.post(api_url(stack, f"admin/withdrawals/{made['id']}/paid"), json={"payout_ref": "ALI-77"},
                     headers=finance, timeout=30).status_code == 200
    mall.reload()
    row = mall.locator("#rebates #my-withdrawals tbody tr").first
    expect(cell(row, "Status")).to_have_text("paid")
    expect(cell(row, "Details")).to_have_text("payout reference ALI-77")
    desktop.shot(mall, "withdrawal-paid-with-payee")


def test_redeem_for_points_redeems_once_for_a_double_click_and_a_click_in_flight(stack, desktop):
    """积分兑换 on the mall page: a template with a points price shows "Redeem for N points"; each
    intended redemption is one POST (one Idempotency-Key), and points are taken once per coupon."""
    shopper = f"points-buyer-{uuid.uuid4().hex[:6]}"
    http, ops = http_session(), headers_for("ops-points", operator=True)
    now = datetime.now(timezone.utc)
    # Points only for payments of exactly this size or more (other tests pay less): 1,000 points.
    body = rule_body(name=f"1000 points {shopper}", kind="threshold", ratio_bp=None, reward="points",
                     threshold={"min_paid": 987_654, "amount": 1000}, starts_at=(now - timedelta(hours=1)).isoformat(),
                     ends_at=(now + timedelta(days=1)).isoformat())
    rule = http.post(api_url(stack, "admin/rebate-rules"), json=body, headers=ops, timeout=30).json()
    assert http.post(api_url(stack, f"admin/rebate-rules/{rule['id']}/publish"), headers=ops, timeout=30).ok
    tag = uuid.uuid4().hex[:8]
    raw, headers = signed_generic(generic_payment(event_id=f"evt-{tag}", payment_id=f"pay-{tag}", user=shopper,
                                                  amount=987_654, paid_at=now, order_id=f"order-{tag}"),
                                  secret=stack.env["PAYMENT_WEBHOOK_SECRET"])
    assert http.post(api_url(stack, "webhooks/payments/generic"), data=raw, headers=headers, timeout=30).ok

    def points() -> int:
        return http.get(api_url(stack, "me/account"), headers=headers_for(shopper), timeout=30).json()["points"]

    wait_until_api(lambda: points() >= 1000)
    first = published_template(stack, per_user_limit=5, points_price=300)
    second = published_template(stack, per_user_limit=5, points_price=300)
    mall = desktop.page("/mall", stack.api_url)
    sign_in(mall, token(shopper))
    posts = Posts(mall)

    tile = mall.locator(f'#claimable article[data-template="{first["id"]}"]')
    tile.get_by_role("button", name="Redeem for 300 points").dblclick()
    expect(mall.locator("#claim-status")).to_have_text(
        f"Redeemed 300 points for “{first['name']}”: it is in your wallet.")
    assert len(posts.to(mall, f"/templates/{first['id']}/redeem-points")) == 1
    assert len(coupons_of(stack, shopper, first["id"])) == 1

    tile = mall.locator(f'#claimable article[data-template="{second["id"]}"]')
    again_while_in_flight(mall, tile.get_by_role("button", name="Redeem for 300 points"),
                          f"**/templates/{second['id']}/redeem-points")
    expect(mall.locator("#claim-status")).to_have_text(
        f"Redeemed 300 points for “{second['name']}”: it is in your wallet.")
    assert len(posts.to(mall, f"/templates/{second['id']}/redeem-points")) == 1
    assert len(coupons_of(stack, shopper, second["id"])) == 1
    # Points taken once per coupon: two exchange entries of 300 (other live rules of this shared
    # stack may still be crediting the payment's points, so the balance of points is not compared)
    ledger = http.get(api_url(stack, "me/rebates"), params={"limit": 100}, headers=headers_for(shopper),
                      timeout=30).json()["items"]
    assert sorted((e["amount"], e["asset"]) for e in ledger if e["type"] == "exchange") == [(-300, "points")] * 2
    desktop.shot(mall, "redeemed-for-points")


def test_support_looks_an_account_up_and_adjusts_it_once_for_a_double_click(stack, desktop):
    shopper = f"adjusted-{uuid.uuid4().hex[:6]}"
    settled_rebate(stack, f"5% back {shopper}", 20000, user=shopper)
    http = http_session()

    def balance() -> int:
        return http.get(api_url(stack, "me/account"), headers=headers_for(shopper), timeout=30).json()["balance"]

    wait_until_api(lambda: balance() > 0)
    before = balance()
    page = console(desktop, stack, "accounts")
    posts = Posts(page)
    view = page.locator("#view-accounts")
    view.get_by_label("User id").fill(shopper)
    view.get_by_role("button", name="Look up").click()
    expect(page.locator("#account-shown .figures")).to_contain_text(yuan(before))

    view.get_by_label("Amount").fill("-1.00")
    view.get_by_label("Reason").fill("duplicate credit")
    view.get_by_role("button", name="Adjust").dblclick()
    expect(page.locator("#view-accounts .notice")).to_contain_text(f"Adjusted {shopper}'s balance by -¥1.00")
    assert len(posts.to(page, "/adjustments")) == 1
    assert balance() == before - 100
    expect(page.locator("#account-shown tbody tr", has_text="adjustment")).to_contain_text("duplicate credit by ops-money")
    desktop.shot(page, "account-adjusted")
