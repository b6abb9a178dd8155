"""The flash sale against its own floor: the same THREADS-way race for STOCK coupons run through
the claim handler and as the bare claim transaction, on the serialized moto server and on
DynamoDB Local, with the stock on one item (1 shard) and on 16 shards.

Handler: THREADS shoppers POST `/templates/{id}/claim` at once through chalice's threaded
local server (the real handler: JWT, the template read or its copy kept for a second, the
shard counts or their kept copy, the claim's transaction, a retry on another shard when one
is empty, the response).

Floor: the exact TransactWriteItems the handler sends for a claim (`issuing_store.claim_items`:
the stock unit with the claim's conditions, the user's count, the coupon, the hour's count;
each item asking for its old image on a refusal, as `dynamo.transact` does), sent with boto3
from THREADS threads at once against the same engine, with the same jittered retry of a
`TransactionConflict`. Claimer i tries shard i mod shards, once: it knows where stock is
without reading anything, the least any design can do. Both sell exactly STOCK (checked).

Rates are attempts answered per second (THREADS over the race's wall time), median of ROUNDS,
handler and floor alternating so that the machine's noise hits both. On moto every race starts
on freshly emptied tables (moto's TransactWriteItems deep-copies the table it writes, so its
rate falls as the table grows: FACTS.md); DynamoDB Local keeps its table (it does not slow down).
Reads per claim are the handler's DynamoDB read requests (GetItem, BatchGetItem, Query) per
attempt; read units are what DynamoDB Local reports through `ReturnConsumedCapacity` (moto
reports none). The shard-count cache's saving is the 16-shard race's read units per attempt
with `issuing.SHARD_COUNTS_SECONDS` at 0 (no copy kept) minus those with it as shipped.

`BENCH_FLASH_PROFILE=1` also runs the handler race once more per engine and layout under
cProfile (one profiler per server thread, merged) and prints where the handler threads' time
goes.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import random
import shutil
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from bench.common import bearer, dynamodb_hooks, local_aws, serve

THREADS, STOCK = 200, 50
SHARD_COUNTS = (1, 16)
GOAL = 0.8
ROUNDS = int(os.environ.get("BENCH_FLASH_RACE_ROUNDS", "3"))
PROFILE = os.environ.get("BENCH_FLASH_PROFILE") == "1"
ENGINES = os.environ.get("BENCH_FLASH_ENGINES", "moto,dynamodb-local").split(",")
READS = {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}


class ReadMeter:
    """The requests a DynamoDB client sends, and the read units reported for its reads."""

    def __init__(self) -> None:
        self.calls: Counter = Counter()
        self.units = 0.0
        self._lock = threading.Lock()

    def ask(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in READS:
            params["ReturnConsumedCapacity"] = "TOTAL"

    def count(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name not in READS:
            with self._lock:
                self.calls[model.name] += 1
            return
        consumed = parsed.get("ConsumedCapacity") or []
        units = sum(c.get("CapacityUnits", 0.0) for c in (consumed if isinstance(consumed, list) else [consumed]))
        with self._lock:
            self.calls[model.name] += 1
            self.units += units


@contextmanager
def metering(client: Any) -> Iterator[ReadMeter]:
    meter = ReadMeter()
    with dynamodb_hooks(client, meter.ask, meter.count):
        yield meter


def race(calls: list[Callable[[], Any]]) -> tuple[list[Any], float]:
    """Every call in its own thread, released together; the results and the wall time."""
    go = threading.Event()
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(lambda c=c: (go.wait(), c())[1]) for c in calls]
        time.sleep(0.2)  # let the threads reach the gate
        started = time.perf_counter()
        go.set()
        results = [f.result() for f in futures]
    return results, time.perf_counter() - started


class Stack:
    """The app behind chalice's threaded local server on the current engine, a session of
    THREADS connections to it, and a bare boto3 client of the same engine."""

    def __init__(self, moto: Any, engine: str) -> None:
        import boto3
        import requests
        from botocore.config import Config
        from requests.adapters import HTTPAdapter

        from app import app

        self.server = _local_server(app)
        self.base = "http://%s:%d" % self.server.server.server_address[:2]
        self.http = requests.Session()
        self.http.mount("http://", HTTPAdapter(pool_maxsize=THREADS))
        self.bare = boto3.client("dynamodb", config=Config(max_pool_connections=THREADS,
                                                           retries={"mode": "standard", "total_max_attempts": 3}))
        self.operator = bearer("ops", True)
        self.moto, self.engine = moto, engine

    def fresh(self) -> None:
        """On moto, empty the server and create the tables and queues again."""
        if self.engine != "moto":
            return
        import urllib.request

        from dev.bootstrap import bootstrap

        request = urllib.request.Request(f"{self.moto.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=60):
            pass
        bootstrap(os.environ)

    def template(self, shards: int) -> str:
        from tests.helpers import template_body

        created = self.http.post(f"{self.base}/admin/templates", headers=self.operator,
                                 json=template_body(total_stock=STOCK, stock_shards=shards)).json()
        self.http.post(f"{self.base}/admin/templates/{created['id']}/publish", headers=self.operator)
        return str(created["id"])

    def claimed(self, template_id: str) -> int:
        return int(self.http.get(f"{self.base}/admin/templates/{template_id}", headers=self.operator).json()["claimed"])

    def handler_race(self, shards: int, tag: str) -> dict[str, Any]:
        from chalicelib import dynamo

        self.fresh()
        template_id = self.template(shards)
        url = f"{self.base}/templates/{template_id}/claim"
        calls = [lambda h=bearer(f"{tag}u{i}"): self.http.post(url, headers=h).status_code for i in range(THREADS)]
        with metering(dynamo.client()) as reads:
            statuses, seconds = race(calls)
        issued, claimed = statuses.count(201), self.claimed(template_id)
        assert issued == claimed == STOCK, f"the handler issued {issued}, counted {claimed} of {STOCK}: {Counter(statuses)}"
        return {"per_s": THREADS / seconds, "reads": sum(n for op, n in reads.calls.items() if op in READS) / THREADS,
                "units": reads.units / THREADS, "calls": dict(reads.calls)}

    def bare_race(self, shards: int, tag: str) -> dict[str, Any]:
        from chalicelib.coupons import issuing_store, rules, templates_store
        from chalicelib.ids import new_id

        self.fresh()
        template_id = self.template(shards)
        template = templates_store.get_template(template_id, consistent=True)
        assert template is not None
        now = datetime.now(timezone.utc)
        requests = []
        for i in range(THREADS):
            items = issuing_store.claim_items(template, rules.new_coupon(template, new_id(), now), f"{tag}u{i}", now,
                                              i % shards)
            for op in items.values():
                next(iter(op.values()))["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
            requests.append(list(items.values()))
        won, seconds = race([lambda r=r: bare_claim(self.bare, r) for r in requests])
        assert sum(won) == self.claimed(template_id) == STOCK, f"the floor sold {sum(won)} of {STOCK}"
        return {"per_s": THREADS / seconds}



_servers: list[Any] = []


def _local_server(app: Any) -> Any:
    """Chalice's local server for the app, started once per process (chalice cannot wrap an app
    twice); the engine behind it is whatever the environment names when a request comes.
    Its backlog is the race's: http.server's default of 5 would drop the SYNs of 200 shoppers
    connecting at once (retried a second later, or reset); the local gateway stands for API
    Gateway, which takes them all."""
    if not _servers:
        _servers.append(serve(app, backlog=THREADS * 2))
    return _servers[0]


def bare_claim(client: Any, request: list[dict[str, Any]]) -> bool:
    """One claim's transaction; True if it committed, False if a condition refused it. A
    transaction conflict is retried as `dynamo.transact` retries it."""
    from botocore.exceptions import ClientError

    for attempt in range(8):
        try:
            client.transact_write_items(TransactItems=request, ClientRequestToken=os.urandom(16).hex())
            return True
        except ClientError as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
            if "ConditionalCheckFailed" in reasons:
                return False
            if not any(r in ("TransactionConflict", "ThrottlingError") for r in reasons):
                raise
            time.sleep(random.uniform(0, 0.02 * 2**attempt))
    raise RuntimeError("the floor's transaction conflicted 8 times")


@contextmanager
def patient_app_client() -> Iterator[None]:
    """The app's DynamoDB client as it ships, but with botocore's default 60 s read timeout, as
    the bare client has. The service's 10 s suits DynamoDB; the serialized moto server on a
    shared machine answers the last of 400 queued requests later than that, and a timed-out
    claim (503) would measure the engine's queue, not the handler."""
    import functools

    import boto3
    from botocore.config import Config

    from chalicelib import dynamo

    original = dynamo.client

    @functools.cache
    def client() -> Any:
        return boto3.client("dynamodb", config=Config(retries={"mode": "standard", "total_max_attempts": 3},
                                                      max_pool_connections=64, connect_timeout=3, read_timeout=60))

    dynamo.client = client  # type: ignore[assignment]
    try:
        yield
    finally:
        dynamo.client = original  # type: ignore[assignment]


