"""The conditional write of the publish/pause/end state machine (`chalicelib.lifecycle`),
shared by the coupon and rebate repositories."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import dynamo
from chalicelib.clock import iso
from chalicelib.indexes import ITEM_EXISTS, IndexSpec
from chalicelib.lifecycle import TRANSITIONS, refusal


def status_write(action: str, now: datetime, *, listed: IndexSpec, listed_partition: str,
                 listed_sk_attribute: str, also: str | None = None) -> tuple[str, str, dict[str, str], dict[str, Any]]:
    """The conditional update that moves an item by `action`: (update expression, condition,
    names, values). Publishing also puts the item in its sparse "live" index (`listed`, under
    `listed_partition`, sorted by the item's own `listed_sk_attribute`); pausing and ending take it out.
    `also` is a further condition, which may use `:now`. Shared by `apply` and by writers that
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


def apply(key: dict[str, str], action: str, now: datetime, *, noun: str, listed: IndexSpec,
          listed_partition: str, listed_sk_attribute: str, also: tuple[str, str] | None = None) -> dict[str, Any]:
    """Move a stored item by `action` if, at the moment of the write, its status allows it
    (see `status_write`); `also` is a further condition and the message when only it fails.
    Returns the item after the write; raises NotFound or InvalidState."""
    expression, condition, names, vals = status_write(action, now, listed=listed, listed_partition=listed_partition,
                                                      listed_sk_attribute=listed_sk_attribute,
                                                      also=also[0] if also else None)
    try:
        return dynamo.update(key, expression, condition=condition, names=names, vals=vals)
    except dynamo.ConditionFailed as exc:
        raise refusal(exc.old, action, noun, also[1] if also else None) from exc
