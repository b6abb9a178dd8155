"""Helpers of the browser tests (the fixtures are in tests/browser/conftest.py): Debian's
Chromium and its flags, the viewports, a `Session` of pages with numbered screenshots in
test-artifacts/browser/, signing in, table cells, money as the pages show it, and a rebate
settled through the whole local stack; what a Chinese page shows that is English (`english_on`, data
of the shared stack cut out first: `shared_data`)."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.helpers import REPO_ROOT, headers_for
from tests.helpers import session as http_session
from tests.i18n_helpers import english_words
from tests.payment_helpers import generic_payment, rule_body, signed_generic

CHROMIUM = Path("/usr/bin/chromium")
# Every browser test module's marks: pytestmark = [pytest.mark.e2e, needs_chromium]
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not at /usr/bin/chromium "
                                    "(apt-get install -y chromium); the browser tests need it")

# Headless, and none of Chromium's own background traffic: without these flags its connections
# were refused on the machines this was written on.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
TIMEOUT_MS = 20_000
LANG_KEY = "mall.lang"  # the pages' language in localStorage (static/shared/i18n.js)


class Session:
    """Pages of one viewport, their uncaught script errors, and numbered screenshots."""

    def __init__(self, browser, viewport: str, test_name: str) -> None:
        self.browser, self.viewport = browser, viewport
        self.contexts, self.errors, self.step = [], [], 0
        self.folder = ARTIFACTS / test_name.removeprefix("test_")
        self.folder.mkdir(parents=True, exist_ok=True)
        expect.set_options(timeout=TIMEOUT_MS)

    def page(self, path: str, api_url: str, lang: str = "en") -> Page:
        """A new page at `path` in `lang` ("zh", the pages' default, or "en": the tests written
        against the English words), chosen as the language switch does, in localStorage."""
        context = self.browser.new_context(**VIEWPORTS[self.viewport], accept_downloads=True,
                                           locale="zh-CN" if lang == "zh" else "en-US")
        context.set_default_timeout(TIMEOUT_MS)
        # before the page's scripts, on the first load only: the page's own switch then decides
        context.add_init_script(f"localStorage.getItem({LANG_KEY!r}) || localStorage.setItem({LANG_KEY!r}, {lang!r})")
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(error))
        page.goto(f"{api_url}{path}")
        return page

    def shot(self, page: Page, what: str) -> None:
        self.step += 1
        page.screenshot(path=self.folder / f"{self.viewport}-{self.step:02d}-{what}.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{what}: the page scrolls sideways ({width}px)"

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def watch_console(page: Page) -> list[str]:
    """The page's console errors from now on (uncaught script errors are the Session's, asserted
    by the fixtures)."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


def sign_in(page: Page, bearer: str) -> None:
    page.locator("#token").fill(bearer)
    page.locator("#signin-form button.primary").click()


def cell(row, label: str):
    return row.locator(f'td[data-label="{label}"]')


