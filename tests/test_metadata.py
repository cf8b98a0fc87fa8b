"""Typed component metadata, and what srzoo derives from it: input multiples, receptive fields and
channel checks, each held against the running networks."""

from __future__ import annotations

import math
import types

import pytest
import torch

import srzoo
from srzoo.errors import RecipeError, SrzooError
from srzoo.model.graph import analyse, resolved_args
from srzoo.recipe import parse_recipe

# --------------------------------------------------------------------------- measuring a receptive field


def _footprint_distance(indices: torch.Tensor, p: int, factor: float) -> int:
    """How far input pixel ``p`` is from the input pixels each output index lies over."""
    worst = 0
    for o in indices.tolist():
        lo, hi = math.floor(o / factor), math.ceil((o + 1) / factor) - 1
        worst = max(worst, lo - p, p - hi)
    return worst


def measured_radius(fn, shape: tuple[int, int], factor: float, offsets=range(4), channels: int = 3) -> int:
    """Perturb one input pixel of a random float64 image and see how far (per axis, measured from the
    input pixels each output pixel lies over) the output changes; the maximum over a few positions
    (a strided network reaches differently from each phase)."""
    generator = torch.Generator().manual_seed(0)
    x = 0.2 + 0.6 * torch.rand(1, channels, *shape, generator=generator, dtype=torch.float64)
    with torch.no_grad():
        y0 = fn(x)
        worst = 0
        for off in offsets:
            py, px = shape[0] // 2 + off, shape[1] // 2 + off
            x2 = x.clone()
            x2[..., py, px] += 0.1
            changed = (fn(x2) != y0).any(0).any(0)
            rows, cols = changed.any(1).nonzero().flatten(), changed.any(0).nonzero().flatten()
            worst = max(worst, _footprint_distance(rows, py, factor), _footprint_distance(cols, px, factor))
    return worst


def declared_radius(kind: str, name: str, args: dict) -> int | None:
    entry = srzoo.describe(kind, name)
    return entry.metadata.value("receptive_field", resolved_args(entry.load(), args))


def _tight(declared: int | None, measured: int) -> None:
    assert declared is not None and declared >= measured, (declared, measured)
    assert declared <= measured + max(2, measured // 5), (
        f"declared {declared} is far above measured {measured}"
    )


COMPONENT_CASES = [
    ("generator", "srcnn", {}, (41, 41), 1),
    ("generator", "srcnn", {"kernel_sizes": [9, 1, 5], "channels": "rgb"}, (31, 31), 1),
    ("generator", "lapsrn", {"scale": 2, "features": 4, "chroma": "torch-bicubic"}, (41, 41), 2),
    ("generator", "lapsrn", {"scale": 4, "features": 4}, (51, 51), 4),
    ("generator", "lapsrn", {"scale": 8, "features": 4}, (41, 41), 8),
    ("generator", "srresnet", {"scale": 4, "num_blocks": 16, "features": 4}, (9, 101), 4),
    ("generator", "srresnet", {"scale": 2, "num_blocks": 2, "features": 4}, (41, 41), 2),
    ("generator", "resnet-refiner", {"ngf": 8, "n_blocks": 2}, (64, 64), 1),
    ("degradation", "bicubic", {"scale": 4, "direction": "up"}, (21, 21), 4),
    ("degradation", "bicubic", {"scale": 3, "direction": "up"}, (21, 21), 3),
    ("degradation", "bicubic", {"scale": 4, "direction": "down"}, (80, 80), 0.25),
    ("degradation", "bicubic", {"scale": 2, "direction": "down", "antialias": False}, (40, 40), 0.5),
    ("degradation", "torch-bicubic", {"scale": 4, "direction": "up"}, (21, 21), 4),
    ("degradation", "torch-bilinear", {"scale": 2, "direction": "up"}, (21, 21), 2),
    ("degradation", "torch-nearest", {"scale": 4, "direction": "up"}, (21, 21), 4),
    ("degradation", "torch-bicubic", {"scale": 4, "direction": "down"}, (80, 80), 0.25),
    ("degradation", "torch-bilinear", {"scale": 4, "direction": "down"}, (80, 80), 0.25),
    ("degradation", "torch-nearest", {"scale": 2, "direction": "down"}, (40, 40), 0.5),
]


@pytest.mark.parametrize(
    ("kind", "name", "args", "shape", "factor"),
    COMPONENT_CASES,
    ids=[f"{c[1]}-{i}" for i, c in enumerate(COMPONENT_CASES)],
)
def test_receptive_field_metadata_matches_the_network(kind, name, args, shape, factor):
    torch.manual_seed(0)
    component = srzoo.create(kind, name, **args)
    if isinstance(component, torch.nn.Module):
        component = component.eval().double()
    _tight(declared_radius(kind, name, args), measured_radius(component, shape, factor))


@pytest.mark.slow
def test_receptive_field_of_the_paper_sized_refiner():
    torch.manual_seed(0)
    refiner = srzoo.create("generator", "resnet-refiner", ngf=4, n_blocks=9).eval().double()
    _tight(
        declared_radius("generator", "resnet-refiner", {"n_blocks": 9}), measured_radius(refiner, (8, 200), 1)
    )


