"""The schedule each model runs: the reference, the time budget split between models, and a run's length."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import srzoo
from srzoo.errors import SrzooError

from .models import Model

DEFAULT_BUDGET_MINUTES = 120.0


REFERENCE_EPOCHS = 200
"""The paper's Facades schedule (§3.1: 100 epochs at lr 2e-4, 100 decaying linearly to 0).

The baselines' own papers train on other sets and give no Facades schedule; they get the same 200
epochs over the same 400 images, at their own papers' batch size, patch size, optimiser and lr.
"""


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
    return plan if plan.overrides == as_json(model.overrides) else None


def as_json(overrides: dict[str, Any]) -> dict[str, Any]:
    """``overrides`` as they read back from ``plan.json`` (tuples become lists)."""
    return json.loads(json.dumps(overrides))


def allocate(plans: Sequence[Plan], budget_seconds: float, floor: float = 0.0) -> None:
    """Split the budget into equal shares of training time, each capped at the model's reference schedule.

    The common time ``T`` solves ``Σ min(T, c_m · S_m) = budget``: a model whose whole reference
    schedule ``S_m`` costs less than ``T`` (a cheap baseline) runs all of it and the time it leaves
    goes to the others, which run ``T / c_m`` steps. With ``floor`` (e.g. 0.1), every model is first
    given that fraction of its schedule when the budget affords it for all of them (so that every
    claim can be conclusive), and the rest is split as above. Sets each plan's ``steps``, ``epochs``
    and ``fraction``.
    """
    base = {id(p): math.ceil(floor * p.reference_steps) for p in plans}
    reserved = sum(p.step_seconds * base[id(p)] for p in plans)
    if reserved > budget_seconds:  # not even the floor fits: equal time for all
        base, reserved = dict.fromkeys(base, 0), 0.0
    remaining = budget_seconds - reserved
    open_plans = sorted(plans, key=lambda p: p.step_seconds * (p.reference_steps - base[id(p)]))
    share = math.inf
    while open_plans:
        share = remaining / len(open_plans)
        cheapest = open_plans[0]
        rest = cheapest.step_seconds * (cheapest.reference_steps - base[id(cheapest)])
        if share < rest:
            break
        remaining -= rest
        open_plans.pop(0)
    still_open = {id(p) for p in open_plans}
    for p in plans:
        steps = p.reference_steps
        if id(p) in still_open and p.step_seconds > 0:
            steps = min(steps, base[id(p)] + int(share / p.step_seconds))
        p.steps = max(1, steps)
        p.fraction = p.steps / p.reference_steps
        p.epochs = p.steps / p.steps_per_epoch


def run_length(model: Model, plan: Plan) -> tuple[dict[str, Any], dict[str, Any]]:
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


RUN_FILE = "run.json"
"""What ``srzoo train`` writes into every run folder: recipe, options, batch, epoch length, step, finished."""


def zoo_plan(run: Path, recipe: str) -> Plan | str:
    """The schedule of the finished ``srzoo train`` run of ``recipe`` in ``run``, read from its
    ``run.json`` (no ``plan.json`` needed: a run of ``srzoo train`` and one of this script read the
    same), or why there is none: a one-line reason such as ``"run in progress: step 500 of 16000"``.

    The share of the schedule is ``step / (REFERENCE_EPOCHS · steps_per_epoch)``; the step time is
    the median ``step_time`` of its ``metrics.jsonl`` and the wall time that times the steps
    (validation, checkpoints and pauses left out).
    """
    try:
        data = json.loads((run / RUN_FILE).read_text())
    except FileNotFoundError:
        return "no run" if not run.exists() else f"no {RUN_FILE} in {run}"
    except (OSError, ValueError) as exc:
        return f"unreadable {run / RUN_FILE}: {exc}"
    if data.get("recipe") != recipe:
        return f"{run} holds a run of {data.get('recipe')!r}, not {recipe!r}"
    if not data.get("finished") or not (run / "model.safetensors").is_file():
        return f"run in progress or interrupted: step {data.get('step', 0)} of {data.get('total_steps', '?')}"
    options = data.get("options", {})
    steps = int(data["step"])
    step_seconds = _median_step_time(run / "metrics.jsonl")
    return _trained_plan(
        steps,
        int(data["steps_per_epoch"]),
        batch_size=int(data["batch_size"]),
        patch_size=data.get("patch_size"),
        step_seconds=step_seconds,
        schedule_epochs_scale=_schedule_scale(run / "recipe.toml", recipe),
        wall_seconds=steps * step_seconds,
        device=str(data.get("device", "")),
        precision=str(options.get("precision", "fp32")),
        overrides=options.get("overrides") or {},
    )


def _trained_plan(steps: int, steps_per_epoch: int, **known: Any) -> Plan:
    """The plan of a training that ran ``steps`` steps of ``steps_per_epoch`` an epoch: its share of
    the reference schedule (``REFERENCE_EPOCHS`` epochs) and its epochs, beside what else is ``known``."""
    reference = REFERENCE_EPOCHS * steps_per_epoch
    return Plan(
        steps_per_epoch=steps_per_epoch,
        reference_steps=reference,
        fraction=steps / reference,
        steps=steps,
        epochs=steps / steps_per_epoch,
        **known,
    )


SHIPPED = "shipped weights"
"""How the table's note begins for a model benched from the weights srzoo ships (``--shipped``)."""


