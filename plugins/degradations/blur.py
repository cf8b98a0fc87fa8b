"""Random blur: Real-ESRGAN's mixture of Gaussian, generalised-Gaussian and plateau kernels, and sinc.

Two steps, each a function + ``nn.Module`` pair, batched on the input's device with one kernel per
image drawn from the generator given at call time:

- ``blur`` ([`RandomBlur`][srzoo_plugins.degradations.blur.RandomBlur]): an isotropic or anisotropic
  kernel of a random odd size, with probability ``sinc_prob`` a sinc kernel instead;
- ``sinc`` ([`RandomSinc`][srzoo_plugins.degradations.blur.RandomSinc]): a circular sinc (ringing and
  overshoot) filter with a random cutoff.

Both are linear in the image (differentiable; no clamping) and keep its size.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import kornia
import torch
from torch import nn

from srzoo.errors import InputError

from . import _params
from .kernels import anisotropic_kernels, identity_kernels, sinc_kernels

KINDS = ("iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso")
"""The kernel kinds of [`RandomBlur`][srzoo_plugins.degradations.blur.RandomBlur], in the order of a weight list."""

REAL_ESRGAN_KERNEL_WEIGHTS = (0.45, 0.25, 0.12, 0.03, 0.12, 0.03)


def blur2d(x: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Filter each image of a batch with its own kernel (all channels alike).

    Borders are reflected (``kornia.filters.filter2d``'s ``"reflect"``, as Real-ESRGAN does); an image
    no larger than half the kernel is padded by replication instead.

    Args:
        x: ``(N, C, H, W)`` float images (any range).
        kernels: ``(N, K, K)`` kernels, ``K`` odd, in any float dtype (cast to ``x``'s).

    Returns:
        ``(N, C, H, W)``, ``x``'s dtype and device; differentiable in ``x`` and ``kernels``.

    Examples:
        >>> from srzoo_plugins.degradations.blur import blur2d
        >>> x = torch.rand(2, 3, 16, 16)
        >>> torch.equal(blur2d(x, torch.ones(2, 1, 1)), x)
        True
    """
    x = _params.check_batch(x, "x")
    if kernels.ndim != 3 or kernels.shape[0] != x.shape[0] or kernels.shape[-1] % 2 == 0:
        raise InputError(
            f"kernels must have shape (N, K, K) with N = {x.shape[0]} and K odd, got {tuple(kernels.shape)}"
        )
    half = kernels.shape[-1] // 2
    border = "reflect" if min(x.shape[-2:]) > half else "replicate"
    return kornia.filters.filter2d(x, kernels.to(x.dtype), border_type=border)


def _beta(
    n: int, bounds: _params.Range, generator: torch.Generator | None, like: torch.Tensor
) -> torch.Tensor:
    """Real-ESRGAN's β draw: half the time uniform in ``[low, 1]``, else in ``[1, high]`` (when 1 is inside)."""
    low_side = _params.bernoulli(n, 0.5, generator, like)
    u = _params.uniform(n, (0.0, 1.0), generator, like)
    if not bounds[0] <= 1.0 <= bounds[1]:
        return bounds[0] + (bounds[1] - bounds[0]) * u
    return torch.where(low_side, bounds[0] + (1.0 - bounds[0]) * u, 1.0 + (bounds[1] - 1.0) * u)


def _grid_width(bounds: _params.Range) -> int:
    top = int(bounds[1])
    return top if top % 2 else top - 1


