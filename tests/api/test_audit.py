"""The audit trail (API.md, "Compliance and operations"): every change made under /admin writes
one entry in its own transaction, with the actor and the state before and after; a refused change
writes none; entries are listed by target, by actor and by time, newest first, in signed pages."""

from __future__ import annotations

from itertools import count
from typing import Any, Callable

import pytest

from chalicelib import access
from chalicelib.rebates import settlement
from tests.helpers import template_body
from tests.payment_helpers import NOW, live_rule, payment_event, rule_body

_payments = count()
MARKETING, FINANCE, OPERATOR = ("marketing",), ("finance",), ("operator",)


def entries(api, **query: str) -> list[dict[str, Any]]:
    status, body = api.get("/admin/audit?" + "&".join(f"{k}={v}" for k, v in query.items()), user="ada",
                           roles=("auditor",))
    assert status == 200, body
    return body["items"]


def _template(api, publish: bool = False) -> dict[str, Any]:
    status, created = api.post("/admin/templates", template_body(), user="setup", operator=True)
    assert status == 201, created
    if publish:
        assert api.post(f"/admin/templates/{created['id']}/publish", user="setup", operator=True)[0] == 200
    return created


def _rule(api, publish: bool = False) -> dict[str, Any]:
    status, created = api.post("/admin/rebate-rules", rule_body(), user="setup", operator=True)
    assert status == 201, created
    if publish:
        assert api.post(f"/admin/rebate-rules/{created['id']}/publish", user="setup", operator=True)[0] == 200
    return created


def _withdrawal(api) -> dict[str, Any]:
    live_rule(ratio_bp=10000)
    settlement.process(payment_event(f"fund-{next(_payments)}", 1000, user="wendy"), NOW)
    status, withdrawal = api.post("/me/withdrawals", {"amount": 600}, user="wendy")
    assert status == 201, withdrawal
    return withdrawal


# Each mutating admin route: how to make one change as some actor -> (actor, target_type,
# target_id, action, the `before` status, or None for an entry without `before`).
Scenario = Callable[[Any], tuple[str, str, str, str, str | None]]


def _create_template(api):
    status, made = api.post("/admin/templates", template_body(), user="mia", roles=MARKETING)
    assert status == 201, made
    return "mia", "template", made["id"], "create", None


def _template_status(action: str, before: str) -> Scenario:
    def run(api):
        template = _template(api, publish=before != "draft")
        if before == "paused":
            assert api.post(f"/admin/templates/{template['id']}/pause", user="setup", operator=True)[0] == 200
        status, body = api.post(f"/admin/templates/{template['id']}/{action}", user="mia", roles=MARKETING)
        assert status == 200, body
        return "mia", "template", template["id"], action, before
    return run


def _grant(api):
    template = _template(api, publish=True)
    status, body = api.post(f"/admin/templates/{template['id']}/grant", {"user_ids": ["u1", "u2"]}, user="mia",
                            roles=MARKETING)
    assert (status, body["granted"]) == (200, 2), body
    return "mia", "template", template["id"], "grant", None


def _mint(api):
    template = _template(api, publish=True)
    status, body = api.post(f"/admin/templates/{template['id']}/codes", {"count": 3}, user="mia", roles=MARKETING)
    assert status == 201, body
    return "mia", "template", template["id"], "mint_codes", None


def _create_rule(api):
    status, made = api.post("/admin/rebate-rules", rule_body(), user="mia", roles=MARKETING)
    assert status == 201, made
    return "mia", "rule", made["id"], "create", None


def _rule_status(action: str, before: str) -> Scenario:
    def run(api):
        rule = _rule(api, publish=before != "draft")
        if before == "paused":
            assert api.post(f"/admin/rebate-rules/{rule['id']}/pause", user="setup", operator=True)[0] == 200
        status, body = api.post(f"/admin/rebate-rules/{rule['id']}/{action}", user="mia", roles=MARKETING)
        assert status == 200, body
        return "mia", "rule", rule["id"], action, before
    return run


