"""Benchmark: the ``realesrgan`` degradation on a 16×3×256×256 batch (×4, CPU), batched in torch
against the same pipeline written image by image the way data-loader code does it (numpy + scipy.ndimage
for the kernels and filters, PIL for resizing and real libjpeg JPEG; OpenCV is not installed).

Run with ``python -m pytest tests/benchmarks/test_bench_degradations.py --benchmark-only``; the group
``realesrgan x4 16x3x256x256 cpu`` puts the variants side by side. The per-image reference draws its
parameters from the same published ranges (``PUBLISHED``), so both do the same amount of work per image
on average; it does not reproduce the batched version's values (different codecs and resamplers).
"""

from __future__ import annotations

import io
import math

import numpy as np
import torch
from PIL import Image
from scipy import ndimage, special
from srzoo_plugins.degradations.blur import KINDS
from srzoo_plugins.degradations.realesrgan import FINAL_SINC_FIRST_PROB, PUBLISHED

import srzoo

SCALE = 4
GROUP = "realesrgan x4 16x3x256x256 cpu"
ROUNDS = 5  # seeds 0..4 on both sides: the same draws from the same ranges each run
_PIL_MODES = {
    "area": Image.Resampling.BOX,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
}


# ------------------------------------------------------------------ the per-image numpy reference


def _kernel(rng: np.random.Generator, blur: dict) -> np.ndarray:
    size = int(rng.choice(np.arange(blur["kernel_size"][0], blur["kernel_size"][1] + 1, 2)))
    r = np.arange(size) - (size - 1) / 2
    x, y = np.meshgrid(r, r)
    if rng.uniform() < blur["sinc_prob"]:
        low, high = blur["sinc_cutoff_small"] if size < 13 else blur["sinc_cutoff_large"]
        return _sinc(rng.uniform(low, high), x, y)
    weights = np.array([blur["kernels"][k] for k in KINDS])
    kind = KINDS[rng.choice(len(KINDS), p=weights / weights.sum())]
    sx = rng.uniform(*blur["sigma"])
    sy, theta = (
        (sx, 0.0)
        if kind.endswith("_iso") or kind == "iso"
        else (rng.uniform(*blur["sigma"]), rng.uniform(-np.pi, np.pi))
    )
    c, s = math.cos(theta), math.sin(theta)
    u, v = c * x + s * y, -s * x + c * y
    q = (u / sx) ** 2 + (v / sy) ** 2
    if kind.startswith("generalized"):
        k = np.exp(-0.5 * q ** _beta(rng, blur["beta_generalized"]))
    elif kind.startswith("plateau"):
        k = 1 / (1 + q ** _beta(rng, blur["beta_plateau"]))
    else:
        k = np.exp(-0.5 * q)
    return k / k.sum()


