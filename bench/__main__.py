"""`make bench`: run every benchmark and write bench/results.md (machine, date, figures).

Each benchmark measures its own floor in the same run and reports a ratio, so the figures
compare across machines; absolute times are printed for context only.
"""

from __future__ import annotations

import datetime
import importlib
import logging
import os
import platform
import sys
from pathlib import Path

BENCHMARKS = ["bench.cold_start", "bench.claim", "bench.webhook", "bench.flash_sale", "bench.sweep"]
RESULTS = Path(__file__).with_name("results.md")


def machine() -> str:
    memory = "?"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        memory = f"{int(meminfo.read_text().split()[1]) / 1024 / 1024:.0f} GiB"
    return f"{platform.machine()}, {os.cpu_count()} cores, {memory}, Python {platform.python_version()}, {platform.platform()}"


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    lines = []
    for name in BENCHMARKS:
        module = importlib.import_module(name)
        print(f"running {name} ...", file=sys.stderr, flush=True)
        line = module.describe(module.run())
        print(line, flush=True)
        lines.append(f"- **{name.split('.')[-1]}**: {line}")
    RESULTS.write_text(
        "# Benchmark results\n\n"
        f"Machine: {machine()}  \nDate: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}  \n"
        "Command: `make bench`. Every figure is a ratio against a floor measured in the same run.\n\n"
        + "\n".join(lines) + "\n"
    )
    print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
