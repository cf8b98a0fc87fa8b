"""``SRModel``: a recipe's graph of components as one ``nn.Module`` with a ``[0, 1]`` RGB edge."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import torch
from torch import nn

from ..checks import check_image_batch, check_unit_range
from ..errors import InputError, RecipeError
from ..recipe.core import Recipe
from ..recipe.schema import INPUT_NAME
from .graph import GraphLayout, analyse
from .imageops import from_range, pad_to_multiple, to_range
from .tiling import exact_bands

__all__ = ["SRModel"]


class _CallableStage(nn.Module):
    """Wraps a plain callable (e.g. a resizer function) so that every stage is a module."""

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)


class SRModel(nn.Module):
    """A super-resolution model built from a [`Recipe`][].

    Build one with [`srzoo.build`][]. Calling it maps ``(N, 3, h, w)`` float RGB in ``[0, 1]`` to
    ``(N, 3, s*h, s*w)`` float RGB in ``[0, 1]`` for any ``h, w >= 1``: the input is padded to
    `input_multiple` and the output cropped back.

    Attributes:
        recipe: the parsed recipe.
        scale: the upscaling factor ``s``.
        stages: the recipe's components by node name (``nn.ModuleDict``).
        layout: the graph's geometry derived from the components' metadata.

    Examples:
        >>> model = srzoo.build("bicubic-x4")
        >>> model(torch.rand(1, 3, 10, 7)).shape
        torch.Size([1, 3, 40, 28])
    """

    def __init__(
        self,
        recipe: Recipe,
        stages: Mapping[str, nn.Module | Callable[..., torch.Tensor]],
        *,
        layout: GraphLayout | None = None,
    ) -> None:
        super().__init__()
        for index, node in enumerate(recipe.nodes):
            if hasattr(nn.ModuleDict, node.name):
                raise RecipeError(
                    recipe.source,
                    f"nodes[{index}].name",
                    f"{node.name!r} is an nn.Module attribute; rename the node",
                )
        self.recipe = recipe
        self.scale = recipe.scale
        self.layout = layout if layout is not None else analyse(recipe)
        self.stages = nn.ModuleDict(
            {
                node.name: stage if isinstance(stage, nn.Module) else _CallableStage(stage)
                for node in recipe.nodes
                for stage in (stages[node.name],)
            }
        )

    @property
    def input_multiple(self) -> int:
        """The LR input's height and width are padded to a multiple of this: the recipe's stated
        ``input_multiple``, else the one derived from its components' metadata (e.g. 32 for
        Stage-GAN ×8, whose U-Nets need MR multiples of ``2**8``)."""
        stated = self.recipe.input_multiple
        return stated if stated is not None else self.layout.input_multiple

    @property
    def receptive_field(self) -> int | None:
        """How far an output pixel reaches back, in LR pixels; ``None``: unbounded (e.g. U-Nets).

        The output pixel ``(Y, X)`` depends only on the (padded) LR pixels within this distance, per
        axis, of the LR pixel ``(Y // s, X // s)`` it lies over; a tile whose overlap is at least this
        gives exactly the whole-image result away from its own border. Derived through the graph
        from the components' ``receptive_field`` metadata.

        Examples:
            >>> srzoo.build("bicubic-x4").receptive_field
            2
        """
        return self.layout.receptive_field

    def run_graph(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Run every node on an already padded input in the internal value range.

        Args:
            x: ``(N, 3, h, w)`` in ``recipe.value_range``, ``h, w`` multiples of ``input_multiple``.

        Returns:
            Every node's output by name (plus ``"lr"``), in the internal value range, uncropped.
            Training loops use this to reach intermediate outputs for per-stage losses.
        """
        outputs: dict[str, torch.Tensor] = {INPUT_NAME: x}
        for node in self.recipe.nodes:
            inputs = [outputs[name] for name in node.inputs]
            stage_input = inputs[0] if len(inputs) == 1 else torch.cat(inputs, dim=1)
            outputs[node.name] = self.stages[node.name](stage_input)
        return outputs

    def forward(
        self,
        lr: torch.Tensor,
        *,
        return_intermediates: bool = False,
        tile: int | None = None,
        tile_overlap: int | None = None,
    ) -> torch.Tensor | dict[str, torch.Tensor]:
        """Upscale ``lr``.

        Args:
            lr: ``(N, 3, h, w)`` float RGB in ``[0, 1]``, any float dtype (the networks run in their
                weights' dtype; the result comes back in ``lr``'s).
            return_intermediates: return every node's output (e.g. MR, semantic map, stage outputs)
                as a dict of ``[0, 1]`` images cropped to the input's extent, with ``"sr"`` for the
                final output; incompatible with ``tile``.
            tile: process the input in ``tile x tile`` LR tiles to bound memory on large inputs;
                ``None`` processes the whole image at once. For models with a finite receptive
                field ``r`` (see ``srzoo.tiling``) each tile carries ``r`` LR pixels
                of context on every side that are cropped away, so the result equals the untiled
                one up to float rounding; ``tile`` must then be at least ``2 r + 1``. Models with an
                unbounded receptive field (U-Nets) use cross-faded overlapping tiles instead (seams
                hidden, not exact).
            tile_overlap: the context (exact tiling; at least ``r``, default ``r``) or the
                cross-fade overlap (U-Nets; default 8) in LR pixels.

        Returns:
            ``(N, 3, s*h, s*w)`` float RGB in ``[0, 1]``, or the dict described above.
        """
        check_unit_range(check_image_batch(lr, "lr"), "lr")
        # run in the weights' dtype (a float16 input to a float32 model, or the reverse), answer in lr's
        weight = next(self.parameters(), None)
        x = lr if weight is None else lr.to(weight.dtype)
        if tile is not None:
            if return_intermediates:
                raise InputError("return_intermediates cannot be combined with tile; upscale without tiling")
            radius = self._tile_context(tile_overlap)
            if radius is None:
                overlap = 8 if tile_overlap is None else tile_overlap
                return self._forward_tiled(x, tile, overlap).to(lr.dtype)
            out = None
            for top, band in self._exact_bands(x, tile, radius):
                if out is None:
                    n, c, _, w = band.shape
                    out = band.new_empty(n, c, x.shape[-2] * self.scale, w)
                out[..., top : top + band.shape[-2], :] = band
            assert out is not None
            return out.to(lr.dtype)
        outputs = self._forward_whole(x)
        if return_intermediates:
            return {name: value.to(lr.dtype) for name, value in outputs.items()}
        return outputs["sr"].to(lr.dtype)

    def upscale_bands(
        self, lr: torch.Tensor, tile: int, *, tile_overlap: int | None = None
    ) -> Iterator[tuple[int, torch.Tensor]]:
        """Upscale ``lr`` in exact tiles, yielding the output one horizontal band at a time.

        Memory is bounded by one band of tiles rather than the whole output, so callers can stream
        the result to disk (``srzoo upscale`` does). Bands come top to bottom.

        Args:
            lr: ``(N, 3, h, w)`` float RGB in ``[0, 1]``.
            tile: LR tile side including the context (see ``forward``'s ``tile``).
            tile_overlap: as ``forward``'s.

        Yields:
            ``(top, band)``: the band's first output row and ``(N, 3, rows, s*w)`` RGB in ``[0, 1]``.
            A model with an unbounded receptive field yields the cross-faded tiled image as one band.

        Raises:
            InputError: a tile smaller than ``2 r + 1`` for a receptive field ``r``.
        """
        check_image_batch(lr, "lr")
        weight = next(self.parameters(), None)
        x = lr if weight is None else lr.to(weight.dtype)
        radius = self._tile_context(tile_overlap)
        if radius is None:
            yield 0, self._forward_tiled(x, tile, 8 if tile_overlap is None else tile_overlap).to(lr.dtype)
            return
        for top, band in self._exact_bands(x, tile, radius):
            yield top, band.to(lr.dtype)

    def _tile_context(self, tile_overlap: int | None) -> int | None:
        radius = None if self.receptive_field is None else int(self.receptive_field)
        if radius is None or tile_overlap is None:
            return radius
        if isinstance(tile_overlap, bool) or not isinstance(tile_overlap, int) or tile_overlap < radius:
            raise InputError(
                f"tile_overlap={tile_overlap!r} is below the receptive field of {self.recipe.name} ({radius} LR "
                "pixels): tiles would differ from the whole image; omit it to use the receptive field"
            )
        return tile_overlap

    def _exact_bands(self, x: torch.Tensor, tile: int, radius: int) -> Iterator[tuple[int, torch.Tensor]]:
        return exact_bands(
            lambda piece: self._forward_whole(piece)["sr"], x, self.scale, tile, radius, self.recipe.name
        )

    def _forward_whole(self, lr: torch.Tensor) -> dict[str, torch.Tensor]:
        low, high = self.recipe.value_range
        padded, (h, w) = pad_to_multiple(lr, self.input_multiple, self.recipe.pad_mode)
        raw = self.run_graph(to_range(padded, low, high))
        ph, pw = padded.shape[-2:]
        s = self.scale
        produced = tuple(raw[self.recipe.output].shape[-2:])
        if produced != (s * ph, s * pw):
            raise RecipeError(
                self.recipe.source,
                "scale",
                f"recipe {self.recipe.name!r} says scale = {s}, but its output node {self.recipe.output!r} "
                f"made {produced[0]}x{produced[1]} from a {ph}x{pw} input (expected {s * ph}x{s * pw})",
            )
        result: dict[str, torch.Tensor] = {}
        for name, value in raw.items():
            if name == INPUT_NAME:
                continue
            # crop each output to the input's extent at its own resolution: ceil(h * out_h / ph)
            vh, vw = value.shape[-2:]
            cropped = value[..., : -(-h * vh // ph), : -(-w * vw // pw)]
            result[name] = from_range(cropped, low, high).clamp(0.0, 1.0)
        result["sr"] = result[self.recipe.output]
        return result

    def _forward_tiled(self, lr: torch.Tensor, tile: int, overlap: int) -> torch.Tensor:
        if tile < 1 or overlap < 0:
            raise InputError(
                f"tile must be >= 1 and tile_overlap >= 0, got tile={tile}, tile_overlap={overlap}"
            )
        multiple = self.input_multiple
        tile = -(-tile // multiple) * multiple
        overlap = min(overlap, tile // 2)
        n, c, h, w = lr.shape
        s = self.scale
        out = lr.new_zeros(n, c, h * s, w * s)
        weight = lr.new_zeros(1, 1, h * s, w * s)
        step = max(tile - overlap, 1)
        for top in _tile_starts(h, tile, step):
            for left in _tile_starts(w, tile, step):
                piece = lr[..., top : top + tile, left : left + tile]
                sr = self._forward_whole(piece)["sr"]
                ramp = _blend_window(
                    sr.shape[-2],
                    sr.shape[-1],
                    overlap * s,
                    top > 0,
                    left > 0,
                    top + tile < h,
                    left + tile < w,
                    lr,
                )
                out[..., top * s : top * s + sr.shape[-2], left * s : left * s + sr.shape[-1]] += sr * ramp
                weight[..., top * s : top * s + sr.shape[-2], left * s : left * s + sr.shape[-1]] += ramp
        return out / weight


def _tile_starts(size: int, tile: int, step: int) -> list[int]:
    if size <= tile:
        return [0]
    starts = list(range(0, size - tile, step))
    starts.append(size - tile)
    return starts


def _blend_window(
    h: int, w: int, ramp: int, top: bool, left: bool, bottom: bool, right: bool, like: torch.Tensor
) -> torch.Tensor:
    """A ``(1, 1, h, w)`` blending weight for one tile.

    On each side shared with a neighbour, the weight is ~0 over the outer quarter of the ``ramp``
    (where the tile saw its artificial border), rises linearly over the middle half, and is 1 beyond,
    so that the two tiles' weights cross over inside the overlap.
    """

    def profile(size: int, start: bool, end: bool) -> torch.Tensor:
        p = torch.ones(size, dtype=like.dtype, device=like.device)
        r = min(ramp, size)
        if r > 0:
            d = torch.arange(r, dtype=like.dtype, device=like.device) + 0.5
            rise = ((d - r / 4) / (r / 2)).clamp(1e-3, 1.0)
            if start:
                p[:r] = torch.minimum(p[:r], rise)
            if end:
                p[-r:] = torch.minimum(p[-r:], rise.flip(0))
        return p

    return (profile(h, top, bottom)[:, None] * profile(w, left, right)[None, :])[None, None]
