"""Benchmark: SSIM on Y for 16 pairs of 256x256 images, srzoo's ``ssim`` metric (whole protocol:
8-bit rounding, luma, shave, float64, batched) against ``skimage.metrics.structural_similarity`` run
image by image on already prepared Y arrays. Run with
``python -m pytest tests/benchmarks/test_bench_ssim.py --benchmark-only``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

import srzoo
from srzoo_plugins.metrics._protocol import Protocol

GROUP = "SSIM-Y, 16 pairs 256x256, CPU"


@pytest.fixture(scope="module")
def pair() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    hr = torch.nn.functional.avg_pool2d(torch.rand(16, 3, 256, 256, generator=g), 3, stride=1, padding=1)
    sr = (hr + 0.05 * torch.randn(hr.shape, generator=g)).clamp(0, 1)
    return sr, hr


def _skimage_ssim(ys: list[tuple[np.ndarray, np.ndarray]]) -> list[float]:
    return [
        structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)
        for a, b in ys
    ]


def _prepared(pair: tuple[torch.Tensor, torch.Tensor]) -> list[tuple[np.ndarray, np.ndarray]]:
    a, b = Protocol(scale=4).prepare(*pair)
    return [(a[i, 0].numpy(), b[i, 0].numpy()) for i in range(a.shape[0])]


def test_same_values(pair):
    """Sanity check (runs without --benchmark-only too): both compute the same numbers."""
    ours = srzoo.create("metric", "ssim", scale=4)(*pair)
    np.testing.assert_allclose(ours.numpy(), _skimage_ssim(_prepared(pair)), atol=1e-10)


def test_bench_srzoo_ssim(benchmark, pair):
    benchmark.group = GROUP
    metric = srzoo.create("metric", "ssim", scale=4)
    out = benchmark(metric, *pair)
    assert out.shape == (16,)


def test_bench_skimage_ssim(benchmark, pair):
    benchmark.group = GROUP
    ys = _prepared(pair)
    out = benchmark(_skimage_ssim, ys)
    assert len(out) == 16
