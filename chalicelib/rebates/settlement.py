"""What a payment event does: coupons used, rebates granted; and what a refund undoes.

Events arrive at least once, in any order, possibly many copies at the same time. Every
step is made idempotent by a DynamoDB record written with the step's effect (see
settlement_store), so the whole settlement is a resumable sequence: any delivery of any event
of a payment carries it forward from wherever an earlier (crashed, or concurrent)
delivery stopped, and a complete one changes nothing.

Payment (one `PaymentEvent` of type payment):
1. record the payment with the rules live at `paid_at` (a snapshot: resuming later uses
   the same rules) and the provider's event id, once;
2. spend the order's reservation, if it has one (orders.settle.spend_reservation: exactly once,
   noted as `reservation_outcome`), then redeem the order's coupons
   (coupons.redemption.redeem_order, idempotent on the payment), then issue what it bought
   (rebates/purchases.py: cards and vouchers for sale, each unit once by its grant marker);
3. per rule, in the order the rules were published, one transaction: the rebate record, the
   payment's running `returned` (the return cap, rebates/return_cap.py: the rule's share
   trimmed to what the earlier rules left of `max_return_bp`, fixed with the payment at step 1;
   with an exclusive rule in play only the best single rule applies), the cap counters, the rule's totals
   (rebated payments, rebate cost, sales driven), and the credit to the account with its
   ledger entries (a rule with `pending_days`: onto pending, rebates/pending.py), or the
   scheduled 全返 instalments; a voucher reward is granted through
   coupons.redemption.grant_one (idempotent on its grant_ref) first, and one it refuses is
   recorded as `not_granted` with the refusal's code, counted in the rule's
   `rewards_not_granted`, and told to the shopper by a ledger entry of 0;
4. mark the payment `applied`: from then on refunds may compute clawbacks.

The programme's totals (each payment once: payments, sales, what every rule granted and
refunds took back, by asset) move in the transactions of steps 1 and 3 and of the refund's
steps, so they count exactly what happened, once.

Refund: settle the payment first (a refund can overtake its payment's last steps), move
the payment's refunded total once per refund id (a cumulative total is a high-water
mark), give back the reservation's balance and points in proportion (orders.settle.give_back), then bring every rebate to what the refunded total calls for: the granted amount
times refunded/paid, rounded down, minus what was taken already; unreleased instalments
cancelled first (latest first), the rest from the account (shortfall -> debt), the rule's
totals lowered in the same transaction; vouchers revoked once the kept amount is below
their threshold; on a full refund the order's coupons are restored
(coupons.redemption.restore_order) and what it bought is revoked if unused (purchases.revoke).
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from chalicelib.coupons import redemption as coupons
from chalicelib.errors import (
    DomainError, LimitReached, NotClaimable, NotFound, SoldOut, Throttled, Unavailable,
)
from chalicelib.jobs.budget import Budget
from chalicelib.jobs.report import SweepReport
from chalicelib.observability import count, logger
from chalicelib.orders import settle as orders
from chalicelib.payments.models import PaymentEvent
from chalicelib.programme import store as programme_store
from chalicelib.rebates import (
    accounts_store, instalments_store, ledger, policy, purchases, retry, return_cap, rules_store, settlement_store,
    shares,
)
from chalicelib.rebates.models import (
    AccountChange, InstalmentRecord, LedgerEntry, Payment, PlannedPart, Rebate, Rule, VoucherReward,
)
from chalicelib.rebates.returns_store import ReturnedMove
from chalicelib.rebates.rules_store import TotalsChange
from chalicelib.rebates.settlement_store import AlreadyDone, CapCounter, ProgrammeChange

DAILY_CAP_KEPT = timedelta(days=8)


class NotReady(Exception):
    """The event refers to a payment this service has not recorded yet: retry it later."""


class Unprocessable(Exception):
    """The event contradicts what is stored; retries cannot help, it belongs in the DLQ."""


def process(event: PaymentEvent, now: datetime) -> None:
    if event.type == "payment":
        settle_payment(record_payment(event, now), now)
    else:
        settle_refund(event, now)


# --- payments -----------------------------------------------------------------------------

def record_payment(event: PaymentEvent, now: datetime) -> Payment:
    """The stored payment of this event: recorded now, or by an earlier or concurrent delivery."""
    stored = settlement_store.get_payment(event.payment_ref)
    if stored is None:
        assert event.paid_at and event.order_id and event.user_id and event.amount is not None  # a validated payment event
        programme = programme_store.fresh(now)  # the return cap and points rate this payment settles under
        candidate = Payment(
            payment_ref=event.payment_ref, provider=event.provider, payment_id=event.payment_id,
            event_id=event.event_id, order_id=event.order_id, user_id=event.user_id, amount=event.amount,
            paid_at=event.paid_at, coupon_ids=event.coupon_ids, rules=rules_store.live_rules_at(event.paid_at),
            status="received", programme_counted=True, max_return_bp=programme.max_return_bp,
            points_per_yuan=programme.points_per_yuan, created_at=now, purchases=event.purchases,
        )
        if settlement_store.record_payment(candidate, ProgrammeChange(payments=1, sales=candidate.amount)):
            count("PaymentRecorded", provider=event.provider)
            return candidate
        stored = settlement_store.get_payment(event.payment_ref)
        if stored is None:
            raise Unprocessable(f"event {event.provider}:{event.event_id} was recorded for another payment")
    if (stored.user_id, stored.amount, stored.order_id) != (event.user_id, event.amount, event.order_id):
        logger.warning("payment event disagrees with the stored payment; the first one stands",
                       extra={"payment_ref": stored.payment_ref, "event_id": event.event_id})
    return stored


def settle_payment(payment: Payment, now: datetime) -> None:
    """Carry the payment through coupons and every rule's rebate, then mark it applied."""
    if payment.status == "applied":
        return
    if payment.reservation_outcome is None:
        outcome = orders.spend_reservation(payment.user_id, payment.order_id, payment.payment_ref, now)
        if outcome != orders.NONE:  # an order without a reservation settles exactly as before
            settlement_store.mark_reservation(payment.payment_ref, outcome)
    if payment.coupons_outcome is None:
        settlement_store.mark_coupons(payment.payment_ref, _redeem(payment, now))
    purchases.issue(payment, now)  # cards and vouchers it bought, before any rebate
    rules = return_cap.published_order(payment.rules)
    excluded = shares.excluded(payment, rules)
    for rule in rules:
        if settlement_store.get_rebate(payment.payment_ref, rule.id) is None:
            _apply_rule(payment, rule, now, rule.id in excluded)
    settlement_store.mark_applied(payment.payment_ref)


