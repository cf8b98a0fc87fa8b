"""Timing and peak-memory measurement for the benchmark: synchronised wall clock, median over images.

`Stopwatch` times one forward pass at a time, synchronising the device before and after so
that asynchronous CUDA kernels are counted where they run. `PeakMemory` measures the peak of
one block (it lives in `srzoo.runtime.memory`, shared with upscaling's tile-size probe).
"""

from __future__ import annotations

import statistics
import time
from typing import Self

import torch

from ..runtime.memory import PeakMemory

__all__ = ["PeakMemory", "Stopwatch", "median_ms"]


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
