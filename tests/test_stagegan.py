"""Stage-GAN's networks, losses and recipes (DESIGN §5)."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from srzoo_plugins.stagegan.init import init_weights
from srzoo_plugins.stagegan.losses import GANLoss, L1Loss, gan_loss, l1_loss
from srzoo_plugins.stagegan.patchgan import PatchGAN, patchgan_output_size
from srzoo_plugins.stagegan.resnet_refiner import ResNetRefiner
from srzoo_plugins.stagegan.unet import UNetGenerator
from torch import nn

import srzoo
from srzoo.errors import InputError, SrzooError
from srzoo.model.graph import analyse
from srzoo.model.imageops import pad_to_multiple

RECIPES = ("stagegan-x4", "stagegan-x8", "stagegan-x4-nosem", "stagegan-x8-nosem")
# a tiny but structurally identical Stage-GAN for fast graph tests (same scale and input multiple)
TINY = {"sem": {"ngf": 4}, "s2": {"ngf": 4}, "sr": {"ngf": 4, "n_blocks": 1}}
TINY_NOSEM = {"s2": {"ngf": 4}, "sr": {"ngf": 4, "n_blocks": 1}}


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def tiny(name: str) -> srzoo.SRModel:
    return srzoo.build(name, **(TINY_NOSEM if name.endswith("nosem") else TINY))


# --------------------------------------------------------------------------- exact sizes (DESIGN §5)


@pytest.mark.parametrize(
    ("kind", "name", "kwargs", "expected"),
    [
        ("generator", "unet", {"in_channels": 3, "out_channels": 3, "num_downs": 8, "ngf": 64}, 54_413_955),
        ("generator", "unet", {"in_channels": 6, "out_channels": 3, "num_downs": 8, "ngf": 64}, 54_417_027),
        ("generator", "resnet-refiner", {"ngf": 64, "n_blocks": 9}, 11_383_427),
        ("discriminator", "patchgan", {"in_channels": 6}, 2_768_705),
        ("discriminator", "patchgan", {"in_channels": 9}, 2_771_777),
    ],
    ids=["G0", "G1", "G2", "D0-D2", "D1"],
)
def test_parameter_counts_match_the_paper(kind: str, name: str, kwargs: dict, expected: int) -> None:
    assert n_params(srzoo.create(kind, name, **kwargs)) == expected


def test_recipe_networks_have_the_paper_sizes() -> None:
    recipe = srzoo.get_recipe("stagegan-x8")
    sizes = {
        node.name: n_params(srzoo.create(node.kind, node.component, **node.args)) for node in recipe.nodes[1:]
    }
    assert sizes == {"sem": 54_413_955, "s2": 54_417_027, "sr": 11_383_427}
    critics = {
        c.name: n_params(srzoo.create("discriminator", c.component, **c.args)) for c in recipe.train.critics
    }
    assert critics == {"d0": 2_768_705, "d1": 2_771_777, "d2": 2_768_705}


def test_no_conv_bias_before_batchnorm() -> None:
    for net in (
        UNetGenerator(6, 3, num_downs=5, ngf=4),
        ResNetRefiner(ngf=4, n_blocks=2),
        PatchGAN(9, ndf=4),
    ):
        modules = [m for m in net.modules() if not isinstance(m, (nn.Sequential, nn.ModuleList))][1:]
        for before, after in itertools.pairwise(modules):
            if isinstance(after, nn.BatchNorm2d):
                assert isinstance(before, (nn.Conv2d, nn.ConvTranspose2d)) and before.bias is None


# --------------------------------------------------------------------------- shapes


def test_patchgan_gives_30x30_logits_at_256() -> None:
    d = PatchGAN(9).eval()
    with torch.no_grad():
        assert d(torch.zeros(2, 9, 256, 256)).shape == (2, 1, 30, 30)
    assert patchgan_output_size(256) == 30
    assert [patchgan_output_size(s) for s in (24, 64, 70)] == [1, 6, 6]


def test_patchgan_receptive_field_is_70() -> None:
    d = PatchGAN(3, ndf=4).eval()
    init_weights(d)
    x = torch.zeros(1, 3, 128, 128, requires_grad=True)
    d(x)[0, 0, 5, 5].backward()
    rows = x.grad.abs().sum(dim=(0, 1, 3)).nonzero().flatten()
    cols = x.grad.abs().sum(dim=(0, 1, 2)).nonzero().flatten()
    assert int(rows.max() - rows.min()) + 1 == 70
    assert int(cols.max() - cols.min()) + 1 == 70


@pytest.mark.parametrize("norm", ["batch", "instance", "none"])
def test_unet_shapes_and_range(norm: str) -> None:
    g = UNetGenerator(6, 3, num_downs=5, ngf=4, norm=norm).eval()
    out = g(torch.randn(2, 6, 32, 64))
    assert out.shape == (2, 3, 32, 64)
    assert out.abs().max() <= 1.0


def test_unet_bottleneck_is_1x1_at_256() -> None:
    g = UNetGenerator(3, 3, num_downs=8, ngf=2).eval()
    sizes = []
    g.down[-1].register_forward_hook(lambda m, i, o: sizes.append(tuple(o.shape[-2:])))
    g(torch.zeros(1, 3, 256, 256))
    assert sizes == [(1, 1)]
    assert g.input_multiple == 256


@pytest.mark.parametrize("norm", ["batch", "instance", "none"])
def test_resnet_refiner_shapes(norm: str) -> None:
    g = ResNetRefiner(ngf=4, n_blocks=2, norm=norm).eval()
    assert g(torch.randn(1, 3, 8, 20)).shape == (1, 3, 8, 20)


def test_instance_and_no_norm_keep_conv_biases() -> None:
    batch, inst = (
        UNetGenerator(3, 3, num_downs=3, ngf=4),
        UNetGenerator(3, 3, num_downs=3, ngf=4, norm="instance"),
    )
    assert all(m.bias is not None for m in inst.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)))
    assert not any(isinstance(m, nn.BatchNorm2d) for m in inst.modules())
    bn_affine = 2 * (8 + 8 + 4)  # BatchNorm after down 1 (8), up 0 (8), up 1 (4)
    conv_biases = (4 + 8 + 16) + (8 + 4)  # every conv except the outermost up (biased in both)
    assert n_params(inst) == n_params(batch) - bn_affine + conv_biases


# --------------------------------------------------------------------------- input checks


def test_unet_rejects_bad_inputs() -> None:
    g = UNetGenerator(6, 3, num_downs=3, ngf=4)
    with pytest.raises(InputError, match=r"unet: input must have 6 channels, got shape \(1, 3, 8, 8\)"):
        g(torch.zeros(1, 3, 8, 8))
    with pytest.raises(
        InputError, match=r"unet: input height and width must be positive multiples of 8, got 8x12; pad"
    ):
        g(torch.zeros(1, 6, 8, 12))
    with pytest.raises(
        InputError, match=r"unet: input must be a tensor of shape \(N, C, H, W\), got \(6, 8, 8\)"
    ):
        g(torch.zeros(6, 8, 8))


@pytest.mark.parametrize(
    ("factory", "kwargs", "message"),
    [
        (UNetGenerator, {"norm": "layer"}, r"norm must be one of 'batch', 'instance', 'none', got 'layer'"),
        (UNetGenerator, {"num_downs": 1}, r"unet: num_downs must be an integer >= 2, got 1"),
        (UNetGenerator, {"dropout": 1.0}, r"dropout probability must be in \[0, 1\), got 1.0"),
        (ResNetRefiner, {"n_blocks": -1}, r"resnet-refiner: n_blocks must be an integer >= 0, got -1"),
        (PatchGAN, {"in_channels": 0}, r"patchgan: in_channels must be an integer >= 1, got 0"),
        (PatchGAN, {"norm": "group"}, r"norm must be one of 'batch', 'instance', 'none', got 'group'"),
        (
            UNetGenerator,
            {"upsample": "bilinear"},
            r"upsample must be one of 'deconv', 'resize', got 'bilinear'",
        ),
        (
            ResNetRefiner,
            {"upsample": "pixelshuffle"},
            r"upsample must be one of 'deconv', 'resize', got 'pixelshuffle'",
        ),
    ],
)
def test_constructor_errors(factory, kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        factory(**kwargs)


def _convs(net: nn.Module) -> tuple[int, int]:
    """(transposed convolutions, plain convolutions) in ``net``."""
    modules = list(net.modules())
    return sum(isinstance(m, nn.ConvTranspose2d) for m in modules), sum(type(m) is nn.Conv2d for m in modules)


def test_resize_upsampling_replaces_every_transposed_convolution() -> None:
    unet, refiner = UNetGenerator(ngf=4), ResNetRefiner(ngf=4, n_blocks=1)
    assert _convs(unet) == (8, 8) and _convs(refiner) == (2, 6)  # the paper's: one ConvT per x2 step
    unet_r, refiner_r = (
        UNetGenerator(ngf=4, upsample="resize"),
        ResNetRefiner(ngf=4, n_blocks=1, upsample="resize"),
    )
    assert _convs(unet_r) == (0, 16) and _convs(refiner_r) == (0, 8)
    x = torch.rand(2, 3, 256, 256) * 2 - 1
    for net in (unet_r.eval(), refiner_r.eval()):
        y = net(x)
        assert y.shape == x.shape and y.abs().max() <= 1


def test_resize_upsampling_leaves_no_checkerboard_on_a_flat_input() -> None:
    """A constant input through a stride-2 transposed convolution with constant weights comes out
    with a period-2 pattern (pixels receive 1 or 2 kernel taps per axis); resize-convolution does not."""
    flat = torch.ones(1, 3, 64, 64)

    def period2_spread(net: ResNetRefiner) -> float:
        for m in net.modules():
            if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
                nn.init.constant_(m.weight, 0.01)
        inner = net.eval().up(net.blocks(net.down(net.stem(flat))))[..., 8:-8, 8:-8]  # away from the borders
        phases = torch.stack([inner[..., i::2, j::2].mean() for i in (0, 1) for j in (0, 1)])
        return float(phases.max() - phases.min())

    assert period2_spread(ResNetRefiner(ngf=4, n_blocks=0, norm="none")) > 1e-3
    assert period2_spread(ResNetRefiner(ngf=4, n_blocks=0, norm="none", upsample="resize")) < 1e-6


def test_resize_upsampling_is_set_per_node_from_a_recipe() -> None:
    resize = {"upsample": "resize"}
    model = srzoo.build("stagegan-x8-small", sem=resize, s2=resize, sr=resize)
    assert sum(isinstance(m, nn.ConvTranspose2d) for m in model.modules()) == 0
    assert model(torch.rand(1, 3, 32, 32)).shape == (1, 3, 256, 256)


def test_refiner_and_patchgan_reject_bad_inputs() -> None:
    g = ResNetRefiner(ngf=2, n_blocks=1)
    with pytest.raises(
        InputError, match=r"resnet-refiner: input height and width must be positive multiples of 4, got 8x10"
    ):
        g(torch.zeros(1, 3, 8, 10))
    with pytest.raises(
        InputError, match=r"resnet-refiner: input height and width must be at least 8, got 4x8"
    ):
        g(torch.zeros(1, 3, 4, 8))
    d = PatchGAN(6, ndf=2)
    with pytest.raises(
        InputError,
        match=r"patchgan: input must have 6 channels \(\[condition, image\] concatenated\), got shape \(1, 3, 32, 32\)",
    ):
        d(torch.zeros(1, 3, 32, 32))
    with pytest.raises(InputError, match=r"patchgan: input height and width must be at least 24, got 16x32"):
        d(torch.zeros(1, 6, 16, 32))


def test_create_names_unknown_arguments() -> None:
    with pytest.raises(SrzooError, match=r"generator 'unet' has no argument 'ngf_'"):
        srzoo.create("generator", "unet", ngf_=3)


# --------------------------------------------------------------------------- dropout and init


def test_dropout_sits_in_the_three_innermost_decoder_blocks() -> None:
    g = UNetGenerator(3, 3, num_downs=8, ngf=2)
    with_dropout = [i for i, up in enumerate(g.up) if any(m.__class__.__name__ == "NoiseDropout" for m in up)]
    assert with_dropout == [0, 1, 2]
    assert all(m.p == 0.5 for m in g.modules() if m.__class__.__name__ == "NoiseDropout")
    assert not any(
        m.__class__.__name__ == "NoiseDropout"
        for m in UNetGenerator(3, 3, num_downs=4, ngf=2, dropout=0).modules()
    )


def test_dropout_is_off_in_eval_by_default() -> None:
    torch.manual_seed(0)
    g = UNetGenerator(3, 3, num_downs=5, ngf=8).eval()
    x = torch.randn(1, 3, 32, 32)
    assert torch.equal(g(x), g(x))
    g.train()
    assert not torch.equal(g(x), g(x))  # training: dropout noise


def test_dropout_at_inference_keeps_the_noise() -> None:
    torch.manual_seed(0)
    g = UNetGenerator(3, 3, num_downs=5, ngf=8, dropout_at_inference=True).eval()
    x = torch.randn(1, 3, 32, 32)
    assert not torch.equal(g(x), g(x))
    # a wider init so that the bottleneck's noise is visible through a tiny network
    sem = {"ngf": 4, "init_std": 0.3, "dropout_at_inference": True}
    model = srzoo.build("stagegan-x8", sem=sem, s2={"ngf": 4}, sr={"ngf": 4, "n_blocks": 1})
    lr = torch.rand(1, 3, 4, 4)
    with torch.no_grad():
        first, second = model(lr, return_intermediates=True), model(lr, return_intermediates=True)
    assert torch.equal(first["mr"], second["mr"])
    assert not torch.equal(first["sem"], second["sem"])


def test_eval_model_is_deterministic() -> None:
    model = tiny("stagegan-x8")
    lr = torch.rand(1, 3, 4, 4)
    with torch.no_grad():
        assert torch.equal(model(lr), model(lr))


def test_init_statistics_follow_pix2pix() -> None:
    torch.manual_seed(0)
    g = UNetGenerator(3, 3, num_downs=8, ngf=64)
    conv = torch.cat(
        [m.weight.flatten() for m in g.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    )
    bn_w = torch.cat([m.weight for m in g.modules() if isinstance(m, nn.BatchNorm2d)])
    biases = torch.cat([m.bias for m in g.modules() if getattr(m, "bias", None) is not None])
    assert abs(conv.mean().item()) < 1e-4
    assert conv.std().item() == pytest.approx(0.02, rel=2e-3)
    assert bn_w.mean().item() == pytest.approx(1.0, abs=2e-3)
    assert bn_w.std().item() == pytest.approx(0.02, rel=0.1)
    assert biases.abs().max().item() == 0.0


def test_init_weights_applies_to_every_network() -> None:
    torch.manual_seed(1)
    for net in (ResNetRefiner(ngf=16, n_blocks=2), PatchGAN(6, ndf=16)):
        w = torch.cat(
            [m.weight.flatten() for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
        )
        assert w.std().item() == pytest.approx(0.02, rel=0.02)
    net = init_weights(nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Linear(4, 4)), std=0.5)
    assert net[0].weight.std().item() == pytest.approx(0.5, rel=0.2)
    assert net[1].bias.abs().max().item() == 0.0 and net[2].bias.abs().max().item() == 0.0


# --------------------------------------------------------------------------- losses


def test_gan_loss_values() -> None:
    z = torch.zeros(1, 1, 30, 30)
    assert gan_loss(z, True).item() == pytest.approx(math.log(2))
    x = torch.tensor([[2.0, -1.0]])
    bce_real = (math.log1p(math.exp(-2.0)) + math.log1p(math.exp(1.0))) / 2
    bce_fake = (math.log1p(math.exp(2.0)) + math.log1p(math.exp(-1.0))) / 2
    assert gan_loss(x, True).item() == pytest.approx(bce_real, rel=1e-6)
    assert gan_loss(x, False).item() == pytest.approx(bce_fake, rel=1e-6)
    # the vanilla generator side is the same call
    assert gan_loss(x, True, for_discriminator=False).item() == pytest.approx(bce_real, rel=1e-6)
    assert gan_loss(x, True, "lsgan").item() == pytest.approx(((2 - 1) ** 2 + (-1 - 1) ** 2) / 2)
    assert gan_loss(x, False, "lsgan").item() == pytest.approx((4 + 1) / 2)
    assert gan_loss(x, True, "hinge").item() == pytest.approx((0 + 2) / 2)
    assert gan_loss(x, False, "hinge").item() == pytest.approx((3 + 0) / 2)
    assert gan_loss(x, True, "hinge", for_discriminator=False).item() == pytest.approx(-0.5)
    assert GANLoss("lsgan")(x, True).item() == gan_loss(x, True, "lsgan").item()


def test_gan_and_l1_loss_errors() -> None:
    with pytest.raises(
        InputError, match=r"gan loss: mode must be one of 'vanilla', 'lsgan', 'hinge', got 'wgan'"
    ):
        GANLoss("wgan")
    with pytest.raises(InputError, match=r"gan loss: target_is_real must be True or False, got 1"):
        gan_loss(torch.zeros(2), 1)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"hinge generator loss pushes towards real"):
        gan_loss(torch.zeros(2), False, "hinge", for_discriminator=False)
    with pytest.raises(
        InputError,
        match=r"l1 loss: prediction and target must have the same shape, got \(1, 3\) and \(1, 4\)",
    ):
        l1_loss(torch.zeros(1, 3), torch.zeros(1, 4))


def test_l1_loss_value() -> None:
    a, b = torch.tensor([0.0, 1.0, -2.0, 0.5]), torch.tensor([1.0, 1.0, 2.0, 0.0])
    assert L1Loss()(a, b).item() == pytest.approx((1 + 0 + 4 + 0.5) / 4)


# --------------------------------------------------------------------------- recipes


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_metadata_and_contract(name: str) -> None:
    recipe = srzoo.get_recipe(name)
    assert recipe.value_range == (-1.0, 1.0)
    assert recipe.input_multiple is None  # derived from the U-Nets' num_downs
    assert analyse(recipe).input_multiple * recipe.scale == 256
    assert recipe.output == "sr"
    assert "Wei" in recipe.paper and "Stage-GAN" in recipe.paper and recipe.license.startswith("MIT")
    mr = recipe.node("mr")
    assert (mr.kind, mr.component, dict(mr.args)) == (
        "degradation",
        "bicubic",
        {"scale": recipe.scale, "direction": "up"},
    )
    t = recipe.train
    assert (t.dataset, t.batch_size, t.epochs) == ("facades", 1, 200)
    for opt in (t.optimizer, t.critic_optimizer):
        assert (opt.name, opt.lr, opt.betas) == ("adam", 2e-4, (0.5, 0.999))
    assert (t.schedule.name, t.schedule.constant_epochs, t.schedule.decay_epochs) == (
        "linear-decay",
        100,
        100,
    )
    # each critic sees [condition, judged image]: 3 channels per image
    for critic in t.critics:
        assert critic.args["in_channels"] == 3 * (len(critic.condition) + 1)
        terms = {(term.component, term.weight) for term in t.losses if term.node == critic.judges}
        assert terms == {("gan", 1.0), ("l1", 100.0)}


def test_recipe_graphs() -> None:
    full, nosem = srzoo.get_recipe("stagegan-x8"), srzoo.get_recipe("stagegan-x8-nosem")
    assert [(n.name, n.component, n.inputs) for n in full.nodes] == [
        ("mr", "bicubic", ("lr",)),
        ("sem", "unet", ("mr",)),
        ("s2", "unet", ("mr", "sem")),
        ("sr", "resnet-refiner", ("s2",)),
    ]
    assert {(c.name, c.judges, c.target, c.condition) for c in full.train.critics} == {
        ("d0", "sem", "semantic", ("mr",)),
        ("d1", "s2", "hr", ("mr", "sem")),
        ("d2", "sr", "hr", ("s2",)),
    }
    assert [(n.name, n.inputs, n.args.get("in_channels")) for n in nosem.nodes] == [
        ("mr", ("lr",), None),
        ("s2", ("mr",), 3),
        ("sr", ("s2",), 3),
    ]
    assert {(c.name, c.condition, c.args["in_channels"]) for c in nosem.train.critics} == {
        ("d1", ("mr",), 6),
        ("d2", ("s2",), 6),
    }


@pytest.mark.parametrize("name", RECIPES)
@pytest.mark.parametrize("size", [(5, 7), (33, 40), (1, 1)])
def test_any_lr_size_works(name: str, size: tuple[int, int]) -> None:
    model = tiny(name)
    s = model.scale
    with torch.no_grad():
        out = model(torch.rand(1, 3, *size))
    assert out.shape == (1, 3, size[0] * s, size[1] * s)
    assert 0.0 <= out.min() and out.max() <= 1.0


@pytest.mark.parametrize("name", ["stagegan-x4", "stagegan-x8-nosem"])
def test_intermediates_for_figures(name: str) -> None:
    model = tiny(name)
    lr = torch.rand(2, 3, 5, 7)
    with torch.no_grad():
        out = model(lr, return_intermediates=True)
    s = model.scale
    expected = (
        ["mr", "sem", "s2", "sr"] if "sem" in [n.name for n in model.recipe.nodes] else ["mr", "s2", "sr"]
    )
    assert list(out) == expected
    assert all(v.shape == (2, 3, 5 * s, 7 * s) for v in out.values())
    # mr is the bicubic upsampling of the (padded) LR, cropped, in [0, 1]
    up = srzoo.create("degradation", "bicubic", scale=s, direction="up")
    padded, _ = pad_to_multiple(lr, model.input_multiple, model.recipe.pad_mode)
    mr = (up(padded * 2 - 1)[..., : 5 * s, : 7 * s] + 1) / 2
    torch.testing.assert_close(out["mr"], mr.clamp(0, 1), atol=1e-6, rtol=0)
    with torch.no_grad():
        assert torch.equal(out["sr"], model(lr))


def test_tiling_matches_shape_and_whole_image_inside() -> None:
    model = tiny("stagegan-x8")
    lr = torch.rand(1, 3, 40, 70)
    with torch.no_grad():
        tiled = model(lr, tile=32, tile_overlap=8)
    assert tiled.shape == (1, 3, 320, 560)
    assert 0.0 <= tiled.min() and tiled.max() <= 1.0


def test_full_size_stagegan_x8_forward_at_256() -> None:
    torch.manual_seed(0)
    model = srzoo.build("stagegan-x8")
    assert n_params(model) == 54_413_955 + 54_417_027 + 11_383_427
    with torch.no_grad():
        out = model(torch.rand(1, 3, 32, 32), return_intermediates=True)
    assert {k: tuple(v.shape) for k, v in out.items()} == {
        k: (1, 3, 256, 256) for k in ("mr", "sem", "s2", "sr")
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", RECIPES)
@pytest.mark.parametrize("size", [(5, 7), (33, 40)])
def test_full_size_recipes_any_size(name: str, size: tuple[int, int]) -> None:
    model = srzoo.build(name)
    with torch.no_grad():
        out = model(torch.rand(1, 3, *size))
    assert out.shape == (1, 3, size[0] * model.scale, size[1] * model.scale)


# --------------------------------------------------------------------------- one training step


def _ground_truth(outputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    ref = outputs["mr"]
    return {"hr": torch.rand_like(ref) * 2 - 1, "semantic": torch.rand_like(ref) * 2 - 1}


@pytest.mark.parametrize("name", ["stagegan-x8", "stagegan-x4-nosem"])
def test_one_training_step_reaches_every_parameter(name: str) -> None:
    torch.manual_seed(0)
    small_unet = {"ngf": 4, "num_downs": 5}
    overrides = {"s2": small_unet, "sr": {"ngf": 4, "n_blocks": 2}}
    if not name.endswith("nosem"):
        overrides["sem"] = small_unet
    model = srzoo.build(name, **overrides).train()
    recipe = model.recipe
    train = recipe.train
    critics = {
        c.name: srzoo.create("discriminator", c.component, **{**c.args, "ndf": 4}) for c in train.critics
    }
    losses = [(term, srzoo.create("loss", term.component, **term.args)) for term in train.losses]
    gan = {term.critic: fn for term, fn in losses if term.critic is not None}

    lr = torch.rand(2, 3, 32 // recipe.scale, 32 // recipe.scale) * 2 - 1
    outputs = model.run_graph(lr)
    truth = _ground_truth(outputs)

    def critic_input(critic, image: torch.Tensor) -> torch.Tensor:
        return torch.cat([*(outputs[n] for n in critic.condition), image], dim=1)

    # discriminator step: real → 1, fake (detached) → 0
    d_loss = sum(
        0.5
        * (
            gan[c.name](critics[c.name](critic_input(c, truth[c.target]).detach()), True)
            + gan[c.name](critics[c.name](critic_input(c, outputs[c.judges]).detach()), False)
        )
        for c in train.critics
    )
    d_loss.backward()
    # generator step: the recipe's weighted terms
    by_name = {c.name: c for c in train.critics}
    g_loss = 0.0
    for term, fn in losses:
        if term.critic is not None:
            c = by_name[term.critic]
            value = fn(critics[c.name](critic_input(c, outputs[term.node])), True, for_discriminator=False)
        else:
            value = fn(outputs[term.node], truth[term.target])
        g_loss = g_loss + term.weight * value
    g_loss.backward()

    networks = {**{n.name: model.stages[n.name] for n in recipe.nodes if n.kind == "generator"}, **critics}
    expected = {"sem", "s2", "sr", "d0", "d1", "d2"} if name == "stagegan-x8" else {"s2", "sr", "d1", "d2"}
    assert set(networks) == expected
    for net_name, net in networks.items():
        for pname, p in net.named_parameters():
            assert p.grad is not None, f"{net_name}.{pname} got no gradient"
            assert p.grad.abs().sum() > 0, f"{net_name}.{pname} got a zero gradient"
    assert torch.isfinite(torch.as_tensor(g_loss.item())) and torch.isfinite(d_loss.detach())
