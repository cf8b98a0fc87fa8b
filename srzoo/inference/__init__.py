"""A faster inference path for any [`SRModel`][]: BatchNorm folding, channels-last, bf16.

[`optimize_for_inference`][] returns an eval-only copy of a model that computes the same function
(up to float rounding) faster on CPU and GPU:

* every ``BatchNorm2d`` that directly follows a ``Conv2d`` or ``ConvTranspose2d`` inside an
  ``nn.Sequential`` is folded into that convolution (in eval mode such a BatchNorm is a per-channel
  affine map ``y = a·x + b``, so ``BN(conv(x)) = conv'(x)`` exactly, with scaled weights and a bias;
  ``torch.nn.utils.fusion.fuse_conv_bn_eval``);
* weights and activations use the channels-last memory format (much faster convolutions, and
  transposed convolutions above all, with oneDNN on CPU and cuDNN on GPU);
* on CPU (float32, or bfloat16 under ``bf16``), if the private oneDNN operators pass a capability
  test on this build, convolutions keep their weights prepacked in oneDNN's blocked layout (packed on the first call, instead of re-laid out on every call, which
  dominates the cost of the weight-heavy, spatially tiny layers of a U-Net bottleneck) and run a
  following ReLU / LeakyReLU / Tanh as a fused post-op;
* the forward runs under `torch.inference_mode` (no autograd bookkeeping), optionally under
  bfloat16 autocast (outputs come back as float32).

Examples:
    >>> model = srzoo.build("srresnet-x4")
    >>> fast = srzoo.optimize_for_inference(model)
    >>> lr = torch.rand(1, 3, 32, 32)
    >>> with torch.inference_mode():
    ...     float((fast(lr) - model(lr)).abs().max()) < 1e-4
    True
"""

from __future__ import annotations

from .fast import (
    InferenceSRModel,
    calibrate_batchnorm,
    fold_batchnorm,
    fold_conv_bn,
    fuse_convolutions,
    optimize_for_inference,
)

__all__ = [
    "InferenceSRModel",
    "calibrate_batchnorm",
    "fold_batchnorm",
    "fold_conv_bn",
    "fuse_convolutions",
    "optimize_for_inference",
]