def _redeem(payment: Payment, now: datetime) -> str:
    """Use the order's coupons. The money was taken either way: a coupon that cannot be used
    (its lock lapsed and another order used it) is reported, and the rebates still apply."""
    try:
        used = coupons.redeem_order(payment.user_id, payment.order_id, payment.coupon_ids, payment.payment_ref, now)
    except (Throttled, Unavailable):
        raise
    except DomainError as exc:
        logger.warning("order coupons not redeemed", extra={"payment_ref": payment.payment_ref,
                                                             "error": type(exc).__name__, "reason": exc.message})
        return f"refused: {type(exc).__name__}"
    return f"redeemed {len(used)} of {len(payment.coupon_ids)}"


def _programme(counted: bool, **deltas: int) -> ProgrammeChange:
    """`deltas` of the programme's totals if the payment (or rebate) is counted in them, else none."""
    return ProgrammeChange(**deltas) if counted else ProgrammeChange()


def _caps(payment: Payment, rule: Rule) -> list[CapCounter]:
    caps, found = rule.caps, []
    if caps.per_order is not None:
        found.append(CapCounter(rule.id, "order", (payment.order_id,), caps.per_order))
    if caps.per_user_per_day is not None:
        expires = int((payment.paid_at + DAILY_CAP_KEPT).timestamp())
        found.append(CapCounter(rule.id, "user_day", (payment.user_id, policy.beijing_day(payment.paid_at)),
                                caps.per_user_per_day, expires))
    if caps.budget is not None:
        found.append(CapCounter(rule.id, "budget", (), caps.budget))
    return found


def _apply_rule(payment: Payment, rule: Rule, now: datetime, excluded: bool) -> None:
    if isinstance(rule.reward, VoucherReward):
        template_id = rule.reward.voucher_template_id
        retry.on_stale(lambda: _grant_voucher(payment, rule, template_id, now, excluded))
        return
    computed = policy.computed_reward(rule, payment.amount)
    try:
        retry.on_stale(lambda: _grant(payment, rule, computed, now, excluded))
    except AlreadyDone:
        return


