"""`make bench`: run every benchmark and write bench/results.md (machine, date, figures).

Each benchmark measures its own floor in the same run and reports a ratio, so the figures
compare across machines; absolute times are printed for context only. For every benchmark
that runs a local stack, the peak resident memory of its moto server and of the app side
is reported too (bench.memory), with a summary line.
"""

from __future__ import annotations

import datetime
import importlib
import logging
import os
import platform
import sys
from pathlib import Path

from bench import memory

# The sweep last: it seeds 100k items, and what the bench process keeps of them would
# count in the app side's memory of every benchmark after it.
BENCHMARKS = ["bench.cold_start", "bench.claim", "bench.reserve", "bench.webhook", "bench.flash_sale", "bench.capacity",
              "bench.flash_race", "bench.day", "bench.sweep"]
RESULTS = Path(__file__).with_name("results.md")
READING = Path(__file__).with_name("reading.md")  # the hand-written explanation appended to the figures


def machine() -> str:
    ram = "?"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        ram = f"{int(meminfo.read_text().split()[1]) / 1024 / 1024:.0f} GiB"
    return f"{platform.machine()}, {os.cpu_count()} cores, {ram}, Python {platform.python_version()}, {platform.platform()}"


def main(names: list[str]) -> None:
    """Every benchmark, written to bench/results.md; or only those named (`python -m bench
    flash_race`), printed and not written."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    unknown = [n for n in names if f"bench.{n}" not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark(s) {unknown}; known: {[b.split('.')[-1] for b in BENCHMARKS]}")
    lines, peaks = [], {}
    for name in [f"bench.{n}" for n in names] or BENCHMARKS:
        module = importlib.import_module(name)
        short = name.split(".")[-1]
        print(f"running {name} ...", file=sys.stderr, flush=True)
        with memory.measured() as peak:
            result = module.run()
        line = module.describe(result)
        if peak.moto_mb is not None:
            peaks[short] = peak
            line += f" [peak RSS: moto server {peak.moto_mb:.0f} MB, app side {_mb(peak.app_mb)}]"
        print(line, flush=True)
        lines.append(f"- **{short}**: {line}")
    if names:
        return
    RESULTS.write_text(
        "# Benchmark results\n\n"
        f"Machine: {machine()}  \nDate: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}  \n"
        "Command: `make bench`. Every figure is a ratio against a floor measured in the same run.\n\n"
        + "\n".join(lines) + "\n\n" + memory_summary(peaks) + "\n\n" + READING.read_text()
    )
    print(f"wrote {RESULTS}", file=sys.stderr)


def _mb(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f} MB"


def memory_summary(peaks: dict[str, memory.Peaks]) -> str:
    """One line: the largest peak of each side of the local stack, and which benchmark reached it."""
    if not peaks:
        return "Peak RSS of the local stack: no benchmark ran one."
    moto = max(peaks, key=lambda n: peaks[n].moto_mb or 0)
    app = max(peaks, key=lambda n: peaks[n].app_mb or 0)
    day = ""
    if "day" in peaks:  # the 500 MB goal is a day of `make run`'s; the sweep seeds a far larger table
        verdict = "meets" if (peaks["day"].moto_mb or 0) < 500 else "misses"
        day = (f"A day of `make run`: moto server peak {_mb(peaks['day'].moto_mb)} ({verdict} the 500 MB goal). ")
    return (day + f"Peak RSS of the local stack (VmHWM, per benchmark in brackets above): moto server up to "
            f"{_mb(peaks[moto].moto_mb)} ({moto}), app side (the bench process: handlers and the clients "
            f"driving them) up to {_mb(peaks[app].app_mb)} ({app}).")


if __name__ == "__main__":
    main(sys.argv[1:])
