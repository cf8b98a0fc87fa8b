"""The rich progress bar of a run: step, losses, it/s, ETA and peak device memory."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Self

import torch

__all__ = ["RunProgress", "peak_memory_mb"]


def peak_memory_mb(device: torch.device) -> float:
    """Peak memory in MiB: CUDA's allocator peak on CUDA, the process's peak RSS on the CPU."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 1024 if sys.platform != "darwin" else peak / 2**20
    except (ImportError, OSError):  # pragma: no cover - non-POSIX
        return float("nan")


class RunProgress:
    """A rich progress bar on stderr (hidden when stderr is not a terminal or ``enabled`` is false)."""

    def __init__(self, total: int, start: int, enabled: bool, description: str) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[speed]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[info]}"),
            console=console,
            disable=not (enabled and console.is_terminal),
        )
        self.task = self.progress.add_task(description, total=total, completed=start, speed="", info="")

    def __enter__(self) -> Self:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, step: int, losses: Mapping[str, float], rate: float, memory_mb: float) -> None:
        shown = "  ".join(f"{k} {v:.4g}" for k, v in list(losses.items())[:6])
        self.progress.update(
            self.task, completed=step, speed=f"{rate:.2f} it/s", info=f"{shown}  peak {memory_mb:.0f} MiB"
        )
