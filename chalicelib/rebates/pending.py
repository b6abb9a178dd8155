"""Pending rebates: a rule's `pending_days` is its return window (docs/rebates.md, "Pending
rebates"). No boto3, no Chalice.

Settlement grants a balance or points reward of such a rule onto the account's
`pending_balance` / `pending_points` (earned, neither spendable nor withdrawable), and a voucher
reward not at all yet; the rebate is listed in a due index until `pending_until` (paid_at +
pending_days). A refund inside the window takes back from pending first (settlement._reduce),
so it never makes a debt. The scheduled job `release-pending` (this module's `release_due`)
walks what is due and ends each wait exactly once, by one conditional transaction, whatever
the rule's status by then:
- balance or points: pending -> spendable, ledger `release` entries (ref the payment), the
  asset's debt repaid first as by any credit;
- a voucher: granted now (coupons.grant_one, once per `<payment_ref>:<rule_id>`) unless refunds
  took the payment below the rule's threshold (then `cancelled`), or recorded `not_granted`
  with the refusal's reason, as at payment time. The outcome is written pinned on the
  payment's refunded total it was decided with: a refund in between makes it decide again,
  and a coupon granted by the first attempt is then revoked.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from chalicelib.coupons import redemption as coupons
from chalicelib.errors import LimitReached, NotClaimable, NotFound, SoldOut
from chalicelib.jobs.budget import Budget
from chalicelib.jobs.report import SweepReport
from chalicelib.observability import count, logger
from chalicelib.rebates import accounts_store, ledger, pending_store, policy, retry, rules_store, settlement_store
from chalicelib.rebates.models import AlreadyDone, Payment, Rebate, VoucherReward
from chalicelib.rebates.rules_store import TotalsChange
from chalicelib.rebates.settlement_store import ProgrammeChange


def release_due(now: datetime, budget: Budget, report: SweepReport) -> SweepReport:
    """End the wait of every rebate due at `now` through the shared budgeted walk: cost in
    proportion to what is due; a second run with the same `now` finds nothing; a run stopped
    by its budget carries on at the next."""
    def handle(payment_ref: str, rule_id: str) -> bool:
        try:
            retry.on_stale(functools.partial(_release, payment_ref, rule_id, now))
        except AlreadyDone:
            return False
        return True

    return pending_store.walk_due(now, budget, report, handle)


def _release(payment_ref: str, rule_id: str, now: datetime) -> None:
    rebate = settlement_store.get_rebate(payment_ref, rule_id)
    if (rebate is None or rebate.pending_state != pending_store.PENDING or rebate.pending_until is None
            or rebate.pending_until > now):
        raise AlreadyDone()
    if rebate.asset is None:
        _release_voucher(rebate, now)
        return
    change, entries = ledger.release(rebate.user_id, rebate.asset, rebate.pending,
                                     accounts_store.get_account(rebate.user_id), payment_ref, rule_id, now)
    pending_store.release(rebate, change, entries, now)
    count("PendingRebateReleased", asset=rebate.asset)


def _release_voucher(rebate: Rebate, now: datetime) -> None:
    payment = settlement_store.get_payment(rebate.payment_ref)
    assert payment is not None and rebate.min_paid is not None
    template_id = _template_of(payment, rebate.rule_id)
    grant_ref = f"{rebate.payment_ref}:{rebate.rule_id}"
    also: dict[str, dict[str, Any]] = {}
    if not policy.voucher_kept(payment.amount, payment.refunded, rebate.min_paid):
        earlier = coupons.granted(template_id, grant_ref)  # an attempt that a refund overtook
        if earlier is not None:
            coupons.revoke_coupon(payment.user_id, earlier.id, now)
        rebate.voucher_state = "cancelled"
    else:
        try:
            coupon = coupons.grant_one(template_id, payment.user_id, now, grant_ref)
            rebate.coupon_id, rebate.voucher_state, rebate.counted = coupon.id, "granted", True
            also.update(rules_store.totals_update(rebate, TotalsChange(rebated_payments=1,
                                                                       sales_driven=payment.amount), now))
            also.update(_programme(rebate, vouchers_granted=1, now=now))
        except (SoldOut, LimitReached, NotClaimable, NotFound) as exc:
            logger.warning("pending rebate voucher not granted", extra={
                "payment_ref": rebate.payment_ref, "rule_id": rebate.rule_id, "reason": exc.code})
            rebate.voucher_state, rebate.not_granted_reason = "not_granted", exc.code
            also.update(rules_store.totals_update(
                rebate, TotalsChange(rewards_not_granted=1, not_granted_reason=rebate.not_granted_reason), now))
            also.update(_programme(rebate, vouchers_not_granted=1, now=now))
            also.update(accounts_store.ledger_puts(rebate.user_id, [
                ledger.voucher_not_granted(exc.code, rebate.payment_ref, rebate.rule_id, now)]))
    pending_store.settle_voucher(rebate, payment.refunded, also, now)
    count("PendingVoucherSettled", state=str(rebate.voucher_state))


def _template_of(payment: Payment, rule_id: str) -> str:
    [reward] = [rule.reward for rule in payment.rules if rule.id == rule_id]
    assert isinstance(reward, VoucherReward)
    return reward.voucher_template_id


def _programme(rebate: Rebate, now: datetime, **deltas: int) -> dict[str, dict[str, Any]]:
    change = ProgrammeChange(**deltas) if rebate.programme_counted else ProgrammeChange()
    return settlement_store.programme_update(rebate.payment_ref, change, now)
