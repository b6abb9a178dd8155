"""Editing and deleting a draft (the console's daily tools, issue 19): a draft that has issued
nothing (no grant, no code batch) may be replaced or deleted, audited; anything else is 409 and
changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import template_body

MARKETING = ("marketing",)


def _draft(api, **overrides: Any) -> dict[str, Any]:
    status, created = api.post("/admin/templates", template_body(**overrides), user="mia", roles=MARKETING)
    assert status == 201, created
    return created


def _put(api, template_id: str, body: dict[str, Any], roles: tuple[str, ...] = MARKETING) -> tuple[int, Any]:
    return api.call("PUT", f"/admin/templates/{template_id}", body, user="mia", roles=roles)


def _delete(api, template_id: str, roles: tuple[str, ...] = MARKETING) -> tuple[int, Any]:
    return api.call("DELETE", f"/admin/templates/{template_id}", user="mia", roles=roles)


def _get(api, template_id: str) -> tuple[int, Any]:
    return api.get(f"/admin/templates/{template_id}", user="mia", roles=MARKETING)


def test_a_draft_is_replaced_whole_keeping_its_id_and_creation_time(api):
    draft = _draft(api, name="old", value=500)

    status, edited = _put(api, draft["id"], template_body(name="new", value=800, total_stock=40))

    assert status == 200, edited
    assert (edited["id"], edited["created_at"], edited["status"]) == (draft["id"], draft["created_at"], "draft")
    assert (edited["name"], edited["value"], edited["total_stock"], edited["remaining"]) == ("new", 800, 40, 40)
    assert _get(api, draft["id"])[1] == edited


def test_a_sharded_draft_can_change_its_shard_count_and_then_sell_exactly_its_stock(api):
    draft = _draft(api, total_stock=30, stock_shards=10)
    status, edited = _put(api, draft["id"], template_body(total_stock=5, stock_shards=2))
    assert (status, edited["stock_shards"]) == (200, 2), edited
    assert api.post(f"/admin/templates/{draft['id']}/publish", operator=True)[0] == 200

    claims = [api.post(f"/templates/{draft['id']}/claim", user=f"s{i}")[0] for i in range(8)]

    assert claims.count(201) == 5 and claims.count(409) == 3
    assert _get(api, draft["id"])[1]["remaining"] == 0


def test_a_draft_is_deleted_with_its_shards(api):
    draft = _draft(api, total_stock=10, stock_shards=3)

    assert _delete(api, draft["id"]) == (204, None)

    assert _get(api, draft["id"])[0] == 404
    assert _delete(api, draft["id"])[0] == 404
    assert _put(api, draft["id"], template_body())[0] == 404


def _published(api, draft):
    assert api.post(f"/admin/templates/{draft['id']}/publish", operator=True)[0] == 200


def _granted(api, draft):
    status, report = api.post(f"/admin/templates/{draft['id']}/grant", {"user_ids": ["g1"]}, operator=True)
    assert (status, report["granted"]) == (200, 1), report


def _minted(api, draft):
    assert api.post(f"/admin/templates/{draft['id']}/codes", {"count": 2}, operator=True)[0] == 201


@pytest.mark.parametrize("made", [_published, _granted, _minted], ids=["published", "granted", "minted"])
@pytest.mark.parametrize("shards", [1, 4])
def test_a_template_that_left_draft_or_issued_something_is_409_and_unchanged(api, made, shards):
    draft = _draft(api, total_stock=20, stock_shards=shards)
    made(api, draft)
    before = _get(api, draft["id"])[1]

    for status, body in (_put(api, draft["id"], template_body(name="changed")), _delete(api, draft["id"])):
        assert (status, body["error"]["code"]) == (409, "INVALID_STATE"), body
        assert "duplicate" in body["error"]["message"]
    assert _get(api, draft["id"])[1] == before
    status, audit = api.get(f"/admin/audit?target_type=template&target_id={draft['id']}", user="ada",
                            roles=("auditor",))
    assert status == 200 and {e["action"] for e in audit["items"]} <= {"create", "publish", "grant", "mint_codes"}


def test_a_bad_body_is_400_and_changes_nothing(api):
    draft = _draft(api)
    status, body = _put(api, draft["id"], template_body(total_stock=0))
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert _get(api, draft["id"])[1] == draft


@pytest.mark.parametrize("roles, allowed", [(("finance",), False), (("auditor",), False), (("operator",), True)])
def test_only_marketing_and_the_operator_edit_or_delete(api, roles, allowed):
    draft = _draft(api)
    assert (_put(api, draft["id"], template_body(name="x"), roles=roles)[0] == 200) is allowed
    assert (_delete(api, draft["id"], roles=roles)[0] == 204) is allowed


def test_the_list_finds_templates_by_part_of_their_name_within_a_status(api):
    wanted = _draft(api, name="双十一 满100减20")
    _draft(api, name="双十二 9折")
    other = _draft(api, name="双十一 新人券")
    _published(api, other)

    status, page = api.get("/admin/templates?q=%E5%8F%8C%E5%8D%81%E4%B8%80&status=draft&limit=100", user="mia",
                           roles=MARKETING)  # q=双十一

    assert status == 200, page
    assert [t["id"] for t in page["items"]] == [wanted["id"]]
    assert api.get("/admin/templates?q=", user="mia", roles=MARKETING)[0] == 400


@pytest.mark.parametrize("shards", [1, 3])
def test_a_grant_that_read_a_draft_before_its_edit_issues_the_new_terms(api, shards):
    """The race the race tests provoke, made deterministic: the grant read the draft, the draft
    was edited, then the grant writes: it must not issue the old terms (it reads again)."""
    from datetime import datetime, timezone

    from chalicelib.coupons import issuing, templates_store

    draft = _draft(api, value=500, total_stock=20, stock_shards=shards)
    stale = templates_store.get_template(draft["id"], consistent=True)
    assert _put(api, draft["id"], template_body(value=999, total_stock=20, stock_shards=shards))[0] == 200

    coupon, used = issuing._grant_current(stale, "late-grant", datetime.now(timezone.utc), "ref-late")

    assert (coupon.value, used.value) == (999, 999)
    assert _put(api, draft["id"], template_body(name="again"))[0] == 409  # it has issued now
