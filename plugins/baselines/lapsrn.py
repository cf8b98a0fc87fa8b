"""LapSRN (Lai, Huang, Ahuja, Yang, "Deep Laplacian Pyramid Networks for Fast and Accurate
Super-Resolution", CVPR 2017).

The layout follows the authors' released MatConvNet models (``LapSRN_x{2,4,8}.mat``):

* ``input_conv``: 3×3 conv, 1 → 64, LeakyReLU 0.2, on the LR image.
* one [`LapSRNLevel`][] per ×2 step. Feature branch: ``depth`` × (3×3 conv 64 → 64 + LeakyReLU
  0.2), a 3×3 stride-2 transposed conv 64 → 64 (the full ``2H + 1`` output with its last row and
  column cropped, MatConvNet's ``crop = [0 1 0 1]``) + LeakyReLU 0.2, then a 3×3 conv 64 → 1: the
  residual. Image branch: a 4×4 stride-2 transposed conv without bias (``crop = [1 1 1 1]``, i.e.
  ``padding=1``) upsamples the previous level's image. The level's output is their sum; the next
  level continues from the upsampled features and this output.
* ``depth`` is 10 for the released ×2 and ×4 models and 5 for ×8 (the defaults here).

With ``channels="y"`` (the authors' models) the module keeps an RGB edge: it runs on the Y channel of
[`rgb_to_ycbcr`][] and upsamples Cb and Cr with a registered degradation (``chroma``,
by default the MATLAB-exact ``bicubic``), as the authors' test script does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import torch
from torch import nn

from srzoo.checks import check_image_batch
from srzoo.errors import InputError

from .ycbcr import merge_luma, rgb_to_ycbcr

__all__ = ["FeatureUpsample", "LapSRN", "LapSRNLevel", "bilinear_kernel", "lapsrn", "released_depth"]

Channels = Literal["y", "rgb"]

_RELEASED_DEPTH = {2: 10, 4: 10, 8: 5}


def released_depth(scale: int) -> int:
    """Convolutions per level in the authors' released model for ``scale`` (10 for ×2/×4, 5 for ×8)."""
    return _RELEASED_DEPTH.get(scale, 10)


def bilinear_kernel(size: int) -> torch.Tensor:
    """A ``(size, size)`` bilinear upsampling kernel (the authors' initialisation of the image branch)."""
    factor = (size + 1) // 2
    centre = factor - 1 if size % 2 == 1 else factor - 0.5
    ramp = 1 - (torch.arange(size, dtype=torch.float64) - centre).abs() / factor
    return (ramp[:, None] * ramp[None, :]).float()


