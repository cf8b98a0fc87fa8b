"""A faster inference path for any [`SRModel`][]: BatchNorm folding, channels-last, bf16.

[`optimize_for_inference`][] returns an eval-only copy of a model that computes the same function
(up to float rounding) faster on CPU and GPU:

* every ``BatchNorm2d`` that directly follows a ``Conv2d`` or ``ConvTranspose2d`` inside an
  ``nn.Sequential`` is folded into that convolution (in eval mode such a BatchNorm is a per-channel
  affine map ``y = a·x + b``, so ``BN(conv(x)) = conv'(x)`` exactly, with scaled weights and a bias);
* weights and activations use the channels-last memory format (much faster convolutions, and
  transposed convolutions above all, with oneDNN on CPU and cuDNN on GPU);
* on CPU (float32, or bfloat16 under ``bf16``), convolutions keep their weights prepacked in
  oneDNN's blocked layout (packed on the first call, instead of re-laid out on every call, which
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

import copy
import itertools
from contextlib import nullcontext

import torch
from torch import nn

from .errors import InputError
from .model import SRModel

__all__ = [
    "InferenceSRModel",
    "fold_batchnorm",
    "fold_conv_bn",
    "fuse_convolutions",
    "optimize_for_inference",
]

_CONVS = (nn.Conv2d, nn.ConvTranspose2d)


@torch.no_grad()
def fold_conv_bn(conv: nn.Conv2d | nn.ConvTranspose2d, bn: nn.BatchNorm2d) -> None:
    """Fold eval-mode ``bn`` into ``conv`` in place, so that ``conv(x) == bn(conv(x))`` afterwards.

    With ``a = γ / sqrt(σ² + ε)`` and ``b = β − a·μ`` (running statistics), output channel ``o``'s
    weights are scaled by ``a[o]`` and its bias becomes ``a[o]·bias[o] + b[o]``. ``Conv2d`` weights
    are ``(out, in/groups, kh, kw)``; ``ConvTranspose2d`` weights are ``(in, out/groups, kh, kw)``, so
    the scale applies along their second axis within each group.

    Raises:
        InputError: ``bn`` has no running statistics, or its channels do not match ``conv``'s outputs.
    """
    if bn.running_mean is None or bn.running_var is None:
        raise InputError("cannot fold a BatchNorm2d without running statistics (track_running_stats=False)")
    if bn.num_features != conv.out_channels:
        raise InputError(
            f"cannot fold BatchNorm2d({bn.num_features}) into a conv with {conv.out_channels} outputs"
        )
    scale = (bn.weight if bn.affine else torch.ones_like(bn.running_var)) / torch.sqrt(
        bn.running_var + bn.eps
    )
    shift = (bn.bias if bn.affine else torch.zeros_like(bn.running_mean)) - scale * bn.running_mean
    weight = conv.weight
    if isinstance(conv, nn.ConvTranspose2d):
        # weight[i, j] feeds output channel (group of i) * out_per_group + j
        groups, (n_in, per_group) = conv.groups, weight.shape[:2]
        per_input = scale.view(groups, 1, per_group).expand(groups, n_in // groups, per_group)
        weight.mul_(per_input.reshape(n_in, per_group, 1, 1).to(weight.dtype))
    else:
        weight.mul_(scale.view(-1, 1, 1, 1).to(weight.dtype))
    bias = shift if conv.bias is None else scale * conv.bias + shift
    if conv.bias is None:
        conv.bias = nn.Parameter(bias.to(weight.dtype), requires_grad=weight.requires_grad)
    else:
        conv.bias.copy_(bias)


def fold_batchnorm(module: nn.Module) -> int:
    """Fold every foldable BatchNorm2d of ``module`` (in eval mode) into its preceding convolution.

    A BatchNorm2d is folded when it is the next element after a plain ``Conv2d``/``ConvTranspose2d``
    (not a subclass, whose ``forward`` may do more) in an ``nn.Sequential`` and has running statistics; it is then replaced by ``nn.Identity``. The module
    must be in eval mode: in training mode BatchNorm uses batch statistics and cannot be folded.

    Returns:
        The number of BatchNorm layers folded.

    Raises:
        InputError: ``module`` is in training mode.
    """
    if any(m.training for m in module.modules()):
        raise InputError("fold_batchnorm needs a module in eval mode; call module.eval() first")
    folded = 0
    for seq in [m for m in module.modules() if isinstance(m, nn.Sequential)]:
        names = list(seq._modules)
        for first, second in itertools.pairwise(names):
            conv, bn = seq._modules[first], seq._modules[second]
            if (
                type(conv) in _CONVS
                and type(bn) is nn.BatchNorm2d
                and bn.track_running_stats
                and bn.running_mean is not None
            ):
                fold_conv_bn(conv, bn)
                seq._modules[second] = nn.Identity()
                folded += 1
    return folded


def _onednn_available() -> bool:
    ops = torch.ops.mkldnn
    return (
        torch.backends.mkldnn.is_available()
        and hasattr(ops, "_convolution_pointwise")
        and hasattr(ops, "_convolution_transpose_pointwise")
        and hasattr(ops, "_reorder_convolution_transpose_weight")
        and hasattr(torch._C._nn, "mkldnn_reorder_conv2d_weight")
    )


class _FusedConv(nn.Module):
    """A ``Conv2d``/``ConvTranspose2d`` followed by an optional activation, as one oneDNN call.

    On CPU without autograd, in float32 (or in bfloat16 under CPU bf16 autocast), the weight is packed
    once per dtype, on the first call, into oneDNN's layout for that input shape (it stays valid for
    other shapes) and the activation runs as a post-op. Anywhere else (GPU, other dtypes, autograd)
    it runs ``activation(conv(x))``. The dense weight is kept for that fallback and for ``state_dict``.
    """

    def __init__(self, conv: nn.Conv2d | nn.ConvTranspose2d, activation: nn.Module | None = None) -> None:
        super().__init__()
        self.conv = conv
        self.activation = activation if activation is not None else nn.Identity()
        if activation is None:
            self.attr, self.scalars = "none", []
        elif isinstance(activation, nn.ReLU):
            self.attr, self.scalars = "relu", []
        elif isinstance(activation, nn.LeakyReLU):
            self.attr, self.scalars = "leaky_relu", [float(activation.negative_slope)]
        elif isinstance(activation, nn.Tanh):
            self.attr, self.scalars = "tanh", []
        else:
            raise InputError(f"cannot fuse {type(activation).__name__} into a convolution")
        self._packed: dict[torch.dtype, tuple[torch.Tensor, torch.Tensor | None]] = {}
        self._packed_from: tuple[int, ...] = ()

    def _compute_dtype(self, x: torch.Tensor) -> torch.dtype | None:
        """The dtype to run the packed kernel in, or ``None`` for the fallback path."""
        weight = self.conv.weight
        if x.device.type != "cpu" or weight.device.type != "cpu" or weight.dtype != torch.float32:
            return None
        if torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad):
            return None
        if torch.is_autocast_enabled("cpu"):
            return torch.bfloat16 if torch.get_autocast_dtype("cpu") == torch.bfloat16 else None
        return x.dtype if x.dtype in (torch.float32, torch.bfloat16) else None

    def _pack(self, x: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor | None]:
        conv = self.conv
        # new weights (load_state_dict and in-place edits bump _version; .to() moves data): repack
        tensors = (conv.weight,) if conv.bias is None else (conv.weight, conv.bias)
        source = tuple(v for t in tensors for v in (t.data_ptr(), t._version))
        if self._packed_from != source:
            self._packed, self._packed_from = {}, source
        if dtype not in self._packed:
            weight = conv.weight.detach().to(dtype)
            if isinstance(conv, nn.ConvTranspose2d):
                packed = torch.ops.mkldnn._reorder_convolution_transpose_weight(
                    weight,
                    list(conv.padding),
                    list(conv.output_padding),
                    list(conv.stride),
                    list(conv.dilation),
                    conv.groups,
                    list(x.shape),
                )
            else:
                packed = torch._C._nn.mkldnn_reorder_conv2d_weight(
                    weight.to_mkldnn(),
                    list(conv.padding),
                    list(conv.stride),
                    list(conv.dilation),
                    conv.groups,
                    list(x.shape),
                )
            bias = None if conv.bias is None else conv.bias.detach().to(dtype)
            self._packed[dtype] = (packed, bias)
        return self._packed[dtype]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = self._compute_dtype(x)
        if dtype is None:
            return self.activation(self.conv(x))
        conv = self.conv
        packed, bias = self._pack(x, dtype)
        x = x.to(dtype)
        if isinstance(conv, nn.ConvTranspose2d):
            return torch.ops.mkldnn._convolution_transpose_pointwise(
                x,
                packed,
                bias,
                list(conv.padding),
                list(conv.output_padding),
                list(conv.stride),
                list(conv.dilation),
                conv.groups,
                self.attr,
                self.scalars,
                "",
            )
        return torch.ops.mkldnn._convolution_pointwise(
            x,
            packed,
            bias,
            list(conv.padding),
            list(conv.stride),
            list(conv.dilation),
            conv.groups,
            self.attr,
            self.scalars,
            "",
        )

    def extra_repr(self) -> str:
        return f"post_op={self.attr!r}"


def _fusable(conv: nn.Module) -> bool:
    return (
        type(conv) in _CONVS
        and conv.padding_mode == "zeros"
        and not isinstance(conv.padding, str)
        and conv.weight.dim() == 4
    )


def fuse_convolutions(module: nn.Module) -> int:
    """Replace convolutions by oneDNN-prepacked ones with fused activations, in place (CPU speed-up).

    Every plain ``Conv2d``/``ConvTranspose2d`` (subclasses are left alone: their ``forward`` may do
    more) with zero padding becomes a fused module that, on CPU without autograd (float32, or bfloat16
    under CPU bf16 autocast), keeps its weight prepacked; inside an ``nn.Sequential``, a ``ReLU``,
    ``LeakyReLU`` or ``Tanh`` that follows it (after any ``Identity``, e.g. a folded BatchNorm) is
    fused as a post-op and replaced by ``Identity``. Elsewhere the modules compute exactly as before.
    Does nothing when this PyTorch build lacks oneDNN's fused convolution operators.

    Returns:
        The number of convolutions replaced.
    """
    if not _onednn_available():
        return 0
    fused = 0
    for parent in list(module.modules()):
        if isinstance(parent, _FusedConv):
            continue
        names = list(parent._modules)
        for index, name in enumerate(names):
            conv = parent._modules[name]
            if not _fusable(conv):
                continue
            activation = None
            if isinstance(parent, nn.Sequential):
                j = index + 1
                while j < len(names) and isinstance(parent._modules[names[j]], nn.Identity):
                    j += 1
                follower = parent._modules[names[j]] if j < len(names) else None
                if isinstance(follower, (nn.ReLU, nn.LeakyReLU, nn.Tanh)):
                    activation = follower
                    parent._modules[names[j]] = nn.Identity()
            parent._modules[name] = _FusedConv(conv, activation)
            fused += 1
    return fused


class InferenceSRModel(SRModel):
    """An [`SRModel`][] made by [`optimize_for_inference`][]: eval-only, no autograd.

    Calls behave as ``SRModel``'s (padding, cropping, ``return_intermediates``, ``tile``), always
    under `torch.inference_mode`, with channels-last activations and optional bf16 autocast.
    Its ``state_dict`` is that of the folded model; load weights into the original model and optimise
    it again instead.

    Attributes:
        bf16: whether the graph runs under bfloat16 autocast.
        channels_last: whether activations use the channels-last memory format.
        folded: the number of BatchNorm layers folded into convolutions.
        fused: the number of convolutions running as prepacked oneDNN calls on CPU (see
            [`fuse_convolutions`][]; 0 without oneDNN).
    """

    def __init__(
        self, model: SRModel, *, bf16: bool, channels_last: bool, folded: int, fused: int = 0
    ) -> None:
        super().__init__(model.recipe, dict(model.stages.items()))
        self.bf16 = bf16
        self.channels_last = channels_last
        self.folded = folded
        self.fused = fused

    def train(self, mode: bool = True) -> InferenceSRModel:
        if mode:
            raise InputError("an optimised inference model cannot be trained; train the original SRModel")
        return super().train(False)

    def run_graph(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """As [`SRModel.run_graph`][], channels-last and under bf16 autocast if enabled; float32 out."""
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        autocast = torch.autocast(x.device.type, dtype=torch.bfloat16) if self.bf16 else nullcontext()
        with autocast:
            outputs = super().run_graph(x)
        return {name: value.float().contiguous() for name, value in outputs.items()}

    def forward(self, lr: torch.Tensor, **kwargs) -> torch.Tensor | dict[str, torch.Tensor]:  # type: ignore[override]
        """As [`SRModel.forward`][srzoo.SRModel.forward], under `torch.inference_mode`."""
        with torch.inference_mode():
            return super().forward(lr, **kwargs)


def optimize_for_inference(
    model: SRModel, *, bf16: bool = False, channels_last: bool = True
) -> InferenceSRModel:
    """Return a faster, eval-only copy of ``model`` computing the same function.

    Args:
        model: any [`SRModel`][] (e.g. from [`srzoo.build`][]); it is not modified.
        bf16: run the graph under bfloat16 autocast (CPU and GPU). Faster on hardware with bf16
            matrix units, at about 1e-2 absolute error on ``[0, 1]`` outputs; outputs are float32.
        channels_last: use the channels-last memory format for weights and activations.

    Returns:
        An [`InferenceSRModel`][] in eval mode: BatchNorm folded into the preceding convolutions
        (see [`fold_batchnorm`][]), forward under `torch.inference_mode`. In float32 its
        outputs match ``model.eval()``'s to within float rounding (≤ 1e-4 on ``[0, 1]`` outputs).

    Raises:
        InputError: ``model`` is not an ``SRModel``.

    Examples:
        >>> fast = srzoo.optimize_for_inference(srzoo.build("srresnet-x4"))
        >>> fast(torch.rand(1, 3, 32, 32)).shape
        torch.Size([1, 3, 128, 128])
    """
    if not isinstance(model, SRModel):
        raise InputError(f"optimize_for_inference expects an srzoo.SRModel, got {type(model).__name__}")
    # the recipe is immutable: share it rather than copy it
    clone = copy.deepcopy(model, memo={id(model.recipe): model.recipe}).eval()
    for p in clone.parameters():
        p.requires_grad_(False)
    folded = fold_batchnorm(clone)
    if channels_last:
        clone = clone.to(memory_format=torch.channels_last)
    fused = fuse_convolutions(clone)
    fast = InferenceSRModel(clone, bf16=bf16, channels_last=channels_last, folded=folded, fused=fused)
    return fast.eval()
