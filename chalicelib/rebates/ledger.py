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
from chalicelib.rebates.models import DEBT_OF, AccountChange, Asset, EntryType, LedgerEntry


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
