"""The console and the mall page in a real browser: Playwright for Python driving Debian's
Chromium (/usr/bin/chromium) against the whole local stack (`dev.stack.start_stack`), on a
desktop and a phone-sized viewport. Each step leaves a screenshot in test-artifacts/browser/.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.pages import cell, needs_chromium, settled_rebate, sign_in, yuan
from tests.helpers import headers_for, template_body, token
from tests.helpers import session as http_session

pytestmark = [pytest.mark.e2e, needs_chromium]



def test_an_operator_publishes_a_template_that_a_shopper_claims_and_gets_in_a_quote(stack, session):
    name = f"¥15 off ¥100 {session.viewport} {uuid.uuid4().hex[:6]}"
    operator = f"ops-{session.viewport}"

    # Given an operator signed in to the console with a token
    ops = session.page("/console", stack.api_url)
    sign_in(ops, token(operator, ("operator",)))
    expect(ops.locator("#who-name")).to_contain_text(f"{operator} (operator)")
    session.shot(ops, "console-signed-in")

    # When a value is wrong, the API's message shows next to that field (the form is in a dialog)
    ops.get_by_role("button", name="New template").click()
    form = ops.locator("#template-form")
    expect(form.get_by_label("Name")).to_be_focused()
    form.get_by_label("Name").fill(name)
    form.get_by_label("Amount off (¥)").fill("15")
    form.get_by_label("Minimum spend (¥)").fill("100")
    form.get_by_label("Total stock").fill("0")
    form.get_by_role("button", name="Create draft").click()
    stock = form.locator('[data-field="total_stock"]')
    expect(stock.locator(".field-error")).to_have_text("Enter 1 or more.")
    expect(stock.get_by_label("Total stock")).to_have_attribute("aria-invalid", "true")
    session.shot(ops, "validation-message")

    # Then corrected, the draft is created and published from the list
    form.get_by_label("Total stock").fill("5")
    form.get_by_role("button", name="Create draft").click()
    expect(ops.locator("#view-templates")).to_contain_text(f"Created the draft “{name}”")
    expect(ops.locator("#template-dialog")).to_have_count(0)  # a successful submit closes the dialog
    row = ops.locator("#template-list tbody tr", has_text=name)
    expect(cell(row, "Status")).to_have_text("draft")
    row.get_by_role("button", name="publish").click()
    expect(cell(row, "Status")).to_have_text("published")
    expect(cell(row, "Remaining")).to_have_text("5 of 5")
    session.shot(ops, "published")

    # A shopper sees it on the mall page and claims it
    shopper = session.page("/mall", stack.api_url)
    sign_in(shopper, token(f"shopper-{session.viewport}-{uuid.uuid4().hex[:6]}"))
    offer = shopper.locator("#claimable article", has_text=name)
    expect(offer).to_contain_text("¥15.00 off on orders from ¥100.00")
    session.shot(shopper, "mall-claimable")
    offer.get_by_role("button", name="Claim").click()
    expect(shopper.locator("#claim-status")).to_have_text(f"Claimed “{name}”: it is in your wallet.")
    expect(shopper.locator("#claimable article", has_text=name)).to_have_count(0)  # per-user limit 1

    # It is in the wallet, unused
    expect(shopper.locator("#wallet-list article", has_text=name)).to_contain_text("unused")
    session.shot(shopper, "wallet")

    # And a quote of the cart picks it as the best voucher
    shopper.get_by_role("button", name="Add Tea set").click()  # ¥128.00
    quote = shopper.locator("#quote")
    expect(quote).to_contain_text(f"Best voucher from your wallet: “{name}”, saving ¥15.00.")
    expect(quote.locator(".quote-row", has_text="Subtotal")).to_contain_text("¥128.00")
    expect(quote.locator(".quote-row", has_text="Voucher discount")).to_contain_text("−¥15.00")
    expect(quote.locator(".quote-row", has_text="Total to pay")).to_contain_text("¥113.00")
    session.shot(shopper, "quote")

    # The console's counters and statistics show the claim
    ops.locator("#view-templates").get_by_role("button", name="Refresh").click()
    expect(cell(row, "Claimed")).to_have_text("1")
    expect(cell(row, "Remaining")).to_have_text("4 of 5")
    ops.get_by_role("link", name="Statistics").click()
    expect(ops.locator("#view-stats figure", has_text="Claims and redemptions per template")).to_contain_text(name[:20])
    expect(ops.locator("#view-stats tbody tr", has_text=name)).to_contain_text("0.00%")
    session.shot(ops, "statistics")


def test_the_console_refuses_a_token_without_an_admin_role_in_the_apis_words(stack, session):
    page = session.page("/console", stack.api_url)
    sign_in(page, token("just-a-shopper"))
    expect(page.locator("#signin-status")).to_have_text(
        "This needs one of the roles: operator, marketing, finance, auditor.")
    expect(page.locator("#app")).to_be_hidden()
    session.shot(page, "refused")


def test_every_console_label_names_the_control_of_its_own_field(stack, session):
    """Two forms have fields of the same name (template in Codes and Grants, name in Templates
    and Rules): each label must still point at its own control, not the first of that name."""
    ops = session.page("/console", stack.api_url)
    sign_in(ops, token("ops-labels", ("operator",)))
    expect(ops.locator("#who-name")).to_contain_text("ops-labels")
    strays = ops.evaluate("""() => [...document.querySelectorAll(".field label[for]")]
        .filter((label) => document.getElementById(label.htmlFor)?.closest(".field") !== label.closest(".field"))
        .map((label) => label.htmlFor)""")
    ids = ops.evaluate("() => [...document.querySelectorAll('[id]')].map((e) => e.id)")
    assert strays == [], strays
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_signing_out_forgets_the_token(stack, session):
    page = session.page("/mall", stack.api_url)
    sign_in(page, token("leaving-shopper"))
    expect(page.locator("#who-name")).to_contain_text("leaving-shopper")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#signin-status")).to_have_text("Signed out.")
    page.reload()
    expect(page.locator("#signin")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0


def test_minted_codes_download_as_csv_and_one_redeems_on_the_mall(stack, session):
    name = f"Code-only ¥8 off {session.viewport} {uuid.uuid4().hex[:6]}"
    ops = session.page("/console", stack.api_url)
    sign_in(ops, token("ops-codes", ("operator",)))
    ops.get_by_role("button", name="New template").click()
    form = ops.locator("#template-form")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Amount off (¥)").fill("8")
    form.get_by_label("How shoppers get it").select_option("code")
    form.get_by_role("button", name="Create draft").click()
    ops.locator("#template-list tbody tr", has_text=name).get_by_role("button", name="publish").click()
    expect(cell(ops.locator("#template-list tbody tr", has_text=name), "Status")).to_have_text("published")

    ops.get_by_role("link", name="Codes").click()
    view = ops.locator("#view-codes")
    view.get_by_label("Template").select_option(label=f"{name} · published · code")
    view.get_by_role("button", name="New code batch").click()
    codes = ops.locator("#codes-form")
    codes.get_by_label("How many codes").fill("3")
    codes.get_by_label("Prefix").fill("e2e")
    codes.get_by_role("button", name="Mint codes").click()
    expect(ops.locator("#view-codes .notice")).to_have_text("Minted 3 codes. Download them as CSV.")
    expect(ops.locator("#codes-dialog")).to_have_count(0)
    expect(view.locator("#code-list tbody tr")).to_have_count(3)  # the template's codes, listed
    session.shot(ops, "codes-minted")
    with ops.expect_download() as download:
        view.get_by_role("button", name="Download CSV").click()
    rows = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("code,status,")
    assert len(rows) == 4 and all(re.match(r"E2E-\w{12},new,", r) for r in rows[1:]), rows

    shopper = session.page("/mall", stack.api_url)
    sign_in(shopper, token(f"code-shopper-{uuid.uuid4().hex[:6]}"))
    shopper.get_by_label("Have a code?").fill("not a code!")
    shopper.get_by_role("button", name="Redeem").click()
    expect(shopper.locator("#claim-status")).to_have_text("There is no such code. Check it and try again.")
    shopper.get_by_label("Have a code?").fill(rows[1].split(",")[0].lower())
    shopper.get_by_role("button", name="Redeem").click()
    expect(shopper.locator("#claim-status")).to_have_text(f"Redeemed the code: “{name}” is in your wallet.")
    expect(shopper.locator("#wallet-list article", has_text=name)).to_be_visible()
    session.shot(shopper, "code-redeemed")


def test_money_is_formatted_and_parsed_with_integer_arithmetic(stack, browser):
    """19.99 * 100 is 1998.9999999999998 in floating point: the pages never compute money so."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{stack.api_url}/console")
    results = page.evaluate("""async () => {
        const { formatFen, parseYuan, formatRate } = await import("./console/format.js");
        return {
            formatted: [1999, 5, -150, 123456789, 0].map(formatFen),
            parsed: ["19.99", "0.1", "¥12.50", "1.005", "abc", "-3", "4"].map(parseYuan),
            rates: [formatRate(1, 3), formatRate(2, 2), formatRate(0, 0)],
        };
    }""")
    context.close()
    assert results["formatted"] == ["¥19.99", "¥0.05", "-¥1.50", "¥1,234,567.89", "¥0.00"]
    assert results["parsed"] == [1999, 10, 1250, None, None, None, 400]
    assert results["rates"] == ["33.33%", "100.00%", "–"]


