"""Upscaling image files in bounded memory: automatic tile size and band-by-band PNG output.

:func:`upscale_to_file` runs a model over an image in exact tiles (see ``srzoo.tiling``)
and, for PNG targets, writes each band of tiles to disk as soon as it is done, so that peak memory
is set by the tile size, not by the image: only the LR input and one band of output are held.
Other formats are encoded by Pillow from the whole output image.
:func:`auto_tile` picks the tile side from the memory available on the device.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from .errors import InputError
from .model import SRModel
from .tiling import receptive_field

__all__ = ["auto_tile", "memory_budget", "upscale_to_file"]

MAX_TILE = 512
"""The largest automatic tile side (LR pixels): beyond it, tiles gain no speed."""

MIN_TILE = 64


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
    """The peak memory of one forward per LR pixel, measured on a ``side x side`` probe."""
    from .bench.timing import PeakMemory

    probe = torch.rand(1, 3, side, side, device=device)
    with torch.inference_mode():
        model(probe)  # warm-up: weight packing, allocator pools
        if device.type != "cuda":
            from .bench.timing import _read_kib

            before = (_read_kib("VmRSS") or 0) * 1024
        with PeakMemory(device) as peak:
            model(probe)
    used = peak.mib * 2**20 if device.type == "cuda" else peak.mib * 2**20 - before
    return max(used, 0.0) / (side * side)


def auto_tile(model: SRModel, device: torch.device) -> int:
    """An LR tile side whose forward fits in :func:`memory_budget`, between 64 (or what the
    receptive field needs) and :data:`MAX_TILE`, a multiple of 8; independent of the image size."""
    radius = receptive_field(model) or 0
    side = max(32, 2 * radius + 8)
    per_pixel = _bytes_per_lr_pixel(model, device, side)
    per_pixel = max(per_pixel, 3 * 4 * model.scale**2 * 4.0)  # at least input and output buffers
    tile = int(math.sqrt(memory_budget(device) / per_pixel))
    tile = max(MIN_TILE, 2 * radius + 16, min(MAX_TILE, tile))
    return tile - tile % 8 if tile % 8 and tile - tile % 8 > 2 * radius else tile


def _check_target(target: Path) -> None:
    if target.is_dir():
        raise InputError(f"{target}: is a folder; give an image file name")
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{target}: {parent} is a file, not a folder")
            break


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
    from .charts import make_chart
    from .imageio import read_image, write_image

    if isinstance(source, Path):
        image = read_image(source)
    else:
        image = make_chart(str(source).removeprefix("chart:"))
    lr = image[None].to(device)
    del image
    _check_target(target)
    if target.suffix.lower() != ".png":
        sr = model(lr, tile=tile, tile_overlap=tile_overlap)
        return write_image(sr[0], target)
    from ._png_stream import PNGBandWriter, to_uint8_rows

    s = model.scale
    try:
        with PNGBandWriter(target, lr.shape[-1] * s, lr.shape[-2] * s) as png:
            for _, band in model.upscale_bands(lr, tile, tile_overlap=tile_overlap):
                png.write(to_uint8_rows(band))
    except OSError as exc:
        raise InputError(f"{target}: cannot write the image ({exc.strerror or exc})") from None
    return target
