"""Time as the service stores it: UTC, whole seconds, ISO 8601 with a `Z`.

Stored times are fixed-width strings, so DynamoDB compares them correctly as strings in
key conditions and condition expressions (`claim_ends_at > :now`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# Beijing time (UTC+8, no daylight saving): daily caps count by its day, Alipay writes its times in it.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def to_utc(value: datetime) -> datetime:
    """Normalise an aware datetime to UTC, whole seconds (sub-second parts are dropped)."""
    return value.astimezone(timezone.utc).replace(microsecond=0)


# The years a time from outside may fall in, once in UTC: far beyond any campaign or payment,
# and far from year 1 and 9999, where an offset or a validity period would overflow `datetime`.
MIN_YEAR, MAX_YEAR = 2000, 2199


def accepted_utc(value: datetime) -> datetime:
    """`to_utc` for a time given by a client or a provider: ValueError (which pydantic reports
    as a validation error of the field) unless its UTC form falls in MIN_YEAR..MAX_YEAR. A
    conversion that overflows (`0001-01-01T00:00:00+14:00`) is out of range too."""
    try:
        moment = to_utc(value)
    except OverflowError:
        moment = None
    if moment is None or not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise ValueError(f"must be from {MIN_YEAR}-01-01T00:00:00Z to {MAX_YEAR}-12-31T23:59:59Z once in UTC")
    return moment


def iso(value: datetime) -> str:
    return to_utc(value).strftime(ISO_FORMAT)


def parse_iso(value: str) -> datetime:
    return datetime.strptime(value, ISO_FORMAT).replace(tzinfo=timezone.utc)
