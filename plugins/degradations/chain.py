"""``chain``: compose registered degradations into one seeded, batched LR synthesiser.

``srzoo.create("degradation", "chain", steps=[{"name": "blur", ...}, {"name": "resize", "scale": 4},
...])`` builds each step with ``srzoo.create("degradation", name, **args)`` and applies them in order,
passing the call's generator to every step that takes one. See
[`Chain`][srzoo_plugins.degradations.chain.Chain] for how sizes and ``scale`` work.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

import srzoo
from srzoo.checks import accepts_keyword
from srzoo.color import quantize_8bit
from srzoo.errors import InputError, SrzooError

from . import _params
from .resize import RandomResize


def _step_factor(args: Mapping[str, Any]) -> float:
    scale = args.get("scale", 1)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
        return 1.0  # the step's own factory reports the bad value
    return 1.0 / float(scale) if args.get("direction", "down") == "up" else float(scale)


class Chain(nn.Module):
    """Apply degradation steps in order; the output is exactly ``(N, C, ceil(H / scale), ceil(W / scale))``.

    Sizes: each step's ``scale`` argument is its shrink factor; the chain's ``scale`` is their product
    (or, when given and no step has one, the last plain ``resize`` step takes it). A ``resize`` step
    resizes to ``ceil(H / (product of the scales up to it))`` of the chain's *input* ``H``, times its
    random ratio, so a plain ``resize`` after random ones brings the batch back onto the grid (as
    Real-ESRGAN's "resize back"). The last step that changes the size must be exact (a ``resize``
    without ``range``, or a resizer such as ``bicubic``), so the output size always holds.

    Randomness: every step that takes a ``generator`` gets the call's; each image draws its own
    parameters (sizes are shared by a batch, being one tensor). The same seed gives the same output
    bit for bit on the same device.

    Args:
        steps: a list of tables ``{"name": registered degradation, **its arguments}``.
        scale: the total shrink factor (> 0), default the product of the steps' scales.
        clip: clamp the output to ``[0, 1]``.
        quantize: round the output to 8 bits as Real-ESRGAN does
            ([`quantize_8bit`][srzoo.color.quantize_8bit] with ``ties="even"``).

    Shape:
        ``(N, C, H, W) -> (N, C, ceil(H / scale), ceil(W / scale))``, float; in ``[0, 1]`` when ``clip``.

    Examples:
        >>> chain = srzoo.create("degradation", "chain", scale=4, steps=[
        ...     {"name": "blur", "sigma": [0.2, 3]},
        ...     {"name": "resize", "modes": ["area", "bicubic"]},
        ...     {"name": "noise", "sigma": [1, 30]},
        ...     {"name": "jpeg", "quality": [30, 95]},
        ... ])
        >>> lr = chain(torch.rand(4, 3, 64, 66), generator=torch.Generator().manual_seed(0))
        >>> lr.shape
        torch.Size([4, 3, 16, 17])
    """

    def __init__(
        self,
        steps: Sequence[Mapping[str, Any]],
        scale: float | None = None,
        clip: bool = True,
        quantize: bool = False,
    ) -> None:
        super().__init__()
        if isinstance(steps, (str, Mapping)) or not isinstance(steps, Sequence) or not steps:
            raise InputError(f"steps must be a non-empty list of tables with a 'name', got {steps!r}")
        built: list[Callable[..., torch.Tensor]] = []
        factors: list[float] = []
        for i, step in enumerate(steps):
            if not isinstance(step, Mapping) or not isinstance(step.get("name"), str):
                raise InputError(
                    f"chain step {i} must be a table with a 'name' (a degradation), got {step!r}"
                )
            args = {k: v for k, v in step.items() if k != "name"}
            if step["name"] == "chain":
                raise InputError(f"chain step {i}: a chain cannot contain a chain; list its steps instead")
            try:
                built.append(srzoo.create("degradation", step["name"], **args))
            except SrzooError as error:
                error.args = (f"chain step {i} ({step['name']!r}): {error}", *error.args[1:])
                raise
            factors.append(_step_factor(args))
        total = math.prod(factors)
        if scale is not None:
            if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
                raise InputError(f"scale must be a positive number, got {scale!r}")
            if not math.isclose(total, scale, rel_tol=1e-9):
                implicit = [
                    i
                    for i, (s, a) in enumerate(zip(built, steps, strict=True))
                    if isinstance(s, RandomResize) and s.exact and "scale" not in a
                ]
                if total != 1 or not implicit:
                    raise InputError(
                        f"chain steps shrink by {total:g} in total (the product of their 'scale' arguments) "
                        f'but scale={scale:g} was asked; add a {{name = "resize"}} step (it takes the '
                        f"chain's scale) or give the steps scales whose product is {scale:g}"
                    )
                factors[implicit[-1]] = float(scale)
                total = float(scale)
        resizing = [
            i
            for i, (s, f) in enumerate(zip(built, factors, strict=True))
            if f != 1 or isinstance(s, RandomResize)
        ]
        if resizing and isinstance(built[resizing[-1]], RandomResize) and not built[resizing[-1]].exact:
            raise InputError(
                "the last resize step of a chain must have no 'range', so that the output is exactly "
                'ceil(H / scale); add {name = "resize"} after it'
            )
        self.scale = float(total)
        self.factors = tuple(factors)
        self.clip = bool(clip)
        self.quantize = bool(quantize)
        self.names = tuple(step["name"] for step in steps)
        modules = all(isinstance(s, nn.Module) for s in built)
        self.steps: Sequence[Callable[..., torch.Tensor]] = nn.ModuleList(built) if modules else built  # type: ignore[arg-type]
        self._random = tuple(accepts_keyword(s, "generator") for s in built)

    def output_size(self, h: int, w: int) -> tuple[int, int]:
        """``(ceil(h / scale), ceil(w / scale))``."""
        return math.ceil(h / self.scale), math.ceil(w / self.scale)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        x = _params.check_batch(x, "x")
        generator = _params.check_generator(generator)
        h, w = x.shape[-2:]
        done = 1.0
        for step, factor, random in zip(self.steps, self.factors, self._random, strict=True):
            done *= factor
            kwargs: dict[str, Any] = {"generator": generator} if random else {}
            if isinstance(step, RandomResize):
                kwargs["size"] = (math.ceil(h / done), math.ceil(w / done))
            x = step(x, **kwargs)
        expected = self.output_size(h, w)
        if tuple(x.shape[-2:]) != expected:
            raise SrzooError(
                f"chain {list(self.names)} made {tuple(x.shape[-2:])} from {(h, w)}, not {expected}; "
                'end it with a {name = "resize"} step'
            )
        if self.clip:
            x = x.clamp(0.0, 1.0)
        return quantize_8bit(x, ties="even") if self.quantize else x

    def extra_repr(self) -> str:
        return f"scale={self.scale:g}, clip={self.clip}, quantize={self.quantize}"
