"""srzoo's decoder of 16-bit colour PNGs (RGB, RGBA, gray + alpha): Pillow keeps only their high byte.

Kept in srzoo rather than delegated to ``torchvision.io.decode_png``: that decodes valid files
exactly (``tests/test_imageio.py`` checks both against an independent numpy + zlib encoder), but
torchvision 0.29's libpng binding crashes the interpreter (segfault) on a damaged file, e.g. an
invalid row-filter byte, where this decoder raises a one-line
[`InputError`][srzoo.errors.InputError].
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import InputError

__all__ = ["decode_png16", "png_header"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_header(file: Path) -> tuple[int, int] | None:
    """``(bit depth, colour type)`` of a PNG file, or ``None`` for other formats."""
    with open(file, "rb") as handle:
        head = handle.read(26)
    if len(head) < 26 or not head.startswith(_PNG_SIGNATURE) or head[12:16] != b"IHDR":
        return None
    return head[24], head[25]


def decode_png16(file: Path) -> np.ndarray:
    """A non-interlaced 16-bit colour PNG (RGB, RGBA, gray + alpha) -> ``(C, H, W)`` float32 of the
    raw 0..65535 values.

    Pillow reads these files as 8-bit (it keeps the high byte), so srzoo decodes them itself: parse
    the chunks (checking CRCs), inflate the IDAT stream and undo the per-row PNG filters.
    """
    data = file.read_bytes()
    pos, header, idat, ended = len(_PNG_SIGNATURE), b"", [], False
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if len(body) < length or pos + 12 + length > len(data):
            break
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise InputError(f"{file}: corrupt PNG (bad checksum in chunk {kind.decode('latin-1')!r})")
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            ended = True
            break
        pos += 12 + length
    if not ended:
        raise InputError(
            f"{file}: truncated image file (PNG ends before its IEND chunk); re-download or re-export it"
        )
    if len(header) < 13:
        raise InputError(f"{file}: corrupt PNG (bad IHDR chunk)")
    width, height, _depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", header[:13])
    channels = {2: 3, 4: 2, 6: 4}[color_type]
    if interlace:
        raise InputError(
            f"{file}: interlaced 16-bit colour PNGs are not supported; re-save it without interlacing"
        )
    if width == 0 or height == 0:
        raise InputError(f"{file}: the PNG is {width}x{height} pixels; an image needs at least 1x1")
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and width * height > 2 * limit:  # Pillow's own decompression-bomb rule
        raise InputError(
            f"{file}: {width}x{height} pixels exceeds Pillow's limit of {2 * limit}; if you trust the file, "
            "raise PIL.Image.MAX_IMAGE_PIXELS (None disables the check)"
        )
    bpp, stride = 2 * channels, 2 * channels * width
    expected = height * (stride + 1)
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(b"".join(idat), expected + 1)  # never inflate more than the image holds
    except zlib.error as exc:
        raise InputError(f"{file}: corrupt PNG image data ({exc})") from None
    if len(raw) != expected:
        raise InputError(f"{file}: corrupt PNG image data ({len(raw)} bytes, expected {expected})")
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, stride + 1)
    filters = rows[:, 0]
    if filters.max(initial=0) > 4:
        raise InputError(f"{file}: corrupt PNG image data (unknown row filter {int(filters.max())})")
    pixels = _unfilter(rows[:, 1:].reshape(height, width, bpp), filters)
    values = pixels.reshape(height, stride).view(">u2").reshape(height, width, channels)
    return np.ascontiguousarray(np.moveaxis(values.astype(np.float32), -1, 0))


def _unfilter(filtered: np.ndarray, filters: np.ndarray) -> np.ndarray:
    """Undo PNG row filters on ``(H, W, bpp)`` bytes, vectorised over anti-diagonals.

    Pixel ``(r, x)`` depends on ``(r, x-1)``, ``(r-1, x)`` and ``(r-1, x-1)``, which all lie on the
    previous diagonals, so one diagonal ``r + x = d`` is reconstructed per step (``H + W - 1`` steps).
    """
    height, width, bpp = filtered.shape
    out = np.zeros((height + 1, width + 1, bpp), dtype=np.int32)  # a zero row above, a zero column left
    source = filtered.astype(np.int32)
    for d in range(height + width - 1):
        r = np.arange(max(0, d - width + 1), min(height - 1, d) + 1)
        x = d - r
        f = filters[r][:, None]
        a, b, c = out[r + 1, x], out[r, x + 1], out[r, x]
        p = a + b - c
        pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
        paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
        predictor = np.select([f == 1, f == 2, f == 3, f == 4], [a, b, (a + b) >> 1, paeth], 0)
        out[r + 1, x + 1] = (source[r, x] + predictor) & 0xFF
    return out[1:, 1:].astype(np.uint8)
