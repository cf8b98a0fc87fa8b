"""Argument checks and seeded sampling shared by the random degradations (internal).

Every random draw goes through these helpers, in a fixed order per call, so that a
``torch.Generator`` seeded the same way gives the same parameters bit for bit. Draws happen on the
generator's device (CPU generators for CUDA inputs are fine) and are moved to the input's device.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch

from srzoo.checks import check_image_batch
from srzoo.errors import InputError

Range = tuple[float, float]


def check_batch(x: object, name: str = "input") -> torch.Tensor:
    """Check ``x`` is a non-empty float ``(N, C, H, W)`` tensor (any ``C``, any value range)."""
    return check_image_batch(x, name, channels=None, unit_range=False)


def check_generator(generator: object) -> torch.Generator | None:
    """Check ``generator`` is a ``torch.Generator`` or ``None``."""
    if generator is not None and not isinstance(generator, torch.Generator):
        raise InputError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    return generator


def check_unit_scale(scale: object, what: str) -> None:
    """Size-preserving degradations take the contract's ``scale=`` but only accept 1."""
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale != 1:
        raise InputError(
            f"{what} keeps the image size, so scale must be 1, got {scale!r}; "
            "put it in a 'chain' with a 'resize' step to change the size"
        )


def as_range(value: object, name: str, low: float = 0.0, high: float = math.inf) -> Range:
    """``[low, high]`` (a list or tuple of two numbers, or one number for a fixed value) -> floats.

    Raises:
        InputError: not two numbers, ``low > high``, or outside ``[low, high]`` bounds given here.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        pair = (float(value), float(value))
    elif (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    ):
        pair = (float(value[0]), float(value[1]))
    else:
        raise InputError(f"{name} must be a number or a [low, high] list of two numbers, got {value!r}")
    if not (low <= pair[0] <= pair[1] <= high):
        bounds = f"[{low:g}, {high:g}]" if math.isfinite(high) else f">= {low:g}"
        raise InputError(f"{name} must satisfy low <= high within {bounds}, got {list(pair)}")
    return pair


def as_probability(value: object, name: str) -> float:
    """A number in ``[0, 1]``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise InputError(f"{name} must be a probability in [0, 1], got {value!r}")
    return float(value)


def as_weights(value: object, names: Sequence[str], name: str) -> dict[str, float]:
    """A ``{choice: weight}`` mapping (or a list of weights in ``names``' order) -> normalised weights."""
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise InputError(f"{name} has unknown keys {unknown}; known: {', '.join(names)}")
        raw = {key: value.get(key, 0.0) for key in names}
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == len(names):
        raw = dict(zip(names, value, strict=True))
    else:
        raise InputError(
            f"{name} must be a mapping over {', '.join(names)} or a list of {len(names)} weights, got {value!r}"
        )
    if any(isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0 for w in raw.values()):
        raise InputError(f"{name} weights must be numbers >= 0, got {value!r}")
    total = float(sum(raw.values()))
    if total <= 0:
        raise InputError(f"{name} weights must not all be 0, got {value!r}")
    return {key: float(w) / total for key, w in raw.items()}


def _device(generator: torch.Generator | None, like: torch.Tensor) -> torch.device:
    return generator.device if generator is not None else like.device


def uniform(n: int, bounds: Range, generator: torch.Generator | None, like: torch.Tensor) -> torch.Tensor:
    """``(n,)`` float64 values uniform in ``bounds`` on ``like``'s device."""
    u = torch.rand(n, generator=generator, device=_device(generator, like), dtype=torch.float64)
    return (bounds[0] + (bounds[1] - bounds[0]) * u).to(like.device)


def bernoulli(n: int, p: float, generator: torch.Generator | None, like: torch.Tensor) -> torch.Tensor:
    """``(n,)`` bools, each true with probability ``p``, on ``like``'s device."""
    u = torch.rand(n, generator=generator, device=_device(generator, like), dtype=torch.float64)
    return (u < p).to(like.device)


def categorical(
    n: int, weights: Sequence[float], generator: torch.Generator | None, like: torch.Tensor
) -> torch.Tensor:
    """``(n,)`` int64 indices into ``weights`` drawn with those probabilities, on ``like``'s device."""
    cumulative = torch.tensor(weights, dtype=torch.float64).cumsum(0)
    u = torch.rand(n, generator=generator, device=_device(generator, like), dtype=torch.float64)
    index = torch.searchsorted(cumulative.to(u.device), u * cumulative[-1].item(), right=True)
    return index.clamp_(max=len(weights) - 1).to(like.device)


def odd_sizes(n: int, bounds: Range, generator: torch.Generator | None, like: torch.Tensor) -> torch.Tensor:
    """``(n,)`` int64 odd kernel sizes uniform over the odd integers in ``bounds``."""
    sizes = list(range(math.ceil(bounds[0]) | 1, int(bounds[1]) + 1, 2))
    if not sizes:
        raise InputError(f"kernel_size range {list(bounds)} contains no odd size")
    index = categorical(n, [1.0] * len(sizes), generator, like)
    return torch.tensor(sizes, device=like.device)[index]


def normal_like(shape: Sequence[int], generator: torch.Generator | None, like: torch.Tensor) -> torch.Tensor:
    """Standard normal noise of ``shape`` in ``like``'s dtype and device."""
    z = torch.randn(*shape, generator=generator, device=_device(generator, like), dtype=like.dtype)
    return z.to(like.device)
