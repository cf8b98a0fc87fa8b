"""Resizers built on ``torch.nn.functional.interpolate`` (not MATLAB-exact; see the package doc)."""

from __future__ import annotations

import math
from functools import partial
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from srzoo.checks import check_image_batch
from srzoo.errors import InputError

Direction = Literal["down", "up"]


class TorchResize(nn.Module):
    """Resize ``(N, C, H, W)`` by ``scale`` with ``F.interpolate``.

    ``direction="down"`` gives ``(N, C, ceil(H/scale), ceil(W/scale))`` (antialiased for bicubic and
    bilinear); ``direction="up"`` gives ``(N, C, ceil(H*scale), ceil(W*scale))``. Float in, float
    out, value range unchanged (no clamping).
    """

    def __init__(
        self, mode: str, scale: float, direction: Direction = "down", antialias: bool = True
    ) -> None:
        super().__init__()
        if not (isinstance(scale, (int, float)) and scale > 0):
            raise InputError(f"scale must be a positive number, got {scale!r}")
        if direction not in ("down", "up"):
            raise InputError(f"direction must be 'down' or 'up', got {direction!r}")
        self.mode = mode
        self.scale = float(scale)
        self.direction = direction
        self.antialias = antialias and mode in ("bilinear", "bicubic")

    def output_size(self, h: int, w: int) -> tuple[int, int]:
        if self.direction == "down":
            return math.ceil(h / self.scale), math.ceil(w / self.scale)
        return math.ceil(h * self.scale), math.ceil(w * self.scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image_batch(x, "x", channels=None, unit_range=False)
        size = self.output_size(*x.shape[-2:])
        if self.mode == "nearest":
            return F.interpolate(x, size=size, mode="nearest")
        return F.interpolate(x, size=size, mode=self.mode, align_corners=False, antialias=self.antialias)

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}, scale={self.scale}, direction={self.direction!r}"


def _factory(mode: str, scale: float, direction: Direction = "down", antialias: bool = True) -> TorchResize:
    return TorchResize(mode, scale, direction, antialias)


torch_bicubic = partial(_factory, "bicubic")
torch_bilinear = partial(_factory, "bilinear")
torch_nearest = partial(_factory, "nearest")
