"""The parts of a recipe as typed, frozen dataclasses, and the values they accept.

[`Recipe`][srzoo.Recipe] itself, which ties them together, lives with its parser in
`srzoo.recipe.core` (its ``with_overrides`` re-validates through the parser).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..registry.resources import plugin_file

__all__ = [
    "Critic",
    "LossTerm",
    "Node",
    "Optimizer",
    "Pretrained",
    "Published",
    "Schedule",
    "TrainSpec",
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
        description: what the output is, in a few words (e.g. ``"semantic map (G0)"``); optional,
            shown beside the node's name in ``srzoo bench``'s stage figures.
    """

    name: str
    kind: str
    component: str
    inputs: tuple[str, ...] = (INPUT_NAME,)
    args: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        _set(self, "inputs", tuple(self.inputs))
        _set(self, "args", _frozen_args(self.args))

    def to_dict(self) -> dict[str, Any]:
        """The node as a ``[[nodes]]`` table."""
        table = {
            "name": self.name,
            self.kind: self.component,
            "inputs": list(self.inputs),
            "args": _plain(self.args),
        }
        if self.description:
            table["description"] = self.description
        return table


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
        file: ``"PACKAGE:PATH"`` (a file inside the package of a loaded srzoo plugin, found with
            ``importlib.resources`` without importing anything) or a path; a relative path in a recipe file is read from the
            recipe file's folder, so it is stored absolute.
        sha256: the file's hex sha256 (64 lower-case digits), checked before loading.
        data: what they were trained on (e.g. ``"Facades"``), said when they are loaded; optional.
    """

    file: str
    sha256: str
    data: str = ""

    @property
    def package(self) -> str | None:
        """``PACKAGE`` of a ``"PACKAGE:PATH"`` file, ``None`` for a path (read from the text alone)."""
        package, sep, _ = self.file.partition(":")
        if sep and _PACKAGE_NAME.fullmatch(package) and len(package) > 1:  # not a Windows drive letter
            return package
        return None

    def path(self) -> Path:
        """The weights file on disk (it may not exist); resolved only when asked for.

        ``PACKAGE`` must be the package of a loaded srzoo plugin (the one shipping the weights): a
        recipe file is data, so nothing it names is ever imported.

        Raises:
            WeightsError: ``PACKAGE`` is not a loaded plugin's package.
        """
        package = self.package
        if package is None:
            return Path(self.file)
        return plugin_file(package, self.file.partition(":")[2], f"pretrained file {self.file!r}")

    def to_dict(self) -> dict[str, str]:
        """The ``pretrained`` table."""
        table = {"file": self.file, "sha256": self.sha256}
        if self.data:
            table["data"] = self.data
        return table


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
