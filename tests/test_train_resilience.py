"""Training runs you can trust (issue 19): resume by content, one trainer per run folder, torn
lines, divergence, hyper-parameter ranges, --out inside --data, I/O errors in words."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

import srzoo
from srzoo.cli import main
from srzoo.train import Trainer, TrainingDiverged


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five smooth 40x40 RGB images (SRCNN at batch 2 trains on them in milliseconds per step)."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(5)
    for index in range(5):
        coarse = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
        Image.fromarray(coarse).resize((40, 40), Image.BICUBIC).save(folder / f"{index}.png")
    return folder


def _args(photos: Path, run: Path, steps: int, *extra: str) -> list[str]:
    return [
        "train",
        "srcnn-x4",
        "--data",
        str(photos),
        "--out",
        str(run),
        "--max-steps",
        str(steps),
        "--batch-size",
        "2",
        "--log-every",
        "1",
        "--checkpoint-every",
        "1",
        "--keep",
        "5",
        "--quiet",
        *extra,
    ]


def _cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err.strip()


def _rows(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def _same(row_a: dict, row_b: dict) -> bool:
    return {k: v for k, v in row_a.items() if k != "step_time"} == {
        k: v for k, v in row_b.items() if k != "step_time"
    }


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def three_steps(photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A finished 3-step run with checkpoints step-1..3."""
    run = tmp_path / "run"
    assert _cli(capsys, _args(photos, run, 3))[0] == 0
    return run


# ------------------------------------------------------------------ resume picks what reads back


def test_resume_skips_a_damaged_newest_checkpoint_and_says_which_it_took(photos, three_steps, capsys):
    run, folder = three_steps, three_steps / "checkpoints"
    before = _rows(run)
    kept = _snapshot(folder / "step-00000001")
    state = folder / "step-00000003" / "state.safetensors"
    state.write_bytes(state.read_bytes()[:100])  # torn by a crash
    code, err = _cli(capsys, _args(photos, run, 4, "--resume"))
    assert code == 0
    lines = err.splitlines()
    assert "step-00000003 is unreadable" in lines[0] and "resuming from step-00000002" in lines[0]
    assert lines[1] == f"resuming from {folder / 'step-00000002'} (step 2 of 4)"
    rows = _rows(run)
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
    assert _same(rows[0], before[0]) and _same(rows[1], before[1]) and _same(rows[2], before[2])
    assert _snapshot(folder / "step-00000001") == kept


@pytest.mark.parametrize(
    "pointer",
    ['{"checkpoint": "step-00000009", "step": 9}', '{"checkpo', '{"checkpoint": "../../elsewhere"}'],
)
def test_resume_does_not_trust_latest_json(photos, three_steps, capsys, pointer):
    folder = three_steps / "checkpoints"
    (folder / "latest.json").write_text(pointer)  # missing folder, truncated, outside the run
    code, err = _cli(capsys, _args(photos, three_steps, 4, "--resume"))
    assert code == 0 and err == f"resuming from {folder / 'step-00000003'} (step 3 of 4)"
    assert [r["step"] for r in _rows(three_steps)] == [1, 2, 3, 4]


def test_nothing_readable_changes_nothing_and_advises_no_deletion(photos, three_steps, capsys):
    for step in (1, 2, 3):
        (three_steps / "checkpoints" / f"step-0000000{step}" / "state.json").write_text('{"form')
    before = _snapshot(three_steps)
    code, err = _cli(capsys, _args(photos, three_steps, 4, "--resume"))
    assert code == 2 and len(err.splitlines()) == 1
    assert "no checkpoint reads back whole (step-00000003, step-00000002, step-00000001)" in err
    assert "delete" not in err and "without --resume" not in err
    assert _snapshot(three_steps) == before


def test_resume_without_a_run_leaves_no_folder(photos, tmp_path, capsys):
    code, err = _cli(capsys, _args(photos, tmp_path / "new" / "run", 2, "--resume"))
    assert code == 2 and "no checkpoint to resume from" in err
    assert not (tmp_path / "new").exists()


