"""SRModel: the [0, 1] edge, padding and cropping, intermediates, tiling, weights."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
import torch
from torch import nn

import srzoo
from srzoo.errors import InputError, RecipeError, WeightsError
from srzoo.recipe import parse_recipe


class _Shift(nn.Module):
    """A 3x3 conv with learnable weights: lets tests check weights, padding and value ranges."""

    def __init__(self, in_channels: int = 3) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, 3, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class _NeedsMultiple(nn.Module):
    """Fails unless H and W are multiples of 4, like a U-Net."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert x.shape[-1] % 4 == 0 and x.shape[-2] % 4 == 0, x.shape
        return x


class _Up4(nn.Module):
    """Nearest x4 upsampling, registered without metadata: its factor is unknown until it runs."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.repeat_interleave(4, -2).repeat_interleave(4, -1)


@pytest.fixture
def test_plugin(throwaway_plugin):
    @srzoo.hookimpl
    def srzoo_register_generators(register):
        register("shift", _Shift, in_channels=lambda a: a["in_channels"], out_channels=3, upscale=1)
        register("needs-multiple", _NeedsMultiple, input_multiple=4, out_channels="same", upscale=1)
        register("undeclared-up", _Up4)

    throwaway_plugin(types.SimpleNamespace(srzoo_register_generators=srzoo_register_generators), "model-test")


def _graph_recipe(**top):
    return parse_recipe(
        {
            "name": "graph",
            "scale": 2,
            "nodes": [
                {"name": "mr", "degradation": "torch-nearest", "args": {"scale": 2, "direction": "up"}},
                {"name": "check", "generator": "needs-multiple", "inputs": ["mr"]},
                {"name": "sr", "generator": "shift", "inputs": ["check", "mr"], "args": {"in_channels": 6}},
            ],
            **top,
        }
    )


@pytest.mark.parametrize("size", [(1, 1), (3, 5), (8, 8), (17, 2)])
def test_any_size_is_padded_and_cropped(test_plugin, size):
    model = srzoo.build(_graph_recipe(input_multiple=2))
    lr = torch.rand(2, 3, *size)
    out = model(lr)
    assert out.shape == (2, 3, 2 * size[0], 2 * size[1])
    assert 0.0 <= out.min() and out.max() <= 1.0


def test_intermediates_are_cropped_and_in_unit_range(test_plugin):
    model = srzoo.build(_graph_recipe(input_multiple=2, value_range=[-1.0, 1.0]))
    lr = torch.rand(1, 3, 5, 3)
    outputs = model(lr, return_intermediates=True)
    assert set(outputs) == {"mr", "check", "sr"}
    assert outputs["mr"].shape == (1, 3, 10, 6)
    torch.testing.assert_close(outputs["mr"], lr.repeat_interleave(2, -1).repeat_interleave(2, -2))
    assert torch.equal(outputs["sr"], model(lr))


def test_value_range_maps_at_the_edge(throwaway_plugin):
    seen = {}

    class Probe(nn.Module):
        def forward(self, x):
            seen["min"], seen["max"] = x.min().item(), x.max().item()
            return x

    @srzoo.hookimpl
    def srzoo_register_generators(register):
        register("probe", Probe)

    throwaway_plugin(types.SimpleNamespace(srzoo_register_generators=srzoo_register_generators), "probe")
    recipe = parse_recipe(
        {"name": "p", "scale": 1, "value_range": [-1.0, 1.0], "nodes": [{"name": "sr", "generator": "probe"}]}
    )
    lr = torch.tensor([0.0, 0.25, 1.0]).reshape(1, 1, 1, 3).expand(1, 3, 1, 3).contiguous()
    out = srzoo.build(recipe)(lr)
    assert (seen["min"], seen["max"]) == (-1.0, 1.0)
    torch.testing.assert_close(out, lr)


def test_tiling_matches_whole_image_for_a_local_model(test_plugin):
    torch.manual_seed(0)
    model = srzoo.build(_graph_recipe(input_multiple=2))
    lr = torch.rand(1, 3, 37, 29)
    with torch.no_grad():
        whole = model(lr)
        tiled = model(lr, tile=12, tile_overlap=4)
        seams = model(lr, tile=12, tile_overlap=0)
    assert tiled.shape == whole.shape
    # The last HR rows/columns differ by design: the whole image is reflect-padded to the input
    # multiple there, while the last tile is not. Inside, the cross-fade hides every tile border.
    inside = (..., slice(0, -2), slice(0, -2))
    torch.testing.assert_close(tiled[inside], whole[inside], atol=1e-3, rtol=0)
    assert (seams[inside] - whole[inside]).abs().max() > 0.1  # without overlap the seams show


def test_bad_inputs_give_one_clear_error(test_plugin):
    model = srzoo.build("bicubic-x4")
    with pytest.raises(InputError, match=r"lr must have shape \(N, 3, H, W\) \(RGB\), got \(3, 4, 4\)"):
        model(torch.rand(3, 4, 4))
    with pytest.raises(InputError, match=r"lr must be a float tensor in \[0, 1\], got dtype torch.uint8"):
        model(torch.zeros(1, 3, 4, 4, dtype=torch.uint8))
    with pytest.raises(InputError, match=r"lr must have shape \(N, 3, H, W\) \(RGB\), got \(1, 1, 4, 4\)"):
        model(torch.rand(1, 1, 4, 4))
    with pytest.raises(InputError, match=r"lr must be non-empty, got shape \(1, 3, 0, 4\)"):
        model(torch.rand(1, 3, 0, 4))
    with pytest.raises(InputError, match="return_intermediates cannot be combined with tile"):
        model(torch.rand(1, 3, 4, 4), tile=2, return_intermediates=True)


def test_build_returns_eval_mode_and_scale():
    model = srzoo.build("bicubic-x8")
    assert not model.training and model.scale == 8 and model.recipe.name == "bicubic-x8"


def test_weights_round_trip(test_plugin, tmp_path: Path):
    torch.manual_seed(1)
    model = srzoo.build(_graph_recipe())
    path = srzoo.save_weights(model, tmp_path / "w.safetensors")
    assert not (tmp_path / "w.safetensors.partial").exists()
    torch.manual_seed(2)
    other = srzoo.build(_graph_recipe(), weights=path)
    lr = torch.rand(1, 3, 6, 6)
    assert torch.equal(model(lr), other(lr))


def test_weights_errors(test_plugin, tmp_path: Path):
    model = srzoo.build(_graph_recipe())
    with pytest.raises(WeightsError, match=r"no such weights file"):
        srzoo.load_weights(model, tmp_path / "none.safetensors")
    pickle = tmp_path / "w.pth"
    torch.save(model.state_dict(), pickle)
    with pytest.raises(WeightsError, match=r"refusing to unpickle a \.pth file"):
        srzoo.load_weights(model, pickle)
    garbage = tmp_path / "g.safetensors"
    garbage.write_bytes(b"not safetensors at all")
    with pytest.raises(WeightsError, match=r"not a readable \.safetensors file"):
        srzoo.load_weights(model, garbage)
    from safetensors.torch import save_file

    wrong = tmp_path / "wrong.safetensors"
    save_file(
        {"stages.sr.conv.weight": torch.zeros(3, 6, 3, 3), "stages.sr.extra": torch.zeros(1)}, str(wrong)
    )
    with pytest.raises(
        WeightsError,
        match=r"1 missing key\(s\) \[stages.sr.conv.bias\], 1 unexpected key\(s\) \[stages.sr.extra\]",
    ):
        srzoo.load_weights(model, wrong)
    shape = tmp_path / "shape.safetensors"
    save_file(
        {"stages.sr.conv.weight": torch.zeros(3, 3, 3, 3), "stages.sr.conv.bias": torch.zeros(3)}, str(shape)
    )
    with pytest.raises(
        WeightsError,
        match=r"stages.sr.conv.weight has shape \(3, 3, 3, 3\), the model expects \(3, 6, 3, 3\)",
    ):
        srzoo.load_weights(model, shape)


def test_output_size_must_match_the_scale(test_plugin):
    recipe = parse_recipe(
        {
            "name": "liar",
            "scale": 8,
            "nodes": [
                {"name": "sr", "degradation": "torch-nearest", "args": {"scale": 4, "direction": "up"}}
            ],
        }
    )
    # the metadata says so at build time
    with pytest.raises(
        RecipeError,
        match=r"recipe 'liar' says scale = 8, but its output node 'sr' upscales the LR input by 4$",
    ):
        srzoo.build(recipe)
    # a component that declares no upscale is caught at its first forward
    undeclared = parse_recipe(
        {"name": "liar", "scale": 8, "nodes": [{"name": "sr", "generator": "undeclared-up"}]}
    )
    model = srzoo.build(undeclared)
    with pytest.raises(
        RecipeError,
        match=r"recipe 'liar' says scale = 8, but its output node 'sr' made 20x12 from a 5x3 input \(expected 40x24\)",
    ):
        model(torch.rand(1, 3, 5, 3))
    with pytest.raises(RecipeError, match="says scale = 8"):
        model(torch.rand(1, 3, 9, 9), tile=8)


def test_downscaled_intermediates_are_cropped_with_ceil(test_plugin):
    recipe = parse_recipe(
        {
            "name": "down-up",
            "scale": 2,
            "input_multiple": 4,
            "nodes": [
                {"name": "small", "degradation": "torch-nearest", "args": {"scale": 2}},
                {
                    "name": "sr",
                    "degradation": "torch-nearest",
                    "inputs": ["small"],
                    "args": {"scale": 4, "direction": "up"},
                },
            ],
        }
    )
    model = srzoo.build(recipe)
    for h, expected in ((5, 3), (7, 4), (9, 5), (11, 6)):
        outputs = model(torch.rand(1, 3, h, 4), return_intermediates=True)
        assert outputs["small"].shape[-2] == expected
        assert outputs["sr"].shape[-2] == 2 * h


def test_node_names_that_are_module_attributes_are_refused(test_plugin):
    recipe = parse_recipe(
        {"name": "t", "scale": 1, "nodes": [{"name": "half", "generator": "shift"}], "output": "half"}
    )
    with pytest.raises(
        RecipeError, match=r"key 'nodes\[0\].name': 'half' is an nn.Module attribute; rename the node"
    ):
        srzoo.build(recipe)


def test_models_deep_copy_and_save_whole(tmp_path: Path):
    import copy
    import pickle

    model = srzoo.build("bicubic-x4")
    twin = copy.deepcopy(model)
    assert twin.recipe == model.recipe and twin is not model
    torch.save(model, tmp_path / "whole.pt")
    loaded = torch.load(tmp_path / "whole.pt", weights_only=False)
    lr = torch.rand(1, 3, 5, 4)
    assert torch.equal(loaded(lr), model(lr))
    assert pickle.loads(pickle.dumps(model.recipe)) == model.recipe
    with pytest.raises(TypeError):
        model.recipe.node("sr").args["scale"] = 3  # recipes stay read-only


def test_input_dtype_is_matched_to_the_weights(test_plugin):
    model = srzoo.build(_graph_recipe(input_multiple=2))
    lr = torch.rand(1, 3, 5, 6)
    with torch.no_grad():
        reference = model(lr)
        half_in = model(lr.half())  # float32 weights, float16 input: runs in float32
        assert half_in.dtype == torch.float16
        torch.testing.assert_close(half_in.float(), reference, atol=2e-3, rtol=0)
        bf16_model = srzoo.build(_graph_recipe(input_multiple=2)).to(torch.bfloat16)
        assert bf16_model(lr).dtype == torch.float32
        assert model(lr.half(), return_intermediates=True)["mr"].dtype == torch.float16
