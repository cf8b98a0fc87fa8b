"""Reproduce the Stage-GAN paper's comparison on CMP Facades (§3.2–3.3, Fig. 6–12) in one script.

Trains Stage-GAN ×4 and ×8, their ``-nosem`` ablations, SRCNN and LapSRN (×4, ×8) and SRGAN ×4 on
Facades ``train/`` through ``srzoo.train``, with the paper's hyper-parameters scaled to a time budget;
benches every trained method and bicubic-x4/x8 on ``test/`` through ``srzoo.bench`` (the protocol of
``srzoo bench``: PSNR/SSIM on rounded Y, GSM, the border shaved by the scale); writes at most eight
files into ``--out`` and a verdict per claim. See docs/reproduction.md.

    python benchmarks/reproduce_paper.py --data facades/ --out docs/reproduction --budget-minutes 120
    python benchmarks/reproduce_paper.py --data facades/ --out /tmp/smoke --smoke

The budget: each model's per-step cost ``c_m`` is measured with a few timed steps (the engine's own
``step_time``), and the training budget is split into equal shares of time: every model trains for
the same wall time, capped at its reference schedule ``S_m`` (the paper's 200 epochs), the time
freed by a capped model going to the others (``Σ min(T, c_m · S_m) = budget``). A run that is at
least two epochs long is given in epochs, and the recipe's learning-rate schedule (Stage-GAN's 100
constant + 100 linearly decaying epochs, LapSRN's halving every 50) is compressed by the same
factor; a shorter one is given in steps with the schedule left as it is.

The baselines keep their papers' losses, patch sizes and (except LapSRN's) batch sizes, but train
with Adam: their papers' SGD learning rates (1e-4 and 1e-5) are tuned for 10^5–10^7 iterations, and
a 200-epoch schedule on 400 images is a few hundred; each such departure is stated in the table.
``--runs DIR`` keeps every run folder (recipe, weights, metrics) and reuses the finished ones, so an
interrupted reproduction continues where it stopped.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

import srzoo
from srzoo.bench import BenchResult
from srzoo.bench.figures import write_figures
from srzoo.bench.protocol import matlab_rounding
from srzoo.errors import InputError, SrzooError
from srzoo.train.rundir import dumps_toml

DEFAULT_BUDGET_MINUTES = 120.0

REFERENCE_EPOCHS = 200
"""The paper's Facades schedule (§3.1: 100 epochs at lr 2e-4, 100 decaying linearly to 0).

The baselines' own papers train on other sets and give no Facades schedule; they get the same 200
epochs over the same 400 images, at their own papers' batch size, patch size, optimiser and lr.
"""

INCONCLUSIVE_FRACTION = 0.10
"""Below this fraction of the reference schedule, a claim's verdict is "inconclusive"."""

NOISE_SIGMAS = 2.0
"""A difference within this many standard errors of the per-image paired differences is noise."""

TIMED_STEPS = 3
"""Steps timed per model to measure its per-step cost (the first, warm-up, is not counted)."""

CURVE_POINTS = 200
"""About this many logged rows per run (``log_every = steps // CURVE_POINTS``) for the loss curves."""

SMOKE_STEPS = 3
SMOKE_TEST_IMAGES = 2
SMOKE_BATCH = 2
SMOKE_STAGEGAN = {
    "sem.ngf": 8,
    "s2.ngf": 8,
    "sr.ngf": 8,
    "sr.n_blocks": 2,
    "sem.num_downs": 5,
    "s2.num_downs": 5,
    "input_multiple": 8,
    "d0.ndf": 8,
    "d1.ndf": 8,
    "d2.ndf": 8,
}


@dataclasses.dataclass(frozen=True)
class Model:
    """One trained method: the recipe, its overrides and the options that make its run.

    Attributes:
        label: the name in the table (the recipe's name, with the variant).
        recipe: the registered recipe.
        overrides: recipe overrides (widths for ``--smoke``, the SRGAN-MSE content loss, VGG19 path).
        note: what the table says about a departure from the paper.
        stage1: also bench the Stage-1 output (node ``s2``).
        patch_size: HR crop side (``None``: the recipe's).
        batch_size: images per step (``None``: the recipe's, i.e. its paper's).
        init_from: the label of an earlier model whose weights this one starts from (SRGAN from SRResNet).
    """

    label: str
    recipe: str
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    note: str = ""
    stage1: bool = False
    patch_size: int | None = None
    batch_size: int | None = None
    init_from: str | None = None


