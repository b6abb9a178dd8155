"""What an order reservation does to an account (chalicelib.orders): the one rebates module the
orders domain imports for account writes. It builds the account's transaction items (`account`,
`entry<n>`: accounts_store.account_items) for the caller's transaction; it writes nothing itself.
No boto3 here beyond accounts_store's builders; amounts are computed by the pure functions below.

| step      | balance | held | points | points_held | condition                         |
|-----------|---------|------|--------|-------------|-----------------------------------|
| reserve   | -b      | +b   | -p     | +p          | balance >= b, points >= p         |
| unreserve | +b      | -b   | +p     | -p          | held >= b, points_held >= p       |
| spend     |         | -b   |        | -p          | held >= b, points_held >= p       |
| spend (*) | -b      |      | -p     |             | balance >= b, points >= p         |
| refund    | +b (**) |      | +p(**) |             | the debts they were computed from |

(*) a reservation that lapsed and was released: its payment spends what is still free.
(**) a debt (a clawback that found too little) is repaid first, as any credit does (ledger.credit).
Every change goes with one ledger entry per asset it moves, so the sum of an account's entries
per asset is still that asset.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.rebates import accounts_store, ledger, policy
from chalicelib.rebates.models import DEBT_OF, AccountChange, EntryType
from chalicelib.rebates.policy import given_back_due as given_back_due  # re-exported: orders.settle uses it

ACCOUNT = accounts_store.ACCOUNT  # the account's name among a transaction's items


def _items(user_id: str, deltas: dict[str, int], at_least: dict[str, int], type: EntryType, ref: str,
           now: datetime, expect: dict[str, int] | None = None) -> dict[str, dict[str, Any]]:
    moved = {k: v for k, v in deltas.items() if v}
    if not moved:
        return {}
    change = AccountChange(user_id, moved, expect=expect or {}, at_least={k: v for k, v in at_least.items() if v})
    return accounts_store.account_items(change, ledger.entries_for(moved, type, ref, None, now), now)


def reserve_items(user_id: str, order_id: str, balance: int, points: int, now: datetime) -> dict[str, dict[str, Any]]:
    """Hold `balance` fen and `points` for order `order_id`: free -> held, refused (`account`)
    unless that much is free. No items when both are 0."""
    return _items(user_id, {"balance": -balance, "held": balance, "points": -points, "points_held": points},
                  {"balance": balance, "points": points}, "reserve", order_id, now)


def unreserve_items(user_id: str, order_id: str, balance: int, points: int, now: datetime) -> dict[str, dict[str, Any]]:
    """Give an order's holds back: held -> free."""
    return _items(user_id, {"balance": balance, "held": -balance, "points": points, "points_held": -points},
                  {"held": balance, "points_held": points}, "unreserve", order_id, now)


def spend_items(user_id: str, payment_ref: str, balance: int, points: int, from_held: bool,
                now: datetime) -> dict[str, dict[str, Any]]:
    """A payment takes what its order holds (`from_held`), or, for a released reservation, what
    is free; refused (`account`) when that is not there."""
    fields = ("held", "points_held") if from_held else ("balance", "points")
    return _items(user_id, {fields[0]: -balance, fields[1]: -points}, {fields[0]: balance, fields[1]: points},
                  "spend", payment_ref, now)


def give_back_items(user_id: str, payment_ref: str, balance: int, points: int, account: dict[str, int],
                    now: datetime) -> dict[str, dict[str, Any]]:
    """A refund gives `balance` and `points` back, repaying their debts first (pinned on the
    debts read in `account`: a concurrent change fails the `account` item and the caller
    computes again)."""
    deltas: dict[str, int] = {}
    for asset, amount in (("balance", balance), ("points", points)):
        debt = DEBT_OF[asset]
        repaid, added = policy.credit(amount, account.get(debt, 0))
        deltas[debt], deltas[asset] = -repaid, added
    expect = {DEBT_OF[a]: account.get(DEBT_OF[a], 0) for a, amount in (("balance", balance), ("points", points))
              if amount}
    return _items(user_id, deltas, {}, "refund", payment_ref, now, expect=expect)


def free(user_id: str) -> dict[str, int]:
    """The account as stored (read consistently): `balance` and `points` are what is free."""
    return accounts_store.get_account(user_id)


def short_of(old_account: dict[str, Any] | None, balance: int) -> str:
    """Which free asset a refused reservation's `account` item lacked (its old image): `balance`
    when the balance was below the `balance` asked, else `points`."""
    return "balance" if balance and int((old_account or {}).get("balance", 0)) < balance else "points"
