"""Pricing an order paid with a discount coupon, cards, points and balance: the quote
(`POST /checkout/quote`) and `price_order`, which reservations price with. The maths is
orders.paying (pure); coupons come through coupons.reserving. No boto3, no Chalice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.coupons import pricing, reserving
from chalicelib.coupons.models import AppliedCoupon, Coupon, LineItem
from chalicelib.orders import paying
from chalicelib.orders.models import OrderQuote, OrderQuoteRequest, Trimmed
from chalicelib.programme import store as programme
from chalicelib.programme.models import ProgrammeSettings
from chalicelib.rebates import accounts_store, offers


@dataclass(frozen=True)
class PricedOrder:
    """An order priced: the quote as answered, and what a reservation holds for it."""

    quote: OrderQuote                   # every field filled
    discount_coupon: Coupon | None      # the discount coupon to lock, if any
    cards: list[tuple[Coupon, int]]     # each card with the fen it pays (only amounts > 0)
    points_used: int
    points_amount: int
    balance_used: int


def price_order(user_id: str, items: list[LineItem], coupon_ids: list[str] | None, use_balance: int,
                use_points: int, settings: ProgrammeSettings, account: dict[str, int], now: datetime) -> PricedOrder:
    """Price an order for `user_id` with `settings` and the account's free `balance` and `points`.

    With `coupon_ids`, exactly those (409 NOT_USABLE naming each one that cannot be used);
    without, the best usable choice from the wallet. Balance and points are trimmed to what
    the settings allow, what was asked and what the account has free (paying.Trim says why).
    The quote's `expected_rebate` is what the live rules would return on its `total`
    (rebates/offers.py: the rules are cached as the settings are, so it costs no read when fresh).
    """
    lines = pricing.lines_of(items)
    free = {"free_points": account.get("points", 0), "free_balance": account.get("balance", 0)}
    if coupon_ids is None:
        bill = paying.best_bill(lines, reserving.usable_coupons(user_id, now), settings,
                                use_points=use_points, use_balance=use_balance, **free)
    else:
        discount_coupon, chosen_cards = reserving.chosen_coupons(user_id, coupon_ids, lines, now)
        bill = paying.bill(lines, discount_coupon, chosen_cards, settings,
                           use_points=use_points, use_balance=use_balance, **free)
    shown = quote_of(bill)
    shown.expected_rebate = offers.expected_on(shown.total, now)
    return PricedOrder(
        quote=shown,
        discount_coupon=next((c for c, _ in bill.applied if c.kind in pricing.DISCOUNT_KINDS), None),
        cards=[(c, amount) for c, amount in bill.applied if c.kind == "stored_value" and amount > 0],
        points_used=bill.points_used, points_amount=bill.points_amount, balance_used=bill.balance_used,
    )


def quote_of(bill: paying.Bill) -> OrderQuote:
    """The quote's answer for a bill, every field filled."""
    return OrderQuote(
        subtotal=bill.subtotal, discount=bill.discount, stored_value=bill.stored_value, total=bill.total,
        applied=[AppliedCoupon(coupon_id=c.id, kind=c.kind, name=c.name, amount=amount) for c, amount in bill.applied],
        points_used=bill.points_used, points_amount=bill.points_amount, balance_used=bill.balance_used,
        trimmed=[Trimmed(asset=t.asset, asked=t.asked, used=t.used, reason=t.reason) for t in bill.trimmed],
    )


def quote(user_id: str, request: OrderQuoteRequest, now: datetime) -> OrderQuote:
    """`POST /checkout/quote`: price the order with the programme settings and the caller's free
    balance and points. Changes nothing."""
    use_balance, use_points = request.use_balance or 0, request.use_points or 0
    spends_any = bool(use_balance or use_points)
    # The settings and the account matter only when balance or points may be spent: a plain quote reads neither.
    settings = programme.current(now) if spends_any else ProgrammeSettings()
    account = accounts_store.get_account(user_id) if spends_any else {}
    return price_order(user_id, request.items, request.coupon_ids, use_balance, use_points, settings, account,
                       now).quote
