"""Read the LapSRN authors' MatConvNet models (``LapSRN_x{2,4,8}.mat``) into srzoo's state dict.

The files hold a DagNN struct ``net`` with ``layers`` (name, type, inputs, outputs, params, block)
and ``params`` (name, value). Parameter names, for a model of ``L`` levels and ``d`` convolutions per
level (the authors number levels from the finest, so ``level{L}`` runs first):

    input_conv_f  3x3x1x64      input_conv_b  1x64
    level{k}_conv{j}_f  3x3x64x64   level{k}_conv{j}_b  1x64      (j = 1..d)
    level{k}_upconv_f   3x3x64x64   level{k}_upconv_b   1x64      (ConvTranspose, crop [0 1 0 1])
    level{k}_residual_conv_f 3x3x64(x1)  level{k}_residual_conv_b 1x1
    level{k}_img_up_f   4x4(x1x1)                                   (ConvTranspose, crop [1 1 1 1])

MatConvNet filters are ``H x W x in x out`` (``H x W x out x in`` for transposed convs) and both map
to PyTorch's layouts by the same permutation ``(3, 2, 0, 1)``; both frameworks correlate, so filters
are not flipped. [`convert`][] is registered as the ``.mat`` converter of generator ``lapsrn``, so
``srzoo.build("lapsrn-x4", weights="LapSRN_x4.mat")`` and ``srzoo convert`` both use it.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from srzoo.errors import WeightsError

from .lapsrn import LapSRN

if TYPE_CHECKING:
    from srzoo import SRModel

__all__ = ["DagNN", "convert", "lapsrn_state_dict", "read_dagnn"]

_LEVEL_PARAM = re.compile(r"level(\d+)_img_up_f")
_CONV_PARAM = re.compile(r"level(\d+)_conv(\d+)_f")
_EXPECTED = "a MatConvNet DagNN struct 'net' whose params include 'input_conv_f' and 'level1_img_up_f' (the authors' LapSRN_x{2,4,8}.mat)"


@dataclass(frozen=True)
class DagNN:
    """The parts of a MatConvNet DagNN model the converter needs.

    Attributes:
        params: parameter arrays by name, as stored (MATLAB layout, float32).
        layers: per layer, ``{"name", "type", "block"}`` with the block's numeric fields as lists.
    """

    params: Mapping[str, np.ndarray]
    layers: tuple[Mapping[str, Any], ...]

    @property
    def levels(self) -> int:
        """Number of ×2 levels (``level{k}_img_up_f`` parameters)."""
        return len([name for name in self.params if _LEVEL_PARAM.fullmatch(name)])

    @property
    def depth(self) -> int:
        """Convolutions per level (``level1_conv{j}_f`` parameters)."""
        return len([name for name in self.params if (m := _CONV_PARAM.fullmatch(name)) and m.group(1) == "1"])


def _text(cell: Any) -> str:
    array = np.asarray(cell)
    if array.dtype.kind == "U":
        return str(array.item()) if array.size == 1 else ""
    if array.dtype == object and array.size == 1:
        return _text(array.item())
    return ""


_MI_MATRIX, _MI_COMPRESSED = 14, 15
# bytes per value of the MAT v5 data types (miINT8 ... miUTF32)
_ITEM_SIZE = {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4}
_NUMERIC_CLASSES = frozenset(range(6, 16))
_CELL, _STRUCT, _OBJECT, _CHAR, _SPARSE = 1, 2, 3, 4, 5


class _Damaged(Exception):
    """The MAT v5 structure is inconsistent (what, at which byte)."""


class _Mat5Checker:
    """Walks a MAT v5 file's element tree and checks every size against its container.

    scipy's C reader can crash the interpreter (segfault, bus error) on damaged data, so the whole
    structure is checked first: elements fit in their parents, numeric data holds exactly the values
    its dimensions say, compressed elements inflate completely with a valid zlib checksum (which
    catches bit flips inside them).
    """

    def __init__(self, endian: str) -> None:
        self.endian = endian

    def element(self, data: bytes, pos: int, end: int) -> tuple[int, int, int]:
        """``(type, data start, next element)`` of the element at ``pos`` (normal or small format)."""
        if pos + 8 > end:
            raise _Damaged(f"an element header at byte {pos} runs past its container")
        word, size = struct.unpack(self.endian + "II", data[pos : pos + 8])
        if word >> 16:  # small data element: type and size in one word, data in the next 4 bytes
            kind, small = word & 0xFFFF, word >> 16
            if small > 4:
                raise _Damaged(f"a small element at byte {pos} claims {small} bytes")
            return kind, pos + 4, pos + 8
        start, stop = pos + 8, pos + 8 + size
        if stop > end:
            raise _Damaged(f"an element at byte {pos} needs {stop - end} bytes more than its container holds")
        return word, start, min(end, stop + (-size % 8)) if word != _MI_COMPRESSED else stop

    def size_of(self, data: bytes, pos: int) -> int:
        word, size = struct.unpack(self.endian + "II", data[pos : pos + 8])
        return word >> 16 if word >> 16 else size

    def top_level(self, data: bytes, depth: int = 0) -> None:
        pos = 128 if depth == 0 else 0
        while pos < len(data):
            kind, start, following = self.element(data, pos, len(data))
            if kind == _MI_COMPRESSED and depth == 0:
                inflater = zlib.decompressobj()
                try:
                    inner = inflater.decompress(data[start:following]) + inflater.flush()
                except zlib.error as exc:
                    raise _Damaged(f"zlib: {exc}") from None
                if not inflater.eof or inflater.unused_data:
                    raise _Damaged(f"the compressed element at byte {pos} is cut short")
                self.top_level(inner, depth + 1)
            elif kind == _MI_MATRIX:
                self.matrix(data, start, start + self.size_of(data, pos), 0)
            else:
                raise _Damaged(f"unexpected element type {kind} at byte {pos}")
            pos = following

    def matrix(self, data: bytes, pos: int, end: int, depth: int) -> None:
        if pos == end:  # an empty array
            return
        if depth > 64:
            raise _Damaged("arrays nested more than 64 deep")
        kind, start, pos = self.element(data, pos, end)
        if kind != 6 or pos - start < 8:
            raise _Damaged(f"array flags missing at byte {start}")
        flags = struct.unpack(self.endian + "I", data[start : start + 4])[0]
        array_class = flags & 0xFF
        kind, start, pos = self.element(data, pos, end)
        count = self.size_of(data, start - 8) if start - 8 >= 0 else 0
        if kind != 5 or count % 4 or count < 8:
            raise _Damaged(f"array dimensions missing at byte {start}")
        dims = struct.unpack(f"{self.endian}{count // 4}i", data[start : start + count])
        if min(dims) < 0:
            raise _Damaged(f"negative array dimensions at byte {start}")
        values = 1
        for d in dims:
            values *= d
        _, _, pos = self.element(data, pos, end)  # the name
        if array_class in _NUMERIC_CLASSES or array_class == _CHAR:
            for _part in range(2 if flags & 0x800 else 1):
                pos = self.numeric(data, pos, end, values)
        elif array_class == _CELL:
            pos = self.children(data, pos, end, values, depth)
        elif array_class in (_STRUCT, _OBJECT):
            if array_class == _OBJECT:
                _, _, pos = self.element(data, pos, end)  # the class name
            kind, start, pos = self.element(data, pos, end)
            length = struct.unpack(self.endian + "i", data[start : start + 4])[0]
            kind, start, following = self.element(data, pos, end)
            names = following - start
            fields = self.size_of(data, pos) // length if length > 0 else 0
            if length <= 0 and names:
                raise _Damaged(f"bad struct field name length at byte {start}")
            pos = self.children(data, following, end, values * fields, depth)
        elif array_class == _SPARSE:
            for _part in range(4 if flags & 0x800 else 3):
                _, _, pos = self.element(data, pos, end)
        else:
            raise _Damaged(f"unknown array class {array_class}")

    def numeric(self, data: bytes, pos: int, end: int, values: int) -> int:
        kind, start, following = self.element(data, pos, end)
        item = _ITEM_SIZE.get(kind)
        size = self.size_of(data, pos)
        if item is None:
            raise _Damaged(f"unknown data type {kind} at byte {pos}")
        if size != values * item:
            raise _Damaged(
                f"array data at byte {start} holds {size} bytes, its dimensions say {values} values"
            )
        return following

    def children(self, data: bytes, pos: int, end: int, count: int, depth: int) -> int:
        if count * 8 > end - pos:
            raise _Damaged(f"{count} array elements cannot fit in {end - pos} bytes")
        for _ in range(count):
            kind, start, following = self.element(data, pos, end)
            if kind != _MI_MATRIX:
                raise _Damaged(f"expected an array element at byte {pos}, got type {kind}")
            self.matrix(data, start, start + self.size_of(data, pos), depth + 1)
            pos = following
        return pos


def _check_mat5_integrity(data: bytes, path: Path) -> None:
    """Refuse a damaged MATLAB v5 file before scipy parses it (see ``_Mat5Checker``).

    Files that are not v5 (too short, text, HDF5/v7.3) are left to scipy's own messages.
    """
    if len(data) < 128 or data[126:128] not in (b"IM", b"MI"):
        return
    endian = "<" if data[126:128] == b"IM" else ">"
    if struct.unpack(endian + "H", data[124:126])[0] != 0x0100:  # v7.3 (HDF5): scipy says so
        return
    try:
        _Mat5Checker(endian).top_level(data)
    except (_Damaged, struct.error) as exc:
        raise WeightsError(f"{path}: truncated or corrupt .mat file ({exc}); re-download it") from None


def read_dagnn(path: str | Path) -> DagNN:
    """Read a MatConvNet DagNN ``.mat`` file (MATLAB v5 format, as the authors saved them).

    Raises:
        WeightsError: the file cannot be read, or holds no DagNN struct ``net``.
    """
    path = Path(path)
    try:
        from scipy.io import loadmat
        from scipy.io.matlab import MatReadError
    except ImportError:  # pragma: no cover - scipy is in the dev and convert extras
        raise WeightsError(
            f"{path}: reading MatConvNet .mat files needs scipy; pip install 'srzoo[convert]'"
        ) from None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WeightsError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    _check_mat5_integrity(data, path)
    try:
        contents = loadmat(io.BytesIO(data))
    except NotImplementedError:
        raise WeightsError(
            f"{path}: a MATLAB v7.3 (HDF5) file; expected {_EXPECTED}, saved with -v7 or older"
        ) from None
    except (MatReadError, ValueError, TypeError) as exc:
        raise WeightsError(f"{path}: not a readable MATLAB .mat file ({exc}); expected {_EXPECTED}") from None
    except Exception as exc:  # noqa: BLE001 - scipy's parser fails on damaged data with zlib.error, IndexError, OSError...
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise WeightsError(
            f"{path}: truncated or corrupt .mat file ({type(exc).__name__}: {reason}); re-download it "
            "(the authors' files are LapSRN_x{2,4,8}.mat)"
        ) from None
    net = contents.get("net")
    names = getattr(getattr(net, "dtype", None), "names", None) or ()
    if net is None or net.size != 1 or "params" not in names or "layers" not in names:
        raise WeightsError(f"{path}: not a LapSRN model: expected {_EXPECTED}")
    net = net.flat[0]
    params: dict[str, np.ndarray] = {}
    try:
        for item in np.asarray(net["params"]).flat:
            params[_text(item["name"])] = np.asarray(item["value"], dtype=np.float32)
        layers = []
        for item in np.asarray(net["layers"]).flat:
            block = np.asarray(item["block"])
            fields: dict[str, list[float]] = {}
            if block.size == 1 and block.dtype.names:
                record = block.flat[0]
                for key in block.dtype.names:
                    value = np.asarray(record[key])
                    if value.dtype.kind in "fiub":
                        fields[key] = value.ravel().tolist()
            layers.append({"name": _text(item["name"]), "type": _text(item["type"]), "block": fields})
    except (ValueError, KeyError, IndexError, TypeError):
        raise WeightsError(f"{path}: not a LapSRN model: expected {_EXPECTED}") from None
    return DagNN(params=params, layers=tuple(layers))


def _check_layers(dag: DagNN, path: Path) -> None:
    """The released models' operators: LeakyReLU 0.2, and the two transposed convs' crops."""
    for layer in dag.layers:
        block, name = layer["block"], layer["name"]
        leak = block.get("leak", [0.0])  # MatConvNet's default is a plain ReLU
        if layer["type"] == "dagnn.ReLU" and not np.isclose(leak[0], 0.2):
            raise WeightsError(f"{path}: layer {name!r} has leak {leak[0]}; LapSRN uses LeakyReLU 0.2")
        if layer["type"] == "dagnn.ConvTranspose":
            crop = [int(c) for c in block.get("crop", [])]
            expected = [1, 1, 1, 1] if name.endswith("img_up") else [0, 1, 0, 1]
            if crop and crop != expected:
                raise WeightsError(f"{path}: layer {name!r} crops {crop}; LapSRN's layout expects {expected}")


def _matlab_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """MATLAB drops trailing singleton dimensions beyond the second."""
    shape = tuple(shape)
    while len(shape) > 2 and shape[-1] == 1:
        shape = shape[:-1]
    return shape


def _filter(params: Mapping[str, np.ndarray], name: str, torch_shape: torch.Size, path: Path) -> torch.Tensor:
    # torch conv (out, in, kh, kw) and transposed conv (in, out, kh, kw) both come from (kh, kw, *, *)
    mat_shape = (torch_shape[2], torch_shape[3], torch_shape[1], torch_shape[0])
    value = params[name]
    if _matlab_shape(value.shape) != _matlab_shape(mat_shape):
        raise WeightsError(
            f"{path}: parameter {name!r} has shape {'x'.join(map(str, value.shape))}; "
            f"the model expects {'x'.join(map(str, mat_shape))}"
        )
    return torch.from_numpy(np.ascontiguousarray(value.reshape(mat_shape))).permute(3, 2, 0, 1).contiguous()


def _bias(params: Mapping[str, np.ndarray], name: str, size: int, path: Path) -> torch.Tensor:
    value = params[name]
    if value.size != size:
        raise WeightsError(f"{path}: parameter {name!r} has {value.size} values; the model expects {size}")
    return torch.from_numpy(np.ascontiguousarray(value.reshape(size)))


def lapsrn_state_dict(
    dag: DagNN, model: LapSRN, path: str | Path = "<dagnn>", prefix: str = ""
) -> dict[str, torch.Tensor]:
    """Map a DagNN's parameters onto ``model``'s state-dict keys (prefixed by ``prefix``).

    Raises:
        WeightsError: the DagNN's scale, depth, channels or parameter shapes differ from ``model``'s.
    """
    path = Path(path)
    levels, depth = dag.levels, dag.depth
    wanted = f"×{model.scale} ({len(model.levels)} level(s) of depth {model.depth})"
    if "input_conv_f" not in dag.params or levels == 0 or depth == 0:
        raise WeightsError(f"{path}: not a LapSRN model: expected {_EXPECTED}")
    if levels != len(model.levels) or depth != model.depth:
        raise WeightsError(
            f"{path}: holds a ×{2**levels} LapSRN ({levels} level(s) of depth {depth}), the model expects "
            f"{wanted}; use LapSRN_x{model.scale}.mat or the recipe lapsrn-x{2**levels}"
        )
    if model.channels != "y":
        raise WeightsError(
            f"{path}: the authors' LapSRN models work on the Y channel; build the model with channels='y'"
        )
    _check_layers(dag, path)
    target = model.state_dict()
    names = {"input_conv.weight": "input_conv_f", "input_conv.bias": "input_conv_b"}
    for index in range(levels):
        theirs = f"level{levels - index}"  # the authors' coarsest level has the highest number
        ours = f"levels.{index}"
        for j in range(depth):
            names[f"{ours}.body.{2 * j}.weight"] = f"{theirs}_conv{j + 1}_f"
            names[f"{ours}.body.{2 * j}.bias"] = f"{theirs}_conv{j + 1}_b"
        names[f"{ours}.upsample.weight"] = f"{theirs}_upconv_f"
        names[f"{ours}.upsample.bias"] = f"{theirs}_upconv_b"
        names[f"{ours}.residual.weight"] = f"{theirs}_residual_conv_f"
        names[f"{ours}.residual.bias"] = f"{theirs}_residual_conv_b"
        names[f"{ours}.image_up.weight"] = f"{theirs}_img_up_f"
    missing = sorted(set(names.values()) - set(dag.params))
    if missing:
        raise WeightsError(
            f"{path}: not a complete LapSRN model: missing parameter(s) {', '.join(missing[:3])}"
        )
    state: dict[str, torch.Tensor] = {}
    for key, reference in target.items():
        source = names.get(key)
        if source is None:
            raise WeightsError(f"{path}: nothing in the .mat file maps to the model's {key!r}")
        if key.endswith(".bias"):
            state[prefix + key] = _bias(dag.params, source, reference.numel(), path)
        else:
            state[prefix + key] = _filter(dag.params, source, reference.shape, path)
    return state


def convert(path: Path, model: SRModel) -> dict[str, torch.Tensor]:
    """The ``.mat`` converter of generator ``lapsrn``: the authors' file → ``model``'s state dict.

    Args:
        path: ``LapSRN_x{s}.mat`` from the authors' release.
        model: an [`SRModel`][srzoo.SRModel] with one ``lapsrn`` stage (e.g. ``srzoo.build("lapsrn-x4")``).

    Returns:
        The state dict of ``model`` (keys ``stages.<node>.…``), float32 on the CPU.

    Raises:
        WeightsError: not a LapSRN file, a different scale or depth, or no ``lapsrn`` stage in ``model``.
    """
    stages = [(name, stage) for name, stage in model.stages.items() if isinstance(stage, LapSRN)]
    if len(stages) != 1:
        raise WeightsError(
            f"{path}: the LapSRN .mat converter needs a recipe with exactly one 'lapsrn' generator; "
            f"recipe {model.recipe.name!r} has {len(stages)}"
        )
    name, stage = stages[0]
    return lapsrn_state_dict(read_dagnn(path), stage, path, prefix=f"stages.{name}.")
