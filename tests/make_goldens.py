"""Goldens: what srzoo computes today, recorded so that a change meant to keep behaviour can prove it.

    python tests/make_goldens.py            # rewrite tests/fixtures/goldens.json
    python tests/make_goldens.py --check    # compare only (what tests/test_goldens.py does, all parts)

Recorded for every registered recipe: ``Recipe.to_dict()``, the state dict's keys and shapes, and
its output (untiled, tiled, and through ``srzoo.optimize_for_inference``) on a fixed seeded input
with weights drawn per state-dict key from seeded generators (so that the order in which a model is
built does not matter); then ``srzoo bench --format json`` scores on the charts, the bytes of PNGs
written by ``srzoo upscale``, and a seeded 3-step ``srzoo train`` of a narrow Stage-GAN (the losses
in ``metrics.jsonl`` and a summary of the trained weights). Only srzoo's public API and its command
line are used here, so the goldens hold however the package is arranged inside.

When regenerating is legitimate: only for a change that is MEANT to change one of these results
(a recipe's content, a network's architecture or initialisation, the bench protocol, the PNG
writer, the training step, a bug fix with a measured effect), in the same commit as that change,
whose message says which golden moved and why. Never to make a refactor pass: a golden that fails
after a change meant to keep behaviour shows that the change did not keep it. Float noise between
machines is absorbed by the tolerances in tests/test_goldens.py, not by regenerating.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

import srzoo

GOLDENS = Path(__file__).resolve().parent / "fixtures" / "goldens.json"

INPUT_SHAPE = (1, 3, 20, 24)
"""The fixed LR input: ``torch.rand`` from seed 0, ``(N, 3, h, w)`` in ``[0, 1]``."""

TILE_CORE = 12
"""Exact tiling: LR pixels each tile keeps (``tile = 2 r + TILE_CORE``), 2x2 tiles of the input."""

SAMPLES = 8
"""Output values recorded exactly per output, at positions drawn from seed 0."""

SMALL_PNG = "small.png"
"""A 40x48 RGB PNG drawn from seed 0 (see ``small_png``), the input of the learned upscales."""

UPSCALES = {
    "bicubic-x4": ["--model", "bicubic-x4", "chart:zone-plate"],
    "srcnn-x4-tiled": ["--model", "srcnn-x4", "--pretrained", "--tile", "16", SMALL_PNG],
    "lapsrn-x8": ["--model", "lapsrn-x8", "--pretrained", SMALL_PNG],
}
"""``srzoo upscale`` runs whose PNG bytes are recorded (shipped weights, so nothing random);
srcnn-x4 streams the PNG band by band from exact 16-pixel tiles."""

BENCH_METHODS = "bicubic-x4,srcnn-x8,lapsrn-x4"
"""``srzoo bench --pretrained`` on the charts: bicubic and srzoo's shipped weights, at both scales."""

NARROW_STAGEGAN = [
    *("sem.ngf=8", "s2.ngf=8", "sr.ngf=8", "sem.num_downs=5", "s2.num_downs=5"),
    *("input_multiple=8", "d0.ndf=8", "d1.ndf=8", "d2.ndf=8"),
]
"""docs/training.md's Stage-GAN that trains in seconds on a CPU."""

TRAIN_ARGS = ["stagegan-x4", "--max-steps", "3", "--patch-size", "64", "--batch-size", "2"]
TRAIN_ARGS += ["--log-every", "1", "--seed", "0", "--val", "", "--quiet"]
TRAIN_ARGS += [arg for value in NARROW_STAGEGAN for arg in ("--set", value)]

TIMING_KEYS = ("time", "seconds")
"""metrics.jsonl keys holding these words are wall-clock measurements, not results."""


# ------------------------------------------------------------------ recipes and outputs


def lr_input() -> torch.Tensor:
    return torch.rand(INPUT_SHAPE, generator=torch.Generator().manual_seed(0))


def structure(name: str) -> dict[str, Any]:
    """The state dict's keys and shapes: how many tensors, elements per stage, and a hash of the list."""
    with torch.device("meta"):  # shapes only: no memory, no initialisation
        state = srzoo.build(name).state_dict()
    listing = "".join(f"{key} {list(value.shape)} {value.dtype}\n" for key, value in state.items())
    per_stage: dict[str, int] = {}
    for key, value in state.items():
        stage = ".".join(key.split(".")[:2])
        per_stage[stage] = per_stage.get(stage, 0) + value.numel()
    return {
        "tensors": len(state),
        "elements": per_stage,
        "sha256": hashlib.sha256(listing.encode()).hexdigest(),
    }


