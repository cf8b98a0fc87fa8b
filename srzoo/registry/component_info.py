"""Typed metadata of a registered component, checked when a plugin registers it.

A plugin passes metadata as keyword arguments of ``register(name, factory, **metadata)``; srzoo turns
them into a `ComponentInfo` (``srzoo.describe(kind, name).metadata``) and
refuses unknown keys or values of the wrong type with an error naming the plugin. Plugin-specific
keys go in ``extra={...}``.

The fields that describe a network's geometry (``upscale``, ``input_multiple``,
``receptive_field``, ``in_channels``, ``out_channels``) may be callables of the component's
arguments: they receive a mapping of every factory argument (the recipe's, with the factory's
defaults filled in) and return the value, e.g. ``input_multiple=lambda args: 2 ** args["num_downs"]``.
srzoo derives a recipe's input multiple and receptive field, and checks its channels, from them.

Examples:
    >>> info = srzoo.describe("generator", "unet").metadata
    >>> info.value("input_multiple", {"num_downs": 8})
    256
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Literal

from ..errors import SrzooError

__all__ = [
    "SAME_CHANNELS",
    "ComponentInfo",
    "DefaultWeights",
    "Examples",
    "PerArgs",
    "resize_radius",
    "resize_upscale",
]

PerArgs = Callable[[Mapping[str, Any]], Any]
"""A metadata value computed from the component's arguments (every factory argument, defaults filled in)."""

SAME_CHANNELS: Literal["same"] = "same"
"""``out_channels`` of a channel-agnostic component (a resizer): as many channels out as in."""

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class DefaultWeights:
    """Weights a component's factory can load by default.

    Attributes:
        url: where to download them.
        sha256: the file's hex sha256 (64 lower-case hex digits), checked after the download.
    """

    url: str
    sha256: str


@dataclass(frozen=True)
class Examples:
    """Test fixtures, not product metadata: how the registry-driven smoke tests exercise a component.

    ``tests/test_components.py`` builds every registered generator, discriminator and loss with
    ``args`` and calls it on random tensors of the ``input`` shapes; nothing else reads them.

    Attributes:
        args: small, fast keyword arguments for the factory.
        input: for networks the shape of one input tensor, e.g. ``(2, 3, 16, 16)``; for losses a
            list of call arguments, where each tuple of ints is a tensor shape and anything else is
            passed as is, e.g. ``[(2, 1, 6, 6), True]``.
        output: the expected output shape of a network, or ``None``.
    """

    args: Mapping[str, Any] = field(default_factory=dict)
    input: Any = None
    output: tuple[int, ...] | None = None


