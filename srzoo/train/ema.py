"""Exponential moving average of the generators' weights: torch's ``AveragedModel`` with
``get_ema_multi_avg_fn``, buffers copied (not averaged)."""

from __future__ import annotations

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

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
        self.averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(self.decay), use_buffers=False)
        # the copy made here is the average's first value (AveragedModel would overwrite it with the
        # weights after the first update instead)
        self.averaged.n_averaged.fill_(1)
        self.shadow: nn.Module = self.averaged.module.eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Average ``model``'s parameters into the shadow; copy its buffers."""
        self.averaged.update_parameters(model)
        for s, b in zip(self.shadow.buffers(), model.buffers(), strict=True):
            s.copy_(b)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.shadow.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.shadow.load_state_dict(state)