def test_a_fresh_run_over_checkpoints_is_refused_even_with_a_broken_pointer(photos, three_steps, capsys):
    (three_steps / "checkpoints" / "latest.json").write_text("")
    before = _snapshot(three_steps)
    code, err = _cli(capsys, _args(photos, three_steps, 3))
    assert code == 2 and "already holds a run's checkpoints; pass --resume" in err
    assert _snapshot(three_steps) == before


def test_a_torn_last_metrics_line_is_tolerated_on_resume(photos, three_steps, capsys):
    metrics = three_steps / "metrics.jsonl"
    before = _rows(three_steps)
    metrics.write_text(metrics.read_text() + '{"step": 4, "sr.ms')  # a crash mid-write
    code, err = _cli(capsys, _args(photos, three_steps, 4, "--resume"))
    assert code == 0 and "step 3 of 4" in err
    rows = _rows(three_steps)  # every line parses again
    assert [r["step"] for r in rows] == [1, 2, 3, 4] and all(map(_same, rows[:3], before))


def test_appending_after_a_torn_line_starts_a_new_line(tmp_path):
    lines = srzoo.train.rundir.JsonLines(tmp_path / "m.jsonl")
    lines.append({"step": 1, "x": 1.0})
    lines.path.write_text(lines.path.read_text() + '{"step": 2, "x"')
    lines.append({"step": 3, "x": float("nan")})
    assert lines.rows() == [{"step": 1, "x": 1.0}, {"step": 3, "x": "nan"}]
    lines.truncate_after(1)
    assert lines.path.read_text() == '{"step": 1, "x": 1.0}\n'


# ------------------------------------------------------------------ one trainer per run folder


def test_a_second_trainer_is_refused_naming_the_holder(photos, tmp_path, capsys):
    run = tmp_path / "run"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from srzoo.train.lock import RunLock; "
                "lock = RunLock(sys.argv[1]); print('locked', flush=True); time.sleep(60)"
            ),
            str(run),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        code, err = _cli(capsys, _args(photos, run, 2))
        assert code == 2 and len(err.splitlines()) == 1
        assert f"{run}: in use by another srzoo train (pid {holder.pid})" in err
        assert sorted(p.name for p in run.iterdir()) == [".lock"]  # nothing written
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    # the holder died: its lock file is stale and blocks nothing
    assert _cli(capsys, _args(photos, run, 2))[0] == 0
    assert [r["step"] for r in _rows(run)] == [1, 2]


def test_the_lock_is_held_from_set_up_to_the_end_of_fit(photos, tmp_path):
    options = {"max_steps": 1, "batch_size": 2, "progress": False}
    first = Trainer("srcnn-x4", data=photos, out=tmp_path / "run", **options)
    with pytest.raises(srzoo.InputError, match=rf"in use by another srzoo train \(pid {os.getpid()}\)"):
        Trainer("srcnn-x4", data=photos, out=tmp_path / "run", resume=True, **options)
    first.fit()
    second = Trainer("srcnn-x4", data=photos, out=tmp_path / "run", resume=True, max_steps=2, batch_size=2)
    assert second.step == 1
    second.close()


# ------------------------------------------------------------------ divergence


def test_a_run_ending_on_skipped_steps_exports_the_last_good_checkpoint(photos, tmp_path):
    run = tmp_path / "run"
    trainer = Trainer(
        "srcnn-x4",
        data=photos,
        out=run,
        max_steps=4,
        batch_size=2,
        checkpoint_every=2,
        log_every=1,
        progress=False,
    )
    term = trainer.terms[0]
    good = term.loss
    term.loss = lambda p, t: good(p, t) * (float("inf") if trainer.step >= 2 else 1.0)
    with pytest.raises(TrainingDiverged) as caught:
        trainer.fit()
    message = str(caught.value)
    assert message.startswith("training diverged: its last 2 step(s) were skipped as NaN/inf at step 4; ")
    assert (
        f"exported the last good checkpoint step-00000002 (step 2) as {run / 'model.safetensors'}" in message
    )
    exported = load_file(str(run / "model.safetensors"))
    saved = load_file(str(run / "checkpoints" / "step-00000002" / "model.safetensors"))
    assert exported.keys() == saved.keys() and all(torch.equal(exported[k], saved[k]) for k in saved)
    assert sorted(p.name for p in (run / "checkpoints").glob("step-*")) == ["step-00000002"]
    assert [r["skipped"] for r in _rows(run)] == [0, 0, 1, 1]
    assert json.loads((run / "run.json").read_text())["finished"] is False


