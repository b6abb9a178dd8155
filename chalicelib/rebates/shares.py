"""The return cap's inputs for settlement (rebates/return_cap.py has the rules): which rules
an exclusive rule leaves out, what a rule is worth on a payment in fen of reward (a voucher at
its face value), the cap and points rate recorded with the payment, and its running return.
No boto3, no Chalice."""

from __future__ import annotations

from chalicelib.coupons import redemption as coupons
from chalicelib.errors import NotFound
from chalicelib.rebates import policy, return_cap, settlement_store
from chalicelib.rebates.models import Payment, Rule, VoucherReward


def excluded(payment: Payment, rules: list[Rule]) -> set[str]:
    """The rules that give nothing because an exclusive rule is in play: all but the best
    (return_cap.best_exclusive, on what each rule computes before caps). The same for every
    delivery: it depends only on the payment and its rules snapshot."""
    if not any(rule.exclusive for rule in rules):
        return set()
    return return_cap.excluded(rules, [value(payment, rule) for rule in rules])


def value(payment: Payment, rule: Rule) -> int:
    """What a rule returns on the payment before caps, in fen of reward (a voucher: its face)."""
    if isinstance(rule.reward, VoucherReward):
        assert rule.threshold is not None
        return voucher_face(rule.reward.voucher_template_id) if payment.amount >= rule.threshold.min_paid else 0
    return policy.computed_reward(rule, payment.amount)


def voucher_face(template_id: str) -> int:
    """A voucher's face value in fen: an amount-off voucher's or a card's value, a percent-off
    voucher's `max_discount` (without one its worth is unknowable: it counts 0)."""
    try:
        template = coupons.get_template(template_id)
    except NotFound:
        return 0
    return (template.max_discount or 0) if template.kind == "percent_off" else template.value


def cap_terms(payment: Payment) -> tuple[int, int]:
    """(max_return_bp, points_per_yuan) of the payment: as recorded, or the defaults."""
    return return_cap.terms(payment.max_return_bp, payment.points_per_yuan)


def returned(payment: Payment) -> int:
    """The payment's running return, read now (the grant's condition pins it)."""
    stored = settlement_store.get_payment(payment.payment_ref)
    assert stored is not None
    return stored.returned
