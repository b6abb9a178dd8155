"""Helpers of the cards-for-sale tests (issue 17, item 4): templates with a price and payment
events that buy them."""

from __future__ import annotations

from typing import Any

from chalicelib.coupons.models import Template
from chalicelib.payments.models import PaymentEvent, Purchase
from tests.checkout_helpers import create_template
from tests.payment_helpers import NOW, payment_event


def for_sale(price: int = 18000, **overrides: Any) -> Template:
    """A published stored-value card of ¥200 sold at `price` (only bought: channel `grant`)."""
    fields: dict[str, Any] = {"kind": "stored_value", "value": 20000, "min_spend": 0, "name": "¥200 card",
                              "price": price, "claim_channel": "grant"}
    fields.update(overrides)
    return create_template(NOW, **fields)


def buying(payment_id: str, *lines: tuple[str, int], amount: int = 18000, **kw: Any) -> PaymentEvent:
    """A payment event whose `purchases` are `lines` of (template_id, quantity)."""
    event = payment_event(payment_id, amount, **kw)
    return PaymentEvent.model_validate({**event.model_dump(), "purchases": [
        Purchase(template_id=t, quantity=q) for t, q in lines]})
