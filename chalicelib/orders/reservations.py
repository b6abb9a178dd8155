"""Order reservations (API.md, "Paying with rebates ... and order reservations"; docs/checkout.md,
"Order reservations"): one call prices an order and, in ONE DynamoDB transaction, puts the
reservation, locks its discount coupon, holds each card's amount, holds balance and points on
the account (with ledger entries), and checks that the programme settings it was priced with
are still the stored version. Releasing gives everything back in one transaction; the
lock-release job releases the lapsed ones. No boto3, no Chalice: time comes in as `now`.

Coupons are reached only through coupons/reserving.py, the account only through rebates/holds.py.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from chalicelib.coupons import reserving
from chalicelib.errors import (
    AlreadyLocked, DomainError, InsufficientBalance, InsufficientPoints, InvalidState, NotFound, Throttled,
)
from chalicelib.jobs.budget import Budget
from chalicelib.jobs.report import SweepReport
from chalicelib.orders import quotes
from chalicelib.orders import reservations_store as store
from chalicelib.orders.models import HeldCard, Reservation, ReservationRecord, ReservationRequest
from chalicelib.programme import store as programme
from chalicelib.programme.models import ProgrammeSettings
from chalicelib.rebates import holds

ATTEMPTS = 4  # how often an operation reads again after a racing write changed what it read
RESERVATION = store.RESERVATION


def request_hash(request: ReservationRequest) -> str:
    """What makes two requests "the same body": the validated request, canonically."""
    return hashlib.sha256(request.model_dump_json().encode()).hexdigest()


def reserve(user_id: str, request: ReservationRequest, now: datetime) -> Reservation:
    """Reserve the order, or answer its reservation again (renewed) for the same request."""
    wanted = request_hash(request)
    for attempt in range(ATTEMPTS):
        existing = store.get(user_id, request.order_id)
        if (existing is not None and existing.status == "reserved" and existing.request_hash != wanted
                and existing.expires_at <= now):
            _release(user_id, request.order_id, now, only_lapsed=True)  # lapsed: as the job would
            continue
        if existing is not None and existing.status != "released":
            again = _again(existing, wanted, now)
            if again is not None:
                return again
            continue  # the renewal found a coupon or hold lost: released now, reserve afresh
        settings = programme.current(now) if attempt == 0 else programme.fresh(now)
        try:
            return _reserve(user_id, request, wanted, settings, now)
        except _Raced:
            continue
    raise Throttled("This order is changing under many requests; retry shortly.")


class _Raced(Exception):
    """What the transaction was computed from changed (the order's reservation, the settings)."""


def _reserve(user_id: str, request: ReservationRequest, wanted: str, settings: ProgrammeSettings,
             now: datetime) -> Reservation:
    priced = quotes.price_order(user_id, request.items, request.coupon_ids, request.use_balance or 0,
                                request.use_points or 0, settings, holds.free(user_id), now)
    record = ReservationRecord(
        user_id=user_id, order_id=request.order_id, status="reserved", request_hash=wanted, quote=priced.quote,
        coupon_id=priced.discount_coupon.id if priced.discount_coupon else None,
        cards=[HeldCard(card_id=c.id, amount=amount) for c, amount in priced.cards],
        balance=priced.balance_used, points=priced.points_used, expires_at=reserving.lock_expiry(now), created_at=now)
    items = {
        RESERVATION: store.put_tx(record),
        **reserving.reserve_items(user_id, record.order_id, record.coupon_id, record.card_amounts(), now,
                                  record.expires_at),
        **holds.reserve_items(user_id, record.order_id, record.balance, record.points, now),
        programme.SETTINGS: programme.unchanged_check(settings),
    }
    try:
        store.transact(items)
    except store.Refused as exc:
        if RESERVATION in exc.failed or programme.SETTINGS in exc.failed:
            raise _Raced() from exc
        raise _refusal(exc.failed, record, now) from exc
    return record.shown()


def _refusal(failed: dict[str, dict[str, object] | None], record: ReservationRecord, now: datetime) -> DomainError:
    """Why DynamoDB refused a reservation: the coupons' explanation, or the account's shortfall."""
    explained = reserving.refusal(failed, record.order_id, now)
    if explained is not None:
        return explained
    if holds.short_of(failed.get(holds.ACCOUNT), record.balance) == "balance":
        return InsufficientBalance(f"The free balance no longer covers {record.balance} fen; quote again.")
    return InsufficientPoints(f"The free points no longer cover {record.points} points; quote again.")


def _again(existing: ReservationRecord, wanted: str, now: datetime) -> Reservation | None:
    """The order is reserved or paid already: the same request is answered again (a reserved one
    renewed); None when the renewal found what it held lost, and released the rest."""
    if existing.request_hash != wanted:
        if existing.status == "paid":
            raise InvalidState("This order is paid.")
        raise AlreadyLocked("This order is reserved with another request; release it first.")
    if existing.status == "paid":
        return existing.shown()
    expires_at = reserving.lock_expiry(now)
    items = {RESERVATION: store.renew_tx(existing, expires_at),
             **reserving.renew_items(existing.user_id, existing.order_id, existing.coupon_id,
                                     existing.card_amounts(), now, expires_at)}
    try:
        store.transact(items)
    except store.Refused as exc:
        if RESERVATION not in exc.failed:
            _release(existing.user_id, existing.order_id, now)
        return None
    return existing.model_copy(update={"expires_at": expires_at}).shown()


def get(user_id: str, order_id: str) -> Reservation:
    """The caller's reservation; another user's order is as absent as a missing one (404)."""
    record = store.get(user_id, order_id)
    if record is None:
        raise NotFound("No reservation for this order.")
    return record.shown()


def release(user_id: str, order_id: str, now: datetime) -> Reservation:
    """Give back everything the reservation holds, in one transaction. Idempotent; a paid one is 409."""
    record = _release(user_id, order_id, now)
    if record is None:
        raise NotFound("No reservation for this order.")
    if record.status == "paid":
        raise InvalidState("This order is paid: its reservation was spent.")
    return record.shown()


def _release(user_id: str, order_id: str, now: datetime, only_lapsed: bool = False) -> ReservationRecord | None:
    """reserved -> released with everything it still holds given back; the reservation as it
    ends (None: there is none). `only_lapsed`: only one whose expiry is past at `now`."""
    for _ in range(ATTEMPTS):
        record = store.get(user_id, order_id)
        if record is None or record.status != "reserved" or (only_lapsed and record.expires_at > now):
            return record
        items = {RESERVATION: store.release_tx(record, now, only_lapsed),
                 **reserving.release_items(user_id, order_id, record.coupon_id, record.card_amounts(), now),
                 **holds.unreserve_items(user_id, order_id, record.balance, record.points, now)}
        try:
            store.transact(items)
        except store.Refused:
            continue  # paid, renewed, or a coupon or hold moved meanwhile: read again
        return record.model_copy(update={"status": "released", "released_at": now})
    raise Throttled("This order is changing under many requests; retry shortly.")


def release_lapsed(now: datetime, budget: Budget, report: SweepReport) -> SweepReport:
    """The lock-release job's part: release each reservation not paid by its expiry, reading
    only the due index (cost in proportion to what is due)."""
    def handle(seen: ReservationRecord) -> bool:
        ended = _release(seen.user_id, seen.order_id, now, only_lapsed=True)
        return ended is not None and ended.status == "released" and ended.released_at == now

    return store.walk_due(now, budget, report, handle)
