"""Request and response models of orders: the quote of an order paid with coupons, cards,
points and balance (API.md, "Paying with rebates")."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from chalicelib.coupons.models import Quote, QuoteRequest
from chalicelib.models import MAX_FEN
from chalicelib.orders.paying import Asset, Reason


class OrderQuoteRequest(QuoteRequest):
    """A quote's request (items, coupon_ids) plus what the shopper would pay with points and
    balance. Both are spent only when named; at most what is asked is used."""

    use_balance: StrictInt | None = Field(None, ge=0, le=MAX_FEN)  # fen
    use_points: StrictInt | None = Field(None, ge=0, le=MAX_FEN)   # points


class Trimmed(BaseModel):
    """Less of an asset used than was asked for, and why (orders.paying.REASONS)."""

    model_config = ConfigDict(defer_build=True)

    asset: Asset
    asked: int
    used: int
    reason: Reason


class OrderQuote(Quote):
    """A quote (coupons' fields as before) plus what points and balance pay (0 and no trims
    when the request names neither `use_balance` nor `use_points`)."""

    total: int  # what the payment provider charges: never below 0
    points_used: int = 0    # points
    points_amount: int = 0  # fen paid by the points
    balance_used: int = 0   # fen paid by the balance
    trimmed: list[Trimmed] = Field(default_factory=list)
