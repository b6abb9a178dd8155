"""Request, domain and response models of the coupons domain."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, computed_field, model_serializer, model_validator

from chalicelib.models import UtcTime
from chalicelib.web import PageQuery

Kind = Literal["amount_off", "percent_off", "stored_value"]
TemplateStatus = Literal["draft", "published", "paused", "ended"]
CouponStatus = Literal["unused", "locked", "used", "expired"]
MAX_FEN = 10**12
MAX_STOCK = 10**8


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", validate_by_name=True, validate_by_alias=True,
                              serialize_by_alias=True)


class OneOf(Strict):
    """A choice of one field among several: serialised with the chosen field only."""

    @model_serializer(mode="wrap")
    def _chosen_only(self, handler):
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
        return self


class Template(BaseModel):
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
    claimed: int = 0
    redeemed: int = 0
    created_at: datetime
    updated_at: datetime

    @computed_field
    @property
    def remaining(self) -> int:
        return max(self.total_stock - self.claimed, 0)


class Coupon(BaseModel):
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


class TemplateListQuery(PageQuery):
    status: TemplateStatus | None = None


class CouponListQuery(PageQuery):
    status: CouponStatus | None = None
