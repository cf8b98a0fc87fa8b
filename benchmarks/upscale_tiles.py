"""``srzoo upscale``'s default (automatic) tiling against the untiled fast path, in one run.

Each round runs, as separate processes (peak RSS from ``wait4``'s ``ru_maxrss``, wall time
including start-up, weight loading and PNG writing), in alternating order so that the load of
other processes hits both alike:

- ``default``: ``srzoo upscale IMAGE -m lapsrn-x4 --pretrained -o out.png`` (``--tile auto``);
- ``untiled``: the same with ``--tile 100000`` (one window: the whole image on the fast path).

Images: Set14's baboon (500×480 → 2000×1920) and a 4× larger one (1000×960, baboon mirrored
into a 2×2 mosaic). The untiled run of the larger image needs about 11 GB; it is skipped (and said
so) when less than 14 GB is available. Medians over the rounds and the ratios default / untiled
are printed. Targets (issue 20, item 7): time ≤ 1.3, peak memory ≤ 0.5.

The tile the default picks and the model's untiled forward alone (in-process, start-up excluded)
are printed once per image for reference.

Run: ``python benchmarks/upscale_tiles.py [--rounds 3] [--large-rounds N] [--model lapsrn-x4] [--image PATH]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from srzoo.imageio import read_image, write_image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measured_run import measured_run

BABOON = Path(__file__).resolve().parents[2] / "shared" / "data" / "set14" / "baboon.png"
UNTILED = "100000"


def _available_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 2**20
    return 0.0


_PROBE = """
import sys, time, torch
from srzoo.imageio import read_image
from srzoo.inference.loading import load_for_inference
from srzoo.inference.upscaling import auto_tile
loaded = load_for_inference(sys.argv[1], pretrained=True)
lr = read_image(sys.argv[2])[None]
tile = auto_tile(loaded.runner, torch.device("cpu"))
with torch.inference_mode():
    start = time.perf_counter()
    loaded.runner(lr)
    print(tile, time.perf_counter() - start)
"""


def _mosaic(image: torch.Tensor) -> torch.Tensor:
    """``(3, H, W)`` → ``(3, 2H, 2W)``: the image and its mirror images, seamless at the joins."""
    row = torch.cat([image, image.flip(-1)], dim=-1)
    return torch.cat([row, row.flip(-2)], dim=-2)


def compare(model: str, image: Path, rounds: int, folder: Path) -> None:
    lr = read_image(image)
    height, width = lr.shape[-2:]
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, model, str(image)], capture_output=True, text=True, check=True
    )
    tile, forward = probe.stdout.split()
    print(
        f"{image.name} {width}×{height}: automatic tile {tile}, untiled forward alone "
        f"{float(forward):.1f} s (in-process fast path)"
    )
    base = [sys.executable, "-m", "srzoo", "upscale", str(image), "-m", model, "--pretrained"]
    runs: dict[str, list[tuple[float, float]]] = {"default": [], "untiled": []}
    needed_gib = 11.0 * (width * height) / (1000 * 960) + 3.0
    if _available_gib() < needed_gib:
        print(f"  untiled skipped: needs about {needed_gib:.0f} GiB, {_available_gib():.1f} GiB available")
        del runs["untiled"]
    for index in range(rounds):
        order = list(runs) if index % 2 == 0 else list(reversed(runs))
        for kind in order:
            extra = [] if kind == "default" else ["--tile", UNTILED]
            seconds, mib = measured_run([*base, "-o", str(folder / f"{kind}.png"), *extra])
            runs[kind].append((seconds, mib))
            print(f"  round {index + 1} {kind}: {seconds:.1f} s, peak RSS {mib:.0f} MiB", flush=True)
    medians = {
        kind: (statistics.median(s for s, _ in values), statistics.median(m for _, m in values))
        for kind, values in runs.items()
    }
    for kind, (seconds, mib) in medians.items():
        print(f"  {kind}: median {seconds:.1f} s, peak RSS {mib:.0f} MiB over {rounds} round(s)")
    if "untiled" in medians:
        (ds, dm), (us, um) = medians["default"], medians["untiled"]
        levels = (read_image(folder / "default.png") - read_image(folder / "untiled.png")).abs() * 255
        print(
            f"  ratio default / untiled: time {ds / us:.2f} (target <= 1.3), peak memory {dm / um:.2f} "
            f"(target <= 0.5); the PNGs differ in {int((levels > 0.5).sum())} of {levels.numel()} values, "
            f"by at most {levels.max().round():.0f} 8-bit level(s) (float rounding)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--large-rounds", type=int, help="rounds on the 4x larger image (default: --rounds)")
    parser.add_argument("--model", default="lapsrn-x4")
    parser.add_argument("--image", type=Path, default=BABOON)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        large = write_image(_mosaic(read_image(args.image)), folder / f"{args.image.stem}-2x2.png")
        compare(args.model, args.image, args.rounds, folder)
        compare(args.model, large, args.large_rounds or args.rounds, folder)


if __name__ == "__main__":
    main()
