"""Schedules of the jobs package: the voucher expiry sweep.

Each firing decides as of the scheduled time EventBridge stamps on the event (so a
re-delivered firing decides as the first did) and stops on a budget taken from the Lambda
context, well before the timeout; what it leaves is picked up by the next firing.
"""

from __future__ import annotations

import os
from datetime import datetime

from chalice import Blueprint, Rate

from chalicelib.clock import to_utc, utcnow
from chalicelib.coupons import service as coupons
from chalicelib.jobs.budget import TimeBudget
from chalicelib.observability import count, logger

bp = Blueprint(__name__)

EXPIRY_RATE_MINUTES = int(os.environ.get("MALL_EXPIRY_RATE_MINUTES", "60"))


@bp.schedule(Rate(EXPIRY_RATE_MINUTES, unit=Rate.MINUTES))
def expire_coupons(event) -> None:
    """Expire the coupons due at the scheduled time, within what Lambda leaves this invocation."""
    now = event_time(getattr(event, "time", None)) or utcnow()
    report = coupons.expire_due(now, TimeBudget.from_context(event.context))
    logger.info("coupon expiry sweep", extra=report.as_dict())
    count("CouponsExpired", report.changed)
    if not report.finished:
        count("SweepUnfinished", job=report.job)


def event_time(text: str | None) -> datetime | None:
    """EventBridge's `time` (UTC, `Z`), or None when absent or malformed."""
    try:
        return to_utc(datetime.fromisoformat(text)) if text else None
    except ValueError:
        return None
