"""Where a run reports: ``train.log``, stderr and the loggers plugins add.

``train.log`` (rank 0 only) gets a timestamped line for every progress line and every event::

    2026-12-06 09:41:02 start srcnn-x4: 16000 steps (200 epochs of 80), batch 16, patch 96, cpu ...
    2026-12-06 09:41:02 command: srzoo train srcnn-x4 --data photos/ --out runs/srcnn
    2026-12-06 09:41:32 step 120/16000 (epoch 1.50) | sr.mse 0.01234 | lr 1.0e-04 | 3.1 it/s | ETA 1:25:01
    2026-12-06 10:02:11 validation at step 4000: psnr 24.1234, ssim 0.7012, gsm 0.8811
    2026-12-06 10:02:12 checkpoint at step 4000: runs/srcnn/checkpoints/step-00004000

It is only ever appended to: a resumed run adds its lines after the old ones. A progress line is
written on a logged step (``--log-every``) at most every ``--log-seconds``, and always for the first
logged step of an attempt and the last step; stderr shows the same lines when it is not a terminal.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError
from .checkpoint import reason_of
from .loggers import Loggers
from .progress import RunProgress, StepStatus

__all__ = ["RunLog"]

SHOWN_EVENTS = frozenset({"start", "warning", "validation", "checkpoint"})
"""Events also shown on stderr; the others (``resume``, ``command``, ``finish``, ``stop``, ``error``)
are what the caller reports itself (``srzoo train``'s resume and last lines, a raised error), so only
``train.log`` has them."""


class RunLog:
    """A run's reports, fanned out to ``train.log``, stderr (`RunProgress`) and the loggers.

    Args:
        path: ``RUN/train.log``; ``None`` on ranks other than 0.
        progress: the run's stderr.
        loggers: the plugins' loggers (empty on ranks other than 0).
        every_seconds: the least time between two progress lines (0: every logged step).
        now: the clock that spaces the lines (tests give their own).
    """

    def __init__(
        self,
        path: Path | None,
        progress: RunProgress,
        loggers: Loggers,
        every_seconds: float,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.progress = progress
        self.loggers = loggers
        self.every_seconds = every_seconds
        self._now = now
        self._last_line: float | None = None

    def open(self, run_dir: Path, run_info: Mapping[str, Any]) -> None:
        """Open the loggers (see [`RunLogger.open`][srzoo.train.RunLogger.open])."""
        self.loggers.open(run_dir, run_info)

    def close(self) -> None:
        self.loggers.close()

    def step(self, status: StepStatus, scalars: Mapping[str, float]) -> None:
        """A logged step: the bar, the loggers' scalars, and a progress line when one is due."""
        self.progress.update(status)
        self.loggers.log_scalars(status.step, scalars)
        now = self._now()
        due = (
            self._last_line is None
            or status.step == status.total
            or now - self._last_line >= self.every_seconds
        )
        if due:
            self._last_line = now
            line = status.line()
            self.write(line)
            self.progress.line(line)

    def scalars(self, step: int, scalars: Mapping[str, float]) -> None:
        """Values beside the logged steps' (the validation's ``val/psnr``...), to the loggers only."""
        self.loggers.log_scalars(step, scalars)

    def event(self, step: int, kind: str, message: str) -> None:
        """An event line in ``train.log`` (and on stderr for `SHOWN_EVENTS`), and to the loggers."""
        self.write(message)
        if kind in SHOWN_EVENTS:
            self.progress.say(message)
        self.loggers.log_event(step, kind, message)

    def write(self, line: str) -> None:
        """Append one timestamped line to ``train.log`` (after a torn last line, on a fresh line)."""
        if self.path is None:
            return
        text = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n"
        try:
            with open(self.path, "ab+") as handle:
                if handle.tell() > 0:
                    handle.seek(-1, os.SEEK_END)
                    if handle.read(1) != b"\n":
                        text = "\n" + text
                handle.write(text.encode())
        except OSError as exc:
            raise InputError(f"{self.path}: cannot append a line ({reason_of(exc)})") from None
