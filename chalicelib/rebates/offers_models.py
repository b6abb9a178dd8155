"""Response models of what shoppers see: the live rules as terms (`GET /rebate-offers`) and a
quote's `expected_rebate` (API.md, "What shoppers see")."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.rebates.models import Rule, RuleKind, Step, Threshold, VoucherReward
from chalicelib.rebates.purchases_models import PurchaseShown


class ExpectedRebate(BaseModel):
    """What the live rules would return on the quote's `total`, within `max_return_bp`: per-user
    daily caps, budgets and voucher stock can make the real rebate lower (docs/rebates.md)."""

    model_config = ConfigDict(defer_build=True)

    balance: int = Field(0, description="Fen of balance (a 全返 rule's whole amount, paid in instalments).")
    points: int = Field(0, description="Points.")
    vouchers: int = Field(0, description="How many vouchers.")


class RebateOffer(BaseModel):
    """One live rule as a shopper reads it: what it pays, on what, and when."""

    model_config = ConfigDict(defer_build=True)

    rule_id: str
    name: str
    kind: RuleKind
    reward: Literal["balance", "points", "voucher"]
    ratio_bp: int | None = None            # fixed_ratio, full_return (None there: all of it)
    ladder: list[Step] | None = None       # tiered: the highest step reached applies to the whole payment
    threshold: Threshold | None = None     # threshold: min_paid, and the amount (none for a voucher)
    voucher_face: int | None = None        # a voucher reward's face value in fen, when it has one
    installments: int | None = None        # full_return: paid in this many parts
    period_days: int | None = None         # full_return: days between parts
    per_order: int | None = None           # the most it returns on one order
    per_user_per_day: int | None = None    # the most it returns to one shopper per Beijing day
    exclusive: bool = False                # when it applies, only the best single rule does
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    @classmethod
    def of(cls, rule: Rule, faces: Mapping[str, int]) -> RebateOffer:
        voucher = rule.reward.voucher_template_id if isinstance(rule.reward, VoucherReward) else None
        return cls(rule_id=rule.id, name=rule.name, kind=rule.kind,
                   reward="voucher" if voucher else rule.reward,  # type: ignore[arg-type]
                   ratio_bp=rule.ratio_bp, ladder=rule.ladder, threshold=rule.threshold,
                   voucher_face=faces.get(voucher) if voucher else None, installments=rule.installments,
                   period_days=rule.period_days, per_order=rule.caps.per_order,
                   per_user_per_day=rule.caps.per_user_per_day, exclusive=rule.exclusive,
                   starts_at=rule.starts_at, ends_at=rule.ends_at)


class RebateOffers(BaseModel):
    """The live rules, in the order they share the return cap, and the cap itself."""

    model_config = ConfigDict(defer_build=True)

    max_return_bp: int = Field(description="All rules together return at most this share of a payment (basis points).")
    items: list[RebateOffer]


# --- what one order earned (GET /me/orders/{order_id}/rebates) --------------------------------

class EarnedInstalment(BaseModel):
    model_config = ConfigDict(defer_build=True)

    number: int
    due_at: datetime
    amount: int
    status: Literal["pending", "released", "cancelled"]


class EarnedRebate(BaseModel):
    """What one rule gave on one payment of the order."""

    model_config = ConfigDict(defer_build=True)

    rule_id: str
    rule_name: str
    asset: Literal["balance", "points", "voucher"] | str
    computed: int = Field(description="What the rule computes before any cap (fen, or points).")
    amount: int = Field(description="What was granted.")
    limited_by: str | None = Field(None, description="Why amount < computed: return_cap, exclusive, or caps "
                                                     "(the rule's per-order or daily cap, or its budget).")
    clawed_back: int = Field(0, description="What refunds took back: from the account or cancelled instalments.")
    kept: int = Field(0, description="amount - clawed_back.")
    pending: int = Field(0, description="全返: instalments not yet released.")
    instalments: list[EarnedInstalment] = Field(default_factory=list)
    coupon_id: str | None = None            # a voucher reward: the coupon granted
    voucher_state: str | None = None        # granted, revoked, kept_in_use, not_granted
    not_granted_reason: str | None = None   # why a voucher could not be granted (SOLD_OUT, LIMIT_REACHED, ...)


class OrderPaymentRebates(BaseModel):
    model_config = ConfigDict(defer_build=True)

    payment_ref: str
    amount: int
    refunded: int
    paid_at: datetime
    settled: bool = Field(description="False while the payment's rebates are still being applied.")
    rebates: list[EarnedRebate]
    purchases: list[PurchaseShown] = Field(default_factory=list, description=(
        "Cards and vouchers the payment bought: what was issued, and the shortfall with its reason."))


class RebateTotals(BaseModel):
    model_config = ConfigDict(defer_build=True)

    balance: int = 0   # fen kept (instalments included, released or not)
    points: int = 0
    vouchers: int = 0  # granted and not revoked


class OrderRebates(BaseModel):
    model_config = ConfigDict(defer_build=True)

    order_id: str
    totals: RebateTotals
    payments: list[OrderPaymentRebates]
