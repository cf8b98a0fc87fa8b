"""``TrainOptions``: how one training run is carried out (the recipe says *what* is trained)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["PRECISIONS", "TrainOptions"]

PRECISIONS = ("fp32", "bf16", "fp16")
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune")


@dataclass(frozen=True)
class TrainOptions:
    """Options of one run, beside the recipe's ``[train]`` table (the CLI's flags, one to one).

    Attributes:
        data: the training data: a Facades root or split folder, or a folder of HR images.
        out: the run directory (created; ``metrics.jsonl``, checkpoints, figures, ``model.safetensors``).
        epochs: passes over the data; ``None``: the recipe's ``train.epochs``.
        max_steps: stop after this many generator updates (whatever ``epochs`` says).
        batch_size: images per update and process; ``None``: the recipe's ``train.batch_size``.
        patch_size: HR crop side; ``None``: the recipe's ``train.patch_size`` (whole images if unset).
        log_every: write a ``metrics.jsonl`` row every this many steps.
        log_seconds: the least time between two progress lines (``train.log``, and stderr when it
            is not a terminal), which are written on logged steps; 0: on every logged step. The
            first logged step of a run (or a resume) and the last step always get one.
        val: the held-out images (a folder); ``None``: the sibling ``test/`` split of a Facades
            folder, if there is one; ``""`` disables validation.
        val_every: validate every this many steps; ``None``: every epoch, or every few epochs when
            they are shorter than 500 steps (the first whole number of epochs of at least 500 steps).
        val_images: how many held-out images are scored (the first ones, in natural order).
        checkpoint_every: save a checkpoint every this many steps; ``None``: as ``val_every``.
        keep: checkpoints kept (the newest; the best by ``best_metric`` is kept besides).
        best_metric: the validation metric selecting ``best.safetensors`` (higher is better).
        seed: seeds python, numpy, torch and the data order.
        resume: continue from the run directory's last checkpoint.
        init_from: start the generators from these ``.safetensors`` weights (e.g. SRGAN from SRResNet).
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        precision: ``"fp32"``, ``"bf16"`` (autocast) or ``"fp16"`` (autocast + gradient scaler, CUDA).
        channels_last: use the ``channels_last`` memory format for networks and batches.
        compile: ``torch.compile`` the networks; ``compile_mode`` picks the mode
            (``"reduce-overhead"`` uses CUDA graphs, the lever at batch 1).
        workers: data-loading worker processes (0 reads in the main process).
        sync_batchnorm: convert BatchNorm to SyncBatchNorm under ``torchrun``.
        max_bad_steps: consecutive non-finite losses after which the run rolls back and stops.
        overrides: recipe overrides (``Recipe.with_overrides``), e.g. ``{"sem.ngf": 8}``.
        progress: show the progress on stderr: a rich bar on a terminal, plain lines elsewhere
            (``train.log`` is written either way).
        loggers: names of the loggers plugins register (``"tensorboard"``) that also receive the
            run's values; see [`RunLogger`][srzoo.train.RunLogger].
    """

    data: Path
    out: Path
    epochs: int | None = None
    max_steps: int | None = None
    batch_size: int | None = None
    patch_size: int | None = None
    log_every: int = 10
    val: Path | str | None = None
    val_every: int | None = None
    val_images: int = 8
    checkpoint_every: int | None = None
    keep: int = 2
    best_metric: str = "psnr"
    seed: int = 0
    resume: bool = False
    init_from: Path | None = None
    device: str = "auto"
    precision: str = "fp32"
    channels_last: bool = False
    compile: bool = False
    compile_mode: str = "default"
    workers: int = 0
    sync_batchnorm: bool = False
    max_bad_steps: int = 5
    overrides: Mapping[str, Any] = field(default_factory=dict)
    progress: bool = True
    log_seconds: float = 30.0
    loggers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", Path(self.data))
        object.__setattr__(self, "out", Path(self.out))
        if self.init_from is not None:
            object.__setattr__(self, "init_from", Path(self.init_from))
        for name in ("epochs", "max_steps", "batch_size", "patch_size", "val_every", "checkpoint_every"):
            _positive(name, getattr(self, name), optional=True)
        for name in ("log_every", "val_images", "keep", "max_bad_steps"):
            _positive(name, getattr(self, name))
        if isinstance(self.log_seconds, bool) or not isinstance(self.log_seconds, (int, float)):
            raise InputError(f"log_seconds must be a number of seconds, got {self.log_seconds!r}")
        if not self.log_seconds >= 0:  # also refuses NaN
            raise InputError(f"log_seconds must be 0 or more, got {self.log_seconds!r}")
        if isinstance(self.loggers, str) or not all(isinstance(n, str) for n in self.loggers):
            raise InputError(f"loggers must be a sequence of names, got {self.loggers!r}")
        object.__setattr__(self, "loggers", tuple(self.loggers))
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 0:
            raise InputError(f"workers must be a non-negative integer, got {self.workers!r}")
        if self.precision not in PRECISIONS:
            raise InputError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        _check_out_outside_data(self.out, self.data)
        if self.compile_mode not in COMPILE_MODES:
            raise InputError(
                f"compile_mode must be one of {', '.join(COMPILE_MODES)}, got {self.compile_mode!r}"
            )


def _check_out_outside_data(out: Path, data: Path) -> None:
    """A run folder inside the data would be read back as training images (its figures, weights)."""
    out_path, data_path = out.resolve(), data.resolve()
    if out_path == data_path or data_path in out_path.parents:
        raise InputError(
            f"--out {out} is inside --data {data}: the run's figures would be read as training images; "
            "choose an --out outside the data folder"
        )


def _positive(name: str, value: object, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}")
