"""The life of what operators publish (coupon templates, rebate rules), one state machine:
draft -> published <-> paused, and published or paused -> ended; any other move is refused."""

from __future__ import annotations

from chalicelib.errors import InvalidState

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
