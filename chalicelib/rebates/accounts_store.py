"""DynamoDB storage of accounts and their ledgers.

Every change of balance, frozen, points or debt is written with its ledger entries in the
same transaction (`account_items`, named `account` and `entry0`, `entry1`, ...): the
caller adds them to the transaction of the effect that causes the change. Values the
service computed from (an account's debt, a balance being debited) are pinned with
`attribute = :seen`, minimums with `attribute >= :minimum`.

Points that expire (rebates/points_expiry.py): `account_items` is the one place every account
change passes, so it also keeps the expiry counters: a change taking free points (`points`
delta < 0) adds that much to `points_consumed`; one giving points (delta > 0), while the
programme's `points_valid_days` N > 0, also ADDs them to the user's bucket of the day they
expire (`points_lot`, keys.points_lot, listed for expire-points) and, on the user's first
bucket, sets `points_base` to the `points_consumed` it read (see `_lot_items`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import dynamo, idempotency
from chalicelib.audit import store as audit_store
from chalicelib.audit.models import Change
from chalicelib.clock import iso
from chalicelib.idempotency import Idempotency
from chalicelib.programme import store as programme_store
from chalicelib.rebates import keys, points_expiry
from chalicelib.rebates.models import AccountChange, Instalment, LedgerEntry, Refused

ACCOUNT_FIELDS = ("balance", "frozen", "points", "debt", "points_debt", "held", "points_held", "pending_balance",
                  "pending_points")
ACCOUNT = "account"  # the account's name among a transaction's items
POINTS_LOT = "points_lot"  # the bucket a credit of points adds to, among a transaction's items


def account_items(change: AccountChange, entries: list[LedgerEntry], now: datetime) -> dict[str, dict[str, Any]]:
    """The account's update (`account`), its ledger entries (`entry<n>`) and, for a credit of
    points while points expire, their bucket (`points_lot`), for a transaction."""
    names: dict[str, str] = {}
    vals: dict[str, Any] = {"zero": 0, "now": iso(now), "uid": change.user_id}
    sets, conditions = ["user_id = :uid", "updated_at = :now"], []
    deltas, lot = dict(change.deltas), dict[str, dict[str, Any]]()
    points = deltas.get("points", 0)
    if points < 0:
        deltas["points_consumed"] = deltas.get("points_consumed", 0) - points
    elif points > 0:
        lot, base = _lot_items(change.user_id, points, now)
        if base is not None:
            sets.append("points_base = if_not_exists(points_base, :base)")
            vals["base"] = base
    for i, (name, delta) in enumerate(sorted(deltas.items())):
        names[f"#d{i}"], vals[f"d{i}"] = name, delta
        sets.append(f"#d{i} = if_not_exists(#d{i}, :zero) + :d{i}")
    for i, (name, seen) in enumerate(sorted(change.expect.items())):
        names[f"#e{i}"], vals[f"e{i}"] = name, seen
        conditions.append(f"(attribute_not_exists(#e{i}) OR #e{i} = :e{i})" if seen == 0 else f"#e{i} = :e{i}")
    for i, (name, minimum) in enumerate(sorted(change.at_least.items())):
        names[f"#m{i}"], vals[f"m{i}"] = name, minimum
        conditions.append(f"#m{i} >= :m{i}")
    update = dynamo.tx_update(keys.account(change.user_id), "SET " + ", ".join(sets),
                              condition=" AND ".join(conditions) or None, names=names, vals=dynamo.values(**vals))
    return {ACCOUNT: update, **lot, **ledger_puts(change.user_id, entries)}


def _lot_items(user_id: str, points: int, now: datetime) -> tuple[dict[str, dict[str, Any]], int | None]:
    """The bucket update of a credit of `points` at `now` (none while N = 0) and, until the
    user's first bucket, the `points_base` to set: the `points_consumed` read now. (DynamoDB
    allows no `if_not_exists` inside `if_not_exists`, and `if_not_exists(points_base,
    points_consumed)` fails where nothing was ever consumed, so the counter is read. A read older
    than a racing consumption only sets the base lower, which charges that consumption to the
    buckets: fewer points expire, never more.)"""
    valid_days = programme_store.current(now).points_valid_days
    if valid_days <= 0:
        return {}, None
    day = points_expiry.expiry_day(now, valid_days)
    expires_at = iso(points_expiry.expires_at(day))
    listing = keys.points_lot_listing(expires_at, user_id, day.isoformat())
    names = {f"#l{i}": attr for i, attr in enumerate(listing)}
    sets = ", ".join(f"#l{i} = :l{i}" for i in range(len(listing)))
    update = dynamo.tx_update(
        keys.points_lot(user_id, day.isoformat()),
        f"SET #entity = :entity, user_id = :uid, #day = :day, expires_at = :at, {sets} ADD #points :points",
        names={"#entity": "entity", "#day": "day", "#points": "points", **names},
        vals=dynamo.values(entity="points_lot", uid=user_id, day=day.isoformat(), at=expires_at, points=points,
                           **{f"l{i}": value for i, value in enumerate(listing.values())}))
    counters = points_counters(user_id, consistent=False)
    return {POINTS_LOT: update}, (None if counters.based else counters.consumed)


def points_counters(user_id: str, consistent: bool = True) -> points_expiry.Counters:
    """The account's expiry counters (rebates/points_expiry.py)."""
    item = dynamo.get(keys.account(user_id), consistent=consistent) or {}
    return counters_of(item)