def _beta(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return rng.uniform(bounds[0], 1) if rng.uniform() < 0.5 else rng.uniform(1, bounds[1])


def _sinc(cutoff: float, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    d = np.sqrt(x**2 + y**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(d > 0, cutoff * special.j1(cutoff * d) / (2 * np.pi * d), cutoff**2 / (4 * np.pi))
    return k / k.sum()


def _filter(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    return ndimage.correlate(img, kernel[:, :, None], mode="mirror")  # (H, W, C); mirror = torch's reflect


def _resize(img: np.ndarray, size: tuple[int, int], mode: str) -> np.ndarray:
    h, w = size
    channels = [Image.fromarray(img[..., c]).resize((w, h), _PIL_MODES[mode]) for c in range(img.shape[2])]
    return np.stack([np.asarray(c) for c in channels], axis=-1)


def _random_size(rng: np.random.Generator, resize: dict, h: int, w: int) -> tuple[int, int]:
    direction = rng.choice(3, p=np.asarray(resize["probabilities"]) / np.sum(resize["probabilities"]))
    ratio = [rng.uniform(1, resize["range"][1]), rng.uniform(resize["range"][0], 1), 1.0][direction]
    return max(1, int(h * ratio)), max(1, int(w * ratio))


def _noise(rng: np.random.Generator, img: np.ndarray, noise: dict) -> np.ndarray:
    gray = rng.uniform() < noise["gray_prob"]
    if rng.uniform() < noise["gaussian_prob"]:
        sigma = rng.uniform(*noise["sigma"]) / 255
        shape = img.shape[:2] + (1,) if gray else img.shape
        out = img + rng.standard_normal(shape).astype(np.float32) * sigma
    else:
        strength = rng.uniform(*noise["poisson_strength"])
        base = img @ np.array([0.299, 0.587, 0.114], dtype=np.float32) if gray else img
        base = np.clip(np.round(base * 255), 0, 255) / 255
        levels = 2 ** np.ceil(np.log2(len(np.unique(base))))
        field = (rng.poisson(base * levels) / levels - base).astype(np.float32)
        out = img + (field[..., None] if gray else field) * strength
    return np.clip(out, 0, 1)


def _jpeg(rng: np.random.Generator, img: np.ndarray, jpeg: dict) -> np.ndarray:
    quality = int(rng.uniform(*jpeg["quality"]))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(np.round(img * 255), 0, 255).astype(np.uint8)).save(
        buffer, "JPEG", quality=quality
    )
    return np.asarray(Image.open(buffer), dtype=np.float32) / 255


def numpy_realesrgan(img: np.ndarray, rng: np.random.Generator, scale: int = SCALE) -> np.ndarray:
    """Real-ESRGAN's pipeline on one ``(H, W, 3)`` float32 image in ``[0, 1]`` with per-image draws."""
    p = PUBLISHED
    h, w = img.shape[:2]
    target = (math.ceil(h / scale), math.ceil(w / scale))
    modes = p["final_resize"]["modes"]
    out = _filter(img, _kernel(rng, p["blur1"]))
    out = _resize(out, _random_size(rng, p["resize1"], h, w), modes[rng.integers(len(modes))])
    out = _jpeg(rng, _noise(rng, out, p["noise1"]), p["jpeg1"])
    if rng.uniform() < p["blur2"]["p"]:
        out = _filter(out, _kernel(rng, p["blur2"]))
    out = _resize(out, _random_size(rng, p["resize2"], *target), modes[rng.integers(len(modes))])
    out = _noise(rng, out, p["noise2"])

    def resize_and_sinc(x: np.ndarray) -> np.ndarray:
        x = _resize(x, target, modes[rng.integers(len(modes))])
        if rng.uniform() < p["final_sinc"]["p"]:
            size = int(rng.choice(np.arange(7, 22, 2)))
            r = np.arange(size) - (size - 1) / 2
            x = _filter(x, _sinc(rng.uniform(*p["final_sinc"]["cutoff"]), *np.meshgrid(r, r)))
        return x

    if rng.uniform() < FINAL_SINC_FIRST_PROB:
        out = _jpeg(rng, resize_and_sinc(out), p["jpeg2"])
    else:
        out = resize_and_sinc(_jpeg(rng, out, p["jpeg2"]))
    return np.clip(np.round(out * 255), 0, 255) / 255


def numpy_per_image(batch: np.ndarray, seed: int = 0) -> np.ndarray:
    """The reference over a ``(N, H, W, 3)`` batch, one image at a time."""
    rng = np.random.default_rng(seed)
    return np.stack([numpy_realesrgan(img, rng) for img in batch])


# ------------------------------------------------------------------------------------- benchmarks


def test_numpy_reference_runs(batch: torch.Tensor) -> None:
    """Sanity check (runs without --benchmark-only too): shape, range and 8-bit output."""
    out = numpy_per_image(batch[:2, :, :64, :64].permute(0, 2, 3, 1).numpy())
    assert out.shape == (2, 16, 16, 3) and 0 <= out.min() and out.max() <= 1
    assert np.array_equal(out, np.round(out * 255) / 255)


def test_bench_realesrgan_batched(benchmark, batch: torch.Tensor, threads: int) -> None:
    benchmark.group = GROUP
    benchmark.extra_info["threads"] = threads
    deg = srzoo.create("degradation", "realesrgan", scale=SCALE)
    deg(batch, generator=torch.Generator().manual_seed(ROUNDS))  # warm-up, outside the timed seeds
    seeds = iter(range(ROUNDS))
    out = benchmark.pedantic(
        lambda: deg(batch, generator=torch.Generator().manual_seed(next(seeds))), rounds=ROUNDS, iterations=1
    )
    assert out.shape == (16, 3, 64, 64)


def test_bench_realesrgan_numpy_per_image(benchmark, batch: torch.Tensor) -> None:
    benchmark.group = GROUP
    data = batch.permute(0, 2, 3, 1).contiguous().numpy()
    seeds = iter(range(ROUNDS))
    out = benchmark.pedantic(lambda: numpy_per_image(data, next(seeds)), rounds=ROUNDS, iterations=1)
    assert out.shape == (16, 64, 64, 3)
