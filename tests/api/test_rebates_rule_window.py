"""A rebate rule's window is optional (API.md): without `starts_at` a rule applies from its
publication, without `ends_at` until it is paused or ended (chalice.test.Client, moto, and
payments through the SQS consumer's Lambda)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.rebates import accounts
from tests.payment_helpers import NOW, payment_event, rule_body, sqs_event

RULES = "/admin/rebate-rules"


def published(api, **window):
    """A 5% balance rule made over HTTP with only the window fields given, then published."""
    body = {k: v for k, v in rule_body(ratio_bp=500).items() if k not in ("starts_at", "ends_at")}
    status, rule = api.post(RULES, {**body, **{k: v.isoformat() for k, v in window.items()}}, operator=True)
    assert status == 201, rule
    status, rule = api.post(f"{RULES}/{rule['id']}/publish", operator=True)
    assert (status, rule["status"]) == (200, "published"), rule
    return rule


def consume(api, *events):
    """Deliver payment events through the payment events consumer, as SQS would."""
    result = api.client.lambda_.invoke("payment_events", sqs_event([e.model_dump_json() for e in events])).payload
    assert result == {"batchItemFailures": []}


def balance(user="alice"):
    return accounts.get_account(user).balance


def test_a_rule_without_a_window_is_created_with_null_times_and_listed(api):
    status, rule = api.post(RULES, {k: v for k, v in rule_body().items() if k not in ("starts_at", "ends_at")},
                            operator=True)
    assert status == 201, rule
    assert (rule["starts_at"], rule["ends_at"]) == (None, None)
    assert api.get(f"{RULES}/{rule['id']}", operator=True) == (200, rule)
    assert [r["id"] for r in api.get(RULES, operator=True)[1]["items"]] == [rule["id"]]


def test_a_published_rule_without_a_window_rebates_every_payment_until_it_is_paused(api):
    rule = published(api)
    consume(api, payment_event("pay_1", 10000, paid_at=NOW),
            payment_event("pay_2", 20000, paid_at=NOW + timedelta(days=3650)))
    assert balance() == 500 + 1000
    consume(api, payment_event("pay_1", 10000, paid_at=NOW))  # redelivered: the stored rule snapshot reads back
    assert balance() == 1500
    api.post(f"{RULES}/{rule['id']}/pause", operator=True)
    consume(api, payment_event("pay_3", 10000, paid_at=NOW))
    assert balance() == 1500
    _, shown = api.get(f"{RULES}/{rule['id']}", operator=True)
    assert (shown["rebated_payments"], shown["rebate_cost"]) == (2, 1500)


def test_a_rule_with_only_a_start_applies_from_its_start_on(api):
    published(api, starts_at=NOW)
    consume(api, payment_event("early", 10000, paid_at=NOW - timedelta(seconds=1)),
            payment_event("on_time", 10000, paid_at=NOW),
            payment_event("late", 10000, paid_at=NOW + timedelta(days=999)))
    assert balance() == 500 + 500


def test_a_rule_with_only_an_end_applies_until_its_end(api):
    published(api, ends_at=NOW)
    consume(api, payment_event("long_ago", 10000, paid_at=NOW - timedelta(days=999)),
            payment_event("last_second", 10000, paid_at=NOW - timedelta(seconds=1)),
            payment_event("at_the_end", 10000, paid_at=NOW))
    assert balance() == 500 + 500


def test_a_windowed_rule_still_applies_inside_its_window_only(api):
    published(api, starts_at=NOW - timedelta(days=1), ends_at=NOW + timedelta(days=1))
    consume(api, payment_event("before", 10000, paid_at=NOW - timedelta(days=2)),
            payment_event("inside", 10000, paid_at=NOW),
            payment_event("after", 10000, paid_at=NOW + timedelta(days=1)))
    assert balance() == 500


@pytest.mark.parametrize("window", [
    {"starts_at": "2030-02-01T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"},
    {"starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"},
])
def test_an_end_before_or_at_the_start_is_still_refused(api, window):
    body = {**rule_body(), **window}
    status, error = api.post(RULES, body, operator=True)
    assert (status, error["error"]["code"]) == (400, "VALIDATION_ERROR"), error
    assert "ends_at must be after starts_at" in error["error"]["details"][0]["message"]
    assert api.get(RULES, operator=True)[1]["items"] == []


def test_the_openapi_document_makes_the_window_optional(api):
    _, document = api.get("/openapi.json", user=None)
    schemas = document["components"]["schemas"]
    create = next(s for name, s in schemas.items() if name.startswith("RuleCreate"))
    assert not {"starts_at", "ends_at"} & set(create.get("required", []))
