"""``srzoo.build(name, pretrained=True)``: the weights a recipe declares in its ``pretrained`` table."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import srzoo
from srzoo.bench.methods import has_pretrained
from srzoo.cli import main
from srzoo.errors import RecipeError, WeightsError
from srzoo.imageio import read_image, write_image
from srzoo.recipe import Pretrained, parse_recipe
from srzoo.weights import sha256_of


def _shipping_plugin(throwaway_plugin, folder: Path, sha256: str | None = None) -> Path:
    """Register recipe ``shipped-x4`` (SRCNN x4) whose ``pretrained`` file is ``folder/w.safetensors``."""
    model = srzoo.build("srcnn-x4")
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn_like(parameter))
    weights = srzoo.save_weights(model, folder / "w.safetensors")
    recipe = folder / "shipped-x4.toml"
    recipe.write_text(
        'name = "shipped-x4"\nbase = "srcnn-x4"\n'
        f'pretrained = {{ file = "w.safetensors", sha256 = "{sha256 or sha256_of(weights)}" }}\n'
    )

    class Shipping:
        @srzoo.hookimpl
        def srzoo_register_recipes(self, register):
            register("shipped-x4", str(recipe))

    throwaway_plugin(Shipping(), "shipping")
    return weights


def test_pretrained_loads_the_declared_file(tmp_path: Path, throwaway_plugin):
    weights = _shipping_plugin(throwaway_plugin, tmp_path)
    assert srzoo.get_recipe("shipped-x4").pretrained == Pretrained(str(weights.resolve()), sha256_of(weights))
    assert has_pretrained("shipped-x4") and not has_pretrained("srresnet-x4")
    loaded = srzoo.build("shipped-x4", pretrained=True)
    expected = srzoo.build("srcnn-x4", weights=weights)
    for (name, a), (_, b) in zip(loaded.state_dict().items(), expected.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    # variants do not inherit the shipped weights: they describe one recipe
    assert parse_recipe({"name": "v", "base": str(tmp_path / "shipped-x4.toml")}).pretrained is None


def test_cli_upscale_pretrained(tmp_path: Path, throwaway_plugin, capsys):
    _shipping_plugin(throwaway_plugin, tmp_path)
    out = tmp_path / "out.png"
    assert main(["upscale", "chart:text", "-m", "shipped-x4", "--pretrained", "-o", str(out)]) == 0
    assert out.is_file()
    args = ["upscale", "chart:text", "-m", "shipped-x4", "--pretrained", "--weights", "w.safetensors"]
    assert main([*args, "-o", str(out)]) == 2
    assert capsys.readouterr().err.strip().endswith("error: --weights and --pretrained: give one of them")


def test_upscale_uses_the_shipped_weights_by_default_and_says_so(tmp_path: Path, throwaway_plugin, capsys):
    weights = _shipping_plugin(throwaway_plugin, tmp_path)
    source = write_image(torch.rand(3, 12, 10), tmp_path / "in.png")
    outputs = []
    for flag in ([], ["--pretrained"]):  # the default; --pretrained is still accepted
        out = tmp_path / f"out{len(flag)}.png"
        assert main(["upscale", str(source), "-m", "shipped-x4", *flag, "-o", str(out)]) == 0
        assert capsys.readouterr().err.strip() == f"shipped-x4: srzoo's weights, {weights.resolve()}"
        outputs.append(read_image(out))
    expected = srzoo.build("srcnn-x4", weights=weights)(read_image(source)[None])[0]
    assert torch.equal(outputs[0], outputs[1])
    assert (outputs[0] - expected.clamp(0, 1)).abs().max() < 1 / 255 + 1e-4


def test_the_one_line_for_srzoo_weights_a_file_and_no_weights(tmp_path: Path, capsys):
    source = write_image(torch.rand(3, 12, 10), tmp_path / "in.png")
    argv = ["upscale", str(source), "-o", str(tmp_path / "out.png"), "-m"]
    assert main([*argv, "srcnn-x4"]) == 0
    assert capsys.readouterr().err.strip() == (
        "srcnn-x4: srzoo's weights (Facades), srzoo_recipes:weights/srcnn-x4.safetensors"
    )
    mine = srzoo.save_weights(srzoo.build("srcnn-x4"), tmp_path / "mine.safetensors")
    assert main([*argv, "srcnn-x4", "--weights", str(mine)]) == 0
    assert capsys.readouterr().err.strip() == f"srcnn-x4: weights from {mine}"
    assert main([*argv, "srresnet-x4", "--allow-untrained"]) == 0
    assert capsys.readouterr().err.strip() == (
        "srresnet-x4: random weights (--allow-untrained): the output is noise"
    )
    for flag in ([], ["--pretrained"]):  # a no-op for a parameter-free method
        assert main([*argv, "bicubic-x4", *flag]) == 0
        assert capsys.readouterr().err.strip() == ""  # no weights, nothing to say


def test_build_pretrained_is_a_no_op_without_parameters_and_build_stays_random_init():
    x = torch.rand(1, 3, 8, 8)
    assert torch.equal(srzoo.build("bicubic-x4", pretrained=True)(x), srzoo.build("bicubic-x4")(x))
    shipped = srzoo.build("srcnn-x4", pretrained=True).state_dict()
    plain = srzoo.build("srcnn-x4").state_dict()  # the library default: random initial weights
    assert not all(torch.equal(shipped[k], plain[k]) for k in shipped)
    assert srzoo.get_recipe("srcnn-x4").pretrained.data == "Facades"


def test_a_sha256_mismatch_is_refused(tmp_path: Path, throwaway_plugin):
    weights = _shipping_plugin(throwaway_plugin, tmp_path, sha256="0" * 64)
    with pytest.raises(WeightsError) as info:
        srzoo.build("shipped-x4", pretrained=True)
    assert str(info.value) == (
        f"{weights.resolve()}: sha256 {sha256_of(weights)} does not match the {'0' * 64} that recipe "
        "'shipped-x4' declares; the file is damaged or not these weights (reinstall its plugin)"
    )
    weights.unlink()
    with pytest.raises(WeightsError) as info:
        srzoo.build("shipped-x4", pretrained=True)
    assert str(info.value) == (
        f"{weights.resolve()}: the weights recipe 'shipped-x4' ships are missing; reinstall its plugin"
    )


def test_recipes_without_shipped_weights(capsys, tmp_path: Path):
    message = (
        "srzoo ships no weights for recipe 'srresnet-x4' yet; train them with "
        "`srzoo train srresnet-x4 --data DIR --out RUN` and pass --weights RUN/model.safetensors"
    )
    with pytest.raises(WeightsError) as info:
        srzoo.build("srresnet-x4", pretrained=True)
    assert str(info.value) == message
    assert (
        main(["upscale", "chart:text", "-m", "srresnet-x4", "--pretrained", "-o", str(tmp_path / "o.png")])
        == 2
    )
    assert capsys.readouterr().err.strip() == f"error: {message}"
    with pytest.raises(WeightsError) as info:
        srzoo.build("srresnet-x4", pretrained=True, weights="w.safetensors")
    assert str(info.value) == "pass either weights= or pretrained=True, not both"
    with pytest.raises(WeightsError) as info:
        srzoo.build("srresnet-x4", pretrained="yes")
    assert str(info.value) == "pretrained must be True or False, got str 'yes'"


def _table(pretrained: object) -> dict:
    recipe = srzoo.get_recipe("srcnn-x4").to_dict()
    return {**recipe, "pretrained": pretrained}


@pytest.mark.parametrize(
    ("pretrained", "problem"),
    [
        ({"file": "w.safetensors"}, "key 'pretrained.sha256': missing; expected the file's hex sha256"),
        (
            {"file": "/w", "sha256": "abc"},
            "key 'pretrained.sha256': expected 64 lower-case hex digits, got 'abc'",
        ),
        (
            {"file": "w.safetensors", "sha256": "0" * 64},
            (
                "key 'pretrained.file': 'w.safetensors' is relative but the recipe has no file to be relative "
                "to; use PACKAGE:PATH"
            ),
        ),
        (
            {"file": "/w", "sha256": "0" * 64, "data": 1},
            "key 'pretrained.data': expected what the weights were trained on, e.g. 'Facades', got int 1",
        ),
        (
            "w.safetensors",
            "key 'pretrained': expected a table { file = ..., sha256 = ... }, got str 'w.safetensors'",
        ),
    ],
)
def test_bad_pretrained_tables(pretrained, problem):
    with pytest.raises(RecipeError) as info:
        parse_recipe(_table(pretrained))
    assert str(info.value) == f"<recipe>: {problem}"


def test_package_paths_resolve_inside_the_package():
    from importlib.resources import files

    entry = parse_recipe(
        _table({"file": "srzoo_recipes:srcnn-x4.safetensors", "sha256": "0" * 64})
    ).pretrained
    assert entry.file == "srzoo_recipes:srcnn-x4.safetensors"
    assert entry.path() == Path(str(files("srzoo_recipes"))) / "srcnn-x4.safetensors"
    with pytest.raises(
        RecipeError, match=r"key 'pretrained': a recipe's shipped weights cannot be overridden"
    ):
        srzoo.get_recipe("srcnn-x4").with_overrides({"pretrained": None})
