"""Benchmark: the ``bicubic`` degradation (x4 and x8 down, batch 16x3x256x256, CPU) against
``F.interpolate(mode="bicubic", antialias=True)`` and against MATLAB's algorithm written per image in
numpy. Run with ``python -m pytest tests/benchmarks/test_bench_bicubic.py --benchmark-only``; the
groups put the three side by side.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch.nn.functional as F
from srzoo_plugins.bicubic.imresize import imresize


def _cubic(x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    return (1.5 * a**3 - 2.5 * a**2 + 1) * (a <= 1) + (-0.5 * a**3 + 2.5 * a**2 - 4 * a + 2) * (
        (a > 1) & (a <= 2)
    )


def _numpy_axis(img: np.ndarray, out_len: int, m: float) -> np.ndarray:
    """MATLAB's ``resizeAlongDim`` on axis 0 of an ``(L, ...)`` image: gather the taps, weigh, sum."""
    in_len = img.shape[0]
    width = 4.0 / m if m < 1 else 4.0
    u = np.arange(1, out_len + 1)[:, None] / m + 0.5 * (1 - 1 / m)
    index = np.floor(u - width / 2) + np.arange(math.ceil(width) + 2)[None, :]
    weights = m * _cubic(m * (u - index)) if m < 1 else _cubic(u - index)
    weights /= weights.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(in_len), np.arange(in_len - 1, -1, -1)])
    index = mirror[(index.astype(np.int64) - 1) % mirror.size]
    keep = np.any(weights != 0, axis=0)  # MATLAB drops all-zero tap columns
    weights, index = weights[:, keep], index[:, keep]
    return np.einsum("op,op...->o...", weights, img[index])


def numpy_imresize_down(batch: np.ndarray, scale: int) -> np.ndarray:
    """``imresize(img, 1/scale, 'bicubic')`` image by image, rows first; ``(N, C, H, W)`` float64."""
    n, c, h, w = batch.shape
    out = np.empty((n, c, math.ceil(h / scale), math.ceil(w / scale)))
    for i in range(n):
        img = batch[i].transpose(1, 2, 0)  # (H, W, C), as MATLAB stores it
        img = _numpy_axis(img, out.shape[2], 1 / scale)
        img = _numpy_axis(img.transpose(1, 0, 2), out.shape[3], 1 / scale).transpose(1, 0, 2)
        out[i] = img.transpose(2, 0, 1)
    return out


@pytest.mark.parametrize("scale", [4, 8])
def test_numpy_reference_agrees(batch, scale):
    """Sanity check (runs without --benchmark-only too): the numpy version is the same algorithm."""
    x = batch[:2].double()
    np.testing.assert_allclose(imresize(x, scale).numpy(), numpy_imresize_down(x.numpy(), scale), atol=1e-12)


@pytest.mark.parametrize("scale", [4, 8])
def test_bench_srzoo_bicubic(benchmark, batch, scale, threads):
    benchmark.group = f"bicubic x{scale} down, 16x3x256x256 float32, CPU"
    benchmark.extra_info["threads"] = threads
    imresize(batch, scale)  # build the cached matrices outside the timing
    out = benchmark(imresize, batch, scale)
    assert out.shape == (16, 3, 256 // scale, 256 // scale)


@pytest.mark.parametrize("scale", [4, 8])
def test_bench_torch_interpolate(benchmark, batch, scale, threads):
    benchmark.group = f"bicubic x{scale} down, 16x3x256x256 float32, CPU"
    benchmark.extra_info["threads"] = threads
    size = (256 // scale, 256 // scale)
    out = benchmark(F.interpolate, batch, size=size, mode="bicubic", antialias=True, align_corners=False)
    assert out.shape == (16, 3, *size)


@pytest.mark.parametrize("scale", [4, 8])
def test_bench_numpy_per_image(benchmark, batch, scale):
    benchmark.group = f"bicubic x{scale} down, 16x3x256x256 float32, CPU"
    data = batch.numpy().astype(np.float64)
    out = benchmark.pedantic(numpy_imresize_down, args=(data, scale), rounds=3, iterations=1)
    assert out.shape == (16, 3, 256 // scale, 256 // scale)
