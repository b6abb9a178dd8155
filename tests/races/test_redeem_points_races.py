"""Points for coupons under races (issue 17, item 2), over real HTTP into chalice's threaded local
server whose DynamoDB is the serialized moto server or DynamoDB Local (each test runs on both):
never oversold, and nobody loses points without a coupon (one transaction takes both)."""

from __future__ import annotations

from collections import Counter

from chalicelib.rebates import accounts_store
from tests.helpers import fire, headers_for
from tests.race_helpers import counters, published, wallet_size
from tests.reservation_helpers import fund, ledger_sums


def test_50_shoppers_racing_for_a_stock_of_10_never_oversell_nor_lose_points(race_api):
    template_id = published(race_api, total_stock=10, per_user_limit=1, points_price=300)
    shoppers = [f"fan{i}" for i in range(50)]
    for user in shoppers:
        fund(user, points=1000)
    url = f"{race_api}/templates/{template_id}/redeem-points"
    results = fire([("POST", url, headers_for(user), None) for user in shoppers])
    statuses = Counter(status for status, _ in results)
    assert statuses[201] == 10, statuses
    assert Counter(body["error"]["code"] for status, body in results if status != 201) == Counter({"SOLD_OUT": 40})
    assert counters(race_api, template_id) == (10, 0)
    for user, (status, _) in zip(shoppers, results):
        won = status == 201
        assert accounts_store.get_account(user)["points"] == (700 if won else 1000), user
        assert wallet_size(race_api, user) == (1 if won else 0), user
        assert ledger_sums(user)["points"] == (700 if won else 1000), user


def test_one_shopper_with_points_for_one_coupon_racing_ten_times_gets_one(race_api):
    template_id = published(race_api, total_stock=100, per_user_limit=10, points_price=300)
    fund("solo", points=500)
    url = f"{race_api}/templates/{template_id}/redeem-points"
    results = fire([("POST", url, headers_for("solo"), None) for _ in range(10)])
    statuses = Counter(status for status, _ in results)
    assert statuses[201] == 1, statuses
    assert Counter(body["error"]["code"] for status, body in results if status != 201) == Counter(
        {"INSUFFICIENT_POINTS": 9})
    assert accounts_store.get_account("solo")["points"] == 200  # taken once
    assert wallet_size(race_api, "solo") == 1
    assert counters(race_api, template_id) == (1, 99)
    assert ledger_sums("solo")["points"] == 200
