"""The conditional write of the publish/pause/end state machine (`chalicelib.lifecycle`),
shared by the coupon and rebate repositories."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import dynamo
from chalicelib.audit import store as audit_store
from chalicelib.audit.models import Change
from chalicelib.clock import iso
from chalicelib.indexes import ITEM_EXISTS, IndexSpec
from chalicelib.lifecycle import TRANSITIONS, Moved, refusal


def status_write(action: str, now: datetime, *, listed: IndexSpec, listed_partition: str,
                 listed_sk_attribute: str, also: str | None = None) -> tuple[str, str, dict[str, str], dict[str, Any]]:
    """The conditional update that moves an item by `action`: (update expression, condition,
    names, values). Publishing also puts the item in its sparse "live" index (`listed`, under
    `listed_partition`, sorted by the item's own `listed_sk_attribute`); pausing and ending take it out.
    `also` is a further condition, which may use `:now`. Shared by `apply_audited` and by writers that
    move more items in the same transaction."""
    sources, target = TRANSITIONS[action]
    sources_named = {f"s{i}": s for i, s in enumerate(sorted(sources))}
    if target == "published":
        expression = (f"SET #status = :target, updated_at = :now, {listed.pk} = :listed, "
                      f"{listed.sk} = {listed_sk_attribute}")
    else:
        expression = f"SET #status = :target, updated_at = :now REMOVE {listed.remove}"
    vals: dict[str, Any] = {"target": target, "now": iso(now), **sources_named}
    if target == "published":
        vals["listed"] = listed_partition
    condition = f"{ITEM_EXISTS} AND #status IN ({', '.join(':' + k for k in sources_named)})"
    if also:
        condition += f" AND ({also})"
    return expression, condition, {"#status": "status"}, dynamo.values(**vals)


ITEM = "item"  # the item's name in an audited status write


def seen_status(condition: str, vals: dict[str, Any], seen: str) -> tuple[str, dict[str, Any]]:
    """A status write's condition and values that also pin the status to `seen` (the one read):
    an audited change's `before` is then exactly what the write changed."""
    return f"{condition} AND #status = :seen", {**vals, **dynamo.values(seen=seen)}


def apply_audited(key: dict[str, str], action: str, now: datetime, seen: str, audit: Change, *, noun: str,
                  listed: IndexSpec, listed_partition: str, listed_sk_attribute: str) -> None:
    """Move a stored item by `action` if, at the moment of the write, its status is still `seen`
    (the status it was read with) and allows it, in one transaction with the audit entry of the
    change: a refused write records nothing. Raises Moved when the status moved since it was
    read; otherwise NotFound or InvalidState (lifecycle.refusal)."""
    expression, condition, names, vals = status_write(action, now, listed=listed, listed_partition=listed_partition,
                                                      listed_sk_attribute=listed_sk_attribute)
    condition, vals = seen_status(condition, vals, seen)
    try:
        dynamo.transact({ITEM: dynamo.tx_update(key, expression, condition=condition, names=names, vals=vals),
                         **audit_store.items(audit)})
    except dynamo.ConditionFailed as exc:
        if ITEM not in exc.failed:
            raise
        old = exc.failed[ITEM]
        if old is not None and old.get("status") != seen:
            raise Moved() from exc
        raise refusal(old, action, noun) from exc
