"""Paying for one order: the discount coupon, then points, then stored-value cards, then the
rebate balance (API.md, "Paying with rebates"; docs/checkout.md, "Paying with balance and
points"). Pure: integer fen and points, no I/O.

1. The discount coupon takes its discount (coupons' pricing).
2. Points pay at most `points_max_percent` of what is left after the discount, rounded down
   (`amount * percent // 100`); nothing when `points_with_coupon` is false and the order has a
   discount coupon. Points pay whole fen, rounded down: `points * 100 // points_per_yuan`; the
   points spent are then the fewest that pay that amount, `ceil(amount * points_per_yuan / 100)`,
   so no point is spent that pays nothing.
3. Stored-value cards pay part of what is left (coupons' pricing, with the points' amount as
   `prepaid`, spread over the lines like the discount).
4. The balance pays at most `balance_max_percent` of what is left after coupon and points,
   rounded down, and at most what the cards left to pay.

Points and balance are spent only when asked for, and at most what was asked and what is free.
Every shortfall (less used than asked) is reported as a `Trim` with why: `cap` (the percent cap,
or nothing more to pay), `not_enough` (not that much free), `coupon_does_not_combine`, or
`whole_fen` (points that would pay a fraction of a fen, or nothing, are not spent).
`total = subtotal - discount - points_amount - stored_value - balance_used`, never below 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Literal, Protocol, Sequence

from chalicelib.coupons import pricing
from chalicelib.coupons.models import Coupon

Asset = Literal["points", "balance"]
Reason = Literal["cap", "not_enough", "coupon_does_not_combine", "whole_fen"]
POINTS: Asset = "points"
BALANCE: Asset = "balance"
CAP: Reason = "cap"
NOT_ENOUGH: Reason = "not_enough"
NO_COMBINE: Reason = "coupon_does_not_combine"
WHOLE_FEN: Reason = "whole_fen"
REASONS: tuple[Reason, ...] = (CAP, NOT_ENOUGH, NO_COMBINE, WHOLE_FEN)


class PayingRules(Protocol):
    """The programme settings paying reads (chalicelib.programme.models.ProgrammeSettings)."""

    @property
    def points_per_yuan(self) -> int: ...
    @property
    def points_max_percent(self) -> int: ...
    @property
    def points_with_coupon(self) -> bool: ...
    @property
    def balance_max_percent(self) -> int: ...


@dataclass(frozen=True)
class Trim:
    """Less of an asset used than was asked for, and why."""

    asset: Asset
    asked: int  # points or fen
    used: int
    reason: Reason


@dataclass(frozen=True)
class Bill:
    subtotal: int
    discount: int
    points_used: int
    points_amount: int  # fen paid by the points
    stored_value: int   # fen paid by cards
    balance_used: int   # fen paid by the balance
    total: int          # what the payment provider charges
    applied: list[tuple[Coupon, int]]  # the discount coupon and each card, with the fen it takes off or pays
    trimmed: list[Trim] = field(default_factory=list)


def percent_of(amount: int, percent: int) -> int:
    """A percent cap, rounded down."""
    return max(0, amount) * percent // 100


def points_amount(points: int, per_yuan: int) -> int:
    """The whole fen `points` pay, rounded down."""
    return points * 100 // per_yuan


def points_for(amount: int, per_yuan: int) -> int:
    """The fewest points that pay `amount` fen."""
    return -(-amount * per_yuan // 100)


def most_points_within(cap: int, per_yuan: int) -> int:
    """The most points whose amount does not pass `cap` fen: `p * 100 // per_yuan <= cap`."""
    return ((cap + 1) * per_yuan - 1) // 100


def pay_points(after_discount: int, asked: int, free: int, rules: PayingRules,
               with_coupon: bool) -> tuple[int, int, Trim | None]:
    """(points used, fen they pay, the trim) for an order that costs `after_discount` after its coupon."""
    if asked <= 0:
        return 0, 0, None
    if with_coupon and not rules.points_with_coupon:
        return 0, 0, Trim(POINTS, asked, 0, NO_COMBINE)
    by_cap = most_points_within(percent_of(after_discount, rules.points_max_percent), rules.points_per_yuan)
    reason = CAP if by_cap < asked and by_cap <= free else NOT_ENOUGH if free < asked else None
    amount = points_amount(max(0, min(asked, free, by_cap)), rules.points_per_yuan)
    used = points_for(amount, rules.points_per_yuan)
    if used < asked:
        return used, amount, Trim(POINTS, asked, used, reason or WHOLE_FEN)
    return used, amount, None


def pay_balance(after_points: int, left: int, asked: int, free: int, rules: PayingRules) -> tuple[int, Trim | None]:
    """(fen the balance pays, the trim) for an order that costs `after_points` after coupon and
    points, of which the cards left `left` to pay."""
    if asked <= 0:
        return 0, None
    room = max(0, min(percent_of(after_points, rules.balance_max_percent), left))
    used = max(0, min(asked, free, room))
    if used == asked:
        return used, None
    return used, Trim(BALANCE, asked, used, CAP if room < asked and room <= free else NOT_ENOUGH)


def bill(lines: Sequence[pricing.Line], discount_coupon: Coupon | None, cards: Sequence[Coupon],
         rules: PayingRules, *, use_points: int = 0, use_balance: int = 0, free_points: int = 0,
         free_balance: int = 0) -> Bill:
    """The bill for the coupons chosen (checked usable and applicable by the caller)."""
    after_discount = sum(line.amount for line in lines) - (
        pricing.discount(discount_coupon, lines) if discount_coupon is not None else 0)
    points = pay_points(after_discount, use_points, free_points, rules, discount_coupon is not None)
    priced = pricing.price(lines, discount_coupon, cards, prepaid=points[1])
    return _with_balance(priced, points, use_balance, free_balance, rules)


def best_bill(lines: Sequence[pricing.Line], usable: Iterable[Coupon], rules: PayingRules, *,
              use_points: int = 0, use_balance: int = 0, free_points: int = 0, free_balance: int = 0) -> Bill:
    """The bill for the best choice from coupons usable now (coupons' pricing.best_choice): its
    discount coupon does not depend on points; its cards are chosen after the points paid."""
    pool = list(usable)
    first = pricing.best_choice(lines, pool)
    with_coupon = any(c.kind in pricing.DISCOUNT_KINDS for c, _ in first.applied)
    points = pay_points(first.subtotal - first.discount, use_points, free_points, rules, with_coupon)
    priced = pricing.best_choice(lines, pool, prepaid=points[1]) if points[1] else first
    return _with_balance(priced, points, use_balance, free_balance, rules)


def _with_balance(priced: pricing.Priced, points: tuple[int, int, Trim | None], use_balance: int,
                  free_balance: int, rules: PayingRules) -> Bill:
    points_used, paid_by_points, points_trim = points
    after_points = priced.subtotal - priced.discount - paid_by_points
    balance_used, balance_trim = pay_balance(after_points, priced.total, use_balance, free_balance, rules)
    return Bill(subtotal=priced.subtotal, discount=priced.discount, points_used=points_used,
                points_amount=paid_by_points, stored_value=priced.stored_value, balance_used=balance_used,
                total=max(0, priced.total - balance_used), applied=priced.applied,
                trimmed=[t for t in (points_trim, balance_trim) if t is not None])
