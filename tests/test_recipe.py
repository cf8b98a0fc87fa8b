"""Recipe validation: typed objects, errors naming file, key and expectation."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path

import pytest
import torch

import srzoo
from srzoo.errors import RecipeError
from srzoo.model.graph import analyse
from srzoo.recipe import Node, load_recipe, parse_recipe

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
    assert recipe.input_multiple is None  # derived by the built model
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
            _with(nodes=[{"name": "sr", "generator": "x", "description": 3}]),
            r"key 'nodes\[0\].description': expected a few words on the node's output, got int 3",
        ),
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


def test_node_descriptions_round_trip_and_are_inherited():
    recipe = srzoo.get_recipe("stagegan-x8-small")  # described in stagegan-x8, its base's base
    assert [(n.name, n.description) for n in recipe.nodes][:2] == [
        ("mr", "MR image (bicubic)"),
        ("sem", "semantic map (G0)"),
    ]
    assert parse_recipe(recipe.to_dict()) == recipe
    assert "description" not in srzoo.get_recipe("srcnn-x4").nodes[0].to_dict()


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
    assert recipe.input_multiple is None and recipe.train is None  # the original is untouched
    assert recipe.with_overrides({"sr.scale": 3}).node("sr").args["scale"] == 3
    assert changed.with_overrides({"input_multiple": None, "train.epochs": None}) == parse_recipe(
        _with(
            train={},
            nodes=[{**MINIMAL["nodes"][0], "args": {"scale": 2, "direction": "up", "antialias": False}}],
        )
    )
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
    with pytest.raises(RecipeError, match=r"key 'train.epochs': expected a positive int, got str 'ten'"):
        recipe.with_overrides({"train.epochs": "ten"})
    with pytest.raises(RecipeError, match=r"overrides must be a mapping of key -> value, got list"):
        recipe.with_overrides([("sr.scale", 3)])


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("name", r"key 'name': the name cannot be overridden; write a variant recipe \(base = \.\.\.\)"),
        ("nodes", r"key 'nodes': the graph cannot be overridden"),
        ("base", r"key 'base': a recipe's base cannot be overridden"),
        ("weights", r"key 'weights': 'weights' is not a recipe key; pass weights= to srzoo.build"),
    ],
)
def test_fixed_keys_cannot_be_overridden(key, message):
    with pytest.raises(RecipeError, match=message):
        parse_recipe(MINIMAL).with_overrides({key: "x"})
    if key != "weights":  # build's own keyword
        with pytest.raises(RecipeError, match=message):
            srzoo.build("bicubic-x4", **{key: "x"})


def test_overrides_reach_training_tables_and_critics_by_name():
    recipe = srzoo.get_recipe("stagegan-x8")
    changed = recipe.with_overrides(
        {
            "train.optimizer.lr": 1e-5,
            "train.critics.d1.args.ndf": 32,
            "train.grad_clip": 1.0,
            "sem": {"ngf": 8},
        }
    )
    assert changed.train.optimizer.lr == 1e-5 and changed.train.grad_clip == 1.0
    assert [c.args["ndf"] for c in changed.train.critics] == [64, 32, 64]
    assert changed.node("sem").args["ngf"] == 8 and changed.node("sem").args["num_downs"] == 8
    with pytest.raises(
        RecipeError, match=r"key 'train.critics.d9.ndf': no critic named 'd9'; critics: d0, d1, d2"
    ):
        recipe.with_overrides({"train.critics.d9.ndf": 1})


def test_a_recipe_built_in_python_can_be_overridden_and_built():
    recipe = srzoo.Recipe(
        name="py",
        scale=2,
        nodes=[Node("sr", "degradation", "torch-nearest", args={"scale": 2, "direction": "up"})],
    )
    assert recipe.nodes[0].inputs == ("lr",) and isinstance(recipe.nodes, tuple)
    assert parse_recipe(recipe.to_dict()) == recipe
    changed = recipe.with_overrides({"sr.scale": 3, "scale": 3})
    assert changed.node("sr").args == {"scale": 3, "direction": "up"} and changed.scale == 3
    assert srzoo.build(changed)(torch.rand(1, 3, 2, 2)).shape == (1, 3, 6, 6)
    bad = srzoo.Recipe(name="py", scale=0, nodes=recipe.nodes)  # built without validation...
    with pytest.raises(RecipeError, match=r"key 'scale': expected a positive int, got 0"):
        srzoo.build(bad)  # ...checked when built


@pytest.mark.parametrize("name", srzoo.list_models())
def test_every_registered_recipe_round_trips(name):
    recipe = srzoo.get_recipe(name)
    data = recipe.to_dict()
    assert parse_recipe(data) == recipe
    assert tomllib.loads(_to_toml(data)) == data  # TOML-like: plain tables, lists and scalars only


def _to_toml(data) -> str:
    """A small TOML writer for the test (inline tables), enough for recipes."""

    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + "}"
        raise TypeError(f"not TOML: {v!r}")

    return "\n".join(f"{json.dumps(k)} = {value(v)}" for k, v in data.items())


def _resolved(obj):
    """A recipe's content as JSON-like data, straight from its dataclasses (not from to_dict)."""
    if dataclasses.is_dataclass(obj):
        return {
            f.name: _resolved(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if not (isinstance(obj, srzoo.Recipe) and f.name == "source")
        }
    if isinstance(obj, Mapping):
        return {str(k): _resolved(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_resolved(v) for v in obj]
    return obj


PINNED = json.loads((Path(__file__).parent / "fixtures" / "recipes_resolved.json").read_text("utf-8"))
"""Every built-in recipe's resolved content before variants inherited and multiples were derived."""


@pytest.mark.parametrize("name", sorted(PINNED))
def test_resolved_content_is_pinned(name):
    recipe = srzoo.get_recipe(name)
    content = _resolved(recipe)
    pinned = dict(PINNED[name])
    stated = pinned.pop("input_multiple")
    assert content.pop("input_multiple") is None  # no recipe states it any more
    shipped = content.pop("pretrained")  # the weights srzoo trained itself: tests/test_pretrained.py
    assert shipped is None or shipped["file"] == f"srzoo_recipes:weights/{name}.safetensors"
    assert content == pinned
    assert analyse(recipe).input_multiple == stated  # derived from the components' metadata


def test_every_builtin_recipe_is_pinned():
    builtin = [n for n in srzoo.list_models() if srzoo.describe("recipe", n).plugin == "recipes"]
    assert sorted(builtin) == sorted(PINNED)


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


# --------------------------------------------------------------------------- variants


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_variant_inherits_and_merges(tmp_path: Path):
    path = _write(
        tmp_path,
        "x4-small",
        'base = "stagegan-x8"\nname = "x4-small"\nscale = 4\ndescription = "small"\n'
        '[[nodes]]\nname = "mr"\nargs = { scale = 4 }\n'
        '[[nodes]]\nname = "sr"\ngenerator = "resnet-refiner"\nargs = { ngf = 8 }\n'
        "[train]\nepochs = 10\noptimizer = { lr = 1e-3 }\n",
    )
    base, variant = srzoo.get_recipe("stagegan-x8"), load_recipe(path)
    assert (variant.name, variant.scale, variant.description) == ("x4-small", 4, "small")
    assert variant.paper == base.paper and variant.published == ()
    assert variant.node("mr").args == {"scale": 4, "direction": "up"}  # args merged key by key
    assert variant.node("sr").args == {**base.node("sr").args, "ngf": 8}  # same component: merged
    assert variant.nodes[1:3] == base.nodes[1:3]
    assert variant.train.epochs == 10 and variant.train.optimizer.lr == 1e-3
    assert variant.train.optimizer.betas == (0.5, 0.999) and variant.train.critics == base.train.critics
    assert variant.source == str(path)


def test_variant_drops_adds_and_replaces(tmp_path: Path):
    _write(
        tmp_path,
        "parent",
        'name = "parent"\nscale = 2\ndescription = "p"\n'
        '[[nodes]]\nname = "mr"\ndegradation = "bicubic"\nargs = { scale = 2, direction = "up" }\n'
        '[[nodes]]\nname = "sr"\ngenerator = "srcnn"\ninputs = ["mr"]\nargs = { filters = [8, 4] }\n'
        '[train]\n[[train.losses]]\nloss = "mse"\nnode = "sr"\ntarget = "hr"\n'
        '[[train.losses]]\nloss = "l1"\nnode = "sr"\ntarget = "hr"\nweight = 2.0\n',
    )
    path = _write(
        tmp_path,
        "child",
        'base = "parent.toml"\nname = "child"\n'
        '[[nodes]]\nname = "sr"\ndegradation = "torch-nearest"\nargs = { scale = 1, direction = "up" }\n'
        '[[nodes]]\nname = "pre"\nafter = "mr"\ngenerator = "srcnn"\ninputs = ["mr"]\n'
        '[[train.losses]]\nloss = "mse"\nnode = "sr"\ndrop = true\n'
        '[[train.losses]]\nloss = "l1"\nnode = "sr"\nweight = 3.0\n',
    )
    child = load_recipe(path)
    assert [n.name for n in child.nodes] == ["mr", "pre", "sr"]
    sr = child.node("sr")  # another component: the base's args are not carried over
    assert (sr.kind, sr.component, dict(sr.args), sr.inputs) == (
        "degradation",
        "torch-nearest",
        {"scale": 1, "direction": "up"},
        ("mr",),
    )
    assert [(t.component, t.weight, t.target) for t in child.train.losses] == [("l1", 3.0, "hr")]
    assert child.description == ""  # never inherited


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('base = "nope-x4"', r"child.toml: key 'base': unknown recipe 'nope-x4'"),
        ("base = 4", r"key 'base': expected a registered recipe name or a .toml path, got 4"),
        (
            'base = "missing.toml"',
            r"key 'base': the base 'missing.toml' does not load: .*missing.toml: cannot read",
        ),
        ('base = "child.toml"', r"key 'base': the chain of bases loops: .*child.toml -> .*child.toml"),
        (
            'base = "bicubic-x4"\n[[nodes]]\nname = "mr"\ndrop = true',
            r"key 'nodes\[0\].drop': the base has no entry 'mr' to drop",
        ),
        (
            'base = "bicubic-x4"\n[[nodes]]\nargs = {}',
            r"key 'nodes\[0\].name': a variant's entry needs a name",
        ),
        (
            'base = "bicubic-x4"\n[[nodes]]\nname = "sr"\nafter = "lr"',
            r"key 'nodes\[0\].after': only a new entry can be placed with after",
        ),
        (
            'base = "bicubic-x4"\n[[nodes]]\nname = "x"\ngenerator = "srcnn"\nafter = "zz"',
            r"key 'nodes\[0\].after': the base has no entry named 'zz'",
        ),
        (
            'base = "stagegan-x8"\n[[train.losses]]\nloss = "gan"\ndrop = true',
            r"key 'train.losses\[0\]': a variant's loss term needs node and loss",
        ),
        (
            'base = "bicubic-x4"\n[[nodes]]\nname = "sr"\ndrop = "yes"',
            r"key 'nodes\[0\].drop': expected true or false",
        ),
        (
            'base = "stagegan-x8"\n[[nodes]]\nname = "semm"\nargs = { ngf = 32 }',
            (
                r"key 'nodes\[0\]': 'semm' matches no entry of the base \('mr', 'sem', 's2', 'sr'\); fix the name, "
                r"or give a new entry its generator = \.\.\. or degradation = \.\.\.$"
            ),
        ),
        (
            'base = "stagegan-x8"\n[[train.critics]]\nname = "d9"\nargs = { ndf = 32 }',
            (
                r"key 'train.critics\[0\]': 'd9' matches no entry of the base \('d0', 'd1', 'd2'\); fix the name, "
                r"or give a new entry its discriminator = \.\.\.$"
            ),
        ),
    ],
)
def test_variant_errors_name_the_key(tmp_path: Path, text: str, message: str):
    path = _write(tmp_path, "child", f'name = "child"\n{text}\n')
    with pytest.raises(RecipeError, match=message):
        load_recipe(path)


