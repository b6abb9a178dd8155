"""Business operations on rebate rules, accounts, ledgers and withdrawals. No boto3, no Chalice.

Payments and refunds are settled in `settlement`; this module serves the HTTP routes.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.coupons import service as coupons
from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.idempotency import Idempotency
from chalicelib.rebates import ledger, policy, repository, retry
from chalicelib.rebates.models import (
    Account, AccountChange, AssetFigures, LedgerEntry, RebateOverview, RefundFigures, RuleCreate, RuleListQuery,
    RuleView, VoucherReward, Withdrawal, WithdrawalCreate, WithdrawalListQuery,
)
from chalicelib.models import Page, PageQuery

PENDING_SHOWN = 100


# --- rules --------------------------------------------------------------------------------

def create_rule(request: RuleCreate, now: datetime, idem: Idempotency | None) -> RuleView:
    if isinstance(request.reward, VoucherReward):
        try:
            coupons.get_template(request.reward.voucher_template_id)
        except NotFound as exc:
            raise ValidationFailed("reward.voucher_template_id names no coupon template.",
                                   [{"field": "reward.voucher_template_id", "message": "no such template"}]) from exc
    rule = RuleView.model_validate({**request.model_dump(), "id": new_id(), "status": "draft", "budget_used": 0,
                                    "created_at": now, "updated_at": now})
    repository.create_rule(rule, idem)
    return rule


def get_rule(rule_id: str) -> RuleView:
    rule = repository.get_rule(rule_id)
    if rule is None:
        raise NotFound("No rebate rule with this id.")
    return rule


def list_rules(query: RuleListQuery) -> Page[RuleView]:
    items, cursor = repository.list_rules(query.status, query.limit, query.cursor)
    return Page[RuleView](items=items, next_cursor=cursor)


def change_rule_status(rule_id: str, action: str, now: datetime) -> RuleView:
    return repository.change_rule_status(rule_id, action, now)


# --- the programme's figures ------------------------------------------------------------------

def overview() -> RebateOverview:
    """The programme's totals, each payment once; cost is what was granted less what refunds
    took back, and the return rate counts a point as one fen (as rules compute points)."""
    t = repository.programme_totals()
    granted = AssetFigures(balance=t["granted_balance"], points=t["granted_points"], vouchers=t["vouchers_granted"])
    taken = AssetFigures(balance=t["taken_balance"], points=t["taken_points"], vouchers=t["vouchers_revoked"])
    cost = AssetFigures(balance=granted.balance - taken.balance, points=granted.points - taken.points,
                        vouchers=granted.vouchers - taken.vouchers)
    net_sales = t["sales"] - t["refunded"]
    return RebateOverview(
        payments=t["payments"], sales=t["sales"], refunds=RefundFigures(payments=t["refunded_payments"],
                                                                        amount=t["refunded"]),
        net_sales=net_sales, granted=granted, taken_back=taken, cost=cost,
        return_bp=policy.return_bp(cost.balance + cost.points, net_sales),
        vouchers_not_granted=t["vouchers_not_granted"],
    )


# --- accounts -----------------------------------------------------------------------------

def get_account(user_id: str) -> Account:
    return Account(**repository.get_account(user_id),
                   pending_instalments=repository.pending_instalments(user_id, PENDING_SHOWN))


def list_ledger(user_id: str, query: PageQuery) -> Page[LedgerEntry]:
    items, cursor = repository.ledger_page(user_id, query.limit, query.cursor)
    return Page[LedgerEntry](items=items, next_cursor=cursor)


# --- withdrawals --------------------------------------------------------------------------

def request_withdrawal(user_id: str, request: WithdrawalCreate, now: datetime, idem: Idempotency | None) -> Withdrawal:
    """balance -> frozen in one transaction that requires balance >= amount (409 otherwise)."""
    withdrawal = Withdrawal(id=new_id(), user_id=user_id, amount=request.amount, status="pending", created_at=now)
    deltas = {"balance": -request.amount, "frozen": request.amount}
    change = AccountChange(user_id, deltas, at_least={"balance": request.amount})
    entries = ledger.entries_for(deltas, "withdrawal", withdrawal.id, None, now)
    repository.create_withdrawal(withdrawal, change, entries, idem, now)
    return withdrawal


def list_withdrawals(query: WithdrawalListQuery) -> Page[Withdrawal]:
    items, cursor = repository.list_withdrawals(query.status, query.limit, query.cursor)
    return Page[Withdrawal](items=items, next_cursor=cursor)


def list_my_withdrawals(user_id: str, query: PageQuery) -> Page[Withdrawal]:
    items, cursor = repository.user_withdrawals(user_id, query.limit, query.cursor)
    return Page[Withdrawal](items=items, next_cursor=cursor)


def get_my_withdrawal(user_id: str, withdrawal_id: str) -> Withdrawal:
    """The caller's withdrawal; another shopper's is as absent as a missing one (404)."""
    withdrawal = _withdrawal(withdrawal_id)
    if withdrawal.user_id != user_id:
        raise NotFound("No withdrawal with this id.")
    return withdrawal


def _withdrawal(withdrawal_id: str) -> Withdrawal:
    withdrawal = repository.get_withdrawal(withdrawal_id)
    if withdrawal is None:
        raise NotFound("No withdrawal with this id.")
    return withdrawal


def approve_withdrawal(withdrawal_id: str, operator: str, now: datetime) -> Withdrawal:
    """Pay out: the frozen amount leaves the account (decided once: a second decision is 409)."""
    def attempt() -> Withdrawal:
        withdrawal = _withdrawal(withdrawal_id)
        deltas = {"frozen": -withdrawal.amount}
        change = AccountChange(withdrawal.user_id, deltas, at_least={"frozen": withdrawal.amount})
        entries = ledger.entries_for(deltas, "withdrawal_paid", withdrawal.id, None, now)
        return repository.decide_withdrawal(withdrawal, "approved", operator, change, entries, now)

    return retry.on_stale(attempt)


def reject_withdrawal(withdrawal_id: str, operator: str, now: datetime) -> Withdrawal:
    """The frozen amount returns to the balance, repaying any debt first (decided once)."""
    def attempt() -> Withdrawal:
        withdrawal = _withdrawal(withdrawal_id)
        change, entries = ledger.credit(
            withdrawal.user_id, "balance", withdrawal.amount, repository.get_account(withdrawal.user_id),
            "withdrawal_rejected", withdrawal.id, None, now, also={"frozen": -withdrawal.amount},
            at_least={"frozen": withdrawal.amount},
        )
        return repository.decide_withdrawal(withdrawal, "rejected", operator, change, entries, now)

    return retry.on_stale(attempt)
