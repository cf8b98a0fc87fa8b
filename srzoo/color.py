"""Colour and 8-bit quantisation as the super-resolution literature computes them (MATLAB's conventions).

One definition of each conversion, used by the core, the metrics and the baselines. Every name
says which value range it takes and returns:

- [`round_half_up`][srzoo.color.round_half_up]: ``floor(x + 0.5)``, any range.
- [`matlab_uint8`][srzoo.color.matlab_uint8]: ``[0, 255]``-scaled floats to the integers
  ``0..255`` (MATLAB's ``uint8(x)``: round half up, saturate).
- [`to_8bit_levels`][srzoo.color.to_8bit_levels]: ``[0, 1]`` to the integers ``0..255``
  (MATLAB's ``im2uint8``).
- [`quantize_8bit`][srzoo.color.quantize_8bit]: ``[0, 1]`` to ``[0, 1]`` on the 8-bit grid
  (what saving and reloading a PNG does; ``ties="even"`` for Real-ESRGAN's ``torch.round``).
- [`rgb_to_y`][srzoo.color.rgb_to_y], [`rgb_to_ycbcr`][srzoo.color.rgb_to_ycbcr],
  [`ycbcr_to_rgb`][srzoo.color.ycbcr_to_rgb]: MATLAB's ``rgb2ycbcr`` / ``ycbcr2rgb``
  (ITU-R BT.601, studio swing):

  ```text
  Y  = 16  + ( 65.481 R + 128.553 G +  24.966 B)      Y in [16, 235] for R, G, B in [0, 1]
  Cb = 128 + (-37.797 R -  74.203 G + 112.000 B)      Cb, Cr in [16, 240]
  Cr = 128 + (112.000 R -  93.786 G -  18.214 B)
  ```

  on ``[0, 255]`` levels (``peak=255``, how the metrics score 8-bit images) or divided by 255 on
  ``[0, 1]`` images (``peak=1``, how luma-only networks such as SRCNN see them).

All functions keep shape, dtype and device, and none clamps unless its name says so.

Examples:
    >>> from srzoo.color import quantize_8bit, rgb_to_y, to_8bit_levels
    >>> to_8bit_levels(torch.tensor([0.5, 1.2, -0.1]))
    tensor([128., 255.,   0.])
    >>> rgb_to_y(torch.full((1, 3, 1, 1), 255.0, dtype=torch.float64), peak=255.0).item()
    235.0
"""

from __future__ import annotations

from typing import Literal

import torch

from .checks import check_image_batch
from .errors import InputError

__all__ = [
    "YCBCR_MATRIX",
    "YCBCR_OFFSET",
    "matlab_uint8",
    "quantize_8bit",
    "rgb_to_y",
    "rgb_to_ycbcr",
    "round_half_up",
    "to_8bit_levels",
    "ycbcr_to_rgb",
]

YCBCR_MATRIX: tuple[tuple[float, float, float], ...] = (
    (65.481, 128.553, 24.966),
    (-37.797, -74.203, 112.0),
    (112.0, -93.786, -18.214),
)
"""MATLAB ``rgb2ycbcr``'s matrix: rows Y, Cb, Cr; columns R, G, B in ``[0, 1]``; outputs in ``[0, 255]``."""

YCBCR_OFFSET: tuple[float, float, float] = (16.0, 128.0, 128.0)
"""MATLAB ``rgb2ycbcr``'s offsets for Y, Cb, Cr, in ``[0, 255]`` levels."""


def round_half_up(x: torch.Tensor) -> torch.Tensor:
    """``floor(x + 0.5)``: MATLAB's rounding of non-negative values (its casts to integer types).

    For ``x >= 0.5`` this is exactly round-half-up (an inexact ``x + 0.5`` never crosses an
    integer); below 0.5 it differs from round-half-away-from-zero only for the largest doubles under
    0.5, as MATLAB's ``im2uint8`` (``(uint8)(255 x + 0.5)``) does too. Any range; nothing is clamped.

    Examples:
        >>> from srzoo.color import round_half_up
        >>> round_half_up(torch.tensor([0.5, 1.49, 2.5]))
        tensor([1., 1., 3.])
    """
    return torch.floor(x + 0.5)


def matlab_uint8(x255: torch.Tensor) -> torch.Tensor:
    """MATLAB's ``uint8(x)`` of ``[0, 255]``-scaled floats: rounded half up and saturated to ``[0, 255]``.

    Args:
        x255: float tensor, nominally in ``[0, 255]``.

    Returns:
        The integers ``0..255`` as floats (same shape, dtype and device).
    """
    return round_half_up(x255).clamp_(0.0, 255.0)


def to_8bit_levels(x: torch.Tensor) -> torch.Tensor:
    """MATLAB's ``im2uint8`` of a ``[0, 1]`` image: ``floor(255 x + 0.5)`` saturated to ``[0, 255]``.

    Args:
        x: float tensor, nominally in ``[0, 1]``; computed in its own dtype (pass float64 for the
            scoring protocol).

    Returns:
        The integers ``0..255`` as floats (same shape, dtype and device).
    """
    return matlab_uint8(x * 255.0)


