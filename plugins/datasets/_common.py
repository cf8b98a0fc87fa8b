"""Helpers shared by the dataset classes: option checks, crops, flips and per-item degradation."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from srzoo.color import quantize_8bit
from srzoo.errors import InputError
from srzoo.imageio import image_size

from .degrade import Degradation, build_degradation, check_scale


def check_training_options(
    scale: int, random_crop: int | None, degrade_on_device: bool, with_mr: bool
) -> None:
    """Raise [`InputError`][srzoo.InputError] for inconsistent crop / device / MR options."""
    if random_crop is not None:
        if isinstance(random_crop, bool) or not isinstance(random_crop, int) or random_crop < 1:
            raise InputError(
                f"random_crop must be a positive integer (HR pixels) or None, got {random_crop!r}"
            )
        if random_crop % scale:
            raise InputError(
                f"random_crop={random_crop} must be a multiple of the scale {scale}, e.g. {random_crop - random_crop % scale or scale}"
            )
    if degrade_on_device and with_mr:
        raise InputError(
            "with_mr=True needs the LR image, which degrade_on_device=True leaves to the training loop; compute it there with make_mr"
        )


def probe_sizes(files: list[Path], minimum: int, why: str) -> list[tuple[int, int]]:
    """``(H, W)`` of every file from its header; [`InputError`][] naming the first one smaller than ``minimum``."""
    sizes = []
    for file in files:
        height, width = image_size(file)
        if height < minimum or width < minimum:
            raise InputError(
                f"{file}: image is {width}x{height} pixels, smaller than {why} ({minimum}); remove it or {_fix(why)}"
            )
        sizes.append((height, width))
    return sizes


def _fix(why: str) -> str:
    return "use a smaller random_crop" if "crop" in why else "use a smaller scale"


def mod_crop(x: torch.Tensor, scale: int) -> torch.Tensor:
    """Crop ``(..., H, W)`` to multiples of ``scale``, keeping the top-left corner (MATLAB's ``modcrop``)."""
    height, width = x.shape[-2:]
    return x[..., : height - height % scale, : width - width % scale]


def random_window(height: int, width: int, size: int, step: int = 1) -> tuple[int, int]:
    """A random top-left corner ``(top, left)`` of a ``size``-square window, on multiples of ``step``."""
    top = int(torch.randint(0, (height - size) // step + 1, ()).item()) * step
    left = int(torch.randint(0, (width - size) // step + 1, ()).item()) * step
    return top, left


def coin() -> bool:
    """A fair random bit from torch's generator (seeded per DataLoader worker)."""
    return bool(torch.randint(0, 2, ()).item())


class ItemDegrader:
    """Builds an item's ``lr`` (and ``mr``) from its ``hr`` with a registered degradation, on the CPU."""

    def __init__(
        self,
        degradation: Degradation,
        scale: int,
        round_lr: bool,
        with_mr: bool,
        args: Mapping[str, Any] | None,
        need_down: bool = True,
    ) -> None:
        self.scale = check_scale(scale)
        self.round_lr = bool(round_lr)
        if with_mr and not isinstance(degradation, str):
            raise InputError(
                "with_mr=True needs a registered degradation name (to build its direction='up'), "
                f"got a {type(degradation).__name__}; register it or compute mr with make_mr"
            )
        self.down = build_degradation(degradation, self.scale, "down", args) if need_down else None
        self.up = build_degradation(degradation, self.scale, "up", args) if with_mr else None

    def lr(self, hr: torch.Tensor) -> torch.Tensor:
        """``(3, H, W)`` -> ``(3, ceil(H/s), ceil(W/s))`` in ``[0, 1]`` (8-bit grid when ``round_lr``)."""
        assert self.down is not None
        with torch.no_grad():
            lr = self.down(hr[None])[0]
        return quantize_8bit(lr) if self.round_lr else lr.clamp(0.0, 1.0)

    def mr(self, lr: torch.Tensor) -> torch.Tensor:
        """``(3, h, w)`` -> ``(3, h*s, w*s)``, unclamped (as a recipe's "up" node computes it)."""
        assert self.up is not None
        with torch.no_grad():
            return self.up(lr[None])[0]

    def add_lr(self, item: dict[str, Any]) -> dict[str, Any]:
        """Add ``lr`` (and ``mr`` when built ``with_mr``) made from ``item["hr"]``; a no-op when the
        degrader was built without its down-sampler (``degrade_on_device`` datasets)."""
        if self.down is not None:
            item["lr"] = self.lr(item["hr"])
            if self.up is not None:
                item["mr"] = self.mr(item["lr"])
        return item
