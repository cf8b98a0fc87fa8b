"""Metrics ``psnr``, ``ssim``, ``gsm``: formulas vs independent references, protocol, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity
from srzoo_plugins.metrics.gsm import GSM, gsm, gsm_map
from srzoo_plugins.metrics.protocol import Protocol, one_thread
from srzoo_plugins.metrics.psnr import PSNR, psnr
from srzoo_plugins.metrics.ssim import SSIM, gaussian_window, ssim, ssim_map

import srzoo
from srzoo.errors import InputError

METRICS = ("psnr", "ssim", "gsm")


def _smooth_pair(n: int = 2, size: int = 40, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A natural-ish HR (smoothed noise) and a degraded copy, float RGB [0, 1]."""
    g = torch.Generator().manual_seed(seed)
    hr = torch.rand(n, 3, size, size, generator=g, dtype=torch.float64)
    hr = torch.nn.functional.avg_pool2d(hr, 3, stride=1, padding=1, count_include_pad=False)
    sr = (hr + 0.05 * torch.randn(hr.shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    return sr, hr


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(1, math.ceil(3 * sigma))
    k = torch.arange(-radius, radius + 1, dtype=x.dtype)
    k = torch.exp(-(k**2) / (2 * sigma**2))
    k = k / k.sum()
    c = x.shape[1]
    x = torch.nn.functional.pad(x, (radius,) * 4, mode="replicate")
    x = torch.nn.functional.conv2d(x, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)
    return torch.nn.functional.conv2d(x, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)


# --------------------------------------------------------------------------- registry and protocol
@pytest.mark.parametrize("name", METRICS)
def test_registered_and_shapes(name):
    metric = srzoo.create("metric", name, scale=4)
    sr, hr = _smooth_pair(n=3)
    out = metric(sr.float(), hr.float())
    assert out.shape == (3,) and out.dtype == torch.float64
    same = metric(hr, hr)
    if name == "psnr":
        assert torch.isinf(same).all()
    else:
        torch.testing.assert_close(same, torch.ones(3, dtype=torch.float64))
    assert (out < same).all()
    assert srzoo.describe("metric", name).metadata.paper


def test_protocol_prepare_shaves_and_rounds():
    sr, hr = _smooth_pair(n=1, size=20)
    a, b = Protocol(scale=3).prepare(sr, hr)
    assert a.shape == b.shape == (1, 1, 14, 14) and a.dtype == torch.float64
    assert torch.equal(a, a.round())
    a, _ = Protocol(scale=3, shave=0, channel="rgb", round_input=False).prepare(sr, hr)
    torch.testing.assert_close(a, sr * 255)
    assert Protocol(4).describe() == {
        "scale": 4,
        "channel": "y",
        "shave": 4,
        "round_input": True,
        "round_y": True,
    }


def test_psnr_by_hand():
    hr = torch.zeros(1, 3, 12, 12, dtype=torch.float64)
    sr = hr.clone()
    sr[..., 5, 5] = 10 / 255  # a single pixel, inside the shave of 2
    metric = PSNR(scale=2, channel="rgb")
    mse = 10.0**2 / (8 * 8)  # one of 64 pixels per channel differs by 10 levels
    torch.testing.assert_close(
        metric(sr, hr), torch.tensor([10 * math.log10(255**2 / mse)], dtype=torch.float64)
    )
    sr[..., 0, 0] = 1.0  # inside the shaved border: ignored
    torch.testing.assert_close(
        metric(sr, hr), torch.tensor([10 * math.log10(255**2 / mse)], dtype=torch.float64)
    )
    assert PSNR(scale=2, shave=0, channel="rgb")(sr, hr) < metric(sr, hr)


def test_psnr_function_and_y_options():
    sr, hr = _smooth_pair()
    ref = [10 * np.log10(255**2 / np.mean((s - h) ** 2)) for s, h in zip(sr.numpy() * 255, hr.numpy() * 255)]
    np.testing.assert_allclose(psnr(sr * 255, hr * 255).numpy(), ref, rtol=1e-12)
    rounded = PSNR(scale=2)(sr, hr)
    unrounded = PSNR(scale=2, round_y=False)(sr, hr)
    assert not torch.equal(rounded, unrounded)
    assert (rounded - unrounded).abs().max() < 0.2


# --------------------------------------------------------------------------- SSIM vs scikit-image
@pytest.mark.parametrize("seed", [0, 1])
def test_ssim_matches_skimage(seed):
    sr, hr = _smooth_pair(n=2, size=48, seed=seed)
    ours = SSIM(scale=3)(sr, hr)
    a, b = Protocol(scale=3).prepare(sr, hr)
    for i in range(2):
        x, y = a[i, 0].numpy(), b[i, 0].numpy()
        ref, full = structural_similarity(
            x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255, full=True
        )
        # skimage filters the whole image then drops 5 pixels per side: that is the 'valid' region
        assert abs(ours[i].item() - ref) < 1e-4
        np.testing.assert_allclose(
            ssim_map(a[i : i + 1], b[i : i + 1])[0, 0].numpy(), full[5:-5, 5:-5], atol=1e-10
        )


def test_ssim_rgb_is_mean_of_channels():
    sr, hr = _smooth_pair(n=1, size=32)
    a, b = Protocol(scale=2, channel="rgb").prepare(sr, hr)
    per_channel = [ssim(a[:, c : c + 1], b[:, c : c + 1]) for c in range(3)]
    torch.testing.assert_close(SSIM(scale=2, channel="rgb")(sr, hr), sum(per_channel) / 3)


def test_gaussian_window():
    g = gaussian_window()
    assert g.shape == (11,) and g.dtype == torch.float64
    torch.testing.assert_close(g.sum(), torch.tensor(1.0, dtype=torch.float64))
    assert math.isclose(g[5].item() / g[4].item(), math.exp(1 / (2 * 1.5**2)))


# --------------------------------------------------------------------------- GSM vs a plain reference
_M1 = np.array(
    [[0, 0, 0, 0, 0], [1, 3, 8, 3, 1], [0, 0, 0, 0, 0], [-1, -3, -8, -3, -1], [0, 0, 0, 0, 0]], float
)
_M2 = np.array(
    [[0, 0, 1, 0, 0], [0, 8, 3, 0, 0], [1, 3, 0, -3, -1], [0, 0, -3, -8, 0], [0, 0, -1, 0, 0]], float
)


def _gsm_reference(x: np.ndarray, y: np.ndarray, c: float = 200.0, weight: float = 0.1) -> float:
    """DESIGN §6's GSM, pixel by pixel, for 2-D float64 images in [0, 255]."""
    ops = [_M1, _M2, np.fliplr(_M2), _M1.T]

    def grad(img: np.ndarray) -> np.ndarray:
        padded = np.pad(img, 2)
        out = np.zeros_like(img)
        for i in range(img.shape[0]):
            for j in range(img.shape[1]):
                patch = padded[i : i + 5, j : j + 5]
                out[i, j] = max(abs(np.sum(patch * m)) for m in ops) / 25
        return out

    gx, gy = grad(x), grad(y)
    q = np.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            top = max(gx[i, j], gy[i, j])
            if top == 0:
                sg = 1.0
            else:
                r = abs(gx[i, j] - gy[i, j]) / top
                k = c / top
                sg = (2 * (1 - r) + k) / (1 + (1 - r) ** 2 + k)
            sl = 1 - ((x[i, j] - y[i, j]) / 255) ** 2
            w = weight * sg
            q[i, j] = (1 - w) * sg + w * sl
    return float(q.mean())


def _hand_made() -> list[tuple[np.ndarray, np.ndarray]]:
    step = np.zeros((7, 7))
    step[:, 4:] = 200.0
    ramp = np.tile(np.arange(7) * 30.0, (7, 1))
    rng = np.random.default_rng(0)
    noise_a = rng.integers(0, 256, (6, 8)).astype(float)
    noise_b = np.clip(noise_a + rng.integers(-40, 41, (6, 8)), 0, 255)
    dot = np.zeros((5, 5))
    dot[2, 2] = 255.0
    return [
        (step, step.T),
        (ramp, ramp * 0.5),
        (noise_a, noise_b),
        (dot, np.zeros((5, 5))),  # the reference's gradient is 0 everywhere
        (np.full((4, 4), 100.0), np.full((4, 4), 140.0)),  # flat: only the luminance term
    ]


@pytest.mark.parametrize("case", range(5))
@pytest.mark.parametrize(("c", "weight"), [(200.0, 0.1), (50.0, 0.3)])
def test_gsm_matches_reference(case, c, weight):
    x, y = _hand_made()[case]
    ours = gsm(torch.from_numpy(x)[None, None], torch.from_numpy(y)[None, None], c, weight)
    assert math.isclose(ours.item(), _gsm_reference(x, y, c, weight), rel_tol=0, abs_tol=1e-12)


def test_gsm_flat_images_score_luminance_only():
    # away from the zero-padded border both gradients are 0 -> Sg = 1, W = 0.1, q = 0.9 + 0.1 Sl
    x = torch.full((1, 1, 9, 9), 100.0, dtype=torch.float64)
    q = gsm_map(x, x + 40)
    expected = 0.9 + 0.1 * (1 - (40 / 255) ** 2)
    torch.testing.assert_close(q[..., 2:-2, 2:-2], torch.full((1, 1, 5, 5), expected, dtype=torch.float64))
    assert (q[..., 0, :] < expected).all()  # the zero padding makes a gradient at the border


def test_gsm_identical_is_one_and_decreases_with_blur():
    _, hr = _smooth_pair(n=2, size=48)
    metric = GSM(scale=2)
    torch.testing.assert_close(metric(hr, hr), torch.ones(2, dtype=torch.float64))
    scores = torch.stack([metric(_blur(hr, s), hr) for s in (0.5, 1.0, 1.5, 2.5, 4.0)])
    assert (scores[1:] < scores[:-1]).all(), scores
    assert (scores < 1).all()


def test_gsm_parameters():
    sr, hr = _smooth_pair(n=1, size=32)
    default = GSM(scale=2)(sr, hr)
    assert not torch.equal(GSM(scale=2, c=20)(sr, hr), default)
    assert not torch.equal(GSM(scale=2, weight=0.5)(sr, hr), default)
    assert "c=200.0, weight=0.1" in repr(GSM(scale=2))


# --------------------------------------------------------------------------- input checks
@pytest.mark.parametrize("name", METRICS)
def test_input_errors(name):
    metric = srzoo.create("metric", name, scale=2)
    hr = torch.rand(2, 3, 32, 32)
    with pytest.raises(
        InputError,
        match=r"^sr and hr must have the same shape, got \(2, 3, 32, 30\) and \(2, 3, 32, 32\); crop hr",
    ):
        metric(hr[..., :30], hr)
    with pytest.raises(
        InputError, match=r"^sr must be a float tensor in \[0, 1\], got dtype torch.uint8; divide uint8"
    ):
        metric((hr * 255).to(torch.uint8), hr)
    with pytest.raises(
        InputError, match=r"^hr must have shape \(N, 3, H, W\) \(RGB\), got \(2, 1, 32, 32\)$"
    ):
        metric(hr, hr[:, :1])
    with pytest.raises(InputError, match=r"^sr must have shape \(N, 3, H, W\) \(RGB\), got \(3, 32, 32\)$"):
        metric(hr[0], hr[0])
    with pytest.raises(InputError, match=r"^sr must be a torch.Tensor of shape \(N, 3, H, W\), got ndarray$"):
        metric(hr.numpy(), hr)
    with pytest.raises(InputError, match=r"^sr must be non-empty, got shape \(0, 3, 32, 32\)$"):
        metric(hr[:0], hr[:0])
    with pytest.raises(
        InputError, match=r"^images of size 4x4 are too small: after shaving 2 pixels per side"
    ):
        metric(hr[..., :4, :4], hr[..., :4, :4])


def test_ssim_needs_a_window_after_shaving():
    hr = torch.rand(1, 3, 20, 20)
    with pytest.raises(
        InputError,
        match=r"^images of size 20x20 are too small: after shaving 8 pixels per side they must be at least 11x11",
    ):
        SSIM(scale=8)(hr, hr)
    assert SSIM(scale=8, shave=4)(hr, hr).item() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 0}, r"^scale must be a positive integer, got 0$"),
        ({"scale": 2.5}, r"^scale must be a positive integer, got 2.5$"),
        ({"scale": 2, "channel": "ycbcr"}, r"^channel must be 'y' or 'rgb', got 'ycbcr'$"),
        ({"scale": 2, "shave": -1}, r"^shave must be a non-negative integer or None \(= scale\), got -1$"),
    ],
)
@pytest.mark.parametrize("cls", [PSNR, SSIM, GSM])
def test_bad_options(cls, kwargs, message):
    with pytest.raises(InputError, match=message):
        cls(**kwargs)


