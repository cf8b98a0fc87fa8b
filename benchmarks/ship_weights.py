"""Ship weights that ``srzoo train`` trained: a float16 file, its Facades scores, its model card.

For each run folder given with ``--run`` (``srzoo train``'s ``--out``: ``run.json``, ``metrics.jsonl``,
``model.safetensors`` once finished, ``best.safetensors``/``best.json``):

1. writes its weights (``--use final``, the default: ``model.safetensors``; ``--use best``: the best
   validation step's) as float16 safetensors with the run's facts in the metadata (``recipe``, read
   by the loader's "weights trained for another recipe" warning, ``step``, ``command``...); refuses
   a file over ``MAX_FILE_BYTES`` and shipped files over ``MAX_TOTAL_BYTES`` together;
2. checks that float16 keeps the score: the mean PSNR-Y of the run's own file and of the float16
   file on the first ``FP16_CHECK_IMAGES`` Facades ``test/`` images may differ by at most
   ``FP16_TOLERANCE_DB``;
3. benches the float16 file on all Facades ``test/`` images beside bicubic at its scale (the
   protocol of ``srzoo bench``, through ``srzoo.bench``) and ships it only if it passes its
   `ShippingRule` (see ``RULES``: fidelity models must beat bicubic in PSNR-Y; adversarial ones
   must be sharper, by GSM, at a cost of at most 1.0 dB);
4. writes the model card ``recipes/weights/NAME.md`` (data, the exact ``srzoo train`` command,
   steps, wall time, CPU, departures from the paper, scores beside bicubic and the LapSRN authors'
   weights, sha256), sets the recipe's ``pretrained = { file, sha256 }`` entry (what
   ``srzoo.build(NAME, pretrained=True)``, ``srzoo upscale``, ``bench`` and ``demo`` read) and
   regenerates ``docs/pretrained.md`` from every card.

Nothing is written unless every run passes; ``--dry-run`` writes nothing and prints the cards.
Departures from the paper: the settings the run changed from its recipe (which holds the paper's)
are listed by themselves; add the why with ``--note NAME=TEXT`` (repeatable).

    python benchmarks/ship_weights.py --run runs/lapsrn-x4 [--run ...] --data data/facades \\
        [--use best|final] [--note lapsrn-x4="..."] [--dry-run]

Exit status: 0 shipped (or would ship), 1 refused by a score or size rule, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

import srzoo
from srzoo.runtime.devices import cpu_name
from srzoo.weights import sha256_of

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "srzoo_recipes"
"""The import package that ``recipes/`` becomes (setup.py); ``pretrained`` entries name files in it."""

MAX_FILE_BYTES = 16 * 1024 * 1024
"""A shipped weights file is at most this (the wheel carries every file)."""
MAX_TOTAL_BYTES = 40 * 1024 * 1024
"""All shipped weights files together are at most this."""

FP16_CHECK_IMAGES = 10
"""Facades ``test/`` images on which the float16 file is compared with the run's own."""
FP16_TOLERANCE_DB = 0.01
"""The most the mean PSNR-Y may move when the weights are stored as float16."""

FACTS_PREFIX = "srzoo:"


@dataclass(frozen=True)
class Reference:
    """Scores of a reference model and of bicubic on the same images (``None``: not measured)."""

    psnr: float
    ssim: float | None
    bicubic_psnr: float
    bicubic_ssim: float | None


LAPSRN_AUTHORS = {
    4: Reference(psnr=25.88, ssim=0.728, bicubic_psnr=24.28, bicubic_ssim=0.643),
    8: Reference(psnr=22.34, ssim=None, bicubic_psnr=21.46, bicubic_ssim=None),
}
"""The LapSRN authors' released weights (``LapSRN_x4.mat``, ``LapSRN_x8.mat``; trained on 291 natural
images, never on Facades), converted with ``srzoo convert`` and measured by srzoo (``srzoo bench``)
on the same 106 Facades ``test/`` images under the same protocol (srzoo issue 17)."""
LAPSRN_AUTHORS_SOURCE = (
    "their released weights, trained on 291 natural images and never on Facades, converted with "
    "`srzoo convert` and measured by srzoo on the same 106 images under the same protocol"
)

DATA_CITATION = (
    'CMP Facade Database: R. Tyleček and R. Šára, "Spatial Pattern Templates for Recognition of '
    'Objects with Regular Structure", GCPR 2013 (distributed upstream for research use)'
)