def test_non_finite_final_weights_fail_the_run(photos, tmp_path):
    run = tmp_path / "run"
    trainer = Trainer(
        "srcnn-x4", data=photos, out=run, max_steps=3, batch_size=2, checkpoint_every=1, progress=False
    )

    def poison(t: Trainer) -> None:
        if t.step == 3:
            with torch.no_grad():
                next(t.model.parameters()).fill_(float("nan"))

    with pytest.raises(TrainingDiverged, match=r"its final weights are NaN/inf at step 3; .*step-00000002"):
        trainer.fit(on_step=poison)
    exported = load_file(str(run / "model.safetensors"))
    assert all(torch.isfinite(v).all() for v in exported.values())


def test_diverged_cli_run_exits_non_zero_with_one_line(photos, tmp_path, capsys, monkeypatch):
    real = Trainer.fit

    def poisoned(self, on_step=None):
        def hook(t):
            if t.step == 2:
                with torch.no_grad():
                    next(t.model.parameters()).fill_(float("inf"))

        return real(self, on_step=hook)

    monkeypatch.setattr(Trainer, "fit", poisoned)
    code, err = _cli(capsys, _args(photos, tmp_path / "run", 2))
    assert code == 2 and len(err.splitlines()) == 1
    assert "training diverged" in err and "step-00000001 (step 1)" in err


def test_the_roll_back_message_names_the_step_it_stopped_at(photos, tmp_path):
    trainer = Trainer(
        "srcnn-x4",
        data=photos,
        out=tmp_path / "run",
        max_steps=8,
        batch_size=2,
        checkpoint_every=1,
        max_bad_steps=3,
        progress=False,
    )
    term = trainer.terms[0]
    good = term.loss
    term.loss = lambda p, t: good(p, t) * (float("nan") if trainer.step >= 2 else 1.0)
    with pytest.raises(TrainingDiverged, match=r"up to step 5\); rolled back to .*step-00000002"):
        trainer.fit()
    assert trainer.step == 2


# ------------------------------------------------------------------ recipe values, folders, I/O


@pytest.mark.parametrize(
    ("setting", "key"),
    [
        ("train.optimizer.lr=nan", "train.optimizer.lr"),
        ("train.optimizer.lr=inf", "train.optimizer.lr"),
        ("train.optimizer.lr=-1e-4", "train.optimizer.lr"),
        ("train.schedule.gamma=-0.5", "train.schedule.gamma"),
        ("train.optimizer.betas=[2.0, 3.0]", "train.optimizer.betas"),
        ("train.optimizer.momentum=-1", "train.optimizer.momentum"),
        ("train.optimizer.weight_decay=-1", "train.optimizer.weight_decay"),
        ("train.optimizer.name=lbfgs", "train.optimizer.name"),
        ("train.grad_clip=inf", "train.grad_clip"),
        ('train.optimizer.lr_multipliers={"stages.nope" = 0.1}', "train.optimizer.lr_multipliers"),
    ],
)
def test_hyper_parameters_out_of_range_are_one_line(photos, tmp_path, capsys, setting, key):
    code, err = _cli(capsys, _args(photos, tmp_path / "run", 1, "--set", setting))
    assert code == 2 and len(err.splitlines()) == 1 and f"key '{key}'" in err
    assert not (tmp_path / "run").exists()


