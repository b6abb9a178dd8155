"""DynamoDB storage of the coupons in a wallet: the coupon item, its listings in the jobs' due
indexes, its lock, revocation, and the jobs' writes (expiry, lapsed locks, reminders).

Update-expression fragments keep the due indexes exact (keys.py): a coupon leaving `unused`
leaves the expiry index in the same write, and one returning to `unused` is listed again in
the same write; a lock is listed while it holds; a coupon that can no longer be used leaves
the reminder index.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import dynamo
from chalicelib.clock import iso
from chalicelib.coupons import keys
from chalicelib.coupons.models import Coupon
from chalicelib.coupons.refused import Refused
from chalicelib.indexes import ITEM_EXISTS

UNLIST = f"REMOVE {keys.EXPIRY.remove}"
UNLIST_ALL = f"{keys.LOCKS.remove}, {keys.EXPIRY.remove}, {keys.REMINDERS.remove}"


def coupon_item(user_id: str, coupon: Coupon) -> dict[str, Any]:
    """The stored item of a coupon. An unused one is listed in the expiry index and the
    reminder index, and every coupon keeps `expiry_sk` so a write returning it to `unused` can
    list it again without reading it. Public because the sweep benchmark seeds the table with it."""
    data = coupon.model_dump(mode="json")
    item = {**keys.coupon(user_id, coupon.id), "entity": "coupon", "user_id": user_id, **data,
            "expiry_sk": keys.expiry_sort_key(data["valid_until"], coupon.id)}
    if coupon.status == "unused":
        item.update(keys.expiry_listing(data["valid_until"], coupon.id))
        item.update(keys.reminder_listing(data["valid_until"], coupon.id))
    return item


def coupon_from(item: dict[str, Any]) -> Coupon:
    return Coupon.model_validate(item, strict=False)


def relist(coupon_id: str) -> tuple[str, dict[str, Any]]:
    """SET fragment (and its value) listing a coupon again under its expiry shard."""
    return (f"{keys.EXPIRY.pk} = :expiry_pk, {keys.EXPIRY.sk} = expiry_sk",
            {"expiry_pk": keys.expiry_partition(keys.expiry_shard(coupon_id))})


def relist_reminder(coupon_id: str) -> tuple[str, dict[str, Any]]:
    """SET fragment (and its value) listing a coupon again for its expiry reminder."""
    return (f"{keys.REMINDERS.pk} = :remind_pk, {keys.REMINDERS.sk} = expiry_sk",
            {"remind_pk": keys.reminder_partition(keys.expiry_shard(coupon_id))})


# A lock written by an order reservation names its order here: it belongs to the reservation,
# and the per-coupon routes can neither renew nor give it back (only the reservation's release,
# its payment, or a sweep of a lapsed lock); chalicelib/coupons/reserving.py.
RESERVED_BY = "reserved_by"
_NOT_RESERVED = f"(attribute_not_exists({RESERVED_BY}) OR {RESERVED_BY} <> :order)"


def unlocked(coupon_id: str) -> tuple[str, dict[str, Any]]:
    """The update (and its values) giving a locked coupon back: `unused`, listed for expiry
    again, its lock and lock listing gone. The caller's condition says whose lock may go."""
    listing, listing_vals = relist(coupon_id)
    return (f"SET #status = :unused, {listing} REMOVE order_id, lock_expires_at, locked_at, {RESERVED_BY}, "
            f"{keys.LOCKS.remove}",
            {"unused": "unused", **listing_vals})


def lock_listing(expires_at: datetime, holder: str) -> tuple[str, dict[str, Any]]:
    """SET fragment (and its values) listing a lock or hold by when it lapses."""
    listing = keys.lock_listing(iso(expires_at), holder)
    return (f"{keys.LOCKS.pk} = :lock_pk, {keys.LOCKS.sk} = :lock_sk",
            {"lock_pk": listing[keys.LOCKS.pk], "lock_sk": listing[keys.LOCKS.sk]})


def get_coupon(user_id: str, coupon_id: str, consistent: bool = False) -> Coupon | None:
    item = dynamo.get(keys.coupon(user_id, coupon_id), consistent=consistent)
    return coupon_from(item) if item else None


