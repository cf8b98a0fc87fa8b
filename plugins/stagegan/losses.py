"""Stage-GAN's losses: the conditional-GAN loss (eq. 4–6) and the L1 loss (eq. 7–9).

Call convention of the GAN loss, for every ``mode``:

    gan = GANLoss()                                   # or srzoo.create("loss", "gan")
    # discriminator step (D maximises eq. 4: real → 1, fake → 0)
    d_loss = 0.5 * (gan(D(cat[cond, real]), True) + gan(D(cat[cond, fake.detach()]), False))
    # generator step (G minimises it: its fakes should look real)
    g_loss = gan(D(cat[cond, fake]), True, for_discriminator=False) + 100 * l1(fake, real)

``for_discriminator`` only matters for ``mode="hinge"`` (the generator side is then ``-mean(D)``);
the vanilla and least-squares losses are the same on both sides.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from srzoo.errors import InputError

__all__ = ["GAN_MODES", "GANLoss", "GANMode", "L1Loss", "gan_loss", "l1_loss"]

GANMode = Literal["vanilla", "lsgan", "hinge"]
GAN_MODES: tuple[str, ...] = ("vanilla", "lsgan", "hinge")


def _check_mode(mode: str) -> None:
    if mode not in GAN_MODES:
        raise InputError(f"gan loss: mode must be one of {', '.join(map(repr, GAN_MODES))}, got {mode!r}")


def gan_loss(
    logits: torch.Tensor,
    target_is_real: bool,
    mode: GANMode = "vanilla",
    *,
    for_discriminator: bool = True,
) -> torch.Tensor:
    """The adversarial loss of a critic's raw logits, averaged over every element.

    Args:
        logits: the discriminator's output, any shape (``(N, 1, 30, 30)`` for a PatchGAN), raw (no
            sigmoid).
        target_is_real: ``True`` to push the logits towards "real" (the critic on real samples, or the
            generator on its fakes), ``False`` towards "fake" (the critic on fakes).
        mode: ``"vanilla"`` = binary cross-entropy with logits (the paper, eq. 4–6);
            ``"lsgan"`` = mean squared error to 1/0; ``"hinge"`` = ``relu(1 ∓ logits)`` for the
            critic and ``-logits`` for the generator.
        for_discriminator: whether this is the critic's loss; only ``"hinge"`` depends on it.
            Generators call with ``target_is_real=True, for_discriminator=False``.

    Returns:
        A scalar tensor.

    Examples:
        >>> from srzoo_plugins.stagegan.losses import gan_loss
        >>> gan_loss(torch.zeros(1, 1, 30, 30), True)     # log 2 for undecided logits
        tensor(0.6931)
    """
    _check_mode(mode)
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise InputError(f"gan loss: logits must be a float tensor, got {type(logits).__name__}")
    if not isinstance(target_is_real, bool):
        raise InputError(f"gan loss: target_is_real must be True or False, got {target_is_real!r}")
    if mode == "vanilla":
        target = torch.ones_like(logits) if target_is_real else torch.zeros_like(logits)
        return F.binary_cross_entropy_with_logits(logits, target)
    if mode == "lsgan":
        target = torch.ones_like(logits) if target_is_real else torch.zeros_like(logits)
        return F.mse_loss(logits, target)
    if not for_discriminator:
        if not target_is_real:
            raise InputError(
                "gan loss: a hinge generator loss pushes towards real; call it with target_is_real=True"
            )
        return -logits.mean()
    return F.relu(1.0 - logits).mean() if target_is_real else F.relu(1.0 + logits).mean()


class GANLoss(nn.Module):
    """Module form of [`gan_loss`][] (registered as loss ``gan``).

    Args:
        mode: ``"vanilla"`` (BCE with logits, the paper), ``"lsgan"`` or ``"hinge"``.

    Call:
        ``loss(logits, target_is_real: bool, *, for_discriminator: bool = True) -> scalar``.
    """

    def __init__(self, mode: GANMode = "vanilla") -> None:
        super().__init__()
        _check_mode(mode)
        self.mode = mode

    def forward(
        self, logits: torch.Tensor, target_is_real: bool, *, for_discriminator: bool = True
    ) -> torch.Tensor:
        return gan_loss(logits, target_is_real, self.mode, for_discriminator=for_discriminator)

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}"


def l1_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute error ``mean(|prediction - target|)`` (the paper's eq. 7–9).

    Args:
        prediction: ``(N, C, H, W)`` (any shape), e.g. a generator output in ``[-1, 1]``.
        target: same shape and value range.

    Returns:
        A scalar tensor.

    Examples:
        >>> from srzoo_plugins.stagegan.losses import l1_loss
        >>> l1_loss(torch.zeros(1, 3, 4, 4), torch.ones(1, 3, 4, 4))
        tensor(1.)
    """
    if not isinstance(prediction, torch.Tensor) or not isinstance(target, torch.Tensor):
        raise InputError(
            f"l1 loss: prediction and target must be tensors, got {type(prediction).__name__} and {type(target).__name__}"
        )
    if prediction.shape != target.shape:
        raise InputError(
            f"l1 loss: prediction and target must have the same shape, got {tuple(prediction.shape)} and {tuple(target.shape)}"
        )
    return F.l1_loss(prediction, target)


class L1Loss(nn.Module):
    """Module form of [`l1_loss`][] (registered as loss ``l1``): ``loss(prediction, target) -> scalar``."""

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return l1_loss(prediction, target)
