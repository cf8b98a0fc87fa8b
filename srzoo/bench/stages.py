"""A multi-stage model's node outputs on one image, for ``srzoo bench``'s stage figures.

A model *has stages* when a node other than its output has parameters (a learned intermediate
stage, e.g. Stage-GAN's semantic map and Stage-1 image); single-network models (SRCNN's bicubic
MR input is no learned stage) have none. Everything is derived from the recipe's graph: the nodes
in graph order, each labelled by its name and its recipe ``description`` when it has one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ..imageio import quantize_8bit
from ..model.srmodel import SRModel

__all__ = ["STAGE_IMAGE", "StageImage", "has_stages", "stage_image_index", "stage_images"]

STAGE_IMAGE = "facade"
"""The image the stage figures show when the set holds one of that name (the synthetic facade
chart, in Stage-GAN's domain); otherwise the set's first image."""


@dataclass(frozen=True)
class StageImage:
    """One node's output on the stage image.

    Attributes:
        node: the node's name.
        label: ``"name: description"`` (the recipe's description of the node), or
            ``"name: component"`` when the recipe gives none.
        image: ``(3, H, W)`` uint8 at the node's own resolution: RGB outputs as they are, one
            channel as grey, more than three as their first three.
        channels: the node's channel count.
    """

    node: str
    label: str
    image: torch.Tensor
    channels: int


def has_stages(model: SRModel) -> bool:
    """Whether a node besides the output has parameters (a learned intermediate stage)."""
    recipe = model.recipe
    return any(
        any(True for _ in model.stages[node.name].parameters())
        for node in recipe.nodes
        if node.name != recipe.output
    )


def stage_image_index(names: Sequence[str]) -> int:
    """The index of the image named `STAGE_IMAGE` among ``names``, else 0."""
    return next((i for i, name in enumerate(names) if name == STAGE_IMAGE), 0)


def stage_images(model: SRModel, lr: torch.Tensor) -> tuple[StageImage, ...]:
    """Every node's output on ``lr``, in graph order.

    Args:
        model: the model (its outputs are mapped from ``recipe.value_range`` to ``[0, 1]`` by
            ``model(..., return_intermediates=True)``).
        lr: ``(3, h, w)`` float RGB in ``[0, 1]``.
    """
    with torch.inference_mode():
        outputs = model(lr[None], return_intermediates=True)
    assert isinstance(outputs, dict)
    stages = []
    for node in model.recipe.nodes:
        value = outputs[node.name][0].float()
        channels = value.shape[0]
        shown = value.expand(3, -1, -1) if channels == 1 else value[:3] if channels > 3 else value
        if shown.shape[0] < 3:  # two channels: their mean as grey
            shown = shown.mean(0, keepdim=True).expand(3, -1, -1)
        image = (quantize_8bit(shown[None])[0] * 255).round().to(torch.uint8).cpu()
        about = node.description or node.component
        stages.append(StageImage(node.name, f"{node.name}: {about}", image, channels))
    return tuple(stages)