# What each listed status means in storage: an unused coupon past its validity is expired
# to its holder before the expiry sweep stores it so.
_AVAILABLE = "(#status = :unused OR (#status = :locked AND lock_expires_at <= :now))"
_STATUS_FILTERS = {
    "unused": f"{_AVAILABLE} AND valid_until > :now",
    "locked": "#status = :locked AND lock_expires_at > :now",
    "used": "#status = :used",
    "expired": f"#status = :expired OR ({_AVAILABLE} AND valid_until <= :now)",
    "revoked": "#status = :revoked",
}


def list_coupons(user_id: str, status: str | None, now: datetime, limit: int,
                 cursor: str | None) -> tuple[list[Coupon], str | None]:
    filter_expression = _STATUS_FILTERS.get(status) if status else None
    vals: dict[str, Any] = {"prefix": keys.COUPON_PREFIX}
    if filter_expression:
        vals.update({name: name for name in ("unused", "locked", "used", "expired", "revoked")
                     if f":{name}" in filter_expression})
        if ":now" in filter_expression:
            vals["now"] = iso(now)
    items, next_cursor = dynamo.query_page(
        partition_attr=keys.TABLE.pk, partition_value=keys.user_partition(user_id), key_attrs=keys.TABLE.key_attrs,
        limit=limit, cursor=cursor, sort_condition=f"begins_with({keys.TABLE.sk}, :prefix)",
        filter_expression=filter_expression,
        names={"#status": "status"} if filter_expression else None,
        vals=dynamo.values(**vals),
    )
    return [coupon_from(i) for i in items], next_cursor


def usable_coupons(user_id: str, now: datetime, max_items: int = 1000) -> list[Coupon]:
    """The caller's coupons that a new order could use now (unused or with a lapsed lock, inside
    their validity), for the best-choice quote. Reads the wallet page by page."""
    found: list[Coupon] = []
    cursor = None
    while len(found) < max_items:
        items, cursor = dynamo.query_page(
            partition_attr=keys.TABLE.pk, partition_value=keys.user_partition(user_id),
            key_attrs=keys.TABLE.key_attrs, limit=100, cursor=cursor,
            sort_condition=f"begins_with({keys.TABLE.sk}, :prefix)",
            filter_expression=f"{_AVAILABLE} AND valid_from <= :now AND valid_until > :now",
            names={"#status": "status"},
            vals=dynamo.values(prefix=keys.COUPON_PREFIX, unused="unused", locked="locked", now=iso(now)),
        )
        found.extend(coupon_from(i) for i in items)
        if cursor is None:
            break
    return found[:max_items]


def coupons_by_id(user_id: str, coupon_ids: list[str]) -> dict[str, Coupon]:
    """The caller's coupons among `coupon_ids` (one BatchGetItem); others' ids simply are not found."""
    found = dynamo.batch_get([keys.coupon(user_id, cid) for cid in coupon_ids])
    return {item["id"]: coupon_from(item) for item in found}


# --- locks ------------------------------------------------------------------------------------

# A coupon can go into an order if it is unused, or locked by this order, or its lock lapsed,
# and it is inside its validity window; a card is never locked (its balance is held instead).
_LOCKABLE = ("#kind <> :card AND valid_from <= :now AND valid_until > :now AND (#status = :unused "
             "OR (#status = :locked AND (order_id = :order OR lock_expires_at <= :now)))")


def _lock_args(user_id: str, coupon_id: str, order_id: str, now: datetime, expires_at: datetime,
               reservation: bool) -> dict[str, Any]:
    """A reservation's lock is marked `reserved_by` its order; a per-coupon lock is not, and may
    not take over (renew) the lock a reservation of the same order holds."""
    listed, listed_vals = lock_listing(expires_at, coupon_id)
    mark, unmark = (f", {RESERVED_BY} = :order", "") if reservation else ("", f", {RESERVED_BY}")
    condition = f"{ITEM_EXISTS} AND {_LOCKABLE}" + ("" if reservation else
                                                    f" AND (#status <> :locked OR lock_expires_at <= :now OR {_NOT_RESERVED})")
    return {"key": keys.coupon(user_id, coupon_id),
            "expression": f"SET #status = :locked, order_id = :order, lock_expires_at = :expires, locked_at = :now, "
                          f"{listed}{mark} {UNLIST}{unmark}",
            "condition": condition, "names": {"#status": "status", "#kind": "kind"},
            "vals": dynamo.values(locked="locked", unused="unused", card="stored_value", order=order_id,
                                  expires=iso(expires_at), now=iso(now), **listed_vals)}


