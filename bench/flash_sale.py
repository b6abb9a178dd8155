"""A flash sale over HTTP, its stock on one item and then on shards: oversell, throughput, and
the writes each DynamoDB partition key takes.

Each round, SHOPPERS shoppers POST a claim at once (chalice's threaded local server, the real
handler, the serialized moto server) for STOCK coupons of one template, first with its stock
on the template item (stock_shards=1), then spread over SHARDS shards.

Heat: a botocore hook on the app's DynamoDB client counts every write request it sends
(UpdateItem, PutItem, DeleteItem, and each item of a TransactWriteItems, ConditionCheck
included: DynamoDB bills it as a write) against the partition key it lands on, in one-second
buckets, committed and refused apart. moto is far slower than DynamoDB, so absolute rates here
say little; what carries over is the busiest key's committed writes per coupon issued: on AWS,
at TARGET claims/s, that key takes heat x TARGET transactional writes/s, against the ~500/s one
item takes in transactions (1,000 write units/s per partition, 2 units per transactional write
of an item up to 1 KB). Refused writes come in one burst when the stock runs out (about one per
claim in flight then), on the template for stock_shards=1, on the last shards otherwise.

Every sale and every floor runs on freshly emptied tables (moto's transactions slow down as
the table grows, FACTS.md), so the two layouts are measured alike.

Floor: SHOPPERS concurrent conditional UpdateItem decrements of a stock of STOCK straight to
DynamoDB on the same server, the least work a flash sale can be; claims/s over HTTP are
reported as a share of it.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Iterator

from bench.common import bearer, dynamodb_hooks, local_aws, serve

SHOPPERS, STOCK = 300, 100
SHARDS = 16
TARGET = 5_000            # claims/s a campaign should take on AWS
ITEM_TX_WRITES = 500      # transactional writes/s one item takes: 1,000 WCU/s at 2 WCU each
ROUNDS = int(os.environ.get("BENCH_FLASH_ROUNDS", "3"))
_WRITES = {"UpdateItem": "Key", "PutItem": "Item", "DeleteItem": "Key"}


class KeyHeat:
    """Writes per partition key per second, counted as the client sends them: committed (the
    request succeeded) and refused (a failed condition cancelled it) apart."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.committed: dict[str, Counter] = defaultdict(Counter)
        self.refused: Counter = Counter()
        self._lock = threading.Lock()

    def before(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if model.name == "TransactWriteItems":
            ops = [next(iter(op.items())) for op in params["TransactItems"]]
            context["heat_keys"] = [body["Item" if kind == "Put" else "Key"]["PK"]["S"] for kind, body in ops]
        elif model.name in _WRITES:
            context["heat_keys"] = [params[_WRITES[model.name]]["PK"]["S"]]

    def after(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        keys = context.get("heat_keys", [])
        second = int(time.monotonic() - self.started)
        with self._lock:
            for key in keys:
                if http_response.status_code == 200:
                    self.committed[key][second] += 1
                else:
                    self.refused[key] += 1

    def busiest(self) -> tuple[str, int, int, int]:
        """The key with the most committed writes (key, its writes, its peak writes in one
        second), and the most refused writes any one key took."""
        key = max(self.committed, key=lambda k: sum(self.committed[k].values()))
        most_refused = max(self.refused.values(), default=0)
        return key, sum(self.committed[key].values()), max(self.committed[key].values()), most_refused


@contextmanager
def counting(client: Any) -> Iterator[KeyHeat]:
    heat = KeyHeat()
    with dynamodb_hooks(client, heat.before, heat.after):
        yield heat


def _all_at_once(calls, workers=64):
    go = threading.Event()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(lambda c=c: (go.wait(), c())[1]) for c in calls]
        started = time.perf_counter()
        go.set()
        results = [f.result() for f in futures]
    return results, time.perf_counter() - started


def _sale(http, base: str, client: Any, shards: int, round_no: int) -> dict[str, float]:
    """One sale of STOCK to SHOPPERS; its oversell, claims/s, and its busiest key's writes."""
    from tests.helpers import template_body

    operator = bearer("ops", True)
    created = http.post(f"{base}/admin/templates", json=template_body(total_stock=STOCK, stock_shards=shards),
                        headers=operator).json()
    http.post(f"{base}/admin/templates/{created['id']}/publish", headers=operator)
    url = f"{base}/templates/{created['id']}/claim"
    calls = [lambda h=bearer(f"n{shards}r{round_no}u{i}"): http.post(url, headers=h).status_code
             for i in range(SHOPPERS)]
    with counting(client) as heat:
        statuses, seconds = _all_at_once(calls)
    claimed = http.get(f"{base}/admin/templates/{created['id']}", headers=operator).json()["claimed"]
    issued = statuses.count(201)
    key, writes, peak, refused = heat.busiest()
    return {"oversold": max(issued - STOCK, 0) + max(claimed - STOCK, 0), "claims_per_s": SHOPPERS / seconds,
            "heat": writes / max(issued, 1), "peak": peak, "refused": refused,
            "key": key.replace(created["id"], "<tid>"), "issued": issued}


def _floor(client: Any, table: str, round_no: int) -> float:
    key = {"PK": {"S": f"FLOOR#{round_no}"}, "SK": {"S": "S"}}
    client.put_item(TableName=table, Item={**key, "stock": {"N": str(STOCK)}})

    def decrement():
        try:
            client.update_item(TableName=table, Key=key, UpdateExpression="SET stock = stock - :one",
                               ConditionExpression="stock > :zero",
                               ExpressionAttributeValues={":one": {"N": "1"}, ":zero": {"N": "0"}})
            return True
        except client.exceptions.ConditionalCheckFailedException:
            return False

    won, seconds = _all_at_once([decrement] * SHOPPERS)
    assert sum(won) == STOCK, f"the floor sold {sum(won)} of {STOCK}"
    return SHOPPERS / seconds


def _fresh_tables(moto: Any) -> None:
    """Empty the moto server and create the service's tables and queues again."""
    import urllib.request

    from dev.bootstrap import bootstrap

    with urllib.request.urlopen(urllib.request.Request(f"{moto.url}/moto-api/reset", method="POST"), timeout=60):
        pass
    bootstrap(os.environ)


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def run() -> dict[str, Any]:
    import requests
    from requests.adapters import HTTPAdapter

    with local_aws() as moto:
        import boto3
        from botocore.config import Config

        from app import app
        from chalicelib import dynamo

        server = serve(app, backlog=SHOPPERS * 2)
        base = "http://%s:%d" % server.server.server_address[:2]
        http = requests.Session()
        http.mount("http://", HTTPAdapter(pool_maxsize=64))
        bare = boto3.client("dynamodb", config=Config(max_pool_connections=64))
        sales: dict[int, list[dict[str, Any]]] = {1: [], SHARDS: []}
        floor = []
        for round_no in range(ROUNDS):
            for shards in sales:
                _fresh_tables(moto)
                sales[shards].append(_sale(http, base, dynamo.client(), shards, round_no))
            _fresh_tables(moto)
            floor.append(_floor(bare, os.environ["MALL_TABLE"], round_no))
        server.shutdown()
        result: dict[str, Any] = {"floor_per_s": _median(floor)}
    for shards, runs in sales.items():
        result[shards] = {
            "oversold": sum(r["oversold"] for r in runs), "issued": sum(r["issued"] for r in runs),
            "claims_per_s": _median([r["claims_per_s"] for r in runs]), "heat": max(r["heat"] for r in runs),
            "peak": max(r["peak"] for r in runs), "refused": max(r["refused"] for r in runs),
            "key": max(runs, key=lambda r: r["heat"])["key"],
        }
    return result


def describe(r: dict[str, Any]) -> str:
    def one(shards: int) -> str:
        s = r[shards]
        at_target = s["heat"] * TARGET
        return (f"stock_shards={shards}: issued {s['issued']}, oversold {s['oversold']}; "
                f"{s['claims_per_s']:.0f} claims/s = {s['claims_per_s'] / r['floor_per_s']:.2f} of the floor's "
                f"{r['floor_per_s']:.0f} bare writes/s; busiest key {s['key']} committed {s['heat']:.2f} writes per "
                f"coupon (peak {s['peak']} writes/s here; at most {s['refused']} refused on one key at the sell-out), so "
                f"{at_target:,.0f} tx writes/s at {TARGET:,} claims/s = {at_target / ITEM_TX_WRITES:.2f}x the "
                f"{ITEM_TX_WRITES}/s one item takes")

    return (f"{SHOPPERS}-way flash sale for {STOCK}, {ROUNDS} rounds each (worst round's heat) - "
            f"{one(1)}; {one(SHARDS)}")


if __name__ == "__main__":
    print(describe(run()))
