"""The ``degradations`` plugin: kernels, random steps, ``chain``, ``realesrgan`` and ``kornia-bicubic``.

kornia-style: smoke, shapes (odd sizes, batches, gray), exact error messages, seeded determinism
(bit for bit), per-image variation, gradcheck in float64 for the linear ops; CUDA with ``gpu``.
"""

from __future__ import annotations

import doctest
import importlib
import math
import re

import kornia
import numpy as np
import pytest
import torch
from scipy import special

import srzoo
from srzoo.errors import InputError

PKG = "srzoo_plugins.degradations"
MODULES = ("kernels", "blur", "resize", "noise", "jpeg", "kornia_bicubic", "chain", "realesrgan")
STEPS = ("blur", "sinc", "resize", "noise", "gaussian-noise", "poisson-noise", "jpeg")


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def create(name: str, **kwargs: object):
    return srzoo.create("degradation", name, **kwargs)


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module: str) -> None:
    mod = importlib.import_module(f"{PKG}.{module}")
    result = doctest.testmod(mod, extraglobs={"srzoo": srzoo, "torch": torch}, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_everything_is_registered_by_the_plugin() -> None:
    names = {"kornia-bicubic", "chain", "realesrgan", *STEPS}
    assert names <= set(srzoo.list_components("degradation"))
    for name in names:
        assert srzoo.describe("degradation", name).plugin == "degradations"


# ----------------------------------------------------------------------------------------- kernels


def test_isotropic_gaussian_kernel_equals_kornias() -> None:
    from srzoo_plugins.degradations.kernels import anisotropic_kernels

    sigma = torch.tensor([0.7, 2.5], dtype=torch.float64)
    ours = anisotropic_kernels(sigma, sigma, torch.zeros(2, dtype=torch.float64), torch.tensor([9, 9]), 9)
    ref = kornia.filters.get_gaussian_kernel2d((9, 9), torch.stack([sigma, sigma], 1))
    torch.testing.assert_close(ours, ref.to(torch.float64), rtol=0, atol=1e-7)


def test_anisotropic_kernel_rotates_and_matches_the_formula() -> None:
    from srzoo_plugins.degradations.kernels import anisotropic_kernels

    f64 = torch.float64
    sx, sy, theta = 3.0, 1.0, 0.4
    k = anisotropic_kernels(
        torch.tensor([sx], dtype=f64), torch.tensor([sy], dtype=f64), torch.tensor([theta], dtype=f64),
        torch.tensor([11]), 11,
    )[0].numpy()  # fmt: skip
    r = np.arange(11) - 5.0
    x, y = np.meshgrid(r, r)  # x along columns
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    inv = np.linalg.inv(rot @ np.diag([sx**2, sy**2]) @ rot.T)
    q = inv[0, 0] * x * x + 2 * inv[0, 1] * x * y + inv[1, 1] * y * y
    ref = np.exp(-0.5 * q)
    np.testing.assert_allclose(k, ref / ref.sum(), rtol=1e-12, atol=1e-15)
    quarter = anisotropic_kernels(
        torch.tensor([sx], dtype=f64), torch.tensor([sy], dtype=f64), torch.tensor([math.pi / 2], dtype=f64),
        torch.tensor([11]), 11,
    )[0]  # fmt: skip
    swapped = anisotropic_kernels(
        torch.tensor([sy], dtype=f64), torch.tensor([sx], dtype=f64), torch.zeros(1, dtype=f64),
        torch.tensor([11]), 11,
    )[0]  # fmt: skip
    torch.testing.assert_close(quarter, swapped, rtol=0, atol=1e-15)


def test_generalized_and_plateau_kernels_follow_their_formulas() -> None:
    from srzoo_plugins.degradations.kernels import anisotropic_kernels

    f64 = torch.float64
    one, two = torch.ones(2, dtype=f64), torch.full((2,), 2.0, dtype=f64)
    beta = torch.tensor([1.0, 2.5], dtype=f64)
    k = anisotropic_kernels(two, two, 0 * one, torch.tensor([7, 7]), 7, torch.tensor([1, 2]), beta)
    r = np.arange(7) - 3.0
    q = (r[None, :] ** 2 + r[:, None] ** 2) / 4.0
    generalized, plateau = np.exp(-0.5 * q), 1 / (1 + q**2.5)
    np.testing.assert_allclose(k[0].numpy(), generalized / generalized.sum(), rtol=1e-12)
    np.testing.assert_allclose(k[1].numpy(), plateau / plateau.sum(), rtol=1e-12)


def test_sinc_kernel_is_the_circular_lowpass_and_smaller_sizes_are_zero_padded() -> None:
    from srzoo_plugins.degradations.kernels import sinc_kernels

    w = 1.3
    k = sinc_kernels(torch.tensor([w, w], dtype=torch.float64), torch.tensor([9, 5]), 9).numpy()
    r = np.arange(9) - 4.0
    d = np.sqrt(r[None, :] ** 2 + r[:, None] ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        ref = np.where(d > 0, w * special.j1(w * d) / (2 * np.pi * d), w**2 / (4 * np.pi))
    # torch.special.bessel_j1 agrees with scipy's to ~1e-6 relative (its float64 approximation)
    np.testing.assert_allclose(k[0], ref / ref.sum(), rtol=0, atol=1e-7)
    inner = ref[2:7, 2:7]
    np.testing.assert_allclose(k[1, 2:7, 2:7], inner / inner.sum(), rtol=0, atol=1e-7)
    assert (k[1][np.abs(r) > 2, :] == 0).all() and (k[1][:, np.abs(r) > 2] == 0).all()


# ------------------------------------------------------------------------------- steps: shared checks


@pytest.mark.parametrize("name", STEPS)
@pytest.mark.parametrize("shape", [(1, 3, 16, 16), (3, 3, 23, 17), (2, 1, 15, 9)])
def test_steps_keep_shape_dtype_and_are_seeded(name: str, shape: tuple[int, ...]) -> None:
    x = torch.rand(*shape, generator=seeded(1))
    step = create(name)
    a, b = step(x, generator=seeded(7)), step(x, generator=seeded(7))
    assert a.shape == shape  # resize without range or scale keeps the size and a.dtype == x.dtype
    assert torch.equal(a, b)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("blur", {"sinc_prob": 0.0}),
        ("blur", {"sinc_prob": 1.0}),
        ("sinc", {"p": 1.0}),
        ("noise", {}),
        ("gaussian-noise", {}),
        ("poisson-noise", {}),
        ("jpeg", {}),
        ("resize", {"range": [0.5, 0.5], "modes": ["area", "bilinear", "bicubic"]}),
    ],
)
def test_each_image_of_a_batch_gets_its_own_parameters(name: str, args: dict) -> None:
    x = torch.rand(1, 3, 32, 32, generator=seeded(2)).expand(8, -1, -1, -1).contiguous()
    out = create(name, **args)(x, generator=seeded(3))
    distinct = {tuple(img.flatten()[:64].tolist()) for img in out}
    assert len(distinct) >= 2 if name == "resize" else len(distinct) == 8


