"""What a payment and its refunds do to the order's reservation: the one orders module that
settlement (chalicelib.rebates.settlement) imports. No boto3, no Chalice: time comes in as `now`.

`spend_reservation`: in one transaction the reservation becomes `paid` (exactly once: pinned on
the status and expiry read), the account's holds leave as ledger `spend` entries (ref the
payment), the card holds are spent (card history) and the coupon is used, with the payment's
redemption record (what a full refund restores). A reservation that was released (or lapsed and
was released) is spent from what is still free, as a lapsed coupon lock is: a part that is no
longer there (the coupon taken by another order, a card or the balance short) is left out and
reported in the outcome.

`give_back`: refunds totalling R of a payment of C have given back `floor(used * R / C)` of the
balance and points the payment spent (all of it for C = 0), as ledger `refund` entries; the
amounts given back are stored on the reservation and pinned, so nothing is given back twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Mapping

from chalicelib.coupons import reserving
from chalicelib.errors import Throttled
from chalicelib.orders import reservations_store as store
from chalicelib.orders.models import ReservationRecord
from chalicelib.rebates import holds

ATTEMPTS = 8
NONE = "no reservation"


def spend_reservation(user_id: str, order_id: str, payment_ref: str, now: datetime) -> str:
    """Spend the order's reservation for the payment, once; the outcome as text."""
    for _ in range(ATTEMPTS):
        record = store.get(user_id, order_id)
        if record is None:
            return NONE
        if record.status == "paid":
            if record.paid_by == payment_ref:
                return record.outcome or "spent"
            return f"not spent: the reservation was paid by {record.paid_by}"
        outcome = _spend(record, payment_ref, now)
        if outcome is not None:
            return outcome
    raise Throttled("This order's reservation is changing under many writes; retry shortly.")


def _spend(record: ReservationRecord, payment_ref: str, now: datetime) -> str | None:
    """One pass: the transaction, narrowed to what is still there; None when the reservation
    itself moved meanwhile (read it again)."""
    from_held = record.status == "reserved"
    skip: set[str] = set()
    balance, points = record.balance, record.points
    for _ in range(len(record.cards) + 3):
        parts = reserving.spend_items(record.user_id, record.order_id, record.coupon_id, record.card_amounts(),
                                      payment_ref, now, frozenset(skip))
        outcome = _outcome(record, parts, balance, points)
        items = {store.RESERVATION: store.pay_tx(record, payment_ref, balance, points, outcome), **parts,
                 **holds.spend_items(record.user_id, payment_ref, balance, points, from_held, now)}
        try:
            store.transact(items)
        except store.Refused as exc:
            if store.RESERVATION in exc.failed or (from_held and holds.ACCOUNT in exc.failed):
                return None
            if holds.ACCOUNT in exc.failed:
                old = exc.failed[holds.ACCOUNT] or {}
                balance = balance if int(old.get("balance", 0)) >= balance else 0
                points = points if int(old.get("points", 0)) >= points else 0
            # A hold whose status moved (released by the lock sweep, say) is read again and spent
            # as it now is; a card or coupon refused for itself is left out.
            skip.update(_part(name) for name in exc.failed if name != holds.ACCOUNT and not name.startswith("hold"))
            continue
        return outcome
    return None


def _part(name: str) -> str:
    """The part a refused item belongs to: `coupon` (coupon, template) or `card<i>`."""
    if name in (reserving.COUPON, reserving.TEMPLATE):
        return reserving.COUPON
    return "card" + name.lstrip("abcdefghijklmnopqrstuvwxyz")


def _outcome(record: ReservationRecord, parts: Mapping[str, object], balance: int, points: int) -> str:
    cards = sum(1 for name in parts if name.startswith("hold"))
    text = (f"spent balance {balance} of {record.balance}, points {points} of {record.points}, "
            f"cards {cards} of {len(record.cards)}")
    if record.coupon_id:
        text += ", coupon " + ("used" if reserving.COUPON in parts else "not used")
    return text + ("" if record.status == "reserved" else " (the reservation had been released)")


def give_back(user_id: str, order_id: str, payment_ref: str, paid_amount: int, refunded_total: int,
              now: datetime) -> str:
    """Give back what refunds totalling `refunded_total` of the payment call for; the outcome."""
    for _ in range(ATTEMPTS):
        record = store.get(user_id, order_id)
        if record is None or record.status != "paid" or record.paid_by != payment_ref:
            return NONE
        due_balance = max(holds.given_back_due(record.spent_balance, refunded_total, paid_amount),
                          record.given_back_balance)
        due_points = max(holds.given_back_due(record.spent_points, refunded_total, paid_amount),
                         record.given_back_points)
        balance, points = due_balance - record.given_back_balance, due_points - record.given_back_points
        if not (balance or points):
            return "nothing more to give back"
        items = {store.RESERVATION: store.give_back_tx(record, due_balance, due_points),
                 **holds.give_back_items(user_id, payment_ref, balance, points, holds.free(user_id), now)}
        try:
            store.transact(items)
        except store.Refused:
            continue  # another delivery gave back first, or the debts moved: compute again
        return f"gave back balance {balance}, points {points}"
    raise Throttled("This order's reservation is changing under many writes; retry shortly.")
