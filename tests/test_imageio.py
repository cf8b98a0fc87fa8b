"""srzoo.imageio: deliberate conversions on read, exact 8-bit rounding and atomic writes."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

from srzoo.errors import InputError
from srzoo.imageio import image_size, list_images, quantize_8bit, read_image, write_image


def encode_png16(values: np.ndarray, filters: tuple[int, ...] = (0, 1, 2, 3, 4), interlace: int = 0) -> bytes:
    """A 16-bit PNG of ``values`` ``(H, W, C)`` uint16; row ``r`` uses PNG filter ``filters[r % 5]``."""
    h, w, c = values.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    data = values.astype(">u2").view(np.uint8).reshape(h, w * c * 2).astype(np.int32)
    bpp = 2 * c
    rows = []
    for r in range(h):
        cur = data[r]
        prev = data[r - 1] if r else np.zeros_like(cur)
        a = np.concatenate([np.zeros(bpp, np.int32), cur[:-bpp]])
        ul = np.concatenate([np.zeros(bpp, np.int32), prev[:-bpp]])
        p = a + prev - ul
        pa, pb, pc = abs(p - a), abs(p - prev), abs(p - ul)
        paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, prev, ul))
        f = filters[r % len(filters)]
        predictor = [0 * a, a, prev, (a + prev) >> 1, paeth][f]
        rows.append(bytes([f]) + ((cur - predictor) & 0xFF).astype(np.uint8).tobytes())

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, interlace)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def _random16(rng: np.random.Generator, h: int, w: int, c: int) -> np.ndarray:
    values = rng.integers(0, 65536, size=(h, w, c)).astype(np.uint16)
    values[:, : w // 2] = np.cumsum(rng.integers(0, 40, size=(h, w // 2, c)), axis=1)  # smooth part
    return values


def _chw(array: np.ndarray, scale: float) -> torch.Tensor:
    return torch.from_numpy(array.astype(np.float32) / scale).permute(2, 0, 1)


# ------------------------------------------------------------------------------------------ 8-bit
def test_rgb8_is_value_over_255(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    array = rng.integers(0, 256, size=(7, 9, 3), dtype=np.uint8)
    Image.fromarray(array).save(tmp_path / "x.png")
    x = read_image(tmp_path / "x.png")
    assert x.shape == (3, 7, 9) and x.dtype == torch.float32 and x.is_contiguous()
    torch.testing.assert_close(x, _chw(array, 255.0), rtol=0, atol=0)


def test_grayscale_is_replicated(tmp_path: Path) -> None:
    array = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    Image.fromarray(array, mode="L").save(tmp_path / "g.png")
    Image.fromarray(array > 100).save(tmp_path / "b.png")  # 1-bit
    x = read_image(tmp_path / "g.png")
    assert x.shape == (3, 3, 4)
    for c in range(3):
        torch.testing.assert_close(x[c], torch.from_numpy(array).float() / 255, rtol=0, atol=0)
    bits = read_image(tmp_path / "b.png")
    assert torch.equal(bits, torch.from_numpy(array > 100).float().expand(3, -1, -1))


def test_alpha_policies(tmp_path: Path) -> None:
    rgba = np.array([[[200, 100, 0, 0], [200, 100, 0, 255], [10, 20, 30, 51]]], dtype=np.uint8)
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "a.png")
    dropped = read_image(tmp_path / "a.png")
    torch.testing.assert_close(dropped, _chw(rgba[..., :3], 255.0), rtol=0, atol=0)
    white = read_image(tmp_path / "a.png", alpha="white")
    opacity = rgba[..., 3:].astype(np.float32) / 255
    expected = rgba[..., :3].astype(np.float32) / 255 * opacity + (1 - opacity)
    torch.testing.assert_close(white, torch.from_numpy(expected).permute(2, 0, 1))
    with pytest.raises(
        InputError, match=r"a\.png: image has an alpha channel; remove it or pass alpha='drop'"
    ):
        read_image(tmp_path / "a.png", alpha="error")
    with pytest.raises(InputError, match="alpha must be 'drop', 'white' or 'error', got 'keep'"):
        read_image(tmp_path / "a.png", alpha="keep")  # type: ignore[arg-type]


def test_gray_alpha_drops_alpha(tmp_path: Path) -> None:
    la = np.array([[[40, 0], [90, 255]]], dtype=np.uint8)
    Image.fromarray(la, mode="LA").save(tmp_path / "la.png")
    x = read_image(tmp_path / "la.png")
    assert torch.equal(x * 255, torch.tensor([40.0, 90.0]).view(1, 1, 2).expand(3, 1, 2))


def test_palette_maps_to_rgb(tmp_path: Path) -> None:
    im = Image.new("P", (3, 2))
    im.putpalette([255, 0, 0, 0, 128, 0, 1, 2, 3] + [0] * (256 * 3 - 9))
    im.putdata([0, 1, 2, 2, 1, 0])
    im.save(tmp_path / "p.png")
    im.info["transparency"] = 1
    im.save(tmp_path / "pt.png", transparency=1)
    expected = torch.tensor([[[255, 0, 0], [0, 128, 0], [1, 2, 3]], [[1, 2, 3], [0, 128, 0], [255, 0, 0]]])
    expected = expected.permute(2, 0, 1).float() / 255
    assert torch.equal(read_image(tmp_path / "p.png"), expected)
    assert torch.equal(read_image(tmp_path / "pt.png"), expected)  # transparency dropped
    with pytest.raises(InputError, match="alpha channel"):
        read_image(tmp_path / "pt.png", alpha="error")


def test_cmyk_jpeg_is_converted(tmp_path: Path) -> None:
    Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save(tmp_path / "c.jpg", quality=100)
    x = read_image(tmp_path / "c.jpg")
    assert x.shape == (3, 8, 8)
    assert x[0].min() > 0.9 and x[1].max() < 0.1 and x[2].max() < 0.1  # red


# ------------------------------------------------------------------------------------------ 16-bit
def test_gray16_png_is_value_over_65535(tmp_path: Path) -> None:
    values = np.array([[0, 1, 257, 65535], [300, 40000, 65534, 12345]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "g16.png")
    assert Image.open(tmp_path / "g16.png").mode.startswith("I")
    x = read_image(tmp_path / "g16.png")
    expected = torch.from_numpy(values.astype(np.float32)) / 65535
    assert torch.equal(x, expected.expand(3, -1, -1))


@pytest.mark.parametrize("channels", [3, 4, 2])
def test_colour16_png_keeps_full_precision(tmp_path: Path, channels: int) -> None:
    values = _random16(np.random.default_rng(channels), 23, 31, channels)
    (tmp_path / "c16.png").write_bytes(encode_png16(values))
    x = read_image(tmp_path / "c16.png")
    colour = values[..., :3] if channels >= 3 else values[..., :1]
    expected = _chw(colour, 65535.0).expand(3, -1, -1)
    assert torch.equal(x, expected)  # every 16-bit level survives, not only the high byte
    assert not torch.equal(x, torch.floor(x * 255) / 255)


def test_colour16_white_alpha_uses_16bit_alpha(tmp_path: Path) -> None:
    values = np.array([[[65535, 0, 0, 32768]]], dtype=np.uint16)
    (tmp_path / "a16.png").write_bytes(encode_png16(values))
    a = 32768 / 65535
    expected = torch.tensor([1.0, 1 - a, 1 - a]).view(3, 1, 1)
    torch.testing.assert_close(read_image(tmp_path / "a16.png", alpha="white"), expected)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torchvision's image decoding is deprecated
@pytest.mark.parametrize("channels", [2, 3, 4])
def test_colour16_agrees_with_libpng(tmp_path: Path, channels: int) -> None:
    """srzoo's decoder and libpng (torchvision.io.decode_png) agree exactly on valid files, every
    row filter included; srzoo keeps its own decoder because torchvision crashes on damaged ones."""
    io = pytest.importorskip("torchvision.io")
    values = _random16(np.random.default_rng(7), 17, 40, channels)
    data = encode_png16(values)
    (tmp_path / "c16.png").write_bytes(data)
    try:
        reference = io.decode_png(
            torch.frombuffer(bytearray(data), dtype=torch.uint8), mode=io.ImageReadMode.UNCHANGED
        )
    except (AttributeError, RuntimeError) as exc:  # pragma: no cover - a torchvision without PNG decoding
        pytest.skip(f"torchvision cannot decode PNG here: {exc}")
    assert torch.equal(reference.to(torch.int32).permute(1, 2, 0), torch.from_numpy(values.astype(np.int32)))
    rgb = reference[:1].expand(3, -1, -1) if channels == 2 else reference[:3]
    assert torch.equal(read_image(tmp_path / "c16.png"), rgb.float() / 65535)


def test_colour16_bad_row_filter_is_one_line(tmp_path: Path) -> None:
    # the file that makes torchvision 0.29's decode_png segfault: a valid stream with filter byte 7
    values = _random16(np.random.default_rng(2), 6, 5, 3)
    raw = b"".join(bytes([7 if r == 3 else 0]) + values[r].astype(">u2").tobytes() for r in range(6))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 5, 6, 16, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    (tmp_path / "filter7.png").write_bytes(data)
    with pytest.raises(InputError, match=r"filter7\.png: corrupt PNG image data \(unknown row filter 7\)$"):
        read_image(tmp_path / "filter7.png")


def test_colour16_errors(tmp_path: Path) -> None:
    values = _random16(np.random.default_rng(1), 8, 8, 3)
    data = encode_png16(values)
    (tmp_path / "cut.png").write_bytes(data[: len(data) - 30])
    with pytest.raises(
        InputError, match=r"cut\.png: truncated image file \(PNG ends before its IEND chunk\)"
    ):
        read_image(tmp_path / "cut.png")
    broken = bytearray(data)
    broken[60] ^= 0xFF  # inside IDAT
    (tmp_path / "crc.png").write_bytes(bytes(broken))
    with pytest.raises(InputError, match=r"crc\.png: corrupt PNG \(bad checksum in chunk 'IDAT'\)"):
        read_image(tmp_path / "crc.png")
    (tmp_path / "inter.png").write_bytes(encode_png16(values, interlace=1))
    with pytest.raises(InputError, match="interlaced 16-bit colour PNGs are not supported"):
        read_image(tmp_path / "inter.png")


# ------------------------------------------------------------------------------------------ EXIF
@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow(tmp_path: Path, orientation: int) -> None:
    array = np.random.default_rng(orientation).integers(0, 256, size=(6, 10, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"o{orientation}.jpg"
    Image.fromarray(array).save(path, exif=exif.tobytes(), quality=100)
    with Image.open(path) as im:
        stored = np.asarray(im.convert("RGB"))
        upright = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    assert torch.equal(read_image(path), _chw(upright, 255.0))
    assert torch.equal(read_image(path, exif_orientation=False), _chw(stored, 255.0))
    assert image_size(path) == upright.shape[:2]
    assert image_size(path, exif_orientation=False) == (6, 10)


def test_png_exif_orientation_is_applied(tmp_path: Path) -> None:
    array = np.random.default_rng(9).integers(0, 256, size=(4, 6, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    Image.fromarray(array).save(tmp_path / "o6.png", exif=exif.tobytes())
    assert torch.equal(read_image(tmp_path / "o6.png"), _chw(np.rot90(array, -1), 255.0))
    assert image_size(tmp_path / "o6.png") == (6, 4)


# ------------------------------------------------------------------------------------------ errors
def test_bad_files_raise_one_clear_error(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)).save(tmp_path / "ok.png")
    Image.fromarray(rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)).save(tmp_path / "ok.jpg")
    png, jpg = (tmp_path / "ok.png").read_bytes(), (tmp_path / "ok.jpg").read_bytes()
    (tmp_path / "half.png").write_bytes(png[: len(png) // 2])
    (tmp_path / "half.jpg").write_bytes(jpg[: len(jpg) // 2])
    (tmp_path / "notes.png").write_text("these are notes, not pixels")
    (tmp_path / "empty.png").write_bytes(b"")
    cases = {
        "half.png": r"half\.png: truncated image file",
        "half.jpg": r"half\.jpg: truncated image file",
        "notes.png": r"notes\.png: not an image file \(unknown or unsupported format\)",
        "empty.png": r"empty\.png: empty file \(0 bytes\), not an image",
        "missing.png": r"missing\.png: no such file",
    }
    for name, message in cases.items():
        with pytest.raises(InputError, match=message) as info:
            read_image(tmp_path / name)
        assert "\n" not in str(info.value)
    with pytest.raises(InputError, match="is a folder, expected an image file"):
        read_image(tmp_path)
    with pytest.raises(InputError, match=r"notes\.png: not an image file"):
        image_size(tmp_path / "notes.png")


def test_decompression_bomb_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_image(torch.zeros(3, 40, 40), tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # errors above 2x the limit
    with pytest.raises(
        InputError,
        match=r"big\.png: Image size \(1600 pixels\) exceeds limit .*raise PIL\.Image\.MAX_IMAGE_PIXELS",
    ):
        read_image(tmp_path / "big.png")


# ------------------------------------------------------------------------------------------ writing
def test_write_rounds_half_up_and_clamps(tmp_path: Path) -> None:
    levels = torch.tensor([0.0, 0.5, 1.5, 2.4999, 127.5, 254.5, 300.0, -7.0]) / 255
    x = levels.view(1, 1, 8).expand(3, 1, 8).contiguous()
    write_image(x, tmp_path / "r.png")
    got = np.asarray(Image.open(tmp_path / "r.png"))[0, :, 0]
    assert got.tolist() == [0, 1, 2, 2, 128, 255, 255, 0]
    assert torch.equal(quantize_8bit(levels) * 255, torch.tensor([0.0, 1, 2, 2, 128, 255, 255, 0]))


def test_write_read_roundtrip_is_exact(tmp_path: Path) -> None:
    x = torch.rand(1, 3, 13, 11, generator=torch.Generator().manual_seed(0))
    out = write_image(x, tmp_path / "deep" / "er" / "x.png")
    assert out == tmp_path / "deep" / "er" / "x.png"
    assert torch.equal(read_image(out), quantize_8bit(x[0]))
    assert sorted(p.name for p in out.parent.iterdir()) == ["x.png"]  # no temporary left behind


@pytest.mark.parametrize(
    "suffix, fmt",
    [
        (".jpg", "JPEG"),
        (".JPEG", "JPEG"),
        (".bmp", "BMP"),
        (".tiff", "TIFF"),
        (".webp", "WEBP"),
        (".ppm", "PPM"),
    ],
)
def test_write_formats_by_suffix(tmp_path: Path, suffix: str, fmt: str) -> None:
    x = torch.rand(3, 16, 16, generator=torch.Generator().manual_seed(1))
    path = write_image(x, tmp_path / f"x{suffix}")
    with Image.open(path) as im:
        assert im.format == fmt and im.mode == "RGB" and im.size == (16, 16)
    if fmt != "JPEG":  # lossless formats give the rounded values back
        assert torch.equal(read_image(path), quantize_8bit(x))


def test_write_respects_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = write_image(torch.zeros(3, 2, 2), tmp_path / "p.png")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_write_failure_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "keep.png"
    write_image(torch.zeros(3, 4, 4), target)
    before = target.read_bytes()

    def failing_save(self, fp, format=None, **params):
        fp.write(b"\x89PNG partial")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", failing_save)
    with pytest.raises(InputError, match=r"keep.png: cannot write the image \(disk full\)$"):
        write_image(torch.ones(3, 4, 4), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.png"]


def test_write_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unknown image suffix '\.gif'; use one of"):
        write_image(torch.zeros(3, 2, 2), tmp_path / "x.gif")
    with pytest.raises(
        InputError, match=r"must have shape \(3, H, W\) or \(1, 3, H, W\), got \(2, 3, 4, 4\)"
    ):
        write_image(torch.zeros(2, 3, 4, 4), tmp_path / "x.png")
    with pytest.raises(InputError, match=r"must have shape \(3, H, W\) or \(1, 3, H, W\), got \(1, 4, 4\)"):
        write_image(torch.zeros(1, 4, 4), tmp_path / "x.png")
    with pytest.raises(InputError, match="must be a float tensor in \\[0, 1\\], got dtype torch.uint8"):
        write_image(torch.zeros(3, 4, 4, dtype=torch.uint8), tmp_path / "x.png")
    with pytest.raises(InputError, match="contains NaN values"):
        write_image(torch.full((3, 2, 2), float("nan")), tmp_path / "x.png")
    with pytest.raises(InputError, match="must be a torch.Tensor of shape \\(3, H, W\\), got ndarray"):
        write_image(np.zeros((3, 2, 2)), tmp_path / "x.png")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------ listing
def test_list_images_natural_order(tmp_path: Path) -> None:
    for name in ["10.jpg", "2.JPG", "1.png", "b.bmp", ".hidden.png", "._1.png", "notes.txt", "a.tiff"]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub.png").mkdir()
    assert [p.name for p in list_images(tmp_path)] == ["1.png", "2.JPG", "10.jpg", "a.tiff", "b.bmp"]
    with pytest.raises(InputError, match=r"nope: no such folder"):
        list_images(tmp_path / "nope")
    with pytest.raises(InputError, match=r"10\.jpg: not a folder"):
        list_images(tmp_path / "10.jpg")


@pytest.mark.shared_data
def test_set14_bridge_is_gray_replicated(data_dir: Path) -> None:
    path = data_dir / "set14" / "bridge.png"
    with Image.open(path) as im:
        assert im.mode == "L"
        gray = torch.from_numpy(np.asarray(im).astype(np.float32)) / 255
    x = read_image(path)
    assert x.shape == (3, 512, 512)
    assert torch.equal(x, gray.expand(3, -1, -1))


def test_16bit_png_zero_size_and_pixel_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty16.png"
    png = bytearray(encode_png16(np.zeros((5, 1, 3), dtype=np.uint16)))
    png[16:20] = struct.pack(">I", 0)  # IHDR width = 0, then fix the chunk's CRC
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
    empty.write_bytes(bytes(png))
    with pytest.raises(InputError, match=r"empty16.png: the PNG is 0x5 pixels; an image needs at least 1x1"):
        read_image(empty)
    big = tmp_path / "big16.png"
    big.write_bytes(encode_png16(np.zeros((20, 20, 3), dtype=np.uint16)))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(InputError, match=r"big16.png: 20x20 pixels exceeds Pillow's limit of 200"):
        read_image(big)
