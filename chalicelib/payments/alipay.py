"""Alipay asynchronous notifications (notify_url): form-encoded, RSA2-signed.

The signed content is every parameter except `sign` and `sign_type`, sorted by name, as
`k=v&k=v` with the decoded values; parameters with an empty value are left out, as
Alipay's own SDKs build it (`AlipaySignature.getSignContent`). The signature is
SHA256withRSA (`sign_type` RSA2), base64, checked with Alipay's public key. `app_id` must
be ours: a correctly signed notification for another app is refused.

Translation:
- money arrives in yuan as decimal text (`"19.99"`); it becomes fen exactly, through
  `Decimal`, never a float; more than two decimals is an error, not a rounding;
- `gmt_payment` / `gmt_refund` are Beijing time (UTC+8, no daylight saving);
- `passback_params` is JSON that the mall URL-encoded, and that comes back still
  URL-encoded after the form decoding: decode once more, then parse;
- `TRADE_SUCCESS` and `TRADE_FINISHED` are both "paid" and name the same payment (the
  consumer keys payments by `trade_no`, so the second is a duplicate);
- a notification carrying `refund_fee` is a refund; `refund_fee` is the total refunded on
  the trade so far, so it becomes `refunded_total`, and the consumer derives this
  refund's own amount from what it has stored (safe under redelivery and reordering);
- other statuses (WAIT_BUYER_PAY, TRADE_CLOSED without a refund) are acknowledged and
  ignored: refusing them would only make Alipay retry them.
Pure functions: no I/O, `now` passed in.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import Field

from chalicelib.clock import BEIJING, accepted_utc
from chalicelib.errors import Forbidden, Unauthenticated, ValidationFailed
from chalicelib.models import MAX_FEN, ResourceId, UserId
from chalicelib.payments.crypto import verify_sha256_rsa
from chalicelib.payments.models import MAX_COUPONS_PER_ORDER, PaymentEvent
from chalicelib.payments.payloads import Payload, build, parse_json
from chalicelib.payments.purchases import from_provider

PAID_STATUSES = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})
_YUAN = re.compile(r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$")
_UNSIGNED = frozenset({"sign", "sign_type"})
MAX_BODY_BYTES = 16 * 1024


class Passback(Payload):
    """What the mall put in `passback_params` when it created the payment. `p` or `purchases`:
    what the payment bought, read leniently (chalicelib.payments.purchases)."""

    user_id: UserId
    coupon_ids: list[ResourceId] = Field(default_factory=list, max_length=MAX_COUPONS_PER_ORDER)
    p: Any = None
    purchases: Any = None


def parse_form(raw_body: bytes) -> dict[str, str]:
    """The notification's parameters; a repeated name or a body that is not a UTF-8 form is malformed."""
    if len(raw_body) > MAX_BODY_BYTES:
        raise ValidationFailed("The notification is too large.")
    try:
        pairs = parse_qsl(raw_body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationFailed("The notification is not a UTF-8 form body.") from exc
    params = dict(pairs)
    if len(params) != len(pairs):
        raise ValidationFailed("The notification repeats a parameter.")
    return params


def sign_content(params: dict[str, str]) -> bytes:
    """The bytes Alipay signs (also what a test signs)."""
    kept = sorted((k, v) for k, v in params.items() if k not in _UNSIGNED and v != "")
    return "&".join(f"{k}={v}" for k, v in kept).encode("utf-8")


def signed_params(raw_body: bytes) -> dict[str, str]:
    """The parameters of a notification that carries an RSA2 signature (Unauthenticated if none)."""
    params = parse_form(raw_body)
    if params.get("sign_type", "RSA2") != "RSA2" or not params.get("sign"):
        raise Unauthenticated("Send an RSA2-signed notification (sign, sign_type=RSA2).")
    return params


def verify(params: dict[str, str], key: rsa.RSAPublicKey, app_id: str) -> None:
    """Raise unless Alipay signed these parameters (RSA2) for our app."""
    if not verify_sha256_rsa(key, params["sign"], sign_content(params)):
        raise Unauthenticated("The notification's sign does not match its parameters.")
    if params.get("app_id") != app_id:
        raise Forbidden("The notification is for another app_id.")


def yuan_to_fen(text: str, field: str) -> int:
    """'19.99' -> 1999, exactly (Decimal, never float)."""
    if not _YUAN.fullmatch(text or ""):
        raise ValidationFailed(f"{field} must be yuan with at most two decimals, such as 19.99.",
                               [{"field": field, "message": "not an amount in yuan"}])
    fen = int(Decimal(text).scaleb(2))
    if not 1 <= fen <= MAX_FEN:
        raise ValidationFailed(f"{field} is out of range.", [{"field": field, "message": "out of range"}])
    return fen


def beijing_time(text: str | None, field: str) -> datetime:
    """'2026-03-01 12:30:00' (or with milliseconds, as gmt_refund has) in Beijing time -> UTC,
    within the years every time this service accepts falls in (clock.accepted_utc)."""
    for layout in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f"):
        try:
            local = datetime.strptime(text or "", layout).replace(tzinfo=BEIJING)
        except ValueError:
            continue
        try:
            return accepted_utc(local)
        except ValueError as exc:
            raise ValidationFailed(f"{field} {exc}.", [{"field": field, "message": str(exc)}]) from exc
    raise ValidationFailed(f"{field} must be yyyy-MM-dd HH:mm:ss (Beijing time).",
                           [{"field": field, "message": "not a Beijing time"}])


def passback(text: str | None) -> Passback:
    if not text:
        raise ValidationFailed("passback_params is required: the mall sets it to {\"user_id\", \"coupon_ids\"}.")
    return parse_json(Passback, unquote_plus(text), "passback_params JSON")


def to_event(params: dict[str, str], now: datetime) -> PaymentEvent | None:
    """The internal event of verified parameters; None when the notification is one to ignore."""
    if "refund_fee" in params:
        refunded_at = beijing_time(params["gmt_refund"], "gmt_refund") if params.get("gmt_refund") else None
        return _event(params, now, type="refund", refund_id=params.get("out_biz_no"), refunded_at=refunded_at,
                      refunded_total=yuan_to_fen(params["refund_fee"], "refund_fee"))
    if params.get("trade_status") not in PAID_STATUSES:
        return None
    extra = passback(params.get("passback_params"))
    bought = from_provider(extra.p, extra.purchases, "alipay", params.get("trade_no", ""))
    return _event(params, now, type="payment", user_id=extra.user_id, coupon_ids=extra.coupon_ids, purchases=bought,
                  amount=yuan_to_fen(params.get("total_amount", ""), "total_amount"),
                  paid_at=beijing_time(params.get("gmt_payment"), "gmt_payment"))


def _event(params: dict[str, str], now: datetime, **fields: object) -> PaymentEvent:
    return build(PaymentEvent, "notification", provider="alipay", event_id=params.get("notify_id"),
                 payment_id=params.get("trade_no"), order_id=params.get("out_trade_no"), received_at=now, **fields)
