"""Points for coupons (积分兑换, issue 17 item 2): `POST /templates/{id}/redeem-points`. No boto3,
no Chalice.

ONE transaction takes the template's `points_price` from the account's free points (`points`:
what is not held by an order reservation nor pending, rebates/holds.py) and issues the coupon
with exactly a claim's items and conditions (coupons/exchanging.py: published, inside the claim
window, in stock, under the per-user limit), with the ledger entry `exchange` (asset `points`,
`ref` the coupon's id) and, with an Idempotency-Key, its record. So racing redemptions never
oversell and never take points without a coupon: either everything commits or nothing does.
Refusals: 409 INSUFFICIENT_POINTS (the free points cannot pay), the claim's SOLD_OUT,
LIMIT_REACHED, NOT_CLAIMABLE, NOT_FOUND; a template without `points_price` is 409
INVALID_STATE (the template exists, it is just not for points).
"""

from __future__ import annotations

from datetime import datetime

from chalicelib import dynamo, idempotency
from chalicelib.coupons import exchanging
from chalicelib.coupons.models import Coupon, Template
from chalicelib.errors import InsufficientPoints, InvalidState
from chalicelib.idempotency import Idempotency
from chalicelib.observability import count
from chalicelib.rebates import accounts_store, ledger
from chalicelib.rebates.models import AccountChange


def redeem_points(template_id: str, user_id: str, now: datetime, idem: Idempotency | None) -> Coupon:
    template = exchanging.template_to_redeem(template_id, now)
    price = template.points_price
    if price is None:
        raise InvalidState("This template cannot be redeemed for points.")
    coupon = exchanging.new_coupon(template, now)
    exchanging.take_stock(template, lambda shard: _redeem_on(template, coupon, user_id, price, now, idem, shard))
    count("PointsRedeemed")
    return coupon


def _redeem_on(template: Template, coupon: Coupon, user_id: str, price: int, now: datetime,
               idem: Idempotency | None, shard: int) -> None:
    deltas = {"points": -price}
    change = AccountChange(user_id, deltas, at_least={"points": price})
    items = {**exchanging.claim_items(template, coupon, user_id, now, shard),
             **accounts_store.account_items(change, ledger.entries_for(deltas, "exchange", coupon.id, None, now), now)}
    try:
        idempotency.transact(items, idem, coupon.model_dump(mode="json"))
    except dynamo.ConditionFailed as exc:
        refusal = exchanging.refusal(exc.failed, template, shard, now)
        if refusal is not None:
            raise refusal from exc
        if accounts_store.ACCOUNT in exc.failed:
            raise InsufficientPoints(f"Redeeming this takes {price} points; you have fewer free points.") from exc
        raise
