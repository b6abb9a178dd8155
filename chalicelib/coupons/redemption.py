"""What the payment flow calls (chalicelib/payments, chalicelib/rebates): the one entry module
of coupons for other domains. `redeem_order`, `restore_order`, `grant_one` and `revoke_coupon`,
and `get_template` (a rebate rule checks its voucher template); their signatures are a contract
with it. No boto3, no Chalice: time comes in as `now`."""

from __future__ import annotations

from datetime import datetime

from chalicelib.coupons import cards_store, redemption_store, rules, wallet, wallet_store
from chalicelib.coupons.cards import CONTENDED_RETRIES
from chalicelib.coupons.issuing import grant_one
from chalicelib.coupons.issuing_store import granted
from chalicelib.coupons.models import Coupon
from chalicelib.coupons.refused import Refused
from chalicelib.coupons.templates import get_template
from chalicelib.observability import count, logger

__all__ = ["get_template", "grant_one", "granted", "redeem_order", "restore_order", "revoke_coupon"]


def redeem_order(user_id: str, order_id: str, coupon_ids: list[str], payment_id: str, now: datetime) -> list[Coupon]:
    """Payment succeeded: these coupons (locked for this order) become `used` (recording order_id and
    payment_id), and the template's `redeemed` counter goes up in the same transaction; stored-value
    card holds of the order are spent. Idempotent on payment_id: a redelivery changes nothing and
    returns the same coupons. A coupon whose lock expired but that is still unused and valid is used
    anyway (the shopper was charged the discounted price); a coupon used by another payment is left
    alone and reported (log + omitted from the result), never used twice.

    Each coupon is its own transaction, so one that cannot be used does not hold back the
    others. A coupon locked by another order whose lock is still live is left to that order
    (reported); a card is spent from this order's hold, or, if the hold lapsed and was
    released, from the balance when it still covers the amount (else reported).
    """
    used: list[Coupon] = []
    for coupon_id in dict.fromkeys(coupon_ids):
        coupon = wallet_store.get_coupon(user_id, coupon_id, consistent=True)
        if coupon is None:
            result = None
        elif coupon.kind == "stored_value":
            result = _spend_card(user_id, coupon, order_id, payment_id, now)
        else:
            result = _redeem(user_id, coupon, order_id, payment_id, now)
        if result is None:
            logger.warning("coupon not redeemed", extra={"user_id": user_id, "order_id": order_id,
                                                          "payment_id": payment_id, "coupon_id": coupon_id,
                                                          "status": coupon.status if coupon else "missing"})
            count("RedeemSkipped")
            continue
        used.append(rules.shown(result, now))
    return used


def _redeem(user_id: str, coupon: Coupon, order_id: str, payment_id: str, now: datetime) -> Coupon | None:
    """The used coupon (also when this payment had already used it: a redelivery), or None when
    this payment cannot use it (used by another, revoked, reserved by a live lock of another
    order, expired)."""
    if coupon.status == "used" and coupon.payment_id == payment_id:
        return coupon  # as read (consistently): used by this payment already, e.g. with its order's reservation
    try:
        return redemption_store.redeem(user_id, coupon, order_id, payment_id, now)
    except Refused as exc:
        old = exc.old("coupon")
        if old is not None and old.get("status") == "used" and old.get("payment_id") == payment_id:
            return wallet_store.coupon_from(old)
        return None


def _spend_card(user_id: str, card: Coupon, order_id: str, payment_id: str, now: datetime) -> Coupon | None:
    for _ in range(CONTENDED_RETRIES):
        held = cards_store.get_hold(user_id, card.id, order_id)
        if held is None:
            return None
        if held.status in ("spent", "refunded"):
            return wallet_store.get_coupon(user_id, card.id, consistent=True) if held.payment_id == payment_id else None
        record = redemption_store.record_payment(user_id, payment_id, held.order_id, "card_ids", held.card_id)
        try:
            cards_store.spend_hold(user_id, held, payment_id, now, record)
        except Refused as exc:
            if "card" in exc.failed and "hold" not in exc.failed:
                return None  # the card no longer covers this order's lapsed hold
            continue  # the hold is not as read: read it again
        return wallet_store.get_coupon(user_id, card.id, consistent=True)
    return None


def restore_order(user_id: str, payment_id: str, now: datetime) -> list[Coupon]:
    """The payment was refunded in full: coupons it used that are still valid go back to `unused`
    (redeemed counter down); expired ones stay used. Card amounts spent by the payment are returned
    to the card. Idempotent (only coupons whose payment_id matches and status is used).

    Returns what this refund gave back, by this call or an earlier delivery of it. What a
    payment used is read from its redemption record (written with each redemption); every
    change is conditional on the coupon or hold still belonging to this payment.
    """
    record = redemption_store.get_redemption(user_id, payment_id)
    if record is None:
        return []
    restored: list[Coupon] = []
    for coupon_id in sorted(record.get("coupon_ids", [])):
        coupon = wallet_store.get_coupon(user_id, coupon_id, consistent=True)
        back = coupon and _restore(user_id, coupon_id, coupon.template_id, payment_id, now, coupon.used_at)
        if back:
            restored.append(rules.shown(back, now))
    for card_id in sorted(record.get("card_ids", [])):
        held = cards_store.get_hold(user_id, card_id, record["order_id"])
        if held is None or held.payment_id != payment_id:
            continue
        if held.status == "spent":
            cards_store.refund_hold(user_id, held, payment_id, now)
            held = cards_store.get_hold(user_id, card_id, record["order_id"])
        if held is not None and held.status == "refunded" and held.payment_id == payment_id:
            restored.append(wallet.get_coupon(user_id, card_id, now))
    return restored


def _restore(user_id: str, coupon_id: str, template_id: str, payment_id: str, now: datetime,
             used_at: datetime | None) -> Coupon | None:
    """The coupon given back (also when an earlier delivery of the refund restored it), or None
    when it stays as it is."""
    try:
        return redemption_store.restore(user_id, coupon_id, template_id, payment_id, now, used_at)
    except Refused as exc:
        old = exc.old("coupon")
        if old is not None and old.get("status") == "unused" and old.get("restored_from") == payment_id:
            return wallet_store.coupon_from(old)
        return None


def revoke_coupon(user_id: str, coupon_id: str, now: datetime) -> bool:
    """Revoke an unused coupon (a rebate voucher when its payment is refunded): unused -> `revoked`.

    Also revokes a coupon locked by an unpaid order (that order's payment will then not use
    it) and an untouched stored-value card. Returns False when it was already used (or a card
    was drawn on): the caller then claws back otherwise. Idempotent: revoking a revoked coupon
    returns True. Revoked coupons are listed with `GET /me/coupons?status=revoked`.
    """
    return wallet.revoke(user_id, coupon_id, now) is not None
