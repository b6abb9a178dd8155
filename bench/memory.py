"""Peak resident memory (Linux VmHWM) of the local stack while one benchmark runs.

Two sides: the moto server, a child process per `local_aws()` whose peak is taken just
before it stops; and the app side, the bench process itself, where the handlers run
(through `chalice.test.Client` or chalice's local server) with the clients that drive
them. The app side's high-water mark is reset before each benchmark (`/proc/self/clear_refs`),
so it starts from what earlier benchmarks left resident, not from their peaks.
psutil has no peak figure on Linux, so /proc is read directly.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

_moto_peaks_mb: list[float] = []


@dataclass
class Peaks:
    """Peaks of one benchmark in MB; `moto_mb` is None when it started no stack."""

    moto_mb: float | None = None
    app_mb: float | None = None


def peak_rss_mb(pid: int | str = "self") -> float | None:
    """The process's peak resident set (VmHWM) in MB; None where /proc does not tell."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def note_moto_peak(mb: float | None) -> None:
    """Called by `local_aws()` as its moto server stops."""
    if mb is not None:
        _moto_peaks_mb.append(mb)


def _reset_own_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # 5: reset the peak RSS to the current RSS
    except OSError:
        pass  # not Linux, or not allowed: the app side's figure is then the process's whole lifetime


@contextmanager
def measured() -> Iterator[Peaks]:
    """Collect the peaks of what runs inside (read them after the block ends)."""
    _moto_peaks_mb.clear()
    _reset_own_peak()
    peaks = Peaks()
    try:
        yield peaks
    finally:
        if _moto_peaks_mb:
            peaks.moto_mb = max(_moto_peaks_mb)
            peaks.app_mb = peak_rss_mb()
