"""The fast path: an eval-only copy of an SRModel with folded BatchNorm, channels-last, oneDNN and bf16
(see [`srzoo.inference`][srzoo.inference])."""

from __future__ import annotations

import copy
import functools
import itertools
from collections.abc import Iterable
from contextlib import nullcontext

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from ..errors import InputError
from ..model.srmodel import SRModel

__all__ = [
    "InferenceSRModel",
    "calibrate_batchnorm",
    "fold_batchnorm",
    "fold_conv_bn",
    "fuse_convolutions",
    "optimize_for_inference",
]

_CONVS = (nn.Conv2d, nn.ConvTranspose2d)


@torch.no_grad()
def calibrate_batchnorm(model: nn.Module, batches: Iterable[torch.Tensor]) -> int:
    """Re-estimate every BatchNorm's running statistics from ``batches``, as their plain average.

    Each tracked BatchNorm's statistics are reset and, with ``momentum=None`` (a cumulative average
    instead of an exponential one), accumulated over one forward pass of ``model`` per batch in
    training mode, without gradients. Afterwards every module's training flag and momentum are as
    before. Useful after changing a model's data domain, and to give an untrained model the
    realistic statistics that make its outputs (and comparisons of them) meaningful: with
    default-initialised BatchNorm a Stage-GAN's output is flat.

    Args:
        model: any module; its ``forward`` is called with each batch.
        batches: inputs for ``model``, e.g. ``(N, 3, h, w)`` LR images in ``[0, 1]`` for an
            [`SRModel`][srzoo.SRModel] (use ``N >= 2`` if a BatchNorm sees ``1x1`` feature maps).

    Returns:
        The number of BatchNorm layers calibrated.

    Raises:
        InputError: ``batches`` is empty.
    """
    norms = [
        m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats
    ]
    modes = [(m, m.training) for m in model.modules()]
    momenta = [(m, m.momentum) for m in norms]
    try:
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None
        model.train()
        seen = 0
        for batch in batches:
            model(batch)
            seen += 1
        if seen == 0:
            raise InputError("calibrate_batchnorm needs at least one batch of inputs")
    finally:
        for norm, momentum in momenta:
            norm.momentum = momentum
        for module, training in modes:
            module.training = training
    return len(norms)


