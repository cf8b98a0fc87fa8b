"""``Trainer``: one generic loop that trains any recipe from its ``[train]`` table.

Per step (see ``docs/training.md`` and `srzoo.train.step`): the batch is made on the device (paired
crop + flip, LR by the recipe's degradation); every active critic is updated, then the active
generators. ``train.stages = "joint"`` trains every generator at once (Stage-GAN eq. 10);
``"sequential"`` splits the run into one phase per generator in graph order (see `Phase`).

The trainer is assembled from one concept per module: `setup` (networks, optimisers, data),
`step` (the update), `validation`, `checkpointing` (save and resume), `records` (metrics, run
files, export) and `health` (divergence); this module holds the loop.
"""

from __future__ import annotations

import contextlib
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..errors import InputError
from ..recipe import Recipe
from ..runtime.devices import cpu_bf16_is_native, cpu_name, pick_device
from . import checkpoint as ckpt
from .checkpointing import _CheckpointMixin
from .data import PatchItems, locate_data
from .distributed import Distributed
from .health import TrainingDiverged, _HealthMixin
from .lock import RunLock
from .loggers import Loggers, create_loggers
from .options import TrainOptions
from .phases import Phase, phase_at, plan_length, plan_phases
from .progress import RunProgress, StepStatus, clock, peak_memory_mb
from .records import _RecordsMixin
from .rundir import JsonLines
from .runlog import RunLog
from .setup import _SetupMixin, resolve_recipe, seed_everything
from .step import _StepMixin
from .validation import _ValidationMixin

__all__ = ["Phase", "TrainResult", "Trainer", "TrainingDiverged", "train"]

MIN_INTERVAL = 500
"""Default validation and checkpoint interval: whole epochs, at least this many steps."""


@dataclass
class TrainResult:
    """What a run produced.

    Attributes:
        run_dir: the run directory.
        weights: ``model.safetensors`` (``None`` if the run stopped before the end).
        step: generator updates done.
        epoch: the epoch reached.
        interrupted: stopped by Ctrl-C / SIGTERM / ``request_stop`` (a checkpoint was saved).
        validation: the last validation row (means over the held-out images), if any.
        checkpoint: the last checkpoint folder.
    """

    run_dir: Path
    weights: Path | None
    step: int
    epoch: int
    interrupted: bool = False
    validation: dict[str, float] = field(default_factory=dict)
    checkpoint: Path | None = None


