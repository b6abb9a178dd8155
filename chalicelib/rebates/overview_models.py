"""The range of the programme's overview (`GET /admin/rebates/overview?from=&to=`) and its days
(docs/rebates.md, "Programme totals by day")."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

MAX_DAYS = 366  # a year, leap or not: one Query per shard reads every day of it


class OverviewQuery(BaseModel):
    """`?from=&to=`: Beijing days (yyyy-mm-dd), both included, at most 366 of them; both absent
    is all time."""

    model_config = ConfigDict(extra="ignore", validate_by_name=True, validate_by_alias=True,
                              serialize_by_alias=True, defer_build=True)
    start: date | None = Field(None, alias="from", description="First Beijing day, included.")
    # named as its query parameter: an error of the default (`to` absent) names `to` too
    to: date | None = Field(None, validate_default=True, description="Last Beijing day, included.")

    @field_validator("to")
    @classmethod
    def _range(cls, end: date | None, info: ValidationInfo) -> date | None:
        if "start" not in info.data:
            return end  # `from` itself failed: its error says so
        start = info.data["start"]
        if (start is None) != (end is None):
            raise ValueError("give both from and to, or neither")
        if start is not None and end is not None:
            if end < start:
                raise ValueError("must not be before from")
            if (end - start).days + 1 > MAX_DAYS:
                raise ValueError(f"the range is at most {MAX_DAYS} days")
        return end

    def days(self) -> list[date]:
        """Every day of the range, oldest first (none for all time)."""
        if self.start is None or self.to is None:
            return []
        return [date.fromordinal(n) for n in range(self.start.toordinal(), self.to.toordinal() + 1)]


class OverviewDay(BaseModel):
    """One Beijing day of the programme: what changed that day (a refund counts on the day it
    was recorded, not on its payment's day), each payment once."""

    model_config = ConfigDict(defer_build=True)

    day: date
    payments: int = Field(0, description="Payments recorded that day.")
    sales: int = Field(0, description="Fen paid by them.")
    refunded_payments: int = Field(0, description="Payments refunded in full that day.")
    refunded: int = Field(0, description="Fen refunded that day.")
    net_sales: int = Field(0, description="sales - refunded.")
    cost_balance: int = Field(0, description="Fen of balance granted less taken back that day.")
    cost_points: int = Field(0, description="Points granted less taken back that day.")
    cost_vouchers: int = Field(0, description="Vouchers granted less revoked that day.")
    vouchers_not_granted: int = Field(0, description="Voucher rewards earned but not granted that day.")
