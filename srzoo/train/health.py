"""A run's health: non-finite losses skip the step; a streak of them, or a run that ends on them or
on non-finite weights, rolls back to the last good checkpoint and stops with `TrainingDiverged`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from ..errors import SrzooError

__all__ = ["TrainingDiverged", "finite_weights"]

ADVICE = "lower the learning rate (--set train.optimizer.lr=...) or set train.grad_clip"


class TrainingDiverged(SrzooError):
    """Losses or weights went NaN/inf; the run rolled back to its last good checkpoint and stopped."""


def finite_weights(*modules: nn.Module) -> bool:
    """Whether every floating-point parameter and buffer of ``modules`` is finite."""
    for module in modules:
        for tensor in (*module.parameters(), *module.buffers()):
            if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
                return False
    return True


class _HealthMixin:
    """`Trainer`'s guard against divergence."""

    def _healthy(self) -> bool:
        """The last step was applied and the weights (and their average) are finite: safe to save."""
        nets = [self.model, *(c.network for c in self.critics.values())]
        if self.ema is not None:
            nets.append(self.ema.shadow)
        return self.bad_steps == 0 and finite_weights(*nets)

    def _health(self, record: Mapping[str, torch.Tensor]) -> None:
        """Count non-finite steps; after ``max_bad_steps`` in a row, roll back and stop."""
        if float(record["_ok"]) == 1:
            self.bad_steps = 0
            return
        self.bad_steps += 1
        if self.bad_steps < self.options.max_bad_steps:
            return
        bad = next(
            (k for k, v in record.items() if k != "_ok" and not torch.isfinite(v.float()).all()),
            "a loss term",
        )
        step = self.step
        latest = self._roll_back()
        where = "no checkpoint was saved yet, so the weights are those of the last step"
        if latest is not None:
            where = f"rolled back to {latest}"
        raise TrainingDiverged(
            f"loss {bad!r} was NaN/inf for {self.bad_steps} steps in a row (up to step {step}); {where}; {ADVICE}"
        )

    def _roll_back(self) -> Path | None:
        """Load the newest checkpoint that reads back whole (``None``: there is none)."""
        found = self.store.newest_readable()
        if found is None:
            return None
        path, loaded, _ = found
        self._restore(path, loaded)
        return path

    def _finish_diverged(self) -> None:
        """The run reached its end unhealthy: export the last good checkpoint's weights and stop."""
        step = self.step
        cause = (
            f"its last {self.bad_steps} step(s) were skipped as NaN/inf"
            if self.bad_steps
            else "its final weights are NaN/inf"
        )
        latest = self._roll_back() if self.dist.is_main else None
        if latest is not None:
            weights = self._export(finished=False)
            kept = f"exported the last good checkpoint {latest.name} (step {self.step}) as {weights}"
        else:
            kept = "no good checkpoint was saved, so no weights were exported"
            if self.dist.is_main:
                self._write_run_json(finished=False)
        self.dist.barrier()
        raise TrainingDiverged(f"training diverged: {cause} at step {step}; {kept}; {ADVICE}")
