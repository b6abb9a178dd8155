"""HTTP routes of orders: paying for one order with coupons, cards, points and balance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.lazy import lazy_module
from chalicelib.web import RequestContext, endpoint

if TYPE_CHECKING:
    from chalicelib.orders import models, quotes
else:  # loaded on a route's first request, not by `import app` (chalicelib.lazy)
    models = lazy_module("chalicelib.orders.models")
    quotes = lazy_module("chalicelib.orders.quotes")

bp = Blueprint(__name__)


@endpoint(bp, "/checkout/quote", methods=("POST",))
def quote(ctx: RequestContext, body: models.OrderQuoteRequest) -> models.OrderQuote:
    """Price an order: coupons (the best choice without coupon_ids), points, cards, balance."""
    return quotes.quote(ctx.user_id, body, ctx.now)