def seeded_weights(model: torch.nn.Module) -> torch.nn.Module:
    """Give every parameter and BatchNorm statistic values from a generator seeded by its key.

    Weights ``N(0, 1/fan_in)`` (about unit-variance activations through deep nets), 1-D weights
    (norm scales, PReLU slopes) ``1 + N(0, 0.1²)``, biases and running means ``N(0, 0.1²)``,
    running variances ``U(0.5, 1.5)``; other buffers (fixed kernels, counters) keep their values.
    """
    state = model.state_dict()
    parameters = {name for name, _ in model.named_parameters()}
    for key, value in state.items():
        if not value.is_floating_point():
            continue
        generator = torch.Generator().manual_seed(zlib.crc32(key.encode()))
        noise = torch.randn(value.shape, generator=generator)
        if key.endswith("running_var"):
            state[key] = torch.rand(value.shape, generator=generator) + 0.5
        elif key.endswith("running_mean"):
            state[key] = 0.1 * noise
        elif key not in parameters:
            continue
        elif value.dim() >= 2:
            state[key] = noise / math.sqrt(value[0].numel())
        elif key.endswith("weight"):
            state[key] = 1.0 + 0.1 * noise
        else:
            state[key] = 0.1 * noise
    model.load_state_dict(state)
    return model


def summary(output: torch.Tensor) -> dict[str, Any]:
    """A compact fingerprint of an image batch: shape, per-channel mean, std and a few exact values."""
    flat = output.detach().double().flatten()
    positions = torch.randint(flat.numel(), (SAMPLES,), generator=torch.Generator().manual_seed(0))
    return {
        "shape": list(output.shape),
        "mean": output.double().mean(dim=(0, 2, 3)).tolist(),
        "std": output.double().std().item(),
        "samples": flat[positions].tolist(),
    }


def tile_for(model: srzoo.SRModel) -> int:
    """An LR tile giving 2x2 tiles of the input: exact tiles for a finite receptive field, else the
    cross-faded tiles of the smallest multiple (U-Nets need inputs larger than it to tile at all)."""
    radius = model.receptive_field
    return model.input_multiple if radius is None else 2 * radius + TILE_CORE


def tiled_input(model: srzoo.SRModel) -> torch.Tensor:
    """The fixed input, or for a U-Net graph one of 1.5 multiples a side (two overlapping tiles)."""
    if model.receptive_field is not None:
        return lr_input()
    side = model.input_multiple * 3 // 2
    return torch.rand(1, 3, side, side, generator=torch.Generator().manual_seed(0))


