"""The ``bicubic`` degradation: MATLAB ``imresize``-exactness, shapes, rounding, errors, gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from srzoo_plugins.bicubic.imresize import Imresize, imresize, output_size
from srzoo_plugins.bicubic.weights import contributions, resize_blocks, resize_matrix_np

import srzoo
from srzoo.errors import InputError


# --------------------------------------------------------------------------- an independent reference
def _reference_axis(img: np.ndarray, out_len: int, m: float, antialias: bool = True) -> np.ndarray:
    """MATLAB's ``resizeAlongDim`` for axis 0, written as its loop: gather ``P`` taps, weigh, sum."""
    in_len = img.shape[0]
    width = 4.0 / m if (m < 1 and antialias) else 4.0
    out = np.empty((out_len,) + img.shape[1:], dtype=np.float64)
    for i in range(1, out_len + 1):
        u = i / m + 0.5 * (1 - 1 / m)
        left = math.floor(u - width / 2)
        taps = [left + p for p in range(math.ceil(width) + 2)]
        w = []
        for j in taps:
            d = u - j
            if m < 1 and antialias:
                d *= m
            a = abs(d)
            k = (
                (1.5 * a**3 - 2.5 * a**2 + 1)
                if a <= 1
                else (-0.5 * a**3 + 2.5 * a**2 - 4 * a + 2)
                if a <= 2
                else 0.0
            )
            w.append(k * m if (m < 1 and antialias) else k)
        total = sum(w)
        acc = np.zeros(img.shape[1:], dtype=np.float64)
        for j, wj in zip(taps, w):
            k = (j - 1) % (2 * in_len)  # mirror: 1..n, n..1, periodically
            src = k if k < in_len else 2 * in_len - 1 - k
            acc += (wj / total) * img[src]
        out[i - 1] = acc
    return out


def _reference(img: np.ndarray, out_hw: tuple[int, int], m: float, per_pass: bool = False) -> np.ndarray:
    """``imresize(img, m, 'bicubic')`` for an ``(H, W)`` float64 image: rows first, then columns."""
    rnd = (lambda v: np.clip(np.floor(v + 0.5), 0, 255)) if per_pass else (lambda v: v)
    y = rnd(_reference_axis(img, out_hw[0], m))
    return rnd(_reference_axis(y.T, out_hw[1], m).T)


# --------------------------------------------------------------------------- exactness vs the reference
@pytest.mark.parametrize(
    ("size", "scale", "direction"),
    [
        ((12, 9), 2, "down"),
        ((12, 9), 3, "down"),
        ((17, 16), 4, "down"),
        ((16, 24), 8, "down"),
        ((10, 7), 1.5, "down"),
        ((11, 13), 2.5, "down"),
        ((5, 4), 2, "up"),
        ((5, 4), 3, "up"),
        ((4, 6), 4, "up"),
        ((6, 5), 1.5, "up"),
        ((9, 9), 0.6, "up"),  # "up" by a factor < 1 shrinks, antialiased
        ((1, 3), 4, "up"),
        ((3, 1), 2, "down"),
    ],
)
def test_matches_matlab_reference(size, scale, direction):
    torch.manual_seed(0)
    x = torch.rand(2, 3, *size, dtype=torch.float64)
    y = imresize(x, scale, direction)
    out_hw = output_size(*size, scale, direction)
    assert y.shape == (2, 3, *out_hw)
    m = 1 / scale if direction == "down" else scale
    for n in range(2):
        for c in range(3):
            ref = _reference(x[n, c].numpy(), out_hw, m)
            np.testing.assert_allclose(y[n, c].numpy(), ref, rtol=0, atol=1e-12)


def test_per_pass_rounding_matches_reference():
    torch.manual_seed(1)
    img = torch.randint(0, 256, (1, 1, 24, 20)).double()
    y = imresize(img / 255, 4, rounding="per-pass")
    ref = _reference(img[0, 0].numpy(), (6, 5), 0.25, per_pass=True)
    np.testing.assert_array_equal((y[0, 0] * 255).numpy(), ref)


