"""Training runs through ``srzoo.Trainer``: the options of a run, the timing of a few steps, one full run."""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

import srzoo
from srzoo.errors import SrzooError

from .models import Model
from .plan import REFERENCE_EPOCHS, Plan

TIMED_STEPS = 3
"""Steps timed per model to measure its per-step cost (the first, warm-up, is not counted)."""


CURVE_POINTS = 200
"""About this many logged rows per run (``log_every = steps // CURVE_POINTS``) for the loss curves."""


def precision(model: Model, args: argparse.Namespace) -> str:
    """The training precision of ``model``: ``--precision``, or with ``auto`` bf16 for Stage-GAN
    (2.6 s against 4.3 s a full-width ×8 step on a 2-core CPU) and fp32 for the
    small baselines, whose gains over bicubic are tenths of a dB or less."""
    if args.precision != "auto":
        return args.precision
    return "bf16" if model.stage1 else "fp32"


def trainer_options(model: Model, args: argparse.Namespace, out: Path, **extra: Any) -> dict[str, Any]:
    return {
        "device": args.device,
        "precision": precision(model, args),
        "val": "",
        "progress": sys.stderr.isatty(),
        "patch_size": model.patch_size,
        "batch_size": model.batch_size,
        "channels_last": args.channels_last,
        "overrides": model.overrides,
        **extra,
    }


def measure(model: Model, args: argparse.Namespace, scratch: Path) -> Plan:
    """Time a few steps of ``model`` with the engine (its ``step_time`` rows) and read its epoch length."""
    run = scratch / f"timing-{model.label}"
    trainer = srzoo.Trainer(
        model.recipe,
        data=args.data / "train",
        out=run,
        max_steps=TIMED_STEPS,
        log_every=1,
        keep=1,
        **trainer_options(model, args, run),
    )
    if trainer.fit().interrupted:  # Ctrl-C or a time limit's SIGINT: stop the whole script, not this run
        raise SrzooError(f"{model.label}: interrupted while timing its steps")
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line]
    times = [row["step_time"] for row in rows[1:]] or [rows[0]["step_time"]]
    shutil.rmtree(run, ignore_errors=True)
    return Plan(
        steps_per_epoch=trainer.steps_per_epoch,
        reference_steps=REFERENCE_EPOCHS * trainer.steps_per_epoch,
        batch_size=trainer.batch_size,
        patch_size=trainer.patch,
        step_seconds=statistics.median(times),
        device=str(trainer.device),
        precision=precision(model, args),
    )
