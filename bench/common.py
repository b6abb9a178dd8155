"""What the benchmarks share: a serialized moto server in its own process (so it has its own
core and its memory can be read: bench.memory notes its peak as it stops), the service's
environment pointed at it, and tokens."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from bench import memory

ROOT = Path(__file__).resolve().parents[1]
BENCH_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "MALL_TABLE": "mall-bench",
    "PAYMENT_EVENTS_QUEUE": "mall-bench-payment-events", "PAYMENT_EVENTS_DLQ": "mall-bench-payment-events-dlq",
    "REMINDERS_QUEUE": "mall-bench-coupon-reminders", "REMINDERS_DLQ": "mall-bench-coupon-reminders-dlq",
    "MALL_JWT_SECRET": "bench-jwt-secret-0123456789abcdef0123456789",
    "PAYMENT_WEBHOOK_SECRET": "bench-webhook-secret-0123456789abcdef",
    "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING",
}


class MotoProcess:
    """`python -m dev.moto_server` as a child; `peak_rss_mb()` reads its high-water mark."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "dev.moto_server", "--port", "0"], cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()
        if "ready at" not in line:
            raise RuntimeError(f"moto server did not start: {line!r}")
        self.url = line.strip().rsplit(" ", 1)[-1]

    def peak_rss_mb(self) -> float:
        peak = memory.peak_rss_mb(self.process.pid)
        return float("nan") if peak is None else peak

    def stop(self) -> None:
        """Terminate; kill if it has not ended in 10 s (a server holding 100k items can take
        longer to shut down, and its figures are already taken)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@contextmanager
def local_aws(dynamodb_endpoint: str | None = None) -> Iterator[MotoProcess]:
    """A fresh moto server with the service's tables and queues; the environment points at it
    (DynamoDB at `dynamodb_endpoint` instead, when given: DynamoDB Local)."""
    moto = MotoProcess()
    saved = dict(os.environ)
    os.environ.update({**BENCH_ENV, "AWS_ENDPOINT_URL": moto.url})
    if dynamodb_endpoint:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_endpoint
    from dev.bootstrap import bootstrap

    forget_clients()
    bootstrap(os.environ)
    try:
        yield moto
    finally:
        memory.note_moto_peak(memory.peak_rss_mb(moto.process.pid))
        moto.stop()
        os.environ.clear()
        os.environ.update(saved)
        forget_clients()


def forget_clients() -> None:
    """Forget the clients, queue URLs and settings the app keeps between requests (DynamoDB and
    SQS clients, settings, programme settings, live rules): the next benchmark's engine is another
    server. (The kept templates and shard counts are keyed by table and template: nothing stale.)"""
    from chalicelib import sqs
    from tests.helpers import reset_clients

    reset_clients()
    sqs.client.cache_clear()
    sqs.queue_url.cache_clear()


def serve(app: Any, backlog: int = 5) -> Any:
    """Chalice's threaded local server for `app` on a free loopback port, serving in a daemon
    thread, without its line per request (a race of hundreds would bury the figures); `backlog`
    is the listen queue (http.server's default of 5 drops a burst's connections)."""
    from chalice.config import Config as ChaliceConfig
    from chalice.local import ChaliceRequestHandler, LocalDevServer

    class Quiet(ChaliceRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = LocalDevServer(app, ChaliceConfig.create(chalice_stage="bench", app_name="mall"), "127.0.0.1", 0,
                            handler_cls=Quiet)
    server.server.socket.listen(backlog)
    threading.Thread(target=server.server.serve_forever, daemon=True).start()
    return server


def bearer(user: str, operator: bool = False) -> dict[str, str]:
    from chalicelib.auth import issue_token

    token = issue_token(BENCH_ENV["MALL_JWT_SECRET"], user, ["operator"] if operator else [], 3600, int(time.time()))
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


@contextmanager
def dynamodb_hooks(client, before, after) -> Iterator[None]:
    """`before(params, model, ...)` as each DynamoDB call is built and `after(http_response, parsed,
    model, ...)` as it returns, on `client`, while the block runs (botocore's event hooks)."""
    events = client.meta.events
    events.register("before-parameter-build.dynamodb", before)
    events.register("after-call.dynamodb", after)
    try:
        yield
    finally:
        events.unregister("before-parameter-build.dynamodb", before)
        events.unregister("after-call.dynamodb", after)
