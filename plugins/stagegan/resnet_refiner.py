"""The ResNet encoder-decoder refiner, Stage-GAN's G2 (``I_S2`` → ``I_SR``; paper Fig. 3).

Layout (pix2pix/CycleGAN's ``resnet_9blocks`` generator):

    ReflectionPad 3 → Conv 7×7 → Norm → ReLU                          (ngf)
    2 × [Conv 3×3 stride 2 → Norm → ReLU]                             (2 ngf, 4 ngf; H/4)
    n_blocks × ResidualBlock: x + [RPad 1, Conv 3×3, Norm, ReLU, RPad 1, Conv 3×3, Norm]
    2 × [ConvTranspose 3×3 stride 2 (output_padding 1) → Norm → ReLU]  (2 ngf, ngf; H)
    ReflectionPad 3 → Conv 7×7 (with bias) → Tanh
"""

from __future__ import annotations

import torch
from torch import nn

from srzoo.errors import InputError

from .init import init_weights
from .layers import (
    Norm,
    Upsample,
    check_input,
    check_integers,
    check_norm,
    check_upsample,
    conv_bias,
    make_norm,
    upsampling_conv,
)

__all__ = ["ResNetRefiner", "ResidualBlock"]


class ResidualBlock(nn.Module):
    """``x + Norm(Conv3×3(RPad(ReLU(Norm(Conv3×3(RPad(x)))))))`` with reflection padding.

    Shape:
        ``(N, C, H, W) → (N, C, H, W)``, ``H, W >= 2``.
    """

    def __init__(self, channels: int, norm: Norm = "batch") -> None:
        super().__init__()
        bias = conv_bias(norm)
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=bias),
            make_norm(norm, channels),
            nn.ReLU(inplace=True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=bias),
            make_norm(norm, channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResNetRefiner(nn.Module):
    """The image refinement generator G2 of Stage-GAN (a pix2pix ResNet generator).

    Args:
        in_channels: input channels (3: the Stage-1 image ``I_S2``).
        out_channels: output channels (3).
        ngf: width of the first layer (64); the residual blocks are ``4 * ngf`` wide.
        n_blocks: number of residual blocks (9 in the paper).
        norm: ``"batch"`` (the paper), ``"instance"`` or ``"none"``.
        init_std: weights ~ N(0, init_std), BatchNorm weights ~ N(1, init_std), biases 0.
        upsample: the two ×2 steps back to full size: ``"deconv"`` (the paper: 3×3 stride-2
            transposed convolutions) or ``"resize"`` (nearest ×2 then a 3×3 convolution, which
            leaves no checkerboard grid).

    Shape:
        ``(N, in_channels, H, W) → (N, out_channels, H, W)`` in ``[-1, 1]`` (tanh); ``H, W``
        multiples of 4 and at least 8 (reflection padding at the H/4 bottleneck).

    Examples:
        >>> from srzoo_plugins.stagegan.resnet_refiner import ResNetRefiner
        >>> g2 = ResNetRefiner()                      # Stage-GAN's G2: 11,383,427 params
        >>> g2.eval()(torch.zeros(1, 3, 64, 64)).shape
        torch.Size([1, 3, 64, 64])
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        ngf: int = 64,
        n_blocks: int = 9,
        norm: Norm = "batch",
        init_std: float = 0.02,
        upsample: Upsample = "deconv",
    ) -> None:
        super().__init__()
        check_integers(
            "resnet-refiner",
            in_channels=(in_channels, 1),
            out_channels=(out_channels, 1),
            ngf=(ngf, 1),
            n_blocks=(n_blocks, 0),
        )
        check_norm(norm)
        check_upsample(upsample)
        self.in_channels = in_channels
        self.out_channels = out_channels
        bias = conv_bias(norm)
        self.stem = nn.Sequential(
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, ngf, 7, bias=bias),
            make_norm(norm, ngf),
            nn.ReLU(inplace=True),
        )
        self.down = nn.Sequential(
            *(
                layer
                for width in (ngf, 2 * ngf)
                for layer in (
                    nn.Conv2d(width, 2 * width, 3, stride=2, padding=1, bias=bias),
                    make_norm(norm, 2 * width),
                    nn.ReLU(inplace=True),
                )
            )
        )
        self.blocks = nn.Sequential(*(ResidualBlock(4 * ngf, norm) for _ in range(n_blocks)))
        self.up = nn.Sequential(
            *(
                layer
                for width in (4 * ngf, 2 * ngf)
                for layer in (
                    *upsampling_conv(
                        width, width // 2, upsample, bias=bias, kernel_size=3, padding=1, output_padding=1
                    ),
                    make_norm(norm, width // 2),
                    nn.ReLU(inplace=True),
                )
            )
        )
        self.head = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_channels, 7), nn.Tanh())
        init_weights(self, init_std)

    input_multiple = 4
    """Inputs' H and W must be multiples of this."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(N, in_channels, H, W)`` in ``[-1, 1]`` to ``(N, out_channels, H, W)`` in ``[-1, 1]``."""
        check_input(x, self.in_channels, self.input_multiple, "resnet-refiner")
        if min(x.shape[-2:]) < 8:
            raise InputError(
                f"resnet-refiner: input height and width must be at least 8, got {x.shape[-2]}x{x.shape[-1]}"
            )
        return self.head(self.up(self.blocks(self.down(self.stem(x)))))
