"""Operators grant coupons to listed users (chalice.test.Client, moto)."""

from __future__ import annotations

import pytest


def grant(api, template_id, user_ids, **kw):
    return api.post(f"/admin/templates/{template_id}/grant", {"user_ids": user_ids}, operator=True, **kw)


def wallet(api, user):
    return api.get("/me/coupons", user=user)[1]["items"]


def test_grant_issues_to_each_user_and_reports_per_user(api):
    template = api.published_template(total_stock=5)
    status, report = grant(api, template["id"], ["alice", "bob"])
    assert status == 200, report
    assert (report["template_id"], report["granted"]) == (template["id"], 2)
    assert [(r["user_id"], r["status"]) for r in report["results"]] == [("alice", "granted"), ("bob", "granted")]
    assert [c["id"] for c in wallet(api, "bob")] == [report["results"][1]["coupon_id"]]


def test_grant_reports_who_was_refused_and_why(api):
    template = api.published_template(total_stock=2, per_user_limit=1)
    api.post(f"/templates/{template['id']}/claim", user="alice")
    status, report = grant(api, template["id"], ["alice", "bob", "carol"])
    assert status == 200
    assert [(r["user_id"], r["status"], r["coupon_id"] is not None) for r in report["results"]] == [
        ("alice", "LIMIT_REACHED", False), ("bob", "granted", True), ("carol", "SOLD_OUT", False)]
    assert api.get(f"/admin/templates/{template['id']}", operator=True)[1]["claimed"] == 2


def test_grant_to_an_ended_template_refuses_every_user(api):
    template = api.published_template()
    api.post(f"/admin/templates/{template['id']}/end", operator=True)
    _, report = grant(api, template["id"], ["alice"])
    assert report["results"] == [{"user_id": "alice", "status": "NOT_CLAIMABLE", "coupon_id": None}]


def test_a_grant_retried_with_its_idempotency_key_grants_nothing_more(api):
    template = api.published_template(total_stock=10)
    first = grant(api, template["id"], ["alice", "bob"], headers={"Idempotency-Key": "g-1"})
    again = grant(api, template["id"], ["alice", "bob"], headers={"Idempotency-Key": "g-1"})
    assert again == first
    assert api.get(f"/admin/templates/{template['id']}", operator=True)[1]["claimed"] == 2


def test_a_grant_without_a_key_grants_again(api):
    template = api.published_template(per_user_limit=2)
    grant(api, template["id"], ["alice"])
    grant(api, template["id"], ["alice"])
    assert len(wallet(api, "alice")) == 2


def test_grant_to_an_unknown_template_is_not_found(api):
    status, body = grant(api, "01ARZ3NDEKTSV4RRFFQ69G5FAV", ["alice"])
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")


def test_grant_needs_the_operator_role(api):
    template = api.published_template()
    status, body = api.post(f"/admin/templates/{template['id']}/grant", {"user_ids": ["alice"]})
    assert (status, body["error"]["code"]) == (403, "FORBIDDEN")


@pytest.mark.parametrize("user_ids, field", [
    ([], "user_ids"),
    ([f"u{i}" for i in range(1001)], "user_ids"),
    (["alice", "alice"], "body"),
    (["bad id"], "user_ids.0"),
    (["x" * 129], "user_ids.0"),
    ([7], "user_ids.0"),
    ("alice", "user_ids"),
])
def test_grant_rejects_bad_user_lists(api, user_ids, field):
    template = api.published_template()
    status, body = api.post(f"/admin/templates/{template['id']}/grant", {"user_ids": user_ids}, operator=True)
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert field in [d["field"] for d in body["error"]["details"]]
    assert api.get(f"/admin/templates/{template['id']}", operator=True)[1]["claimed"] == 0
