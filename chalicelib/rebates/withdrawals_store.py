"""DynamoDB storage of withdrawals: each one written with its account change, ledger entries,
the day's counter of the daily maximum and, for a decision, the audit entry, in one transaction
(named `withdrawal`, `account`, `entry<n>`, `day`, `settings`, `audit`). A refusal by a business
condition is raised as `Refused` with the refused items' names and old images; `withdrawals`
explains it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator

from chalicelib import dynamo, idempotency
from chalicelib.audit import store as audit_store
from chalicelib.audit.models import Change
from chalicelib.clock import iso
from chalicelib.idempotency import Idempotency
from chalicelib.programme import store as programme_store
from chalicelib.rebates import accounts_store, keys
from chalicelib.rebates.models import AccountChange, LedgerEntry, Refused, Stale
from chalicelib.rebates.withdrawal_models import MOVES, WithdrawalRecord

WITHDRAWAL = "withdrawal"  # the withdrawal's name among a transaction's items
ACCOUNT = accounts_store.ACCOUNT
DAY = "day"  # the counter of the shopper's withdrawals of one Beijing day
SETTINGS = programme_store.SETTINGS
DAY_COUNTER_TTL = 3 * 24 * 3600  # kept three days after the day began: only that day is counted
CSV_PAGE = 100


def _withdrawal_item(withdrawal: WithdrawalRecord) -> dict[str, Any]:
    data = withdrawal.model_dump(mode="json")
    return {**keys.withdrawal(withdrawal.id),
            **keys.withdrawal_listing(withdrawal.status, data["created_at"], withdrawal.id),
            **keys.user_withdrawal_listing(withdrawal.user_id, data["created_at"], withdrawal.id),
            "entity": "withdrawal", **data}


def _day_item(withdrawal: WithdrawalRecord, delta: int, maximum: int, expires_at: int) -> dict[str, Any]:
    """Add `delta` to what the day holds; with a maximum, only while the sum stays within it."""
    assert withdrawal.day is not None
    condition = "attribute_not_exists(used) OR used <= :room" if delta > 0 and maximum else None
    vals: dict[str, Any] = {"delta": delta, "zero": 0, "ttl": expires_at, "uid": withdrawal.user_id}
    if condition:
        vals["room"] = maximum - delta
    return dynamo.tx_update(keys.withdrawal_day(withdrawal.user_id, withdrawal.day),
                            "SET used = if_not_exists(used, :zero) + :delta, #ttl = :ttl, user_id = :uid",
                            condition=condition, names={"#ttl": "ttl"}, vals=dynamo.values(**vals))


def create_withdrawal(withdrawal: WithdrawalRecord, change: AccountChange, entries: list[LedgerEntry],
                      settings_check: dict[str, Any], maximum: int, day_expires_at: int,
                      idem: Idempotency | None, now: datetime) -> None:
    """One transaction: the account change with its ledger entries if its conditions hold, the
    withdrawal, the day's counter within `maximum` (0: none), the settings still the version
    the limits came from [, the Idempotency-Key record]. Refused (`account`, `day` or
    `settings`) when they do not."""
    items = {**accounts_store.account_items(change, entries, now),
             WITHDRAWAL: dynamo.tx_put(_withdrawal_item(withdrawal), keys.NEW),
             DAY: _day_item(withdrawal, withdrawal.amount, maximum, day_expires_at),
             SETTINGS: settings_check}
    try:
        idempotency.transact(items, idem, withdrawal.shown().model_dump(mode="json"))
    except dynamo.ConditionFailed as exc:
        if {ACCOUNT, DAY, SETTINGS} & set(exc.failed):
            raise Refused(exc.failed) from exc
        raise


def get_withdrawal(withdrawal_id: str) -> WithdrawalRecord | None:
    item = dynamo.get(keys.withdrawal(withdrawal_id), consistent=True)
    return WithdrawalRecord.model_validate(item) if item else None


def list_withdrawals(status: str, limit: int, cursor: str | None) -> tuple[list[WithdrawalRecord], str | None]:
    """Oldest first: operators work through the pending ones in the order they came."""
    index = keys.WITHDRAWALS
    items, next_cursor = dynamo.query_page(
        index=index.name, partition_attr=index.pk, partition_value=keys.withdrawal_partition(status),
        key_attrs=index.key_attrs, limit=limit, cursor=cursor, newest_first=False,
    )
    return [WithdrawalRecord.model_validate(i) for i in items], next_cursor


def all_withdrawals(status: str) -> Iterator[WithdrawalRecord]:
    """Every withdrawal of `status`, oldest first, a page at a time: the cost grows with them only."""
    cursor: str | None = None
    while True:
        page, cursor = list_withdrawals(status, CSV_PAGE, cursor)
        yield from page
        if cursor is None:
            return


def user_withdrawals(user_id: str, limit: int, cursor: str | None) -> tuple[list[WithdrawalRecord], str | None]:
    """One shopper's withdrawals, newest first, whatever their status."""
    index = keys.USER_WITHDRAWALS
    items, next_cursor = dynamo.query_page(
        index=index.name, partition_attr=index.pk, partition_value=keys.user_withdrawals_partition(user_id),
        key_attrs=index.key_attrs, limit=limit, cursor=cursor,
    )
    return [WithdrawalRecord.model_validate(i) for i in items], next_cursor


def move_withdrawal(withdrawal: WithdrawalRecord, moved: WithdrawalRecord, change: AccountChange | None,
                    entries: list[LedgerEntry], now: datetime, audit: Change, day_expires_at: int,
                    idem: Idempotency | None = None) -> None:
    """One transaction: `withdrawal` from the status MOVES names to `moved.status` exactly once,
    with the fields the move sets, the account change with its entries, the day's counter given
    back (a rejection or a failure), the audit entry [, the Idempotency-Key record]. Refused
    (`withdrawal`) when it is not in that status (or absent); Stale when only the account moved
    meanwhile."""
    source, _ = MOVES[moved.status]
    data = moved.model_dump(mode="json")
    fields: tuple[str, ...] = (("decided_at", "decided_by") if source == "pending"
                               else ("paid_out_at", "paid_out_by", "payout_ref")) + ("reason",)
    listing = keys.withdrawal_listing(moved.status, iso(withdrawal.created_at), withdrawal.id)
    sets = ["#status = :status", "#gpk = :gpk", "#gsk = :gsk", *(f"{name} = :{name}" for name in fields)]
    items = {
        WITHDRAWAL: dynamo.tx_update(
            keys.withdrawal(withdrawal.id), "SET " + ", ".join(sets), condition="#status = :source",
            names={"#status": "status", "#gpk": keys.WITHDRAWALS.pk, "#gsk": keys.WITHDRAWALS.sk},
            vals=dynamo.values(status=moved.status, source=source, gpk=listing[keys.WITHDRAWALS.pk],
                               gsk=listing[keys.WITHDRAWALS.sk], **{name: data[name] for name in fields}),
        ),
        **(accounts_store.account_items(change, entries, now) if change is not None else {}),
        **audit_store.items(audit),
    }
    if moved.status in ("rejected", "failed") and withdrawal.day is not None:
        items[DAY] = _day_item(withdrawal, -withdrawal.amount, 0, day_expires_at)
    try:
        idempotency.transact(items, idem, moved.shown().model_dump(mode="json"))
    except dynamo.ConditionFailed as exc:
        if WITHDRAWAL in exc.failed:
            raise Refused(exc.failed) from exc
        raise Stale() from exc
