"""A run's progress on stderr: a rich bar on a terminal, plain lines anywhere else.

The plain line (also what ``train.log`` holds, see `srzoo.train.runlog`)::

    step 120/16000 (epoch 0.30) | sr.l1 0.1234 sr.gan 0.6931 | lr 2.0e-04 | 3.1 it/s | ETA 1:23:45
"""

from __future__ import annotations

import datetime
import resource  # POSIX, as srzoo.runtime.memory; the CPU's peak memory comes from it
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

import torch
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

__all__ = ["RunProgress", "StepStatus", "clock", "peak_memory_mb"]


def peak_memory_mb(device: torch.device) -> float:
    """Peak memory in MiB: CUDA's allocator peak on CUDA, the process's peak RSS on the CPU."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20


def clock(seconds: float) -> str:
    """``H:MM:SS`` (``1 day, H:MM:SS`` past a day), whole seconds."""
    return str(datetime.timedelta(seconds=round(max(0.0, seconds))))


@dataclass(frozen=True)
class StepStatus:
    """Where a run stands after a logged step.

    Attributes:
        step: generator updates done; ``total`` planned.
        epoch: fractional epochs done.
        losses: each loss term and critic loss by name (``sr.l1``, ``d0``).
        rates: learning rates by ``lr/NET``.
        speed: steps per second since this attempt started (0 before the first step).
        memory_mb: peak device memory (`peak_memory_mb`).
    """

    step: int
    total: int
    epoch: float
    losses: Mapping[str, float]
    rates: Mapping[str, float]
    speed: float
    memory_mb: float

    @property
    def eta_seconds(self) -> float | None:
        """Seconds to the end at the measured speed; ``None`` before there is a speed."""
        return (self.total - self.step) / self.speed if self.speed > 0 else None

    def eta(self) -> str:
        seconds = self.eta_seconds
        return clock(seconds) if seconds is not None else "-:--:--"

    def learning_rate(self) -> str:
        """``lr 2.0e-04`` when every network has that rate, else ``lr sem 2.0e-04 d0 1.0e-04``."""
        values = set(self.rates.values())
        if len(values) == 1:
            return f"lr {values.pop():.1e}"
        return "lr " + " ".join(f"{k.removeprefix('lr/')} {v:.1e}" for k, v in self.rates.items())

    def line(self) -> str:
        """The plain progress line (see the module's docstring)."""
        parts = [f"step {self.step}/{self.total} (epoch {self.epoch:.2f})"]
        if self.losses:
            parts.append(" ".join(f"{k} {v:.4g}" for k, v in self.losses.items()))
        if self.rates:
            parts.append(self.learning_rate())
        parts += [f"{self.speed:.3g} it/s", f"ETA {self.eta()}"]
        return " | ".join(parts)


class RunProgress:
    """A run's stderr: a rich bar on a terminal, plain lines elsewhere, nothing when not ``enabled``.

    Whether stderr is a terminal is rich's call (``Console.is_terminal``), made when the bar is made;
    ``console`` replaces stderr's (tests).
    """

    def __init__(
        self, total: int, start: int, enabled: bool, description: str, console: Console | None = None
    ) -> None:
        self.console = console if console is not None else Console(stderr=True)
        self.enabled = enabled
        self.on_terminal = enabled and self.console.is_terminal
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[speed]}"),
            TimeElapsedColumn(),
            TextColumn("ETA {task.fields[eta]}"),
            TextColumn("{task.fields[info]}"),
            console=self.console,
            disable=not self.on_terminal,
        )
        self.task = self.progress.add_task(
            description, total=total, completed=start, speed="", eta="-:--:--", info=""
        )

    def __enter__(self) -> Self:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, status: StepStatus) -> None:
        """Move the bar (on a terminal); the ETA is computed from the measured speed, not rich's
        estimate, which needs several updates inside its window and stays blank on short runs."""
        if not self.on_terminal:
            return
        shown = "  ".join(f"{k} {v:.4g}" for k, v in list(status.losses.items())[:6])
        self.progress.update(
            self.task,
            completed=status.step,
            speed=f"{status.speed:.2f} it/s",
            eta=status.eta(),
            info=f"{shown}  peak {status.memory_mb:.0f} MiB",
        )

    def line(self, text: str) -> None:
        """A progress line, shown only where there is no bar (stderr is not a terminal)."""
        if self.enabled and not self.on_terminal:
            self.say(text)

    def say(self, text: str) -> None:
        """An event line: above the bar on a terminal, a plain line elsewhere."""
        if not self.enabled:
            return
        if self.on_terminal:
            self.console.print(text, markup=False, highlight=False, soft_wrap=True)
            return
        stream = sys.stderr  # looked up now: a caller (or pytest) may have replaced it
        stream.write(text + "\n")
        stream.flush()
