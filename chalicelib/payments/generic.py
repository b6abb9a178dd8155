"""The generic (Stripe-style) payment webhook: HMAC-SHA256 signature, JSON body.

Header `X-Mall-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
Several `v1` values may be sent (a secret being rotated): one match is enough. The
timestamp must be within `TOLERANCE_SECONDS` of now, either way, so a captured request
cannot be replayed later. Pure functions: no I/O, `now` passed in.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from chalicelib.errors import Unauthenticated
from chalicelib.models import ResourceId, UserId, UtcTime
from chalicelib.payments.models import MAX_COUPONS_PER_ORDER, ExternalId, Fen, Paid, PaymentEvent, Purchases
from chalicelib.payments.payloads import Payload, build, parse_json

SIGNATURE_HEADER = "x-mall-signature"
TOLERANCE_SECONDS = 300


class PaymentData(Payload):
    payment_id: ExternalId
    order_id: ExternalId
    user_id: UserId
    amount: Paid  # 0: an order paid entirely by cards, balance and points
    paid_at: UtcTime
    coupon_ids: list[ResourceId] = Field(default_factory=list, max_length=MAX_COUPONS_PER_ORDER)
    purchases: Purchases = Field(default_factory=list)  # cards and vouchers for sale it bought


class RefundData(Payload):
    refund_id: ExternalId
    payment_id: ExternalId
    order_id: ExternalId | None = None
    user_id: UserId | None = None
    amount: Fen
    refunded_at: UtcTime | None = None


class EnvelopeHead(Payload):
    id: ExternalId
    type: str = Field(min_length=1, max_length=64)


class Envelope(EnvelopeHead):  # any event: its `type` picks the envelope below that reads its `data`
    data: dict[str, Any]


class PaymentEnvelope(EnvelopeHead):
    type: Literal["payment.succeeded"]
    data: PaymentData


class RefundEnvelope(EnvelopeHead):
    type: Literal["refund.succeeded"]
    data: RefundData


def sign(secret: str, timestamp: int, raw_body: bytes) -> str:
    """The hex HMAC of one request (also what a sender, or a test, computes)."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()


def verify(signature: tuple[int, list[str]], raw_body: bytes, secret: str, now: datetime) -> None:
    """Raise Unauthenticated unless the parsed header signs this body, recently, with `secret`."""
    timestamp, signatures = signature
    if abs(int(now.timestamp()) - timestamp) > TOLERANCE_SECONDS:
        raise Unauthenticated(f"The signature timestamp is more than {TOLERANCE_SECONDS} s from now.")
    expected = sign(secret, timestamp, raw_body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise Unauthenticated("The signature does not match the body.")


def signature_header(header: str | None) -> tuple[int, list[str]]:
    """(timestamp, v1 signatures) of an X-Mall-Signature header; Unauthenticated if unusable."""
    timestamp, signatures = None, []
    for part in (header or "").split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif name == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise Unauthenticated("Send X-Mall-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>.")
    return timestamp, signatures


def to_event(raw_body: bytes, now: datetime) -> PaymentEvent | None:
    """The internal event of a verified body; None for an event type this service ignores."""
    envelope = parse_json(Envelope, raw_body, "event body")
    if envelope.type == "payment.succeeded":
        data = parse_json(PaymentEnvelope, raw_body, "event body").data
        return build(
            PaymentEvent, "event", provider="generic", event_id=envelope.id, type="payment",
            payment_id=data.payment_id, order_id=data.order_id, user_id=data.user_id, amount=data.amount,
            paid_at=data.paid_at, coupon_ids=data.coupon_ids, purchases=data.purchases, received_at=now,
        )
    if envelope.type == "refund.succeeded":
        refund = parse_json(RefundEnvelope, raw_body, "event body").data
        return build(
            PaymentEvent, "event", provider="generic", event_id=envelope.id, type="refund",
            payment_id=refund.payment_id, order_id=refund.order_id, user_id=refund.user_id, amount=refund.amount,
            refund_id=refund.refund_id, refunded_at=refund.refunded_at, received_at=now,
        )
    return None

