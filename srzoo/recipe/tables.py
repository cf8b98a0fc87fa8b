"""Reading the tables of a recipe: one checked reader per table, each error naming the key."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import RecipeError
from ..registry import loader
from .hyperparameters import check_train
from .schema import (
    _NODE_NAME,
    _SHA256,
    GROUND_TRUTH_KEYS,
    INPUT_NAME,
    LOSS_LEVELS,
    MAX_INPUT_MULTIPLE,
    MAX_SCALE,
    NODE_KINDS,
    OUTPUT_ALIAS,
    PAD_MODES,
    PUBLISHED_METRICS,
    TRAIN_STAGES,
    Y_CONVENTIONS,
    Critic,
    FrozenMapping,
    LossTerm,
    Node,
    Optimizer,
    Pretrained,
    Published,
    Schedule,
    TrainSpec,
)


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
    description = reader.get("description", str, "", what="a few words on the node's output")
    reader.finish()
    return Node(name, kinds[0], component, inputs, args, description)


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
    data = r.get("data", str, "", what="what the weights were trained on, e.g. 'Facades'")
    r.finish()
    if not file:
        raise r.fail("file", "expected 'PACKAGE:PATH' or a path to a .safetensors file, got ''")
    if not _SHA256.fullmatch(sha256):
        raise r.fail("sha256", f"expected 64 lower-case hex digits, got {sha256!r}")
    entry = Pretrained(file, sha256, data)
    if entry.package is None and not Path(file).is_absolute():
        if base_dir is None:
            raise r.fail(
                "file", f"{file!r} is relative but the recipe has no file to be relative to; use PACKAGE:PATH"
            )
        entry = Pretrained(str((Path(base_dir) / file).resolve()), sha256, data)
    return entry


def _check_refs(reader: _Reader, key: str, refs: tuple[str, ...] | list[str], known: set[str]) -> None:
    for ref in refs:
        if ref not in known:
            raise reader.fail(key, f"no node named {ref!r}; expected one of: {', '.join(sorted(known))}")


def _check_target(reader: _Reader, target: str, dataset: object) -> None:
    # keys the dataset declares; without train.dataset, any dataset's
    datasets = {entry.name: entry for entry in loader.registry().entries("dataset")}
    chosen = [datasets[dataset]] if isinstance(dataset, str) and dataset in datasets else datasets.values()
    declared = [key for entry in chosen for key in entry.metadata.targets]
    keys = tuple(dict.fromkeys([*GROUND_TRUTH_KEYS, *declared]))
    if target not in keys:
        raise reader.fail("target", f"expected a ground-truth key ({', '.join(keys)}), got {target!r}")


def parse_geometry(reader: _Reader) -> tuple[int, int | None, tuple[float, float], str]:
    """The top-level ``scale``, ``input_multiple``, ``value_range`` and ``pad_mode``, checked."""
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
    return scale, input_multiple, (float(value_range[0]), float(value_range[1])), pad_mode


def parse_nodes(reader: _Reader, source: str) -> tuple[tuple[Node, ...], str]:
    """The ``[[nodes]]`` tables, each input defined before it is used, and the ``output`` node."""
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
    return tuple(nodes), output
