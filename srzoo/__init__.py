"""srzoo: a plugin-based super-resolution library with a zoo of faithful baselines.

The public API is small:

    import srzoo
    model = srzoo.build("stagegan-x8")            # an SRModel: (N,3,h,w) [0,1] -> (N,3,8h,8w) [0,1]
    down = srzoo.create("degradation", "bicubic", scale=4)
    srzoo.list_models(); srzoo.list_components("generator")
    model = srzoo.load_checkpoint("4x-model.pth")  # a published checkpoint, through a plugin

``import srzoo`` is cheap: it imports neither torch nor any model code; plugins are discovered on
first use and model code is imported only when a component is built.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .hookspecs import hookimpl

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .api import build, create, describe, get_recipe, list_components, list_models
    from .bench import bench
    from .component_info import SAME_CHANNELS, ComponentInfo, DefaultWeights, Examples
    from .errors import (
        DuplicateNameError,
        InputError,
        RecipeError,
        SrzooError,
        UnknownNameError,
        WeightsError,
    )
    from .inference import optimize_for_inference
    from .inference.checkpoints import load_checkpoint
    from .model import SRModel
    from .recipe import Recipe, load_recipe
    from .registry.loader import register_plugin, unregister_plugin
    from .train import Trainer, train
    from .weights import load_weights, save_weights

_LAZY: dict[str, str] = {
    "bench": "srzoo.bench",
    "build": "srzoo.api",
    "create": "srzoo.registry.components",
    "describe": "srzoo.registry.components",
    "get_recipe": "srzoo.recipe.core",
    "list_components": "srzoo.registry.components",
    "load_checkpoint": "srzoo.inference.checkpoints",
    "list_models": "srzoo.registry.components",
    "optimize_for_inference": "srzoo.inference",
    "register_plugin": "srzoo.registry.loader",
    "unregister_plugin": "srzoo.registry.loader",
    "SRModel": "srzoo.model",
    "ComponentInfo": "srzoo.component_info",
    "DefaultWeights": "srzoo.component_info",
    "Examples": "srzoo.component_info",
    "SAME_CHANNELS": "srzoo.component_info",
    "Recipe": "srzoo.recipe",
    "load_recipe": "srzoo.recipe",
    "load_weights": "srzoo.weights",
    "save_weights": "srzoo.weights",
    "train": "srzoo.train",  # the package is callable: srzoo.train(recipe, data, out, ...)
    "Trainer": "srzoo.train",
    "SrzooError": "srzoo.errors",
    "UnknownNameError": "srzoo.errors",
    "DuplicateNameError": "srzoo.errors",
    "RecipeError": "srzoo.errors",
    "WeightsError": "srzoo.errors",
    "InputError": "srzoo.errors",
}

__all__ = ["hookimpl", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'srzoo' has no attribute {name!r}")
    imported = importlib.import_module(module)
    value = imported if module == f"{__name__}.{name}" else getattr(imported, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
