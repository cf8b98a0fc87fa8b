"""Benchmarks of ``srzoo upscale`` and ``srzoo bench``, each comparing two things in one run.

1. ``memory``: peak RSS of ``srzoo upscale`` (a separate process each, measured by ``wait4``) for
   a 2000×2000 and a 500×500 input with LapSRN ×4 (random weights, ``--allow-untrained``; the
   default automatic tile). Target: ratio ≤ 1.25 (the output is streamed band by band).
2. ``fast``: forward time of the fast path (``optimize_for_inference``) against the plain model.
3. ``overhead``: ``srzoo.bench``'s reported ms/image against timing the same model on the same LR
   images in a bare loop. Target: ratio ≤ 1.05.

Run: ``python benchmarks/upscale_and_bench.py [fast] [overhead] [memory] [memory:TILE]`` (all by
default; ``memory:128`` uses ``--tile 128``).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

import srzoo
from srzoo.imageio import write_image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measured_run import measured_run


def _smooth_image(side: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    small = torch.rand(1, 3, max(2, side // 16), max(2, side // 16), generator=generator)
    return torch.nn.functional.interpolate(small, size=(side, side), mode="bicubic")[0].clamp(0, 1)


def memory(model: str = "lapsrn-x4", tile: str = "auto") -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        peaks = {}
        for side in (500, 2000):
            source = write_image(_smooth_image(side), root / f"in{side}.png")
            argv = [sys.executable, "-m", "srzoo", "upscale", str(source), "-m", model, "--allow-untrained"]
            argv += ["-o", str(root / f"out{side}.png"), "--tile", tile]
            seconds, peaks[side] = measured_run(argv)
            print(
                f"memory: {model} {side}x{side} -> x4, tile {tile}: peak RSS {peaks[side]:.0f} MiB in {seconds:.0f} s"
            )
        print(f"memory: tile {tile}: peak RSS 2000² / 500² = {peaks[2000] / peaks[500]:.3f} (target <= 1.25)")


def _median_ms(function, x: torch.Tensor, repeats: int = 5) -> float:
    function(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(x)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def fast(models: tuple[str, ...] = ("lapsrn-x4", "srcnn-x4", "srresnet-x4"), side: int = 96) -> None:
    lr = torch.rand(1, 3, side, side)
    for name in models:
        plain = srzoo.build(name)
        quick = srzoo.optimize_for_inference(plain)
        with torch.inference_mode():
            plain_ms = _median_ms(plain, lr)
            fast_ms = _median_ms(quick, lr)
        print(
            f"fast: {name} {side}x{side}: plain {plain_ms:.1f} ms, fast {fast_ms:.1f} ms, {plain_ms / fast_ms:.2f}x"
        )


def overhead(name: str = "lapsrn-x4", rounds: int = 3) -> None:
    """Alternate bench runs and bare loops (so that load changes hit both) and compare medians."""
    from srzoo.bench.data import resolve_data
    from srzoo.bench.distributed import Shard
    from srzoo.bench.runner import _make_inputs

    bench_ms, bare_ms, walls = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        weights = srzoo.save_weights(srzoo.build(name), Path(folder) / "w.safetensors")
        model = srzoo.optimize_for_inference(srzoo.build(name, weights=weights))
        inputs = _make_inputs(resolve_data("charts:128"), model.scale, None, None, Shard())
        for _ in range(rounds):
            start = time.perf_counter()
            [result] = srzoo.bench([name], ["charts:128"], weights={name: weights})
            walls.append(time.perf_counter() - start)
            bench_ms.append(result.ms_per_image)
            times = []
            with torch.inference_mode():
                model(inputs.lrs[0][None])
                for lr in inputs.lrs:
                    begin = time.perf_counter()
                    model(lr[None])
                    times.append((time.perf_counter() - begin) * 1e3)
            bare_ms.append(statistics.median(times))
    reported, bare = statistics.median(bench_ms), statistics.median(bare_ms)
    print(
        f"overhead: {name} on 5 charts (128x128 HR): bench reports {reported:.1f} ms/image, bare loop "
        f"{bare:.1f} ms/image (medians of {rounds} alternating rounds), ratio {reported / bare:.3f} "
        f"(target <= 1.05); a whole bench call takes {statistics.median(walls):.1f} s incl. scoring and set-up"
    )


if __name__ == "__main__":
    chosen = sys.argv[1:] or ["fast", "overhead", "memory", "memory:128"]
    for part in chosen:
        name, _, tile = part.partition(":")
        if name == "memory":
            memory(tile=tile or "auto")
        else:
            {"fast": fast, "overhead": overhead}[name]()
