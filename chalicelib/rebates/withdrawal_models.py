"""Withdrawals' models: the request (with an optional payee), the stored record (the payee in
full) and the view every list shows (the payee masked), the admin bodies and queries. Pure: no I/O.

States: `pending -> approved | rejected`, `approved -> paid | failed` (MOVES); nothing else moves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, model_validator

from chalicelib.models import MAX_FEN, PageQuery, Strict

WithdrawalStatus = Literal["pending", "approved", "rejected", "paid", "failed"]
Channel = Literal["wechat", "alipay", "bank"]
# status -> (the status it must come from, the audit action of the move)
MOVES: dict[str, tuple[str, str]] = {
    "approved": ("pending", "approve"), "rejected": ("pending", "reject"),
    "paid": ("approved", "paid"), "failed": ("approved", "failed"),
}
# Printable text on one line: what a person types as a name, reason or payout reference.
_TEXT = r"^[^\x00-\x1f\x7f]+$"
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=_TEXT)]
PayoutRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=_TEXT)]
# A WeChat openid, an Alipay login (phone or e-mail) or a bank card number.
Account = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9@._+-]{4,64}$")]
PayeeName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50, pattern=_TEXT)]


def mask_account(account: str) -> str:
    """`****` and the last four characters (only `****` for an account of four or fewer)."""
    return "****" + (account[-4:] if len(account) > 4 else "")


def mask_name(name: str) -> str:
    """The first character and one `*` per other character: 张三 -> 张*; a one-letter name -> *."""
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"


class Payee(Strict):
    """Who receives the money: all three fields; a bank account is its card number (digits)."""

    channel: Channel
    account: Account
    name: PayeeName

    @model_validator(mode="after")
    def _bank_digits(self) -> Payee:
        if self.channel == "bank" and not (self.account.isdigit() and 12 <= len(self.account) <= 30):
            raise ValueError("a bank account is its card number: 12 to 30 digits")
        return self

    def masked(self) -> MaskedPayee:
        return MaskedPayee(channel=self.channel, account=mask_account(self.account), name=mask_name(self.name))


class MaskedPayee(BaseModel):
    model_config = ConfigDict(defer_build=True)

    channel: Channel
    account: str  # ****1234
    name: str     # 张*


class WithdrawalCreate(Strict):
    amount: StrictInt = Field(ge=1, le=MAX_FEN)
    payee: Payee | None = None  # optional: clients written before it keep working


class _WithdrawalBase(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    user_id: str
    amount: int
    status: WithdrawalStatus
    created_at: datetime
    decided_at: datetime | None = None  # approved or rejected
    decided_by: str | None = None
    reason: str | None = None       # why it was rejected, or why its payout failed
    payout_ref: str | None = None   # the payout's reference, once paid
    paid_out_at: datetime | None = None  # paid or failed
    paid_out_by: str | None = None
    payee_erased_at: datetime | None = None  # the payee's details were erased (chalicelib/privacy)


class Withdrawal(_WithdrawalBase):
    """What every list, the shopper and the audit trail see: the payee masked."""

    payee: MaskedPayee | None = None


class WithdrawalRecord(_WithdrawalBase):
    """As stored: the payee in full (only the payout CSV shows it), and `day`, the Beijing day
    whose daily maximum it counts against (None for withdrawals made before the maximum)."""

    payee: Payee | None = None
    day: str | None = None

    def shown(self) -> Withdrawal:
        data = self.model_dump(exclude={"payee", "day"})
        return Withdrawal(**data, payee=self.payee.masked() if self.payee else None)


class WithdrawalListQuery(PageQuery):
    status: WithdrawalStatus = "pending"


class WithdrawalCsvQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    status: WithdrawalStatus = "approved"


class WithdrawalReject(Strict):
    reason: Reason | None = None  # optional: a body-less reject (clients before it) still works


class WithdrawalPaid(Strict):
    payout_ref: PayoutRef


class WithdrawalFailed(Strict):
    reason: Reason