def settled_rebate(stack, name: str, amount: int, user: str | None = None) -> dict:
    """A published 5% rule and one payment of `amount` fen under it (by `user`, else a new
    buyer), through the generic webhook, the payments queue and the pump's consumer: the rule
    as the API reports it."""
    http, ops = http_session(), headers_for("ops-rebates", operator=True)
    now = datetime.now(timezone.utc)
    body = rule_body(name=name, ratio_bp=500, starts_at=(now - timedelta(hours=1)).isoformat(),
                     ends_at=(now + timedelta(days=1)).isoformat())
    rule = http.post(f"{stack.api_url}/admin/rebate-rules", json=body, headers=ops, timeout=30).json()
    assert http.post(f"{stack.api_url}/admin/rebate-rules/{rule['id']}/publish", headers=ops,
                     timeout=30).status_code == 200
    tag = uuid.uuid4().hex[:8]
    raw, headers = signed_generic(
        generic_payment(event_id=f"evt-{tag}", payment_id=f"pay-{tag}", user=user or f"buyer-{tag}", amount=amount,
                        paid_at=now, order_id=f"order-{tag}"),
        secret=stack.env["PAYMENT_WEBHOOK_SECRET"])
    response = http.post(f"{stack.api_url}/webhooks/payments/generic", data=raw, headers=headers, timeout=30)
    assert response.json() == {"received": True, "queued": True}
    # Settled: every live rule of this shared stack has applied to the payment (GET
    # /me/orders/{order_id}/rebates), so the payer's account no longer moves under a test.
    payer = headers_for(user or f"buyer-{tag}")
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        earned = http.get(f"{stack.api_url}/me/orders/order-{tag}/rebates", headers=payer, timeout=30)
        if earned.status_code == 200 and all(p["settled"] for p in earned.json()["payments"]):
            return http.get(f"{stack.api_url}/admin/rebate-rules/{rule['id']}", headers=ops, timeout=30).json()
        time.sleep(0.2)
    raise AssertionError(f"the pump did not settle payment pay-{tag} (see {stack.log_dir}/pump.log)")


def yuan(fen: int) -> str:
    """What the pages show for `fen` (formatFen): ¥1,234.50."""
    return f"¥{fen // 100:,}.{fen % 100:02d}"


# Every text node, option, placeholder, title and aria-label a person can meet on the page: not in
# a hidden part, not a command to copy (<code>), not the audit's raw field-by-field diff.
VISIBLE_TEXT = """() => {
  const shown = (el) => !el.closest("[hidden], code, script, style, .changes");
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.textContent.trim() && shown(node.parentElement)) texts.push(node.textContent);
  }
  for (const el of document.querySelectorAll("[placeholder], [title], [aria-label]")) {
    if (!shown(el)) continue;
    for (const name of ["placeholder", "title", "aria-label"]) {
      if (el.hasAttribute(name)) texts.push(el.getAttribute(name));
    }
  }
  texts.push(document.title);
  return texts;
}"""


def shared_data(stack) -> list[str]:
    """What other tests of this shared stack put on the pages (names, ids, categories, users,
    reasons): data, shown as typed, in any language. Longest first, to be cut out whole."""
    http, ops = http_session(), headers_for("ops-i18n-data", operator=True)
    found: set[str] = set()

    def everything(path: str, **query) -> list[dict]:
        items, cursor = [], None
        while True:
            page = http.get(f"{stack.api_url}/{path}", params={**query, "limit": 100, **({"cursor": cursor} if cursor else {})},
                            headers=ops, timeout=30).json()
            items += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return items

    for template in everything("admin/templates"):
        found |= {template["name"], template["id"], *template["scope"].get("categories", []),
                  *template["scope"].get("skus", [])}
    for rule in everything("admin/rebate-rules"):
        found |= {rule["name"], rule["id"]}
        if isinstance(rule["reward"], dict):
            found.add(rule["reward"]["voucher_template_id"])
    for status in ("pending", "approved", "rejected", "paid", "failed"):
        for withdrawal in everything("admin/withdrawals", status=status):
            payee = withdrawal.get("payee") or {}
            found |= {withdrawal["user_id"], withdrawal.get("reason") or "", withdrawal.get("payout_ref") or "",
                      payee.get("account", ""), payee.get("name", "")}
    audit = http.get(f"{stack.api_url}/admin/audit", params={"limit": 50}, headers=ops, timeout=30).json()["items"]
    found |= {entry["actor"] or "" for entry in audit} | {entry["target_id"] for entry in audit}
    return sorted((text for text in found if text), key=len, reverse=True)


def english_on(page: Page, data: list[str]) -> list[str]:
    """The texts of a Chinese page with English words that are not data, as `word: text`."""
    found = set()
    for text in page.evaluate(VISIBLE_TEXT):
        cut = text
        for datum in data:
            cut = cut.replace(datum, " ")
        found |= {f"{word}: {text.strip()[:120]}" for word in english_words(cut)}
    return sorted(found)