def _grant(payment: Payment, rule: Rule, computed_fen: int, now: datetime, excluded: bool) -> None:
    """Grant what the return cap and the rule's caps leave of `computed_fen` (read now; the
    write's conditions re-check). Points: `reward_points` of the fen, at the payment's rate.
    A 0 needs no pin: what the cap has left only shrinks, and exclusion is fixed."""
    max_bp, rate = shares.cap_terms(payment)
    seen = shares.returned(payment)
    caps = _caps(payment, rule)
    share = return_cap.grant(computed_fen, return_cap.room(payment.amount, max_bp, seen),
                             [cap.limit - settlement_store.cap_used(cap) for cap in caps], excluded=excluded,
                             points=rule.asset == "points", points_per_yuan=rate)
    granted, counted = share.granted, share.counted
    rebate = Rebate(payment_ref=payment.payment_ref, rule_id=rule.id, user_id=payment.user_id, asset=rule.asset,
                    computed=share.computed, amount=granted, counted=granted > 0, returned=counted,
                    limited_by=share.limited_by, programme_counted=payment.programme_counted, created_at=now)
    if granted == 0:
        settlement_store.record_rebate(rebate, None, ProgrammeChange(), [], now)
        return
    move = ReturnedMove(payment.payment_ref, seen, seen + counted)
    totals = TotalsChange(rebated_payments=1, rebate_cost=granted, sales_driven=payment.amount)
    programme = _programme(payment.programme_counted, **{f"granted_{rule.asset}": granted})
    if rule.kind == "full_return":
        assert rule.installments and rule.period_days
        plan = policy.schedule(granted, rule.installments, rule.period_days, payment.paid_at, rule.pending_days)
        rebate.plan = [PlannedPart(number=p.number, due_at=p.due_at, amount=p.amount) for p in plan]
        settlement_store.grant_rebate(rebate, caps, None, [], totals, programme, now, move)
        count("RebateGranted", kind=rule.kind)
        return
    assert rule.asset is not None
    until = policy.pending_until(payment.paid_at, rule.pending_days)
    if until is not None:  # the return window: pending until released (rebates/pending.py)
        rebate.pending, rebate.pending_until, rebate.pending_state = granted, until, "pending"
        change, entries = ledger.pending_credit(payment.user_id, rule.asset, granted, payment.payment_ref, rule.id,
                                                now)
    else:
        account = accounts_store.get_account(payment.user_id)
        change, entries = ledger.credit(payment.user_id, rule.asset, granted, account, "rebate", payment.payment_ref,
                                        rule.id, now)
    settlement_store.grant_rebate(rebate, caps, change, entries, totals, programme, now, move)
    count("RebateGranted", kind=rule.kind)


def _grant_voucher(payment: Payment, rule: Rule, template_id: str, now: datetime, excluded: bool) -> None:
    """Grant the rule's voucher, or record why it could not be granted (the template sold out,
    not claimable, or the shopper at its per-user limit): on the rebate, in the rule's and the
    programme's figures, and as a ledger entry of 0 the shopper sees, all in one transaction.
    A voucher is whole: one whose face value the return cap has no room for (or excluded by
    an exclusive rule) is not asked for, and recorded as an ordinary 0."""
    assert rule.threshold is not None
    rebate = Rebate(payment_ref=payment.payment_ref, rule_id=rule.id, user_id=payment.user_id, asset=None,
                    computed=0, amount=0, min_paid=rule.threshold.min_paid,
                    programme_counted=payment.programme_counted, created_at=now)
    entries: list[LedgerEntry] = []
    move: ReturnedMove | None = None
    reached = payment.amount >= rule.threshold.min_paid
    face, seen = (shares.voucher_face(template_id), shares.returned(payment)) if reached and not excluded else (0, 0)
    if reached and (excluded or face > return_cap.room(payment.amount, shares.cap_terms(payment)[0], seen)):
        rebate.limited_by = "exclusive" if excluded else "return_cap"
    if reached and rebate.limited_by is None and rule.pending_days > 0:  # granted when the window ends
        rebate.voucher_state, rebate.returned, rebate.pending_state = "pending", face, "pending"
        rebate.pending_until = policy.pending_until(payment.paid_at, rule.pending_days)
        move = ReturnedMove(payment.payment_ref, seen, seen + face) if face else None
    elif reached and rebate.limited_by is None:
        try:
            coupon = coupons.grant_one(template_id, payment.user_id, now, f"{payment.payment_ref}:{rule.id}")
            rebate.coupon_id, rebate.voucher_state, rebate.returned = coupon.id, "granted", face
            move = ReturnedMove(payment.payment_ref, seen, seen + face) if face else None
        except (SoldOut, LimitReached, NotClaimable, NotFound) as exc:
            reason = exc.code
            logger.warning("rebate voucher not granted", extra={"payment_ref": payment.payment_ref,
                                                                "rule_id": rule.id, "reason": reason})
            rebate.voucher_state, rebate.not_granted_reason = "not_granted", reason
            entries = [ledger.voucher_not_granted(reason, payment.payment_ref, rule.id, now)]
    rebate.counted = rebate.voucher_state == "granted"
    # A voucher's cost is the discount it gives when used (its template's counters), not fen now.
    totals, programme = None, ProgrammeChange()
    if rebate.counted:
        totals = TotalsChange(rebated_payments=1, sales_driven=payment.amount)
        programme = _programme(payment.programme_counted, vouchers_granted=1)
    elif rebate.voucher_state == "not_granted":
        totals = TotalsChange(rewards_not_granted=1, not_granted_reason=rebate.not_granted_reason)
        programme = _programme(payment.programme_counted, vouchers_not_granted=1)
    try:
        settlement_store.record_rebate(rebate, totals, programme, entries, now, move)
    except AlreadyDone:
        return
    if rebate.voucher_state == "not_granted":
        count("RebateVoucherNotGranted", reason=rebate.not_granted_reason or "")


