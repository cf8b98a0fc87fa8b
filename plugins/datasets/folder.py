"""``folder``: any folder of HR images; the LR images are made by a degradation."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from srzoo.errors import InputError
from srzoo.imageio import AlphaMode, list_images, read_image

from ._common import ItemDegrader, check_training_options, coin, mod_crop, probe_sizes, random_window
from .degrade import Degradation, check_scale

__all__ = ["FolderDataset"]


class FolderDataset(Dataset[dict[str, Any]]):
    """HR images from a folder, with LR images made on the fly by a degradation.

    Each HR image is read with [`srzoo.imageio.read_image`][] (grayscale replicated to RGB, alpha
    dropped or composited per ``alpha``, 16-bit PNGs at full precision), cropped to a multiple of
    ``scale`` keeping the top-left corner, optionally randomly cropped and flipped, and degraded:
    ``lr = round8(degradation(hr))``, the literature's protocol with the default ``bicubic``.

    Args:
        root: the folder (its image files, not sub-folders, in natural order).
        scale: integer SR factor ``s``.
        degradation: registered degradation name (default ``"bicubic"``, MATLAB-exact) or a callable.
        degradation_args: extra factory arguments of the degradation, e.g. ``{"rounding": "per-pass"}``.
        round_lr: round LR to the 8-bit grid as saving a PNG would (default); else only clamp.
        with_mr: also yield ``mr``, the LR upsampled back by the degradation's ``direction="up"``.
        random_crop: HR patch side (a multiple of ``s``) cut at a random place, for training.
        random_flip: random horizontal flips, for training.
        degrade_on_device: yield only ``hr``; the training loop degrades whole batches with
            [`srzoo_plugins.datasets.degrade.make_lr`][].
        alpha: what to do with alpha channels (see [`srzoo.imageio.read_image`][]).

    Items:
        ``{"name": str, "hr": (3, H, W), "lr": (3, H/s, W/s), "mr": (3, H, W) if with_mr}``, float
        in ``[0, 1]`` (``mr`` unclamped).

    Raises:
        InputError: a missing or empty folder, an image smaller than the scale (or the crop),
            a non-image or corrupt file (naming the file).
    """

    def __init__(
        self,
        root: str | Path,
        scale: int = 4,
        degradation: Degradation = "bicubic",
        degradation_args: Mapping[str, Any] | None = None,
        round_lr: bool = True,
        with_mr: bool = False,
        random_crop: int | None = None,
        random_flip: bool = False,
        degrade_on_device: bool = False,
        alpha: AlphaMode = "drop",
    ) -> None:
        self.root = Path(root)
        self.scale = check_scale(scale)
        check_training_options(self.scale, random_crop, degrade_on_device, with_mr)
        self.files = list_images(self.root)
        if not self.files:
            raise InputError(f"{self.root}: no image files (png, jpg, bmp, tif, webp...) in this folder")
        probe_sizes(self.files, self.scale, "the scale")
        if random_crop is not None:
            probe_sizes(self.files, random_crop, "random_crop")
        self.random_crop = random_crop
        self.random_flip = bool(random_flip)
        self.degrade_on_device = bool(degrade_on_device)
        self.with_mr = bool(with_mr)
        self.alpha = alpha
        self.degrader = ItemDegrader(
            degradation, self.scale, round_lr, with_mr, degradation_args, need_down=not degrade_on_device
        )

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict[str, Any]:
        file = self.files[index]
        hr = mod_crop(read_image(file, alpha=self.alpha), self.scale)
        if self.random_crop is not None:
            top, left = random_window(hr.shape[-2], hr.shape[-1], self.random_crop)
            hr = hr[:, top : top + self.random_crop, left : left + self.random_crop]
        if self.random_flip and coin():
            hr = hr.flip(-1)
        item: dict[str, Any] = {"name": file.stem, "hr": hr.contiguous()}
        return self.degrader.add_lr(item)

    def __repr__(self) -> str:
        return f"FolderDataset(root={str(self.root)!r}, images={len(self)}, scale={self.scale})"
