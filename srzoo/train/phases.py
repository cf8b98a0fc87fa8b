"""The run's plan: how many steps, and which generators train when (`Phase`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..recipe import Recipe, TrainSpec
from .options import TrainOptions

__all__ = ["Phase", "phase_at", "plan_length", "plan_phases"]


@dataclass(frozen=True)
class Phase:
    """A stretch of the run training some generators.

    Joint training has one phase over all steps. Sequential training has one per generator node, in
    graph order, each ``total_steps / K`` steps long (the last takes the remainder); phase ``k``
    trains generator ``k`` and the critics judging it on the outputs of the frozen (eval-mode)
    generators before it, and its learning-rate schedule runs ``K`` times faster, so that every
    phase goes through the recipe's whole schedule (e.g. constant, then linear decay) in its share.

    Attributes:
        generators: the trained generator nodes.
        start, end: global steps ``[start, end)``.
        speed: the schedule's epoch multiplier (1 joint, ``K`` sequential).
    """

    generators: tuple[str, ...]
    start: int
    end: int
    speed: int = 1


def plan_length(options: TrainOptions, spec: TrainSpec, recipe: Recipe, steps_per_epoch: int) -> int:
    """The run's length in generator updates: ``--epochs``/``--max-steps``, else the recipe's."""
    epochs = options.epochs or (None if options.max_steps else spec.epochs)
    if epochs is not None:
        total = epochs * steps_per_epoch
        return min(total, options.max_steps) if options.max_steps else total
    if options.max_steps:
        return options.max_steps
    if spec.steps:
        return spec.steps
    raise InputError(
        f"recipe {recipe.name!r} gives no training length (train.epochs or train.steps); pass --epochs or --max-steps"
    )


def plan_phases(stages: str, generators: list[str], total_steps: int) -> list[Phase]:
    """One joint phase, or one phase per generator (in graph order) for ``stages = "sequential"``."""
    if stages == "joint":
        return [Phase(tuple(generators), 0, total_steps, 1)]
    k = len(generators)
    share = total_steps // k
    bounds = [i * share for i in range(k)] + [total_steps]
    return [Phase((g,), bounds[i], bounds[i + 1], k) for i, g in enumerate(generators)]


def phase_at(phases: list[Phase], step: int) -> Phase:
    """The phase that step ``step`` (0-based) belongs to."""
    for phase in phases:
        if phase.start <= step < phase.end:
            return phase
    return phases[-1]
