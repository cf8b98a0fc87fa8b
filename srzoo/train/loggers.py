"""Training loggers that plugins add (TensorBoard, wandb...): the protocol, and creating them by name.

A plugin registers a logger with the ``srzoo_register_loggers`` hook, and ``srzoo train --logger
NAME`` (``TrainOptions(loggers=("NAME",))``) uses it. The built-in ``tensorboard`` plugin is one.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from ..errors import SrzooError
from ..registry import loader as _plugins

__all__ = ["RunLogger", "create_loggers", "logger_names"]


class RunLogger(Protocol):
    """What a training logger does; a plugin's ``factory()`` returns an object with these methods.

    Every value is also in the run folder's ``metrics.jsonl`` and ``validation.jsonl``; a logger
    mirrors them elsewhere. Only rank 0 opens a logger. A logger that raises while the run goes on
    is switched off for the rest of the run, with a warning: it never stops the training.

    ``log_event(step, kind, message)`` is optional: a logger that has it receives the run's events,
    ``kind`` one of ``start``, ``resume``, ``command``, ``validation``, ``checkpoint``, ``finish``,
    ``stop``, ``error``, and ``message`` the line ``train.log`` gets.

    Example, a complete logger that prints the validation PSNR:

    ```python
    class PrintPsnr:
        def open(self, run_dir, run_info):
            self.name = run_info["recipe"]

        def log_scalars(self, step, scalars):
            if "val/psnr" in scalars:
                print(f"{self.name} step {step}: {scalars['val/psnr']:.2f} dB")

        def close(self):
            pass
    ```
    """

    def open(self, run_dir: Path, run_info: Mapping[str, Any]) -> None:
        """Called once before the first step (of this attempt: again after ``--resume``).

        Args:
            run_dir: the run folder; a logger may write below it (``tensorboard/``).
            run_info: the run's ``run.json`` as a dict: ``recipe``, ``options``, ``step`` (the step
                the run starts or resumes at, 0 for a new run), ``total_steps``, ``hardware``...
        """

    def log_scalars(self, step: int, scalars: Mapping[str, float]) -> None:
        """Called on every logged step (``--log-every``) with that ``metrics.jsonl`` row (without
        ``step``: ``epoch``, each loss term such as ``sr.l1``, ``lr/NET``, ``grad_norm/NET``,
        ``step_time``...), and after every validation with ``val/psnr``, ``val/ssim``, ``val/gsm``."""

    def close(self) -> None:
        """Called once when the run ends, however it ends (finished, stopped, failed)."""


def logger_names() -> list[str]:
    """The names of the loggers installed plugins register, sorted (e.g. ``["tensorboard"]``)."""
    return sorted(_plugins.state().loggers)


def create_loggers(names: Sequence[str]) -> dict[str, RunLogger]:
    """Build the named loggers (not yet opened), in the order given, each name once.

    Raises:
        SrzooError: an unknown name (listing the installed loggers), or a logger that cannot work
            here (its factory's one-line error, e.g. the package extra to install).
    """
    loggers = _plugins.state().loggers
    made: dict[str, RunLogger] = {}
    for name in dict.fromkeys(names):
        entry = loggers.get(name)
        if entry is None:
            known = ", ".join(sorted(loggers)) or "none installed"
            raise SrzooError(f"unknown logger {name!r}; known loggers: {known}")
        try:
            logger = entry.load()()
        except SrzooError:
            raise
        except Exception as exc:  # noqa: BLE001 - a plugin's failure, told in one line
            raise SrzooError(
                f"logger {name!r} (plugin {entry.plugin!r}) failed to start: {_describe(exc)}"
            ) from None
        missing = [m for m in ("open", "log_scalars", "close") if not callable(getattr(logger, m, None))]
        if missing:
            raise SrzooError(
                f"logger {name!r} (plugin {entry.plugin!r}) has no {', '.join(missing)} method; "
                "see srzoo.train.RunLogger"
            )
        made[name] = logger
    return made


class Loggers:
    """The loggers of one run: each call goes to every logger; one that raises is switched off."""

    def __init__(self, loggers: Mapping[str, RunLogger]) -> None:
        self.active = dict(loggers)

    def open(self, run_dir: Path, run_info: Mapping[str, Any]) -> None:
        """Open every logger; one that cannot open stops the run before its first step.

        Raises:
            SrzooError: naming the logger and the cause.
        """
        for name, logger in list(self.active.items()):
            try:
                logger.open(run_dir, run_info)
            except Exception as exc:  # noqa: BLE001 - a plugin's failure, told in one line
                self.close()
                raise SrzooError(f"logger {name!r} could not open {run_dir}: {_describe(exc)}") from None

    def log_scalars(self, step: int, scalars: Mapping[str, float]) -> None:
        for name, logger in list(self.active.items()):
            self._call(name, logger.log_scalars, step, scalars)

    def log_event(self, step: int, kind: str, message: str) -> None:
        for name, logger in list(self.active.items()):
            method = getattr(logger, "log_event", None)
            if callable(method):
                self._call(name, method, step, kind, message)

    def close(self) -> None:
        """Close every logger (idempotent); a failure to close is a warning."""
        loggers, self.active = self.active, {}
        for name, logger in loggers.items():
            try:
                logger.close()
            except Exception as exc:  # noqa: BLE001 - the run is over; say so and carry on
                warnings.warn(f"logger {name!r} failed to close: {_describe(exc)}", UserWarning, stacklevel=2)

    def _call(self, name: str, method: Any, *args: Any) -> None:
        try:
            method(*args)
        except Exception as exc:  # noqa: BLE001 - a logger never stops the training
            del self.active[name]
            warnings.warn(
                f"logger {name!r} failed ({_describe(exc)}); it is off for the rest of the run",
                UserWarning,
                stacklevel=3,
            )


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
