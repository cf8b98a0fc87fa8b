"""Recipes: which registered components an SR method chains, with their arguments, as TOML.

A recipe is a small dataflow graph. The input is named ``lr``; each node runs one registered
``generator`` or ``degradation`` on the channel-concatenation of earlier outputs; ``output`` names
the node whose result is the SR image. An optional ``[train]`` table records the paper's losses,
critics and optimiser. See ``docs/recipes.md`` for the full reference and examples.

Example (the bicubic baseline):

    name = "bicubic-x4"
    scale = 4
    output = "sr"

    [[nodes]]
    name = "sr"
    degradation = "bicubic"
    args = { scale = 4, direction = "up" }
"""

from __future__ import annotations

import contextvars
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ._hyperparameters import check_train
from .errors import RecipeError, SrzooError

__all__ = [
    "Critic",
    "LossTerm",
    "Node",
    "Optimizer",
    "Pretrained",
    "Published",
    "Recipe",
    "Schedule",
    "TrainSpec",
    "load_recipe",
    "parse_recipe",
]

INPUT_NAME = "lr"
NODE_KINDS = ("generator", "degradation")
GROUND_TRUTH_KEYS = ("hr", "lr")
"""Keys every dataset's items hold; a dataset declares more with ``targets=`` metadata (facades: semantic)."""
PAD_MODES = ("reflect", "replicate", "constant")
LOSS_LEVELS = ("output", "all")
TRAIN_STAGES = ("joint", "sequential")
PUBLISHED_METRICS = ("psnr", "ssim", "gsm")
Y_CONVENTIONS = ("rounded", "unrounded")
MAX_SCALE = 64
"""Larger factors are a mistake (a typo, an unit error), not a super-resolution task."""
MAX_INPUT_MULTIPLE = 4096
"""A stated ``input_multiple`` above this would pad every input to an unusable size."""
OUTPUT_ALIAS = "sr"
"""``return_intermediates`` returns the output under this name too, so no other node may use it."""
_NODE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


class FrozenMapping(Mapping[str, Any]):
    """A read-only mapping that, unlike ``types.MappingProxyType``, pickles and deep-copies, so that
    models holding a recipe can be saved with ``torch.save`` or copied (EMA, ``copy.deepcopy``)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "_data", dict(data or {}))

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(self._data)

    def __reduce__(self) -> tuple[type, tuple[dict[str, Any]]]:
        return (FrozenMapping, (self._data,))


def _plain(value: Any) -> Any:
    """A TOML-like copy of ``value``: mappings become dicts and tuples lists, recursively."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _frozen_args(value: Mapping[str, Any] | None) -> FrozenMapping:
    """Arguments as a read-only mapping of TOML-like values (what a TOML file would give)."""
    return FrozenMapping(_plain(dict(value or {})))


def _set(obj: object, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)  # normalising a frozen dataclass in __post_init__


@dataclass(frozen=True)
class Node:
    """One step of the graph: ``name = kind[component](*inputs, **args)``.

    Attributes:
        name: the output's name, used by later nodes, losses and critics.
        kind: ``"generator"`` or ``"degradation"``.
        component: the registered name of the component.
        inputs: names of earlier outputs (or ``"lr"``), concatenated along channels.
        args: keyword arguments for the component's factory (read-only; lists stay lists, as in TOML).
    """

    name: str
    kind: str
    component: str
    inputs: tuple[str, ...] = (INPUT_NAME,)
    args: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _set(self, "inputs", tuple(self.inputs))
        _set(self, "args", _frozen_args(self.args))

    def to_dict(self) -> dict[str, Any]:
        """The node as a ``[[nodes]]`` table."""
        return {
            "name": self.name,
            self.kind: self.component,
            "inputs": list(self.inputs),
            "args": _plain(self.args),
        }


@dataclass(frozen=True)
class Critic:
    """A discriminator used in training.

    Attributes:
        name: the critic's name, referred to by GAN loss terms.
        component: the registered discriminator name.
        judges: the node whose output is judged "fake"; the "real" sample is ``target``.
        target: the ground-truth key (``"hr"`` or ``"semantic"``) shown as "real".
        condition: node names concatenated (channels first) with the judged image.
        args: keyword arguments for the discriminator's factory.
    """

    name: str
    component: str
    judges: str
    target: str = "hr"
    condition: tuple[str, ...] = ()
    args: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _set(self, "condition", tuple(self.condition))
        _set(self, "args", _frozen_args(self.args))

    def to_dict(self) -> dict[str, Any]:
        """The critic as a ``[[train.critics]]`` table."""
        return {
            "name": self.name,
            "discriminator": self.component,
            "judges": self.judges,
            "target": self.target,
            "condition": list(self.condition),
            "args": _plain(self.args),
        }


