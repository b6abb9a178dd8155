"""DynamoDB storage of a payment's running return: the fen of reward its rebates returned so
far (`returned` on `PAY#`), which the return cap bounds (rebates/return_cap.py).

A grant that returns something moves `returned` in its own transaction, from the value it was
computed from: the update is conditional on `returned = :seen` (absent counts as 0). Two
deliveries computing the same or different rules' shares from the same total cannot both
commit: the loser's transaction is cancelled (its `REBATE#` exists: AlreadyDone; else the
total moved: Stale, read again and recompute). So the sum of the rebates never exceeds the cap
whatever order or concurrency the deliveries run in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import dynamo
from chalicelib.rebates import keys

PAYMENT = "payment"  # the item's name in a transaction


@dataclass(frozen=True)
class ReturnedMove:
    """The payment's `returned` from `seen` (what the grant was computed from) to `after`."""

    payment_ref: str
    seen: int
    after: int


def returned_update(move: ReturnedMove | None) -> dict[str, dict[str, Any]]:
    """The named transaction item that moves the payment's `returned`; nothing without a move."""
    if move is None:
        return {}
    condition = "returned = :seen"
    if move.seen == 0:  # a payment recorded before the cap has no attribute
        condition = f"(attribute_not_exists(returned) OR {condition})"
    return {PAYMENT: dynamo.tx_update(keys.payment(move.payment_ref), "SET returned = :after",
                                      condition=condition, vals=dynamo.values(seen=move.seen, after=move.after))}
