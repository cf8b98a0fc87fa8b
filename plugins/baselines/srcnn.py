"""SRCNN (Dong, Loy, He, Tang, "Image Super-Resolution Using Deep Convolutional Networks", TPAMI 2016).

Three convolutions on the bicubic-upsampled ("MR") image: patch extraction ``f1 x f1`` with
``n1`` filters and ReLU, non-linear mapping ``f2 x f2`` with ``n2`` filters and ReLU,
reconstruction ``f3 x f3``. The paper's main model is 9-5-5 with ``n1 = 64``, ``n2 = 32`` on the Y
channel (57,281 parameters); 9-1-5 is its original ECCV 2014 configuration (8,129 parameters).

Differences from the paper, both needed for an image-to-image API: convolutions are zero-padded
("same"), so the output has the input's size (the paper's network shrinks its input by
``f1 + f2 + f3 - 3`` pixels); the RGB edge (see `ycbcr`) is part of the module.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from srzoo.checks import check_image_batch
from srzoo.errors import InputError

from .ycbcr import merge_luma, rgb_to_ycbcr

__all__ = ["SRCNN", "srcnn"]

Channels = Literal["y", "rgb"]
Init = Literal["paper", "he"]


class SRCNN(nn.Module):
    """SRCNN: a bicubic-upsampled RGB image in, a sharper RGB image of the same size out.

    Args:
        channels: ``"y"`` (the paper's model: the network sees the Y channel; Cb and Cr are the
            input's) or ``"rgb"`` (all three channels, the paper's §4.4 variant).
        kernel_sizes: ``(f1, f2, f3)``, odd; ``(9, 5, 5)`` or the ECCV model's ``(9, 1, 5)``.
        filters: ``(n1, n2)``.
        init: ``"paper"``: every weight ~ N(0, 0.001²), as the paper. ``"he"``: the two ReLU
            layers He-normal (std ``sqrt(2 / fan_in)``), the reconstruction N(0, 0.001²). The
            paper's tiny weights start SRCNN far from the identity it must learn first; with He's
            it passes bicubic in a few hundred Adam steps (Facades ×4, Adam 1e-3 on every layer,
            batch 16: +0.30 dB on 8 test images after 250 steps, against −0.23 dB with the
            paper's).

    Shape:
        ``(N, 3, H, W)`` RGB in ``[0, 1]`` → ``(N, 3, H, W)`` RGB (unclamped).

    Examples:
        >>> from srzoo_plugins.baselines.srcnn import SRCNN
        >>> model = SRCNN()
        >>> model(torch.rand(1, 3, 33, 33)).shape
        torch.Size([1, 3, 33, 33])
    """

    def __init__(
        self,
        channels: Channels = "y",
        kernel_sizes: tuple[int, int, int] | list[int] = (9, 5, 5),
        filters: tuple[int, int] | list[int] = (64, 32),
        init: Init = "paper",
    ) -> None:
        super().__init__()
        if channels not in ("y", "rgb"):
            raise InputError(f"channels must be 'y' or 'rgb', got {channels!r}")
        if init not in ("paper", "he"):
            raise InputError(f"init must be 'paper' or 'he', got {init!r}")
        if len(kernel_sizes) != 3 or not all(
            isinstance(k, int) and k >= 1 and k % 2 == 1 for k in kernel_sizes
        ):
            raise InputError(
                f"kernel_sizes must be three odd positive integers such as (9, 5, 5), got {kernel_sizes!r}"
            )
        if len(filters) != 2 or not all(isinstance(n, int) and n >= 1 for n in filters):
            raise InputError(f"filters must be two positive integers such as (64, 32), got {filters!r}")
        self.channels = channels
        self.init = init
        planes = 1 if channels == "y" else 3
        f1, f2, f3 = kernel_sizes
        n1, n2 = filters
        self.extract = nn.Conv2d(planes, n1, f1, padding=f1 // 2)
        self.map = nn.Conv2d(n1, n2, f2, padding=f2 // 2)
        self.reconstruct = nn.Conv2d(n2, planes, f3, padding=f3 // 2)
        self.act = nn.ReLU(inplace=True)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Biases 0; weights ~ N(0, 0.001²) (``init="paper"``), or He-normal before each ReLU
        (``init="he"``)."""
        for conv in (self.extract, self.map, self.reconstruct):
            if self.init == "he" and conv is not self.reconstruct:
                nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
            else:
                nn.init.normal_(conv.weight, std=1e-3)
            nn.init.zeros_(conv.bias)

    def forward_planes(self, x: torch.Tensor) -> torch.Tensor:
        """The bare network: ``(N, P, H, W) -> (N, P, H, W)`` with ``P`` = 1 (Y) or 3 (RGB)."""
        return self.reconstruct(self.act(self.map(self.act(self.extract(x)))))

    def forward(self, mr: torch.Tensor) -> torch.Tensor:
        """Restore a bicubic-upsampled RGB image ``(N, 3, H, W)`` in ``[0, 1]``; same shape out."""
        check_image_batch(mr, "mr")
        if self.channels == "rgb":
            return self.forward_planes(mr)
        ycbcr = rgb_to_ycbcr(mr)
        return merge_luma(self.forward_planes(ycbcr[:, :1]), ycbcr[:, 1:])

    def extra_repr(self) -> str:
        return f"channels={self.channels!r}, init={self.init!r}"


def srcnn(
    channels: Channels = "y",
    kernel_sizes: tuple[int, int, int] | list[int] = (9, 5, 5),
    filters: tuple[int, int] | list[int] = (64, 32),
    init: Init = "paper",
) -> SRCNN:
    """The registered factory of generator ``srcnn`` (defaults: 9-5-5, 64/32 filters, Y channel,
    the paper's initialisation)."""
    return SRCNN(channels=channels, kernel_sizes=tuple(kernel_sizes), filters=tuple(filters), init=init)
