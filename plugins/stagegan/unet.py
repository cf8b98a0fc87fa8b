"""The pix2pix U-Net generator, Stage-GAN's G0 (MR → semantic map) and G1 ([MR, map] → HR).

Layout (``num_downs`` levels, widths ``min(ngf * 2**i, 8 * ngf)``):

    encoder  e0 = Conv(x)                      4×4 stride-2 convolutions, no norm on the first
             ei = Norm(Conv(LeakyReLU(e(i-1))))  LeakyReLU 0.2 *before* each conv (pre-activation)
             innermost: Conv(LeakyReLU(.)), no norm (1×1 at 256×256 with 8 levels)
    decoder  d = Dropout(Norm(ConvT(ReLU(cat[skip, d]))))   4×4 stride-2 transposed convolutions
             outermost: Tanh(ConvT(ReLU(cat[e0, d])))

Skips are concatenated skip-first, as pix2pix does. The encoder's in-place LeakyReLU also rewrites
the stored skip, as in pix2pix; every decoder block starts with ReLU and ReLU(LeakyReLU(e)) = ReLU(e),
so the result is the same as keeping the raw skip. Dropout (the papers' noise) sits in the three
innermost decoder blocks, as in the pix2pix paper's ``CD512-CD1024-CD1024`` decoder head.
"""

from __future__ import annotations

import torch
from torch import nn

from .init import init_weights
from .layers import (
    NoiseDropout,
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

__all__ = ["UNetDown", "UNetGenerator", "UNetUp"]

DROPOUT_BLOCKS = 3
"""How many of the innermost decoder blocks carry dropout (pix2pix)."""


class UNetDown(nn.Sequential):
    """One encoder step: ``[LeakyReLU(0.2)] → Conv 4×4 stride 2 → [Norm]``; halves H and W.

    Shape:
        ``(N, in_channels, H, W) → (N, out_channels, H/2, W/2)``.
    """

    def __init__(
        self, in_channels: int, out_channels: int, norm: Norm, *, outermost: bool, innermost: bool
    ) -> None:
        layers: list[nn.Module] = []
        if not outermost:
            layers.append(nn.LeakyReLU(0.2, inplace=True))
        with_norm = not (outermost or innermost)
        layers.append(nn.Conv2d(in_channels, out_channels, 4, stride=2, padding=1, bias=conv_bias(norm)))
        if with_norm:
            layers.append(make_norm(norm, out_channels))
        super().__init__(*layers)


class UNetUp(nn.Sequential):
    """One decoder step: ``ReLU → ConvTranspose 4×4 stride 2 → Norm → [Dropout]``, or, outermost,
    ``ReLU → ConvTranspose (with bias) → Tanh``; doubles H and W. With ``upsample="resize"`` the
    transposed convolution is nearest ×2 → Conv 3×3.

    Shape:
        ``(N, in_channels, H, W) → (N, out_channels, 2H, 2W)``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        norm: Norm,
        *,
        outermost: bool,
        dropout: float = 0.0,
        dropout_at_inference: bool = False,
        upsample: Upsample = "deconv",
    ) -> None:
        layers: list[nn.Module] = [nn.ReLU(inplace=True)]
        up = {"kernel_size": 4, "padding": 1}
        if outermost:
            layers += [*upsampling_conv(in_channels, out_channels, upsample, **up), nn.Tanh()]
        else:
            layers += [
                *upsampling_conv(in_channels, out_channels, upsample, bias=conv_bias(norm), **up),
                make_norm(norm, out_channels),
            ]
            if dropout > 0:
                layers.append(NoiseDropout(dropout, dropout_at_inference))
        super().__init__(*layers)


class UNetGenerator(nn.Module):
    """pix2pix's U-Net (Isola et al. 2017), as Stage-GAN uses it for G0 and G1.

    Args:
        in_channels: input channels (3 for G0 on the MR image, 6 for G1 on ``[MR, semantic map]``).
        out_channels: output channels (3).
        num_downs: number of stride-2 levels; inputs must be multiples of ``2**num_downs``
            (8 levels: the bottleneck is 1×1 at 256×256).
        ngf: width of the first level; levels are ``min(ngf * 2**i, 8 * ngf)`` wide.
        norm: ``"batch"`` (the paper), ``"instance"`` or ``"none"``; convs before BatchNorm have no bias.
        dropout: drop probability in the three innermost decoder blocks (0.5 in the paper; 0 disables).
        dropout_at_inference: keep that dropout active in eval mode (the papers' noise; outputs then
            vary between calls). ``False`` (default) gives deterministic eval outputs.
        upsample: the decoder's ×2 step: ``"deconv"`` (the paper: 4×4 stride-2 transposed
            convolutions) or ``"resize"`` (nearest ×2 then a 3×3 convolution, which leaves no
            checkerboard grid).
        init_std: weights ~ N(0, init_std), BatchNorm weights ~ N(1, init_std), biases 0.

    Shape:
        ``(N, in_channels, H, W) → (N, out_channels, H, W)``, values in ``[-1, 1]`` (tanh);
        ``H, W`` multiples of ``2**num_downs``.

    Examples:
        >>> from srzoo_plugins.stagegan.unet import UNetGenerator
        >>> g0 = UNetGenerator(3, 3, num_downs=8, ngf=64)       # Stage-GAN's G0: 54,413,955 params
        >>> g0.eval()(torch.zeros(1, 3, 256, 256)).shape
        torch.Size([1, 3, 256, 256])
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        num_downs: int = 8,
        ngf: int = 64,
        norm: Norm = "batch",
        dropout: float = 0.5,
        dropout_at_inference: bool = False,
        init_std: float = 0.02,
        upsample: Upsample = "deconv",
    ) -> None:
        super().__init__()
        check_integers(
            "unet",
            in_channels=(in_channels, 1),
            out_channels=(out_channels, 1),
            num_downs=(num_downs, 2),
            ngf=(ngf, 1),
        )
        check_norm(norm)
        check_upsample(upsample)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_downs = num_downs
        widths = [min(ngf * 2**i, 8 * ngf) for i in range(num_downs)]
        self.down = nn.ModuleList(
            UNetDown(
                in_channels if i == 0 else widths[i - 1],
                widths[i],
                norm,
                outermost=i == 0,
                innermost=i == num_downs - 1,
            )
            for i in range(num_downs)
        )
        ups: list[nn.Module] = []
        for j in range(num_downs):  # j = 0 is the innermost decoder block
            level = num_downs - 1 - j  # the encoder level whose resolution this block restores
            outermost = level == 0
            ups.append(
                UNetUp(
                    widths[level] * (1 if j == 0 else 2),
                    out_channels if outermost else widths[level - 1],
                    norm,
                    outermost=outermost,
                    dropout=dropout if j < DROPOUT_BLOCKS else 0.0,
                    dropout_at_inference=dropout_at_inference,
                    upsample=upsample,
                )
            )
        self.up = nn.ModuleList(ups)
        init_weights(self, init_std)

    @property
    def input_multiple(self) -> int:
        """Inputs' H and W must be multiples of this (``2**num_downs``)."""
        return 2**self.num_downs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(N, in_channels, H, W)`` in ``[-1, 1]`` to ``(N, out_channels, H, W)`` in ``[-1, 1]``."""
        check_input(x, self.in_channels, self.input_multiple, "unet")
        skips: list[torch.Tensor] = []
        for down in self.down:
            x = down(x)
            skips.append(x)
        x = self.up[0](skips.pop())
        for up in self.up[1:]:
            x = up(torch.cat([skips.pop(), x], dim=1))
        return x
