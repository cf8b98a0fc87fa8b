"""The command line: options, then plan, train, bench and write the files."""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

import srzoo
from srzoo.bench.figures import write_figures
from srzoo.errors import InputError, SrzooError
from srzoo.train.rundir import dumps_toml

from . import __doc__ as package_doc
from .figures import label_png, loss_curves, stage_strips
from .models import REDUCED_WIDTH, SMOKE_STEPS, SMOKE_TEST_IMAGES, WIDTHS, Model, models
from .plan import (
    DEFAULT_BUDGET_MINUTES,
    PLAN_FILE,
    REFERENCE_EPOCHS,
    SHIPPED,
    Plan,
    allocate,
    as_json,
    finished_plan,
    run_length,
    shipped_plan,
    zoo_plan,
)
from .report import atomic_write, markdown, table_rows
from .runs import CURVE_POINTS, measure, trainer_options
from .scoring import bench_all
from .verdicts import verdicts

BUDGET_MARGIN = 0.9
"""The share of the budget left after timing that is planned for training: a step time measured on
three steps may be a few per cent short of the run's (data loading, a slower epoch)."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=package_doc.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="Facades root holding train/ and test/")
    parser.add_argument("--out", type=Path, required=True, help="folder for the (at most 8) result files")
    parser.add_argument(
        "--budget-minutes",
        type=float,
        help=f"training time for all models (default {DEFAULT_BUDGET_MINUTES:g}; with --smoke: 3 steps each)",
    )
    parser.add_argument("--smoke", action="store_true", help="tiny widths, a few steps, a few test images")
    parser.add_argument(
        "--width",
        choices=WIDTHS,
        default="full",
        help="full: the paper's Stage-GAN widths; small: srzoo's -small recipes (width 16), reusing the "
        "finished `srzoo train` runs in --runs DIR/NAME and training the missing ones only with --budget-minutes",
    )
    parser.add_argument(
        "--shipped",
        action="store_true",
        help="with --width small: bench the weights srzoo ships (their metadata gives the schedule) for "
        "every model whose recipe has them, instead of run folders",
    )
    parser.add_argument(
        "--models",
        help="comma-separated table labels to train and bench (default: all); the claims of the others are "
        "'not tested'",
    )
    parser.add_argument(
        "--stagegan-batch",
        type=int,
        help="Stage-GAN's batch size (default: the recipe's, the paper's 1); the schedule stays 200 epochs",
    )
    parser.add_argument("--channels-last", action="store_true", help="train in channels_last memory format")
    parser.add_argument(
        "--min-fraction",
        type=float,
        default=0.0,
        help="first give every model this fraction of its schedule when the budget affords it for all "
        "(0.1: every claim can be conclusive), then split the rest in equal time (default 0)",
    )
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
    if not 0.0 <= args.min_fraction <= 1.0:
        parser.error("--min-fraction must be between 0 and 1")
    if args.stagegan_batch is not None and args.stagegan_batch < 1:
        parser.error("--stagegan-batch must be at least 1")
    if args.shipped and args.width != "small":
        parser.error("--shipped needs --width small: srzoo ships no full-width Stage-GAN weights")
    if args.width == "small" and args.runs is None:
        parser.error("--width small reuses the `srzoo train` run folders RUNS/NAME: give --runs RUNS")
    # --width small trains missing runs only when asked to (a budget, or --smoke's few steps)
    args.train_missing = args.width == "full" or args.smoke or args.budget_minutes is not None
    if args.budget_minutes is None and not args.smoke and args.width == "full":
        args.budget_minutes = DEFAULT_BUDGET_MINUTES
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    args.bench_device = args.device
    if args.smoke and args.limit is None:
        args.limit = SMOKE_TEST_IMAGES
    return args


def shipped_run(recipe: str, weights: Path, folder: Path) -> Path:
    """A run-like folder for the weights srzoo ships: the registered ``recipe`` as ``recipe.toml`` and
    a link to the shipped file as ``model.safetensors`` (what benching and the figures read)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "recipe.toml").write_text(dumps_toml(srzoo.get_recipe(recipe).to_dict()))
    (folder / "model.safetensors").symlink_to(weights)
    return folder