def lock(user_id: str, coupon_id: str, order_id: str, now: datetime, expires_at: datetime) -> Coupon:
    """Reserve a coupon for one order: one conditional UpdateItem decides among racing orders.
    The lock is listed by when it lapses, for the lock release sweep. Refused: `coupon`."""
    try:
        item = dynamo.update(**_lock_args(user_id, coupon_id, order_id, now, expires_at, reservation=False))
    except dynamo.ConditionFailed as exc:
        raise Refused({"coupon": exc.old}) from exc
    return coupon_from(item)


def lock_tx(user_id: str, coupon_id: str, order_id: str, now: datetime, expires_at: datetime) -> dict[str, Any]:
    """`lock` as a transaction item (an order reservation's), with the same condition; locking
    again for the same order moves the lock's expiry (a renewal)."""
    return dynamo.tx_update(**_lock_args(user_id, coupon_id, order_id, now, expires_at, reservation=True))


def unlock_tx(user_id: str, coupon_id: str, order_id: str) -> dict[str, Any]:
    """`unlock` as a transaction item: refused unless `order_id` holds the lock."""
    expression, expression_vals = unlocked(coupon_id)
    return dynamo.tx_update(keys.coupon(user_id, coupon_id), expression,
                            condition="#status = :locked AND order_id = :order", names={"#status": "status"},
                            vals=dynamo.values(locked="locked", order=order_id, **expression_vals))


def unlock(user_id: str, coupon_id: str, order_id: str) -> Coupon:
    """Give back the lock `order_id` holds. The coupon is listed in the expiry index again, so a
    sweep expires it if its validity is over. Refused (`coupon`) when that order holds no lock,
    or its reservation does (RESERVED_BY)."""
    expression, expression_vals = unlocked(coupon_id)
    try:
        item = dynamo.update(
            keys.coupon(user_id, coupon_id), expression,
            condition=f"#status = :locked AND order_id = :order AND {_NOT_RESERVED}",
            names={"#status": "status"}, vals=dynamo.values(locked="locked", order=order_id, **expression_vals),
        )
    except dynamo.ConditionFailed as exc:
        raise Refused({"coupon": exc.old}) from exc
    return coupon_from(item)


def revoke(user_id: str, coupon_id: str, now: datetime) -> Coupon:
    """unused (or locked, or stored as expired) -> revoked; a card only while untouched (its
    balance whole, nothing held). Refused (`coupon`) otherwise."""
    try:
        item = dynamo.update(
            keys.coupon(user_id, coupon_id),
            f"SET #status = :revoked, revoked_at = :now REMOVE order_id, lock_expires_at, locked_at, {RESERVED_BY}, "
        f"{UNLIST_ALL}",
            condition=(f"{ITEM_EXISTS} AND #status IN (:unused, :locked, :expired) "
                       "AND (#kind <> :card OR (balance = #value AND held = :zero))"),
            names={"#status": "status", "#kind": "kind", "#value": "value"},
            vals=dynamo.values(revoked="revoked", unused="unused", locked="locked", expired="expired",
                               card="stored_value", zero=0, now=iso(now)),
        )
    except dynamo.ConditionFailed as exc:
        raise Refused({"coupon": exc.old}) from exc
    return coupon_from(item)


# --- the scheduled jobs' writes (sweeps.py) ----------------------------------------------------

def expire_one(key: dict[str, str], now: datetime) -> bool:
    """unused and past validity -> expired, leaving the expiry and reminder indexes; False if
    not so (any more)."""
    try:
        dynamo.update(
            key, f"SET #status = :expired, expired_at = :now REMOVE {keys.EXPIRY.remove}, {keys.REMINDERS.remove}",
            condition="#status = :unused AND valid_until <= :now", names={"#status": "status"},
            vals=dynamo.values(expired="expired", unused="unused", now=iso(now)),
        )
    except dynamo.ConditionFailed:
        return False
    return True


