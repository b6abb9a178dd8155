"""Payment and refund events settled into rebates, clawbacks, instalments and debts (moto)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta

import pytest

from chalicelib.coupons import checkout, templates, wallet as coupon_wallet
from chalicelib.coupons.models import CouponListQuery
from chalicelib.jobs import registry as jobs
from chalicelib.jobs.budget import Unlimited
from chalicelib.models import PageQuery
from chalicelib.rebates import accounts, rules, settlement, settlement_store, withdrawals
from chalicelib.rebates.models import RuleCreate, WithdrawalCreate
from tests.checkout_helpers import give, lock_request
from tests.payment_helpers import NOW, live_rule, payment_event, refund_event, rule_body

pytestmark = pytest.mark.usefixtures("aws")


def account(user="alice"):
    return accounts.get_account(user)


def ledger(user="alice"):
    return accounts.list_ledger(user, PageQuery(limit=100)).items


def assert_ledger_explains_account(user="alice"):
    """Every asset's value is the sum of its ledger entries: nothing moved without an entry."""
    sums = defaultdict(int)
    for entry in ledger(user):
        sums[entry.asset] += entry.amount
    current = account(user)
    assert {a: sums[a] for a in ("balance", "frozen", "points", "debt", "points_debt")} == {
        "balance": current.balance, "frozen": current.frozen, "points": current.points, "debt": current.debt,
        "points_debt": current.points_debt}
    assert current.debt == 0 or current.balance == 0  # a debt exists only while there is no balance


def pay(amount=10000, payment_id="pay_1", **kw):
    settlement.process(payment_event(payment_id, amount, **kw), NOW)


def refund(refund_id, payment_id="pay_1", at=NOW, **kw):
    settlement.process(refund_event(refund_id, payment_id, **kw), at)


# --- payments -----------------------------------------------------------------------------

def test_a_fixed_ratio_rule_credits_the_balance_with_a_ledger_entry():
    rule = live_rule(ratio_bp=500)
    pay(10000)
    assert account().balance == 500
    [entry] = ledger()
    assert (entry.type, entry.amount, entry.asset, entry.ref, entry.rule_id) == (
        "rebate", 500, "balance", "generic:pay_1", rule.id)
    assert_ledger_explains_account()


def test_every_rule_live_at_paid_at_applies_and_no_other():
    live_rule(ratio_bp=100)
    live_rule(kind="threshold", ratio_bp=None, threshold={"min_paid": 5000, "amount": 300}, reward="points")
    live_rule(ratio_bp=9000, starts_at=(NOW + timedelta(seconds=1)).isoformat())  # not started
    live_rule(ratio_bp=9000, ends_at=NOW.isoformat())                             # ended at paid_at
    paused = live_rule(ratio_bp=9000)
    rules.change_rule_status(paused.id, "pause", NOW)
    rules.create_rule(RuleCreate.model_validate_json(json.dumps(rule_body(ratio_bp=9000))), NOW, None)  # draft
    pay(10000)
    current = account()
    assert (current.balance, current.points) == (100, 300)


def test_a_tiered_rule_pays_the_reached_step_on_the_whole_amount():
    live_rule(kind="tiered", ratio_bp=None, ladder=[{"min_paid": 10000, "ratio_bp": 100},
                                                    {"min_paid": 50000, "ratio_bp": 300}])
    pay(60000)
    assert account().balance == 1800


def test_a_delivery_repeated_or_under_another_event_id_has_one_effect():
    live_rule(ratio_bp=500)
    pay(10000, event_id="evt-a")
    pay(10000, event_id="evt-a")
    pay(10000, event_id="evt-b")  # e.g. Alipay's TRADE_FINISHED after TRADE_SUCCESS
    assert account().balance == 500
    assert len(ledger()) == 1


def test_the_rules_are_the_ones_recorded_with_the_payment_when_it_resumes():
    live_rule(ratio_bp=500)
    event = payment_event("pay_1", 10000)
    settlement.record_payment(event, NOW)  # a delivery that stopped after recording the payment
    live_rule(ratio_bp=2000)               # published afterwards: not in the payment's snapshot
    settlement.process(event, NOW)
    assert account().balance == 500


def test_the_orders_coupons_become_used_and_a_full_refund_restores_them():
    coupon = give("alice")
    checkout.lock_coupon("alice", coupon.id, lock_request("order-pay_1", 20000), NOW)
    pay(20000, coupon_ids=[coupon.id])
    assert coupon_wallet.get_coupon("alice", coupon.id, NOW).status == "used"
    refund("r1", amount=5000)
    assert coupon_wallet.get_coupon("alice", coupon.id, NOW).status == "used"  # partial: still used
    refund("r2", amount=15000)
    assert coupon_wallet.get_coupon("alice", coupon.id, NOW).status == "unused"


