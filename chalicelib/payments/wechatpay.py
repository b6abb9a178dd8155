"""WeChat Pay API v3 notifications: SHA256withRSA signature, AEAD_AES_256_GCM resource.

Headers `Wechatpay-Timestamp`, `Wechatpay-Nonce`, `Wechatpay-Signature` (base64),
`Wechatpay-Serial`. The signed message is `"<timestamp>\\n<nonce>\\n<raw body>\\n"`, verified
with the platform public key that `Wechatpay-Serial` names (the platform certificate's serial,
or the public key's ID `PUB_KEY_ID_...`): `WECHATPAY_PLATFORM_KEYS` maps each serial to its
key, so a rotation is adding the new key beside the old one, then removing the old one. A
notification naming an unknown serial is refused (401) and WeChat retries it, for about a day,
until the key is added. A timestamp more than five minutes from now is refused
(WeChat's SDKs do the same), so a captured notification cannot be replayed later. The
body's `resource` is decrypted with the 32-byte APIv3 key, the associated data as AAD.

`TRANSACTION.SUCCESS` (trade_state SUCCESS) becomes a payment and `REFUND.SUCCESS`
(refund_status SUCCESS) a refund; other event types are verified and acknowledged but
ignored, since refusing them would only make WeChat retry them for a day.
Pure functions: no I/O, `now` passed in.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from functools import lru_cache
from typing import Any, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import Field

from chalicelib.errors import NotConfigured, Unauthenticated, ValidationFailed
from chalicelib.models import ResourceId, UserId, UtcTime
from chalicelib.payments.models import MAX_COUPONS_PER_ORDER, ExternalId, Fen, PaymentEvent
from chalicelib.payments.crypto import rsa_public_key, verify_sha256_rsa
from chalicelib.payments.payloads import Payload, build, parse_json
from chalicelib.payments.purchases import from_provider

WINDOW_SECONDS = 300
KEYS_SETTING = "WECHATPAY_PLATFORM_KEYS"
APIV3_KEY_LENGTH = 32
ALGORITHM = "AEAD_AES_256_GCM"
PAYMENT_EVENT, REFUND_EVENT = "TRANSACTION.SUCCESS", "REFUND.SUCCESS"


class Resource(Payload):
    algorithm: str
    ciphertext: str
    nonce: str
    associated_data: str = ""


class Notification(Payload):
    id: ExternalId
    event_type: str = Field(min_length=1, max_length=64)
    resource: Resource


class PaidAmount(Payload):
    payer_total: Fen


class Transaction(Payload):
    transaction_id: ExternalId
    out_trade_no: ExternalId
    trade_state: str
    success_time: UtcTime
    amount: PaidAmount
    attach: str | None = None


class Attach(Payload):
    """What the mall put in `attach` when it created the payment. `p` (or `purchases`): what the
    payment bought, read leniently (chalicelib.payments.purchases: compact, 128 bytes in all)."""

    user_id: UserId
    coupon_ids: list[ResourceId] = Field(default_factory=list, max_length=MAX_COUPONS_PER_ORDER)
    p: Any = None
    purchases: Any = None


class RefundAmount(Payload):
    refund: Fen


class Refund(Payload):
    refund_id: ExternalId
    transaction_id: ExternalId
    out_trade_no: ExternalId | None = None
    refund_status: str
    success_time: UtcTime | None = None
    amount: RefundAmount


def apiv3_key(value: str | None) -> bytes:
    if not value:
        raise NotConfigured("WeChat Pay is not configured: set WECHATPAY_APIV3_KEY.")
    key = value.encode()
    if len(key) != APIV3_KEY_LENGTH:
        raise NotConfigured(f"WECHATPAY_APIV3_KEY must be {APIV3_KEY_LENGTH} bytes.")
    return key


def message(timestamp: str, nonce: str, raw_body: bytes) -> bytes:
    """The bytes WeChat signs."""
    return timestamp.encode() + b"\n" + nonce.encode() + b"\n" + raw_body + b"\n"


def signature_headers(headers: Mapping[str, str]) -> tuple[str, str, str]:
    """(timestamp, nonce, signature) from the headers; Unauthenticated if any is missing."""
    timestamp = headers.get("wechatpay-timestamp") or ""
    nonce = headers.get("wechatpay-nonce") or ""
    signature = headers.get("wechatpay-signature") or ""
    if not (timestamp.isdigit() and len(timestamp) <= 12 and nonce and signature):
        raise Unauthenticated("Wechatpay-Timestamp, Wechatpay-Nonce and Wechatpay-Signature are required.")
    return timestamp, nonce, signature


def platform_key(configured: str | None, headers: Mapping[str, str]) -> rsa.RSAPublicKey:
    """The platform public key named by the notification's `Wechatpay-Serial`.

    `configured` is `WECHATPAY_PLATFORM_KEYS`: a JSON object {"<serial>": "<public key>"},
    each key a PEM (newlines may be written `\\n`) or its bare base64 body. NotConfigured (503)
    if it is absent or unreadable; Unauthenticated (401) for a missing or unknown serial.
    """
    keys = _platform_keys(configured)
    serial = headers.get("wechatpay-serial") or ""
    if not serial:
        raise Unauthenticated("Wechatpay-Serial is required: the serial of the platform key that signed.")
    pem = keys.get(serial)
    if pem is None:
        raise Unauthenticated(f"No platform key for Wechatpay-Serial {serial[:64]!r}: add it to {KEYS_SETTING}.")
    return rsa_public_key(pem, f"{KEYS_SETTING}[{serial}]")


@lru_cache(maxsize=4)
def _platform_keys(configured: str | None) -> dict[str, str]:
    usage = f'set {KEYS_SETTING} to a JSON object {{"<Wechatpay-Serial>": "<platform public key>"}}'
    if not configured:
        raise NotConfigured(f"WeChat Pay is not configured: {usage}.")
    try:
        keys = json.loads(configured)
    except ValueError:
        keys = None
    if not (isinstance(keys, dict) and keys and all(isinstance(v, str) for v in keys.values())):
        raise NotConfigured(f"{KEYS_SETTING} is not readable: {usage}.")
    return keys


def verify(signed: tuple[str, str, str], raw_body: bytes, key: rsa.RSAPublicKey, now: datetime) -> None:
    """Raise Unauthenticated unless the signature headers sign this body, within the time window."""
    timestamp, nonce, signature = signed
    if abs(int(now.timestamp()) - int(timestamp)) > WINDOW_SECONDS:
        raise Unauthenticated("Wechatpay-Timestamp is more than 5 minutes from now.")
    if not verify_sha256_rsa(key, signature, message(timestamp, nonce, raw_body)):
        raise Unauthenticated("Wechatpay-Signature does not match the body.")


def decrypt(resource: Resource, key: bytes) -> bytes:
    """The resource's plaintext (ciphertext is base64 with the GCM tag appended)."""
    if resource.algorithm != ALGORITHM:
        raise ValidationFailed(f"resource.algorithm must be {ALGORITHM}.")
    try:
        return AESGCM(key).decrypt(resource.nonce.encode(), base64.b64decode(resource.ciphertext, validate=True),
                                   resource.associated_data.encode() or None)
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise ValidationFailed("resource cannot be decrypted with the APIv3 key.") from exc


