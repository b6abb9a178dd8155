"""The programme settings: one document that governs paying with rebates, the return cap,
withdrawal limits and points expiry (API.md, "Programme settings"). Pure: no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from chalicelib.models import MAX_FEN, Strict

BP = 10_000  # basis points in a whole


class ProgrammeSettings(BaseModel):
    """The stored settings with their defaults (`version` 0: never saved, all defaults).
    `version` goes up by one with every change; writes computed from a copy of the settings
    pin it (store.unchanged_check), so a cached copy can never let a stale cap through."""

    model_config = ConfigDict(defer_build=True)

    points_per_yuan: int = 100       # points that pay ¥1
    points_max_percent: int = 50     # of the order after its discount coupon
    points_with_coupon: bool = True  # points combine with a discount coupon
    balance_max_percent: int = 100   # of the order after coupon and points
    max_return_bp: int = BP          # all rules together, on one payment
    withdrawal_min: int = 0          # fen; 0: none
    withdrawal_daily_max: int = 0    # fen per shopper per Beijing day; 0: no limit
    points_valid_days: int = 0       # 0: points never expire
    version: int = 0
    updated_at: datetime | None = None
    updated_by: str | None = None

    def saved_as(self, seen_version: int, now: datetime, actor: str) -> ProgrammeSettings:
        """These settings as stored over `seen_version`: the next version, by `actor` at `now`."""
        return self.model_copy(update={"version": seen_version + 1, "updated_at": now, "updated_by": actor})

    def points_amount(self, points: int) -> int:
        """The fen `points` pay: whole fen, rounded down."""
        return points * 100 // self.points_per_yuan

    def points_for(self, amount: int) -> int:
        """The fewest points that pay `amount` fen (so no point is spent that pays nothing)."""
        return -(-amount * self.points_per_yuan // 100)

    def reward_points(self, reward_fen: int) -> int:
        """The points a rule whose reward is points grants for `reward_fen` of reward."""
        return reward_fen * self.points_per_yuan // 100


class SettingsUpdate(Strict):
    """A partial change: only the fields named change; at least one, none null."""

    points_per_yuan: StrictInt | None = Field(None, ge=1, le=10_000)
    points_max_percent: StrictInt | None = Field(None, ge=0, le=100)
    points_with_coupon: StrictBool | None = None
    balance_max_percent: StrictInt | None = Field(None, ge=0, le=100)
    max_return_bp: StrictInt | None = Field(None, ge=0, le=BP)
    withdrawal_min: StrictInt | None = Field(None, ge=0, le=MAX_FEN)
    withdrawal_daily_max: StrictInt | None = Field(None, ge=0, le=MAX_FEN)
    points_valid_days: StrictInt | None = Field(None, ge=0, le=3650)

    @model_validator(mode="after")
    def _named(self) -> SettingsUpdate:
        if not self.model_fields_set:
            raise ValueError(f"name at least one setting to change: {', '.join(type(self).model_fields)}")
        nulls = sorted(name for name in self.model_fields_set if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"a setting cannot be null; leave out what should not change: {', '.join(nulls)}")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}



def problems(settings: ProgrammeSettings) -> list[dict[str, str]]:
    """What makes a merged document inconsistent, as API.md's validation details."""
    if settings.withdrawal_daily_max and settings.withdrawal_min > settings.withdrawal_daily_max:
        return [{"field": "withdrawal_min", "message": f"withdrawal_min ({settings.withdrawal_min} fen) cannot be "
                 f"above withdrawal_daily_max ({settings.withdrawal_daily_max} fen)"}]
    return []