# --- caps ---------------------------------------------------------------------------------

def test_a_per_order_cap_pays_up_to_the_cap():
    live_rule(ratio_bp=500, caps={"per_order": 300})
    pay(10000)
    assert account().balance == 300


def test_a_per_user_daily_cap_counts_by_beijing_day():
    live_rule(ratio_bp=500, caps={"per_user_per_day": 700})
    pay(10000, payment_id="p1")
    pay(10000, payment_id="p2")                                # same day: 200 left
    pay(10000, payment_id="p3")                                # nothing left
    pay(10000, payment_id="p4", paid_at=NOW + timedelta(hours=12))  # 00:00 Beijing next day
    assert [e.amount for e in reversed(ledger())] == [500, 200, 500]
    assert account().balance == 1200


def test_a_rule_budget_is_spent_to_the_last_fen_and_no_further():
    rule = live_rule(ratio_bp=500, caps={"budget": 1200})
    for i in range(4):
        pay(10000, payment_id=f"p{i}", user=f"user{i}")
    assert [account(f"user{i}").balance for i in range(4)] == [500, 500, 200, 0]
    assert rules.get_rule(rule.id).budget_used == 1200


# --- vouchers -----------------------------------------------------------------------------

def voucher_rule(min_paid=20000):
    template = templates.get_template(give("ops-seed").template_id)
    return live_rule(kind="threshold", ratio_bp=None, threshold={"min_paid": min_paid},
                     reward={"voucher_template_id": template.id}), template


def wallet(user="alice"):
    return coupon_wallet.list_coupons(user, CouponListQuery(limit=100), NOW).items


def test_a_voucher_reward_is_granted_once_the_threshold_is_reached():
    _, template = voucher_rule(20000)
    pay(19999, payment_id="small")
    assert wallet() == []
    pay(20000, payment_id="big")
    pay(20000, payment_id="big")
    [voucher] = wallet()
    assert voucher.template_id == template.id


def test_a_payment_of_0_fen_is_recorded_returns_nothing_and_a_refund_of_it_completes_it():
    live_rule()
    full_return()
    pay(0)
    assert (account().balance, account().pending_instalments) == (0, [])
    assert settlement_store.get_payment("generic:pay_1").status == "applied"
    refund("r1", amount=100)
    stored = settlement_store.get_payment("generic:pay_1")
    assert (stored.refunded, account().balance) == (0, 0)   # nothing was paid, nothing to take back
    assert ledger() == []


def test_a_refund_below_the_threshold_revokes_the_unused_voucher():
    voucher_rule(20000)
    pay(30000)
    refund("r1", amount=10000)        # kept 20,000: still reaches the threshold
    assert wallet()[0].status == "unused"
    refund("r2", amount=1)            # kept 19,999
    assert wallet()[0].status == "revoked"


# --- refunds ------------------------------------------------------------------------------

def test_a_partial_refund_claws_back_in_proportion():
    live_rule(ratio_bp=500)
    pay(10000)
    refund("r1", amount=3333)
    assert account().balance == 500 - 166  # 500 * 3333 / 10000 = 166.65, rounded down
    [clawback, _] = ledger()
    assert (clawback.type, clawback.amount, clawback.asset, clawback.ref) == ("clawback", -166, "balance",
                                                                              "generic:pay_1")


def test_partial_refunds_ending_in_a_full_one_claw_back_exactly_the_rebate():
    live_rule(ratio_bp=777)
    pay(9999)
    granted = account().balance
    for i, amount in enumerate([1, 1234, 3333, 2000]):
        refund(f"r{i}", amount=amount)
    refund("last", amount=9999 - 1 - 1234 - 3333 - 2000)
    assert account().balance == 0
    assert -sum(e.amount for e in ledger() if e.type == "clawback") == granted
    assert_ledger_explains_account()


def test_a_redelivered_refund_claws_back_once():
    live_rule(ratio_bp=500)
    pay(10000)
    for _ in range(3):
        refund("r1", amount=5000)
    assert account().balance == 250


def test_refunds_beyond_the_paid_amount_are_counted_up_to_it():
    live_rule(ratio_bp=500)
    pay(10000)
    refund("r1", amount=8000)
    refund("r2", amount=8000)
    assert account().balance == 0
    assert settlement_store.get_payment("generic:pay_1").refunded == 10000


def test_cumulative_refund_totals_delivered_out_of_order_settle_to_the_latest_total():
    live_rule(ratio_bp=500)
    pay(10000, provider="alipay")
    refund("r2", provider="alipay", refunded_total=5000)  # the second refund's notice comes first
    refund("r1", provider="alipay", refunded_total=3000)  # the older, smaller total changes nothing
    refund("r2", provider="alipay", refunded_total=5000)  # and a redelivery neither
    assert account().balance == 250
    assert settlement_store.get_payment("alipay:pay_1").refunded == 5000


