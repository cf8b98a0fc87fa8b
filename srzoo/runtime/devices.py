"""Reading a device name the way every srzoo command and the trainer take it."""

from __future__ import annotations

import torch

from ..errors import InputError


def pick_device(name: str, option: str = "device") -> torch.device:
    """``auto`` (CUDA when available), ``cpu``, ``cuda`` or ``cuda:N`` as a ``torch.device``.

    Raises:
        InputError: one line naming ``option`` (``"device"``, or a CLI flag such as ``"--device"``).
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise InputError(f"{option} {name!r}: expected auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        use = "--device cpu" if option.startswith("--") else "cpu"
        raise InputError(f"{option} {name!r}: no CUDA device is available here; use {use}")
    return device
