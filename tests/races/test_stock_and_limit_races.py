"""Claims racing for a template's stock (one counter or 8 shards), for one shopper's limit, and
with one idempotency key. Races over real connections: HTTP into chalice's threaded local server, whose DynamoDB is
the serialized moto server or Amazon's DynamoDB Local (each test runs on both). Every count
below is decided by DynamoDB conditions.
"""

from __future__ import annotations

from collections import Counter

import pytest

from chalicelib import dynamo
from chalicelib.coupons import keys, rules
from tests.helpers import fire, headers_for
from tests.race_helpers import counters, hourly_total, published, wallet_size


def shard_claims(template_id, shards):
    return [dynamo.get(keys.stock_shard(template_id, i), consistent=True)["claimed"] for i in range(shards)]


@pytest.mark.parametrize("shards", [1, 8])
def test_200_shoppers_racing_for_50_coupons_get_exactly_50(race_api, shards):
    """On one stock counter, or on the 8 shards of a flash sale."""
    template_id = published(race_api, total_stock=50, stock_shards=shards)
    url = f"{race_api}/templates/{template_id}/claim"
    results = fire([("POST", url, headers_for(f"user{i}"), None) for i in range(200)])
    statuses = Counter(status for status, _ in results)
    codes = Counter(body["error"]["code"] for status, body in results if status != 201)
    assert statuses[201] == 50, statuses
    assert codes == Counter({"SOLD_OUT": 150}), codes
    assert counters(race_api, template_id) == (50, 0)
    if shards > 1:
        assert shard_claims(template_id, shards) == rules.shard_allocations(50, shards)
    assert sum(wallet_size(race_api, f"user{i}") for i in range(200)) == 50
    assert hourly_total(race_api, template_id) == 50


@pytest.mark.parametrize("shards", [1, 8])
def test_one_shopper_racing_30_claims_with_limit_3_gets_exactly_3(race_api, shards):
    """However the stock is held (one counter, or shards of a flash sale), the per-user limit
    is one counter per user and holds."""
    template_id = published(race_api, total_stock=100, per_user_limit=3, stock_shards=shards)
    url = f"{race_api}/templates/{template_id}/claim"
    results = fire([("POST", url, headers_for("greedy"), None) for _ in range(30)])
    statuses = Counter(status for status, _ in results)
    assert statuses[201] == 3, statuses
    assert {body["error"]["code"] for status, body in results if status != 201} == {"LIMIT_REACHED"}
    assert counters(race_api, template_id) == (3, 97)
    assert wallet_size(race_api, "greedy") == 3


def test_concurrent_retries_with_one_idempotency_key_give_one_coupon(race_api):
    template_id = published(race_api, total_stock=100, per_user_limit=10)
    url = f"{race_api}/templates/{template_id}/claim"
    headers = headers_for("retrier", **{"Idempotency-Key": "order-42-claim"})
    results = fire([("POST", url, headers, None) for _ in range(20)])
    assert {status for status, _ in results} == {201}, results
    assert len({body["id"] for _, body in results}) == 1
    assert counters(race_api, template_id) == (1, 99)
    assert wallet_size(race_api, "retrier") == 1
