"""GPU benchmark of Stage-GAN training: images/s and achieved TFLOP/s of ``srzoo.Trainer``'s step.

Measures, in one run, on the recipe's full networks (``stagegan-x8`` by default, 256×256):

* ``plain-fp32-b1``: a plain eager fp32 loop of the same math at batch 1 (the reference);
* ``engine-fp32-b1``: the engine at batch 1, fp32;
* ``engine-bf16-cl-b1``: the engine at batch 1 with bf16 autocast + channels_last
  (``--compile`` adds ``torch.compile``; ``--compile-mode reduce-overhead`` uses CUDA graphs);
* ``engine-bf16-cl-b16``: the same at batch 16.

FLOPs per step are counted once per batch size with ``torch.utils.flop_counter.FlopCounterMode``
on the engine's own step (forward + backward of every network), so TFLOP/s = FLOPs / seconds.

    python benchmarks/gpu_train.py                       # on cuda
    python benchmarks/gpu_train.py --compile --compile-mode reduce-overhead
    python benchmarks/gpu_train.py --device cpu --quick  # a functional check without a GPU

``--quick`` shrinks the networks (widths 4) and the batch-16 case to batch 2, for CI on a CPU.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_step import _facades, _overrides


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _engine(recipe: str, root: Path, device: str, batch: int, precision: str, channels_last: bool, args):
    from srzoo.train import Trainer

    trainer = Trainer(
        recipe,
        data=root / "train",
        out=root / f"run-{time.monotonic_ns()}",
        max_steps=1,
        batch_size=batch,
        val="",
        device=device,
        precision=precision,
        channels_last=channels_last,
        compile=args.compile,
        compile_mode=args.compile_mode,
        progress=False,
        overrides=_overrides(args.width) if args.width != 64 else {},
    )
    cpu_batch = next(iter(trainer.loader))
    device_batch = trainer.batches(cpu_batch)
    phase = trainer.phases[0]
    trainer._set_phase_modes(phase)
    return trainer, (lambda: trainer.train_step(device_batch, phase))


def _plain(trainer, device: torch.device):
    """A plain eager fp32 loop over copies of the trainer's networks (see benchmarks/train_step.py)."""
    import copy

    import torch.nn.functional as F

    model = copy.deepcopy(trainer.model).train()
    up, g0, g1, g2 = (model.stages[n] for n in ("mr", "sem", "s2", "sr"))
    d0, d1, d2 = (copy.deepcopy(trainer.critics[n].network).train() for n in ("d0", "d1", "d2"))
    opt_g = torch.optim.Adam([*g0.parameters(), *g1.parameters(), *g2.parameters()], 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam([*d0.parameters(), *d1.parameters(), *d2.parameters()], 2e-4, betas=(0.5, 0.999))
    cpu = next(iter(trainer.loader))
    batch = trainer.batches(cpu)
    lr, hr, sem_gt = (batch[k].contiguous() * 2 - 1 for k in ("lr", "hr", "semantic"))

    def bce(x, real):
        return F.binary_cross_entropy_with_logits(x, torch.full_like(x, float(real)))

    def step():
        mr = up(lr)
        sem = g0(mr)
        s2 = g1(torch.cat([mr, sem], 1))
        sr = g2(s2)
        judged = [(d0, [mr], sem, sem_gt), (d1, [mr, sem.detach()], s2, hr), (d2, [s2.detach()], sr, hr)]
        for d, *_ in judged:
            d.requires_grad_(True)
        loss_d = sum(
            0.5 * (bce(d(torch.cat([*c, r], 1)), True) + bce(d(torch.cat([*c, f.detach()], 1)), False))
            for d, c, f, r in judged
        )
        loss_d.backward()
        opt_d.step()
        opt_d.zero_grad(set_to_none=True)
        for d, *_ in judged:
            d.requires_grad_(False)
        loss_g = sum(bce(d(torch.cat([*c, f], 1)), True) + 100 * F.l1_loss(f, r) for d, c, f, r in judged)
        loss_g.backward()
        opt_g.step()
        opt_g.zero_grad(set_to_none=True)

    return step


def _flops(step) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        step()
    return float(counter.get_total_flops())


def _time(step, device: torch.device, warmup: int, iters: int) -> float:
    for _ in range(warmup):
        step()
    _sync(device)
    start = time.perf_counter()
    for _ in range(iters):
        step()
    _sync(device)
    return (time.perf_counter() - start) / iters


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--recipe", default="stagegan-x8")
    parser.add_argument("--width", type=int, default=64, help="ngf/ndf of every network (64 = the paper)")
    parser.add_argument("--big-batch", type=int, default=16)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument(
        "--compile-mode", default="default", choices=("default", "reduce-overhead", "max-autotune")
    )
    parser.add_argument(
        "--quick", action="store_true", help="widths 4, batch 2, 2 iterations: a functional check"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.width, args.big_batch, args.iters, args.warmup = 4, 2, 2, 1
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = False  # the fp32 reference is true fp32
        torch.backends.cudnn.allow_tf32 = False
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _facades(root / "train", count=max(2, args.big_batch))
        cases = [
            ("plain-fp32-b1", 1, "fp32", False, True),
            ("engine-fp32-b1", 1, "fp32", False, False),
            ("engine-bf16-cl-b1", 1, "bf16", True, False),
            (f"engine-bf16-cl-b{args.big_batch}", args.big_batch, "bf16", True, False),
        ]
        flops: dict[int, float] = {}
        baseline = None
        for name, batch, precision, channels_last, plain in cases:
            torch.manual_seed(0)
            trainer, engine_step = _engine(
                args.recipe, root, args.device, batch, precision, channels_last, args
            )
            step = _plain(trainer, device) if plain else engine_step
            if batch not in flops:
                flops[batch] = _flops(_plain(trainer, device) if plain else engine_step)
            seconds = _time(step, device, args.warmup, args.iters)
            images = batch / seconds
            baseline = baseline or images
            row = {
                "case": name,
                "batch": batch,
                "seconds_per_step": seconds,
                "images_per_s": images,
                "gflop_per_step": flops[batch] / 1e9,
                "tflop_per_s": flops[batch] / seconds / 1e12,
                "speedup_vs_plain_fp32_b1": images / baseline,
                "peak_memory_gib": torch.cuda.max_memory_allocated(device) / 2**30
                if device.type == "cuda"
                else None,
            }
            results.append(row)
            print(json.dumps(row), flush=True)
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
    return results


if __name__ == "__main__":
    main()
