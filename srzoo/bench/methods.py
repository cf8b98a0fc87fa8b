"""Benchmark methods: a recipe built with its weights, checked to be scored only when trained.

A method is *learned* when its model has parameters. A learned method is scored only with weights
(a ``--weights`` file or the recipe's shipped weights via ``pretrained``); without them it is
refused, or, with ``allow_untrained``, timed but never scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from srzoo.errors import SrzooError

if TYPE_CHECKING:
    import torch

    from srzoo.model import SRModel

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


def is_learned(model: torch.nn.Module) -> bool:
    """Whether any node of ``model`` has parameters (and so needs weights to be scored)."""
    return next(model.parameters(), None) is not None


def has_pretrained(name: str) -> bool:
    """Whether srzoo ships weights for recipe ``name`` (``srzoo.build(name, pretrained=True)`` works):
    the recipe declares them in its ``pretrained`` table ([`Pretrained`][srzoo.recipe.Pretrained]),
    so recipes that gain shipped weights join the default benchmark without a change here."""
    import srzoo

    return srzoo.get_recipe(name).pretrained is not None


def default_methods(weights: dict[str, Path] | None = None) -> list[str]:
    """The README's comparison: ``bicubic-x4`` and ``bicubic-x8``, every recipe with shipped
    weights, and every recipe given weights in ``weights``, in registry order without repeats."""
    import srzoo

    names = ["bicubic-x4", "bicubic-x8"]
    for name in srzoo.list_models():
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

    import srzoo
    from srzoo.checkpoints import fast_or_plain
    from srzoo.weights import sha256_of

    checkpoint = _checkpoint_of(name, weights)
    if checkpoint is not None:  # a published checkpoint: architecture and weights from its file
        label = name if checkpoint != name else None
        model = srzoo.load_checkpoint(checkpoint, name=label).to(device)
        runner = fast_or_plain(model) if fast else model
        record = {"path": str(checkpoint), "sha256": sha256_of(checkpoint)}
        return Method(model.recipe.name, model, runner, record, True)
    kwargs: dict[str, Any] = {}
    record: dict[str, str] | None = None
    if weights is not None:
        kwargs["weights"] = weights
        record = {"path": str(weights), "sha256": sha256_of(weights)} if Path(weights).is_file() else None
    elif pretrained and has_pretrained(name):
        kwargs["pretrained"] = True
        record = {"pretrained": name}
    model = srzoo.build(name, **kwargs).to(device)
    learned = is_learned(model)
    trained = not learned or bool(kwargs)
    if learned and not kwargs:
        if pretrained:
            hint = "srzoo ships no weights for it yet; pass --weights " + f"{name}=PATH"
        else:
            hint = f"pass --weights {name}=PATH" + (" or --pretrained" if has_pretrained(name) else "")
        if not allow_untrained:
            raise SrzooError(
                f"{name}: a learned method without weights would be scored with random weights; {hint} "
                "(or --allow-untrained for a speed-only run)"
            )
    if fast:
        runner: torch.nn.Module = srzoo.optimize_for_inference(model)
    else:
        runner = model
    label = model.recipe.name if name.endswith(".toml") else name  # a recipe file: its name, not its path
    return Method(label, model, runner, record if learned else None, trained)


def is_checkpoint_method(name: str, weights: str | Path | None) -> bool:
    """Whether method ``name`` (with ``--weights name=weights``) is a checkpoint file a plugin reads:
    ``name`` itself is one, or ``name`` is a label (no registered recipe) and ``weights`` is one."""
    return _checkpoint_of(name, weights) is not None


def _checkpoint_of(name: str, weights: str | Path | None) -> str | Path | None:
    import srzoo
    from srzoo.checkpoints import is_checkpoint

    if is_checkpoint(name):
        return name
    labelled = not name.endswith(".toml") and name not in srzoo.list_models()
    if weights is not None and labelled and is_checkpoint(weights):
        return weights
    return None
