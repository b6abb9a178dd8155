"""The life of what operators publish (coupon templates, rebate rules), one state machine:
draft -> published <-> paused, and published or paused -> ended; any other move is refused.
`transition` is the rule; `apply` is its conditional write, shared by both repositories."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import dynamo
from chalicelib.clock import iso
from chalicelib.errors import InvalidState, NotFound

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "publish": (frozenset({"draft", "paused"}), "published"),
    "pause": (frozenset({"published"}), "paused"),
    "end": (frozenset({"published", "paused"}), "ended"),
}


def transition(current: str, action: str, noun: str) -> str:
    """The state `action` leads to from `current`, or InvalidState naming the allowed states."""
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise InvalidState(f"A {current} {noun} cannot {action}; allowed from: {', '.join(sorted(sources))}.")
    return target


def apply(key: dict[str, str], action: str, now: datetime, *, noun: str, listed_partition: str,
          listed_sk_attribute: str, also: tuple[str, str] | None = None) -> dict[str, Any]:
    """Move a stored item by `action` if, at the moment of the write, its status allows it.

    Publishing also puts the item in its sparse "live" index (GSI2 = `listed_partition` /
    the item's own `listed_sk_attribute`); pausing and ending take it out. `also` is a further
    condition (which may use `:now`) and the message of the InvalidState raised when only it
    fails. Returns the item after the write; raises NotFound, or InvalidState naming the
    states allowed.
    """
    sources, target = TRANSITIONS[action]
    sources_named = {f"s{i}": s for i, s in enumerate(sorted(sources))}
    if target == "published":
        expression = f"SET #status = :target, updated_at = :now, GSI2PK = :listed, GSI2SK = {listed_sk_attribute}"
    else:
        expression = "SET #status = :target, updated_at = :now REMOVE GSI2PK, GSI2SK"
    vals: dict[str, Any] = {"target": target, "now": iso(now), **sources_named}
    if target == "published":
        vals["listed"] = listed_partition
    try:
        return dynamo.update(
            key, expression,
            condition=f"attribute_exists(PK) AND #status IN ({', '.join(':' + k for k in sources_named)})"
                      + (f" AND ({also[0]})" if also else ""),
            names={"#status": "status"}, vals=dynamo.values(**vals),
        )
    except dynamo.ConditionFailed as exc:
        old = exc.failed.get(0)
        if old is None:
            raise NotFound(f"No {noun} with this id.") from exc
        transition(old["status"], action, noun)  # raises InvalidState naming the allowed states
        raise InvalidState(also[1] if also else None) from exc
