"""Upscaling image files in bounded memory: automatic tile size and band-by-band PNG output.

`upscale_to_file` runs a model over an image in exact tiles (see ``srzoo.tiling``)
and, for PNG targets, writes each band of tiles to disk as soon as it is done, so that peak memory
is set by the tile size, not by the image: only the LR input and one band of output are held.
Other formats are encoded by Pillow from the whole output image. An alpha channel (RGBA, LA,
palette transparency) is upscaled by MATLAB bicubic and kept in PNG outputs (other formats drop it).
`auto_tile` picks the tile side from the model's measured memory per LR pixel, so that one
window's forward stays within `TILE_BYTES` (or the free memory, if less).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from .._io.png_stream import PNGBandWriter, to_uint8_rows
from ..api import create
from ..charts import make_chart
from ..errors import InputError
from ..imageio import _check_image_target, read_image, write_image
from ..model.srmodel import SRModel
from ..model.tiling import exact_bands, receptive_field
from ..runtime.memory import PeakMemory, read_status_kib

__all__ = ["MAX_TILE", "TILE_BYTES", "auto_tile", "memory_budget", "read_alpha", "upscale_to_file"]

MAX_TILE = 2048
"""The largest automatic tile side (LR pixels)."""

MIN_TILE = 64

PROBE_SIDE = 128
"""The side of the probe that measures a model's memory per LR pixel: large enough that its
activations are fresh allocations (tens of MiB), not blocks the heap had kept."""

TILE_BYTES = 5 << 28
"""The memory one automatic tile's forward may use (1.25 GiB), unless `memory_budget` is smaller.

Below the whole image, larger tiles gain little speed (`srzoo.tiling.plan_axis` balances the
windows, so the overlap costs 10-20 % of the work at this size) while memory grows with the tile:
LapSRN ×4 measures about 15 KiB per LR pixel (tile about 290), so a 500×480 image runs in four
windows of about 260² at less than half the untiled peak memory
(``benchmarks/upscale_tiles.py``)."""


def memory_budget(device: torch.device) -> int:
    """Bytes a tile may use: half the free CUDA memory, or a quarter of the available RAM."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free * 0.5)
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024 // 4
    except OSError:
        pass
    return 2 << 30


def _bytes_per_lr_pixel(model: SRModel, device: torch.device, side: int) -> float:
    """The peak memory of one forward per LR pixel, measured on a ``side x side`` probe.

    A small warm-up first does the one-off work (weight packing, cuDNN workspaces); on the CPU the
    probe is then the first forward at its size, as a repeated forward would reuse the heap the
    first one freed and show almost no growth of the resident set.
    """
    with torch.inference_mode():
        model(torch.rand(1, 3, side // 4, side // 4, device=device))
        probe = torch.rand(1, 3, side, side, device=device)
        before = 0.0 if device.type == "cuda" else (read_status_kib("VmRSS") or 0) * 1024
        with PeakMemory(device) as peak:
            model(probe)
    return max(peak.mib * 2**20 - before, 0.0) / (side * side)


def auto_tile(model: SRModel, device: torch.device) -> int:
    """The LR tile side (the longest window side, context included) whose forward fits in
    ``min(TILE_BYTES, memory_budget(device))`` by the model's measured memory per LR pixel.

    Between 64 (or ``2 r + 16`` for a receptive field ``r``) and `MAX_TILE`, a multiple of 8 where
    that leaves a core; independent of the image size (an image smaller than the tile runs whole).
    """
    radius = receptive_field(model) or 0
    side = max(PROBE_SIDE, 2 * radius + 8)
    per_pixel = _bytes_per_lr_pixel(model, device, side)
    per_pixel = max(per_pixel, 3 * 4 * model.scale**2 * 4.0)  # at least input and output buffers
    tile = int(math.sqrt(min(TILE_BYTES, memory_budget(device)) / per_pixel))
    tile = max(MIN_TILE, 2 * radius + 16, min(MAX_TILE, tile))
    return tile - tile % 8 if tile % 8 and tile - tile % 8 > 2 * radius else tile


def upscale_to_file(
    model: SRModel,
    source: Path | str,
    target: Path,
    tile: int,
    tile_overlap: int | None,
    device: torch.device,
) -> Path:
    """Upscale one image file (or ``chart:NAME``) into ``target`` in ``tile``-pixel tiles.

    Nothing is written when reading, upscaling or writing fails (the PNG goes to a temporary file
    renamed into place at the end).

    Raises:
        InputError: an unreadable input, a tile too small for the model, an unwritable target.
    """
    if isinstance(source, Path):
        image = read_image(source)
    else:
        image = make_chart(str(source).removeprefix("chart:"))
    lr = image[None].to(device)
    del image
    _check_image_target(target)
    if target.suffix.lower() != ".png":
        sr = model(lr, tile=tile, tile_overlap=tile_overlap)
        return write_image(sr[0], target)
    s = model.scale
    alpha = read_alpha(source) if isinstance(source, Path) else None
    bands = model.upscale_bands(lr, tile, tile_overlap=tile_overlap)
    alpha_bands = None if alpha is None else _alpha_bands(model, alpha.to(device), tile, tile_overlap)
    try:
        with PNGBandWriter(
            target, lr.shape[-1] * s, lr.shape[-2] * s, channels=3 if alpha is None else 4
        ) as png:
            for _, band in bands:
                rows = to_uint8_rows(band)
                if alpha_bands is not None:
                    alpha_rows = to_uint8_rows(_take_rows(alpha_bands, band.shape[-2]))
                    rows = np.concatenate([rows, alpha_rows], axis=-1)
                png.write(rows)
                del band, rows  # not alive while the next band is computed
    except OSError as exc:
        raise InputError(f"{target}: cannot write the image ({exc.strerror or exc})") from None
    return target


def read_alpha(path: Path) -> torch.Tensor | None:
    """The alpha channel of an image file as ``(1, 1, H, W)`` float in ``[0, 1]`` (EXIF-oriented as
    ``srzoo.imageio.read_image`` orients the colours), or ``None``."""
    with Image.open(path) as image:
        if image.mode not in ("RGBA", "LA", "PA", "La", "RGBa") and "transparency" not in image.info:
            return None
        oriented = ImageOps.exif_transpose(image)
        alpha = np.asarray(oriented.convert("RGBA"), dtype=np.float32)[..., 3] / 255.0
    return torch.from_numpy(np.ascontiguousarray(alpha))[None, None]


def _alpha_bands(
    model: SRModel, alpha: torch.Tensor, tile: int, tile_overlap: int | None
) -> Iterator[torch.Tensor]:
    """The alpha channel upscaled by MATLAB bicubic, in bands aligned with the model's bands."""
    up = create("degradation", "bicubic", scale=model.scale, direction="up")
    radius = receptive_field(model) if tile_overlap is None else tile_overlap
    if radius is None:  # the model answers in one band
        yield up(alpha).clamp(0.0, 1.0)
        return
    # the model's context (>= bicubic's) keeps the bands aligned and exact
    for _, band in exact_bands(
        lambda x: up(x).clamp(0.0, 1.0), alpha, model.scale, tile, radius, model.recipe.name
    ):
        yield band


def _take_rows(bands: Iterator[torch.Tensor], rows: int) -> torch.Tensor:
    band = next(bands)
    if band.shape[-2] != rows:  # cannot happen: both follow the same tiling
        raise InputError(f"alpha band of {band.shape[-2]} rows for a colour band of {rows}")
    return band
