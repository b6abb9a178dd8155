"""A voucher reward that cannot be granted is recorded where the operator and the shopper see it:
on the payment's rebate entry, in the rule's figures and the programme overview, and as a
ledger entry of 0 (moto; the crash-and-redeliver case is in test_payment_crash.py)."""

from __future__ import annotations

import pytest

from chalicelib.coupons import redemption, templates
from chalicelib.models import PageQuery
from chalicelib.rebates import accounts, rules, settlement, settlement_store
from tests.checkout_helpers import give
from tests.payment_helpers import NOW, live_rule, payment_event

pytestmark = pytest.mark.usefixtures("aws")


def voucher_rule(template_id, min_paid=20000):
    return live_rule(kind="threshold", ratio_bp=None, threshold={"min_paid": min_paid},
                     reward={"voucher_template_id": template_id})


def at_the_limit():
    """A template of one per shopper, of which alice holds one already."""
    return give("alice", per_user_limit=1).template_id


def sold_out():
    return give("ops-seed", total_stock=1).template_id


def ended():
    template_id = give("ops-seed").template_id
    templates.change_template_status(template_id, "end", NOW)
    return template_id


def pay(amount=30000, payment_id="pay_1", **kw):
    settlement.process(payment_event(payment_id, amount, **kw), NOW)


def ledger(user="alice"):
    return accounts.list_ledger(user, PageQuery(limit=100)).items


@pytest.mark.parametrize("template, reason", [
    (at_the_limit, "LIMIT_REACHED"), (sold_out, "SOLD_OUT"), (ended, "NOT_CLAIMABLE"),
])
def test_a_voucher_that_cannot_be_granted_is_recorded_with_its_reason(template, reason):
    rule = voucher_rule(template())
    pay()
    rebate = settlement_store.get_rebate("generic:pay_1", rule.id)
    assert (rebate.voucher_state, rebate.not_granted_reason, rebate.coupon_id, rebate.counted) == (
        "not_granted", reason, None, False)
    current = rules.get_rule(rule.id)
    assert (current.rewards_not_granted, current.rebated_payments, current.sales_driven) == (1, 0, 0)
    [entry] = ledger()
    assert (entry.type, entry.amount, entry.asset, entry.reason, entry.ref, entry.rule_id) == (
        "voucher_not_granted", 0, "voucher", reason, "generic:pay_1", rule.id)


def test_a_redelivered_payment_records_the_voucher_not_granted_once():
    rule = voucher_rule(at_the_limit())
    for event_id in ("evt-a", "evt-a", "evt-b"):
        pay(event_id=event_id)
    assert rules.get_rule(rule.id).rewards_not_granted == 1
    assert [e.type for e in ledger()] == ["voucher_not_granted"]
    assert rules.overview().vouchers_not_granted == 1


def test_each_payment_not_granted_its_voucher_counts_in_the_rules_figures():
    rule = voucher_rule(at_the_limit())
    pay(payment_id="p1")
    pay(payment_id="p2")
    pay(10000, payment_id="small")  # below the threshold: no voucher was due, nothing to report
    assert rules.get_rule(rule.id).rewards_not_granted == 2
    assert [e.ref for e in ledger()] == ["generic:p2", "generic:p1"]
    assert settlement_store.get_rebate("generic:small", rule.id).voucher_state is None


def test_a_voucher_granted_leaves_no_not_granted_trace():
    rule = voucher_rule(give("ops-seed").template_id)
    pay()
    assert settlement_store.get_rebate("generic:pay_1", rule.id).voucher_state == "granted"
    assert (rules.get_rule(rule.id).rewards_not_granted, ledger()) == (0, [])


def test_operators_and_the_shopper_see_it_over_http(api):
    rule = voucher_rule(at_the_limit())
    pay()
    status, seen = api.get(f"/admin/rebate-rules/{rule.id}", operator=True)
    assert (status, seen["rewards_not_granted"]) == (200, 1)
    status, page = api.get("/me/rebates", user="alice")
    assert status == 200
    [entry] = page["items"]
    assert {k: entry[k] for k in ("type", "amount", "asset", "reason", "ref", "rule_id")} == {
        "type": "voucher_not_granted", "amount": 0, "asset": "voucher", "reason": "LIMIT_REACHED",
        "ref": "generic:pay_1", "rule_id": rule.id}
    status, figures = api.get("/admin/rebates/overview", operator=True)
    assert (status, figures["vouchers_not_granted"]) == (200, 1)


@pytest.mark.parametrize("template, reason", [
    (at_the_limit, "LIMIT_REACHED"), (sold_out, "SOLD_OUT"), (ended, "NOT_CLAIMABLE"),
])
def test_the_rules_figures_count_each_refusal_by_its_reason_once_however_often_redelivered(template, reason):
    rule = voucher_rule(template())
    for event_id in ("evt-a", "evt-a", "evt-b"):
        pay(event_id=event_id)
    current = rules.get_rule(rule.id)
    assert (current.rewards_not_granted, current.rewards_not_granted_by_reason) == (1, {reason: 1})


def test_refusals_of_different_reasons_are_counted_apart_and_add_up():
    template_id = give("alice", per_user_limit=1, total_stock=2).template_id
    rule = voucher_rule(template_id)
    pay(payment_id="p1")  # alice holds one already: LIMIT_REACHED
    redemption.grant_one(template_id, "bob", NOW, "bob-1")  # the second unit goes: SOLD_OUT for carol
    pay(payment_id="p2", user="carol")
    current = rules.get_rule(rule.id)
    assert current.rewards_not_granted_by_reason == {"LIMIT_REACHED": 1, "SOLD_OUT": 1}
    assert sum(current.rewards_not_granted_by_reason.values()) == current.rewards_not_granted == 2


def test_operators_see_the_counts_by_reason_over_http(api):
    rule = voucher_rule(at_the_limit())
    pay()
    status, seen = api.get(f"/admin/rebate-rules/{rule.id}", operator=True)
    assert (status, seen["rewards_not_granted_by_reason"]) == (200, {"LIMIT_REACHED": 1})
