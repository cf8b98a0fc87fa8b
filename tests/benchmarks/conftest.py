"""Fixtures the CPU benchmarks share: the thread settings they compare and the image batch."""

from __future__ import annotations

import pytest
import torch

BATCH = (16, 3, 256, 256)
"""Shape of the ``batch`` fixture: 16 RGB 256x256 images, uniform in [0, 1]."""


@pytest.fixture(params=[1, None], ids=["1-thread", "all-threads"])
def threads(request: pytest.FixtureRequest):
    """Run a torch benchmark with one intra-op thread (as numpy runs) and with torch's default."""
    before = torch.get_num_threads()
    if request.param is not None:
        torch.set_num_threads(request.param)
    yield torch.get_num_threads()
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def batch() -> torch.Tensor:
    """``BATCH``-shaped float32 images in [0, 1], the same in every run (seed 0)."""
    return torch.rand(*BATCH, generator=torch.Generator().manual_seed(0))
