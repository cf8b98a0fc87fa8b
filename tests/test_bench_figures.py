"""Crop choice of the bench's comparison grids (srzoo.bench.figures)."""

from __future__ import annotations

import pytest
import torch

from srzoo.bench.figures import pick_crop, pick_gain_crops


def _flat(value: int, side: int = 64) -> torch.Tensor:
    return torch.full((3, side, side), value, dtype=torch.uint8)


def test_gain_crops_are_where_the_learned_method_beats_bicubic_best_image_first():
    hr = [_flat(100), _flat(100), _flat(100)]
    bicubic = [_flat(140), _flat(140), _flat(140)]  # uniformly 40 grey levels off
    method = [_flat(140), _flat(140), _flat(140)]
    method[2][:, 40:56, 8:24] = 100  # exact in one 16×16 window of image 2
    method[0][:, 0:16, 48:64] = 120  # half-way in one window of image 0
    crops = pick_gain_crops(hr, bicubic, [method], side=16, count=3)
    assert crops == [(2, 40, 8, 16), (0, 0, 48, 16)]  # image 1 gains nowhere: left out


def test_gain_crops_average_the_methods_and_keep_one_window_when_none_gains():
    hr = [_flat(100)]
    bicubic = [_flat(100)]  # bicubic is perfect: no gain anywhere
    crops = pick_gain_crops(hr, bicubic, [[_flat(90)], [_flat(110)]], side=32, count=2)
    assert len(crops) == 1 and crops[0][0] == 0 and crops[0][3] == 32
    with pytest.raises(ValueError, match="at least one method"):
        pick_gain_crops(hr, bicubic, [])


def test_spread_crop_clips_the_window_to_small_images():
    images = [[_flat(0, 20)], [_flat(0, 20)]]
    images[1][0][:, 4:8, 4:8] = 255
    assert pick_crop(images, side=96) == (0, 0, 0, 20)
