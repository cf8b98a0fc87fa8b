"""A PNG writer that takes the image band by band, so that no full-size buffer is ever needed.

Pillow encodes whole images only; ``srzoo upscale`` produces its output in horizontal bands of
tiles, so it writes the PNG itself: 8-bit RGB or RGBA, each row with the ``Sub`` filter (each byte minus
the byte of the same channel one pixel to the left), deflated by one streaming ``zlib`` compressor
and emitted as one ``IDAT`` chunk per band. The file is written through `srzoo._io.atomic`, so the
target is never half-written.
"""

from __future__ import annotations

import os
import struct
import zlib
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

import numpy as np
import torch

from ..errors import InputError
from .atomic import atomic_file

__all__ = ["PNGBandWriter", "to_uint8_rows"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def to_uint8_rows(band: torch.Tensor) -> np.ndarray:
    """``(C, rows, W)`` or ``(1, C, rows, W)`` float in ``[0, 1]`` as ``(rows, W, C)`` uint8 with
    ``floor(255 x + 0.5)`` saturated (as ``srzoo.imageio.write_image``)."""
    image = band[0] if band.ndim == 4 else band
    pixels = image.detach().to("cpu", torch.float32).numpy()
    if np.isnan(pixels).any():
        raise InputError("the upscaled image contains NaN values")
    levels = np.clip(np.floor(pixels * np.float32(255.0) + np.float32(0.5)), 0.0, 255.0).astype(np.uint8)
    return np.ascontiguousarray(np.moveaxis(levels, 0, -1))


class PNGBandWriter:
    """Write a ``width x height`` 8-bit RGB PNG from bands of rows, top to bottom.

    Use as a context manager: on a clean exit the file is complete (all ``height`` rows written) and
    renamed into place; on an exception the temporary file is removed and the target left alone.

    Examples:
        >>> import pathlib, tempfile
        >>> import numpy as np
        >>> from srzoo._io.png_stream import PNGBandWriter
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "x.png"
        >>> with PNGBandWriter(target, width=4, height=3) as png:
        ...     png.write(np.zeros((2, 4, 3), np.uint8)); png.write(np.full((1, 4, 3), 255, np.uint8))
        >>> srzoo.imageio.read_image(target).shape
        torch.Size([3, 3, 4])
    """

    def __init__(
        self, path: str | os.PathLike[str], width: int, height: int, level: int = 6, channels: int = 3
    ) -> None:
        if width < 1 or height < 1:
            raise InputError(f"a PNG needs a positive size, got {width}x{height}")
        if channels not in (3, 4):
            raise InputError(f"channels must be 3 (RGB) or 4 (RGBA), got {channels!r}")
        self.channels = channels
        self.path = Path(path)
        self.width, self.height = width, height
        self.rows = 0
        self._level = level
        self._files = ExitStack()
        self._handle: BinaryIO | None = None
        self._deflate = zlib.compressobj(level)

    def __enter__(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self._files.enter_context(atomic_file(self.path))
        colour_type = 2 if self.channels == 3 else 6  # 8-bit RGB or RGBA
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, colour_type, 0, 0, 0)
        self._handle.write(_SIGNATURE + _chunk(b"IHDR", header))
        return self

    def write(self, rows: np.ndarray) -> None:
        """Append ``(r, width, channels)`` uint8 rows."""
        c = self.channels
        if rows.dtype != np.uint8 or rows.ndim != 3 or rows.shape[1:] != (self.width, c):
            raise InputError(f"expected (rows, {self.width}, {c}) uint8 rows, got {rows.shape} {rows.dtype}")
        if self.rows + rows.shape[0] > self.height:
            raise InputError(f"too many rows for a {self.width}x{self.height} PNG")
        filtered = np.empty((rows.shape[0], 1 + c * self.width), dtype=np.uint8)
        filtered[:, 0] = 1  # filter type Sub
        flat = rows.reshape(rows.shape[0], c * self.width)
        filtered[:, 1 : 1 + c] = flat[:, :c]
        np.subtract(flat[:, c:], flat[:, :-c], out=filtered[:, 1 + c :])  # wraps modulo 256, as PNG wants
        data = self._deflate.compress(filtered.tobytes())
        if data:
            assert self._handle is not None
            self._handle.write(_chunk(b"IDAT", data))
        self.rows += rows.shape[0]

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._handle is not None
        if kind is None:
            try:
                if self.rows != self.height:
                    raise InputError(f"{self.path}: got {self.rows} of {self.height} rows")
                self._handle.write(_chunk(b"IDAT", self._deflate.flush()) + _chunk(b"IEND", b""))
            except BaseException as error:  # the temporary file goes, the target stays as it was
                self._files.__exit__(type(error), error, error.__traceback__)
                raise
        self._files.__exit__(kind, exc, tb)  # complete: fsync and rename into place
