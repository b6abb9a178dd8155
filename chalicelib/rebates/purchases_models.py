"""Models of cards and vouchers bought with a payment (rebates/purchases.py): the stored outcome
of one purchase line, and what the order's rebates show of it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PurchaseShown(BaseModel):
    """One line of a payment's `purchases` in `GET /me/orders/{order_id}/rebates`."""

    model_config = ConfigDict(defer_build=True)

    template_id: str
    quantity: int = Field(description="How many the payment bought.")
    issued: int = Field(description="How many were issued to the payer (the rest is the shortfall).")
    coupon_ids: list[str]
    not_issued_reason: str | None = Field(None, description="Why fewer were issued: SOLD_OUT, LIMIT_REACHED, "
                                          "NOT_CLAIMABLE, NOT_FOUND, NOT_FOR_SALE.")
    price: int | None = Field(None, description="The template's price (fen) when issued; None: not for sale.")
    sales: int = Field(0, description="price x issued (fen): what the issued ones sold for, for statistics.")
    revoked_ids: list[str] | None = Field(None, description="After a full refund: the coupons it revoked.")
    kept_ids: list[str] | None = Field(None, description="After a full refund: those kept (used or drawn on).")


class PurchaseRecord(PurchaseShown):
    """What line `line` of a payment's purchases issued, stored once (purchases_store)."""

    payment_ref: str
    line: int
    user_id: str
    created_at: datetime
    refunded_at: datetime | None = None
