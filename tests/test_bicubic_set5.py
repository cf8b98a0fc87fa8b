"""The ``bicubic`` degradation reproduces the Set5 LR images MATLAB made, bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from srzoo_plugins.bicubic.imresize import imresize

import srzoo

NAMES = ("baby", "bird", "butterfly", "head", "woman")
# MATLAB's rounding per file set: X2-X4 were resized as uint8 (rounded after each 1-D pass, rows
# first); X8 was resized in double and rounded once.
ROUNDING = {2: "per-pass", 3: "per-pass", 4: "per-pass", 8: "final"}


def _load_u8(path: Path) -> torch.Tensor:
    return torch.from_numpy(np.asarray(Image.open(path).convert("RGB")).copy()).permute(2, 0, 1)[None]


def _hr_cropped(data_dir: Path, name: str, scale: int) -> torch.Tensor:
    hr = _load_u8(data_dir / "set5" / "HR" / f"{name}.png")
    h, w = hr.shape[-2] // scale * scale, hr.shape[-1] // scale * scale
    return hr[..., :h, :w]


@pytest.mark.shared_data
@pytest.mark.parametrize("scale", [2, 3, 4, 8])
@pytest.mark.parametrize("name", NAMES)
def test_reproduces_matlab_lr_exactly(data_dir, name, scale):
    hr = _hr_cropped(data_dir, name, scale).float() / 255
    expected = _load_u8(data_dir / "set5" / "LR_bicubic" / f"X{scale}" / f"{name}x{scale}.png")
    down = srzoo.create("degradation", "bicubic", scale=scale, rounding=ROUNDING[scale])
    lr = down(hr)
    assert lr.shape == expected.shape
    assert torch.equal((lr * 255).round().to(torch.uint8), expected)


@pytest.mark.shared_data
def test_rounding_mode_and_order_matter(data_dir):
    """The other modes (and columns first) do not reproduce the files: the modes are needed."""
    hr = _hr_cropped(data_dir, "butterfly", 4).double() / 255
    expected = _load_u8(data_dir / "set5" / "LR_bicubic" / "X4" / "butterflyx4.png").double()
    assert not torch.equal((imresize(hr, 4, rounding="final") * 255).round(), expected)
    columns_first = imresize(hr.transpose(-1, -2), 4, rounding="per-pass").transpose(-1, -2)
    assert not torch.equal((columns_first * 255).round(), expected)
    hr8 = _hr_cropped(data_dir, "butterfly", 8).double() / 255
    expected8 = _load_u8(data_dir / "set5" / "LR_bicubic" / "X8" / "butterflyx8.png").double()
    assert not torch.equal((imresize(hr8, 8, rounding="per-pass") * 255).round(), expected8)


@pytest.mark.shared_data
def test_batched_float32_without_rounding_is_close(data_dir):
    """Unrounded float32 output, batched, is close to MATLAB's uint8 files (which also saturate
    the overshoot of the first pass, hence a few larger differences at strong edges)."""
    bird = _hr_cropped(data_dir, "bird", 4).float() / 255
    lr = imresize(torch.cat([bird, bird.flip(-1)]), 4) * 255
    expected = _load_u8(data_dir / "set5" / "LR_bicubic" / "X4" / "birdx4.png").float()
    torch.testing.assert_close(lr[1:], lr[:1].flip(-1), rtol=0, atol=1e-3)  # the sampling grid is symmetric
    diff = (lr[:1] - expected).abs()
    assert (diff <= 1.0).float().mean() > 0.995
    assert diff.mean() < 0.3


@pytest.mark.gpu
@pytest.mark.shared_data
@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_reproduces_matlab_lr_exactly_on_cuda(data_dir, scale):
    for name in NAMES:
        hr = (_hr_cropped(data_dir, name, scale).float() / 255).cuda()
        expected = _load_u8(data_dir / "set5" / "LR_bicubic" / f"X{scale}" / f"{name}x{scale}.png")
        lr = imresize(hr, scale, rounding=ROUNDING[scale])
        assert lr.is_cuda
        assert torch.equal((lr * 255).round().to(torch.uint8).cpu(), expected)