@dataclass(frozen=True)
class LossTerm:
    """One weighted term of a generator's loss.

    Attributes:
        component: the registered loss name.
        node: the node whose output is penalised.
        weight: the term's weight (λ).
        target: the ground-truth key compared with ``node`` (reconstruction losses).
        critic: the critic that scores ``node`` (adversarial losses).
        args: keyword arguments for the loss's factory.
    """

    component: str
    node: str
    weight: float = 1.0
    target: str | None = None
    critic: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)
    levels: str = "output"
    """``"output"``: the node's output alone; ``"all"``: every level of a pyramid generator's
    ``forward_pyramid`` (LapSRN's per-level Charbonnier loss), each against the target resized to it."""

    def __post_init__(self) -> None:
        _set(self, "args", _frozen_args(self.args))

    def to_dict(self) -> dict[str, Any]:
        """The term as a ``[[train.losses]]`` table."""
        table: dict[str, Any] = {"loss": self.component, "node": self.node, "weight": self.weight}
        if self.target is not None:
            table["target"] = self.target
        if self.critic is not None:
            table["critic"] = self.critic
        table["args"] = _plain(self.args)
        table["levels"] = self.levels
        return table


@dataclass(frozen=True)
class Published:
    """A value a paper reports for this recipe, shown beside srzoo's measurement with the gap.

    Attributes:
        dataset: the benchmark set, e.g. ``"set5"``.
        metric: ``"psnr"``, ``"ssim"`` or ``"gsm"``.
        value: the published number.
        y: the Y convention it was measured with: ``"rounded"`` or ``"unrounded"``.
        source: who published it (paper, table).
    """

    dataset: str
    metric: str
    value: float
    y: str = "rounded"
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The value as a ``[[published]]`` table."""
        return {
            "dataset": self.dataset,
            "metric": self.metric,
            "value": self.value,
            "y": self.y,
            "source": self.source,
        }


@dataclass(frozen=True)
class Pretrained:
    """The weights srzoo ships for a recipe: its ``pretrained = { file = ..., sha256 = ... }`` table,
    which [`srzoo.build`][srzoo.build] loads with ``pretrained=True``.

    Attributes:
        file: ``"PACKAGE:PATH"`` (a file inside an installed package, found with
            ``importlib.resources``) or a path; a relative path in a recipe file is read from the
            recipe file's folder, so it is stored absolute.
        sha256: the file's hex sha256 (64 lower-case digits), checked before loading.
    """

    file: str
    sha256: str

    def path(self) -> Path:
        """The weights file on disk (it may not exist)."""
        package, sep, inner = self.file.partition(":")
        if sep and _PACKAGE_NAME.fullmatch(package) and len(package) > 1:  # not a Windows drive letter
            from importlib.resources import files

            try:
                return Path(str(files(package).joinpath(inner)))
            except ModuleNotFoundError:
                return Path(self.file)
        return Path(self.file)

    def to_dict(self) -> dict[str, str]:
        """The ``pretrained`` table."""
        return {"file": self.file, "sha256": self.sha256}


_PACKAGE_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Optimizer:
    """Optimiser settings (``name`` is a ``torch.optim`` class name in lower case, e.g. ``adam``).

    ``lr_multipliers`` maps a parameter-name prefix of the [`SRModel`][srzoo.SRModel] (e.g.
    ``"stages.sr.reconstruct"``) to a factor on ``lr``, for papers that train some layers slower
    (SRCNN's last layer learns 10× slower).
    """

    name: str = "adam"
    lr: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.999)
    momentum: float = 0.0
    weight_decay: float = 0.0
    lr_multipliers: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _set(self, "betas", tuple(self.betas))
        _set(self, "lr_multipliers", _frozen_args(self.lr_multipliers))

    def to_dict(self) -> dict[str, Any]:
        """The settings as a ``[train.optimizer]`` table."""
        return {
            "name": self.name,
            "lr": self.lr,
            "betas": list(self.betas),
            "momentum": self.momentum,
            "weight_decay": self.weight_decay,
            "lr_multipliers": _plain(self.lr_multipliers),
        }


@dataclass(frozen=True)
class Schedule:
    """Learning-rate schedule.

    ``constant``; ``linear-decay`` (constant for ``constant_epochs`` then linearly to 0 over
    ``decay_epochs``, as pix2pix); ``step`` (multiply by ``gamma`` every ``step_epochs``).
    """

    name: str = "constant"
    constant_epochs: int = 0
    decay_epochs: int = 0
    step_epochs: int = 0
    gamma: float = 0.1

    def to_dict(self) -> dict[str, Any]:
        """The schedule as a ``[train.schedule]`` table."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class TrainSpec:
    """How the paper trained the method.

    The length is given as ``epochs`` (passes over the dataset) or ``steps`` (parameter updates,
    as papers trained on large sets report it), or neither when the paper does not say.
    """

    dataset: str | None = None
    batch_size: int = 1
    epochs: int | None = None
    steps: int | None = None
    patch_size: int | None = None
    optimizer: Optimizer = field(default_factory=Optimizer)
    critic_optimizer: Optimizer | None = None
    schedule: Schedule = field(default_factory=Schedule)
    losses: tuple[LossTerm, ...] = ()
    critics: tuple[Critic, ...] = ()
    stages: str = "joint"
    """``"joint"`` trains every generator together (Stage-GAN eq. 10); ``"sequential"`` trains one
    generator at a time in graph order, each on the outputs of the already trained ones."""
    critic_steps: int = 1
    """Critic updates per generator update."""
    grad_clip: float | None = None
    """Clip each network's gradient norm to this value; ``None`` does not clip."""
    ema_decay: float | None = None
    """Keep an exponential moving average of the generators with this decay (e.g. 0.999); the EMA
    weights are validated and exported. ``None``: no EMA."""
    degradation: str | Mapping[str, Any] | None = None
    """How training LR images are made from HR: a registered degradation name, or a table
    ``{name = ..., ...arguments}``. ``None``: MATLAB-exact ``bicubic`` at the recipe's scale."""

    def __post_init__(self) -> None:
        _set(self, "losses", tuple(self.losses))
        _set(self, "critics", tuple(self.critics))
        if isinstance(self.degradation, Mapping):
            _set(self, "degradation", _frozen_args(self.degradation))

    def to_dict(self) -> dict[str, Any]:
        """The settings as a ``[train]`` table (``None`` fields are left out, as TOML has no null)."""
        table: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name in ("losses", "critics"):
                table[f.name] = [item.to_dict() for item in value]
            elif isinstance(value, (Optimizer, Schedule)):
                table[f.name] = value.to_dict()
            else:
                table[f.name] = _plain(value)
        return table


@dataclass(frozen=True)
class Recipe:
    """A validated recipe: the dataclasses are all there is (no stored source data).

    Attributes:
        name: the recipe's registered name, e.g. ``"stagegan-x8"``.
        scale: the upscaling factor ``s``: output is ``(N, 3, s*h, s*w)``.
        nodes: the graph's steps in execution order.
        output: the node whose result is the SR image.
        value_range: the range the networks work in; the API edge is always ``[0, 1]``.
        input_multiple: a stated override of the multiple the LR input is padded to, or ``None``
            (the usual case): the built model derives it from its components' metadata, see
            `SRModel.input_multiple`.
        pad_mode: how that padding is filled (``reflect`` falls back to ``replicate`` on tiny inputs).
        description: one line shown by ``srzoo list`` and ``srzoo info``.
        paper: the paper the recipe reproduces, shown by ``srzoo info``.
        license: the license of the method or its weights, shown by ``srzoo info``.
        train: the paper's training settings, or ``None``.
        published: values papers report for this recipe (``srzoo bench`` shows the gap).
        pretrained: the weights srzoo ships for this recipe ([`Pretrained`][srzoo.recipe.Pretrained]),
            or ``None`` (no recipe ships weights yet).
        source: where the recipe came from (a file path), for error messages; not part of equality.
    """

    name: str
    scale: int
    nodes: tuple[Node, ...]
    output: str = OUTPUT_ALIAS
    value_range: tuple[float, float] = (0.0, 1.0)
    input_multiple: int | None = None
    pad_mode: str = "reflect"
    description: str = ""
    paper: str = ""
    license: str = ""
    train: TrainSpec | None = None
    published: tuple[Published, ...] = ()
    pretrained: Pretrained | None = None
    source: str = field(default="<recipe>", compare=False)

    def __post_init__(self) -> None:
        _set(self, "nodes", tuple(self.nodes))
        _set(self, "value_range", tuple(self.value_range))
        _set(self, "published", tuple(self.published))

    def node(self, name: str) -> Node:
        """The node called ``name``."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise RecipeError(
            self.source, "nodes", f"no node named {name!r}; nodes: {', '.join(n.name for n in self.nodes)}"
        )

    def to_dict(self) -> dict[str, Any]:
        """The recipe as a TOML-like dict that `parse_recipe` reads back
        into an equal recipe (``None`` fields are left out, as TOML has no null).

        Examples:
            >>> from srzoo.recipe import parse_recipe
            >>> recipe = srzoo.get_recipe("bicubic-x4")
            >>> parse_recipe(recipe.to_dict()) == recipe
            True
        """
        data: dict[str, Any] = {
            "name": self.name,
            "scale": self.scale,
            "output": self.output,
            "value_range": list(self.value_range),
            "pad_mode": self.pad_mode,
            "description": self.description,
            "paper": self.paper,
            "license": self.license,
        }
        if self.input_multiple is not None:
            data["input_multiple"] = self.input_multiple
        data["nodes"] = [node.to_dict() for node in self.nodes]
        if self.train is not None:
            data["train"] = self.train.to_dict()
        if self.published:
            data["published"] = [entry.to_dict() for entry in self.published]
        if self.pretrained is not None:
            data["pretrained"] = self.pretrained.to_dict()
        return data

    def with_overrides(self, overrides: Mapping[str, Any]) -> Recipe:
        """Return a copy with ``overrides`` applied, validated again; the original is unchanged.

        Keys are top-level fields (``input_multiple=64``), node or critic names with a table of
        arguments (``sem={"ngf": 32}``), dotted paths into a node's or a critic's arguments or the
        training settings (``"sem.ngf": 32``, ``"d0.ndf": 32``, ``"train.optimizer.lr": 1e-5``,
        ``"train.critics.d0.args.ndf": 32``).
        ``None`` resets a recipe field (not a node argument) to its default. Works on any recipe,
        read from TOML or built in Python.

        Raises:
            RecipeError: naming the key: an unknown node, field or table, a field that cannot be
                overridden (``name``, ``nodes``, ``base``), or a value that does not validate.

        Examples:
            >>> recipe = srzoo.get_recipe("stagegan-x8").with_overrides({"sem.ngf": 32})
            >>> recipe.node("sem").args["ngf"]
            32
        """
        from ._recipe_merge import apply_override

        if not isinstance(overrides, Mapping):
            raise RecipeError(
                self.source,
                "",
                f"overrides must be a mapping of key -> value, got {type(overrides).__name__}",
            )
        data = self.to_dict()
        for key, value in overrides.items():
            apply_override(data, key, value, self.source)
        return parse_recipe(data, source=self.source)


# --------------------------------------------------------------------------- parsing helpers


class _Reader:
    """Reads one TOML table, checking types, and reports unknown keys with the path to them."""

    def __init__(self, table: Any, source: str, path: str) -> None:
        if not isinstance(table, Mapping):
            raise RecipeError(source, path or "<top>", f"expected a table, got {type(table).__name__}")
        self.table = table
        self.source = source
        self.path = path
        self.used: set[str] = set()

    def _key(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, problem: str) -> RecipeError:
        return RecipeError(self.source, self._key(key), problem)

    def get(self, key: str, types: type | tuple[type, ...], default: Any = ..., what: str = "") -> Any:
        self.used.add(key)
        if key not in self.table:
            if default is ...:
                raise self.fail(key, f"missing; expected {what or _type_names(types)}")
            return default
        value = self.table[key]
        # bool is an int in Python; a recipe saying scale = true is a mistake
        if isinstance(value, bool) and bool not in _as_tuple(types):
            raise self.fail(key, f"expected {what or _type_names(types)}, got {value!r}")
        if not isinstance(value, types):
            raise self.fail(
                key, f"expected {what or _type_names(types)}, got {type(value).__name__} {value!r}"
            )
        return value

    def name_list(self, key: str, default: Any = ...) -> tuple[str, ...]:
        value = self.get(key, list, default, what="a list of names")
        if not all(isinstance(item, str) and item for item in value):
            raise self.fail(key, f"expected a list of names, got {value!r}")
        return tuple(value)

    def args(self, key: str = "args") -> Mapping[str, Any]:
        return FrozenMapping(dict(self.get(key, dict, {}, what="a table of arguments")))

    def positive(self, key: str, kind: type, default: Any = ...) -> Any:
        types: tuple[type, ...] = (int,) if kind is int else (int, float)
        value = self.get(key, types, default, what=f"a positive {kind.__name__}")
        if value is not None and value <= 0:
            raise self.fail(key, f"expected a positive {kind.__name__}, got {value!r}")
        return kind(value) if value is not None else None

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            known = ", ".join(sorted(self.used))
            raise self.fail(unknown[0], f"unknown key; expected one of: {known}")


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _type_names(types: type | tuple[type, ...]) -> str:
    names = {
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
        bool: "true or false",
    }
    return " or ".join(names.get(t, t.__name__) for t in _as_tuple(types))


def _parse_node(table: Any, source: str, index: int) -> Node:
    reader = _Reader(table, source, f"nodes[{index}]")
    name = reader.get("name", str, what="the node's output name")
    if not _NODE_NAME.fullmatch(name):
        raise reader.fail(
            "name", f"expected a name of letters, digits, '_' and '-' starting with a letter, got {name!r}"
        )
    kinds = [kind for kind in NODE_KINDS if kind in reader.table]
    if len(kinds) != 1:
        raise reader.fail(
            "generator", "expected exactly one of 'generator = \"NAME\"' or 'degradation = \"NAME\"'"
        )
    component = reader.get(kinds[0], str, what="a registered component name")
    inputs = reader.name_list("inputs", [INPUT_NAME])
    if not inputs:
        raise reader.fail("inputs", 'expected at least one input name (default: ["lr"])')
    args = reader.args()
    reader.finish()
    return Node(name, kinds[0], component, inputs, args)


def _parse_optimizer(table: Any, source: str, path: str) -> Optimizer:
    reader = _Reader(table, source, path)
    betas = reader.get("betas", list, [0.9, 0.999], what="a list of two numbers")
    if len(betas) != 2 or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in betas):
        raise reader.fail("betas", f"expected a list of two numbers, got {betas!r}")
    multipliers = reader.get("lr_multipliers", dict, {}, what="a table of parameter prefix = factor")
    for prefix, factor in multipliers.items():
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or factor < 0:
            raise reader.fail(
                "lr_multipliers", f"expected a non-negative number for {prefix!r}, got {factor!r}"
            )
    optimizer = Optimizer(
        name=reader.get("name", str, "adam"),
        lr=reader.positive("lr", float, 1e-4),
        betas=(float(betas[0]), float(betas[1])),
        momentum=float(reader.get("momentum", (int, float), 0.0)),
        weight_decay=float(reader.get("weight_decay", (int, float), 0.0)),
        lr_multipliers=FrozenMapping({k: float(v) for k, v in multipliers.items()}),
    )
    reader.finish()
    return optimizer


def _parse_schedule(table: Any, source: str) -> Schedule:
    reader = _Reader(table, source, "train.schedule")
    name = reader.get("name", str, "constant")
    if name not in ("constant", "linear-decay", "step"):
        raise reader.fail("name", f"expected 'constant', 'linear-decay' or 'step', got {name!r}")
    schedule = Schedule(
        name=name,
        constant_epochs=int(reader.get("constant_epochs", int, 0)),
        decay_epochs=int(reader.get("decay_epochs", int, 0)),
        step_epochs=int(reader.get("step_epochs", int, 0)),
        gamma=float(reader.get("gamma", (int, float), 0.1)),
    )
    reader.finish()
    return schedule


def _parse_train(table: Any, source: str, node_names: set[str]) -> TrainSpec:
    reader = _Reader(table, source, "train")
    critics: list[Critic] = []
    for i, item in enumerate(reader.get("critics", list, [], what="a list of tables")):
        c = _Reader(item, source, f"train.critics[{i}]")
        critic = Critic(
            name=c.get("name", str),
            component=c.get("discriminator", str, what="a registered discriminator name"),
            judges=c.get("judges", str, what="the name of the node whose output is judged"),
            target=c.get("target", str, "hr"),
            condition=c.name_list("condition", []),
            args=c.args(),
        )
        c.finish()
        _check_refs(c, "judges", [critic.judges], node_names)
        _check_refs(c, "condition", critic.condition, node_names | {INPUT_NAME})
        _check_target(c, critic.target, table.get("dataset") if isinstance(table, Mapping) else None)
        critics.append(critic)
    critic_names = {c.name for c in critics}
    losses: list[LossTerm] = []
    for i, item in enumerate(reader.get("losses", list, [], what="a list of tables")):
        r = _Reader(item, source, f"train.losses[{i}]")
        term = LossTerm(
            component=r.get("loss", str, what="a registered loss name"),
            node=r.get("node", str, what="the name of the node whose output is penalised"),
            weight=float(r.get("weight", (int, float), 1.0)),
            target=r.get("target", str, None),
            critic=r.get("critic", str, None),
            args=r.args(),
            levels=r.get("levels", str, "output"),
        )
        if term.levels not in LOSS_LEVELS:
            raise r.fail("levels", f"expected one of {', '.join(LOSS_LEVELS)}, got {term.levels!r}")
        r.finish()
        _check_refs(r, "node", [term.node], node_names)
        if (term.target is None) == (term.critic is None):
            raise r.fail(
                "target", "expected exactly one of 'target' (a ground-truth key) or 'critic' (a critic name)"
            )
        if term.target is not None:
            _check_target(r, term.target, table.get("dataset") if isinstance(table, Mapping) else None)
        if term.critic is not None and term.critic not in critic_names:
            raise r.fail(
                "critic",
                f"no critic named {term.critic!r}; critics: {', '.join(sorted(critic_names)) or 'none'}",
            )
        losses.append(term)
    critic_optimizer = reader.get("critic_optimizer", dict, None)
    stages = reader.get("stages", str, "joint")
    if stages not in TRAIN_STAGES:
        raise reader.fail("stages", f"expected one of {', '.join(TRAIN_STAGES)}, got {stages!r}")
    degradation = reader.get("degradation", (str, dict), None, what="a degradation name or a table")
    if isinstance(degradation, dict):
        if not isinstance(degradation.get("name"), str):
            raise reader.fail("degradation", 'a degradation table needs name = "REGISTERED_NAME"')
        degradation = FrozenMapping(degradation)
    spec = TrainSpec(
        dataset=reader.get("dataset", str, None),
        batch_size=reader.positive("batch_size", int, 1),
        epochs=reader.positive("epochs", int, None),
        steps=reader.positive("steps", int, None),
        patch_size=reader.positive("patch_size", int, None),
        optimizer=_parse_optimizer(reader.get("optimizer", dict, {}), source, "train.optimizer"),
        critic_optimizer=None
        if critic_optimizer is None
        else _parse_optimizer(critic_optimizer, source, "train.critic_optimizer"),
        schedule=_parse_schedule(reader.get("schedule", dict, {}), source),
        losses=tuple(losses),
        critics=tuple(critics),
        stages=stages,
        critic_steps=reader.positive("critic_steps", int, 1),
        grad_clip=reader.positive("grad_clip", float, None),
        ema_decay=_parse_decay(reader),
        degradation=degradation,
    )
    reader.finish()
    check_train(spec, source)
    return spec


def _parse_decay(reader: _Reader) -> float | None:
    decay = reader.get("ema_decay", (int, float), None)
    if decay is not None and not 0.0 < decay < 1.0:
        raise reader.fail("ema_decay", f"expected a number in (0, 1), e.g. 0.999, got {decay!r}")
    return None if decay is None else float(decay)


def _parse_published(items: list[Any], source: str) -> tuple[Published, ...]:
    published = []
    for i, item in enumerate(items):
        r = _Reader(item, source, f"published[{i}]")
        entry = Published(
            dataset=r.get("dataset", str),
            metric=r.get("metric", str),
            value=float(r.get("value", (int, float))),
            y=r.get("y", str, "rounded"),
            source=r.get("source", str, ""),
        )
        r.finish()
        if entry.metric not in PUBLISHED_METRICS:
            raise r.fail("metric", f"expected one of {', '.join(PUBLISHED_METRICS)}, got {entry.metric!r}")
        if entry.y not in Y_CONVENTIONS:
            raise r.fail("y", f"expected one of {', '.join(Y_CONVENTIONS)}, got {entry.y!r}")
        published.append(entry)
    return tuple(published)


def _parse_pretrained(table: Any, source: str, base_dir: str | Path | None) -> Pretrained | None:
    if table is None:
        return None
    r = _Reader(table, source, "pretrained")
    file = r.get("file", str, what="'PACKAGE:PATH' or a path to a .safetensors file")
    sha256 = r.get("sha256", str, what="the file's hex sha256")
    r.finish()
    if not file:
        raise r.fail("file", "expected 'PACKAGE:PATH' or a path to a .safetensors file, got ''")
    if not _SHA256.fullmatch(sha256):
        raise r.fail("sha256", f"expected 64 lower-case hex digits, got {sha256!r}")
    entry = Pretrained(file, sha256)
    if entry.path() == Path(file) and not Path(file).is_absolute():  # a path, not PACKAGE:PATH
        if base_dir is None:
            raise r.fail(
                "file", f"{file!r} is relative but the recipe has no file to be relative to; use PACKAGE:PATH"
            )
        entry = Pretrained(str((Path(base_dir) / file).resolve()), sha256)
    return entry


def _check_refs(reader: _Reader, key: str, refs: tuple[str, ...] | list[str], known: set[str]) -> None:
    for ref in refs:
        if ref not in known:
            raise reader.fail(key, f"no node named {ref!r}; expected one of: {', '.join(sorted(known))}")


def _check_target(reader: _Reader, target: str, dataset: object) -> None:
    from ._plugins import registry  # keys the dataset declares; without train.dataset, any dataset's

    datasets = {entry.name: entry for entry in registry().entries("dataset")}
    chosen = [datasets[dataset]] if isinstance(dataset, str) and dataset in datasets else datasets.values()
    declared = [key for entry in chosen for key in entry.metadata.targets]
    keys = tuple(dict.fromkeys([*GROUND_TRUTH_KEYS, *declared]))
    if target not in keys:
        raise reader.fail("target", f"expected a ground-truth key ({', '.join(keys)}), got {target!r}")


def parse_recipe(
    data: Mapping[str, Any], *, source: str = "<recipe>", base_dir: str | Path | None = None
) -> Recipe:
    """Validate a recipe given as a (TOML-like) mapping.

    A ``base = "NAME"`` key (a registered recipe, or a ``.toml`` path relative to ``base_dir``)
    makes this a variant: the base's content is merged with this mapping's keys, see
    ``docs/recipes.md`` ("Variants").

    Args:
        data: the recipe's tables, as ``tomllib`` gives them or `Recipe.to_dict` makes them.
        source: where it came from, for error messages.
        base_dir: the folder a relative ``base`` path is read from (the recipe file's folder);
            the working directory when ``None``.

    Raises:
        RecipeError: naming ``source``, the offending key and what was expected.
    """
    if isinstance(data, Mapping) and "base" in data:
        data = _resolve_base(data, source, base_dir)
    reader = _Reader(data, source, "")
    name = reader.get("name", str, what="the recipe's name")
    scale = reader.positive("scale", int)
    if scale > MAX_SCALE:
        raise reader.fail("scale", f"expected a scale up to {MAX_SCALE}, got {scale}")
    input_multiple = reader.positive("input_multiple", int, None)
    if input_multiple is not None and input_multiple > MAX_INPUT_MULTIPLE:
        raise reader.fail(
            "input_multiple", f"expected at most {MAX_INPUT_MULTIPLE} LR pixels, got {input_multiple}"
        )
    value_range = reader.get("value_range", list, [0.0, 1.0], what="a list [low, high]")
    if (
        len(value_range) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value_range)
        or not value_range[0] < value_range[1]
    ):
        raise reader.fail("value_range", f"expected [low, high] with low < high, got {value_range!r}")
    pad_mode = reader.get("pad_mode", str, "reflect")
    if pad_mode not in PAD_MODES:
        raise reader.fail("pad_mode", f"expected one of {', '.join(PAD_MODES)}, got {pad_mode!r}")

    node_tables = reader.get("nodes", list, what="a list of [[nodes]] tables")
    if not node_tables:
        raise reader.fail("nodes", "expected at least one [[nodes]] table")
    nodes: list[Node] = []
    seen = {INPUT_NAME}
    for index, table in enumerate(node_tables):
        node = _parse_node(table, source, index)
        if node.name in seen:
            raise RecipeError(
                source,
                f"nodes[{index}].name",
                f"{node.name!r} is already defined; node names must be unique and not 'lr'",
            )
        for ref in node.inputs:
            if ref not in seen:
                raise RecipeError(
                    source,
                    f"nodes[{index}].inputs",
                    f"{ref!r} is not defined before this node; expected one of: {', '.join(sorted(seen))}",
                )
        seen.add(node.name)
        nodes.append(node)
    node_names = seen - {INPUT_NAME}
    output = reader.get("output", str, nodes[-1].name)
    if output not in node_names:
        raise reader.fail(
            "output", f"no node named {output!r}; expected one of: {', '.join(sorted(node_names))}"
        )
    if OUTPUT_ALIAS in node_names and output != OUTPUT_ALIAS:
        raise reader.fail(
            "output",
            f"a node named {OUTPUT_ALIAS!r} must be the output (the SR image is always called {OUTPUT_ALIAS!r})",
        )
    train_table = reader.get("train", dict, None)
    recipe = Recipe(
        name=name,
        scale=scale,
        nodes=tuple(nodes),
        output=output,
        value_range=(float(value_range[0]), float(value_range[1])),
        input_multiple=input_multiple,
        pad_mode=pad_mode,
        description=reader.get("description", str, ""),
        paper=reader.get("paper", str, ""),
        license=reader.get("license", str, ""),
        train=None if train_table is None else _parse_train(train_table, source, node_names),
        published=_parse_published(
            reader.get("published", list, [], what="a list of [[published]] tables"), source
        ),
        pretrained=_parse_pretrained(
            reader.get("pretrained", dict, None, what="a table { file = ..., sha256 = ... }"),
            source,
            base_dir,
        ),
        source=source,
    )
    reader.finish()
    return recipe


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate a recipe TOML file.

    Raises:
        RecipeError: if the file is missing, is not TOML, or does not validate.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise RecipeError(
            "", "", f"a recipe file is a path to a .toml file, got {type(path).__name__} {path!r}"
        )
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise RecipeError(str(path), "", f"cannot read the recipe: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RecipeError(str(path), "", "not a UTF-8 text file; expected a TOML recipe") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(str(path), "", f"invalid TOML: {exc}") from None
    return parse_recipe(data, source=str(path), base_dir=path.parent)


_BASES: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("srzoo_recipe_bases", default=())
"""The chain of bases being resolved, to report a loop instead of recursing forever."""


def _resolve_base(data: Mapping[str, Any], source: str, base_dir: str | Path | None) -> dict[str, Any]:
    """Merge a variant's keys into its base's content (see ``docs/recipes.md``, "Variants")."""
    from ._recipe_merge import merge_variant

    base = data["base"]
    if not isinstance(base, str) or not base:
        raise RecipeError(source, "base", f"expected a registered recipe name or a .toml path, got {base!r}")
    is_path = base.endswith(".toml")
    key = str((Path(base_dir or ".") / base).resolve()) if is_path else base
    chain = _BASES.get()
    if key in chain:
        loop = " -> ".join([*chain[chain.index(key) :], key])
        raise RecipeError(source, "base", f"the chain of bases loops: {loop}")
    token = _BASES.set((*chain, key))
    try:
        if is_path:
            parent = load_recipe(key)
        else:
            from .api import get_recipe

            parent = get_recipe(base)
    except RecipeError as exc:
        if exc.key == "base" and "loops" in exc.problem:
            raise
        raise RecipeError(source, "base", f"the base {base!r} does not load: {exc}") from None
    except SrzooError as exc:
        raise RecipeError(source, "base", str(exc)) from None
    finally:
        _BASES.reset(token)
    return merge_variant(parent.to_dict(), {k: v for k, v in data.items() if k != "base"}, source)