def _decide(action: str) -> Scenario:
    def run(api):
        withdrawal = _withdrawal(api)
        status, body = api.post(f"/admin/withdrawals/{withdrawal['id']}/{action}", user="fay", roles=FINANCE)
        assert status == 200, body
        return "fay", "withdrawal", withdrawal["id"], action, "pending"
    return run


def _payout(action: str, body: dict[str, str]) -> Scenario:
    def run(api):
        withdrawal = _withdrawal(api)
        assert api.post(f"/admin/withdrawals/{withdrawal['id']}/approve", user="setup", operator=True)[0] == 200
        status, moved = api.post(f"/admin/withdrawals/{withdrawal['id']}/{action}", body, user="fay", roles=FINANCE)
        assert status == 200, moved
        return "fay", "withdrawal", withdrawal["id"], action, "approved"
    return run


def _settings(api):
    status, body = api.call("PUT", "/admin/settings", {"withdrawal_min": 100}, user="olga", roles=OPERATOR)
    assert status == 200, body
    return "olga", "settings", "settings", "update", None


def _adjust(api):
    _withdrawal(api)  # wendy's account: 1000 earned, 600 frozen
    status, body = api.post("/admin/accounts/wendy/adjustments", {"asset": "balance", "amount": -40, "reason": "typo"},
                            user="fay", roles=FINANCE)
    assert status == 201, body
    return "fay", "account", "wendy", "adjust", "account"


def _erase(api):
    live_rule(ratio_bp=10000)
    settlement.process(payment_event(f"fund-{next(_payments)}", 1000, user="wendy"), NOW)
    status, withdrawal = api.post("/me/withdrawals", {"amount": 600, "payee": {
        "channel": "alipay", "account": "wendy@example.com", "name": "温迪"}}, user="wendy")
    assert status == 201, withdrawal
    for action, body in (("approve", None), ("paid", {"payout_ref": "BANK-0002"})):
        assert api.post(f"/admin/withdrawals/{withdrawal['id']}/{action}", body, user="fay", roles=FINANCE)[0] == 200
    assert api.post("/admin/accounts/wendy/adjustments", {"asset": "balance", "amount": -400, "reason": "closing"},
                    user="fay", roles=FINANCE)[0] == 201
    status, body = api.post("/admin/privacy/wendy/erase", user="olga", roles=OPERATOR)
    assert status == 200, body
    return "olga", "account", "wendy", "erase", None


def _revoke(api):
    template = _template(api, publish=True)
    status, coupon = api.post(f"/templates/{template['id']}/claim", user="wendy")
    assert status == 201, coupon
    status, body = api.post(f"/admin/coupons/wendy/{coupon['id']}/revoke", user="mia", roles=MARKETING)
    assert status == 200, body
    return "mia", "coupon", coupon["id"], "revoke", "unused"


def _add_stock(api):
    template = _template(api, publish=True)
    status, body = api.post(f"/admin/templates/{template['id']}/stock", {"add": 7}, user="mia", roles=MARKETING)
    assert status == 200, body
    return "mia", "template", template["id"], "add_stock", "stock"


def _edit_draft(api):
    template = _template(api)
    status, body = api.call("PUT", f"/admin/templates/{template['id']}", template_body(name="edited"), user="mia",
                            roles=MARKETING)
    assert status == 200, body
    return "mia", "template", template["id"], "update", "edit"


def _delete_draft(api):
    template = _template(api)
    status, body = api.call("DELETE", f"/admin/templates/{template['id']}", user="mia", roles=MARKETING)
    assert status == 204, body
    return "mia", "template", template["id"], "delete", "delete"


