"""Benchmark sets from a ``--data`` spec: folders of HR images, HR/LR folder pairs, Facades, charts.

A spec names the HR images of one benchmark set; `BenchSet.samples` yields them at a scale,
mod-cropped to a multiple of it (top-left kept, MATLAB's ``modcrop``). Accepted specs:

* ``charts``: srzoo's own generated test charts (Siemens star, zone plate, text, edges, facade),
  256×256; ``charts:SIZE`` for another side. Needs no files.
* ``PATH``: any folder of HR images (``folder`` dataset); the set is named after the folder (or its
  parent when the folder is called ``HR``, so ``.../set5/HR`` is ``set5``). A folder of 512×256
  pix2pix Facades files (photo | label map) is read as that Facades split, ``PARENT:SPLIT``.
* ``PATH:SPLIT``: a CMP Facades split in the pix2pix layout (``PATH/SPLIT/N.jpg``), e.g.
  ``data/facades:test``; the photo halves are the HR images.
* ``paired:HR_DIR,LR_DIR``: HR images with ready-made LR images matched by name
  (``paired-folder``); ``{s}`` in ``LR_DIR`` becomes the scale, e.g.
  ``paired:set5/HR,set5/LR_bicubic/X{s}``.
* ``NAME``: a registered dataset whose factory needs only ``scale``; ``NAME@ROOT`` passes ``root``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

from .._io.pix2pix import FACADES_SPLITS, is_facades_folder
from ..api import create, list_components
from ..charts import CHARTS, make_chart
from ..errors import InputError
from ..imageio import list_images
from ..model.weights import sha256_of

__all__ = ["BenchSet", "Sample", "resolve_data"]

Kind = Literal["charts", "folder", "facades", "paired-folder", "dataset"]

CHARTS_NAME = "charts"
"""The built-in set of generated charts, the README's default benchmark."""

CHART_SIDE = 256


@dataclass(frozen=True)
class Sample:
    """One benchmark image at one scale.

    Attributes:
        name: the image's name (file stem or chart name).
        hr: ``(3, H, W)`` float32 RGB in ``[0, 1]``, ``H`` and ``W`` multiples of the scale.
        lr: ``(3, H/s, W/s)`` LR image read from a file (``paired:`` sets), else ``None``.
        sha256: hash of the image file (or of the generated chart's pixels).
    """

    name: str
    hr: torch.Tensor
    lr: torch.Tensor | None
    sha256: str


@dataclass(frozen=True)
class BenchSet:
    """A resolved ``--data`` spec.

    Attributes:
        name: the set's name in tables and in published-value matching (lower case, e.g. ``set5``).
        spec: the spec as given.
        kind: how the images are found (``charts``, ``folder``, ``facades``, ``paired-folder``,
            ``dataset``).
        root: the folder (``None`` for charts).
        split: the Facades split, or the LR folder pattern of a ``paired:`` set.
        limit: use only the first ``limit`` images.
    """

    name: str
    spec: str
    kind: Kind
    root: Path | None = None
    split: str | None = None
    limit: int | None = None
    chart_side: int = CHART_SIDE

    @property
    def lr_given(self) -> bool:
        """Whether the LR images come from files rather than from the protocol's degradation."""
        return self.kind == "paired-folder"

    def samples(self, scale: int) -> Iterator[Sample]:
        """The set's images at ``scale``, HR mod-cropped, in natural file order."""
        if self.kind == "charts":
            for index, chart in enumerate(CHARTS):
                if self.limit is not None and index >= self.limit:
                    return
                hr = _mod_crop(make_chart(chart, self.chart_side), scale)
                yield Sample(chart, hr, None, _tensor_hash(hr))
            return
        dataset = self._dataset(scale)
        count = len(dataset) if self.limit is None else min(self.limit, len(dataset))
        files = _dataset_files(dataset)
        for index in range(count):
            item = dataset[index]
            lr = item["lr"] if self.lr_given else None
            file = files[index] if index < len(files) else None
            yield Sample(
                str(item["name"]), item["hr"], lr, _file_hash(file) if file else _tensor_hash(item["hr"])
            )

    def __len__(self) -> int:
        if self.kind == "charts":
            total = len(CHARTS)
        else:
            total = len(self._dataset(1 if self.kind != "paired-folder" else None))
        return total if self.limit is None else min(total, self.limit)

    def _dataset(self, scale: int | None):
        if self.kind == "folder":
            return create("dataset", "folder", root=self.root, scale=scale or 1)
        if self.kind == "facades":
            return create(
                "dataset", "facades", root=self.root, split=self.split, scale=scale or 1, with_semantic=False
            )
        if self.kind == "paired-folder":
            assert self.split is not None
            if scale is None:  # only counting: the HR folder decides
                return list_images(self.root)  # type: ignore[arg-type]
            lr_root = Path(self.split.replace("{s}", str(scale)))
            return create("dataset", "paired-folder", hr_root=self.root, lr_root=lr_root, scale=scale)
        kwargs = {} if self.root is None else {"root": self.root}
        return create("dataset", self.spec.partition("@")[0], scale=scale or 1, **kwargs)


