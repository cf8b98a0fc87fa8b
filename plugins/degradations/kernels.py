"""Batched blur kernels: (generalised / plateau) anisotropic Gaussians and the circular sinc.

Each function builds one kernel per image on a common ``(K, K)`` grid (``K`` odd), zero outside each
image's own odd ``size`` and normalised to sum 1, as ``(N, K, K)`` in the parameters' dtype and
device. The formulas are those of Real-ESRGAN (Wang et al., ICCVW 2021, §3.1) with
``Q = [x, y] Σ⁻¹ [x, y]ᵀ`` and ``Σ = R(θ) diag(σx², σy²) R(θ)ᵀ``:

| shape | kernel |
| --- | --- |
| ``"gaussian"`` | ``exp(-Q / 2)`` |
| ``"generalized"`` | ``exp(-Q^β / 2)`` |
| ``"plateau"`` | ``1 / (1 + Q^β)`` |

The sinc (an ideal circular low-pass filter with cutoff ``ω`` in radians per pixel) is
``ω J₁(ω r) / (2π r)`` with ``ω² / (4π)`` at ``r = 0``.
"""

from __future__ import annotations

import math

import torch

from srzoo.errors import InputError

SHAPES = ("gaussian", "generalized", "plateau")


def _grid(width: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if width < 1 or width % 2 == 0:
        raise InputError(f"kernel grid width must be a positive odd integer, got {width}")
    r = torch.arange(width, dtype=like.dtype, device=like.device) - (width - 1) / 2
    return r.view(1, 1, width), r.view(1, width, 1)  # x varies along columns, y along rows


def _support(size: torch.Tensor, width: int) -> torch.Tensor:
    """``(N, K, K)`` bools: inside each image's centred ``size × size`` square."""
    r = (torch.arange(width, device=size.device) - (width - 1) // 2).abs()
    half = (size.view(-1, 1, 1) - 1) // 2
    return (r.view(1, 1, width) <= half) & (r.view(1, width, 1) <= half)


def _normalise(kernel: torch.Tensor, size: torch.Tensor) -> torch.Tensor:
    kernel = kernel * _support(size, kernel.shape[-1])
    return kernel / kernel.sum(dim=(-2, -1), keepdim=True)


def anisotropic_kernels(
    sigma_x: torch.Tensor,
    sigma_y: torch.Tensor,
    angle: torch.Tensor,
    size: torch.Tensor,
    width: int,
    shape: torch.Tensor | None = None,
    beta: torch.Tensor | None = None,
) -> torch.Tensor:
    """One rotated (generalised) Gaussian or plateau kernel per image.

    Args:
        sigma_x: ``(N,)`` standard deviations along the kernel's own x axis, in pixels, > 0.
        sigma_y: ``(N,)`` the same along its y axis (equal to ``sigma_x`` for isotropic kernels).
        angle: ``(N,)`` rotation ``θ`` in radians.
        size: ``(N,)`` odd kernel sizes ``<= width`` (int64).
        width: the common odd grid width ``K``.
        shape: ``(N,)`` int64 indices into ``SHAPES`` (``None``: all Gaussian).
        beta: ``(N,)`` shape parameters ``β > 0`` of the generalised and plateau kernels.

    Returns:
        ``(N, K, K)`` kernels, each summing to 1, in ``sigma_x``'s dtype and device.

    Examples:
        >>> from srzoo_plugins.degradations.kernels import anisotropic_kernels
        >>> one = torch.ones(1, dtype=torch.float64)
        >>> k = anisotropic_kernels(2 * one, one, 0 * one, torch.tensor([7]), 9)
        >>> k.shape, round(k.sum().item(), 6), k[0, 4, 4] == k.max()
        (torch.Size([1, 9, 9]), 1.0, tensor(True))
    """
    x, y = _grid(width, sigma_x)
    cos, sin = torch.cos(angle).view(-1, 1, 1), torch.sin(angle).view(-1, 1, 1)
    u = cos * x + sin * y  # coordinates in the kernel's rotated frame
    v = -sin * x + cos * y
    q = (u / sigma_x.view(-1, 1, 1)) ** 2 + (v / sigma_y.view(-1, 1, 1)) ** 2
    kernel = torch.exp(-0.5 * q)
    if shape is not None and bool((shape > 0).any()):
        if beta is None:
            raise InputError("beta is required for generalized and plateau kernels")
        qb = q.pow(beta.view(-1, 1, 1))
        s = shape.view(-1, 1, 1)
        kernel = torch.where(s == 1, torch.exp(-0.5 * qb), kernel)
        kernel = torch.where(s == 2, 1.0 / (1.0 + qb), kernel)
    return _normalise(kernel, size)


def sinc_kernels(cutoff: torch.Tensor, size: torch.Tensor, width: int) -> torch.Tensor:
    """One circular low-pass (sinc, "ringing") kernel per image.

    Args:
        cutoff: ``(N,)`` cutoff frequencies ``ω`` in radians per pixel, in ``(0, π]``.
        size: ``(N,)`` odd kernel sizes ``<= width`` (int64).
        width: the common odd grid width ``K``.

    Returns:
        ``(N, K, K)`` kernels, each summing to 1, in ``cutoff``'s dtype and device.

    Examples:
        >>> from srzoo_plugins.degradations.kernels import sinc_kernels
        >>> k = sinc_kernels(torch.tensor([torch.pi / 3], dtype=torch.float64), torch.tensor([13]), 21)
        >>> k.shape, round(k.sum().item(), 6), bool((k < 0).any())  # negative lobes ring
        (torch.Size([1, 21, 21]), 1.0, True)
    """
    x, y = _grid(width, cutoff)
    r = torch.sqrt(x**2 + y**2).expand(cutoff.shape[0], width, width)
    w = cutoff.view(-1, 1, 1)
    safe = torch.where(r > 0, r, torch.ones_like(r))
    kernel = torch.where(
        r > 0, w * torch.special.bessel_j1(w * safe) / (2 * math.pi * safe), w**2 / (4 * math.pi)
    )
    return _normalise(kernel, size)


def identity_kernels(n: int, width: int, like: torch.Tensor) -> torch.Tensor:
    """``(n, K, K)`` unit impulses (filtering with them changes nothing)."""
    kernel = torch.zeros(n, width, width, dtype=like.dtype, device=like.device)
    kernel[:, width // 2, width // 2] = 1
    return kernel
