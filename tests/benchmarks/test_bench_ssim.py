"""Benchmark: SSIM on Y for 16 pairs of 256x256 images, both with the whole protocol (8-bit rounding,
luma, shave x4, float64): srzoo's batched ``ssim`` metric against numpy preparation plus
``skimage.metrics.structural_similarity``, image by image. A third row times scikit-image alone on
already prepared Y arrays. Run with
``python -m pytest tests/benchmarks/test_bench_ssim.py --benchmark-only``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity
from srzoo_plugins.metrics.protocol import Protocol

import srzoo

GROUP = "SSIM-Y, 16 pairs 256x256, CPU"


@pytest.fixture(scope="module")
def pair() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    hr = torch.nn.functional.avg_pool2d(torch.rand(16, 3, 256, 256, generator=g), 3, stride=1, padding=1)
    sr = (hr + 0.05 * torch.randn(hr.shape, generator=g)).clamp(0, 1)
    return sr, hr


def _skimage_ssim(ys: list[tuple[np.ndarray, np.ndarray]]) -> list[float]:
    return [
        structural_similarity(
            a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255
        )
        for a, b in ys
    ]


def _numpy_y(rgb: np.ndarray, shave: int = 4) -> np.ndarray:
    """``(3, H, W)`` float RGB in [0, 1] -> rounded MATLAB luma of the 8-bit image, shaved."""
    q = np.clip(np.floor(rgb.astype(np.float64) * 255 + 0.5), 0, 255)
    y = (65.481 / 255) * q[0] + (128.553 / 255) * q[1] + (24.966 / 255) * q[2] + 16  # as MATLAB's imlincomb
    return np.floor(y + 0.5)[shave:-shave, shave:-shave]


def _skimage_protocol(sr: np.ndarray, hr: np.ndarray) -> list[float]:
    return _skimage_ssim([(_numpy_y(a), _numpy_y(b)) for a, b in zip(sr, hr)])


def _prepared(pair: tuple[torch.Tensor, torch.Tensor]) -> list[tuple[np.ndarray, np.ndarray]]:
    a, b = Protocol(scale=4).prepare(*pair)
    return [(a[i, 0].numpy(), b[i, 0].numpy()) for i in range(a.shape[0])]


def test_same_values(pair):
    """Sanity check (runs without --benchmark-only too): both compute the same numbers."""
    ours = srzoo.create("metric", "ssim", scale=4)(*pair)
    np.testing.assert_allclose(ours.numpy(), _skimage_ssim(_prepared(pair)), atol=1e-10)
    np.testing.assert_allclose(ours.numpy(), _skimage_protocol(pair[0].numpy(), pair[1].numpy()), atol=1e-10)


def test_bench_srzoo_ssim(benchmark, pair):
    benchmark.group = GROUP
    metric = srzoo.create("metric", "ssim", scale=4)
    out = benchmark(metric, *pair)
    assert out.shape == (16,)


def test_bench_skimage_ssim_with_protocol(benchmark, pair):
    benchmark.group = GROUP
    out = benchmark(_skimage_protocol, pair[0].numpy(), pair[1].numpy())
    assert len(out) == 16


def test_bench_skimage_ssim_only(benchmark, pair):
    benchmark.group = GROUP
    ys = _prepared(pair)
    out = benchmark(_skimage_ssim, ys)
    assert len(out) == 16