class FeatureUpsample(nn.ConvTranspose2d):
    """3×3 stride-2 transposed conv whose ``2H + 1`` output loses its last row and column.

    MatConvNet's ``ConvTranspose`` with ``crop = [0 1 0 1]``: ``(N, C, H, W) -> (N, C', 2H, 2W)``.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, kernel_size=3, stride=2, padding=0)

    def forward(self, x: torch.Tensor, output_size: list[int] | None = None) -> torch.Tensor:
        if output_size is not None:
            raise InputError("FeatureUpsample always returns (2H, 2W); output_size is not supported")
        return super().forward(x)[..., :-1, :-1]


class LapSRNLevel(nn.Module):
    """One ×2 level of the pyramid: features and image in, both at twice the size out.

    Args:
        depth: 3×3 convolutions (each with LeakyReLU 0.2) before the upsampling.
        features: feature channels (64).
        planes: image channels (1 for Y, 3 for RGB).

    Shape:
        features ``(N, F, H, W)`` and image ``(N, P, H, W)`` → ``(N, F, 2H, 2W)`` and ``(N, P, 2H, 2W)``.
    """

    def __init__(self, depth: int, features: int = 64, planes: int = 1) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for _ in range(depth):
            layers += [nn.Conv2d(features, features, 3, padding=1), nn.LeakyReLU(0.2, inplace=True)]
        self.body = nn.Sequential(*layers)
        self.upsample = FeatureUpsample(features, features)
        self.act = nn.LeakyReLU(0.2, inplace=True)
        self.residual = nn.Conv2d(features, planes, 3, padding=1)
        self.image_up = nn.ConvTranspose2d(planes, planes, 4, stride=2, padding=1, bias=False, groups=planes)

    def forward(self, features: torch.Tensor, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.act(self.upsample(self.body(features)))
        return features, self.image_up(image) + self.residual(features)


class LapSRN(nn.Module):
    """LapSRN: ``(N, 3, h, w)`` RGB in ``[0, 1]`` → ``(N, 3, s*h, s*w)`` RGB for ``s = 2**levels``.

    Args:
        scale: 2, 4 or 8 (any power of two works; one level per ×2).
        depth: convolutions per level; ``None`` takes the released model's (10, or 5 for ×8).
        channels: ``"y"`` (the authors' models; RGB edge with bicubic chroma) or ``"rgb"``.
        features: feature channels (64).
        chroma: registered degradation that upsamples Cb and Cr when ``channels="y"``
            (``"bicubic"``: MATLAB's ``imresize``, as the authors' evaluation).

    Examples:
        >>> from srzoo_plugins.baselines.lapsrn import LapSRN
        >>> model = LapSRN(scale=4, depth=2, chroma="torch-bicubic")
        >>> model(torch.rand(1, 3, 7, 5)).shape
        torch.Size([1, 3, 28, 20])
    """

    def __init__(
        self,
        scale: int = 4,
        depth: int | None = None,
        channels: Channels = "y",
        features: int = 64,
        chroma: str = "bicubic",
    ) -> None:
        super().__init__()
        if not isinstance(scale, int) or scale < 2 or scale & (scale - 1):
            raise InputError(f"LapSRN upscales by powers of two; scale must be 2, 4 or 8, got {scale!r}")
        if depth is None:
            depth = released_depth(scale)
        if not isinstance(depth, int) or depth < 1:
            raise InputError(f"depth must be a positive integer, got {depth!r}")
        if channels not in ("y", "rgb"):
            raise InputError(f"channels must be 'y' or 'rgb', got {channels!r}")
        self.scale = scale
        self.depth = depth
        self.channels = channels
        planes = 1 if channels == "y" else 3
        self.input_conv = nn.Conv2d(planes, features, 3, padding=1)
        self.act = nn.LeakyReLU(0.2, inplace=True)
        self.levels = nn.ModuleList(
            LapSRNLevel(depth, features, planes) for _ in range(int(math.log2(scale)))
        )
        self.chroma_name = chroma
        resizer: Callable[[torch.Tensor], torch.Tensor] | None = None
        if channels == "y":
            import srzoo

            resizer = srzoo.create("degradation", chroma, scale=scale, direction="up")
        # kept out of the module tree: the state dict stays the network's alone (the converter's keys)
        self.__dict__["_chroma"] = resizer
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """He initialisation (for LeakyReLU 0.2) of the convs, zero biases, bilinear image upsampling."""
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(module.weight, a=0.2, nonlinearity="leaky_relu")
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        with torch.no_grad():
            for level in self.levels:
                level.image_up.weight.copy_(bilinear_kernel(4).expand_as(level.image_up.weight))

    def forward_pyramid(self, image: torch.Tensor) -> list[torch.Tensor]:
        """The bare network on image planes, returning every level's output.

        Args:
            image: ``(N, P, h, w)``, ``P`` = 1 (Y in ``[16, 235]/255``) or 3 (RGB in ``[0, 1]``).

        Returns:
            ``[(N, P, 2h, 2w), (N, P, 4h, 4w), ...]``, one per level; LapSRN's training loss
            penalises each against the HR image downsampled to its size.
        """
        features = self.act(self.input_conv(image))
        outputs = []
        for level in self.levels:
            features, image = level(features, image)
            outputs.append(image)
        return outputs

    def forward(self, lr: torch.Tensor) -> torch.Tensor:
        """Upscale ``(N, 3, h, w)`` RGB in ``[0, 1]`` to ``(N, 3, s*h, s*w)`` RGB (unclamped)."""
        check_image_batch(lr, "lr")
        if self.channels == "rgb":
            return self.forward_pyramid(lr)[-1]
        ycbcr = rgb_to_ycbcr(lr)
        resizer = self.__dict__["_chroma"]
        if isinstance(resizer, nn.Module):
            resizer.to(lr.device)
        return merge_luma(self.forward_pyramid(ycbcr[:, :1])[-1], resizer(ycbcr[:, 1:]))

    def extra_repr(self) -> str:
        extra = f", chroma={self.chroma_name!r}" if self.channels == "y" else ""
        return f"scale={self.scale}, depth={self.depth}, channels={self.channels!r}{extra}"


def lapsrn(
    scale: int = 4,
    depth: int | None = None,
    channels: Channels = "y",
    features: int = 64,
    chroma: str = "bicubic",
) -> LapSRN:
    """The registered factory of generator ``lapsrn`` (defaults: the authors' released layout)."""
    return LapSRN(scale=scale, depth=depth, channels=channels, features=features, chroma=chroma)
