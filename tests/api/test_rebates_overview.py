"""Programme-wide rebate figures, counted once per payment: GET /admin/rebates/overview (moto).

A payment that earns under several rules is one payment and one sale here (the rules' own
totals each count it, as they should); the cost is what all rules gave, by asset."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import dynamo
from chalicelib.coupons import templates
from chalicelib.rebates import accounts, keys, rules, settlement
from tests.checkout_helpers import give
from tests.payment_helpers import NOW, live_rule, payment_event, refund_event

OVERVIEW = "/admin/rebates/overview"
NOTHING = {"balance": 0, "points": 0, "vouchers": 0}


def pay(amount, payment_id="pay_1", **kw):
    settlement.process(payment_event(payment_id, amount, **kw), NOW)


def refund(refund_id, payment_id="pay_1", **kw):
    settlement.process(refund_event(refund_id, payment_id, **kw), NOW + timedelta(days=1))


def three_rules():
    """5% to the balance, 300 points from ¥50, and 全返 of 10% in 3 parts."""
    return (live_rule(ratio_bp=500),
            live_rule(kind="threshold", ratio_bp=None, threshold={"min_paid": 5000, "amount": 300}, reward="points"),
            live_rule(kind="full_return", ratio_bp=1000, installments=3, period_days=10))


def overview(api):
    status, body = api.get(OVERVIEW, operator=True)
    assert status == 200, body
    return body


def test_three_live_rules_count_each_payment_once_in_the_programmes_sales(api):
    live = three_rules()
    amounts = [10000, 4000, 25000, 682]
    for i, amount in enumerate(amounts):
        pay(amount, payment_id=f"pay_{i}", user=f"user{i}")
    balance = sum(a * 500 // 10000 + a * 1000 // 10000 for a in amounts)  # 5% and the 10% schedule
    assert balance == 1984 + 3968
    assert overview(api) == {
        "payments": 4, "sales": 39682, "refunds": {"payments": 0, "amount": 0}, "net_sales": 39682,
        "granted": {"balance": balance, "points": 600, "vouchers": 0}, "taken_back": NOTHING,
        "cost": {"balance": balance, "points": 600, "vouchers": 0},
        "return_bp": (balance + 600) * 10000 // 39682, "vouchers_not_granted": 0, "days": [],
    }
    # the rules' own sales still count every payment that earned them, each
    assert [rules.get_rule(r.id).sales_driven for r in live] == [39682, 35000, 39682]


def test_a_redelivered_payment_or_one_under_another_event_id_counts_once(api):
    three_rules()
    for event_id in ("evt-a", "evt-a", "evt-b"):  # evt-b: e.g. Alipay's TRADE_FINISHED after TRADE_SUCCESS
        pay(10000, event_id=event_id)
    figures = overview(api)
    assert (figures["payments"], figures["sales"], figures["granted"]) == (
        1, 10000, {"balance": 500 + 1000, "points": 300, "vouchers": 0})


def test_a_payment_that_earns_nothing_still_counts_as_a_sale(api):
    live_rule(kind="threshold", ratio_bp=None, threshold={"min_paid": 50000, "amount": 900})
    pay(10000)
    figures = overview(api)
    assert (figures["payments"], figures["sales"], figures["cost"], figures["return_bp"]) == (1, 10000, NOTHING, 0)


def test_refunds_lower_the_sales_and_clawbacks_the_cost_once_each(api):
    three_rules()
    pay(10000)                    # 500 + 1000 (全返) balance, 300 points
    refund("r1", amount=5000)
    refund("r1", amount=5000)     # redelivered: counted once
    figures = overview(api)
    assert (figures["refunds"], figures["net_sales"]) == ({"payments": 0, "amount": 5000}, 5000)
    assert figures["taken_back"] == {"balance": 250 + 500, "points": 150, "vouchers": 0}
    assert figures["cost"] == {"balance": 750, "points": 150, "vouchers": 0}
    assert figures["return_bp"] == 900 * 10000 // 5000
    refund("r2", amount=5000)     # the rest: refunded in full
    figures = overview(api)
    assert (figures["payments"], figures["refunds"], figures["net_sales"]) == (
        1, {"payments": 1, "amount": 10000}, 0)
    assert (figures["cost"], figures["return_bp"]) == (NOTHING, None)


def test_vouchers_issued_and_revoked_are_counted_by_the_voucher(api):
    template = templates.get_template(give("ops-seed").template_id)
    live_rule(kind="threshold", ratio_bp=None, threshold={"min_paid": 20000},
              reward={"voucher_template_id": template.id})
    pay(30000)
    pay(30000)                    # redelivered
    assert overview(api)["granted"] == {"balance": 0, "points": 0, "vouchers": 1}
    refund("r1", amount=20000)    # kept 10,000: below the threshold, the voucher is revoked
    figures = overview(api)
    assert (figures["taken_back"], figures["cost"]) == (
        {"balance": 0, "points": 0, "vouchers": 1}, NOTHING)


def test_a_payment_recorded_before_the_programme_totals_is_left_out_of_them_and_so_are_its_refunds(api):
    rule = live_rule(ratio_bp=500)
    pay(10000)
    for key in keys.programme_totals_shards():      # as stored before the totals existed
        dynamo.client().delete_item(TableName=dynamo.table_name(), Key=dynamo.to_item(key))
    dynamo.update(keys.payment("generic:pay_1"), "REMOVE programme_counted")
    dynamo.update(keys.rebate("generic:pay_1", rule.id), "REMOVE programme_counted")
    refund("r1", amount=5000)
    figures = overview(api)
    assert (figures["payments"], figures["refunds"], figures["taken_back"]) == (
        0, {"payments": 0, "amount": 0}, NOTHING)
    assert accounts.get_account("alice").balance == 250  # the clawback itself still happens


def test_the_totals_are_spread_over_shards_by_payment(api):
    live_rule(ratio_bp=500)
    for i in range(12):
        pay(1000, payment_id=f"pay_{i}", user=f"user{i}")
    stored = [dynamo.get(key) or {} for key in keys.programme_totals_shards()]
    assert sum(int(item.get("payments", 0)) for item in stored) == 12
    assert sum(1 for item in stored if item) > 1


@pytest.mark.parametrize("who", [{"user": "alice"}, {"user": None}])
def test_only_operators_read_the_overview(api, who):
    status, body = api.get(OVERVIEW, **who)
    assert status in (401, 403)
    assert body["error"]["code"] in ("UNAUTHENTICATED", "FORBIDDEN")


def test_an_empty_programme_has_zero_figures_and_no_rate(api):
    assert overview(api) == {
        "payments": 0, "sales": 0, "refunds": {"payments": 0, "amount": 0}, "net_sales": 0, "granted": NOTHING,
        "taken_back": NOTHING, "cost": NOTHING, "return_bp": None, "vouchers_not_granted": 0, "days": [],
    }
