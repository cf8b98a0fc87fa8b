"""``paired-folder``: HR and LR images in two folders, matched by name."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from srzoo.errors import InputError
from srzoo.imageio import AlphaMode, image_size, list_images, read_image

from ._common import ItemDegrader, check_training_options, coin, mod_crop, probe_sizes, random_window
from .degrade import Degradation, check_scale

__all__ = ["PairedFolderDataset", "match_pairs"]


def match_pairs(hr_files: list[Path], lr_files: list[Path], scale: int) -> list[tuple[Path, Path]]:
    """Match each HR file to its LR file by stem.

    The LR stem is the HR stem itself or the HR stem followed by ``x{s}``, ``X{s}``, ``_x{s}`` or
    ``_X{s}`` (Set5/DIV2K style: ``baby.png`` ↔ ``babyx4.png``, ``0801.png`` ↔ ``0801x4.png``);
    suffixes may differ (``.png`` ↔ ``.bmp``).

    Raises:
        InputError: an HR image without an LR image, or with several candidates.
    """
    suffix = re.compile(rf"^(?P<stem>.*?)(?:_?[xX]{scale})?$")
    by_stem: dict[str, list[Path]] = {}
    for lr in lr_files:
        by_stem.setdefault(lr.stem, []).append(lr)
        match = suffix.match(lr.stem)
        if match and match["stem"] != lr.stem:
            by_stem.setdefault(match["stem"], []).append(lr)
    pairs, missing = [], []
    for hr in hr_files:
        candidates = by_stem.get(hr.stem, [])
        if not candidates:
            missing.append(hr.name)
        elif len(candidates) > 1:
            names = ", ".join(sorted(c.name for c in candidates))
            raise InputError(f"{hr}: several LR images match it ({names}); keep one")
        else:
            pairs.append((hr, candidates[0]))
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        example = f"{Path(missing[0]).stem}x{scale}.png"
        raise InputError(
            f"{len(missing)} HR image(s) have no LR image in the LR folder: {shown}; "
            f"name LR files like the HR file or with an x{scale} suffix (e.g. {example})"
            + _other_scale_hint(hr_files, lr_files, scale)
        )
    return pairs


def _other_scale_hint(hr_files: list[Path], lr_files: list[Path], scale: int) -> str:
    """``"; the LR folder holds x4 files ..."`` when LR names carry another scale than ``scale``."""
    hr_stems = {hr.stem for hr in hr_files}
    pattern = re.compile(r"^(?P<stem>.*?)_?[xX](?P<scale>\d+)$")
    for lr in lr_files:
        match = pattern.match(lr.stem)
        if match and match["stem"] in hr_stems and int(match["scale"]) != scale:
            return f"; the LR folder holds x{match['scale']} files (e.g. {lr.name}): is scale={scale} right?"
    return ""


class PairedFolderDataset(Dataset[dict[str, Any]]):
    """Pairs of HR and LR images from two folders (e.g. Set5's ``HR/`` and ``LR_bicubic/X4/``).

    HR images are cropped to a multiple of ``scale`` (top-left kept, MATLAB's ``modcrop``); each LR
    image must then be exactly ``(H/s, W/s)``, which is checked for every pair when the dataset is
    created (from the file headers, without decoding the pixels).

    Args:
        hr_root: folder of HR images.
        lr_root: folder of LR images, matched by name (see [`match_pairs`][]).
        scale: integer SR factor ``s``.
        with_mr: also yield ``mr``, the LR upsampled by the degradation's ``direction="up"``.
        degradation: degradation name or callable used for ``mr`` (default ``"bicubic"``).
        degradation_args: extra factory arguments of the degradation.
        random_crop: HR patch side (a multiple of ``s``); the LR patch is the matching ``1/s`` window.
        random_flip: random horizontal flips of both images.
        alpha: what to do with alpha channels (see [`srzoo.imageio.read_image`][]).

    Items:
        ``{"name": str, "hr": (3, H, W), "lr": (3, H/s, W/s), "mr": (3, H, W) if with_mr}``.

    Raises:
        InputError: unmatched names, or an LR image whose size does not match its cropped HR image.
    """

    def __init__(
        self,
        hr_root: str | Path,
        lr_root: str | Path,
        scale: int = 4,
        with_mr: bool = False,
        degradation: Degradation = "bicubic",
        degradation_args: Mapping[str, Any] | None = None,
        random_crop: int | None = None,
        random_flip: bool = False,
        alpha: AlphaMode = "drop",
    ) -> None:
        self.hr_root, self.lr_root = Path(hr_root), Path(lr_root)
        self.scale = check_scale(scale)
        check_training_options(self.scale, random_crop, False, with_mr)
        hr_files = list_images(self.hr_root)
        if not hr_files:
            raise InputError(f"{self.hr_root}: no image files (png, jpg, bmp, tif, webp...) in this folder")
        self.pairs = match_pairs(hr_files, list_images(self.lr_root), self.scale)
        self.files = [file for pair in self.pairs for file in pair]
        hr_sizes = probe_sizes(
            [hr for hr, _ in self.pairs],
            random_crop or self.scale,
            "random_crop" if random_crop else "the scale",
        )
        for (hr, lr), (height, width) in zip(self.pairs, hr_sizes, strict=True):
            cropped = (height - height % self.scale, width - width % self.scale)
            expected = (cropped[0] // self.scale, cropped[1] // self.scale)
            got = image_size(lr)
            if got != expected:
                raise InputError(
                    f"{lr}: LR image is {got[1]}x{got[0]} but {hr.name} ({width}x{height}, cropped to "
                    f"{cropped[1]}x{cropped[0]}) needs {expected[1]}x{expected[0]} at x{self.scale}; "
                    "check the scale and the folders"
                )
        self.random_crop = random_crop
        self.random_flip = bool(random_flip)
        self.with_mr = bool(with_mr)
        self.alpha = alpha
        self.degrader = ItemDegrader(
            degradation, self.scale, True, with_mr, degradation_args, need_down=False
        )

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> dict[str, Any]:
        hr_file, lr_file = self.pairs[index]
        hr = mod_crop(read_image(hr_file, alpha=self.alpha), self.scale)
        lr = read_image(lr_file, alpha=self.alpha)
        if lr.shape[-2:] != (
            hr.shape[-2] // self.scale,
            hr.shape[-1] // self.scale,
        ):  # file changed since init
            raise InputError(
                f"{lr_file}: LR size {tuple(lr.shape[-2:])} does not match {hr_file.name} at x{self.scale}"
            )
        if self.random_crop is not None:
            side = self.random_crop // self.scale
            top, left = random_window(lr.shape[-2], lr.shape[-1], side)
            lr = lr[:, top : top + side, left : left + side]
            s = self.scale
            hr = hr[:, top * s : (top + side) * s, left * s : (left + side) * s]
        if self.random_flip and coin():
            hr, lr = hr.flip(-1), lr.flip(-1)
        item: dict[str, Any] = {"name": hr_file.stem, "hr": hr.contiguous(), "lr": lr.contiguous()}
        if self.with_mr:
            item["mr"] = self.degrader.mr(item["lr"])
        return item

    def __repr__(self) -> str:
        return (
            f"PairedFolderDataset(hr_root={str(self.hr_root)!r}, lr_root={str(self.lr_root)!r}, "
            f"pairs={len(self)}, scale={self.scale})"
        )