def test_the_statistics_chart_a_settled_payments_rebate_cost_against_the_sales_it_drove(stack, session):
    name = f"5% back {session.viewport} {uuid.uuid4().hex[:6]}"
    # Given a 5% rule and a payment of ¥256.80 settled under it
    rule = settled_rebate(stack, name, 25680)
    assert (rule["rebated_payments"], rule["rebate_cost"], rule["sales_driven"]) == (1, 1284, 25680)

    # When an operator opens the statistics
    ops = session.page("/console#stats", stack.api_url)
    sign_in(ops, token("ops-rebates", ("operator",)))
    stats = ops.locator("#view-stats")

    # Then the chart draws the rule's rebate cost against its sales, with the effective rate
    chart = stats.locator("figure", has_text="Rebate cost and sales driven per rule")
    expect(chart).to_contain_text(name)
    expect(chart.locator("g", has_text=name)).to_contain_text("¥12.84")
    expect(chart.locator("g", has_text=name)).to_contain_text("¥256.80")
    expect(chart.locator(".legend")).to_contain_text("rebate cost")
    rates = stats.locator("figure", has_text="Effective return rate per rule")
    expect(rates.locator("g", has_text=name)).to_contain_text("5.00%")
    row = stats.locator("tbody tr", has_text=name)
    expect(cell(row, "Payments rebated")).to_have_text("1")
    expect(cell(row, "Rebate cost")).to_have_text("¥12.84")
    expect(cell(row, "Sales driven")).to_have_text("¥256.80")
    expect(cell(row, "Return rate")).to_have_text("5.00%")
    # (the programme's overview above the charts, each payment once: tests/browser/test_browser_overview.py)
    chart.scroll_into_view_if_needed()
    session.shot(ops, "rebate-cost-against-sales")