SRCNN_TRAINING = {
    "train.optimizer.name": "adam",
    "train.optimizer.lr": 1e-3,
    "train.schedule.name": "step",
    "train.schedule.step_epochs": 150,
    "train.schedule.gamma": 0.1,
}
"""SRCNN's departure: Adam at 1e-3, divided by 10 after 150 of the 200 epochs (paper: SGD at 1e-4)."""

LAPSRN_TRAINING = {"train.optimizer.name": "adam", "train.optimizer.lr": 1e-4}
"""LapSRN's departure: Adam at 1e-4 (paper: SGD at 1e-5), halved every 50 epochs as in the paper."""

LAPSRN_BATCH = 4
"""LapSRN's batch (paper: 64 patches of 128², 13.5 s a step on a 2-core CPU; the patch size is kept)."""

SRCNN_BATCH = 32
"""SRCNN's batch (paper: 128): 13 steps an epoch instead of 3, since at 128 its 600 steps of the
200 epochs left it 0.02 dB below bicubic on Facades ×4 (30 test images, measured)."""


def models(smoke: bool, vgg19: Path | None) -> list[Model]:
    """The methods of the paper's comparison, in training order: the cheap baselines first."""
    sg = SMOKE_STAGEGAN if smoke else {}
    nosem = {k: v for k, v in sg.items() if not k.startswith(("sem.", "d0."))}
    patch = 64 if smoke else None
    tiny_srcnn = {"sr.filters": [8, 4]} if smoke else {}
    tiny_lapsrn = {"sr.depth": 2, "sr.features": 8} if smoke else {}
    tiny_srresnet = {"sr.num_blocks": 2, "sr.features": 8} if smoke else {}
    tiny_srgan = {**tiny_srresnet, "train.critics.d.args.features": 8} if smoke else {}
    srgan_label, srgan_note, srgan_losses = _srgan_losses(vgg19)
    out: list[Model] = []
    for scale in (4, 8):
        out.append(
            Model(
                f"srcnn-x{scale}",
                f"srcnn-x{scale}",
                {**tiny_srcnn, **SRCNN_TRAINING},
                f"Adam 1e-3, ÷10 after 150 epochs, batch {SRCNN_BATCH} (paper: SGD 1e-4, batch 128)",
                batch_size=SRCNN_BATCH,
            )
        )
    for scale in (4, 8):
        out.append(
            Model(
                f"lapsrn-x{scale}",
                f"lapsrn-x{scale}",
                {**tiny_lapsrn, **LAPSRN_TRAINING},
                f"Adam 1e-4 (paper: SGD 1e-5), batch {LAPSRN_BATCH} (paper: 64)",
                patch_size=patch,
                batch_size=LAPSRN_BATCH,
            )
        )
    out.append(Model("srresnet-x4", "srresnet-x4", dict(tiny_srresnet), "MSE; SRGAN starts from it"))
    srgan_overrides = {**tiny_srgan, "train.losses": srgan_losses}
    out.append(Model(srgan_label, "srgan-x4", srgan_overrides, srgan_note, init_from="srresnet-x4"))
    for scale in (4, 8):
        out.append(Model(f"stagegan-x{scale}", f"stagegan-x{scale}", dict(sg), stage1=True, patch_size=patch))
        out.append(
            Model(
                f"stagegan-x{scale}-nosem",
                f"stagegan-x{scale}-nosem",
                dict(nosem),
                "ablation: no semantic maps (Fig. 6/7)",
                stage1=True,
                patch_size=patch,
            )
        )
    if smoke:
        out = [dataclasses.replace(m, batch_size=SMOKE_BATCH) for m in out]
    return out


