"""Degrading HR images into LR (and MR) tensors: per item in datasets, or per batch in training loops.

A training loop that wants the degradation on the GPU builds its dataset with
``degrade_on_device=True`` (items then hold only ``hr``, and ``semantic`` where available) and calls
[`make_lr`][] (and [`make_mr`][]) on each batch after moving it to the device:

    data = srzoo.create("dataset", "facades", root=root, scale=4, degrade_on_device=True, random_flip=True)
    for batch in DataLoader(data, batch_size=16, shuffle=True, num_workers=4):
        hr = batch["hr"].to("cuda", non_blocking=True)
        lr = make_lr(hr, "bicubic", 4)   # (N, 3, 64, 64) on cuda, on the 8-bit grid
        mr = make_mr(lr, "bicubic", 4)   # (N, 3, 256, 256), only if the model needs it

The results are the same as the items the dataset yields with ``degrade_on_device=False``, up to
floating-point differences between devices.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

import srzoo
from srzoo.checks import check_image_batch
from srzoo.color import quantize_8bit
from srzoo.errors import InputError

__all__ = ["Degradation", "build_degradation", "check_scale", "make_lr", "make_mr"]

Degradation = str | Callable[[torch.Tensor], torch.Tensor]
"""A registered degradation name (``"bicubic"``) or an already built ``(N, C, H, W) -> (N, C, h, w)`` callable."""


def check_scale(scale: object) -> int:
    """The integer SR scale factor (``>= 1``); datasets crop HR to multiples of it.

    Raises:
        InputError: anything but a positive integer (``4.0`` is accepted as ``4``).
    """
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale):
        raise InputError(f"scale must be a positive integer, got {scale!r}")
    if scale < 1 or int(scale) != scale:
        raise InputError(f"scale must be a positive integer, got {scale!r}")
    return int(scale)


def build_degradation(
    degradation: Degradation,
    scale: int,
    direction: str = "down",
    args: Mapping[str, Any] | None = None,
) -> Callable[[torch.Tensor], torch.Tensor]:
    """A degradation callable: ``srzoo.create("degradation", name, scale=scale, direction=..., **args)``
    for a name, or ``degradation`` itself when it is already a callable."""
    if callable(degradation):
        return degradation
    if not isinstance(degradation, str):
        raise InputError(
            f"degradation must be a registered name or a callable, got {type(degradation).__name__}"
        )
    return srzoo.create("degradation", degradation, scale=scale, direction=direction, **dict(args or {}))


def _on_device(
    function: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> Callable[[torch.Tensor], torch.Tensor]:
    if isinstance(function, nn.Module):
        function.to(x.device)
    return function


def make_lr(
    batch_hr: torch.Tensor,
    degradation: Degradation = "bicubic",
    scale: int = 4,
    round_lr: bool = True,
    *,
    degradation_args: Mapping[str, Any] | None = None,
) -> torch.Tensor:
    """Degrade a batch of HR images into LR images, on the batch's device, without gradients.

    Args:
        batch_hr: ``(N, 3, H, W)`` float RGB in ``[0, 1]`` (any device; ``H, W`` multiples of
            ``scale`` for the literature's protocol).
        degradation: a registered degradation name (default the MATLAB-exact ``"bicubic"``) or a
            built callable (e.g. a module you keep across steps).
        scale: the SR scale factor ``s``.
        round_lr: round to the 8-bit grid as saving the LR as PNG would (default, the protocol);
            otherwise only clamp to ``[0, 1]``.
        degradation_args: extra arguments of the degradation's factory, e.g. ``{"rounding": "per-pass"}``.

    Returns:
        ``(N, 3, ceil(H/s), ceil(W/s))`` float in ``[0, 1]`` on ``batch_hr.device``.

    Examples:
        >>> from srzoo_plugins.datasets.degrade import make_lr
        >>> make_lr(torch.rand(8, 3, 256, 256), "bicubic", 4).shape
        torch.Size([8, 3, 64, 64])
    """
    check_image_batch(batch_hr, "batch_hr")
    scale = check_scale(scale)
    down = _on_device(build_degradation(degradation, scale, "down", degradation_args), batch_hr)
    with torch.no_grad():
        lr = down(batch_hr)
    return quantize_8bit(lr) if round_lr else lr.clamp(0.0, 1.0)


def make_mr(
    batch_lr: torch.Tensor,
    degradation: Degradation = "bicubic",
    scale: int = 4,
    *,
    degradation_args: Mapping[str, Any] | None = None,
) -> torch.Tensor:
    """Upsample a batch of LR images back to HR size with the degradation's ``direction="up"``.

    This is Stage-GAN's MR image ``I_S0``, computed exactly as a recipe's ``degradation`` node with
    ``direction = "up"`` computes it: float, *not* clamped or rounded (bicubic overshoots ``[0, 1]``
    slightly near edges).

    Args:
        batch_lr: ``(N, 3, h, w)`` float RGB in ``[0, 1]``.
        degradation: a registered degradation name or a built "up" callable.
        scale: the SR scale factor ``s``.
        degradation_args: extra arguments of the degradation's factory.

    Returns:
        ``(N, 3, h*s, w*s)`` float on ``batch_lr.device``.
    """
    check_image_batch(batch_lr, "batch_lr")
    scale = check_scale(scale)
    up = _on_device(build_degradation(degradation, scale, "up", degradation_args), batch_lr)
    with torch.no_grad():
        return up(batch_lr)
