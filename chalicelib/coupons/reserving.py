"""What an order takes from coupons (chalicelib.orders): the one module of coupons that the
orders domain imports. Coupons import nothing of orders or rebates. No boto3, no Chalice: time
comes in as `now`."""

from __future__ import annotations

from datetime import datetime

from chalicelib.coupons import checkout, pricing, wallet_store
from chalicelib.coupons.models import Coupon


def usable_coupons(user_id: str, now: datetime) -> list[Coupon]:
    """The caller's coupons a new order could use now, for the best choice (pricing.best_choice)."""
    return wallet_store.usable_coupons(user_id, now)


def chosen_coupons(user_id: str, coupon_ids: list[str], lines: list[pricing.Line],
                   now: datetime) -> tuple[Coupon | None, list[Coupon]]:
    """The caller's choice, checked: each coupon theirs, usable now and applicable, one discount
    coupon at most; else 409 NOT_USABLE naming each (docs/checkout.md, "Quote and stacking").
    Returns the discount coupon (or None) and the cards, in the order given."""
    return checkout.chosen_coupons(user_id, coupon_ids, lines, now)
