"""An order reservation through the Lambda handler against the bare DynamoDB transaction it needs.

Handler: `POST /checkout/reservations` through Chalice's handler (JWT, validation, the account
and wallet reads the pricing needs, the settings from their cache, the transaction, the
response), holding 100 fen of balance and 100 points. Floor: the same transaction sent with boto3
directly: put the reservation, hold balance and points on the account (conditional update), put
its four ledger entries, and check the settings version. Both hit the same serialized moto
server, alternating one by one so that the table grows alike for both and noise hits both.
"""

from __future__ import annotations

import json
import os
import statistics
import time
import uuid

from bench.common import bearer, local_aws

GOAL = 1.5  # a reservation reads the account and the wallet to price the order: two reads more than the floor
ROUNDS = int(os.environ.get("BENCH_RESERVE_ROUNDS", "200"))
USERS = 50


def run() -> dict[str, float]:
    with local_aws():
        import boto3
        from chalice.test import Client

        from app import app
        from tests.reservation_helpers import fund

        ddb = boto3.client("dynamodb")
        table = os.environ["MALL_TABLE"]
        for i in range(USERS):
            fund(f"user{i}", balance=10**9, points=10**9)
        item = {"sku": "sku-1", "category": "food", "unit_price": 10_000, "quantity": 1}
        headers = [bearer(f"user{i % USERS}") for i in range(ROUNDS)]
        handler, floor = [], []
        with Client(app, stage_name="bench") as client:
            for i in range(ROUNDS):
                body = json.dumps({"order_id": f"order-{i}", "items": [item], "use_balance": 100, "use_points": 100})
                started = time.perf_counter()
                response = client.http.post("/checkout/reservations", headers=headers[i], body=body)
                handler.append(time.perf_counter() - started)
                assert response.status_code == 201, response.body
                started = time.perf_counter()
                _bare_reservation(ddb, table, f"user{i % USERS}", f"order-{i}")
                floor.append(time.perf_counter() - started)
        result = {"handler_ms": statistics.median(handler) * 1000, "floor_ms": statistics.median(floor) * 1000}
    result["ratio"] = result["handler_ms"] / result["floor_ms"]
    return result


def _bare_reservation(ddb, table: str, user: str, order_id: str) -> None:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    n = {"N": "100"}
    entries = [{"Put": {"TableName": table, "Item": {"PK": {"S": f"FLOOR#{user}"}, "SK": {"S": f"L#{uuid.uuid4()}"},
                                                     "asset": {"S": asset}, "amount": {"N": amount}, "at": {"S": now}},
                        "ConditionExpression": "attribute_not_exists(PK)"}}
               for asset, amount in (("balance", "-100"), ("held", "100"), ("points", "-100"), ("points_held", "100"))]
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": {"PK": {"S": f"FLOOR#{user}#{order_id}"}, "SK": {"S": "RSV"},
                                              "status": {"S": "reserved"}, "expires_at": {"S": now}},
                 "ConditionExpression": "attribute_not_exists(PK) OR #s = :released",
                 "ExpressionAttributeNames": {"#s": "status"}, "ExpressionAttributeValues": {":released": {"S": "r"}}}},
        {"Update": {"TableName": table, "Key": {"PK": {"S": f"FLOOR#{user}"}, "SK": {"S": "ACCOUNT"}},
                    "UpdateExpression": "SET balance = if_not_exists(balance, :big) - :n, held = if_not_exists(held, :z) "
                                        "+ :n, points = if_not_exists(points, :big) - :n, "
                                        "points_held = if_not_exists(points_held, :z) + :n",
                    "ConditionExpression": "attribute_not_exists(balance) OR (balance >= :n AND points >= :n)",
                    "ExpressionAttributeValues": {":n": n, ":z": {"N": "0"}, ":big": {"N": str(10**9)}}}},
        *entries,
        {"ConditionCheck": {"TableName": table, "Key": {"PK": {"S": "PROGRAMME"}, "SK": {"S": "SETTINGS"}},
                            "ConditionExpression": "attribute_not_exists(PK)"}},
    ])


def describe(r: dict[str, float]) -> str:
    verdict = "meets" if r["ratio"] <= GOAL else "misses"
    return (f"reservation through the handler {r['handler_ms']:.1f} ms vs bare 7-item transaction (reservation, "
            f"account hold, 4 ledger entries, settings check) {r['floor_ms']:.1f} ms = {r['ratio']:.2f}x "
            f"({verdict} the {GOAL}x goal; median of {ROUNDS})")


if __name__ == "__main__":
    print(describe(run()))