def counters_of(item: dict[str, Any]) -> points_expiry.Counters:
    return points_expiry.Counters(consumed=int(item.get("points_consumed", 0)), base=int(item.get("points_base", 0)),
                                  lots_closed=int(item.get("points_lots_closed", 0)),
                                  based="points_base" in item)


def ledger_puts(user_id: str, entries: list[LedgerEntry]) -> dict[str, dict[str, Any]]:
    """The ledger entries' puts (`entry<n>`), for a transaction."""
    return dynamo.numbered("entry", (
        dynamo.tx_put({**keys.ledger_entry(user_id, entry.id), "entity": "ledger_entry", "user_id": user_id,
                       **entry.model_dump(mode="json")}, keys.NEW)
        for entry in entries))


def get_account(user_id: str) -> dict[str, int]:
    """The account's fields (0 for an account never credited), read consistently: changes are
    computed from it and pinned on it."""
    item = dynamo.get(keys.account(user_id), consistent=True) or {}
    return {name: int(item.get(name, 0)) for name in ACCOUNT_FIELDS}


def pending_instalments(user_id: str, limit: int) -> list[Instalment]:
    items, _ = dynamo.query_page(
        partition_attr=keys.TABLE.pk, partition_value=keys.account_partition(user_id),
        key_attrs=keys.TABLE.key_attrs, limit=limit, cursor=None, newest_first=False,
        sort_condition=f"begins_with({keys.TABLE.sk}, :prefix)",
        filter_expression="#status = :pending", names={"#status": "status"},
        vals=dynamo.values(prefix=keys.INSTALMENT_PREFIX, pending="pending"),
    )
    return [Instalment.model_validate(i) for i in items]


def ledger_page(user_id: str, limit: int, cursor: str | None) -> tuple[list[LedgerEntry], str | None]:
    items, next_cursor = dynamo.query_page(
        partition_attr=keys.TABLE.pk, partition_value=keys.account_partition(user_id),
        key_attrs=keys.TABLE.key_attrs, limit=limit, cursor=cursor,
        sort_condition=f"begins_with({keys.TABLE.sk}, :prefix)", vals=dynamo.values(prefix=keys.LEDGER_PREFIX),
    )
    return [LedgerEntry.model_validate(i) for i in items], next_cursor


def account_exists(user_id: str) -> bool:
    """Whether anything ever moved on the user's account (its item exists)."""
    return dynamo.get(keys.account(user_id), consistent=True) is not None


def adjust(change: AccountChange, entry: LedgerEntry, audit: Change, idem: Idempotency | None, response: Any,
           now: datetime) -> None:
    """One transaction: the account change pinned on what it was computed from, its ledger entry,
    the audit entry [, the Idempotency-Key record]. Refused (`account`, with its old image) when
    the account moved meanwhile or the asset would go below 0."""
    items = {**account_items(change, [entry], now), **audit_store.items(audit)}
    try:
        idempotency.transact(items, idem, response)
    except dynamo.ConditionFailed as exc:
        if ACCOUNT in exc.failed:
            raise Refused(exc.failed) from exc
        raise
