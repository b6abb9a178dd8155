"""Shoppers racing for one code, over real HTTP, against the serialized moto server and DynamoDB Local."""

from __future__ import annotations

from collections import Counter

import requests

from tests.helpers import fire, headers_for
from tests.race_helpers import counters, published, wallet_size


def test_20_users_claiming_one_code_get_exactly_one_coupon(race_api):
    template_id = published(race_api, total_stock=100)
    ops = headers_for("ops", operator=True)
    requests.post(f"{race_api}/admin/templates/{template_id}/codes", json={"count": 1}, headers=ops)
    code = requests.get(f"{race_api}/admin/templates/{template_id}/codes", headers=ops).json()["items"][0]["code"]
    results = fire([("POST", f"{race_api}/codes/{code}/claim", headers_for(f"user{i}"), None) for i in range(20)])
    assert Counter(status for status, _ in results)[201] == 1, results
    assert Counter(body["error"]["code"] for status, body in results if status != 201) == Counter({"NOT_CLAIMABLE": 19})
    assert counters(race_api, template_id) == (1, 99)
    assert sum(wallet_size(race_api, f"user{i}") for i in range(20)) == 1