def test_builtin_variants_are_a_few_lines():
    folder = Path(srzoo.describe("recipe", "stagegan-x4").target).parent
    for name in ("stagegan-x4", "stagegan-x4-nosem", "srcnn-x8", "srresnet-x8", "srgan-x8", "lapsrn-x4"):
        lines = (folder / f"{name}.toml").read_text("utf-8").splitlines()
        lines = [line for line in lines if not line.startswith("pretrained = ")]  # shipped weights
        assert len(lines) <= 16 and "base = " in "\n".join(lines), name


# --------------------------------------------------------------------------- misuse of the Python API


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: srzoo.build(5), srzoo.SrzooError, r"a recipe is named by a string .* got int 5"),
        (lambda: srzoo.get_recipe(None), srzoo.SrzooError, r"got NoneType None"),
        (
            lambda: srzoo.build("bicubic-x4", weights=123),
            srzoo.WeightsError,
            r"weights must be a path .* got int 123",
        ),
        (lambda: srzoo.load_recipe(5), RecipeError, r"^a recipe file is a path to a \.toml file, got int 5$"),
        (
            lambda: srzoo.load_weights(srzoo.build("bicubic-x4"), 5),
            srzoo.WeightsError,
            r"^weights must be a path to a weights file, got int 5$",
        ),
        (
            lambda: srzoo.save_weights(srzoo.build("bicubic-x4"), None),
            srzoo.WeightsError,
            r"^weights must be a path to a weights file, got NoneType None$",
        ),
        (
            lambda: srzoo.load_weights(5, "w.safetensors"),
            srzoo.InputError,
            r"^load_weights expects an srzoo\.SRModel, got int$",
        ),
        (
            lambda: srzoo.save_weights("model", "w.safetensors"),
            srzoo.InputError,
            r"^save_weights expects an nn\.Module \(e\.g\. an srzoo\.SRModel\), got str$",
        ),
        (
            lambda: srzoo.register_plugin(object(), 5),
            srzoo.SrzooError,
            r"^a plugin's name must be a non-empty string, got int 5$",
        ),
        (
            lambda: srzoo.build("bicubic-x4", scale=10**9),
            RecipeError,
            r"key 'scale': expected a scale up to 64",
        ),
        (
            lambda: srzoo.build("bicubic-x4", scale=8),
            RecipeError,
            r"key 'scale': recipe 'bicubic-x4' says scale",
        ),
        (
            lambda: srzoo.build("bicubic-x4", input_multiple=10**6),
            RecipeError,
            r"key 'input_multiple': expected at most 4096 LR pixels, got 1000000",
        ),
        (
            lambda: srzoo.build("bicubic-x4", sr={"scale": 1e300}),
            RecipeError,
            r"key 'nodes\[0\]': scale 1e\+300 with direction='up' enlarges each side 1e\+300x",
        ),
        (
            lambda: srzoo.build("bicubic-x4", sr={"scale": -4}),
            RecipeError,
            r"key 'nodes\[0\]': scale must be a positive",
        ),
        (
            lambda: srzoo.build("bicubic-x4", sr=4),
            RecipeError,
            r"override of node 'sr' must be a table of arguments",
        ),
        (
            lambda: srzoo.build("bicubic-x4", **{"": 1}),
            RecipeError,
            r"an override key must be a non-empty string",
        ),
        (
            lambda: srzoo.build("bicubic-x4", value_range="x"),
            RecipeError,
            r"key 'value_range': expected a list",
        ),
        (
            lambda: srzoo.build("bicubic-x4", **{"sr.antialias": "no"}),
            RecipeError,
            r"key 'nodes\[0\]': degradation 'bicubic': argument 'antialias' expects true or false, got str 'no'",
        ),
    ],
)
def test_python_api_misuse_raises_srzoo_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --------------------------------------------------------------------------- --set and srzoo info


