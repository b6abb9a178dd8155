"""Operators mint codes and export them; shoppers claim through a code (chalice.test.Client, moto)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from chalicelib.coupons import codes, issuing, minting
from chalicelib.coupons.codes_cli import main as codes_cli
from chalicelib.coupons.models import CodeCsvQuery, CodeListQuery
from tests.checkout_helpers import NOW, create_template


def mint(api, template_id, count, **extra):
    return api.post(f"/admin/templates/{template_id}/codes", {"count": count, **extra}, operator=True)


def all_codes(api, template_id, batch=None):
    found, cursor = [], None
    while True:
        query = f"limit=100{'&cursor=' + cursor if cursor else ''}{'&batch=' + batch if batch else ''}"
        status, page = api.get(f"/admin/templates/{template_id}/codes?{query}", operator=True)
        assert status == 200, page
        found += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def claim_code(api, code, user="alice", **kw):
    return api.post(f"/codes/{code}/claim", user=user, **kw)


def test_mint_creates_unique_codes_without_look_alike_characters(api):
    template = api.published_template(total_stock=500)
    status, batch = mint(api, template["id"], 120, prefix="SPRING")  # two transactions: 99 + 21
    assert status == 201, batch
    assert (batch["template_id"], batch["count"], batch["minted"], batch["prefix"]) == (template["id"], 120, 120, "SPRING")
    listed = all_codes(api, template["id"])
    texts = [c["code"] for c in listed]
    assert len(texts) == len(set(texts)) == 120
    assert all(re.fullmatch(r"SPRING-[2-9A-HJKMNP-TW-Z]{12}", t) for t in texts)
    assert not any(ch in t.split("-")[1] for t in texts for ch in "01ILOUV")
    assert {(c["status"], c["batch_id"]) for c in listed} == {("new", batch["id"])}


def test_codes_are_listed_per_batch(api):
    template = api.published_template()
    _, first = mint(api, template["id"], 3)
    mint(api, template["id"], 2)
    assert {c["batch_id"] for c in all_codes(api, template["id"], batch=first["id"])} == {first["id"]}
    assert len(all_codes(api, template["id"])) == 5


def test_csv_export_is_text_csv_with_a_header_and_pages(api):
    template = api.published_template()
    mint(api, template["id"], 5)
    response = api.client.http.get(f"/admin/templates/{template['id']}/codes.csv?limit=3",
                                   headers={"Authorization": api_token()})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.body.decode())))
    assert rows[0] == list(codes.CSV_COLUMNS)
    assert len(rows) == 4
    cursor = response.headers["X-Next-Cursor"]
    rest = api.client.http.get(f"/admin/templates/{template['id']}/codes.csv?limit=3&cursor={cursor}",
                               headers={"Authorization": api_token()})
    assert len(list(csv.reader(io.StringIO(rest.body.decode())))) == 3
    assert "X-Next-Cursor" not in rest.headers


def api_token():
    from tests.helpers import headers_for

    return headers_for("ops", operator=True)["Authorization"]


def test_csv_cells_that_look_like_formulas_are_defused():
    class Row:
        code, status, batch_id, created_at, coupon_id, claimed_at = "ABC", "claimed", "B", None, None, None
        claimed_by = "=HYPERLINK(1)"

    assert codes.to_csv([Row()]).splitlines()[1] == "ABC,claimed,B,,'=HYPERLINK(1),,"


def test_a_code_claims_one_coupon_once(api):
    template = api.published_template()
    mint(api, template["id"], 1)
    code = all_codes(api, template["id"])[0]["code"]
    status, coupon = claim_code(api, code.lower())
    assert status == 201, coupon
    assert (coupon["template_id"], coupon["status"]) == (template["id"], "unused")
    status, body = claim_code(api, code, user="bob")
    assert (status, body["error"]["code"]) == (409, "NOT_CLAIMABLE")
    listed = all_codes(api, template["id"])[0]
    assert (listed["status"], listed["claimed_by"], listed["coupon_id"]) == ("claimed", "alice", coupon["id"])


def test_a_code_claim_respects_the_per_user_limit_and_leaves_the_code_new(api):
    template = api.published_template(per_user_limit=1)
    mint(api, template["id"], 2)
    first, second = [c["code"] for c in all_codes(api, template["id"])]
    assert claim_code(api, first)[0] == 201
    status, body = claim_code(api, second)
    assert (status, body["error"]["code"]) == (409, "LIMIT_REACHED")
    assert claim_code(api, second, user="bob")[0] == 201


def test_a_code_claim_respects_stock(api):
    template = api.published_template(total_stock=1)
    mint(api, template["id"], 2)
    first, second = [c["code"] for c in all_codes(api, template["id"])]
    claim_code(api, first)
    status, body = claim_code(api, second, user="bob")
    assert (status, body["error"]["code"]) == (409, "SOLD_OUT")


def test_an_unknown_code_and_a_malformed_one_are_both_not_found(api):
    assert claim_code(api, "ABCDEFGHJKMN")[0] == 404
    status, body = claim_code(api, "0O1IL")
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")


def test_a_code_only_template_is_neither_listed_nor_claimed_freely(api):
    template = api.published_template(claim_channel="code")
    assert template["id"] not in [t["id"] for t in api.get("/templates")[1]["items"]]
    status, body = api.post(f"/templates/{template['id']}/claim")
    assert (status, body["error"]["code"]) == (409, "NOT_CLAIMABLE")
    mint(api, template["id"], 1)
    assert claim_code(api, all_codes(api, template["id"])[0]["code"])[0] == 201


def test_a_grant_only_template_cannot_be_claimed_with_a_code(api):
    template = api.published_template(claim_channel="grant")
    mint(api, template["id"], 1)
    status, body = claim_code(api, all_codes(api, template["id"])[0]["code"])
    assert (status, body["error"]["code"]) == (409, "NOT_CLAIMABLE")


def test_a_code_claim_with_an_idempotency_key_replays(api):
    template = api.published_template()
    mint(api, template["id"], 1)
    code = all_codes(api, template["id"])[0]["code"]
    first = claim_code(api, code, headers={"Idempotency-Key": "c-1"})
    assert claim_code(api, code, headers={"Idempotency-Key": "c-1"}) == first
    assert first[0] == 201


def test_mint_with_an_idempotency_key_mints_once(api):
    template = api.published_template()
    headers = {"Idempotency-Key": "mint-1"}
    first = api.post(f"/admin/templates/{template['id']}/codes", {"count": 4}, operator=True, headers=headers)
    again = api.post(f"/admin/templates/{template['id']}/codes", {"count": 4}, operator=True, headers=headers)
    assert first == again and first[0] == 201
    assert len(all_codes(api, template["id"])) == 4


def test_mint_for_an_ended_template_is_refused(api):
    template = api.published_template()
    api.post(f"/admin/templates/{template['id']}/end", operator=True)
    status, body = mint(api, template["id"], 1)
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")


def test_mint_for_an_unknown_template_is_not_found(api):
    assert mint(api, "01ARZ3NDEKTSV4RRFFQ69G5FAV", 1)[0] == 404


def test_mint_and_export_need_the_operator_role(api):
    template = api.published_template()
    assert api.post(f"/admin/templates/{template['id']}/codes", {"count": 1})[0] == 403
    assert api.get(f"/admin/templates/{template['id']}/codes.csv")[0] == 403


@pytest.mark.parametrize("body, field", [
    ({}, "count"),
    ({"count": 0}, "count"),
    ({"count": 5001}, "count"),
    ({"count": 1.0}, "count"),
    ({"count": 1, "prefix": "spring"}, "prefix"),
    ({"count": 1, "prefix": "TOO-LONG"}, "prefix"),
    ({"count": 1, "prefix": "A" * 17}, "prefix"),
    ({"count": 1, "size": 3}, "size"),
])
def test_mint_rejects_bad_input(api, body, field):
    template = api.published_template()
    status, answer = api.post(f"/admin/templates/{template['id']}/codes", body, operator=True)
    assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert field in [d["field"] for d in answer["error"]["details"]]


# --- minting against DynamoDB's conditions (service, moto) ------------------------------------------

def test_a_drawn_code_that_exists_is_drawn_again_and_never_overwritten(aws, monkeypatch):
    template = create_template()
    existing = minting.mint_codes(template.id, 1, None, NOW)
    taken = minting.list_codes(template.id, CodeListQuery()).items[0]
    issuing.claim_code(taken.code, "alice", NOW, None)
    draws = iter([taken.code, "ABCDEFGHJKMN", "BCDEFGHJKMNP"])
    monkeypatch.setattr(codes, "draw", lambda prefix=None: next(draws))
    batch = minting.mint_codes(template.id, 2, None, NOW)
    listed = {c.code: c for c in minting.list_codes(template.id, CodeListQuery()).items}
    assert batch.minted == 2
    assert set(listed) == {taken.code, "ABCDEFGHJKMN", "BCDEFGHJKMNP"}
    assert (listed[taken.code].status, listed[taken.code].batch_id) == ("claimed", existing.id)


def test_a_stopped_mint_resumes_its_batch_and_never_mints_more_than_its_count(aws):
    from chalicelib.coupons import minting_store
    from chalicelib.coupons.models import CodeBatch

    template = create_template()
    batch = minting_store.start_batch(CodeBatch(id="01ARZ3NDEKTSV4RRFFQ69G5FAV", template_id=template.id, count=150,
                                             minted=0, created_at=NOW), NOW)
    minting_store.add_codes(batch, [codes.draw() for _ in range(99)], 0, NOW)  # then the run stopped
    resumed = minting.mint_codes(template.id, 150, None, NOW, batch_id=batch.id)
    assert resumed.minted == 150
    assert minting.mint_codes(template.id, 150, None, NOW, batch_id=batch.id).minted == 150
    assert len(minting.list_codes(template.id, CodeCsvQuery(limit=1000)).items) == 150


def test_a_second_writer_that_saw_an_old_count_is_turned_away(aws):
    from chalicelib.coupons import minting_store
    from chalicelib.coupons.models import CodeBatch

    template = create_template()
    batch = minting_store.start_batch(CodeBatch(id="01ARZ3NDEKTSV4RRFFQ69G5FAV", template_id=template.id, count=10,
                                             minted=0, created_at=NOW), NOW)
    minting_store.add_codes(batch, [codes.draw() for _ in range(5)], 0, NOW)
    with pytest.raises(minting_store.BatchMoved) as moved:
        minting_store.add_codes(batch, [codes.draw() for _ in range(5)], 0, NOW)
    assert moved.value.minted == 5


def test_the_cli_mints_with_a_progress_bar_and_writes_the_csv(aws, tmp_path):
    template = create_template()
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "codes.csv"
    assert codes_cli(["mint", template.id, "--count", "120", "--prefix", "vip", "--csv", str(target)], out, err) == 0
    rows = list(csv.reader(target.open(encoding="utf-8")))
    assert rows[0] == list(codes.CSV_COLUMNS) and len(rows) == 121
    assert all(r[0].startswith("VIP-") for r in rows[1:])
    assert "120/120 100%" in err.getvalue()
    assert "120 codes minted" in out.getvalue()


def test_the_cli_exports_every_code_of_a_template(aws, tmp_path):
    template = create_template()
    minting.mint_codes(template.id, 30, None, NOW)
    target = tmp_path / "all.csv"
    out = io.StringIO()
    assert codes_cli(["export", template.id, "--csv", str(target)], out, io.StringIO()) == 0
    assert len(target.read_text(encoding="utf-8").splitlines()) == 31
    assert "exported 30 codes" in out.getvalue()


def test_the_cli_reports_an_unknown_template(aws):
    err = io.StringIO()
    assert codes_cli(["mint", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "--count", "5"], io.StringIO(), err) == 1
    assert "No template" in err.getvalue()
