"""Quote maths: what an order costs after at most one discount coupon and stored-value cards.

Pure functions on integer fen, so tests call them with literals.

- A coupon applies to the lines in its scope (all, categories, skus); it applies only when
  that amount is above zero and reaches its `min_spend`.
- `amount_off` takes `value` off the applicable amount, never more than that amount.
- `percent_off` takes floor(applicable * percent / 100): it rounds DOWN to the fen (the
  shop never gives away a fraction of a fen), then is capped by `max_discount`.
- Stacking: at most one discount coupon per order. Stored-value cards then pay part of what
  is left, each at most its balance and at most what is left of the lines in its scope, in
  the order given. The total is never below zero.

To know what is left of each line for a scoped card, the discount is spread over the lines
it applies to in proportion to their amounts (rounded down, the remainder taken from the
lines in order). The spread changes only what a scoped card may pay, never the discount.

`prepaid` is fen paid after the discount and before the cards (points: chalicelib.orders.paying
decides how many; it never exceeds what is left after the discount). It is spread the same way
over all the lines, so the cards pay what is left after coupon and points, and the total drops by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from chalicelib.coupons.models import Coupon, LineItem, Scope

DISCOUNT_KINDS = frozenset({"amount_off", "percent_off"})


@dataclass(frozen=True)
class Line:
    sku: str
    category: str
    amount: int  # unit price times quantity, fen


@dataclass(frozen=True)
class Priced:
    subtotal: int
    discount: int
    stored_value: int
    total: int
    applied: list[tuple[Coupon, int]]  # each coupon used, with the fen it takes off or pays


def lines_of(items: Iterable[LineItem]) -> list[Line]:
    return [Line(i.sku, i.category, i.unit_price * i.quantity) for i in items]


def in_scope(scope: Scope, line: Line) -> bool:
    if scope.all:
        return True
    if scope.categories is not None:
        return line.category in scope.categories
    return line.sku in (scope.skus or ())


def applicable_amount(scope: Scope, lines: Sequence[Line]) -> int:
    return sum(line.amount for line in lines if in_scope(scope, line))


def applies(coupon: Coupon, lines: Sequence[Line]) -> bool:
    """Whether the order's lines in the coupon's scope reach its minimum spend."""
    amount = applicable_amount(coupon.scope, lines)
    return amount > 0 and amount >= coupon.min_spend


def amount_off(applicable: int, value: int) -> int:
    return max(0, min(value, applicable))


def percent_off(applicable: int, percent: int, cap: int | None) -> int:
    """floor(applicable * percent / 100), capped by `cap`, never above `applicable`."""
    discount = applicable * percent // 100
    if cap is not None:
        discount = min(discount, cap)
    return max(0, min(discount, applicable))


def discount(coupon: Coupon, lines: Sequence[Line]) -> int:
    """The discount a discount coupon gives this order: 0 when it does not apply."""
    if coupon.kind not in DISCOUNT_KINDS:
        raise ValueError(f"a {coupon.kind} coupon is not a discount")
    if not applies(coupon, lines):
        return 0
    applicable = applicable_amount(coupon.scope, lines)
    if coupon.kind == "percent_off":
        return percent_off(applicable, coupon.value, coupon.max_discount)
    return amount_off(applicable, coupon.value)


def price(lines: Sequence[Line], discount_coupon: Coupon | None, cards: Sequence[Coupon], *,
          prepaid: int = 0) -> Priced:
    """Price an order with one discount coupon (or none), then `prepaid` fen paid before the
    cards, then cards paying in the order given.

    Applicability is the caller's to check; a coupon that does not apply takes off nothing.
    """
    left = [line.amount for line in lines]
    applied: list[tuple[Coupon, int]] = []
    taken = 0
    if discount_coupon is not None:
        taken = discount(discount_coupon, lines)
        _spread(left, _scoped(discount_coupon.scope, lines), taken)
        applied.append((discount_coupon, taken))
    prepaid = max(0, min(prepaid, sum(left)))
    _spread(left, list(range(len(lines))), prepaid)
    paid_by_cards = 0
    for card in cards:
        paid = 0
        if applies(card, lines):
            scoped = _scoped(card.scope, lines)
            paid = min(card.balance or 0, sum(left[i] for i in scoped))
            _take_in_order(left, scoped, paid)
        paid_by_cards += paid
        applied.append((card, paid))
    subtotal = sum(line.amount for line in lines)
    return Priced(subtotal=subtotal, discount=taken, stored_value=paid_by_cards,
                  total=max(0, subtotal - taken - prepaid - paid_by_cards), applied=applied)


def best_choice(lines: Sequence[Line], usable: Iterable[Coupon], *, prepaid: int = 0) -> Priced:
    """The best combination from coupons already known to be usable now.

    The discount coupon with the largest discount (ties: the one expiring soonest, then the
    lowest id, so the answer is stable); a coupon whose discount would be 0 is not spent.
    Then every card that applies and has a balance, soonest-expiring first, until nothing is
    left to pay; cards that would pay nothing are left out.
    """
    pool = list(usable)
    discounts = [(discount(c, lines), c) for c in pool if c.kind in DISCOUNT_KINDS]
    ranked = sorted((d for d in discounts if d[0] > 0), key=lambda d: (-d[0], d[1].valid_until, d[1].id))
    chosen = ranked[0][1] if ranked else None
    cards = sorted((c for c in pool if c.kind == "stored_value" and (c.balance or 0) > 0 and applies(c, lines)),
                   key=lambda c: (c.valid_until, c.id))
    priced = price(lines, chosen, cards, prepaid=prepaid)
    kept = [(c, amount) for c, amount in priced.applied if c.kind in DISCOUNT_KINDS or amount > 0]
    return Priced(priced.subtotal, priced.discount, priced.stored_value, priced.total, kept)


def _scoped(scope: Scope, lines: Sequence[Line]) -> list[int]:
    return [i for i, line in enumerate(lines) if in_scope(scope, line)]


def _spread(left: list[int], indexes: list[int], amount: int) -> None:
    """Take `amount` from the lines at `indexes` in proportion to what is left of them."""
    base = sum(left[i] for i in indexes)
    if amount <= 0 or base <= 0:
        return
    shares = {i: amount * left[i] // base for i in indexes}
    for i, share in shares.items():
        left[i] -= share
    _take_in_order(left, indexes, amount - sum(shares.values()))


def _take_in_order(left: list[int], indexes: list[int], amount: int) -> None:
    for i in indexes:
        if amount <= 0:
            return
        step = min(left[i], amount)
        left[i] -= step
        amount -= step


def inapplicable_reason(coupon: Coupon, lines: Sequence[Line]) -> str | None:
    """Why a coupon does not apply to these lines, in words for the shopper (None: it applies)."""
    amount = applicable_amount(coupon.scope, lines)
    if amount <= 0:
        return "no item of the order is in its scope"
    if amount < coupon.min_spend:
        return f"the items in its scope come to {amount} fen, below its minimum spend of {coupon.min_spend} fen"
    return None
