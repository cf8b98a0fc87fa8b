"""Logs anywhere: plain progress lines off a terminal, ``train.log``, logger plugins, TensorBoard,
and what ``run.json`` records (command lines, hardware, wall-clock time)."""

from __future__ import annotations

import io
import json
import re
import sys
import types
from pathlib import Path
from typing import ClassVar

import pytest
from rich.console import Console

import srzoo
from srzoo.cli import main
from srzoo.registry import loader as _plugins
from srzoo.train import Trainer, TrainOptions
from srzoo.train.loggers import Loggers
from srzoo.train.progress import RunProgress, StepStatus
from srzoo.train.runlog import RunLog

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = {"sr.filters": [8, 4]}
"""SRCNN with 8 and 4 filters: a step takes milliseconds."""

STEP_LINE = re.compile(
    r"step (\d+)/(\d+) \(epoch (\d+\.\d\d)\) \| sr\.mse (\S+) \| lr (\S+) \| (\S+) it/s \| ETA (\d+:\d\d:\d\d)"
)


def _train(photos: Path, out: Path, **options) -> Trainer:
    settings = {"max_steps": 3, "batch_size": 2, "patch_size": 32, "log_every": 1, "progress": False}
    settings["overrides"] = TINY
    settings.update(options)
    return Trainer("srcnn-x4", data=photos, out=out, **settings)


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _cli(photos: Path, out: Path, *extra: str) -> list[str]:
    return [
        "train",
        "srcnn-x4",
        "--data",
        str(photos),
        "--out",
        str(out),
        "--batch-size",
        "2",
        "--patch-size",
        "32",
        "--set",
        "sr.filters=[8, 4]",
        *extra,
    ]


# ------------------------------------------------------------------ plain lines off a terminal


def test_plain_progress_lines_when_stderr_is_not_a_terminal(photos, tmp_path, capsys):
    run = tmp_path / "run"
    code = main(_cli(photos, run, "--max-steps", "3", "--log-every", "1", "--log-seconds", "0", "--val", ""))
    captured = capsys.readouterr()
    assert code == 0 and "trained srcnn-x4 for 3 steps" in captured.out
    lines = captured.err.splitlines()
    assert lines[0].startswith(f"start srcnn-x4 in {run}: 3 steps, 2 per epoch, batch 2, patch 32, on cpu (")
    steps = [STEP_LINE.fullmatch(line) for line in lines if line.startswith("step ")]
    assert all(steps) and len(steps) == 3, lines
    rows = _rows(run / "metrics.jsonl")
    for match, row in zip(steps, rows, strict=True):
        step, total, epoch, loss, lr, speed, _ = match.groups()
        assert (int(step), int(total)) == (row["step"], 3)
        assert epoch == f"{row['epoch']:.2f}" and loss == f"{row['sr.mse']:.4g}"
        assert lr == "1.0e-04" and float(speed) > 0
    assert steps[-1].group(7) == "0:00:00"  # nothing left at the last step
    assert lines[-1] == f"checkpoint at step 3: {run / 'checkpoints' / 'step-00000003'}"
    assert "\x1b" not in captured.err  # no terminal escapes in a log file


