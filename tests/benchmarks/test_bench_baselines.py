"""Benchmark: LapSRN ×4 on a 1×3×128×128 LR image (CPU, float32) with its two possible RGB edges —
MATLAB-exact bicubic chroma (``chroma="bicubic"``, the recipes' and the authors' choice) against
``F.interpolate`` bicubic chroma (``chroma="torch-bicubic"``) — and the bare Y network alone, to show
what the exact chroma costs. Run with
``python -m pytest tests/benchmarks/test_bench_baselines.py --benchmark-only``.
"""

from __future__ import annotations

import pytest
import torch
from srzoo_plugins.baselines.lapsrn import LapSRN

LR = (1, 3, 128, 128)


@pytest.fixture(scope="module")
def lr() -> torch.Tensor:
    torch.manual_seed(0)
    return torch.rand(LR)


@pytest.mark.benchmark(group="lapsrn-x4 128x128")
@pytest.mark.parametrize("chroma", ["bicubic", "torch-bicubic"])
def test_lapsrn_rgb_edge(benchmark, lr, chroma):
    model = LapSRN(scale=4, chroma=chroma).eval()
    with torch.no_grad():
        out = benchmark(model, lr)
    assert out.shape == (1, 3, 512, 512)


@pytest.mark.benchmark(group="lapsrn-x4 128x128")
def test_lapsrn_y_network_only(benchmark, lr):
    model = LapSRN(scale=4, chroma="torch-bicubic").eval()
    with torch.no_grad():
        out = benchmark(model.forward_pyramid, lr[:, :1])
    assert out[-1].shape == (1, 1, 512, 512)
