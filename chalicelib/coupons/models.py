"""Request, domain and response models of the coupons domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, StringConstraints, computed_field,
    SerializerFunctionWrapHandler, model_serializer, model_validator,
)

from chalicelib.coupons import codes
from chalicelib.models import MAX_FEN, PageQuery, ResourceId, Strict, UserId, UtcTime

Kind = Literal["amount_off", "percent_off", "stored_value"]
TemplateStatus = Literal["draft", "published", "paused", "ended"]
CouponStatus = Literal["unused", "locked", "used", "expired", "revoked"]
# How shoppers get a template's coupons: `open` ones are listed and claimed freely, `code`
# ones only through minted codes; operators' grants (and rebate rewards) work for every channel.
ClaimChannel = Literal["open", "code", "grant"]
MAX_STOCK = 10**8
# A flash sale's stock may be spread over up to this many items (docs/architecture.md, "Hot
# campaigns"): creating one writes the template and every shard in one transaction (at most 100
# items), and so does each change of its status.
MAX_STOCK_SHARDS = 50


class OneOf(Strict):
    """A choice of one field among several: serialised with the chosen field only."""

    @model_serializer(mode="wrap")
    def _chosen_only(  # type: ignore[no-untyped-def]  # no return hint: pydantic would make it the schema
        self, handler: SerializerFunctionWrapHandler,
    ):
        return {k: v for k, v in handler(self).items() if v is not None}


class FixedWindow(Strict):
    valid_from: UtcTime = Field(alias="from")
    until: UtcTime

    @model_validator(mode="after")
    def _ordered(self) -> "FixedWindow":
        if self.until <= self.valid_from:
            raise ValueError("validity.fixed.until must be after validity.fixed.from")
        return self


class Validity(OneOf):
    fixed: FixedWindow | None = None
    # At most ten years: a claim happens before claim_ends_at (at most 2199, chalicelib.models
    # UtcTime), so valid_until never nears datetime's year 9999.
    days_after_claim: StrictInt | None = Field(None, ge=1, le=3650)

    @model_validator(mode="after")
    def _exactly_one(self) -> "Validity":
        if (self.fixed is None) == (self.days_after_claim is None):
            raise ValueError('validity must be either {"fixed": {...}} or {"days_after_claim": N}')
        return self


class Scope(OneOf):
    all: StrictBool | None = None
    categories: list[str] | None = Field(None, min_length=1, max_length=100)
    skus: list[str] | None = Field(None, min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _exactly_one(self) -> "Scope":
        chosen = [name for name in ("all", "categories", "skus") if getattr(self, name) is not None]
        if len(chosen) != 1 or self.all is False:
            raise ValueError('scope must be one of {"all": true}, {"categories": [...]}, {"skus": [...]}')
        for name in ("categories", "skus"):
            entries = getattr(self, name) or []
            if any(not isinstance(e, str) or not 1 <= len(e) <= 64 for e in entries):
                raise ValueError(f"scope.{name} entries must be 1-64 characters")
        return self


class TemplateCreate(Strict):
    name: str = Field(min_length=1, max_length=64)
    kind: Kind
    value: StrictInt = Field(ge=1, le=MAX_FEN)
    max_discount: StrictInt | None = Field(None, ge=1, le=MAX_FEN)
    min_spend: StrictInt = Field(0, ge=0, le=MAX_FEN)
    total_stock: StrictInt = Field(ge=1, le=MAX_STOCK)
    per_user_limit: StrictInt = Field(1, ge=1, le=1000)
    claim_starts_at: UtcTime
    claim_ends_at: UtcTime
    validity: Validity
    scope: Scope = Field(default_factory=lambda: Scope(all=True))
    claim_channel: ClaimChannel = "open"
    stock_shards: StrictInt = Field(1, ge=1, le=MAX_STOCK_SHARDS)
    # 积分兑换: shoppers may take one for this many points (POST /templates/{id}/redeem-points).
    points_price: StrictInt | None = Field(None, ge=1, le=MAX_FEN)
    # For sale (fen): a payment whose event lists it in `purchases` issues it to the payer. A
    # stored-value card may sell below its value (充值优惠: 18000 for a card of 20000).
    price: StrictInt | None = Field(None, ge=1, le=MAX_FEN)

    @model_validator(mode="after")
    def _consistent(self) -> "TemplateCreate":
        if not self.name.strip():
            raise ValueError("name must not be blank")
        if self.claim_ends_at <= self.claim_starts_at:
            raise ValueError("claim_ends_at must be after claim_starts_at")
        if self.kind == "percent_off" and not 1 <= self.value <= 99:
            raise ValueError("a percent_off value is a percentage from 1 to 99")
        if self.kind != "percent_off" and self.max_discount is not None:
            raise ValueError("max_discount applies to percent_off only")
        if self.validity.fixed and self.validity.fixed.until <= self.claim_starts_at:
            raise ValueError("validity.fixed.until must be after claim_starts_at, or no claimed coupon is usable")
        if self.stock_shards > self.total_stock:
            raise ValueError("stock_shards must not exceed total_stock: every shard holds at least one unit")
        return self


class Template(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    name: str
    kind: Kind
    value: int
    max_discount: int | None = None
    min_spend: int
    total_stock: int
    per_user_limit: int
    claim_starts_at: datetime
    claim_ends_at: datetime
    validity: Validity
    scope: Scope
    status: TemplateStatus
    claim_channel: ClaimChannel = "open"
    # How many items hold the stock: 1 keeps it on the template item; more spread a flash sale.
    stock_shards: int = 1
    points_price: int | None = None  # None: not for points
    price: int | None = None  # fen; None: not for sale
    claimed: int = 0
    redeemed: int = 0
    created_at: datetime
    updated_at: datetime
    # Stored, never shown: +1 on every edit of the draft; a grant from a draft and the edits pin it
    # (times have whole seconds, too coarse to tell two edits apart).
    draft_version: int = Field(0, exclude=True)

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented form; mypy cannot see through it
    @property
    def remaining(self) -> int:
        return max(self.total_stock - self.claimed, 0)


class Coupon(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    template_id: str
    name: str
    kind: Kind
    value: int
    max_discount: int | None = None
    min_spend: int
    scope: Scope
    status: CouponStatus
    valid_from: datetime
    valid_until: datetime
    claimed_at: datetime
    # Stored-value cards only: what can still be held or spent, and what open orders hold.
    balance: int | None = None
    held: int | None = None
    # The order a coupon is locked for (until lock_expires_at) or was used by, and its payment.
    order_id: str | None = None
    lock_expires_at: datetime | None = None
    reserved_by: str | None = None  # the order whose reservation took the lock (wallet_store.RESERVED_BY)
    payment_id: str | None = None
    used_at: datetime | None = None
    bought_with: str | None = None  # bought, not claimed: the payment (payment_ref) that paid for it


class TemplateListQuery(PageQuery):
    status: TemplateStatus | None = None
    # Part of the name (as typed: case matters for Latin letters). A filter on the page read: a
    # page may hold fewer than `limit` matches and still have a next_cursor.
    q: str | None = Field(None, min_length=1, max_length=64)


class TemplateStatsQuery(BaseModel):
    """`?from=&to=`: the hours whose claims to count, both included (each time is taken to the
    start of its hour). Checked and defaulted by `rules.stats_hours`."""

    model_config = ConfigDict(extra="ignore", validate_by_name=True, validate_by_alias=True,
                              serialize_by_alias=True, defer_build=True)
    start: UtcTime | None = Field(None, alias="from")
    end: UtcTime | None = Field(None, alias="to")


class HourlyClaims(BaseModel):
    model_config = ConfigDict(defer_build=True)

    hour: datetime
    claimed: int
    redeemed: int = Field(0, description="Coupons used by payments in the hour, less those a refund gave back.")


class TemplateStats(BaseModel):
    """A template's counters and its claims per hour (claims, code claims and grants alike: all
    take stock) and redemptions per hour (a refund's restored coupon counted out of the hour it
    was used in), every hour of the range listed, oldest first, zero where nothing happened."""

    model_config = ConfigDict(defer_build=True)

    template_id: str
    claimed: int
    redeemed: int
    hours: list[HourlyClaims]


class CouponListQuery(PageQuery):
    status: CouponStatus | None = None


# --- checkout: quotes, locks, card holds -------------------------------------------------

# Order ids come from the mall's order system; they become part of DynamoDB keys, so no '#'.
OrderId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:\-]{1,64}$")]
HoldStatus = Literal["held", "released", "spent", "refunded"]
CardEntryType = Literal["issue", "hold", "release", "spend", "refund"]


class LineItem(Strict):
    sku: str = Field(min_length=1, max_length=64)
    category: str = Field(min_length=1, max_length=64)
    unit_price: StrictInt = Field(ge=0, le=MAX_FEN)
    quantity: StrictInt = Field(ge=1, le=10_000)


def _unique(values: list[str] | None, field: str) -> None:
    if values is not None and len(set(values)) != len(values):
        raise ValueError(f"{field} must not repeat an id")


class QuoteRequest(Strict):
    items: list[LineItem] = Field(min_length=1, max_length=200)
    coupon_ids: list[ResourceId] | None = Field(None, max_length=20)

    @model_validator(mode="after")
    def _no_repeats(self) -> "QuoteRequest":
        _unique(self.coupon_ids, "coupon_ids")
        return self


class AppliedCoupon(BaseModel):
    model_config = ConfigDict(defer_build=True)

    coupon_id: str
    kind: Kind
    name: str
    amount: int  # fen: the discount of a discount coupon, or what a card pays


class Quote(BaseModel):
    model_config = ConfigDict(defer_build=True)

    subtotal: int
    discount: int       # taken off by the (at most one) discount coupon
    stored_value: int   # paid from stored-value cards
    total: int          # left to pay: subtotal - discount - stored_value, never below zero
    applied: list[AppliedCoupon]


class LockRequest(Strict):
    order_id: OrderId
    items: list[LineItem] = Field(min_length=1, max_length=200)


class UnlockRequest(Strict):
    order_id: OrderId


class HoldRequest(Strict):
    order_id: OrderId
    amount: StrictInt = Field(ge=1, le=MAX_FEN)


class Hold(BaseModel):
    model_config = ConfigDict(defer_build=True)

    card_id: str
    order_id: str
    amount: int
    status: HoldStatus
    expires_at: datetime
    created_at: datetime
    payment_id: str | None = None
    reserved: bool = False  # written by an order reservation: only its release frees it


class CardEntry(BaseModel):
    """One change of a card, append-only. The sums of `balance_change` and `held_change` over
    a card's history are its `balance` and `held`."""

    model_config = ConfigDict(defer_build=True)

    id: str
    type: CardEntryType
    amount: int
    balance_change: int
    held_change: int
    order_id: str | None = None
    payment_id: str | None = None
    created_at: datetime


