"""The inference fast path: BatchNorm folding, fused oneDNN convolutions, channels-last, bf16."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import srzoo
from srzoo.charts import CHARTS, make_chart
from srzoo.errors import InputError
from srzoo.inference import (
    InferenceSRModel,
    calibrate_batchnorm,
    fold_batchnorm,
    fold_conv_bn,
    fuse_convolutions,
    optimize_for_inference,
)

TINY = {"sem": {"ngf": 8}, "s2": {"ngf": 8}, "sr": {"ngf": 8, "n_blocks": 2}}


def randomise_batchnorm(module: nn.Module, seed: int = 0) -> nn.Module:
    """Give every BatchNorm random running statistics and affine parameters (for exact unit tests of
    folding; whole models are calibrated on images instead, see ``calibrated``)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
                if m.affine:
                    m.weight.copy_(1 + 0.2 * torch.randn(n, generator=g))
                    m.bias.copy_(0.1 * torch.randn(n, generator=g))
    return module


def chart_lr(scale: int, hr: int = 64) -> torch.Tensor:
    """srzoo's test charts, bicubic-degraded: ``(5, 3, hr / scale, hr / scale)`` in ``[0, 1]``."""
    charts = torch.stack([make_chart(name, hr) for name in CHARTS])
    return srzoo.create("degradation", "bicubic", scale=scale)(charts).clamp(0, 1)


def calibrated(recipe: str, seed: int = 0, **overrides) -> srzoo.SRModel:
    """A seeded model whose BatchNorm statistics come from real images (the charts), not defaults."""
    torch.manual_seed(seed)
    model = srzoo.build(recipe, **overrides)
    calibrate_batchnorm(model, [chart_lr(model.scale)])
    return model.eval()


# --------------------------------------------------------------------------- calibration


def test_calibrate_batchnorm_averages_the_batches_and_restores_the_module() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4, momentum=0.3), nn.Dropout(0.5)).eval()
    batches = [torch.rand(2, 3, 8, 8), torch.rand(3, 3, 6, 10)]
    assert calibrate_batchnorm(net, batches) == 1
    with torch.no_grad():
        features = [net[0](b) for b in batches]
    # momentum=None: the plain average over batches of each batch's mean and unbiased variance
    mean = torch.stack([f.mean(dim=(0, 2, 3)) for f in features]).mean(0)
    var = torch.stack([f.transpose(0, 1).reshape(4, -1).var(dim=1, unbiased=True) for f in features]).mean(0)
    torch.testing.assert_close(net[1].running_mean, mean)
    torch.testing.assert_close(net[1].running_var, var)
    assert net[1].momentum == 0.3 and not any(m.training for m in net.modules())
    assert int(net[1].num_batches_tracked) == 2
    with pytest.raises(InputError, match=r"calibrate_batchnorm needs at least one batch"):
        calibrate_batchnorm(net, [])
    assert net[1].momentum == 0.3 and not net.training


def test_default_batchnorm_hides_errors_calibrated_does_not() -> None:
    torch.manual_seed(0)
    default = srzoo.build("stagegan-x8", **TINY).eval()
    lr = chart_lr(8)[1:3]
    with torch.no_grad():
        assert default(lr).std() < 1e-3  # flat: any comparison of outputs would pass
        assert calibrated("stagegan-x8", **TINY)(lr).std() > 0.05


# --------------------------------------------------------------------------- folding


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("channels_last", [False, True])
def test_fold_conv_bn_is_exact(
    transposed: bool, groups: int, bias: bool, affine: bool, channels_last: bool
) -> None:
    torch.manual_seed(0)
    if transposed:
        conv = nn.ConvTranspose2d(4, 6, 4, stride=2, padding=1, groups=groups, bias=bias)
    else:
        conv = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=groups, bias=bias)
    bn = randomise_batchnorm(nn.BatchNorm2d(6, affine=affine))
    seq = nn.Sequential(conv, bn).eval().double()
    if channels_last:
        seq = seq.to(memory_format=torch.channels_last)
    x = torch.randn(2, 4, 9, 7, dtype=torch.float64)
    before = conv.weight.clone()
    with torch.no_grad():
        expected = seq(x)
        folded = fold_conv_bn(conv, bn)
        torch.testing.assert_close(folded(x), expected, atol=1e-12, rtol=1e-12)
    assert type(folded) is type(conv) and folded is not conv and torch.equal(conv.weight, before)