def test_gsm_bad_parameters():
    with pytest.raises(InputError, match=r"^c must be a non-negative number, got -1$"):
        GSM(scale=2, c=-1)
    with pytest.raises(InputError, match=r"^weight must be a number in \[0, 1\], got 2$"):
        GSM(scale=2, weight=2)


def test_low_level_functions_check_shapes():
    x = torch.rand(1, 1, 16, 16, dtype=torch.float64)
    for fn in (psnr, ssim_map, gsm):
        with pytest.raises(InputError, match=r"^x and y must be \(N, C, H, W\) tensors of the same shape"):
            fn(x, x[..., :15])
    with pytest.raises(InputError, match=r"^SSIM needs images of at least 11x11, got 10x16$"):
        ssim_map(x[..., :10, :], x[..., :10, :])


# --------------------------------------------------------------------------- GPU
@pytest.mark.gpu
@pytest.mark.parametrize("name", METRICS)
def test_cuda_matches_cpu(name):
    sr, hr = _smooth_pair(n=3, size=64)
    metric = srzoo.create("metric", name, scale=4)
    cpu = metric(sr.float(), hr.float())
    gpu = metric(sr.float().cuda(), hr.float().cuda())
    assert gpu.device.type == "cuda" and gpu.dtype == torch.float64
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=0, atol=1e-9)


def test_one_thread_restores_the_setting():
    before = torch.get_num_threads()
    with one_thread(torch.device("cpu")):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(InputError, match="too small"):
        SSIM(scale=2)(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8))
    assert torch.get_num_threads() == before


def test_non_finite_inputs_are_refused():
    hr = torch.rand(2, 3, 32, 32)
    sr = hr.clone()
    sr[1, 0, 5, 5] = float("nan")
    for name in ("psnr", "ssim", "gsm"):
        metric = srzoo.create("metric", name, scale=2)
        with pytest.raises(InputError, match=r"^sr contains NaN or infinite values"):
            metric(sr, hr)
