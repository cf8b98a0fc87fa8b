"""The run's records: ``metrics.jsonl`` rows, ``run.json``, ``recipe.toml`` and the exported weights."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from ..model.weights import save_weights
from ..runtime.devices import describe_hardware
from . import checkpoint as ckpt
from .figures import loss_curves
from .rundir import dumps_toml

__all__ = ["_RecordsMixin"]


class _RecordsMixin:
    """`Trainer`'s records of the run (rank 0 writes them)."""

    def _loss_names(self) -> list[str]:
        return [t.name for t in self.terms] + list(self.critics)

    def _log_row(
        self, record: Mapping[str, torch.Tensor], rates: Mapping[str, float], seconds: float
    ) -> dict[str, Any]:
        row: dict[str, Any] = {
            "step": self.step,
            "epoch": self.epoch + self.position / max(1, self.steps_per_epoch),
        }
        for key, value in record.items():
            if key != "_ok":
                row[key] = float(value)
        row["skipped"] = int(float(record["_ok"]) == 0)
        row.update(rates)
        row["step_time"] = seconds
        if self.dist.is_main:
            self.metrics.append(row)
        return row

    def _export(self, finished: bool = True) -> Path | None:
        """Save the (EMA) weights as ``model.safetensors``, draw the loss curves, update ``run.json``."""
        if not self.dist.is_main:
            return None
        path = save_weights(
            self._eval_model(), self.run_dir / "model.safetensors", metadata=self._weights_metadata()
        )
        self._plot_losses()
        self._write_run_json(finished=finished)
        return path

    def _plot_losses(self) -> None:
        """``loss_curves.png``; a figure that cannot be drawn is a warning, not a failed run."""
        try:
            loss_curves(self.run_dir / "metrics.jsonl", self.run_dir / "loss_curves.png", self._loss_names())
        except Exception as exc:  # noqa: BLE001 - matplotlib missing or broken, a full disk: the run is done
            reason = ckpt.reason_of(exc)
            warnings.warn(
                f"{self.run_dir / 'loss_curves.png'}: not drawn ({reason})", UserWarning, stacklevel=2
            )

    def _write_run_files(self) -> dict[str, Any]:
        """``recipe.toml`` and ``run.json`` at the start of an attempt; the ``run.json`` document."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        ckpt.atomic_write(self.run_dir / "recipe.toml", dumps_toml(self.recipe.to_dict()).encode())
        earlier = _commands_of(self.run_dir / "run.json") if self.resumed_from is not None else []
        self._commands = [*earlier, list(sys.argv)]
        return self._write_run_json(finished=False)

    def _hardware(self) -> dict[str, Any]:
        if not hasattr(self, "_hardware_facts"):
            self._hardware_facts = describe_hardware(self.device)
        return self._hardware_facts

    def _write_run_json(self, finished: bool) -> dict[str, Any]:
        """Write ``run.json`` (at the start, at every checkpoint and at the end); the document."""
        options = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self.options).items()}
        options["overrides"] = dict(self.options.overrides)
        document = {
            "recipe": self.recipe.name,
            "options": options,
            "device": str(self.device),
            "world_size": self.dist.world_size,
            "data": {"plugin": self.source.plugin, "root": str(self.source.root), "split": self.source.split},
            "validation": None
            if self.val_source is None
            else str(self.val_source.root / (self.val_source.split or "")),
            "batch_size": self.batch_size,
            "patch_size": self.patch,
            "steps_per_epoch": self.steps_per_epoch,
            "total_steps": self.total_steps,
            "phases": [asdict(p) for p in self.phases],
            "step": self.step,
            "finished": finished,
            "wall_seconds": round(self.wall_seconds, 3),
            "commands": getattr(self, "_commands", [list(sys.argv)]),
            "hardware": self._hardware(),
            "torch": torch.__version__,
        }
        ckpt.atomic_write(self.run_dir / "run.json", json.dumps(document, indent=1, default=str).encode())
        return document

    # ------------------------------------------------------------------ checkpoints


def _commands_of(path: Path) -> list[list[str]]:
    """The command lines an earlier ``run.json`` recorded (none in one written before srzoo kept them,
    or one that does not read back)."""
    try:
        commands = json.loads(path.read_text()).get("commands", [])
    except (OSError, ValueError, AttributeError):
        return []
    if isinstance(commands, list) and all(isinstance(c, list) for c in commands):
        return commands
    return []
