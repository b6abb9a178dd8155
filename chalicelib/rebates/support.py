"""Support (API.md, "Compliance and operations"): finance reads a shopper's account and adjusts
its balance or free points by a signed amount with a reason. An adjustment never drives the
asset below 0, writes a ledger entry of type `adjustment` (reason, actor) and its audit entry
(target_type `account`) in the account change's own transaction. No boto3, no Chalice."""

from __future__ import annotations

from datetime import datetime

from chalicelib.audit.models import Change
from chalicelib.errors import InsufficientBalance, InsufficientPoints, NotFound
from chalicelib.idempotency import Idempotency
from chalicelib.ids import new_id
from chalicelib.models import Page
from chalicelib.rebates import accounts, accounts_store, ledger, retry, withdrawals_store
from chalicelib.rebates.models import Account, LedgerEntry, Refused, Stale, Withdrawal
from chalicelib.rebates.support_models import AccountQuery, AccountView, Adjustment, AdjustmentCreate


def require_account(user_id: str) -> None:
    """NotFound unless anything ever moved on the user's account: a user id is any token's
    `sub`, so an account never credited names nobody support can help."""
    if not accounts_store.account_exists(user_id):
        raise NotFound("No account for this user.")


def account_view(user_id: str, query: AccountQuery) -> AccountView:
    require_account(user_id)
    entries, ledger_cursor = accounts_store.ledger_page(user_id, query.limit, query.cursor)
    paid_out, wd_cursor = withdrawals_store.user_withdrawals(user_id, query.limit, query.withdrawals_cursor)
    return AccountView(user_id=user_id, account=accounts.get_account(user_id),
                       ledger=Page[LedgerEntry](items=entries, next_cursor=ledger_cursor),
                       withdrawals=Page[Withdrawal](items=[w.shown() for w in paid_out], next_cursor=wd_cursor))


def _short(asset: str, amount: int, have: int) -> Exception:
    if asset == "points":
        return InsufficientPoints(f"The account has {have} free points; taking {-amount} would go below 0.")
    return InsufficientBalance(f"The balance is {have} fen; taking {-amount} would go below 0.")


def adjust(user_id: str, request: AdjustmentCreate, actor: str, now: datetime,
           idem: Idempotency | None) -> Adjustment:
    """Add the signed `amount` to the asset in one transaction with its ledger entry and audit
    entry, pinned on the account read (read again on a race); 409 INSUFFICIENT_BALANCE /
    INSUFFICIENT_POINTS when the asset would go below 0 (nothing written, nothing audited)."""
    require_account(user_id)
    adjustment_id = new_id()

    def attempt() -> Adjustment:
        seen = accounts_store.get_account(user_id)
        if seen[request.asset] + request.amount < 0:
            raise _short(request.asset, request.amount, seen[request.asset])
        change, entry = ledger.adjustment(user_id, request.asset, request.amount, seen, request.reason, actor,
                                          adjustment_id, now)
        after = {**seen, request.asset: seen[request.asset] + request.amount}
        made = Adjustment(id=adjustment_id, user_id=user_id, asset=request.asset, amount=request.amount,
                          reason=request.reason, actor=actor, created_at=now, account=Account.model_validate(after))
        audit = Change(actor, "adjust", "account", user_id, {"user_id": user_id, **seen},
                       {"user_id": user_id, **after, "adjustment": {"id": adjustment_id, "asset": request.asset,
                                                                    "amount": request.amount,
                                                                    "reason": request.reason}}, now)
        try:
            accounts_store.adjust(change, entry, audit, idem, made.model_dump(mode="json"), now)
        except Refused as exc:  # the account moved since it was read: compute again from what it holds now
            raise Stale() from exc
        return made

    return retry.on_stale(attempt)
