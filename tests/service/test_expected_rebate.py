"""A quote's `expected_rebate` is what settlement then grants for the same payment (the same pure
functions: return_cap.py, policy.py), when no per-user daily cap, budget or voucher stock is in
the way: quote, pay the quote's total, compare by asset."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

import pytest

from chalicelib.orders import quotes
from chalicelib.orders.models import OrderQuoteRequest
from chalicelib.rebates import settlement, settlement_store
from tests.checkout_helpers import give, item
from tests.payment_helpers import NOW, live_rule, payment_event
from tests.programme_helpers import set_programme

pytestmark = pytest.mark.usefixtures("aws")


def published(minutes: int, **fields: Any):
    """A live rule published `minutes` after NOW - 1 h (rules share the cap in that order)."""
    return live_rule(now=NOW - timedelta(hours=1) + timedelta(minutes=minutes), **fields)


def voucher_rule(minutes: int, value: int, min_paid: int = 100):
    template_id = give("ops-seed", value=value).template_id
    return published(minutes, kind="threshold", ratio_bp=None, threshold={"min_paid": min_paid},
                     reward={"voucher_template_id": template_id})


def granted(payment_id: str) -> dict[str, int]:
    payment = settlement_store.get_payment(f"generic:{payment_id}")
    found = {"balance": 0, "points": 0, "vouchers": 0}
    for rule in payment.rules:
        rebate = settlement_store.get_rebate(payment.payment_ref, rule.id)
        if rebate.voucher_state == "granted":
            found["vouchers"] += 1
        elif rebate.asset in found:
            found[rebate.asset] += rebate.amount
    return found


def _two_ratio_rules_under_a_cap():
    set_programme(max_return_bp=1500)
    published(1, ratio_bp=1000)
    published(2, ratio_bp=1000, reward="points")


def _points_rate_and_rounding():
    set_programme(points_per_yuan=7, max_return_bp=1234)
    published(1, ratio_bp=333, reward="points")
    published(2, ratio_bp=777)


def _tiered_threshold_and_full_return():
    published(1, kind="tiered", ratio_bp=None, ladder=[{"min_paid": 1000, "ratio_bp": 100},
                                                       {"min_paid": 20000, "ratio_bp": 300}])
    published(2, kind="threshold", ratio_bp=None, threshold={"min_paid": 5000, "amount": 777}, reward="points")
    published(3, kind="full_return", ratio_bp=5000, installments=3, period_days=30)


def _exclusive_best_wins():
    published(1, ratio_bp=500)
    published(2, ratio_bp=800, reward="points", exclusive=True)
    published(3, ratio_bp=300)


def _per_order_cap():
    published(1, ratio_bp=2000, caps={"per_order": 1234})
    published(2, ratio_bp=500, reward="points")


def _vouchers_within_the_cap():
    set_programme(max_return_bp=1000)
    published(1, ratio_bp=500)
    voucher_rule(2, value=1000)
    voucher_rule(3, value=200)


SCENARIOS: dict[str, Callable[[], None]] = {
    "two ratio rules under a cap": _two_ratio_rules_under_a_cap,
    "points rate and rounding": _points_rate_and_rounding,
    "tiered, threshold and full return": _tiered_threshold_and_full_return,
    "exclusive: the best wins": _exclusive_best_wins,
    "per-order cap": _per_order_cap,
    "vouchers within the cap": _vouchers_within_the_cap,
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("price", [999, 10_001, 33_333])
def test_the_quotes_expected_rebate_is_what_settlement_grants(scenario, price):
    SCENARIOS[scenario]()
    shown = quotes.quote("alice", OrderQuoteRequest(items=[item(price)], coupon_ids=[]), NOW)
    assert shown.total == price

    settlement.process(payment_event("pay-1", shown.total, user="alice"), NOW)

    assert shown.expected_rebate.model_dump() == granted("pay-1")


def test_no_live_rule_expects_nothing():
    shown = quotes.quote("alice", OrderQuoteRequest(items=[item(5000)], coupon_ids=[]), NOW)
    assert shown.expected_rebate.model_dump() == {"balance": 0, "points": 0, "vouchers": 0}


def test_a_daily_cap_can_make_the_real_rebate_lower_never_higher():
    published(1, ratio_bp=1000, caps={"per_user_per_day": 1500})
    settlement.process(payment_event("earlier", 10_000, user="alice"), NOW)  # 1000 of today's 1500 used
    shown = quotes.quote("alice", OrderQuoteRequest(items=[item(10_000)], coupon_ids=[]), NOW)
    settlement.process(payment_event("pay-1", shown.total, user="alice"), NOW)
    assert (shown.expected_rebate.balance, granted("pay-1")["balance"]) == (1000, 500)
