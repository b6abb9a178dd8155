"""A 200-way flash sale over HTTP: zero oversell, and its throughput against bare
conditional writes on the same serialized moto server.

Ours: 200 shoppers POST a claim at once (chalice's threaded local server, the real
handler) for a stock of 50. Floor: 200 concurrent conditional UpdateItem decrements of a
stock of 50 straight to DynamoDB: the least work a flash sale can be.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench.common import bearer, local_aws

SHOPPERS, STOCK = 200, 50
ROUNDS = int(os.environ.get("BENCH_FLASH_ROUNDS", "3"))


def _all_at_once(calls, workers=64):
    go = threading.Event()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(lambda c=c: (go.wait(), c())[1]) for c in calls]
        started = time.perf_counter()
        go.set()
        results = [f.result() for f in futures]
    return results, time.perf_counter() - started


def run() -> dict[str, float]:
    import requests
    from requests.adapters import HTTPAdapter

    with local_aws() as moto:
        import boto3
        from botocore.config import Config
        from chalice.config import Config as ChaliceConfig
        from chalice.local import create_local_server

        from app import app
        from tests.helpers import template_body

        server = create_local_server(app, ChaliceConfig.create(chalice_stage="bench", app_name="mall"), "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = "http://%s:%d" % server.server.server_address[:2]
        http = requests.Session()
        http.mount("http://", HTTPAdapter(pool_maxsize=64))
        ddb = boto3.client("dynamodb", config=Config(max_pool_connections=64))
        table = os.environ["MALL_TABLE"]
        ours, floor, oversold = [], [], 0
        for round_no in range(ROUNDS):
            created = http.post(f"{base}/admin/templates", json=template_body(total_stock=STOCK),
                                headers=bearer("ops", True)).json()
            http.post(f"{base}/admin/templates/{created['id']}/publish", headers=bearer("ops", True))
            url = f"{base}/templates/{created['id']}/claim"
            calls = [lambda h=bearer(f"r{round_no}u{i}"): http.post(url, headers=h).status_code for i in range(SHOPPERS)]
            statuses, seconds = _all_at_once(calls)
            ours.append(SHOPPERS / seconds)
            claimed = http.get(f"{base}/admin/templates/{created['id']}", headers=bearer("ops", True)).json()["claimed"]
            oversold += max(statuses.count(201) - STOCK, 0) + max(claimed - STOCK, 0)

            key = {"PK": {"S": f"FLOOR#{round_no}"}, "SK": {"S": "S"}}
            ddb.put_item(TableName=table, Item={**key, "stock": {"N": str(STOCK)}})

            def decrement():
                try:
                    ddb.update_item(TableName=table, Key=key, UpdateExpression="SET stock = stock - :one",
                                    ConditionExpression="stock > :zero",
                                    ExpressionAttributeValues={":one": {"N": "1"}, ":zero": {"N": "0"}})
                    return True
                except ddb.exceptions.ConditionalCheckFailedException:
                    return False

            won, seconds = _all_at_once([decrement] * SHOPPERS)
            floor.append(SHOPPERS / seconds)
            oversold += max(sum(won) - STOCK, 0)
        server.shutdown()
        result = {"ours_rps": sorted(ours)[len(ours) // 2], "floor_rps": sorted(floor)[len(floor) // 2],
                  "oversold": oversold, "moto_peak_rss_mb": moto.peak_rss_mb()}
    result["ratio"] = result["ours_rps"] / result["floor_rps"]
    return result


def describe(r: dict[str, float]) -> str:
    return (f"200-way flash sale for 50: oversold {r['oversold']} in {ROUNDS} rounds; {r['ours_rps']:.0f} claims/s over "
            f"HTTP vs {r['floor_rps']:.0f} bare conditional writes/s = {r['ratio']:.2f} of the floor's throughput "
            f"(moto peak RSS {r['moto_peak_rss_mb']:.0f} MB)")


if __name__ == "__main__":
    print(describe(run()))
