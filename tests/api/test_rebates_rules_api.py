"""Operators manage rebate rules: /admin/rebate-rules (chalice.test.Client, moto)."""

from __future__ import annotations

import pytest

from chalicelib.rebates import settlement
from tests.payment_helpers import NOW, payment_event, refund_event, rule_body

RULES = "/admin/rebate-rules"


def create(api, **overrides):
    return api.post(RULES, rule_body(**overrides), operator=True)


def test_a_rule_is_created_as_a_draft(api):
    status, rule = create(api, caps={"per_order": 500, "budget": 100000})
    assert status == 201, rule
    assert (rule["status"], rule["kind"], rule["ratio_bp"], rule["reward"], rule["budget_used"]) == (
        "draft", "fixed_ratio", 500, "balance", 0)
    assert rule["caps"] == {"per_order": 500, "per_user_per_day": None, "budget": 100000}
    assert (rule["rebated_payments"], rule["rebate_cost"], rule["sales_driven"]) == (0, 0, 0)
    assert api.get(f"{RULES}/{rule['id']}", operator=True) == (200, rule)


@pytest.mark.parametrize("overrides", [
    {"kind": "tiered", "ratio_bp": None,
     "ladder": [{"min_paid": 0, "ratio_bp": 100}, {"min_paid": 50000, "ratio_bp": 300}]},
    {"kind": "threshold", "ratio_bp": None, "threshold": {"min_paid": 20000, "amount": 2000}, "reward": "points"},
    {"kind": "full_return", "ratio_bp": None, "installments": 12, "period_days": 30},
    {"kind": "full_return", "ratio_bp": 5000, "installments": 1, "period_days": 1},
])
def test_each_kind_is_accepted_with_its_own_fields(api, overrides):
    body = {k: v for k, v in rule_body(**overrides).items() if v is not None}
    status, rule = api.post(RULES, body, operator=True)
    assert status == 201, rule


@pytest.mark.parametrize("overrides, field", [
    ({"ratio_bp": 10001}, "ratio_bp"),
    ({"ratio_bp": -1}, "ratio_bp"),
    ({"ratio_bp": "500"}, "ratio_bp"),
    ({"kind": "tiered", "ratio_bp": None,
      "ladder": [{"min_paid": 50000, "ratio_bp": 300}, {"min_paid": 10000, "ratio_bp": 100}]}, "body"),
    ({"kind": "tiered", "ratio_bp": None,
      "ladder": [{"min_paid": 10000, "ratio_bp": 100}, {"min_paid": 10000, "ratio_bp": 300}]}, "body"),
    ({"kind": "tiered"}, "body"),                                # takes a ladder, not ratio_bp
    ({"kind": "full_return", "ratio_bp": None, "installments": 0, "period_days": 30}, "installments"),
    ({"kind": "full_return", "ratio_bp": None, "installments": 3, "period_days": 0}, "period_days"),
    ({"kind": "full_return", "ratio_bp": None, "installments": 37, "period_days": 30}, "installments"),
    ({"kind": "full_return", "ratio_bp": None, "period_days": 30}, "body"),
    ({"kind": "threshold", "ratio_bp": None, "threshold": {"min_paid": 100}}, "body"),  # amount for balance
    ({"caps": {"budget": 0}}, "caps.budget"),
    ({"caps": {"per_week": 5}}, "caps.per_week"),
    ({"ends_at": "2030-01-01T00:00:00Z", "starts_at": "2030-02-01T00:00:00Z"}, "body"),
    ({"starts_at": "2030-01-01T00:00:00"}, "starts_at"),
    ({"reward": "cash"}, "reward"),
    ({"reward": {"voucher_template_id": "01J00000000000000000000000"}}, "body"),  # voucher needs threshold
    ({"colour": "red"}, "colour"),
])
def test_invalid_rules_are_refused_with_the_field_named(api, overrides, field):
    status, body = api.post(RULES, {k: v for k, v in rule_body(**overrides).items() if v is not None}, operator=True)
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR"), body
    assert any(d["field"].startswith(field) for d in body["error"]["details"]), body


