"""Reading and changing the programme settings (operators). No boto3, no Chalice."""

from __future__ import annotations

from datetime import datetime

from chalicelib.audit.models import Change
from chalicelib.errors import Throttled, ValidationFailed
from chalicelib.programme import store
from chalicelib.programme.models import ProgrammeSettings, SettingsUpdate, problems

SAVE_ATTEMPTS = 5


def get_settings(now: datetime) -> ProgrammeSettings:
    """The stored settings, read consistently (an operator sees their own change at once)."""
    return store.fresh(now)


def update_settings(change: SettingsUpdate, actor: str, now: datetime) -> ProgrammeSettings:
    """Apply a partial change to the latest settings. Two operators changing different fields
    at once both keep their change: each merges into the version it read and writes only if
    that is still the stored one, else reads again and merges again."""
    for _ in range(SAVE_ATTEMPTS):
        latest = store.fresh(now)
        merged = latest.model_copy(update=change.changes())
        found = problems(merged)
        if found:
            raise ValidationFailed("These settings do not fit together; see details.", found)
        audit = Change(actor, "update", "settings", "settings", latest.model_dump(mode="json"),
                       merged.saved_as(latest.version, now, actor).model_dump(mode="json"), now)
        saved = store.save(merged, latest.version, now, actor, audit)
        if saved is not None:
            return saved
    raise Throttled("The settings are being changed by others at this moment; retry shortly.")
