"""The privacy export and erasure report, as the CLI prints them and the operators' routes
answer them. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PrivacyExport(BaseModel):
    """Everything stored about one user, as stored, the withdrawals' payees unmasked."""

    model_config = ConfigDict(defer_build=True)

    user_id: str
    exported_at: datetime
    account: dict[str, Any] | None = Field(description="The account item (None if nothing ever moved on it).")
    items: dict[str, list[dict[str, Any]]] = Field(description="Every other item naming the user, by kind: ledger, "
                                                               "coupons, cards, reservations, payments, withdrawals, ...")


class ErasureReport(BaseModel):
    """What an erasure changed; all 0 when it had been done already."""

    model_config = ConfigDict(defer_build=True)

    user_id: str
    payees_erased: int = 0
    idempotency_records_deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.payees_erased or self.idempotency_records_deleted)