def test_fold_batchnorm_replaces_and_counts() -> None:
    net = nn.Sequential(
        nn.Conv2d(3, 4, 3),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(4, 2, 4, 2, 1), nn.BatchNorm2d(2)),
        nn.BatchNorm2d(2),  # follows a Sequential, not a conv: kept
        nn.Conv2d(2, 2, 1),
        nn.InstanceNorm2d(2),  # no running statistics: kept
    )
    randomise_batchnorm(net).eval()
    x = torch.randn(1, 3, 8, 8)
    with torch.no_grad():
        expected = net(x)
        assert fold_batchnorm(net) == 2
        torch.testing.assert_close(net(x), expected, atol=1e-5, rtol=1e-5)
    assert isinstance(net[1], nn.Identity) and isinstance(net[3][2], nn.Identity)
    assert isinstance(net[4], nn.BatchNorm2d)


def test_fold_batchnorm_needs_eval_mode() -> None:
    with pytest.raises(
        InputError, match=r"fold_batchnorm needs a module in eval mode; call module.eval\(\) first"
    ):
        fold_batchnorm(nn.Sequential(nn.Conv2d(1, 1, 1), nn.BatchNorm2d(1)))
    with pytest.raises(InputError, match=r"cannot fold a BatchNorm2d without running statistics"):
        fold_conv_bn(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2, track_running_stats=False))
    with pytest.raises(InputError, match=r"cannot fold a BatchNorm2d in training mode"):
        fold_conv_bn(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2))


# --------------------------------------------------------------------------- fused convolutions


@pytest.mark.parametrize(
    "activation", [nn.ReLU(), nn.LeakyReLU(0.2), nn.Tanh(), None], ids=["relu", "leaky", "tanh", "none"]
)
@pytest.mark.parametrize("transposed", [False, True])
def test_fused_convolutions_compute_the_same(activation: nn.Module | None, transposed: bool) -> None:
    torch.manual_seed(0)
    conv = nn.ConvTranspose2d(8, 4, 3, 2, 1, output_padding=1) if transposed else nn.Conv2d(8, 4, 4, 2, 1)
    layers = [conv, nn.Identity()] + ([activation] if activation is not None else [])
    net = nn.Sequential(*layers).eval()
    x = torch.randn(2, 8, 10, 6)
    with torch.no_grad():
        expected = net(x)
    fused = fuse_convolutions(net)
    if fused == 0:
        pytest.skip("this PyTorch build has no oneDNN fused convolutions")
    assert fused == 1
    assert all(not isinstance(m, type(activation)) for m in net) or activation is None
    for memory_format in (torch.contiguous_format, torch.channels_last):
        with torch.inference_mode():
            got = net(x.contiguous(memory_format=memory_format))
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    # outside inference (autograd on) the fallback path computes the same
    torch.testing.assert_close(net(x).detach(), expected, atol=1e-5, rtol=1e-5)


# --------------------------------------------------------------------------- the fast model


@pytest.fixture(scope="module")
def tiny_x8() -> srzoo.SRModel:
    return calibrated("stagegan-x8", **TINY)


def test_without_onednn_the_fallback_computes_the_same(tiny_x8: srzoo.SRModel, monkeypatch) -> None:
    from srzoo.inference import fast as inference

    def broken_pack(self, x, dtype):
        raise RuntimeError("this build's oneDNN reorder is broken")

    inference._onednn_works.cache_clear()
    monkeypatch.setattr(inference._FusedConv, "_pack", broken_pack)
    try:
        assert not inference._onednn_works()  # the capability test notices
        fast = optimize_for_inference(tiny_x8)
        assert fast.fused == 0 and fast.folded > 0
        lr = chart_lr(8)
        with torch.no_grad():
            expected = tiny_x8(lr)
        assert (fast(lr) - expected).abs().max().item() <= 1e-4
    finally:
        inference._onednn_works.cache_clear()


