"""What a recipe's graph implies, derived from its components' metadata before anything runs.

For every node: the resolution of its output relative to the LR input, its channels, and how far
(in LR pixels) its output reaches back. From those: the LR input multiple (so that every node gets
inputs of the sizes it needs), the model's receptive field, and build-time checks that a node's
inputs have one resolution and as many channels as its component takes.

A node's receptive field composes as ``R(node) = max(R(inputs)) + ceil(r / c)``, where ``r`` is the
component's radius in its own input pixels and ``c`` the input's resolution in LR pixels (one more
pixel of slack where ``c`` or the node's factor is fractional, whose footprints do not align).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..errors import RecipeError, SrzooError
from ..recipe.core import Recipe
from ..recipe.schema import INPUT_NAME, MAX_INPUT_MULTIPLE
from ..registry import loader as _plugins
from ..registry.component_info import SAME_CHANNELS, ComponentInfo

__all__ = ["GraphLayout", "NodeLayout", "analyse", "resolved_args"]

IMAGE_CHANNELS = 3
"""The LR input and the SR output are RGB."""


@dataclass(frozen=True)
class NodeLayout:
    """One node's output, as the metadata describes it (``None``: not known).

    Attributes:
        scale: its resolution relative to the LR input (``4`` for the MR image of a ×4 recipe).
        channels: its channels.
        reach: how many LR pixels away from an output pixel's LR position it depends on
            (``None``: unbounded or unknown).
    """

    scale: Fraction | None
    channels: int | None
    reach: int | None


@dataclass(frozen=True)
class GraphLayout:
    """A recipe's derived geometry.

    Attributes:
        input_multiple: the LR multiple every node's input size needs (derived, ignoring any
            ``input_multiple`` the recipe states).
        receptive_field: the output's reach in LR pixels, or ``None`` (unbounded or unknown).
        nodes: each node's `NodeLayout` by name (``"lr"`` included).
    """

    input_multiple: int
    receptive_field: int | None
    nodes: Mapping[str, NodeLayout]


def resolved_args(factory: Any, args: Mapping[str, Any]) -> dict[str, Any]:
    """``args`` with the factory's defaults filled in (what metadata callables receive)."""
    try:
        signature = inspect.signature(factory)
        bound = signature.bind_partial(**args)
    except (TypeError, ValueError):
        return dict(args)
    bound.apply_defaults()
    full = dict(bound.arguments)
    for name, param in signature.parameters.items():
        if param.kind is param.VAR_KEYWORD:
            full.update(full.pop(name, {}))
    return full


def analyse(recipe: Recipe) -> GraphLayout:
    """Derive the graph's geometry and check it (channels, resolutions, the recipe's scale).

    Raises:
        RecipeError: naming the node: inputs of different resolutions or a channel count the
            component does not take (a training critic's too), an output that is not RGB or not ``scale`` times the input,
            or metadata that cannot be evaluated; ``input_multiple`` when it cannot be derived
            (an upstream component does not declare its ``upscale``) and the recipe does not state it.
    """
    registry = _plugins.registry()
    layouts: dict[str, NodeLayout] = {INPUT_NAME: NodeLayout(Fraction(1), IMAGE_CHANNELS, 0)}
    multiple = 1
    blocked: str | None = None  # why the multiple cannot be derived, if it cannot
    for index, node in enumerate(recipe.nodes):
        component = _Component(recipe, index, registry)
        fail, meta, what, where = component.fail, component.value, component.what, component.where
        inputs = [(name, layouts[name]) for name in node.inputs]
        scales = {layout.scale for _, layout in inputs if layout.scale is not None}
        if len(scales) > 1:
            found = ", ".join(f"{name} at x{_show(layout.scale)}" for name, layout in inputs)
            raise fail(
                f"its inputs have different resolutions ({found} of the LR input); "
                "inputs are concatenated along channels and must have one size",
                f"{where}.inputs",
            )
        in_scale = scales.pop() if scales and all(layout.scale is not None for _, layout in inputs) else None
        channels = [layout.channels for _, layout in inputs]
        received = sum(channels) if all(c is not None for c in channels) else None  # type: ignore[misc]
        expected = meta("in_channels")
        if received is not None and expected is not None and received != expected:
            parts = " + ".join(f"{c} ({name})" for (name, _), c in zip(inputs, channels, strict=True))
            said = f" (in_channels = {node.args['in_channels']})" if "in_channels" in node.args else ""
            raise fail(
                f"its inputs give {parts} = {received} channels, but {what} takes {expected}{said}; "
                "make the component's channels match its inputs"
            )
        out = meta("out_channels")
        out_channels = (received if out == SAME_CHANNELS else out) if out is not None else None

        upscale = meta("upscale")
        factor = None if upscale is None else Fraction(upscale).limit_denominator(10_000)
        out_scale = None if factor is None or in_scale is None else in_scale * factor

        need = meta("input_multiple")
        if need > 1 or (in_scale is not None and in_scale.denominator > 1):
            if in_scale is None:
                blocked = blocked or (
                    f"node {node.name!r} needs inputs that are multiples of {need}, but the resolution of "
                    "its input is unknown (a component before it declares no upscale)"
                )
            else:  # LR sizes H with in_scale * H an integer multiple of need
                multiple = math.lcm(
                    multiple, in_scale.denominator * need // math.gcd(need, in_scale.numerator)
                )
        if out_scale is not None:
            multiple = math.lcm(multiple, out_scale.denominator)
        if multiple > MAX_INPUT_MULTIPLE and recipe.input_multiple is None:
            raise fail(
                f"{what} needs LR inputs padded to multiples of {multiple} pixels (at most "
                f"{MAX_INPUT_MULTIPLE} is usable); check its arguments (e.g. a U-Net's num_downs)"
            )

        reach = _reach(meta("receptive_field"), [layout.reach for _, layout in inputs], in_scale, factor)
        layouts[node.name] = NodeLayout(out_scale, out_channels, reach)

    output = layouts[recipe.output]
    _check_output(recipe, output)
    _check_critics(recipe, layouts, registry)
    if blocked is not None and recipe.input_multiple is None:
        raise RecipeError(
            recipe.source, "input_multiple", f"cannot derive it: {blocked}; state input_multiple"
        )
    return GraphLayout(multiple, output.reach, layouts)


