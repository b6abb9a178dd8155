"""HTTP routes of orders: paying for one order with coupons, cards, points and balance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.lazy import lazy_module
from chalicelib.web import RequestContext, endpoint

if TYPE_CHECKING:
    from chalicelib.orders import models, quotes, reservations
else:  # loaded on a route's first request, not by `import app` (chalicelib.lazy)
    models = lazy_module("chalicelib.orders.models")
    quotes = lazy_module("chalicelib.orders.quotes")
    reservations = lazy_module("chalicelib.orders.reservations")

bp = Blueprint(__name__)


@endpoint(bp, "/checkout/quote", methods=("POST",))
def quote(ctx: RequestContext, body: models.OrderQuoteRequest) -> models.OrderQuote:
    """Price an order: coupons (the best choice without coupon_ids), points, cards, balance."""
    return quotes.quote(ctx.user_id, body, ctx.now)


@endpoint(bp, "/checkout/reservations", methods=("POST",), status=201)
def reserve(ctx: RequestContext, body: models.ReservationRequest) -> models.Reservation:
    """Reserve an order: lock its coupon, hold its cards, balance and points, in one step."""
    return reservations.reserve(ctx.user_id, body, ctx.now)


@endpoint(bp, "/checkout/reservations/{order_id}")
def get_reservation(ctx: RequestContext, order_id: models.OrderId) -> models.Reservation:
    """The caller's reservation of an order."""
    return reservations.get(ctx.user_id, order_id)


@endpoint(bp, "/checkout/reservations/{order_id}/release", methods=("POST",))
def release_reservation(ctx: RequestContext, order_id: models.OrderId) -> models.Reservation:
    """Give back everything the order's reservation holds (idempotent)."""
    return reservations.release(ctx.user_id, order_id, ctx.now)
