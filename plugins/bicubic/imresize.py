"""MATLAB-exact bicubic ``imresize`` in torch: the literature's degradation.

Kept in srzoo: torch's, kornia's and Pillow's bicubic differ from MATLAB's (antialiasing, borders,
rounding), and the published LR images and scores are MATLAB's.

``imresize(x, scale)`` shrinks ``(N, C, H, W)`` to ``(N, C, ceil(H / scale), ceil(W / scale))``;
``direction="up"`` enlarges to ``(N, C, ceil(H * scale), ceil(W * scale))``. Each axis is one
product with a banded weight matrix, done block by block (see `srzoo_plugins.bicubic.weights`),
so the op is batched, runs on the input's device and is differentiable. ``rounding`` reproduces
what MATLAB does to uint8 images.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn

from srzoo.checks import check_image_batch
from srzoo.color import matlab_uint8, to_8bit_levels
from srzoo.errors import InputError

from .weights import Block, resize_blocks

__all__ = ["Direction", "Imresize", "Rounding", "bicubic", "imresize", "output_size"]

Direction = Literal["down", "up"]
Rounding = Literal["none", "per-pass", "final"]

_DIRECTIONS = ("down", "up")
_ROUNDINGS = ("none", "per-pass", "final")

MAX_SIDE = 1_000_000  # output pixels a side, and antialiasing-kernel taps, beyond which a resize is refused
MAX_ELEMENTS = 2**31  # output values (N * C * H * W) beyond which a resize is refused


def _check_options(scale: object, direction: object, rounding: object, antialias: object = True) -> float:
    if (
        isinstance(scale, bool)
        or not isinstance(scale, (int, float))
        or not math.isfinite(scale)
        or scale <= 0
    ):
        raise InputError(f"scale must be a positive number, got {scale!r}")
    if direction not in _DIRECTIONS:
        raise InputError(f"direction must be 'down' or 'up', got {direction!r}")
    if rounding not in _ROUNDINGS:
        raise InputError(f"rounding must be 'none', 'per-pass' or 'final', got {rounding!r}")
    factor = 1.0 / scale if direction == "down" else float(scale)  # how much each side grows
    if factor > MAX_SIDE:
        bound = "at least 1e-06" if direction == "down" else "at most 1e+06"
        raise InputError(
            f"scale {scale:g} with direction={direction!r} enlarges each side {factor:g}x, so even a 1x1 "
            f"image would come out over {MAX_SIDE:,} pixels a side; use a scale of {bound}"
        )
    if antialias and factor < 1 and 4.0 / factor > MAX_SIDE:
        bound = "at most 250000" if direction == "down" else "at least 4e-06"
        raise InputError(
            f"scale {scale:g} with direction={direction!r} shrinks each side {1 / factor:g}x, so its "
            f"antialiasing kernel would span {math.ceil(4.0 / factor):,} input pixels (limit {MAX_SIDE:,}); "
            f"use a scale of {bound}, or antialias=False"
        )
    return float(scale)


def output_size(height: int, width: int, scale: float, direction: Direction = "down") -> tuple[int, int]:
    """The ``(height, width)`` that [`imresize`][] returns for an input of ``(height, width)``."""
    if direction == "down":
        return math.ceil(height / scale), math.ceil(width / scale)
    return math.ceil(height * scale), math.ceil(width * scale)


def _check_input(x: object, scale: float, direction: Direction) -> tuple[int, int]:
    check_image_batch(x, "x", channels=None, unit_range=False)
    out_h, out_w = output_size(x.shape[-2], x.shape[-1], scale, direction)
    batch = x.shape[:-2].numel()
    if max(out_h, out_w) > MAX_SIDE or batch * out_h * out_w > MAX_ELEMENTS:
        size = "x".join(str(n) for n in x.shape)
        result = "x".join(str(n) for n in (*x.shape[:-2], out_h, out_w))
        raise InputError(
            f"scale {scale:g} with direction={direction!r}: a {size} input would come out {result}, over "
            f"the limit of {MAX_SIDE:,} pixels a side and 2**31 values; resize a smaller batch or image, "
            "or use a smaller enlargement"
        )
    return out_h, out_w


def _resize_rows(x: torch.Tensor, blocks: tuple[Block, ...]) -> torch.Tensor:
    """Apply a pass along dim -2: ``matrix @ x`` block by block."""
    if len(blocks) == 1:
        return torch.matmul(blocks[0].matrix, x[..., blocks[0].lo : blocks[0].hi, :])
    return torch.cat([torch.matmul(b.matrix, x[..., b.lo : b.hi, :]) for b in blocks], dim=-2)


def _resize_cols(x: torch.Tensor, blocks: tuple[Block, ...]) -> torch.Tensor:
    """Apply a pass along dim -1: ``x @ matrix.T`` block by block."""
    if len(blocks) == 1:
        return torch.matmul(x[..., blocks[0].lo : blocks[0].hi], blocks[0].matrix.t())
    return torch.cat([torch.matmul(x[..., b.lo : b.hi], b.matrix.t()) for b in blocks], dim=-1)


def imresize(
    x: torch.Tensor,
    scale: float,
    direction: Direction = "down",
    rounding: Rounding = "none",
    antialias: bool = True,
) -> torch.Tensor:
    """Resize like MATLAB's ``imresize(x, m, 'bicubic')``.

    MATLAB's scale factor is ``m = 1 / scale`` for ``direction="down"`` and ``m = scale`` for
    ``"up"``; the weights are built from ``m`` as MATLAB does (Keys cubic, ``a = -0.5``, the kernel
    widened by ``1 / m`` when shrinking, symmetric mirroring at the borders). Rows (the ``H`` axis)
    are resized first, as MATLAB does for equal factors.

    Args:
        x: ``(N, C, H, W)`` float tensor, any value range (``[0, 1]`` when ``rounding`` is used).
        scale: positive factor, integer or fractional.
        direction: ``"down"`` gives ``(N, C, ceil(H / scale), ceil(W / scale))``, ``"up"`` gives
            ``(N, C, ceil(H * scale), ceil(W * scale))``.
        rounding: ``"none"``: plain float result, differentiable, unclamped. ``"per-pass"``: emulate
            MATLAB on a uint8 image (the input is snapped to the 8-bit grid, then each 1-D pass is
            rounded half away from zero and saturated to ``[0, 255]``); this reproduces the ×2–×4 LR
            images of the SR benchmarks. ``"final"``: snap the input to 8 bits, resize in float64 and
            round once at the end (the ×8 images). Rounded results are multiples of ``1 / 255`` in
            ``[0, 1]`` and carry no gradient.
        antialias: widen the kernel when shrinking (MATLAB's ``'Antialiasing'``, default true).

    Returns:
        The resized tensor, same dtype and device as ``x``.

    Raises:
        InputError: ``x`` is not a non-empty float ``(N, C, H, W)`` tensor, an option is invalid, or
            the output would be empty or too large (over ``MAX_SIDE`` pixels a side or ``MAX_ELEMENTS``
            values).

    Examples:
        >>> from srzoo_plugins.bicubic.imresize import imresize
        >>> imresize(torch.rand(2, 3, 64, 48), 4).shape
        torch.Size([2, 3, 16, 12])
    """
    scale = _check_options(scale, direction, rounding, antialias)
    out_h, out_w = _check_input(x, scale, direction)
    factor = 1.0 / scale if direction == "down" else scale
    in_h, in_w = x.shape[-2:]
    # float64 throughout when emulating uint8, so that ties fall as in MATLAB's double arithmetic
    # float16/bfloat16 would quantise the weights too: resize those in float32 and cast back
    reduced = x.dtype in (torch.float16, torch.bfloat16)
    work = torch.float64 if rounding != "none" else (torch.float32 if reduced else x.dtype)
    rows = resize_blocks(in_h, out_h, factor, antialias, x.device, work)
    cols = resize_blocks(in_w, out_w, factor, antialias, x.device, work)
    if rounding == "none":
        return _resize_cols(_resize_rows(x.to(work), rows), cols).to(x.dtype)
    y = _resize_rows(to_8bit_levels(x.detach().to(work)), rows)
    if rounding == "per-pass":
        y = matlab_uint8(y)
    y = matlab_uint8(_resize_cols(y, cols))
    return (y / 255.0).to(x.dtype)


class Imresize(nn.Module):
    """Module form of [`imresize`][] (same arguments, fixed at construction).

    Examples:
        >>> from srzoo_plugins.bicubic.imresize import Imresize
        >>> down = Imresize(4)
        >>> down(torch.rand(1, 3, 64, 64)).shape
        torch.Size([1, 3, 16, 16])
    """

    def __init__(
        self,
        scale: float,
        direction: Direction = "down",
        rounding: Rounding = "none",
        antialias: bool = True,
    ) -> None:
        super().__init__()
        self.scale = _check_options(scale, direction, rounding, antialias)
        self.direction: Direction = direction
        self.rounding: Rounding = rounding
        self.antialias = bool(antialias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Resize ``(N, C, H, W)``; see [`imresize`][]."""
        return imresize(x, self.scale, self.direction, self.rounding, self.antialias)

    def extra_repr(self) -> str:
        return f"scale={self.scale:g}, direction={self.direction!r}, rounding={self.rounding!r}"


def bicubic(
    scale: float,
    direction: Direction = "down",
    rounding: Rounding = "none",
    antialias: bool = True,
) -> Imresize:
    """Factory of the registered ``bicubic`` degradation: an [`Imresize`][] module.

    Examples:
        >>> down = srzoo.create("degradation", "bicubic", scale=4)
        >>> down(torch.rand(1, 3, 64, 64)).shape
        torch.Size([1, 3, 16, 16])
    """
    return Imresize(scale, direction, rounding, antialias)
