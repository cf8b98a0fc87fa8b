"""GPU timings of srzoo's hot paths (run by benchmarks/gpu_checks.sh on a CUDA machine).

Each line compares two things measured in the same run; times are medians of CUDA-synchronised
wall-clock runs after warm-up.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

import srzoo
from srzoo.inference import optimize_for_inference


def median_ms(fn: Callable[[], object], repeats: int = 20, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main() -> None:
    device = torch.device("cuda")
    torch.manual_seed(0)
    hr = torch.rand(16, 3, 256, 256, device=device)
    with torch.inference_mode():
        for scale in (4, 8):
            down = srzoo.create("degradation", "bicubic", scale=scale)
            ours = median_ms(lambda: down(hr))
            size = (256 // scale, 256 // scale)
            theirs = median_ms(
                lambda: F.interpolate(hr, size=size, mode="bicubic", antialias=True, align_corners=False)
            )
            cpu = down(hr.cpu())
            err = (down(hr).cpu() - cpu).abs().max().item()
            print(
                f"bicubic x{scale} down 16x3x256x256: srzoo {ours:.3f} ms, F.interpolate(antialias) {theirs:.3f} ms, "
                f"ratio {theirs / ours:.2f}x; max |cuda - cpu| {err:.2e}"
            )
        sr = (hr + 0.05 * torch.randn_like(hr)).clamp(0, 1)
        for name in ("psnr", "ssim", "gsm"):
            metric = srzoo.create("metric", name, scale=4)
            gpu_ms = median_ms(lambda: metric(sr, hr))
            start = time.perf_counter()
            cpu_value = metric(sr.cpu(), hr.cpu())
            cpu_ms = (time.perf_counter() - start) * 1e3
            diff = (metric(sr, hr).cpu() - cpu_value).abs().max().item()
            print(
                f"{name} on 16 pairs 256x256: cuda {gpu_ms:.2f} ms, cpu (one run) {cpu_ms:.1f} ms; max |cuda - cpu| {diff:.2e}"
            )

    for recipe, side in (("stagegan-x8", 32), ("stagegan-x4", 64)):
        model = srzoo.build(recipe).to(device)
        for batch in (1, 16):
            lr = torch.rand(batch, 3, side, side, device=device)
            with torch.inference_mode():
                plain = median_ms(lambda: model(lr), repeats=10)
                reference = model(lr)
            fast32 = optimize_for_inference(model)
            fast16 = optimize_for_inference(model, bf16=True)
            t32 = median_ms(lambda: fast32(lr), repeats=10)
            t16 = median_ms(lambda: fast16(lr), repeats=10)
            e32 = (fast32(lr) - reference).abs().max().item()
            e16 = (fast16(lr) - reference).abs().max().item()
            print(
                f"{recipe} {batch}x3x{side}x{side} on cuda: eager fp32 {plain:.2f} ms, fast fp32 {t32:.2f} ms "
                f"({plain / t32:.2f}x, max|d| {e32:.1e}), fast bf16 {t16:.2f} ms ({plain / t16:.2f}x, max|d| {e16:.1e})"
            )


if __name__ == "__main__":
    main()