def test_a_refund_before_its_payment_is_not_ready_and_succeeds_after_it():
    live_rule(ratio_bp=500)
    with pytest.raises(settlement.NotReady):
        refund("r1", amount=5000)
    pay(10000)
    refund("r1", amount=5000)
    assert account().balance == 250


def test_a_refund_naming_another_user_is_unprocessable():
    pay(10000)
    with pytest.raises(settlement.Unprocessable):
        settlement.process(refund_event("r1", amount=1).model_copy(update={"user_id": "mallory"}), NOW)


def test_a_clawback_larger_than_the_balance_leaves_a_debt_repaid_by_later_rebates():
    live_rule(ratio_bp=1000)
    pay(10000, payment_id="p1")                                  # +1000
    withdrawals.request_withdrawal("alice", WithdrawalCreate(amount=800), NOW, None)  # balance 200
    refund("r1", payment_id="p1", amount=10000)                  # -1000: 200 taken, 800 owed
    current = account()
    assert (current.balance, current.frozen, current.debt) == (0, 800, 800)
    pay(5000, payment_id="p2")                                   # +500 repays debt
    pay(10000, payment_id="p3")                                  # +1000: 300 repays, 700 to balance
    current = account()
    assert (current.balance, current.debt) == (700, 0)
    assert_ledger_explains_account()


# --- 全返 instalments ----------------------------------------------------------------------

def release(now):
    """Run the instalment release job as of `now`; how many it released."""
    return jobs.run("release-instalments", now, Unlimited()).changed


def full_return(**kw):
    return live_rule(kind="full_return", ratio_bp=None, installments=3, period_days=30, **kw)


def test_full_return_schedules_instalments_released_when_due():
    full_return()
    pay(1000)
    current = account()
    assert current.balance == 0
    assert [(i.amount, i.due_at - NOW) for i in current.pending_instalments] == [
        (333, timedelta(days=30)), (333, timedelta(days=60)), (334, timedelta(days=90))]
    assert release(NOW + timedelta(days=30, seconds=-1)) == 0
    assert release(NOW + timedelta(days=30)) == 1
    assert release(NOW + timedelta(days=30)) == 0   # a re-run releases nothing twice
    assert account().balance == 333
    assert release(NOW + timedelta(days=365)) == 2
    assert (account().balance, account().pending_instalments) == (1000, [])
    assert [e.type for e in ledger()] == ["instalment"] * 3
    assert_ledger_explains_account()


class AfterReleases:
    """A budget that runs out once `n` instalments have been released."""

    def __init__(self, n):
        self.n, self.done = n, 0

    def exhausted(self):
        return self.done >= self.n


def test_a_release_run_stopped_by_its_budget_resumes_at_the_next_run(monkeypatch):
    full_return()
    pay(1000, "pay_1")
    pay(2000, "pay_2")
    budget = AfterReleases(1)
    real = settlement._release

    def counted(*args):
        real(*args)
        budget.done += 1

    monkeypatch.setattr(settlement, "_release", counted)
    first = jobs.run("release-instalments", NOW + timedelta(days=30), budget)
    assert (first.changed, first.finished) == (1, False)
    budget.n = 100
    second = jobs.run("release-instalments", NOW + timedelta(days=30), budget)
    assert (second.changed, second.finished) == (1, True)
    assert account().balance == 333 + 666
    assert jobs.run("release-instalments", NOW + timedelta(days=30), Unlimited()).changed == 0


def test_a_partial_refund_cancels_unreleased_instalments_latest_first():
    full_return()
    pay(1000)
    refund("r1", amount=500)  # 500 of the 1000 rebate go: 334 (last) and 166 of the second
    assert [i.amount for i in account().pending_instalments] == [333, 167]
    assert release(NOW + timedelta(days=365)) == 2
    assert account().balance == 500


def test_a_full_refund_after_a_release_cancels_the_rest_and_claws_back_the_released_part():
    full_return()
    pay(1000)
    release(NOW + timedelta(days=30))
    refund("r1", amount=1000, at=NOW + timedelta(days=31))
    current = account()
    assert (current.balance, current.pending_instalments) == (0, [])
    assert release(NOW + timedelta(days=365)) == 0
    assert_ledger_explains_account()


# --- rule totals: rebated payments, rebate cost, sales driven --------------------------------

def totals(rule):
    current = rules.get_rule(rule.id)
    return current.rebated_payments, current.rebate_cost, current.sales_driven


def test_a_grant_adds_the_payment_to_its_rules_totals_once_however_often_it_is_delivered():
    rule = live_rule(ratio_bp=500)
    pay(10000, event_id="evt-a")
    pay(10000, event_id="evt-a")
    pay(10000, event_id="evt-b")  # the same payment under another event id
    pay(4000, payment_id="pay_2")
    assert totals(rule) == (2, 500 + 200, 14000)


