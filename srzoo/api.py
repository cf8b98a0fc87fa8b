"""The public functions: build a recipe, create a component, list what is registered.

``build`` lives here, on top of the model layer; the lookups it shares with the rest of srzoo live
lower down (`srzoo.registry.components`, `srzoo.recipe.core`) so that listing never imports torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import RecipeError, SrzooError, WeightsError
from .model.graph import analyse
from .model.srmodel import SRModel
from .model.weights import load_weights, shipped_weights, weights_path
from .recipe.core import Recipe, get_recipe, parse_recipe, recipe_with
from .registry.components import create, describe, list_components, list_models

__all__ = ["build", "create", "describe", "get_recipe", "list_components", "list_models"]


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
            recipe`` marks them). A no-op for a parameter-free recipe (``bicubic-x4``). Not
            together with ``weights``. Without ``weights`` or ``pretrained`` a learned model keeps
            its random initial weights (the library default; the ``srzoo`` commands instead load
            the shipped weights where they exist).
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
    if not isinstance(pretrained, bool):
        raise WeightsError(
            f"pretrained must be True or False, got {type(pretrained).__name__} {pretrained!r}"
        )
    if pretrained and weights is not None:
        raise WeightsError("pass either weights= or pretrained=True, not both")
    if weights is not None:
        weights_path(weights)  # a wrong type is refused before the model is built
    if isinstance(name, Recipe):  # validated again: a recipe built in Python has not been checked yet
        name = parse_recipe(name.to_dict(), source=name.source)
    recipe = recipe_with(name, overrides)
    stages = {}
    for index, node in enumerate(recipe.nodes):
        try:
            stages[node.name] = create(node.kind, node.component, **dict(node.args))
        except SrzooError as exc:
            raise RecipeError(recipe.source, f"nodes[{index}]", str(exc)) from None
    model = SRModel(recipe, stages, layout=analyse(recipe))
    if pretrained and (recipe.pretrained is not None or next(model.parameters(), None) is not None):
        weights = shipped_weights(recipe)  # parameter-free recipes (bicubic) need none: a no-op
    if weights is not None:
        load_weights(model, weights)
    return model.eval()