@torch.no_grad()
def fold_conv_bn(conv: nn.Conv2d | nn.ConvTranspose2d, bn: nn.BatchNorm2d) -> nn.Conv2d | nn.ConvTranspose2d:
    """A new convolution computing eval-mode ``bn(conv(x))``; ``conv`` and ``bn`` are not modified.

    With ``a = γ / sqrt(σ² + ε)`` and ``b = β − a·μ`` (running statistics), output channel ``o``'s
    weights are scaled by ``a[o]`` and its bias becomes ``a[o]·bias[o] + b[o]``. This is
    ``torch.nn.utils.fusion.fuse_conv_bn_eval`` (``transpose=True`` for ``ConvTranspose2d``, whose
    weights are ``(in, out/groups, kh, kw)``); a grouped ``ConvTranspose2d``, which that function
    does not support, is folded here per group.

    Raises:
        InputError: ``bn`` has no running statistics, its channels do not match ``conv``'s outputs,
            or either module is in training mode.
    """
    if bn.running_mean is None or bn.running_var is None:
        raise InputError("cannot fold a BatchNorm2d without running statistics (track_running_stats=False)")
    if bn.num_features != conv.out_channels:
        raise InputError(
            f"cannot fold BatchNorm2d({bn.num_features}) into a conv with {conv.out_channels} outputs"
        )
    if conv.training or bn.training:
        raise InputError(
            "cannot fold a BatchNorm2d in training mode (it uses batch statistics); call .eval()"
        )
    transposed = isinstance(conv, nn.ConvTranspose2d)
    if not (transposed and conv.groups > 1):
        return fuse_conv_bn_eval(conv, bn, transpose=transposed)
    fused = copy.deepcopy(conv)
    scale = (bn.weight if bn.affine else torch.ones_like(bn.running_var)) * torch.rsqrt(
        bn.running_var + bn.eps
    )
    shift = (bn.bias if bn.affine else torch.zeros_like(bn.running_mean)) - scale * bn.running_mean
    weight = fused.weight  # weight[i, j] feeds output channel (group of i) * out_per_group + j
    groups, (n_in, per_group) = conv.groups, weight.shape[:2]
    per_input = scale.view(groups, 1, per_group).expand(groups, n_in // groups, per_group)
    weight.mul_(per_input.reshape(n_in, per_group, 1, 1).to(weight.dtype))
    bias = shift if conv.bias is None else scale * conv.bias + shift
    fused.bias = nn.Parameter(bias.to(weight.dtype), requires_grad=weight.requires_grad)
    return fused


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def fold_batchnorm(module: nn.Module) -> int:
    """Fold every foldable BatchNorm2d of ``module`` (in eval mode) into its preceding convolution.

    A BatchNorm2d is folded when it is the next element after a plain ``Conv2d``/``ConvTranspose2d``
    (not a subclass, whose ``forward`` may do more) in an ``nn.Sequential`` and has running
    statistics: the convolution is replaced by [`fold_conv_bn`][srzoo.inference.fold_conv_bn]'s and
    the BatchNorm by ``nn.Identity`` (``Module.set_submodule``). The module must be in eval mode: in
    training mode BatchNorm uses batch statistics and cannot be folded.

    Returns:
        The number of BatchNorm layers folded.

    Raises:
        InputError: ``module`` is in training mode.
    """
    if any(m.training for m in module.modules()):
        raise InputError("fold_batchnorm needs a module in eval mode; call module.eval() first")
    folded = 0
    for path, seq in [(p, m) for p, m in module.named_modules() if isinstance(m, nn.Sequential)]:
        for first, second in itertools.pairwise(list(seq._modules)):
            conv, bn = seq._modules[first], seq._modules[second]
            if (
                type(conv) in _CONVS
                and type(bn) is nn.BatchNorm2d
                and bn.track_running_stats
                and bn.running_mean is not None
            ):
                module.set_submodule(_child(path, first), fold_conv_bn(conv, bn), strict=True)
                module.set_submodule(_child(path, second), nn.Identity(), strict=True)
                folded += 1
    return folded


@functools.cache
def _onednn_works() -> bool:
    """Capability test for the oneDNN fast path: the private operators exist *and* compute correctly.

    ``torch.ops.mkldnn._convolution_pointwise`` and friends are private PyTorch API: they may be
    missing from a build, change signature or misbehave, so a tiny packed ``Conv2d`` and
    ``ConvTranspose2d`` (with a fused ReLU) are run once and compared with the plain modules. On any
    error or mismatch srzoo uses plain convolutions (still folded and channels-last).
    """
    ops = torch.ops.mkldnn
    if not (
        torch.backends.mkldnn.is_available()
        and hasattr(ops, "_convolution_pointwise")
        and hasattr(ops, "_convolution_transpose_pointwise")
        and hasattr(ops, "_reorder_convolution_transpose_weight")
        and hasattr(torch._C._nn, "mkldnn_reorder_conv2d_weight")
    ):
        return False
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(1, 4, 6, 5, generator=generator)
    convs = [
        nn.Conv2d(4, 3, 3, padding=1),
        nn.ConvTranspose2d(4, 3, 4, 2, 1),
    ]  # normal (not inference) tensors
    try:
        with torch.inference_mode():
            for conv in convs:
                conv.eval().requires_grad_(False)
                expected = torch.relu(conv(x))
                got = _FusedConv(conv, nn.ReLU())(x.contiguous(memory_format=torch.channels_last))
                if got.shape != expected.shape or not torch.allclose(got, expected, atol=1e-5, rtol=1e-4):
                    return False
    except Exception:  # noqa: BLE001 - a private operator failing in any way means "not available"
        return False
    return True


@functools.cache
def _onednn_bf16_works() -> bool:
    """Whether oneDNN can pack and run bf16 convolution weights on this CPU (AVX512BW/VL/DQ or
    AVX-NE-CONVERT); on AVX2-only CPUs its weight reorder raises."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


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
            dtype = torch.bfloat16 if torch.get_autocast_dtype("cpu") == torch.bfloat16 else None
        else:
            dtype = x.dtype if x.dtype in (torch.float32, torch.bfloat16) else None
        # oneDNN packs bf16 weights only on AVX512(BW/VL/DQ)/AVX-NE-CONVERT CPUs; elsewhere (AVX2)
        # the reorder raises, so bf16 runs the plain (autocast) convolution instead
        if dtype == torch.bfloat16 and not _onednn_bf16_works():
            return None
        return dtype

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
    Does nothing when oneDNN's fused convolution operators (private PyTorch API) are missing or fail
    srzoo's capability test on this build; the model then runs plain convolutions.

    Returns:
        The number of convolutions replaced.
    """
    if not _onednn_works():
        return 0
    fused = 0
    for path, parent in list(module.named_modules()):
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
                    module.set_submodule(_child(path, names[j]), nn.Identity(), strict=True)
            module.set_submodule(_child(path, name), _FusedConv(conv, activation), strict=True)
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
            matrix units; outputs are float32. Measured against float32 on calibrated models
            (docs/stagegan.md): a full-width Stage-GAN differs by up to 0.09-0.13 on single pixels,
            mean 7e-3-8e-3, about 39-40 dB; LapSRN 0.03 max, 47.5 dB.
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
