"""Random JPEG: kornia's differentiable JPEG codec with a random quality per image.

[`RandomJPEG`][srzoo_plugins.degradations.jpeg.RandomJPEG] clamps to ``[0, 1]`` (as Real-ESRGAN does
before its codec) and encodes-decodes every image with its own quality through
``kornia.enhance.jpeg_codec_differentiable`` (4:2:0 chroma subsampling, the standard tables scaled
by the quality, rounding replaced by a differentiable approximation). Gray images (``C = 1``) are
coded as three equal channels and averaged back.
"""

from __future__ import annotations

from collections.abc import Sequence

import kornia
import torch
from torch import nn

from srzoo.errors import InputError

from . import _params


def jpeg(x: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
    """Encode and decode each image with its own JPEG quality.

    Args:
        x: ``(N, C, H, W)`` float images, ``C`` 1 or 3 (RGB); values are clamped to ``[0, 1]``.
        quality: ``(N,)`` qualities in ``[1, 100]`` (fractional qualities interpolate the tables).

    Returns:
        ``(N, C, H, W)`` in ``[0, 1]``, ``x``'s dtype and device; differentiable in ``x``.

    Examples:
        >>> from srzoo_plugins.degradations.jpeg import jpeg
        >>> jpeg(torch.rand(2, 3, 20, 13), torch.tensor([30.0, 95.0])).shape
        torch.Size([2, 3, 20, 13])
    """
    x = _params.check_batch(x, "x")
    if x.shape[1] not in (1, 3):
        raise InputError(f"jpeg needs 1 (gray) or 3 (RGB) channels, got shape {tuple(x.shape)}")
    if quality.shape != (x.shape[0],):
        raise InputError(f"quality must have shape ({x.shape[0]},), got {tuple(quality.shape)}")
    rgb = x.clamp(0.0, 1.0)
    if rgb.shape[1] == 1:
        rgb = rgb.expand(-1, 3, -1, -1)
    coded = kornia.enhance.jpeg_codec_differentiable(rgb, quality.to(x.device, x.dtype))
    if x.shape[1] == 1:
        coded = coded.mean(dim=1, keepdim=True)
    return coded.clamp(0.0, 1.0)


class RandomJPEG(nn.Module):
    """JPEG-compress each image with a quality uniform in ``quality`` (Real-ESRGAN: ``[30, 95]``).

    With probability ``1 - p`` an image is only clamped to ``[0, 1]``.

    Args:
        quality: ``[low, high]`` JPEG quality within ``[1, 100]``.
        p: probability that an image is compressed.
        scale: the degradation contract's scale; must be 1.

    Shape:
        ``(N, C, H, W) -> (N, C, H, W)``, ``C`` 1 or 3; output in ``[0, 1]``.

    Examples:
        >>> compress = srzoo.create("degradation", "jpeg", quality=[30, 95])
        >>> compress(torch.rand(2, 3, 16, 16), generator=torch.Generator().manual_seed(0)).shape
        torch.Size([2, 3, 16, 16])
    """

    def __init__(
        self, quality: Sequence[float] | float = (30.0, 95.0), p: float = 1.0, scale: float = 1
    ) -> None:
        super().__init__()
        _params.check_unit_scale(scale, "jpeg")
        self.quality = _params.as_range(quality, "quality", 1.0, 100.0)
        self.p = _params.as_probability(p, "p")

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        x = _params.check_batch(x, "x")
        generator = _params.check_generator(generator)
        if x.shape[1] not in (1, 3):
            raise InputError(f"jpeg needs 1 (gray) or 3 (RGB) channels, got shape {tuple(x.shape)}")
        quality = _params.uniform(x.shape[0], self.quality, generator, x)
        skip = ~_params.bernoulli(x.shape[0], self.p, generator, x)
        coded = jpeg(x, quality)
        return torch.where(skip.view(-1, 1, 1, 1), x.clamp(0.0, 1.0), coded)

    def extra_repr(self) -> str:
        return f"quality={list(self.quality)}, p={self.p}"


def random_jpeg(x: torch.Tensor, generator: torch.Generator | None = None, **kwargs: object) -> torch.Tensor:
    """Functional form of [`RandomJPEG`][srzoo_plugins.degradations.jpeg.RandomJPEG] (same arguments).

    Examples:
        >>> from srzoo_plugins.degradations.jpeg import random_jpeg
        >>> random_jpeg(torch.rand(1, 1, 8, 8), quality=50).shape
        torch.Size([1, 1, 8, 8])
    """
    return RandomJPEG(**kwargs)(x, generator=generator)  # type: ignore[arg-type]
