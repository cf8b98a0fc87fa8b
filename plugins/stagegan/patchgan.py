"""The 70×70 PatchGAN discriminator of pix2pix, Stage-GAN's D0, D1 and D2 (paper Fig. 4).

Layout for ``n_layers = 3`` (widths ``ndf·[1, 2, 4, 8]``, LeakyReLU 0.2):

    Conv 4×4 s2 (bias) → LReLU                       256 → 128
    Conv 4×4 s2 → Norm → LReLU   (× n_layers - 1)    → 64 → 32
    Conv 4×4 s1 → Norm → LReLU                       → 31
    Conv 4×4 s1 (bias) → 1 logit per patch           → 30

Each output logit sees a 70×70 receptive field; 256×256 inputs give 30×30 logits.
"""

from __future__ import annotations

import torch
from torch import nn

from srzoo.errors import InputError

from .init import init_weights
from .layers import Norm, check_integers, check_norm, conv_bias, make_norm

__all__ = ["PatchGAN", "patchgan_output_size"]


def patchgan_output_size(size: int, n_layers: int = 3) -> int:
    """Spatial size of the logit map for an input side of ``size`` pixels (``30`` for ``256``, 3 layers)."""
    for _ in range(n_layers):
        size = size // 2  # 4×4 kernel, stride 2, padding 1
    return size - 2  # two 4×4 stride-1 convolutions with padding 1


class PatchGAN(nn.Module):
    """Conditional PatchGAN: judges every 70×70 patch of ``[condition, image]`` as real or fake.

    Args:
        in_channels: channels of the concatenated input (6 for D0/D2, 9 for D1 in Stage-GAN).
        ndf: width of the first layer (64).
        n_layers: stride-2 layers (3 gives the 70×70 receptive field).
        norm: ``"batch"`` (the paper), ``"instance"`` or ``"none"``; convs before BatchNorm have no bias.
        init_std: weights ~ N(0, init_std), BatchNorm weights ~ N(1, init_std), biases 0.

    Shape:
        ``(N, in_channels, H, W) → (N, 1, h, w)`` raw logits (no sigmoid), with
        ``h = patchgan_output_size(H, n_layers)``; ``(N, 6, 256, 256) → (N, 1, 30, 30)``.

    Examples:
        >>> from srzoo_plugins.stagegan.patchgan import PatchGAN
        >>> d = PatchGAN(6)                            # Stage-GAN's D0 and D2: 2,768,705 params
        >>> d(torch.zeros(1, 6, 256, 256)).shape
        torch.Size([1, 1, 30, 30])
    """

    def __init__(
        self,
        in_channels: int = 6,
        ndf: int = 64,
        n_layers: int = 3,
        norm: Norm = "batch",
        init_std: float = 0.02,
    ) -> None:
        super().__init__()
        check_integers("patchgan", in_channels=(in_channels, 1), ndf=(ndf, 1), n_layers=(n_layers, 1))
        check_norm(norm)
        self.in_channels = in_channels
        self.n_layers = n_layers
        bias = conv_bias(norm)
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, ndf, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        width = ndf
        for n in range(1, n_layers + 1):
            out = ndf * min(2**n, 8)
            stride = 2 if n < n_layers else 1
            layers += [
                nn.Conv2d(width, out, 4, stride=stride, padding=1, bias=bias),
                make_norm(norm, out),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            width = out
        layers.append(nn.Conv2d(width, 1, 4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)
        init_weights(self, init_std)

    @property
    def min_input_size(self) -> int:
        """The smallest input side that yields at least a 1×1 logit map."""
        return 3 * 2**self.n_layers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, 1, h, w)`` for ``(N, in_channels, H, W)`` inputs in ``[-1, 1]``."""
        if not isinstance(x, torch.Tensor) or x.ndim != 4:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise InputError(f"patchgan: input must be a tensor of shape (N, C, H, W), got {shape}")
        if x.shape[1] != self.in_channels:
            raise InputError(
                f"patchgan: input must have {self.in_channels} channels ([condition, image] concatenated), "
                f"got shape {tuple(x.shape)}"
            )
        if min(x.shape[-2:]) < self.min_input_size:
            raise InputError(
                f"patchgan: input height and width must be at least {self.min_input_size}, "
                f"got {x.shape[-2]}x{x.shape[-1]}"
            )
        return self.model(x)
