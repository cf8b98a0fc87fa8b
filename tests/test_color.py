"""srzoo.color: one definition of 8-bit quantisation and MATLAB's YCbCr, against numpy references."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from srzoo.color import (
    matlab_uint8,
    quantize_8bit,
    rgb_to_y,
    rgb_to_ycbcr,
    round_half_up,
    to_8bit_levels,
    ycbcr_to_rgb,
)
from srzoo.errors import InputError

# the formulas written out independently, in numpy float64 (MATLAB rgb2ycbcr / im2uint8)
_T = np.array([[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]])
_OFFSET = np.array([16.0, 128.0, 128.0])


def _numpy_ycbcr(rgb01: np.ndarray) -> np.ndarray:
    """(3, ...) RGB in [0, 1] -> YCbCr in [0, 255]."""
    return np.tensordot(_T, rgb01, axes=1) + _OFFSET.reshape(3, *([1] * (rgb01.ndim - 1)))


def test_rounding_halves_up_and_saturates():
    x = torch.tensor([0.0, 0.5, 1.49, 2.5, 254.5, 255.4, 300.0, -3.0], dtype=torch.float64)
    assert round_half_up(x).tolist() == [0.0, 1.0, 1.0, 3.0, 255.0, 255.0, 300.0, -3.0]
    assert matlab_uint8(x).tolist() == [0.0, 1.0, 1.0, 3.0, 255.0, 255.0, 255.0, 0.0]


def test_8bit_levels_match_numpy_im2uint8():
    x = torch.tensor([0.0, 0.5 / 255, 1.5 / 255, 254.5 / 255, 1.2, -0.1], dtype=torch.float64)
    assert to_8bit_levels(x).tolist() == [0.0, 1.0, 2.0, 255.0, 255.0, 0.0]
    torch.testing.assert_close(quantize_8bit(x), to_8bit_levels(x) / 255.0)
    rng = np.random.default_rng(0)
    values = rng.uniform(-0.2, 1.2, 10_000).astype(np.float32)
    reference = np.clip(np.floor(values * np.float32(255.0) + np.float32(0.5)), 0, 255)
    got = to_8bit_levels(torch.from_numpy(values))
    assert got.dtype == torch.float32
    np.testing.assert_array_equal(got.numpy(), reference)
    # the [0, 1] variant stays in [0, 1] and lands on the 8-bit grid
    q = quantize_8bit(torch.from_numpy(values)).numpy()
    assert q.min() >= 0.0 and q.max() <= 1.0
    np.testing.assert_allclose(q * 255.0, reference, atol=1e-4)


def test_quantize_ties_even_is_real_esrgans_torch_round():
    x = torch.tensor([0.5, 1.5, 2.5, 254.5, 300.0, -3.0], dtype=torch.float64) / 255
    assert (quantize_8bit(x) * 255).tolist() == [1.0, 2.0, 3.0, 255.0, 255.0, 0.0]
    assert (quantize_8bit(x, ties="even") * 255).tolist() == [0.0, 2.0, 2.0, 254.0, 255.0, 0.0]
    values = torch.from_numpy(np.random.default_rng(1).uniform(-0.2, 1.2, 1000).astype(np.float32))
    reference = np.clip(np.round(values.numpy() * np.float32(255.0)), 0, 255) / np.float32(255.0)
    np.testing.assert_array_equal(quantize_8bit(values, ties="even").numpy(), reference)
    with pytest.raises(InputError, match=r"^ties must be 'up' or 'even', got 'down'$"):
        quantize_8bit(values, ties="down")


def test_luma_on_8bit_levels():
    rgb = torch.tensor([255.0, 0.0, 10.0], dtype=torch.float64).view(1, 3, 1, 1)
    expected = 16 + (65.481 * 255 + 24.966 * 10) / 255  # 82.460...
    assert rgb_to_y(rgb, peak=255.0).item() == pytest.approx(expected, abs=1e-12)
    assert round_half_up(rgb_to_y(rgb, peak=255.0)).item() == 82.0
    assert rgb_to_y(torch.full((1, 3, 1, 1), 255.0, dtype=torch.float64), peak=255.0).item() == 235.0
    assert rgb_to_y(torch.zeros(1, 3, 1, 1, dtype=torch.float64), peak=255.0).item() == 16.0
    # exact ties (Y = k + 1/2 in exact arithmetic) round as MATLAB's double evaluation does
    ties = torch.tensor([[0.0, 204, 68], [1, 173, 225]], dtype=torch.float64).t().reshape(1, 3, 1, 2)
    assert round_half_up(rgb_to_y(ties, peak=255.0)).flatten().tolist() == [125.0, 126.0]


def test_ycbcr_matches_numpy_and_inverts():
    rng = np.random.default_rng(1)
    rgb = rng.uniform(0, 1, (2, 3, 5, 7))
    x = torch.from_numpy(rgb)
    reference = np.stack([_numpy_ycbcr(image) for image in rgb]) / 255.0
    np.testing.assert_allclose(rgb_to_ycbcr(x).numpy(), reference, rtol=0, atol=1e-12)
    np.testing.assert_allclose(rgb_to_y(x).numpy(), reference[:, :1], rtol=0, atol=1e-12)
    # [0, 1] and [0, 255] luma are the same function
    np.testing.assert_allclose(rgb_to_y(x * 255.0, peak=255.0).numpy() / 255.0, reference[:, :1], atol=1e-12)
    torch.testing.assert_close(ycbcr_to_rgb(rgb_to_ycbcr(x)), x, rtol=0, atol=1e-12)
    float32 = rgb_to_ycbcr(x.float())
    assert float32.dtype == torch.float32
    np.testing.assert_allclose(float32.numpy(), reference, atol=2e-6)


def test_ycbcr_input_checks():
    with pytest.raises(
        InputError, match=r"^image must have shape \(N, 3, H, W\) \(RGB\), got \(1, 4, 2, 2\)$"
    ):
        rgb_to_y(torch.zeros(1, 4, 2, 2))
    with pytest.raises(
        InputError, match=r"^image must be a YCbCr tensor of shape \(N, 3, H, W\), got \(1, 1, 2, 2\)$"
    ):
        ycbcr_to_rgb(torch.zeros(1, 1, 2, 2))
