"""Benchmark: one Stage-GAN training step of ``srzoo.Trainer`` against a plain eager PyTorch loop of
the same math, in one run, on the CPU (fp32 and bf16 autocast).

The plain loop is what a user would write by hand: MR = bicubic(LR); 3 generator forwards; for each
of the 3 critics a forward on the real and on the detached fake with BCE-with-logits; one backward
and one Adam step for the critics; the generator loss (3 × (cGAN + 100 · L1)) through the frozen
critics; one backward and one Adam step for the generators. The engine runs the recipe's graph with
the same networks, losses and batch (``Trainer.train_step`` on a prepared device batch).

    python benchmarks/train_step.py                  # widths 16 (default), fp32 and bf16
    python benchmarks/train_step.py --width 64       # the paper's widths (~2 s per step here)
    python benchmarks/train_step.py --rounds 3 --width 4 --scale 4   # a quick smoke run
    python benchmarks/train_step.py --fast           # plain fp32 loop vs the engine's fast CPU settings
    python benchmarks/train_step.py --fast --profile --precision fp32   # where the engine's step goes

Rounds alternate between the two variants so that a busy machine slows both alike; the script prints
the median seconds per step of each and the ratio plain / engine (>= 1.0: the engine adds no overhead).

``--fast`` compares what a user writes by hand (the plain loop, fp32, contiguous tensors) with the
engine's fastest flags on this CPU: ``srzoo train --bf16 --channels-last`` where the CPU has native
bf16 (AVX512-BF16 / AMX), else ``--channels-last`` in fp32 (emulated bf16 is several times slower;
``srzoo train`` warns about it), plus ``torch.compile`` with ``--compile``. That ratio is the
speed-up the engine's flags buy on this CPU.

``--profile`` instead runs the engine alone under ``torch.profiler`` for ``--rounds`` steps and
prints the share of its CPU time in convolution forwards, convolution backwards (input and weight
gradients), BatchNorm, the optimisers and everything else: what any speed-up has to shrink.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def _facades(folder: Path, count: int = 2) -> Path:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(1, count + 1):
        pixels = rng.integers(0, 256, (256, 512, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{index}.jpg", quality=95)
    return folder


def _overrides(width: int) -> dict[str, int]:
    names = {"sem.ngf": width, "s2.ngf": width, "sr.ngf": width}
    names.update({"d0.ndf": width, "d1.ndf": width, "d2.ndf": width})
    return names


def _fast_precision() -> str:
    """The engine's precision under ``--fast``: bf16 only where the CPU computes it natively."""
    from srzoo.runtime.devices import cpu_bf16_is_native

    return "bf16" if cpu_bf16_is_native() else "fp32"


def prepared_engine(recipe: str, root: Path, **options: Any) -> tuple[Any, Any, Any]:
    """A ``Trainer`` of ``recipe`` on ``root/train`` (one step planned, no validation, no progress
    bar; ``options``: its other keyword arguments), one device batch and the phase to step it in,
    with the phase's train/eval modes set: ``trainer.train_step(batch, phase)`` is one step."""
    from srzoo.train import Trainer

    trainer = Trainer(
        recipe,
        data=root / "train",
        out=root / f"run-{time.monotonic_ns()}",
        max_steps=1,
        val="",
        progress=False,
        **options,
    )
    batch = trainer.batches(next(iter(trainer.loader)))
    phase = trainer.phases[0]
    trainer._set_phase_modes(phase)
    return trainer, batch, phase


