"""The one budgeted index walk every scheduled job reads through (coupons and rebates alike).

A job lists what it has to act on in a sparse index, sorted by when it becomes due. The walk
reads that index up to a bound, page by page and partition by partition, and hands each item
to the job's `handle`, whose conditional write also takes the item out of the index. So

- the read cost of a run grows with what is due, not with the table;
- a run stopped by its budget resumes by simply starting again, and a second run with the
  same `now` finds nothing;
- a racing write (a lock, a payment, an unlock) lands either before the job's write (which is
  then refused and counted as skipped) or after it (and finds the item already moved).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from chalicelib import dynamo
from chalicelib.indexes import IndexSpec
from chalicelib.jobs.budget import Budget
from chalicelib.jobs.report import SweepReport

PAGE = 100


def walk(report: SweepReport, budget: Budget, *, index: IndexSpec, partitions: Iterable[str], upto: str,
         handle: Callable[[dict[str, Any]], bool]) -> SweepReport:
    """Hand every item of `index` under `partitions` with a sort key <= `upto` to `handle`
    (True: it changed the item; False: a racing write had already moved it), page by page,
    until done or until `budget` runs out (then `report.finished` is False). The budget is
    checked before each page and between items, so every item is handled or not started."""
    for partition in partitions:
        start = None
        while True:
            if budget.exhausted():
                report.finished = False
                return report
            items, start = dynamo.query_once(
                index=index.name, key_condition="#pk = :pk AND #sk <= :upto",
                names={"#pk": index.pk, "#sk": index.sk},
                vals=dynamo.values(pk=partition, upto=upto), limit=PAGE, start=start,
            )
            report.read += len(items)
            for position, item in enumerate(items):
                if position and budget.exhausted():
                    report.finished = False
                    return report
                if handle(item):
                    report.changed += 1
                else:
                    report.skipped += 1
            if not start:
                break
    return report
