"""A claim through the Lambda handler against the bare DynamoDB transaction it needs.

Handler: `POST /templates/{id}/claim` through Chalice's handler (JWT, validation, the
template read, the 4-item transaction, the response). Floor: the same 4-item
TransactWriteItems sent with boto3 directly: take a unit of stock, count the user's claim,
put the coupon, and ADD one to the hour's claim count (an item in its own partition, written
since GET /admin/templates/{id}/stats; it is part of the least a claim must write). Both hit
the same serialized moto server, alternating one by one so that the table grows alike for
both and noise hits both.
"""

from __future__ import annotations

import json
import os
import statistics
import time
import uuid

from bench.common import bearer, local_aws

GOAL = 1.25
ROUNDS = int(os.environ.get("BENCH_CLAIM_ROUNDS", "300"))


def run() -> dict[str, float]:
    with local_aws():
        import boto3
        from chalice.test import Client

        from app import app
        from tests.helpers import template_body

        ddb = boto3.client("dynamodb")
        table = os.environ["MALL_TABLE"]
        with Client(app, stage_name="bench") as client:
            created = json.loads(client.http.post("/admin/templates", headers=bearer("ops", True), body=json.dumps(
                template_body(total_stock=10**7, per_user_limit=10**3))).body)
            template_id = created["id"]
            client.http.post(f"/admin/templates/{template_id}/publish", headers=bearer("ops", True))
            ddb.put_item(TableName=table, Item={"PK": {"S": "FLOOR#T"}, "SK": {"S": "T"}, "claimed": {"N": "0"},
                                                "total_stock": {"N": str(10**7)}})
            headers = [bearer(f"user{i % 50}") for i in range(ROUNDS)]
            handler, floor = [], []
            for i in range(ROUNDS):
                started = time.perf_counter()
                response = client.http.post(f"/templates/{template_id}/claim", headers=headers[i])
                handler.append(time.perf_counter() - started)
                assert response.status_code == 201, response.body
                started = time.perf_counter()
                _bare_claim(ddb, table, f"user{i % 50}")
                floor.append(time.perf_counter() - started)
        result = {
            "handler_ms": statistics.median(handler) * 1000,
            "floor_ms": statistics.median(floor) * 1000,
        }
    result["ratio"] = result["handler_ms"] / result["floor_ms"]
    return result


def _bare_claim(ddb, table: str, user: str) -> None:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    hour = time.strftime("%Y-%m-%dT%H:00:00Z", time.gmtime())
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": table, "Key": {"PK": {"S": "FLOOR#T"}, "SK": {"S": "T"}},
                    "UpdateExpression": "SET claimed = claimed + :one", "ConditionExpression": "claimed < total_stock",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Update": {"TableName": table, "Key": {"PK": {"S": f"FLOOR#{user}"}, "SK": {"S": "C"}},
                    "UpdateExpression": "ADD claimed :one",
                    "ConditionExpression": "attribute_not_exists(claimed) OR claimed < :limit",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":limit": {"N": "1000"}}}},
        {"Put": {"TableName": table, "Item": {"PK": {"S": f"FLOOR#{user}"}, "SK": {"S": f"CPN#{uuid.uuid4()}"},
                                              "claimed_at": {"S": now}},
                 "ConditionExpression": "attribute_not_exists(PK)"}},
        {"Update": {"TableName": table, "Key": {"PK": {"S": "FLOOR#STATS"}, "SK": {"S": f"HOUR#{hour}"}},
                    "UpdateExpression": "ADD claimed :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
    ])


def describe(r: dict[str, float]) -> str:
    verdict = "meets" if r["ratio"] <= GOAL else "misses"
    return (f"claim through the handler {r['handler_ms']:.1f} ms vs bare 4-item transaction (stock, user counter, "
            f"coupon, hourly count) {r['floor_ms']:.1f} ms = {r['ratio']:.2f}x ({verdict} the {GOAL}x goal; "
            f"median of {ROUNDS})")


if __name__ == "__main__":
    print(describe(run()))
