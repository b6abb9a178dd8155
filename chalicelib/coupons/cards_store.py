"""DynamoDB storage of stored-value cards: holds (one per card and order), their release,
spending and refund, each in one transaction with the card's balance and its history entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import dynamo
from chalicelib.clock import iso
from chalicelib.coupons import keys
from chalicelib.coupons.cards import entry
from chalicelib.coupons.models import CardEntry, Hold
from chalicelib.coupons.refused import Refused
from chalicelib.indexes import ITEM_ABSENT, ITEM_EXISTS


def card_log_put(user_id: str, card_id: str, card_entry: CardEntry) -> dict[str, Any]:
    return dynamo.tx_put({**keys.card_log(user_id, card_id, card_entry.id), "entity": "card_entry",
                          "card_id": card_id, **card_entry.model_dump(mode="json")}, ITEM_ABSENT)


def hold_from(item: dict[str, Any]) -> Hold:
    return Hold.model_validate(item, strict=False)


def get_hold(user_id: str, card_id: str, order_id: str) -> Hold | None:
    item = dynamo.get(keys.card_hold(user_id, card_id, order_id), consistent=True)
    return hold_from(item) if item else None


def hold_items(user_id: str, card_id: str, order_id: str, amount: int, now: datetime,
               expires_at: datetime, reservation: bool = False) -> tuple[Hold, dict[str, dict[str, Any]]]:
    """The hold and the transaction items (`card`, `hold`, `entry`) that move `amount` of a
    card's balance into it for one order, with its history entry. `balance >= :amount` is the
    condition that keeps the balance from going negative, however many holds race. Refused:
    `card` (not a usable card with that balance), `hold` (this order holds the card already, or
    paid with it)."""
    held = Hold(card_id=card_id, order_id=order_id, amount=amount, status="held", expires_at=expires_at,
                created_at=now, reserved=reservation)
    items = {
        "card": dynamo.tx_update(
            keys.coupon(user_id, card_id), "SET balance = balance - :amount, held = held + :amount",
            condition=("#kind = :card AND #status = :unused AND valid_from <= :now AND valid_until > :now "
                       "AND balance >= :amount"),
            names={"#kind": "kind", "#status": "status"},
            vals=dynamo.values(amount=amount, card="stored_value", unused="unused", now=iso(now)),
        ),
        "hold": dynamo.tx_put({**keys.card_hold(user_id, card_id, order_id), "entity": "hold",
                               **held.model_dump(mode="json"),
                               **keys.lock_listing(iso(expires_at), keys.hold_holder(card_id, order_id))},
                              f"{ITEM_ABSENT} OR #status = :released", names={"#status": "status"},
                              vals=dynamo.values(released="released")),
        "entry": card_log_put(user_id, card_id, entry("hold", amount, -amount, amount, now, order_id)),
    }
    return held, items


def hold(user_id: str, card_id: str, order_id: str, amount: int, now: datetime, expires_at: datetime) -> Hold:
    """One transaction of `hold_items`. Refused: `card`, `hold`."""
    held, items = hold_items(user_id, card_id, order_id, amount, now, expires_at)
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        raise Refused(exc.failed) from exc
    return held


def renew_hold_item(user_id: str, card_id: str, order_id: str, amount: int, expires_at: datetime) -> dict[str, Any]:
    """A transaction item moving a live hold's expiry (and its lock listing): refused unless
    the order still holds `amount` of the card."""
    listing = keys.lock_listing(iso(expires_at), keys.hold_holder(card_id, order_id))
    return dynamo.tx_update(
        keys.card_hold(user_id, card_id, order_id), "SET expires_at = :expires, #lpk = :lpk, #lsk = :lsk",
        condition="#status = :held AND amount = :amount",
        names={"#status": "status", "#lpk": keys.LOCKS.pk, "#lsk": keys.LOCKS.sk},
        vals=dynamo.values(expires=iso(expires_at), lpk=listing[keys.LOCKS.pk], lsk=listing[keys.LOCKS.sk],
                           held="held", amount=amount))


def release_items(user_id: str, held: Hold, now: datetime, only_lapsed: bool = False,
                  reservation: bool = False) -> dict[str, dict[str, Any]]:
    """The transaction items (`hold`, `card`, `entry`) returning a hold's amount to the card's
    balance; refused (`hold`) unless the hold is still `held` as read. A hold an order
    reservation wrote (`reserved`) is released only by that reservation (`reservation`) or once
    lapsed (`only_lapsed`)."""
    condition = "#status = :held AND amount = :amount"
    if only_lapsed:
        condition += " AND expires_at <= :now"
    elif not reservation:
        condition += " AND (attribute_not_exists(reserved) OR reserved = :false)"
    return {
        "hold": dynamo.tx_update(keys.card_hold(user_id, held.card_id, held.order_id),
                                 f"SET #status = :released, released_at = :now REMOVE {keys.LOCKS.remove}",
                                 condition=condition, names={"#status": "status"},
                                 vals=dynamo.values(held="held", released="released", amount=held.amount,
                                                    now=iso(now),
                                                    **({} if only_lapsed or reservation else {"false": False}))),
        "card": dynamo.tx_update(keys.coupon(user_id, held.card_id),
                                 "SET balance = balance + :amount, held = held - :amount",
                                 condition=ITEM_EXISTS, vals=dynamo.values(amount=held.amount)),
        "entry": card_log_put(user_id, held.card_id, entry("release", held.amount, held.amount, -held.amount, now,
                                                           held.order_id)),
    }


def release(user_id: str, held: Hold, now: datetime, only_lapsed: bool = False) -> bool:
    """Return a hold's amount to the card's balance. False when the hold is no longer `held` as
    read (released, spent, or replaced by a new hold of another amount meanwhile)."""
    try:
        dynamo.transact(release_items(user_id, held, now, only_lapsed))
    except dynamo.ConditionFailed:
        return False
    return True


def lapsed_holds(user_id: str, card_id: str, now: datetime) -> list[Hold]:
    """Holds of a card whose order neither paid nor gave them back in time."""
    items, _ = dynamo.query_page(
        partition_attr=keys.TABLE.pk, partition_value=keys.user_partition(user_id), key_attrs=keys.TABLE.key_attrs,
        limit=100, cursor=None, sort_condition=f"begins_with({keys.TABLE.sk}, :prefix)",
        filter_expression="#status = :held AND expires_at <= :now", names={"#status": "status"},
        vals=dynamo.values(prefix=keys.card_holds_prefix(card_id), held="held", now=iso(now)),
    )
    return [hold_from(i) for i in items]


def card_history(user_id: str, card_id: str, limit: int, cursor: str | None) -> tuple[list[CardEntry], str | None]:
    items, next_cursor = dynamo.query_page(
        partition_attr=keys.TABLE.pk, partition_value=keys.user_partition(user_id), key_attrs=keys.TABLE.key_attrs,
        limit=limit, cursor=cursor, sort_condition=f"begins_with({keys.TABLE.sk}, :prefix)",
        vals=dynamo.values(prefix=keys.card_log_prefix(card_id)),
    )
    return [CardEntry.model_validate(i, strict=False) for i in items], next_cursor


def spend_hold_items(user_id: str, held: Hold, payment_id: str, now: datetime) -> dict[str, dict[str, Any]]:
    """The transaction items (`hold`, `card`, `entry`) spending an order's hold for its payment.
    A hold still `held` (even past its expiry) is paid from the held amount; a hold that lapsed
    and was released is paid from the balance again, if the balance still covers it. Refused:
    `hold` (not as read), `card` (the balance falls short)."""
    lapsed = held.status == "released"
    card_update = (
        dynamo.tx_update(keys.coupon(user_id, held.card_id), "SET balance = balance - :amount",
                         condition="balance >= :amount", vals=dynamo.values(amount=held.amount))
        if lapsed else
        dynamo.tx_update(keys.coupon(user_id, held.card_id), "SET held = held - :amount",
                         condition=ITEM_EXISTS, vals=dynamo.values(amount=held.amount))
    )
    spent = (entry("spend", held.amount, -held.amount, 0, now, held.order_id, payment_id) if lapsed
             else entry("spend", held.amount, 0, -held.amount, now, held.order_id, payment_id))
    return {
        "hold": dynamo.tx_update(keys.card_hold(user_id, held.card_id, held.order_id),
                                 f"SET #status = :spent, payment_id = :payment, spent_at = :now "
                                 f"REMOVE {keys.LOCKS.remove}",
                                 condition="#status = :was AND amount = :amount", names={"#status": "status"},
                                 vals=dynamo.values(spent="spent", payment=payment_id, now=iso(now), was=held.status,
                                                    amount=held.amount)),
        "card": card_update,
        "entry": card_log_put(user_id, held.card_id, spent),
    }


def spend_hold(user_id: str, held: Hold, payment_id: str, now: datetime,
               record: dict[str, Any]) -> None:
    """`spend_hold_items` with `record` (the payment's redemption record item) in one
    transaction. Refused: `hold` (not as read), `card` (the balance falls short)."""
    items = {**spend_hold_items(user_id, held, payment_id, now), "redemption": record}
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        raise Refused(exc.failed) from exc


def refund_hold(user_id: str, held: Hold, payment_id: str, now: datetime) -> bool:
    """Return what a refunded payment spent from a card to its balance; False if not spent by it."""
    items = {
        "hold": dynamo.tx_update(keys.card_hold(user_id, held.card_id, held.order_id),
                                 "SET #status = :refunded, refunded_at = :now",
                                 condition="#status = :spent AND payment_id = :payment", names={"#status": "status"},
                                 vals=dynamo.values(refunded="refunded", spent="spent", payment=payment_id,
                                                    now=iso(now))),
        "card": dynamo.tx_update(keys.coupon(user_id, held.card_id), "SET balance = balance + :amount",
                                 condition=ITEM_EXISTS, vals=dynamo.values(amount=held.amount)),
        "entry": card_log_put(user_id, held.card_id, entry("refund", held.amount, held.amount, 0, now, held.order_id,
                                                           payment_id)),
    }
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed:
        return False
    return True