def alternating_times(steps: Mapping[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Seconds of each of ``steps`` per round, after 2 warm-up calls each (allocator, oneDNN
    primitives); the order reverses every round so that a busy machine slows all alike."""
    for step in steps.values():
        step()
        step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    order = list(steps.items())
    for index in range(rounds):
        for name, step in order if index % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return times


def build(scale: int, width: int, precision: str, root: Path, *, fast: bool = False, compile: bool = False):
    """The engine (a Trainer), a plain loop over deep copies of its networks, and one device batch.

    ``precision`` is the plain loop's; the engine runs at the same precision, or with ``fast`` with
    channels-last networks and batches, in bf16 autocast where the CPU has native bf16 (else fp32),
    and ``torch.compile`` with ``compile``.
    """
    import copy

    trainer, batch, phase = prepared_engine(
        f"stagegan-x{scale}",
        root,
        precision=_fast_precision() if fast else precision,
        channels_last=fast,
        compile=compile,
        overrides=_overrides(width) if width != 64 else {},
    )

    contiguous = torch.contiguous_format  # the plain loop is what a user writes: default memory format
    model = copy.deepcopy(trainer.model).to(memory_format=contiguous).train()
    up = model.stages["mr"]
    g0, g1, g2 = model.stages["sem"], model.stages["s2"], model.stages["sr"]
    d0, d1, d2 = (
        copy.deepcopy(trainer.critics[n].network).to(memory_format=contiguous).train()
        for n in ("d0", "d1", "d2")
    )
    opt_g = torch.optim.Adam(
        [*g0.parameters(), *g1.parameters(), *g2.parameters()], lr=2e-4, betas=(0.5, 0.999)
    )
    opt_d = torch.optim.Adam(
        [*d0.parameters(), *d1.parameters(), *d2.parameters()], lr=2e-4, betas=(0.5, 0.999)
    )
    lr_img, hr, sem_gt = ((batch[k] * 2 - 1).contiguous() for k in ("lr", "hr", "semantic"))
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")

    def bce(logits: torch.Tensor, real: bool) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, float(real)))

    def plain_step() -> float:
        with autocast:
            mr = up(lr_img)
            sem = g0(mr)
            s2 = g1(torch.cat([mr, sem], 1))
            sr = g2(s2)
        judged = [
            (d0, [mr], sem, sem_gt),
            (d1, [mr, sem.detach()], s2, hr),
            (d2, [s2.detach()], sr, hr),
        ]
        for d, _, _, _ in judged:
            d.requires_grad_(True)
        with autocast:
            loss_d = sum(
                0.5
                * (bce(d(torch.cat([*c, real], 1)), True) + bce(d(torch.cat([*c, fake.detach()], 1)), False))
                for d, c, fake, real in judged
            )
        loss_d.backward()
        opt_d.step()
        opt_d.zero_grad(set_to_none=True)
        for d, _, _, _ in judged:
            d.requires_grad_(False)
        with autocast:
            loss_g = sum(
                bce(d(torch.cat([*c, fake], 1)), True) + 100 * F.l1_loss(fake.float(), real)
                for d, c, fake, real in judged
            )
        loss_g.backward()
        opt_g.step()
        opt_g.zero_grad(set_to_none=True)
        return float(loss_g.detach())

    def engine_step() -> float:
        record = trainer.train_step(batch, phase)
        return float(record["sr.l1"])

    return engine_step, plain_step


def measure(
    scale: int,
    width: int,
    precision: str,
    rounds: int,
    root: Path,
    *,
    fast: bool = False,
    compile: bool = False,
) -> dict[str, float | str]:
    engine, plain = build(scale, width, precision, root, fast=fast, compile=compile)
    times = alternating_times({"plain": plain, "engine": engine}, rounds)
    ratios = [p / e for p, e in zip(times["plain"], times["engine"], strict=True)]
    return {
        "precision": precision,
        "engine": (f"{_fast_precision()}+channels-last" + ("+compile" if compile else ""))
        if fast
        else precision,
        "width": width,
        "scale": scale,
        "engine_s": statistics.median(times["engine"]),
        "plain_s": statistics.median(times["plain"]),
        # the median of paired per-round ratios: robust to a machine whose load changes over the run
        "ratio_plain_over_engine": statistics.median(ratios),
    }


PROFILE_GROUPS = (
    ("convolution backward", lambda op: "convolution_backward" in op),
    ("convolution forward", lambda op: "convolution" in op),
    ("batch norm", lambda op: "batch_norm" in op),
    ("optimizer", lambda op: "adam" in op.lower() or op.startswith("Optimizer")),
)
"""Groups of profiled ops, first match wins; the rest is "other"."""


def profile(
    scale: int, width: int, precision: str, rounds: int, root: Path, *, fast: bool = False
) -> dict[str, float | str]:
    """Shares of the engine step's self CPU time by ``PROFILE_GROUPS`` over ``rounds`` steps."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    engine, _ = build(scale, width, precision, root, fast=fast)
    for _ in range(2):  # warm-up: allocator, oneDNN primitives
        engine()
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        for _ in range(rounds):
            engine()
        seconds = (time.perf_counter() - start) / rounds
    totals = dict.fromkeys([name for name, _ in PROFILE_GROUPS] + ["other"], 0.0)
    for event in prof.key_averages():
        group = next((name for name, match in PROFILE_GROUPS if match(event.key)), "other")
        totals[group] += event.self_cpu_time_total
    whole = sum(totals.values()) or 1.0
    result: dict[str, float | str] = {
        "engine": f"{_fast_precision()}+channels-last" if fast else precision,
        "width": width,
        "scale": scale,
        "engine_s_profiled": seconds,
    }
    result.update({f"share {name}": round(value / whole, 4) for name, value in totals.items()})
    return result


def main(argv: list[str] | None = None) -> list[dict[str, float | str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=16, help="ngf and ndf of every network (64 = the paper)")
    parser.add_argument("--scale", type=int, default=8, choices=(4, 8))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--precision", default="fp32,bf16", help="comma-separated: fp32, bf16")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    parser.add_argument(
        "--fast",
        action="store_true",
        help="engine with channels-last (and bf16 autocast where the CPU has native bf16) against the plain loop",
    )
    parser.add_argument(
        "--compile", action="store_true", help="with --fast: torch.compile the engine's networks"
    )
    parser.add_argument(
        "--profile", action="store_true", help="the engine's time by op group instead of the comparison"
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _facades(root / "train")
        for precision in args.precision.split(","):
            torch.manual_seed(0)
            if args.profile:
                result = profile(args.scale, args.width, precision, args.rounds, root, fast=args.fast)
            else:
                result = measure(
                    args.scale, args.width, precision, args.rounds, root, fast=args.fast, compile=args.compile
                )
            results.append(result)
            print(json.dumps(result))
    return results


if __name__ == "__main__":
    main()
