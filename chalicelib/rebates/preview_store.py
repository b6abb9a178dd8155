"""DynamoDB reads of a rule's preview (rebates/preview.py replays them): the window's payments
and refunds from the day index (GSI2 `PAYMENTS_DAY#<Beijing day>`, sorted by time), one day
partition after another, page by page, so the cost grows with what the window holds, never with
the table; and what the payments' recorded rebates counted against the return cap. Reads only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib import dynamo
from chalicelib.clock import iso
from chalicelib.rebates import keys
from chalicelib.rebates.models import Payment
from chalicelib.rebates.policy import beijing_day

PAGE = 100  # items per Query


@dataclass
class Window:
    """The payments made in the window (by `paid_at`, then payment) and each one's refunded total
    as of the window's last refund (refunds recorded in the window; refunded totals only grow)."""

    payments: list[Payment] = field(default_factory=list)
    refunded: dict[str, int] = field(default_factory=dict)


def _days(start: datetime, end: datetime) -> list[str]:
    first, last = beijing_day(start), beijing_day(end)
    days, moment = [first], start
    while days[-1] < last:
        moment += timedelta(days=1)
        days.append(min(beijing_day(moment), last))
    return days


def _day_items(day: str, start: str, end: str) -> list[dict[str, Any]]:
    index = keys.PAYMENTS_BY_DAY
    found: list[dict[str, Any]] = []
    cursor: dict[str, Any] | None = None
    while True:
        items, cursor = dynamo.query_once(
            index=index.name, key_condition=f"#pk = :pk AND {keys.DAY_WINDOW}", names={"#pk": index.pk},
            vals=dynamo.values(pk=keys.payments_day_partition(day), **{"from": start, "to": end}), limit=PAGE,
            start=cursor)
        found.extend(items)
        if cursor is None:
            return found


def window(start: datetime, end: datetime) -> Window:
    """Payments with `start <= paid_at < end`, and refunds with `start <= refunded_at < end`."""
    result = Window()
    for day in _days(start, end):
        for item in _day_items(day, iso(start), iso(end)):
            if item.get("entity") == "payment":
                result.payments.append(Payment.model_validate(item))
            elif item.get("entity") == "refund":
                ref = item["payment_ref"]
                result.refunded[ref] = max(result.refunded.get(ref, 0), int(item["refunded_after"]))
    result.payments.sort(key=lambda p: (p.paid_at, p.payment_ref))
    return result


def recorded_returns(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(payment_ref, rule_id) -> what that rule's recorded rebate on the payment counted against
    its return cap; pairs without a rebate (a payment not settled yet) are absent."""
    items = dynamo.batch_get([keys.rebate(ref, rule_id) for ref, rule_id in pairs])
    return {(item["payment_ref"], item["rule_id"]): int(item.get("returned", 0)) for item in items}
