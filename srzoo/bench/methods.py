"""Benchmark methods: a recipe built with its weights, checked to be scored only when trained.

A method is *learned* when its model has parameters. A learned method is scored only with weights
(a ``--weights`` file or the recipe's shipped weights via ``pretrained``); without them it is
refused, or, with ``allow_untrained``, timed but never scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from ..api import list_models
from ..errors import SrzooError
from ..inference.checkpoints import is_checkpoint
from ..inference.loading import has_pretrained, is_learned, load_checkpoint_for_inference, load_for_inference
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
        name: the recipe name.
        model: the plain model (eval mode), used for parameter and FLOP counts.
        runner: what is timed and scored: the fast-path copy, or ``model`` itself with ``fast=False``.
        weights: ``{"path", "sha256"}`` of the weights file, ``{"pretrained": ...}``, or ``None``.
        trained: whether quality scores are meaningful (no parameters, or weights loaded).
    """

    name: str
    model: SRModel
    runner: torch.nn.Module
    weights: dict[str, str] | None
    trained: bool

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
    pretrained: bool = False,
    allow_untrained: bool = False,
    fast: bool = True,
    device: torch.device | str = "cpu",
) -> Method:
    """Build recipe ``name`` for benchmarking, or read a checkpoint file: ``name`` itself (labelled
    by its stem), or ``weights`` for a ``name`` that is no registered recipe (labelled ``name``).

    Raises:
        SrzooError: a learned method without weights (unless ``allow_untrained``), or ``pretrained``
            for a recipe srzoo ships no weights for.
    """

    checkpoint = _checkpoint_of(name, weights)
    if checkpoint is not None:  # a published checkpoint: architecture and weights from its file
        label = name if checkpoint != name else None
        loaded = load_checkpoint_for_inference(checkpoint, name=label, fast=fast, device=device)
        return Method(loaded.model.recipe.name, loaded.model, loaded.runner, loaded.weights, True)
    loaded = load_for_inference(
        name,
        weights=weights,
        pretrained=pretrained and has_pretrained(name),
        fast=fast,
        device=device,
    )
    if not loaded.trained:
        if pretrained:
            hint = "srzoo ships no weights for it yet; pass --weights " + f"{name}=PATH"
        else:
            hint = f"pass --weights {name}=PATH" + (" or --pretrained" if has_pretrained(name) else "")
        if not allow_untrained:
            raise SrzooError(
                f"{name}: a learned method without weights would be scored with random weights; {hint} "
                "(or --allow-untrained for a speed-only run)"
            )
    record = loaded.weights if loaded.learned else None
    label = (
        loaded.model.recipe.name if name.endswith(".toml") else name
    )  # a recipe file: its name, not its path
    return Method(label, loaded.model, loaded.runner, record, loaded.trained)


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
