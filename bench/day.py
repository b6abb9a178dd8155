"""A day of `make run`: the local stack's memory after a day's worth of use, against 500 MB.

The stack is started exactly as `make run` starts it (`dev.stack.start_stack`: the serialized
moto server, the api under `chalice local`, the pump feeding SQS and the schedules), and driven
over HTTP with what a developer's day on it looks like, repeated: an operator sets up a voucher
and a 10% balance rebate; shoppers claim, quote, reserve part of an order with their rebate
balance, pay (a signed generic webhook, settled by the pump's SQS consumer), read their wallet
and account, and one order in five is refunded in part. The moto server's peak resident memory
(VmHWM) is read every `SAMPLE_EVERY` requests; the report gives the peak, the growth per 1,000
requests over the second half of the run (what a longer day adds), and the verdict against the
500 MB goal for `DAY_REQUESTS` requests. There is no floor to divide by here: the goal is absolute.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

from bench import memory

GOAL_MB = 500
# About 20 minutes on 2 cores (the api under `chalice local` is the busy process); a longer day
# only adds what the growth per 1,000 requests says.
DAY_REQUESTS = int(os.environ.get("BENCH_DAY_REQUESTS", "2000"))
SAMPLE_EVERY = 250
USERS = 40


class _Api:
    def __init__(self, url: str, env: dict[str, str]) -> None:
        self.url, self.env, self.requests = url, env, 0

    def call(self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None,
             raw: bytes | None = None) -> tuple[int, object]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json", **(headers or {})})
        self.requests += 1
        try:
            # 120 s: one request waits behind the pump's settlements on the one-at-a-time moto
            # server, and a shared machine can stretch that well past API Gateway's 29 s.
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def token(self, user: str, roles: list[str]) -> dict[str, str]:
        from chalicelib.auth import issue_token

        return {"Authorization": "Bearer " + issue_token(self.env["MALL_JWT_SECRET"], user, roles, 86400,
                                                          int(time.time()))}

    def webhook(self, event: dict) -> int:
        from chalicelib.payments import generic

        raw = json.dumps(event).encode()
        now = int(time.time())
        signature = generic.sign(self.env["PAYMENT_WEBHOOK_SECRET"], now, raw)
        status, _ = self.call("POST", "/webhooks/payments/generic", raw=raw,
                              headers={"X-Mall-Signature": f"t={now},v1={signature}"})
        return status


def _setup(api: _Api, operator: dict[str, str]) -> str:
    now = datetime.now(timezone.utc)
    status, template = api.call("POST", "/admin/templates", {
        "name": "day voucher", "kind": "amount_off", "value": 500, "min_spend": 1000, "total_stock": 10**6,
        "per_user_limit": 1000, "claim_starts_at": (now - timedelta(days=1)).isoformat(),
        "claim_ends_at": (now + timedelta(days=30)).isoformat(), "validity": {"days_after_claim": 30},
        "scope": {"all": True}}, operator)
    assert status == 201, template
    template_id = template["id"]  # type: ignore[index]
    assert api.call("POST", f"/admin/templates/{template_id}/publish", {}, operator)[0] == 200
    status, rule = api.call("POST", "/admin/rebate-rules", {
        "name": "day rebate", "kind": "fixed_ratio", "ratio_bp": 1000, "reward": "balance"}, operator)
    assert status == 201, rule
    assert api.call("POST", f"/admin/rebate-rules/{rule['id']}/publish", {}, operator)[0] == 200  # type: ignore[index]
    return template_id


def _shopper_round(api: _Api, template_id: str, user: str, headers: dict[str, str], n: int) -> None:
    """One shopper's visit: claim, wallet, quote, reserve (with balance once some is earned), pay,
    account; every fifth order is refunded in part."""
    item = {"sku": f"sku-{n % 7}", "category": "food", "unit_price": 5000 + n % 900, "quantity": 1}
    assert api.call("POST", f"/templates/{template_id}/claim", {}, headers)[0] == 201
    api.call("GET", "/me/coupons?status=unused&limit=20", headers=headers)
    api.call("POST", "/checkout/quote", {"items": [item]}, headers)
    order = f"order-{n}"
    status, reservation = api.call("POST", "/checkout/reservations",
                                   {"order_id": order, "items": [item], "use_balance": 200}, headers)
    assert status == 201, reservation
    paid = reservation["total"]  # type: ignore[index]
    assert api.webhook({"id": f"evt-{n}", "type": "payment.succeeded", "data": {
        "payment_id": f"pay-{n}", "order_id": order, "user_id": user, "amount": paid,
        "paid_at": datetime.now(timezone.utc).isoformat(), "coupon_ids": []}}) == 200
    api.call("GET", "/me/account", headers=headers)
    if n % 5 == 4 and paid:
        assert api.webhook({"id": f"evt-r{n}", "type": "refund.succeeded", "data": {
            "refund_id": f"ref-{n}", "payment_id": f"pay-{n}", "order_id": order, "user_id": user,
            "amount": paid // 2}}) == 200


def run() -> dict[str, float]:
    from dev.stack import start_stack

    with start_stack() as stack:
        moto = next(child for child in stack.children if child.name == "moto")
        api_child = next(child for child in stack.children if child.name == "api")
        api = _Api(stack.api_url, stack.env)
        template_id = _setup(api, api.token("day-operator", ["operator"]))
        shoppers = [(f"day-user-{i}", api.token(f"day-user-{i}", [])) for i in range(USERS)]
        samples: list[tuple[int, float]] = []
        started, n, next_sample = time.perf_counter(), 0, SAMPLE_EVERY
        while api.requests < DAY_REQUESTS:
            user, headers = shoppers[n % USERS]
            _shopper_round(api, template_id, user, headers, n)
            n += 1
            if api.requests >= next_sample:
                samples.append((api.requests, memory.peak_rss_mb(moto.process.pid) or float("nan")))
                next_sample += SAMPLE_EVERY
                print(f"\r  day: {api.requests:,}/{DAY_REQUESTS:,} requests, moto server peak {samples[-1][1]:.0f} MB",
                      end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        elapsed = time.perf_counter() - started
        moto_peak = memory.peak_rss_mb(moto.process.pid) or float("nan")
        api_peak = memory.peak_rss_mb(api_child.process.pid) or float("nan")
        memory.note_moto_peak(moto_peak)
    samples = samples or [(api.requests, moto_peak)]
    half = samples[len(samples) // 2:]
    growth = ((half[-1][1] - half[0][1]) / (half[-1][0] - half[0][0]) * 1000) if len(half) > 1 else 0.0
    return {"requests": api.requests, "orders": n, "seconds": elapsed, "moto_peak_mb": moto_peak,
            "api_peak_mb": api_peak, "growth_mb_per_1000": growth, "first_sample_mb": samples[0][1]}


def describe(r: dict[str, float]) -> str:
    verdict = "meets" if r["moto_peak_mb"] < GOAL_MB else "misses"
    return (f"a day of `make run` ({r['requests']:.0f} HTTP requests: {r['orders']:.0f} orders claimed, quoted, "
            f"reserved, paid through the webhook and the pump, a fifth refunded in part; {r['seconds']:.0f} s): "
            f"moto server peak {r['moto_peak_mb']:.0f} MB ({verdict} the {GOAL_MB} MB goal; "
            f"{r['first_sample_mb']:.0f} MB after the first {SAMPLE_EVERY} requests, then "
            f"{r['growth_mb_per_1000']:.1f} MB per 1,000 requests over the second half), api {r['api_peak_mb']:.0f} MB")


if __name__ == "__main__":
    print(describe(run()))
