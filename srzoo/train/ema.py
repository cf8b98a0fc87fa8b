"""Exponential moving average of the generators' weights."""

from __future__ import annotations

import copy

import torch
from torch import nn

__all__ = ["EMA"]


class EMA:
    """``shadow = decay · shadow + (1 - decay) · weights`` after every generator update.

    Floating-point parameters are averaged; buffers (BatchNorm running statistics, counters) are
    copied as they are, so the averaged model normalises like the trained one. The shadow model is
    validated and exported in place of the raw weights.

    Args:
        model: the model to follow (its generators); a deep copy is kept in eval mode.
        decay: in ``(0, 1)``, e.g. ``0.999``.
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = float(decay)
        self.shadow = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Average ``model``'s parameters into the shadow; copy its buffers."""
        pairs = [
            (s, p)
            for s, p in zip(self.shadow.parameters(), model.parameters(), strict=True)
            if s.is_floating_point()
        ]
        if pairs:
            shadows, params = zip(*pairs, strict=True)
            torch._foreach_lerp_(list(shadows), [p.detach() for p in params], 1.0 - self.decay)
        for s, b in zip(self.shadow.buffers(), model.buffers(), strict=True):
            s.copy_(b)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.shadow.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.shadow.load_state_dict(state)
