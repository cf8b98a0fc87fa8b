"""The Y-channel edge of luma-only SR models (SRCNN, LapSRN), on MATLAB's YCbCr.

SRCNN and LapSRN were trained on the Y channel of MATLAB's ``rgb2ycbcr`` (ITU-R BT.601, "studio
swing"); the conversions are [`srzoo.color`][srzoo.color]'s, re-exported here for the baselines.
A Y-channel model keeps an RGB edge: it converts its input to YCbCr, super-resolves Y, takes the
chroma from a bicubic upsampling, and converts back with [`merge_luma`][srzoo_plugins.baselines.ycbcr.merge_luma].
Nothing here clamps: values outside ``[0, 1]`` pass through.
"""

from __future__ import annotations

import torch

from srzoo.checks import check_image_batch
from srzoo.color import rgb_to_y, rgb_to_ycbcr, ycbcr_to_rgb
from srzoo.errors import InputError

__all__ = ["merge_luma", "rgb_to_y", "rgb_to_ycbcr", "ycbcr_to_rgb"]


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
