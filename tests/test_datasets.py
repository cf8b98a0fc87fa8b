"""Dataset plugins on small synthetic folders: facades, folder, paired-folder, and batch degradation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from srzoo_plugins.datasets import facades as facades_module
from srzoo_plugins.datasets import folder as folder_module
from srzoo_plugins.datasets import paired as paired_module
from srzoo_plugins.datasets._common import random_window
from srzoo_plugins.datasets.degrade import make_lr, make_mr
from torch.utils.data import DataLoader

import srzoo
from srzoo.errors import InputError
from srzoo.imageio import quantize_8bit, read_image, write_image


def _smooth(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A smooth random RGB uint8 image (survives JPEG well, exercises the resizer)."""
    coarse = rng.random((height // 16 + 2, width // 16 + 2, 3))
    big = np.kron(coarse, np.ones((16, 16, 1)))[:height, :width]
    return (big * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def facades_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("facades")
    rng = np.random.default_rng(0)
    for split, count in (("train", 3), ("test", 2)):
        (root / split).mkdir()
        for index in range(1, count + 1):
            Image.fromarray(_smooth(rng, 256, 512)).save(root / split / f"{index}.jpg", quality=90)
    return root


def _down(hr: torch.Tensor, scale: int) -> torch.Tensor:
    return srzoo.create("degradation", "bicubic", scale=scale)(hr[None])[0]


def _up(lr: torch.Tensor, scale: int) -> torch.Tensor:
    return srzoo.create("degradation", "bicubic", scale=scale, direction="up")(lr[None])[0]


# ------------------------------------------------------------------------------------------ registry
def test_datasets_are_registered() -> None:
    assert {"facades", "folder", "paired-folder"} <= set(srzoo.list_components("dataset"))


def test_plugin_module_imports_no_torch() -> None:
    code = "import sys, srzoo_plugins.datasets, srzoo_plugins.datasets.sources; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------------------------------ facades
@pytest.mark.parametrize("scale", [4, 8])
def test_facades_items(facades_root: Path, scale: int) -> None:
    data = srzoo.create("dataset", "facades", root=facades_root, split="train", scale=scale, with_mr=True)
    assert len(data) == 3 and [f.name for f in data.files] == ["1.jpg", "2.jpg", "3.jpg"]
    item = data[1]
    full = read_image(facades_root / "train" / "2.jpg")
    assert item["name"] == "2"
    assert torch.equal(item["hr"], full[:, :, :256]) and torch.equal(item["semantic"], full[:, :, 256:])
    side = 256 // scale
    assert item["lr"].shape == (3, side, side) and item["mr"].shape == (3, 256, 256)
    assert torch.equal(item["lr"], quantize_8bit(_down(item["hr"], scale)))
    assert torch.equal(item["lr"], torch.round(item["lr"] * 255) / 255)  # on the 8-bit grid
    assert torch.equal(item["mr"], _up(item["lr"], scale))
    assert all(v.dtype == torch.float32 for k, v in item.items() if k != "name")


def test_facades_without_rounding_or_semantic(facades_root: Path) -> None:
    data = srzoo.create(
        "dataset", "facades", root=facades_root, split="test", round_lr=False, with_semantic=False
    )
    item = data[0]
    assert set(item) == {"name", "hr", "lr"} and len(data) == 2
    assert torch.equal(item["lr"], _down(item["hr"], 4).clamp(0, 1))


def test_facades_crop_and_flip_move_photo_and_labels_together(
    facades_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(facades_module, "random_window", lambda h, w, size: (8, 24))
    monkeypatch.setattr(facades_module, "coin", lambda: True)
    data = srzoo.create("dataset", "facades", root=facades_root, scale=4, random_crop=128, random_flip=True)
    item = data[0]
    full = read_image(facades_root / "train" / "1.jpg")
    assert torch.equal(item["hr"], full[:, 8:136, 24:152].flip(-1))
    assert torch.equal(item["semantic"], full[:, 8:136, 256 + 24 : 256 + 152].flip(-1))
    assert torch.equal(item["lr"], quantize_8bit(_down(item["hr"], 4)))
    assert item["lr"].shape == (3, 32, 32)


def test_facades_pix2pix_jitter(facades_root: Path) -> None:
    torch.manual_seed(0)
    data = srzoo.create(
        "dataset", "facades", root=facades_root, scale=8, load_size=286, random_crop=256, random_flip=True
    )
    shapes = {k: tuple(v.shape) for k, v in data[2].items() if k != "name"}
    assert shapes == {"hr": (3, 256, 256), "semantic": (3, 256, 256), "lr": (3, 32, 32)}
    assert 0.0 <= float(data[2]["hr"].min()) and float(data[2]["hr"].max()) <= 1.0


def test_facades_random_crops_vary_and_are_reproducible(facades_root: Path) -> None:
    data = srzoo.create("dataset", "facades", root=facades_root, random_crop=64, random_flip=True)
    torch.manual_seed(1)
    first = [data[0]["hr"] for _ in range(4)]
    torch.manual_seed(1)
    again = [data[0]["hr"] for _ in range(4)]
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(torch.equal(first[0], other) for other in first[1:])


def test_datasets_pickle_for_dataloader_workers(facades_root: Path, mixed_folder: Path) -> None:
    import pickle

    for dataset in (
        srzoo.create("dataset", "facades", root=facades_root, with_mr=True, random_crop=64),
        srzoo.create("dataset", "folder", root=mixed_folder, scale=2),
    ):
        clone = pickle.loads(pickle.dumps(dataset))
        torch.manual_seed(0)
        original = dataset[0]
        torch.manual_seed(0)
        copied = clone[0]
        assert original.keys() == copied.keys()
        assert all(torch.equal(original[k], copied[k]) for k in original if k != "name")
    loader = DataLoader(
        srzoo.create("dataset", "facades", root=facades_root, random_crop=64), batch_size=3, num_workers=2
    )
    batch = next(iter(loader))
    assert batch["hr"].shape == (3, 3, 64, 64) and batch["lr"].shape == (3, 3, 16, 16)


def test_random_window_covers_the_range() -> None:
    torch.manual_seed(0)
    corners = {random_window(10, 7, 5) for _ in range(400)}
    assert {top for top, _ in corners} == set(range(6)) and {left for _, left in corners} == set(range(3))
    assert {random_window(16, 16, 8, step=4) for _ in range(200)} <= {
        (t, l) for t in (0, 4, 8) for l in (0, 4, 8)
    }


def test_facades_degrade_on_device_matches_per_item(facades_root: Path) -> None:
    lazy = srzoo.create("dataset", "facades", root=facades_root, split="train", degrade_on_device=True)
    eager = srzoo.create("dataset", "facades", root=facades_root, split="train", with_mr=True)
    assert set(lazy[0]) == {"name", "hr", "semantic"}
    batch = next(iter(DataLoader(lazy, batch_size=3)))
    assert batch["name"] == ["1", "2", "3"] and batch["hr"].shape == (3, 3, 256, 256)
    lr = make_lr(batch["hr"], "bicubic", 4)
    mr = make_mr(lr, "bicubic", 4)
    expected_lr = torch.stack([eager[i]["lr"] for i in range(3)])
    expected_mr = torch.stack([eager[i]["mr"] for i in range(3)])
    assert lr.shape == (3, 3, 64, 64) and lr.device == batch["hr"].device
    assert (lr - expected_lr).abs().max() <= 1 / 255 + 1e-6  # batched matmuls may flip a .5 rounding
    assert (lr != expected_lr).float().mean() < 1e-3
    torch.testing.assert_close(make_mr(expected_lr, "bicubic", 4), expected_mr, rtol=0, atol=1e-5)
    assert mr.shape == (3, 3, 256, 256)


def test_facades_bad_options(facades_root: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"split must be 'train', 'test' or 'val', got 'training'"):
        srzoo.create("dataset", "facades", root=facades_root, split="training")
    with pytest.raises(
        InputError,
        match=r"val: no such folder; facades needs the pix2pix layout .*srzoo data facades --to DIR",
    ):
        srzoo.create("dataset", "facades", root=facades_root, split="val")
    with pytest.raises(InputError, match=r"random_crop=100 must be a multiple of the scale 8, e.g. 96"):
        srzoo.create("dataset", "facades", root=facades_root, scale=8, random_crop=100)
    with pytest.raises(
        InputError, match=r"random_crop=288 is larger than the 256x256 images; use at most 256"
    ):
        srzoo.create("dataset", "facades", root=facades_root, random_crop=288)
    with pytest.raises(
        InputError, match=r"with_mr=True needs the LR image, which degrade_on_device=True leaves"
    ):
        srzoo.create("dataset", "facades", root=facades_root, with_mr=True, degrade_on_device=True)
    with pytest.raises(InputError, match=r"scale must be a positive integer, got 2\.5"):
        srzoo.create("dataset", "facades", root=facades_root, scale=2.5)
    with pytest.raises(InputError, match=r"scale must be a positive integer, got 0"):
        srzoo.create("dataset", "facades", root=facades_root, scale=0)
    (tmp_path / "train").mkdir()
    write_image(torch.zeros(3, 256, 256), tmp_path / "train" / "1.jpg")
    with pytest.raises(InputError, match=r"1\.jpg: is 256x256, expected a 512x256 pix2pix facades image"):
        srzoo.create("dataset", "facades", root=tmp_path)
    with pytest.raises(srzoo.SrzooError, match=r"unknown degradation 'bicubci'; did you mean 'bicubic'"):
        srzoo.create("dataset", "facades", root=facades_root, degradation="bicubci")


# ------------------------------------------------------------------------------------------ folder
@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    rng = np.random.default_rng(2)
    Image.fromarray(_smooth(rng, 50, 37)).save(tmp_path / "a_rgb.png")
    Image.fromarray(_smooth(rng, 32, 32)[..., 0], mode="L").save(tmp_path / "b_gray.png")
    rgba = np.concatenate([_smooth(rng, 24, 40), np.full((24, 40, 1), 10, np.uint8)], axis=-1)
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "c_rgba.png")
    Image.fromarray(_smooth(rng, 20, 28)[..., 0].astype(np.uint16) * 257 + 3).save(tmp_path / "d_gray16.png")
    (tmp_path / "readme.txt").write_text("not an image, ignored by suffix")
    return tmp_path


def test_folder_items(mixed_folder: Path) -> None:
    data = srzoo.create("dataset", "folder", root=mixed_folder, scale=4, with_mr=True)
    assert [item["name"] for item in data] == ["a_rgb", "b_gray", "c_rgba", "d_gray16"]
    shapes = [(tuple(item["hr"].shape), tuple(item["lr"].shape)) for item in data]
    assert shapes == [
        ((3, 48, 36), (3, 12, 9)),
        ((3, 32, 32), (3, 8, 8)),
        ((3, 24, 40), (3, 6, 10)),
        ((3, 20, 28), (3, 5, 7)),
    ]
    first = data[0]
    assert torch.equal(first["hr"], read_image(mixed_folder / "a_rgb.png")[:, :48, :36])  # top-left modcrop
    assert torch.equal(first["lr"], quantize_8bit(_down(first["hr"], 4)))
    assert torch.equal(first["mr"], _up(first["lr"], 4))
    gray = data[1]["hr"]
    assert torch.equal(gray[0], gray[1]) and torch.equal(gray[1], gray[2])
    rgba = data[2]["hr"]  # alpha dropped, colours kept
    assert torch.equal(rgba, read_image(mixed_folder / "c_rgba.png"))
    assert torch.equal(data[3]["hr"] * 65535 % 257, torch.full((3, 20, 28), 3.0))  # 16-bit values survive


def test_folder_training_options(mixed_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(folder_module, "random_window", lambda h, w, size: (4, 0))
    monkeypatch.setattr(folder_module, "coin", lambda: True)
    data = srzoo.create("dataset", "folder", root=mixed_folder, scale=2, random_crop=16, random_flip=True)
    item = data[0]
    assert torch.equal(item["hr"], read_image(mixed_folder / "a_rgb.png")[:, 4:20, 0:16].flip(-1))
    assert item["lr"].shape == (3, 8, 8)
    lazy = srzoo.create("dataset", "folder", root=mixed_folder, scale=2, degrade_on_device=True)
    assert set(lazy[0]) == {"name", "hr"}
    with pytest.raises(
        InputError,
        match=r"b_gray\.png: image is 32x32 pixels, smaller than random_crop \(36\); remove it or use a smaller random_crop",
    ):
        srzoo.create("dataset", "folder", root=mixed_folder, scale=4, random_crop=36)


def test_folder_with_a_callable_degradation(mixed_folder: Path) -> None:
    data = srzoo.create(
        "dataset", "folder", root=mixed_folder, scale=2, degradation=lambda x: x[..., ::2, ::2]
    )
    item = data[1]
    assert torch.equal(item["lr"], item["hr"][:, ::2, ::2])
    with pytest.raises(
        InputError,
        match=r"with_mr=True needs a registered degradation name \(to build its direction='up'\), got a function",
    ):
        srzoo.create("dataset", "folder", root=mixed_folder, scale=2, degradation=lambda x: x, with_mr=True)


def test_folder_alpha_white(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((8, 8, 4), np.uint8), mode="RGBA").save(tmp_path / "clear.png")
    item = srzoo.create("dataset", "folder", root=tmp_path, scale=2, alpha="white")[0]
    assert torch.equal(item["hr"], torch.ones(3, 8, 8))


def test_folder_bad_inputs(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    write_image(torch.rand(3, 16, 16), good / "ok.png")
    cases = {
        "tiny": (
            lambda d: write_image(torch.rand(3, 3, 9), d / "tiny.png"),
            r"tiny\.png: image is 9x3 pixels, smaller than the scale \(4\); remove it or use a smaller scale",
        ),
        "notimage": (lambda d: (d / "notes.png").write_text("hello"), r"notes\.png: not an image file"),
        "empty": (
            lambda d: (d / "zero.jpg").write_bytes(b""),
            r"zero\.jpg: empty file \(0 bytes\), not an image",
        ),
    }
    for name, (make, message) in cases.items():
        folder = tmp_path / name
        folder.mkdir()
        write_image(torch.rand(3, 16, 16), folder / "ok.png")
        make(folder)
        with pytest.raises(InputError, match=message):
            srzoo.create("dataset", "folder", root=folder, scale=4)
    truncated = tmp_path / "truncated"
    truncated.mkdir()
    data = (good / "ok.png").read_bytes()
    (truncated / "cut.png").write_bytes(data[: len(data) - 40])
    dataset = srzoo.create("dataset", "folder", root=truncated, scale=4)  # the header is intact
    with pytest.raises(InputError, match=r"cut\.png: truncated image file"):
        dataset[0]
    (tmp_path / "none").mkdir()
    with pytest.raises(
        InputError, match=r"none: no image files \(png, jpg, bmp, tif, webp\.\.\.\) in this folder"
    ):
        srzoo.create("dataset", "folder", root=tmp_path / "none", scale=4)
    with pytest.raises(InputError, match=r"missing: no such folder"):
        srzoo.create("dataset", "folder", root=tmp_path / "missing", scale=4)


# ------------------------------------------------------------------------------------------ paired
def _pair_folders(tmp_path: Path, names: dict[str, str], scale: int = 2) -> tuple[Path, Path]:
    hr_dir, lr_dir = tmp_path / "HR", tmp_path / "LR"
    hr_dir.mkdir(parents=True)
    lr_dir.mkdir()
    rng = np.random.default_rng(5)
    for hr_name, lr_name in names.items():
        hr = torch.from_numpy(_smooth(rng, 21, 18)).permute(2, 0, 1).float() / 255
        write_image(hr, hr_dir / hr_name)
        write_image(quantize_8bit(_down(hr[:, :20, :18], scale)), lr_dir / lr_name)
    return hr_dir, lr_dir


def test_paired_matches_names(tmp_path: Path) -> None:
    hr_dir, lr_dir = _pair_folders(
        tmp_path, {"baby.png": "babyx2.png", "0801.png": "0801_x2.png", "c.png": "c.png", "d.png": "dX2.bmp"}
    )
    data = srzoo.create("dataset", "paired-folder", hr_root=hr_dir, lr_root=lr_dir, scale=2, with_mr=True)
    assert [(hr.name, lr.name) for hr, lr in data.pairs] == [
        ("0801.png", "0801_x2.png"),
        ("baby.png", "babyx2.png"),
        ("c.png", "c.png"),
        ("d.png", "dX2.bmp"),
    ]
    item = data[1]
    assert item["name"] == "baby" and item["hr"].shape == (3, 20, 18) and item["lr"].shape == (3, 10, 9)
    assert torch.equal(item["lr"], read_image(lr_dir / "babyx2.png"))
    assert torch.equal(item["mr"], _up(item["lr"], 2))


def test_paired_crop_is_aligned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hr_dir, lr_dir = _pair_folders(tmp_path, {"a.png": "ax2.png"})
    monkeypatch.setattr(paired_module, "random_window", lambda h, w, size: (3, 1))
    monkeypatch.setattr(paired_module, "coin", lambda: True)
    item = srzoo.create(
        "dataset", "paired-folder", hr_root=hr_dir, lr_root=lr_dir, scale=2, random_crop=12, random_flip=True
    )[0]
    assert torch.equal(item["lr"], read_image(lr_dir / "ax2.png")[:, 3:9, 1:7].flip(-1))
    assert torch.equal(item["hr"], read_image(hr_dir / "a.png")[:, 6:18, 2:14].flip(-1))


def test_paired_errors(tmp_path: Path) -> None:
    hr_dir, lr_dir = _pair_folders(tmp_path / "missing", {"a.png": "ax2.png", "b.png": "zzz.png"})
    with pytest.raises(
        InputError,
        match=r"1 HR image\(s\) have no LR image in the LR folder: b\.png; name LR files like the HR file or with an x2 suffix \(e\.g\. bx2\.png\)",
    ):
        srzoo.create("dataset", "paired-folder", hr_root=hr_dir, lr_root=lr_dir, scale=2)
    hr_dir, lr_dir = _pair_folders(tmp_path / "twice", {"a.png": "ax2.png"})
    write_image(torch.zeros(3, 10, 9), lr_dir / "a.png")
    with pytest.raises(
        InputError, match=r"a\.png: several LR images match it \(a\.png, ax2\.png\); keep one"
    ):
        srzoo.create("dataset", "paired-folder", hr_root=hr_dir, lr_root=lr_dir, scale=2)
    hr_dir, lr_dir = _pair_folders(tmp_path / "size", {"a.png": "a.png"})
    with pytest.raises(
        InputError,
        match=r"LR/a\.png: LR image is 9x10 but a\.png \(18x21, cropped to 18x21\) needs 6x7 at x3",
    ):
        srzoo.create("dataset", "paired-folder", hr_root=hr_dir, lr_root=lr_dir, scale=3)


# ------------------------------------------------------------------------------------------ make_lr
def test_make_lr_and_make_mr() -> None:
    hr = torch.rand(2, 3, 32, 24, generator=torch.Generator().manual_seed(0))
    lr = make_lr(hr, "bicubic", 4)
    assert lr.shape == (2, 3, 8, 6) and torch.equal(lr, quantize_8bit(lr))
    assert torch.equal(lr, quantize_8bit(srzoo.create("degradation", "bicubic", scale=4)(hr)))
    raw = make_lr(hr, "bicubic", 4, round_lr=False)
    assert 0 <= float(raw.min()) and float(raw.max()) <= 1 and not torch.equal(raw, lr)
    exact = make_lr(hr, "bicubic", 4, degradation_args={"rounding": "per-pass"})
    assert torch.equal(
        exact, quantize_8bit(srzoo.create("degradation", "bicubic", scale=4, rounding="per-pass")(hr))
    )
    custom = make_lr(hr, lambda x: x[..., ::4, ::4], 4)
    assert torch.equal(custom, quantize_8bit(hr[..., ::4, ::4]))
    assert make_mr(lr, "torch-bicubic", 4).shape == (2, 3, 32, 24)
    hr.requires_grad_(True)
    assert not make_lr(hr, "bicubic", 4).requires_grad
    with pytest.raises(InputError, match=r"batch_hr must have shape \(N, 3, H, W\) \(RGB\), got \(3, 8, 8\)"):
        make_lr(torch.rand(3, 8, 8), "bicubic", 4)
    with pytest.raises(InputError, match=r"scale must be a positive integer, got -2"):
        make_lr(torch.rand(1, 3, 8, 8), "bicubic", -2)


@pytest.mark.gpu
def test_make_lr_on_gpu_matches_cpu() -> None:
    hr = torch.rand(4, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    cpu = make_lr(hr, "bicubic", 4)
    gpu = make_lr(hr.cuda(), "bicubic", 4)
    assert gpu.device.type == "cuda"
    assert (gpu.cpu() - cpu).abs().max() <= 1 / 255 + 1e-6
    assert make_mr(gpu, "bicubic", 4).device.type == "cuda"


def test_facades_load_size_below_the_scale_is_refused(tmp_path):
    from PIL import Image

    (tmp_path / "train").mkdir()
    Image.new("RGB", (512, 256)).save(tmp_path / "train" / "1.jpg")
    with pytest.raises(InputError, match=r"load_size=3 is smaller than the scale 8; use at least 8"):
        srzoo.create("dataset", "facades", root=str(tmp_path), split="train", scale=8, load_size=3)