def graph_input(model: srzoo.SRModel) -> torch.Tensor:
    """For ``SRModel.run_graph``: the input's size rounded up to the multiple, in the recipe's value range."""
    multiple = model.input_multiple
    h, w = (-(-side // multiple) * multiple for side in INPUT_SHAPE[2:])
    low, high = model.recipe.value_range
    return low + (high - low) * torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(1))


def outputs(name: str) -> dict[str, Any]:
    """``name``'s outputs with seeded weights: untiled, tiled, the fast inference path, and the
    output node's raw values (``run_graph``: before the clamp to ``[0, 1]`` that random weights hit)."""
    model = seeded_weights(srzoo.build(name)).eval()
    with torch.no_grad():
        untiled = model(lr_input())
        tile = tile_for(model)
        tiled = model(tiled_input(model), tile=tile)
        fast = srzoo.optimize_for_inference(model)(lr_input())
        raw = model.run_graph(graph_input(model))[model.recipe.output]
    return {
        "untiled": summary(untiled),
        "tile": tile,
        "tiled": summary(tiled),
        "fast": summary(fast),
        "raw": summary(raw),
    }


def recipe_digest(name: str) -> str:
    """sha256 of ``Recipe.to_dict()`` as sorted JSON (the content itself is pinned, readable, in
    tests/fixtures/recipes_resolved.json; this pins what ``to_dict`` makes of it)."""
    text = json.dumps(srzoo.get_recipe(name).to_dict(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def builtin_recipes() -> list[str]:
    """The recipes srzoo ships (not those of other installed plugins)."""
    return [name for name in srzoo.list_models() if srzoo.describe("recipe", name).plugin == "recipes"]


def recipes() -> dict[str, Any]:
    return {
        name: {"to_dict_sha256": recipe_digest(name), "state_dict": structure(name)}
        for name in builtin_recipes()
    }


# ------------------------------------------------------------------ the command line


def srzoo_cli(*args: str, cwd: Path) -> str:
    """Run ``python -m srzoo ARGS`` in ``cwd`` on one thread; its stdout (fails loudly)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "srzoo", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise AssertionError(f"srzoo {' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def bench(work: Path) -> dict[str, Any]:
    """PSNR, SSIM and GSM per method of ``srzoo bench --pretrained --format json`` on the charts."""
    document = json.loads(
        srzoo_cli(
            *("bench", "--data", "charts", "--methods", BENCH_METHODS, "--pretrained"),
            *("--format", "json", "--device", "cpu"),
            cwd=work,
        )
    )
    scores = {}
    for result in document["results"]:
        key = f"{result['method']} {result['dataset']}"
        scores[key] = {metric: result[metric] for metric in ("images", "psnr", "ssim", "gsm")}
    return scores


def png_chunks(data: bytes) -> list[tuple[str, bytes]]:
    """A PNG's chunks as (type, payload), the image data chunks joined into one ``IDAT``."""
    chunks: list[tuple[str, bytes]] = []
    position = 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8].decode("ascii")
        payload = data[position + 8 : position + 8 + length]
        if kind == "IDAT" and chunks and chunks[-1][0] == "IDAT":
            chunks[-1] = ("IDAT", chunks[-1][1] + payload)
        else:
            chunks.append((kind, payload))
        position += 12 + length
    return chunks


def pixel_summary(pixels: np.ndarray) -> dict[str, Any]:
    """Shape, dtype, and per-channel sums and sums of squares of an ``(H, W, C)`` image."""
    wide = pixels.astype(np.int64).reshape(-1, pixels.shape[-1])
    return {
        "shape": list(pixels.shape),
        "dtype": str(pixels.dtype),
        "sum": wide.sum(axis=0).tolist(),
        "sum_sq": (wide * wide).sum(axis=0).tolist(),
    }


def png_record(data: bytes) -> dict[str, Any]:
    """The PNG's sha256, its chunks other than the pixels (exactly), and a pixel summary."""
    pixels = np.asarray(Image.open(io.BytesIO(data)))
    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "chunks": [[kind, payload.hex()] for kind, payload in png_chunks(data) if kind != "IDAT"],
        "pixels": pixel_summary(pixels),
    }


def small_png(work: Path) -> Path:
    """``work/small.png``: smooth random colours, 40x48, from seed 0."""
    coarse = np.random.default_rng(0).integers(0, 256, (5, 6, 3), dtype=np.uint8)
    path = work / SMALL_PNG
    Image.fromarray(coarse).resize((48, 40), Image.BICUBIC).save(path)
    return path


def upscale(name: str, work: Path) -> bytes:
    small_png(work)
    out = work / f"{name}.png"
    srzoo_cli("upscale", *UPSCALES[name], "--out", str(out), "--device", "cpu", cwd=work)
    return out.read_bytes()


def facades(root: Path) -> Path:
    """Four 512x256 pix2pix-layout JPEGs (photo | blocky label map) in ``root/train``, from seed 0."""
    rng = np.random.default_rng(0)
    (root / "train").mkdir(parents=True, exist_ok=True)
    for index in range(1, 5):
        coarse = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
        photo = np.asarray(Image.fromarray(coarse).resize((256, 256), Image.BICUBIC))
        label = np.asarray(Image.fromarray(coarse // 64 * 64).resize((256, 256), Image.NEAREST))
        Image.fromarray(np.concatenate([photo, label], axis=1)).save(
            root / "train" / f"{index}.jpg", quality=95
        )
    return root / "train"


def weights_summary(path: Path) -> dict[str, Any]:
    """Per network (first two key parts): tensors, sum and sum of squares of the trained weights."""
    from safetensors.torch import load_file

    networks: dict[str, list[float]] = {}
    for key, value in sorted(load_file(path).items()):
        row = networks.setdefault(".".join(key.split(".")[:2]), [0, 0.0, 0.0])
        row[0] += 1
        row[1] += value.double().sum().item()
        row[2] += value.double().square().sum().item()
    return {network: {"tensors": n, "sum": s, "sum_sq": q} for network, (n, s, q) in networks.items()}


def train(work: Path) -> dict[str, Any]:
    """Losses per step (every metrics.jsonl value but timings) and the trained weights' summary."""
    data = facades(work / "facades")
    run = work / "run"
    srzoo_cli("train", *TRAIN_ARGS, "--data", str(data), "--out", str(run), "--device", "cpu", cwd=work)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line]
    losses = [
        {key: value for key, value in row.items() if not any(word in key for word in TIMING_KEYS)}
        for row in rows
    ]
    return {"metrics": losses, "weights": weights_summary(run / "model.safetensors")}


# ------------------------------------------------------------------ all of it


def record() -> dict[str, Any]:
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory(prefix="srzoo-goldens-") as folder:
        work = Path(folder)
        return {
            "input_shape": list(INPUT_SHAPE),
            "recipes": recipes(),
            "outputs": {name: outputs(name) for name in builtin_recipes()},
            "bench": bench(work),
            "upscale": {name: png_record(upscale(name, work)) for name in UPSCALES},
            "train": {"args": TRAIN_ARGS, **train(work)},
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="run tests/test_goldens.py, all parts")
    args = parser.parse_args(argv)
    if args.check:
        test = Path(__file__).with_name("test_goldens.py")
        return subprocess.call([sys.executable, "-m", "pytest", "-q", "-m", "slow or not slow", str(test)])
    torch.set_num_threads(1)
    goldens = record()
    GOLDENS.write_text(json.dumps(goldens, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {GOLDENS} ({GOLDENS.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
