"""Wiring only: the Chalice app, one blueprint per domain, the HTTP middleware."""

from chalice import Chalice

from chalicelib import meta
from chalicelib.audit import routes as audit
from chalicelib.console import routes as console
from chalicelib.coupons import routes as coupons
from chalicelib.jobs import routes as jobs
from chalicelib.orders import routes as orders
from chalicelib.payments import consumer as payment_events
from chalicelib.payments import routes as payments
from chalicelib.privacy import routes as privacy
from chalicelib.programme import routes as programme
from chalicelib.rebates import routes as rebates
from chalicelib.web import http_middleware

app = Chalice(app_name="mall")
app.register_blueprint(meta.bp)
app.register_blueprint(coupons.bp)
app.register_blueprint(orders.bp)
app.register_blueprint(payments.bp)
app.register_blueprint(payment_events.bp)
app.register_blueprint(rebates.bp)
app.register_blueprint(programme.bp)
app.register_blueprint(audit.bp)
app.register_blueprint(privacy.bp)
app.register_blueprint(console.bp)
app.register_blueprint(jobs.bp)
app.register_middleware(http_middleware, "http")