def unlock_lapsed(key: dict[str, str], coupon_id: str, now: datetime) -> bool:
    """locked with a lock that lapsed by `now` -> unused (listed for expiry again); False when a
    payment, an unlock or a new lock got there first."""
    expression, expression_vals = unlocked(coupon_id)
    try:
        dynamo.update(
            key, expression, condition="#status = :locked AND lock_expires_at <= :now", names={"#status": "status"},
            vals=dynamo.values(locked="locked", now=iso(now), **expression_vals),
        )
    except dynamo.ConditionFailed:
        return False
    return True


def mark_reminded(key: dict[str, str], now: datetime) -> bool:
    """Claim the coupon's one reminder: it is unused or locked, still valid, never reminded."""
    try:
        dynamo.update(
            key, f"SET reminded_at = :now REMOVE {keys.REMINDERS.remove}",
            condition=("#status IN (:unused, :locked) AND valid_until > :now "
                       "AND attribute_not_exists(reminded_at)"),
            names={"#status": "status"}, vals=dynamo.values(unused="unused", locked="locked", now=iso(now)),
        )
    except dynamo.ConditionFailed as exc:
        _unlist_if_done(key, exc.old)
        return False
    return True


def _unlist_if_done(key: dict[str, str], old: dict[str, Any] | None) -> None:
    """A coupon found in the reminder index that will never need a reminder (reminded before,
    then given back by a refund) leaves the index, so no later run reads it again. Conditional
    on what made it so, in case a write moved it meanwhile."""
    if old is None or "reminded_at" not in old:
        return  # gone, or moved by a write that takes it out of the index itself
    try:
        dynamo.update(key, f"REMOVE {keys.REMINDERS.remove}", condition="attribute_exists(reminded_at)")
    except dynamo.ConditionFailed:
        pass


def unmark_reminded(key: dict[str, str], coupon_id: str, now: datetime) -> None:
    """Take back this run's mark (its send failed) and list the coupon again."""
    reminder, reminder_vals = relist_reminder(coupon_id)
    try:
        dynamo.update(key, f"SET {reminder} REMOVE reminded_at", condition="reminded_at = :now",
                      vals=dynamo.values(now=iso(now), **reminder_vals))
    except dynamo.ConditionFailed:
        pass


def revoke_audited(user_id: str, coupon: Coupon, now: datetime, audit: dict[str, dict[str, Any]]) -> Coupon:
    """Support's revocation: unused -> revoked, or locked -> revoked only while the lock is the one
    `coupon` shows (same order, same expiry: a reservation taking or renewing it moves the
    expiry), with the `audit` items in the same transaction; a card only while untouched.
    Refused (`coupon`) otherwise."""
    names = {"#status": "status", "#kind": "kind", "#value": "value"}
    vals: dict[str, Any] = {"revoked": "revoked", "unused": "unused", "card": "stored_value", "zero": 0,
                            "now": iso(now)}
    condition = f"{ITEM_EXISTS} AND (#kind <> :card OR (balance = #value AND held = :zero)) AND "
    if coupon.status == "locked" and coupon.order_id and coupon.lock_expires_at:
        condition += ("#status = :locked AND order_id = :order AND lock_expires_at = :expires "
                      f"AND ({_NOT_RESERVED} OR lock_expires_at <= :now)")
        vals.update(locked="locked", order=coupon.order_id, expires=iso(coupon.lock_expires_at))
    else:
        condition += "#status = :unused"
    update = dynamo.tx_update(
        keys.coupon(user_id, coupon.id),
        f"SET #status = :revoked, revoked_at = :now REMOVE order_id, lock_expires_at, locked_at, {RESERVED_BY}, "
        f"{UNLIST_ALL}",
        condition=condition, names=names, vals=dynamo.values(**vals))
    try:
        dynamo.transact({"coupon": update, **audit})
    except dynamo.ConditionFailed as exc:
        raise Refused({"coupon": exc.failed.get("coupon")}) from exc
    return coupon.model_copy(update={"status": "revoked", "order_id": None, "lock_expires_at": None,
                                     "reserved_by": None})
