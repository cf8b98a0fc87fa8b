"""The public functions: build a recipe, create a component, list what is registered."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _plugins
from ._annotations import accepts, parameter_annotations
from ._annotations import describe as describe_annotation
from .errors import RecipeError, SrzooError, UnknownNameError, WeightsError
from .recipe import Recipe, load_recipe, parse_recipe
from .registry import KINDS, Entry

if TYPE_CHECKING:
    from .model import SRModel

__all__ = ["build", "create", "describe", "get_recipe", "list_components", "list_models"]

_COMPONENT_KINDS = tuple(kind for kind in KINDS if kind != "recipe")


def list_components(kind: str) -> list[str]:
    """Registered names of one kind, sorted.

    Args:
        kind: one of ``generator``, ``discriminator``, ``degradation``, ``loss``, ``metric``,
            ``dataset``, ``recipe``.

    Examples:
        >>> "bicubic" in srzoo.list_components("degradation")
        True
    """
    return _plugins.registry().names(kind)


def list_models() -> list[str]:
    """Names accepted by [`build`][] (the registered recipes), sorted."""
    return list_components("recipe")


def describe(kind: str, name: str) -> Entry:
    """The registry entry of one component: its plugin and metadata (paper, license, scales...).

    Raises:
        UnknownNameError: listing the closest registered names.
    """
    return _plugins.registry().get(kind, name)


def create(kind: str, name: str, **kwargs: Any) -> Any:
    """Build one registered component.

    Args:
        kind: ``generator``, ``discriminator``, ``degradation``, ``loss``, ``metric`` or ``dataset``.
        name: its registered name, e.g. ``"unet"`` or ``"bicubic"``.
        **kwargs: arguments of the component's factory.

    Returns:
        Whatever the factory returns: an ``nn.Module`` for networks, a callable for degradations,
        losses and metrics, a ``Dataset`` for datasets.

    Raises:
        UnknownNameError: an unknown kind or name (with suggestions).
        SrzooError: arguments the factory does not accept, or of a type its annotations refuse
            (e.g. the string ``"False"`` for a ``bool``).

    Examples:
        >>> down = srzoo.create("degradation", "bicubic", scale=4)
        >>> down(torch.rand(1, 3, 64, 64)).shape
        torch.Size([1, 3, 16, 16])
    """
    if kind not in _COMPONENT_KINDS:
        if kind == "recipe":
            raise SrzooError("recipes are built with srzoo.build(name), not srzoo.create('recipe', ...)")
        raise UnknownNameError("kind", kind, _COMPONENT_KINDS)
    entry = describe(kind, name)
    factory = entry.load()
    _check_arguments(entry, factory, kwargs)
    # the factory's own checks speak first; an argument of the wrong type that it let through (a
    # string "False" for a bool) is refused after, and one it crashed on is reported by its annotation
    mismatch = _annotation_mismatch(entry, factory, kwargs)
    try:
        component = factory(**kwargs)
    except SrzooError:
        raise
    except Exception:
        if mismatch is None:
            raise
        raise SrzooError(mismatch) from None
    if mismatch is not None:
        raise SrzooError(mismatch)
    return component


def _check_arguments(entry: Entry, factory: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # builtins without a signature: let the call speak
        return
    params = signature.parameters.values()
    accepted = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params)
    where = f"{entry.kind} {entry.name!r}"
    for key in kwargs:
        if key not in accepted and not takes_any:
            close = difflib.get_close_matches(key, accepted, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SrzooError(
                f"{where} has no argument {key!r}{hint}; it accepts: {', '.join(accepted) or 'no arguments'}"
            )
    try:
        signature.bind(**kwargs)
    except TypeError as exc:
        raise SrzooError(f"{where}: {exc}; it accepts: {', '.join(accepted) or 'no arguments'}") from None


def _annotation_mismatch(entry: Entry, factory: Callable[..., Any], kwargs: dict[str, Any]) -> str | None:
    """A message for the first argument that plainly contradicts the factory's annotation."""
    annotations = parameter_annotations(factory)
    for key, value in kwargs.items():
        if key in annotations and not accepts(annotations[key], value):
            return (
                f"{entry.kind} {entry.name!r}: argument {key!r} expects "
                f"{describe_annotation(annotations[key])}, got {type(value).__name__} {value!r}"
            )
    return None