def test_unet_reach_is_unbounded():
    assert declared_radius("generator", "unet", {}) is None
    torch.manual_seed(0)
    unet = srzoo.create("generator", "unet", num_downs=5, ngf=4).eval().double()
    x = torch.rand(1, 3, 32, 32, dtype=torch.float64) * 2 - 1  # the U-Net's [-1, 1]
    x2 = x.clone()
    x2[..., 0, 0] += 0.5
    with torch.no_grad():
        changed = (unet(x2) != unet(x)).any(1)[0]
    assert changed[-1, -1] and changed.float().mean() > 0.99  # a corner pixel reaches the opposite corner


def test_every_builtin_generator_and_degradation_declares_its_geometry():
    from srzoo.registry import loader as _plugins

    # U-Nets see their whole input; random resizes (alone or in chains) have no fixed footprint
    unbounded = {"unet", "resize", "chain", "realesrgan", "spandrel-swinir"}
    plugins = _plugins.state().plugins
    for kind in ("generator", "degradation"):
        for name in srzoo.list_components(kind):
            entry = srzoo.describe(kind, name)
            if not plugins[entry.plugin].value.startswith("srzoo_plugins."):
                continue  # only srzoo's own plugins are held to this
            info = entry.metadata
            assert info.upscale is not None, name
            assert (info.receptive_field is None) == (name in unbounded), name
            assert info.out_channels is not None, name


@pytest.mark.parametrize(
    ("recipe", "overrides", "shape"),
    [
        ("bicubic-x4", {}, (15, 15)),
        ("srcnn-x4", {}, (15, 15)),
        ("lapsrn-x4", {"sr.features": 4}, (41, 41)),
        ("srresnet-x4", {"sr.features": 4, "sr.num_blocks": 4}, (9, 41)),
    ],
)
def test_model_receptive_field_matches_the_model(recipe, overrides, shape):
    torch.manual_seed(0)
    model = srzoo.build(recipe, **overrides).double()
    graph = lambda x: model.run_graph(x)["sr"]
    _tight(model.receptive_field, measured_radius(graph, shape, model.scale))


def test_stagegan_receptive_field_is_unbounded_and_multiple_derived():
    for name in ("stagegan-x4", "stagegan-x8-nosem"):
        layout = analyse(srzoo.get_recipe(name))
        assert layout.receptive_field is None
        assert layout.input_multiple * srzoo.get_recipe(name).scale == 256


# --------------------------------------------------------------------------- registration


def _register(throwaway_plugin, **metadata):
    @srzoo.hookimpl
    def srzoo_register_generators(register):
        register("meta-net", lambda: torch.nn.Identity(), **metadata)

    name = throwaway_plugin(
        types.SimpleNamespace(srzoo_register_generators=srzoo_register_generators), "meta"
    )
    return name


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (
            {"colour": "red"},
            (
                r"plugin 'meta' registered generator 'meta-net' with unknown metadata 'colour'; known keys: "
                r"description, .*; put plugin-specific keys in extra=\{\.\.\.\}"
            ),
        ),
        (
            {"example_args": {}},
            r"unknown metadata 'example_args'; test fixtures go in examples=srzoo\.Examples\(args=",
        ),
        ({"input_multiple": 0}, r"metadata input_multiple=0; expected an integer >= 1 or a callable"),
        ({"scales": [2, "4"]}, r"metadata scales=\(2, '4'\); expected a list of positive integers"),
        ({"supports_half": "yes"}, r"metadata supports_half='yes'; expected true, false or None"),
        ({"out_channels": "all"}, r"metadata out_channels='all'; expected an integer >= 1, \"same\""),
        ({"default_weights": {"url": "https://x/y.safetensors", "sha256": "abc"}}, r"64 lower-case hex"),
        ({"converters": {"mat": "m:f"}}, r"expected a table of suffix"),
    ],
)
def test_bad_metadata_breaks_the_plugin_with_a_clear_message(throwaway_plugin, metadata, message):
    from srzoo.registry import loader as _plugins

    with pytest.warns(_plugins.PluginWarning, match=message):
        _register(throwaway_plugin, **metadata)
    assert "meta-net" not in srzoo.list_components("generator")
    assert _plugins.state().plugins["meta"].error is not None


def test_metadata_is_typed(throwaway_plugin):
    sha = "0" * 64
    _register(
        throwaway_plugin,
        description="d",
        scales=[2, 4],
        upscale=1,
        input_multiple=lambda a: 8,
        receptive_field=3,
        default_weights={"url": "https://example.org/w.safetensors", "sha256": sha},
        examples={"args": {}, "input": (1, 3, 8, 8), "output": [1, 3, 8, 8]},
        extra={"family": "identity"},
    )
    info = srzoo.describe("generator", "meta-net").metadata
    assert isinstance(info, srzoo.ComponentInfo)
    assert info.scales == (2, 4) and info.value("input_multiple", {}) == 8 and info.receptive_field == 3
    assert info.default_weights == srzoo.DefaultWeights("https://example.org/w.safetensors", sha)
    assert info.examples == srzoo.Examples({}, (1, 3, 8, 8), (1, 3, 8, 8))
    assert dict(info.extra) == {"family": "identity"}
    with pytest.raises(TypeError):
        info.extra["x"] = 1  # read-only


