"""Small tensor helpers shared by the core: input checks, padding, value-range mapping."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .errors import InputError


def check_image_batch(
    x: object, name: str = "input", channels: int | None = 3, unit_range: bool = True
) -> torch.Tensor:
    """Check that ``x`` is a float ``(N, C, H, W)`` tensor with ``N, H, W >= 1``; return it.

    Args:
        x: the argument to check.
        name: its name in the messages.
        channels: the required ``C``, or ``None`` for any.
        unit_range: say "in [0, 1]" in the dtype message (for image inputs; resizers take any range).

    Raises:
        InputError: with a message naming ``name``, the expected and the actual shape or dtype.
    """
    layout = f"(N, {channels}, H, W)" if channels is not None else "(N, C, H, W)"
    if not isinstance(x, torch.Tensor):
        raise InputError(f"{name} must be a torch.Tensor of shape {layout}, got {type(x).__name__}")
    if x.ndim != 4 or (channels is not None and x.shape[1] != channels):
        rgb = " (RGB)" if channels == 3 else ""
        raise InputError(f"{name} must have shape {layout}{rgb}, got {tuple(x.shape)}")
    if not x.is_floating_point():
        in_range = " in [0, 1]" if unit_range else ""
        raise InputError(
            f"{name} must be a float tensor{in_range}, got dtype {x.dtype}; divide uint8 images by 255"
        )
    if x.numel() == 0:
        raise InputError(f"{name} must be non-empty, got shape {tuple(x.shape)}")
    return x


def round_uint8(x: torch.Tensor) -> torch.Tensor:
    """MATLAB's cast to uint8 of a ``[0, 255]``-scaled tensor: ``floor(x + 0.5)`` saturated to ``[0, 255]``.

    That is rounding half away from zero on the values that survive saturation (for ``x >= 0.5`` an
    inexact ``x + 0.5`` never crosses an integer). Shape, dtype and device are kept.
    """
    return torch.floor(x + 0.5).clamp_(0.0, 255.0)


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