def test_fast_path_on_calibrated_stagegan_x4_charts() -> None:
    model = calibrated("stagegan-x4", **TINY)
    lr = chart_lr(4, hr=128)
    with torch.no_grad():
        plain = model(lr)
    assert plain.std() > 0.05
    fast = optimize_for_inference(model)
    assert (fast(lr) - plain).abs().max().item() <= 1e-4
    bf16 = optimize_for_inference(model, bf16=True)(lr)
    difference = (bf16 - plain).abs()
    # measured bf16 error on such models: see docs/stagegan.md (max ~5e-2, mean ~4e-3)
    assert difference.max().item() < 0.25 and difference.mean().item() < 0.02


@pytest.mark.parametrize("channels_last", [True, False])
def test_fast_path_matches_plain(tiny_x8: srzoo.SRModel, channels_last: bool) -> None:
    fast = optimize_for_inference(tiny_x8, channels_last=channels_last)
    assert isinstance(fast, InferenceSRModel) and not fast.training
    assert fast.folded == sum(isinstance(m, nn.BatchNorm2d) for m in tiny_x8.modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fast.modules())
    lr = chart_lr(8)[:, :, :5, :7]
    with torch.no_grad():
        plain = tiny_x8(lr, return_intermediates=True)
    got = fast(lr, return_intermediates=True)
    assert list(got) == list(plain)
    for name in plain:
        assert got[name].dtype == torch.float32 and got[name].shape == plain[name].shape
        assert (got[name] - plain[name]).abs().max().item() <= 1e-4, name
    assert plain["sr"].std() > 0.05  # not a constant image: the comparison means something


def test_fast_path_leaves_the_original_alone(tiny_x8: srzoo.SRModel) -> None:
    before = {k: v.clone() for k, v in tiny_x8.state_dict().items()}
    fast = optimize_for_inference(tiny_x8)
    assert all(torch.equal(v, tiny_x8.state_dict()[k]) for k, v in before.items())
    assert any(isinstance(m, nn.BatchNorm2d) for m in tiny_x8.modules())
    assert fast.recipe is tiny_x8.recipe and fast.scale == 8
    with pytest.raises(InputError, match=r"an optimised inference model cannot be trained"):
        fast.train()


def test_fast_path_tiles_and_runs_without_autograd(tiny_x8: srzoo.SRModel) -> None:
    fast = optimize_for_inference(tiny_x8)
    lr = torch.rand(1, 3, 40, 48, requires_grad=True)
    out = fast(lr, tile=32)
    assert out.shape == (1, 3, 320, 384) and not out.requires_grad
    with torch.no_grad():
        expected = tiny_x8(lr, tile=32)
    assert (out - expected).abs().max().item() <= 1e-4


def test_bf16_fast_path(tiny_x8: srzoo.SRModel) -> None:
    fast = optimize_for_inference(tiny_x8, bf16=True)
    assert fast.bf16 and fast.fused == sum(
        isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) for m in tiny_x8.modules()
    )
    lr = chart_lr(8)[1:3]  # zone plate and text
    with torch.no_grad():
        expected = tiny_x8(lr)
    out = fast(lr)
    assert out.dtype == torch.float32 and out.shape == expected.shape
    assert expected.std() > 0.05
    assert (out - expected).abs().max().item() < 0.25 and (out - expected).abs().mean().item() < 0.02


