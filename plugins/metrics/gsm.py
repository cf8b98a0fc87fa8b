"""GSM, the gradient similarity measure of Liu, Lin and Narwaria (IEEE TIP 2012), as DESIGN §6 fixes it.

Per pixel, the gradient magnitude is ``g = max_k |Σ(X ∘ M_k)| / 25`` over the 5×5 neighbourhood
``X`` (zero padding) with four directional operators ``M_k``. With ``r = |g_x - g_y| / max(g_x, g_y)``
and ``K = C / max(g_x, g_y)`` the gradient similarity is
``Sg = (2 (1 - r) + K) / (1 + (1 - r)² + K)`` (1 where both gradients vanish), the luminance
similarity is ``Sl = 1 - ((x - y) / 255)²``, and with ``W = weight · Sg`` the score is
``mean((1 - W) Sg + W Sl)``: 1 for identical images, lower for worse ones. The authors' code is not
public; ``C`` (200) and ``weight`` (0.1) are parameters.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from srzoo.errors import InputError

from .protocol import Channel, Protocol

__all__ = ["GSM", "GSM_OPERATORS", "gradient_magnitude", "gsm", "gsm_map"]

_M1 = [
    [0, 0, 0, 0, 0],
    [1, 3, 8, 3, 1],
    [0, 0, 0, 0, 0],
    [-1, -3, -8, -3, -1],
    [0, 0, 0, 0, 0],
]
_M2 = [
    [0, 0, 1, 0, 0],
    [0, 8, 3, 0, 0],
    [1, 3, 0, -3, -1],
    [0, 0, -3, -8, 0],
    [0, 0, -1, 0, 0],
]

GSM_OPERATORS: tuple[tuple[tuple[int, ...], ...], ...] = (
    tuple(map(tuple, _M1)),
    tuple(map(tuple, _M2)),
    tuple(tuple(row[::-1]) for row in _M2),  # M3 = fliplr(M2)
    tuple(zip(*_M1)),  # M4 = M1ᵀ
)
"""The four 5×5 directional operators ``M1..M4``."""

DEFAULT_C = 200.0
DEFAULT_WEIGHT = 0.1


def gradient_magnitude(x: torch.Tensor) -> torch.Tensor:
    """``max_k |Σ(X ∘ M_k)| / 25`` per pixel (5×5 neighbourhoods, zero padding).

    Args:
        x: ``(N, C, H, W)`` float tensor.

    Returns:
        ``(N, C, H, W)`` non-negative gradient magnitudes, ``x``'s dtype.
    """
    n, c, h, w = x.shape
    ops = torch.tensor(GSM_OPERATORS, dtype=x.dtype, device=x.device).unsqueeze(1)  # (4, 1, 5, 5)
    responses = F.conv2d(x.reshape(n * c, 1, h, w), ops, padding=2)  # cross-correlation: Σ X ∘ M_k
    return responses.abs().amax(dim=1).reshape(n, c, h, w) / 25.0


def gsm_map(
    x: torch.Tensor,
    y: torch.Tensor,
    c: float = DEFAULT_C,
    weight: float = DEFAULT_WEIGHT,
    max_value: float = 255.0,
) -> torch.Tensor:
    """The per-pixel GSM quality ``q`` of ``x`` against ``y``.

    Args:
        x: ``(N, C, H, W)`` float tensor in ``[0, max_value]``.
        y: reference, same shape.
        c: the constant ``C`` of ``K = C / max(g_x, g_y)``.
        weight: the factor of ``W = weight · Sg``.
        max_value: the range used by the luminance term.

    Returns:
        ``(N, C, H, W)`` map, ``x``'s dtype.

    Raises:
        InputError: mismatched or non-4D shapes.
    """
    if x.ndim != 4 or x.shape != y.shape:
        raise InputError(
            f"x and y must be (N, C, H, W) tensors of the same shape, got {tuple(x.shape)} and {tuple(y.shape)}"
        )
    gx = gradient_magnitude(x)
    gy = gradient_magnitude(y)
    g_max = torch.maximum(gx, gy)
    flat = g_max == 0
    safe = torch.where(flat, torch.ones_like(g_max), g_max)
    r = (gx - gy).abs() / safe
    k = c / safe
    sg = (2.0 * (1.0 - r) + k) / (1.0 + (1.0 - r) ** 2 + k)
    sg = torch.where(flat, torch.ones_like(sg), sg)
    sl = 1.0 - ((x - y) / max_value) ** 2
    w = weight * sg
    return (1.0 - w) * sg + w * sl


def gsm(
    x: torch.Tensor, y: torch.Tensor, c: float = DEFAULT_C, weight: float = DEFAULT_WEIGHT
) -> torch.Tensor:
    """Mean GSM per image: ``(N, C, H, W)`` pair in ``[0, 255]`` → ``(N,)``."""
    return gsm_map(x, y, c, weight).flatten(1).mean(dim=1)


class GSM(nn.Module):
    """GSM under the literature's protocol (registered metric ``gsm``).

    ``(sr, hr)`` float RGB ``[0, 1]`` ``(N, 3, H, W)`` → ``(N,)`` float64, computed on the 8-bit Y in
    ``[0, 255]`` after shaving ``shave`` (default ``scale``) pixels per side, like PSNR and SSIM.

    Args:
        scale: the SR factor (the default shave).
        channel: ``"y"`` or ``"rgb"`` (mean over the three channels' maps).
        shave: border pixels removed per side; ``None`` = ``scale``.
        round_input: round inputs to 8 bits first.
        round_y: round the luma to integers; ``False`` = RCAN's unrounded Y.
        c: the constant ``C`` (200).
        weight: the weight of the luminance term, ``W = weight · Sg`` (0.1).

    Examples:
        >>> metric = srzoo.create("metric", "gsm", scale=4)
        >>> hr = torch.rand(1, 3, 32, 32)
        >>> float(metric(hr, hr)[0])
        1.0
    """

    higher_is_better = True

    def __init__(
        self,
        scale: int,
        channel: Channel = "y",
        shave: int | None = None,
        round_input: bool = True,
        round_y: bool = True,
        c: float = DEFAULT_C,
        weight: float = DEFAULT_WEIGHT,
    ) -> None:
        super().__init__()
        if isinstance(c, bool) or not isinstance(c, (int, float)) or c < 0:
            raise InputError(f"c must be a non-negative number, got {c!r}")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= 1:
            raise InputError(f"weight must be a number in [0, 1], got {weight!r}")
        self.protocol = Protocol(scale, channel, shave, round_input, round_y)
        self.c = float(c)
        self.weight = float(weight)

    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        """Score ``sr`` against ``hr``; returns ``(N,)`` float64."""
        a, b = self.protocol.prepare(sr, hr)
        return gsm(a, b, self.c, self.weight)

    def extra_repr(self) -> str:
        items = {**self.protocol.describe(), "c": self.c, "weight": self.weight}
        return ", ".join(f"{k}={v!r}" for k, v in items.items())