@contextmanager
def shard_counts_kept(seconds: float) -> Iterator[None]:
    from chalicelib.coupons import issuing

    saved = issuing.SHARD_COUNTS_SECONDS
    issuing.SHARD_COUNTS_SECONDS = seconds
    try:
        yield
    finally:
        issuing.SHARD_COUNTS_SECONDS = saved


@contextmanager
def profiled(stack: Stack, into: list[cProfile.Profile]) -> Iterator[None]:
    """A cProfile of each request the local server handles, in the thread that handles it, from
    its request line read to its answer (the shoppers' connections are kept alive, so a thread
    also waits for the next request: that wait is left out)."""
    handler = stack.server.server.RequestHandlerClass
    handler = getattr(handler, "func", handler)  # chalice binds its handler class with functools.partial
    original = handler.do_POST  # chalice aliases do_POST to _generic_handle at class creation

    def generic_handle(self: Any) -> None:
        profile = cProfile.Profile()
        profile.enable()
        try:
            original(self)
        finally:
            profile.disable()
            into.append(profile)

    handler.do_POST = generic_handle
    try:
        yield
    finally:
        handler.do_POST = original


def profile_report(profiles: list[cProfile.Profile], lines: int = 40) -> str:
    if not profiles:
        return "no request was profiled\n"
    out = io.StringIO()
    stats = pstats.Stats(profiles[0], stream=out)
    for profile in profiles[1:]:
        stats.add(profile)
    stats.sort_stats("cumulative").print_stats("chalicelib|botocore/(client|endpoint)|chalice/local|socket", lines)
    return out.getvalue()


