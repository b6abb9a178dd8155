"""Flash sales on sharded stock (beyond the races of tests/races/test_stock_and_limit_races.py, which run on one
stock counter and on shards), raced over real HTTP into chalice's threaded local server, whose
DynamoDB is the serialized moto server or Amazon's DynamoDB Local (each test runs on both). Every
count is decided by DynamoDB conditions; the reads only choose which shard to try."""

from __future__ import annotations

from collections import Counter

from chalicelib import dynamo
from chalicelib.coupons import keys, rules
from tests.helpers import fire, headers_for
from tests.race_helpers import counters, hourly_total, published


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
