"""benchmarks/grid_artefacts.py: the grid ridge ratio finds a period-p pattern and nothing else."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def grid_artefacts(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import grid_artefacts

    yield grid_artefacts
    sys.modules.pop("grid_artefacts", None)


def smooth_image(side: int = 64) -> torch.Tensor:
    y, x = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    return 0.5 + 0.2 * torch.sin(x / 7.0) * torch.cos(y / 5.0)


@pytest.mark.parametrize("period", [2, 4, 8])
def test_a_grid_of_one_period_raises_only_that_ratio(grid_artefacts, period):
    image = smooth_image()
    index = torch.arange(64)
    grid = ((index % period == 0)[:, None] | (index % period == 0)[None, :]).float()
    ratios = {p: grid_artefacts.ridge_ratio(image + 0.05 * grid, p) for p in (2, 4, 8)}
    assert ratios[period] > 5
    clean = {p: grid_artefacts.ridge_ratio(image, p) for p in (2, 4, 8)}
    assert all(0.5 < r < 2 for r in clean.values())


def test_the_ratio_is_exact_on_a_hand_made_spectrum(grid_artefacts):
    # a pure period-2 pattern along columns: all its energy on column line N/2
    image = torch.tensor([1.0, 0.0] * 4).repeat(8, 1) + 0.01 * torch.eye(8)
    spectrum = torch.fft.fft2(image - image.mean()).abs()
    on = spectrum[4, :].mean() + spectrum[:, 4].mean()
    off = (spectrum[1, :].mean() + spectrum[:, 1].mean() + spectrum[7, :].mean() + spectrum[:, 7].mean()) / 2
    assert grid_artefacts.ridge_ratio(image, 2) == pytest.approx(float(on / off))


def test_an_image_not_a_multiple_of_the_period_is_refused(grid_artefacts):
    with pytest.raises(ValueError, match="image 10x10 is not a multiple of the period 4"):
        grid_artefacts.ridge_ratio(torch.rand(10, 10), 4)