def _reach(
    radius: float | None, reaches: list[int | None], in_scale: Fraction | None, factor: Fraction | None
) -> int | None:
    """The LR radius a node's output depends on: its inputs' reach plus its own receptive field."""
    if radius is None or in_scale is None or any(r is None for r in reaches):
        return None
    slack = 0 if in_scale.denominator == 1 and (factor is None or factor.denominator == 1) else 1
    return max(reaches) + math.ceil(Fraction(radius) / in_scale) + slack  # type: ignore[type-var, operator]


def _check_output(recipe: Recipe, output: NodeLayout) -> None:
    """The output node must upscale by the recipe's ``scale`` and make RGB."""
    if output.scale is not None and output.scale != recipe.scale:
        raise RecipeError(
            recipe.source,
            "scale",
            f"recipe {recipe.name!r} says scale = {recipe.scale}, but its output node {recipe.output!r} "
            f"upscales the LR input by {_show(output.scale)}",
        )
    if output.channels is not None and output.channels != IMAGE_CHANNELS:
        raise RecipeError(
            recipe.source,
            "output",
            f"the output node {recipe.output!r} makes {output.channels} channels; the SR image is RGB (3)",
        )


class _Component:
    """One node's component: its metadata evaluated on the node's arguments, errors naming the node."""

    def __init__(self, recipe: Recipe, index: int, registry: Any) -> None:
        self.recipe = recipe
        self.where = f"nodes[{index}]"
        self.node = node = recipe.nodes[index]
        try:
            self.entry = registry.get(node.kind, node.component)
            factory = self.entry.load()
        except SrzooError as exc:
            raise RecipeError(recipe.source, self.where, str(exc)) from None
        self.args = resolved_args(factory, node.args)
        self.what = f"{node.kind} {node.component!r}"

    def fail(self, problem: str, key: str | None = None) -> RecipeError:
        return RecipeError(self.recipe.source, key or self.where, f"node {self.node.name!r}: {problem}")

    def value(self, name: str) -> Any:
        """The metadata field ``name`` for this node's arguments."""
        info: ComponentInfo = self.entry.metadata
        try:
            return info.value(name, self.args)
        except SrzooError as exc:
            raise self.fail(f"{self.what} (plugin {self.entry.plugin!r}): {exc}") from None


def _check_critics(recipe: Recipe, layouts: Mapping[str, NodeLayout], registry: Any) -> None:
    """A critic sees ``[*condition, judged image]`` concatenated: its ``in_channels`` must match.

    Critics are for training: one whose discriminator is not installed is left to the trainer.
    """
    if recipe.train is None:
        return
    for index, critic in enumerate(recipe.train.critics):
        try:
            entry = registry.get("discriminator", critic.component)
            args = resolved_args(entry.load(), critic.args)
            expected = entry.metadata.value("in_channels", args)
        except SrzooError:
            continue
        names = [*critic.condition, critic.judges]
        channels = [layouts[name].channels for name in names]
        if expected is None or any(c is None for c in channels):
            continue
        received = sum(c for c in channels if c is not None)
        if received != expected:
            parts = " + ".join(f"{c} ({name})" for name, c in zip(names, channels, strict=True))
            raise RecipeError(
                recipe.source,
                f"train.critics[{index}]",
                f"critic {critic.name!r} judges {parts} = {received} channels, but discriminator "
                f"{critic.component!r} takes {expected}; make its in_channels match",
            )


def _show(scale: Fraction | None) -> str:
    if scale is None:
        return "?"
    return str(scale.numerator) if scale.denominator == 1 and scale < 10**6 else f"{float(scale):g}"
