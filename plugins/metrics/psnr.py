"""PSNR, the literature's way: per image on 8-bit Y with the border shaved."""

from __future__ import annotations

import torch
from torch import nn

from srzoo.errors import InputError

from .protocol import Channel, Protocol

__all__ = ["PSNR", "psnr"]


def psnr(x: torch.Tensor, y: torch.Tensor, max_value: float = 255.0) -> torch.Tensor:
    """Peak signal-to-noise ratio per image, ``10 log10(max_value² / MSE)``.

    Args:
        x: ``(N, C, H, W)`` float tensor (already prepared: channel, range, shave).
        y: reference, same shape.
        max_value: the peak value (255 for 8-bit scales).

    Returns:
        ``(N,)`` PSNR in dB (``inf`` for identical images), in ``x``'s dtype.

    Raises:
        InputError: mismatched or non-4D shapes.
    """
    if x.ndim != 4 or x.shape != y.shape:
        raise InputError(
            f"x and y must be (N, C, H, W) tensors of the same shape, got {tuple(x.shape)} and {tuple(y.shape)}"
        )
    mse = (x - y).pow(2).flatten(1).mean(dim=1)
    return 10.0 * torch.log10(max_value**2 / mse)


class PSNR(nn.Module):
    """PSNR under the literature's protocol (registered metric ``psnr``).

    Calling it on ``(sr, hr)``, both ``(N, 3, H, W)`` float RGB in ``[0, 1]``, rounds both to 8 bits,
    takes MATLAB's luma (``channel="y"``), shaves ``shave`` (default ``scale``) pixels per side and
    returns the ``(N,)`` float64 PSNR in dB against a peak of 255 (average over a set by taking the
    mean of these values).

    Args:
        scale: the SR factor (the default shave).
        channel: ``"y"`` or ``"rgb"``.
        shave: border pixels removed per side; ``None`` = ``scale``.
        round_input: round inputs to 8 bits first.
        round_y: round the luma to integers (MATLAB ``rgb2ycbcr``); ``False`` = RCAN's unrounded Y.

    Examples:
        >>> metric = srzoo.create("metric", "psnr", scale=4)
        >>> hr = torch.rand(2, 3, 32, 32)
        >>> metric(hr.clamp(0.1, 0.9), hr).shape
        torch.Size([2])
    """

    higher_is_better = True

    def __init__(
        self,
        scale: int,
        channel: Channel = "y",
        shave: int | None = None,
        round_input: bool = True,
        round_y: bool = True,
    ) -> None:
        super().__init__()
        self.protocol = Protocol(scale, channel, shave, round_input, round_y)

    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        """Score ``sr`` against ``hr``; returns ``(N,)`` float64 dB."""
        a, b = self.protocol.prepare(sr, hr)
        return psnr(a, b, 255.0)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.protocol.describe().items())
