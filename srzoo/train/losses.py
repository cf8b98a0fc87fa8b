"""The recipe's weighted loss terms and critics, built from ``[train]``.

Every tensor here is in the recipe's internal value range (``value_range``: ``[-1, 1]`` for
Stage-GAN, so its L1 is pix2pix's). A term's name in ``metrics.jsonl`` is ``NODE.LOSS`` (e.g.
``sem.l1``, ``sr.gan``); a critic's own loss is ``CRITIC`` (e.g. ``d0``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .. import api
from ..errors import InputError, RecipeError, SrzooError
from ..recipe import Critic, LossTerm, Recipe

__all__ = ["CriticSpec", "Term", "build_critics", "build_terms", "critic_input", "luma"]

PERCEPTUAL_HINT = (
    "the perceptual loss needs local VGG19 weights: fill timm's cache once with "
    "python -c \"import timm; timm.create_model('vgg19', pretrained=True)\" on a machine with network, "
    'or copy the recipe and set weights = "PATH/TO/vgg19.safetensors" in its perceptual loss\'s args'
)


@dataclass
class Term:
    """One generator loss term: ``weight · loss(outputs[node], target)`` or ``weight · gan(critic(...))``.

    Attributes:
        name: ``NODE.LOSS`` as logged.
        spec: the recipe's term.
        loss: the built loss module.
        pyramid: penalise every level of the node's ``forward_pyramid`` (``levels = "all"``).
    """

    name: str
    spec: LossTerm
    loss: Callable[..., torch.Tensor]
    pyramid: bool = False


@dataclass
class CriticSpec:
    """A critic with the GAN loss it is trained with (the one its generator terms use)."""

    spec: Critic
    network: nn.Module
    gan: Callable[..., torch.Tensor]
    vanilla: bool


def _create_loss(term: LossTerm, index: int, recipe: Recipe, args: Mapping[str, Any] | None = None) -> Any:
    try:
        return api.create("loss", term.component, **dict(term.args if args is None else args))
    except (InputError, RecipeError):
        raise
    except SrzooError as exc:
        if term.component == "perceptual":
            raise SrzooError(f"{recipe.source}: train.losses[{index}]: {exc}; {PERCEPTUAL_HINT}") from None
        raise RecipeError(recipe.source, f"train.losses[{index}]", str(exc)) from None


def build_terms(recipe: Recipe, model: nn.Module) -> list[Term]:
    """The recipe's ``train.losses`` as built `Term` s (in recipe order).

    Raises:
        RecipeError: a loss that cannot be built, or ``levels = "all"`` on a node without
            ``forward_pyramid``.
    """
    assert recipe.train is not None
    terms: list[Term] = []
    seen: dict[str, int] = {}
    for index, spec in enumerate(recipe.train.losses):
        name = f"{spec.node}.{spec.component}"
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name}{seen[name]}"
        pyramid = spec.levels == "all"
        args: dict[str, Any] = dict(spec.args)
        if pyramid:
            stage = model.stages[spec.node]  # type: ignore[index]
            if not hasattr(stage, "forward_pyramid"):
                raise RecipeError(
                    recipe.source,
                    f"train.losses[{index}].levels",
                    f'node {spec.node!r} ({recipe.node(spec.node).component}) has no forward_pyramid; use levels = "output"',
                )
            if getattr(stage, "channels", "rgb") == "y":
                args["channel"] = "rgb"  # the pyramid already works on Y planes
        terms.append(Term(name, spec, _create_loss(spec, index, recipe, args), pyramid))
    return terms


def build_critics(recipe: Recipe, terms: list[Term]) -> dict[str, CriticSpec]:
    """The recipe's ``train.critics`` as networks, each with the GAN loss of the terms using it."""
    assert recipe.train is not None
    critics: dict[str, CriticSpec] = {}
    for index, spec in enumerate(recipe.train.critics):
        try:
            network = api.create("discriminator", spec.component, **dict(spec.args))
        except SrzooError as exc:
            raise RecipeError(recipe.source, f"train.critics[{index}]", str(exc)) from None
        users = [term for term in terms if term.spec.critic == spec.name]
        gan = users[0].loss if users else api.create("loss", "gan")
        mode = getattr(gan, "mode", "vanilla")
        critics[spec.name] = CriticSpec(spec, network, gan, mode == "vanilla")
    return critics


def critic_input(critic: Critic, outputs: Mapping[str, torch.Tensor], image: torch.Tensor) -> torch.Tensor:
    """``cat[condition..., image]`` on channels, the condition detached (it is the critic's input)."""
    parts = [outputs[name].detach() for name in critic.condition]
    return torch.cat([*parts, image], dim=1) if parts else image


def luma(rgb: torch.Tensor) -> torch.Tensor:
    """MATLAB ``rgb2ycbcr``'s Y of ``(N, 3, H, W)`` RGB in ``[0, 1]``: ``(N, 1, H, W)`` in ``[16, 235]/255``."""
    weights = torch.tensor([65.481, 128.553, 24.966], dtype=rgb.dtype, device=rgb.device) / 255.0
    return (rgb * weights.view(1, 3, 1, 1)).sum(dim=1, keepdim=True) + 16.0 / 255.0