def _srgan_losses(vgg19: Path | None) -> tuple[str, str, list[dict[str, Any]]]:
    """SRGAN's loss terms: VGG54 with local VGG19 weights, else the SRGAN paper's SRGAN-MSE."""
    losses = srzoo.get_recipe("srgan-x4").to_dict()["train"]["losses"]
    terms = []
    for term in losses:
        term = dict(term)
        if term.get("loss") == "perceptual":
            if vgg19 is not None:
                term["args"] = {**term.get("args", {}), "weights": str(vgg19)}
            else:
                term = {"loss": "mse", "node": term["node"], "target": term["target"], "weight": 1.0}
        terms.append(term)
    if vgg19 is not None:
        return "srgan-x4", f"VGG54 perceptual loss ({vgg19.name}); from srresnet-x4", terms
    note = "SRGAN-MSE: MSE content loss + 1e-3 adversarial (no VGG19 weights given); from srresnet-x4"
    return "srgan-x4-mse", note, terms


# --------------------------------------------------------------------------- schedule


@dataclasses.dataclass
class Plan:
    """The schedule one model actually runs (recorded in the table)."""

    steps_per_epoch: int
    reference_steps: int
    batch_size: int
    patch_size: int | None
    step_seconds: float
    fraction: float = 1.0
    steps: int = 0
    epochs: float = 0.0
    lr_scale: float = 1.0
    schedule_epochs_scale: float = 1.0
    wall_seconds: float = 0.0
    device: str = ""
    precision: str = "fp32"
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    """The model's recipe overrides the run used (a finished run is reused only with the same)."""

    @property
    def reduced(self) -> bool:
        return self.steps < self.reference_steps

    def as_dict(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "epochs": round(self.epochs, 3),
            "reference_epochs": REFERENCE_EPOCHS,
            "reference_steps": self.reference_steps,
            "fraction_of_reference": round(self.steps / self.reference_steps, 5),
            "batch_size": self.batch_size,
            "patch_size": self.patch_size,
            "lr_scale": self.lr_scale,
            "lr_schedule_epochs_scale": round(self.schedule_epochs_scale, 5),
            "measured_step_seconds": round(self.step_seconds, 4),
            "wall_seconds": round(self.wall_seconds, 1),
            "device": self.device,
            "precision": self.precision,
            "reduced": self.reduced,
        }


PLAN_FILE = "plan.json"
"""Written into a run folder when its training has finished: the schedule it ran (a ``Plan``)."""


def finished_plan(run: Path, model: Model) -> Plan | None:
    """The plan of ``model``'s finished run kept in ``run`` by an earlier ``--runs`` attempt with the
    same recipe overrides (a ``--smoke`` run is not reused by a full one), else ``None``."""
    try:
        data = json.loads((run / PLAN_FILE).read_text())
    except (OSError, ValueError):
        return None
    if not (run / "model.safetensors").is_file() or not isinstance(data, dict):
        return None
    try:
        plan = Plan(**data)
    except TypeError:  # written by another version of this script
        return None
    return plan if plan.overrides == _as_json(model.overrides) else None


def _as_json(overrides: dict[str, Any]) -> dict[str, Any]:
    """``overrides`` as they read back from ``plan.json`` (tuples become lists)."""
    return json.loads(json.dumps(overrides))


def precision(model: Model, args: argparse.Namespace) -> str:
    """The training precision of ``model``: ``--precision``, or with ``auto`` bf16 for Stage-GAN
    (2.6 s against 4.3 s a full-width ×8 step on a 2-core CPU) and fp32 for the
    small baselines, whose gains over bicubic are tenths of a dB or less."""
    if args.precision != "auto":
        return args.precision
    return "bf16" if model.stage1 else "fp32"


def _options(model: Model, args: argparse.Namespace, out: Path, **extra: Any) -> dict[str, Any]:
    return {
        "device": args.device,
        "precision": precision(model, args),
        "val": "",
        "progress": sys.stderr.isatty(),
        "patch_size": model.patch_size,
        "batch_size": model.batch_size,
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
        **_options(model, args, run),
    )
    trainer.fit()
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


