"""Exact tiling plans: the fewest balanced windows of one shape, batched per band, still exact."""

from __future__ import annotations

import itertools
import subprocess
import sys
import warnings

import pytest
import torch

import srzoo
from srzoo.inference.upscaling import TILE_BYTES, auto_tile
from srzoo.model.tiling import TileWarning, check_tile, exact_bands, plan_axis


def test_plan_axis_covers_the_axis_with_context_in_the_fewest_equal_windows():
    for size, tile, radius in itertools.product(range(1, 70), range(1, 45), range(8)):
        if tile < 2 * radius + 1:
            continue
        window, cuts = plan_axis(size, tile, radius)
        assert window == size if size <= tile else window <= tile
        expected = 1 if size <= tile else -(-(size - 2 * radius) // (tile - 2 * radius))
        assert len(cuts) == expected, (size, tile, radius)
        assert cuts[0][0] == 0 and cuts[-1][1] == size
        assert all(stop == start for (_, stop, _), (start, _, _) in itertools.pairwise(cuts))
        for start, stop, first in cuts:
            assert start < stop and 0 <= first and first + window <= size
            assert first <= max(start - radius, 0) and first + window >= min(stop + radius, size)


def test_an_image_smaller_than_the_tile_runs_whole_and_a_larger_one_in_balanced_windows():
    assert plan_axis(480, 512, 19) == (480, [(0, 480, 0)])
    assert plan_axis(500, 290, 19) == (269, [(0, 250, 0), (250, 500, 231)])


def test_windows_of_a_band_run_as_one_batch_and_stay_exact():
    model = srzoo.build("bicubic-x4").double()
    lr = torch.rand(1, 3, 8, 60, dtype=torch.float64)
    batches = []

    def run(x: torch.Tensor) -> torch.Tensor:
        batches.append(x.shape[0])
        return model(x)

    with torch.no_grad():
        whole = model(lr)
        [(top, band)] = list(exact_bands(run, lr, 4, 20, 3, "bicubic-x4"))
    # 60 columns in windows of 20 (core 14): 4 windows of 8x20 = 160 px, two per 20x20 batch
    assert top == 0 and batches == [2, 2]
    assert (band - whole).abs().max() < 1e-12


def test_auto_tile_bounds_one_window_by_the_measured_memory(monkeypatch):
    from srzoo.inference import upscaling

    model = srzoo.optimize_for_inference(srzoo.build("lapsrn-x4", sr={"depth": 2}))
    monkeypatch.setattr(upscaling, "_bytes_per_lr_pixel", lambda *_: 16 * 1024.0)
    monkeypatch.setattr(upscaling, "memory_budget", lambda _: 64 << 30)
    assert (
        auto_tile(model, torch.device("cpu")) == 280
    )  # sqrt(1.25 GiB / 16 KiB) = 286.2, down to a multiple of 8
    monkeypatch.setattr(upscaling, "memory_budget", lambda _: TILE_BYTES // 4)
    assert auto_tile(model, torch.device("cpu")) == 136  # 143.1


@pytest.mark.parametrize("tile", [9, 13, 40])
def test_tiled_lapsrn_equals_untiled_with_batched_windows(tile):
    torch.manual_seed(0)
    model = srzoo.build("lapsrn-x2", sr={"depth": 1}).double()
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.2)
    lr = torch.rand(2, 3, 11, 37, dtype=torch.float64)
    with torch.no_grad():
        assert (model(lr, tile=tile) - model(lr)).abs().max() < 1e-9


def test_a_tile_that_is_mostly_context_warns_in_one_line():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a core at least as wide as the context: no warning
        assert check_tile(76, 19, "lapsrn-x4") == 38
    with pytest.warns(TileWarning) as caught:
        assert check_tile(39, 19, "lapsrn-x4") == 1
    assert str(caught[0].message) == (
        "tile 39 leaves a core of 1 LR pixel(s) per window around lapsrn-x4's context of 19: the model runs "
        "on about 1521× the pixels it keeps; a tile of 76 or more keeps that at most 4×"
    )


def test_upscale_says_when_its_tile_is_mostly_context(tmp_path):
    from srzoo.imageio import write_image

    write_image(torch.rand(3, 40, 36), tmp_path / "small.png")  # larger than the tile
    out = tmp_path / "small_x4.png"
    result = subprocess.run(
        [sys.executable, "-m", "srzoo", "upscale", str(tmp_path / "small.png"), "-m", "srcnn-x4",
         "--tile", "9", "-o", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0 and out.is_file()
    assert "warning: tile 9 leaves a core of 1 LR pixel(s) per window around srcnn-x4's context of 4" in (
        result.stderr
    )
