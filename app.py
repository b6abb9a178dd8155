"""Wiring only: the Chalice app, one blueprint per domain, the HTTP middleware."""

from chalice import Chalice

from chalicelib import meta
from chalicelib.coupons import routes as coupons
from chalicelib.web import http_middleware

app = Chalice(app_name="mall")
app.register_blueprint(meta.bp)
app.register_blueprint(coupons.bp)
app.register_middleware(http_middleware, "http")
