"""Time as the service stores it: UTC, whole seconds, ISO 8601 with a `Z`.

Stored times are fixed-width strings, so DynamoDB compares them correctly as strings in
key conditions and condition expressions (`claim_ends_at > :now`).
"""

from __future__ import annotations

from datetime import datetime, timezone

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def to_utc(value: datetime) -> datetime:
    """Normalise an aware datetime to UTC, whole seconds (sub-second parts are dropped)."""
    return value.astimezone(timezone.utc).replace(microsecond=0)


def iso(value: datetime) -> str:
    return to_utc(value).strftime(ISO_FORMAT)


def parse_iso(value: str) -> datetime:
    return datetime.strptime(value, ISO_FORMAT).replace(tzinfo=timezone.utc)
