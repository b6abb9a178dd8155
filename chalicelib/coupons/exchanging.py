"""What a points exchange (积分兑换, chalicelib.rebates.exchange) takes from coupons: the one module
of coupons that the rebates domain's exchange imports. Coupons import nothing of rebates. No
boto3, no Chalice: time comes in as `now`.

Redeeming points for a coupon is a claim paid with points: the claim's own transaction items
(issuing_store.claim_items: `stock`, `user_claims`, `coupon`, `hour`, a card's `card_entry`,
with exactly the claim's conditions: published, inside the claim window, in stock, under the
per-user limit) go into the caller's one transaction with the account's debit; `refusal`
explains the refused ones as a claim would. Stock shards are chosen as for a claim
(`take_stock`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, TypeVar

from chalicelib.coupons import issuing, issuing_store, rules, templates_store
from chalicelib.coupons.models import Coupon, Template
from chalicelib.coupons.refused import Refused
from chalicelib.errors import NotFound
from chalicelib.ids import new_id

COUPON_ITEMS = (issuing_store.STOCK, issuing_store.USER_CLAIMS, "coupon", "hour", "card_entry")
T = TypeVar("T")


def template_to_redeem(template_id: str, now: datetime) -> Template:
    """The template, read afresh, if a claim of it could succeed now (else the claim's refusal:
    NOT_FOUND, NOT_CLAIMABLE, SOLD_OUT). Its `points_price` is the caller's to check."""
    template = templates_store.get_template(template_id)
    if template is None:
        raise NotFound("No template with this id.")
    refusal = rules.claim_refusal(template, now)
    if refusal is not None:
        raise refusal
    return template


def new_coupon(template: Template, now: datetime) -> Coupon:
    return rules.new_coupon(template, new_id(), now)


def claim_items(template: Template, coupon: Coupon, user_id: str, now: datetime,
                shard: int) -> dict[str, dict[str, Any]]:
    return issuing_store.claim_items(template, coupon, user_id, now, shard)


def refusal(failed: dict[str, dict[str, Any] | None], template: Template, shard: int,
            now: datetime) -> Exception | None:
    """The claim's refusal among a cancelled transaction's `failed` items (None: the coupon's
    items all passed): LIMIT_REACHED, SOLD_OUT, NOT_CLAIMABLE, or a stock shard proved empty
    (issuing.ShardEmpty: `take_stock` tries another)."""
    if not any(name in failed for name in COUPON_ITEMS):
        return None
    return issuing.issue_refusal(Refused(failed), template, shard, now, rules.claim_refusal)


def take_stock(template: Template, issue: Callable[[int], T]) -> T:
    """Run `issue(shard)` on a stock shard with units left, as a claim does."""
    return issuing.take_stock(template, issue)