class BadInput(Exception):
    """A run folder, option or file that cannot be used (exit status 2)."""


class Refused(Exception):
    """A model that must not ship: a score or size rule (exit status 1)."""


# ------------------------------------------------------------------ the shipping rule


@dataclass(frozen=True)
class Scores:
    """Mean scores over ``images`` images: PSNR-Y (dB), SSIM-Y, GSM."""

    psnr: float
    ssim: float
    gsm: float
    images: int


@dataclass(frozen=True)
class ShippingRule:
    """When a model is worth shipping, judged against bicubic at its scale on Facades ``test/``.

    Attributes:
        kind: the rule's name (a key of ``RULES``).
        max_psnr_loss_db: ``None``: PSNR-Y must be above bicubic's; else it may be at most this many
            dB below it.
        sharper: GSM (gradient similarity) must be above bicubic's.
    """

    kind: str
    max_psnr_loss_db: float | None
    sharper: bool

    def describe(self) -> str:
        if self.max_psnr_loss_db is None:
            return "PSNR-Y above bicubic's"
        return f"GSM above bicubic's, PSNR-Y at most {self.max_psnr_loss_db:g} dB below it"


RULES = {
    "fidelity": ShippingRule("fidelity", max_psnr_loss_db=None, sharper=False),
    "adversarial": ShippingRule("adversarial", max_psnr_loss_db=1.0, sharper=True),
}
"""Models trained for fidelity (L1/L2/Charbonnier) must beat bicubic in PSNR-Y. Models trained
against a critic (GANs, e.g. Stage-GAN) trade PSNR for sharpness by design: they must be sharper
than bicubic (GSM) and lose at most 1.0 dB of PSNR-Y to it (issue 17's bar for Stage-GAN)."""


def rule_for(recipe: srzoo.Recipe) -> ShippingRule:
    """``adversarial`` for a recipe that trains with critics, else ``fidelity``."""
    adversarial = recipe.train is not None and bool(recipe.train.critics)
    return RULES["adversarial" if adversarial else "fidelity"]


def refusal(rule: ShippingRule, model: Scores, bicubic: Scores) -> str | None:
    """Why ``model`` must not ship under ``rule``, or ``None`` when it may."""
    gain = model.psnr - bicubic.psnr
    scores = f"PSNR-Y {model.psnr:.3f} dB vs bicubic {bicubic.psnr:.3f} ({gain:+.3f})"
    if rule.max_psnr_loss_db is None and gain <= 0:
        return f"{scores} does not beat bicubic"
    if rule.max_psnr_loss_db is not None and gain < -rule.max_psnr_loss_db:
        return f"{scores} is more than {rule.max_psnr_loss_db:g} dB below bicubic"
    if rule.sharper and model.gsm <= bicubic.gsm:
        return f"GSM {model.gsm:.4f} is not above bicubic's {bicubic.gsm:.4f} ({scores})"
    return None


# ------------------------------------------------------------------ the run folder


@dataclass(frozen=True)
class Run:
    """One ``srzoo train`` run folder and the weights of it that ship.

    Attributes:
        folder: the run folder.
        info: its ``run.json``.
        weights: the file that ships (``model.safetensors`` or ``best.safetensors``).
        use: ``"final"`` or ``"best"``.
        step: the training step of those weights.
    """

    folder: Path
    info: Mapping[str, Any]
    weights: Path
    use: str
    step: int

    @property
    def name(self) -> str:
        return str(self.info["recipe"])

    @property
    def epochs(self) -> float:
        return self.step / int(self.info["steps_per_epoch"])


