"""What a payment bought, as the mall passes it through a payment provider (cards and vouchers
for sale, docs/rebates.md). Pure functions: no I/O.

The generic webhook carries `purchases: [{"template_id", "quantity"}]` in its data, validated
strictly (a bad line is the webhook's 400). WeChat Pay's `attach` is at most 128 bytes, so
there, and in Alipay's `passback_params` alike, the mall writes them compactly beside
`user_id` and `coupon_ids`:

    {"user_id": "u1", "coupon_ids": [], "p": "<template_id>*<quantity>,<template_id>*<quantity>"}

(a 26-character template id and its quantity take 29 bytes a line; `"purchases": [...]` in the
long form is accepted too where there is room, in `passback_params`). A provider's
notification is about money already taken: one whose purchases cannot be read is still
acknowledged and its payment settled, without the purchase (logged and counted as
`PurchasesUnreadable`), since refusing it would only make the provider retry it for a day.
"""

from __future__ import annotations

from pydantic import TypeAdapter, ValidationError

from chalicelib.observability import count, logger
from chalicelib.payments.models import Purchase, Purchases, distinct_templates

COMPACT_FIELD, LONG_FIELD = "p", "purchases"
_LINES: TypeAdapter[list[Purchase]] = TypeAdapter(Purchases)


def compact(purchases: list[Purchase]) -> str:
    """The compact text of `purchases` (what the mall puts in `attach` as "p")."""
    return ",".join(f"{p.template_id}*{p.quantity}" for p in purchases)


def parse_compact(text: str) -> list[Purchase]:
    """`"<template_id>*<quantity>,..."` -> the purchases; ValueError if it is not that."""
    lines = []
    for part in text.split(","):
        template_id, star, quantity = part.partition("*")
        if not star or not quantity.isdigit() or len(quantity) > 2:
            raise ValueError(f"a purchase is <template_id>*<quantity>, not {part[:40]!r}")
        lines.append({"template_id": template_id, "quantity": int(quantity)})
    return _checked(lines)


def _checked(lines: object) -> list[Purchase]:
    try:
        return distinct_templates(_LINES.validate_python(lines))
    except ValidationError as exc:
        raise ValueError(str(exc.errors(include_url=False, include_input=False))) from exc


def from_provider(compact_text: object, long_form: object, provider: str, payment_id: str) -> list[Purchase]:
    """The purchases a provider's notification carries (None: none); [] when they cannot be
    read, logged, so that the payment still settles."""
    if compact_text is None and long_form is None:
        return []
    try:
        if compact_text is not None and long_form is not None:
            raise ValueError(f"send either {COMPACT_FIELD!r} or {LONG_FIELD!r}, not both")
        if compact_text is not None:
            if not isinstance(compact_text, str):
                raise ValueError(f"{COMPACT_FIELD!r} must be a string")
            return parse_compact(compact_text)
        return _checked(long_form)
    except ValueError as exc:
        logger.warning("purchases unreadable; the payment settles without them",
                       extra={"provider": provider, "payment_id": payment_id, "reason": str(exc)[:500]})
        count("PurchasesUnreadable", provider=provider)
        return []
