"""Request and response models of a rule's preview (`POST /admin/rebate-rules/{id}/preview`,
API.md "Compliance and operations"; docs/rebates.md "Previewing a rule")."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.models import Strict, UtcTime
from chalicelib.rebates.models import AssetFigures

MAX_WINDOW = timedelta(days=93)  # about a quarter: the day index is read day by day


class PreviewRequest(Strict):
    """The window of past payments to replay: `from` inclusive, `to` exclusive, at most 93 days."""

    start: UtcTime = Field(alias="from")
    end: UtcTime = Field(alias="to")

    @model_validator(mode="after")
    def _window(self) -> PreviewRequest:
        if self.end <= self.start:
            raise ValueError("to must be after from")
        if self.end - self.start > MAX_WINDOW:
            raise ValueError(f"the window is at most {MAX_WINDOW.days} days")
        return self


class PreviewWindow(BaseModel):
    model_config = ConfigDict(defer_build=True, serialize_by_alias=True, validate_by_name=True)

    start: datetime = Field(serialization_alias="from", alias="from")
    end: datetime = Field(serialization_alias="to", alias="to")


class RulePreview(BaseModel):
    """What the rule would have returned on the window's payments and refunds, had it been
    published at `from` (after the rules live then, so trimmed first by `max_return_bp`)."""

    model_config = ConfigDict(defer_build=True)

    rule_id: str
    window: PreviewWindow
    payments: int = Field(description="Payments it would have paid (a voucher, or more than 0 fen or points).")
    cost: AssetFigures = Field(description="What it would have granted less what the window's refunds took back.")
    granted: AssetFigures = Field(description="What it would have granted.")
    taken_back: AssetFigures = Field(description="What the window's refunds would have taken back (vouchers: "
                                                 "revoked, the payment refunded below the rule's threshold).")
    budget_exhausted_at: datetime | None = Field(description="The payment time at which its budget would have "
                                                             "run out, or null.")
    scanned: int = Field(description="Payments of the window read (with their refunds).")
