"""Reconstruction losses of the baselines: Charbonnier (LapSRN), MSE (SRCNN, SRResNet) and the
perceptual "VGG loss" (SRGAN).

Every loss takes ``(prediction, target)`` of equal shape ``(N, C, H, W)`` and returns a scalar.
The pixel losses take ``channel="y"`` to compare only the luma of RGB images ([`rgb_to_y`][srzoo_plugins.baselines.ycbcr.rgb_to_y],
``[16, 235] / 255``): SRCNN and LapSRN were trained on Y, and the Y of a Y-channel model's RGB
output is exactly its network's Y output, so this is the papers' loss through the RGB edge.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch
from torch import nn

from srzoo.checks import check_image_batch
from srzoo.errors import InputError, SrzooError

from .ycbcr import rgb_to_y

__all__ = [
    "CharbonnierLoss",
    "MSELoss",
    "PerceptualLoss",
    "charbonnier",
    "charbonnier_loss",
    "mse",
    "perceptual",
]


Channel = Literal["rgb", "y"]


def _check_pair(prediction: torch.Tensor, target: torch.Tensor, channels: int | None = None) -> None:
    check_image_batch(prediction, "prediction", channels=channels)
    check_image_batch(target, "target", channels=channels)
    if prediction.shape != target.shape:
        raise InputError(
            f"prediction and target must have the same shape, got {tuple(prediction.shape)} and {tuple(target.shape)}"
        )


def _check_channel(channel: str) -> str:
    if channel not in ("rgb", "y"):
        raise InputError(
            f"channel must be 'rgb' (every channel as given) or 'y' (the luma of RGB), got {channel!r}"
        )
    return channel


def _on_channel(
    prediction: torch.Tensor, target: torch.Tensor, channel: str
) -> tuple[torch.Tensor, torch.Tensor]:
    if channel == "rgb":
        return prediction, target
    _check_pair(prediction, target, channels=3)
    return rgb_to_y(prediction), rgb_to_y(target)


def charbonnier_loss(prediction: torch.Tensor, target: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """Charbonnier penalty ``mean(sqrt((prediction - target)² + eps²))``, LapSRN's robust L1.

    Args:
        prediction: ``(N, C, H, W)`` float.
        target: ``(N, C, H, W)`` float, the same shape.
        eps: the smoothing constant (1e-3 in LapSRN).

    Returns:
        A scalar tensor (``eps`` for identical inputs).

    Examples:
        >>> from srzoo_plugins.baselines.losses import charbonnier_loss
        >>> charbonnier_loss(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 2, 2))
        tensor(0.0010)
    """
    _check_pair(prediction, target)
    if not eps > 0:
        raise InputError(f"eps must be positive, got {eps!r}")
    return torch.sqrt((prediction - target).square() + eps * eps).mean()


class CharbonnierLoss(nn.Module):
    """Module form of [`charbonnier_loss`][].

    Args:
        eps: the smoothing constant (1e-3).
        channel: ``"rgb"`` compares the tensors as given, ``"y"`` the luma of RGB inputs.
    """

    def __init__(self, eps: float = 1e-3, channel: Channel = "rgb") -> None:
        super().__init__()
        if not eps > 0:
            raise InputError(f"eps must be positive, got {eps!r}")
        self.eps = float(eps)
        self.channel = _check_channel(channel)

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return charbonnier_loss(*_on_channel(prediction, target, self.channel), self.eps)

    def extra_repr(self) -> str:
        return f"eps={self.eps}, channel={self.channel!r}"


class MSELoss(nn.Module):
    """Mean squared error over all elements, with srzoo's input checks.

    Args:
        channel: ``"rgb"`` compares the tensors as given, ``"y"`` the luma of RGB inputs.
    """

    def __init__(self, channel: Channel = "rgb") -> None:
        super().__init__()
        self.channel = _check_channel(channel)

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        _check_pair(prediction, target)
        prediction, target = _on_channel(prediction, target, self.channel)
        return (prediction - target).square().mean()

    def extra_repr(self) -> str:
        return f"channel={self.channel!r}"


def _cached_weights(model_name: str) -> Path:
    """The backbone's default pretrained file from the local Hugging Face cache (never downloads)."""
    import timm
    from huggingface_hub import try_to_load_from_cache

    config = timm.models.get_pretrained_cfg(model_name)
    repo = getattr(config, "hf_hub_id", None) if config is not None else None
    hint = f"pass weights=PATH to a local {model_name} checkpoint, or fill timm's cache once with timm.create_model({model_name!r}, pretrained=True)"
    if not repo:
        raise SrzooError(
            f"timm model {model_name!r} has no Hugging Face weights to look up in the cache; {hint}"
        )
    for filename in ("model.safetensors", "pytorch_model.bin"):
        found = try_to_load_from_cache(repo, filename)
        if isinstance(found, str):
            return Path(found)
    raise SrzooError(f"no {model_name} weights ({repo}) in the local Hugging Face cache; {hint}")