def test_every_rule_a_payment_earns_counts_the_payment_as_its_sales():
    cash = live_rule(ratio_bp=500)
    points = live_rule(kind="threshold", ratio_bp=None, threshold={"min_paid": 5000, "amount": 300}, reward="points")
    missed = live_rule(kind="threshold", ratio_bp=None, threshold={"min_paid": 20000, "amount": 900})
    pay(10000)
    assert (totals(cash), totals(points), totals(missed)) == ((1, 500, 10000), (1, 300, 10000), (0, 0, 0))


def test_a_payment_left_nothing_by_the_budget_is_not_counted():
    rule = live_rule(ratio_bp=500, caps={"budget": 1200})
    for i in range(4):
        pay(10000, payment_id=f"p{i}", user=f"user{i}")  # 500, 500, 200, then nothing
    assert totals(rule) == (3, 1200, 30000)


def test_a_budgeted_rule_keeps_its_totals_on_the_rule_item_and_others_on_shards():
    """The rule item of a budgeted rule is written by every grant anyway; another rule's item is never
    written by a grant (it is indexed twice), so its totals live on shards of their own."""
    from chalicelib import dynamo
    from chalicelib.rebates import keys

    budgeted, free = live_rule(ratio_bp=500, caps={"budget": 100000}), live_rule(ratio_bp=100)
    for i in range(6):
        pay(10000, payment_id=f"p{i}")

    def stored(key):
        item = dynamo.get(key, consistent=True) or {}
        return tuple(int(item.get(name, 0)) for name in ("rebated_payments", "rebate_cost", "sales_driven"))

    assert stored(keys.rule(budgeted.id)) == (6, 3000, 60000)
    assert all(stored(k) == (0, 0, 0) for k in keys.rule_stats_shards(budgeted.id))
    assert stored(keys.rule(free.id)) == (0, 0, 0)
    shards = [stored(k) for k in keys.rule_stats_shards(free.id)]
    assert tuple(map(sum, zip(*shards))) == (6, 600, 60000)
    assert totals(budgeted) == (6, 3000, 60000) and totals(free) == (6, 600, 60000)


def test_refunds_take_the_clawback_off_the_cost_and_the_refund_off_the_sales_once_each():
    rule = live_rule(ratio_bp=500, caps={"budget": 100000})
    pay(10000)
    refund("r1", amount=3333)
    refund("r1", amount=3333)          # redelivered: counted once
    assert totals(rule) == (1, 500 - 166, 10000 - 3333)
    refund("r2", amount=1)             # clawback still 166 (rounded down), the sale smaller by 1 fen
    assert totals(rule) == (1, 500 - 166, 10000 - 3334)
    refund("r3", amount=10000 - 3334)  # the rest: nothing left of the payment
    assert totals(rule) == (0, 0, 0)
    assert rules.get_rule(rule.id).budget_used == 500  # a clawback gives no cap room back


def test_cumulative_refund_totals_out_of_order_count_the_latest_total_once():
    rule = live_rule(ratio_bp=500)
    pay(10000, provider="alipay")
    refund("r2", provider="alipay", refunded_total=5000)
    refund("r1", provider="alipay", refunded_total=3000)  # older and smaller: nothing
    refund("r2", provider="alipay", refunded_total=5000)
    assert totals(rule) == (1, 250, 5000)


def test_cancelled_instalments_lower_the_cost_of_a_full_return_rule():
    rule = full_return()
    pay(1000)
    assert totals(rule) == (1, 1000, 1000)  # the whole scheduled amount is committed at once
    refund("r1", amount=500)
    assert totals(rule) == (1, 500, 500)
    release(NOW + timedelta(days=365))
    assert totals(rule) == (1, 500, 500)    # releasing costs nothing more


def test_a_voucher_rule_counts_the_sales_of_payments_that_earned_a_voucher_at_no_fen_cost():
    rule, _ = voucher_rule(20000)
    pay(19999, payment_id="small")
    pay(30000, payment_id="big")
    assert totals(rule) == (1, 0, 30000)
    refund("r1", payment_id="big", amount=10001)  # the voucher is revoked, the sale is smaller
    assert wallet()[0].status == "revoked"
    assert totals(rule) == (1, 0, 19999)


def test_a_refund_of_a_rebate_stored_before_rules_had_totals_claws_back_and_leaves_the_totals():
    from chalicelib import dynamo
    from chalicelib.rebates import keys

    rule = live_rule(ratio_bp=500)
    pay(10000)
    dynamo.update(keys.rebate("generic:pay_1", rule.id), "REMOVE counted, refunds_counted")  # as stored before
    refund("r1", amount=5000)
    assert account().balance == 250
    assert totals(rule) == (1, 500, 10000)  # an uncounted rebate's refunds are not taken off the totals