def test_the_statistics_chart_claims_per_day(stack, session):
    name = f"Claims chart {session.viewport} {uuid.uuid4().hex[:6]}"
    # Given a published template that three shoppers claimed just now
    http, ops = http_session(), headers_for("ops-claims", operator=True)
    body = template_body(name=name, total_stock=10)
    created = http.post(f"{stack.api_url}/admin/templates", json=body, headers=ops, timeout=30).json()
    assert http.post(f"{stack.api_url}/admin/templates/{created['id']}/publish", headers=ops,
                     timeout=30).status_code == 200
    for n in range(3):
        shopper = headers_for(f"claimer-{n}-{uuid.uuid4().hex[:6]}")
        assert http.post(f"{stack.api_url}/templates/{created['id']}/claim", headers=shopper,
                         timeout=30).status_code == 201

    # When an operator opens the statistics and picks that template
    page = session.page("/console#stats", stack.api_url)
    sign_in(page, token("ops-claims", ("operator",)))
    stats = page.locator("#view-stats")
    expect(stats.locator("#claims-over-time figure")).to_contain_text("Claims and redemptions per day")
    stats.locator("#claims-over-time-template").select_option(label=name)

    # Then its chart (the last 7 days, the page's default range) has one column for today holding
    # the three claims, on a value axis that reaches 3
    chart = stats.locator("#claims-over-time figure")
    expect(chart).to_contain_text(f"Claims and redemptions per day: {name}")
    expect(chart.locator("rect.claimed title", has_text=": 3")).to_have_count(1)
    expect(chart.locator(".chart-tick", has_text="3")).to_have_count(1)
    chart.scroll_into_view_if_needed()
    session.shot(page, "claims-per-day")


