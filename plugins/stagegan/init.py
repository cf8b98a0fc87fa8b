"""Weight initialisation of pix2pix and Stage-GAN: every weight drawn from N(0, 0.02)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["init_weights"]

_CONVS = (
    nn.Conv1d,
    nn.Conv2d,
    nn.Conv3d,
    nn.ConvTranspose1d,
    nn.ConvTranspose2d,
    nn.ConvTranspose3d,
    nn.Linear,
)
_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.InstanceNorm2d, nn.GroupNorm)


@torch.no_grad()
def init_weights(module: nn.Module, std: float = 0.02) -> nn.Module:
    """Initialise ``module`` in place as pix2pix's ``init_type="normal"`` does; return it.

    Convolution, transposed-convolution and linear weights ~ N(0, std), their biases 0;
    normalisation weights (when affine) ~ N(1, std), their biases 0. Other parameters are untouched.

    Examples:
        >>> from torch import nn
        >>> from srzoo_plugins.stagegan.init import init_weights
        >>> net = init_weights(nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8)))
        >>> float(net[1].bias.detach().abs().max())
        0.0
    """
    for m in module.modules():
        if isinstance(m, _CONVS):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, _NORMS) and getattr(m, "weight", None) is not None:
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)
    return module
