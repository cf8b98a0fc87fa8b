"""``TensorBoardLogger``: a run's scalars and events as TensorBoard event files in ``RUN/tensorboard``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import srzoo

INSTALL = 'pip install "srzoo[tensorboard]"'


class TensorBoardLogger:
    """Writes every scalar under its own name (``sr.l1``, ``lr/sr``, ``val/psnr``) and the run's
    events as text (``events``), into ``RUN/tensorboard``: ``tensorboard --logdir RUN``.

    A resumed run drops the events the interrupted attempt wrote after its checkpoint (TensorBoard's
    ``purge_step``), as ``metrics.jsonl`` drops its rows.

    Raises:
        SrzooError: the ``tensorboard`` package is not installed (one line with the install command).
    """

    def __init__(self) -> None:
        try:  # the optional extra: checked before the run starts, not at its first step
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise srzoo.SrzooError(f"logger 'tensorboard' needs the tensorboard package: {INSTALL}") from None
        self._writer_class = SummaryWriter
        self.writer: Any = None

    def open(self, run_dir: Path, run_info: Mapping[str, Any]) -> None:
        step = int(run_info.get("step", 0))
        self.writer = self._writer_class(
            log_dir=str(Path(run_dir) / "tensorboard"), purge_step=step + 1 if step > 0 else None
        )

    def log_scalars(self, step: int, scalars: Mapping[str, float]) -> None:
        for name, value in scalars.items():
            if isinstance(value, (int, float)) and math.isfinite(value):
                self.writer.add_scalar(name, value, step)

    def log_event(self, step: int, kind: str, message: str) -> None:
        self.writer.add_text("events", f"{kind}: {message}", step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
