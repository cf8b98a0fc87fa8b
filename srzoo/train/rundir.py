"""The run directory: ``metrics.jsonl``, ``validation.jsonl``, the resolved recipe, ``run.json``.

Layout (only rank 0 writes)::

    RUN/
      recipe.toml          the recipe as trained (overrides applied): srzoo.build("RUN/recipe.toml")
      run.json             the options, the device, the data, the commands, the hardware, wall_seconds
      train.log            timestamped progress lines and events, appended across resumes
      metrics.jsonl        one object per logged step: step, epoch, loss terms, lr, grad norms...
      validation.jsonl     one object per validation: step, epoch, psnr, ssim, gsm
      samples/step-N.png   LR | node outputs... | HR for the first held-out images
      checkpoints/         step-N/ folders, latest.json (see srzoo.train.checkpoint)
      best.safetensors     weights of the best validation so far (by --best-metric)
      loss_curves.png      every loss term against the step
      model.safetensors    the final weights (EMA weights if train.ema_decay is set)
      tensorboard/         TensorBoard event files (srzoo train --tensorboard)
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._io import atomic as _atomic
from ..errors import InputError
from .checkpoint import reason_of

__all__ = ["JsonLines", "dumps_toml"]


class JsonLines:
    """An append-only JSON-lines file, fsynced after every row.

    A row is one ``write`` of one line, so a crash leaves at most a torn last line: reading skips
    it, a resume drops it, and an append after it starts on a fresh line.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def truncate_after(self, step: int) -> None:
        """Drop rows logged after ``step`` (a resumed run continues from its checkpoint) and a torn
        last line; the file is replaced atomically."""
        if not self.path.is_file():
            return
        kept = [row for row in self.rows() if row["step"] <= step]
        data = "".join(json.dumps(row) + "\n" for row in kept).encode()
        try:
            _atomic.atomic_write(self.path, lambda handle: handle.write(data))
        except OSError as exc:
            raise InputError(
                f"{self.path}: cannot rewrite ({reason_of(exc)}); it was left as it was"
            ) from None

    def append(self, row: Mapping[str, Any]) -> None:
        line = json.dumps(_finite_or_str(row)) + "\n"
        try:
            with open(self.path, "ab+") as handle:
                if handle.tell() > 0:
                    handle.seek(-1, os.SEEK_END)
                    if handle.read(1) != b"\n":  # a torn line from a crash: do not glue onto it
                        line = "\n" + line
                handle.write(line.encode())
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise InputError(f"{self.path}: cannot append a row ({reason_of(exc)})") from None

    def rows(self) -> list[dict[str, Any]]:
        """The rows; torn lines (a crash or a full disk mid-write) are skipped."""
        if not self.path.is_file():
            return []
        rows = (_row(line) for line in self.path.read_text().splitlines() if line.strip())
        return [row for row in rows if row is not None]


def _row(line: str) -> dict[str, Any] | None:
    """A parsed row, or ``None`` for a line that is not a JSON object with an integer step."""
    try:
        row = json.loads(line)
    except ValueError:
        return None
    return row if isinstance(row, dict) and isinstance(row.get("step"), int) else None


def _finite_or_str(row: Mapping[str, Any]) -> dict[str, Any]:
    """JSON has no NaN/inf: such values are written as the strings ``"nan"``, ``"inf"``, ``"-inf"``."""
    return {k: (str(v) if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(v, Mapping) for v in value)


def dumps_toml(table: Mapping[str, Any], prefix: str = "") -> str:
    """A TOML document for a recipe-like mapping (tables, arrays of tables, scalars, lists)."""
    lines = []
    nested = []
    for key, value in table.items():
        if isinstance(value, Mapping) or _is_table_array(value):
            nested.append((key, value))
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    text = "\n".join(lines) + ("\n" if lines else "")
    for key, value in nested:
        path = f"{prefix}.{_toml_key(key)}" if prefix else _toml_key(key)
        if isinstance(value, Mapping):
            text += f"\n[{path}]\n" + dumps_toml(value, path)
        else:
            for item in value:
                text += f"\n[[{path}]]\n" + dumps_toml(item, path)
    return text
