"""SSIM (Wang et al. 2004) as the SR literature computes it: 11×11 Gaussian window, 'valid' filtering."""

from __future__ import annotations

import torch
from torch import nn

from srzoo.errors import InputError

from .protocol import Channel, Protocol, one_thread

__all__ = ["SSIM", "gaussian_window", "ssim", "ssim_map"]

WINDOW_SIZE = 11
SIGMA = 1.5
K1 = 0.01
K2 = 0.03


def gaussian_window(
    size: int = WINDOW_SIZE, sigma: float = SIGMA, device: torch.device | None = None
) -> torch.Tensor:
    """The normalised 1-D Gaussian ``(size,)`` float64 (the 2-D window is its outer product)."""
    k = torch.arange(size, dtype=torch.float64, device=device) - (size - 1) / 2.0
    g = torch.exp(-(k**2) / (2.0 * sigma**2))
    return g / g.sum()


def _filter_valid(x: torch.Tensor, window_size: int = WINDOW_SIZE, sigma: float = SIGMA) -> torch.Tensor:
    """Separable 'valid' Gaussian filtering of ``(..., H, W)``: ``(..., H - k + 1, W - k + 1)``.

    Each axis is ``k`` in-place shifted multiply-adds. On a CPU this beats a float64 convolution
    (which torch runs through im2col) and a Toeplitz matrix product, as long as ``x`` stays in cache,
    which is why [`ssim_map`][] calls it one image at a time.
    """
    k = window_size
    h, w = x.shape[-2:]
    weights = gaussian_window(k, sigma).tolist()
    rows = x[..., :, 0 : w - k + 1] * weights[0]
    for i in range(1, k):
        rows.add_(x[..., :, i : w - k + 1 + i], alpha=weights[i])
    out = rows[..., 0 : h - k + 1, :] * weights[0]
    for i in range(1, k):
        out.add_(rows[..., i : h - k + 1 + i, :], alpha=weights[i])
    return out


def _ssim_map_one(
    x: torch.Tensor, y: torch.Tensor, window_size: int, sigma: float, c1: float, c2: float
) -> torch.Tensor:
    """SSIM map of one ``(C, H, W)`` pair; the five local moments are filtered in one call."""
    c = x.shape[0]
    moments = _filter_valid(torch.cat([x, y, x * x, y * y, x * y]), window_size, sigma)
    mu_x, mu_y, xx, yy, xy = moments.split(c)
    mu_xy = mu_x * mu_y
    mu_sq = mu_x * mu_x
    mu_sq += mu_y * mu_y
    numerator = (2.0 * mu_xy + c1) * (2.0 * (xy - mu_xy) + c2)
    return numerator / ((mu_sq + c1) * (xx + yy - mu_sq + c2))


def ssim_map(
    x: torch.Tensor,
    y: torch.Tensor,
    max_value: float = 255.0,
    window_size: int = WINDOW_SIZE,
    sigma: float = SIGMA,
    k1: float = K1,
    k2: float = K2,
) -> torch.Tensor:
    """The SSIM map of Wang et al. 2004 with 'valid' Gaussian filtering.

    Args:
        x: ``(N, C, H, W)`` float tensor in ``[0, max_value]``, ``H, W >= window_size``.
        y: reference, same shape.
        max_value: the dynamic range ``L``.
        window_size: the side of the Gaussian window.
        sigma: the Gaussian's standard deviation.
        k1: ``C1 = (k1 L)²`` stabilises the luminance term.
        k2: ``C2 = (k2 L)²`` stabilises the contrast-structure term.

    Returns:
        ``(N, C, H - window_size + 1, W - window_size + 1)`` map in ``x``'s dtype.

    Raises:
        InputError: mismatched shapes or images smaller than the window.
    """
    if x.ndim != 4 or x.shape != y.shape:
        raise InputError(
            f"x and y must be (N, C, H, W) tensors of the same shape, got {tuple(x.shape)} and {tuple(y.shape)}"
        )
    if min(x.shape[-2:]) < window_size:
        raise InputError(
            f"SSIM needs images of at least {window_size}x{window_size}, got {x.shape[-2]}x{x.shape[-1]}"
        )
    c1 = (k1 * max_value) ** 2
    c2 = (k2 * max_value) ** 2
    with one_thread(x.device):
        return torch.stack([_ssim_map_one(a, b, window_size, sigma, c1, c2) for a, b in zip(x, y)])


def ssim(x: torch.Tensor, y: torch.Tensor, max_value: float = 255.0) -> torch.Tensor:
    """Mean SSIM per image: ``(N, C, H, W)`` pair → ``(N,)`` (the mean of [`ssim_map`][] over C, H, W)."""
    return ssim_map(x, y, max_value).flatten(1).mean(dim=1)


class SSIM(nn.Module):
    """SSIM under the literature's protocol (registered metric ``ssim``).

    ``(sr, hr)`` float RGB ``[0, 1]`` ``(N, 3, H, W)`` → ``(N,)`` float64 mean SSIM, computed on 8-bit
    Y in ``[0, 255]`` with ``L = 255``, ``K1 = 0.01``, ``K2 = 0.03``, an 11×11 Gaussian window
    (σ = 1.5), 'valid' filtering and ``shave`` (default ``scale``) pixels removed per side first. With
    ``channel="rgb"`` the maps of the three channels are averaged.

    Args:
        scale: the SR factor (the default shave).
        channel: ``"y"`` or ``"rgb"``.
        shave: border pixels removed per side; ``None`` = ``scale``.
        round_input: round inputs to 8 bits first.
        round_y: round the luma to integers; ``False`` = RCAN's unrounded Y.

    Examples:
        >>> metric = srzoo.create("metric", "ssim", scale=4)
        >>> hr = torch.rand(2, 3, 32, 32)
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
    ) -> None:
        super().__init__()
        self.protocol = Protocol(scale, channel, shave, round_input, round_y)

    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        """Score ``sr`` against ``hr``; returns ``(N,)`` float64."""
        with one_thread(sr.device if isinstance(sr, torch.Tensor) else torch.device("cpu")):
            a, b = self.protocol.prepare(sr, hr, min_size=WINDOW_SIZE)
            return ssim(a, b, 255.0)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.protocol.describe().items())
