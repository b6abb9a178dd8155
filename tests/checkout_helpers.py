"""Helpers of the checkout, code, card and redemption tests: templates and coupons made through
the service with a fixed clock, and order lines."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from chalicelib.coupons import redemption, templates
from chalicelib.coupons.models import Coupon, LineItem, LockRequest, Template, TemplateCreate
from chalicelib.ids import new_id

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc)


def template_fields(now: datetime = NOW, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "¥10 off ¥50", "kind": "amount_off", "value": 1000, "min_spend": 5000,
        "total_stock": 10, "per_user_limit": 5,
        "claim_starts_at": now - timedelta(days=1), "claim_ends_at": now + timedelta(days=1),
        "validity": {"days_after_claim": 30}, "scope": {"all": True},
    }
    body.update(overrides)
    return body


def create_template(now: datetime = NOW, publish: bool = True, **overrides: Any) -> Template:
    template = templates.create_template(TemplateCreate.model_validate(template_fields(now, **overrides), strict=False),
                                       now, None)
    if publish:
        templates.change_template_status(template.id, "publish", now)
    return templates.get_template(template.id)


def give(user: str = "alice", now: datetime = NOW, **overrides: Any) -> Coupon:
    """One coupon of a new template in `user`'s wallet (granted at `now`)."""
    return redemption.grant_one(create_template(now, **overrides).id, user, now, new_id())


def card(user: str = "alice", value: int = 5000, now: datetime = NOW, **overrides: Any) -> Coupon:
    return give(user, now, kind="stored_value", value=value, min_spend=0, name="Gift card", **overrides)


def item(unit_price: int, quantity: int = 1, sku: str = "sku-1", category: str = "food") -> dict[str, Any]:
    return {"sku": sku, "category": category, "unit_price": unit_price, "quantity": quantity}


def lock_request(order_id: str, *amounts: int) -> LockRequest:
    return LockRequest(order_id=order_id, items=[LineItem(**item(a)) for a in (amounts or (10_000,))])


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls on threads released together; each result is a return value or the exception raised.
    Only meaningful against the serialized moto server (the `served_aws` fixture)."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        start.wait(timeout=30)
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - the race's outcome is what the test asserts on
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