# --- operators: grants and codes ---------------------------------------------------------

# A code as a shopper may type it (any case); see chalicelib.coupons.codes.
CodeText = Annotated[str, BeforeValidator(lambda v: codes.normalise(v) if isinstance(v, str) else v),
                     StringConstraints(pattern=codes.CODE_PATTERN)]
MAX_CODES_PER_REQUEST = 5_000


class GrantRequest(Strict):
    user_ids: list[UserId] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _no_repeats(self) -> "GrantRequest":
        _unique(self.user_ids, "user_ids")
        return self


class GrantResult(BaseModel):
    model_config = ConfigDict(defer_build=True)

    user_id: str
    status: str  # "granted", or the error code that refused this user (SOLD_OUT, LIMIT_REACHED, ...)
    coupon_id: str | None = None


class GrantReport(BaseModel):
    model_config = ConfigDict(defer_build=True)

    template_id: str
    granted: int
    results: list[GrantResult]


class CodeMintRequest(Strict):
    count: StrictInt = Field(ge=1, le=MAX_CODES_PER_REQUEST)
    prefix: str | None = Field(None, pattern=rf"^{codes.PREFIX_PATTERN}$")


class CodeBatch(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    template_id: str
    count: int
    minted: int
    prefix: str | None = None
    created_at: datetime


class Code(BaseModel):
    model_config = ConfigDict(defer_build=True)

    code: str
    template_id: str
    batch_id: str
    status: Literal["new", "claimed"]
    created_at: datetime
    claimed_by: str | None = None
    coupon_id: str | None = None
    claimed_at: datetime | None = None


class CodeListQuery(PageQuery):
    batch: ResourceId | None = None


class CodeCsvQuery(CodeListQuery):
    limit: int = Field(5_000, ge=1, le=5_000)


class StockAdd(Strict):
    """`POST /admin/templates/{id}/stock`: units of stock to add."""

    add: StrictInt = Field(ge=1, le=1_000_000)