def plan_runs(
    todo: list[Model], runs: Path, args: argparse.Namespace, scratch: Path, started: float
) -> tuple[dict[str, Plan], dict[str, tuple[Path, bool]], dict[str, str]]:
    """Each model's plan: a finished run's kept in ``runs`` (reused), else timed now and given its
    share of the budget (or ``SMOKE_STEPS`` with ``--smoke`` alone).

    With ``--width full`` a finished run is one this script wrote (``plan.json``, same overrides).
    With ``--width small`` it is any finished ``srzoo train`` run of the recipe in ``runs/NAME``
    (read from its ``run.json``); a folder holding an unfinished run is never touched, and a
    missing one is trained only when ``args.train_missing``. With ``--shipped`` a model whose recipe
    ships weights is benched from them instead. Returns the plans, the reused runs (label → folder
    and whether it holds shipped weights) and, for the models that will have no run, why (label → one line).
    """
    plans: dict[str, Plan] = {}
    reused: dict[str, tuple[Path, bool]] = {}
    missing: dict[str, str] = {}
    reused_seconds = 0.0
    for model in todo:
        shipped = shipped_plan(model.recipe) if args.shipped else None
        if isinstance(shipped, tuple):
            plans[model.label], weights = shipped
            reused[model.label] = (
                shipped_run(model.recipe, weights, scratch / "shipped" / model.label),
                True,
            )
        elif args.width == "small":
            found = zoo_plan(runs / model.label, model.recipe)
            if isinstance(found, Plan):
                plans[model.label] = found
                reused[model.label] = (runs / model.label, False)
            elif found != "no run" or not args.train_missing:
                missing[model.label] = f"pending: {found}" + (
                    " (give --budget-minutes to train it here)" if found == "no run" else ""
                )
        elif (plan := finished_plan(runs / model.label, model)) is not None:
            plans[model.label] = plan
            reused[model.label] = (runs / model.label, False)
            reused_seconds += plan.wall_seconds
    for label, (folder, shipped) in reused.items():
        what = f"the shipped weights of {label}" if shipped else f"the finished run {folder}"
        print(f"reusing {what}", file=sys.stderr, flush=True)
    for label, why in missing.items():
        print(f"{label}: {why}", file=sys.stderr, flush=True)
    fresh: list[Plan] = []
    timing_started = time.perf_counter()
    for model in todo:
        if model.label not in reused and model.label not in missing:
            print(f"timing {model.label} ...", file=sys.stderr, flush=True)
            plans[model.label] = measure(model, args, scratch)
            fresh.append(plans[model.label])
    setup_seconds = time.perf_counter() - timing_started  # each run pays its set-up again
    if args.budget_minutes is None:  # --smoke alone: a fixed few steps
        for plan in fresh:
            plan.steps = SMOKE_STEPS
            plan.epochs = SMOKE_STEPS / plan.steps_per_epoch
    else:
        spent = time.perf_counter() - started + reused_seconds + setup_seconds
        allocate(fresh, BUDGET_MARGIN * max(0.0, args.budget_minutes * 60 - spent), args.min_fraction)
    for label, plan in plans.items():
        print(
            f"plan {label}: {plan.steps} steps of {plan.step_seconds:.2f} s, "
            f"{100 * plan.steps / plan.reference_steps:.3g}% of the reference",
            file=sys.stderr,
            flush=True,
        )
    return plans, reused, missing