def read_run(folder: Path, use: str = "final") -> Run:
    """Read ``folder``'s ``run.json`` and pick its ``use`` weights.

    Raises:
        BadInput: no run folder, a run without those weights (an unfinished run has no final ones).
    """
    info_path = folder / "run.json"
    if not info_path.is_file():
        raise BadInput(f"{folder}: no run.json; expected a run folder of `srzoo train` (its --out)")
    try:
        info = json.loads(info_path.read_text("utf-8"))
        name, per_epoch = str(info["recipe"]), int(info["steps_per_epoch"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadInput(f"{info_path}: not a run.json of `srzoo train` ({exc})") from None
    if name not in srzoo.list_models():
        raise BadInput(f"{info_path}: recipe {name!r} is not registered; ship weights of registered recipes")
    if per_epoch < 1:
        raise BadInput(f"{info_path}: steps_per_epoch is {per_epoch}")
    if use == "final":
        weights = folder / "model.safetensors"
        if not info.get("finished") or not weights.is_file():
            raise BadInput(
                f"{folder}: not finished (step {info.get('step')} of {info.get('total_steps')}), no final "
                "model.safetensors; wait for it, or ship its best validation step with --use best"
            )
        step = int(info["step"])
    elif use == "best":
        weights = folder / "best.safetensors"
        if not weights.is_file():
            raise BadInput(f"{folder}: no best.safetensors yet (it is written at the first validation)")
        step = _best_step(folder, weights)
    else:
        raise BadInput(f"--use {use!r}: expected best or final")
    return Run(folder, info, weights, use, step)


def _best_step(folder: Path, weights: Path) -> int:
    best = folder / "best.json"
    if best.is_file():
        return int(json.loads(best.read_text("utf-8"))["step"])
    step = _metadata(weights).get("step")
    if step is None:
        raise BadInput(f"{folder}: no best.json and {weights.name} names no step")
    return int(step)


def _metadata(path: Path) -> dict[str, str]:
    from safetensors import safe_open

    with safe_open(str(path), "pt") as handle:
        return dict(handle.metadata() or {})


def metrics_rows(folder: Path) -> list[dict[str, Any]]:
    """``metrics.jsonl``'s rows by step, a step logged twice (replayed after ``--resume``) once, the last."""
    path = folder / "metrics.jsonl"
    if not path.is_file():
        return []
    rows: dict[int, dict[str, Any]] = {}
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows[int(row["step"])] = row
    return [rows[step] for step in sorted(rows)]


def wall_time(run: Run) -> tuple[float, bool]:
    """Training wall seconds up to the shipped step, and whether the figure is an estimate.

    ``run.json``'s ``wall_seconds`` where the run recorded it and the final weights ship; else the
    logged step times, each row's ``step_time`` standing for every step since the previous row
    (the logging interval): the training steps only, without validation and checkpoints.
    """
    if run.use == "final" and isinstance(run.info.get("wall_seconds"), (int, float)):
        return float(run.info["wall_seconds"]), False
    total, previous = 0.0, 0
    for row in metrics_rows(run.folder):
        step = int(row["step"])
        if step > run.step:
            break
        if isinstance(row.get("step_time"), (int, float)):
            total += float(row["step_time"]) * (step - previous)
        previous = step
    return total, True


def cpu_of(run: Run) -> tuple[str, bool]:
    """The run's CPU (``run.json``'s ``hardware.cpu``), else this machine's, and whether it is this machine's."""
    recorded = (run.info.get("hardware") or {}).get("cpu")
    if recorded:
        return str(recorded), False
    return this_cpu(), True


def this_cpu() -> str:
    """This machine's CPU model, with its logical core count."""
    return f"{cpu_name()}, {os.cpu_count()} logical cores"


# ------------------------------------------------------------------ the command


_CLI_DEFAULTS: dict[str, Any] = {
    "epochs": None,
    "max_steps": None,
    "batch_size": None,
    "patch_size": None,
    "log_every": 10,
    "log_seconds": 30.0,
    "seed": 0,
    "val": None,
    "val_every": None,
    "val_images": 8,
    "checkpoint_every": None,
    "keep": 2,
    "init_from": None,
    "device": "auto",
    "workers": 0,
}
"""``srzoo train``'s option defaults, for the options passed as ``--name VALUE``."""

_FLAGS = {"channels_last": "--channels-last", "sync_batchnorm": "--sync-bn"}
_NO_FLAG = {"best_metric": "psnr", "max_bad_steps": 5}
"""Options ``srzoo train`` has no flag for, with the value it always uses."""
_BARE_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def train_command(info: Mapping[str, Any]) -> list[str]:
    """The ``srzoo train`` command of a run: `recorded_command`, else (a run from the Python API, or
    from before srzoo recorded commands) the one rebuilt from its ``options`` (see
    `reconstruct_command`)."""
    return recorded_command(info) or reconstruct_command(str(info["recipe"]), info["options"])


def recorded_command(info: Mapping[str, Any]) -> list[str] | None:
    """The first of ``run.json``'s ``commands`` (the process's argv at the first start; resumes add
    theirs) as ``srzoo train ...`` without ``--resume``, when it was ``srzoo train ...`` or ``python
    -m srzoo train ...``; else ``None``."""
    commands = info.get("commands") or []
    if not commands:
        return None
    argv = [str(word) for word in commands[0]]
    if len(argv) >= 2 and Path(argv[0]).name == "srzoo" and argv[1] == "train":
        words = argv[2:]
    elif len(argv) >= 4 and argv[1:4] == ["-m", "srzoo", "train"]:
        words = argv[4:]
    else:
        return None
    return ["srzoo", "train", *[w for w in words if w != "--resume"]]


def reconstruct_command(recipe: str, options: Mapping[str, Any]) -> list[str]:
    """The ``srzoo train`` command whose options are ``options`` (``run.json``'s), ``--resume`` left out.

    Raises:
        BadInput: an option that ``srzoo train`` cannot set (e.g. a ``best_metric`` other than psnr).
    """
    for key, value in _NO_FLAG.items():
        if options.get(key, value) != value:
            raise BadInput(f"run.json: option {key}={options[key]!r} has no `srzoo train` flag")
    words = ["srzoo", "train", recipe, "--data", str(options["data"]), "--out", str(options["out"])]
    for key, default in _CLI_DEFAULTS.items():
        value = options.get(key, default)
        if value != default or (key == "val" and value == ""):
            words += [f"--{key.replace('_', '-')}", str(value)]
    precision = options.get("precision", "fp32")
    if precision != "fp32":
        words.append(f"--{precision}")
    for key, flag in _FLAGS.items():
        if options.get(key):
            words.append(flag)
    if options.get("compile"):
        mode = options.get("compile_mode", "default")
        words += ["--compile"] + ([mode] if mode != "default" else [])
    for name in options.get("loggers") or ():
        words += ["--logger", str(name)]
    for key, value in (options.get("overrides") or {}).items():
        words += ["--set", f"{key}={_toml_value(value)}"]
    if not options.get("progress", True):
        words.append("--quiet")
    return words


def _toml_value(value: Any) -> str:
    """``value`` as ``--set`` reads it back: TOML, a string bare where it is a plain word."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "None"
    if isinstance(value, str):
        plain = _BARE_WORD.fullmatch(value) and value not in ("true", "false", "inf", "nan", "None")
        return value if plain else json.dumps(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else f"{value:+}")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)


def departures(run: Run) -> list[str]:
    """The settings the run changed from its recipe (which holds the paper's), as ``key value (recipe: value)``."""
    recipe = srzoo.get_recipe(run.name).to_dict()
    options = run.info.get("options", {})
    lines = []
    for key in ("batch_size", "patch_size", "epochs"):  # run.json holds the batch and patch used
        paper = recipe.get("train", {}).get(key)
        used = options.get("epochs") if key == "epochs" else run.info.get(key)
        if used is not None and used != paper:
            lines.append(f"`{key}` {used} (recipe: {paper if paper is not None else 'unset'})")
    for key, value in (options.get("overrides") or {}).items():
        paper = _recipe_value(recipe, key)
        if value == paper:  # set to what the recipe has: no departure
            continue
        lines.append(
            f"`{key}` {_toml_value(value)} (recipe: {_toml_value(paper) if paper is not None else 'unset'})"
        )
    return lines


def _recipe_value(recipe: Mapping[str, Any], key: str) -> Any:
    """The value a ``--set`` key has in a recipe's ``to_dict()`` (node arguments by node name)."""
    head, _, rest = key.partition(".")
    for node in recipe.get("nodes", []):
        if node["name"] == head:
            return node.get("args", {}).get(rest)
    value: Any = recipe
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


# ------------------------------------------------------------------ weights


def weights_facts(run: Run) -> dict[str, str]:
    """The safetensors metadata of the shipped file: ``recipe`` (what ``srzoo`` reads to warn about
    weights trained for another recipe) and the run's facts."""
    options = run.info.get("options", {})
    return {
        "recipe": run.name,
        "trained_by": "srzoo train",
        "command": shlex.join(train_command(run.info)),
        "data": json.dumps(run.info.get("data")),
        "step": str(run.step),
        "epochs": f"{run.epochs:g}",
        "steps_per_epoch": str(run.info["steps_per_epoch"]),
        "total_steps": str(run.info.get("total_steps")),
        "weights": run.use,
        "batch_size": str(run.info.get("batch_size")),
        "patch_size": str(run.info.get("patch_size")),
        "precision": str(options.get("precision", "fp32")),
        "torch": str(run.info.get("torch", "")),
        "dtype": "float16",
    }


def write_fp16(source: Path, target: Path, metadata: Mapping[str, str]) -> int:
    """Write ``source``'s tensors to ``target``, floating ones as float16; returns its size in bytes.

    Raises:
        Refused: the file is over ``MAX_FILE_BYTES`` (it is removed).
    """
    state = load_file(str(source))
    half = {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in state.items()}
    save_file(half, str(target), metadata=dict(metadata))
    size = target.stat().st_size
    if size > MAX_FILE_BYTES:
        target.unlink()
        raise Refused(
            f"{source}: {size / 2**20:.1f} MiB even as float16, over the {MAX_FILE_BYTES / 2**20:.0f} MiB a "
            "shipped file may have; narrow the recipe"
        )
    return size


def check_total(sizes: Mapping[str, int], weights_dir: Path) -> int:
    """The size of every shipped weights file once ``sizes`` (name -> bytes) replace theirs.

    Raises:
        Refused: over ``MAX_TOTAL_BYTES``.
    """
    others = sum(p.stat().st_size for p in weights_dir.glob("*.safetensors") if p.stem not in sizes)
    total = others + sum(sizes.values())
    if total > MAX_TOTAL_BYTES:
        raise Refused(
            f"shipped weights would total {total / 2**20:.1f} MiB, over {MAX_TOTAL_BYTES / 2**20:.0f} MiB "
            f"({', '.join(sorted(sizes))} with those already in {weights_dir}); ship fewer or narrower models"
        )
    return total


# ------------------------------------------------------------------ scores


def _scores(result: Any) -> Scores:
    return Scores(result.psnr, result.ssim, result.gsm, result.images)


def bench_file(name: str, weights: Path, data: Path) -> tuple[Scores, Scores, list[float]]:
    """Bicubic's and the model's scores with ``weights`` on ``data``'s ``test/`` split (every image),
    and the model's per-image PSNR-Y."""
    scale = srzoo.get_recipe(name).scale
    bicubic, model = srzoo.bench([f"bicubic-x{scale}", name], [f"{data}:test"], weights={name: weights})
    return _scores(bicubic), _scores(model), [s.scores["psnr"] for s in model.per_image]


def fp16_gap(name: str, original: Path, fp16_psnr: Sequence[float], data: Path) -> tuple[float, float]:
    """Mean PSNR-Y of the run's own file on the first ``len(fp16_psnr)`` images, and the float16
    file's mean minus it."""
    [result] = srzoo.bench(
        [name], [f"{data}:test"], weights={name: original}, metrics=["psnr"], limit=len(fp16_psnr)
    )
    original_psnr = [s.scores["psnr"] for s in result.per_image]
    mean = sum(original_psnr) / len(original_psnr)
    return mean, sum(fp16_psnr) / len(fp16_psnr) - mean


# ------------------------------------------------------------------ the card


def _fmt(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _duration(seconds: float) -> str:
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours} h {rest // 60:02d} min" if hours else f"{rest / 60:.1f} min"


@dataclass(frozen=True)
class Shipment:
    """What one run ships, measured."""

    run: Run
    model: Scores
    bicubic: Scores
    fp16_check: tuple[int, float, float]
    """(images, the run's own file's mean PSNR-Y, float16 minus it)."""
    size: int
    sha256: str
    note: str = ""


def card(item: Shipment) -> str:
    """The model card's body (Markdown, without its heading)."""
    run, model, bicubic = item.run, item.model, item.bicubic
    recipe = srzoo.get_recipe(run.name)
    scale = recipe.scale
    options = run.info.get("options", {})
    data = run.info.get("data") or {}
    seconds, estimated = wall_time(run)
    cpu, here = cpu_of(run)
    threads = (run.info.get("hardware") or {}).get("threads")
    recorded = recorded_command(run.info)
    command = shlex.join(recorded or reconstruct_command(run.name, options))
    rebuilt = "" if recorded else " (rebuilt from `run.json`'s options)"
    weights = (
        f"the final weights, step {run.step}"
        if run.use == "final"
        else f"the best validation step's weights, step {run.step} of {max(run.step, int(run.info['step']))} trained"
    )
    changed = departures(run)
    rule = rule_for(recipe)
    rows = [
        f"  | bicubic-x{scale} | {bicubic.psnr:.3f} | {bicubic.ssim:.4f} | {bicubic.gsm:.4f} |",
        f"  | {run.name} | {model.psnr:.3f} | {model.ssim:.4f} | {model.gsm:.4f} |",
    ]
    reference = LAPSRN_AUTHORS.get(scale)
    if reference is not None:
        rows.append(
            f"  | LapSRN authors' weights ×{scale} (reference) | {reference.psnr:.2f} | "
            f"{_fmt(reference.ssim, 3)} | — |"
        )
    lines = [
        (
            f"{recipe.description.split(':')[0]}, trained by srzoo on CMP Facades with `srzoo train`. "
            f'Load it with `srzoo.build("{run.name}", pretrained=True)` or '
            f"`srzoo upscale -m {run.name} IN -o OUT` (the default weights of the command)."
        ),
        "",
        (
            f"- **Data:** Facades `{data.get('split') or 'train'}/`, the 400 photos (256×256) as HR; LR made by "
            f"MATLAB-exact bicubic ×{scale}, the recipe's degradation. {DATA_CITATION}."
        ),
        f"- **Command**{rebuilt}:",
        "",
        "  ```bash",
        f"  {command}",
        "  ```",
        "",
        (
            f"- **Steps:** {weights} ({run.epochs:g} epochs of {run.info['steps_per_epoch']} steps) of "
            f"{run.info.get('total_steps')} planned, at batch {run.info.get('batch_size')}, "
            f"{_patch(run.info.get('patch_size'))}, {options.get('precision', 'fp32')} on "
            f"{run.info.get('device', 'cpu')}, torch {run.info.get('torch', '?')}."
        ),
        (
            f"- **Wall time:** {'≈ ' if estimated else ''}{_duration(seconds)}"
            + (" (the logged step times, training steps only)" if estimated else "")
            + "."
        ),
        (
            f"- **CPU:** {cpu}"
            + (f", {threads} thread{'' if threads == 1 else 's'}" if threads else "")
            + (" (the machine that ran `ship_weights.py`; the run did not record its own)" if here else "")
            + "."
        ),
        "- **Departures from the paper:** "
        + ("; ".join(changed) if changed else "none in the recipe's settings")
        + (f". {item.note}" if item.note else "")
        + ".",
        (
            f"- **Scores** on all {model.images} Facades `test/` images, `srzoo bench` protocol "
            f"(PSNR/SSIM on rounded Y, GSM, border of {scale} px shaved), the shipped float16 file:"
        ),
        "",
        "  | method | PSNR-Y | SSIM-Y | GSM |",
        "  |---|---|---|---|",
        *rows,
        "",
        (
            f"  ({model.psnr - bicubic.psnr:+.3f} dB over bicubic"
            + (
                f"; the LapSRN authors' weights: {reference.psnr - reference.bicubic_psnr:+.2f} dB "
                f"({LAPSRN_AUTHORS_SOURCE})"
                if reference is not None
                else ""
            )
            + f". Shipping rule ({rule.kind}): {rule.describe()}.) Trained on facades only; not "
            "measured on other content."
        ),
        (
            f"- **File:** `{PACKAGE}:weights/{run.name}.safetensors`, {item.size / 2**20:.2f} MiB, "
            f"float16 (on the first {item.fp16_check[0]} test images its mean PSNR-Y is "
            f"{item.fp16_check[2]:+.5f} dB from the run's {item.fp16_check[1]:.3f}), sha256 `{item.sha256}`."
        ),
        "- **License:** MIT, like srzoo's code; the training images keep their own terms.",
        "",
    ]
    return "\n".join(lines)


def _patch(patch: Any) -> str:
    return f"HR patches {patch}²" if patch else "whole HR images"


# ------------------------------------------------------------------ the repository


@dataclass(frozen=True)
class Destination:
    """Where shipping writes: ``recipes/`` (recipe files), ``recipes/weights/`` and the docs page."""

    root: Path

    @property
    def recipes(self) -> Path:
        return self.root / "recipes"

    @property
    def weights(self) -> Path:
        return self.recipes / "weights"

    @property
    def docs_page(self) -> Path:
        return self.root / "docs" / "pretrained.md"


def set_pretrained(recipe_file: Path, file: str, digest: str) -> None:
    """Put ``pretrained = { file, sha256 }`` into a recipe file, before its first table."""
    lines = [
        line for line in recipe_file.read_text("utf-8").splitlines() if not line.startswith("pretrained = ")
    ]
    entry = (
        f'pretrained = {{ file = "{file}", sha256 = "{digest}", data = "Facades" }}  '
        "# written by benchmarks/ship_weights.py"
    )
    first_table = next((i for i, line in enumerate(lines) if re.match(r"\s*\[", line)), len(lines))
    while first_table > 0 and (not lines[first_table - 1].strip() or lines[first_table - 1].startswith("#")):
        first_table -= 1
    lines.insert(first_table, entry)
    recipe_file.write_text("\n".join(lines) + "\n", "utf-8")


def docs_page(weights_dir: Path) -> str:
    """``docs/pretrained.md``: every model card in ``weights_dir``, by name."""
    cards = []
    for path in sorted(weights_dir.glob("*.md")):
        heading, _, body = path.read_text("utf-8").partition("\n")
        cards.append(f"## {heading.removeprefix('# Model card: ').strip()}\n{body}")
    return (
        "# Shipped weights\n\n"
        "The models below ship inside srzoo, trained by srzoo itself on CMP Facades; each card says how. "
        "Each recipe names its file and sha256 in its `pretrained` entry; `srzoo.build(name, "
        "pretrained=True)`, and by default `srzoo upscale`, `srzoo bench` (which compares them with "
        "bicubic) and `srzoo demo`, load them. The same card ships beside each file as "
        "`srzoo_recipes/weights/NAME.md`. The paper's full-width Stage-GAN (481 MB float32) is too large "
        "to ship: see [Reproducing the paper](reproduction.md) to train it.\n\n"
        "## Shipping a run\n\n"
        "`benchmarks/ship_weights.py` ships the weights of finished `srzoo train` runs:\n\n"
        "```bash\n"
        "python benchmarks/ship_weights.py --run runs/lapsrn-x4 --run runs/stagegan-x8-small \\\n"
        '    --data data/facades [--use best] [--note lapsrn-x4="why it departs"] [--dry-run]\n'
        "```\n\n"
        "It stores the final (or, with `--use best`, the best validation step's) weights as float16 "
        "safetensors with the run's facts in their metadata (at most 16 MB a file, 40 MB all "
        "together), checks on 10 Facades `test/` images that float16 moves the mean PSNR-Y by at most "
        "0.01 dB, benches the file on all 106 `test/` images beside bicubic, and ships it only if it "
        "beats bicubic in PSNR-Y, or, for a model trained against a critic (a GAN, e.g. Stage-GAN), "
        "if it is sharper than bicubic (GSM) at most 1.0 dB below it in PSNR-Y. It then writes the "
        "model card (data, the `srzoo train` command, steps, wall time, CPU, the settings that depart "
        "from the paper's recipe, the scores beside bicubic and the LapSRN authors' weights, sha256), "
        "sets the recipe's `pretrained` entry and rewrites this page. Nothing is written unless every "
        "run passes; `--dry-run` prints the cards instead.\n\n" + "\n".join(cards)
    )


def _commit(staged: Path, target: Path) -> None:
    temporary = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(staged, temporary)
    os.replace(temporary, target)


# ------------------------------------------------------------------ main


def prepare(run: Run, data: Path, staging: Path, note: str = "") -> tuple[Shipment, Path]:
    """Write the float16 file into ``staging``, bench it and judge it; nothing outside ``staging``.

    Raises:
        Refused: too large, float16 moves the score, or the scores fail the shipping rule.
    """
    staged = staging / f"{run.name}.safetensors"
    size = write_fp16(run.weights, staged, weights_facts(run))
    bicubic, model, per_image = bench_file(run.name, staged, data)
    checked = per_image[:FP16_CHECK_IMAGES]
    original, gap = fp16_gap(run.name, run.weights, checked, data)
    if abs(gap) > FP16_TOLERANCE_DB:
        raise Refused(
            f"{run.name}: float16 weights move the mean PSNR-Y by {gap:+.4f} dB on {len(checked)} images "
            f"(more than {FP16_TOLERANCE_DB} dB); not shipped"
        )
    why = refusal(rule_for(srzoo.get_recipe(run.name)), model, bicubic)
    if why is not None:
        raise Refused(f"{run.name}: {why}; not shipped")
    shipment = Shipment(run, model, bicubic, (len(checked), original, gap), size, sha256_of(staged), note)
    return shipment, staged


def ship(
    runs: Sequence[Run], data: Path, destination: Destination, notes: Mapping[str, str], dry_run: bool = False
) -> list[Shipment]:
    """Prepare every run, then (unless ``dry_run``) write the files, recipe entries and docs page.

    Raises:
        BadInput: two runs of one recipe, a recipe without its file in ``destination``.
        Refused: see `prepare` and `check_total`; nothing is written then.
    """
    names = [run.name for run in runs]
    if len(set(names)) != len(names):
        raise BadInput(f"two runs of one recipe: {', '.join(names)}; ship one per recipe")
    unknown = [name for name in notes if name not in names]
    if unknown:
        raise BadInput(f"--note {unknown[0]}=...: no --run of recipe {unknown[0]!r}")
    for name in names:
        if not (destination.recipes / f"{name}.toml").is_file():
            raise BadInput(
                f"{destination.recipes / f'{name}.toml'}: no such recipe file to set `pretrained` in"
            )
    with tempfile.TemporaryDirectory(prefix="ship-weights-") as folder:
        prepared = [prepare(run, data, Path(folder), notes.get(run.name, "")) for run in runs]
        check_total({item.run.name: item.size for item, _ in prepared}, destination.weights)
        if dry_run:
            return [item for item, _ in prepared]
        destination.weights.mkdir(parents=True, exist_ok=True)
        for item, staged in prepared:
            name = item.run.name
            _commit(staged, destination.weights / f"{name}.safetensors")
            (destination.weights / f"{name}.md").write_text(f"# Model card: {name}\n\n{card(item)}", "utf-8")
            set_pretrained(
                destination.recipes / f"{name}.toml", f"{PACKAGE}:weights/{name}.safetensors", item.sha256
            )
    destination.docs_page.write_text(docs_page(destination.weights), "utf-8")
    return [item for item, _ in prepared]


def _notes(items: Sequence[str]) -> dict[str, str]:
    notes = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip() or not text.strip():
            raise BadInput(f"--note {item!r}: expected NAME=TEXT")
        notes[name.strip()] = text.strip().rstrip(".")
    return notes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--run", type=Path, action="append", required=True, help="an `srzoo train` run folder"
    )
    parser.add_argument("--data", type=Path, required=True, help="the Facades root holding test/")
    parser.add_argument(
        "--use", choices=("final", "best"), default="final", help="which weights ship (final)"
    )
    parser.add_argument(
        "--note", action="append", default=[], metavar="NAME=TEXT", help="departures, for the card"
    )
    parser.add_argument("--dry-run", action="store_true", help="measure and print the cards; write nothing")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)  # tests ship into a copy
    args = parser.parse_args(argv)
    try:
        if not (args.data / "test").is_dir():
            raise BadInput(f"--data {args.data}: no test/ folder; expected the Facades root")
        runs = [read_run(folder, args.use) for folder in args.run]
        shipped = ship(runs, args.data, Destination(args.root), _notes(args.note), args.dry_run)
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    except srzoo.SrzooError as exc:  # e.g. weights that do not fit the registered recipe
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for item in shipped:
        if args.dry_run:
            print(f"# Model card: {item.run.name} (dry run)\n\n{card(item)}")
        print(
            f"{item.run.name}: {item.model.psnr:.3f} dB vs bicubic {item.bicubic.psnr:.3f}, GSM "
            f"{item.model.gsm:.4f} vs {item.bicubic.gsm:.4f}; float16 {item.fp16_check[2]:+.4f} dB on "
            f"{item.fp16_check[0]} images; {item.size / 2**20:.2f} MiB, {item.sha256[:12]}"
            + (" (dry run: nothing written)" if args.dry_run else "")
        )
    return 0


if __name__ == "__main__":
    torch.set_flush_denormal(True)
    sys.exit(main())