def engine_runs(moto: Any, engine: str) -> dict[str, Any]:
    """ROUNDS of each race on one engine; medians, and the reads of the handler's claims."""
    from chalicelib.coupons import issuing

    with patient_app_client():
        return _engine_runs(moto, engine)


def _engine_runs(moto: Any, engine: str) -> dict[str, Any]:
    from chalicelib.coupons import issuing

    stack = Stack(moto, engine)
    warm = stack.template(1)  # the first request loads pydantic and the models: not part of a race
    stack.http.post(f"{stack.base}/templates/{warm}/claim", headers=bearer("warm"))
    runs: dict[str, list[dict[str, Any]]] = {}
    uncached = engine == "dynamodb-local"
    try:
        for round_no in range(ROUNDS):
            for shards in SHARD_COUNTS:
                tag = f"{engine[0]}{round_no}s{shards}"
                runs.setdefault(f"bare{shards}", []).append(stack.bare_race(shards, tag + "b"))
                runs.setdefault(f"handler{shards}", []).append(stack.handler_race(shards, tag + "h"))
                print(f"{engine} round {round_no} shards {shards}: bare {runs[f'bare{shards}'][-1]}, "
                      f"handler {runs[f'handler{shards}'][-1]}", file=sys.stderr, flush=True)
            if uncached:
                issuing._shard_counts.clear()
                with shard_counts_kept(0):
                    runs.setdefault("uncached16", []).append(stack.handler_race(16, f"{engine[0]}{round_no}n"))
        if PROFILE:
            for shards in SHARD_COUNTS:
                profiles: list[cProfile.Profile] = []
                with profiled(stack, profiles):
                    stack.handler_race(shards, f"{engine[0]}p{shards}")
                print(f"--- {engine}, {shards} shard(s): the handler threads' time, cumulative\n"
                      + profile_report(profiles))
    finally:
        stack.bare.close()
    medians = {name: {k: statistics.median(r[k] for r in rs) for k in rs[0] if k != "calls"}
               | {"calls": rs[-1].get("calls")} for name, rs in runs.items()}
    for shards in SHARD_COUNTS:  # each round's handler over the floor it alternated with: the noise
        medians[f"handler{shards}"]["rounds"] = [h["per_s"] / b["per_s"]
                                                 for h, b in zip(runs[f"handler{shards}"], runs[f"bare{shards}"])]
    return medians