@pytest.mark.parametrize("packed", [False, True])
def test_bf16_fast_path_with_and_without_onednn_bf16(
    tiny_x8: srzoo.SRModel, monkeypatch: pytest.MonkeyPatch, packed: bool
) -> None:
    """Where oneDNN cannot pack bf16 weights (AVX2-only CPUs) bf16 runs the plain autocast convolution."""
    import srzoo.inference.fast as fast_module

    if packed and not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        pytest.skip("this CPU has no oneDNN bf16 (AVX512BW/VL/DQ or AVX-NE-CONVERT)")
    monkeypatch.setattr(fast_module, "_onednn_bf16_works", lambda: packed)
    fast = optimize_for_inference(tiny_x8, bf16=True)
    lr = chart_lr(8)[1:3]
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        expected = tiny_x8(lr).float()
    out = fast(lr)
    assert out.dtype == torch.float32 and out.shape == expected.shape
    assert (out - expected).abs().mean().item() < 0.01
    packs = [m._packed for m in fast.modules() if isinstance(m, fast_module._FusedConv)]
    assert packs and all((torch.bfloat16 in p) == packed for p in packs)


def test_optimize_rejects_other_modules() -> None:
    with pytest.raises(InputError, match=r"optimize_for_inference expects an srzoo.SRModel, got Conv2d"):
        optimize_for_inference(nn.Conv2d(1, 1, 1))  # type: ignore[arg-type]


@pytest.mark.slow
def test_full_size_stagegan_x8_fast_path() -> None:
    model = calibrated("stagegan-x8")
    lr = chart_lr(8, hr=256)[:2]
    with torch.no_grad():
        plain = model(lr, return_intermediates=True)
    fast = optimize_for_inference(model)
    assert fast.folded == 49
    got = fast(lr, return_intermediates=True)
    for name in plain:
        assert (got[name] - plain[name]).abs().max().item() <= 1e-4, name


@pytest.mark.gpu
def test_fast_path_on_cuda(tiny_x8: srzoo.SRModel) -> None:
    model = srzoo.build("stagegan-x8", **TINY)
    model.load_state_dict(tiny_x8.state_dict())
    model = model.cuda()
    lr = torch.rand(1, 3, 8, 8, device="cuda")
    with torch.no_grad():
        expected = model(lr)
    fast = optimize_for_inference(model)
    assert (fast(lr) - expected).abs().max().item() <= 1e-3  # TF32 convolutions may be on
    fast16 = optimize_for_inference(model, bf16=True)
    assert (fast16(lr) - expected).abs().max().item() < 0.05


class _CroppedTranspose(nn.ConvTranspose2d):
    """A conv subclass whose forward does more than the convolution (like LapSRN's upsampling)."""

    def forward(self, x: torch.Tensor, output_size: list[int] | None = None) -> torch.Tensor:
        return super().forward(x)[..., :-1, :-1]


def test_conv_subclasses_are_left_alone() -> None:
    net = nn.Sequential(_CroppedTranspose(4, 4, 3, 2, 1), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 2, 3))
    randomise_batchnorm(net).eval()
    x = torch.randn(1, 4, 6, 5)
    with torch.no_grad():
        expected = net(x)
        assert fold_batchnorm(net) == 0
        fused = fuse_convolutions(net)
    assert isinstance(net[0], _CroppedTranspose) and isinstance(net[1], nn.BatchNorm2d)
    assert fused in (0, 1)  # only the plain Conv2d, where oneDNN is available
    with torch.inference_mode():
        torch.testing.assert_close(net(x), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("name", srzoo.list_models())
def test_fast_path_matches_every_registered_recipe(name: str) -> None:
    model = calibrated(name)
    lr = chart_lr(model.scale, hr=96)[:2]
    with torch.no_grad():
        expected = model(lr)
    got = optimize_for_inference(model)(lr)
    assert got.shape == expected.shape
    assert (got - expected).abs().max().item() <= 1e-4


def test_new_weights_are_repacked_after_load_state_dict_and_in_place_edits():
    torch.manual_seed(0)
    first = optimize_for_inference(srzoo.build("srcnn-x4"))
    torch.manual_seed(1)
    second = optimize_for_inference(srzoo.build("srcnn-x4"))
    lr = torch.rand(1, 3, 9, 7)
    before = first(lr)  # packs the first weights
    first.load_state_dict(second.state_dict())
    assert torch.equal(first(lr), second(lr))
    assert not torch.equal(first(lr), before)
    with torch.no_grad():
        for model in (first, second):
            for parameter in model.parameters():
                parameter.mul_(0.5)
    assert torch.equal(first(lr), second(lr))
