"""GET /admin/rebates/overview?from=&to=: the programme's figures over a range of Beijing days,
with every day of it listed (issue 19, item 4; chalice.test.Client, moto)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.rebates import settlement
from tests.payment_helpers import NOW, live_rule, payment_event, refund_event

OVERVIEW = "/admin/rebates/overview"


def get(api, query):
    return api.get(f"{OVERVIEW}?{query}", operator=True)


def test_a_range_answers_its_figures_and_every_day_zero_filled(api):
    live_rule(ratio_bp=500)
    settlement.process(payment_event("pay_1", 10000), NOW)                               # 2030-06-01
    settlement.process(payment_event("pay_2", 4000, user="bob"), NOW + timedelta(days=2))  # 2030-06-03
    settlement.process(refund_event("r1", "pay_1", amount=10000), NOW + timedelta(days=2))
    status, body = get(api, "from=2030-06-02&to=2030-06-04")
    assert status == 200, body
    assert (body["payments"], body["sales"], body["refunds"], body["net_sales"]) == (
        1, 4000, {"payments": 1, "amount": 10000}, -6000)
    # a refund counts on the day it was recorded: a range may take back more than it sold
    assert body["cost"]["balance"] == 200 - 500 and body["return_bp"] is None
    assert [d["day"] for d in body["days"]] == ["2030-06-02", "2030-06-03", "2030-06-04"]
    assert body["days"][0] == {"day": "2030-06-02", "payments": 0, "sales": 0, "refunded_payments": 0, "refunded": 0,
                               "net_sales": 0, "cost_balance": 0, "cost_points": 0, "cost_vouchers": 0,
                               "vouchers_not_granted": 0}
    assert (body["days"][1]["sales"], body["days"][1]["refunded"], body["days"][1]["cost_balance"]) == (
        4000, 10000, -300)


def test_a_range_of_366_days_is_accepted(api):
    status, body = get(api, "from=2028-01-01&to=2028-12-31")  # a leap year
    assert status == 200, body
    assert len(body["days"]) == 366 and body["payments"] == 0


def test_no_range_is_all_time_without_days(api):
    status, body = api.get(OVERVIEW, operator=True)
    assert (status, body["days"]) == (200, [])


@pytest.mark.parametrize("query, field", [
    ("from=2030-06-01", "to"),                          # one end only
    ("to=2030-06-01", "to"),
    ("from=2030-06-02&to=2030-06-01", "to"),             # backwards
    ("from=2030-01-01&to=2031-01-02", "to"),             # 367 days
    ("from=2030-02-30&to=2030-03-01", "from"),           # no such day
    ("from=yesterday&to=2030-03-01", "from"),
    ("from=2030-03-01&to=2030-03-01T25:00:00", "to"),
])
def test_a_bad_range_is_a_validation_error_naming_the_field(api, query, field):
    status, body = get(api, query)
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR"), body
    assert field in [d["field"] for d in body["error"]["details"]]


def test_only_operators_and_readers_of_the_overview_see_a_range(api):
    status, body = api.get(f"{OVERVIEW}?from=2030-06-01&to=2030-06-02", user="alice")
    assert (status, body["error"]["code"]) == (403, "FORBIDDEN")
