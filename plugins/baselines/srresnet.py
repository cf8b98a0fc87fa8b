"""SRResNet, the generator of SRGAN (Ledig et al., "Photo-Realistic Single Image Super-Resolution
Using a Generative Adversarial Network", CVPR 2017, Fig. 4).

``k9n64s1`` conv + PReLU; ``B = 16`` residual blocks (``k3n64s1`` conv, BatchNorm, PReLU, ``k3n64s1``
conv, BatchNorm, identity skip); ``k3n64s1`` conv + BatchNorm and a skip from the first PReLU's
output; one sub-pixel step per ×2 (``k3n256s1`` conv, pixel shuffle ×2, PReLU) — two for ×4, three
for ×8; ``k9n3s1`` conv.

Choices the paper leaves open, made here: one learned PReLU slope per layer (``nn.PReLU()``; the
paper does not say per channel), no conv bias before a BatchNorm (the norm's shift replaces it),
a linear output (the paper trains HR targets in ``[-1, 1]``; this module works in
``[0, 1]`` end to end, which only rescales the last layer and the MSE by constants).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from srzoo.checks import check_image_batch
from srzoo.errors import InputError

__all__ = ["ResidualBlock", "SRResNet", "SubPixelUpsample", "srresnet"]


class ResidualBlock(nn.Module):
    """conv3×3 → BN → PReLU → conv3×3 → BN, plus the input: ``(N, F, H, W) -> (N, F, H, W)``."""

    def __init__(self, features: int = 64) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(features, features, 3, padding=1, bias=False),
            nn.BatchNorm2d(features),
            nn.PReLU(),
            nn.Conv2d(features, features, 3, padding=1, bias=False),
            nn.BatchNorm2d(features),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class SubPixelUpsample(nn.Sequential):
    """conv3×3 to ``4F`` channels → pixel shuffle ×2 → PReLU: ``(N, F, H, W) -> (N, F, 2H, 2W)``."""

    def __init__(self, features: int = 64) -> None:
        super().__init__(nn.Conv2d(features, features * 4, 3, padding=1), nn.PixelShuffle(2), nn.PReLU())


class SRResNet(nn.Module):
    """SRResNet: ``(N, C, h, w)`` in ``[0, 1]`` → ``(N, C, s*h, s*w)`` (unclamped), ``s = 2**k``.

    Args:
        scale: 2, 4 or 8 (one sub-pixel ×2 step each).
        num_blocks: residual blocks (16 in the paper).
        features: feature channels (64).
        channels: image channels (3).

    Examples:
        >>> from srzoo_plugins.baselines.srresnet import SRResNet
        >>> model = SRResNet(scale=4, num_blocks=2)
        >>> model(torch.rand(1, 3, 5, 7)).shape
        torch.Size([1, 3, 20, 28])
    """

    def __init__(self, scale: int = 4, num_blocks: int = 16, features: int = 64, channels: int = 3) -> None:
        super().__init__()
        if not isinstance(scale, int) or scale < 2 or scale & (scale - 1):
            raise InputError(f"SRResNet upscales by powers of two; scale must be 2, 4 or 8, got {scale!r}")
        if not isinstance(num_blocks, int) or num_blocks < 1:
            raise InputError(f"num_blocks must be a positive integer, got {num_blocks!r}")
        self.scale = scale
        self.channels = channels
        self.head = nn.Sequential(nn.Conv2d(channels, features, 9, padding=4), nn.PReLU())
        self.blocks = nn.Sequential(*(ResidualBlock(features) for _ in range(num_blocks)))
        self.trunk_end = nn.Sequential(
            nn.Conv2d(features, features, 3, padding=1, bias=False), nn.BatchNorm2d(features)
        )
        self.upsample = nn.Sequential(*(SubPixelUpsample(features) for _ in range(int(math.log2(scale)))))
        self.tail = nn.Conv2d(features, channels, 9, padding=4)

    def forward(self, lr: torch.Tensor) -> torch.Tensor:
        """Upscale ``(N, C, h, w)`` to ``(N, C, s*h, s*w)``."""
        check_image_batch(lr, "lr", channels=self.channels)
        head = self.head(lr)
        trunk = self.trunk_end(self.blocks(head))
        return self.tail(self.upsample(head + trunk))

    def extra_repr(self) -> str:
        return f"scale={self.scale}"


def srresnet(scale: int = 4, num_blocks: int = 16, features: int = 64, channels: int = 3) -> SRResNet:
    """The registered factory of generator ``srresnet`` (defaults: the paper's 16 blocks, 64 features)."""
    return SRResNet(scale=scale, num_blocks=num_blocks, features=features, channels=channels)