def test_quiet_prints_nothing_on_stderr_but_keeps_train_log(photos, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(_cli(photos, run, "--max-steps", "2", "--val", "", "--quiet")) == 0
    assert capsys.readouterr().err == ""
    assert "finished at step 2 of 2" in (run / "train.log").read_text()


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _status(step: int, total: int = 100) -> StepStatus:
    return StepStatus(step, total, step / 10, {"sr.l1": 0.5}, {"lr/sr": 2e-4, "lr/d0": 1e-4}, 2.0, 1.0)


def test_a_line_at_most_every_log_seconds_and_always_first_and_last(tmp_path, capsys):
    clock = _Clock()
    progress = RunProgress(100, 0, enabled=True, description="x")
    log = RunLog(tmp_path / "train.log", progress, Loggers({}), every_seconds=30, now=clock)
    for step, seconds in [(10, 1), (20, 12), (30, 31.5), (40, 40), (50, 61.5), (100, 62)]:
        clock.now = seconds
        log.step(_status(step), {})
    shown = [line.split(" (")[0] for line in capsys.readouterr().err.splitlines()]
    assert shown == ["step 10/100", "step 30/100", "step 50/100", "step 100/100"]
    written = [
        line.split(" ", 2)[2].split(" (")[0] for line in (tmp_path / "train.log").read_text().splitlines()
    ]
    assert written == shown  # train.log holds the same lines, timestamped


def test_the_line_format():
    status = _status(120, total=16000)
    assert status.line() == (
        "step 120/16000 (epoch 12.00) | sr.l1 0.5 | lr sr 2.0e-04 d0 1.0e-04 | 2 it/s | ETA 2:12:20"
    )
    one_rate = StepStatus(5, 10, 0.5, {"a": 1.23456}, {"lr/x": 1e-4, "lr/y": 1e-4}, 0.0, 0.0)
    assert one_rate.line() == "step 5/10 (epoch 0.50) | a 1.235 | lr 1.0e-04 | 0 it/s | ETA -:--:--"
    assert StepStatus(1, 86401, 0, {}, {}, 1.0, 0).eta() == "1 day, 0:00:00"


def test_the_bar_shows_the_measured_eta_from_the_first_update():
    console = Console(file=io.StringIO(), force_terminal=True, width=200)
    bar = RunProgress(100, 0, enabled=True, description="srcnn-x4", console=console)
    assert bar.on_terminal
    with bar:  # one update: rich's own estimate would still show -:--:--
        bar.update(StepStatus(10, 100, 0.5, {"sr.mse": 0.25}, {"lr/sr": 1e-4}, 2.0, 64.0))
    shown = console.file.getvalue()
    assert "ETA 0:00:45" in shown and "sr.mse 0.25" in shown and "2.00 it/s" in shown


# ------------------------------------------------------------------ train.log and run.json across a resume


def test_train_log_is_appended_on_resume_and_run_json_keeps_commands_hardware_and_time(
    photos, tmp_path, monkeypatch
):
    run = tmp_path / "run"
    monkeypatch.setattr(sys, "argv", ["srzoo", "train", "first"])
    _train(photos, run, max_steps=2, val="").fit()
    first_log = (run / "train.log").read_text()
    first = json.loads((run / "run.json").read_text())
    assert first["commands"] == [["srzoo", "train", "first"]] and first["finished"] is True
    assert first["hardware"]["gpu"] is None and first["hardware"]["threads"] == 1
    assert isinstance(first["hardware"]["cpu"], str) and first["hardware"]["cpu_count"] >= 1
    assert first["wall_seconds"] > 0
    saved = json.loads((run / "checkpoints" / "step-00000002" / "state.json").read_text())
    assert 0 < saved["wall_seconds"] <= first["wall_seconds"]

    monkeypatch.setattr(sys, "argv", ["srzoo", "train", "second", "--resume"])
    _train(photos, run, max_steps=4, val="", resume=True).fit()
    log = (run / "train.log").read_text()
    assert log.startswith(first_log)  # never truncated
    added = [line.split(" ", 2)[2] for line in log[len(first_log) :].splitlines()]
    assert added[0] == f"resuming from {run / 'checkpoints' / 'step-00000002'} (step 2 of 4)"
    assert added[1] == "command: srzoo train second --resume"
    assert added[2].startswith("step 3/4 ") and added[3].startswith("step 4/4 ")
    assert added[-1].startswith("finished at step 4 of 4 after 0:00:")
    second = json.loads((run / "run.json").read_text())
    assert second["commands"] == [["srzoo", "train", "first"], ["srzoo", "train", "second", "--resume"]]
    assert second["wall_seconds"] > saved["wall_seconds"]  # counted on from the checkpoint


def test_a_failure_is_the_last_line_of_train_log(photos, tmp_path):
    trainer = _train(photos, tmp_path / "run", val="")

    def explode(_trainer):
        raise RuntimeError("disk on fire\nsecond line")

    with pytest.raises(RuntimeError, match="disk on fire"):
        trainer.fit(on_step=explode)
    last = (tmp_path / "run" / "train.log").read_text().splitlines()[-1]
    assert last.split(" ", 2)[2] == "failed at step 1: RuntimeError: disk on fire"


def test_log_seconds_is_checked():
    with pytest.raises(srzoo.InputError, match="log_seconds must be 0 or more, got -1"):
        TrainOptions(data=Path("."), out=Path("."), log_seconds=-1)
    with pytest.raises(srzoo.InputError, match="loggers must be a sequence of names, got 'tensorboard'"):
        TrainOptions(data=Path("."), out=Path("."), loggers="tensorboard")


# ------------------------------------------------------------------ logger plugins


class _Recorder:
    """A logger that keeps what it is given (a class attribute: the trainer builds its own)."""

    calls: ClassVar[list[tuple]] = []

    def open(self, run_dir, run_info):
        self.calls.append(("open", Path(run_dir), run_info["recipe"], run_info["step"]))

    def log_scalars(self, step, scalars):
        self.calls.append(("scalars", step, dict(scalars)))

    def log_event(self, step, kind, message):
        self.calls.append(("event", step, kind))

    def close(self):
        self.calls.append(("close",))


class _Broken:
    def open(self, run_dir, run_info):
        pass

    def log_scalars(self, step, scalars):
        raise ValueError("dashboard down")

    def close(self):
        pass


def _loggers_plugin() -> types.SimpleNamespace:
    def srzoo_register_loggers(register):
        register("recorder", _Recorder, description="keeps every call")
        register("broken", _Broken)

    return types.SimpleNamespace(srzoo_register_loggers=srzoo.hookimpl(srzoo_register_loggers))


def test_a_plugin_logger_receives_the_metrics_and_events(photos, tmp_path, throwaway_plugin):
    throwaway_plugin(_loggers_plugin(), "test-loggers")
    _Recorder.calls = []
    run = tmp_path / "run"
    with pytest.warns(UserWarning, match=r"logger 'broken' failed \(ValueError: dashboard down\); it is off"):
        _train(photos, run, val=str(photos), val_images=1, loggers=("recorder", "broken")).fit()
    calls = _Recorder.calls
    assert calls[0] == ("open", run, "srcnn-x4", 0) and calls[-1] == ("close",)
    rows = _rows(run / "metrics.jsonl")
    scalars = [c for c in calls if c[0] == "scalars" and "sr.mse" in c[2]]
    assert [(s[1], s[2]) for s in scalars] == [
        (r["step"], {k: v for k, v in r.items() if k != "step"}) for r in rows
    ]
    (validation,) = _rows(run / "validation.jsonl")
    assert ("scalars", 3, {f"val/{m}": validation[m] for m in ("psnr", "ssim", "gsm")}) in calls
    events = [c[2] for c in calls if c[0] == "event"]
    assert events == ["start", "command", "validation", "checkpoint", "finish"]


def test_unknown_and_unusable_loggers_stop_before_training(photos, tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    assert main(_cli(photos, run, "--max-steps", "1", "--logger", "nope")) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: unknown logger 'nope'; known loggers: ") and "tensorboard" in err
    assert len(err.splitlines()) == 1
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # as if tensorboard were missing
    assert main(_cli(photos, run, "--max-steps", "1", "--tensorboard")) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err == "error: logger 'tensorboard' needs the tensorboard package: pip install \"srzoo[tensorboard]\""
    )
    assert not run.exists()  # nothing was started


def test_bad_logger_registrations_mark_the_plugin_broken(throwaway_plugin):
    def bad_name(register):
        register("two words", _Recorder)

    def bad_factory(register):
        register("fine", 42)

    for hook, match in [
        (bad_name, "registered a logger named 'two words'"),
        (bad_factory, "with 42; expected"),
    ]:
        with pytest.warns(_plugins.PluginWarning, match=match):
            throwaway_plugin(
                types.SimpleNamespace(srzoo_register_loggers=srzoo.hookimpl(hook)), hook.__name__
            )
    assert "fine" not in _plugins.state().loggers


def test_tensorboard_writes_the_metrics_and_a_resume_replaces_what_followed_the_checkpoint(photos, tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run = tmp_path / "run"

    def crash_after_step_3(trainer):
        if trainer.step == 3:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):  # step 3 is logged, the checkpoint is step 2
        _train(photos, run, max_steps=4, checkpoint_every=2, val="", loggers=("tensorboard",)).fit(
            on_step=crash_after_step_3
        )
    _train(photos, run, max_steps=4, val="", loggers=("tensorboard",), resume=True).fit()
    accumulator = EventAccumulator(str(run / "tensorboard"))
    accumulator.Reload()
    rows = _rows(run / "metrics.jsonl")
    written = accumulator.Scalars("sr.mse")
    assert [e.step for e in written] == [r["step"] for r in rows] == [1, 2, 3, 4]
    assert [e.value for e in written] == pytest.approx([r["sr.mse"] for r in rows], rel=1e-6)
    assert "lr/sr" in accumulator.Tags()["scalars"]
