"""Cold start: what a Lambda pays at import, `import app` against the floor `import boto3`.

Every function needs boto3, so boto3's import is the floor. Also measured, to say what
the rest is: the libraries alone (exactly the modules `import app` loads, minus the app's
own `app` and `chalicelib`: Chalice, Powertools' Logger and Metrics, the standard library),
so `app - libraries` is our own import work (module bodies, the route table). pydantic and
the models are not among them: route modules load them on a route's first request
(chalicelib.lazy).

Each sample is a new Python process (as a cold Lambda is), in the environment the
deployed functions get (`.chalice/config.json`, stage prod). Fairness between them:

- all load compiled bytecode from one fresh cache directory (`PYTHONPYCACHEPREFIX`),
  filled by a discarded warm-up run of each, so none pays for compiling source (pip
  compiled boto3 on install; the app's own modules would otherwise be compiled in every
  sample under `PYTHONDONTWRITEBYTECODE`) and all read from a warm file cache;
- samples are interleaved, one of each per round, their order rotating every round, so
  machine noise and drift hit all alike. A ratio is the median over the rounds of the
  round's own ratio (a slow spell slows both sides of a round); times shown are medians.
  Each sample records wall-clock and CPU time; the CPU-time ratio is shown beside the
  wall-clock one as a check: on a busy machine the two disagree when noise did not even out.

Also measured: the first request after import (an authenticated wallet listing through the
Chalice handler, refused for its query before any database read), since work moved out of
import (JWT verification, pydantic, the coupon models and service, their validators) is paid
there, and import plus that request against the floor: what a cold API call pays in all.

Where the first request's time goes is measured too (`-X importtime` of that request alone,
grouped by top-level package): what it imports, and the rest (building the models' validators,
serving). That is the answer to "why not 1.5x": the request needs pydantic, and PyJWT's import
loads `cryptography` (its RSA/EC algorithms) even for the HS256 tokens we verify.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from infra.package import stage_environment

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = int(os.environ.get("BENCH_COLD_SAMPLES", "31"))
GOAL = 1.3

TIMED = """
import time
t, c = time.perf_counter(), time.process_time()
{body}
print(time.perf_counter() - t, time.process_time() - c)
"""
FLOOR = TIMED.format(body="import boto3")
APP = TIMED.format(body="import app")
OWN_MODULES = ("app", "chalicelib")
LIST_LIBRARIES = f"""
import json, sys
before = set(sys.modules)
import app
print(json.dumps([m for m in sys.modules if m not in before and m.partition('.')[0] not in {OWN_MODULES!r}]))
"""
FIRST_REQUEST = """
import os, time
import app
from chalice.test import Client
headers = {'Authorization': 'Bearer ' + os.environ['BENCH_TOKEN']}
with Client(app.app, stage_name='bench') as client:
    t, c = time.perf_counter(), time.process_time()
    assert client.http.get('/me/coupons?limit=0', headers=headers).status_code == 400
print(time.perf_counter() - t, time.process_time() - c)
"""

MARK = "--- first request ---"
PROFILED_REQUEST = (FIRST_REQUEST.replace("import os, time", "import os, sys, time")
                    .replace("    t, c = ", f"    print({MARK!r}, file=sys.stderr, flush=True)\n    t, c = "))
IMPORT_GROUPS = ("cryptography", "jwt", "pydantic", "pydantic_core", "annotated_types", "chalicelib")

SECRET = "bench-secret-0123456789abcdef0123456789"


def _environment(pycache: str) -> dict[str, str]:
    from chalicelib.auth import issue_token

    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **stage_environment("prod"), "PYTHONPYCACHEPREFIX": pycache, "MALL_JWT_SECRET": SECRET,
            "AWS_DEFAULT_REGION": "us-east-1", "BENCH_TOKEN": issue_token(SECRET, "u", [], 3600, int(time.time()))}


def _run(code: str, env: dict[str, str]) -> str:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True).stdout.strip().splitlines()[-1]


def _sample(code: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall-clock ms, CPU ms) of the timed part of `code`, in a new process."""
    wall, cpu = _run(code, env).split()
    return float(wall) * 1000, float(cpu) * 1000


