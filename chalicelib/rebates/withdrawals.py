"""Withdrawals: a shopper asks (balance -> frozen, within the programme's minimum and daily
maximum), finance approves (frozen leaves) or rejects (frozen returns to the balance, repaying
debt first), then records the payout: paid (with its reference) or failed (the amount returns to
the balance). Each move happens once, guarded by a condition on the status, with its audit entry.
No boto3, no Chalice.

The payee is stored in full and shown masked everywhere but finance's payout CSV (payouts.py);
logs carry only the masked form.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.audit.models import Change
from chalicelib.clock import BEIJING
from chalicelib.errors import InsufficientBalance, InvalidState, LimitReached, NotFound, Throttled
from chalicelib.ids import new_id
from chalicelib.idempotency import Idempotency
from chalicelib.models import Page, PageQuery
from chalicelib.observability import logger
from chalicelib.programme import store as programme_store
from chalicelib.programme.models import ProgrammeSettings
from chalicelib.rebates import accounts_store, ledger, payouts, policy, retry, withdrawals_store
from chalicelib.rebates.models import AccountChange, LedgerEntry, Refused
from chalicelib.rebates.withdrawal_models import (
    MOVES, Withdrawal, WithdrawalCreate, WithdrawalListQuery, WithdrawalRecord,
)

SETTINGS_ATTEMPTS = 3  # settings changed under a request: computed again from the fresh ones


def day_expiry(day: str) -> int:
    """When the counter of a Beijing day may be tidied away (epoch seconds, for TTL)."""
    start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=BEIJING)
    return int(start.timestamp()) + withdrawals_store.DAY_COUNTER_TTL


def limit_refusal(amount: int, settings: ProgrammeSettings) -> LimitReached | None:
    """The refusal of an amount that no day could allow: below the minimum, above the maximum."""
    if amount < settings.withdrawal_min:
        return LimitReached(f"A withdrawal must be at least {payouts.yuan(settings.withdrawal_min)} yuan.")
    if settings.withdrawal_daily_max and amount > settings.withdrawal_daily_max:
        return LimitReached(f"At most {payouts.yuan(settings.withdrawal_daily_max)} yuan may be withdrawn a day.")
    return None


def _log(message: str, withdrawal: WithdrawalRecord, **extra: Any) -> None:
    """Only the masked payee is logged."""
    shown = withdrawal.shown()
    logger.info(message, extra={"withdrawal_id": shown.id, "user_id": shown.user_id, "amount": shown.amount,
                                "status": shown.status, "payee": shown.payee and shown.payee.model_dump(), **extra})


def request_withdrawal(user_id: str, request: WithdrawalCreate, now: datetime, idem: Idempotency | None) -> Withdrawal:
    """balance -> frozen in one transaction that requires balance >= amount (409
    INSUFFICIENT_BALANCE) and the day's withdrawals within the maximum (409 LIMIT_REACHED)."""
    withdrawal = WithdrawalRecord(id=new_id(), user_id=user_id, amount=request.amount, status="pending",
                                  created_at=now, payee=request.payee, day=policy.beijing_day(now))
    deltas = {"balance": -request.amount, "frozen": request.amount}
    change = AccountChange(user_id, deltas, at_least={"balance": request.amount})
    entries = ledger.entries_for(deltas, "withdrawal", withdrawal.id, None, now)
    settings = programme_store.current(now)
    for _ in range(SETTINGS_ATTEMPTS):
        refusal = limit_refusal(request.amount, settings)
        if refusal is not None:
            raise refusal
        try:
            withdrawals_store.create_withdrawal(
                withdrawal, change, entries, programme_store.unchanged_check(settings),
                settings.withdrawal_daily_max, day_expiry(policy.beijing_day(now)), idem, now)
        except Refused as exc:
            if withdrawals_store.ACCOUNT in exc.failed:  # the balance is below the amount
                raise InsufficientBalance(f"The balance cannot cover {withdrawal.amount} fen.") from exc
            if withdrawals_store.DAY in exc.failed:
                raise LimitReached(f"Today's withdrawals would pass the daily maximum of "
                                   f"{payouts.yuan(settings.withdrawal_daily_max)} yuan.") from exc
            settings = programme_store.fresh(now)  # the limits changed meanwhile: check them again
            continue
        _log("withdrawal requested", withdrawal)
        return withdrawal.shown()
    raise Throttled("The programme settings keep changing; retry shortly.")


def list_withdrawals(query: WithdrawalListQuery) -> Page[Withdrawal]:
    items, cursor = withdrawals_store.list_withdrawals(query.status, query.limit, query.cursor)
    return Page[Withdrawal](items=[w.shown() for w in items], next_cursor=cursor)


def payout_csv(status: str) -> str:
    """Every withdrawal of `status` (approved: what finance has to pay), payee in full."""
    return payouts.to_csv(withdrawals_store.all_withdrawals(status))


