"""benchmarks/reproduce_paper.py --width small: reusing `srzoo train` run folders, pending runs, labels."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

import srzoo

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "reproduce_paper.py"
sys.path.insert(0, str(SCRIPT.parent))

from reproduce.models import REDUCED_WIDTH, SMOKE_STAGEGAN
from reproduce.plan import REFERENCE_EPOCHS, Plan, zoo_plan
from reproduce.verdicts import NOT_TESTED, verdicts

IN_PROGRESS = {"recipe": "stagegan-x4-small", "step": 5, "total_steps": 800, "finished": False}


@pytest.fixture(scope="module")
def zoo(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny Facades root (4 train, 2 test images) and a runs folder as the zoo leaves it: a finished
    2-step `srzoo train` run of a narrowed stagegan-x8-small, an unfinished stagegan-x4-small, nothing else."""
    root = tmp_path_factory.mktemp("facades")
    for split, count in (("train", 4), ("test", 2)):
        (root / split).mkdir()
        for index in range(1, count + 1):
            shutil.copyfile(data_dir / "facades" / split / f"{index}.jpg", root / split / f"{index}.jpg")
    runs = tmp_path_factory.mktemp("runs")
    result = srzoo.train(
        "stagegan-x8-small",
        root / "train",
        runs / "stagegan-x8-small",
        max_steps=2,
        val="",
        progress=False,
        overrides=SMOKE_STAGEGAN,
    )
    assert result.weights is not None
    (runs / "stagegan-x4-small").mkdir()
    (runs / "stagegan-x4-small" / "run.json").write_text(json.dumps(IN_PROGRESS))
    return root, runs


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(SCRIPT), "--width", "small", "--device", "cpu", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def reduced(zoo: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    """The script run on the zoo's runs with no budget: returns (out, table.json, runs before)."""
    root, runs = zoo
    before = _tree(runs)
    out = tmp_path_factory.mktemp("out")
    done = _run("--data", root, "--runs", runs, "--out", out, "--limit", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    return out, json.loads((out / "table.json").read_text()), before


@pytest.mark.shared_data
def test_zoo_plan_reads_the_schedule_share_from_run_json(zoo: tuple[Path, Path], tmp_path: Path) -> None:
    _, runs = zoo
    assert not (runs / "stagegan-x8-small" / "plan.json").exists()
    plan = zoo_plan(runs / "stagegan-x8-small", "stagegan-x8-small")
    assert isinstance(plan, Plan)
    assert (plan.steps, plan.steps_per_epoch, plan.batch_size) == (2, 4, 1)  # 4 images at batch 1
    assert plan.reference_steps == REFERENCE_EPOCHS * 4 and plan.fraction == 2 / 800
    assert plan.epochs == 0.5 and plan.reduced and plan.precision == "fp32"
    assert plan.overrides == json.loads(json.dumps(SMOKE_STAGEGAN)) and plan.step_seconds > 0
    # a copy whose run.json says 80 steps (20 epochs of 4 images): exactly the 10 % the verdicts ask
    copy = tmp_path / "stagegan-x8-small"
    shutil.copytree(runs / "stagegan-x8-small", copy)
    info = json.loads((copy / "run.json").read_text())
    (copy / "run.json").write_text(json.dumps({**info, "step": 80, "total_steps": 80}))
    longer = zoo_plan(copy, "stagegan-x8-small")
    assert isinstance(longer, Plan) and longer.fraction == 0.1 and longer.epochs == 20
    assert (
        zoo_plan(copy, "stagegan-x4-small")
        == f"{copy} holds a run of 'stagegan-x8-small', not 'stagegan-x4-small'"
    )
    (copy / "run.json").write_text(json.dumps({**info, "finished": False}))
    assert zoo_plan(copy, "stagegan-x8-small") == "run in progress or interrupted: step 2 of 2"
    assert zoo_plan(tmp_path / "nothing", "stagegan-x8-small") == "no run"


@pytest.mark.shared_data
def test_reduced_width_reuses_the_finished_run_and_lists_the_others(reduced: tuple[Path, dict, dict]) -> None:
    _, document, _ = reduced
    rows = {row["method"]: row for row in document["table"]}
    assert set(rows) == {"bicubic-x4", "bicubic-x8", "stagegan-x8-small", "stagegan-x8-small (Stage-1)"}
    schedule = rows["stagegan-x8-small"]["schedule"]
    assert (schedule["steps"], schedule["reference_steps"], schedule["fraction_of_reference"]) == (
        2,
        800,
        0.0025,
    )
    assert rows["stagegan-x8-small"]["note"].startswith("srzoo train run, 0.5 epochs, fp32; sem.ngf=8")
    status = {row["method"]: row["status"] for row in document["missing"]}
    assert status["stagegan-x4-small"] == "pending: run in progress or interrupted: step 5 of 800"
    assert status["srcnn-x8"] == "pending: no run (give --budget-minutes to train it here)"
    assert set(status) == {
        "srcnn-x4",
        "srcnn-x8",
        "lapsrn-x4",
        "lapsrn-x8",
        "srresnet-x4",
        "srgan-x4-mse",
        "stagegan-x4-small",
        "stagegan-x4-small-nosem",
        "stagegan-x8-small-nosem",
    }


@pytest.mark.shared_data
def test_runs_folder_is_left_as_it_was(zoo: tuple[Path, Path], reduced: tuple[Path, dict, dict]) -> None:
    _, runs = zoo
    assert _tree(runs) == reduced[2]


@pytest.mark.shared_data
def test_claims_without_runs_are_not_tested_with_the_reason(reduced: tuple[Path, dict, dict]) -> None:
    _, document, _ = reduced
    by_claim = {v["claim"].split(" (")[0]: v for v in document["verdicts"]}
    assert len(by_claim) == 6
    sharpens = by_claim["×8: Stage-2 sharpens Stage-1"]
    assert sharpens["verdict"] == "inconclusive"
    assert sharpens["why"] == "schedule at 0.25% of the paper's (< 10%)"
    (comparison,) = sharpens["comparisons"]
    assert (comparison["a"], comparison["b"], comparison["metric"]) == (
        "stagegan-x8-small",
        "stagegan-x8-small (Stage-1)",
        "gsm",
    )
    assert comparison["standard_error"] > 0
    for claim, verdict in by_claim.items():
        if claim != "×8: Stage-2 sharpens Stage-1":
            assert verdict["verdict"] == NOT_TESTED and verdict["comparisons"] == [], claim
    assert by_claim["×4: Stage-2 sharpens Stage-1"]["why"] == (
        "stagegan-x4-small: pending: run in progress or interrupted: step 5 of 800"
    )
    assert (
        "srcnn-x8: pending: no run" in by_claim["×8: Stage-GAN has higher GSM than SRCNN and LapSRN"]["why"]
    )


@pytest.mark.shared_data
def test_every_output_is_labelled_reduced_width(reduced: tuple[Path, dict, dict]) -> None:
    out, document, _ = reduced
    assert document["width"] == "small" and document["label"] == REDUCED_WIDTH
    markdown = (out / "table.md").read_text()
    assert markdown.splitlines()[0].endswith(REDUCED_WIDTH) and f"**{REDUCED_WIDTH}**" in markdown
    assert "| stagegan-x4-small | ×4 | – |" in markdown and "**not tested**" in markdown
    figures = sorted(out.glob("*.png"))
    assert {"stages.png", "loss_curves.png"} <= {p.name for p in figures}
    assert any(p.name.startswith("comparison-") and p.name.endswith("-x8.png") for p in figures)
    for path in figures:
        with Image.open(path) as image:
            assert image.text.get("Title") == REDUCED_WIDTH, path.name
    assert len(list(out.iterdir())) <= 8


def _result(gsm: list[float]) -> SimpleNamespace:
    per_image = [SimpleNamespace(scores={"gsm": value}) for value in gsm]
    return SimpleNamespace(scores={"gsm": sum(gsm) / len(gsm)}, per_image=per_image)


def test_verdict_at_a_conclusive_share_uses_paired_standard_errors() -> None:
    stage2, stage1 = _result([0.95, 0.97, 0.96, 0.98]), _result([0.94, 0.95, 0.95, 0.96])
    results = {"stagegan-x8-small": stage2, "stagegan-x8-small (Stage-1)": stage1}
    plan = Plan(steps_per_epoch=400, reference_steps=80000, batch_size=1, patch_size=None, step_seconds=0.3)
    plan.steps = 8000  # 10 % of the 200 epochs
    missing = {"stagegan-x4-small": "pending: run in progress"}
    out = {v["claim"]: v for v in verdicts(results, {"stagegan-x8-small": plan}, "small", missing)}
    (sharpens,) = (v for claim, v in out.items() if claim.startswith("×8: Stage-2 sharpens"))
    (comparison,) = sharpens["comparisons"]
    # differences 0.01, 0.02, 0.01, 0.02: mean 0.015, sample sd 0.005774, SE 0.002887
    assert comparison["difference"] == pytest.approx(0.015)
    assert comparison["standard_error"] == pytest.approx(0.0057735 / 2, rel=1e-4)
    assert sharpens["verdict"] == "held" and comparison["outcome"] == "held"
    (other,) = (v for claim, v in out.items() if claim.startswith("×4: Stage-2 sharpens"))
    assert other == {
        "claim": "×4: Stage-2 sharpens Stage-1 (Fig. 8/9; GSM of Stage-2 over Stage-1)",
        "verdict": NOT_TESTED,
        "why": "stagegan-x4-small: pending: run in progress",
        "comparisons": [],
    }
    plan.steps = 7999
    out = {v["claim"]: v for v in verdicts(results, {"stagegan-x8-small": plan}, "small", missing)}
    assert out[sharpens["claim"]]["verdict"] == "inconclusive"


def test_small_width_needs_a_runs_folder(tmp_path: Path) -> None:
    for split in ("train", "test"):
        (tmp_path / split).mkdir()
    done = _run("--data", tmp_path, "--out", tmp_path / "out")
    assert done.returncode == 2
    assert "--width small reuses the `srzoo train` run folders RUNS/NAME: give --runs RUNS" in done.stderr


@pytest.mark.slow  # times and trains a tiny model, then benches it (about 20 s on an idle 2-core CPU)
@pytest.mark.shared_data
def test_a_missing_run_is_trained_into_runs_in_the_layout_of_srzoo_train(
    zoo: tuple[Path, Path], tmp_path: Path
) -> None:
    root, zoo_runs = zoo
    runs = tmp_path / "runs"
    shutil.copytree(zoo_runs, runs)
    selected = "stagegan-x8-small,stagegan-x8-small-nosem"
    done = _run("--data", root, "--runs", runs, "--out", tmp_path / "out", "--smoke", "--models", selected)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "reusing the finished run" in done.stderr and "timing stagegan-x8-small-nosem" in done.stderr
    trained = runs / "stagegan-x8-small-nosem"
    info = json.loads((trained / "run.json").read_text())
    assert info["recipe"] == "stagegan-x8-small-nosem" and info["finished"] and info["step"] == 3
    assert (trained / "recipe.toml").is_file() and (trained / "model.safetensors").is_file()
    assert zoo_plan(trained, "stagegan-x8-small-nosem").steps == 3  # read back as a zoo run would be
    assert _tree(runs / "stagegan-x4-small") == _tree(zoo_runs / "stagegan-x4-small")  # never touched
    document = json.loads((tmp_path / "out" / "table.json").read_text())
    by_claim = {v["claim"]: v for v in document["verdicts"]}
    stage1 = by_claim[
        "×8: Stage-1 with semantic maps beats Stage-1 without (Fig. 6/7; PSNR and SSIM of the Stage-1 image)"
    ]
    assert stage1["verdict"] == "inconclusive" and len(stage1["comparisons"]) == 2
    status = {row["method"]: row["status"] for row in document["missing"]}
    assert status["stagegan-x4-small"] == "not selected (--models)"


def test_allocate_first_gives_every_model_the_floor_when_it_fits() -> None:
    from reproduce.plan import allocate

    def plan(seconds: float) -> Plan:
        return Plan(
            steps_per_epoch=400, reference_steps=80000, batch_size=1, patch_size=None, step_seconds=seconds
        )

    fast, slow = plan(0.1), plan(0.3)  # 10 % of the schedule costs 800 s and 2400 s
    allocate([fast, slow], budget_seconds=3300, floor=0.0)  # equal time, 1650 s each: the slow one at 6.9 %
    assert (fast.steps, slow.steps) == (16500, 5500) and slow.fraction < 0.1
    allocate([fast, slow], budget_seconds=3300, floor=0.1)  # the floors (3200 s), then 50 s more each
    assert (fast.steps, slow.steps) == (8500, 8166) and slow.fraction >= 0.1
    allocate([fast, slow], budget_seconds=3000, floor=0.1)  # the floors do not fit: equal time again
    assert (fast.steps, slow.steps) == (15000, 5000)


def test_a_reused_runs_note_lists_scalar_overrides_and_describes_a_loss_list() -> None:
    from reproduce.cli import reused_model
    from reproduce.models import models

    srgan = next(m for m in models(smoke=False, vgg19=None, width="small") if m.recipe == "srgan-x4")
    schedule = {"train.schedule.constant_epochs": 10}
    plan = Plan(25, 5000, 16, 96, 8.4, steps=525, epochs=21, overrides={**srgan.overrides, **schedule})
    note = reused_model(srgan, plan, shipped=False).note
    assert note == f"srzoo train run, 21 epochs, fp32; schedule.constant_epochs=10, {srgan.note}"
    assert "{" not in note and srgan.note.startswith("SRGAN-MSE")
    plain = dataclasses.replace(plan, overrides=schedule)
    assert (
        reused_model(srgan, plain, shipped=False).note
        == "srzoo train run, 21 epochs, fp32; schedule.constant_epochs=10"
    )


def test_shipped_plan_reads_the_schedule_from_the_weights_metadata() -> None:
    from reproduce.plan import shipped_plan

    found = shipped_plan("stagegan-x8-small")
    assert isinstance(found, tuple)
    plan, path = found
    assert path == srzoo.get_recipe("stagegan-x8-small").pretrained.path()
    # its model card: the fine-tune's best step, 3000 of 400-step epochs at batch 1, of a 5 + 5-epoch
    # schedule (the paper's 100 + 100), fp32 (the 40 epochs of the weights it started from are not in it)
    assert (plan.steps, plan.steps_per_epoch, plan.batch_size, plan.patch_size) == (3000, 400, 1, None)
    assert plan.fraction == 3000 / 80000 and plan.epochs == 7.5 and plan.schedule_epochs_scale == 0.05
    assert plan.precision == "fp32" and plan.wall_seconds == 0.0
    assert shipped_plan("stagegan-x8-small-nosem") == "srzoo ships no weights for stagegan-x8-small-nosem"


@pytest.mark.shared_data
def test_shipped_weights_are_benched_with_their_schedule(zoo: tuple[Path, Path], tmp_path: Path) -> None:
    root, runs = zoo
    before = _tree(runs)
    out = tmp_path / "out"
    done = _run(
        "--data",
        root,
        "--runs",
        runs,
        "--out",
        out,
        "--shipped",
        "--limit",
        "1",
        "--models",
        "stagegan-x8-small",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "reusing the shipped weights of stagegan-x8-small" in done.stderr
    document = json.loads((out / "table.json").read_text())
    rows = {row["method"]: row for row in document["table"]}
    row = rows["stagegan-x8-small"]
    assert row["note"].startswith("shipped weights (float16), srzoo train, 7.5 epochs, fp32")
    assert row["schedule"]["fraction_of_reference"] == 0.0375 and row["schedule"]["steps"] == 3000
    assert "stagegan-x8-small (Stage-1)" in rows
    # the shipped weights, not the 2-step run in runs/, were benched: far above its few-step PSNR
    assert row["psnr"] > rows["bicubic-x8"]["psnr"] - 1.0
    assert "| 3000 | 7.5 | 1 | 0.0375 | – |" in (out / "table.md").read_text()
    assert not (out / "loss_curves.png").exists()  # shipped weights keep no loss log
    assert (out / "stages.png").is_file() and _tree(runs) == before


def test_shipped_needs_reduced_width(tmp_path: Path) -> None:
    for split in ("train", "test"):
        (tmp_path / split).mkdir()
    command = [sys.executable, str(SCRIPT), "--shipped", "--data", tmp_path, "--out", tmp_path / "out"]
    done = subprocess.run(list(map(str, command)), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "--shipped needs --width small: srzoo ships no full-width Stage-GAN weights" in done.stderr
