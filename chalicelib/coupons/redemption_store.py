"""DynamoDB storage of redemption: a payment using a coupon (counted on its template and in the
hour of the redemption), a refund giving it back (counted down on both), and the payment's
redemption record (what a refund restores). Named items: `coupon`, `template`, `redeemed_hour`,
`redemption`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import dynamo
from chalicelib.clock import iso
from chalicelib.coupons import keys, rules, wallet_store
from chalicelib.coupons.models import Coupon
from chalicelib.coupons.refused import Refused
from chalicelib.indexes import ITEM_EXISTS

REDEEMED_HOUR = "redeemed_hour"


def redeemed_hour(template_id: str, used_at: datetime, change: int) -> dict[str, Any]:
    """`change` (+1 a redemption, -1 one undone) on the template's count of the hour of `used_at`
    (keys.claim_stats, shard 0): an unconditional ADD in the transaction that moves the
    template's `redeemed`, so it counts exactly as that counter does."""
    hour = iso(rules.hour_of(used_at))
    return dynamo.tx_update(
        keys.claim_stats(template_id, keys.REDEMPTION_STATS_SHARD, hour),
        "SET template_id = :tid, #shard = :shard, #hour = :hour ADD redeemed :change",
        names={"#shard": "shard", "#hour": "hour"},
        vals=dynamo.values(tid=template_id, shard=keys.REDEMPTION_STATS_SHARD, hour=hour, change=change))


def record_payment(user_id: str, payment_id: str, order_id: str, field: str, coupon_id: str) -> dict[str, Any]:
    """Add a coupon or card to what a payment used: the list a refund restores."""
    return dynamo.tx_update(
        keys.redemption(user_id, payment_id),
        f"SET entity = :entity, order_id = :order, payment_id = :payment ADD {field} :ids",
        vals=dynamo.values(entity="redemption", order=order_id, payment=payment_id, ids={coupon_id}),
    )


def record_items(user_id: str, payment_id: str, order_id: str, coupon_ids: list[str],
                 card_ids: list[str]) -> dict[str, Any]:
    """Add coupons and cards to what a payment used, in one update (one transaction item)."""
    adds = [(field, ids) for field, ids in (("coupon_ids", coupon_ids), ("card_ids", card_ids)) if ids]
    expression = "SET entity = :entity, order_id = :order, payment_id = :payment"
    if adds:
        expression += " ADD " + ", ".join(f"{field} :{field}" for field, _ in adds)
    return dynamo.tx_update(keys.redemption(user_id, payment_id), expression,
                            vals=dynamo.values(entity="redemption", order=order_id, payment=payment_id,
                                               **{field: set(ids) for field, ids in adds}))


def get_redemption(user_id: str, payment_id: str) -> dict[str, Any] | None:
    return dynamo.get(keys.redemption(user_id, payment_id), consistent=True)


# A paid order uses a coupon it locked, whatever the clock says (the lock proved it usable and
# the shopper paid the discounted price); or one nobody holds now that is inside its validity.
_REDEEMABLE = ("#kind <> :card AND ((#status = :locked AND order_id = :order) OR "
               "((#status = :unused OR (#status = :locked AND lock_expires_at <= :now)) "
               "AND valid_from <= :now AND valid_until > :now))")


def redeem_items(user_id: str, coupon_id: str, template_id: str, order_id: str, payment_id: str,
                 now: datetime) -> dict[str, dict[str, Any]]:
    """The transaction items (`coupon`, `template`, `redeemed_hour`, `redemption`) using one coupon
    for a payment, counted on its template and in the hour. Refused (`coupon`) when this payment
    cannot use it."""
    return {
        "coupon": dynamo.tx_update(
            keys.coupon(user_id, coupon_id),
            "SET #status = :used, order_id = :order, payment_id = :payment, used_at = :now "
            f"REMOVE lock_expires_at, locked_at, {wallet_store.UNLIST_ALL}",
            condition=f"{ITEM_EXISTS} AND {_REDEEMABLE}", names={"#status": "status", "#kind": "kind"},
            vals=dynamo.values(used="used", locked="locked", unused="unused", card="stored_value", order=order_id,
                               payment=payment_id, now=iso(now)),
        ),
        "template": dynamo.tx_update(keys.template(template_id), "SET redeemed = redeemed + :one",
                                     condition=ITEM_EXISTS, vals=dynamo.values(one=1)),
        REDEEMED_HOUR: redeemed_hour(template_id, now, +1),
        "redemption": record_payment(user_id, payment_id, order_id, "coupon_ids", coupon_id),
    }


def redeem(user_id: str, coupon: Coupon, order_id: str, payment_id: str, now: datetime) -> Coupon:
    """Use one coupon for a payment, counting it on its template, in one transaction; returns
    the used coupon. Refused (`coupon`: the item as it was) when this payment cannot use it."""
    try:
        dynamo.transact(redeem_items(user_id, coupon.id, coupon.template_id, order_id, payment_id, now))
    except dynamo.ConditionFailed as exc:
        raise Refused(exc.failed) from exc
    used = wallet_store.get_coupon(user_id, coupon.id, consistent=True)
    assert used is not None, "a coupon is never deleted"
    return used


def restore(user_id: str, coupon_id: str, template_id: str, payment_id: str, now: datetime,
            used_at: datetime | None = None) -> Coupon:
    """Give a coupon used by a refunded payment back (unused) if it is still valid, listed for
    expiry and for a reminder again (the reminder sweep checks `reminded_at`, so a coupon
    reminded before is not reminded twice), and count it out of the hour it was redeemed in
    (`used_at`, as read: the payment that used it set it once); returns it. Refused (`coupon`)
    otherwise."""
    listing, listing_vals = wallet_store.relist(coupon_id)
    reminder, reminder_vals = wallet_store.relist_reminder(coupon_id)
    items = {
        "coupon": dynamo.tx_update(
            keys.coupon(user_id, coupon_id),
            f"SET #status = :unused, restored_from = :payment, restored_at = :now, {listing}, {reminder} "
            "REMOVE order_id, payment_id, used_at",
            condition="#status = :used AND payment_id = :payment AND valid_until > :now",
            names={"#status": "status"},
            vals=dynamo.values(unused="unused", used="used", payment=payment_id, now=iso(now), **listing_vals,
                               **reminder_vals),
        ),
        "template": dynamo.tx_update(keys.template(template_id), "SET redeemed = redeemed - :one",
                                     condition="redeemed >= :one", vals=dynamo.values(one=1)),
    }
    if used_at is not None:
        items[REDEEMED_HOUR] = redeemed_hour(template_id, used_at, -1)
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        raise Refused(exc.failed) from exc
    restored = wallet_store.get_coupon(user_id, coupon_id, consistent=True)
    assert restored is not None, "a coupon is never deleted"
    return restored
