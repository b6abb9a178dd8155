"""A webhook acknowledgement through the Lambda handler against the bare SQS send it needs.

Handler: `POST /webhooks/payments/generic` through Chalice's handler (signature header,
HMAC over the raw body, timestamp, the body translated into a `PaymentEvent`, SendMessage,
the answer). Floor: the same SendMessage (the same event body and message attributes, to
the same queue) sent with boto3 directly. Both hit the same serialized moto server,
alternating one by one so that noise hits both alike. moto's SendMessage slows down as its
queue grows (11 ms on an empty queue, 28 ms at 600 messages on this machine; SQS does not),
which would hide the handler's own cost: after every block of rounds the queue is drained
outside the clock (and each webhook must have queued exactly one message). The provider's
side (building and signing each request) is done before the clock starts too, and the
metric records the handler prints (EMF, CloudWatch's input on Lambda) go to a buffer.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import time
from datetime import datetime, timezone

from bench.common import BENCH_ENV, local_aws

GOAL = 1.25
ROUNDS = int(os.environ.get("BENCH_WEBHOOK_ROUNDS", "300"))
BLOCK = 25


def _signed_requests(count: int) -> list[tuple[bytes, dict[str, str]]]:
    """`count` distinct payment notifications, signed as a provider would sign them now."""
    from chalicelib.payments import generic

    now = int(time.time())
    requests = []
    for i in range(count):
        raw = json.dumps({"id": f"evt_{i}", "type": "payment.succeeded", "data": {
            "payment_id": f"pay_{i}", "order_id": f"order_{i}", "user_id": f"user{i % 50}", "amount": 10000 + i,
            "paid_at": "2030-06-01T12:00:00Z", "coupon_ids": []}}).encode()
        signature = generic.sign(BENCH_ENV["PAYMENT_WEBHOOK_SECRET"], now, raw)
        requests.append((raw, {"Content-Type": "application/json", "X-Mall-Signature": f"t={now},v1={signature}"}))
    return requests


def _floor_message(raw: bytes) -> dict:
    """The SendMessage arguments the webhook makes for `raw` (same body, same attributes)."""
    from chalicelib.payments import generic

    event = generic.to_event(raw, datetime.now(timezone.utc))
    assert event is not None
    return {"MessageBody": event.model_dump_json(), "MessageAttributes": {
        "provider": {"DataType": "String", "StringValue": event.provider},
        "type": {"DataType": "String", "StringValue": event.type},
    }}


def run() -> dict[str, float]:
    with local_aws():
        import boto3
        from chalice.test import Client

        from app import app

        sqs = boto3.client("sqs")
        queue_url = sqs.get_queue_url(QueueName=os.environ["PAYMENT_EVENTS_QUEUE"])["QueueUrl"]
        requests = _signed_requests(ROUNDS)
        messages = [_floor_message(raw) for raw, _ in requests]
        handler, floor = [], []
        with Client(app, stage_name="bench") as client, contextlib.redirect_stdout(io.StringIO()):
            for start in range(0, ROUNDS, BLOCK):
                for (raw, headers), message in zip(requests[start:start + BLOCK], messages[start:start + BLOCK]):
                    started = time.perf_counter()
                    response = client.http.post("/webhooks/payments/generic", headers=headers, body=raw)
                    handler.append(time.perf_counter() - started)
                    assert response.status_code == 200, response.body
                    started = time.perf_counter()
                    sqs.send_message(QueueUrl=queue_url, **message)
                    floor.append(time.perf_counter() - started)
                _drain(sqs, queue_url, 2 * len(requests[start:start + BLOCK]))
    result = {"handler_ms": statistics.median(handler) * 1000, "floor_ms": statistics.median(floor) * 1000}
    result["ratio"] = result["handler_ms"] / result["floor_ms"]
    return result


def _drain(sqs, queue_url: str, expected: int) -> None:
    """Receive and delete `expected` messages; fail if the queue holds another number."""
    drained = 0
    while True:
        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not received:
            break
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)])
        drained += len(received)
    assert drained == expected, f"{drained} messages queued, expected {expected}"


def describe(r: dict[str, float]) -> str:
    verdict = "meets" if r["ratio"] <= GOAL else "misses"
    return (f"webhook acknowledged through the handler {r['handler_ms']:.1f} ms vs bare SQS SendMessage "
            f"{r['floor_ms']:.1f} ms = {r['ratio']:.2f}x ({verdict} the {GOAL}x goal; median of {ROUNDS})")


if __name__ == "__main__":
    print(describe(run()))