def to_event(raw_body: bytes, key: bytes, now: datetime) -> PaymentEvent | None:
    """The internal event of a verified notification; None when it is one this service ignores."""
    notification = parse_json(Notification, raw_body, "notification")
    if notification.event_type not in (PAYMENT_EVENT, REFUND_EVENT):
        return None
    resource = decrypt(notification.resource, key)
    if notification.event_type == PAYMENT_EVENT:
        transaction = parse_json(Transaction, resource, "decrypted transaction")
        if transaction.trade_state != "SUCCESS":
            return None
        attach = _attach(transaction.attach)
        return build(
            PaymentEvent, "notification", provider="wechatpay", event_id=notification.id, type="payment",
            payment_id=transaction.transaction_id, order_id=transaction.out_trade_no,
            user_id=attach.user_id, amount=transaction.amount.payer_total, paid_at=transaction.success_time,
            coupon_ids=attach.coupon_ids, received_at=now,
            purchases=from_provider(attach.p, attach.purchases, "wechatpay", transaction.transaction_id),
        )
    refund = parse_json(Refund, resource, "decrypted refund")
    if refund.refund_status != "SUCCESS":
        return None
    return build(
        PaymentEvent, "notification", provider="wechatpay", event_id=notification.id, type="refund",
        payment_id=refund.transaction_id, order_id=refund.out_trade_no, amount=refund.amount.refund,
        refund_id=refund.refund_id, refunded_at=refund.success_time, received_at=now,
    )


def _attach(text: str | None) -> Attach:
    if text is None:
        raise ValidationFailed("The transaction has no attach: the mall sets it to {\"user_id\", \"coupon_ids\"}.")
    return parse_json(Attach, text, "attach JSON (the mall's {\"user_id\", \"coupon_ids\"})")

