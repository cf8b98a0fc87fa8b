"""Input checks for plugin authors: image batches, value ranges and arguments, with exact messages.

Every check returns its (unchanged) argument when it passes and raises
[`srzoo.InputError`][srzoo.errors.InputError] with one line naming the argument, what was expected
and what was given. Built-in plugins use these, as a third-party plugin would:

Examples:
    >>> from srzoo.checks import check_image_batch, check_unit_range
    >>> x = check_unit_range(check_image_batch(torch.rand(2, 3, 8, 8), "lr"), "lr")
    >>> check_unit_range(torch.full((1, 3, 4, 4), 255.0), "lr")
    Traceback (most recent call last):
    ...
    srzoo.errors.InputError: lr has values up to 255.0: pass images scaled to [0, 1], e.g. x / 255
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Collection
from typing import Any, TypeVar

import torch

from .errors import InputError

__all__ = [
    "UNIT_RANGE_TOLERANCE",
    "accepts_keyword",
    "check_choice",
    "check_image_batch",
    "check_int",
    "check_number",
    "check_unit_range",
]

T = TypeVar("T")

UNIT_RANGE_TOLERANCE: tuple[float, float] = (-0.5, 1.5)
"""The values [`check_unit_range`][srzoo.checks.check_unit_range] accepts for "[0, 1]" images.