def test_a_shopper_sees_the_rebate_a_payment_earned_and_withdraws_part_of_it(stack, session):
    shopper = f"rebated-{session.viewport}-{uuid.uuid4().hex[:6]}"
    # Given a payment of ¥200.00 by the shopper, settled under a 5% rule (and any other live rule)
    settled_rebate(stack, f"5% back {shopper}", 20000, user=shopper)
    http = http_session()
    account = http.get(f"{stack.api_url}/me/account", headers=headers_for(shopper), timeout=30).json()
    balance = account["balance"]
    assert balance >= 1000  # ¥10.00 from the 5% rule at least

    # When the shopper opens the mall page
    mall = session.page("/mall", stack.api_url)
    sign_in(mall, token(shopper))
    rebates = mall.locator("#rebates")

    # Then the balance and the rebate in the ledger show, in yuan
    expect(rebates.locator(".figure", has_text="Balance")).to_contain_text(yuan(balance))
    expect(rebates.locator("#ledger tbody tr", has_text="rebate of ¥10.00").first).to_contain_text("+¥10.00")
    expect(rebates.locator("#my-withdrawals")).to_contain_text("No withdrawals yet.")
    rebates.scroll_into_view_if_needed()
    session.shot(mall, "rebates")

    # When they withdraw ¥3.50, and then more than is left
    rebates.locator("#withdraw-amount").fill("3.50")
    rebates.get_by_role("button", name="Withdraw").click()

    # Then ¥3.50 is being withdrawn, pending, and the balance is ¥3.50 less
    expect(rebates.locator("#rebate-status")).to_contain_text("Asked to withdraw ¥3.50")
    expect(rebates.locator(".figure", has_text="Being withdrawn")).to_contain_text("¥3.50")
    expect(rebates.locator(".figure", has_text="Balance")).to_contain_text(yuan(balance - 350))
    row = rebates.locator("#my-withdrawals tbody tr").first
    expect(cell(row, "Amount")).to_have_text("¥3.50")
    expect(cell(row, "Status")).to_have_text("pending")
    expect(rebates.locator("#ledger")).to_contain_text("withdrawal asked")
    rebates.locator("#withdraw-amount").fill(str(balance))  # yuan: 100x what is left
    rebates.get_by_role("button", name="Withdraw").click()
    expect(rebates.locator("#withdraw-form .field-error")).to_have_text(f"Your balance cannot cover {yuan(balance * 100)}.")
    session.shot(mall, "withdrawal-asked")

    # When an operator approves it, the shopper sees it approved after a reload
    [withdrawal] = http.get(f"{stack.api_url}/me/withdrawals", headers=headers_for(shopper), timeout=30).json()["items"]
    assert http.post(f"{stack.api_url}/admin/withdrawals/{withdrawal['id']}/approve",
                     headers=headers_for("ops-rebates", operator=True), timeout=30).status_code == 200
    mall.reload()
    expect(cell(rebates.locator("#my-withdrawals tbody tr").first, "Status")).to_have_text("approved")
    expect(rebates.locator(".figure", has_text="Being withdrawn")).to_contain_text("¥0.00")
    expect(rebates.locator("#ledger")).to_contain_text("withdrawal paid out")
    session.shot(mall, "withdrawal-approved")