def train_run(
    model: Model, plan: Plan, run: Path, args: argparse.Namespace, trained: dict[str, tuple[Model, Path]]
) -> None:
    """Train ``model`` for its ``plan`` into ``run`` (weights, metrics, recipe) and mark it finished
    with ``plan.json``; ``trained`` holds the earlier runs (SRGAN starts from SRResNet's weights)."""
    shutil.rmtree(run, ignore_errors=True)  # an unfinished run of an earlier attempt
    fixed = args.budget_minutes is None
    length, schedule = ({"max_steps": plan.steps}, {}) if fixed else run_length(model, plan)
    print(f"training {model.label}: {length} ...", file=sys.stderr, flush=True)
    tick = time.perf_counter()
    options = trainer_options(model, args, run)
    options["overrides"] = {**model.overrides, **schedule}
    options["log_every"] = max(1, plan.steps // CURVE_POINTS)
    if model.init_from is not None:
        options["init_from"] = trained[model.init_from][1] / "model.safetensors"
    result = srzoo.train(model.recipe, args.data / "train", run, keep=1, **length, **options)
    plan.wall_seconds = time.perf_counter() - tick
    plan.overrides = as_json(model.overrides)
    if result.weights is None:
        raise SrzooError(f"{model.label}: training stopped before the end; no weights to bench")
    shutil.rmtree(run / "checkpoints", ignore_errors=True)  # Stage-GAN's are ~2 GB each
    atomic_write(run / PLAN_FILE, (json.dumps(dataclasses.asdict(plan), indent=1) + "\n").encode())


def write_results(
    trained: dict[str, tuple[Model, Path]],
    plans: dict[str, Plan],
    missing: dict[str, tuple[Model, str]],
    args: argparse.Namespace,
    scratch: Path,
    started: float,
    flush_denormal: bool,
) -> dict[str, Any]:
    """Bench every run, then write the figures, table.json and table.md into ``--out``."""
    print("benchmarking ...", file=sys.stderr, flush=True)
    results = bench_all(trained, args, scratch, args.limit)
    by_label = {r.method: r for r in results}
    small = args.width == "small"
    document = {
        "paper": srzoo.get_recipe("stagegan-x8").paper,
        "width": args.width,
        "label": REDUCED_WIDTH if small else "full widths",
        "smoke": args.smoke,
        "device": args.device,
        "flush_denormal": flush_denormal,
        "budget_minutes": args.budget_minutes,
        "images": results[0].images,
        "protocol": results[0].protocol.as_dict(),
        "reference_epochs": REFERENCE_EPOCHS,
        "table": table_rows(results, trained, plans),
        "missing": [
            {"method": label, "scale": srzoo.get_recipe(model.recipe).scale, "status": why}
            for label, (model, why) in missing.items()
        ],
        "verdicts": verdicts(by_label, plans, args.width, {k: why for k, (_, why) in missing.items()}),
    }
    title = REDUCED_WIDTH if small else None
    figures = scratch / "figures"
    # the comparison grids and speed chart; stages.png (below) stands for srzoo bench's stage strips
    grids = [dataclasses.replace(r, stages=()) for r in results if not r.method.endswith("(Stage-1)")]
    for path in write_figures(grids, figures):
        label_png(path, args.out / path.name, title)
    if any(model.stage1 for model, _ in trained.values()):
        stage_strips(trained, args, args.out, title)
    logged = {label: entry for label, entry in trained.items() if (entry[1] / "metrics.jsonl").is_file()}
    if logged:  # shipped weights keep no loss log
        loss_curves(logged, args.out, title)
    document["total_wall_seconds"] = round(time.perf_counter() - started, 1)
    atomic_write(args.out / "table.json", (json.dumps(document, indent=1) + "\n").encode())
    atomic_write(args.out / "table.md", markdown(document).encode())
    return document


def selected(todo: list[Model], names: str | None) -> tuple[list[Model], dict[str, tuple[Model, str]]]:
    """The models ``--models`` names (all without it) and the others, each with why it is left out."""
    if names is None:
        return todo, {}
    wanted = [name.strip() for name in names.split(",") if name.strip()]
    labels = [m.label for m in todo]
    if unknown := [name for name in wanted if name not in labels]:
        raise InputError(f"--models: unknown {', '.join(unknown)}; choose from {', '.join(labels)}")
    left_out = {m.label: (m, "not selected (--models)") for m in todo if m.label not in wanted}
    return [m for m in todo if m.label in wanted], left_out


def reused_model(model: Model, plan: Plan, shipped: bool) -> Model:
    """``model`` as the finished ``srzoo train`` run made it: its note says with which overrides (a
    shipped file's are in its model card)."""
    if shipped:
        note = f"{SHIPPED} (float16), srzoo train, {plan.epochs:g} epochs, {plan.precision}; model card: pretrained.md"
        return dataclasses.replace(model, note=note)
    # scalar settings read well as key=value; structured ones (SRGAN-MSE's loss list) are what the
    # model's own note describes
    changes = [
        f"{k.removeprefix('train.')}={v}" for k, v in plan.overrides.items() if not isinstance(v, list | dict)
    ]
    if len(changes) < len(plan.overrides):
        changes.append(model.note or "recipe overrides in run.json")
    note = f"srzoo train run, {plan.epochs:g} epochs, {plan.precision}" + (
        f"; {', '.join(changes)}" if changes else ""
    )
    return dataclasses.replace(model, note=note)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Subnormal floats make CPU kernels up to ~50x slower (SRResNet's step went from 0.02 s to 1.2 s
    # after a few updates on the 2-core box); flushing them to zero keeps the timed steps honest.
    flush_denormal = torch.set_flush_denormal(True)
    started = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="srzoo-repro-"))
    try:
        todo, left_out = selected(
            models(args.smoke, args.vgg19, args.width, args.stagegan_batch), args.models
        )
        runs = args.runs if args.runs is not None else scratch
        runs.mkdir(parents=True, exist_ok=True)
        plans, reused, why_missing = plan_runs(todo, runs, args, scratch, started)
        missing = {**left_out, **{m.label: (m, why_missing[m.label]) for m in todo if m.label in why_missing}}
        trained: dict[str, tuple[Model, Path]] = {}
        for model in todo:
            if model.label in missing:
                continue
            if model.init_from is not None and model.init_from not in trained:
                missing[model.label] = (model, f"pending: starts from {model.init_from}, which has no run")
                continue
            folder, shipped = reused.get(model.label, (runs / model.label, False))
            if model.label in reused:
                if args.width == "small":
                    model = reused_model(model, plans[model.label], shipped)
            else:
                train_run(model, plans[model.label], folder, args, trained)
            trained[model.label] = (model, folder)
        document = write_results(trained, plans, missing, args, scratch, started, flush_denormal)
        print(markdown(document))
        print(f"done in {document['total_wall_seconds']:.0f} s; files in {args.out}", file=sys.stderr)
        return 0
    except (SrzooError, InputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
