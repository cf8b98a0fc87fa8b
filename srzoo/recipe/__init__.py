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

from .core import Recipe, load_recipe, parse_recipe
from .schema import (
    Critic,
    LossTerm,
    Node,
    Optimizer,
    Pretrained,
    Published,
    Schedule,
    TrainSpec,
)

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
