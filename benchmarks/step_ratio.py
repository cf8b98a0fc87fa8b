"""Benchmark: the training step of several recipes, in one run, as ratios to the first one's.

What the ``-small`` recipes promise (docs/stagegan.md): a batch-1 step at most 1/8 of the paper's
widths'. Each recipe's step is ``srzoo.Trainer.train_step`` on one prepared batch of 256×256
images; rounds alternate the order so that a busy machine slows all alike, and the script prints
the median seconds of each and ``first / this``.

    python benchmarks/step_ratio.py stagegan-x8 stagegan-x8-small --threads 2
    python benchmarks/step_ratio.py stagegan-x8 stagegan-x8-small \\
        --variant "stagegan-x8-small:sem.upsample=deconv,s2.upsample=deconv,sr.upsample=deconv"

``--variant RECIPE:KEY=VALUE,...`` adds a recipe with ``--set``-style overrides (values as TOML).
Runs in fp32 with channels-last, or bf16 autocast with ``--bf16`` (only worth it where the CPU
computes bf16 natively: ``srzoo train`` warns otherwise).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from train_step import _facades, alternating_times, prepared_engine


def _variant(spec: str) -> tuple[str, str, dict[str, object]]:
    """``RECIPE:KEY=VALUE,...`` → (label, recipe, overrides)."""
    recipe, _, settings = spec.partition(":")
    overrides = {}
    for setting in filter(None, settings.split(",")):
        key, _, value = setting.partition("=")
        try:
            overrides[key] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:  # a bare word: a string, as --set reads it
            overrides[key] = value
    return spec, recipe, overrides


def step_function(
    recipe: str, overrides: dict[str, object], root: Path, precision: str
) -> Callable[[], object]:
    """One training step of ``recipe`` (channels-last) on a prepared batch of ``root/train``'s images."""
    trainer, batch, phase = prepared_engine(
        recipe, root, precision=precision, channels_last=True, overrides=overrides
    )
    return lambda: trainer.train_step(batch, phase)


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipes", nargs="*", help="recipe names; the first is the reference")
    parser.add_argument("--variant", action="append", default=[], help="RECIPE:KEY=VALUE,... (repeatable)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast instead of fp32")
    args = parser.parse_args(argv)
    cases = [(name, name, {}) for name in args.recipes] + [_variant(spec) for spec in args.variant]
    if len(cases) < 2:
        parser.error("give at least two recipes or variants to compare")
    if args.threads:
        torch.set_num_threads(args.threads)
    precision = "bf16" if args.bf16 else "fp32"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _facades(root / "train")
        steps = {
            label: step_function(recipe, overrides, root, precision) for label, recipe, overrides in cases
        }
        times = alternating_times(steps, args.rounds)
    medians = {label: statistics.median(values) for label, values in times.items()}
    reference = next(iter(medians.values()))
    result = {
        label: {"step_s": seconds, "first_over_this": reference / seconds}
        for label, seconds in medians.items()
    }
    print(json.dumps({"precision": precision, "threads": torch.get_num_threads(), "steps": result}, indent=1))
    return result


if __name__ == "__main__":
    main()
