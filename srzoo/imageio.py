"""Reading and writing images as float RGB tensors in ``[0, 1]``, with deliberate conversions.

What [`read_image`][] does with each kind of file (the same everywhere in srzoo: datasets, ``srzoo
upscale``, ``srzoo demo``):

- **8-bit RGB** (PNG, JPEG, BMP, TIFF, WebP...): ``value / 255``.
- **Grayscale** (``L``, 1-bit, 16-bit): the gray channel is replicated to R, G and B, so that
  ``Y`` computed from the result equals the stored gray level (Set14's ``bridge.png``).
- **16-bit PNG** (gray, gray + alpha, RGB, RGBA): ``value / 65535`` at full precision (Pillow alone
  would keep only the high byte of 16-bit colour PNGs; srzoo decodes those itself).
- **Palette** images: mapped through their palette to RGB.
- **Alpha** (RGBA, LA, palettes with transparency): by default the alpha channel is *dropped* and the
  stored colour values are kept unchanged, which is what MATLAB's ``imread``, OpenCV and Pillow's
  ``convert("RGB")`` give, so scores match other tools reading the same files. ``alpha="white"``
  composites over white instead (how a viewer shows the image); ``alpha="error"`` refuses such files.
- **CMYK / YCbCr** JPEGs: converted to RGB by Pillow.
- **Colour-key transparency** (a ``tRNS`` colour in RGB or gray PNGs) is ignored: such images read
  as opaque.
- **Very large images**: Pillow's decompression-bomb limit applies (a warning above ~89 Mpixels, an
  [`InputError`][] above ~179 Mpixels); raise ``PIL.Image.MAX_IMAGE_PIXELS`` for
  files you trust.
- **EXIF orientation** (JPEG/TIFF/WebP/8-bit PNG) is *applied* by default, so the tensor is upright
  as viewers show it; the written outputs carry no EXIF tag and therefore display the same way.
  ``exif_orientation=False`` keeps the stored pixel grid (what MATLAB's ``imread`` sees).

Files that are not images, are empty, truncated or corrupt raise [`InputError`][]
with one line naming the file and the problem.

[`write_image`][] rounds to 8 bits (``floor(255 x + 0.5)``, clamped to ``[0, 255]``) and writes
PNG, JPEG, BMP, TIFF, WebP or PPM (chosen by the suffix) atomically: the data goes to a temporary file in
the same folder that is renamed over the target, so a crash never leaves a half-written image.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from ._io.atomic import atomic_write
from ._io.png16 import decode_png16, png_header
from .color import quantize_8bit, to_8bit_levels
from .errors import InputError

__all__ = [
    "IMAGE_SUFFIXES",
    "AlphaMode",
    "image_size",
    "list_images",
    "quantize_8bit",
    "read_image",
    "write_image",
]

AlphaMode = Literal["drop", "white", "error"]
"""What [`read_image`][] does with an alpha channel: ``drop`` it, composite over ``white``, or raise."""

IMAGE_SUFFIXES: frozenset[str] = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pnm"}
)
"""File suffixes (lower case) that [`list_images`][] treats as images."""

_WRITE_FORMATS: dict[str, str] = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
    ".ppm": "PPM",
}

_EXIF_ORIENTATION = 0x0112


# --------------------------------------------------------------------------------------------- reading
def read_image(
    path: str | os.PathLike[str],
    *,
    alpha: AlphaMode = "drop",
    exif_orientation: bool = True,
) -> torch.Tensor:
    """Read an image file as a float RGB tensor.

    Args:
        path: the image file (PNG, JPEG, BMP, TIFF, WebP, PPM/PGM; 8- or 16-bit PNG).
        alpha: ``"drop"`` (default) keeps the stored colour values and ignores alpha;
            ``"white"`` composites over a white background; ``"error"`` raises on images with alpha.
        exif_orientation: apply the EXIF orientation tag (default) or keep the stored pixel grid.

    Returns:
        ``(3, H, W)`` ``float32`` tensor in ``[0, 1]`` (8-bit values divided by 255, 16-bit values
        by 65535; gray replicated to three channels).

    Raises:
        InputError: ``"<path>: <problem>"`` for a missing, empty, non-image, truncated or corrupt file,
            or an image with alpha when ``alpha="error"``.

    Examples:
        >>> from srzoo.charts import make_chart
        >>> from srzoo.imageio import read_image, write_image
        >>> path = write_image(make_chart("text", 64), "chart.png")
        >>> x = read_image("chart.png")
        >>> x.shape, x.dtype
        (torch.Size([3, 64, 64]), torch.float32)
    """
    if alpha not in ("drop", "white", "error"):
        raise InputError(f"alpha must be 'drop', 'white' or 'error', got {alpha!r}")
    file = _check_file(path)
    if png_header(file) in ((16, 2), (16, 4), (16, 6)):
        channels, scale = decode_png16(file), 65535.0
        orientation = 1  # 16-bit colour PNGs from cameras with an eXIf orientation are not a thing
    else:
        channels, scale, orientation = _decode_pillow(file, exif_orientation)
    rgb = _to_rgb(channels, scale, alpha, file)
    if exif_orientation and orientation != 1:
        rgb = _orient(rgb, orientation)
    # the pixel work is done in numpy: it is single-threaded, and torch's strided copies were
    # several times slower on busy CPUs (DataLoader workers)
    return torch.from_numpy(np.ascontiguousarray(rgb, dtype=np.float32))


def image_size(path: str | os.PathLike[str], *, exif_orientation: bool = True) -> tuple[int, int]:
    """``(H, W)`` of an image file, read from its header only (fast; the pixels are not decoded).

    Args:
        path: the image file.
        exif_orientation: swap ``H`` and ``W`` when the EXIF orientation is a 90° rotation, matching
            [`read_image`][] with the same argument.

    Raises:
        InputError: a missing, empty or non-image file.
    """
    file = _check_file(path)
    try:
        with Image.open(file) as im:
            width, height = im.size
            orientation = _orientation_of(im) if exif_orientation else 1
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise _not_readable(file, exc) from None
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return height, width


def list_images(folder: str | os.PathLike[str]) -> list[Path]:
    """The image files directly inside ``folder``, in natural order (``2.jpg`` before ``10.jpg``).

    Files whose suffix is in [`IMAGE_SUFFIXES`][] (any case) count as images; hidden files (names
    starting with ``.``, e.g. macOS ``._x.png``) and sub-folders are skipped.

    Raises:
        InputError: ``folder`` does not exist or is not a folder.
    """
    root = Path(folder)
    if not root.exists():
        raise InputError(f"{root}: no such folder")
    if not root.is_dir():
        raise InputError(f"{root}: not a folder")
    files = [
        p
        for p in root.iterdir()
        if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file()
    ]
    return sorted(files, key=_natural_key)


def _natural_key(path: Path) -> tuple[tuple[int, int | str], ...]:
    parts = re.split(r"(\d+)", path.name)
    return tuple((0, int(p)) if p.isdigit() else (1, p.lower()) for p in parts if p)


def _check_file(path: str | os.PathLike[str]) -> Path:
    file = Path(path)
    try:
        size = file.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{file}: no such file") from None
    except OSError as exc:
        raise InputError(f"{file}: cannot read it ({exc.strerror or exc})") from None
    if file.is_dir():
        raise InputError(f"{file}: is a folder, expected an image file")
    if size == 0:
        raise InputError(f"{file}: empty file (0 bytes), not an image")
    return file


def _not_readable(file: Path, exc: BaseException) -> InputError:
    if isinstance(exc, UnidentifiedImageError):
        return InputError(f"{file}: not an image file (unknown or unsupported format)")
    if isinstance(exc, Image.DecompressionBombError):
        return InputError(
            f"{file}: {exc}; if you trust the file, raise PIL.Image.MAX_IMAGE_PIXELS (None disables the check)"
        )
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "truncated" in text.lower() or isinstance(exc, EOFError):
        return InputError(f"{file}: truncated image file ({text}); re-download or re-export it")
    return InputError(f"{file}: corrupt or unreadable image ({text})")


def _orientation_of(im: Image.Image) -> int:
    try:
        value = im.getexif().get(_EXIF_ORIENTATION, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block must not make the image unreadable
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _decode_pillow(file: Path, exif_orientation: bool) -> tuple[np.ndarray, float, int]:
    """Decode with Pillow -> (``(C, H, W)`` float32 raw values, their full scale, EXIF orientation)."""
    try:
        with Image.open(file) as im:
            im.load()  # first: a PNG's eXIf chunk may follow its image data
            orientation = _orientation_of(im) if exif_orientation else 1
            array, scale = _pillow_to_array(im, file)
    except InputError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
    ) as exc:
        raise _not_readable(file, exc) from None
    values = array.astype(np.float32)  # a new, writable, C-ordered (H, W[, C]) copy
    # channels first with numpy: much faster than a strided torch copy
    values = values[None] if values.ndim == 2 else np.ascontiguousarray(np.moveaxis(values, -1, 0))
    return values, scale, orientation


def _pillow_to_array(im: Image.Image, file: Path) -> tuple[np.ndarray, float]:
    mode = im.mode
    if mode in ("RGB", "L", "RGBA", "LA"):
        return np.asarray(im), 255.0
    if mode == "1":
        return np.asarray(im.convert("L")), 255.0
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in im.info
        return np.asarray(im.convert("RGBA" if has_alpha else "RGB")), 255.0
    if mode in ("CMYK", "YCbCr", "LAB", "HSV", "RGBX", "RGBa", "La"):
        return np.asarray(im.convert("RGBA" if mode in ("RGBa", "La") else "RGB")), 255.0
    if mode.startswith("I;16"):
        return np.asarray(im).astype(np.float32), 65535.0
    if mode == "I":
        array = np.asarray(im)
        if array.size and (array.min() < 0 or array.max() > 65535):
            raise InputError(
                f"{file}: 32-bit integer image with values outside 0..65535; save it as a 16-bit PNG"
            )
        return array.astype(np.float32), 65535.0
    if mode == "F":
        array = np.asarray(im)
        if array.size and (not np.isfinite(array).all() or array.min() < 0 or array.max() > 1):
            raise InputError(
                f"{file}: floating-point image with values outside [0, 1]; save it as an 8- or 16-bit PNG"
            )
        return array, 1.0
    raise InputError(f"{file}: unsupported image mode {mode!r}; convert it to 8- or 16-bit RGB")


def _to_rgb(channels: np.ndarray, scale: float, alpha: AlphaMode, file: Path) -> np.ndarray:
    """``(C, H, W)`` float32 raw values, C in 1..4 -> ``(3, H, W)`` float32 in ``[0, 1]`` following the
    alpha policy."""
    x = channels / np.float32(scale) if scale != 1.0 else channels
    count = x.shape[0]
    color, opacity = (x[:-1], x[-1:]) if count in (2, 4) else (x, None)
    if opacity is not None and alpha == "error":
        raise InputError(
            f"{file}: image has an alpha channel; remove it or pass alpha='drop' or alpha='white'"
        )
    if opacity is not None and alpha == "white":
        color = color * opacity + (1.0 - opacity)
    if color.shape[0] == 1:
        color = np.repeat(color, 3, axis=0)
    return color.astype(np.float32, copy=False)


def _orient(x: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation (2..8) to ``(C, H, W)``, as ``PIL.ImageOps.exif_transpose`` does."""
    if orientation in (2, 5, 7):  # mirrored variants: flip left-right first
        x = x[..., ::-1]
    quarter_turns = {3: 2, 4: 2, 5: 1, 6: 3, 7: 3, 8: 1}.get(orientation, 0)  # counter-clockwise
    if orientation == 4:
        x = x[..., ::-1]
    if quarter_turns:
        x = np.rot90(x, quarter_turns, axes=(-2, -1))
    return x


