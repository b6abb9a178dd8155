"""The return cap (`max_return_bp`) and exclusive rules in settlement (moto): what all rules
together return on one payment, in the order the rules were published."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib.models import PageQuery
from chalicelib.rebates import accounts, rules, settlement, settlement_store, shares
from chalicelib.rebates.models import RuleCreate
from tests.checkout_helpers import give
from tests.payment_helpers import NOW, live_rule, payment_event, refund_event, rule_body
from tests.programme_helpers import set_programme

pytestmark = pytest.mark.usefixtures("aws")


def pay(amount=10000, payment_id="pay_1"):
    settlement.process(payment_event(payment_id, amount), NOW)


def rebate(rule, payment_id="pay_1"):
    return settlement_store.get_rebate(f"generic:{payment_id}", rule.id)


def published(minutes, **fields):
    """A live rule published `minutes` after NOW - 1 h (rules share the cap in that order)."""
    return live_rule(now=NOW - timedelta(hours=1) + timedelta(minutes=minutes), **fields)


def test_two_rules_of_60_percent_under_a_cap_of_100_percent_return_100_percent():
    first, second = published(1, ratio_bp=6000), published(2, ratio_bp=6000)
    pay(10000)
    assert accounts.get_account("alice").balance == 10000
    assert (rebate(first).amount, rebate(first).limited_by) == (6000, None)
    assert (rebate(second).computed, rebate(second).amount, rebate(second).limited_by) == (6000, 4000, "return_cap")
    assert settlement_store.get_payment("generic:pay_1").returned == 10000


def test_a_grant_computed_from_a_stale_running_return_is_refused_and_computed_again(monkeypatch):
    """The grant's condition on the payment's `returned`, not the read, holds the cap: a share
    computed from an old total (as a concurrent delivery could) is cancelled and recomputed."""
    first, second = published(1, ratio_bp=6000), published(2, ratio_bp=6000)
    read, reads = shares.returned, []

    def stale_once(payment):
        reads.append(payment.payment_ref)
        return 0 if len(reads) == 2 else read(payment)  # the second rule's first read misses the first grant

    monkeypatch.setattr(shares, "returned", stale_once)
    pay(10000)
    assert (rebate(first).amount, rebate(second).amount, len(reads)) == (6000, 4000, 3)
    assert accounts.get_account("alice").balance == 10000


def test_the_rule_published_first_is_served_first_whatever_the_order_of_creation():
    created_first = rules.create_rule(RuleCreate.model_validate_json(json.dumps(rule_body(ratio_bp=3000, reward="points"))),
                                      NOW - timedelta(hours=2), None)
    created_second = published(0, ratio_bp=3000)  # created and published an hour later ...
    rules.change_rule_status(created_first.id, "publish", NOW - timedelta(minutes=30))  # ... before this one
    set_programme(max_return_bp=4000)
    pay(10000)
    assert (rebate(created_second).amount, rebate(created_first).amount) == (3000, 1000)


def test_later_rules_get_an_ordinary_0_rebate_once_the_cap_is_spent():
    first, second = published(1, ratio_bp=3000), published(2, ratio_bp=500)
    set_programme(max_return_bp=2500)  # lowered after the rule went live: settlement still holds to it
    pay(9999)
    assert rebate(first).amount == 2499  # 9999 * 2500 // 10000, rounded down
    later = rebate(second)
    assert (later.computed, later.amount, later.counted, later.limited_by) == (499, 0, False, "return_cap")
    assert [e.amount for e in accounts.list_ledger("alice", PageQuery(limit=100)).items] == [2499]
    assert rules.get_rule(second.id).rebated_payments == 0


def test_points_count_against_the_cap_at_the_points_rate():
    set_programme(max_return_bp=5000, points_per_yuan=200)
    points, balance = published(1, ratio_bp=4000, reward="points"), published(2, ratio_bp=3000)
    pay(10000)
    assert (rebate(points).amount, rebate(points).returned) == (8000, 4000)  # 4000 fen of reward, 2 points a fen
    assert rebate(balance).amount == 1000  # what the 4000 left of the 5000
    assert (accounts.get_account("alice").points, accounts.get_account("alice").balance) == (8000, 1000)


def test_the_cap_and_rate_recorded_with_the_payment_hold_when_a_delivery_resumes_later():
    set_programme(max_return_bp=5000)
    first, second = published(1, ratio_bp=3000), published(2, ratio_bp=3000)
    payment = settlement.record_payment(payment_event("pay_1", 10000), NOW)  # the delivery stops after step 1
    set_programme(max_return_bp=10000, points_per_yuan=50)
    settlement.settle_payment(payment, NOW)  # a later delivery carries it on
    assert (rebate(first).amount, rebate(second).amount) == (3000, 2000)


def test_a_redelivered_capped_payment_changes_nothing():
    set_programme(max_return_bp=5000)
    published(1, ratio_bp=3000)
    published(2, ratio_bp=3000, reward="points")
    pay(10000)
    before = (accounts.get_account("alice"), accounts.list_ledger("alice", PageQuery(limit=100)).items)
    pay(10000)
    assert (accounts.get_account("alice"), accounts.list_ledger("alice", PageQuery(limit=100)).items) == before
    assert settlement_store.get_payment("generic:pay_1").returned == 5000


def test_a_refund_claws_back_what_was_granted_after_trimming():
    set_programme(max_return_bp=5000)
    published(1, ratio_bp=3000)
    trimmed = published(2, ratio_bp=3000)
    pay(10000)
    settlement.process(refund_event("r1", amount=5000), NOW + timedelta(days=1))
    assert rebate(trimmed).clawed == 1000  # half of the 2000 granted, not of the 3000 computed
    assert accounts.get_account("alice").balance == 2500


def test_an_exclusive_rule_in_play_leaves_only_the_best_rule():
    small = published(1, ratio_bp=500, exclusive=True)
    best = published(2, ratio_bp=800, reward="points")
    pay(10000)
    assert (rebate(best).amount, rebate(best).limited_by) == (800, None)
    assert (rebate(small).computed, rebate(small).amount, rebate(small).limited_by) == (500, 0, "exclusive")
    assert (accounts.get_account("alice").balance, accounts.get_account("alice").points) == (0, 800)


def test_an_exclusive_rule_that_earns_nothing_leaves_every_rule_applying():
    published(1, kind="tiered", ratio_bp=None, ladder=[{"min_paid": 50000, "ratio_bp": 900}], exclusive=True)
    published(2, ratio_bp=500)
    published(3, ratio_bp=300, reward="points")
    pay(10000)
    assert (accounts.get_account("alice").balance, accounts.get_account("alice").points) == (500, 300)


def test_exclusive_ties_go_to_the_rule_published_first():
    first = published(1, ratio_bp=500)
    second = published(2, ratio_bp=500, exclusive=True)
    pay(10000)
    assert (rebate(first).amount, rebate(second).amount) == (500, 0)


def test_a_voucher_counts_at_its_face_value_and_is_not_granted_without_room_for_it():
    template_id = give("ops-seed", value=1000).template_id
    set_programme(max_return_bp=1000)
    published(1, ratio_bp=500)
    voucher = published(2, kind="threshold", ratio_bp=None, threshold={"min_paid": 100},
                        reward={"voucher_template_id": template_id})
    pay(10000)  # cap 1000, 500 left: no room for a voucher worth 1000
    held = rebate(voucher)
    assert (held.voucher_state, held.coupon_id, held.limited_by) == (None, None, "return_cap")
    pay(30000, payment_id="pay_2")  # cap 3000, 1500 left: the voucher fits
    granted = rebate(voucher, "pay_2")
    assert (granted.voucher_state, granted.returned) == ("granted", 1000)
    assert settlement_store.get_payment("generic:pay_2").returned == 2500
