"""The operators' daily tools in a real browser (issue 19 items 4-5): templates searched, filtered,
detailed, edited, duplicated and deleted; the programme settings form; the rules list. On the
desktop viewport, and the templates on a phone too.
"""

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


def created_template(stack, **overrides) -> dict:
    http = http_session()
    response = http.post(f"{stack.api_url}/admin/templates", json=template_body(**overrides),
                         headers=headers_for("ops-tools", operator=True), timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def test_an_operator_finds_a_draft_by_name_reads_its_details_edits_duplicates_and_deletes_it(stack, session):
    tag = f"{session.viewport}-{uuid.uuid4().hex[:6]}"
    draft = created_template(stack, name=f"Spring {tag}", total_stock=40, per_user_limit=2,
                             scope={"categories": ["tea", "cups"]}, price=1800, points_price=900)
    created_template(stack, name=f"Autumn {tag}")
    ops = session.page("/console", stack.api_url)
    ops.on("dialog", lambda dialog: dialog.accept())
    sign_in(ops, token("ops-tools", ("operator",)))
    view = ops.locator("#view-templates")

    # Searching by part of the name lists that template alone
    view.get_by_label("Search templates by name").fill(f"Spring {tag}")
    rows = ops.locator("#template-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"Spring {tag}")
    view.get_by_label("Search templates by name").fill(f"Nothing {tag}")
    expect(ops.locator("#template-list")).to_contain_text(f"No templates whose name contains “Nothing {tag}”.")
    view.get_by_label("Search templates by name").fill(tag)
    expect(rows).to_have_count(2)
    session.shot(ops, "templates-searched")

    # Its details: scope, limits, prices, counters and (no) code batches
    row = rows.filter(has_text=f"Spring {tag}")
    row.get_by_role("button", name=f"Spring {tag}").click()
    detail = ops.locator("#template-detail")
    expect(detail).to_contain_text("stock 40, 2 per shopper, 1 stock shards")
    expect(detail).to_contain_text("tea")
    expect(detail).to_contain_text("¥18.00")
    expect(detail).to_contain_text("900 points")
    expect(detail).to_contain_text("No codes minted for this template.")
    expect(detail).to_contain_text(draft["id"])
    session.shot(ops, "template-detail")

    # Edit: the form is filled in from the draft; the change is saved
    detail.get_by_role("button", name="Edit").click()
    form = ops.locator("#template-form")
    expect(form.get_by_label("Name")).to_have_value(f"Spring {tag}")
    expect(form.get_by_label("Total stock")).to_have_value("40")
    expect(form.locator('[data-field="price"] input')).to_have_value("18.00")
    form.get_by_label("Total stock").fill("7")
    form.get_by_role("button", name="Save changes").click()
    expect(view).to_contain_text(f"Saved the draft “Spring {tag}”.")
    expect(cell(row, "Remaining")).to_have_text("7 of 7")
    expect(detail).to_contain_text("stock 7, 2 per shopper")

    # Duplicate: a new draft from it, named as a copy
    row.get_by_role("button", name="Duplicate").click()
    expect(form.get_by_label("Name")).to_have_value(f"Spring {tag} (copy)")
    expect(form.get_by_label("Total stock")).to_have_value("7")
    form.get_by_role("button", name="Create draft").click()
    expect(view).to_contain_text(f"Created the draft “Spring {tag} (copy)”.")
    expect(rows).to_have_count(3)

    # Delete the copy (confirmed): it is gone
    copy = rows.filter(has_text=f"Spring {tag} (copy)")
    copy.get_by_role("button", name="Delete").click()
    expect(view).to_contain_text(f"Deleted the draft “Spring {tag} (copy)”.")
    expect(rows).to_have_count(2)

    # A published template offers neither Edit nor Delete, only Duplicate
    row.get_by_role("button", name="publish").click()
    expect(cell(row, "Status")).to_have_text("published")
    expect(row.get_by_role("button", name="Edit")).to_have_count(0)
    expect(row.get_by_role("button", name="Delete")).to_have_count(0)
    expect(row.get_by_role("button", name="Duplicate")).to_have_count(1)

    # The status filter narrows the search
    view.get_by_label("Status").select_option("draft")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"Autumn {tag}")
    session.shot(ops, "templates-filtered")


def test_an_operator_changes_the_settings_and_finance_reads_them(stack, desktop):
    http, url = http_session(), f"{stack.api_url}/admin/settings"
    ops = desktop.page("/console", stack.api_url)
    sign_in(ops, token("ops-settings", ("operator",)))
    ops.get_by_role("link", name="Settings").click()
    form = ops.locator("#settings-form")
    expect(form.get_by_label("Return cap on a payment (%)")).to_have_value("100.00%")

    # A cap past 100% is refused beside its field, before anything is sent
    form.get_by_label("Return cap on a payment (%)").fill("120")
    form.get_by_role("button", name="Save settings").click()
    expect(form.locator('[data-field="max_return_bp"] .field-error')).to_have_text(
        "Enter a percentage from 0 to 100, with at most two decimals.")

    # A percentage is sent as basis points, yuan as fen; the minimum above the daily limit is refused
    form.get_by_label("Return cap on a payment (%)").fill("12.5")
    form.get_by_label("Smallest withdrawal (¥)").fill("50")
    form.get_by_label("Withdrawals per shopper per day (¥)").fill("20")
    form.get_by_role("button", name="Save settings").click()
    expect(form.locator('[data-field="withdrawal_min"] .field-error')).to_have_text(
        "The smallest withdrawal cannot be above the daily limit.")
    form.get_by_label("Withdrawals per shopper per day (¥)").fill("2000")
    form.get_by_role("button", name="Save settings").click()
    expect(ops.locator("#view-settings")).to_contain_text("Settings saved.")
    expect(ops.locator("#settings-version")).to_contain_text("ops-settings")
    expect(form.get_by_label("Return cap on a payment (%)")).to_have_value("12.50%")
    saved = http.get(url, headers=headers_for("ops-settings", operator=True), timeout=30).json()
    assert (saved["max_return_bp"], saved["withdrawal_min"], saved["withdrawal_daily_max"]) == (1250, 5000, 200000)
    desktop.shot(ops, "settings-saved")

    # Finance reads the same settings and cannot change them
    finance = desktop.page("/console", stack.api_url)
    sign_in(finance, token("finance-settings", ("finance",)))
    finance.get_by_role("link", name="Settings").click()
    read_only = finance.locator("#settings-form")
    expect(read_only.get_by_label("Return cap on a payment (%)")).to_have_value("12.50%")
    expect(read_only.get_by_label("Return cap on a payment (%)")).to_be_disabled()
    expect(read_only.get_by_role("button", name="Save settings")).to_be_hidden()
    expect(finance.locator("#view-settings")).to_contain_text("Only an operator may change the settings")
    restored = http.put(url, json={"max_return_bp": 10000, "withdrawal_min": 0, "withdrawal_daily_max": 0},
                        headers=headers_for("ops-settings", operator=True), timeout=30)
    assert restored.status_code == 200, restored.text


def test_a_shopper_sees_a_card_for_sale_and_what_an_order_earned_and_bought(stack, desktop):
    http, ops = http_session(), headers_for("ops-mall", operator=True)
    tag, now = uuid.uuid4().hex[:8], datetime.now(timezone.utc)
    buyer = f"buyer-{tag}"
    card = created_template(stack, name=f"Card {tag}", kind="stored_value", value=20000, min_spend=0, price=18000,
                            claim_channel="grant", total_stock=1, per_user_limit=5)
    assert http.post(f"{stack.api_url}/admin/templates/{card['id']}/publish", headers=ops, timeout=30).status_code == 200
    window = {"starts_at": (now - timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(days=1)).isoformat()}
    for reward in ("balance", "points"):
        rule = http.post(f"{stack.api_url}/admin/rebate-rules", headers=ops, timeout=30,
                         json=rule_body(name=f"5% {reward} {tag}", ratio_bp=500, reward=reward, **window)).json()
        assert http.post(f"{stack.api_url}/admin/rebate-rules/{rule['id']}/publish", headers=ops,
                         timeout=30).status_code == 200
    assert http.put(f"{stack.api_url}/admin/settings", json={"points_valid_days": 30}, headers=ops,
                    timeout=30).status_code == 200

    # The card for sale shows its price and no Claim button (it is only bought)
    mall = desktop.page("/mall", stack.api_url)
    sign_in(mall, token(buyer))
    tile = mall.locator("#claimable article", has_text=f"Card {tag}")
    expect(tile).to_contain_text("Buy ¥180.00")
    expect(tile).to_contain_text("¥200.00")
    expect(tile.get_by_role("button", name="Claim")).to_have_count(0)
    desktop.shot(mall, "mall-card-for-sale")

    # A payment of ¥360.00 that buys two (one is left) and earns 5% twice
    event = generic_payment(event_id=f"evt-{tag}", payment_id=f"pay-{tag}", user=buyer, amount=36000,
                            paid_at=now, order_id=f"order-{tag}")
    event["data"]["purchases"] = [{"template_id": card["id"], "quantity": 2}]
    raw, headers = signed_generic(event, secret=stack.env["PAYMENT_WEBHOOK_SECRET"])
    assert http.post(f"{stack.api_url}/webhooks/payments/generic", data=raw, headers=headers, timeout=30).json() == {
        "received": True, "queued": True}
    settled(stack, buyer, f"order-{tag}")

    # The order's rebates, looked up by its number: each rule's, and the purchase's shortfall
    mall.get_by_label("Order number").fill(f"order-{tag}")
    mall.get_by_role("button", name="Show", exact=True).click()
    earned = mall.locator("#order-rebates")
    expect(earned).to_contain_text(f"Order order-{tag}")
    expect(earned).to_contain_text("¥18.00")
    expect(earned.locator("tr", has_text=f"5% balance {tag}")).to_contain_text("¥18.00")
    expect(earned.locator("tr", has_text=f"5% points {tag}")).to_contain_text("1,800 points")
    purchase = earned.locator(".purchases tbody tr")
    expect(purchase).to_contain_text(f"Card {tag}")  # named from the coupon it issued
    expect(purchase).to_contain_text("1 of 2")
    expect(purchase).to_contain_text("1 not issued: none were left")
    desktop.shot(mall, "mall-order-rebates")

    # The account card shows the points and when the soonest expire
    mall.reload()
    expect(mall.locator("#rebate-account")).to_contain_text("Points expiring soonest")
    expect(mall.locator("#rebate-account .figure", has_text="Points expiring soonest")).to_contain_text("1,800 points by")

    # Support sees the same points by the day they expire
    console = desktop.page("/console", stack.api_url)
    sign_in(console, token("finance-mall", ("finance",)))
    console.get_by_role("link", name="Accounts").click()
    console.locator("#account-user").fill(buyer)
    console.get_by_role("button", name="Look up").click()
    expect(console.locator("#points-expiring")).to_contain_text("1,800 points by")
    assert http.put(f"{stack.api_url}/admin/settings", json={"points_valid_days": 0}, headers=ops,
                    timeout=30).status_code == 200


def settled(stack, user: str, order_id: str) -> None:
    """Wait until every payment of the order has had its rebates applied (GET /me/orders/{id}/rebates)."""
    http, deadline = http_session(), time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        earned = http.get(f"{stack.api_url}/me/orders/{order_id}/rebates", headers=headers_for(user), timeout=30)
        if earned.status_code == 200 and earned.json()["payments"] and all(p["settled"] for p in earned.json()["payments"]):
            return
        time.sleep(0.2)
    raise AssertionError(f"the pump did not settle {order_id} (see {stack.log_dir}/pump.log)")


def test_the_rules_list_shows_caps_reward_template_names_and_pending_days(stack, desktop):
    http, ops = http_session(), headers_for("ops-rules", operator=True)
    tag = uuid.uuid4().hex[:8]
    voucher = created_template(stack, name=f"Reward voucher {tag}")
    for body in (rule_body(name=f"Capped {tag}", ratio_bp=500, pending_days=7,
                           caps={"per_order": 500, "per_user_per_day": 1000, "budget": 100000}),
                 rule_body(name=f"Voucher {tag}", kind="threshold", ratio_bp=None, threshold={"min_paid": 10000},
                           reward={"voucher_template_id": voucher["id"]})):
        response = http.post(f"{stack.api_url}/admin/rebate-rules", json=body, headers=ops, timeout=30)
        assert response.status_code == 201, response.text
    page = desktop.page("/console", stack.api_url)
    sign_in(page, token("ops-rules", ("operator",)))
    page.get_by_role("link", name="Rebate rules").click()
    capped = page.locator("#rule-list tbody tr", has_text=f"Capped {tag}")
    expect(cell(capped, "Caps")).to_have_text("¥5.00 an order, ¥10.00 a shopper a day")
    expect(cell(capped, "Pending")).to_contain_text("7 days")
    expect(cell(capped, "Budget used")).to_contain_text("¥1,000.00")
    rewarded = page.locator("#rule-list tbody tr", has_text=f"Voucher {tag}")
    expect(cell(rewarded, "Reward")).to_contain_text(f"Reward voucher {tag}")
    expect(cell(rewarded, "Caps")).to_have_text("no caps")
    desktop.shot(page, "rules-list")


def test_an_operator_previews_a_draft_rule_on_a_past_window(stack, desktop):
    http, ops = http_session(), headers_for("ops-preview", operator=True)
    tag = uuid.uuid4().hex[:8]
    # A payment two days ago (no rule of this module was live then), settled
    paid_at = (datetime.now(timezone.utc) - timedelta(days=2)).replace(second=0, microsecond=0)
    raw, headers = signed_generic(generic_payment(event_id=f"evt-{tag}", payment_id=f"pay-{tag}", user=f"payer-{tag}",
                                                  amount=20000, paid_at=paid_at, order_id=f"order-{tag}"),
                                  secret=stack.env["PAYMENT_WEBHOOK_SECRET"])
    assert http.post(f"{stack.api_url}/webhooks/payments/generic", data=raw, headers=headers, timeout=30).status_code == 200
    settled(stack, f"payer-{tag}", f"order-{tag}")
    rule = http.post(f"{stack.api_url}/admin/rebate-rules", headers=ops, timeout=30,
                     json=rule_body(name=f"Preview {tag}", ratio_bp=500, starts_at=None, ends_at=None)).json()

    page = desktop.page("/console", stack.api_url)
    sign_in(page, token("ops-preview", ("operator",)))
    page.get_by_role("link", name="Rebate rules").click()
    row = page.locator("#rule-list tbody tr", has_text=f"Preview {tag}")
    row.get_by_role("button", name="Preview").click()
    dialog = page.locator("#rule-preview")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Preview “Preview {tag}” on past payments")

    # A window that ends before it starts is refused beside "To"
    local = paid_at.astimezone()  # the browser's time zone is the test's
    dialog.get_by_label("From").fill((local + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"))
    dialog.get_by_label("To").fill((local - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"))
    dialog.get_by_role("button", name="Preview").click()
    expect(dialog.locator('[data-field="to"] .field-error')).to_have_text("The end must be after the start.")

    # The window around the payment: 5% of ¥200.00
    dialog.get_by_label("From").fill((local - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"))
    dialog.get_by_label("To").fill((local + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"))
    dialog.get_by_role("button", name="Preview").click()
    answer = dialog.locator("#preview-answer")
    expect(answer.locator(".figure", has_text="Payments it would have paid")).to_contain_text("1 of 1")
    expect(answer.locator(".figure", has_text="Cost (after refunds)")).to_contain_text("¥10.00")
    expect(answer).to_contain_text("Its budget would not have run out.")
    desktop.shot(page, "rule-preview")
    assert rule["status"] == "draft"