def resolve_data(spec: str, limit: int | None = None) -> BenchSet:
    """Resolve one ``--data`` spec (see the module docstring) into a `BenchSet`.

    Raises:
        InputError: a path that does not exist, an unknown name, or a malformed spec.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise InputError(f"limit must be a positive integer, got {limit!r}")
    text = spec.strip()
    if not text:
        raise InputError("--data '': expected a folder, PATH:SPLIT, paired:HR,LR, charts or a dataset name")
    if text == CHARTS_NAME or text.startswith(CHARTS_NAME + ":"):
        side_text = text.partition(":")[2] or str(CHART_SIDE)
        if not side_text.isdigit() or int(side_text) < 16:
            raise InputError(f"--data {spec!r}: expected charts or charts:SIZE with SIZE >= 16 pixels")
        side = int(side_text)
        return BenchSet(CHARTS_NAME, spec, "charts", limit=limit, chart_side=side)
    if text.startswith("paired:"):
        hr_text, sep, lr_text = text.removeprefix("paired:").partition(",")
        if not sep or not hr_text or not lr_text:
            raise InputError(f"--data {spec!r}: expected paired:HR_DIR,LR_DIR (LR_DIR may contain {{s}})")
        hr_root = Path(hr_text)
        _check_folder(hr_root, spec)
        return BenchSet(_set_name(hr_root), spec, "paired-folder", hr_root, lr_text, limit)
    path = Path(text)
    if path.is_dir():
        if is_facades_folder(path):
            return _facades_split_folder(path, spec, limit)
        return BenchSet(_set_name(path), spec, "folder", path, limit=limit)
    root_text, sep, split = text.rpartition(":")
    if sep and root_text and Path(root_text).is_dir():
        root = Path(root_text)
        if not (root / split).is_dir():
            raise InputError(
                f"--data {spec!r}: {root / split} is not a folder; expected PATH:SPLIT (e.g. facades:test)"
            )
        return BenchSet(f"{_set_name(root)}-{split}", spec, "facades", root, split, limit)
    name, at, root_text = text.partition("@")
    if name in list_components("dataset") and name not in ("folder", "paired-folder", "facades"):
        root = Path(root_text) if at else None
        if root is not None:
            _check_folder(root, spec)
        return BenchSet(name.lower(), spec, "dataset", root, limit=limit)
    if path.exists():
        raise InputError(f"--data {spec!r}: is a file; give the folder holding the HR images")
    raise InputError(
        f"--data {spec!r}: no such folder, Facades split (PATH:SPLIT) or registered dataset; "
        "expected a folder of HR images, PATH:SPLIT, paired:HR_DIR,LR_DIR or charts"
    )


def _facades_split_folder(path: Path, spec: str, limit: int | None) -> BenchSet:
    """A folder of pix2pix photo | label files: its photo halves, as ``PARENT:SPLIT`` would give."""
    resolved = path.resolve()
    if resolved.name not in FACADES_SPLITS:
        raise InputError(
            f"--data {spec!r}: holds 512x256 Facades photo | label files; name the folder "
            f"{', '.join(FACADES_SPLITS)} and pass PARENT:SPLIT (e.g. facades:test) to score the photos"
        )
    root = resolved.parent
    return BenchSet(f"{_set_name(root)}-{resolved.name}", spec, "facades", root, resolved.name, limit)


def _check_folder(path: Path, spec: str) -> None:
    if not path.is_dir():
        raise InputError(f"--data {spec!r}: {path} is not a folder")


def _set_name(path: Path) -> str:
    resolved = path.resolve()
    if resolved.name.lower() in ("hr", "gt", "hr_images") and resolved.parent.name:
        return resolved.parent.name.lower()
    return resolved.name.lower()


def _mod_crop(x: torch.Tensor, scale: int) -> torch.Tensor:
    h, w = x.shape[-2:]
    return x[..., : h - h % scale, : w - w % scale].contiguous()


def _dataset_files(dataset: object) -> list[Path]:
    pairs = getattr(dataset, "pairs", None)
    if pairs is not None:
        return [hr for hr, _ in pairs]
    files = getattr(dataset, "files", None)
    return list(files) if files is not None else []


def _file_hash(path: Path) -> str:
    return sha256_of(path)


def _tensor_hash(x: torch.Tensor) -> str:
    return hashlib.sha256(x.contiguous().numpy().tobytes()).hexdigest()
