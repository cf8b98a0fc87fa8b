"""Small tensor helpers of the core: padding and value-range mapping (input checks: `srzoo.checks`)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def pad_to_multiple(x: torch.Tensor, multiple: int, mode: str) -> tuple[torch.Tensor, tuple[int, int]]:
    """Pad ``(N, C, H, W)`` at the bottom/right to multiples of ``multiple``.

    ``reflect`` needs the padding to be smaller than the side; on smaller inputs it falls back to
    ``replicate`` so that any ``H, W >= 1`` works.

    Returns:
        The padded tensor and the original ``(H, W)``.
    """
    h, w = x.shape[-2:]
    pad_h = (-h) % multiple
    pad_w = (-w) % multiple
    if pad_h == 0 and pad_w == 0:
        return x, (h, w)
    if mode == "reflect" and (pad_h >= h or pad_w >= w):
        mode = "replicate"
    return F.pad(x, (0, pad_w, 0, pad_h), mode=mode), (h, w)


def to_range(x: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """Map ``[0, 1]`` to ``[low, high]`` (identity for ``(0, 1)``)."""
    if (low, high) == (0.0, 1.0):
        return x
    return x * (high - low) + low


def from_range(x: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """Map ``[low, high]`` back to ``[0, 1]`` (identity for ``(0, 1)``)."""
    if (low, high) == (0.0, 1.0):
        return x
    return (x - low) / (high - low)
