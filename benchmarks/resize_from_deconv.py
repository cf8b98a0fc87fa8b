"""Start a resize-convolution Stage-GAN from trained transposed-convolution weights.

Nearest ×2 then a 3×3 convolution is itself a stride-2 transposed convolution, one whose 4×4
kernel is the 3×3 kernel convolved with a 2×2 box: a 9-dimensional subspace of the 16 taps whose
kernels paint no checkerboard (every output pixel sums the same taps). So a model trained with
``upsample="deconv"`` converts to ``upsample="resize"`` by projecting each transposed kernel onto
that subspace (least squares on the footprint one input pixel paints); every other weight and
buffer is copied. What
the projection drops is the part of the kernel that paints the grid; a short fine-tune (``srzoo
train --init-from``) then repairs the rest, far sooner than training from scratch.

    python benchmarks/resize_from_deconv.py stagegan-x8-small --weights deconv.safetensors -o init.safetensors
    srzoo train stagegan-x8-small --init-from init.safetensors ...

The deconv model is the recipe with ``upsample="deconv"`` on every node that takes the argument
(the Stage-GAN files srzoo shipped before its resize ones are such weights; git history keeps
them); the output is for the recipe with ``upsample="resize"`` there. The script prints, per converted layer, the share
of the footprints' energy the projection removed.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import torch
from torch import nn

import srzoo
from srzoo.weights import load_weights, save_weights

FOOTPRINT_INPUT = 5  # side of the one-pixel probe image; any side >= 3 keeps the footprint whole


def _footprint_basis(side: int) -> torch.Tensor:
    """The footprints of the nine 3×3 basis kernels of a 1→1 resize-convolution.

    Returns:
        ``(4·side², 9)``: column ``j`` is the output of nearest ×2 then a 3×3 convolution with
        kernel ``e_j`` on a ``side × side`` image that is 1 at its centre and 0 elsewhere.
    """
    probe = torch.zeros(9, 1, side, side, dtype=torch.float64)
    probe[:, 0, side // 2, side // 2] = 1
    basis = torch.eye(9, dtype=torch.float64).reshape(9, 1, 3, 3)
    upsampled = nn.functional.interpolate(probe, scale_factor=2, mode="nearest")
    outputs = torch.stack(
        [nn.functional.conv2d(upsampled[j : j + 1], basis[j : j + 1], padding=1) for j in range(9)]
    )
    return outputs.reshape(9, -1).T


def project_transposed(deconv: nn.ConvTranspose2d) -> tuple[torch.Tensor, float]:
    """The 3×3 resize-convolution kernel closest to a stride-2 transposed convolution.

    Args:
        deconv: a ``ConvTranspose2d`` with stride 2 and any kernel size, padding and output
            padding that keep the output ``2H × 2W``.

    Returns:
        ``(weight, removed)``: the ``(out, in, 3, 3)`` weight of the ``Conv2d`` that follows
        nearest ×2, minimising the squared difference of the two layers' one-pixel footprints
        (exact when the transposed kernel is in the resize subspace), and the share of the
        footprints' energy that the projection drops (0 = no grid component).
    """
    side = FOOTPRINT_INPUT
    weight = deconv.weight.detach().to(torch.float64)  # (in, out, k, k)
    in_channels, out_channels = weight.shape[:2]
    probe = torch.zeros(in_channels, in_channels, side, side, dtype=torch.float64)
    probe[torch.arange(in_channels), torch.arange(in_channels), side // 2, side // 2] = 1
    footprints = nn.functional.conv_transpose2d(
        probe, weight, stride=2, padding=deconv.padding, output_padding=deconv.output_padding
    )  # (in, out, 2·side, 2·side): what input channel c paints on output channel o
    targets = footprints.reshape(in_channels * out_channels, -1).T
    basis = _footprint_basis(side)
    kernels = torch.linalg.lstsq(basis, targets).solution  # (9, in·out)
    removed = float((basis @ kernels - targets).square().sum() / targets.square().sum().clamp_min(1e-30))
    conv_weight = kernels.T.reshape(in_channels, out_channels, 3, 3).transpose(0, 1)
    return conv_weight.to(deconv.weight.dtype).contiguous(), removed


def _leaves(model: nn.Module) -> Iterator[tuple[str, nn.Module]]:
    """Modules that own parameters or buffers, in order (the resize model's ``Upsample`` owns none)."""
    for name, module in model.named_modules():
        if next(module.children(), None) is None and (
            next(module.parameters(recurse=False), None) is not None
            or next(module.buffers(recurse=False), None) is not None
        ):
            yield name, module


def convert(deconv_model: nn.Module, resize_model: nn.Module) -> dict[str, float]:
    """Copy ``deconv_model`` into ``resize_model`` in place, projecting its transposed convolutions.

    Both models are the same recipe built with ``upsample="deconv"`` and ``"resize"``: their leaves
    match one to one, a ``ConvTranspose2d`` facing a ``Conv2d``.

    Returns:
        ``{resize layer name: share of energy removed}`` for each projected layer.
    """
    sources, targets = list(_leaves(deconv_model)), list(_leaves(resize_model))
    if len(sources) != len(targets):
        raise ValueError(f"the models do not match: {len(sources)} vs {len(targets)} layers with weights")
    removed: dict[str, float] = {}
    with torch.no_grad():
        for (_, source), (name, target) in zip(sources, targets, strict=True):
            state = source.state_dict()
            if isinstance(source, nn.ConvTranspose2d):
                if not isinstance(target, nn.Conv2d) or source.stride != (2, 2):
                    raise ValueError(f"{name}: a stride-2 ConvTranspose2d must face a Conv2d")
                state["weight"], removed[name] = project_transposed(source)
            target.load_state_dict(state)
    return removed


def upsampling_nodes(recipe: str) -> list[str]:
    """The recipe's nodes whose component takes an ``upsample`` argument (Stage-GAN: sem, s2, sr)."""
    return [
        node.name
        for node in srzoo.get_recipe(recipe).nodes
        if "upsample" in inspect.signature(srzoo.describe(node.kind, node.component).load()).parameters
    ]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recipe", help="a Stage-GAN recipe (its generators take upsample=...)")
    parser.add_argument(
        "--weights", type=Path, required=True, help="the recipe's weights trained with upsample='deconv'"
    )
    parser.add_argument("--out", "-o", type=Path, required=True, help="the resize model's .safetensors")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        nodes = upsampling_nodes(args.recipe)
        if not nodes:
            raise SystemExit(f"error: recipe {args.recipe!r} has no node with an 'upsample' argument")
        deconv_model = srzoo.build(args.recipe, **{node: {"upsample": "deconv"} for node in nodes})
        load_weights(deconv_model, args.weights)
    except srzoo.SrzooError as exc:
        raise SystemExit(f"error: {exc}") from None
    resize_model = srzoo.build(args.recipe, **{node: {"upsample": "resize"} for node in nodes})
    removed = convert(deconv_model, resize_model)
    for name, share in removed.items():
        print(f"{name}: {100 * share:.2f} % of the footprint energy removed")
    save_weights(resize_model, args.out)
    print(f"wrote {args.out} ({len(removed)} layers of {', '.join(nodes)} projected)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
