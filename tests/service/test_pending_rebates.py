"""Pending rebates (issue 17, item 1): a rule's `pending_days` keeps its reward pending through
the return window; `release-pending` makes it spendable once; a refund inside the window takes
it back from pending, never as debt (moto)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta

import pytest

from chalicelib.coupons import wallet as coupon_wallet
from chalicelib.coupons.models import CouponListQuery
from chalicelib.jobs import registry as jobs
from chalicelib.jobs.budget import Unlimited
from chalicelib.models import PageQuery
from chalicelib.rebates import accounts, rules, settlement, settlement_store, withdrawals
from chalicelib.rebates.models import RuleCreate, WithdrawalCreate
from tests.checkout_helpers import give
from tests.payment_helpers import NOW, live_rule, payment_event, refund_event, rule_body

pytestmark = pytest.mark.usefixtures("aws")
WINDOW_END = NOW + timedelta(days=7)
ASSETS = ("balance", "frozen", "points", "debt", "points_debt", "pending_balance", "pending_points")


def account(user="alice"):
    return accounts.get_account(user)


def ledger(user="alice"):
    return accounts.list_ledger(user, PageQuery(limit=100)).items


def assert_ledger_explains_account(user="alice"):
    sums: dict[str, int] = defaultdict(int)
    for entry in ledger(user):
        sums[entry.asset] += entry.amount
    current = account(user).model_dump()
    assert {a: sums[a] for a in ASSETS} == {a: current[a] for a in ASSETS}


def pay(amount=10000, payment_id="pay_1", **kw):
    settlement.process(payment_event(payment_id, amount, **kw), NOW)


def refund(refund_id, amount, payment_id="pay_1", at=NOW + timedelta(days=1)):
    settlement.process(refund_event(refund_id, payment_id, amount=amount), at)


def release(at):
    return jobs.run("release-pending", at, Unlimited())


def test_a_rule_takes_pending_days_0_to_90_default_0():
    def parsed(**overrides):
        return RuleCreate.model_validate_json(json.dumps(rule_body(**overrides)))

    assert parsed().pending_days == 0
    assert parsed(pending_days=90).pending_days == 90
    for bad in (-1, 91, "7", 1.5):
        with pytest.raises(ValueError):
            parsed(pending_days=bad)


def test_a_pending_rule_credits_pending_balance_not_the_balance():
    rule = live_rule(ratio_bp=500, pending_days=7)
    assert rules.get_rule(rule.id).pending_days == 7
    pay(10000)
    shown = account()
    assert (shown.balance, shown.pending_balance) == (0, 500)
    [entry] = ledger()
    assert (entry.type, entry.asset, entry.amount) == ("rebate", "pending_balance", 500)
    assert_ledger_explains_account()


def test_release_pending_moves_what_is_due_to_the_balance_once():
    rule = live_rule(ratio_bp=500, pending_days=7)
    live_rule(ratio_bp=1000, reward="points", pending_days=7)
    pay(10000)
    assert release(WINDOW_END - timedelta(seconds=1)).changed == 0  # not yet due
    assert (account().pending_points, account().points) == (1000, 0)
    report = release(WINDOW_END)
    assert (report.read, report.changed) == (2, 2)
    shown = account()
    assert (shown.balance, shown.points, shown.pending_balance, shown.pending_points) == (500, 1000, 0, 0)
    releases = [e for e in ledger() if e.type == "release"]
    assert sorted((e.asset, e.amount, e.ref) for e in releases) == [
        ("balance", 500, "generic:pay_1"), ("pending_balance", -500, "generic:pay_1"),
        ("pending_points", -1000, "generic:pay_1"), ("points", 1000, "generic:pay_1")]
    again = release(WINDOW_END)
    assert (again.read, again.changed) == (0, 0)  # out of the due index: nothing read, nothing changed
    assert account().balance == 500
    assert settlement_store.get_rebate("generic:pay_1", rule.id).pending_state == "released"
    assert_ledger_explains_account()


def test_release_happens_whatever_the_rules_status():
    rule = live_rule(ratio_bp=500, pending_days=7)
    pay(10000)
    rules.change_rule_status(rule.id, "end", NOW + timedelta(days=1))
    assert release(WINDOW_END).changed == 1
    assert account().balance == 500


def test_a_refund_inside_the_window_takes_back_from_pending_and_leaves_no_debt():
    live_rule(ratio_bp=500, pending_days=7)
    pay(10000)
    refund("r1", 4000)
    shown = account()
    assert (shown.pending_balance, shown.balance, shown.debt) == (300, 0, 0)
    refund("r2", 6000)
    shown = account()
    assert (shown.pending_balance, shown.balance, shown.debt) == (0, 0, 0)
    assert release(WINDOW_END).read == 0  # refunded in full: the wait ended, out of the due index
    assert_ledger_explains_account()


def test_a_partial_refund_inside_the_window_releases_the_rest():
    live_rule(ratio_bp=500, pending_days=7)
    pay(10000)
    refund("r1", 4000)
    assert release(WINDOW_END).changed == 1
    assert (account().balance, account().pending_balance) == (300, 0)
    assert_ledger_explains_account()


def test_a_refund_after_the_release_claws_back_as_before_debt_and_all():
    live_rule(ratio_bp=500, pending_days=7)
    pay(10000)
    release(WINDOW_END)
    settlement.process(payment_event("pay_2", 0, order_id="o2"), NOW)  # nothing, just another payment
    refund("r1", 10000, at=WINDOW_END + timedelta(days=1))
    shown = account()
    assert (shown.balance, shown.debt, shown.pending_balance) == (0, 0, 0)
    assert [e.type for e in ledger() if e.asset == "balance"].count("clawback") == 1
    assert_ledger_explains_account()


def test_a_released_rebate_repays_a_debt_first():
    live_rule(ratio_bp=500, pending_days=7)
    pay(10000, payment_id="pay_1")
    release(WINDOW_END)
    withdrawals.request_withdrawal("alice", WithdrawalCreate(amount=500), WINDOW_END, None)  # the 500 frozen
    pay(10000, payment_id="pay_2", paid_at=WINDOW_END)
    refund("r1", 10000, payment_id="pay_1", at=WINDOW_END)  # released already: clawed back, found 0
    assert (account().balance, account().debt, account().pending_balance) == (0, 500, 500)
    assert release(WINDOW_END + timedelta(days=7)).changed == 1
    assert (account().balance, account().debt, account().pending_balance) == (0, 0, 0)
    releases = sorted((e.asset, e.amount) for e in ledger() if e.type == "release" and e.ref == "generic:pay_2")
    assert releases == [("debt", -500), ("pending_balance", -500)]
    assert_ledger_explains_account()


def test_full_return_parts_wait_for_the_window():
    """Documented choice (docs/rebates.md): no 全返 part falls due before the window ends."""
    rule = live_rule(kind="full_return", ratio_bp=1000, installments=3, period_days=5, pending_days=12)
    pay(10000)
    rebate = settlement_store.get_rebate("generic:pay_1", rule.id)
    assert [(p.due_at - NOW).days for p in rebate.plan] == [12, 12, 15]
    assert account().pending_balance == 0  # instalments are their own wait


def test_a_pending_voucher_is_granted_when_the_window_ends():
    template_id = give("ops-seed", claim_ends_at=NOW + timedelta(days=30)).template_id
    rule = live_rule(kind="threshold", ratio_bp=None, threshold={"min_paid": 5000},
                     reward={"voucher_template_id": template_id}, pending_days=7)
    pay(10000)
    assert settlement_store.get_rebate("generic:pay_1", rule.id).voucher_state == "pending"
    assert coupon_wallet.list_coupons("alice", CouponListQuery(), NOW).items == []
    assert release(WINDOW_END).changed == 1
    rebate = settlement_store.get_rebate("generic:pay_1", rule.id)
    assert (rebate.voucher_state, rebate.pending_state, rebate.counted) == ("granted", "released", True)
    [coupon] = coupon_wallet.list_coupons("alice", CouponListQuery(), NOW).items
    assert coupon.id == rebate.coupon_id
    assert rules.get_rule(rule.id).rebated_payments == 1
    assert release(WINDOW_END).changed == 0


def test_a_pending_voucher_whose_template_ended_meanwhile_is_recorded_not_granted():
    template_id = give("ops-seed", claim_ends_at=NOW + timedelta(days=1)).template_id
    rule = live_rule(kind="threshold", ratio_bp=None, threshold={"min_paid": 5000},
                     reward={"voucher_template_id": template_id}, pending_days=7)
    pay(10000)
    assert release(WINDOW_END).changed == 1
    rebate = settlement_store.get_rebate("generic:pay_1", rule.id)
    assert (rebate.voucher_state, rebate.not_granted_reason) == ("not_granted", "NOT_CLAIMABLE")
    [notice] = ledger()
    assert (notice.type, notice.reason) == ("voucher_not_granted", "NOT_CLAIMABLE")
    assert rules.get_rule(rule.id).rewards_not_granted == 1


def test_a_pending_voucher_refunded_below_its_threshold_is_never_granted():
    template_id = give("ops-seed", claim_ends_at=NOW + timedelta(days=30)).template_id
    rule = live_rule(kind="threshold", ratio_bp=None, threshold={"min_paid": 8000},
                     reward={"voucher_template_id": template_id}, pending_days=7)
    pay(10000)
    refund("r1", 3000)
    assert release(WINDOW_END).changed == 1
    rebate = settlement_store.get_rebate("generic:pay_1", rule.id)
    assert (rebate.voucher_state, rebate.coupon_id, rebate.counted) == ("cancelled", None, False)
    assert coupon_wallet.list_coupons("alice", CouponListQuery(), NOW).items == []


def test_a_refund_landing_between_the_voucher_grant_and_its_record_is_decided_again(monkeypatch):
    """The release grants the voucher, then a refund takes the payment below the threshold before
    the release records it: the record's pin on the refunded total refuses it, and the release
    decides again: cancelled, and the coupon it granted revoked."""
    from chalicelib.rebates import pending

    template_id = give("ops-seed", claim_ends_at=NOW + timedelta(days=30)).template_id
    rule = live_rule(kind="threshold", ratio_bp=None, threshold={"min_paid": 8000},
                     reward={"voucher_template_id": template_id}, pending_days=7)
    pay(10000)
    real_grant = pending.coupons.grant_one

    def grant_then_refund(*args, **kwargs):
        coupon = real_grant(*args, **kwargs)
        if not settlement_store.get_payment("generic:pay_1").refunded:
            refund("r1", 3000, at=WINDOW_END)
        return coupon

    monkeypatch.setattr(pending.coupons, "grant_one", grant_then_refund)
    assert release(WINDOW_END).changed == 1
    rebate = settlement_store.get_rebate("generic:pay_1", rule.id)
    assert (rebate.voucher_state, rebate.pending_state, rebate.counted) == ("cancelled", "cancelled", False)
    [coupon] = coupon_wallet.list_coupons("alice", CouponListQuery(status="revoked"), NOW).items
    assert coupon.template_id == template_id
    assert rules.get_rule(rule.id).rebated_payments == 0


class AfterItems:
    """A budget that runs out once `n` items were handed to the job (checked between items)."""

    def __init__(self, n: int) -> None:
        self.n, self.done = n, 0

    def exhausted(self) -> bool:
        return self.done >= self.n


def test_a_release_stopped_by_its_budget_resumes_and_reads_only_what_is_due(monkeypatch):
    from chalicelib.rebates import pending

    live_rule(ratio_bp=500, pending_days=7)
    live_rule(ratio_bp=500, pending_days=30)  # not due yet: never read
    for n in range(3):
        pay(10000, payment_id=f"pay_{n}")
    budget, real = AfterItems(2), pending._release

    def counted(*args):
        real(*args)
        budget.done += 1

    monkeypatch.setattr(pending, "_release", counted)
    first = jobs.run("release-pending", WINDOW_END, budget)
    assert (first.read, first.changed, first.finished) == (3, 2, False)
    budget.n = 100
    second = jobs.run("release-pending", WINDOW_END, budget)
    assert (second.read, second.changed, second.finished) == (1, 1, True)
    assert (account().balance, account().pending_balance) == (1500, 1500)