def test_recipe_files_are_checked_when_read(tmp_path):
    recipe = srzoo.get_recipe("srcnn-x4")
    with pytest.raises(srzoo.RecipeError, match=r"'train.schedule.gamma': expected a finite number > 0"):
        recipe.with_overrides({"train.schedule.name": "step", "train.schedule.gamma": 0.0})
    assert recipe.with_overrides({"train.optimizer.betas": [0.0, 0.99]}).train.optimizer.betas == (0.0, 0.99)


@pytest.mark.parametrize("inside", ["", "run"])
def test_out_inside_data_is_refused(photos, capsys, inside):
    out = photos / inside if inside else photos
    before = sorted(p.name for p in photos.iterdir())
    code, err = _cli(capsys, _args(photos, out, 1))
    assert code == 2 and f"--out {out} is inside --data {photos}" in err and len(err.splitlines()) == 1
    assert sorted(p.name for p in photos.iterdir()) == before


def test_an_unwritable_out_names_it_in_words(photos, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, err = _cli(capsys, _args(photos, blocker / "run", 1))
    assert code == 2 and err == f"error: {blocker / 'run'}: cannot create the run folder (Not a directory)"


def test_a_failed_loss_plot_does_not_fail_a_finished_run(photos, tmp_path, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "/tmp/.loss_curves.png.1234.partial")

    monkeypatch.setattr(srzoo.train.records, "loss_curves", broken)
    code, err = _cli(capsys, _args(photos, tmp_path / "run", 1))
    assert code == 0
    assert (
        err
        == f"warning: {tmp_path / 'run' / 'loss_curves.png'}: not drawn (no space left on the device; free some space)"
    )
    assert (tmp_path / "run" / "model.safetensors").is_file()
    assert json.loads((tmp_path / "run" / "run.json").read_text())["finished"] is True


def test_the_stop_message_is_one_line(photos, tmp_path, capsys, monkeypatch):
    real = Trainer.fit
    monkeypatch.setattr(Trainer, "fit", lambda self: real(self, on_step=lambda t: t.request_stop()))
    out = tmp_path / ("a-rather-long-run-folder-name-" * 3)
    code, err = _cli(capsys, _args(photos, out, 3))
    assert code == 130
    assert (
        err
        == f"stopped at step 1; checkpoint {out / 'checkpoints' / 'step-00000001'}; continue with --resume"
    )


# ------------------------------------------------------------------ bench --out


def test_bench_checks_out_before_benchmarking(tmp_path, capsys, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("benchmarked although --out cannot be written")

    monkeypatch.setattr(srzoo.bench, "bench", never)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    argv = ["bench", "--methods", "bicubic-x4", "--data", "charts:32", "--limit", "1"]
    assert main([*argv, "--out", str(blocker / "results")]) == 2
    assert f"--out {blocker / 'results'}: {blocker} is a file, not a folder" in capsys.readouterr().err

    class Full:
        f_bavail = 0

    monkeypatch.setattr(os, "statvfs", lambda path: Full())
    assert main([*argv, "--out", str(tmp_path / "results")]) == 2
    assert "no space left on the device holding" in capsys.readouterr().err
    assert not (tmp_path / "results").exists()


def test_bench_write_errors_name_the_folder_not_a_temporary_file(tmp_path, capsys, monkeypatch):
    from srzoo.bench import report

    def full(path, text):
        raise OSError(
            errno.ENOSPC, "No space left on device", str(path.parent / ".results.json.ab12.partial")
        )

    monkeypatch.setattr(report, "write_text", full)
    out = tmp_path / "results"
    argv = ["bench", "--methods", "bicubic-x4", "--data", "charts:32", "--limit", "1", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err == f"error: --out {out}: cannot write the results (no space left on the device; free some space)"
    )


def test_every_listed_optimiser_is_a_torch_optimiser():
    from srzoo.recipe.hyperparameters import OPTIMIZERS

    classes = {name.lower(): obj for name, obj in vars(torch.optim).items() if isinstance(obj, type)}
    assert all(issubclass(classes[name], torch.optim.Optimizer) for name in OPTIMIZERS)
