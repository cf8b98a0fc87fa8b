"""Benchmark: ``stagegan-x8`` on a 1×3×32×32 LR image (256×256 output) on CPU, the plain eager model
against :func:`srzoo.inference.optimize_for_inference` in float32 and in bfloat16.

Run with ``python -m pytest tests/benchmarks/test_bench_stagegan.py --benchmark-only``; the group
``stagegan-x8 1x3x32x32 cpu`` puts the variants side by side. Each variant's largest absolute error
against the plain float32 output (on ``[0, 1]``) is stored in its ``extra_info["max_abs_error"]``.
The weights are random (pix2pix init) with randomised BatchNorm statistics, so that folding is
exercised for real; speed does not depend on the weights' values.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

import srzoo
from srzoo.inference import optimize_for_inference

GROUP = "stagegan-x8 1x3x32x32 cpu"


@pytest.fixture(scope="module")
def model() -> srzoo.SRModel:
    torch.manual_seed(0)
    net = srzoo.build("stagegan-x8")
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
    return net


@pytest.fixture(scope="module")
def lr() -> torch.Tensor:
    return torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(1))


@pytest.fixture(scope="module")
def reference(model: srzoo.SRModel, lr: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(lr)


def _run(benchmark, fn: Callable[[], torch.Tensor], reference: torch.Tensor) -> None:
    benchmark.group = GROUP
    out = benchmark.pedantic(fn, rounds=8, iterations=1, warmup_rounds=2)
    assert out.shape == (1, 3, 256, 256)
    benchmark.extra_info["max_abs_error"] = float((out - reference).abs().max())


def test_plain_eager_fp32(benchmark, model: srzoo.SRModel, lr: torch.Tensor, reference: torch.Tensor) -> None:
    """What ``srzoo.build("stagegan-x8")(lr)`` costs as called (autograd on)."""
    _run(benchmark, lambda: model(lr).detach(), reference)


def test_plain_eager_fp32_no_grad(
    benchmark, model: srzoo.SRModel, lr: torch.Tensor, reference: torch.Tensor
) -> None:
    """The plain model under ``torch.no_grad()``: the fair eager baseline."""

    def call() -> torch.Tensor:
        with torch.no_grad():
            return model(lr)

    _run(benchmark, call, reference)


def test_fast_path_fp32(benchmark, model: srzoo.SRModel, lr: torch.Tensor, reference: torch.Tensor) -> None:
    fast = optimize_for_inference(model)
    _run(benchmark, lambda: fast(lr), reference)
    assert benchmark.extra_info["max_abs_error"] <= 1e-4


def test_fast_path_bf16(benchmark, model: srzoo.SRModel, lr: torch.Tensor, reference: torch.Tensor) -> None:
    fast = optimize_for_inference(model, bf16=True)
    _run(benchmark, lambda: fast(lr), reference)
