"""The mall's ledger reads as events in the shopper's words (issue 19, item 5): after an order paid
under a rebate offer, "订单 X 返利 ¥6.40" arrives without a reload; a withdrawal is ONE row whose
status follows it ("提现 ¥1.00 · 审核中", then "已到账"), its steps (asked, paid out) below; a
refund's clawback is "订单 X 退款扣回 ¥3.20". A withdrawal whose entries fall on two pages of the
ledger is said to continue on the next page, and is one row again once "more" loaded it. At desktop
and phone width, in Chinese and English, with no console error.

Same browser and stack as tests/browser/test_browser.py (Playwright driving /usr/bin/chromium).
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import TIMEOUT_MS, needs_chromium, sign_in, watch_console, yuan
from tests.helpers import headers_for, token
from tests.helpers import session as http_session
from tests.payment_helpers import generic_payment, generic_refund, rule_body, signed_generic

pytestmark = [pytest.mark.e2e, needs_chromium]

WORDS = {
    "en": {"rebate": "Order {order}: rebate of {amount}", "clawback": "Order {order}: {amount} taken back by a refund",
           "withdrawal": "Withdrawal of {amount}", "pending": "Withdrawal of {amount} · under review",
           "paid": "Withdrawal of {amount} · paid out", "asked": "withdrawal asked", "paid_out": "withdrawal paid out",
           "balance": "Balance", "raw": "rebate (balance)"},
    "zh": {"rebate": "订单 {order} 返利 {amount}", "clawback": "订单 {order} 退款扣回 {amount}",
           "withdrawal": "提现 {amount}", "pending": "提现 {amount} · 审核中", "paid": "提现 {amount} · 已到账",
           "asked": "申请提现", "paid_out": "提现已打款", "balance": "余额", "raw": "返利（余额）"},
}
FINANCE = ("fay-mall-ledger", ("finance",))


def post(stack, path: str, body: dict | None = None, headers: dict | None = None) -> dict:
    response = http_session().post(f"{stack.api_url}/{path}", json=body, timeout=30,
                                   headers=headers or headers_for(FINANCE[0], roles=FINANCE[1]))
    assert response.status_code in (200, 201), response.text
    return response.json()


def webhook(stack, event: dict) -> None:
    raw, headers = signed_generic(event, secret=stack.env["PAYMENT_WEBHOOK_SECRET"])
    assert http_session().post(f"{stack.api_url}/webhooks/payments/generic", data=raw, headers=headers, timeout=30).ok


def ledger_of(stack, shopper: str) -> list[dict]:
    return http_session().get(f"{stack.api_url}/me/rebates", params={"limit": 100}, headers=headers_for(shopper),
                              timeout=30).json()["items"]


def wait_for_entry(stack, shopper: str, type_: str) -> None:
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not any(e["type"] == type_ for e in ledger_of(stack, shopper)):
        assert time.monotonic() < deadline, f"no {type_} entry (see {stack.log_dir}/pump.log)"
        time.sleep(0.2)


def earned(stack, shopper: str, paid: int) -> str:
    """A payment of `paid` fen by `shopper` (a new payment id: returned) rebated 5% to the balance by a
    rule live for it alone (ended once the rebate is credited)."""
    ops, now, tag = headers_for("ops-mall-ledger", operator=True), datetime.now(timezone.utc), uuid.uuid4().hex[:8]
    rule = post(stack, "admin/rebate-rules", rule_body(name=f"5% once {tag}", ratio_bp=500, reward="balance",
                                                       starts_at=(now - timedelta(hours=1)).isoformat(),
                                                       ends_at=(now + timedelta(days=1)).isoformat()), ops)
    post(stack, f"admin/rebate-rules/{rule['id']}/publish", None, ops)
    try:
        webhook(stack, generic_payment(event_id=f"evt-{tag}", payment_id=f"pay-{tag}", user=shopper, amount=paid,
                                       paid_at=now, order_id=f"order-{tag}"))
        wait_for_entry(stack, shopper, "rebate")
    finally:
        post(stack, f"admin/rebate-rules/{rule['id']}/end", None, ops)
    return f"pay-{tag}"


def looked_at_again(page: Page) -> None:
    """The shopper comes back to the tab: the page refreshes what it shows (no reload)."""
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_rebate_arrives_without_a_reload_and_the_ledger_reads_as_events(stack, session, lang):
    words = WORDS[lang]
    shopper = f"events-{lang}-{session.viewport}-{uuid.uuid4().hex[:6]}"
    ops, now = headers_for("ops-mall-ledger", operator=True), datetime.now(timezone.utc)
    rule = post(stack, "admin/rebate-rules", rule_body(name=f"5% back {shopper}", ratio_bp=500, reward="balance",
                                                       starts_at=(now - timedelta(hours=1)).isoformat(),
                                                       ends_at=(now + timedelta(days=1)).isoformat()), ops)
    post(stack, f"admin/rebate-rules/{rule['id']}/publish", None, ops)
    try:
        mall = session.page("/mall", stack.api_url, lang=lang)
        errors = watch_console(mall)
        sign_in(mall, token(shopper))
        ledger = mall.locator("#ledger")

        # Given an order of ¥128.00 reserved on the page
        mall.locator('#catalog .product[data-sku="TEA-SET"] button').click()
        mall.locator("#checkout").click()
        order = mall.locator("#order")
        expect(order.locator("#release")).to_be_visible()
        order_id = order.get_attribute("data-order")

        # When it is paid, the rebate arrives without a reload, said of the order
        tag = uuid.uuid4().hex[:8]
        webhook(stack, generic_payment(event_id=f"evt-{tag}", payment_id=f"pay-{tag}", user=shopper, amount=12800,
                                       paid_at=datetime.now(timezone.utc), order_id=order_id))
        rebate = ledger.locator("tbody tr", has_text=words["rebate"].format(order=order_id, amount="¥6.40"))
        expect(rebate).to_have_count(1)
        expect(rebate).to_contain_text("+¥6.40")
        expect(mall.locator("#rebates .figure", has_text=words["balance"]).first).to_contain_text("¥6.40")
        session.shot(mall, f"{lang}-rebate-arrived")

        # When they withdraw ¥1.00: one row, under review
        mall.locator("#withdraw-amount").fill("1.00")
        mall.locator("#withdraw-form button").click()
        withdrawal = ledger.locator("tbody tr", has_text=words["withdrawal"].format(amount="¥1.00"))
        expect(withdrawal).to_have_count(1)
        expect(withdrawal).to_contain_text(words["pending"].format(amount="¥1.00"))
        expect(withdrawal.locator(".event-note")).to_have_count(1)
        assert withdrawal.locator(".event-note").inner_text().count(words["asked"]) == 1  # one step, two entries

        # When finance approves it and records its payout: still one row, paid out, with its steps
        [made] = http_session().get(f"{stack.api_url}/me/withdrawals", headers=headers_for(shopper),
                                    timeout=30).json()["items"]
        post(stack, f"admin/withdrawals/{made['id']}/approve")
        post(stack, f"admin/withdrawals/{made['id']}/paid", {"payout_ref": f"BANK-{tag}"})
        looked_at_again(mall)
        expect(withdrawal).to_contain_text(words["paid"].format(amount="¥1.00"))
        expect(withdrawal).to_have_count(1)
        expect(withdrawal).to_contain_text(words["paid_out"])

        # When half of the order is refunded: the clawback, said of the order
        refund = generic_refund(event_id=f"evt-r-{tag}", refund_id=f"ref-{tag}", payment_id=f"pay-{tag}", user=shopper,
                                amount=6400)
        refund["data"]["order_id"] = order_id
        webhook(stack, refund)
        wait_for_entry(stack, shopper, "clawback")
        looked_at_again(mall)
        expect(ledger.locator("tbody tr", has_text=words["clawback"].format(order=order_id, amount="¥3.20"))
               ).to_contain_text("-¥3.20")
        expect(mall.locator("#rebates .figure", has_text=words["balance"]).first).to_contain_text(yuan(640 - 100 - 320))
        # and no row is a raw entry any more
        expect(ledger).not_to_contain_text(words["raw"])
        ledger.scroll_into_view_if_needed()
        session.shot(mall, f"{lang}-ledger-events")
        assert errors == []
    finally:
        post(stack, f"admin/rebate-rules/{rule['id']}/end", None, ops)


def test_a_withdrawal_split_over_two_pages_is_said_to_continue_and_is_one_row_once_more_loaded(stack, desktop):
    shopper = f"pages-{uuid.uuid4().hex[:6]}"
    ops = headers_for("ops-mall-ledger", operator=True)
    payment = earned(stack, shopper, 20000)  # ¥10.00 to the balance: one entry
    made = post(stack, "me/withdrawals", {"amount": 100}, headers_for(shopper))  # two entries (balance, frozen)
    post(stack, f"admin/withdrawals/{made['id']}/approve")  # one more (frozen out)
    for _ in range(19):  # the newest 19 entries: the approval is the 20th, the last of the first page
        post(stack, f"admin/accounts/{shopper}/adjustments", {"asset": "points", "amount": 1, "reason": "goodwill"}, ops)
    entries = ledger_of(stack, shopper)
    assert [e["type"] for e in entries[19:22]] == ["withdrawal_paid", "withdrawal", "withdrawal"]

    mall = desktop.page("/mall", stack.api_url)
    errors = watch_console(mall)
    sign_in(mall, token(shopper))
    ledger = mall.locator("#ledger")
    withdrawal = ledger.locator("tbody tr", has_text="Withdrawal of ¥1.00")

    # The first page holds the approval alone: the row says its earlier steps are on the next page
    expect(withdrawal).to_have_count(1)
    expect(withdrawal).to_contain_text("approved, being paid out")
    expect(withdrawal).to_contain_text("Earlier steps of this are on the next page")
    expect(withdrawal).not_to_contain_text("withdrawal asked")
    desktop.shot(mall, "split-withdrawal")

    # "More" brings them: one row for the withdrawal, its steps together, nothing more to load
    mall.locator("#ledger-more").click()
    expect(withdrawal).to_contain_text("withdrawal asked")
    expect(withdrawal).to_have_count(1)
    expect(withdrawal).to_contain_text("withdrawal paid out")
    expect(withdrawal).not_to_contain_text("Earlier steps of this are on the next page")
    expect(withdrawal).to_contain_text("-¥1.00")
    # a payment of an order this page did not place is said of the payment
    expect(ledger.locator("tbody tr", has_text="rebate of ¥10.00")).to_contain_text(payment)
    expect(ledger.locator("tbody tr", has_text="Adjusted by support: +1 points")).to_have_count(19)
    desktop.shot(mall, "split-withdrawal-loaded")
    assert errors == []


# The grouping itself (mall/ledger-events.js), on entries as the API gives them, in the page.
GROUPED = """async (entries) => {
  const { ledgerEvents } = await import(new URL("mall/ledger-events.js", document.baseURI).href);
  return [ledgerEvents(entries, false), ledgerEvents(entries.slice(0, 3), true)]
    .map((events) => events.map(({ entries, ...event }) => ({ ...event, n: entries.length })));
}"""


def entry(id_: str, type_: str, amount: int, asset: str, ref: str, at: str, rule_id: str | None = None) -> dict:
    return {"id": id_, "type": type_, "amount": amount, "asset": asset, "ref": ref, "created_at": at,
            "rule_id": rule_id, "reason": None}


def test_entries_are_grouped_into_events_by_withdrawal_and_by_change(stack, desktop):
    mall = desktop.page("/mall", stack.api_url)
    entries = [  # newest first
        entry("9", "withdrawal_paid", -10000, "frozen", "w1", "t9"),
        entry("8", "clawback", -300, "balance", "generic:p1", "t8", "r1"),
        entry("7", "clawback", 200, "debt", "generic:p1", "t8", "r1"),
        entry("6", "rebate", 864, "balance", "generic:p1", "t6", "r1"),
        entry("5", "rebate", 120, "points", "generic:p1", "t6", "r2"),
        entry("4", "withdrawal", 10000, "frozen", "w1", "t4"),
        entry("3", "withdrawal", -10000, "balance", "w1", "t4"),
        entry("2", "spend", -500, "held", "generic:p1", "t2"),
        entry("1", "reserve", -500, "balance", "order-1", "t1"),
        entry("0", "reserve", 500, "held", "order-1", "t1"),
    ]
    whole, first_page = mall.evaluate(GROUPED, entries)
    brief = [(e["kind"], e["ref"], e["money"], e["points"], e["n"]) for e in whole]
    assert brief == [
        ("withdrawal", "w1", -10000, 0, 3),         # asked and approved: one row, the balance's change
        ("clawback", "generic:p1", -500, 0, 2),     # ¥3.00 taken and ¥2.00 owed: ¥5.00 clawed back
        ("rebate", "generic:p1", 864, 0, 1),        # one row per rule
        ("rebate", "generic:p1", 0, 120, 1),
        ("spend", "generic:p1", -500, 0, 1),        # held balance spent
        ("reserve", "order-1", -500, 0, 2),         # balance held for the order
    ]
    assert whole[0]["amount"] == 10000 and whole[0]["status"] == "approved" and not whole[0]["partial"]
    assert (whole[1]["owed"], whole[1]["repaid"]) == (200, 0)
    # Three entries loaded of more: the withdrawal (its approval alone) and the clawback; the
    # clawback holds the oldest loaded entry, so it may go on on the next page
    assert [(e["kind"], e["partial"], e["n"]) for e in first_page] == [("withdrawal", False, 1), ("clawback", True, 2)]
    assert first_page[0]["amount"] == 10000
