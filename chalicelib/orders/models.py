"""Request and response models of orders: the quote of an order paid with coupons, cards,
points and balance (API.md, "Paying with rebates")."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from chalicelib.coupons.models import Quote, QuoteRequest
from chalicelib.models import MAX_FEN
from chalicelib.orders.paying import Asset, Reason


class OrderQuoteRequest(QuoteRequest):
    """A quote's request (items, coupon_ids) plus what the shopper would pay with points and
    balance. Both are spent only when named; at most what is asked is used."""

    use_balance: StrictInt | None = Field(None, ge=0, le=MAX_FEN)  # fen
    use_points: StrictInt | None = Field(None, ge=0, le=MAX_FEN)   # points

    @property
    def asks_to_pay(self) -> bool:
        """Whether it names balance or points (the answer then carries what they pay)."""
        return self.use_balance is not None or self.use_points is not None


class Trimmed(BaseModel):
    """Less of an asset used than was asked for, and why (orders.paying.REASONS)."""

    model_config = ConfigDict(defer_build=True)

    asset: Asset
    asked: int
    used: int
    reason: Reason


PAYING_FIELDS = ("points_used", "points_amount", "balance_used", "trimmed")


def _absent(value: Any) -> bool:
    return value is None


class OrderQuote(Quote):
    """A quote (coupons' fields as before) plus what points and balance pay. The four paying
    fields are answered when the request names `use_balance` or `use_points`, and left out
    otherwise, so a request written before them gets the answer it always got."""

    total: int  # what the payment provider charges: never below 0
    points_used: int | None = Field(None, exclude_if=_absent)    # points
    points_amount: int | None = Field(None, exclude_if=_absent)  # fen paid by the points
    balance_used: int | None = Field(None, exclude_if=_absent)   # fen paid by the balance
    trimmed: list[Trimmed] | None = Field(None, exclude_if=_absent)
