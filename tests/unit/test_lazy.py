"""chalicelib.lazy: a module named by lazy_module is imported on the first attribute read,
once, even when many threads read at the same moment (the local server serves requests on
threads; a route's first requests may race)."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from chalicelib.lazy import lazy_module

SLOW_MODULE = """
import time
RUNS = globals().get("RUNS", 0) + 1
time.sleep(0.2)  # a slow module body: the other threads arrive while it runs
ANSWER = 42
"""


def test_nothing_is_imported_until_an_attribute_is_read(tmp_path, monkeypatch):
    (tmp_path / "lazy_probe_idle.py").write_text("ANSWER = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    module = lazy_module("lazy_probe_idle")

    assert "lazy_probe_idle" not in sys.modules
    assert module.ANSWER == 1
    assert "lazy_probe_idle" in sys.modules


def test_racing_first_reads_import_the_module_once_and_all_see_it_whole(tmp_path, monkeypatch):
    (tmp_path / "lazy_probe_slow.py").write_text(SLOW_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = lazy_module("lazy_probe_slow")
    start = threading.Barrier(16)

    def read(_: int) -> int:
        start.wait()
        return module.ANSWER

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(read, range(16)))

    assert answers == [42] * 16
    assert module.RUNS == 1
