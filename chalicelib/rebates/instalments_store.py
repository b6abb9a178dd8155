"""DynamoDB storage of 全返 instalments: read them, walk those due, release one (the
settlement store puts them with their rebate and shrinks them in a clawback's transaction).
Named items: `instalment`, and accounts_store's `account` and `entry<n>`."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from chalicelib import dynamo
from chalicelib.clock import iso
from chalicelib.jobs.budget import Budget
from chalicelib.jobs.report import SweepReport
from chalicelib.jobs.walk import walk
from chalicelib.rebates import accounts_store, keys
from chalicelib.rebates.models import AccountChange, AlreadyDone, InstalmentRecord, LedgerEntry, Rebate, Stale

INSTALMENT = "instalment"


def instalment_key(instalment: InstalmentRecord) -> dict[str, str]:
    return keys.instalment(instalment.user_id, iso(instalment.due_at), instalment.payment_ref, instalment.rule_id,
                           instalment.number)


def instalments_of(rebate: Rebate) -> list[InstalmentRecord]:
    """The rebate's instalments, in due order (eventually consistent: every write that uses
    them pins the status and amount it saw)."""
    wanted = [keys.instalment(rebate.user_id, iso(p.due_at), rebate.payment_ref, rebate.rule_id, p.number)
              for p in rebate.plan]
    found = {item[keys.TABLE.sk]: item for item in dynamo.batch_get(wanted)}
    return [InstalmentRecord.model_validate(found[k[keys.TABLE.sk]]) for k in wanted if k[keys.TABLE.sk] in found]


def get_instalment(instalment: InstalmentRecord) -> InstalmentRecord | None:
    item = dynamo.get(instalment_key(instalment), consistent=True)
    return InstalmentRecord.model_validate(item) if item else None


def walk_due(now: datetime, budget: Budget, report: SweepReport,
             handle: Callable[[InstalmentRecord], bool]) -> SweepReport:
    """Hand each pending instalment due at `now` or before, oldest first, to `handle` through
    the shared budgeted walk (sparse index: pending only; a release leaves it)."""
    return walk(report, budget, index=keys.DUE, partitions=[keys.DUE_PARTITION], upto=keys.due_bound(iso(now)),
                handle=lambda item: handle(InstalmentRecord.model_validate(item)))


def release_instalment(instalment: InstalmentRecord, change: AccountChange, entries: list[LedgerEntry],
                       now: datetime) -> None:
    """One transaction: a pending instalment (with the amount it was seen with) becomes
    released, and the account is credited with its ledger entries."""
    items = {INSTALMENT: dynamo.tx_update(
        instalment_key(instalment),
        f"SET #status = :released, released_at = :now REMOVE {keys.DUE.remove}",
        condition="#status = :pending AND amount = :seen AND due_at <= :now", names={"#status": "status"},
        vals=dynamo.values(released="released", pending="pending", seen=instalment.amount, now=iso(now)),
    ), **accounts_store.account_items(change, entries, now)}
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        if INSTALMENT in exc.failed:
            old = exc.failed[INSTALMENT]
            if old is None or old.get("status") != "pending":
                raise AlreadyDone() from exc
        raise Stale() from exc
