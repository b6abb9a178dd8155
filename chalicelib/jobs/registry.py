"""Every scheduled job, in one table: what it does, how often it runs, and how to run it.

A job takes `now` (the moment it decides as of) and a budget, and returns a SweepReport.
The schedules (routes.py), the operator CLI (__main__.py) and the local event pump all run
jobs through `run`, so a job behaves the same whichever starts it. Each is conditional per
item and idempotent for a given `now`: running one by hand next to its schedule is harmless.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from chalicelib.clock import iso
from chalicelib.jobs.budget import Budget
from chalicelib.jobs.report import SweepReport
from chalicelib.observability import count, logger


@dataclass(frozen=True)
class Job:
    name: str
    summary: str
    rate_env: str            # minutes between runs, from this environment variable ...
    default_minutes: int     # ... or this default
    work: Callable[[datetime, Budget, SweepReport], SweepReport]

    def rate_minutes(self) -> int:
        return int(os.environ.get(self.rate_env) or self.default_minutes)


def _expire_coupons(now: datetime, budget: Budget, report: SweepReport) -> SweepReport:
    from chalicelib.coupons import sweeps

    return sweeps.expire_due(now, budget, report)


def _release_locks(now: datetime, budget: Budget, report: SweepReport) -> SweepReport:
    from chalicelib.coupons import sweeps
    from chalicelib.orders import reservations

    # Reservations first: releasing one gives back its coupon lock and card holds with its account
    # holds, in one transaction; the coupons' walk then finds those already moved.
    report = reservations.release_lapsed(now, budget, report)
    return sweeps.release_lapsed(now, budget, report) if report.finished else report


def _remind_expiring(now: datetime, budget: Budget, report: SweepReport) -> SweepReport:
    from chalicelib.coupons import reminders, sweeps
    from chalicelib.settings import get_settings

    horizon = now + timedelta(days=get_settings().reminder_days)
    return sweeps.remind_due(now, horizon, budget, report,
                             send=lambda item: reminders.publish(reminders.message(item, now)))


def _end_templates(now: datetime, budget: Budget, report: SweepReport) -> SweepReport:
    from chalicelib.coupons import sweeps

    return sweeps.end_lapsed(now, budget, report)


def _release_instalments(now: datetime, budget: Budget, report: SweepReport) -> SweepReport:
    from chalicelib.rebates import settlement

    return settlement.release_due(now, budget, report)


def _release_pending(now: datetime, budget: Budget, report: SweepReport) -> SweepReport:
    from chalicelib.rebates import pending

    return pending.release_due(now, budget, report)


def _expire_points(now: datetime, budget: Budget, report: SweepReport) -> SweepReport:
    from chalicelib.rebates import expiring

    return expiring.expire_due(now, budget, report)


JOBS: dict[str, Job] = {job.name: job for job in (
    Job("expire-coupons", "store unused coupons and cards past their validity as expired",
        "MALL_EXPIRY_RATE_MINUTES", 60, _expire_coupons),
    Job("release-locks", "give back order reservations, coupon locks and card holds of orders not paid in time",
        "MALL_LOCK_RELEASE_RATE_MINUTES", 5, _release_locks),
    Job("remind-expiring", "send one reminder for each coupon expiring within MALL_REMINDER_DAYS",
        "MALL_REMINDER_RATE_MINUTES", 60, _remind_expiring),
    Job("end-templates", "store templates whose claim window closed as ended",
        "MALL_TEMPLATE_END_RATE_MINUTES", 60, _end_templates),
    Job("release-instalments", "credit the full-return (全返) instalments due",
        "MALL_INSTALMENT_RATE_MINUTES", 24 * 60, _release_instalments),
    Job("release-pending", "make rebates whose return window (pending_days) is over spendable; grant pending vouchers",
        "MALL_PENDING_RATE_MINUTES", 60, _release_pending),
    Job("expire-points", "take the points whose expiry day (points_valid_days) is over, soonest first",
        "MALL_POINTS_EXPIRY_RATE_MINUTES", 60, _expire_points),
)}


def run(name: str, now: datetime, budget: Budget) -> SweepReport:
    """Run job `name` as of `now` within `budget`; logs and counts what it did."""
    job = JOBS[name]
    started = time.monotonic()
    report = job.work(now, budget, SweepReport(job=name, as_of=iso(now)))
    report.seconds = round(time.monotonic() - started, 3)
    logger.info(report.line(), extra={"sweep": report.as_dict()})
    count("JobItemsChanged", report.changed, job=name)
    if not report.finished:
        count("JobUnfinished", job=name)
    return report
