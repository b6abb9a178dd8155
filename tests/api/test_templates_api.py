"""Operators manage coupon templates through /admin/templates (chalice.test.Client, moto)."""

from __future__ import annotations

import pytest

from tests.helpers import template_body


def test_create_returns_a_draft_with_counters(api):
    status, body = api.post("/admin/templates", template_body(total_stock=7), operator=True)
    assert status == 201
    assert body["status"] == "draft"
    assert (body["claimed"], body["redeemed"], body["remaining"]) == (0, 0, 7)
    assert body["validity"] == {"days_after_claim": 30}
    assert body["scope"] == {"all": True}
    assert body["claim_starts_at"].endswith("Z")


def test_get_returns_what_create_returned(api):
    _, created = api.post("/admin/templates", template_body(), operator=True)
    status, fetched = api.get(f"/admin/templates/{created['id']}", operator=True)
    assert status == 200
    assert fetched == created


def test_fixed_validity_round_trips_with_from_and_until(api):
    validity = {"fixed": {"from": "2030-01-01T00:00:00+08:00", "until": "2030-02-01T00:00:00Z"}}
    status, body = api.post("/admin/templates", template_body(validity=validity), operator=True)
    assert status == 201, body
    assert body["validity"]["fixed"] == {"from": "2029-12-31T16:00:00Z", "until": "2030-02-01T00:00:00Z"}


def test_list_is_newest_first_and_paginates(api):
    ids = [api.post("/admin/templates", template_body(name=f"t{i}"), operator=True)[1]["id"] for i in range(5)]
    status, first = api.get("/admin/templates?limit=2", operator=True)
    assert status == 200
    assert [t["id"] for t in first["items"]] == ids[::-1][:2]
    seen = [t["id"] for t in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        _, page = api.get(f"/admin/templates?limit=2&cursor={cursor}", operator=True)
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
    assert seen == ids[::-1]


def test_list_filters_by_status(api):
    draft = api.post("/admin/templates", template_body(), operator=True)[1]
    published = api.published_template()
    _, body = api.get("/admin/templates?status=published", operator=True)
    assert [t["id"] for t in body["items"]] == [published["id"]]
    _, body = api.get("/admin/templates?status=draft", operator=True)
    assert [t["id"] for t in body["items"]] == [draft["id"]]


@pytest.mark.parametrize("moves, final", [
    (["publish"], "published"),
    (["publish", "pause"], "paused"),
    (["publish", "pause", "publish"], "published"),
    (["publish", "end"], "ended"),
    (["publish", "pause", "end"], "ended"),
])
def test_state_machine_allowed_moves(api, moves, final):
    _, template = api.post("/admin/templates", template_body(), operator=True)
    for move in moves:
        status, template = api.post(f"/admin/templates/{template['id']}/{move}", operator=True)
        assert status == 200, template
    assert template["status"] == final


@pytest.mark.parametrize("moves, refused", [
    ([], "pause"),
    ([], "end"),
    (["publish"], "publish"),
    (["publish", "end"], "publish"),
    (["publish", "end"], "pause"),
    (["publish", "end"], "end"),
])
def test_state_machine_refuses_other_moves_and_changes_nothing(api, moves, refused):
    _, template = api.post("/admin/templates", template_body(), operator=True)
    for move in moves:
        api.post(f"/admin/templates/{template['id']}/{move}", operator=True)
    _, before = api.get(f"/admin/templates/{template['id']}", operator=True)
    status, body = api.post(f"/admin/templates/{template['id']}/{refused}", operator=True)
    assert status == 409
    assert body["error"]["code"] == "INVALID_STATE"
    _, after = api.get(f"/admin/templates/{template['id']}", operator=True)
    assert after == before


def test_unknown_template_is_404(api):
    missing = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    assert api.get(f"/admin/templates/{missing}", operator=True)[0] == 404
    status, body = api.post(f"/admin/templates/{missing}/publish", operator=True)
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"


def test_create_with_idempotency_key_creates_once(api):
    headers = {"Idempotency-Key": "create-1"}
    body = template_body()  # one body: its times are taken from the clock when it is built
    first = api.post("/admin/templates", body, operator=True, headers=headers)
    second = api.post("/admin/templates", body, operator=True, headers=headers)
    assert first == second
    _, listing = api.get("/admin/templates", operator=True)
    assert len(listing["items"]) == 1
