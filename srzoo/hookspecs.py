"""The plugin hooks of srzoo (entry-point group ``srzoo``).

A plugin is a module (or object) named by an entry point in the ``srzoo`` group. It implements any
of the hooks below, decorated with [`srzoo.hookimpl`][]. Each hook receives ``register``, a callable
owned by srzoo:

    register(name: str, factory: Callable | str, **metadata) -> None

``factory`` is a callable that builds the component from keyword arguments, or a lazy reference
``"package.module:attribute"`` that srzoo imports only when the component is first built, so that
``srzoo list`` never imports model code. ``metadata`` is free-form and shown by ``srzoo info``; keys
srzoo understands are ``description``, ``paper``, ``license``, ``scales``, ``input_multiple``,
``default_weights`` (``{"url": ..., "sha256": ...}``) and ``supports_half``.

Example, a complete plugin module:

    import srzoo

    @srzoo.hookimpl
    def srzoo_register_generators(register):
        register("tiny-net", "my_pkg.tiny:TinyNet", paper="Me et al. 2026", license="MIT")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .cli.commands import CommandLine

PROJECT_NAME = "srzoo"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marks a plugin's hook implementations: put ``@srzoo.hookimpl`` on each ``srzoo_register_*`` function."""

Register = Callable[..., None]
"""The ``register(name, factory, **metadata)`` callable passed to every hook."""


@hookspec
def srzoo_register_generators(register: Register) -> Any:
    """Register generator networks: ``nn.Module`` factories mapping images to images.

    A generator used as the last stage of a recipe takes ``(N, C, h, w)`` in the recipe's internal
    value range and returns ``(N, C', h', w')`` in the same range.
    """


@hookspec
def srzoo_register_discriminators(register: Register) -> Any:
    """Register discriminators (critics): ``nn.Module`` factories mapping images to logits."""


@hookspec
def srzoo_register_degradations(register: Register) -> Any:
    """Register degradations and resizers: factories taking ``scale=`` and returning a callable
    ``(N, C, H, W) float -> (N, C, H', W') float``."""


@hookspec
def srzoo_register_losses(register: Register) -> Any:
    """Register losses: factories returning a callable ``(prediction, target) -> scalar Tensor``."""


@hookspec
def srzoo_register_metrics(register: Register) -> Any:
    """Register metrics: factories taking ``scale=`` and returning a callable
    ``(sr, hr) -> Tensor[N]``, both ``(N, 3, H, W)`` float RGB in ``[0, 1]``."""


@hookspec
def srzoo_register_datasets(register: Register) -> Any:
    """Register datasets: factories returning a ``torch.utils.data.Dataset`` of dicts of tensors."""


@hookspec
def srzoo_register_recipes(register: Register) -> Any:
    """Register recipes: ``register(name, path_to_toml_or_Recipe, **metadata)``."""


@hookspec
def srzoo_register_charts(register: Register) -> Any:
    """Register test charts for ``srzoo demo`` and [`srzoo.charts.make_chart`][srzoo.charts.make_chart]:
    ``register(name, draw, description=...)`` with ``draw(size) -> (3, size, size)`` float32 in
    ``[0, 1]`` (a callable or a ``"module:attribute"`` string), deterministic."""


@hookspec
def srzoo_register_checkpoint_formats(register: Register) -> Any:
    """Register readers of model checkpoint files, by file suffix:
    ``register(".pth", load, description=...)`` with ``load(path: Path, name: str) -> SRModel``
    (a callable or a ``"module:attribute"`` string, imported only when such a file is read).

    [`srzoo.load_checkpoint`][srzoo.load_checkpoint] and the commands that take a model
    (``srzoo upscale -m``, ``srzoo info``, ``srzoo bench``) hand a file with a registered suffix to
    its reader; ``name`` labels the model (its recipe's name). A reader raises
    [`SrzooError`][srzoo.SrzooError] with one line for a file it cannot read, and must never execute
    code from the file (no plain pickle).
    """


@hookspec
def srzoo_register_loggers(register: Register) -> Any:
    """Register training loggers for ``srzoo train --logger NAME``:
    ``register(name, factory, description=...)`` with ``factory()`` (a callable or a
    ``"module:attribute"`` string, imported only when a run asks for the logger) returning an object
    with the [`RunLogger`][srzoo.train.RunLogger] methods ``open(run_dir, run_info)``,
    ``log_scalars(step, scalars)``, optionally ``log_event(step, kind, message)``, and ``close()``.

    ``factory()`` runs before training starts, on every process: raise
    [`SrzooError`][srzoo.SrzooError] there, in one line, when the logger cannot work (a missing
    package: name the extra that installs it). Only rank 0 opens the logger and receives values.
    The built-in ``tensorboard`` plugin registers ``tensorboard`` this way.
    """


@hookspec
def srzoo_register_commands(cli: CommandLine) -> Any:
    """Add ``srzoo`` sub-commands: ``cli.add_command(name, run, help=..., configure=...)``.

    ``cli`` is a [`CommandLine`][srzoo.cli.commands.CommandLine]; ``configure(parser)`` adds the
    command's arguments to its ``argparse`` sub-parser and ``run(args)`` returns the exit code (see
    [`srzoo.cli.commands`][srzoo.cli.commands]). Called when plugins load, like every hook; import
    heavy modules inside ``run``, not at module level, so that ``srzoo --help`` stays fast.
    """