MUTATIONS: dict[tuple[str, str], Scenario] = {
    ("POST", "/admin/templates"): _create_template,
    ("POST", "/admin/templates/{template_id}/publish"): _template_status("publish", "draft"),
    ("POST", "/admin/templates/{template_id}/pause"): _template_status("pause", "published"),
    ("POST", "/admin/templates/{template_id}/end"): _template_status("end", "paused"),
    ("POST", "/admin/templates/{template_id}/grant"): _grant,
    ("POST", "/admin/templates/{template_id}/codes"): _mint,
    ("POST", "/admin/rebate-rules"): _create_rule,
    ("POST", "/admin/rebate-rules/{rule_id}/publish"): _rule_status("publish", "draft"),
    ("POST", "/admin/rebate-rules/{rule_id}/pause"): _rule_status("pause", "published"),
    ("POST", "/admin/rebate-rules/{rule_id}/end"): _rule_status("end", "published"),
    ("POST", "/admin/withdrawals/{withdrawal_id}/approve"): _decide("approve"),
    ("POST", "/admin/withdrawals/{withdrawal_id}/reject"): _decide("reject"),
    ("POST", "/admin/withdrawals/{withdrawal_id}/paid"): _payout("paid", {"payout_ref": "BANK-0001"}),
    ("POST", "/admin/withdrawals/{withdrawal_id}/failed"): _payout("failed", {"reason": "account closed"}),
    ("PUT", "/admin/settings"): _settings,
    ("POST", "/admin/accounts/{user_id}/adjustments"): _adjust,
    ("POST", "/admin/coupons/{user_id}/{coupon_id}/revoke"): _revoke,
    ("POST", "/admin/templates/{template_id}/stock"): _add_stock,
    ("PUT", "/admin/templates/{template_id}"): _edit_draft,
    ("DELETE", "/admin/templates/{template_id}"): _delete_draft,
    ("POST", "/admin/privacy/{user_id}/erase"): _erase,
}


def test_every_admin_route_that_changes_something_is_walked():
    """Every /admin route that changes something (access.changes) needs a scenario here, so a
    new one without an audit entry fails below."""
    assert set(MUTATIONS) == {route for route in access.ROUTES if access.changes(*route)}


@pytest.mark.parametrize("route", sorted(MUTATIONS), ids=lambda r: f"{r[0]} {r[1]}")
def test_each_change_under_admin_writes_one_entry_with_actor_before_and_after(api, route):
    actor, target_type, target_id, action, before_status = MUTATIONS[route](api)

    found = [e for e in entries(api, target_type=target_type, target_id=target_id) if e["actor"] == actor]

    assert len(found) == 1, found
    [entry] = found
    assert (entry["action"], entry["target_type"], entry["target_id"]) == (action, target_type, target_id)
    if before_status == "delete":  # nothing after a deletion
        assert (entry["before"]["status"], entry["after"]) == ("draft", None), entry
    else:
        assert entry["after"], entry
    if before_status == "delete":
        pass
    elif before_status == "edit":  # a draft stays a draft: its fields change
        assert (entry["before"]["name"], entry["after"]["name"], entry["after"]["status"]) != (None, None, None)
        assert entry["after"]["name"] == "edited" and entry["before"]["name"] != "edited", entry
    elif target_type == "settings":
        assert (entry["before"]["withdrawal_min"], entry["after"]["withdrawal_min"]) == (0, 100)
        assert entry["after"]["updated_by"] == actor
    elif before_status == "stock":  # the status stays: the stock grows
        assert entry["after"]["total_stock"] == entry["before"]["total_stock"] + 7, entry
    elif target_type == "account" and action == "adjust":  # an account has no status: its figures before and after
        assert (entry["before"]["balance"], entry["after"]["balance"]) == (400, 360), entry
    elif before_status is None:
        assert entry["before"] is None
    else:
        assert entry["before"]["status"] == before_status and entry["before"]["id"] == target_id
        assert entry["after"]["status"] != before_status
    assert entries(api, actor=actor)[0]["id"] == entry["id"]  # and by actor, newest first


