"""Helpers of the reservation tests: an account funded as a rebate funds it, and the sums that
money integrity checks (per user: balance + held + frozen against the ledger's flows)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

from chalicelib import dynamo
from chalicelib.rebates import accounts_store, ledger
from chalicelib.rebates.models import AccountChange

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc)


def fund(user: str = "alice", balance: int = 0, points: int = 0, now: datetime = NOW) -> None:
    """Credit the account as a rebate would: the change and its ledger entries in one transaction."""
    deltas = {k: v for k, v in (("balance", balance), ("points", points)) if v}
    entries = ledger.entries_for(deltas, "rebate", "seed", None, now)
    dynamo.transact(accounts_store.account_items(AccountChange(user, deltas), entries, now))


def reservation_body(order_id: str = "order-1", items: list[dict[str, Any]] | None = None,
                     **fields: Any) -> dict[str, Any]:
    from tests.checkout_helpers import item

    return {"order_id": order_id, "items": items or [item(10_000)], **fields}


def ledger_sums(user: str) -> dict[str, int]:
    """The sum of the account's ledger entries per asset (each must equal the asset)."""
    sums: dict[str, int] = defaultdict(int)
    cursor = None
    while True:
        entries, cursor = accounts_store.ledger_page(user, 100, cursor)
        for entry in entries:
            sums[entry.asset] += entry.amount
        if cursor is None:
            return dict(sums)
