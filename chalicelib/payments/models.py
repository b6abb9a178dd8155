"""The one internal payment event that every provider's notification becomes.

The webhooks verify a provider's notification, translate it into a `PaymentEvent` and put
it on the payment events queue; the consumer reads nothing else. Provider quirks (yuan
strings, Beijing times, cumulative refund totals, JSON smuggled through `attach` or
`passback_params`) end at the translation, so the consumer has one shape to trust.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.models import MAX_FEN, ResourceId, UserId, UtcTime

Provider = Literal["generic", "wechatpay", "alipay"]
EventType = Literal["payment", "refund"]
MAX_COUPONS_PER_ORDER = 20
MAX_PURCHASE_LINES = 5  # templates bought by one payment (cards and vouchers for sale)
MAX_PURCHASE_QUANTITY = 10  # of one template, by one payment

# A provider's identifier. It becomes part of DynamoDB keys, so `#` (the key separator)
# and anything outside a conservative alphabet is refused at the edge.
ExternalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:@\-]{1,128}$")]
Fen = Annotated[int, Field(ge=1, le=MAX_FEN)]
# What a payment took in cash: 0 for an order paid entirely by cards, balance and points,
# which the mall's server confirms through the generic webhook (API.md).
Paid = Annotated[int, Field(ge=0, le=MAX_FEN)]


class Purchase(BaseModel):
    """One line of what a payment bought: `quantity` coupons (or cards) of a template with a
    `price` (docs/rebates.md, "Cards and vouchers for sale")."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    template_id: ResourceId
    quantity: int = Field(ge=1, le=MAX_PURCHASE_QUANTITY)


Purchases = Annotated[list[Purchase], Field(max_length=MAX_PURCHASE_LINES)]


def distinct_templates(purchases: list[Purchase]) -> list[Purchase]:
    """`purchases` if each template is bought on one line only (else ValueError: a second line
    of a template is a quantity, not a line)."""
    if len({p.template_id for p in purchases}) != len(purchases):
        raise ValueError("purchases must name each template_id once (use quantity)")
    return purchases


class PaymentEvent(BaseModel):
    """A verified payment or refund, whichever provider reported it.

    `payment`: `order_id`, `user_id`, `amount` (fen paid), `paid_at`, `coupon_ids`, and
    `purchases` (templates for sale it bought, issued to the payer by the settlement).
    `refund`: `refund_id`, and either `amount` (fen refunded by this refund: generic,
    WeChat Pay) or `refunded_total` (fen refunded on the payment so far, all refunds
    included: Alipay's cumulative `refund_fee`). `user_id` and `order_id` are optional on
    a refund: the stored payment names its user.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    provider: Provider
    event_id: ExternalId
    type: EventType
    payment_id: ExternalId
    order_id: ExternalId | None = None
    user_id: UserId | None = None
    amount: Paid | None = None  # a refund's is at least 1 (checked below)
    refunded_total: Fen | None = None
    paid_at: UtcTime | None = None
    refund_id: ExternalId | None = None
    refunded_at: UtcTime | None = None
    coupon_ids: list[ResourceId] = Field(default_factory=list, max_length=MAX_COUPONS_PER_ORDER)
    purchases: Purchases = Field(default_factory=list)
    received_at: UtcTime

    @model_validator(mode="after")
    def _complete(self) -> PaymentEvent:
        if self.type == "payment":
            missing = [f for f in ("order_id", "user_id", "amount", "paid_at") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"a payment event needs {', '.join(missing)}")
            if self.refund_id or self.refunded_total or self.refunded_at:
                raise ValueError("a payment event carries no refund fields")
        else:
            if self.refund_id is None:
                raise ValueError("a refund event needs refund_id")
            if (self.amount is None) == (self.refunded_total is None):
                raise ValueError("a refund event carries either amount or refunded_total")
            if self.amount == 0:
                raise ValueError("a refund event refunds at least 1 fen")
            if self.paid_at is not None or self.coupon_ids or self.purchases:
                raise ValueError("a refund event carries no payment fields")
        if len(set(self.coupon_ids)) != len(self.coupon_ids):
            raise ValueError("coupon_ids must not repeat")
        distinct_templates(self.purchases)
        return self

    @property
    def payment_ref(self) -> str:
        """The payment's name inside this service: provider-qualified, since two providers'
        ids may collide. Ledger refs, coupon redemptions and voucher grants use it."""
        return f"{self.provider}:{self.payment_id}"


class Received(BaseModel):
    """The generic webhook's answer: whether the event went onto the queue."""

    model_config = ConfigDict(defer_build=True)

    received: bool = True
    queued: bool
