"""Checkout: pricing an order (quote), reserving a discount coupon for it (lock, unlock) and
holding part of a card's balance. Policies are written down in docs/checkout.md. No boto3, no
Chalice; storage is wallet_store and cards_store, refusals explained with the pure rules."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.coupons import cards_store, pricing, rules, wallet, wallet_store
from chalicelib.coupons.cards import CONTENDED_RETRIES
from chalicelib.coupons.models import AppliedCoupon, Coupon, Hold, HoldRequest, LockRequest, Quote, QuoteRequest
from chalicelib.coupons.refused import Refused
from chalicelib.errors import AlreadyLocked, InsufficientBalance, InvalidState, NotFound, NotUsable, Throttled
from chalicelib.settings import get_settings


def quote(user_id: str, request: QuoteRequest, now: datetime) -> Quote:
    """Price an order: with `coupon_ids`, exactly those (or 409 NOT_USABLE naming each one that
    cannot be used); without, the best usable choice from the caller's wallet."""
    lines = pricing.lines_of(request.items)
    if request.coupon_ids is None:
        priced = pricing.best_choice(lines, wallet_store.usable_coupons(user_id, now))
    else:
        discount_coupon, cards = chosen_coupons(user_id, request.coupon_ids, lines, now)
        priced = pricing.price(lines, discount_coupon, cards)
    applied = [AppliedCoupon(coupon_id=c.id, kind=c.kind, name=c.name, amount=amount) for c, amount in priced.applied]
    return Quote(subtotal=priced.subtotal, discount=priced.discount, stored_value=priced.stored_value,
                 total=priced.total, applied=applied)


def chosen_coupons(user_id: str, coupon_ids: list[str], lines: list[pricing.Line],
                   now: datetime) -> tuple[Coupon | None, list[Coupon]]:
    """The caller's choice, checked: each coupon theirs, usable now and applicable; one discount at most."""
    found = wallet_store.coupons_by_id(user_id, coupon_ids)
    problems: list[dict[str, str]] = []
    discounts: list[Coupon] = []
    cards: list[Coupon] = []
    for coupon_id in coupon_ids:
        coupon = found.get(coupon_id)
        if coupon is None:
            problems.append({"coupon_id": coupon_id, "reason": "it is not in your wallet"})
            continue
        reason = rules.unusable_reason(coupon, now) or pricing.inapplicable_reason(coupon, lines)
        if reason is not None:
            problems.append({"coupon_id": coupon_id, "reason": reason})
        elif coupon.kind == "stored_value":
            cards.append(coupon)
        else:
            discounts.append(coupon)
    problems += [{"coupon_id": c.id, "reason": "an order takes at most one discount coupon"} for c in discounts[1:]]
    if problems:
        raise NotUsable("Some coupons cannot be used for this order; see details.", problems)
    return (discounts[0] if discounts else None), cards


def lock_coupon(user_id: str, coupon_id: str, request: LockRequest, now: datetime) -> Coupon:
    """Reserve a discount coupon for an order whose items it applies to, for `lock_ttl_seconds`.

    The read only checks what never changes (kind, scope, minimum spend) against the items;
    who holds the coupon is decided by the conditional write.
    """
    coupon = wallet_store.get_coupon(user_id, coupon_id)
    if coupon is None:
        raise NotFound("No coupon with this id in your wallet.")
    if coupon.kind == "stored_value":
        raise NotUsable("A stored-value card is not locked: hold part of its balance with POST /me/coupons/{id}/hold.",
                        [{"coupon_id": coupon_id, "reason": "it is a stored-value card"}])
    reason = pricing.inapplicable_reason(coupon, pricing.lines_of(request.items))
    if reason is not None:
        raise NotUsable(f"This coupon does not apply to the order: {reason}.",
                        [{"coupon_id": coupon_id, "reason": reason}])
    expires_at = now + timedelta(seconds=get_settings().lock_ttl_seconds)
    try:
        locked = wallet_store.lock(user_id, coupon_id, request.order_id, now, expires_at)
    except Refused as exc:
        old = exc.old("coupon")
        if old is None:
            raise NotFound("No coupon with this id in your wallet.") from exc
        coupon = wallet_store.coupon_from(old)
        if coupon.status == "locked" and old.get(wallet_store.RESERVED_BY) == request.order_id \
                and not rules.lock_lapsed(coupon, now):
            raise _reserved(request.order_id) from exc
        raise rules.lock_refusal(coupon, request.order_id, now) from exc
    return rules.shown(locked, now)


