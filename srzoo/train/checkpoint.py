"""Checkpoints that never unpickle: tensors in ``.safetensors``, everything else in JSON.

A checkpoint is a folder ``RUN/checkpoints/step-NNNNNNNN/`` holding

* ``model.safetensors``: the `srzoo.SRModel`'s weights (loadable by ``srzoo.build``);
* ``state.safetensors``: critics, EMA, optimiser moments, RNG states and other tensors;
* ``state.json``: step, epoch, sampler position, optimiser hyper-parameters, python/numpy RNG
  states, the recipe's name and an architecture fingerprint.

It is written into ``step-NNNNNNNN.partial/`` (every file fsync'ed), then renamed into place, and
only then is ``RUN/checkpoints/latest.json`` pointed at it (temp file, fsync, rename). A failed
save (a full disk) removes the partial folder and leaves the previous checkpoint as it was.
Resuming takes the newest folder that reads back whole, whatever ``latest.json`` says.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from safetensors.torch import save as save_safetensors

from .._io import atomic as _atomic
from ..errors import SrzooError

__all__ = [
    "CheckpointError",
    "CheckpointStore",
    "architecture_fingerprint",
    "atomic_write",
    "capture_rng",
    "flatten_optimizer",
    "reason_of",
    "restore_rng",
    "unflatten_optimizer",
]

FORMAT = "srzoo-train-checkpoint/1"
LATEST = "latest.json"
_STEP_NAME = re.compile(r"step-\d{8}")


class CheckpointError(SrzooError):
    """A checkpoint that is missing, unreadable, of another recipe, or could not be written.

    ``reason`` is the cause alone, in words (the message is ``"{where}: ... ({reason})"``).
    """

    def __init__(self, message: str, reason: str = "") -> None:
        self.reason = reason
        super().__init__(f"{message} ({reason})" if reason else message)


Loaded = tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], dict[str, Any]]
"""A checkpoint's ``(model weights, other tensors, JSON state)``."""


def _write_bytes(handle: Any, data: bytes) -> None:
    """The one place bytes hit the disk (tests replace it to simulate a full disk)."""
    handle.write(data)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        _write_bytes(handle, data)
        handle.flush()
        os.fsync(handle.fileno())


def atomic_write(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename), then fsync the folder."""
    path = Path(path)
    try:
        _atomic.atomic_write(path, lambda handle: _write_bytes(handle, data))
    except OSError as exc:
        raise CheckpointError(
            f"{path}: cannot write ({_reason(exc)}); {path.name} was left as it was"
        ) from None
    _fsync_dir(path.parent)
    return path


def reason_of(exc: BaseException) -> str:
    """Any error's cause in words: `_reason` for I/O errors, else the message (or the type's name)."""
    if isinstance(exc, OSError):
        return _reason(exc)
    return str(exc) or type(exc).__name__


def _reason(exc: OSError) -> str:
    """The cause of an I/O error in words, without the ``[Errno N]`` and the (temporary) file name."""
    if exc.errno == errno.ENOSPC:
        return "no space left on the device; free some space"
    return exc.strerror or str(exc)


def _tensor_bytes(tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str] | None = None) -> bytes:
    plain = {key: value.detach().to("cpu").contiguous().clone() for key, value in tensors.items()}
    return save_safetensors(plain, metadata=dict(metadata or {}))


def architecture_fingerprint(*states: Mapping[str, torch.Tensor]) -> str:
    """A sha256 of the keys, shapes and dtypes of state dicts: equal iff the networks match."""
    digest = hashlib.sha256()
    for state in states:
        for key in sorted(state):
            value = state[key]
            digest.update(f"{key}:{tuple(value.shape)}:{value.dtype};".encode())
        digest.update(b"|")
    return digest.hexdigest()


# ----------------------------------------------------------------------------- RNG states


def capture_rng(prefix: str = "rng") -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """The python, numpy, torch (CPU) and CUDA generator states as (JSON part, tensor part)."""
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    meta = {
        "python": [version, list(internal), gauss],
        "numpy": [name, [int(k) for k in keys], int(pos), int(has_gauss), float(cached)],
    }
    tensors = {f"{prefix}/torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for index, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"{prefix}/cuda/{index}"] = state
    return meta, tensors


def restore_rng(meta: Mapping[str, Any], tensors: Mapping[str, torch.Tensor], prefix: str = "rng") -> None:
    """Restore what `capture_rng` captured."""
    version, internal, gauss = meta["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = meta["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(tensors[f"{prefix}/torch"])
    cuda = sorted(k for k in tensors if k.startswith(f"{prefix}/cuda/"))
    if cuda and torch.cuda.is_available():
        states = [tensors[k] for k in sorted(cuda, key=lambda k: int(k.rsplit("/", 1)[1]))]
        torch.cuda.set_rng_state_all(states[: torch.cuda.device_count()])


# ----------------------------------------------------------------------------- optimisers


def flatten_optimizer(
    prefix: str, state: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Split an optimiser's ``state_dict()`` into JSON (hyper-parameters, scalars) and tensors."""
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, fields in state["state"].items():
        for key, value in fields.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{prefix}/{index}/{key}"] = value
            else:
                scalars.setdefault(str(index), {})[key] = value
    return {"param_groups": state["param_groups"], "scalars": scalars}, tensors


