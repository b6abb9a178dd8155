"""How long a job may keep working before it must stop and leave the rest to its next run.

A scheduled Lambda that is killed by its timeout loses the report of what it did and may be
retried by EventBridge; stopping early on a budget lets it end cleanly and report. Jobs check
`exhausted()` between units of work, so every unit is either done or not started.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Protocol

# What a job keeps in hand below the Lambda timeout: the unit in flight (one conditional
# write, at most a few retried requests of up to 10 s read timeout each) plus the report.
DEFAULT_SAFETY_MARGIN_MS = 15_000


class Budget(Protocol):
    def exhausted(self) -> bool: ...


class TimeBudget:
    """A deadline on a monotonic clock (wall-clock jumps cannot stretch or cut it)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._deadline = clock() + seconds

    @classmethod
    def from_context(cls, context: Any, safety_margin_ms: int = DEFAULT_SAFETY_MARGIN_MS) -> "TimeBudget":
        """The time Lambda leaves this invocation, minus the margin (never negative)."""
        remaining_ms = context.get_remaining_time_in_millis() - safety_margin_ms
        return cls(max(remaining_ms, 0) / 1000)

    def remaining_seconds(self) -> float:
        return max(self._deadline - self._clock(), 0.0)

    def exhausted(self) -> bool:
        return self._clock() >= self._deadline


class Unlimited:
    """No budget: for operators who run a job to the end by hand, and for benchmarks."""

    def exhausted(self) -> bool:
        return False
