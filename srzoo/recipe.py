"""Recipes: which registered components an SR method chains, with their arguments, as TOML.

A recipe is a small dataflow graph. The input is named ``lr``; each node runs one registered
``generator`` or ``degradation`` on the channel-concatenation of earlier outputs; ``output`` names
the node whose result is the SR image. An optional ``[train]`` table records the paper's losses,
critics and optimiser. See ``docs/recipes.md`` for the full reference and examples.

Example (the bicubic baseline)::

    name = "bicubic-x4"
    scale = 4
    output = "sr"

    [[nodes]]
    name = "sr"
    degradation = "bicubic"
    args = { scale = 4, direction = "up" }
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import RecipeError

__all__ = [
    "Critic",
    "LossTerm",
    "Node",
    "Optimizer",
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
OUTPUT_ALIAS = "sr"
"""``return_intermediates`` returns the output under this name too, so no other node may use it."""
_NODE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Node:
    """One step of the graph: ``name = kind[component](*inputs, **args)``.

    Attributes:
        name: the output's name, used by later nodes, losses and critics.
        kind: ``"generator"`` or ``"degradation"``.
        component: the registered name of the component.
        inputs: names of earlier outputs (or ``"lr"``), concatenated along channels.
        args: keyword arguments for the component's factory.
    """

    name: str
    kind: str
    component: str
    inputs: tuple[str, ...]
    args: Mapping[str, Any] = field(default_factory=dict)


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
    target: str
    condition: tuple[str, ...] = ()
    args: Mapping[str, Any] = field(default_factory=dict)


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


@dataclass(frozen=True)
class Optimizer:
    """Optimiser settings (``name`` is a ``torch.optim`` class name in lower case, e.g. ``adam``).

    ``lr_multipliers`` maps a parameter-name prefix of the :class:`~srzoo.SRModel` (e.g.
    ``"stages.sr.reconstruct"``) to a factor on ``lr``, for papers that train some layers slower
    (SRCNN's last layer learns 10× slower).
    """

    name: str = "adam"
    lr: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.999)
    momentum: float = 0.0
    weight_decay: float = 0.0
    lr_multipliers: Mapping[str, float] = field(default_factory=dict)


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


@dataclass(frozen=True)
class Recipe:
    """A validated recipe.

    Attributes:
        name: the recipe's registered name, e.g. ``"stagegan-x8"``.
        scale: the upscaling factor ``s``: output is ``(N, 3, s*h, s*w)``.
        nodes: the graph's steps in execution order.
        output: the node whose result is the SR image.
        value_range: the range the networks work in; the API edge is always ``[0, 1]``.
        input_multiple: the LR input is padded to a multiple of this, then the output cropped.
        pad_mode: how that padding is filled (``reflect`` falls back to ``replicate`` on tiny inputs).
        description, paper, license: shown by ``srzoo info``.
        train: the paper's training settings, or ``None``.
        published: values papers report for this recipe (``srzoo bench`` shows the gap).
        source: where the recipe came from (a file path), for error messages.
    """

    name: str
    scale: int
    nodes: tuple[Node, ...]
    output: str
    value_range: tuple[float, float] = (0.0, 1.0)
    input_multiple: int = 1
    pad_mode: str = "reflect"
    description: str = ""
    paper: str = ""
    license: str = ""
    train: TrainSpec | None = None
    published: tuple[Published, ...] = ()
    source: str = "<recipe>"
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def node(self, name: str) -> Node:
        """The node called ``name``."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise RecipeError(
            self.source, "nodes", f"no node named {name!r}; nodes: {', '.join(n.name for n in self.nodes)}"
        )

    def with_overrides(self, overrides: Mapping[str, Any]) -> Recipe:
        """Return a copy with ``overrides`` applied, validated again.

        Keys are top-level fields (``input_multiple=64``), node names with a dict of arguments
        (``sem={"ngf": 32}``), or dotted paths ``node.arg`` / ``train.key`` (``"sem.ngf": 32``).
        """
        if not self.raw:
            raise RecipeError(
                self.source,
                "",
                "overrides need a recipe read from TOML or a dict (srzoo.parse_recipe); this one has no source data",
            )
        raw = copy.deepcopy(dict(self.raw))
        for key, value in overrides.items():
            _apply_override(raw, key, value, self.source)
        return parse_recipe(raw, source=self.source)


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


