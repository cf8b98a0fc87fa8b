"""Random noise: additive Gaussian and signal-dependent Poisson, in colour or gray, per image.

The ``noise`` step ([`RandomNoise`][srzoo_plugins.degradations.noise.RandomNoise]) chooses per image
Gaussian noise (probability ``gaussian_prob``) or Poisson noise, and gray noise (the same value in
every channel) with probability ``gray_prob``, as Real-ESRGAN does; ``gaussian-noise`` and
``poisson-noise`` are the same step with ``gaussian_prob`` 1 and 0. Results are clipped to ``[0, 1]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from srzoo.errors import InputError

from . import _params

_LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601, as torchvision's rgb_to_grayscale


def _gray(x: torch.Tensor) -> torch.Tensor:
    if x.shape[1] == 1:
        return x
    weights = x.new_tensor(_LUMA).view(1, 3, 1, 1)
    return (x * weights).sum(dim=1, keepdim=True)


def gaussian_noise(
    x: torch.Tensor, sigma: torch.Tensor, gray: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """The Gaussian noise field for each image (not added).

    Args:
        x: ``(N, C, H, W)`` float images.
        sigma: ``(N,)`` standard deviations on the 8-bit scale (``sigma / 255`` in ``x``'s units).
        gray: ``(N,)`` bools: one field shared by all channels.
        generator: the source of randomness (``None``: torch's default).

    Returns:
        ``(N, C, H, W)`` noise in ``x``'s dtype and device.

    Examples:
        >>> from srzoo_plugins.degradations.noise import gaussian_noise
        >>> n = gaussian_noise(torch.zeros(2, 3, 64, 64), torch.tensor([0.0, 25.5]), torch.tensor([False, True]))
        >>> n[0].abs().max().item(), round(n[1].std().item(), 1), torch.equal(n[1, 0], n[1, 2])
        (0.0, 0.1, True)
    """
    _, c, h, w = x.shape
    field = torch.empty_like(x)
    for mono, chosen in ((False, ~gray), (True, gray)):
        index = chosen.nonzero().flatten()
        if index.numel():
            draw = _params.normal_like((index.numel(), 1 if mono else c, h, w), generator, x)
            field.index_copy_(0, index, draw.expand(-1, c, -1, -1))
    return field * (sigma.to(x.dtype) / 255.0).view(-1, 1, 1, 1)


def _levels(x: torch.Tensor) -> torch.Tensor:
    """``(N,)`` Real-ESRGAN's Poisson "vals": 2^ceil(log2(number of distinct 8-bit levels)) per image."""
    q = (x * 255.0).round().clamp(0, 255).to(torch.int64).flatten(1)
    counts = torch.zeros(q.shape[0], 256, dtype=torch.int64, device=x.device).scatter_add_(
        1, q, torch.ones_like(q)
    )
    distinct = (counts > 0).sum(dim=1).clamp(min=1).to(torch.float64)
    return torch.exp2(torch.ceil(torch.log2(distinct)))


def poisson_noise(
    x: torch.Tensor, strength: torch.Tensor, gray: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """The Poisson (shot) noise field for each image (not added), Real-ESRGAN's model.

    The image, snapped to 8 bits, is read as photon counts ``x · L`` with ``L`` the number of its
    distinct levels rounded up to a power of 2; the noise is ``(Poisson(x · L) / L - x) · strength``.
    Gray noise is computed on the BT.601 luma and shared by all channels.

    Args:
        x: ``(N, C, H, W)`` float images in ``[0, 1]``, ``C`` 1 or 3.
        strength: ``(N,)`` multipliers of the noise (> 0).
        gray: ``(N,)`` bools: one field from the luma, shared by all channels.
        generator: the source of randomness (``None``: torch's default).

    Returns:
        ``(N, C, H, W)`` noise in ``x``'s dtype and device.

    Examples:
        >>> from srzoo_plugins.degradations.noise import poisson_noise
        >>> x = torch.rand(2, 3, 32, 32)
        >>> n = poisson_noise(x, torch.tensor([1.0, 2.0]), torch.tensor([False, True]))
        >>> n.shape, torch.equal(n[1, 0], n[1, 1])
        (torch.Size([2, 3, 32, 32]), True)
    """
    if x.shape[1] not in (1, 3):
        raise InputError(f"poisson noise needs 1 or 3 channels, got shape {tuple(x.shape)}")
    c = x.shape[1]
    field = torch.empty_like(x)
    device = generator.device if generator is not None else x.device
    for mono, chosen in ((False, ~gray), (True, gray)):
        index = chosen.nonzero().flatten()
        if index.numel() == 0:
            continue
        image = x.index_select(0, index)
        image = _gray(image) if mono else image
        snapped = (image * 255.0).round().clamp(0, 255) / 255.0
        levels = _levels(snapped).to(x.dtype).view(-1, 1, 1, 1)
        counts = torch.poisson((snapped * levels).to(device), generator=generator).to(x.device)
        field.index_copy_(0, index, (counts / levels - snapped).expand(-1, c, -1, -1))
    return field * strength.to(x.dtype).view(-1, 1, 1, 1)


class RandomNoise(nn.Module):
    """Add Gaussian or Poisson noise, colour or gray, with random strengths per image; clip to ``[0, 1]``.

    Per image, in this order: Gaussian with probability ``gaussian_prob`` (else Poisson), gray with
    probability ``gray_prob``, ``sigma`` uniform in ``sigma`` (8-bit levels), Poisson ``strength``
    uniform in ``poisson_strength``, and with probability ``1 - p`` no noise at all. Defaults are
    Real-ESRGAN's first-degradation values.

    Args:
        gaussian_prob: probability of Gaussian (rather than Poisson) noise.
        sigma: ``[low, high]`` Gaussian standard deviation on the 8-bit scale (>= 0).
        poisson_strength: ``[low, high]`` Poisson noise multiplier (>= 0).
        gray_prob: probability of gray noise.
        p: probability that an image gets noise.
        clip: clip the result to ``[0, 1]`` (Real-ESRGAN does).
        scale: the degradation contract's scale; must be 1.

    Shape:
        ``(N, C, H, W) -> (N, C, H, W)``; ``C`` 1 or 3 when Poisson noise may be drawn. Input in
        ``[0, 1]``; output in ``[0, 1]`` when ``clip``.

    Examples:
        >>> noise = srzoo.create("degradation", "noise", sigma=[1, 30], gray_prob=0.4)
        >>> lr = noise(torch.rand(4, 3, 32, 32), generator=torch.Generator().manual_seed(0))
        >>> lr.shape, 0 <= lr.min().item() <= lr.max().item() <= 1
        (torch.Size([4, 3, 32, 32]), True)
    """

    def __init__(
        self,
        gaussian_prob: float = 0.5,
        sigma: Sequence[float] | float = (1.0, 30.0),
        poisson_strength: Sequence[float] | float = (0.05, 3.0),
        gray_prob: float = 0.4,
        p: float = 1.0,
        clip: bool = True,
        scale: float = 1,
    ) -> None:
        super().__init__()
        _params.check_unit_scale(scale, "noise")
        self.gaussian_prob = _params.as_probability(gaussian_prob, "gaussian_prob")
        self.sigma = _params.as_range(sigma, "sigma", 0.0)
        self.poisson_strength = _params.as_range(poisson_strength, "poisson_strength", 0.0)
        self.gray_prob = _params.as_probability(gray_prob, "gray_prob")
        self.p = _params.as_probability(p, "p")
        self.clip = bool(clip)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        x = _params.check_batch(x, "x")
        generator = _params.check_generator(generator)
        n = x.shape[0]
        is_gaussian = _params.bernoulli(n, self.gaussian_prob, generator, x)
        gray = _params.bernoulli(n, self.gray_prob, generator, x)
        sigma = _params.uniform(n, self.sigma, generator, x)
        strength = _params.uniform(n, self.poisson_strength, generator, x)
        active = _params.bernoulli(n, self.p, generator, x)
        out = x
        # only the images that need a kind of noise get it (noise fields are the costly part)
        for kind, chosen in (("gaussian", active & is_gaussian), ("poisson", active & ~is_gaussian)):
            index = chosen.nonzero().flatten()
            if index.numel() == 0:
                continue
            part = x.index_select(0, index)
            if kind == "gaussian":
                noise = gaussian_noise(part, sigma[index], gray[index], generator)
            else:
                noise = poisson_noise(part, strength[index], gray[index], generator)
            out = out.index_copy(0, index, part + noise)
        return out.clamp(0.0, 1.0) if self.clip else out

    def extra_repr(self) -> str:
        return (
            f"gaussian_prob={self.gaussian_prob}, sigma={list(self.sigma)}, "
            f"poisson_strength={list(self.poisson_strength)}, gray_prob={self.gray_prob}, p={self.p}"
        )


def gaussian(
    sigma: Sequence[float] | float = (1.0, 30.0),
    gray_prob: float = 0.4,
    p: float = 1.0,
    clip: bool = True,
    scale: float = 1,
) -> RandomNoise:
    """The ``gaussian-noise`` degradation: [`RandomNoise`][srzoo_plugins.degradations.noise.RandomNoise] with
    ``gaussian_prob=1``.

    Examples:
        >>> noisy = srzoo.create("degradation", "gaussian-noise", sigma=10)(torch.full((1, 1, 8, 8), 0.5))
        >>> noisy.shape
        torch.Size([1, 1, 8, 8])
    """
    return RandomNoise(1.0, sigma, 0.0, gray_prob, p, clip, scale)


def poisson(
    strength: Sequence[float] | float = (0.05, 3.0),
    gray_prob: float = 0.4,
    p: float = 1.0,
    clip: bool = True,
    scale: float = 1,
) -> RandomNoise:
    """The ``poisson-noise`` degradation: [`RandomNoise`][srzoo_plugins.degradations.noise.RandomNoise] with
    ``gaussian_prob=0``.

    Examples:
        >>> srzoo.create("degradation", "poisson-noise", strength=[0.5, 1])(torch.rand(2, 3, 8, 8)).shape
        torch.Size([2, 3, 8, 8])
    """
    return RandomNoise(0.0, 0.0, strength, gray_prob, p, clip, scale)


def random_noise(x: torch.Tensor, generator: torch.Generator | None = None, **kwargs: object) -> torch.Tensor:
    """Functional form of [`RandomNoise`][srzoo_plugins.degradations.noise.RandomNoise] (same arguments).

    Examples:
        >>> from srzoo_plugins.degradations.noise import random_noise
        >>> random_noise(torch.rand(1, 3, 8, 8), gaussian_prob=1.0).shape
        torch.Size([1, 3, 8, 8])
    """
    return RandomNoise(**kwargs)(x, generator=generator)  # type: ignore[arg-type]