# --- refunds ------------------------------------------------------------------------------

def settle_refund(event: PaymentEvent, now: datetime) -> None:
    payment = settlement_store.get_payment(event.payment_ref)
    if payment is None:
        raise NotReady(f"refund {event.refund_id} names payment {event.payment_ref}, not recorded yet")
    if event.user_id is not None and event.user_id != payment.user_id:
        raise Unprocessable(f"refund {event.refund_id} names user {event.user_id}, the payment is {payment.user_id}'s")
    settle_payment(payment, now)
    retry.on_stale(lambda: _record_refund(event, now))
    payment = settlement_store.get_payment(event.payment_ref)
    assert payment is not None
    orders.give_back(payment.user_id, payment.order_id, payment.payment_ref, payment.amount, payment.refunded, now)
    for rule in payment.rules:
        rebate = settlement_store.get_rebate(payment.payment_ref, rule.id)
        if rebate is not None:
            retry.on_stale(functools.partial(_take_back, payment, rebate.rule_id, now))
    if payment.refunded >= payment.amount:
        coupons.restore_order(payment.user_id, payment.payment_ref, now)
        purchases.revoke(payment, now)  # what it bought, if still unused


def _record_refund(event: PaymentEvent, now: datetime) -> None:
    payment = settlement_store.get_payment(event.payment_ref)
    assert payment is not None and event.refund_id is not None
    after = policy.refunded_after(payment.amount, payment.refunded, amount=event.amount,
                                  cumulative=event.refunded_total)
    asked = payment.refunded + event.amount if event.amount is not None else event.refunded_total or 0
    if asked > payment.amount:
        logger.warning("refunds exceed what was paid; counted up to the paid amount",
                       extra={"payment_ref": payment.payment_ref, "refund_id": event.refund_id, "asked": asked})
    programme = _programme(payment.programme_counted, refunded=after - payment.refunded,
                           refunded_payments=int(payment.refunded < payment.amount <= after))
    try:
        settlement_store.record_refund(payment, event.refund_id, event.event_id, event.provider,
                                  after - payment.refunded, after, programme, now, event.refunded_at or now)
    except AlreadyDone:
        return
    count("RefundRecorded", provider=event.provider)


def _take_back(payment: Payment, rule_id: str, now: datetime) -> None:
    """Bring one rebate, and its rule's totals, to what the payment's refunded total calls
    for (the rebate read afresh; a `payment` older than the rebate's last change changes nothing)."""
    rebate = settlement_store.get_rebate(payment.payment_ref, rule_id)
    assert rebate is not None
    reduction = 0
    if rebate.asset is not None:
        due = policy.clawback_due(rebate.amount, payment.refunded, payment.amount)
        reduction = max(due - rebate.clawed - rebate.cancelled, 0)
    refunds_counted = max(rebate.refunds_counted, payment.refunded) if rebate.counted else rebate.refunds_counted
    if reduction > 0 or refunds_counted > rebate.refunds_counted:
        _reduce(payment, rebate, reduction, refunds_counted, now)
    if rebate.asset is None:
        _maybe_revoke(payment, rebate, now)


