"""``facades``: CMP Facades in the pix2pix layout, photo (HR) and colour label map (semantic)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from srzoo.errors import InputError
from srzoo.imageio import image_size, list_images, read_image

from ._common import ItemDegrader, check_training_options, coin, mod_crop, random_window
from .degrade import Degradation, check_scale

__all__ = ["FACADES_SIZE", "FacadesDataset", "split_pair"]

FACADES_SIZE = (256, 512)
"""``(H, W)`` of every pix2pix facades file: photo on the left half, label map on the right half."""

Split = Literal["train", "test", "val"]


def split_pair(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a pix2pix ``(3, H, 2W)`` image into its left half (photo) and right half (label map)."""
    width = image.shape[-1] // 2
    return image[..., :width], image[..., width : 2 * width]


class FacadesDataset(Dataset[dict[str, Any]]):
    """CMP Facades (Tyleček & Šára 2013) as pix2pix distributes it: ``root/{train,test,val}/N.jpg``.

    Each 512×256 JPEG holds the photo (left) and its colour-coded label map (right). The photo is
    the HR ground truth, the label map the ground-truth semantic map of Stage-GAN. Download it with
    ``srzoo data facades --to DIR``.

    Per item: both halves are read, optionally resized to ``load_size`` (bicubic, as pix2pix's
    ``resize_and_crop`` jitter), cropped to a multiple of ``scale``, randomly cropped and flipped
    *together*, then ``lr = round8(degradation(hr))`` and ``mr = up(lr)``.

    Args:
        root: the folder holding ``train/`` and ``test/`` (and ``val/`` in the full download).
        split: ``"train"`` (400 images), ``"test"`` (106) or ``"val"`` (100, absent from some copies).
        scale: integer SR factor ``s`` (4 or 8 in the paper).
        degradation: registered degradation name (default ``"bicubic"``, MATLAB-exact) or a callable.
        degradation_args: extra factory arguments of the degradation, e.g. ``{"rounding": "per-pass"}``.
        round_lr: round LR to the 8-bit grid as saving a PNG would (default); else only clamp.
        with_mr: also yield ``mr`` = LR upsampled back by the degradation (Stage-GAN's ``I_S0``).
        with_semantic: yield ``semantic`` (default).
        random_crop: HR patch side (a multiple of ``s``), same window for photo and label map.
        random_flip: random horizontal flips (photo and label map together).
        load_size: resize both halves to ``load_size``² before cropping (pix2pix uses 286 with
            ``random_crop=256``); ``None`` keeps 256.
        degrade_on_device: yield only ``hr`` and ``semantic``; the training loop degrades whole
            batches with [`srzoo_plugins.datasets.degrade.make_lr`][].

    Items:
        ``{"name": "N", "hr": (3, 256, 256), "semantic": (3, 256, 256), "lr": (3, 256/s, 256/s),
        "mr": (3, 256, 256) if with_mr}``, float in ``[0, 1]`` (``mr`` unclamped); sizes follow
        ``random_crop`` when set.

    Raises:
        InputError: a missing split folder, no images, or a file that is not 512×256.
    """

    def __init__(
        self,
        root: str | Path,
        split: Split = "train",
        scale: int = 4,
        degradation: Degradation = "bicubic",
        degradation_args: Mapping[str, Any] | None = None,
        round_lr: bool = True,
        with_mr: bool = False,
        with_semantic: bool = True,
        random_crop: int | None = None,
        random_flip: bool = False,
        load_size: int | None = None,
        degrade_on_device: bool = False,
    ) -> None:
        self.root = Path(root)
        if split not in ("train", "test", "val"):
            raise InputError(f"split must be 'train', 'test' or 'val', got {split!r}")
        self.split = split
        self.scale = check_scale(scale)
        check_training_options(self.scale, random_crop, degrade_on_device, with_mr)
        if load_size is not None and (
            isinstance(load_size, bool) or not isinstance(load_size, int) or load_size < 1
        ):
            raise InputError(f"load_size must be a positive integer or None, got {load_size!r}")
        side = load_size or FACADES_SIZE[0]
        if side < self.scale:
            raise InputError(
                f"load_size={side} is smaller than the scale {self.scale}; use at least {self.scale}"
            )
        if random_crop is not None and random_crop > side:
            raise InputError(
                f"random_crop={random_crop} is larger than the {side}x{side} images; use at most {side}"
            )
        folder = self.root / split
        if not folder.is_dir():
            raise InputError(
                f"{folder}: no such folder; facades needs the pix2pix layout ROOT/{{train,test}}/N.jpg "
                "(download it with `srzoo data facades --to DIR`)"
            )
        self.files = list_images(folder)
        if not self.files:
            raise InputError(f"{folder}: no images; expected the pix2pix facades files N.jpg")
        for file in self.files:
            if image_size(file) != FACADES_SIZE:
                height, width = image_size(file)
                raise InputError(
                    f"{file}: is {width}x{height}, expected a 512x256 pix2pix facades image (photo | label map)"
                )
        self.load_size = load_size
        self.random_crop = random_crop
        self.random_flip = bool(random_flip)
        self.with_mr = bool(with_mr)
        self.with_semantic = bool(with_semantic)
        self.degrade_on_device = bool(degrade_on_device)
        self.degrader = ItemDegrader(
            degradation, self.scale, round_lr, with_mr, degradation_args, need_down=not degrade_on_device
        )

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict[str, Any]:
        file = self.files[index]
        both = torch.stack(split_pair(read_image(file)))  # (2, 3, 256, 256): photo, label map
        if self.load_size is not None and self.load_size != both.shape[-1]:
            size = (self.load_size, self.load_size)
            both = F.interpolate(both, size=size, mode="bicubic", align_corners=False, antialias=True).clamp_(
                0.0, 1.0
            )
        both = mod_crop(both, self.scale)
        if self.random_crop is not None:
            top, left = random_window(both.shape[-2], both.shape[-1], self.random_crop)
            both = both[..., top : top + self.random_crop, left : left + self.random_crop]
        if self.random_flip and coin():
            both = both.flip(-1)
        item: dict[str, Any] = {"name": file.stem, "hr": both[0].contiguous()}
        if self.with_semantic:
            item["semantic"] = both[1].contiguous()
        return self.degrader.add_lr(item)

    def __repr__(self) -> str:
        return f"FacadesDataset(root={str(self.root)!r}, split={self.split!r}, images={len(self)}, scale={self.scale})"
