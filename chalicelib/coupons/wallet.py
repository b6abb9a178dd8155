"""A shopper's wallet: their coupons and cards, listed and read as they stand at `now`, a
card's history, and revocation. No boto3, no Chalice; storage is wallet_store and cards_store."""

from __future__ import annotations

from datetime import datetime

from chalicelib.coupons import cards_store, rules, wallet_store
from chalicelib.coupons.models import CardEntry, Coupon, CouponListQuery
from chalicelib.coupons.refused import Refused
from chalicelib.errors import NotFound
from chalicelib.models import Page, PageQuery


def list_coupons(user_id: str, query: CouponListQuery, now: datetime) -> Page[Coupon]:
    coupons, cursor = wallet_store.list_coupons(user_id, query.status, now, query.limit, query.cursor)
    return Page[Coupon](items=[rules.shown(c, now) for c in coupons], next_cursor=cursor)


def get_coupon(user_id: str, coupon_id: str, now: datetime) -> Coupon:
    coupon = wallet_store.get_coupon(user_id, coupon_id, consistent=True)
    if coupon is None:
        raise NotFound("No coupon with this id in your wallet.")
    return rules.shown(coupon, now)


def card_history(user_id: str, card_id: str, query: PageQuery) -> Page[CardEntry]:
    card = wallet_store.get_coupon(user_id, card_id)
    if card is None or card.kind != "stored_value":
        raise NotFound("No stored-value card with this id in your wallet.")
    entries, cursor = cards_store.card_history(user_id, card_id, query.limit, query.cursor)
    return Page[CardEntry](items=entries, next_cursor=cursor)


def revoke(user_id: str, coupon_id: str, now: datetime) -> Coupon | None:
    """unused (or locked, or stored as expired) -> revoked; a card only while untouched.
    Returns the revoked coupon (also when it was revoked before), or None when it cannot be
    revoked: used, or a card already drawn on."""
    try:
        return wallet_store.revoke(user_id, coupon_id, now)
    except Refused as exc:
        old = exc.old("coupon")
        if old is None:
            raise NotFound("No coupon with this id in this wallet.") from exc
        return wallet_store.coupon_from(old) if old.get("status") == "revoked" else None