def get_recipe(name: str | Path) -> Recipe:
    """The parsed recipe registered as ``name``, or read from a ``.toml`` path.

    Raises:
        UnknownNameError: an unregistered name (with suggestions).
        RecipeError: a recipe that does not validate (naming its file and key).
        SrzooError: ``name`` is neither a string nor a path.
    """
    if isinstance(name, Path) or (isinstance(name, str) and name.endswith(".toml")):
        return load_recipe(name)
    if not isinstance(name, str):
        raise SrzooError(
            f"a recipe is named by a string (e.g. 'bicubic-x4') or a .toml path, got {type(name).__name__} {name!r}"
        )
    entry = describe("recipe", name)
    target = entry.target
    if isinstance(target, Recipe):
        recipe = target
    elif isinstance(target, (str, Path)):
        recipe = load_recipe(target)
    elif isinstance(target, dict):
        recipe = parse_recipe(target, source=f"recipe {name!r} of plugin {entry.plugin!r}")
    else:
        raise SrzooError(
            f"recipe {name!r} from plugin {entry.plugin!r} is a {type(target).__name__}; "
            "expected a TOML path, a dict or a srzoo.Recipe"
        )
    if recipe.name != name:
        raise RecipeError(
            recipe.source, "name", f"the file says {recipe.name!r} but it is registered as {name!r}"
        )
    return recipe


def build(
    name: str | Path | Recipe,
    /,
    *,
    weights: str | Path | None = None,
    pretrained: bool = False,
    **overrides: Any,
) -> SRModel:
    """Build the SR model of a recipe.

    Args:
        name: a registered recipe name (``"stagegan-x8"``, ``"bicubic-x4"``...), a path to a recipe
            ``.toml`` file, or a [`Recipe`][] (one built in Python is validated here).
        weights: a ``.safetensors`` file saved from this recipe's model, or a file a registered
            converter reads (e.g. the LapSRN authors' ``.mat``). Pickle files (``.pt``) are refused.
        pretrained: load the weights srzoo ships for the recipe, declared by its ``pretrained``
            table ([`Pretrained`][srzoo.recipe.Pretrained]; their sha256 is checked first), e.g.
            SRCNN's and LapSRN's ×4 and ×8, which srzoo trained on CMP Facades (``srzoo list
            recipe`` marks them). Not together with ``weights``.
        **overrides: changes to the recipe, see [`Recipe.with_overrides`][srzoo.Recipe.with_overrides],
            e.g. ``srzoo.build("stagegan-x8", sem={"ngf": 32})``.

    Returns:
        An [`SRModel`][] in eval mode: ``(N, 3, h, w)`` RGB ``[0, 1]`` →
        ``(N, 3, s*h, s*w)`` RGB ``[0, 1]``.

    Raises:
        UnknownNameError, RecipeError, WeightsError: with one clear line each; every node's
            arguments are checked against its factory's signature and annotations, and the graph
            against the components' metadata (channels, resolutions, scale) before it runs.

    Examples:
        >>> model = srzoo.build("bicubic-x4")
        >>> model(torch.rand(1, 3, 8, 8)).shape
        torch.Size([1, 3, 32, 32])
    """
    from ._graph import analyse
    from .model import SRModel
    from .weights import load_weights, weights_path

    if not isinstance(pretrained, bool):
        raise WeightsError(
            f"pretrained must be True or False, got {type(pretrained).__name__} {pretrained!r}"
        )
    if pretrained and weights is not None:
        raise WeightsError("pass either weights= or pretrained=True, not both")
    if weights is not None:
        weights_path(weights)  # a wrong type is refused before the model is built
    if isinstance(name, Recipe):  # validated again: a recipe built in Python has not been checked yet
        recipe = parse_recipe(name.to_dict(), source=name.source)
    else:
        recipe = get_recipe(name)
    if overrides:
        recipe = recipe.with_overrides(overrides)
    if pretrained:
        weights = _shipped_weights(recipe)
    stages = {}
    for index, node in enumerate(recipe.nodes):
        try:
            stages[node.name] = create(node.kind, node.component, **dict(node.args))
        except SrzooError as exc:
            raise RecipeError(recipe.source, f"nodes[{index}]", str(exc)) from None
    model = SRModel(recipe, stages, layout=analyse(recipe))
    if weights is not None:
        load_weights(model, weights)
    return model.eval()


def _shipped_weights(recipe: Recipe) -> Path:
    """The weights file srzoo ships for ``recipe`` (its ``pretrained`` table), sha256-checked.

    Raises:
        WeightsError: the recipe ships no weights (with how to train them), or the file is missing
            or does not match its sha256.
    """
    from .weights import sha256_of

    entry = recipe.pretrained
    if entry is None:
        raise WeightsError(
            f"srzoo ships no weights for recipe {recipe.name!r} yet; train them with "
            f"`srzoo train {recipe.name} --data DIR --out RUN` and pass --weights RUN/model.safetensors"
        )
    path = entry.path()
    if not path.is_file():
        raise WeightsError(
            f"{path}: the weights recipe {recipe.name!r} ships are missing; reinstall its plugin"
        )
    actual = sha256_of(path)
    if actual != entry.sha256:
        raise WeightsError(
            f"{path}: sha256 {actual} does not match the {entry.sha256} that recipe {recipe.name!r} "
            "declares; the file is damaged or not these weights (reinstall its plugin)"
        )
    return path