def quantize_8bit(x: torch.Tensor, *, ties: Literal["up", "even"] = "up") -> torch.Tensor:
    """Round a ``[0, 1]`` image to the 8-bit grid, as saving a PNG would: ``floor(255 x + 0.5) / 255``.

    Args:
        x: float tensor, nominally in ``[0, 1]``.
        ties: ``"up"`` rounds halves up (MATLAB's ``im2uint8``, what srzoo's PNG writer does);
            ``"even"`` rounds them to even, ``clamp(round(255 x), 0, 255) / 255`` with ``torch.round``
            (Real-ESRGAN's last degradation step).

    Returns:
        Values in ``[0, 1]`` that are multiples of 1/255 (clamped; same shape, dtype and device).

    Examples:
        >>> from srzoo.color import quantize_8bit
        >>> quantize_8bit(torch.tensor([0.5, 1.2, -0.1])) * 255
        tensor([128., 255.,   0.])
        >>> quantize_8bit(torch.tensor([0.5, 1.5]) / 255, ties="even") * 255
        tensor([0., 2.])
    """
    if ties == "even":
        return (x * 255.0).round().clamp(0.0, 255.0) / 255.0
    if ties != "up":
        raise InputError(f"ties must be 'up' or 'even', got {ties!r}")
    return to_8bit_levels(x) / 255.0


def rgb_to_y(rgb: torch.Tensor, *, peak: float = 1.0) -> torch.Tensor:
    """ITU-R BT.601 luma as MATLAB's ``rgb2ycbcr``: ``Y = 16 + 65.481 R + 128.553 G + 24.966 B``.

    Evaluated as MATLAB does on uint8 images: ``(65.481/255) R + (128.553/255) G + (24.966/255) B +
    16 peak/255``, separate multiplies and adds in that order, so that the rare exact ties on 8-bit
    levels (e.g. RGB ``(0, 204, 68)``: Y = 125.5 exactly, 125.49999999999999 in MATLAB) round as in
    MATLAB when the result is passed to [`round_half_up`][srzoo.color.round_half_up]. Not rounded.

    Args:
        rgb: ``(N, 3, H, W)`` float RGB in ``[0, peak]``.
        peak: the value of white: ``1.0`` for ``[0, 1]`` images (Y in ``[16, 235] / 255``) or
            ``255.0`` for 8-bit levels (Y in ``[16, 235]``; use float64 for the scoring protocol).

    Returns:
        ``(N, 1, H, W)`` Y in ``[16, 235] * peak / 255``, in ``rgb``'s dtype.
    """
    check_image_batch(rgb, "image", unit_range=peak == 1.0)
    r, g, b = rgb.unbind(dim=1)
    weights = YCBCR_MATRIX[0]
    y = r * (weights[0] / 255.0)
    y += g * (weights[1] / 255.0)
    y += b * (weights[2] / 255.0)
    y += YCBCR_OFFSET[0] * peak / 255.0
    return y.unsqueeze(1)


def rgb_to_ycbcr(rgb: torch.Tensor) -> torch.Tensor:
    """RGB to YCbCr as MATLAB's ``rgb2ycbcr`` on ``double`` images (both in ``[0, 1]`` scale).

    Args:
        rgb: ``(N, 3, H, W)`` float RGB in ``[0, 1]``.

    Returns:
        ``(N, 3, H, W)`` YCbCr: Y in ``[16, 235] / 255`` (as [`rgb_to_y`][srzoo.color.rgb_to_y]),
        Cb and Cr in ``[16, 240] / 255``. Not clamped.

    Examples:
        >>> from srzoo.color import rgb_to_ycbcr
        >>> rgb_to_ycbcr(torch.ones(1, 3, 1, 1)).flatten() * 255
        tensor([235.0000, 128.0000, 128.0000])
    """
    y = rgb_to_y(rgb)
    matrix = torch.tensor(YCBCR_MATRIX[1:], dtype=torch.float64).div(255.0).to(rgb.device, rgb.dtype)
    offset = torch.tensor(YCBCR_OFFSET[1:], dtype=torch.float64).div(255.0).to(rgb.device, rgb.dtype)
    chroma = torch.einsum("ij,njhw->nihw", matrix, rgb) + offset[:, None, None]
    return torch.cat([y, chroma], dim=1)


def ycbcr_to_rgb(ycbcr: torch.Tensor) -> torch.Tensor:
    """YCbCr to RGB, the exact inverse of [`rgb_to_ycbcr`][srzoo.color.rgb_to_ycbcr] (MATLAB's ``ycbcr2rgb``).

    Args:
        ycbcr: ``(N, 3, H, W)`` float YCbCr as [`rgb_to_ycbcr`][srzoo.color.rgb_to_ycbcr] returns it.

    Returns:
        ``(N, 3, H, W)`` float RGB, in ``[0, 1]`` for in-gamut colours (not clamped).
    """
    if not isinstance(ycbcr, torch.Tensor) or ycbcr.ndim != 4 or ycbcr.shape[1] != 3:
        shape = tuple(ycbcr.shape) if isinstance(ycbcr, torch.Tensor) else type(ycbcr).__name__
        raise InputError(f"image must be a YCbCr tensor of shape (N, 3, H, W), got {shape}")
    check_image_batch(ycbcr, "image", unit_range=False)
    inverse = torch.linalg.inv(torch.tensor(YCBCR_MATRIX, dtype=torch.float64) / 255.0)
    offset = torch.tensor(YCBCR_OFFSET, dtype=torch.float64).div(255.0).to(ycbcr.device, ycbcr.dtype)
    centred = ycbcr - offset[:, None, None]
    return torch.einsum("ij,njhw->nihw", inverse.to(ycbcr.device, ycbcr.dtype), centred)
