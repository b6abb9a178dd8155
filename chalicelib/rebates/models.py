"""Request, domain and response models of rebates: rules, payments, accounts, withdrawals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from chalicelib.models import MAX_FEN, PageQuery, ResourceId, Strict, UtcTime
from chalicelib.payments.models import Purchase
from chalicelib.rebates.overview_models import OverviewDay
from chalicelib.rebates.policy import BP
from chalicelib.rebates.withdrawal_models import (  # re-exported: routes read them as models.Withdrawal...
    Withdrawal as Withdrawal,
    WithdrawalCreate as WithdrawalCreate,
    WithdrawalCsvQuery as WithdrawalCsvQuery,
    WithdrawalFailed as WithdrawalFailed,
    WithdrawalListQuery as WithdrawalListQuery,
    WithdrawalPaid as WithdrawalPaid,
    WithdrawalRecord as WithdrawalRecord,
    WithdrawalReject as WithdrawalReject,
    WithdrawalStatus as WithdrawalStatus,
)

RuleKind = Literal["fixed_ratio", "tiered", "threshold", "full_return"]
RuleStatus = Literal["draft", "published", "paused", "ended"]
Asset = Literal["balance", "frozen", "points", "debt", "points_debt", "held", "points_held", "pending_balance",
                "pending_points"]
# reserve / unreserve: free <-> held for an order; spend: what an order's payment took (from held,
# or from free for a lapsed reservation); refund: what a refund of that payment gave back;
# adjustment: a signed change made by support (finance), with its reason and actor;
# expire: free points whose bucket expired (expire-points; `ref` the bucket's Beijing day).
EntryType = Literal["rebate", "clawback", "instalment", "withdrawal", "withdrawal_paid", "withdrawal_rejected",
                    "withdrawal_failed", "voucher_not_granted", "reserve", "unreserve", "spend", "refund", "release",
                    "exchange", "adjustment", "expire"]
MAX_INSTALLMENTS = 36  # one payment's instalments are written in one transaction (<= 100 items)
MAX_LADDER_STEPS = 20
# What each credited asset owes when a clawback found too little in it.
DEBT_OF = {"balance": "debt", "points": "points_debt"}
# Where a rule with `pending_days` credits each asset until its window ends (rebates/pending.py).
PENDING_OF = {"balance": "pending_balance", "points": "pending_points"}
MAX_PENDING_DAYS = 90


class Stale(Exception):
    """A value the write was computed from has changed meanwhile: read again, recompute."""


class AlreadyDone(Exception):
    """The once-only record of this effect exists, or the item it moves has moved already: it
    happened before (or concurrently)."""


class Refused(Exception):
    """A store's write was refused by its conditions: `failed` maps the names of the refused
    items to their old images (None: absent). The service explains it as a domain error."""

    def __init__(self, failed: dict[str, dict[str, Any] | None]) -> None:
        super().__init__(f"refused: {', '.join(failed)}")
        self.failed = failed


@dataclass
class AccountChange:
    """A change of one account: signed `deltas` per field, written only if each field in
    `expect` still holds the value it was computed from (absent counts as 0) and each field
    in `at_least` holds at least that much."""

    user_id: str
    deltas: dict[str, int]
    expect: dict[str, int] = field(default_factory=dict)
    at_least: dict[str, int] = field(default_factory=dict)


class Step(Strict):
    min_paid: StrictInt = Field(ge=0, le=MAX_FEN)
    ratio_bp: StrictInt = Field(ge=0, le=BP)


class Threshold(Strict):
    min_paid: StrictInt = Field(ge=1, le=MAX_FEN)
    amount: StrictInt | None = Field(None, ge=1, le=MAX_FEN)


class VoucherReward(Strict):
    voucher_template_id: ResourceId


class Caps(Strict):
    per_order: StrictInt | None = Field(None, ge=1, le=MAX_FEN)
    per_user_per_day: StrictInt | None = Field(None, ge=1, le=MAX_FEN)
    budget: StrictInt | None = Field(None, ge=1, le=MAX_FEN)


class RuleCreate(Strict):
    """An operator's rebate rule. Which fields a kind takes:
    fixed_ratio: ratio_bp; tiered: ladder; threshold: threshold {min_paid, amount};
    full_return: installments, period_days and optionally ratio_bp (default: all of it)."""

    name: str = Field(min_length=1, max_length=64)
    kind: RuleKind
    ratio_bp: StrictInt | None = Field(None, ge=0, le=BP)
    ladder: list[Step] | None = Field(None, min_length=1, max_length=MAX_LADDER_STEPS)
    threshold: Threshold | None = None
    installments: StrictInt | None = Field(None, ge=1, le=MAX_INSTALLMENTS)
    period_days: StrictInt | None = Field(None, ge=1, le=366)
    reward: Literal["points", "balance"] | VoucherReward
    caps: Caps = Field(default_factory=Caps)
    # The window is optional: without starts_at a rule applies from its publication, without
    # ends_at until it is paused or ended (API.md).
    starts_at: UtcTime | None = None
    ends_at: UtcTime | None = None
    # Exclusive: when it would return something on a payment, only the best single rule applies
    # (docs/rebates.md, "The return cap and exclusive rules").
    exclusive: StrictBool = False
    # The return window: the reward waits as pending (not spendable, not withdrawable) this many
    # days after payment (docs/rebates.md, "Pending rebates").
    pending_days: StrictInt = Field(0, ge=0, le=MAX_PENDING_DAYS)

    @model_validator(mode="after")
    def _consistent(self) -> RuleCreate:
        if not self.name.strip():
            raise ValueError("name must not be blank")
        if self.starts_at is not None and self.ends_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        allowed = {"fixed_ratio": {"ratio_bp"}, "tiered": {"ladder"}, "threshold": {"threshold"},
                   "full_return": {"ratio_bp", "installments", "period_days"}}[self.kind]
        required = {"fixed_ratio": {"ratio_bp"}, "tiered": {"ladder"}, "threshold": {"threshold"},
                    "full_return": {"installments", "period_days"}}[self.kind]
        given = {f for f in ("ratio_bp", "ladder", "threshold", "installments", "period_days")
                 if getattr(self, f) is not None}
        if required - given:
            raise ValueError(f"a {self.kind} rule needs {', '.join(sorted(required - given))}")
        if given - allowed:
            raise ValueError(f"a {self.kind} rule takes no {', '.join(sorted(given - allowed))}")
        if self.ladder and any(a.min_paid >= b.min_paid for a, b in zip(self.ladder, self.ladder[1:])):
            raise ValueError("ladder steps must be in strictly ascending order of min_paid")
        self._check_reward()
        return self

    def _check_reward(self) -> None:
        voucher = isinstance(self.reward, VoucherReward)
        if voucher and self.kind != "threshold":
            raise ValueError("a voucher reward goes with a threshold rule (one voucher once min_paid is reached)")
        if voucher and self.caps != Caps():
            raise ValueError("a voucher rule takes no caps: the template's stock and per-user limit bound it")
        if self.threshold is not None and voucher != (self.threshold.amount is None):
            raise ValueError("threshold.amount is required for points or balance, and absent for a voucher")


class Rule(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    name: str
    kind: RuleKind
    ratio_bp: int | None = None
    ladder: list[Step] | None = None
    threshold: Threshold | None = None
    installments: int | None = None
    period_days: int | None = None
    reward: Literal["points", "balance"] | VoucherReward
    caps: Caps
    starts_at: datetime | None = None  # None: from publication
    ends_at: datetime | None = None    # None: until paused or ended
    exclusive: bool = False
    pending_days: int = 0  # absent on rules created before it: nothing waits
    status: RuleStatus
    budget_used: int = 0
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None = None  # first publication: rules share the return cap in this order

    @property
    def asset(self) -> str | None:
        """The account asset this rule credits; None for a voucher."""
        return None if isinstance(self.reward, VoucherReward) else self.reward


class RuleTotals(BaseModel):
    """What a rule has done so far, net of refunds: kept exactly, in the transaction of each
    grant and clawback (docs/rebates.md, "Rule totals")."""

    model_config = ConfigDict(defer_build=True)

    rebated_payments: int = Field(0, description="Payments that earned this rule's rebate (a voucher, or more "
                                                 "than 0 fen or points), less those refunded in full.")
    rebate_cost: int = Field(0, description="What the rule granted (fen for balance, points for points; 0 for "
                                            "vouchers), less what refunds took back or cancelled.")
    sales_driven: int = Field(0, description="Fen paid by the payments that earned this rule's rebate, less what "
                                             "was refunded of them.")
    rewards_not_granted: int = Field(0, description="Payments that earned this rule's voucher but were not granted "
                                                    "it (the template sold out, not claimable, or the shopper at its "
                                                    "per-user limit); each is on the payment's rebate with its reason.")
    rewards_not_granted_by_reason: dict[str, int] = Field(
        default_factory=dict, description="rewards_not_granted by the refusal's code (SOLD_OUT, LIMIT_REACHED, "
                                           "NOT_CLAIMABLE, NOT_FOUND); the counts add up to rewards_not_granted.")


class RuleView(Rule, RuleTotals):
    """A rule as operators see it: the rule, with its totals."""


class RuleListQuery(PageQuery):
    status: RuleStatus | None = None


# --- payments as the consumer stores them -------------------------------------------------

class Payment(BaseModel):
    """A payment as recorded once: what it paid, who, and which rules it earns under."""

    model_config = ConfigDict(defer_build=True)

    payment_ref: str
    provider: str
    payment_id: str
    event_id: str
    order_id: str
    user_id: str
    amount: int
    paid_at: datetime
    coupon_ids: list[str]
    purchases: list[Purchase] = []  # templates for sale it bought (rebates/purchases.py)
    rules: list[Rule]
    status: Literal["received", "applied"]
    refunded: int = 0
    coupons_outcome: str | None = None
    reservation_outcome: str | None = None  # how spending the order's reservation ended (orders.settle)
    programme_counted: bool = False  # in the programme's totals (RebateOverview); absent on older payments
    # The return cap as recorded with the payment (None on payments recorded before it: the
    # defaults, 10000 bp and 100 points per yuan), and the fen of reward its rebates returned so far.
    max_return_bp: int | None = None
    points_per_yuan: int | None = None
    returned: int = 0
    created_at: datetime


class PlannedPart(BaseModel):
    model_config = ConfigDict(defer_build=True)

    number: int
    due_at: datetime
    amount: int


class Rebate(BaseModel):
    """What one rule gave for one payment, and what refunds took back since."""

    model_config = ConfigDict(defer_build=True)

    payment_ref: str
    rule_id: str
    user_id: str
    asset: str | None = None  # balance, points; None for a voucher
    computed: int      # what the rule gives before caps
    amount: int        # what was granted (after caps)
    clawed: int = 0    # taken back from the account
    cancelled: int = 0  # instalments cancelled before release
    plan: list[PlannedPart] = Field(default_factory=list)
    coupon_id: str | None = None
    # "refused" is how a voucher not granted was stored before `not_granted` and its reason.
    # "pending": a pending rule's voucher, granted when its window ends; "cancelled": refunded below
    # its threshold before then.
    voucher_state: Literal["granted", "revoked", "kept_in_use", "not_granted", "refused", "pending",
                           "cancelled"] | None = None
    not_granted_reason: str | None = None  # the grant's refusal: LIMIT_REACHED, SOLD_OUT, NOT_CLAIMABLE, NOT_FOUND
    min_paid: int | None = None
    counted: bool = False      # in its rule's totals: it earned something (RuleTotals)
    refunds_counted: int = 0   # the payment's refunded total already taken off those totals
    programme_counted: bool = False  # its payment is in the programme's totals, so the rebate is too
    returned: int = 0  # fen of reward it counted against the payment's return cap
    limited_by: Literal["return_cap", "exclusive"] | None = None  # why it is below what the rule computed
    # A rule with pending_days: what still waits in the account's pending_<asset> (a voucher: 0),
    # until when, and where it stands (listed in the pending due index only while "pending").
    pending: int = 0
    pending_until: datetime | None = None
    pending_state: Literal["pending", "released", "cancelled"] | None = None
    created_at: datetime


# --- accounts -----------------------------------------------------------------------------

class LedgerEntry(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    type: EntryType
    amount: int
    asset: Asset | Literal["voucher"]  # "voucher": a notice of a voucher reward, amount 0 (no asset moved)
    ref: str
    rule_id: str | None = None
    reason: str | None = None  # voucher_not_granted: why (LIMIT_REACHED, SOLD_OUT, NOT_CLAIMABLE, NOT_FOUND)
    # adjustment: the support person's reason (above) and who made it (their token's sub)
    actor: str | None = None
    created_at: datetime


class Instalment(BaseModel):
    model_config = ConfigDict(defer_build=True)

    due_at: datetime
    amount: int
    asset: str
    payment_ref: str
    rule_id: str
    number: int


class InstalmentRecord(Instalment):
    """An instalment as stored: whose it is and where it stands."""

    user_id: str
    status: Literal["pending", "released", "cancelled"]


class PointsExpiring(BaseModel):
    """Points that expire at `expires_at` (the end of a Beijing day) unless spent first."""

    model_config = ConfigDict(defer_build=True)

    points: int
    expires_at: datetime


class Account(BaseModel):
    """`balance` can be spent or withdrawn now; `frozen` is held by pending withdrawals; `held`
    and `points_held` by open order reservations;
    `debt` / `points_debt` are clawbacks that found too little to take, repaid by the next
    credits; `pending_instalments` the scheduled 全返 parts not yet released (next first);
    `pending_balance` / `pending_points` rebates of rules with `pending_days` still inside their
    return window: earned, neither spendable nor withdrawable until released."""

    model_config = ConfigDict(defer_build=True)

    balance: int = 0
    frozen: int = 0
    points: int = 0
    debt: int = 0
    points_debt: int = 0
    held: int = 0
    points_held: int = 0
    pending_balance: int = 0
    pending_points: int = 0
    pending_instalments: list[Instalment] = Field(default_factory=list)
    points_expiring: list[PointsExpiring] = Field(default_factory=list)


# --- the programme's figures ----------------------------------------------------------------

class AssetFigures(BaseModel):
    model_config = ConfigDict(defer_build=True)

    balance: int = Field(0, description="Fen of balance (全返 schedules counted whole when granted).")
    points: int = Field(0, description="Points.")
    vouchers: int = Field(0, description="Vouchers (a voucher costs its discount when used, not here).")


class RefundFigures(BaseModel):
    model_config = ConfigDict(defer_build=True)

    payments: int = Field(0, description="Payments refunded in full.")
    amount: int = Field(0, description="Fen refunded (never more than was paid).")


class RebateOverview(BaseModel):
    """The whole programme, or the Beijing days of a range, each payment counted once whatever
    rules it earned under (docs/rebates.md, "Programme totals")."""

    model_config = ConfigDict(defer_build=True)

    payments: int = Field(description="Payments recorded.")
    sales: int = Field(description="Fen paid by them (cash the providers took).")
    refunds: RefundFigures
    net_sales: int = Field(description="sales - refunds.amount.")
    granted: AssetFigures = Field(description="What all rules granted, by asset.")
    taken_back: AssetFigures = Field(description="What refunds took back: clawbacks, cancelled instalments, "
                                                 "revoked vouchers.")
    cost: AssetFigures = Field(description="granted - taken_back.")
    return_bp: int | None = Field(description="(cost.balance + cost.points) x 10000 / net_sales in basis points, "
                                              "rounded down (a point counts as one fen); null without net sales.")
    vouchers_not_granted: int = Field(description="Voucher rewards earned but not granted (see rewards_not_granted "
                                                  "of each rule).")
    days: list[OverviewDay] = Field(default_factory=list, description="With ?from=&to=: every Beijing day of the "
                                    "range, oldest first, zero where nothing changed; empty for all time.")
