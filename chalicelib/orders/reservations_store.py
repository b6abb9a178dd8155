"""DynamoDB storage of order reservations: the reservation item's writes as transaction items
(named `reservation`), the one transaction every reservation operation runs, and the lapsed
reservations' due index.

A reservation moves `reserved -> released | paid` (and `released -> reserved` when the order is
reserved again); every move is conditional on the state it was computed from (status, expiry,
what refunds gave back), so racing releases, renewals, payments and the job decide once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from chalicelib import dynamo
from chalicelib.clock import iso
from chalicelib.jobs.budget import Budget
from chalicelib.jobs.report import SweepReport
from chalicelib.jobs.walk import walk
from chalicelib.orders import keys
from chalicelib.orders.models import ReservationRecord

RESERVATION = "reservation"  # the reservation's name among a transaction's items


class Refused(Exception):
    """A reservation transaction was refused: `failed` maps the refused items' names to their
    old images (None: absent). The service explains it."""

    def __init__(self, failed: dict[str, dict[str, Any] | None]) -> None:
        super().__init__(f"refused: {', '.join(failed)}")
        self.failed = failed


def transact(items: dict[str, dict[str, Any]]) -> None:
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        raise Refused(exc.failed) from exc


def record_from(item: dict[str, Any]) -> ReservationRecord:
    return ReservationRecord.model_validate(item)


def get(user_id: str, order_id: str) -> ReservationRecord | None:
    item = dynamo.get(keys.reservation(user_id, order_id), consistent=True)
    return record_from(item) if item else None


def _item(record: ReservationRecord) -> dict[str, Any]:
    data = {**record.model_dump(mode="json"), "expires_at": iso(record.expires_at)}  # compared as text
    listing = keys.due_listing(record.user_id, record.order_id, data["expires_at"]) if record.status == "reserved" else {}
    return {**keys.reservation(record.user_id, record.order_id), "entity": "reservation", **data, **listing}


def put_tx(record: ReservationRecord) -> dict[str, Any]:
    """A new reservation of the order: refused unless the order has none, or only a released one."""
    return dynamo.tx_put(_item(record), keys.NEW_OR_RELEASED, names={"#status": "status"},
                         vals=dynamo.values(released="released"))


def renew_tx(record: ReservationRecord, expires_at: datetime) -> dict[str, Any]:
    """The same request again: the reservation's expiry moves on; refused unless it is still
    reserved for that request."""
    listing = keys.due_listing(record.user_id, record.order_id, iso(expires_at))
    return dynamo.tx_update(
        keys.reservation(record.user_id, record.order_id), "SET expires_at = :expires, #dpk = :dpk, #dsk = :dsk",
        condition="#status = :reserved AND request_hash = :hash",
        names={"#status": "status", "#dpk": keys.DUE.pk, "#dsk": keys.DUE.sk},
        vals=dynamo.values(expires=iso(expires_at), dpk=listing[keys.DUE.pk], dsk=listing[keys.DUE.sk],
                           reserved="reserved", hash=record.request_hash))


def release_tx(record: ReservationRecord, now: datetime, only_lapsed: bool = False) -> dict[str, Any]:
    """reserved -> released (leaving the due index), pinned on the expiry read: a renewal or a
    payment in between refuses it."""
    condition = "#status = :reserved AND expires_at = :seen" + (" AND expires_at <= :now" if only_lapsed else "")
    return dynamo.tx_update(
        keys.reservation(record.user_id, record.order_id),
        f"SET #status = :released, released_at = :now REMOVE {keys.DUE.remove}",
        condition=condition, names={"#status": "status"},
        vals=dynamo.values(released="released", reserved="reserved", seen=iso(record.expires_at), now=iso(now)))


def pay_tx(record: ReservationRecord, payment_ref: str, balance: int, points: int, outcome: str) -> dict[str, Any]:
    """reserved or released -> paid by `payment_ref`, once: pinned on the status and expiry read."""
    return dynamo.tx_update(
        keys.reservation(record.user_id, record.order_id),
        f"SET #status = :paid, paid_by = :ref, spent_balance = :balance, spent_points = :points, outcome = :outcome "
        f"REMOVE {keys.DUE.remove}",
        condition="#status = :was AND expires_at = :seen", names={"#status": "status"},
        vals=dynamo.values(paid="paid", ref=payment_ref, balance=balance, points=points, outcome=outcome,
                           was=record.status, seen=iso(record.expires_at)))


def give_back_tx(record: ReservationRecord, balance: int, points: int) -> dict[str, Any]:
    """What refunds gave back in total, moved from the amounts read: refused if a concurrent
    delivery moved them first (nothing is given back twice)."""
    return dynamo.tx_update(
        keys.reservation(record.user_id, record.order_id),
        "SET given_back_balance = :balance, given_back_points = :points",
        condition="#status = :paid AND paid_by = :ref AND given_back_balance = :seen_b AND given_back_points = :seen_p",
        names={"#status": "status"},
        vals=dynamo.values(balance=balance, points=points, paid="paid", ref=record.paid_by,
                           seen_b=record.given_back_balance, seen_p=record.given_back_points))


def walk_due(now: datetime, budget: Budget, report: SweepReport,
             handle: Callable[[ReservationRecord], bool]) -> SweepReport:
    """The reservations still reserved whose expiry is past at `now`, through the shared
    budgeted walk (jobs/walk.py): a run reads what is due, not the table."""
    return walk(report, budget, index=keys.DUE, partitions=[keys.due_partition(s) for s in range(keys.DUE_SHARDS)],
                upto=keys.due_bound(iso(now)), handle=lambda item: handle(record_from(item)))