Wider than ``[0, 1]`` on purpose: bicubic (and other sharpening) degradations overshoot by up to
~0.2, and such LR images are legitimate model inputs; a ``[0, 255]`` image (values up to 255) or a
``[-1, 1]`` one (down to -1) is a mistake and refused.
"""


def check_image_batch(
    x: object, name: str = "input", channels: int | None = 3, unit_range: bool = True
) -> torch.Tensor:
    """Check that ``x`` is a float ``(N, C, H, W)`` tensor with ``N, H, W >= 1``; return it.

    Only the type, shape and dtype are checked (no pass over the values; see
    [`check_unit_range`][srzoo.checks.check_unit_range] for those).

    Args:
        x: the argument to check.
        name: its name in the messages.
        channels: the required ``C``, or ``None`` for any.
        unit_range: say "in [0, 1]" in the dtype message (for image inputs; resizers take any range).

    Returns:
        ``x``, unchanged.

    Raises:
        InputError: with a message naming ``name``, the expected and the actual shape or dtype.

    Examples:
        >>> from srzoo.checks import check_image_batch
        >>> check_image_batch(torch.zeros(3, 8, 8), "lr")
        Traceback (most recent call last):
        ...
        srzoo.errors.InputError: lr must have shape (N, 3, H, W) (RGB), got (3, 8, 8)
    """
    layout = f"(N, {channels}, H, W)" if channels is not None else "(N, C, H, W)"
    if not isinstance(x, torch.Tensor):
        raise InputError(f"{name} must be a torch.Tensor of shape {layout}, got {type(x).__name__}")
    if x.ndim != 4 or (channels is not None and x.shape[1] != channels):
        rgb = " (RGB)" if channels == 3 else ""
        raise InputError(f"{name} must have shape {layout}{rgb}, got {tuple(x.shape)}")
    if not x.is_floating_point():
        in_range = " in [0, 1]" if unit_range else ""
        raise InputError(
            f"{name} must be a float tensor{in_range}, got dtype {x.dtype}; divide uint8 images by 255"
        )
    if x.numel() == 0:
        raise InputError(f"{name} must be non-empty, got shape {tuple(x.shape)}")
    return x


def check_unit_range(
    x: torch.Tensor, name: str = "input", tolerance: tuple[float, float] = UNIT_RANGE_TOLERANCE
) -> torch.Tensor:
    """Check that a float tensor meant to be in ``[0, 1]`` is finite and roughly there; return it.

    One pass over the values (``aminmax``; on a GPU this waits for the tensor). Values in
    ``tolerance`` (default [`UNIT_RANGE_TOLERANCE`][srzoo.checks.UNIT_RANGE_TOLERANCE],
    ``[-0.5, 1.5]``) pass: clamping is the caller's decision.

    Args:
        x: a float tensor of any shape, nominally in ``[0, 1]``.
        name: its name in the messages.
        tolerance: the accepted ``(low, high)``.

    Returns:
        ``x``, unchanged.

    Raises:
        InputError: NaN or infinite values, or values outside ``tolerance``, with the likely cause
            (``[0, 255]`` images: divide by 255; ``[-1, 1]`` images: map with ``(x + 1) / 2``).
    """
    if x.numel() == 0:
        return x
    low, high = torch.aminmax(x.detach().float())
    if not (bool(torch.isfinite(low)) and bool(torch.isfinite(high))):
        raise InputError(f"{name} contains NaN or infinite values; pass finite images in [0, 1]")
    low_value, high_value = float(low), float(high)
    if high_value > tolerance[1]:
        hint = "e.g. x / 255" if high_value > 2.0 else "e.g. x.clamp(0, 1)"
        raise InputError(
            f"{name} has values up to {round(high_value, 4)}: pass images scaled to [0, 1], {hint}"
        )
    if low_value < tolerance[0]:
        hint = "map [-1, 1] images with (x + 1) / 2" if low_value >= -1.0 - 1e-6 else "e.g. x.clamp(0, 1)"
        raise InputError(
            f"{name} has values down to {round(low_value, 4)}: pass images scaled to [0, 1]; {hint}"
        )
    return x


def check_int(value: object, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Check that ``value`` is an ``int`` (not a ``bool``) in ``[minimum, maximum]``; return it.

    Raises:
        InputError: e.g. ``"num_blocks must be an integer >= 1, got 0"``.

    Examples:
        >>> from srzoo.checks import check_int
        >>> check_int(4, "scale", minimum=1)
        4
    """
    bounds = _bounds(minimum, maximum)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{name} must be an integer{bounds}, got {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise InputError(f"{name} must be an integer{bounds}, got {value!r}")
    return value


def check_number(
    value: object, name: str, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    """Check that ``value`` is a finite real number (``int`` or ``float``, not ``bool``) in range.

    Returns:
        ``value`` as a ``float``.

    Raises:
        InputError: e.g. ``"weight must be a number in [0, 1], got 2"``.
    """
    bounds = _bounds(minimum, maximum)
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise InputError(f"{name} must be a number{bounds}, got {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise InputError(f"{name} must be a number{bounds}, got {value!r}")
    if value in (float("inf"), float("-inf")):
        raise InputError(f"{name} must be a finite number{bounds}, got {value!r}")
    return float(value)


def check_choice(value: T, name: str, choices: Collection[T]) -> T:
    """Check that ``value`` is one of ``choices``; return it.

    Raises:
        InputError: e.g. ``"channel must be one of 'y', 'rgb', got 'luma'"``.

    Examples:
        >>> from srzoo.checks import check_choice
        >>> check_choice("y", "channel", ("y", "rgb"))
        'y'
    """
    try:
        ok = value in choices
    except TypeError:  # an unhashable value against a set
        ok = False
    if not ok:
        raise InputError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def _bounds(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" in [{minimum}, {maximum}]"
    if minimum is not None:
        return f" >= {minimum}"
    if maximum is not None:
        return f" <= {maximum}"
    return ""


def accepts_keyword(call: Callable[..., Any], name: str) -> bool:
    """Whether ``call`` (a function, or an ``nn.Module`` through its ``forward``) takes the keyword
    ``name``, by name or through ``**kwargs``.

    srzoo passes ``generator=`` to a degradation only when its call accepts it; random degradations
    draw their per-image parameters from that ``torch.Generator``.

    Examples:
        >>> from srzoo.checks import accepts_keyword
        >>> accepts_keyword(lambda x, generator=None: x, "generator")
        True
        >>> accepts_keyword(srzoo.create("degradation", "bicubic", scale=2), "generator")
        False
    """
    target = call.forward if isinstance(call, torch.nn.Module) else call
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature
        return False
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in parameters)
