"""Peak memory of a block: ``torch.cuda.max_memory_allocated`` on CUDA, the process's peak resident
set size on the CPU (Linux's ``VmHWM``, reset through ``/proc/self/clear_refs``; elsewhere
``ru_maxrss``, which cannot be reset and so is an upper bound)."""

from __future__ import annotations

import resource
import sys
from pathlib import Path
from types import TracebackType
from typing import Self

import torch

__all__ = ["PeakMemory", "read_status_kib"]

_PROC = Path("/proc/self")


def read_status_kib(field: str) -> int | None:
    """A ``/proc/self/status`` field in KiB (``VmRSS``, ``VmHWM``), ``None`` where there is none."""
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
            self.kind = (
                "rss" if _reset_rss_peak() and read_status_kib("VmHWM") is not None else "rss_process_max"
            )
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            self.mib = torch.cuda.max_memory_allocated(self.device) / 2**20
        elif self.kind == "rss":
            self.mib = (read_status_kib("VmHWM") or 0) / 1024
        else:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self.mib = peak / 2**20 if sys.platform == "darwin" else peak / 1024
