"""Cold start: what a Lambda pays at import, `import app` against the floor `import boto3`.

Every function needs boto3, so boto3's import is the floor. Each sample is a new Python
process (as a cold Lambda is); samples alternate so that machine noise hits both alike.
Also measured: the first request after import (a health check through the Chalice
handler), since work moved out of import is paid there.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = int(os.environ.get("BENCH_COLD_SAMPLES", "15"))
GOAL = 1.3

FLOOR = "import time; t = time.perf_counter(); import boto3; print(time.perf_counter() - t)"
APP = "import time; t = time.perf_counter(); import app; print(time.perf_counter() - t)"
# What import leaves for later: JWT verification, validation, the models (no database:
# the request is refused for its query before any read).
FIRST_REQUEST = """
import os, time
import app
from chalice.test import Client
headers = {'Authorization': 'Bearer ' + os.environ['BENCH_TOKEN']}
with Client(app.app, stage_name='bench') as client:
    t = time.perf_counter()
    assert client.http.get('/me/coupons?limit=0', headers=headers).status_code == 400
print(time.perf_counter() - t)
"""


SECRET = "bench-secret-0123456789abcdef0123456789"


def _sample(code: str) -> float:
    from chalicelib.auth import issue_token

    env = {**os.environ, "MALL_JWT_SECRET": SECRET, "POWERTOOLS_TRACE_DISABLED": "true",
           "AWS_DEFAULT_REGION": "us-east-1", "BENCH_TOKEN": issue_token(SECRET, "u", [], 600, int(time.time()))}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1]) * 1000


def run() -> dict[str, float]:
    floor, app, first = [], [], []
    for _ in range(SAMPLES):
        floor.append(_sample(FLOOR))
        app.append(_sample(APP))
    for _ in range(max(SAMPLES // 3, 3)):
        first.append(_sample(FIRST_REQUEST))
    result = {
        "import_boto3_ms": statistics.median(floor),
        "import_app_ms": statistics.median(app),
        "first_request_ms": statistics.median(first),
    }
    result["ratio"] = result["import_app_ms"] / result["import_boto3_ms"]
    return result


def describe(r: dict[str, float]) -> str:
    verdict = "meets" if r["ratio"] <= GOAL else "misses"
    return (f"import app {r['import_app_ms']:.0f} ms vs import boto3 {r['import_boto3_ms']:.0f} ms "
            f"= {r['ratio']:.2f}x ({verdict} the {GOAL}x goal); then the first authenticated request "
            f"{r['first_request_ms']:.0f} ms (median of {SAMPLES} new processes)")


if __name__ == "__main__":
    print(describe(run()))
