"""The return cap over HTTP: publishing a rule above `max_return_bp` is refused, rules take
`exclusive`, and payments delivered to the consumer never return more than the cap."""

from __future__ import annotations

import pytest

from chalicelib.rebates import accounts
from tests.payment_helpers import payment_event, rule_body, sqs_event

RULES = "/admin/rebate-rules"


def set_cap(api, max_return_bp):
    status, body = api.call("PUT", "/admin/settings", {"max_return_bp": max_return_bp}, operator=True)
    assert status == 200, body


def draft(api, **overrides):
    body = {k: v for k, v in rule_body(**overrides).items() if v is not None}
    status, rule = api.post(RULES, body, operator=True)
    assert status == 201, rule
    return rule


def publish(api, rule):
    return api.post(f"{RULES}/{rule['id']}/publish", operator=True)


@pytest.mark.parametrize("overrides, own", [
    ({"ratio_bp": 5001}, "5001 bp"),
    ({"kind": "full_return", "ratio_bp": None, "installments": 3, "period_days": 10}, "10000 bp"),  # 100% by default
    ({"kind": "tiered", "ratio_bp": None,
      "ladder": [{"min_paid": 0, "ratio_bp": 100}, {"min_paid": 50000, "ratio_bp": 6000}]}, "6000 bp"),
])
def test_publishing_a_rule_above_the_return_cap_is_refused_and_says_the_cap(api, overrides, own):
    set_cap(api, 5000)
    rule = draft(api, **overrides)
    status, body = publish(api, rule)
    assert status == 409, body
    assert body["error"]["code"] == "INVALID_STATE"
    assert own in body["error"]["message"] and "max_return_bp of 5000 bp (50%)" in body["error"]["message"]
    assert api.get(f"{RULES}/{rule['id']}", operator=True)[1]["status"] == "draft"  # refused: nothing changed


@pytest.mark.parametrize("overrides", [
    {"ratio_bp": 5000},                                                                   # at the cap
    {"kind": "full_return", "ratio_bp": 5000, "installments": 3, "period_days": 10},
    {"kind": "threshold", "ratio_bp": None, "threshold": {"min_paid": 100, "amount": 90000}},  # depends on the payment
])
def test_a_rule_within_the_cap_or_whose_return_depends_on_the_payment_is_published(api, overrides):
    set_cap(api, 5000)
    status, rule = publish(api, draft(api, **overrides))
    assert status == 200, rule
    assert rule["status"] == "published" and rule["published_at"] is not None


def test_republishing_keeps_the_first_publication_time(api):
    rule = draft(api)
    first = publish(api, rule)[1]["published_at"]
    assert api.post(f"{RULES}/{rule['id']}/pause", operator=True)[0] == 200
    assert publish(api, rule)[1]["published_at"] == first


def test_exclusive_is_optional_and_false_by_default(api):
    assert draft(api)["exclusive"] is False
    assert draft(api, exclusive=True)["exclusive"] is True
    status, body = api.post(RULES, rule_body(exclusive="yes"), operator=True)
    assert status == 400 and body["error"]["details"][0]["field"] == "exclusive"


def test_payments_through_the_consumer_never_return_more_than_the_cap(api):
    set_cap(api, 8000)
    for ratio, reward in ((6000, "balance"), (6000, "points")):
        assert publish(api, draft(api, ratio_bp=ratio, reward=reward))[0] == 200
    bodies = [payment_event("pay_1", 10000).model_dump_json(), payment_event("pay_1", 10000).model_dump_json()]
    assert api.client.lambda_.invoke("payment_events", sqs_event(bodies)).payload == {"batchItemFailures": []}
    account = accounts.get_account("alice")
    assert (account.balance, account.points) == (6000, 2000)
