"""The SRGAN critic (Ledig et al., CVPR 2017, Fig. 4, bottom): a VGG-style binary classifier.

``k3n64s1`` conv + LeakyReLU 0.2; seven conv + BatchNorm + LeakyReLU blocks with 64 (stride 2), 128,
128 (s2), 256, 256 (s2), 512, 512 (s2) filters; a dense layer of 1024 units + LeakyReLU 0.2; a dense
layer of 1 unit. The paper ends with a sigmoid; this module returns the logit (use it with a
BCE-with-logits loss, which is the same objective, computed stably).

On the paper's 96×96 HR patches the last feature map is 6×6×512, flattened into the dense layer.
Other input sizes are average-pooled to 6×6 first (an identity at 96×96), so the critic also judges
whole validation images.
"""

from __future__ import annotations

import torch
from torch import nn

from srzoo.checks import check_image_batch
from srzoo.errors import InputError

__all__ = ["SRGANDiscriminator", "srgan_discriminator"]


def _block(in_channels: int, out_channels: int, stride: int, norm: bool) -> list[nn.Module]:
    layers: list[nn.Module] = [
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=not norm)
    ]
    if norm:
        layers.append(nn.BatchNorm2d(out_channels))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return layers


class SRGANDiscriminator(nn.Module):
    """SRGAN's critic: ``(N, C, H, W)`` images in ``[0, 1]`` → ``(N, 1)`` logits ("real" > 0).

    Args:
        in_channels: image channels (3).
        features: filters of the first block (64); doubled every second block up to ``8 * features``.
        patch_size: the training patch size the dense layer is built for (96: a 6×6 map).
        hidden: units of the first dense layer (1024).

    Examples:
        >>> from srzoo_plugins.baselines.srgan_discriminator import SRGANDiscriminator
        >>> critic = SRGANDiscriminator()
        >>> critic(torch.rand(2, 3, 96, 96)).shape
        torch.Size([2, 1])
    """

    def __init__(
        self, in_channels: int = 3, features: int = 64, patch_size: int = 96, hidden: int = 1024
    ) -> None:
        super().__init__()
        if not isinstance(patch_size, int) or patch_size < 16 or patch_size % 16:
            raise InputError(
                f"patch_size must be a positive multiple of 16 (four stride-2 blocks), got {patch_size!r}"
            )
        self.in_channels = in_channels
        widths = [
            features,
            features,
            2 * features,
            2 * features,
            4 * features,
            4 * features,
            8 * features,
            8 * features,
        ]
        layers = _block(in_channels, widths[0], 1, norm=False)
        for index in range(1, len(widths)):
            layers += _block(widths[index - 1], widths[index], stride=2 if index % 2 else 1, norm=True)
        self.features = nn.Sequential(*layers)
        side = patch_size // 16
        self.pool = nn.AdaptiveAvgPool2d(side)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(widths[-1] * side * side, hidden),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(hidden, 1),
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """Score ``(N, C, H, W)`` images; returns ``(N, 1)`` logits."""
        check_image_batch(image, "image", channels=self.in_channels)
        return self.classifier(self.pool(self.features(image)))


def srgan_discriminator(
    in_channels: int = 3, features: int = 64, patch_size: int = 96, hidden: int = 1024
) -> SRGANDiscriminator:
    """The registered factory of discriminator ``srgan``."""
    return SRGANDiscriminator(
        in_channels=in_channels, features=features, patch_size=patch_size, hidden=hidden
    )
