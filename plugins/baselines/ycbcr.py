"""The literature's YCbCr (MATLAB ``rgb2ycbcr``) and the Y-channel edge of luma-only SR models.

SRCNN and LapSRN were trained on the Y channel of MATLAB's ``rgb2ycbcr`` (ITU-R BT.601, "studio
swing"): with RGB in ``[0, 1]``:

    Y  = (16  +  65.481 R + 128.553 G +  24.966 B) / 255      in [16, 235] / 255
    Cb = (128 -  37.797 R -  74.203 G + 112.000 B) / 255      in [16, 240] / 255
    Cr = (128 + 112.000 R -  93.786 G -  18.214 B) / 255

This is the same Y as the evaluation protocol (DESIGN §6) uses, divided by 255 and unrounded.
A Y-channel model keeps an RGB edge: it converts its input to YCbCr, super-resolves Y, takes the
chroma from a bicubic upsampling, and converts back with [`ycbcr_to_rgb`][] (MATLAB's
``ycbcr2rgb``, the exact inverse). Nothing here clamps: values outside ``[0, 1]`` pass through.
"""

from __future__ import annotations

import torch

from srzoo._imageops import check_image_batch
from srzoo.errors import InputError

__all__ = ["merge_luma", "rgb_to_y", "rgb_to_ycbcr", "ycbcr_to_rgb"]

# rows: Y, Cb, Cr; columns: R, G, B (MATLAB rgb2ycbcr, RGB in [0, 1], output in [0, 255])
_MATRIX = (
    (65.481, 128.553, 24.966),
    (-37.797, -74.203, 112.0),
    (112.0, -93.786, -18.214),
)
_OFFSET = (16.0, 128.0, 128.0)


def _forward_matrix(like: torch.Tensor) -> torch.Tensor:
    return torch.tensor(_MATRIX, dtype=torch.float64).div(255.0).to(device=like.device, dtype=like.dtype)


def _inverse_matrix(like: torch.Tensor) -> torch.Tensor:
    inverse = torch.linalg.inv(torch.tensor(_MATRIX, dtype=torch.float64) / 255.0)
    return inverse.to(device=like.device, dtype=like.dtype)


def _offset(like: torch.Tensor) -> torch.Tensor:
    return (torch.tensor(_OFFSET, dtype=torch.float64) / 255.0).to(device=like.device, dtype=like.dtype)


def rgb_to_ycbcr(image: torch.Tensor) -> torch.Tensor:
    """RGB to YCbCr as MATLAB's ``rgb2ycbcr`` on ``double`` images.

    Args:
        image: ``(N, 3, H, W)`` float RGB in ``[0, 1]``.

    Returns:
        ``(N, 3, H, W)`` float YCbCr, Y in ``[16, 235] / 255``, Cb and Cr in ``[16, 240] / 255``.

    Examples:
        >>> from srzoo_plugins.baselines.ycbcr import rgb_to_ycbcr
        >>> rgb_to_ycbcr(torch.ones(1, 3, 1, 1)).flatten() * 255
        tensor([235.0000, 128.0000, 128.0000])
    """
    check_image_batch(image, "image")
    return torch.einsum("ij,njhw->nihw", _forward_matrix(image), image) + _offset(image)[:, None, None]


def ycbcr_to_rgb(image: torch.Tensor) -> torch.Tensor:
    """YCbCr to RGB, the exact inverse of [`rgb_to_ycbcr`][] (MATLAB's ``ycbcr2rgb``).

    Args:
        image: ``(N, 3, H, W)`` float YCbCr as [`rgb_to_ycbcr`][] returns it.

    Returns:
        ``(N, 3, H, W)`` float RGB, ``[0, 1]`` for in-gamut colours (not clamped).
    """
    if not isinstance(image, torch.Tensor) or image.ndim != 4 or image.shape[1] != 3:
        shape = tuple(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
        raise InputError(f"image must be a YCbCr tensor of shape (N, 3, H, W), got {shape}")
    check_image_batch(image, "image")
    centred = image - _offset(image)[:, None, None]
    return torch.einsum("ij,njhw->nihw", _inverse_matrix(image), centred)


def rgb_to_y(image: torch.Tensor) -> torch.Tensor:
    """The Y channel of [`rgb_to_ycbcr`][].

    Args:
        image: ``(N, 3, H, W)`` float RGB in ``[0, 1]``.

    Returns:
        ``(N, 1, H, W)`` float Y in ``[16, 235] / 255`` (unrounded).
    """
    return rgb_to_ycbcr(image)[:, :1]


def merge_luma(y: torch.Tensor, chroma: torch.Tensor) -> torch.Tensor:
    """An RGB image from a super-resolved Y and the Cb, Cr channels of another image.

    Args:
        y: ``(N, 1, H, W)`` float Y in ``[16, 235] / 255`` (a luma model's output).
        chroma: ``(N, 2, H, W)`` float Cb and Cr (e.g. ``rgb_to_ycbcr(bicubic(lr))[:, 1:]``).

    Returns:
        ``(N, 3, H, W)`` float RGB (not clamped).

    Raises:
        InputError: if the shapes do not fit together.
    """
    check_image_batch(y, "y", channels=1)
    check_image_batch(chroma, "chroma", channels=2)
    if y.shape[0] != chroma.shape[0] or y.shape[-2:] != chroma.shape[-2:]:
        raise InputError(
            f"y and chroma must have the same batch size and spatial size, got {tuple(y.shape)} and {tuple(chroma.shape)}"
        )
    return ycbcr_to_rgb(torch.cat([y, chroma], dim=1))
