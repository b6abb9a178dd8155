"""Pydantic types shared by every domain's request and response models, and the page
shapes every listing uses. Route modules load this module lazily (chalicelib.lazy)."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.auth import USER_ID
from chalicelib.clock import accepted_utc
from chalicelib.ids import ID_PATTERN

# A time given with an offset (naive times are refused), kept in UTC to the second, in the
# years 2000-2199 once in UTC (clock.accepted_utc: the ends of the calendar would overflow).
UtcTime = Annotated[AwareDatetime, AfterValidator(accepted_utc)]
# An id this service made (ULID layout).
ResourceId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
# A user id as tokens carry it (chalicelib.auth): it becomes part of DynamoDB keys.
UserId = Annotated[str, StringConstraints(pattern=USER_ID.pattern)]
# The largest amount of money any field takes: ¥10,000,000,000.00 in fen.
MAX_FEN = 10**12
# A script or stylesheet of the console or mall page (chalicelib.console.routes).
AssetName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,40}\.(?:js|css)$")]
T = TypeVar("T")


class Strict(BaseModel):
    """A request body or value object: exact types (no "12" for 12), no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid", validate_by_name=True, validate_by_alias=True,
                              serialize_by_alias=True, defer_build=True)


# defer_build, here and on every model: a model's validator is built on its first use, not
# when its module is imported. Subclasses and parametrised pages (`Page[Coupon]`) inherit it.
class Page(BaseModel, Generic[T]):
    model_config = ConfigDict(defer_build=True)

    items: list[T]
    next_cursor: str | None


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, min_length=1, max_length=2048)

