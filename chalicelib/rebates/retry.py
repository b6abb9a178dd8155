"""Optimistic concurrency: read, compute, write with the read values pinned; again if stale."""

from __future__ import annotations

import random
import time
from typing import Callable, TypeVar

from chalicelib.errors import Throttled
from chalicelib.rebates.models import Stale

T = TypeVar("T")
ATTEMPTS = 12


def on_stale(operation: Callable[[], T]) -> T:
    """Run `operation` until its conditional write meets no concurrent writer.

    `operation` must read what it needs afresh on every call. After `ATTEMPTS` lost races
    the caller gets `Throttled`: an HTTP client sees 429, an SQS message is retried later.
    """
    for attempt in range(ATTEMPTS):
        try:
            return operation()
        except Stale:
            time.sleep(random.uniform(0, min(0.005 * 2**attempt, 0.25)))
    raise Throttled("Too many concurrent changes to the same account or counter; retry shortly.")