def test_an_operator_creates_an_exclusive_rebate_rule_from_the_console(stack, session):
    name = f"Exclusive {session.viewport} {uuid.uuid4().hex[:6]}"
    ops = session.page("/console#rules", stack.api_url)
    sign_in(ops, token("ops-exclusive", ("operator",)))
    ops.get_by_role("button", name="New rebate rule").click()
    form = ops.locator("#rule-form")
    form.locator("input[name=name]").fill(name)
    form.get_by_label(re.compile("^Exclusive")).check()
    form.get_by_role("button", name="Create draft rule").click()
    expect(ops.locator("#view-rules")).to_contain_text(f"Created the draft rule “{name}”")
    items = http_session().get(f"{stack.api_url}/admin/rebate-rules", params={"limit": 100},
                               headers=headers_for("ops-exclusive", operator=True), timeout=30).json()["items"]
    assert [rule["exclusive"] for rule in items if rule["name"] == name] == [True]


def test_each_role_sees_the_sections_it_may_read(stack, desktop):
    for roles, shown, hidden in [
        (("finance",), ["Withdrawals", "Audit"], ["Templates", "Rebate rules", "Statistics"]),
        (("marketing",), ["Templates", "Rebate rules", "Statistics", "Audit"], ["Withdrawals"]),
        (("auditor",), ["Templates", "Withdrawals", "Audit"], []),
    ]:
        page = desktop.page("/console", stack.api_url)
        sign_in(page, token(f"staff-{roles[0]}", roles))
        expect(page.locator("#who-name")).to_contain_text(roles[0])
        tabs = page.locator("#tabs")
        for title in shown:
            expect(tabs.get_by_role("link", name=title, exact=True)).to_be_visible()
        for title in hidden:
            expect(tabs.get_by_role("link", name=title, exact=True)).to_be_hidden()
        page.close()


def test_the_audit_view_lists_a_change_with_its_actor_and_what_it_moved(stack, session):
    actor = f"ops-audit-{session.viewport}-{uuid.uuid4().hex[:6]}"
    http, ops = http_session(), headers_for(actor, operator=True)
    name = f"Audited {uuid.uuid4().hex[:8]}"
    created = http.post(f"{stack.api_url}/admin/templates", json=template_body(name=name), headers=ops, timeout=30)
    assert created.status_code == 201, created.text
    template_id = created.json()["id"]
    assert http.post(f"{stack.api_url}/admin/templates/{template_id}/publish", headers=ops, timeout=30).ok

    page = session.page("/console#audit", stack.api_url)
    sign_in(page, token("auditor-1", ("auditor",)))
    view = page.locator("#view-audit")
    view.get_by_label("Who").fill(actor)
    view.get_by_role("button", name="Show").click()
    rows = view.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("publish")
    expect(cell(rows.nth(0), "Changes")).to_contain_text("status: draft → published")
    expect(rows.nth(1)).to_contain_text("create")
    expect(cell(rows.nth(1), "Changes")).to_contain_text(name)
    expect(cell(rows.nth(1), "Who")).to_have_text(actor)

    # One thing's history: the template by its id
    view.get_by_label("Who").fill("")
    view.get_by_label("Changed").select_option("template")
    view.get_by_label("Id").fill(template_id)
    view.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(2)
    session.shot(page, "audit")
