"""Benchmark: making a facades batch (16 items, x4, CPU) with the LR degraded per item in the dataset
versus ``degrade_on_device=True`` + one batched :func:`make_lr`; and ``read_image`` against a plain
Pillow + torch conversion. Needs ``../shared/data``. Run with
``python -m pytest tests/benchmarks/test_bench_datasets.py --benchmark-only``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from srzoo_plugins.datasets.degrade import make_lr

import srzoo
from srzoo.imageio import read_image

pytestmark = pytest.mark.shared_data
BATCH = 16


@pytest.mark.benchmark(group="facades batch of 16 at x4 (CPU)")
def test_bench_per_item_degradation(benchmark, data_dir: Path) -> None:
    data = srzoo.create("dataset", "facades", root=data_dir / "facades", scale=4)

    def run() -> torch.Tensor:
        return torch.stack([data[i]["lr"] for i in range(BATCH)])

    assert benchmark(run).shape == (BATCH, 3, 64, 64)


@pytest.mark.benchmark(group="facades batch of 16 at x4 (CPU)")
def test_bench_batched_make_lr(benchmark, data_dir: Path) -> None:
    data = srzoo.create("dataset", "facades", root=data_dir / "facades", scale=4, degrade_on_device=True)
    down = srzoo.create("degradation", "bicubic", scale=4)

    def run() -> torch.Tensor:
        return make_lr(torch.stack([data[i]["hr"] for i in range(BATCH)]), down, 4)

    assert benchmark(run).shape == (BATCH, 3, 64, 64)


@pytest.mark.benchmark(group="read a 512x256 JPEG")
def test_bench_read_image(benchmark, data_dir: Path) -> None:
    path = data_dir / "facades" / "train" / "1.jpg"
    assert benchmark(read_image, path).shape == (3, 256, 512)


@pytest.mark.benchmark(group="read a 512x256 JPEG")
def test_bench_pillow_torch_permute(benchmark, data_dir: Path) -> None:
    path = data_dir / "facades" / "train" / "1.jpg"

    def run() -> torch.Tensor:
        with Image.open(path) as im:
            array = np.array(im.convert("RGB"))
        return torch.from_numpy(array).permute(2, 0, 1).float().div(255).contiguous()

    assert benchmark(run).shape == (3, 256, 512)
