"""Webhook intake: configuration, verification, translation, then the queue. No Chalice.

Each provider's notification is verified before anything else is believed, translated
into the one `PaymentEvent` shape, and sent to SQS; the webhook answers only after SQS
took it, so an answer of success means the event is stored. A refusal (bad signature,
stale timestamp, another app, malformed body) queues nothing; a provider left
unconfigured is `NotConfigured` (503): its notifications are retried, not lost. A request
that carries no signature at all is refused (401) before the configuration is consulted.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Iterator, Mapping

from chalicelib.errors import DomainError, NotConfigured
from chalicelib.observability import count
from chalicelib.payments import alipay, generic, queue, wechatpay
from chalicelib.payments.crypto import rsa_public_key
from chalicelib.payments.models import PaymentEvent, Received
from chalicelib.settings import get_settings, secret


def receive_generic(headers: Mapping[str, str], raw_body: bytes, now: datetime) -> Received:
    with _counted("generic"):
        signature = generic.signature_header(headers.get(generic.SIGNATURE_HEADER))
        webhook_secret = secret("PAYMENT_WEBHOOK_SECRET")
        if not webhook_secret:
            raise NotConfigured("The generic payment webhook is not configured: set PAYMENT_WEBHOOK_SECRET.")
        generic.verify(signature, raw_body, webhook_secret, now)
        return Received(queued=_enqueue(generic.to_event(raw_body, now)))


def receive_wechatpay(headers: Mapping[str, str], raw_body: bytes, now: datetime) -> bool:
    with _counted("wechatpay"):
        signed = wechatpay.signature_headers(headers)
        key = wechatpay.platform_key(get_settings().wechatpay_platform_keys, headers)
        aes_key = wechatpay.apiv3_key(secret("WECHATPAY_APIV3_KEY"))
        wechatpay.verify(signed, raw_body, key, now)
        return _enqueue(wechatpay.to_event(raw_body, aes_key, now))


def receive_alipay(raw_body: bytes, now: datetime) -> bool:
    with _counted("alipay"):
        params = alipay.signed_params(raw_body)
        settings = get_settings()
        key = rsa_public_key(settings.alipay_public_key, "ALIPAY_PUBLIC_KEY")
        if not settings.alipay_app_id:
            raise NotConfigured("Alipay is not configured: set ALIPAY_APP_ID.")
        alipay.verify(params, key, settings.alipay_app_id)
        return _enqueue(alipay.to_event(params, now))


def _enqueue(event: PaymentEvent | None) -> bool:
    """Queue the event; False when the notification was verified but needs no processing."""
    if event is None:
        return False
    queue.publish(event)
    count("PaymentEventQueued", provider=event.provider, type=event.type)
    return True


@contextmanager
def _counted(provider: str) -> Iterator[None]:
    """Count refusals by provider and reason: a storm of forged signatures shows on a dashboard."""
    try:
        yield
    except DomainError as exc:
        count("WebhookRefused", provider=provider, reason=type(exc).__name__)
        raise
