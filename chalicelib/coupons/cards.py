"""Stored-value cards' history entries, pure: what each change of a card writes to its history.
No I/O; cards_store writes them with the change they describe."""

from __future__ import annotations

import threading
from datetime import datetime

from chalicelib.coupons.models import CardEntry, CardEntryType
from chalicelib.ids import CROCKFORD, new_id

# How often an operation re-reads and retries when a racing write changed what it read.
CONTENDED_RETRIES = 3

_last_entry_id = [""]
_entry_id_lock = threading.Lock()


def entry_id() -> str:
    """A time-ordered id that also keeps its order within one millisecond in this process (the
    ULID monotonic rule: one more than the last id), so a card's history reads in the order
    its changes happened."""
    with _entry_id_lock:
        candidate = new_id()
        if candidate <= _last_entry_id[0]:
            value = sum(CROCKFORD.index(ch) << (5 * i) for i, ch in enumerate(reversed(_last_entry_id[0]))) + 1
            candidate = "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(len(candidate))))
        _last_entry_id[0] = candidate
        return candidate


def entry(kind: CardEntryType, amount: int, balance_change: int, held_change: int, now: datetime, order_id: str | None,
          payment_id: str | None = None) -> CardEntry:
    return CardEntry(id=entry_id(), type=kind, amount=amount, balance_change=balance_change, held_change=held_change,
                     order_id=order_id, payment_id=payment_id, created_at=now)
