"""The schedules of every job in registry.JOBS, one Lambda function each.

Each firing decides as of the scheduled time EventBridge stamps on the event (so a
re-delivered firing decides as the first did) and stops on a budget taken from the Lambda
context, well before the timeout; what it leaves is picked up by the next firing. Rates come
from the environment at deploy time (registry.Job.rate_env).
"""

from __future__ import annotations

from datetime import datetime

from chalice import Blueprint, Rate
from chalice.app import CloudWatchEvent

from chalicelib.clock import to_utc, utcnow
from chalicelib.jobs.budget import TimeBudget
from chalicelib.jobs.registry import JOBS, run

bp = Blueprint(__name__)


def _every(name: str) -> Rate:
    return Rate(JOBS[name].rate_minutes(), unit=Rate.MINUTES)


def _fire(name: str, event: CloudWatchEvent) -> None:
    run(name, event_time(getattr(event, "time", None)) or utcnow(), TimeBudget.from_context(event.context))


@bp.schedule(_every("expire-coupons"))
def expire_coupons(event: CloudWatchEvent) -> None:
    _fire("expire-coupons", event)


@bp.schedule(_every("release-locks"))
def release_locks(event: CloudWatchEvent) -> None:
    _fire("release-locks", event)


@bp.schedule(_every("remind-expiring"))
def remind_expiring(event: CloudWatchEvent) -> None:
    _fire("remind-expiring", event)


@bp.schedule(_every("end-templates"))
def end_templates(event: CloudWatchEvent) -> None:
    _fire("end-templates", event)


@bp.schedule(_every("release-instalments"))
def release_instalments(event: CloudWatchEvent) -> None:
    _fire("release-instalments", event)


@bp.schedule(_every("release-pending"))
def release_pending(event: CloudWatchEvent) -> None:
    _fire("release-pending", event)


@bp.schedule(_every("expire-points"))
def expire_points(event: CloudWatchEvent) -> None:
    _fire("expire-points", event)


def event_time(text: str | None) -> datetime | None:
    """EventBridge's `time` (UTC, `Z`), or None when absent or malformed."""
    try:
        return to_utc(datetime.fromisoformat(text)) if text else None
    except ValueError:
        return None
