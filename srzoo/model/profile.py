"""Parameter and FLOP counts of a built model, for ``srzoo info``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
from torch.utils.flop_counter import FlopCounterMode

if TYPE_CHECKING:
    from .srmodel import SRModel


def parameters_per_stage(model: SRModel) -> dict[str, int]:
    """Number of parameters of each stage (node) of ``model``, by node name."""
    return {name: sum(p.numel() for p in stage.parameters()) for name, stage in model.stages.items()}


MAX_COUNTED_SIDE = 1024
"""The largest padded output side [`flops_per_output`][srzoo.model.profile.flops_per_output] runs (memory)."""


def padded_output_side(model: SRModel, output_side: int = 256) -> int:
    """The side of the output the model computes for an ``output_side`` one (its LR input padded)."""
    side = max(1, math.ceil(output_side / model.scale))
    return math.ceil(side / model.input_multiple) * model.input_multiple * model.scale


def flops_per_output(model: SRModel, output_side: int = 256) -> int | None:
    """FLOPs of one forward pass producing an ``output_side x output_side`` image.

    Counted by ``torch.utils.flop_counter.FlopCounterMode`` (a multiply-add counts as 2 FLOPs; only
    convolutions and matrix products are counted, as is usual). The LR input is
    ``ceil(output_side / scale)`` square, padded to the recipe's input multiple as in normal use;
    ``None`` (not counted) when that padding makes the computed output wider than
    ``MAX_COUNTED_SIDE`` pixels.
    """
    if padded_output_side(model, output_side) > MAX_COUNTED_SIDE:
        return None
    side = max(1, math.ceil(output_side / model.scale))
    lr = torch.rand(1, 3, side, side)
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        model(lr)
    return int(counter.get_total_flops())