def _unlock(user_id: str, coupon_id: str, order_id: str) -> Coupon:
    """Give back the lock `order_id` holds; unlocking what is not locked is a no-op."""
    try:
        return wallet_store.unlock(user_id, coupon_id, order_id)
    except Refused as exc:
        old = exc.old("coupon")
        if old is None:
            raise NotFound("No coupon with this id in your wallet.") from exc
        coupon = wallet_store.coupon_from(old)
        if coupon.status == "locked" and old.get(wallet_store.RESERVED_BY) == order_id:
            raise _reserved(order_id) from exc
        refusal = rules.unlock_refusal(coupon, order_id)
        if refusal is not None:
            raise refusal from exc
        return coupon


def _reserved(order_id: str) -> InvalidState:
    return InvalidState(f"Order {order_id}'s reservation holds this; release the reservation instead "
                        f"(POST /checkout/reservations/{order_id}/release).")


def unlock_coupon(user_id: str, coupon_id: str, order_id: str, now: datetime) -> Coupon:
    """Give back what the order reserved: a coupon's lock, or a card's hold (its amount returns
    to the balance). Idempotent; only the order that holds it can give it back."""
    coupon = wallet_store.get_coupon(user_id, coupon_id)
    if coupon is None:
        raise NotFound("No coupon with this id in your wallet.")
    if coupon.kind != "stored_value":
        return rules.shown(_unlock(user_id, coupon_id, order_id), now)
    for _ in range(CONTENDED_RETRIES):
        held = cards_store.get_hold(user_id, coupon_id, order_id)
        if held is None:
            raise InvalidState("This order holds nothing on this card.")
        if held.status in ("spent", "refunded"):
            raise InvalidState("This order has already paid with this card.")
        if held.status == "held" and held.reserved:
            raise _reserved(order_id)
        if held.status == "released" or cards_store.release(user_id, held, now):
            return wallet.get_coupon(user_id, coupon_id, now)
    raise Throttled("This card is changing under many requests; retry shortly.")


def hold_card(user_id: str, card_id: str, request: HoldRequest, now: datetime) -> Hold:
    """Hold part of a card's balance for an order, for `lock_ttl_seconds`.

    When the balance falls short, holds of this card that lapsed (their orders neither paid
    nor gave them back) are released first, each by a conditional write, and the hold is
    tried once more.
    """
    expires_at = now + timedelta(seconds=get_settings().lock_ttl_seconds)
    try:
        return _hold(user_id, card_id, request.order_id, request.amount, now, expires_at)
    except InsufficientBalance:
        lapsed = cards_store.lapsed_holds(user_id, card_id, now)
        if not [h for h in lapsed if cards_store.release(user_id, h, now, only_lapsed=True)]:
            raise
    return _hold(user_id, card_id, request.order_id, request.amount, now, expires_at)


def _hold(user_id: str, card_id: str, order_id: str, amount: int, now: datetime, expires_at: datetime) -> Hold:
    """One hold write, its refusal explained: the same hold again is answered as it is."""
    try:
        return cards_store.hold(user_id, card_id, order_id, amount, now, expires_at)
    except Refused as exc:
        if "hold" in exc.failed:
            old = exc.old("hold")
            existing = cards_store.hold_from(old) if old else cards_store.get_hold(user_id, card_id, order_id)
            if existing is not None and existing.status == "held" and existing.amount == amount:
                return existing  # the same hold again: idempotent
            if existing is not None and existing.status == "held":
                raise AlreadyLocked(f"This order already holds {existing.amount} fen of this card; "
                                    "unlock it before holding another amount.") from exc
            raise InvalidState("This order has already paid with this card.") from exc
        old = exc.old("card")
        if old is None:
            raise NotFound("No coupon with this id in your wallet.") from exc
        card = wallet_store.coupon_from(old)
        reason = rules.unusable_reason(card, now, need_balance=False)
        if reason is None and card.kind == "stored_value":
            raise InsufficientBalance(f"The card's available balance is {card.balance} fen.",
                                      [{"coupon_id": card_id, "balance": card.balance}]) from exc
        reason = reason or "it is not a stored-value card"
        raise NotUsable(f"This card cannot be held: {reason}.", [{"coupon_id": card_id, "reason": reason}]) from exc