class PerceptualLoss(nn.Module):
    """SRGAN's VGG loss: MSE between feature maps of a frozen timm backbone.

    Images in ``[0, 1]`` are normalised with the backbone's ImageNet mean and std; the features of
    ``layer`` (a ``features_only`` index) are multiplied by ``feature_scale`` and compared with MSE.
    For ``vgg19``, index 4 is φ5,4 (after the 4th conv's ReLU, before the 5th max-pool: SRGAN's
    "VGG54") and index 1 is φ2,2 ("VGG22"). SRGAN rescales the features by 1/12.75.

    The backbone's weights never come from the network: ``weights`` is a local checkpoint file
    (timm or torchvision format), ``"timm-cache"`` (the default) looks for timm's pretrained file
    in the local Hugging Face cache and raises if it is absent, ``None`` keeps random weights
    (for tests only: a random VGG is not a perceptual metric).

    Args:
        backbone: a timm model name supporting ``features_only`` (``"vgg19"``).
        layer: the ``features_only`` index compared (4 = VGG54 for ``vgg19``).
        weights: a file path, ``"timm-cache"`` or ``None``, see above.
        feature_scale: factor applied to the features before the MSE.

    Shape:
        prediction, target: ``(N, 3, H, W)`` in ``[0, 1]`` → scalar.
    """

    def __init__(
        self,
        backbone: str = "vgg19",
        layer: int = 4,
        weights: str | Path | None = "timm-cache",
        feature_scale: float = 1 / 12.75,
    ) -> None:
        super().__init__()
        import timm

        if not timm.is_model(backbone.partition(".")[0]):
            raise InputError(
                f"unknown timm backbone {backbone!r}; expected a timm model name such as 'vgg19'"
            )
        overlay = None
        if weights == "timm-cache":
            overlay = {"file": str(_cached_weights(backbone))}
        elif weights is not None:
            path = Path(weights)
            if not path.is_file():
                raise InputError(
                    f"perceptual loss weights {str(path)!r}: no such file; pass a local {backbone} checkpoint"
                )
            overlay = {"file": str(path)}
        # pretrained=True with a file overlay reads that file only; without one nothing is loaded
        self.backbone = timm.create_model(
            backbone,
            pretrained=overlay is not None,
            pretrained_cfg_overlay=overlay,
            features_only=True,
            out_indices=(layer,),
        )
        self.backbone.eval().requires_grad_(False)
        config = self.backbone.pretrained_cfg if hasattr(self.backbone, "pretrained_cfg") else {}
        mean = config.get("mean", (0.485, 0.456, 0.406))
        std = config.get("std", (0.229, 0.224, 0.225))
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        self.backbone_name = backbone
        self.layer = layer
        self.feature_scale = float(feature_scale)

    def train(self, mode: bool = True) -> PerceptualLoss:
        """The backbone stays in eval mode; the loss has no trainable state."""
        super().train(mode)
        self.backbone.eval()
        return self

    def features(self, image: torch.Tensor) -> torch.Tensor:
        """Scaled features of ``(N, 3, H, W)`` images in ``[0, 1]``."""
        return self.backbone((image - self.mean) / self.std)[0] * self.feature_scale

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        _check_pair(prediction, target, channels=3)
        with torch.no_grad():
            reference = self.features(target)
        return (self.features(prediction) - reference).square().mean()

    def extra_repr(self) -> str:
        return f"backbone={self.backbone_name!r}, layer={self.layer}, feature_scale={self.feature_scale:.6g}"


def charbonnier(eps: float = 1e-3, channel: Channel = "rgb") -> CharbonnierLoss:
    """The registered factory of loss ``charbonnier``."""
    return CharbonnierLoss(eps=eps, channel=channel)


def mse(channel: Channel = "rgb") -> MSELoss:
    """The registered factory of loss ``mse``."""
    return MSELoss(channel=channel)


def perceptual(
    backbone: str = "vgg19",
    layer: int = 4,
    weights: str | Path | None = "timm-cache",
    feature_scale: float = 1 / 12.75,
) -> PerceptualLoss:
    """The registered factory of loss ``perceptual`` (SRGAN's VGG54 loss by default)."""
    return PerceptualLoss(backbone=backbone, layer=layer, weights=weights, feature_scale=feature_scale)