def test_weights_are_matlab_contributions():
    # MATLAB's contributions(8, 4, 0.5, @cubic, 4, true): the kernel is widened to 8, so 10 taps
    weights, index = contributions(8, 4, 0.5)
    assert weights.shape == index.shape == (4, 10)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-15)
    # output 1 sits at u = 1.5; taps j = -3..6 (1-based) mirror to 4,3,2,1,1,2,3,4,5,6
    np.testing.assert_array_equal(index[0], [3, 2, 1, 0, 0, 1, 2, 3, 4, 5])
    # weights cubic(d / 2) / 2 at d = u - j = 4.5 .. -4.5; cubic(2.25) = 0, cubic(1.75) = -0.0234375,
    # cubic(1.25) = -0.0703125, cubic(0.75) = 0.2265625, cubic(0.25) = 0.8671875 (they sum to 1 already)
    half = np.array([0.0, -0.0234375, -0.0703125, 0.2265625, 0.8671875])
    np.testing.assert_allclose(weights[0], np.concatenate([half, half[::-1]]) / 2, atol=1e-15)


def test_identity_at_scale_one():
    x = torch.rand(1, 2, 7, 5, dtype=torch.float64)
    torch.testing.assert_close(imresize(x, 1), x, rtol=0, atol=1e-15)
    torch.testing.assert_close(imresize(x, 1, "up"), x, rtol=0, atol=1e-15)


def test_constant_image_stays_constant():
    x = torch.full((1, 3, 13, 11), 0.3, dtype=torch.float64)
    for scale, direction in ((4, "down"), (3, "up"), (2.5, "down")):
        torch.testing.assert_close(
            imresize(x, scale, direction), torch.full_like(imresize(x, scale, direction), 0.3)
        )


# --------------------------------------------------------------------------- shapes, dtypes, registry
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_dtype_and_shape(dtype):
    x = torch.rand(2, 3, 33, 20).to(dtype)
    y = imresize(x, 4)
    assert y.dtype == dtype and y.shape == (2, 3, 9, 5)
    assert imresize(x, 4, "up", rounding="final").dtype == dtype


def test_output_size_convention():
    assert output_size(33, 20, 4, "down") == (9, 5)
    assert output_size(5, 7, 1.5, "up") == (8, 11)  # MATLAB: ceil(scale * size)
    assert imresize(torch.rand(1, 1, 5, 7), 1.5, "up").shape[-2:] == (8, 11)


def test_registered_factory_downsamples_and_module_repr():
    down = srzoo.create("degradation", "bicubic", scale=4)
    assert isinstance(down, Imresize)
    x = torch.rand(2, 3, 64, 48)
    torch.testing.assert_close(down(x), imresize(x, 4))
    assert down(x).shape == (2, 3, 16, 12)
    up = srzoo.create("degradation", "bicubic", scale=2, direction="up", rounding="final")
    assert up(x).shape == (2, 3, 128, 96)
    assert "rounding='final'" in repr(up)
    entry = srzoo.describe("degradation", "bicubic")
    assert entry.plugin.endswith("bicubic") and "MATLAB" in entry.metadata.description


def test_rounding_modes_give_8bit_values():
    torch.manual_seed(2)
    x = torch.rand(1, 3, 16, 16)
    for mode in ("per-pass", "final"):
        y = imresize(x, 2, rounding=mode)
        assert torch.equal(y * 255, (y * 255).round())
        assert y.min() >= 0 and y.max() <= 1
    # overshoot is kept without rounding, saturated with it
    edge = torch.zeros(1, 1, 8, 8)
    edge[..., 4:] = 1.0
    assert imresize(edge, 2, "up").max() > 1.0
    assert imresize(edge, 2, "up", rounding="final").max() == 1.0