def run() -> dict[str, Any]:
    from bench.capacity import DYNAMODB_LOCAL_JAR, dynamodb_local

    result: dict[str, Any] = {}
    if "moto" in ENGINES:
        with local_aws() as moto:
            result["moto"] = engine_runs(moto, "moto")
    if "dynamodb-local" not in ENGINES:
        return result
    if not DYNAMODB_LOCAL_JAR.exists() or not shutil.which("java"):
        result["dynamodb-local"] = None
        return result
    with dynamodb_local() as endpoint, local_aws(dynamodb_endpoint=endpoint) as moto:
        result["dynamodb-local"] = engine_runs(moto, "dynamodb-local")
    return result


def describe(r: dict[str, Any]) -> str:
    def engine(name: str) -> str:
        if name not in r:
            return f"{name}: not run (BENCH_FLASH_ENGINES)"
        e = r[name]
        if e is None:
            return f"{name}: not run (needs DynamoDB Local and java; make bench installs it)"
        parts = []
        for shards in SHARD_COUNTS:
            h, b = e[f"handler{shards}"], e[f"bare{shards}"]
            units = f", {h['units']:.2f} read units" if name == "dynamodb-local" else ""
            parts.append(f"{shards} shard{'s' if shards > 1 else ''}: handler {h['per_s']:.0f} claims/s vs bare "
                         f"{b['per_s']:.0f}/s = {h['per_s'] / b['per_s']:.2f} "
                         f"({'meets' if h['per_s'] / b['per_s'] >= GOAL else 'misses'} the {GOAL} goal; rounds "
                         f"{', '.join(f'{x:.2f}' for x in h['rounds'])}), "
                         f"{h['reads']:.2f} reads per claim{units}")
        text = f"{name}: " + "; ".join(parts)
        if "uncached16" in e:
            on, off = e["handler16"]["units"], e["uncached16"]["units"]
            text += (f"; 16 shards without the kept shard counts {off:.2f} read units per claim "
                     f"({e['uncached16']['reads']:.2f} reads), so the cache saves {off - on:.2f} units a claim here")
        return text

    return (f"{THREADS}-way race for {STOCK}, median of {ROUNDS} rounds, claims/s as a share of the bare claim "
            f"transaction from as many threads - " + "; ".join(engine(n) for n in ("moto", "dynamodb-local")))


if __name__ == "__main__":
    print(describe(run()))
