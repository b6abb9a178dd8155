"""The expiry sweep reads what is due, not what is stored.

Seeds the serialized moto server with live (not yet due) and due unused coupons through
BatchWriteItem, each item built by the repository's own `coupon_item` (so it carries exactly
the index attributes a claim writes), then runs one sweep and reports items read per item
due. The floor is the number due: a sweep cannot expire a coupon without reading it. Goal:
at most 1.1. Seeding stops at BENCH_SWEEP_SEED_SECONDS and the figures name what was seeded.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from bench.common import local_aws

GOAL = 1.1
LIVE = int(os.environ.get("BENCH_SWEEP_LIVE", "100000"))
DUE = int(os.environ.get("BENCH_SWEEP_DUE", "1000"))
SEED_SECONDS = float(os.environ.get("BENCH_SWEEP_SEED_SECONDS", "170"))
NOW = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc)
USERS = 5000


def _items(count: int, due: bool, offset: int):
    from chalicelib import dynamo
    from chalicelib.coupons.models import Coupon
    from chalicelib.coupons.wallet_store import coupon_item

    for n in range(offset, offset + count):
        valid_until = NOW - timedelta(minutes=1 + n % 600) if due else NOW + timedelta(days=1 + n % 90)
        coupon = Coupon.model_validate({
            "id": f"{'D' if due else 'L'}{n:09d}", "template_id": "BENCHTPL", "name": "bench", "kind": "amount_off",
            "value": 1000, "min_spend": 0, "scope": {"all": True}, "status": "unused",
            "valid_from": NOW - timedelta(days=30), "valid_until": valid_until, "claimed_at": NOW - timedelta(days=30),
        }, strict=False)
        yield dynamo.to_item(coupon_item(f"user{n % USERS}", coupon))


def _write(ddb, table: str, batch: list[dict]) -> None:
    pending = {table: [{"PutRequest": {"Item": item}} for item in batch]}
    while pending:
        pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def _seed(ddb, table: str, items, deadline: float) -> int:
    """Write `items` 25 at a time on 4 threads until done or `deadline`; returns how many."""
    written = 0
    batch: list[dict] = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = []
        for item in items:
            batch.append(item)
            if len(batch) == 25:
                futures.append(pool.submit(_write, ddb, table, batch))
                written += len(batch)
                batch = []
                if len(futures) >= 64:
                    for f in futures:
                        f.result()
                    futures = []
                    if time.monotonic() > deadline:
                        break
        if batch:
            futures.append(pool.submit(_write, ddb, table, batch))
            written += len(batch)
        for f in futures:
            f.result()
    return written


def run() -> dict[str, float]:
    with local_aws():
        import boto3

        from chalicelib.jobs import registry as jobs
        from chalicelib.jobs.budget import Unlimited

        ddb = boto3.client("dynamodb")
        table = os.environ["MALL_TABLE"]
        started = time.monotonic()
        due = _seed(ddb, table, _items(DUE, True, 0), float("inf"))
        live = _seed(ddb, table, _items(LIVE, False, 0), started + SEED_SECONDS)
        seed_seconds = time.monotonic() - started
        report = jobs.run("expire-coupons", NOW, Unlimited())
        again = jobs.run("expire-coupons", NOW, Unlimited())
        return {
            "live": live, "due": due, "read": report.read, "expired": report.expired,
            "ratio": report.read / max(due, 1), "sweep_seconds": report.seconds, "seed_seconds": seed_seconds,
            "rerun_read": again.read,
        }


def describe(r: dict[str, float]) -> str:
    verdict = "meets" if r["ratio"] <= GOAL else "misses"
    partial = "" if r["live"] >= LIVE else f" (seeding stopped at {r['live']:,} of {LIVE:,} live in {SEED_SECONDS:.0f} s)"
    return (f"expiry sweep over {r['live']:,} live + {r['due']:,} due coupons{partial}: read {r['read']:,} index items, "
            f"expired {r['expired']:,} = {r['ratio']:.3f} read per due ({verdict} the {GOAL} goal) in "
            f"{r['sweep_seconds']:.1f} s; a re-run read {r['rerun_read']}; seeded in {r['seed_seconds']:.0f} s")


if __name__ == "__main__":
    print(describe(run()))
