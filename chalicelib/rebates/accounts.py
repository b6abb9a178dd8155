"""A shopper's account and ledger, as the HTTP routes serve them. No boto3, no Chalice.

The account changes themselves are built by the pure `ledger` module and written by the
stores of the effects that cause them (settlement, withdrawals) through `accounts_store`.
"""

from __future__ import annotations

from chalicelib.models import Page, PageQuery
from chalicelib.rebates import accounts_store, expiring
from chalicelib.rebates.models import Account, LedgerEntry

PENDING_SHOWN = 100


def get_account(user_id: str) -> Account:
    fields = accounts_store.get_account(user_id)
    return Account(**fields, pending_instalments=accounts_store.pending_instalments(user_id, PENDING_SHOWN),
                   points_expiring=expiring.points_expiring(user_id, fields["points"] + fields["points_held"]))


def list_ledger(user_id: str, query: PageQuery) -> Page[LedgerEntry]:
    items, cursor = accounts_store.ledger_page(user_id, query.limit, query.cursor)
    return Page[LedgerEntry](items=items, next_cursor=cursor)
