"""The life of what operators publish (coupon templates, rebate rules), one state machine:
draft -> published <-> paused, and published or paused -> ended; any other move is refused.
`transition` is the rule and `refusal` explains a refused write. Pure: no I/O, so the pure
rules of each domain can use it; its conditional write is `chalicelib.lifecycle_store`."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import DomainError, InvalidState, NotFound

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "publish": (frozenset({"draft", "paused"}), "published"),
    "pause": (frozenset({"published"}), "paused"),
    "end": (frozenset({"published", "paused"}), "ended"),
}


class Moved(Exception):
    """An audited status write found the status moved since it was read (its `before` would be
    wrong): read again and decide again."""


def transition(current: str, action: str, noun: str) -> str:
    """The state `action` leads to from `current`, or InvalidState naming the allowed states."""
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise InvalidState(f"A {current} {noun} cannot {action}; allowed from: {', '.join(sorted(sources))}.")
    return target


def refusal(old: dict[str, Any] | None, action: str, noun: str, also_refused: str | None = None) -> DomainError:
    """Why a status write failed, from the item as it was: NotFound, InvalidState naming the
    states allowed, or (the status allowed it) InvalidState saying `also_refused`."""
    if old is None:
        return NotFound(f"No {noun} with this id.")
    try:
        transition(old["status"], action, noun)
    except InvalidState as exc:
        return exc
    return InvalidState(also_refused)