def first_request_imports(env: dict[str, str]) -> dict[str, float]:
    """ms of import work (self time, `-X importtime`) during the first request, by top-level package
    (`other` for the rest), and `request`: the request's wall-clock time in that same process."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", PROFILED_REQUEST], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True)
    groups = dict.fromkeys((*IMPORT_GROUPS, "other"), 0.0)
    for line in done.stderr.partition(MARK)[2].splitlines():
        head, _, name = line.rpartition("|")
        fields = head.replace("import time:", "").split("|")
        if len(fields) != 2 or not fields[0].strip().isdigit():
            continue
        top = name.strip().partition(".")[0]
        groups[top if top in groups else "other"] += int(fields[0]) / 1000
    return {**groups, "request": float(done.stdout.strip().splitlines()[-1].split()[0]) * 1000}


def _libraries(env: dict[str, str]) -> str:
    """Code importing what `import app` imports, in the same order, minus the app's own modules."""
    modules = json.loads(_run(LIST_LIBRARIES, env))
    return TIMED.format(body=f"import importlib\nfor name in {modules!r}:\n    importlib.import_module(name)")


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as pycache:
        env = _environment(pycache)
        codes = {"boto3": FLOOR, "libraries": _libraries(env), "app": APP}
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in [*codes, "first_request"]}
        for code in [*codes.values(), FIRST_REQUEST]:  # warm-up: fill the bytecode and file caches
            _sample(code, env)
        names = list(codes)
        for i in range(SAMPLES):
            for name in names[i % len(names):] + names[:i % len(names)]:
                samples[name].append(_sample(codes[name], env))
        for _ in range(max(SAMPLES // 3, 3)):
            samples["first_request"].append(_sample(FIRST_REQUEST, env))
        imports = [first_request_imports(env) for _ in range(5)]
    result = {f"imports_{name}_ms": statistics.median(i[name] for i in imports) for name in imports[0]}
    for name, values in samples.items():
        result[f"{name}_ms"] = statistics.median(wall for wall, _ in values)
        result[f"{name}_cpu_ms"] = statistics.median(cpu for _, cpu in values)
    result["ratio"] = _paired(samples["app"], samples["boto3"], 0)
    result["cpu_ratio"] = _paired(samples["app"], samples["boto3"], 1)
    result["libraries_ratio"] = _paired(samples["libraries"], samples["boto3"], 0)
    result["api_ratio"] = (result["app_ms"] + result["first_request_ms"]) / result["boto3_ms"]
    return result


def _paired(side: list[tuple[float, float]], floor: list[tuple[float, float]], which: int) -> float:
    """The median over rounds of side/floor (which: 0 wall-clock, 1 CPU time)."""
    return statistics.median(a[which] / b[which] for a, b in zip(side, floor, strict=True))


def describe(r: dict[str, float]) -> str:
    verdict = "meets" if r["ratio"] <= GOAL else "misses"
    return (f"import app {r['app_ms']:.0f} ms vs import boto3 {r['boto3_ms']:.0f} ms = {r['ratio']:.2f}x "
            f"({verdict} the {GOAL}x goal; CPU time {r['cpu_ratio']:.2f}x), of which the libraries alone "
            f"(Chalice, Powertools) {r['libraries_ms']:.0f} ms = {r['libraries_ratio']:.2f}x; "
            f"then the first authenticated request {r['first_request_ms']:.0f} ms (it loads pydantic and the "
            f"coupon models), so a cold API call pays {r['api_ratio']:.2f}x the floor in all "
            f"(medians of {SAMPLES} rounds of new processes, from bytecode). Where the first request goes "
            f"(median of 5, `-X importtime` self times): {_imports(r)}")


def _imports(r: dict[str, float]) -> str:
    request = r["imports_request_ms"]
    parts = {name: r[f"imports_{name}_ms"] for name in (*IMPORT_GROUPS, "other")}
    shown = ", ".join(f"{name} {ms:.0f} ms" for name, ms in parts.items() if ms >= 0.5)
    return (f"imports {sum(parts.values()):.0f} ms of a {request:.0f} ms request ({shown}); the rest, "
            f"{max(request - sum(parts.values()), 0):.0f} ms, builds the models' validators and serves")


if __name__ == "__main__":
    print(describe(run()))
