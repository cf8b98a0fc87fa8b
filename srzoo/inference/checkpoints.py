"""Model checkpoint files (``.pth``, ``.safetensors``...) read by plugins into an [`SRModel`][srzoo.SRModel].

A plugin registers a reader per file suffix with the ``srzoo_register_checkpoint_formats`` hook;
[`load_checkpoint`][srzoo.load_checkpoint] and the commands that take a model (``srzoo upscale -m``,
``srzoo info``, ``srzoo bench``) hand such a file to it. srzoo itself names no reader: the ``spandrel``
plugin (``pip install "srzoo[spandrel]"``) reads the checkpoints of ~40 published architectures.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import torch

from ..errors import SrzooError
from ..registry import loader as _plugins
from .fast import optimize_for_inference

if TYPE_CHECKING:
    from ..model import SRModel

__all__ = ["checkpoint_suffixes", "fast_or_plain", "is_checkpoint", "load_checkpoint"]


def checkpoint_suffixes() -> list[str]:
    """The file suffixes an installed plugin reads as checkpoints, sorted (e.g. ``[".ckpt", ".pth"]``)."""
    return sorted(_plugins.state().checkpoint_formats)


def is_checkpoint(path: str | Path) -> bool:
    """Whether ``path``'s suffix is one a plugin reads as a checkpoint (the file need not exist)."""
    if not isinstance(path, (str, Path)):
        return False
    return Path(path).suffix.lower() in checkpoint_suffixes()


def load_checkpoint(path: str | Path, *, name: str | None = None) -> SRModel:
    """Read a model checkpoint file into an [`SRModel`][srzoo.SRModel], through the plugin that
    registered its suffix.

    Args:
        path: the checkpoint file, e.g. ``RealESRGAN_x4plus.pth`` or ``4x-span.safetensors``.
        name: the model's label (its recipe's name); default: the file's stem.

    Returns:
        An [`SRModel`][srzoo.SRModel] in eval mode with the checkpoint's weights:
        ``(N, 3, h, w)`` RGB ``[0, 1]`` → ``(N, 3, s*h, s*w)`` RGB ``[0, 1]``.

    Raises:
        SrzooError: a missing file, a suffix no installed plugin reads, or a file its reader
            refuses (one line each; nothing from the file is executed).
    """
    if not isinstance(path, (str, Path)):
        raise SrzooError(f"a checkpoint is a file path, got {type(path).__name__} {path!r}")
    path = Path(path)
    formats = _plugins.state().checkpoint_formats
    reader = formats.get(path.suffix.lower())
    if reader is None:
        readable = ", ".join(sorted(formats)) or "none"
        raise SrzooError(
            f"{path}: no installed plugin reads {path.suffix or 'suffix-less'} checkpoints (readable: "
            f"{readable}); srzoo's own weights go with a recipe: --model RECIPE --weights PATH"
        )
    if not path.is_file():
        raise SrzooError(f"{path}: no such checkpoint file")
    label = name if name is not None else path.stem
    if not isinstance(label, str) or not label.strip():
        raise SrzooError(f"a checkpoint's name must be a non-empty string, got {label!r}")
    model = reader.load()(path, label)
    return model.eval()


def fast_or_plain(model: SRModel, *, bf16: bool = False, atol: float = 1e-3) -> torch.nn.Module:
    """[`srzoo.optimize_for_inference`][srzoo.optimize_for_inference]'s copy of a checkpoint's model
    where it works, else ``model`` itself.

    A foreign architecture may reach into its own layers in ``forward`` (SPAN re-derives its
    convolutions' weights on every call), which the fast path's fused convolutions do not have; so
    the copy is tried on a small probe and kept only if it runs and (in float32) matches the plain
    model within ``atol``.
    """
    weight = next(model.parameters(), None)
    device = weight.device if weight is not None else torch.device("cpu")
    probe = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0)).to(device)
    try:
        fast = optimize_for_inference(model, bf16=bf16)
        with torch.inference_mode():
            got = fast(probe)
            want = model(probe)
    except Exception:  # noqa: BLE001 - any failure of the fast copy means: run the plain model
        return model
    if bf16 or (got.float() - want.float()).abs().max().item() <= atol:
        return fast
    return model
