"""Dataset plugins on the shared copies of CMP Facades, Set5 and Set14 (``../shared/data``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import srzoo
from srzoo.errors import InputError
from srzoo.imageio import quantize_8bit, read_image

pytestmark = pytest.mark.shared_data


def test_facades_train_has_400_pairs_at_x4(data_dir: Path) -> None:
    data = srzoo.create("dataset", "facades", root=data_dir / "facades", split="train", scale=4, with_mr=True)
    assert len(data) == 400
    assert [f.name for f in data.files[:3]] == ["1.jpg", "2.jpg", "3.jpg"] and data.files[
        -1
    ].name == "400.jpg"
    item = data[399]
    assert item["name"] == "400"
    assert item["hr"].shape == (3, 256, 256) and item["semantic"].shape == (3, 256, 256)
    assert item["lr"].shape == (3, 64, 64) and item["mr"].shape == (3, 256, 256)
    full = read_image(data_dir / "facades" / "train" / "400.jpg")
    assert torch.equal(item["hr"], full[:, :, :256]) and torch.equal(item["semantic"], full[:, :, 256:])
    down = srzoo.create("degradation", "bicubic", scale=4)
    assert torch.equal(item["lr"], quantize_8bit(down(item["hr"][None])[0]))


def test_facades_test_split_at_x8(data_dir: Path) -> None:
    data = srzoo.create("dataset", "facades", root=data_dir / "facades", split="test", scale=8)
    assert len(data) == 106
    assert data[0]["lr"].shape == (3, 32, 32)
    with pytest.raises(InputError, match=r"facades/val: no such folder"):
        srzoo.create("dataset", "facades", root=data_dir / "facades", split="val")


def test_paired_folder_on_set5_x4(data_dir: Path) -> None:
    set5 = data_dir / "set5"
    data = srzoo.create(
        "dataset", "paired-folder", hr_root=set5 / "HR", lr_root=set5 / "LR_bicubic" / "X4", scale=4
    )
    assert [(hr.name, lr.name) for hr, lr in data.pairs] == [
        (f"{name}.png", f"{name}x4.png") for name in ("baby", "bird", "butterfly", "head", "woman")
    ]
    woman = data[4]
    assert woman["hr"].shape == (3, 344, 228) and woman["lr"].shape == (3, 86, 57)
    with pytest.raises(
        InputError,
        match=r"5 HR image\(s\) have no LR image .* the LR folder holds x4 files \(e\.g\. babyx4\.png\): is scale=8 right\?",
    ):
        srzoo.create(
            "dataset", "paired-folder", hr_root=set5 / "HR", lr_root=set5 / "LR_bicubic" / "X4", scale=8
        )


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_folder_reproduces_matlab_lr_of_set5(data_dir: Path, scale: int) -> None:
    """``folder`` + MATLAB-exact bicubic (per-pass uint8 rounding) == the MATLAB-made LR files, bit for bit."""
    set5 = data_dir / "set5"
    made = srzoo.create(
        "dataset", "folder", root=set5 / "HR", scale=scale, degradation_args={"rounding": "per-pass"}
    )
    stored = srzoo.create(
        "dataset",
        "paired-folder",
        hr_root=set5 / "HR",
        lr_root=set5 / "LR_bicubic" / f"X{scale}",
        scale=scale,
    )
    for ours, reference in zip(made, stored, strict=True):
        assert ours["name"] == reference["name"]
        assert torch.equal(ours["hr"], reference["hr"])
        assert torch.equal(ours["lr"], reference["lr"]), ours["name"]


def test_folder_on_set14_handles_grayscale_bridge(data_dir: Path) -> None:
    data = srzoo.create("dataset", "folder", root=data_dir / "set14", scale=4)
    assert len(data) == 14
    index = [f.name for f in data.files].index("bridge.png")
    bridge = data[index]
    assert bridge["hr"].shape == (3, 512, 512) and bridge["lr"].shape == (3, 128, 128)
    assert torch.equal(bridge["hr"][0], bridge["hr"][1]) and torch.equal(bridge["hr"][1], bridge["hr"][2])
    assert torch.equal(bridge["lr"][0], bridge["lr"][2])