def _reduce(payment: Payment, rebate: Rebate, reduction: int, refunds_counted: int, now: datetime) -> None:
    """One transaction: `reduction` taken from the rebate (unreleased instalments first,
    latest first, then the account) and the rule's totals brought to `refunds_counted`."""
    waiting = rebate.pending_state == "pending"  # inside its return window: from pending first, never a debt
    from_pending, rest = policy.from_pending(reduction, rebate.pending if waiting else 0)
    planned = rebate.plan and rest > 0
    pending = [i for i in instalments_store.instalments_of(rebate) if i.status == "pending"] if planned else []
    shrunk = policy.reduce_pending([i.amount for i in pending], rest)
    cancellations: list[tuple[InstalmentRecord, int]] = [
        (instalment, new) for instalment, new in zip(pending, shrunk) if new != instalment.amount]
    cancelled = from_pending + sum(i.amount - new for i, new in cancellations)
    clawed = reduction - cancelled
    change: AccountChange | None = None
    entries: list[LedgerEntry] = []
    if from_pending > 0:
        assert rebate.asset is not None  # a voucher's rebate has no reduction
        change, entries = ledger.take_pending(payment.user_id, rebate.asset, from_pending, payment.payment_ref,
                                              rebate.rule_id, now)
    if clawed > 0:
        assert rebate.asset is not None
        account = accounts_store.get_account(payment.user_id)
        debit, debit_entries = ledger.debit(payment.user_id, rebate.asset, clawed, account, "clawback",
                                            payment.payment_ref, rebate.rule_id, now)
        change, entries = ledger.merged(change, debit), entries + debit_entries
    totals = _refund_totals(payment, rebate, reduction, refunds_counted) if rebate.counted else None
    programme = _programme(rebate.programme_counted and reduction > 0, **{f"taken_{rebate.asset}": reduction})
    settlement_store.claw_back(rebate, rebate.clawed + clawed, rebate.cancelled + cancelled, refunds_counted,
                               cancellations, change, entries, totals, programme, now,
                               rebate.pending - from_pending if waiting else None)
    if reduction:
        count("RebateClawedBack")


def _refund_totals(payment: Payment, rebate: Rebate, reduction: int, refunds_counted: int) -> TotalsChange:
    """What refunds take off the rule's totals: the rebate they reduce (cost), what was refunded
    since last counted (sales driven), and, refunded in full, the payment itself."""
    refunded_in_full = rebate.refunds_counted < payment.amount <= refunds_counted
    return TotalsChange(rebated_payments=-1 if refunded_in_full else 0, rebate_cost=-reduction,
                        sales_driven=rebate.refunds_counted - refunds_counted)


def _maybe_revoke(payment: Payment, rebate: Rebate, now: datetime) -> None:
    if rebate.voucher_state != "granted" or rebate.coupon_id is None or rebate.min_paid is None:
        return
    if policy.voucher_kept(payment.amount, payment.refunded, rebate.min_paid):
        return
    revoked = coupons.revoke_coupon(payment.user_id, rebate.coupon_id, now)
    settlement_store.set_voucher_state(rebate, "revoked" if revoked else "kept_in_use",
                                 _programme(rebate.programme_counted and revoked, vouchers_revoked=1), now)


# --- 全返 instalments ------------------------------------------------------------------------

def release_due(now: datetime, budget: Budget, report: SweepReport) -> SweepReport:
    """Release the instalments due at `now` through the shared budgeted walk (jobs/walk.py).
    Each release is conditional on the instalment being pending and leaves the due index in
    the same transaction, so a re-run with the same `now` releases nothing twice and a run
    stopped by its budget carries on at the next."""
    def handle(instalment: InstalmentRecord) -> bool:
        try:
            retry.on_stale(functools.partial(_release, instalment, now))
        except AlreadyDone:
            return False
        return True

    return instalments_store.walk_due(now, budget, report, handle)


def _release(seen: InstalmentRecord, now: datetime) -> None:
    instalment = instalments_store.get_instalment(seen)
    if instalment is None or instalment.status != "pending":
        raise AlreadyDone()
    change, entries = ledger.credit(instalment.user_id, instalment.asset, instalment.amount,
                                    accounts_store.get_account(instalment.user_id), "instalment",
                                    instalment.payment_ref, instalment.rule_id, now)
    instalments_store.release_instalment(instalment, change, entries, now)
