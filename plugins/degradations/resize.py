"""Random resize: a random size ratio per batch and a random interpolation mode per image.

The ``resize`` step ([`RandomResize`][srzoo_plugins.degradations.resize.RandomResize]) shrinks by a
fixed ``scale`` (the degradation contract: ``ceil(H / scale)``) and then, optionally, by a random
ratio: Real-ESRGAN's "up / down / keep" draw. A batch is one tensor, so the ratio is drawn once per
call; the mode (``area``, ``bilinear``, ``bicubic`` with ``F.interpolate``'s defaults, as Real-ESRGAN
uses) is drawn per image.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from srzoo.errors import InputError

from . import _params

MODES = ("area", "bilinear", "bicubic", "nearest")
DIRECTIONS = ("up", "down", "keep")


def resize_modes(
    x: torch.Tensor, size: tuple[int, int], modes: Sequence[str], index: torch.Tensor
) -> torch.Tensor:
    """Resize each image of ``x`` to ``size`` with its own mode ``modes[index[i]]``.

    Args:
        x: ``(N, C, H, W)`` float images (any range).
        size: the output ``(h, w)``, both >= 1.
        modes: interpolation modes of ``F.interpolate`` (``MODES``).
        index: ``(N,)`` int64 indices into ``modes``.

    Returns:
        ``(N, C, h, w)``, differentiable in ``x``; not clamped (bicubic overshoots).

    Examples:
        >>> from srzoo_plugins.degradations.resize import resize_modes
        >>> resize_modes(torch.rand(2, 3, 9, 9), (4, 5), ["area", "bicubic"], torch.tensor([0, 1])).shape
        torch.Size([2, 3, 4, 5])
    """
    x = _params.check_batch(x, "x")
    out = x.new_empty(*x.shape[:2], *size)
    for i, mode in enumerate(modes):
        chosen = (index == i).nonzero().flatten()
        if chosen.numel() == 0:
            continue
        part = x.index_select(0, chosen)
        if mode in ("area", "nearest"):
            part = F.interpolate(part, size=size, mode=mode)
        else:
            part = F.interpolate(part, size=size, mode=mode, align_corners=False)
        out = out.index_copy(0, chosen, part)
    return out


class RandomResize(nn.Module):
    """Shrink by ``scale``, then by a random ratio, with a random mode per image.

    The target is ``ceil(H / scale) × ceil(W / scale)`` (inside a chain: of the chain's input, divided
    by the product of the scales so far, so that a later plain ``resize`` undoes the random ratios), then
    multiplied by a ratio ``r`` and floored (at least 1 pixel). ``r`` is drawn once per call:

    - ``range=None``: ``r = 1``;
    - ``range=[low, high]`` without ``probabilities``: ``r`` uniform in ``[low, high]``;
    - with ``probabilities`` (weights of ``up``, ``down``, ``keep``): ``r`` uniform in ``[1, high]``,
      in ``[low, 1]`` or 1 (Real-ESRGAN's scheme).

    Args:
        scale: the fixed shrink factor (> 0; the contract's ``scale``).
        range: ``[low, high]`` of the random size ratio (> 0; < 1 shrinks), or ``None``.
        probabilities: weights of ``"up"``, ``"down"``, ``"keep"`` (a mapping or a list of 3), or ``None``.
        modes: one mode or a list of modes drawn uniformly per image (``area``, ``bilinear``,
            ``bicubic``, ``nearest``).

    Shape:
        ``(N, C, H, W) -> (N, C, h, w)``; with ``range=None`` exactly ``(ceil(H/scale), ceil(W/scale))``.
        Float, any range, not clamped.

    Examples:
        >>> down = srzoo.create("degradation", "resize", scale=4, modes="bicubic")
        >>> down(torch.rand(2, 3, 30, 31)).shape
        torch.Size([2, 3, 8, 8])
        >>> jitter = srzoo.create("degradation", "resize", range=[0.5, 0.5])
        >>> jitter(torch.rand(1, 3, 30, 31)).shape
        torch.Size([1, 3, 15, 15])
    """

    def __init__(
        self,
        scale: float = 1,
        range: Sequence[float] | None = None,
        probabilities: Mapping[str, float] | Sequence[float] | None = None,
        modes: Sequence[str] | str = ("area", "bilinear", "bicubic"),
    ) -> None:
        super().__init__()
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
            raise InputError(f"scale must be a positive number, got {scale!r}")
        self.scale = float(scale)
        self.range = None if range is None else _params.as_range(range, "range", 1e-6)
        if probabilities is not None and self.range is None:
            raise InputError("probabilities needs a range: give range = [low, high] too")
        self.probabilities = (
            None if probabilities is None else _params.as_weights(probabilities, DIRECTIONS, "probabilities")
        )
        if self.probabilities is not None and not self.range[0] <= 1.0 <= self.range[1]:  # type: ignore[index]
            raise InputError(f"with probabilities, range must contain 1, got {list(self.range)}")  # type: ignore[arg-type]
        modes = [modes] if isinstance(modes, str) else list(modes)
        bad = [m for m in modes if m not in MODES]
        if not modes or bad:
            raise InputError(f"modes must be a non-empty list of {', '.join(MODES)}, got {modes!r}")
        self.modes = tuple(modes)

    @property
    def exact(self) -> bool:
        """True when the output size is always ``ceil(H / scale) × ceil(W / scale)`` (no random ratio)."""
        return self.range is None

    def output_size(self, h: int, w: int) -> tuple[int, int]:
        """The nominal output size ``(ceil(h / scale), ceil(w / scale))``, before any random ratio."""
        return math.ceil(h / self.scale), math.ceil(w / self.scale)

    def _ratio(self, generator: torch.Generator | None, like: torch.Tensor) -> float:
        if self.range is None:
            return 1.0
        direction = -1
        if self.probabilities is not None:
            direction = int(_params.categorical(1, list(self.probabilities.values()), generator, like).item())
        u = _params.uniform(1, (0.0, 1.0), generator, like).item()
        low, high = self.range
        if direction == 0:
            return 1.0 + (high - 1.0) * u
        if direction == 1:
            return low + (1.0 - low) * u
        if direction == 2:
            return 1.0
        return low + (high - low) * u

    def forward(
        self,
        x: torch.Tensor,
        generator: torch.Generator | None = None,
        *,
        size: tuple[int, int] | None = None,
    ) -> torch.Tensor:
        """Resize ``x``; ``size`` overrides the nominal size (a chain passes its own bookkeeping)."""
        x = _params.check_batch(x, "x")
        generator = _params.check_generator(generator)
        nominal = size if size is not None else self.output_size(*x.shape[-2:])
        ratio = self._ratio(generator, x)
        target = (max(1, int(nominal[0] * ratio)), max(1, int(nominal[1] * ratio)))
        index = _params.categorical(x.shape[0], [1.0] * len(self.modes), generator, x)
        if target == tuple(x.shape[-2:]):  # every mode is the identity at the same size
            return x
        return resize_modes(x, target, self.modes, index)

    def extra_repr(self) -> str:
        return f"scale={self.scale}, range={None if self.range is None else list(self.range)}, modes={self.modes}"


def random_resize(
    x: torch.Tensor, generator: torch.Generator | None = None, **kwargs: object
) -> torch.Tensor:
    """Functional form of [`RandomResize`][srzoo_plugins.degradations.resize.RandomResize] (same arguments).

    Examples:
        >>> from srzoo_plugins.degradations.resize import random_resize
        >>> random_resize(torch.rand(1, 3, 16, 16), scale=2).shape
        torch.Size([1, 3, 8, 8])
    """
    return RandomResize(**kwargs)(x, generator=generator)  # type: ignore[arg-type]
