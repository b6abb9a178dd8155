"""Flash-sale templates whose stock is spread over shards: claims, code claims, grants, listings
and counters (chalice.test.Client, in-process moto). Races are in tests/races/test_claims_races.py."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from chalicelib import dynamo
from chalicelib.clock import utcnow
from chalicelib.coupons import keys, redemption
from tests.helpers import template_body


def claim(api, template_id, user="alice", **kw):
    return api.post(f"/templates/{template_id}/claim", user=user, **kw)


def counters(api, template_id):
    body = api.get(f"/admin/templates/{template_id}", operator=True)[1]
    return body["claimed"], body["remaining"]


def shard_items(template_id, shards):
    return [dynamo.get(keys.stock_shard(template_id, i), consistent=True) for i in range(shards)]


@contextmanager
def transactions():
    """Record the TransactWriteItems requests the app sends (a botocore event on its client)."""
    sent: list[list[dict]] = []

    def record(params, **_):
        sent.append(params["TransactItems"])

    events = dynamo.client().meta.events
    events.register("before-parameter-build.dynamodb.TransactWriteItems", record)
    try:
        yield sent
    finally:
        events.unregister("before-parameter-build.dynamodb.TransactWriteItems", record)


def written_keys(transaction):
    return [(next(iter(op.values()))["Key"] if "Update" in op else next(iter(op.values()))["Item"])["PK"]["S"]
            for op in transaction]


# --- creating -----------------------------------------------------------------------------------

def test_a_sharded_template_spreads_its_stock_over_its_own_partitions(api):
    status, created = api.post("/admin/templates", template_body(total_stock=50, stock_shards=8), operator=True)
    assert status == 201, created
    assert (created["stock_shards"], created["claimed"], created["remaining"]) == (8, 0, 50)
    shards = shard_items(created["id"], 8)
    assert [s["allocation"] for s in shards] == [7, 7, 6, 6, 6, 6, 6, 6]
    assert len({s["PK"] for s in shards} | {f"TPL#{created['id']}"}) == 9
    assert {(s["status"], s["claimed"]) for s in shards} == {("draft", 0)}


def test_a_template_has_one_shard_by_default_and_no_shard_items(api):
    status, created = api.post("/admin/templates", template_body(), operator=True)
    assert status == 201
    assert created["stock_shards"] == 1
    assert dynamo.get(keys.stock_shard(created["id"], 0), consistent=True) is None


@pytest.mark.parametrize("shards, stock", [(0, 10), (51, 100), (6, 5), ("4", 10)])
def test_shard_counts_out_of_range_are_refused(api, shards, stock):
    status, body = api.post("/admin/templates", template_body(total_stock=stock, stock_shards=shards), operator=True)
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR"), body


# --- claiming -----------------------------------------------------------------------------------

def test_every_unit_sells_down_to_the_last_shard_then_sold_out(api):
    """Given 8 shards of one unit each, when 8 shoppers claim one after another, then each gets a
    coupon (the last one finds a single shard with stock among seven empty ones), and the 9th is
    told SOLD_OUT."""
    template = api.published_template(total_stock=8, stock_shards=8)
    for i in range(8):
        status, body = claim(api, template["id"], user=f"u{i}")
        assert status == 201, (i, body)
    status, body = claim(api, template["id"], user="late")
    assert (status, body["error"]["code"]) == (409, "SOLD_OUT")
    assert counters(api, template["id"]) == (8, 0)
    assert [s["claimed"] for s in shard_items(template["id"], 8)] == [1] * 8


def test_a_sharded_claim_writes_four_items_and_never_the_template(api):
    template = api.published_template(total_stock=20, stock_shards=4)
    with transactions() as sent:
        assert claim(api, template["id"])[0] == 201
    (transaction,) = sent
    pks = written_keys(transaction)
    shard = pks[0].rsplit("#S", 1)[1]
    assert pks == [f"TPL#{template['id']}#S{shard}", "USER#alice", "USER#alice", f"STATS#{template['id']}#S{shard}"]
    assert dynamo.get(keys.template(template["id"]), consistent=True)["claimed"] == 0


def test_an_unsharded_claim_is_one_transaction_of_four_items(api):
    template = api.published_template()
    with transactions() as sent:
        assert claim(api, template["id"])[0] == 201
    (transaction,) = sent
    assert written_keys(transaction)[:3] == [f"TPL#{template['id']}", "USER#alice", "USER#alice"]
    assert written_keys(transaction)[3] == f"STATS#{template['id']}#S0"


def test_the_per_user_limit_holds_across_shards(api):
    template = api.published_template(total_stock=20, stock_shards=5, per_user_limit=2)
    assert [claim(api, template["id"])[0] for _ in range(2)] == [201, 201]
    status, body = claim(api, template["id"])
    assert (status, body["error"]["code"]) == (409, "LIMIT_REACHED")
    assert counters(api, template["id"]) == (2, 18)


@pytest.mark.parametrize("action", ["pause", "end"])
def test_pausing_or_ending_stops_claims_on_every_shard(api, action):
    template = api.published_template(total_stock=10, stock_shards=5)
    status, moved = api.post(f"/admin/templates/{template['id']}/{action}", operator=True)
    assert status == 200, moved
    assert {s["status"] for s in shard_items(template["id"], 5)} == {moved["status"]}
    status, body = claim(api, template["id"])
    assert (status, body["error"]["code"]) == (409, "NOT_CLAIMABLE")


def test_publishing_again_reopens_every_shard(api):
    template = api.published_template(total_stock=10, stock_shards=5)
    api.post(f"/admin/templates/{template['id']}/pause", operator=True)
    status, body = api.post(f"/admin/templates/{template['id']}/publish", operator=True)
    assert (status, body["status"]) == (200, "published")
    assert claim(api, template["id"])[0] == 201


def test_a_refused_move_of_a_sharded_template_changes_no_shard(api):
    _, draft = api.post("/admin/templates", template_body(stock_shards=3), operator=True)
    status, body = api.post(f"/admin/templates/{draft['id']}/pause", operator=True)
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert {s["status"] for s in shard_items(draft["id"], 3)} == {"draft"}


def test_a_retried_claim_with_one_key_takes_one_unit(api):
    template = api.published_template(total_stock=10, stock_shards=4, per_user_limit=5)
    first = claim(api, template["id"], headers={"Idempotency-Key": "flash-1"})
    again = claim(api, template["id"], headers={"Idempotency-Key": "flash-1"})
    assert first == again and first[0] == 201
    assert counters(api, template["id"]) == (1, 9)


# --- codes and grants ---------------------------------------------------------------------------

def test_code_claims_take_stock_from_the_shards(api):
    template = api.published_template(total_stock=2, stock_shards=2, claim_channel="code")
    api.post(f"/admin/templates/{template['id']}/codes", {"count": 3}, operator=True)
    codes = [c["code"] for c in api.get(f"/admin/templates/{template['id']}/codes", operator=True)[1]["items"]]
    results = [api.post(f"/codes/{code}/claim", user=f"u{i}") for i, code in enumerate(codes)]
    assert [status for status, _ in results] == [201, 201, 409]
    assert results[2][1]["error"]["code"] == "SOLD_OUT"
    left = [c for c in api.get(f"/admin/templates/{template['id']}/codes", operator=True)[1]["items"]
            if c["code"] == codes[2]]
    assert left[0]["status"] == "new"
    assert counters(api, template["id"]) == (2, 0)


def test_grants_take_stock_from_the_shards(api):
    template = api.published_template(total_stock=4, stock_shards=2)
    status, report = api.post(f"/admin/templates/{template['id']}/grant", {"user_ids": ["a", "b", "c", "d", "e"]},
                              operator=True)
    assert status == 200, report
    assert [r["status"] for r in report["results"]] == ["granted"] * 4 + ["SOLD_OUT"]
    assert counters(api, template["id"]) == (4, 0)


def test_a_grant_retried_after_the_shards_ran_out_returns_its_coupon(api):
    """Given a grant that took the last unit, when it is retried with its ref (every shard now
    empty, so no transaction is even tried), then it answers with the coupon it granted."""
    template = api.published_template(total_stock=2, stock_shards=2)  # its window is open now
    now = utcnow()
    first = redemption.grant_one(template["id"], "alice", now, "payment-1:rule-1")
    redemption.grant_one(template["id"], "bob", now, "payment-2:rule-1")
    assert redemption.grant_one(template["id"], "alice", now, "payment-1:rule-1").id == first.id
    assert counters(api, template["id"]) == (2, 0)


# --- listings -----------------------------------------------------------------------------------

def test_listings_count_sharded_stock_and_hide_a_sold_out_campaign(api):
    open_one = api.published_template(name="open", total_stock=6, stock_shards=3, per_user_limit=3)
    gone = api.published_template(name="gone", total_stock=2, stock_shards=2)
    claim(api, open_one["id"], user="bob")
    claim(api, gone["id"], user="bob")
    claim(api, gone["id"], user="carol")
    _, body = api.get("/templates")
    assert [(t["name"], t["remaining"]) for t in body["items"]] == [("open", 5)]
    _, admin = api.get("/admin/templates", operator=True)
    assert {t["name"]: (t["claimed"], t["remaining"]) for t in admin["items"]} == {"open": (1, 5), "gone": (2, 0)}


@contextmanager
def shard_reads():
    """Count the BatchGetItem requests the app sends (the shard counts a claim reads)."""
    sent: list[bool] = []

    def record(params, **_):
        sent.append(True)

    events = dynamo.client().meta.events
    events.register("before-parameter-build.dynamodb.BatchGetItem", record)
    try:
        yield sent
    finally:
        events.unregister("before-parameter-build.dynamodb.BatchGetItem", record)


def test_claims_within_a_second_read_the_shard_counts_once(api, monkeypatch):
    from chalicelib.coupons import issuing

    monkeypatch.setattr(issuing, "SHARD_COUNTS_SECONDS", 60.0)  # however slow this machine is
    template = api.published_template(total_stock=40, stock_shards=16, per_user_limit=10)
    with shard_reads() as reads:
        for i in range(5):
            assert claim(api, template["id"], user=f"u{i}")[0] == 201
    assert len(reads) == 1
    assert counters(api, template["id"]) == (5, 35)


def test_a_kept_count_that_missed_a_sell_out_costs_a_refused_write_never_an_oversell(api, monkeypatch):
    """Given this process's copy of the counts says every shard has stock, when other buyers
    (here: another process's writes) take every unit, then the next claim is refused SOLD_OUT
    after its writes are refused, and no shard sells past its allocation."""
    from chalicelib.coupons import issuing

    monkeypatch.setattr(issuing, "SHARD_COUNTS_SECONDS", 60.0)
    template = api.published_template(total_stock=4, stock_shards=4)
    assert claim(api, template["id"], user="first")[0] == 201  # the counts are kept: 3 shards show stock
    for shard in shard_items(template["id"], 4):
        dynamo.client().update_item(
            TableName=dynamo.table_name(), Key=dynamo.to_item(keys.stock_shard(template["id"], shard["shard"])),
            UpdateExpression="SET claimed = allocation")
    with shard_reads() as reads:
        status, body = claim(api, template["id"], user="late")
    assert (status, body["error"]["code"]) == (409, "SOLD_OUT")
    assert len(reads) == 1  # one consistent re-read after the first refused write
    assert [s["claimed"] for s in shard_items(template["id"], 4)] == [1, 1, 1, 1]
