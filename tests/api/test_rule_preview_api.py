"""A rule's preview over HTTP (API.md, "Compliance and operations": previewing a rule): its answer,
who may ask, the 4xx of bad windows, and that it changes nothing (no audit entry)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.rebates import settlement
from tests.helpers import iso
from tests.payment_helpers import NOW, payment_event, rule_body

RULES = "/admin/rebate-rules"
WINDOW = {"from": iso(NOW - timedelta(days=7)), "to": iso(NOW)}


def draft(api, **overrides):
    status, rule = api.post(RULES, rule_body(**overrides), operator=True)
    assert status == 201, rule
    return rule


def test_a_draft_previewed_over_a_week_answers_its_cost_and_changes_nothing(api):
    rule = draft(api, ratio_bp=500, caps={"budget": 700})
    for n, days in enumerate([6, 4, 2]):
        settlement.process(payment_event(f"p{n}", 10_000, paid_at=NOW - timedelta(days=days)), NOW)
    audit_before = api.get("/admin/audit", user="ada", roles=("auditor",))[1]["items"]

    status, body = api.post(f"{RULES}/{rule['id']}/preview", WINDOW, user="mia", roles=("marketing",))

    assert status == 200, body
    assert body["cost"] == {"balance": 700, "points": 0, "vouchers": 0}  # 500 + 200: the budget ran out
    assert (body["payments"], body["scanned"]) == (2, 3)
    assert body["budget_exhausted_at"] == iso(NOW - timedelta(days=4))
    assert body["window"] == WINDOW and body["rule_id"] == rule["id"]
    assert api.get("/admin/audit", user="ada", roles=("auditor",))[1]["items"] == audit_before
    assert api.get(f"{RULES}/{rule['id']}", operator=True)[1]["status"] == "draft"


@pytest.mark.parametrize("roles, status", [(("marketing",), 200), (("auditor",), 200), (("operator",), 200),
                                           (("finance",), 403), ((), 403)])
def test_marketing_operator_and_auditor_may_preview(api, roles, status):
    rule = draft(api)
    assert api.post(f"{RULES}/{rule['id']}/preview", WINDOW, user="staff", roles=roles)[0] == status


@pytest.mark.parametrize("body", [
    {},
    {"from": WINDOW["from"]},
    {"from": WINDOW["to"], "to": WINDOW["from"]},            # to before from
    {"from": WINDOW["to"], "to": WINDOW["to"]},              # an empty window
    {"from": iso(NOW - timedelta(days=94)), "to": iso(NOW)},  # more than 93 days
    {"from": "yesterday", "to": WINDOW["to"]},
    {"from": "2030-05-01T00:00:00", "to": WINDOW["to"]},     # no zone
    {**WINDOW, "extra": 1},
    [],
])
def test_a_bad_window_is_400(api, body):
    rule = draft(api)
    status, answer = api.post(f"{RULES}/{rule['id']}/preview", body, operator=True)
    assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR"), answer


def test_93_days_is_allowed(api):
    rule = draft(api)
    body = {"from": iso(NOW - timedelta(days=93)), "to": iso(NOW)}
    assert api.post(f"{RULES}/{rule['id']}/preview", body, operator=True)[0] == 200


def test_an_unknown_rule_is_404(api):
    status, answer = api.post(f"{RULES}/01J00000000000000000000000/preview", WINDOW, operator=True)
    assert (status, answer["error"]["code"]) == (404, "NOT_FOUND")
