"""Ranges of a recipe's numeric training hyper-parameters, checked when the ``[train]`` table is read.

torch accepts some values that silently ruin a run (``lr = nan``, a negative ``gamma``: gradient
ascent) and rejects others only with a traceback at the first step; each is one line here,
naming the key.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..errors import RecipeError

if TYPE_CHECKING:  # annotations only: the recipe schema imports this module
    from .schema import Optimizer, Schedule, TrainSpec

__all__ = ["check_train"]


def check_train(spec: TrainSpec, source: str) -> None:
    """Check ``spec``'s optimisers, schedule and ``grad_clip``.

    Raises:
        RecipeError: the first value out of range, naming its key (e.g. ``train.optimizer.lr``).
    """
    _check_optimizer(spec.optimizer, source, "train.optimizer")
    if spec.critic_optimizer is not None:
        _check_optimizer(spec.critic_optimizer, source, "train.critic_optimizer")
    _check_schedule(spec.schedule, source, "train.schedule")
    if spec.grad_clip is not None and not math.isfinite(spec.grad_clip):
        raise RecipeError(
            source, "train.grad_clip", f"expected a finite positive number, got {spec.grad_clip!r}"
        )


OPTIMIZERS = (
    "adadelta",
    "adafactor",
    "adagrad",
    "adam",
    "adamax",
    "adamw",
    "asgd",
    "nadam",
    "radam",
    "rmsprop",
    "rprop",
    "sgd",
)
"""The ``torch.optim`` classes (lower case) a plain training step drives: not ``lbfgs`` (it needs a
closure), ``sparseadam`` (sparse gradients) or ``muon`` (2-D parameters only). Listed, not read
from ``torch.optim``, so that reading a recipe does not load torch."""


def optimizer_names() -> list[str]:
    """The optimiser names a recipe may use (``adam``, ``sgd``, ...)."""
    return list(OPTIMIZERS)


def _check_optimizer(optimizer: Optimizer, source: str, path: str) -> None:
    names = optimizer_names()
    if optimizer.name.lower() not in names:
        raise RecipeError(
            source,
            f"{path}.name",
            f"unknown optimiser {optimizer.name!r}; expected one of {', '.join(names)}",
        )
    _in_range(optimizer.lr, source, f"{path}.lr", "a finite number > 0, e.g. 1e-4", low_open=0.0)
    for index, beta in enumerate(optimizer.betas):
        if not 0.0 <= beta < 1.0:
            raise RecipeError(
                source,
                f"{path}.betas",
                f"expected two numbers in [0, 1), e.g. [0.9, 0.999]; beta {index + 1} is {beta!r}",
            )
    _in_range(optimizer.momentum, source, f"{path}.momentum", "a finite number >= 0", low_closed=0.0)
    _in_range(optimizer.weight_decay, source, f"{path}.weight_decay", "a finite number >= 0", low_closed=0.0)
    for prefix, factor in optimizer.lr_multipliers.items():
        _in_range(factor, source, f"{path}.lr_multipliers.{prefix}", "a finite number >= 0", low_closed=0.0)


def _check_schedule(schedule: Schedule, source: str, path: str) -> None:
    _in_range(schedule.gamma, source, f"{path}.gamma", "a finite number > 0, e.g. 0.5", low_open=0.0)
    for key in ("constant_epochs", "decay_epochs", "step_epochs"):
        value = getattr(schedule, key)
        if value < 0:
            raise RecipeError(source, f"{path}.{key}", f"expected a whole number >= 0, got {value!r}")


def _in_range(
    value: float,
    source: str,
    key: str,
    expected: str,
    low_open: float | None = None,
    low_closed: float | None = None,
) -> None:
    bad = not math.isfinite(value)
    bad = (
        bad or (low_open is not None and value <= low_open) or (low_closed is not None and value < low_closed)
    )
    if bad:
        raise RecipeError(source, key, f"expected {expected}, got {value!r}")
