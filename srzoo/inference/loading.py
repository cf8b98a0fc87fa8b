"""Loading a model for inference: the one path ``srzoo upscale`` and ``srzoo bench`` build through.

A recipe is built with its weights (a file, or the recipe's shipped weights), moved to the device
and, unless asked not to, copied onto the fast path ([`optimize_for_inference`][srzoo.optimize_for_inference]).
A model is *learned* when it has parameters: without weights its output is noise, which each caller
refuses in its own words (or allows for a speed-only run). ``LoadedModel.weights`` records where
the weights came from; ``weights_label`` names it in a table column and ``weights_line`` in one
line of output.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..api import build, get_recipe
from ..errors import SrzooError
from ..model.srmodel import SRModel
from ..model.weights import converted_from, sha256_of, trained_for
from ..recipe.core import Recipe
from .checkpoints import fast_or_plain, is_checkpoint, load_checkpoint
from .fast import optimize_for_inference

__all__ = [
    "LoadedModel",
    "has_pretrained",
    "is_learned",
    "load_checkpoint_for_inference",
    "load_for_inference",
    "weights_label",
    "weights_line",
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
        weights: where the weights came from, or ``None`` (no weights loaded): ``{"source":
            "shipped", "pretrained": recipe, "file", "sha256", "data"}`` for srzoo's shipped weights,
            ``{"source": "file", "path", "sha256"}`` for a weights file, and ``{"source": "authors",
            "path", "sha256", "converted_from"}`` for a file holding foreign (the authors') weights.
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
        record = {"source": "file", "path": str(weights), "sha256": sha256_of(weights)}  # build read it
        foreign = converted_from(weights)
        if foreign is not None:
            record.update(source="authors", converted_from=foreign)
        meant_for = trained_for(weights)
        if meant_for is not None and meant_for != model.recipe.name:  # e.g. srcnn-x4's weights as srcnn-x8
            warnings.warn(
                f"{model.recipe.name}: the weights in {weights} were trained for {meant_for} (their metadata); "
                f"the results are {model.recipe.name}'s with them",
                stacklevel=2,
            )
    elif pretrained:
        model = build(recipe, pretrained=True)
        shipped = model.recipe.pretrained
        if shipped is not None:
            record = {
                "source": "shipped",
                "pretrained": model.recipe.name,
                "file": shipped.file,
                "sha256": shipped.sha256,
                "data": shipped.data,
            }
    else:
        model = build(recipe)
    model = model.to(device)
    runner = optimize_for_inference(model, bf16=bf16) if fast else model
    learned = is_learned(model)
    return LoadedModel(model, runner, record if learned else None, learned)


def weights_label(weights: dict[str, str] | None, learned: bool) -> str:
    """A table's ``weights`` cell: ``shipped``, the file's name, ``authors (converted)``,
    ``untrained`` (a learned model without weights) or ``none`` (a parameter-free method)."""
    if not learned:
        return "none"
    if weights is None:
        return "untrained"
    source = weights.get("source")
    if source == "shipped":
        return "shipped"
    if source == "authors":
        return "authors (converted)"
    return Path(weights.get("path", "?")).name


def weights_line(name: str, weights: dict[str, str] | None, learned: bool) -> str:
    """One line saying which weights model ``name`` runs with, e.g. ``lapsrn-x4: srzoo's weights
    (Facades), srzoo_recipes:weights/lapsrn-x4.safetensors``."""
    if not learned:
        return f"{name}: no weights (a parameter-free method)"
    if weights is None:
        return f"{name}: random weights (--allow-untrained): the output is noise"
    source = weights.get("source")
    if source == "shipped":
        data = f" ({weights['data']})" if weights.get("data") else ""
        return f"{name}: srzoo's weights{data}, {weights['file']}"
    if source == "authors":
        path, foreign = weights["path"], weights["converted_from"]
        via = "" if Path(path).name == foreign else f" ({path})"
        return f"{name}: the authors' weights, converted from {foreign if via else path}{via}"
    return f"{name}: weights from {weights['path']}"


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
    record = {"source": "checkpoint", "path": str(path), "sha256": sha256_of(path)}
    return LoadedModel(model, runner, record, is_learned(model))
