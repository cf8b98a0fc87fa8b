"""The baselines zoo: YCbCr edge, SRCNN, SRResNet, the SRGAN critic, losses, recipes and registration."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from srzoo_plugins.baselines.losses import CharbonnierLoss, MSELoss, PerceptualLoss, charbonnier_loss
from srzoo_plugins.baselines.srcnn import SRCNN
from srzoo_plugins.baselines.srgan_discriminator import SRGANDiscriminator
from srzoo_plugins.baselines.srresnet import SRResNet
from srzoo_plugins.baselines.ycbcr import merge_luma, rgb_to_y, rgb_to_ycbcr, ycbcr_to_rgb

import srzoo
from srzoo.errors import InputError, SrzooError

RECIPES = [
    "srcnn-x4",
    "srcnn-x8",
    "lapsrn-x2",
    "lapsrn-x4",
    "lapsrn-x8",
    "srresnet-x4",
    "srresnet-x8",
    "srgan-x4",
    "srgan-x8",
]


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# --------------------------------------------------------------------------- YCbCr


def test_ycbcr_matches_matlab_constants_and_skimage():
    from skimage.color import rgb2ycbcr

    white, black = torch.ones(1, 3, 1, 1), torch.zeros(1, 3, 1, 1)
    assert torch.allclose(rgb_to_ycbcr(white).flatten() * 255, torch.tensor([235.0, 128.0, 128.0]), atol=1e-4)
    assert torch.allclose(rgb_to_ycbcr(black).flatten() * 255, torch.tensor([16.0, 128.0, 128.0]), atol=1e-4)
    image = torch.rand(2, 3, 5, 7, dtype=torch.float64)
    reference = rgb2ycbcr(image.permute(0, 2, 3, 1).numpy()) / 255  # same BT.601 studio-swing constants
    np.testing.assert_allclose(rgb_to_ycbcr(image).permute(0, 2, 3, 1).numpy(), reference, atol=1e-12)
    assert torch.equal(rgb_to_y(image), rgb_to_ycbcr(image)[:, :1])


def test_ycbcr_roundtrip_and_merge():
    image = torch.rand(2, 3, 4, 6, dtype=torch.float64)
    ycbcr = rgb_to_ycbcr(image)
    assert torch.allclose(ycbcr_to_rgb(ycbcr), image, atol=1e-12)
    assert torch.allclose(merge_luma(ycbcr[:, :1], ycbcr[:, 1:]), image, atol=1e-12)
    # the luma of a merged image is exactly the given Y: what luma losses rely on
    y = torch.rand(2, 1, 4, 6, dtype=torch.float64)
    assert torch.allclose(rgb_to_y(merge_luma(y, ycbcr[:, 1:])), y, atol=1e-12)


def test_ycbcr_errors():
    with pytest.raises(
        InputError, match=r"image must be a YCbCr tensor of shape \(N, 3, H, W\), got \(1, 1, 2, 2\)"
    ):
        ycbcr_to_rgb(torch.rand(1, 1, 2, 2))
    with pytest.raises(InputError, match=r"image must have shape \(N, 3, H, W\) \(RGB\), got \(1, 4, 2, 2\)"):
        rgb_to_ycbcr(torch.rand(1, 4, 2, 2))
    with pytest.raises(InputError, match=r"y and chroma must have the same batch size and spatial size"):
        merge_luma(torch.rand(1, 1, 2, 2), torch.rand(1, 2, 2, 3))
    with pytest.raises(InputError, match=r"chroma must have shape \(N, 2, H, W\), got \(1, 3, 2, 2\)"):
        merge_luma(torch.rand(1, 1, 2, 2), torch.rand(1, 3, 2, 2))


# --------------------------------------------------------------------------- SRCNN


def test_srcnn_parameter_counts():
    # TPAMI 9-5-5, n1 = 64, n2 = 32, Y: 64·81+64 + 32·64·25+32 + 32·25+1 = 5,248 + 51,232 + 801
    assert _count(SRCNN()) == 57_281
    # ECCV 9-1-5 (the paper's "8,032 parameters" are its weights; +97 biases): 5,248 + 2,080 + 801
    assert _count(SRCNN(kernel_sizes=(9, 1, 5))) == 8_129
    # 9-5-5 on RGB: 3·64·81+64 + 51,232 + 3·32·25+3
    assert _count(SRCNN(channels="rgb")) == 15_616 + 51_232 + 2_403


def test_srcnn_y_channel_keeps_the_chroma_of_its_input():
    torch.manual_seed(0)
    model = SRCNN(filters=(8, 4)).eval()
    mr = torch.rand(2, 3, 11, 9)
    with torch.no_grad():
        out = model(mr)
        y = model.forward_planes(rgb_to_y(mr))
    assert out.shape == mr.shape
    assert torch.allclose(rgb_to_ycbcr(out)[:, 1:], rgb_to_ycbcr(mr)[:, 1:], atol=1e-5)
    assert torch.allclose(rgb_to_y(out), y, atol=1e-5)
    rgb = SRCNN(channels="rgb", filters=(8, 4))
    assert rgb(mr).shape == mr.shape


def test_srcnn_initialisation_and_errors():
    model = SRCNN()
    assert model.extract.weight.std().item() == pytest.approx(1e-3, rel=0.05)
    assert torch.count_nonzero(model.map.bias) == 0
    with pytest.raises(InputError, match=r"channels must be 'y' or 'rgb', got 'ycc'"):
        SRCNN(channels="ycc")
    with pytest.raises(InputError, match=r"kernel_sizes must be three odd positive integers"):
        SRCNN(kernel_sizes=(9, 4, 5))
    with pytest.raises(InputError, match=r"filters must be two positive integers"):
        SRCNN(filters=(64,))
    with pytest.raises(InputError, match=r"init must be 'paper' or 'he', got 'xavier'"):
        SRCNN(init="xavier")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"mr must have shape \(N, 3, H, W\) \(RGB\), got \(1, 1, 8, 8\)"):
        SRCNN()(torch.rand(1, 1, 8, 8))


def test_srcnn_he_initialisation():
    torch.manual_seed(0)
    model = SRCNN(init="he")
    # He-normal: std sqrt(2 / fan_in) before each ReLU (fan_in 1·9·9 and 64·5·5); the paper's last layer
    assert model.extract.weight.std().item() == pytest.approx((2 / 81) ** 0.5, rel=0.1)
    assert model.map.weight.std().item() == pytest.approx((2 / 1600) ** 0.5, rel=0.05)
    assert model.reconstruct.weight.std().item() == pytest.approx(1e-3, rel=0.1)
    assert all(torch.count_nonzero(conv.bias) == 0 for conv in (model.extract, model.map, model.reconstruct))
    assert "init='he'" in repr(model)


# --------------------------------------------------------------------------- SRResNet and its critic


def test_srresnet_parameter_counts():
    # head 9x9 3→64 + PReLU: 15,617; 16 blocks of 2·(64·64·9) + 2·128 (BN) + 1 (PReLU) = 73,985;
    # trunk end 36,864 + 128; per ×2 step 64·256·9+256 + 1 = 147,713; tail 9x9 64→3: 15,555
    trunk = 15_617 + 16 * 73_985 + 36_992 + 15_555
    assert _count(SRResNet(scale=2)) == trunk + 147_713 == 1_399_637
    assert _count(SRResNet(scale=4)) == trunk + 2 * 147_713 == 1_547_350
    assert _count(SRResNet(scale=8)) == trunk + 3 * 147_713 == 1_695_063


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_srresnet_odd_sizes(scale):
    model = SRResNet(scale=scale, num_blocks=1, features=8).eval()
    assert model(torch.rand(2, 3, 5, 3)).shape == (2, 3, 5 * scale, 3 * scale)


def test_srresnet_errors():
    with pytest.raises(InputError, match=r"powers of two; scale must be 2, 4 or 8, got 3"):
        SRResNet(scale=3)
    with pytest.raises(InputError, match=r"num_blocks must be a positive integer, got 0"):
        SRResNet(num_blocks=0)


def test_srgan_discriminator():
    critic = SRGANDiscriminator()
    convs = 1_792 + 36_864 + 73_728 + 147_456 + 294_912 + 589_824 + 1_179_648 + 2_359_296
    norms = 2 * (64 + 128 + 128 + 256 + 256 + 512 + 512)
    dense = 512 * 6 * 6 * 1024 + 1024 + 1024 + 1
    assert _count(critic) == convs + norms + dense == 23_563_649
    assert critic(torch.rand(2, 3, 96, 96)).shape == (2, 1)
    small = SRGANDiscriminator(features=8, patch_size=32, hidden=16).eval()
    assert small(torch.rand(1, 3, 45, 37)).shape == (1, 1)  # any size: pooled to the 96-patch map
    with pytest.raises(InputError, match=r"patch_size must be a positive multiple of 16"):
        SRGANDiscriminator(patch_size=100)
    with pytest.raises(
        InputError, match=r"image must have shape \(N, 3, H, W\) \(RGB\), got \(1, 1, 96, 96\)"
    ):
        critic(torch.rand(1, 1, 96, 96))


# --------------------------------------------------------------------------- losses


def test_charbonnier_values_and_gradient():
    assert charbonnier_loss(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 2, 2)).item() == pytest.approx(1e-3)
    prediction = torch.tensor([[[[0.3, -0.4]]]])
    expected = (np.sqrt(0.09 + 1e-6) + np.sqrt(0.16 + 1e-6)) / 2
    assert charbonnier_loss(prediction, torch.zeros_like(prediction)).item() == pytest.approx(
        expected, rel=1e-6
    )
    x = torch.rand(1, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    y = torch.rand(1, 2, 3, 3, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a: charbonnier_loss(a, y), (x,))
    with pytest.raises(InputError, match=r"prediction and target must have the same shape"):
        charbonnier_loss(torch.rand(1, 1, 2, 2), torch.rand(1, 1, 2, 3))
    with pytest.raises(InputError, match=r"eps must be positive, got 0"):
        CharbonnierLoss(eps=0)


def test_pixel_losses_on_the_luma():
    prediction, target = torch.rand(2, 3, 4, 4), torch.rand(2, 3, 4, 4)
    assert MSELoss()(prediction, target) == pytest.approx(((prediction - target) ** 2).mean().item())
    luma = ((rgb_to_y(prediction) - rgb_to_y(target)) ** 2).mean().item()
    assert MSELoss(channel="y")(prediction, target).item() == pytest.approx(luma, rel=1e-6)
    luma_charbonnier = charbonnier_loss(rgb_to_y(prediction), rgb_to_y(target)).item()
    assert CharbonnierLoss(channel="y")(prediction, target).item() == pytest.approx(
        luma_charbonnier, rel=1e-6
    )
    with pytest.raises(InputError, match=r"channel must be 'rgb' .* or 'y'"):
        MSELoss(channel="cb")
    with pytest.raises(
        InputError, match=r"prediction must have shape \(N, 3, H, W\) \(RGB\), got \(1, 1, 2, 2\)"
    ):
        MSELoss(channel="y")(torch.rand(1, 1, 2, 2), torch.rand(1, 1, 2, 2))


def test_perceptual_loss_with_random_weights():
    torch.manual_seed(0)
    loss = srzoo.create("loss", "perceptual", weights=None)  # vgg19, φ5,4
    assert loss.backbone.feature_info.channels() == [512]
    assert _count(loss) == 20_024_384 and not any(p.requires_grad for p in loss.parameters())
    target = torch.rand(1, 3, 32, 32)
    prediction = target.clone().requires_grad_(True)
    assert loss(prediction, target).item() == 0.0
    value = loss(torch.rand(1, 3, 32, 32, requires_grad=True), target)
    value.backward()
    assert value.item() > 0
    loss.train()
    assert not loss.backbone.training


def test_perceptual_loss_reads_local_files_only(tmp_path):
    import timm
    from safetensors.torch import save_file

    full = timm.create_model("vgg11", pretrained=False)
    save_file({k: v.contiguous() for k, v in full.state_dict().items()}, str(tmp_path / "vgg11.safetensors"))
    loss = PerceptualLoss(backbone="vgg11", layer=1, weights=tmp_path / "vgg11.safetensors")
    assert torch.equal(loss.backbone.features_0.weight, full.features[0].weight)
    with pytest.raises(InputError, match=r"no such file; pass a local vgg11 checkpoint"):
        PerceptualLoss(backbone="vgg11", weights=tmp_path / "missing.pth")
    with pytest.raises(InputError, match=r"unknown timm backbone 'vgg99'"):
        PerceptualLoss(backbone="vgg99", weights=None)


def test_perceptual_loss_never_downloads(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))  # an empty cache
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(
        SrzooError, match=r"no vgg11 weights \(timm/vgg11.tv_in1k\) in the local Hugging Face cache"
    ):
        PerceptualLoss(backbone="vgg11", layer=1)


# --------------------------------------------------------------------------- recipes and registration


@pytest.mark.parametrize("name", RECIPES)
def test_recipes_map_odd_and_tiny_sizes(name):
    model = srzoo.build(name)
    s = model.scale
    with torch.no_grad():
        for h, w in [(5, 3), (1, 1), (2, 1)]:
            out = model(torch.rand(1, 3, h, w))
            assert out.shape == (1, 3, h * s, w * s)
            assert 0.0 <= out.min() and out.max() <= 1.0


def test_recipe_parameter_counts():
    counts = {name: _count(srzoo.build(name)) for name in RECIPES}
    assert counts == {
        "srcnn-x4": 57_281,
        "srcnn-x8": 57_281,
        "lapsrn-x2": 407_441,
        "lapsrn-x4": 814_242,
        "lapsrn-x8": 667_123,
        "srresnet-x4": 1_547_350,
        "srresnet-x8": 1_695_063,
        "srgan-x4": 1_547_350,
        "srgan-x8": 1_695_063,
    }


def test_recipes_record_the_papers_training():
    srcnn = srzoo.get_recipe("srcnn-x4").train
    assert (srcnn.optimizer.name, srcnn.optimizer.lr, srcnn.optimizer.momentum) == ("sgd", 1e-4, 0.9)
    assert [(t.component, dict(t.args)) for t in srcnn.losses] == [("mse", {"channel": "y"})]
    lapsrn = srzoo.get_recipe("lapsrn-x8").train
    assert (lapsrn.batch_size, lapsrn.patch_size) == (64, 128)
    assert (
        lapsrn.optimizer.name,
        lapsrn.optimizer.lr,
        lapsrn.optimizer.momentum,
        lapsrn.optimizer.weight_decay,
    ) == (
        "sgd",
        1e-5,
        0.9,
        1e-4,
    )
    assert (lapsrn.schedule.name, lapsrn.schedule.step_epochs, lapsrn.schedule.gamma) == ("step", 50, 0.5)
    assert lapsrn.losses[0].component == "charbonnier" and lapsrn.losses[0].args["eps"] == 1e-3
    srresnet = srzoo.get_recipe("srresnet-x4").train
    assert (srresnet.batch_size, srresnet.patch_size, srresnet.optimizer.name, srresnet.optimizer.lr) == (
        16,
        96,
        "adam",
        1e-4,
    )
    assert srresnet.optimizer.betas[0] == 0.9 and srresnet.losses[0].component == "mse"
    srgan = srzoo.get_recipe("srgan-x4")
    assert srgan.node("sr").args == srzoo.get_recipe("srresnet-x4").node("sr").args
    assert [(c.name, c.component, c.judges) for c in srgan.train.critics] == [("d", "srgan", "sr")]
    terms = {t.component: t for t in srgan.train.losses}
    assert terms["perceptual"].weight == 1.0 and terms["perceptual"].args["feature_scale"] == pytest.approx(
        1 / 12.75
    )
    assert terms["gan"].weight == 1e-3 and terms["gan"].critic == "d"
    assert srgan.train.critic_optimizer.lr == 1e-4


@pytest.mark.parametrize("name", RECIPES)
def test_recipes_name_registered_components(name):
    recipe = srzoo.get_recipe(name)
    assert recipe.paper and recipe.license and recipe.description
    for node in recipe.nodes:
        srzoo.describe(node.kind, node.component)
    for term in recipe.train.losses:
        srzoo.describe("loss", term.component)
    for critic in recipe.train.critics:
        srzoo.describe("discriminator", critic.component)


def test_registration_metadata():
    for kind, name in [
        ("generator", "srcnn"),
        ("generator", "lapsrn"),
        ("generator", "srresnet"),
        ("discriminator", "srgan"),
    ]:
        entry = srzoo.describe(kind, name)
        examples = entry.metadata.examples
        network = srzoo.create(kind, name, **examples.args)
        assert network(torch.rand(examples.input)).shape == examples.output
    assert srzoo.describe("generator", "lapsrn").metadata.converters == {
        ".mat": "srzoo_plugins.baselines.lapsrn_matconvnet:convert"
    }


def test_plugin_module_imports_no_torch():
    code = "import sys, srzoo_plugins.baselines; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.gpu
@pytest.mark.parametrize("name", RECIPES)
def test_recipes_on_cuda_match_cpu_and_run_in_half(name, monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    torch.manual_seed(0)
    model = srzoo.build(name)
    lr = torch.rand(2, 3, 17, 13)
    with torch.no_grad():
        cpu = model(lr)
        model.cuda()
        gpu = model(lr.cuda())
        assert gpu.device.type == "cuda"
        assert torch.allclose(gpu.cpu(), cpu, atol=1e-4)
        half = model.half()(lr.cuda().half())
    assert half.dtype == torch.float16 and bool(torch.isfinite(half).all())
    assert (half.float() - gpu).abs().max().item() < 3e-2


@pytest.mark.parametrize("name", ["srcnn-x4", "lapsrn-x2", "srresnet-x4", "srgan-x4"])
def test_recipe_losses_and_critics_accept_their_recorded_arguments(name):
    recipe = srzoo.get_recipe(name)
    torch.manual_seed(0)
    sr = torch.rand(2, 3, 96, 96, requires_grad=True)
    hr = torch.rand(2, 3, 96, 96)
    critics = {
        c.name: srzoo.create("discriminator", c.component, **dict(c.args)) for c in recipe.train.critics
    }
    total = torch.zeros(())
    for term in recipe.train.losses:
        args = dict(term.args)
        if term.component == "perceptual":
            args["weights"] = None  # the recipe reads VGG19 from timm's local cache; tests use random weights
        loss = srzoo.create("loss", term.component, **args)
        if term.critic is not None:
            value = loss(critics[term.critic](sr), True, for_discriminator=False)
        else:
            value = loss(sr, hr)
        assert value.ndim == 0 and torch.isfinite(value)
        total = total + term.weight * value
    total.backward()
    assert sr.grad is not None and sr.grad.abs().sum() > 0
