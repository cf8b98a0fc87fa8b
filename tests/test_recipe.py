"""Recipe validation: typed objects, errors naming file, key and expectation."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import srzoo
from srzoo.errors import RecipeError
from srzoo.recipe import load_recipe, parse_recipe

MINIMAL = {
    "name": "t",
    "scale": 2,
    "nodes": [{"name": "sr", "degradation": "torch-bicubic", "args": {"scale": 2, "direction": "up"}}],
}


def _with(**changes):
    data = {**MINIMAL, **changes}
    return data


def test_minimal_recipe_defaults():
    recipe = parse_recipe(MINIMAL)
    assert recipe.output == "sr"
    assert recipe.value_range == (0.0, 1.0)
    assert recipe.input_multiple == 1
    assert recipe.nodes[0].inputs == ("lr",)
    assert recipe.nodes[0].kind == "degradation"
    assert recipe.train is None


def test_every_registered_recipe_validates():
    for name in srzoo.list_models():
        recipe = srzoo.get_recipe(name)
        assert recipe.name == name
        assert recipe.scale >= 1
        assert recipe.description and recipe.paper and recipe.license, (
            f"{name}: describe it, cite it, license it"
        )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_with(scale="4"), r"<recipe>: key 'scale': expected a positive int, got str '4'"),
        (_with(scale=0), r"key 'scale': expected a positive int, got 0"),
        (_with(scale=True), r"key 'scale': expected a positive int, got True"),
        (_with(nodes=[]), r"key 'nodes': expected at least one \[\[nodes\]\] table"),
        (_with(output="nope"), r"key 'output': no node named 'nope'; expected one of: sr"),
        (_with(value_range=[1, 0]), r"key 'value_range': expected \[low, high\] with low < high"),
        (_with(pad_mode="wrap"), r"key 'pad_mode': expected one of reflect, replicate, constant"),
        (_with(colour="red"), r"key 'colour': unknown key; expected one of: "),
        (_with(nodes=[{"name": "sr", "args": {}}]), r"key 'nodes\[0\].generator': expected exactly one of"),
        (
            _with(nodes=[{"name": "sr", "generator": "a", "inputs": ["mr"]}]),
            r"key 'nodes\[0\].inputs': 'mr' is not defined before this node",
        ),
        (
            _with(nodes=[{"name": "a", "generator": "x"}, {"name": "a", "generator": "y"}]),
            r"key 'nodes\[1\].name': 'a' is already defined",
        ),
        (_with(nodes=[{"name": "lr", "generator": "x"}]), r"'lr' is already defined"),
        (
            _with(nodes=[{"name": "a.b", "generator": "x"}]),
            r"key 'nodes\[0\].name': expected a name of letters, digits",
        ),
        (_with(nodes=[{"name": "", "generator": "x"}]), r"key 'nodes\[0\].name': expected a name of letters"),
        (
            _with(nodes=[{"name": "sr", "generator": "x", "inputs": []}]),
            r"key 'nodes\[0\].inputs': expected at least one input",
        ),
        (
            _with(
                nodes=[{"name": "sr", "generator": "x"}, {"name": "out", "generator": "y", "inputs": ["sr"]}],
                output="out",
            ),
            r"key 'output': a node named 'sr' must be the output",
        ),
        (
            _with(train={"losses": [{"loss": "l1", "node": "sr"}]}),
            r"key 'train.losses\[0\].target': expected exactly one of 'target'",
        ),
        (
            _with(train={"losses": [{"loss": "l1", "node": "sr", "target": "gt"}]}),
            r"key 'train.losses\[0\].target': expected a ground-truth key \(hr, lr, semantic\), got 'gt'",
        ),
        (
            _with(train={"losses": [{"loss": "gan", "node": "sr", "critic": "d"}]}),
            r"key 'train.losses\[0\].critic': no critic named 'd'",
        ),
        (
            _with(train={"optimizer": {"betas": [0.5]}}),
            r"key 'train.optimizer.betas': expected a list of two numbers",
        ),
        (
            _with(train={"schedule": {"name": "cosine"}}),
            r"key 'train.schedule.name': expected 'constant', 'linear-decay' or 'step'",
        ),
        (
            _with(train={"critics": [{"name": "d", "discriminator": "patchgan", "judges": "zz"}]}),
            r"key 'train.critics\[0\].judges': no node named 'zz'",
        ),
    ],
)
def test_bad_recipes_name_the_key(data, message):
    with pytest.raises(RecipeError, match=message):
        parse_recipe(data)


def test_train_section_is_typed():
    data = _with(
        train={
            "batch_size": 4,
            "epochs": 10,
            "optimizer": {"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]},
            "schedule": {"name": "linear-decay", "constant_epochs": 5, "decay_epochs": 5},
            "critics": [
                {
                    "name": "d",
                    "discriminator": "patchgan",
                    "judges": "sr",
                    "condition": ["lr"],
                    "args": {"in_channels": 6},
                }
            ],
            "losses": [
                {"loss": "gan", "node": "sr", "critic": "d"},
                {"loss": "l1", "node": "sr", "target": "hr", "weight": 100},
            ],
        }
    )
    train = parse_recipe(data).train
    assert train.optimizer.betas == (0.5, 0.999) and train.optimizer.lr == 2e-4
    assert train.schedule.constant_epochs == 5
    assert train.critics[0].condition == ("lr",) and train.critics[0].target == "hr"
    assert [t.weight for t in train.losses] == [1.0, 100.0]


def test_file_errors_name_the_file(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nscale = \n')
    with pytest.raises(RecipeError, match=rf"{bad}: invalid TOML"):
        load_recipe(bad)
    with pytest.raises(RecipeError, match=r"missing.toml: cannot read the recipe"):
        load_recipe(tmp_path / "missing.toml")
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('name = "wrong"\nscale = 2\n[[nodes]]\nname = "sr"\ngenerator = "nope-net"\n')
    with pytest.raises(RecipeError, match=rf"{wrong}: key 'nodes\[0\]': unknown generator 'nope-net'"):
        srzoo.build(wrong)


def test_overrides_are_validated():
    recipe = parse_recipe(MINIMAL)
    changed = recipe.with_overrides({"sr": {"antialias": False}, "input_multiple": 4, "train.epochs": 3})
    assert changed.node("sr").args["antialias"] is False
    assert changed.input_multiple == 4 and changed.train.epochs == 3
    assert recipe.input_multiple == 1  # the original is untouched
    assert recipe.with_overrides({"sr.scale": 3}).node("sr").args["scale"] == 3
    with pytest.raises(RecipeError, match=r"key 'input_multiple': expected a positive int, got -1"):
        recipe.with_overrides({"input_multiple": -1})
    with pytest.raises(RecipeError, match=r"key 'mr.scale': no node named 'mr'; nodes: sr"):
        recipe.with_overrides({"mr.scale": 3})
    with pytest.raises(RecipeError, match=r"key 'colour': unknown key"):
        recipe.with_overrides({"colour": 1})
    with pytest.raises(RecipeError, match=r"key 'sr.scale.x': 'scale' is not a table, so it has no key 'x'"):
        recipe.with_overrides({"sr.scale.x": 1})
    with pytest.raises(RecipeError, match=r"key 'train.losses.weight': 'losses' is not a table"):
        parse_recipe(_with(train={"losses": []})).with_overrides({"train.losses.weight": 1})
    bare = dataclasses.replace(recipe, raw={})
    with pytest.raises(RecipeError, match=r"overrides need a recipe read from TOML or a dict"):
        bare.with_overrides({"input_multiple": 2})


def test_registered_name_must_match_file(throwaway_plugin, tmp_path: Path):
    import types

    path = tmp_path / "x.toml"
    path.write_text(
        'name = "other"\nscale = 2\n[[nodes]]\nname = "sr"\ndegradation = "torch-nearest"\nargs = {scale = 2, direction = "up"}\n'
    )

    @srzoo.hookimpl
    def srzoo_register_recipes(register):
        register("mismatch", str(path))

    throwaway_plugin(types.SimpleNamespace(srzoo_register_recipes=srzoo_register_recipes), "mismatch-plugin")
    with pytest.raises(
        RecipeError, match=r"key 'name': the file says 'other' but it is registered as 'mismatch'"
    ):
        srzoo.build("mismatch")


def test_train_length_and_lr_multipliers():
    train = parse_recipe(
        _with(train={"steps": 1000, "optimizer": {"lr_multipliers": {"stages.sr.conv": 0.1}}})
    ).train
    assert (train.epochs, train.steps) == (None, 1000)
    assert dict(train.optimizer.lr_multipliers) == {"stages.sr.conv": 0.1}
    with pytest.raises(
        RecipeError,
        match=r"key 'train.optimizer.lr_multipliers': expected a non-negative number for 'x', got 'fast'",
    ):
        parse_recipe(_with(train={"optimizer": {"lr_multipliers": {"x": "fast"}}}))
    assert srzoo.get_recipe("srcnn-x4").train.optimizer.lr_multipliers == {"stages.sr.reconstruct": 0.1}


def test_training_crops_fit_every_recipes_scale():
    for name in srzoo.list_models():
        train = srzoo.get_recipe(name).train
        if train is not None and train.patch_size is not None:
            assert train.patch_size % srzoo.get_recipe(name).scale == 0, name


def test_train_options_and_published_values():
    recipe = parse_recipe(
        _with(
            train={
                "stages": "sequential",
                "critic_steps": 2,
                "grad_clip": 1,
                "ema_decay": 0.999,
                "degradation": {"name": "chain", "steps": []},
                "losses": [{"loss": "l1", "node": "sr", "target": "hr", "levels": "all"}],
            },
            published=[{"dataset": "set5", "metric": "psnr", "value": 28.42}],
        )
    )
    train = recipe.train
    assert (train.stages, train.critic_steps, train.grad_clip, train.ema_decay) == (
        "sequential",
        2,
        1.0,
        0.999,
    )
    assert dict(train.degradation) == {"name": "chain", "steps": []}
    assert train.losses[0].levels == "all"
    assert recipe.published[0].value == 28.42 and recipe.published[0].y == "rounded"
    assert parse_recipe(MINIMAL).published == () and parse_recipe(_with(train={})).train.stages == "joint"
    assert [p.value for p in srzoo.get_recipe("lapsrn-x4").published] == [31.54]
    assert srzoo.get_recipe("lapsrn-x4").train.losses[0].levels == "all"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"train": {"stages": "both"}}, r"key 'train.stages': expected one of joint, sequential, got 'both'"),
        ({"train": {"ema_decay": 1.5}}, r"key 'train.ema_decay': expected a number in \(0, 1\)"),
        ({"train": {"critic_steps": 0}}, r"key 'train.critic_steps': expected a positive int"),
        (
            {"train": {"degradation": {"steps": []}}},
            r"key 'train.degradation': a degradation table needs name",
        ),
        ({"published": [{"dataset": "set5", "metric": "lpips", "value": 1}]}, r"key 'published\[0\].metric'"),
        (
            {"published": [{"dataset": "set5", "metric": "psnr", "value": 1, "y": "x"}]},
            r"key 'published\[0\].y'",
        ),
    ],
)
def test_train_options_errors(changes, message):
    with pytest.raises(RecipeError, match=message):
        parse_recipe(_with(**changes))