def test_a_voucher_reward_must_name_an_existing_template(api):
    status, body = create(api, kind="threshold", ratio_bp=None, threshold={"min_paid": 100},
                          reward={"voucher_template_id": "01J00000000000000000000000"})
    assert (status, body["error"]["details"][0]["field"]) == (400, "reward.voucher_template_id")
    template = api.published_template()
    status, rule = create(api, kind="threshold", ratio_bp=None, threshold={"min_paid": 100},
                          reward={"voucher_template_id": template["id"]})
    assert status == 201, rule
    assert rule["reward"] == {"voucher_template_id": template["id"]}


def test_a_voucher_rule_takes_no_caps(api):
    template = api.published_template()
    status, body = create(api, kind="threshold", ratio_bp=None, threshold={"min_paid": 100},
                          reward={"voucher_template_id": template["id"]}, caps={"budget": 5})
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert "takes no caps" in body["error"]["details"][0]["message"]


def test_publish_pause_end_follow_the_state_machine(api):
    _, rule = create(api)
    path = f"{RULES}/{rule['id']}"
    assert api.post(f"{path}/pause", operator=True)[1]["error"]["code"] == "INVALID_STATE"
    assert api.post(f"{path}/publish", operator=True)[1]["status"] == "published"
    assert api.post(f"{path}/pause", operator=True)[1]["status"] == "paused"
    assert api.post(f"{path}/publish", operator=True)[1]["status"] == "published"
    assert api.post(f"{path}/end", operator=True)[1]["status"] == "ended"
    status, body = api.post(f"{path}/publish", operator=True)
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")


def test_unknown_rule_is_404(api):
    assert api.get(f"{RULES}/01J00000000000000000000000", operator=True)[0] == 404
    assert api.post(f"{RULES}/01J00000000000000000000000/publish", operator=True)[0] == 404


def test_rules_are_listed_newest_first_and_by_status(api):
    ids = [create(api, name=f"rule {i}")[1]["id"] for i in range(3)]
    api.post(f"{RULES}/{ids[1]}/publish", operator=True)
    _, page = api.get(f"{RULES}?limit=2", operator=True)
    assert [r["id"] for r in page["items"]] == [ids[2], ids[1]]
    _, rest = api.get(f"{RULES}?limit=2&cursor={page['next_cursor']}", operator=True)
    assert ([r["id"] for r in rest["items"]], rest["next_cursor"]) == ([ids[0]], None)
    _, published = api.get(f"{RULES}?status=published", operator=True)
    assert [r["id"] for r in published["items"]] == [ids[1]]


def test_shoppers_cannot_manage_rules(api):
    assert api.post(RULES, rule_body())[0] == 403
    assert api.get(RULES)[0] == 403


def test_an_idempotency_key_creates_one_rule(api):
    headers = {"Idempotency-Key": "rule-1"}
    first = api.post(RULES, rule_body(), operator=True, headers=headers)
    again = api.post(RULES, rule_body(), operator=True, headers=headers)
    assert first == again
    assert len(api.get(RULES, operator=True)[1]["items"]) == 1


def test_a_rule_reports_the_payments_it_rebated_their_cost_and_the_sales_they_drove(api):
    _, rule = create(api, ratio_bp=500)
    api.post(f"{RULES}/{rule['id']}/publish", operator=True)
    settlement.process(payment_event("pay_1", 10000), NOW)
    settlement.process(payment_event("pay_2", 6000, user="bob"), NOW)
    settlement.process(refund_event("r1", "pay_2", amount=2000), NOW)
    figures = ("rebated_payments", "rebate_cost", "sales_driven")
    expected = (2, 500 + 300 - 100, 10000 + 6000 - 2000)
    status, one = api.get(f"{RULES}/{rule['id']}", operator=True)
    assert status == 200
    assert tuple(one[f] for f in figures) == expected
    _, page = api.get(RULES, operator=True)
    assert [tuple(r[f] for f in figures) for r in page["items"]] == [expected]
    _, paused = api.post(f"{RULES}/{rule['id']}/pause", operator=True)
    assert tuple(paused[f] for f in figures) == expected


def test_the_openapi_document_describes_the_rule_totals(api):
    _, document = api.get("/openapi.json", user=None)
    schema = document["paths"][RULES + "/{rule_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    properties = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]["properties"]
    for name in ("rebated_payments", "rebate_cost", "sales_driven", "budget_used"):
        assert properties[name]["type"] == "integer", name
    assert "refunded" in properties["sales_driven"]["description"]