# --------------------------------------------------------------------------------------------- writing
def write_image(
    tensor: torch.Tensor,
    path: str | os.PathLike[str],
    *,
    quality: int = 95,
) -> Path:
    """Write a float RGB image to ``path`` as an 8-bit file, atomically.

    Args:
        tensor: ``(3, H, W)`` or ``(1, 3, H, W)`` float tensor in ``[0, 1]`` (any device). Values
            are rounded with ``floor(255 x + 0.5)`` and clamped to ``[0, 255]``.
        path: target file; the suffix picks the format: ``.png``, ``.jpg``/``.jpeg`` (quality
            ``quality``, no chroma subsampling), ``.bmp``, ``.tif``/``.tiff``, ``.webp`` (lossless), ``.ppm``.
            Missing parent folders are created.
        quality: JPEG quality (1..100).

    Returns:
        ``path`` as a `pathlib.Path`.

    Raises:
        InputError: a tensor of the wrong shape or dtype, NaN values, or an unknown suffix.

    The image is written to a temporary file next to the target and renamed over it, so the target
    is either the old file or the complete new one, never a partial write.
    """
    target = Path(path)
    fmt = _WRITE_FORMATS.get(target.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(_WRITE_FORMATS))
        raise InputError(f"{target}: unknown image suffix {target.suffix!r}; use one of {known}")
    if not isinstance(tensor, torch.Tensor):
        raise InputError(
            f"image to write must be a torch.Tensor of shape (3, H, W), got {type(tensor).__name__}"
        )
    image = tensor[0] if tensor.ndim == 4 and tensor.shape[0] == 1 else tensor
    if image.ndim != 3 or image.shape[0] != 3:
        raise InputError(
            f"image to write must have shape (3, H, W) or (1, 3, H, W), got {tuple(tensor.shape)}"
        )
    if not image.is_floating_point():
        raise InputError(
            f"image to write must be a float tensor in [0, 1], got dtype {image.dtype}; divide uint8 images by 255"
        )
    if image.shape[1] < 1 or image.shape[2] < 1:
        raise InputError(f"image to write must be non-empty, got shape {tuple(tensor.shape)}")
    if not 1 <= quality <= 100:
        raise InputError(f"quality must be in 1..100, got {quality}")
    pixels = image.detach().to("cpu", torch.float32).numpy()
    if np.isnan(pixels).any():
        raise InputError(f"image to write for {target} contains NaN values")
    levels = to_8bit_levels(torch.from_numpy(pixels)).to(torch.uint8).numpy()
    array = np.moveaxis(levels, 0, -1)
    options: dict[str, object] = {}
    if fmt == "JPEG":
        options = {"quality": quality, "subsampling": 0}
    elif fmt == "WEBP":
        options = {"lossless": True}
    elif fmt == "PNG":
        options = {"compress_level": 6}
    _check_image_target(target)
    created = [p for p in (target.parent, *target.parent.parents) if not p.exists()]  # deepest first
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _atomic_save(Image.fromarray(np.ascontiguousarray(array)), target, fmt, options)
    except BaseException as exc:
        for folder in created:  # a failed write leaves no empty folders behind
            try:
                folder.rmdir()
            except OSError:
                break
        if isinstance(exc, OSError):
            raise InputError(f"{target}: cannot write the image ({exc.strerror or exc})") from None
        raise
    return target


def _atomic_save(im: Image.Image, target: Path, fmt: str, options: dict[str, object]) -> None:
    atomic_write(target, lambda handle: im.save(handle, format=fmt, **options))


def _check_image_target(target: Path) -> None:
    """Refuse (one line) an image file name that is a folder or lies below a file, before writing."""
    if target.is_dir():
        raise InputError(f"{target}: is a folder; give an image file name")
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{target}: {parent} is a file, not a folder")
            break