@dataclass(frozen=True)
class ComponentInfo:
    """What srzoo knows about a registered component (``srzoo.describe(kind, name).metadata``).

    Every field is optional. Geometry fields may be `PerArgs`
    callables of the component's arguments; read them with `value`.

    Attributes:
        description: one line for ``srzoo list`` and ``srzoo info``.
        paper: the publication to cite.
        license: the implementation's (and any weights') license.
        scales: the scale factors the component is meant for (its ``scale`` argument), or ``None``
            for any scale or where scale does not apply.
        upscale: output size / input size, e.g. ``lambda a: a["scale"]``; ``1`` for same-size
            networks; ``None``: unknown (srzoo then cannot check sizes or derive multiples past it).
        input_multiple: the input's height and width must be multiples of this (a U-Net's
            ``2 ** num_downs``).
        receptive_field: the radius, in input pixels, of what one output pixel depends on: every
            output pixel depends only on input pixels within this (per-axis) distance of the input
            pixels it lies over. ``None``: unbounded or unknown (e.g. a U-Net whose bottleneck sees
            the whole input).
        in_channels: the input channels it takes; ``None``: any.
        out_channels: the output channels it makes; ``"same"`` (`SAME_CHANNELS`):
            as many as it receives; ``None``: unknown.
        supports_half: whether it runs in float16/bfloat16; ``None``: unknown.
        higher_is_better: for metrics, the direction of improvement.
        download: for datasets, how to get the data (a command or a URL).
        targets: for datasets, the ground-truth keys its items hold beyond ``hr`` and ``lr``
            (facades: ``("hr", "lr", "semantic")``); a recipe's ``target =`` must be one its
            ``train.dataset`` declares.
        default_weights: weights the component loads by default (`DefaultWeights`).
        converters: weight-file suffix (``".mat"``) -> a ``"module:function"`` reference (or callable)
            reading that format into the recipe model's state dict.
        examples: test fixtures for the smoke tests (`Examples`); not product metadata.
        extra: anything plugin-specific, shown by ``srzoo info`` and otherwise not read by srzoo.
    """

    description: str = ""
    paper: str = ""
    license: str = ""
    scales: tuple[int, ...] | None = None
    upscale: float | PerArgs | None = None
    input_multiple: int | PerArgs = 1
    receptive_field: int | PerArgs | None = None
    in_channels: int | PerArgs | None = None
    out_channels: int | Literal["same"] | PerArgs | None = None
    supports_half: bool | None = None
    higher_is_better: bool | None = None
    download: str = ""
    targets: tuple[str, ...] = ()
    default_weights: DefaultWeights | None = None
    converters: Mapping[str, Any] = field(default_factory=dict)
    examples: Examples | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def value(self, name: str, args: Mapping[str, Any]) -> Any:
        """The field ``name``, computed from ``args`` when it is a callable of the arguments.

        Raises:
            SrzooError: the callable failed or returned a value of the wrong type.
        """
        value = getattr(self, name)
        if not callable(value):
            return value
        try:
            result = value(args)
        except Exception as exc:
            raise SrzooError(
                f"its metadata {name!r} failed for the arguments {dict(args)!r}: {type(exc).__name__}: {exc}"
            ) from exc
        problem = _CHECKS[name](result, allow_callable=False)
        if problem:
            raise SrzooError(
                f"its metadata {name!r} gave {result!r} for the arguments {dict(args)!r}; {problem}"
            )
        return result

    @classmethod
    def from_registration(
        cls, metadata: Mapping[str, Any], *, kind: str, name: str, plugin: str
    ) -> ComponentInfo:
        """Check the keyword arguments a plugin gave ``register()`` and make the typed record.

        Raises:
            SrzooError: an unknown key or a value of the wrong type, naming the plugin and the key.
        """
        where = f"plugin {plugin!r} registered {kind} {name!r} with"
        known = [f.name for f in fields(cls)]
        values: dict[str, Any] = {}
        for key, value in metadata.items():
            if key not in known:
                if key.startswith("example"):
                    hint = "test fixtures go in examples=srzoo.Examples(args=..., input=..., output=...)"
                else:
                    hint = f"known keys: {', '.join(known)}; put plugin-specific keys in extra={{...}}"
                raise SrzooError(f"{where} unknown metadata {key!r}; {hint}")
            value = _CONVERT.get(key, lambda v: v)(value)
            problem = _CHECKS[key](value, allow_callable=True)
            if problem:
                raise SrzooError(f"{where} metadata {key}={value!r}; {problem}")
            values[key] = value
        return cls(**values)


# --------------------------------------------------------------------------- helpers for resizers


def resize_upscale(args: Mapping[str, Any]) -> float:
    """``upscale`` of a resizer whose factory takes ``scale`` and ``direction`` (``"up"``/``"down"``).

    Examples:
        >>> from srzoo.component_info import resize_upscale
        >>> resize_upscale({"scale": 4, "direction": "down"})
        0.25
    """
    return float(args["scale"]) if args["direction"] == "up" else 1.0 / args["scale"]


def resize_radius(args: Mapping[str, Any], support: float) -> int:
    """``receptive_field`` of a separable resizer (``scale``, ``direction``, optional ``antialias``)
    whose kernel reaches ``support`` input pixels from its centre (cubic: 2, linear: 1).

    Upsampling: an output pixel lies over one input pixel, its kernel is centred within half a pixel
    of it and reaches ``support`` further (one more at fractional scales, where the footprint is
    not aligned). Downsampling by ``s``: the output pixel lies over ``s`` input pixels and the
    kernel, widened by ``s`` when antialiased, reaches less than ``(support - 0.5) * s + 0.5`` past
    their edge (one more at fractional scales).

    Examples:
        >>> from srzoo.component_info import resize_radius
        >>> resize_radius({"scale": 4, "direction": "up"}, support=2)
        2
    """
    scale = float(args["scale"])
    if args["direction"] == "up":
        return math.ceil(support) + (0 if scale.is_integer() else 1)
    width = support * scale if args.get("antialias", True) else support
    return max(0, math.ceil(width - 0.5 * scale + 0.5) - (1 if scale.is_integer() else 0))


