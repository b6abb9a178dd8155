"""Orders racing for one coupon, over real HTTP, against the serialized moto server and DynamoDB Local."""

from __future__ import annotations

from collections import Counter

import requests

from tests.checkout_helpers import item
from tests.helpers import fire, headers_for
from tests.race_helpers import published


def test_20_orders_locking_one_coupon_give_exactly_one_lock(race_api):
    template_id = published(race_api, min_spend=0)
    coupon = requests.post(f"{race_api}/templates/{template_id}/claim", headers=headers_for("alice")).json()
    url = f"{race_api}/me/coupons/{coupon['id']}/lock"
    results = fire([("POST", url, headers_for("alice"), {"order_id": f"order-{i}", "items": [item(10_000)]})
                    for i in range(20)])
    winners = [body["order_id"] for status, body in results if status == 200]
    assert len(winners) == 1, results
    assert Counter(body["error"]["code"] for status, body in results if status != 200) == Counter({"ALREADY_LOCKED": 19})
    stored = requests.get(f"{race_api}/me/coupons/{coupon['id']}", headers=headers_for("alice")).json()
    assert (stored["status"], stored["order_id"]) == ("locked", winners[0])