class RandomBlur(nn.Module):
    """Blur each image with its own random kernel (Real-ESRGAN's first-order blur).

    Per image: an odd size uniform over the odd integers in ``kernel_size``; with probability
    ``sinc_prob`` a sinc kernel with cutoff uniform in ``sinc_cutoff_small`` (sizes < 13) or
    ``sinc_cutoff_large`` (sizes >= 13); otherwise a kernel kind drawn with ``kernels``' weights,
    ``σx, σy`` uniform in ``sigma`` (equal for ``*iso``), angle uniform in ``[-π, π]`` (0 for ``*iso``),
    ``β`` of generalised / plateau kernels half the time uniform in ``[low, 1]`` and else in
    ``[1, high]`` of ``beta_generalized`` / ``beta_plateau``. With probability ``1 - p`` the image is
    left as is. Defaults are Real-ESRGAN's first-degradation values.

    Args:
        kernel_size: ``[low, high]`` range of odd kernel sizes (pixels, 1 <= low <= high).
        sigma: ``[low, high]`` of the standard deviations in pixels (> 0).
        kernels: weights of ``KINDS`` (a ``{kind: weight}`` mapping or a list of 6).
        beta_generalized: ``[low, high]`` of the generalised Gaussian's ``β`` (> 0).
        beta_plateau: ``[low, high]`` of the plateau kernel's ``β`` (> 0).
        sinc_prob: probability of a sinc kernel instead.
        sinc_cutoff_small: ``[low, high]`` sinc cutoff (radians, in ``(0, π]``) for sizes < 13.
        sinc_cutoff_large: the same for sizes >= 13.
        p: probability that an image is blurred at all.
        scale: the degradation contract's scale; must be 1 (blurring keeps the size).

    Shape:
        ``(N, C, H, W) -> (N, C, H, W)``, float, any range (not clamped).

    Examples:
        >>> blur = srzoo.create("degradation", "blur", sigma=[0.2, 3])
        >>> lr = blur(torch.rand(4, 3, 32, 32), generator=torch.Generator().manual_seed(0))
        >>> lr.shape
        torch.Size([4, 3, 32, 32])
    """

    def __init__(
        self,
        kernel_size: Sequence[float] | float = (7, 21),
        sigma: Sequence[float] | float = (0.2, 3.0),
        kernels: Mapping[str, float] | Sequence[float] = REAL_ESRGAN_KERNEL_WEIGHTS,
        beta_generalized: Sequence[float] | float = (0.5, 4.0),
        beta_plateau: Sequence[float] | float = (1.0, 2.0),
        sinc_prob: float = 0.1,
        sinc_cutoff_small: Sequence[float] | float = (math.pi / 3, math.pi),
        sinc_cutoff_large: Sequence[float] | float = (math.pi / 5, math.pi),
        p: float = 1.0,
        scale: float = 1,
    ) -> None:
        super().__init__()
        _params.check_unit_scale(scale, "blur")
        self.kernel_size = _params.as_range(kernel_size, "kernel_size", 1)
        self.sigma = _params.as_range(sigma, "sigma", 1e-6)
        self.kernels = _params.as_weights(kernels, KINDS, "kernels")
        self.beta_generalized = _params.as_range(beta_generalized, "beta_generalized", 1e-6)
        self.beta_plateau = _params.as_range(beta_plateau, "beta_plateau", 1e-6)
        self.sinc_prob = _params.as_probability(sinc_prob, "sinc_prob")
        self.sinc_cutoff_small = _params.as_range(sinc_cutoff_small, "sinc_cutoff_small", 1e-6, math.pi)
        self.sinc_cutoff_large = _params.as_range(sinc_cutoff_large, "sinc_cutoff_large", 1e-6, math.pi)
        self.p = _params.as_probability(p, "p")
        self.width = _grid_width(self.kernel_size)
        if self.width < self.kernel_size[0]:
            raise InputError(f"kernel_size range {list(self.kernel_size)} contains no odd size")

    def sample_kernels(self, n: int, generator: torch.Generator | None, like: torch.Tensor) -> torch.Tensor:
        """Draw ``(n, K, K)`` float64 kernels on ``like``'s device (``K`` = the largest odd size allowed)."""
        f64 = torch.zeros((), dtype=torch.float64, device=like.device)
        size = _params.odd_sizes(n, self.kernel_size, generator, like)
        is_sinc = _params.bernoulli(n, self.sinc_prob, generator, like)
        kind = _params.categorical(n, list(self.kernels.values()), generator, like)
        sigma_x = _params.uniform(n, self.sigma, generator, like)
        sigma_y = _params.uniform(n, self.sigma, generator, like)
        angle = _params.uniform(n, (-math.pi, math.pi), generator, like)
        beta_g = _beta(n, self.beta_generalized, generator, like)
        beta_p = _beta(n, self.beta_plateau, generator, like)
        cutoff_small = _params.uniform(n, self.sinc_cutoff_small, generator, like)
        cutoff_large = _params.uniform(n, self.sinc_cutoff_large, generator, like)
        keep = ~_params.bernoulli(n, self.p, generator, like)

        isotropic = kind % 2 == 0
        shape = kind // 2  # 0 gaussian, 1 generalized, 2 plateau (KINDS' order)
        sigma_y = torch.where(isotropic, sigma_x, sigma_y)
        angle = torch.where(isotropic, torch.zeros_like(angle), angle)
        beta = torch.where(shape == 2, beta_p, beta_g)
        kernel = anisotropic_kernels(sigma_x, sigma_y, angle, size, self.width, shape, beta)
        if bool(is_sinc.any()):
            cutoff = torch.where(size < 13, cutoff_small, cutoff_large)
            kernel = torch.where(is_sinc.view(-1, 1, 1), sinc_kernels(cutoff, size, self.width), kernel)
        identity = identity_kernels(n, self.width, f64)
        return torch.where(keep.view(-1, 1, 1), identity, kernel)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        x = _params.check_batch(x, "x")
        generator = _params.check_generator(generator)
        return blur2d(x, self.sample_kernels(x.shape[0], generator, x))

    def extra_repr(self) -> str:
        return f"kernel_size={list(self.kernel_size)}, sigma={list(self.sigma)}, sinc_prob={self.sinc_prob}, p={self.p}"