def allocate(plans: Sequence[Plan], budget_seconds: float) -> None:
    """Split the budget into equal shares of training time, each capped at the model's reference schedule.

    The common time ``T`` solves ``Σ min(T, c_m · S_m) = budget``: a model whose whole reference
    schedule ``S_m`` costs less than ``T`` (a cheap baseline) runs all of it and the time it leaves
    goes to the others, which run ``T / c_m`` steps. Sets each plan's ``steps``, ``epochs`` and
    ``fraction``.
    """
    remaining = budget_seconds
    open_plans = sorted(plans, key=lambda p: p.step_seconds * p.reference_steps)
    share = math.inf
    while open_plans:
        share = remaining / len(open_plans)
        cheapest = open_plans[0]
        if share < cheapest.step_seconds * cheapest.reference_steps:
            break
        remaining -= cheapest.step_seconds * cheapest.reference_steps
        open_plans.pop(0)
    still_open = {id(p) for p in open_plans}
    for p in plans:
        steps = p.reference_steps
        if id(p) in still_open and p.step_seconds > 0:
            steps = min(steps, int(share / p.step_seconds))
        p.steps = max(1, steps)
        p.fraction = p.steps / p.reference_steps
        p.epochs = p.steps / p.steps_per_epoch


def _length(model: Model, plan: Plan) -> tuple[dict[str, Any], dict[str, Any]]:
    """Trainer options and schedule overrides for ``plan`` (epochs when at least two, else steps)."""
    recipe = srzoo.get_recipe(model.recipe).with_overrides(model.overrides)
    assert recipe.train is not None
    if plan.steps >= 2 * plan.steps_per_epoch:
        epochs = plan.steps // plan.steps_per_epoch
        plan.steps = epochs * plan.steps_per_epoch
        plan.epochs = float(epochs)
        plan.schedule_epochs_scale = epochs / REFERENCE_EPOCHS
        overrides: dict[str, Any] = {}
        schedule = recipe.train.schedule
        if schedule is not None and schedule.name == "linear-decay":
            constant = max(1, round(schedule.constant_epochs * plan.schedule_epochs_scale))
            overrides["train.schedule.constant_epochs"] = min(constant, epochs - 1)
            overrides["train.schedule.decay_epochs"] = max(
                1, epochs - overrides["train.schedule.constant_epochs"]
            )
        elif schedule is not None and schedule.name == "step":
            overrides["train.schedule.step_epochs"] = max(
                1, round(schedule.step_epochs * plan.schedule_epochs_scale)
            )
        return {"epochs": epochs}, overrides
    plan.schedule_epochs_scale = 1.0
    return {"max_steps": plan.steps}, {}


# --------------------------------------------------------------------------- benchmark


def _stage1_method(run: Path, scratch: Path) -> tuple[Path, Path]:
    """A recipe and weights whose output is the run's Stage-1 image (node ``s2``).

    The refiner node ``sr`` is dropped and ``s2`` renamed to ``sr`` (the output's name), in the
    recipe and in the weights' keys; the ``[train]`` table is not needed to upscale.
    """
    from safetensors.torch import load_file, save_file

    data = tomllib.loads((run / "recipe.toml").read_text())
    data.pop("train", None)
    data["name"] = f"{data['name']}-stage1"
    nodes = [dict(n) for n in data["nodes"] if n["name"] != "sr"]
    for node in nodes:
        if node["name"] == "s2":
            node["name"] = "sr"
    data["nodes"] = nodes
    recipe = scratch / f"{run.name}-stage1.toml"
    recipe.write_text(dumps_toml(data))
    state = load_file(run / "model.safetensors")
    renamed = {}
    for key, value in state.items():
        if key.startswith("stages.sr."):
            continue
        renamed[key.replace("stages.s2.", "stages.sr.", 1)] = value
    weights = scratch / f"{run.name}-stage1.safetensors"
    save_file(renamed, weights)
    return recipe, weights


def bench_all(
    trained: dict[str, tuple[Model, Path]], args: argparse.Namespace, scratch: Path, limit: int | None
) -> list[BenchResult]:
    """Bench bicubic-x4/x8, every trained model and the Stage-1 outputs, relabelled for the table."""
    methods: list[str] = ["bicubic-x4", "bicubic-x8"]
    weights: dict[str, Path] = {}
    labels = {"bicubic-x4": "bicubic-x4", "bicubic-x8": "bicubic-x8"}
    for label, (model, run) in trained.items():
        recipe = str(run / "recipe.toml")
        methods.append(recipe)
        weights[recipe] = run / "model.safetensors"
        labels[recipe] = label
        if model.stage1:
            stage1_recipe, stage1_weights = _stage1_method(run, scratch)
            stage1 = str(stage1_recipe)
            methods.append(stage1)
            weights[stage1] = stage1_weights
            labels[stage1] = f"{label} (Stage-1)"
    results = srzoo.bench(
        methods,
        [f"{args.data}:test"],
        weights=weights,
        limit=limit,
        keep_images=True,
        device=args.bench_device,
    )
    return [dataclasses.replace(r, method=labels[r.method]) for r in results]


