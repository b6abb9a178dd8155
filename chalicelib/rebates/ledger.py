"""Account changes and the ledger entries that explain them, built together.

Each entry is the signed change of one asset (`balance`, `frozen`, `points`, `debt`,
`points_debt`), so the sum of an account's entries per asset is that asset's value. The
repository writes a change and its entries in one transaction. One kind of entry moves
nothing: `voucher_not_granted` (asset `voucher`, amount 0) tells the shopper that a voucher
they earned could not be granted, and why.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from chalicelib.ids import new_id
from chalicelib.rebates import policy
from chalicelib.rebates.models import DEBT_OF, PENDING_OF, AccountChange, Asset, EntryType, LedgerEntry


def entries_for(deltas: dict[str, int], type: EntryType, ref: str, rule_id: str | None,
                now: datetime) -> list[LedgerEntry]:
    """One entry per changed asset; the keys of `deltas` are `Asset` names (LedgerEntry checks them)."""
    return [LedgerEntry(id=new_id(), type=type, amount=amount, asset=cast(Asset, asset), ref=ref, rule_id=rule_id,
                        created_at=now)
            for asset, amount in deltas.items() if amount != 0]


def voucher_not_granted(reason: str, ref: str, rule_id: str, now: datetime) -> LedgerEntry:
    """The shopper's notice that rule `rule_id` owed them a voucher for payment `ref` that could
    not be granted: `reason` is the grant's refusal code (LIMIT_REACHED, SOLD_OUT, ...)."""
    return LedgerEntry(id=new_id(), type="voucher_not_granted", amount=0, asset="voucher", ref=ref, rule_id=rule_id,
                       reason=reason, created_at=now)


def credit(user_id: str, asset: str, amount: int, account: dict[str, int], type: EntryType, ref: str,
           rule_id: str | None, now: datetime, also: dict[str, int] | None = None,
           at_least: dict[str, int] | None = None) -> tuple[AccountChange, list[LedgerEntry]]:
    """Add `amount` to `asset`, repaying its debt first; pinned on the debt it was computed from.
    `also` adds other deltas to the same change (a rejected withdrawal leaves `frozen`)."""
    debt = DEBT_OF[asset]
    repaid, added = policy.credit(amount, account[debt])
    deltas = {**(also or {}), debt: -repaid, asset: added}
    change = AccountChange(user_id, {k: v for k, v in deltas.items() if v}, expect={debt: account[debt]},
                           at_least=at_least or {})
    return change, entries_for(deltas, type, ref, rule_id, now)


def debit(user_id: str, asset: str, amount: int, account: dict[str, int], type: EntryType, ref: str,
          rule_id: str | None, now: datetime) -> tuple[AccountChange, list[LedgerEntry]]:
    """Take `amount` from `asset`, down to zero at most; the rest becomes debt. Pinned on the
    asset's value it was computed from."""
    debt = DEBT_OF[asset]
    taken, owed = policy.debit(amount, account[asset])
    deltas = {asset: -taken, debt: owed}
    change = AccountChange(user_id, {k: v for k, v in deltas.items() if v}, expect={asset: account[asset]})
    return change, entries_for(deltas, type, ref, rule_id, now)


# --- pending rebates (rules with pending_days) ----------------------------------------------

def pending_credit(user_id: str, asset: str, amount: int, ref: str, rule_id: str,
                   now: datetime) -> tuple[AccountChange, list[LedgerEntry]]:
    """A rebate waiting out its return window: `amount` onto `pending_<asset>` (entry `rebate`).
    Nothing is pinned: it repays no debt (the release does, as any credit)."""
    deltas = {PENDING_OF[asset]: amount}
    return AccountChange(user_id, deltas), entries_for(deltas, "rebate", ref, rule_id, now)


def release(user_id: str, asset: str, amount: int, account: dict[str, int], ref: str, rule_id: str,
            now: datetime) -> tuple[AccountChange, list[LedgerEntry]]:
    """The window is over: `amount` leaves `pending_<asset>` and is credited to `asset`, repaying
    its debt first; entries of type `release` (the pending asset's, the debt's, the asset's)."""
    pending = PENDING_OF[asset]
    return credit(user_id, asset, amount, account, "release", ref, rule_id, now, also={pending: -amount},
                  at_least={pending: amount})


def take_pending(user_id: str, asset: str, amount: int, ref: str, rule_id: str,
                 now: datetime) -> tuple[AccountChange, list[LedgerEntry]]:
    """A refund inside the window takes `amount` back from `pending_<asset>` (entry `clawback`),
    which holds at least what the rebate still has pending: never a debt."""
    pending = PENDING_OF[asset]
    deltas = {pending: -amount}
    return (AccountChange(user_id, deltas, at_least={pending: amount}),
            entries_for(deltas, "clawback", ref, rule_id, now))


def merged(first: AccountChange | None, second: AccountChange | None) -> AccountChange | None:
    """Two changes of one account (of distinct fields) as one, for one transaction item."""
    if first is None or second is None:
        return first or second
    return AccountChange(first.user_id, {**first.deltas, **second.deltas}, {**first.expect, **second.expect},
                         {**first.at_least, **second.at_least})


def adjustment(user_id: str, asset: str, amount: int, account: dict[str, int], reason: str, actor: str,
               ref: str, now: datetime) -> tuple[AccountChange, LedgerEntry]:
    """Support's signed change of one asset (`balance` or `points`) by `amount`, and its entry.
    It moves that asset alone (a credit does not repay debt: support decides what it gives), and
    is pinned on every field of the account it was computed from, so the audit entry's before
    and after are exact; a debit needs the asset to stay >= 0 (the caller refuses it first)."""
    change = AccountChange(user_id, {asset: amount}, expect=dict(account),
                           at_least={asset: -amount} if amount < 0 else {})
    entry = LedgerEntry(id=new_id(), type="adjustment", amount=amount, asset=cast(Asset, asset), ref=ref,
                        reason=reason, actor=actor, created_at=now)
    return change, entry
