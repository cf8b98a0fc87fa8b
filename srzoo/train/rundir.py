"""The run directory: ``metrics.jsonl``, ``validation.jsonl``, the resolved recipe, ``run.json``.

Layout (only rank 0 writes)::

    RUN/
      recipe.toml          the recipe as trained (overrides applied): srzoo.build("RUN/recipe.toml")
      run.json             the options, the device, the data, the start and end of the run
      metrics.jsonl        one object per logged step: step, epoch, loss terms, lr, grad norms...
      validation.jsonl     one object per validation: step, epoch, psnr, ssim, gsm
      samples/step-N.png   LR | node outputs... | HR for the first held-out images
      checkpoints/         step-N/ folders, latest.json (see srzoo.train.checkpoint)
      best.safetensors     weights of the best validation so far (by --best-metric)
      loss_curves.png      every loss term against the step
      model.safetensors    the final weights (EMA weights if train.ema_decay is set)
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["JsonLines", "dumps_toml"]


class JsonLines:
    """An append-only JSON-lines file, flushed after every row."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def truncate_after(self, step: int) -> None:
        """Drop rows logged after ``step`` (a resumed run continues from its checkpoint)."""
        if not self.path.is_file():
            return
        kept = [
            line
            for line in self.path.read_text().splitlines()
            if line.strip() and json.loads(line)["step"] <= step
        ]
        self.path.write_text("".join(line + "\n" for line in kept))

    def append(self, row: Mapping[str, Any]) -> None:
        with open(self.path, "a") as handle:
            handle.write(json.dumps(_finite_or_str(row)) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def rows(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]


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
