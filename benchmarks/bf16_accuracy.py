"""How far bf16 inference is from float32, on models with realistic BatchNorm statistics.

Untrained models with default-initialised BatchNorm give flat outputs (a Stage-GAN's std is 0.000),
which hides any numerical error. Here every model is seeded, its BatchNorm statistics are calibrated
(srzoo.inference.calibrate_batchnorm, momentum=None) on srzoo's own test charts degraded by bicubic,
and then ``optimize_for_inference(model, bf16=True)`` and the float32 fast path are compared with the
plain float32 model on the same charts: max and mean absolute error and PSNR of the difference on
[0, 1] outputs. Usage:

    OMP_NUM_THREADS=2 python benchmarks/bf16_accuracy.py [--device cpu|cuda] [--hr 256]
"""

from __future__ import annotations

import argparse
import math
import time

import torch

import srzoo
from srzoo.charts import CHARTS, make_chart
from srzoo.inference import calibrate_batchnorm, optimize_for_inference

MODELS: dict[str, tuple[str, dict]] = {
    "stagegan-x4 narrow (ngf 16)": (
        "stagegan-x4",
        {"sem": {"ngf": 16}, "s2": {"ngf": 16}, "sr": {"ngf": 16, "n_blocks": 3}},
    ),
    "stagegan-x4 full width": ("stagegan-x4", {}),
    "stagegan-x8 full width": ("stagegan-x8", {}),
    "lapsrn-x4": ("lapsrn-x4", {}),
    "srcnn-x4": ("srcnn-x4", {}),
}


def _compare(got: torch.Tensor, reference: torch.Tensor) -> dict[str, float]:
    diff = (got.float() - reference.float()).abs()
    mse = float(diff.pow(2).mean())
    return {
        "max": float(diff.max()),
        "mean": float(diff.mean()),
        "psnr": math.inf if mse == 0 else 10 * math.log10(1.0 / mse),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--hr", type=int, default=256, help="chart side in HR pixels")
    args = parser.parse_args()
    device = torch.device(args.device)
    charts = torch.stack([make_chart(name, args.hr) for name in CHARTS]).to(device)
    print(
        f"torch {torch.__version__}, {device}, {torch.get_num_threads()} threads, charts: {', '.join(CHARTS)}"
    )
    print(
        f"{'model':30} {'out std':>8} {'fp32 fast max':>14} {'bf16 max':>9} {'bf16 mean':>10} {'PSNR dB':>8} {'s':>6}"
    )
    for label, (recipe, overrides) in MODELS.items():
        start = time.perf_counter()
        torch.manual_seed(0)
        model = srzoo.build(recipe, **overrides).to(device)
        down = srzoo.create("degradation", "bicubic", scale=model.scale)
        lr = down(charts).clamp(0, 1)
        calibrate_batchnorm(model, [lr])
        model.eval()
        with torch.no_grad():
            reference = model(lr)
        fp32 = _compare(optimize_for_inference(model)(lr), reference)
        bf16 = _compare(optimize_for_inference(model, bf16=True)(lr), reference)
        seconds = time.perf_counter() - start
        print(
            f"{label:30} {float(reference.std()):8.3f} {fp32['max']:14.1e} {bf16['max']:9.1e} "
            f"{bf16['mean']:10.1e} {bf16['psnr']:8.1f} {seconds:6.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