def test_matrix_cache_reuses_tensors():
    resize_blocks.cache_clear()
    x = torch.rand(1, 1, 20, 20)
    imresize(x, 4)
    imresize(x, 4)
    info = resize_blocks.cache_info()
    assert info.misses == 1 and info.hits == 3  # square input: rows and columns share one matrix


@pytest.mark.parametrize(
    ("n_in", "n_out", "factor"), [(256, 64, 0.25), (300, 38, 0.125), (50, 200, 4.0), (7, 3, 0.4)]
)
def test_blocks_cover_the_dense_matrix(n_in, n_out, factor):
    dense = resize_matrix_np(n_in, n_out, factor)
    rebuilt = np.zeros_like(dense)
    blocks = resize_blocks(n_in, n_out, factor, True, torch.device("cpu"), torch.float64)
    assert blocks[0].start == 0 and blocks[-1].stop == n_out
    for block in blocks:
        rebuilt[block.start : block.stop, block.lo : block.hi] = block.matrix.numpy()
    np.testing.assert_array_equal(rebuilt, dense)
    if n_in >= 256:
        assert len(blocks) > 1 and max(b.hi - b.lo for b in blocks) < 100


# --------------------------------------------------------------------------- gradients
def test_gradcheck_float64():
    x = torch.rand(1, 2, 7, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: imresize(t, 2), (x,))
    assert torch.autograd.gradcheck(lambda t: imresize(t, 1.5, "up"), (x,))


def test_gradient_flows_through_module():
    x = torch.rand(1, 3, 16, 16, requires_grad=True)
    Imresize(4)(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    # the weights of each output row sum to 1, so d(sum)/dx sums to the number of outputs
    torch.testing.assert_close(x.grad.sum(), torch.tensor(3 * 4 * 4.0))


# --------------------------------------------------------------------------- input checks
@pytest.mark.parametrize(
    ("x", "message"),
    [
        (torch.rand(3, 8, 8), r"^x must have shape \(N, C, H, W\), got \(3, 8, 8\)$"),
        (
            torch.zeros(1, 3, 8, 8, dtype=torch.uint8),
            r"^x must be a float tensor, got dtype torch.uint8; divide uint8",
        ),
        (torch.rand(0, 3, 8, 8), r"^x must be non-empty, got shape \(0, 3, 8, 8\)$"),
        (torch.rand(1, 3, 0, 8), r"^x must be non-empty, got shape \(1, 3, 0, 8\)$"),
        (np.zeros((1, 3, 8, 8)), r"^x must be a torch.Tensor of shape \(N, C, H, W\), got ndarray$"),
    ],
)
def test_bad_input(x, message):
    with pytest.raises(InputError, match=message):
        imresize(x, 2)


def test_tiny_inputs_keep_at_least_one_pixel():
    # MATLAB's output size ceil(size * m) is never 0 for a non-empty input
    assert imresize(torch.rand(1, 1, 1, 1), 4).shape[-2:] == (1, 1)
    assert imresize(torch.rand(1, 1, 1, 3), 0.4, "up").shape[-2:] == (1, 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 0}, r"^scale must be a positive number, got 0$"),
        ({"scale": -2}, r"^scale must be a positive number, got -2$"),
        ({"scale": True}, r"^scale must be a positive number, got True$"),
        ({"scale": float("inf")}, r"^scale must be a positive number, got inf$"),
        ({"scale": 2, "direction": "sideways"}, r"^direction must be 'down' or 'up', got 'sideways'$"),
        ({"scale": 2, "rounding": "floor"}, r"^rounding must be 'none', 'per-pass' or 'final', got 'floor'$"),
    ],
)
def test_bad_options(kwargs, message):
    with pytest.raises(InputError, match=message):
        Imresize(**kwargs)
    with pytest.raises(InputError, match=message):
        imresize(torch.rand(1, 1, 8, 8), **kwargs)


