"""Revoking and topping up after release (API.md, "Compliance and operations"): marketing
revokes one shopper's unused or locked coupon, and adds stock to a draft or published template;
each change audited in its own transaction. No boto3, no Chalice.

A locked coupon: a lock taken by `POST /coupons/{id}/lock` holds nothing but the coupon, so
revoking it releases that lock with it (the order's checkout then finds it NOT_USABLE). A coupon
held by an order reservation (`POST /checkout/reservations`, still `reserved`) is refused (409
INVALID_STATE): the reservation priced the order with it and its payment would spend it; release
the reservation (or let it lapse) first. The revocation is pinned on the lock it saw (order and
expiry), so a reservation taking the lock meanwhile makes it refused, not lost."""

from __future__ import annotations

from datetime import datetime

from chalicelib.audit import store as audit_store
from chalicelib.audit.models import Change
from chalicelib.coupons import templates, templates_store, wallet_store
from chalicelib.coupons.models import Coupon, Template
from chalicelib.coupons.refused import Refused
from chalicelib.errors import InvalidState, NotFound


def _held_by_reservation(coupon: Coupon, now: datetime) -> bool:
    """Locked by an order reservation (its lock is marked `reserved_by` that order) that has not
    lapsed: the reservation owns it (wallet_store.RESERVED_BY)."""
    return (coupon.status == "locked" and coupon.reserved_by is not None and coupon.reserved_by == coupon.order_id
            and coupon.lock_expires_at is not None and coupon.lock_expires_at > now)


def revoke(user_id: str, coupon_id: str, actor: str, now: datetime) -> Coupon:
    coupon = wallet_store.get_coupon(user_id, coupon_id, consistent=True)
    if coupon is None:
        raise NotFound("No such coupon in this user's wallet.")
    if coupon.status not in ("unused", "locked"):
        raise InvalidState(f"This coupon is {coupon.status}: only an unused or locked coupon can be revoked.")
    if coupon.kind == "stored_value" and (coupon.balance != coupon.value or coupon.held):
        raise InvalidState("This card has been spent from or holds money: it cannot be revoked.")
    if _held_by_reservation(coupon, now):
        raise InvalidState(f"This coupon is held by the reservation of order {coupon.order_id}: release it first.")
    revoked = coupon.model_copy(update={"status": "revoked", "order_id": None, "lock_expires_at": None,
                                        "reserved_by": None})
    audit = Change(actor, "revoke", "coupon", coupon.id, {"user_id": user_id, **coupon.model_dump(mode="json")},
                   {"user_id": user_id, **revoked.model_dump(mode="json"), "revoked_at": now.isoformat()}, now)
    try:
        return wallet_store.revoke_audited(user_id, coupon, now, audit_store.items(audit))
    except Refused as exc:
        old = exc.old("coupon")
        raise InvalidState("This coupon changed meanwhile (" + (old or {}).get("status", "gone")
                           + "): read it again.") from exc


def add_stock(template_id: str, add: int, actor: str, now: datetime) -> Template:
    template = templates_store.get_template(template_id, consistent=True)
    if template is None:
        raise NotFound("No template with this id.")
    if template.status not in ("draft", "published"):
        raise InvalidState(f"This template is {template.status}: stock is added to a draft or published one.")
    after = template.model_copy(update={"total_stock": template.total_stock + add})
    audit = Change(actor, "add_stock", "template", template.id, template.model_dump(mode="json"),
                   {**after.model_dump(mode="json"), "added": add}, now)
    try:
        templates_store.add_stock(template, add, audit_store.items(audit))
    except Refused as exc:
        old = exc.old("template")
        if old is None:
            raise NotFound("No template with this id.") from exc
        raise InvalidState(f"This template is {old.get('status')}: stock is added to a draft or published one.") \
            from exc
    return templates.get_template(template_id, now)  # with its exact counters