# --------------------------------------------------------------------------- verdicts


def _paired(a: BenchResult, b: BenchResult, metric: str) -> tuple[float, float]:
    """Mean of ``a - b`` over images and its standard error."""
    diffs = [x.scores[metric] - y.scores[metric] for x, y in zip(a.per_image, b.per_image, strict=True)]
    mean = statistics.fmean(diffs)
    se = statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else math.inf
    return mean, se


def verdicts(results: dict[str, BenchResult], plans: dict[str, Plan]) -> list[dict[str, Any]]:
    """One verdict per claim of §3.2–3.3 from the measured numbers (held / not held / inconclusive).

    A comparison ``a > b`` on a metric holds when the mean paired difference exceeds
    ``NOISE_SIGMAS`` standard errors, fails when it is below minus that, and is noise otherwise. A
    claim is inconclusive when any model it involves ran under ``INCONCLUSIVE_FRACTION`` of its
    reference schedule or any of its comparisons is within noise.
    """
    srgan = "srgan-x4" if "srgan-x4" in results else "srgan-x4-mse"
    claims = [
        (
            "×8: Stage-GAN has higher GSM than SRCNN and LapSRN (Fig. 10/12)",
            [("stagegan-x8", "srcnn-x8", "gsm"), ("stagegan-x8", "lapsrn-x8", "gsm")],
        ),
        (
            f"×4: Stage-GAN beats SRGAN ({srgan}) in PSNR and SSIM",
            [("stagegan-x4", srgan, "psnr"), ("stagegan-x4", srgan, "ssim")],
        ),
        (
            "Stage-1 with semantic maps beats Stage-1 without (Fig. 6/7; PSNR and SSIM of the Stage-1 image)",
            [
                (f"stagegan-x{s} (Stage-1)", f"stagegan-x{s}-nosem (Stage-1)", m)
                for s in (4, 8)
                for m in ("psnr", "ssim")
            ],
        ),
        (
            "Stage-2 sharpens Stage-1 (Fig. 8/9; GSM of Stage-2 over Stage-1)",
            [(f"stagegan-x{s}", f"stagegan-x{s} (Stage-1)", "gsm") for s in (4, 8)],
        ),
    ]
    out = []
    for claim, comparisons in claims:
        rows = []
        outcomes = []
        for a, b, metric in comparisons:
            mean, se = _paired(results[a], results[b], metric)
            outcome = (
                "held" if mean > NOISE_SIGMAS * se else "not held" if mean < -NOISE_SIGMAS * se else "noise"
            )
            outcomes.append(outcome)
            rows.append(
                {
                    "a": a,
                    "b": b,
                    "metric": metric,
                    "a_value": results[a].scores[metric],
                    "b_value": results[b].scores[metric],
                    "difference": mean,
                    "standard_error": se if math.isfinite(se) else None,  # one image: no error estimate
                    "outcome": outcome,
                }
            )
        involved = {_base(name) for a, b, _ in comparisons for name in (a, b)}
        short = min(plans[name].steps / plans[name].reference_steps for name in involved if name in plans)
        if short < INCONCLUSIVE_FRACTION:
            verdict = "inconclusive"
            why = f"schedule at {100 * short:.2g}% of the paper's (< {100 * INCONCLUSIVE_FRACTION:.0f}%)"
        elif "not held" in outcomes:
            verdict, why = "not held", "a comparison went the other way beyond noise"
        elif "noise" in outcomes:
            verdict, why = "inconclusive", f"a difference is within {NOISE_SIGMAS:g} standard errors"
        else:
            verdict, why = "held", f"every difference exceeds {NOISE_SIGMAS:g} standard errors"
        out.append({"claim": claim, "verdict": verdict, "why": why, "comparisons": rows})
    return out