def _check_refs(reader: _Reader, key: str, refs: tuple[str, ...] | list[str], known: set[str]) -> None:
    for ref in refs:
        if ref not in known:
            raise reader.fail(key, f"no node named {ref!r}; expected one of: {', '.join(sorted(known))}")


def _check_target(reader: _Reader, target: str, dataset: object) -> None:
    from ._plugins import registry  # keys the dataset declares; without train.dataset, any dataset's

    datasets = {entry.name: entry for entry in registry().entries("dataset")}
    chosen = [datasets[dataset]] if isinstance(dataset, str) and dataset in datasets else datasets.values()
    declared = [key for entry in chosen for key in entry.metadata.get("targets", ())]
    keys = tuple(dict.fromkeys([*GROUND_TRUTH_KEYS, *declared]))
    if target not in keys:
        raise reader.fail("target", f"expected a ground-truth key ({', '.join(keys)}), got {target!r}")


def parse_recipe(data: Mapping[str, Any], *, source: str = "<recipe>") -> Recipe:
    """Validate a recipe given as a (TOML-like) mapping.

    Raises:
        RecipeError: naming ``source``, the offending key and what was expected.
    """
    reader = _Reader(data, source, "")
    name = reader.get("name", str, what="the recipe's name")
    scale = reader.positive("scale", int)
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
        input_multiple=reader.positive("input_multiple", int, 1),
        pad_mode=pad_mode,
        description=reader.get("description", str, ""),
        paper=reader.get("paper", str, ""),
        license=reader.get("license", str, ""),
        train=None if train_table is None else _parse_train(train_table, source, node_names),
        published=_parse_published(
            reader.get("published", list, [], what="a list of [[published]] tables"), source
        ),
        source=source,
        raw=FrozenMapping(copy.deepcopy(dict(data))),
    )
    reader.finish()
    return recipe


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate a recipe TOML file.

    Raises:
        RecipeError: if the file is missing, is not TOML, or does not validate.
    """
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
    return parse_recipe(data, source=str(path))


def _apply_override(raw: dict[str, Any], key: str, value: Any, source: str) -> None:
    head, _, rest = key.partition(".")
    nodes = raw.get("nodes", [])
    node = next((n for n in nodes if isinstance(n, dict) and n.get("name") == head), None)
    if node is not None:
        args = node.setdefault("args", {})
        if rest:
            _set_dotted(args, rest, value, source, key)
        elif isinstance(value, Mapping):
            args.update(value)
        else:
            raise RecipeError(
                source, head, f"override of node {head!r} must be a table of arguments, got {value!r}"
            )
    elif head == "train":
        if not rest:
            raise RecipeError(source, key, "expected a dotted key such as 'train.epochs'")
        _set_dotted(raw.setdefault("train", {}), rest, value, source, key)
    elif head in ("nodes", "name"):
        raise RecipeError(source, key, f"{head!r} cannot be overridden; write a new recipe instead")
    elif rest:
        known = [n.get("name") for n in nodes if isinstance(n, dict)]
        raise RecipeError(source, key, f"no node named {head!r}; nodes: {', '.join(map(str, known))}")
    else:
        raw[key] = value  # top-level field; parse_recipe rejects unknown ones


def _set_dotted(table: dict[str, Any], dotted: str, value: Any, source: str, key: str) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        table = table.setdefault(part, {})
        if not isinstance(table, dict):
            raise RecipeError(source, key, f"{part!r} is not a table, so it has no key {last!r}")
    table[last] = value