# --------------------------------------------------------------------------- checks

Check = Callable[..., str]


def _text(value: Any, allow_callable: bool) -> str:
    return "" if isinstance(value, str) else "expected a string"


def _flag(value: Any, allow_callable: bool) -> str:
    return "" if value is None or isinstance(value, bool) else "expected true, false or None"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _geometry(minimum: int, *, optional: bool, same: bool = False, number: bool = False) -> Check:
    def check(value: Any, allow_callable: bool) -> str:
        if allow_callable and callable(value):
            return ""
        if value is None and optional:
            return ""
        if same and value == SAME_CHANNELS:
            return ""
        ok_type = (_is_int(value) or (number and isinstance(value, float))) and not isinstance(value, bool)
        if ok_type and value >= minimum and (not number or value > 0):
            return ""
        kinds = ["a positive number" if number else f"an integer >= {minimum}"]
        kinds += ['"same"'] if same else []
        kinds += ["None"] if optional else []
        kinds += ["a callable of the arguments"] if allow_callable else []
        return "expected " + ", ".join(kinds[:-1]) + (" or " if len(kinds) > 1 else "") + kinds[-1]

    return check


def _scales(value: Any, allow_callable: bool) -> str:
    if value is None or (isinstance(value, tuple) and value and all(_is_int(s) and s >= 1 for s in value)):
        return ""
    return "expected a list of positive integers, or None for any scale"


def _targets(value: Any, allow_callable: bool) -> str:
    if isinstance(value, tuple) and all(isinstance(key, str) and key for key in value):
        return ""
    return "expected a list of ground-truth key names, e.g. ('hr', 'lr', 'semantic')"


def _default_weights(value: Any, allow_callable: bool) -> str:
    if value is None:
        return ""
    if not isinstance(value, DefaultWeights) or not isinstance(value.url, str) or not value.url:
        return "expected srzoo.DefaultWeights(url=..., sha256=...) or a table with url and sha256"
    if not isinstance(value.sha256, str) or not _SHA256.fullmatch(value.sha256):
        return "expected a sha256 of 64 lower-case hex digits"
    return ""


def _converters(value: Any, allow_callable: bool) -> str:
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and k.startswith(".") and (isinstance(v, str) or callable(v))
        for k, v in value.items()
    ):
        return ""
    return 'expected a table of suffix -> "module:function", e.g. {".mat": "pkg.convert:read"}'


def _examples(value: Any, allow_callable: bool) -> str:
    if value is None or (isinstance(value, Examples) and isinstance(value.args, Mapping)):
        return ""
    return "expected srzoo.Examples(args=..., input=..., output=...) or a table with those keys"


def _extra(value: Any, allow_callable: bool) -> str:
    return "" if isinstance(value, Mapping) else "expected a table of plugin-specific keys"


_CHECKS: dict[str, Check] = {
    "description": _text,
    "paper": _text,
    "license": _text,
    "download": _text,
    "scales": _scales,
    "targets": _targets,
    "upscale": _geometry(0, optional=True, number=True),
    "input_multiple": _geometry(1, optional=False),
    "receptive_field": _geometry(0, optional=True),
    "in_channels": _geometry(1, optional=True),
    "out_channels": _geometry(1, optional=True, same=True),
    "supports_half": _flag,
    "higher_is_better": _flag,
    "default_weights": _default_weights,
    "converters": _converters,
    "examples": _examples,
    "extra": _extra,
}


def _to_tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _from_table(cls: type) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, Mapping):
            try:
                return cls(**value)
            except TypeError:
                return value  # the check names what was expected
        return value

    return convert


def _examples_from(value: Any) -> Any:
    value = _from_table(Examples)(value)
    if isinstance(value, Examples) and isinstance(value.args, Mapping):
        output = tuple(value.output) if isinstance(value.output, list) else value.output
        value = Examples(MappingProxyType(dict(value.args)), value.input, output)
    return value


def _read_only(value: Any) -> Any:
    return MappingProxyType(dict(value)) if isinstance(value, Mapping) else value


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "scales": _to_tuple,
    "targets": _to_tuple,
    "converters": _read_only,
    "extra": _read_only,
    "default_weights": _from_table(DefaultWeights),
    "examples": _examples_from,
}
