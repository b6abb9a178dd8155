"""Flash sales on sharded stock, raced over real HTTP into chalice's threaded local server, whose
DynamoDB is the serialized moto server or Amazon's DynamoDB Local (each test runs on both). Every
count is decided by DynamoDB conditions; the reads only choose which shard to try."""

from __future__ import annotations

from collections import Counter

import requests

from chalicelib import dynamo
from chalicelib.coupons import keys, rules
from tests.helpers import fire, headers_for
from tests.test_races import counters, published, wallet_size


def shard_claims(template_id, shards):
    return [dynamo.get(keys.stock_shard(template_id, i), consistent=True)["claimed"] for i in range(shards)]


def hourly_total(base, template_id):
    body = requests.get(f"{base}/admin/templates/{template_id}/stats", headers=headers_for("ops", operator=True)).json()
    return sum(hour["claimed"] for hour in body["hours"])


def test_200_shoppers_racing_for_50_coupons_on_8_shards_get_exactly_50(race_api):
    template_id = published(race_api, total_stock=50, stock_shards=8)
    url = f"{race_api}/templates/{template_id}/claim"
    results = fire([("POST", url, headers_for(f"user{i}"), None) for i in range(200)])
    statuses = Counter(status for status, _ in results)
    codes = Counter(body["error"]["code"] for status, body in results if status != 201)
    assert statuses[201] == 50, statuses
    assert codes == Counter({"SOLD_OUT": 150}), codes
    assert counters(race_api, template_id) == (50, 0)
    assert shard_claims(template_id, 8) == rules.shard_allocations(50, 8)
    assert sum(wallet_size(race_api, f"user{i}") for i in range(200)) == 50
    assert hourly_total(race_api, template_id) == 50


def test_the_last_shard_with_stock_sells_out_under_a_race(race_api):
    """Given 8 shards of which 7 are empty and one holds 6 units, when 30 shoppers race, then
    exactly 6 get a coupon (none is told SOLD_OUT while that shard has stock) and 24 SOLD_OUT."""
    template_id = published(race_api, total_stock=50, stock_shards=8)
    allocations = rules.shard_allocations(50, 8)
    last = 5
    for shard, allocation in enumerate(allocations):
        if shard != last:
            dynamo.update(keys.stock_shard(template_id, shard), "SET claimed = :full",
                          vals=dynamo.values(full=allocation))
    url = f"{race_api}/templates/{template_id}/claim"
    results = fire([("POST", url, headers_for(f"late{i}"), None) for i in range(30)])
    statuses = Counter(status for status, _ in results)
    assert statuses[201] == allocations[last] == 6, statuses
    assert Counter(body["error"]["code"] for status, body in results if status != 201) == Counter({"SOLD_OUT": 24})
    assert counters(race_api, template_id) == (50, 0)
    assert hourly_total(race_api, template_id) == 6