def unflatten_optimizer(
    prefix: str, meta: Mapping[str, Any], tensors: Mapping[str, torch.Tensor]
) -> dict[str, Any]:
    """Rebuild an optimiser ``state_dict()`` from `flatten_optimizer`'s parts."""
    state: dict[int, dict[str, Any]] = {}
    for index, fields in meta["scalars"].items():
        state.setdefault(int(index), {}).update(fields)
    start = prefix + "/"
    for key, value in tensors.items():
        if key.startswith(start):
            index, field = key[len(start) :].split("/", 1)
            state.setdefault(int(index), {})[field] = value
    return {"state": state, "param_groups": meta["param_groups"]}


# ----------------------------------------------------------------------------- the store


class CheckpointStore:
    """The checkpoints of one run directory: save atomically, keep the newest ``keep``, find the latest."""

    def __init__(self, run_dir: Path, keep: int) -> None:
        self.folder = Path(run_dir) / "checkpoints"
        self.keep = keep

    def save(
        self,
        step: int,
        model: Mapping[str, torch.Tensor],
        tensors: Mapping[str, torch.Tensor],
        meta: Mapping[str, Any],
    ) -> Path:
        """Write checkpoint ``step`` and point ``latest.json`` at it; drop checkpoints beyond ``keep``.

        Raises:
            CheckpointError: the disk refused a write; the previous checkpoint is untouched.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"step-{step:08d}"
        final = self.folder / name
        partial = self.folder / f"{name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        try:
            partial.mkdir()
            _write_synced(partial / "model.safetensors", _tensor_bytes(model, {"format": "pt"}))
            _write_synced(partial / "state.safetensors", _tensor_bytes(tensors))
            document = {"format": FORMAT, **meta}
            _write_synced(partial / "state.json", json.dumps(document, indent=1).encode())
            _fsync_dir(partial)
            if final.exists():
                shutil.rmtree(final)
            partial.rename(final)
            _fsync_dir(self.folder)
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            previous = self.latest()
            kept = (
                f"the previous checkpoint {previous.name} is intact" if previous else "no checkpoint was kept"
            )
            raise CheckpointError(f"{final}: cannot save the checkpoint ({_reason(exc)}); {kept}") from None
        atomic_write(self.folder / LATEST, json.dumps({"checkpoint": name, "step": step}).encode())
        self._prune(keep_also=final)
        return final

    def _prune(self, keep_also: Path) -> None:
        done = sorted(self.folders())
        for old in done[: max(0, len(done) - self.keep)]:
            if old != keep_also:
                shutil.rmtree(old, ignore_errors=True)

    def folders(self) -> list[Path]:
        """The complete checkpoint folders ``step-NNNNNNNN`` (renamed into place), newest first."""
        if not self.folder.is_dir():
            return []
        found = [p for p in self.folder.iterdir() if _STEP_NAME.fullmatch(p.name) and p.is_dir()]
        return sorted(found, key=lambda p: p.name, reverse=True)

    def latest(self) -> Path | None:
        """The newest checkpoint folder whose files read back whole, or ``None``.

        ``latest.json`` is only a hint for people and tools: the folders themselves are checked
        (a kill between renaming a folder and updating the pointer, a truncated pointer, or one
        naming a folder outside the run must not hide a good checkpoint).
        """
        found = self.newest_readable()
        return found[0] if found else None

    def newest_readable(self) -> tuple[Path, Loaded, list[str]] | None:
        """``(folder, its contents, why newer folders were passed over)`` of the newest checkpoint
        that loads whole, or ``None`` when there is none (see `folders` for which ones exist)."""
        passed: list[str] = []
        for path in self.folders():
            try:
                return path, self.load(path), passed
            except CheckpointError as exc:
                passed.append(f"{path.name} is unreadable ({exc.reason})")
        return None

    @staticmethod
    def load(path: Path) -> Loaded:
        """``(model weights, other tensors, JSON state)`` of a checkpoint folder.

        Raises:
            CheckpointError: a missing or unreadable file.
        """
        try:
            meta = json.loads((path / "state.json").read_text())
            model = load_file(str(path / "model.safetensors"))
            tensors = load_file(str(path / "state.safetensors"))
        except FileNotFoundError as exc:
            raise CheckpointError(
                f"{path}: not a readable srzoo checkpoint",
                reason=f"{Path(str(exc.filename)).name} is missing",
            ) from None
        except (OSError, ValueError, SafetensorError) as exc:
            reason = _reason(exc) if isinstance(exc, OSError) else f"damaged: {exc}"
            raise CheckpointError(f"{path}: not a readable srzoo checkpoint", reason=reason) from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            found = meta.get("format") if isinstance(meta, dict) else None
            raise CheckpointError(
                f"{path}: not an srzoo training checkpoint", reason=f"format {found!r}, not {FORMAT!r}"
            )
        return model, tensors, meta
