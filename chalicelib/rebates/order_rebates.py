"""What one order earned (`GET /me/orders/{order_id}/rebates`, API.md "What shoppers see"): per
payment of the order and per rule, what was computed, granted, why it was less (the return cap,
an exclusive rule, the rule's own caps), what refunds took back, the 全返 instalments and where
each stands, a voucher that could not be granted, and what the payment bought (cards and
vouchers for sale: issued, the shortfall and why, what a full refund revoked). Only the
caller's own orders: the lookup is keyed by user and order, so another shopper's order is as
absent as an unknown one (404). No boto3, no Chalice."""

from __future__ import annotations

from chalicelib.errors import NotFound
from chalicelib.rebates import instalments_store, order_rebates_store, purchases_store
from chalicelib.rebates.models import Payment, Rebate
from chalicelib.rebates.offers_models import (
    EarnedInstalment, EarnedRebate, OrderPaymentRebates, OrderRebates, RebateTotals,
)
from chalicelib.rebates.purchases_models import PurchaseShown


def _limited_by(rebate: Rebate) -> str | None:
    if rebate.limited_by is not None:
        return rebate.limited_by
    if rebate.asset is not None and rebate.amount < rebate.computed:
        return "caps"  # the rule's per-order or per-user daily cap, or its budget
    return None


def _earned(payment: Payment, rebate: Rebate) -> EarnedRebate:
    names = {rule.id: rule.name for rule in payment.rules}
    instalments = instalments_store.instalments_of(rebate) if rebate.plan else []
    return EarnedRebate(
        rule_id=rebate.rule_id, rule_name=names.get(rebate.rule_id, ""), asset=rebate.asset or "voucher",
        computed=rebate.computed, amount=rebate.amount, limited_by=_limited_by(rebate),
        clawed_back=rebate.clawed + rebate.cancelled, kept=rebate.amount - rebate.clawed - rebate.cancelled,
        pending=sum(i.amount for i in instalments if i.status == "pending"),
        instalments=[EarnedInstalment(number=i.number, due_at=i.due_at, amount=i.amount, status=i.status)
                     for i in instalments],
        coupon_id=rebate.coupon_id, voucher_state=rebate.voucher_state, not_granted_reason=rebate.not_granted_reason,
    )


def _purchases(payment: Payment) -> list[PurchaseShown]:
    if not payment.purchases:
        return []
    shown = set(PurchaseShown.model_fields)
    return [PurchaseShown.model_validate(record.model_dump(include=shown))
            for record in purchases_store.of_payment(payment.payment_ref)]


def order_rebates(user_id: str, order_id: str) -> OrderRebates:
    payments = order_rebates_store.payments_of_order(user_id, order_id)
    if not payments:
        raise NotFound("No paid order with this id.")
    shown, totals = [], RebateTotals()
    for payment in payments:
        earned = [_earned(payment, r) for r in order_rebates_store.rebates_of(payment.payment_ref)]
        shown.append(OrderPaymentRebates(payment_ref=payment.payment_ref, amount=payment.amount,
                                         refunded=payment.refunded, paid_at=payment.paid_at,
                                         settled=payment.status == "applied", rebates=earned,
                                         purchases=_purchases(payment)))
        for e in earned:
            if e.asset == "balance":
                totals.balance += e.kept
            elif e.asset == "points":
                totals.points += e.kept
            elif e.voucher_state == "granted":
                totals.vouchers += 1
    return OrderRebates(order_id=order_id, totals=totals, payments=shown)