def list_my_withdrawals(user_id: str, query: PageQuery) -> Page[Withdrawal]:
    items, cursor = withdrawals_store.user_withdrawals(user_id, query.limit, query.cursor)
    return Page[Withdrawal](items=[w.shown() for w in items], next_cursor=cursor)


def get_my_withdrawal(user_id: str, withdrawal_id: str) -> Withdrawal:
    """The caller's withdrawal; another shopper's is as absent as a missing one (404)."""
    withdrawal = _withdrawal(withdrawal_id)
    if withdrawal.user_id != user_id:
        raise NotFound("No withdrawal with this id.")
    return withdrawal.shown()


def _withdrawal(withdrawal_id: str) -> WithdrawalRecord:
    withdrawal = withdrawals_store.get_withdrawal(withdrawal_id)
    if withdrawal is None:
        raise NotFound("No withdrawal with this id.")
    return withdrawal


def _money(withdrawal: WithdrawalRecord, status: str,
           now: datetime) -> tuple[AccountChange | None, list[LedgerEntry]]:
    """What a move does to the account: approval takes the frozen amount out; rejection returns
    it from frozen to the balance; a failed payout returns it to the balance (repaying debt
    first, pinned on the debt seen); a paid one moves nothing more."""
    amount, user_id = withdrawal.amount, withdrawal.user_id
    if status == "approved":
        deltas = {"frozen": -amount}
        return (AccountChange(user_id, deltas, at_least={"frozen": amount}),
                ledger.entries_for(deltas, "withdrawal_paid", withdrawal.id, None, now))
    if status == "rejected":
        return ledger.credit(user_id, "balance", amount, accounts_store.get_account(user_id), "withdrawal_rejected",
                             withdrawal.id, None, now, also={"frozen": -amount}, at_least={"frozen": amount})
    if status == "failed":
        return ledger.credit(user_id, "balance", amount, accounts_store.get_account(user_id), "withdrawal_failed",
                             withdrawal.id, None, now)
    return None, []


def _move(withdrawal_id: str, status: str, actor: str, now: datetime, reason: str | None = None,
          payout_ref: str | None = None, idem: Idempotency | None = None) -> Withdrawal:
    """Move a withdrawal to `status` from the one status MOVES allows, once, with its money and
    its audit entry; any other move is 409 INVALID_STATE."""
    source, action = MOVES[status]

    def attempt() -> Withdrawal:
        withdrawal = _withdrawal(withdrawal_id)
        if withdrawal.status != source:
            raise _invalid(withdrawal.status, status)
        stamp = ({"decided_at": now, "decided_by": actor} if source == "pending"
                 else {"paid_out_at": now, "paid_out_by": actor, "payout_ref": payout_ref})
        moved = withdrawal.model_copy(update={"status": status, "reason": reason, **stamp})
        change, entries = _money(withdrawal, status, now)
        audit = Change(actor, action, "withdrawal", withdrawal.id, withdrawal.shown().model_dump(mode="json"),
                       moved.shown().model_dump(mode="json"), now)
        try:
            withdrawals_store.move_withdrawal(withdrawal, moved, change, entries, now, audit,
                                              day_expiry(withdrawal.day) if withdrawal.day else 0, idem)
        except Refused as exc:
            old = exc.failed[withdrawals_store.WITHDRAWAL]
            if old is None:
                raise NotFound("No withdrawal with this id.") from exc
            raise _invalid(str(old["status"]), status) from exc
        _log(f"withdrawal {status}", moved, actor=actor)
        return moved.shown()

    return retry.on_stale(attempt)


def _invalid(current: str, wanted: str) -> InvalidState:
    source, _ = MOVES[wanted]
    return InvalidState(f"This withdrawal is {current}; only a {source} one can become {wanted}.")


def approve_withdrawal(withdrawal_id: str, operator: str, now: datetime) -> Withdrawal:
    """The frozen amount leaves the account (decided once: a second decision is 409)."""
    return _move(withdrawal_id, "approved", operator, now)


def reject_withdrawal(withdrawal_id: str, operator: str, now: datetime, reason: str | None = None) -> Withdrawal:
    """The frozen amount returns to the balance, repaying any debt first (decided once); the
    shopper sees `reason`."""
    return _move(withdrawal_id, "rejected", operator, now, reason=reason)


def record_payout(withdrawal_id: str, report: payouts.PayoutReport, actor: str, now: datetime,
                  idem: Idempotency | None = None, channel: str = "manual") -> Withdrawal:
    """approved -> paid (with the payout reference) or failed (the amount returns to the
    balance, once), as the payout channel reports it."""
    withdrawal = _withdrawal(withdrawal_id)
    outcome = payouts.payout(channel).outcome(withdrawal, report)
    return _move(withdrawal_id, outcome.status, actor, now, reason=outcome.reason, payout_ref=outcome.payout_ref,
                 idem=idem)
