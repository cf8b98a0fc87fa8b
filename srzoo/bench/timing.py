"""Timing and peak-memory measurement for the benchmark: synchronised wall clock, median over images.

`Stopwatch` times one forward pass at a time, synchronising the device before and after so
that asynchronous CUDA kernels are counted where they run. `PeakMemory` measures the peak of
one block: ``torch.cuda.max_memory_allocated`` on CUDA, the process's peak resident set size on the
CPU (Linux's ``VmHWM``, reset through ``/proc/self/clear_refs``; elsewhere ``ru_maxrss``, which
cannot be reset and so is an upper bound).
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import torch

__all__ = ["PeakMemory", "Stopwatch", "median_ms"]

_PROC = Path("/proc/self")


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (CUDA); a no-op on the CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Stopwatch:
    """Collects the wall-clock time of synchronised calls, in milliseconds.

    Examples:
        >>> from srzoo.bench.timing import Stopwatch
        >>> watch = Stopwatch(torch.device("cpu"))
        >>> with watch:
        ...     _ = torch.ones(4) * 2
        >>> len(watch.times_ms)
        1
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.times_ms: list[float] = []
        self._start = 0.0

    def __enter__(self) -> Self:
        synchronize(self.device)
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        synchronize(self.device)
        self.times_ms.append((time.perf_counter() - self._start) * 1e3)


def median_ms(times_ms: list[float]) -> float | None:
    """The median of ``times_ms`` (``None`` when empty)."""
    return statistics.median(times_ms) if times_ms else None


def _read_kib(field: str) -> int | None:
    try:
        for line in (_PROC / "status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_rss_peak() -> bool:
    try:
        (_PROC / "clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
    except OSError:
        return False
    return True


class PeakMemory:
    """The peak memory of a block, in MiB (`mib` after the block).

    Attributes:
        kind: ``"cuda_max_allocated"``, ``"rss"`` (reset peak resident set) or ``"rss_process_max"``
            (peak since the process started, where the peak cannot be reset).
        mib: the measured peak.
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.kind = ""
        self.mib = 0.0

    def __enter__(self) -> Self:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self.kind = "cuda_max_allocated"
        else:
            self.kind = "rss" if _reset_rss_peak() and _read_kib("VmHWM") is not None else "rss_process_max"
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            self.mib = torch.cuda.max_memory_allocated(self.device) / 2**20
        elif self.kind == "rss":
            self.mib = (_read_kib("VmHWM") or 0) / 1024
        else:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self.mib = peak / 2**20 if sys.platform == "darwin" else peak / 1024
