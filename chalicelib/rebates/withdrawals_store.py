"""DynamoDB storage of withdrawals: each one written with its account change and ledger
entries in one transaction (named `withdrawal`, `account`, `entry<n>`). A refusal by a
business condition is raised as `Refused` with the refused items' names and old images;
`withdrawals` explains it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import dynamo, idempotency
from chalicelib.audit import store as audit_store
from chalicelib.audit.models import Change
from chalicelib.clock import iso
from chalicelib.idempotency import Idempotency
from chalicelib.rebates import accounts_store, keys
from chalicelib.rebates.models import AccountChange, LedgerEntry, Refused, Stale, Withdrawal

WITHDRAWAL = "withdrawal"  # the withdrawal's name among a transaction's items
ACCOUNT = accounts_store.ACCOUNT


def _withdrawal_item(withdrawal: Withdrawal) -> dict[str, Any]:
    data = withdrawal.model_dump(mode="json")
    return {**keys.withdrawal(withdrawal.id),
            **keys.withdrawal_listing(withdrawal.status, data["created_at"], withdrawal.id),
            **keys.user_withdrawal_listing(withdrawal.user_id, data["created_at"], withdrawal.id),
            "entity": "withdrawal", **data}


def create_withdrawal(withdrawal: Withdrawal, change: AccountChange, entries: list[LedgerEntry],
                      idem: Idempotency | None, now: datetime) -> None:
    """One transaction: the account change with its ledger entries if its conditions hold, the
    withdrawal [, the Idempotency-Key record]. Refused (`account`) when they do not."""
    items = {**accounts_store.account_items(change, entries, now),
             WITHDRAWAL: dynamo.tx_put(_withdrawal_item(withdrawal), keys.NEW)}
    try:
        idempotency.transact(items, idem, withdrawal.model_dump(mode="json"))
    except dynamo.ConditionFailed as exc:
        if ACCOUNT in exc.failed:
            raise Refused(exc.failed) from exc
        raise


def get_withdrawal(withdrawal_id: str) -> Withdrawal | None:
    item = dynamo.get(keys.withdrawal(withdrawal_id), consistent=True)
    return Withdrawal.model_validate(item) if item else None


def list_withdrawals(status: str, limit: int, cursor: str | None) -> tuple[list[Withdrawal], str | None]:
    """Oldest first: operators work through the pending ones in the order they came."""
    index = keys.WITHDRAWALS
    items, next_cursor = dynamo.query_page(
        index=index.name, partition_attr=index.pk, partition_value=keys.withdrawal_partition(status),
        key_attrs=index.key_attrs, limit=limit, cursor=cursor, newest_first=False,
    )
    return [Withdrawal.model_validate(i) for i in items], next_cursor


def user_withdrawals(user_id: str, limit: int, cursor: str | None) -> tuple[list[Withdrawal], str | None]:
    """One shopper's withdrawals, newest first, whatever their status."""
    index = keys.USER_WITHDRAWALS
    items, next_cursor = dynamo.query_page(
        index=index.name, partition_attr=index.pk, partition_value=keys.user_withdrawals_partition(user_id),
        key_attrs=index.key_attrs, limit=limit, cursor=cursor,
    )
    return [Withdrawal.model_validate(i) for i in items], next_cursor


def decide_withdrawal(withdrawal: Withdrawal, status: str, operator: str, change: AccountChange,
                      entries: list[LedgerEntry], now: datetime, audit: Change | None = None) -> Withdrawal:
    """One transaction: pending -> `status` exactly once, the account change with its entries
    and the audit entry of the decision. Refused (`withdrawal`) when it is not pending (or
    absent); Stale when only the account moved meanwhile."""
    decided = withdrawal.model_copy(update={"status": status, "decided_at": now, "decided_by": operator})
    listing = keys.withdrawal_listing(status, iso(withdrawal.created_at), withdrawal.id)
    items = {
        WITHDRAWAL: dynamo.tx_update(
            keys.withdrawal(withdrawal.id),
            "SET #status = :status, decided_at = :now, decided_by = :operator, #gpk = :gpk, #gsk = :gsk",
            condition="#status = :pending",
            names={"#status": "status", "#gpk": keys.WITHDRAWALS.pk, "#gsk": keys.WITHDRAWALS.sk},
            vals=dynamo.values(status=status, now=iso(now), operator=operator, pending="pending",
                               gpk=listing[keys.WITHDRAWALS.pk], gsk=listing[keys.WITHDRAWALS.sk]),
        ),
        **accounts_store.account_items(change, entries, now),
        **audit_store.items(audit),
    }
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        if WITHDRAWAL in exc.failed:
            raise Refused(exc.failed) from exc
        raise Stale() from exc
    return decided
