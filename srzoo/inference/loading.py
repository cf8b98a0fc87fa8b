"""Loading a model for inference: the one path ``srzoo upscale`` and ``srzoo bench`` build through.

A recipe is built with its weights (a file, or the recipe's shipped weights), moved to the device
and, unless asked not to, copied onto the fast path ([`optimize_for_inference`][srzoo.optimize_for_inference]).
A model is *learned* when it has parameters: without weights its output is noise, which each caller
refuses in its own words (or allows for a speed-only run).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..api import build, get_recipe
from ..errors import SrzooError
from ..model.srmodel import SRModel
from ..model.weights import sha256_of
from ..recipe.core import Recipe
from .checkpoints import fast_or_plain, is_checkpoint, load_checkpoint
from .fast import optimize_for_inference

__all__ = [
    "LoadedModel",
    "has_pretrained",
    "is_learned",
    "load_checkpoint_for_inference",
    "load_for_inference",
]


def is_learned(model: nn.Module) -> bool:
    """Whether any node of ``model`` has parameters (and so needs weights to be meaningful)."""
    return next(model.parameters(), None) is not None


def has_pretrained(name: str | Path | Recipe) -> bool:
    """Whether srzoo ships weights for recipe ``name`` (``srzoo.build(name, pretrained=True)`` works):
    the recipe declares them in its ``pretrained`` table ([`Pretrained`][srzoo.recipe.Pretrained])."""
    recipe = name if isinstance(name, Recipe) else get_recipe(name)
    return recipe.pretrained is not None


@dataclass
class LoadedModel:
    """A model ready for inference.

    Attributes:
        model: the plain model (eval mode, on the device), for parameter and FLOP counts.
        runner: what runs the images: the fast-path copy, or ``model`` itself with ``fast=False``.
        weights: where the weights came from: ``{"path", "sha256"}`` of a file, ``{"pretrained": name}``,
            or ``None`` (no weights given).
        learned: whether the model has parameters.
    """

    model: SRModel
    runner: nn.Module
    weights: dict[str, str] | None
    learned: bool

    @property
    def trained(self) -> bool:
        """Whether its output is meaningful: no parameters, or weights loaded."""
        return not self.learned or self.weights is not None


def load_for_inference(
    recipe: str | Path | Recipe,
    *,
    weights: str | Path | None = None,
    pretrained: bool = False,
    fast: bool = True,
    bf16: bool = False,
    device: torch.device | str = "cpu",
) -> LoadedModel:
    """Build ``recipe`` with ``weights`` (or its shipped weights with ``pretrained``) on ``device``.

    Raises:
        SrzooError: what [`srzoo.build`][srzoo.build] raises (an unknown recipe, unreadable weights,
            ``pretrained`` for a recipe that ships none).
    """
    record: dict[str, str] | None = None
    if weights is not None:
        model = build(recipe, weights=weights)
        record = {"path": str(weights), "sha256": sha256_of(weights)}  # build read it: a file
    elif pretrained:
        model = build(recipe, pretrained=True)
        record = {"pretrained": model.recipe.name}
    else:
        model = build(recipe)
    model = model.to(device)
    runner = optimize_for_inference(model, bf16=bf16) if fast else model
    return LoadedModel(model, runner, record, is_learned(model))


def load_checkpoint_for_inference(
    path: str | Path,
    *,
    name: str | None = None,
    fast: bool = True,
    bf16: bool = False,
    device: torch.device | str = "cpu",
) -> LoadedModel:
    """Read checkpoint file ``path`` (architecture and weights, through the plugin that reads its
    suffix; labelled ``name`` or the file's stem) on ``device``; the fast path only where it computes
    the same ([`fast_or_plain`][srzoo.inference.checkpoints.fast_or_plain]).

    Raises:
        SrzooError: what [`srzoo.load_checkpoint`][srzoo.load_checkpoint] raises.
    """
    if not is_checkpoint(path):
        raise SrzooError(f"{path}: not a checkpoint file an installed plugin reads")
    model = load_checkpoint(path, name=name).to(device)
    runner = fast_or_plain(model, bf16=bf16) if fast else model
    return LoadedModel(model, runner, {"path": str(path), "sha256": sha256_of(path)}, is_learned(model))
