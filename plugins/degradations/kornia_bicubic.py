"""``kornia-bicubic``: kornia's antialiased bicubic resize under the degradation contract.

Not MATLAB's ``imresize``: when shrinking, kornia first blurs with a Gaussian (``σ = (s - 1) / 2``)
and then samples with torch's bicubic (Keys ``a = -0.75``). The measured gap to MATLAB's LR files is in
the docs ("Degradations"). Use ``bicubic`` for the literature's protocol.
"""

from __future__ import annotations

import math
from typing import Literal

import kornia
import torch
from torch import nn

from srzoo.errors import InputError

from . import _params


def kornia_resize(x: torch.Tensor, scale: float, direction: Literal["down", "up"] = "down") -> torch.Tensor:
    """Resize with ``kornia.geometry.transform.resize(..., "bicubic", antialias=True)``.

    Args:
        x: ``(N, C, H, W)`` float images (any range).
        scale: the factor (> 0).
        direction: ``"down"`` gives ``(ceil(H / scale), ceil(W / scale))``, ``"up"`` gives
            ``(ceil(H * scale), ceil(W * scale))``.

    Returns:
        ``(N, C, h, w)`` in ``x``'s dtype and device, not clamped; differentiable.

    Examples:
        >>> from srzoo_plugins.degradations.kornia_bicubic import kornia_resize
        >>> kornia_resize(torch.rand(1, 3, 31, 32), 4).shape
        torch.Size([1, 3, 8, 8])
    """
    x = _params.check_batch(x, "x")
    h, w = x.shape[-2:]
    size = (
        (math.ceil(h / scale), math.ceil(w / scale))
        if direction == "down"
        else (math.ceil(h * scale), math.ceil(w * scale))
    )
    return kornia.geometry.transform.resize(
        x, size, interpolation="bicubic", align_corners=False, antialias=True
    )


class KorniaBicubic(nn.Module):
    """The ``kornia-bicubic`` degradation (see [`kornia_resize`][srzoo_plugins.degradations.kornia_bicubic.kornia_resize]).

    Args:
        scale: the factor (> 0).
        direction: ``"down"`` (default) or ``"up"``.

    Shape:
        ``(N, C, H, W) -> (N, C, ceil(H / scale), ceil(W / scale))`` for ``"down"``.

    Examples:
        >>> down = srzoo.create("degradation", "kornia-bicubic", scale=4)
        >>> down(torch.rand(2, 3, 30, 30)).shape
        torch.Size([2, 3, 8, 8])
    """

    def __init__(self, scale: float, direction: Literal["down", "up"] = "down") -> None:
        super().__init__()
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
            raise InputError(f"scale must be a positive number, got {scale!r}")
        if direction not in ("down", "up"):
            raise InputError(f"direction must be 'down' or 'up', got {direction!r}")
        self.scale = float(scale)
        self.direction = direction

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return kornia_resize(x, self.scale, self.direction)

    def extra_repr(self) -> str:
        return f"scale={self.scale}, direction={self.direction!r}"
