"""Request and response models of support: an account as finance sees it, and adjustments
(API.md, "Compliance and operations", Support)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from chalicelib.models import MAX_FEN, Page, PageQuery, Strict
from chalicelib.rebates.models import Account, LedgerEntry, Withdrawal


class AdjustmentCreate(Strict):
    """A signed change of the balance (fen) or the free points, never 0, with a reason."""

    asset: Literal["balance", "points"]
    amount: StrictInt = Field(ge=-MAX_FEN, le=MAX_FEN)
    reason: str = Field(min_length=1, max_length=200)

    @field_validator("amount")
    @classmethod
    def _not_zero(cls, amount: int) -> int:
        if amount == 0:
            raise ValueError("amount must not be 0")
        return amount

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, reason: str) -> str:
        if not reason.strip():
            raise ValueError("reason must not be blank")
        return reason


class Adjustment(BaseModel):
    """What an adjustment answers: its ledger entry's fields and the account after it."""

    model_config = ConfigDict(defer_build=True)

    id: str  # the adjustment's id: its ledger entry's `ref` and the audit entry's target account's change
    user_id: str
    asset: Literal["balance", "points"]
    amount: int
    reason: str
    actor: str
    created_at: datetime
    account: Account


class AccountQuery(PageQuery):
    """`limit` entries of each list; `cursor` pages the ledger, `withdrawals_cursor` the withdrawals."""

    withdrawals_cursor: str | None = Field(None, min_length=1, max_length=2048)


class AccountView(BaseModel):
    """`GET /admin/accounts/{user_id}`: the account, a page of its ledger (newest first) and a
    page of its withdrawals (newest first), each with its own next cursor."""

    model_config = ConfigDict(defer_build=True)

    user_id: str
    account: Account
    ledger: Page[LedgerEntry]
    withdrawals: Page[Withdrawal]
