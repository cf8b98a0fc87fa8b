"""Training: ``srzoo.train(recipe, data, out, ...)`` and [`Trainer`][srzoo.train.Trainer].

One generic loop trains any recipe from its ``[train]`` table (nodes, critics, weighted loss terms,
optimisers and schedule): Stage-GAN's three generators with their conditional critics, and the
baselines (SRCNN, LapSRN, SRResNet, SRGAN) with their papers' losses. See ``docs/training.md``.

The package itself is callable, so ``srzoo.train(...)`` runs [`train`][srzoo.train.train]:

    result = srzoo.train("srcnn-x4", "photos/", "runs/srcnn", max_steps=2000)
    model = srzoo.build("srcnn-x4", weights=result.weights)
"""

from __future__ import annotations

import sys
import types
from typing import Any

from .checkpoint import CheckpointError
from .loggers import RunLogger
from .options import TrainOptions
from .trainer import Phase, Trainer, TrainingDiverged, TrainResult, train

__all__ = [
    "CheckpointError",
    "Phase",
    "RunLogger",
    "TrainOptions",
    "TrainResult",
    "Trainer",
    "TrainingDiverged",
    "train",
]


class _CallableModule(types.ModuleType):
    """``srzoo.train`` is this package; calling it calls [`train`][srzoo.train.train]."""

    def __call__(self, *args: Any, **kwargs: Any) -> TrainResult:
        return train(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