@pytest.mark.parametrize(
    ("item", "value"),
    [
        ("sem.dropout_at_inference=false", False),
        ("sem.dropout_at_inference=False", False),  # Python's spelling, accepted for a bool
        ("sem.dropout_at_inference=True", True),
        ("sem.norm=instance", "instance"),  # a bare word where the argument is a string
        ('sem.norm="none"', "none"),
        ("sem.ngf=32", 32),
        ("train.optimizer.lr=1e-5", 1e-5),
        ("train.grad_clip=None", None),  # resets an optional field
        ("train.critics.d1.args.ndf=8", 8),
        ("input_multiple=64", 64),
        ("value_range=[0, 1]", [0, 1]),
    ],
)
def test_settings_are_typed(item, value):
    from srzoo.cli._options import parse_settings

    key = item.partition("=")[0]
    parsed = parse_settings([item], srzoo.get_recipe("stagegan-x8"))
    assert parsed == {key: value} and type(parsed[key]) is type(value)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("sem.ngf=abc", r"^--set sem.ngf=abc: expected an integer$"),
        ("sem.ngf=1.5", r"^--set sem.ngf=1.5: expected an integer, got float 1.5$"),
        ("sem.dropout_at_inference=yes", r"^--set sem.dropout_at_inference=yes: expected true or false$"),
        ("sem.dropout_at_inference=1", r"expected true or false, got int 1$"),
        ("sem.norm=batchy", r"expected one of 'batch', 'instance', 'none'$"),
        ("train.epochs=ten", r"^--set train.epochs=ten: expected an integer or None$"),
        ("scale=2.5", r"^--set scale=2.5: expected an integer, got float 2.5$"),
        ("name=mine", r"^--set name=mine: the name cannot be overridden; write a variant recipe"),
        (
            "weights=w.safetensors",
            r"^--set weights=w.safetensors: 'weights' is not a recipe key; use --weights PATH$",
        ),
        ("sem.ngf", r"^--set 'sem.ngf': expected KEY=VALUE$"),
        (
            "value_range=[0,1,2]",
            r"^--set value_range=\[0,1,2\]: expected a list of 2 numbers, got list \[0, 1, 2\]$",
        ),
        ("train.optimizer.betas=0.9", r"expected a list of 2 numbers, got float 0.9$"),
    ],
)
def test_bad_settings_give_one_line(item, message):
    from srzoo.cli._options import parse_settings

    with pytest.raises(srzoo.SrzooError, match=message):
        parse_settings([item], srzoo.get_recipe("stagegan-x8"))


