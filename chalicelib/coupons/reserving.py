"""What an order takes from coupons (chalicelib.orders): the one module of coupons that the
orders domain imports. Coupons import nothing of orders or rebates. No boto3, no Chalice: time
comes in as `now`.

An order reservation holds its discount coupon and cards in its own transaction: the items
below are the coupons' own writes (wallet_store, cards_store, redemption_store, with their
conditions), named for that transaction: `coupon`, `template`, `redemption`, and per card i
`card<i>`, `hold<i>`, `cardlog<i>` (the i-th card of the reservation). `refusal` explains the
refused ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.coupons import cards_store, checkout, pricing, redemption_store, rules, wallet_store
from chalicelib.coupons.models import Coupon
from chalicelib.errors import AlreadyLocked, DomainError, InsufficientBalance, NotUsable
from chalicelib.settings import get_settings

COUPON, TEMPLATE, RECORD = "coupon", "template", "redemption"
CARD_PARTS = {"card": "card", "hold": "hold", "entry": "cardlog"}  # cards_store's names -> ours (+ index)


def usable_coupons(user_id: str, now: datetime) -> list[Coupon]:
    """The caller's coupons a new order could use now, for the best choice (pricing.best_choice)."""
    return wallet_store.usable_coupons(user_id, now)


def chosen_coupons(user_id: str, coupon_ids: list[str], lines: list[pricing.Line],
                   now: datetime) -> tuple[Coupon | None, list[Coupon]]:
    """The caller's choice, checked: each coupon theirs, usable now and applicable, one discount
    coupon at most; else 409 NOT_USABLE naming each (docs/checkout.md, "Quote and stacking").
    Returns the discount coupon (or None) and the cards, in the order given."""
    return checkout.chosen_coupons(user_id, coupon_ids, lines, now)


def lock_expiry(now: datetime) -> datetime:
    """When a lock taken at `now` lapses: the coupons' check-out lock TTL (MALL_LOCK_TTL_SECONDS)."""
    return now + timedelta(seconds=get_settings().lock_ttl_seconds)


def _card(i: int, items: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f"{CARD_PARTS[name]}{i}": item for name, item in items.items()}


def reserve_items(user_id: str, order_id: str, coupon_id: str | None, cards: list[tuple[str, int]], now: datetime,
                  expires_at: datetime) -> dict[str, dict[str, Any]]:
    """Lock the discount coupon and hold each card's amount for the order, until `expires_at`."""
    items = {COUPON: wallet_store.lock_tx(user_id, coupon_id, order_id, now, expires_at)} if coupon_id else {}
    for i, (card_id, amount) in enumerate(cards):
        items.update(_card(i, cards_store.hold_items(user_id, card_id, order_id, amount, now, expires_at,
                                                     reservation=True)[1]))
    return items


def renew_items(user_id: str, order_id: str, coupon_id: str | None, cards: list[tuple[str, int]], now: datetime,
                expires_at: datetime) -> dict[str, dict[str, Any]]:
    """Move the expiry of the order's coupon lock and card holds to `expires_at`; refused when the
    order no longer holds one of them (its lock lapsed and another order took the coupon)."""
    items = {COUPON: wallet_store.lock_tx(user_id, coupon_id, order_id, now, expires_at)} if coupon_id else {}
    for i, (card_id, amount) in enumerate(cards):
        items[f"hold{i}"] = cards_store.renew_hold_item(user_id, card_id, order_id, amount, expires_at)
    return items


def release_items(user_id: str, order_id: str, coupon_id: str | None, cards: list[tuple[str, int]],
                  now: datetime) -> dict[str, dict[str, Any]]:
    """Give back what the order still holds, as read now: the coupon if this order's lock is on
    it, each card hold still `held` for the amount reserved. What a lapsed lock lost to another
    order, or the release job returned already, is left alone (the conditions pin what was read)."""
    items: dict[str, dict[str, Any]] = {}
    if coupon_id:
        coupon = wallet_store.get_coupon(user_id, coupon_id, consistent=True)
        if coupon is not None and coupon.status == "locked" and coupon.order_id == order_id:
            items[COUPON] = wallet_store.unlock_tx(user_id, coupon_id, order_id)
    for i, (card_id, amount) in enumerate(cards):
        held = cards_store.get_hold(user_id, card_id, order_id)
        if held is not None and held.status == "held" and held.amount == amount:
            items.update(_card(i, cards_store.release_items(user_id, held, now, reservation=True)))
    return items


def spend_items(user_id: str, order_id: str, coupon_id: str | None, cards: list[tuple[str, int]], payment_id: str,
                now: datetime, skip: frozenset[str] = frozenset()) -> dict[str, dict[str, Any]]:
    """Use the order's coupon and spend its card holds for the payment, as `redeem_order` does
    (a lapsed lock or a released hold is used from what is still free, if it is), with the
    payment's redemption record (what a full refund restores). Parts named in `skip` (refused
    by an earlier attempt) and parts this order no longer has are left out."""
    items: dict[str, dict[str, Any]] = {}
    coupon_ids: list[str] = []
    card_ids: list[str] = []
    if coupon_id and COUPON not in skip:
        coupon = wallet_store.get_coupon(user_id, coupon_id, consistent=True)
        if coupon is not None:
            redeem = redemption_store.redeem_items(user_id, coupon_id, coupon.template_id, order_id, payment_id, now)
            items.update({COUPON: redeem[COUPON], TEMPLATE: redeem[TEMPLATE],
                          redemption_store.REDEEMED_HOUR: redeem[redemption_store.REDEEMED_HOUR]})
            coupon_ids.append(coupon_id)
    for i, (card_id, amount) in enumerate(cards):
        held = cards_store.get_hold(user_id, card_id, order_id)
        if f"card{i}" in skip or held is None or held.status not in ("held", "released") or held.amount != amount:
            continue
        items.update(_card(i, cards_store.spend_hold_items(user_id, held, payment_id, now)))
        card_ids.append(card_id)
    if items:
        items[RECORD] = redemption_store.record_items(user_id, payment_id, order_id, coupon_ids, card_ids)
    return items


def refusal(failed: dict[str, dict[str, Any] | None], order_id: str, now: datetime) -> DomainError | None:
    """The domain error explaining the coupons' refused items of a reservation (None: none refused)."""
    old = failed.get(COUPON)
    if COUPON in failed:
        if old is None:
            return NotUsable("A coupon is no longer in your wallet.", [])
        return rules.lock_refusal(wallet_store.coupon_from(old), order_id, now)
    for name, item in failed.items():
        if name.startswith("hold"):
            return AlreadyLocked("This order already holds or paid with one of these cards; release it first.")
        if name.startswith("card") and item is not None:
            card = wallet_store.coupon_from(item)
            reason = rules.unusable_reason(card, now, need_balance=False)
            if reason is None:
                return InsufficientBalance(f"The card's available balance is {card.balance} fen.",
                                           [{"coupon_id": card.id, "balance": card.balance}])
            return NotUsable(f"This card cannot be held: {reason}.", [{"coupon_id": card.id, "reason": reason}])
    return None