def _base(label: str) -> str:
    return label.removesuffix(" (Stage-1)")


# --------------------------------------------------------------------------- outputs


def _atomic_write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.partial")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _save_figure(figure: Any, path: Path) -> None:
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=72, bbox_inches="tight")
    plt.close(figure)
    _atomic_write(path, buffer.getvalue())


def stage_strips(trained: dict[str, tuple[Model, Path]], args: argparse.Namespace, out: Path) -> Path:
    """Fig. 8/9-style strips, one row per Stage-GAN model: MR | semantic map | Stage-1 | Stage-2 | HR."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from srzoo.bench import resolve_data
    from srzoo.imageio import quantize_8bit

    rows = [label for label, (model, _) in trained.items() if model.stage1]
    figure, axes = plt.subplots(len(rows), 5, figsize=(11.0, 2.4 * len(rows)), squeeze=False)
    for axes_row, label in zip(axes, rows, strict=True):
        _, run = trained[label]
        model = srzoo.build(run / "recipe.toml", weights=run / "model.safetensors").to(args.bench_device)
        scale = model.scale
        sample = next(iter(resolve_data(f"{args.data}:test", 1).samples(scale)))
        down = srzoo.create("degradation", "bicubic", scale=scale, rounding=matlab_rounding(scale))
        with torch.inference_mode():
            lr = quantize_8bit(down(sample.hr[None]))
            outputs = model(lr.to(args.bench_device), return_intermediates=True)
        panels = [("MR (bicubic)", outputs["mr"]), ("semantic map", outputs.get("sem"))]
        panels += [("Stage-1", outputs["s2"]), ("Stage-2", outputs["sr"]), ("HR", sample.hr[None])]
        for axis, (title, image) in zip(axes_row, panels, strict=True):
            axis.set_xticks([])
            axis.set_yticks([])
            axis.set_title(title, fontsize=9)
            if image is None:
                axis.text(0.5, 0.5, "(no semantic map)", ha="center", va="center", fontsize=8)
                continue
            axis.imshow(image[0].float().clamp(0, 1).permute(1, 2, 0).cpu().numpy())
        axes_row[0].set_ylabel(label, fontsize=9)
    figure.suptitle("Stage-GAN stages on Facades test/ (Fig. 8/9 style)", fontsize=10)
    figure.tight_layout()
    path = out / "stages.png"
    _save_figure(figure, path)
    return path


LOG_KEYS = ("step", "epoch", "step_time", "skipped")


def loss_curves(trained: dict[str, tuple[Model, Path]], out: Path) -> Path:
    """One panel per model: every loss term and critic loss of its ``metrics.jsonl`` against the step."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    labels = list(trained)
    columns = 4
    rows = math.ceil(len(labels) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.0 * columns, 3.0 * rows), squeeze=False)
    for axis, label in zip(axes.flat, labels, strict=False):
        _, run = trained[label]
        records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line]
        keys = [k for k in records[0] if k not in LOG_KEYS and "/" not in k] if records else []
        for key in keys:
            points = [
                (r["step"], r[key]) for r in records if isinstance(r.get(key), int | float) and r[key] > 0
            ]
            if points:
                axis.plot(
                    *zip(*points, strict=True),
                    label=key,
                    linewidth=1,
                    marker="." if len(points) < 20 else None,
                )
        axis.set_yscale("log")
        axis.set_title(label, fontsize=9)
        axis.set_xlabel("step", fontsize=8)
        axis.legend(fontsize=6)
        axis.grid(True, alpha=0.3)
    for axis in list(axes.flat)[len(labels) :]:
        axis.set_visible(False)
    figure.tight_layout()
    path = out / "loss_curves.png"
    _save_figure(figure, path)
    return path


def _table_rows(results: list[BenchResult], trained: dict[str, tuple[Model, Path]], plans: dict[str, Plan]):
    rows = []
    for r in results:
        base = _base(r.method)
        model = trained.get(base, (None, None))[0]
        plan = plans.get(base)
        rows.append(
            {
                "method": r.method,
                "scale": r.scale,
                "psnr": r.psnr,
                "ssim": r.ssim,
                "gsm": r.gsm,
                "images": r.images,
                "schedule": plan.as_dict() if plan else None,
                "reduced": plan.reduced if plan else False,
                "note": (model.note if model else "no training")
                + (" (Stage-1 image)" if base != r.method else ""),
            }
        )
    return sorted(rows, key=lambda row: (row["scale"], row["method"]))