class RandomSinc(nn.Module):
    """Filter each image with its own sinc kernel (Real-ESRGAN's final "ringing" filter).

    Per image: an odd size uniform over the odd integers in ``kernel_size``, a cutoff uniform in
    ``cutoff``; with probability ``1 - p`` the image is left as is. Defaults are Real-ESRGAN's final
    sinc filter.

    Args:
        kernel_size: ``[low, high]`` range of odd kernel sizes (pixels).
        cutoff: ``[low, high]`` cutoff in radians per pixel, within ``(0, π]``.
        p: probability that an image is filtered.
        scale: the degradation contract's scale; must be 1.

    Shape:
        ``(N, C, H, W) -> (N, C, H, W)``, float, any range (not clamped: the sinc overshoots).

    Examples:
        >>> sinc = srzoo.create("degradation", "sinc", p=1.0)
        >>> sinc(torch.rand(2, 1, 15, 17), generator=torch.Generator().manual_seed(0)).shape
        torch.Size([2, 1, 15, 17])
    """

    def __init__(
        self,
        kernel_size: Sequence[float] | float = (7, 21),
        cutoff: Sequence[float] | float = (math.pi / 3, math.pi),
        p: float = 0.8,
        scale: float = 1,
    ) -> None:
        super().__init__()
        _params.check_unit_scale(scale, "sinc")
        self.kernel_size = _params.as_range(kernel_size, "kernel_size", 1)
        self.cutoff = _params.as_range(cutoff, "cutoff", 1e-6, math.pi)
        self.p = _params.as_probability(p, "p")
        self.width = _grid_width(self.kernel_size)
        if self.width < self.kernel_size[0]:
            raise InputError(f"kernel_size range {list(self.kernel_size)} contains no odd size")

    def sample_kernels(self, n: int, generator: torch.Generator | None, like: torch.Tensor) -> torch.Tensor:
        """Draw ``(n, K, K)`` float64 kernels on ``like``'s device."""
        size = _params.odd_sizes(n, self.kernel_size, generator, like)
        cutoff = _params.uniform(n, self.cutoff, generator, like)
        keep = ~_params.bernoulli(n, self.p, generator, like)
        kernel = sinc_kernels(cutoff, size, self.width)
        return torch.where(keep.view(-1, 1, 1), identity_kernels(n, self.width, kernel), kernel)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        x = _params.check_batch(x, "x")
        generator = _params.check_generator(generator)
        return blur2d(x, self.sample_kernels(x.shape[0], generator, x))

    def extra_repr(self) -> str:
        return f"kernel_size={list(self.kernel_size)}, cutoff={list(self.cutoff)}, p={self.p}"


def random_blur(x: torch.Tensor, generator: torch.Generator | None = None, **kwargs: object) -> torch.Tensor:
    """Functional form of [`RandomBlur`][srzoo_plugins.degradations.blur.RandomBlur] (same arguments).

    Examples:
        >>> from srzoo_plugins.degradations.blur import random_blur
        >>> random_blur(torch.rand(1, 3, 24, 24), sigma=[1, 2], sinc_prob=0).shape
        torch.Size([1, 3, 24, 24])
    """
    return RandomBlur(**kwargs)(x, generator=generator)  # type: ignore[arg-type]


def random_sinc(x: torch.Tensor, generator: torch.Generator | None = None, **kwargs: object) -> torch.Tensor:
    """Functional form of [`RandomSinc`][srzoo_plugins.degradations.blur.RandomSinc] (same arguments).

    Examples:
        >>> from srzoo_plugins.degradations.blur import random_sinc
        >>> random_sinc(torch.rand(1, 3, 24, 24), p=1.0).shape
        torch.Size([1, 3, 24, 24])
    """
    return RandomSinc(**kwargs)(x, generator=generator)  # type: ignore[arg-type]