def shipped_plan(recipe: str) -> tuple[Plan, Path] | str:
    """The schedule of the weights srzoo ships for ``recipe`` and their file, read from the file's
    metadata (``step``, ``steps_per_epoch``, ``batch_size``, ``patch_size``, ``precision``, written by
    ``benchmarks/ship_weights.py`` from the run's ``run.json``), or why there is none (one line).

    The shipped file keeps no step times, so the plan's step and wall time are 0 (the table shows
    "–"); the model card has the wall time.
    """
    from safetensors import safe_open

    entry = srzoo.get_recipe(recipe).pretrained
    if entry is None:
        return f"srzoo ships no weights for {recipe}"
    try:
        path = entry.path()
        with safe_open(str(path), "pt") as handle:
            metadata = handle.metadata() or {}
    except (SrzooError, OSError, ValueError) as exc:
        return f"its shipped weights are unreadable: {exc}"
    if metadata.get("recipe") != recipe or "steps_per_epoch" not in metadata:
        return f"{path.name} records no srzoo train schedule of {recipe} (ship it with benchmarks/ship_weights.py)"
    patch = metadata.get("patch_size", "None")
    plan = _trained_plan(
        int(metadata["step"]),
        int(metadata["steps_per_epoch"]),
        batch_size=int(metadata["batch_size"]),
        patch_size=None if patch == "None" else int(patch),
        step_seconds=0.0,
        schedule_epochs_scale=_command_schedule_scale(metadata.get("command", ""), recipe),
        precision=metadata.get("precision", "fp32"),
    )
    return plan, path


def _median_step_time(metrics: Path) -> float:
    try:
        rows = [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]
    except (OSError, ValueError):
        return 0.0
    times = sorted(float(r["step_time"]) for r in rows if isinstance(r.get("step_time"), int | float))
    return times[len(times) // 2] if times else 0.0


def _schedule_scale(recipe_file: Path, name: str) -> float:
    """How much the run's learning-rate schedule was compressed against the registered recipe's
    (Stage-GAN's 20 + 20 epochs against 100 + 100: 0.2); 1.0 when it was not or cannot be told."""
    try:
        ran = srzoo.load_recipe(recipe_file)
    except SrzooError:  # an unreadable recipe: no compression to report
        return 1.0
    return _compression(ran, name)


_SCHEDULE_SETTING = re.compile(
    r"--set '?(train\.schedule\.(?:constant_epochs|decay_epochs|step_epochs))=(\d+)"
)


def _command_schedule_scale(command: str, name: str) -> float:
    """``_schedule_scale`` for a run known by its ``srzoo train`` command line (the ``--set
    train.schedule.*_epochs=N`` settings it gave), as a shipped file's metadata records it."""
    settings = {key: int(value) for key, value in _SCHEDULE_SETTING.findall(command)}
    try:
        ran = srzoo.get_recipe(name).with_overrides(settings)
    except SrzooError:
        return 1.0
    return _compression(ran, name)


def _compression(ran: srzoo.Recipe, name: str) -> float:
    try:
        registered = srzoo.get_recipe(name).train
    except SrzooError:  # an unregistered recipe: no compression to report
        return 1.0
    if ran.train is None or registered is None or ran.train.schedule is None or registered.schedule is None:
        return 1.0
    a, b = ran.train.schedule, registered.schedule
    if a.name == b.name == "linear-decay" and b.constant_epochs + b.decay_epochs > 0:
        return (a.constant_epochs + a.decay_epochs) / (b.constant_epochs + b.decay_epochs)
    if a.name == b.name == "step" and b.step_epochs > 0:
        return a.step_epochs / b.step_epochs
    return 1.0
