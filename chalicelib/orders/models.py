"""Request and response models of orders: the quote of an order paid with coupons, cards,
points and balance (API.md, "Paying with rebates")."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from chalicelib.coupons.models import OrderId, Quote, QuoteRequest
from chalicelib.models import MAX_FEN
from chalicelib.orders.paying import Asset, Reason
from chalicelib.rebates.offers_models import ExpectedRebate

__all__ = ["OrderId"]  # re-exported: the routes' path type of an order id


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
    # What the live rules would return on `total` (rebates/expected.py): the real rebate can be lower.
    expected_rebate: ExpectedRebate = Field(default_factory=ExpectedRebate)


# --- order reservations (API.md, "Paying with rebates ... and order reservations") -------------

ReservationStatus = Literal["reserved", "released", "paid"]


class ReservationRequest(OrderQuoteRequest):
    """`POST /checkout/reservations`: the quote's request for one order of the mall."""

    order_id: OrderId


class Reservation(OrderQuote):
    """What a reservation answers: its quote, and where it stands."""

    order_id: str
    status: ReservationStatus
    expires_at: datetime


class HeldCard(BaseModel):
    model_config = ConfigDict(defer_build=True)

    card_id: str
    amount: int  # fen held on the card


class ReservationRecord(BaseModel):
    """A reservation as stored: the answer (`quote`) and what it holds, with what its payment
    spent and what refunds gave back since (never more than spent: orders.settle)."""

    model_config = ConfigDict(defer_build=True)

    user_id: str
    order_id: str
    status: ReservationStatus
    request_hash: str           # the request it was made for: the same body renews it
    quote: OrderQuote
    coupon_id: str | None = None
    cards: list[HeldCard] = Field(default_factory=list)
    balance: int = 0            # fen held on the account
    points: int = 0             # points held on the account
    expires_at: datetime
    created_at: datetime
    released_at: datetime | None = None
    paid_by: str | None = None  # the payment_ref that spent it
    spent_balance: int = 0
    spent_points: int = 0
    given_back_balance: int = 0
    given_back_points: int = 0
    outcome: str | None = None  # what its payment's settlement reported

    def shown(self) -> Reservation:
        return Reservation(**self.quote.model_dump(), order_id=self.order_id, status=self.status,
                           expires_at=self.expires_at)

    def card_amounts(self) -> list[tuple[str, int]]:
        return [(c.card_id, c.amount) for c in self.cards]
