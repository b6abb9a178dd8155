"""The audit trail's types: a change as services describe it (`Change`, pure), an entry as
listed, and the listing's query. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from chalicelib.models import PageQuery, UserId

TargetType = Literal["template", "rule", "settings", "withdrawal", "account", "coupon"]
TARGET_TYPES: tuple[str, ...] = ("template", "rule", "settings", "withdrawal", "account", "coupon")


@dataclass(frozen=True)
class Change:
    """One change made under /admin, as its service describes it: who (`actor`, the token's sub;
    None for no person), what (`action`), on what, and the full state before (None for a
    creation) and after. The store writes it as an entry in the change's own transaction."""

    actor: str | None
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime


class AuditEntry(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    at: datetime
    actor: str | None
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditQuery(PageQuery):
    """`target_type` and `target_id` (both, or `target_type` alone), `actor`, or none: newest first."""

    target_type: TargetType | None = None
    target_id: UserId | None = None  # an id, a user id or `settings`: all fit the user-id pattern
    actor: UserId | None = None

    @model_validator(mode="after")
    def _target(self) -> AuditQuery:
        if self.target_id is not None and self.target_type is None:
            raise ValueError("target_id needs target_type")
        return self