def test_metadata_callables_are_checked_when_evaluated(throwaway_plugin):
    _register(throwaway_plugin, input_multiple=lambda a: 0, upscale=1)
    recipe = parse_recipe({"name": "m", "scale": 1, "nodes": [{"name": "sr", "generator": "meta-net"}]})
    with pytest.raises(
        RecipeError,
        match=r"key 'nodes\[0\]': node 'sr': generator 'meta-net' \(plugin 'meta'\): its metadata "
        r"'input_multiple' gave 0 for the arguments \{\}; expected an integer >= 1$",
    ):
        srzoo.build(recipe)


# --------------------------------------------------------------------------- checks at build() time

STAGEGAN_SMALL = {"sem": {"ngf": 4}, "s2": {"ngf": 4}, "sr": {"ngf": 4, "n_blocks": 1}}


def test_channels_are_checked_at_build_naming_the_node():
    with pytest.raises(
        RecipeError,
        match=r"stagegan-x8\.toml: key 'nodes\[2\]': node 's2': its inputs give 3 \(mr\) \+ 3 \(sem\) = 6 "
        r"channels, but generator 'unet' takes 9 \(in_channels = 9\); make the component's channels match",
    ):
        srzoo.build("stagegan-x8", **{"s2.in_channels": 9}, **STAGEGAN_SMALL)


def test_critic_channels_are_checked():
    recipe = srzoo.get_recipe("stagegan-x8").with_overrides({"train.critics.d1.args.in_channels": 6})
    with pytest.raises(
        RecipeError,
        match=r"key 'train.critics\[1\]': critic 'd1' judges 3 \(mr\) \+ 3 \(sem\) \+ 3 \(s2\) = 9 channels, "
        r"but discriminator 'patchgan' takes 6; make its in_channels match",
    ):
        analyse(recipe)
    for name in srzoo.list_models():  # every built-in recipe's critics fit
        analyse(srzoo.get_recipe(name))


def test_inputs_of_different_resolutions_are_refused():
    recipe = srzoo.get_recipe("stagegan-x8")
    data = recipe.to_dict()
    data["nodes"][2]["inputs"] = ["lr", "sem"]
    with pytest.raises(
        RecipeError,
        match=r"key 'nodes\[2\]\.inputs': node 's2': its inputs have different resolutions "
        r"\(lr at x1, sem at x8 of the LR input\); inputs are concatenated along channels",
    ):
        srzoo.build(parse_recipe(data))


def test_output_must_be_rgb():
    data = srzoo.get_recipe("stagegan-x8").to_dict()
    data["nodes"][3]["args"]["out_channels"] = 1
    with pytest.raises(
        RecipeError, match=r"key 'output': the output node 'sr' makes 1 channels; the SR image is RGB"
    ):
        analyse(parse_recipe(data))


def test_stated_input_multiple_overrides_the_derived_one():
    model = srzoo.build("stagegan-x8", input_multiple=64, **STAGEGAN_SMALL)
    assert model.input_multiple == 64 and model.layout.input_multiple == 32
    small = srzoo.build("stagegan-x8", **{"sem.num_downs": 5, "s2.num_downs": 5}, **STAGEGAN_SMALL)
    assert small.input_multiple == 4  # 2**5 / 8
    assert small(torch.rand(1, 3, 5, 6)).shape == (1, 3, 40, 48)


def test_unknown_upscale_blocks_the_derivation(throwaway_plugin):
    @srzoo.hookimpl
    def srzoo_register_generators(register):
        register("mystery", lambda: torch.nn.Identity())
        register("needs-8", lambda: torch.nn.Identity(), input_multiple=8, upscale=1)

    throwaway_plugin(types.SimpleNamespace(srzoo_register_generators=srzoo_register_generators), "mystery")
    data = {
        "name": "m",
        "scale": 1,
        "nodes": [
            {"name": "a", "generator": "mystery"},
            {"name": "sr", "generator": "needs-8", "inputs": ["a"]},
        ],
    }
    with pytest.raises(
        RecipeError,
        match=r"key 'input_multiple': cannot derive it: node 'sr' needs inputs that are multiples of 8, but the "
        r"resolution of its input is unknown \(a component before it declares no upscale\); state input_multiple",
    ):
        srzoo.build(parse_recipe(data))
    assert srzoo.build(parse_recipe({**data, "input_multiple": 8})).input_multiple == 8


def test_component_errors_are_srzoo_errors():
    with pytest.raises(
        SrzooError, match=r"generator 'unet': argument 'dropout_at_inference' expects true or false"
    ):
        srzoo.create("generator", "unet", ngf=2, num_downs=2, dropout_at_inference="False")
