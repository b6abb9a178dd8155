"""DynamoDB storage of the programme settings, and the short cache every function reads them
through.

Reading the settings on every request would add a read to every quote and reservation, so
`current` keeps a copy for `MALL_SETTINGS_CACHE_SECONDS` (default 30). A stale copy can only
cost a retry, never money: a write whose amounts were computed from the settings carries
`unchanged_check(settings)`, which fails if the stored version has moved on since, and the
caller then reads `fresh()` and computes again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib import dynamo
from chalicelib.audit import store as audit_store
from chalicelib.audit.models import Change
from chalicelib.indexes import ITEM_ABSENT
from chalicelib.programme import keys
from chalicelib.programme.models import ProgrammeSettings
from chalicelib.settings import get_settings

SETTINGS = "settings"  # the settings' name among a transaction's items
_cache: dict[str, tuple[datetime, ProgrammeSettings]] = {}


def current(now: datetime) -> ProgrammeSettings:
    """The settings as of at most the cache's age before `now`."""
    cached = _cache.get(dynamo.table_name())
    if cached is not None and timedelta(0) <= now - cached[0] < timedelta(seconds=get_settings().settings_cache_seconds):
        return cached[1]
    return fresh(now)


def fresh(now: datetime) -> ProgrammeSettings:
    """The stored settings, read consistently (defaults when never saved); refreshes the cache."""
    item = dynamo.get(keys.SETTINGS, consistent=True)
    settings = ProgrammeSettings.model_validate(_fields(item)) if item else ProgrammeSettings()
    _cache[dynamo.table_name()] = (now, settings)
    return settings


def clear_cache() -> None:
    _cache.clear()


def _fields(item: dict[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in ProgrammeSettings.model_fields if name in item}


def _version_condition(version: int) -> tuple[str, dict[str, Any] | None]:
    if version == 0:
        return ITEM_ABSENT, None
    return "version = :version", dynamo.values(version=version)


def unchanged_check(settings: ProgrammeSettings) -> dict[str, Any]:
    """A transaction item (a ConditionCheck) that fails unless the stored settings are still
    the version `settings` was read at. Name it `store.SETTINGS` in the transaction."""
    condition, vals = _version_condition(settings.version)
    return dynamo.tx_check(keys.SETTINGS, condition, vals=vals)


def save(settings: ProgrammeSettings, seen_version: int, now: datetime, actor: str,
         audit: Change | None = None) -> ProgrammeSettings | None:
    """Store `settings` as the next version if the stored one is still `seen_version`, with the
    audit entry of the change in the same transaction; None when another change came first
    (read again and merge again)."""
    saved = settings.saved_as(seen_version, now, actor)
    condition, vals = _version_condition(seen_version)
    item = {**keys.SETTINGS, "entity": "programme_settings", **saved.model_dump(mode="json", exclude_none=True)}
    try:
        dynamo.transact({SETTINGS: dynamo.tx_put(item, condition, vals=vals), **audit_store.items(audit)})
    except dynamo.ConditionFailed as exc:
        if SETTINGS in exc.failed:
            return None
        raise
    _cache[dynamo.table_name()] = (now, saved)
    return saved