def _se(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def markdown(document: dict[str, Any]) -> str:
    """The paper-style table, the schedule run and the verdicts as Markdown."""
    kind = (
        "**smoke run (tiny widths, a few steps): these numbers test the script, they are not results**"
        if document["smoke"]
        else "full widths"
    )
    protocol = (
        f"Protocol: `srzoo bench` (PSNR/SSIM on {document['protocol']['y']} Y, GSM; border shaved by the "
        f"scale), {document['images']} Facades `test/` images; device {document['device']}; {kind}."
    )
    lines = [
        "# Stage-GAN on CMP Facades: srzoo's reproduction",
        "",
        protocol,
        "",
        "| method | scale | PSNR | SSIM | GSM | steps | epochs | batch | fraction of paper | wall s | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in document["table"]:
        s = row["schedule"]
        label = row["method"] + (" (reduced)" if row["reduced"] else "")
        schedule = (
            [
                str(s["steps"]),
                f"{s['epochs']:g}",
                str(s["batch_size"]),
                f"{s['fraction_of_reference']:.3g}",
                f"{s['wall_seconds']:g}",
            ]
            if s
            else ["–"] * 5
        )
        lines.append(
            f"| {label} | ×{row['scale']} | {row['psnr']:.2f} | {row['ssim']:.4f} | {row['gsm']:.4f} | "
            + " | ".join(schedule)
            + f" | {row['note']} |"
        )
    lines += ["", "## Verdicts", ""]
    for v in document["verdicts"]:
        lines.append(f"- **{v['verdict']}**: {v['claim']} ({v['why']}).")
        for c in v["comparisons"]:
            lines.append(
                f"  - {c['a']} {c['metric']} {c['a_value']:.4f} vs {c['b']} {c['b_value']:.4f}: "
                f"Δ {c['difference']:+.4f} ± {_se(c['standard_error'])} (SE) → {c['outcome']}"
            )
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="Facades root holding train/ and test/")
    parser.add_argument("--out", type=Path, required=True, help="folder for the (at most 8) result files")
    parser.add_argument(
        "--budget-minutes",
        type=float,
        help=f"training time for all models (default {DEFAULT_BUDGET_MINUTES:g}; with --smoke: 3 steps each)",
    )
    parser.add_argument("--smoke", action="store_true", help="tiny widths, a few steps, a few test images")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16", "fp16"),
        default="auto",
        help="training precision (autocast); auto: bf16 for Stage-GAN, fp32 for the baselines",
    )
    parser.add_argument("--vgg19", type=Path, help="local VGG19 weights for SRGAN's perceptual loss")
    parser.add_argument("--limit", type=int, help="bench only the first N test images")
    parser.add_argument(
        "--runs",
        type=Path,
        help="keep every run folder here (recipe.toml, model.safetensors, metrics.jsonl) and reuse the "
        "finished ones (default: a temporary folder, removed at the end)",
    )
    args = parser.parse_args(argv)
    for split in ("train", "test"):
        if not (args.data / split).is_dir():
            parser.error(f"--data {args.data}: no {split}/ folder; pass the Facades root (train/ and test/)")
    if args.vgg19 is not None and not args.vgg19.is_file():
        parser.error(f"--vgg19 {args.vgg19}: no such file")
    if args.budget_minutes is not None and args.budget_minutes <= 0:
        parser.error("--budget-minutes must be positive")
    if args.budget_minutes is None and not args.smoke:
        args.budget_minutes = DEFAULT_BUDGET_MINUTES
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    args.bench_device = args.device
    if args.smoke and args.limit is None:
        args.limit = SMOKE_TEST_IMAGES
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Subnormal floats make CPU kernels up to ~50x slower (SRResNet's step went from 0.02 s to 1.2 s
    # after a few updates on the 2-core box); flushing them to zero keeps the timed steps honest.
    flush_denormal = torch.set_flush_denormal(True)
    started = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="srzoo-repro-"))
    try:
        todo = models(args.smoke, args.vgg19)
        runs = args.runs if args.runs is not None else scratch
        runs.mkdir(parents=True, exist_ok=True)
        plans = {m.label: plan for m in todo if (plan := finished_plan(runs / m.label, m)) is not None}
        reused = set(plans)
        reused_seconds = sum(plan.wall_seconds for plan in plans.values())
        for label in plans:  # only the reused ones so far, in table order
            print(f"reusing the finished run {runs / label}", file=sys.stderr, flush=True)
        fresh: list[Plan] = []
        for model in todo:
            if model.label not in reused:
                print(f"timing {model.label} ...", file=sys.stderr, flush=True)
                plans[model.label] = measure(model, args, scratch)
                fresh.append(plans[model.label])
        if args.budget_minutes is None:  # --smoke alone: a fixed few steps
            for plan in fresh:
                plan.steps = SMOKE_STEPS
                plan.epochs = SMOKE_STEPS / plan.steps_per_epoch
        else:
            spent = time.perf_counter() - started + reused_seconds
            allocate(fresh, max(0.0, args.budget_minutes * 60 - spent))
        for label, plan in plans.items():
            print(
                f"plan {label}: {plan.steps} steps of {plan.step_seconds:.2f} s, "
                f"{100 * plan.steps / plan.reference_steps:.3g}% of the reference",
                file=sys.stderr,
                flush=True,
            )
        trained: dict[str, tuple[Model, Path]] = {}
        for model in todo:
            plan = plans[model.label]
            run = runs / model.label
            if model.label in reused:
                trained[model.label] = (model, run)
                continue
            shutil.rmtree(run, ignore_errors=True)  # an unfinished run of an earlier attempt
            fixed = args.budget_minutes is None
            length, schedule = ({"max_steps": plan.steps}, {}) if fixed else _length(model, plan)
            print(f"training {model.label}: {length} ...", file=sys.stderr, flush=True)
            tick = time.perf_counter()
            options = _options(model, args, run)
            options["overrides"] = {**model.overrides, **schedule}
            options["log_every"] = max(1, plan.steps // CURVE_POINTS)
            if model.init_from is not None:
                options["init_from"] = trained[model.init_from][1] / "model.safetensors"
            result = srzoo.train(model.recipe, args.data / "train", run, keep=1, **length, **options)
            plan.wall_seconds = time.perf_counter() - tick
            plan.overrides = _as_json(model.overrides)
            if result.weights is None:
                raise SrzooError(f"{model.label}: training stopped before the end; no weights to bench")
            shutil.rmtree(run / "checkpoints", ignore_errors=True)  # Stage-GAN's are ~2 GB each
            _atomic_write(run / PLAN_FILE, (json.dumps(dataclasses.asdict(plan), indent=1) + "\n").encode())
            trained[model.label] = (model, run)
        print("benchmarking ...", file=sys.stderr, flush=True)
        results = bench_all(trained, args, scratch, args.limit)
        by_label = {r.method: r for r in results}
        document = {
            "paper": srzoo.get_recipe("stagegan-x8").paper,
            "smoke": args.smoke,
            "device": args.device,
            "flush_denormal": flush_denormal,
            "budget_minutes": args.budget_minutes,
            "images": results[0].images,
            "protocol": results[0].protocol.as_dict(),
            "reference_epochs": REFERENCE_EPOCHS,
            "table": _table_rows(results, trained, plans),
            "verdicts": verdicts(by_label, plans),
        }
        figures = scratch / "figures"
        grids = [r for r in results if not r.method.endswith("(Stage-1)")]
        for path in write_figures(grids, figures):
            shutil.copyfile(path, args.out / path.name)
        stage_strips(trained, args, args.out)
        loss_curves(trained, args.out)
        document["total_wall_seconds"] = round(time.perf_counter() - started, 1)
        _atomic_write(args.out / "table.json", (json.dumps(document, indent=1) + "\n").encode())
        _atomic_write(args.out / "table.md", markdown(document).encode())
        print(markdown(document))
        print(f"done in {document['total_wall_seconds']:.0f} s; files in {args.out}", file=sys.stderr)
        return 0
    except (SrzooError, InputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
