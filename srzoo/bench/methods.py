"""Benchmark methods: a recipe built with its weights, checked to be scored only when trained.

A method is *learned* when its model has parameters. A learned method is scored only with weights
(a ``--weights`` file, else the recipe's shipped weights where it has them); without them it is
refused, or, with ``allow_untrained``, timed but never scored. Each method has a *label*, the name
its rows carry: the recipe's name (never a recipe file's path) unless ``--label`` gives one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from ..api import list_models
from ..errors import SrzooError
from ..inference.checkpoints import is_checkpoint
from ..inference.loading import has_pretrained, is_learned, load_checkpoint_for_inference, load_for_inference
from ..inference.loading import weights_label as _weights_label
from ..model.srmodel import SRModel

__all__ = [
    "Method",
    "default_methods",
    "has_pretrained",
    "is_checkpoint_method",
    "is_learned",
    "load_method",
]


@dataclass
class Method:
    """A built benchmark method.

    Attributes:
        name: the label of its rows: the recipe's name, or the label it was given.
        model: the plain model (eval mode), used for parameter and FLOP counts.
        runner: what is timed and scored: the fast-path copy, or ``model`` itself with ``fast=False``.
        weights: where the weights came from (see ``srzoo.inference.loading.LoadedModel``),
            or ``None`` (untrained, or parameter-free).
        trained: whether quality scores are meaningful (no parameters, or weights loaded).
        learned: whether the model has parameters.
    """

    name: str
    model: SRModel
    runner: torch.nn.Module
    weights: dict[str, str] | None
    trained: bool
    learned: bool = True

    @property
    def weights_label(self) -> str:
        """``shipped``, the weights file's name, ``authors (converted)``, ``untrained`` or ``none``."""
        return _weights_label(self.weights, self.learned)

    @property
    def authors_weights(self) -> bool:
        """Whether its numbers are the ones a paper published for this method could be: no
        parameters, or the authors' own weights (converted)."""
        return not self.learned or (self.weights or {}).get("source") == "authors"

    @property
    def scale(self) -> int:
        return self.model.scale

    @property
    def parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def default_methods(weights: dict[str, Path] | None = None) -> list[str]:
    """The README's comparison: ``bicubic-x4`` and ``bicubic-x8``, every recipe with shipped
    weights, and every recipe given weights in ``weights``, in registry order without repeats."""
    names = ["bicubic-x4", "bicubic-x8"]
    for name in list_models():
        if name not in names and has_pretrained(name):
            names.append(name)
    for name in weights or {}:
        if name not in names:
            names.append(name)
    return names


def load_method(
    name: str,
    *,
    weights: str | Path | None = None,
    allow_untrained: bool = False,
    fast: bool = True,
    device: torch.device | str = "cpu",
    label: str | None = None,
) -> Method:
    """Build recipe ``name`` (a registered name or a recipe file) for benchmarking, with ``weights``,
    else the weights srzoo ships for it where there are some; or read a checkpoint file: ``name``
    itself (labelled by its stem), or ``weights`` for a ``name`` that is no registered recipe
    (labelled ``name``).

    Raises:
        SrzooError: a learned method without weights (unless ``allow_untrained``).
    """

    checkpoint = _checkpoint_of(name, weights)
    if checkpoint is not None:  # a published checkpoint: architecture and weights from its file
        stem = name if checkpoint != name else None
        loaded = load_checkpoint_for_inference(checkpoint, name=stem, fast=fast, device=device)
        return Method(label or loaded.model.recipe.name, loaded.model, loaded.runner, loaded.weights, True)
    loaded = load_for_inference(
        name,
        weights=weights,
        pretrained=weights is None and has_pretrained(name),
        fast=fast,
        device=device,
    )
    recipe = loaded.model.recipe.name
    if not loaded.trained and not allow_untrained:
        raise SrzooError(
            f"{recipe}: a learned method without weights would be scored with random weights and srzoo "
            f"ships none for it; pass --weights {name}=PATH (or --allow-untrained for a speed-only run)"
        )
    return Method(
        label or recipe, loaded.model, loaded.runner, loaded.weights, loaded.trained, loaded.learned
    )


def is_checkpoint_method(name: str, weights: str | Path | None) -> bool:
    """Whether method ``name`` (with ``--weights name=weights``) is a checkpoint file a plugin reads:
    ``name`` itself is one, or ``name`` is a label (no registered recipe) and ``weights`` is one."""
    return _checkpoint_of(name, weights) is not None


def _checkpoint_of(name: str, weights: str | Path | None) -> str | Path | None:
    if is_checkpoint(name):
        return name
    labelled = not name.endswith(".toml") and name not in list_models()
    if weights is not None and labelled and is_checkpoint(weights):
        return weights
    return None
