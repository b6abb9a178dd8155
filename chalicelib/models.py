"""Pydantic types shared by every domain's request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, StringConstraints

from chalicelib.clock import to_utc
from chalicelib.ids import ID_PATTERN

# A time given with an offset (naive times are refused), kept in UTC to the second.
UtcTime = Annotated[AwareDatetime, AfterValidator(to_utc)]
# An id this service made (ULID layout).
ResourceId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Fen = Annotated[int, "fen"]


def utc_text(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")