@pytest.mark.parametrize("scale", [0, -2, float("nan"), float("inf"), True, False, "2"])
def test_bad_scales_through_the_registered_factory(scale):
    with pytest.raises(InputError) as info:
        srzoo.create("degradation", "bicubic", scale=scale)
    assert str(info.value) == f"scale must be a positive number, got {scale!r}"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"scale": 1e-9},
            (
                "scale 1e-09 with direction='down' enlarges each side 1e+09x, so even a 1x1 image would come "
                "out over 1,000,000 pixels a side; use a scale of at least 1e-06"
            ),
        ),
        (
            {"scale": 2e6, "direction": "up"},
            (
                "scale 2e+06 with direction='up' enlarges each side 2e+06x, so even a 1x1 image would come "
                "out over 1,000,000 pixels a side; use a scale of at most 1e+06"
            ),
        ),
        (
            {"scale": 1e9},
            (
                "scale 1e+09 with direction='down' shrinks each side 1e+09x, so its antialiasing kernel would "
                "span 4,000,000,000 input pixels (limit 1,000,000); use a scale of at most 250000, "
                "or antialias=False"
            ),
        ),
    ],
)
def test_absurd_scales_are_refused_before_allocating(kwargs, message):
    with pytest.raises(InputError) as info:
        srzoo.create("degradation", "bicubic", **kwargs)
    assert str(info.value) == message


def test_output_over_the_size_limit_is_refused_before_allocating():
    down = srzoo.create("degradation", "bicubic", scale=1e-5)
    with pytest.raises(InputError) as info:
        down(torch.rand(1, 3, 8, 8))
    assert str(info.value) == (
        "scale 1e-05 with direction='down': a 1x3x8x8 input would come out 1x3x800000x800000, over the "
        "limit of 1,000,000 pixels a side and 2**31 values; resize a smaller batch or image, "
        "or use a smaller enlargement"
    )
    # no side over the limit, but too many values in all
    with pytest.raises(InputError, match=r"a 50x3x8x8 input would come out 50x3x4000x4000, over"):
        imresize(torch.rand(50, 3, 8, 8), 500, "up")


# --------------------------------------------------------------------------- GPU
@pytest.mark.gpu
@pytest.mark.parametrize("rounding", ["none", "per-pass", "final"])
def test_cuda_matches_cpu(rounding):
    torch.manual_seed(3)
    x = torch.rand(4, 3, 67, 50, dtype=torch.float64)
    for scale, direction in ((4, "down"), (8, "down"), (3, "up"), (1.5, "down")):
        cpu = imresize(x, scale, direction, rounding)
        gpu = imresize(x.cuda(), scale, direction, rounding)
        assert gpu.device.type == "cuda"
        torch.testing.assert_close(gpu.cpu(), cpu, rtol=0, atol=1e-12)
    x32 = x.float().cuda().requires_grad_(True)
    imresize(x32, 4).sum().backward()
    assert x32.grad is not None and x32.grad.device.type == "cuda"


@pytest.mark.parametrize(("size", "scale", "expected"), [(3, 1.5, 5), (1, 2.5, 3), (7, 1.5, 11), (5, 4, 20)])
def test_up_size_is_matlab_ceil(size, scale, expected):
    up = srzoo.create("degradation", "bicubic", scale=scale, direction="up")
    assert up(torch.rand(1, 3, size, size)).shape[-2:] == (expected, expected)
    torch_up = srzoo.create("degradation", "torch-bicubic", scale=scale, direction="up")
    assert torch_up(torch.rand(1, 3, size, size)).shape[-2:] == (expected, expected)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_reduced_precision_inputs_resize_in_float32(dtype):
    x = torch.rand(1, 3, 16, 16).to(dtype)
    up = srzoo.create("degradation", "bicubic", scale=4, direction="up")
    y = up(x)
    assert y.dtype == dtype
    # only the final cast to the narrow dtype is lossy: at most one bfloat16 step near 1.0 (1/128)
    assert (y.float() - up(x.float())).abs().max() <= (2**-8 if dtype == torch.bfloat16 else 2**-11)
