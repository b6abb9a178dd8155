"""Withdrawals: a shopper asks (balance -> frozen), an operator approves (frozen leaves) or
rejects (frozen returns to the balance, repaying debt first), each decided once. No boto3,
no Chalice."""

from __future__ import annotations

from datetime import datetime

from chalicelib.audit.models import Change
from chalicelib.errors import InsufficientBalance, InvalidState, NotFound
from chalicelib.ids import new_id
from chalicelib.idempotency import Idempotency
from chalicelib.models import Page, PageQuery
from chalicelib.rebates import accounts_store, ledger, retry, withdrawals_store
from chalicelib.rebates.models import (
    AccountChange, LedgerEntry, Refused, Withdrawal, WithdrawalCreate, WithdrawalListQuery,
)

DECISIONS = {"approved": "approve", "rejected": "reject"}  # a decision's status -> its audit action


def request_withdrawal(user_id: str, request: WithdrawalCreate, now: datetime, idem: Idempotency | None) -> Withdrawal:
    """balance -> frozen in one transaction that requires balance >= amount (409 otherwise)."""
    withdrawal = Withdrawal(id=new_id(), user_id=user_id, amount=request.amount, status="pending", created_at=now)
    deltas = {"balance": -request.amount, "frozen": request.amount}
    change = AccountChange(user_id, deltas, at_least={"balance": request.amount})
    entries = ledger.entries_for(deltas, "withdrawal", withdrawal.id, None, now)
    try:
        withdrawals_store.create_withdrawal(withdrawal, change, entries, idem, now)
    except Refused as exc:  # the account's condition: the balance is below the amount
        raise InsufficientBalance(f"The balance cannot cover {withdrawal.amount} fen.") from exc
    return withdrawal


def list_withdrawals(query: WithdrawalListQuery) -> Page[Withdrawal]:
    items, cursor = withdrawals_store.list_withdrawals(query.status, query.limit, query.cursor)
    return Page[Withdrawal](items=items, next_cursor=cursor)


def list_my_withdrawals(user_id: str, query: PageQuery) -> Page[Withdrawal]:
    items, cursor = withdrawals_store.user_withdrawals(user_id, query.limit, query.cursor)
    return Page[Withdrawal](items=items, next_cursor=cursor)


def get_my_withdrawal(user_id: str, withdrawal_id: str) -> Withdrawal:
    """The caller's withdrawal; another shopper's is as absent as a missing one (404)."""
    withdrawal = _withdrawal(withdrawal_id)
    if withdrawal.user_id != user_id:
        raise NotFound("No withdrawal with this id.")
    return withdrawal


def _withdrawal(withdrawal_id: str) -> Withdrawal:
    withdrawal = withdrawals_store.get_withdrawal(withdrawal_id)
    if withdrawal is None:
        raise NotFound("No withdrawal with this id.")
    return withdrawal


def _decide(withdrawal: Withdrawal, status: str, operator: str, change: AccountChange, entries: list[LedgerEntry],
            now: datetime) -> Withdrawal:
    """Store the decision with its audit entry; a withdrawal no longer pending (or gone) is explained."""
    decided = withdrawal.model_copy(update={"status": status, "decided_at": now, "decided_by": operator})
    audit = Change(operator, DECISIONS[status], "withdrawal", withdrawal.id, withdrawal.model_dump(mode="json"),
                   decided.model_dump(mode="json"), now)
    try:
        return withdrawals_store.decide_withdrawal(withdrawal, status, operator, change, entries, now, audit)
    except Refused as exc:
        old = exc.failed[withdrawals_store.WITHDRAWAL]
        if old is None:
            raise NotFound("No withdrawal with this id.") from exc
        raise InvalidState(f"This withdrawal is already {old['status']}.") from exc


def approve_withdrawal(withdrawal_id: str, operator: str, now: datetime) -> Withdrawal:
    """Pay out: the frozen amount leaves the account (decided once: a second decision is 409)."""
    def attempt() -> Withdrawal:
        withdrawal = _withdrawal(withdrawal_id)
        deltas = {"frozen": -withdrawal.amount}
        change = AccountChange(withdrawal.user_id, deltas, at_least={"frozen": withdrawal.amount})
        entries = ledger.entries_for(deltas, "withdrawal_paid", withdrawal.id, None, now)
        return _decide(withdrawal, "approved", operator, change, entries, now)

    return retry.on_stale(attempt)


def reject_withdrawal(withdrawal_id: str, operator: str, now: datetime) -> Withdrawal:
    """The frozen amount returns to the balance, repaying any debt first (decided once)."""
    def attempt() -> Withdrawal:
        withdrawal = _withdrawal(withdrawal_id)
        change, entries = ledger.credit(
            withdrawal.user_id, "balance", withdrawal.amount, accounts_store.get_account(withdrawal.user_id),
            "withdrawal_rejected", withdrawal.id, None, now, also={"frozen": -withdrawal.amount},
            at_least={"frozen": withdrawal.amount},
        )
        return _decide(withdrawal, "rejected", operator, change, entries, now)

    return retry.on_stale(attempt)