def test_a_refused_change_writes_no_entry(api):
    template = _template(api)  # a draft: it cannot be paused or ended
    rule = _rule(api)
    ended = _template(api, publish=True)
    assert api.post(f"/admin/templates/{ended['id']}/end", user="setup", operator=True)[0] == 200
    before = entries(api)
    assert api.post(f"/admin/templates/{template['id']}/pause", user="mia", roles=MARKETING)[0] == 409
    assert api.post(f"/admin/rebate-rules/{rule['id']}/end", user="mia", roles=MARKETING)[0] == 409
    assert api.post(f"/admin/templates/{template['id']}/publish", user="fay", roles=FINANCE)[0] == 403
    assert api.call("PUT", "/admin/settings", {"withdrawal_min": 10, "withdrawal_daily_max": 5},
                    user="olga", roles=OPERATOR)[0] == 400
    withdrawal = _withdrawal(api)
    assert api.post(f"/admin/withdrawals/{withdrawal['id']}/approve", user="fay", roles=FINANCE)[0] == 200
    assert api.post(f"/admin/withdrawals/{withdrawal['id']}/reject", user="fay", roles=FINANCE)[0] == 409
    status, report = api.post(f"/admin/templates/{ended['id']}/grant", {"user_ids": ["u1"]}, user="mia",
                              roles=MARKETING)
    assert (status, report["granted"]) == (200, 0)  # an ended template grants nobody: nothing changed

    after = entries(api, limit="100")
    made_here = [(e["actor"], e["action"], e["target_id"]) for e in after if e not in before and e["actor"] != "setup"]
    assert [m for m in made_here if m[0] is not None] == [("fay", "approve", withdrawal["id"])]


def test_a_replayed_change_is_recorded_once(api):
    template = _template(api, publish=True)
    key = {"Idempotency-Key": "grant-once"}
    for _ in range(2):
        assert api.post(f"/admin/templates/{template['id']}/grant", {"user_ids": ["u1"]}, user="mia",
                        roles=MARKETING, headers=key)[0] == 200
    assert [e["action"] for e in entries(api, target_type="template", target_id=template["id"])].count("grant") == 1


def test_entries_are_listed_newest_first_by_time_in_signed_pages(api):
    made = [_template(api)["id"] for _ in range(5)]
    seen, cursor = [], None
    while True:
        query = "/admin/audit?limit=2" + (f"&cursor={cursor}" if cursor else "")
        status, page = api.get(query, user="ada", roles=("auditor",))
        assert status == 200, page
        seen += [e["target_id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made[::-1]
    bad = api.get("/admin/audit?actor=setup&limit=2", user="ada", roles=("auditor",))[1]["next_cursor"]
    status, body = api.get(f"/admin/audit?limit=2&cursor={bad}", user="ada", roles=("auditor",))
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")  # a cursor of another list


def test_entries_are_listed_by_actor_and_by_target_type(api):
    rule = _rule(api)
    _template(api)
    assert api.post(f"/admin/rebate-rules/{rule['id']}/publish", user="mia", roles=MARKETING)[0] == 200

    assert [(e["action"], e["target_type"]) for e in entries(api, actor="mia")] == [("publish", "rule")]
    assert [(e["action"], e["actor"]) for e in entries(api, target_type="rule")] == [
        ("publish", "mia"), ("create", "setup")]
    assert [e["action"] for e in entries(api, target_type="rule", target_id=rule["id"], actor="setup")] == ["create"]


def test_a_target_id_needs_its_type_and_nothing_changes_an_entry(api):
    status, body = api.get("/admin/audit?target_id=settings", user="ada", roles=("auditor",))
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")
    for method in ("PUT", "DELETE", "POST", "PATCH"):
        assert api.call(method, "/admin/audit", {}, user="olga", roles=OPERATOR)[0] in (403, 404, 405)
