"""Cards and vouchers for sale: what a payment's `purchases` issue to the payer, and what a full
refund takes back (docs/rebates.md, "Cards and vouchers for sale"). No boto3, no Chalice.

Issuing (a step of the payment's settlement, before its rebates): each line's units are
granted one by one through the coupons' grant path (coupons.redemption.grant_one), each
exactly once by its grant reference `<payment_ref>:buy:<line>:<unit>` (a grant marker is
written in the issuing transaction), within the template's stock and the payer's per-user
limit; the first refusal (sold out, limit reached, ended, unknown) ends the line, since the
next unit would meet it too. Then the line's outcome is stored once (purchases_store). A
crash anywhere is redelivered: the units granted before are answered by their markers, the
rest tried again, and the outcome written by whichever delivery gets there first.

We trust the signed event: whether the amount paid covers price x quantity is the mall's
business (it charged the order). A template without a `price` is not for sale: nothing is
issued (NOT_FOR_SALE). The price at issue and price x issued (`sales`) are recorded.

A full refund revokes every issued coupon still unused (status `revoked`); a used coupon, and a
card that was spent from or holds money for an unpaid order, stays (`kept_ids`): the revocation
is conditional on the coupon (wallet_store.revoke). Revoking is idempotent, and the coupons are
found by their grant markers, so a redelivered refund revokes nothing twice. A partial refund
revokes nothing: the mall refunds the goods it names, and a card bought with the order is
taken back only when the whole payment is.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.coupons import redemption as coupons
from chalicelib.errors import LimitReached, NotClaimable, NotFound, SoldOut
from chalicelib.observability import count, logger
from chalicelib.payments.models import Purchase
from chalicelib.rebates import purchases_store
from chalicelib.rebates.models import Payment
from chalicelib.rebates.purchases_models import PurchaseRecord

NOT_FOR_SALE = "NOT_FOR_SALE"
REFUSALS = (SoldOut, LimitReached, NotClaimable, NotFound)


def unit_ref(payment_ref: str, line: int, unit: int) -> str:
    """The grant reference of one unit bought: what makes its issue happen once."""
    return f"{payment_ref}:buy:{line}:{unit}"


def issue(payment: Payment, now: datetime) -> None:
    """Issue every purchase line of the payment not recorded yet (redelivery-safe)."""
    for line, purchase in enumerate(payment.purchases):
        if purchases_store.get(payment.payment_ref, line) is None:
            _issue_line(payment, line, purchase, now)


def _issue_line(payment: Payment, line: int, purchase: Purchase, now: datetime) -> None:
    coupon_ids: list[str] = []
    reason: str | None = None
    price: int | None = None
    try:
        price = coupons.get_template(purchase.template_id).price
    except NotFound as exc:
        reason = exc.code
    if reason is None and price is None:
        reason = NOT_FOR_SALE
    for unit in range(purchase.quantity if reason is None else 0):
        try:
            coupon = coupons.grant_one(purchase.template_id, payment.user_id, now,
                                       unit_ref(payment.payment_ref, line, unit), bought_with=payment.payment_ref)
        except REFUSALS as exc:
            reason = exc.code
            break
        coupon_ids.append(coupon.id)
    record = PurchaseRecord(
        payment_ref=payment.payment_ref, line=line, user_id=payment.user_id, template_id=purchase.template_id,
        quantity=purchase.quantity, issued=len(coupon_ids), coupon_ids=coupon_ids, not_issued_reason=reason,
        price=price, sales=(price or 0) * len(coupon_ids), created_at=now,
    )
    if purchases_store.record(record):
        count("PurchaseIssued", len(coupon_ids))
        if reason is not None:
            logger.warning("purchase not issued in full", extra={
                "payment_ref": payment.payment_ref, "template_id": purchase.template_id,
                "quantity": purchase.quantity, "issued": len(coupon_ids), "reason": reason})
            count("PurchaseShort", reason=reason)


def revoke(payment: Payment, now: datetime) -> None:
    """The payment was refunded in full: revoke what its purchases issued that is still unused."""
    if not payment.purchases:
        return
    for record in purchases_store.of_payment(payment.payment_ref):
        if record.refunded_at is not None:
            continue
        revoked: list[str] = []
        kept: list[str] = []
        for unit in range(record.quantity):
            coupon = coupons.granted(record.template_id, unit_ref(payment.payment_ref, record.line, unit))
            if coupon is None:
                continue
            gone = coupons.revoke_coupon(payment.user_id, coupon.id, now)
            (revoked if gone else kept).append(coupon.id)
        purchases_store.mark_refunded(record, revoked, kept, now)
        count("PurchaseRevoked", len(revoked))
