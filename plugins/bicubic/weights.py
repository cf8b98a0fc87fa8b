"""MATLAB ``imresize``'s 1-D bicubic weights, as banded ``(out, in)`` matrices cut into blocks.

MATLAB resizes one dimension at a time. For output sample ``i`` (1-based) it maps to the input
coordinate ``u = i / m + 0.5 * (1 - 1 / m)`` (``m`` the scale factor, > 1 enlarges), takes the
``ceil(width) + 2`` input samples from ``floor(u - width / 2)`` on, weighs them with the cubic
kernel (Keys, a = -0.5) — stretched by ``1 / m`` when shrinking with antialiasing, which widens
``width`` from 4 to ``4 / m`` — normalises each row to sum 1 and mirrors indices outside the image
symmetrically (``1, 2, ..., n, n, n-1, ..., 1`` repeated). Summing the weights that land on the same
input sample gives one banded matrix per axis, so a resize is two (blocked) matrix products.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import torch

__all__ = [
    "BLOCK_SPAN",
    "KERNEL_WIDTH",
    "Block",
    "contributions",
    "cubic",
    "resize_blocks",
    "resize_matrix_np",
]

KERNEL_WIDTH = 4.0
"""Support of the Keys cubic kernel (it is zero for ``|x| >= 2``)."""


def cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with ``a = -0.5`` (MATLAB's ``cubic``), elementwise, float64."""
    ax = np.abs(x)
    ax2 = ax * ax
    ax3 = ax2 * ax
    inner = (1.5 * ax3 - 2.5 * ax2 + 1.0) * (ax <= 1)
    outer = (-0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0) * ((ax > 1) & (ax <= 2))
    return inner + outer


def contributions(
    in_length: int, out_length: int, factor: float, antialias: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """MATLAB's per-output-sample weights and (0-based, mirrored) input indices.

    Args:
        in_length: input samples along the axis.
        out_length: output samples along the axis.
        factor: MATLAB's scale factor ``m`` (``m < 1`` shrinks).
        antialias: widen the kernel by ``1 / m`` when shrinking (MATLAB's default).

    Returns:
        ``(weights, indices)``, both ``(out_length, P)``; each weight row sums to 1.
    """
    width = KERNEL_WIDTH
    if factor < 1 and antialias:
        width = KERNEL_WIDTH / factor

        def kernel(x: np.ndarray) -> np.ndarray:
            return factor * cubic(factor * x)

    else:
        kernel = cubic
    x = np.arange(1, out_length + 1, dtype=np.float64)[:, None]
    u = x / factor + 0.5 * (1.0 - 1.0 / factor)
    left = np.floor(u - width / 2.0)
    taps = math.ceil(width) + 2
    index = left + np.arange(taps, dtype=np.float64)[None, :]
    weights = kernel(u - index)
    weights = weights / weights.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(in_length), np.arange(in_length - 1, -1, -1)])
    index = mirror[np.mod(index.astype(np.int64) - 1, mirror.size)]
    return weights, index


def resize_matrix_np(in_length: int, out_length: int, factor: float, antialias: bool = True) -> np.ndarray:
    """The dense float64 ``(out_length, in_length)`` matrix of one MATLAB 1-D bicubic pass."""
    weights, index = contributions(in_length, out_length, factor, antialias)
    matrix = np.zeros((out_length, in_length), dtype=np.float64)
    rows = np.broadcast_to(np.arange(out_length)[:, None], index.shape)
    np.add.at(matrix, (rows, index), weights)
    return matrix


BLOCK_SPAN = 64
"""Aim of the number of input samples one block of output samples reads (see `resize_blocks`)."""


class Block(NamedTuple):
    """Output samples ``[start, stop)`` of one pass read input samples ``[lo, hi)`` with ``matrix``."""

    start: int
    stop: int
    lo: int
    hi: int
    matrix: torch.Tensor  # (stop - start, hi - lo)


@lru_cache(maxsize=128)
def resize_blocks(
    in_length: int, out_length: int, factor: float, antialias: bool, device: torch.device, dtype: torch.dtype
) -> tuple[Block, ...]:
    """The matrix of [`resize_matrix_np`][], cut into row blocks that each keep only their band.

    Memory is ``O(out * taps)``: each block's band is built from `contributions` directly.

    The matrix is banded (each output reads ``ceil(4 / factor) + 2`` neighbours at most), so the
    outputs are grouped into blocks reading about `BLOCK_SPAN` inputs each; a pass is then one
    small matrix product per block instead of one product with the mostly-zero dense matrix. Built in
    float64, cast to ``dtype`` on ``device``, and cached by all arguments (do not modify the result).
    """
    # built block by block from the per-sample taps: never the dense (out, in) matrix, whose float64
    # size grows with out * in (4.3 GB for a 12000-pixel side)
    weights, index = contributions(in_length, out_length, factor, antialias)
    per_block = max(1, round(BLOCK_SPAN * out_length / in_length))
    blocks = []
    for start in range(0, out_length, per_block):
        stop = min(start + per_block, out_length)
        block_index, block_weights = index[start:stop], weights[start:stop]
        first, last = int(block_index.min()), int(block_index.max())
        band = np.zeros((stop - start, last - first + 1), dtype=np.float64)
        rows = np.broadcast_to(np.arange(stop - start)[:, None], block_index.shape)
        np.add.at(band, (rows, block_index - first), block_weights)  # same sums as the dense matrix
        used = np.flatnonzero(np.any(band != 0, axis=0))
        lo, hi = (int(used[0]), int(used[-1]) + 1) if used.size else (0, 1)
        matrix = torch.from_numpy(np.ascontiguousarray(band[:, lo:hi]))
        blocks.append(Block(start, stop, first + lo, first + hi, matrix.to(device=device, dtype=dtype)))
    return tuple(blocks)