def test_settings_reach_the_recipe_arguments():
    from srzoo.cli._options import recipe_with_settings

    recipe = recipe_with_settings(
        "stagegan-x8", ["sem.dropout_at_inference=True", "sem.ngf=4", "sem.num_downs=8"]
    )
    assert recipe.node("sem").args["dropout_at_inference"] is True
    assert (
        recipe_with_settings("stagegan-x8", ["sem.dropout_at_inference=False"])
        .node("sem")
        .args["dropout_at_inference"]
        is False
    )


def test_info_reads_files_and_settings(tmp_path: Path, capsys):
    from srzoo.cli import main

    path = _write(
        tmp_path,
        "mine",
        'base = "bicubic-x2"\nname = "mine"\nscale = 3\n[[nodes]]\nname = "sr"\nargs = { scale = 3 }\n',
    )
    assert main(["info", str(path), "--no-flops"]) == 0
    out = capsys.readouterr().out
    assert "recipe mine" in out and "×3" in out and "1 LR pixels, derived" in out and "2 LR pixels" in out
    assert (
        main(["info", "stagegan-x4", "--no-flops", "--set", "sem.num_downs=6", "--set", "s2.num_downs=6"])
        == 0
    )
    out = capsys.readouterr().out
    assert "16 LR pixels, derived from the components" in out and "num_downs=6" in out and "unbounded" in out
    assert main(["info", "bicubic-x4", "--set", "sr.scale=3"]) == 2
    err = capsys.readouterr().err
    assert (
        "key 'scale': recipe 'bicubic-x4' says scale = 4, but its output node 'sr' upscales the LR input by 3"
        in err
    )
    assert main(["info", "unet", "--set", "ngf=3"]) == 2
    assert capsys.readouterr().err.strip() == "error: --set changes recipes; 'unet' is a generator"
    assert main(["info", str(tmp_path / "nope.toml")]) == 2
    assert "nope.toml: cannot read the recipe" in capsys.readouterr().err