@pytest.mark.parametrize("name", STEPS)
def test_different_seeds_differ_and_the_default_rng_works(name: str) -> None:
    args = {"range": [0.3, 0.9]} if name == "resize" else {}
    x = torch.rand(4, 3, 24, 24, generator=seeded(4))
    step = create(name, **args)
    assert not torch.equal(step(x, generator=seeded(0)), step(x, generator=seeded(1)))
    torch.manual_seed(5)
    first = step(x)
    torch.manual_seed(5)
    assert torch.equal(first, step(x))


@pytest.mark.parametrize("name", STEPS)
def test_steps_check_their_input_and_generator(name: str) -> None:
    step = create(name)
    with pytest.raises(InputError, match=re.escape("x must have shape (N, C, H, W), got (3, 8, 8)")):
        step(torch.rand(3, 8, 8))
    with pytest.raises(InputError, match=re.escape("x must be a float tensor, got dtype torch.uint8")):
        step(torch.zeros(1, 3, 8, 8, dtype=torch.uint8))
    with pytest.raises(InputError, match=re.escape("generator must be a torch.Generator or None, got int")):
        step(torch.rand(1, 3, 8, 8), generator=0)


@pytest.mark.parametrize("name", ["blur", "sinc", "noise", "gaussian-noise", "poisson-noise", "jpeg"])
def test_size_preserving_steps_refuse_a_scale(name: str) -> None:
    what = name.split("-")[-1] if name.endswith("noise") else name
    message = (
        f"{what} keeps the image size, so scale must be 1, got 4; "
        "put it in a 'chain' with a 'resize' step to change the size"
    )
    with pytest.raises(InputError, match=re.escape(message)):
        create(name, scale=4)


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("blur", {"sigma": [3, 1]}, "sigma must satisfy low <= high within >= 1e-06, got [3.0, 1.0]"),
        ("blur", {"sigma": "wide"}, "sigma must be a number or a [low, high] list of two numbers, got 'wide'"),
        ("blur", {"kernel_size": [8, 8]}, "kernel_size range [8.0, 8.0] contains no odd size"),
        ("blur", {"kernels": {"box": 1}}, ("kernels has unknown keys ['box']; known: iso, aniso, "
         "generalized_iso, generalized_aniso, plateau_iso, plateau_aniso")),
        ("blur", {"kernels": [0, 0, 0, 0, 0, 0]}, "kernels weights must not all be 0, got [0, 0, 0, 0, 0, 0]"),
        ("blur", {"p": 1.5}, "p must be a probability in [0, 1], got 1.5"),
        ("sinc", {"cutoff": [0.5, 4]}, "cutoff must satisfy low <= high within [1e-06, 3.14159], got [0.5, 4.0]"),
        ("jpeg", {"quality": [0, 50]}, "quality must satisfy low <= high within [1, 100], got [0.0, 50.0]"),
        ("noise", {"gray_prob": -0.1}, "gray_prob must be a probability in [0, 1], got -0.1"),
        ("resize", {"modes": ["lanczos"]}, ("modes must be a non-empty list of area, bilinear, bicubic, nearest, "
         "got ['lanczos']")),
        ("resize", {"scale": 0}, "scale must be a positive number, got 0"),
        ("resize", {"probabilities": [1, 1, 1]}, "probabilities needs a range: give range = [low, high] too"),
        ("resize", {"range": [0.2, 0.8], "probabilities": [1, 1, 1]},
         "with probabilities, range must contain 1, got [0.2, 0.8]"),
        ("kornia-bicubic", {"scale": -2}, "scale must be a positive number, got -2"),
        ("kornia-bicubic", {"scale": 2, "direction": "sideways"}, "direction must be 'down' or 'up', got 'sideways'"),
        ("realesrgan", {"scale": "4"}, "scale must be a positive number, got '4'"),
    ],
)  # fmt: skip
def test_bad_arguments_have_exact_messages(name: str, args: dict, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        create(name, **args)


# ------------------------------------------------------------------------------------------- blur


def test_blur_with_p_0_is_the_identity_and_blurring_lowers_the_variation() -> None:
    x = torch.rand(4, 3, 32, 32, generator=seeded(0))
    assert torch.equal(create("blur", p=0.0)(x, generator=seeded(1)), x)
    y = create("blur", sigma=[2, 3], sinc_prob=0.0)(x, generator=seeded(1))
    assert y.diff(dim=-1).abs().mean() < 0.5 * x.diff(dim=-1).abs().mean()
    torch.testing.assert_close(y.mean(dim=(1, 2, 3)), x.mean(dim=(1, 2, 3)), atol=0.02, rtol=0)


def test_blur_reflects_borders_and_replicates_on_tiny_images() -> None:
    from srzoo_plugins.degradations.blur import blur2d

    x = torch.rand(1, 1, 3, 4, generator=seeded(0), dtype=torch.float64)
    k = torch.full((1, 7, 7), 1 / 49, dtype=torch.float64)
    padded = torch.nn.functional.pad(x, (3, 3, 3, 3), mode="replicate")
    torch.testing.assert_close(blur2d(x, k), torch.nn.functional.avg_pool2d(padded, 7, stride=1))
    with pytest.raises(
        InputError, match=re.escape("kernels must have shape (N, K, K) with N = 1 and K odd, got (1, 4, 4)")
    ):
        blur2d(x, torch.ones(1, 4, 4))


def test_blur_and_sinc_gradcheck() -> None:
    from srzoo_plugins.degradations.blur import RandomBlur, RandomSinc, blur2d

    x = torch.rand(2, 2, 9, 8, dtype=torch.float64, requires_grad=True)
    for step in (RandomBlur(kernel_size=[3, 7]), RandomSinc(kernel_size=[3, 7], p=1.0)):
        k = step.sample_kernels(2, seeded(0), x).requires_grad_(True)
        assert torch.autograd.gradcheck(blur2d, (x, k), fast_mode=True)


# ----------------------------------------------------------------------------------------- resize


@pytest.mark.parametrize(("h", "w", "scale"), [(31, 17, 4), (8, 9, 2), (5, 5, 8), (30, 30, 1.5)])
def test_resize_follows_the_contract(h: int, w: int, scale: float) -> None:
    out = create("resize", scale=scale)(torch.rand(2, 3, h, w), generator=seeded(0))
    assert out.shape == (2, 3, math.ceil(h / scale), math.ceil(w / scale))


def test_resize_ratio_follows_real_esrgans_up_down_keep_draw() -> None:
    step = create("resize", range=[0.5, 2.0], probabilities={"keep": 1})
    x = torch.rand(2, 3, 20, 20)
    assert step(x, generator=seeded(0)) is x
    up = create("resize", range=[0.5, 2.0], probabilities={"up": 1})
    sizes = {up(x, generator=seeded(s)).shape[-1] for s in range(8)}
    assert all(20 <= s <= 40 for s in sizes) and len(sizes) > 1
    down = create("resize", range=[0.5, 2.0], probabilities=[0, 1, 0])
    assert all(10 <= down(x, generator=seeded(s)).shape[-1] <= 20 for s in range(8))


def test_resize_applies_each_images_mode_exactly() -> None:
    from srzoo_plugins.degradations.resize import resize_modes

    x = torch.rand(3, 3, 17, 13, dtype=torch.float64)
    out = resize_modes(x, (7, 5), ["area", "bilinear", "bicubic"], torch.tensor([2, 0, 1]))
    interp = torch.nn.functional.interpolate
    torch.testing.assert_close(out[0], interp(x[:1], (7, 5), mode="bicubic", align_corners=False)[0])
    torch.testing.assert_close(out[1], interp(x[1:2], (7, 5), mode="area")[0])
    torch.testing.assert_close(out[2], interp(x[2:], (7, 5), mode="bilinear", align_corners=False)[0])
    f = lambda t: resize_modes(t, (4, 3), ["area", "bicubic"], torch.tensor([0, 1, 1]))
    assert torch.autograd.gradcheck(f, (x[..., :6, :5].clone().requires_grad_(True),), fast_mode=True)


# ------------------------------------------------------------------------------------------ noise


def test_gaussian_noise_has_its_sigma_and_gray_noise_is_shared_by_channels() -> None:
    x = torch.full((2, 3, 96, 96), 0.5)
    out = create("noise", gaussian_prob=1.0, sigma=12.75, gray_prob=0.0)(x, generator=seeded(0))
    assert abs((out - x).std().item() - 0.05) < 0.002
    gray = create("gaussian-noise", sigma=12.75, gray_prob=1.0)(x, generator=seeded(0))
    assert torch.equal(gray[:, 0], gray[:, 1]) and torch.equal(gray[:, 1], gray[:, 2])
    assert not torch.equal(out[:, 0], out[:, 1])


def test_poisson_noise_is_unbiased_signal_dependent_and_clipped() -> None:
    levels = torch.arange(256.0) / 255  # 256 distinct levels: L = 256 "photons" per unit
    x = levels.repeat(3, 64, 1)[None]  # (1, 3, 64, 256), every column one level
    out = create("poisson-noise", strength=1.0, gray_prob=0.0)(x, generator=seeded(0))
    assert 0 <= out.min() and out.max() <= 1
    noise = (out - x)[..., 64:192]  # away from the clipped ends
    assert abs(noise.mean().item()) < 2e-3
    variance = noise.var(dim=(0, 1, 2))  # Poisson: var(counts / L) = x / L
    ratio = variance / x[0, 0, 0, 64:192]
    assert abs(ratio.mean().item() * 256 - 1) < 0.05
    assert abs(ratio[:64].mean() / ratio[64:].mean() - 1) < 0.1  # proportional to the signal
    gray = create("poisson-noise", strength=1.0, gray_prob=1.0)(x, generator=seeded(0))
    assert torch.equal(gray[:, 0], gray[:, 2])


def test_poisson_levels_are_real_esrgans_power_of_two_count() -> None:
    from srzoo_plugins.degradations.noise import _levels

    x = torch.zeros(2, 1, 4, 4)
    x[0].view(-1)[:5] = torch.arange(5) / 255  # 5 distinct levels -> 8
    assert _levels(x).tolist() == [8.0, 1.0]


def test_poisson_noise_needs_1_or_3_channels() -> None:
    with pytest.raises(
        InputError, match=re.escape("poisson noise needs 1 or 3 channels, got shape (1, 2, 8, 8)")
    ):
        create("poisson-noise")(torch.rand(1, 2, 8, 8))


# ------------------------------------------------------------------------------------------- jpeg


def test_jpeg_quality_controls_the_error_and_gray_is_supported() -> None:
    from srzoo_plugins.degradations.jpeg import jpeg

    x = kornia.filters.gaussian_blur2d(torch.rand(1, 3, 64, 64, generator=seeded(0)), 9, (3.0, 3.0))
    errors = [(jpeg(x, torch.tensor([q])) - x).abs().mean().item() for q in (10.0, 50.0, 95.0)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.02
    gray = jpeg(x[:, :1], torch.tensor([50.0]))
    assert gray.shape == (1, 1, 64, 64) and 0 <= gray.min() and gray.max() <= 1
    with pytest.raises(
        InputError, match=re.escape("jpeg needs 1 (gray) or 3 (RGB) channels, got shape (1, 4, 8, 8)")
    ):
        create("jpeg")(torch.rand(1, 4, 8, 8))
    with pytest.raises(InputError, match=re.escape("quality must have shape (1,), got (2,)")):
        jpeg(x, torch.tensor([50.0, 60.0]))


def test_jpeg_passes_gradients() -> None:
    """kornia's codec is differentiable (a full float64 gradcheck of it is too slow for the default suite)."""
    from srzoo_plugins.degradations.jpeg import jpeg

    x = torch.rand(2, 3, 16, 16, generator=seeded(0), requires_grad=True)
    jpeg(x, torch.tensor([40.0, 90.0])).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


# ---------------------------------------------------------------------------------- kornia-bicubic


@pytest.mark.parametrize(("h", "w", "scale"), [(31, 17, 4), (8, 9, 2), (5, 5, 8), (30, 29, 3)])
def test_kornia_bicubic_follows_the_contract_and_is_kornias_resize(h: int, w: int, scale: int) -> None:
    x = torch.rand(2, 3, h, w, dtype=torch.float64)
    down = create("kornia-bicubic", scale=scale)(x)
    assert down.shape == (2, 3, math.ceil(h / scale), math.ceil(w / scale))
    ref = kornia.geometry.transform.resize(x, down.shape[-2:], interpolation="bicubic", antialias=True)
    assert torch.equal(down, ref)
    assert create("kornia-bicubic", scale=scale, direction="up")(x).shape == (2, 3, h * scale, w * scale)


@pytest.mark.shared_data
def test_kornia_bicubic_is_not_matlab(data_dir) -> None:
    from PIL import Image

    def load(path):
        return (
            torch.from_numpy(np.asarray(Image.open(path).convert("RGB")).copy())
            .permute(2, 0, 1)[None]
            .double()
        )

    hr = load(data_dir / "set5" / "HR" / "bird.png")
    hr = hr[..., : hr.shape[-2] // 4 * 4, : hr.shape[-1] // 4 * 4] / 255
    matlab = load(data_dir / "set5" / "LR_bicubic" / "X4" / "birdx4.png")
    lr = (create("kornia-bicubic", scale=4)(hr) * 255).round().clamp(0, 255)
    psnr = 10 * math.log10(255**2 / ((lr - matlab) ** 2).mean().item())
    assert 35 < psnr < 50  # docs/degradations.md: 42.4 dB mean over Set5 at x4


# ------------------------------------------------------------------------------------------ chain

STEPS_X4 = [
    {"name": "blur", "sigma": [0.2, 3]},
    {"name": "resize", "range": [0.15, 1.5], "probabilities": [0.2, 0.7, 0.1]},
    {"name": "noise", "sigma": [1, 30]},
    {"name": "jpeg", "quality": [30, 95]},
    {"name": "resize", "scale": 4},
]


@pytest.mark.parametrize(("h", "w"), [(64, 64), (37, 41)])
def test_chain_output_contract_range_and_determinism(h: int, w: int) -> None:
    chain = create("chain", steps=STEPS_X4)
    assert chain.scale == 4
    x = torch.rand(4, 3, h, w, generator=seeded(0))
    a, b = chain(x, generator=seeded(9)), chain(x, generator=seeded(9))
    assert a.shape == (4, 3, math.ceil(h / 4), math.ceil(w / 4))
    assert torch.equal(a, b) and 0 <= a.min() and a.max() <= 1
    assert not torch.equal(a, chain(x, generator=seeded(10)))


def test_chain_images_get_their_own_parameters_and_scale_goes_to_a_plain_resize() -> None:
    steps = [{"name": "blur"}, {"name": "resize"}, {"name": "noise"}, {"name": "jpeg"}]
    chain = create("chain", steps=steps, scale=4)
    x = torch.rand(1, 3, 32, 32, generator=seeded(0)).expand(6, -1, -1, -1)
    out = chain(x, generator=seeded(1))
    assert out.shape == (6, 3, 8, 8)
    assert len({tuple(img.flatten().tolist()) for img in out}) == 6


def test_chain_quantizes_and_accepts_any_registered_resizer() -> None:
    chain = create("chain", steps=[{"name": "noise"}, {"name": "bicubic", "scale": 2}], quantize=True)
    out = chain(torch.rand(2, 3, 15, 16), generator=seeded(0))
    assert out.shape == (2, 3, 8, 8) and torch.equal(out, (out * 255).round() / 255)


@pytest.mark.parametrize(
    ("steps", "scale", "error", "message"),
    [
        ([{"name": "blur"}], 4, InputError,
         ("chain steps shrink by 1 in total (the product of their 'scale' arguments) but scale=4 was asked; add a "
         "{name = \"resize\"} step (it takes the chain's scale) or give the steps scales whose product is 4")),
        ([{"name": "resize", "scale": 2}, {"name": "resize", "range": [0.5, 1]}], None, InputError,
         ("the last resize step of a chain must have no 'range', so that the output is exactly ceil(H / scale); "
         "add {name = \"resize\"} after it")),
        ([], None, InputError, "steps must be a non-empty list of tables with a 'name', got []"),
        ([{"sigma": 1}], None, InputError, "chain step 0 must be a table with a 'name' (a degradation), got {'sigma': 1}"),
        ([{"name": "blurr"}], None, srzoo.UnknownNameError, "chain step 0 ('blurr'): unknown degradation 'blurr'"),
        ([{"name": "blur", "sigma": [2, 1]}], None, InputError,
         "chain step 0 ('blur'): sigma must satisfy low <= high"),
        ([{"name": "chain", "steps": [{"name": "blur"}]}], None, InputError,
         "chain step 0: a chain cannot contain a chain; list its steps instead"),
    ],
)  # fmt: skip
def test_chain_errors(steps: list, scale: float | None, error: type, message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        create("chain", steps=steps, scale=scale)


def test_chain_from_a_toml_table() -> None:
    import tomllib

    table = tomllib.loads(
        """
        [train.degradation]
        name = "chain"
        steps = [
          { name = "blur", sigma = [0.2, 3], kernels = { iso = 0.7, aniso = 0.3 } },
          { name = "resize", modes = ["area", "bicubic"] },
          { name = "gaussian-noise", sigma = [1, 25], gray_prob = 0.4 },
          { name = "jpeg", quality = [30, 95] },
        ]
        """
    )["train"]["degradation"]
    args = {k: v for k, v in table.items() if k != "name"}
    deg = create(table["name"], scale=2, **args)
    assert deg(torch.rand(2, 3, 20, 21), generator=seeded(0)).shape == (2, 3, 10, 11)


# ------------------------------------------------------------------------------------- realesrgan


@pytest.mark.parametrize(
    ("shape", "scale"),
    [((2, 3, 64, 64), 4), ((3, 3, 37, 41), 4), ((1, 1, 33, 30), 2), ((1, 3, 1, 1), 4), ((2, 3, 5, 3), 4)],
)
def test_realesrgan_output_contract(shape: tuple[int, ...], scale: int) -> None:
    n, c, h, w = shape
    deg = create("realesrgan", scale=scale)
    out = deg(torch.rand(*shape, generator=seeded(0)), generator=seeded(1))
    assert out.shape == (n, c, math.ceil(h / scale), math.ceil(w / scale))
    assert 0 <= out.min() and out.max() <= 1 and torch.equal(out, (out * 255).round() / 255)


def test_realesrgan_is_seeded_bit_for_bit_and_varies_per_image() -> None:
    deg = create("realesrgan", scale=4)
    x = torch.rand(1, 3, 48, 48, generator=seeded(0)).expand(6, -1, -1, -1)
    a, b = deg(x, generator=seeded(3)), deg(x, generator=seeded(3))
    assert torch.equal(a, b)
    assert len({tuple(img.flatten().tolist()) for img in a}) == 6
    assert not torch.equal(a, deg(x, generator=seeded(4)))


def test_realesrgan_shuffled_order_and_float_output() -> None:
    x = torch.rand(2, 3, 40, 40, generator=seeded(0))
    shuffled = create("realesrgan", scale=4, shuffle=True, quantize=False)
    a = shuffled(x, generator=seeded(5))
    assert a.shape == (2, 3, 10, 10) and torch.equal(a, shuffled(x, generator=seeded(5)))
    assert not torch.equal(a, (a * 255).round() / 255)
    assert not torch.equal(a, create("realesrgan", scale=4, quantize=False)(x, generator=seeded(5)))


def test_realesrgan_uses_the_published_ranges() -> None:
    from srzoo_plugins.degradations.realesrgan import PUBLISHED

    deg = create("realesrgan", scale=4)
    assert deg.blur1.sigma == (0.2, 3.0) and deg.blur2.sigma == (0.2, 1.5) and deg.blur2.p == 0.8
    assert deg.blur1.kernels == dict(zip(
        ("iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso"),
        (0.45, 0.25, 0.12, 0.03, 0.12, 0.03), strict=True))  # fmt: skip
    assert deg.resize1.range == (0.15, 1.5) and deg.resize2.range == (0.3, 1.2)
    assert list(deg.resize1.probabilities.values()) == pytest.approx([0.2, 0.7, 0.1])
    assert list(deg.resize2.probabilities.values()) == pytest.approx([0.3, 0.4, 0.3])
    assert deg.noise1.sigma == (1.0, 30.0) and deg.noise2.sigma == (1.0, 25.0)
    assert deg.noise1.poisson_strength == (0.05, 3.0) and deg.noise2.poisson_strength == (0.05, 2.5)
    assert deg.noise1.gray_prob == deg.noise2.gray_prob == 0.4
    assert deg.jpeg1.quality == deg.jpeg2.quality == (30.0, 95.0)
    assert deg.final_sinc.p == 0.8 and deg.final_sinc.cutoff == pytest.approx((math.pi / 3, math.pi))
    assert set(PUBLISHED) == {name for name, _ in deg.named_children()}


def test_realesrgan_recipe_variant() -> None:
    recipe = srzoo.get_recipe("srresnet-x4-realesrgan")
    base = srzoo.get_recipe("srresnet-x4")
    assert recipe.train.degradation == "realesrgan" and base.train.degradation is None
    assert recipe.nodes == base.nodes and recipe.train.optimizer == base.train.optimizer
    deg = create(recipe.train.degradation, scale=recipe.scale)
    assert deg(torch.rand(2, 3, 96, 96), generator=seeded(0)).shape == (2, 3, 24, 24)


# ------------------------------------------------------------------------------------------- CUDA


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["realesrgan", "chain"])
def test_cuda_batches_stay_on_the_device_and_are_seeded(name: str) -> None:
    args = {"steps": STEPS_X4} if name == "chain" else {"scale": 4}
    deg = create(name, **args)
    x = torch.rand(4, 3, 64, 64, device="cuda")
    for generator in (lambda: torch.Generator("cuda").manual_seed(0), lambda: seeded(0)):
        a, b = deg(x, generator=generator()), deg(x, generator=generator())
        assert a.device.type == "cuda" and a.shape == (4, 3, 16, 16)
        assert torch.equal(a, b)