class Trainer(_SetupMixin, _StepMixin, _ValidationMixin, _CheckpointMixin, _RecordsMixin, _HealthMixin):
    """Trains a recipe's generators (and critics) as its ``[train]`` table says.

    Args:
        recipe: a registered name, a ``.toml`` path or a [`Recipe`][srzoo.Recipe].
        options: a [`TrainOptions`][srzoo.train.TrainOptions]; or give its fields as keywords.

    Raises:
        RecipeError: a recipe without ``[train]`` or with components that cannot be built.
        InputError: unusable data (missing, empty, no semantic maps when the recipe needs them), or
            a run folder in use by another trainer.
        CheckpointError: ``resume`` without a checkpoint that reads back whole.

    Examples:
        >>> trainer = srzoo.Trainer("srcnn-x4", data="photos/", out="runs/srcnn")  # doctest: +SKIP
        >>> result = trainer.fit()                                                  # doctest: +SKIP
    """

    def __init__(
        self, recipe: str | Path | Recipe, options: TrainOptions | None = None, **kwargs: Any
    ) -> None:
        if options is None:
            options = TrainOptions(**kwargs)
        elif kwargs:
            options = TrainOptions(**{**asdict(options), **kwargs})
        self.options = options
        self._loggers = create_loggers(options.loggers)  # an unknown or unusable one fails before set-up
        self.recipe = resolve_recipe(recipe, options.overrides)
        spec = self.recipe.train
        assert spec is not None
        self.spec = spec
        self.device = pick_device(options.device)
        self.dist = Distributed.setup(self.device)
        self.device = self.dist.device_for(self.device)
        seed_everything(options.seed + self.dist.rank)
        self.batch_size = options.batch_size or spec.batch_size
        self.patch = options.patch_size or spec.patch_size
        self.source = locate_data(options.data, self.recipe)
        self.val_source = self._locate_val()
        self._build_networks()
        self._build_optimizers()
        self._build_runners()
        self._build_data()
        self.total_steps = plan_length(options, spec, self.recipe, self.steps_per_epoch)
        self.phases = plan_phases(spec.stages, self.generators, self.total_steps)
        self._reset_counters()
        self._open_run()
        main = self.dist.is_main
        self._runlog = RunLog(
            self.run_dir / "train.log" if main else None,
            RunProgress(self.total_steps, self.step, options.progress and main, self.recipe.name),
            Loggers(self._loggers if main else {}),
            options.log_seconds,
        )

    def _reset_counters(self) -> None:
        self.step = 0
        self.epoch = 0
        self.position = 0
        self.bad_steps = 0
        self.best: dict[str, Any] | None = None
        self.last_validation: dict[str, float] = {}
        self.last_checkpoint: Path | None = None
        self.resumed_from: Path | None = None
        self._stop: str | None = None
        self._logging_now = False
        self._wall_base = 0.0
        self._started = (time.perf_counter(), 0)
        self._resize_cache: dict[int, Callable[[torch.Tensor], torch.Tensor]] = {}

    def _open_run(self) -> None:
        """Lock the run folder (rank 0), then resume from it or check that it holds no run."""
        self.run_dir = self.options.out
        self.store = ckpt.CheckpointStore(self.run_dir, self.options.keep)
        self.metrics = JsonLines(self.run_dir / "metrics.jsonl")
        self.validations = JsonLines(self.run_dir / "validation.jsonl")
        self._lock = RunLock(self.run_dir) if self.dist.is_main else None
        try:
            if self.options.resume:
                self._resume()
                if self.dist.is_main:  # rows logged after the checkpoint are logged again
                    self.metrics.truncate_after(self.step)
                    self.validations.truncate_after(self.step)
            elif self.dist.is_main and self.store.folders():
                raise InputError(
                    f"{self.run_dir}: already holds a run's checkpoints; pass --resume to continue it or choose another --out"
                )
            elif self.dist.is_main:  # a fresh run: rows of an earlier attempt that saved no checkpoint go
                self.metrics.truncate_after(0)
                self.validations.truncate_after(0)
        except BaseException:
            if self._lock is not None:
                self._lock.abandon()  # a folder made only for the lock goes again
            raise

    def close(self) -> None:
        """Close the loggers and release the run folder's lock (`fit` does it when it returns);
        idempotent."""
        runlog = getattr(self, "_runlog", None)
        if runlog is not None:
            runlog.close()
        lock = getattr(self, "_lock", None)
        if lock is not None:
            lock.release()

    @property
    def wall_seconds(self) -> float:
        """Wall-clock seconds of training across resumes: the earlier attempts up to their last
        checkpoint (what the weights cost), this one up to now."""
        return self._wall_base + time.perf_counter() - self._started[0]

    def phase_at(self, step: int) -> Phase:
        """The phase that step ``step`` (0-based) belongs to."""
        return phase_at(self.phases, step)

    # ------------------------------------------------------------------ the loop

    def request_stop(self, reason: str = "request") -> None:
        """Stop after the current step, saving a checkpoint (what Ctrl-C and SIGTERM do)."""
        self._stop = reason

    def _install_signals(self) -> Callable[[], None]:
        if sys.platform == "win32" or not _in_main_thread():
            return lambda: None
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

        def handler(signum: int, frame: Any) -> None:
            if self._stop is not None and signum == signal.SIGINT:
                raise KeyboardInterrupt  # a second Ctrl-C: stop now
            self._stop = signal.Signals(signum).name

        for sig in previous:
            signal.signal(sig, handler)

        def restore() -> None:
            for sig, old in previous.items():
                signal.signal(sig, old)

        return restore

    def fit(self, on_step: Callable[[Trainer], None] | None = None) -> TrainResult:
        """Run to the planned length (or until stopped) and export ``model.safetensors``.

        Args:
            on_step: called after every step with the trainer (e.g. to stop a run from code).

        Returns:
            A [`TrainResult`][srzoo.train.TrainResult].

        Raises:
            TrainingDiverged: losses stayed non-finite; the weights were rolled back.
            CheckpointError: a checkpoint could not be written (the previous one is intact).
        """
        restore = self._install_signals()
        try:
            return self._fit(on_step)
        except BaseException as exc:
            self._report_failure(exc)
            raise
        finally:
            restore()
            self.dist.teardown()
            self.close()

    def _fit(self, on_step: Callable[[Trainer], None] | None) -> TrainResult:
        self._started = (time.perf_counter(), self.step)
        if self.dist.is_main:
            self._runlog.open(self.run_dir, self._write_run_files())
        self._report_start()
        self._logging_now = False
        default_every = self.steps_per_epoch * -(-MIN_INTERVAL // self.steps_per_epoch)
        self._checkpoint_every = self.options.checkpoint_every or default_every
        self._val_every = self.options.val_every or default_every
        self._phase = self.phase_at(self.step)
        self._set_phase_modes(self._phase)
        interrupted = False
        with self._runlog.progress:
            while self.step < self.total_steps and not interrupted:
                interrupted = self._epoch(on_step)
        if interrupted:
            where = f"checkpoint {self.last_checkpoint}" if self.last_checkpoint else "no checkpoint"
            self._report(
                "stop",
                f"stopped at step {self.step} ({self._stop or 'request'}); {where}; continue with --resume",
            )
            return TrainResult(
                self.run_dir, None, self.step, self.epoch, True, self.last_validation, self.last_checkpoint
            )
        if not self._healthy():
            self._finish_diverged()
        self.validate()
        self.save_checkpoint()
        weights = self._export()
        self._report(
            "finish",
            f"finished at step {self.step} of {self.total_steps} after {clock(self.wall_seconds)} of "
            f"training; weights {weights}",
        )
        return TrainResult(
            self.run_dir, weights, self.step, self.epoch, False, self.last_validation, self.last_checkpoint
        )

    def _epoch(self, on_step: Callable[[Trainer], None] | None) -> bool:
        """Steps over (the rest of) one epoch, or to the end of the run; whether it was stopped."""
        self.sampler.set_epoch(self.epoch)
        self.sampler.start = self.position * self.batch_size
        if isinstance(self.dataset, PatchItems):
            self.dataset.epoch = self.epoch
        for cpu_batch in self.loader:
            self._step_once(cpu_batch)
            if on_step is not None:
                on_step(self)
            stop = self.dist.any_flag(self._stop is not None)
            done = self.step >= self.total_steps
            if self.step % self._val_every == 0 and not done:  # the end validates anyway
                self.validate()
            if stop:
                if self._healthy():  # else the last checkpoint stays the last good one
                    self.save_checkpoint()
                return True
            if done:
                return False
            if self.step % self._checkpoint_every == 0 and self._healthy():
                self.save_checkpoint()
            if self.position == 0:
                return False  # the next epoch gets a freshly shuffled loader
        return False

    def _step_once(self, cpu_batch: Any) -> None:
        """One step on a CPU batch: phase, learning rate, update, metrics row, health, counters."""
        tick = time.perf_counter()
        phase = self.phase_at(self.step)
        if phase != self._phase:
            self._phase = phase
            self._set_phase_modes(phase)
        rates = self._apply_lr(phase, self.step)
        self._logging_now = (self.step + 1) % self.options.log_every == 0 or self.step + 1 == self.total_steps
        batch = self.batches(cpu_batch)
        record = self.train_step(batch, phase)
        self.step += 1
        self.position += 1
        if self._logging_now:
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            row = self._log_row(record, rates, time.perf_counter() - tick)
            start_time, start_step = self._started
            rate = (self.step - start_step) / max(1e-9, time.perf_counter() - start_time)
            losses = {k: v for k, v in row.items() if k in self._loss_names()}
            status = StepStatus(
                self.step, self.total_steps, row["epoch"], losses, rates, rate, peak_memory_mb(self.device)
            )
            self._runlog.step(status, {k: v for k, v in row.items() if k != "step"})
        self._health(record)
        if self.position == self.steps_per_epoch:
            self.epoch += 1
            self.position = 0

    # ------------------------------------------------------------------ reports (train.log, stderr, loggers)

    def _report(self, kind: str, message: str) -> None:
        if self.dist.is_main:
            self._runlog.event(self.step, kind, message)

    def _report_start(self) -> None:
        if self.resumed_from is not None:
            self._report(
                "resume", f"resuming from {self.resumed_from} (step {self.step} of {self.total_steps})"
            )
        else:
            hardware = self._hardware()
            where = hardware["gpu"] or f"{hardware['cpu']}, {hardware['threads']} thread(s)"
            self._report(
                "start",
                f"start {self.recipe.name} in {self.run_dir}: {self.total_steps} steps, "
                f"{self.steps_per_epoch} per epoch, batch {self.batch_size}"
                + (f" x {self.dist.world_size} processes" if self.dist.world_size > 1 else "")
                + f", patch {self.patch or 'whole images'}, on {self.device} ({where})",
            )
        self._report("command", f"command: {shlex.join(sys.argv)}")
        if self.options.precision == "bf16" and self.device.type == "cpu" and not cpu_bf16_is_native():
            self._report(
                "warning",
                f"warning: this CPU ({cpu_name()}) has no native bfloat16 (AVX512-BF16 or AMX), so bf16 "
                "autocast is emulated and can be several times slower than fp32; train without --bf16 here",
            )

    def _report_failure(self, exc: BaseException) -> None:
        """The cause of a failed run, as its last ``train.log`` line (never hiding the failure)."""
        if not self.dist.is_main:
            return
        if isinstance(exc, KeyboardInterrupt):
            message = f"interrupted at step {self.step} (a second Ctrl-C); no checkpoint saved"
        else:
            text = str(exc).strip().splitlines()
            message = f"failed at step {self.step}: {type(exc).__name__}: {text[0] if text else ''}"
        with contextlib.suppress(Exception):  # the log is a courtesy; the original error must surface
            self._runlog.event(self.step, "error", message)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def train(recipe: str | Path | Recipe, data: str | Path, out: str | Path, **options: Any) -> TrainResult:
    """Train a recipe from its ``[train]`` table; the Python form of ``srzoo train``.

    Args:
        recipe: a registered name (``"srcnn-x4"``), a ``.toml`` path or a [`Recipe`][srzoo.Recipe].
        data: a Facades root or split folder, or a folder of HR images.
        out: the run directory.
        **options: the other [`TrainOptions`][srzoo.train.TrainOptions] fields, e.g.
            ``max_steps=100, overrides={"sem.ngf": 8}, resume=True``.

    Returns:
        A [`TrainResult`][srzoo.train.TrainResult]; ``result.weights`` loads with
        ``srzoo.build(recipe, weights=result.weights)``.

    Examples:
        >>> result = srzoo.train("srcnn-x4", "photos/", "runs/srcnn", max_steps=100)  # doctest: +SKIP
    """
    return Trainer(recipe, TrainOptions(data=Path(data), out=Path(out), **options)).fit()