def test_a_derived_input_multiple_too_large_to_use_is_refused_naming_the_node(tmp_path: Path, capsys):
    from srzoo.cli import main

    def unet_recipe(num_downs: int) -> Path:
        return _write(
            tmp_path,
            f"deep-{num_downs}",
            f'name = "deep-{num_downs}"\nscale = 2\n'
            '[[nodes]]\nname = "mr"\ndegradation = "bicubic"\nargs = { scale = 2, direction = "up" }\n'
            f'[[nodes]]\nname = "sr"\ngenerator = "unet"\ninputs = ["mr"]\nargs = {{ num_downs = {num_downs}, ngf = 1 }}\n',
        )

    with pytest.raises(RecipeError) as caught:
        srzoo.build(unet_recipe(14))
    assert str(caught.value).endswith(
        "key 'nodes[1]': node 'sr': generator 'unet' needs LR inputs padded to multiples of 8192 pixels "
        "(at most 4096 is usable); check its arguments (e.g. a U-Net's num_downs)"
    )
    assert main(["info", str(unet_recipe(14))]) == 2
    assert "multiples of 8192 pixels" in capsys.readouterr().err
    # usable, but counting FLOPs would run a 4096x4096 output: the count is skipped, not attempted
    assert main(["info", str(unet_recipe(12))]) == 0
    assert (
        "FLOPs per 256×256 output not counted: the input multiple (2048 LR pixels) makes it a 4096×4096 "
        "computation" in " ".join(capsys.readouterr().out.split())
    )


def test_info_shows_typed_metadata(capsys):
    from srzoo.cli import main

    assert main(["info", "unet"]) == 0
    out = capsys.readouterr().out
    assert "256 with the default arguments (depends on them)" in out and "unbounded or unknown" in out
    assert "examples" not in out  # test fixtures are not shown


def test_critics_are_overridden_by_name_like_nodes():
    recipe = srzoo.get_recipe("stagegan-x8").with_overrides({"d0.ndf": 8, "d1": {"ndf": 4}})
    assert [(c.name, c.args["ndf"]) for c in recipe.train.critics] == [("d0", 8), ("d1", 4), ("d2", 64)]
    with pytest.raises(
        RecipeError, match=r"key 'zz.ndf': no node named 'zz'; nodes: mr, sem, s2, sr; critics: d0, d1, d2"
    ):
        srzoo.get_recipe("stagegan-x8").with_overrides({"zz.ndf": 8})
    with pytest.raises(RecipeError, match=r"override of critic 'd0' must be a table of arguments, got 8"):
        srzoo.get_recipe("stagegan-x8").with_overrides({"d0": 8})
