"""The benchmark loop: methods × sets, each method at its own scale, under one protocol.

For each set and scale the LR inputs are made once (the same LR for every method): HR mod-cropped to
the scale, ``LR = round8(bicubic(HR))`` with MATLAB's uint8 rounding (or a chosen degradation with a
seed, or LR files). Each method then upscales every LR image: one untimed warm-up call, then each
call timed (synchronised) and its SR rounded to 8 bits and scored. Means are over images.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from .. import __version__
from ..api import create, describe
from ..checks import accepts_keyword
from ..errors import InputError, SrzooError
from ..imageio import quantize_8bit
from ..runtime.devices import gpu_name
from .data import BenchSet, Sample, resolve_data
from .distributed import Shard, current_shard, local_device
from .methods import Method, default_methods, is_checkpoint_method, load_method
from .protocol import LRSpec, ProtocolCard, YConvention, combined_hash, matlab_rounding
from .stages import StageImage, has_stages, stage_image_index, stage_images
from .timing import PeakMemory, Stopwatch, median_ms

__all__ = ["BenchResult", "ImageScore", "PublishedGap", "bench"]

METRICS = ("psnr", "ssim", "gsm")
"""The metrics scored by default."""

ProgressHook = Callable[[str, int], Callable[[], None]]
"""``hook(description, total)`` returns the function to call after each image."""


@dataclass(frozen=True)
class ImageScore:
    """One image's result.

    Attributes:
        name: the image's name.
        sha256: its file hash.
        scores: metric name -> value (empty for speed-only runs).
        ms: the synchronised wall time of its forward pass.
    """

    name: str
    sha256: str
    scores: dict[str, float]
    ms: float


@dataclass(frozen=True)
class PublishedGap:
    """A published value for the same method, set, metric and protocol, with srzoo's gap to it.

    Attributes:
        metric: ``psnr``, ``ssim`` or ``gsm``.
        value: the published number.
        gap: measured minus published.
        source: who published it.
    """

    metric: str
    value: float
    gap: float
    source: str


@dataclass(frozen=True)
class BenchResult:
    """One method on one set.

    Attributes:
        method: the method's label: its recipe's name, or the label it was given.
        dataset: the set's name (e.g. ``set5``, ``charts``).
        scale: the method's SR factor.
        images: how many images were scored.
        scores: metric -> mean over images (empty for speed-only runs of untrained methods).
        ms_per_image: median synchronised forward time (after a warm-up call).
        images_per_s: ``1000 / ms_per_image``.
        parameters: the model's parameter count.
        gflops_per_image: convolution/matmul GFLOPs of one forward, for the set's mean LR size.
        peak_memory_mib: peak memory while upscaling the set (see ``PeakMemory``).
        memory_kind: what ``peak_memory_mib`` measures (``rss``, ``cuda_max_allocated``...).
        trained: ``False`` for a speed-only run of a learned method without weights.
        weights: which weights the numbers come from: ``shipped`` (srzoo's), the weights file's name,
            ``authors (converted)``, ``untrained`` or ``none`` (a parameter-free method).
        protocol: the protocol card.
        per_image: each image's scores and time.
        published: published values with the gap, for matching set, metric and protocol, and only
            for the weights they were published for (the authors', or none for a parameter-free method).
        sr_images: with ``keep_images``, each image's 8-bit SR as ``(3, H, W)`` uint8 (for figures).
        stages: with ``keep_images``, for a model with learned intermediate stages (a node
            besides the output with parameters), its nodes' outputs on one image, one
            [`StageImage`][srzoo.bench.StageImage] per node in graph order (for figures).
        stage_source: the name of that image.
    """

    method: str
    dataset: str
    scale: int
    images: int
    scores: dict[str, float]
    ms_per_image: float
    images_per_s: float
    parameters: int
    gflops_per_image: float
    peak_memory_mib: float
    memory_kind: str
    trained: bool
    protocol: ProtocolCard
    weights: str = "none"
    per_image: tuple[ImageScore, ...] = ()
    published: tuple[PublishedGap, ...] = ()
    sr_images: tuple[torch.Tensor, ...] = field(default=(), repr=False, compare=False)
    stages: tuple[StageImage, ...] = field(default=(), repr=False, compare=False)
    stage_source: str = ""

    @property
    def psnr(self) -> float | None:
        return self.scores.get("psnr")

    @property
    def ssim(self) -> float | None:
        return self.scores.get("ssim")

    @property
    def gsm(self) -> float | None:
        return self.scores.get("gsm")

    def as_dict(self) -> dict[str, Any]:
        """The JSON record of DESIGN §4: means at the top level, then the details."""
        record: dict[str, Any] = {
            "method": self.method,
            "dataset": self.dataset,
            "scale": self.scale,
            "images": self.images,
        }
        for metric in METRICS:
            record[metric] = self.scores.get(metric)
        record.update(
            {
                "ms_per_image": self.ms_per_image,
                "images_per_s": self.images_per_s,
                "parameters": self.parameters,
                "gflops_per_image": self.gflops_per_image,
                "peak_memory_mib": self.peak_memory_mib,
                "memory_kind": self.memory_kind,
                "trained": self.trained,
                "weights": self.weights,
                "published": {
                    p.metric: {"value": p.value, "gap": p.gap, "source": p.source} for p in self.published
                },
                "protocol": self.protocol.as_dict(),
                "per_image": [
                    {"name": s.name, "sha256": s.sha256, **s.scores, "ms": s.ms} for s in self.per_image
                ],
            }
        )
        return record


@dataclass
class _Inputs:
    """The LR inputs of one set at one scale, shared by every method at that scale."""

    samples: list[Sample]
    lrs: list[torch.Tensor]
    indices: list[int]
    lr_spec: LRSpec
    dataset_card: dict[str, Any]


def bench(
    methods: Sequence[str] | None = None,
    data: Sequence[str | BenchSet] = ("charts",),
    *,
    metrics: Sequence[str] = METRICS,
    weights: dict[str, str | Path] | None = None,
    pretrained: bool = True,
    labels: dict[str, str] | None = None,
    y: YConvention = "rounded",
    degradation: str | None = None,
    seed: int | None = None,
    allow_untrained: bool = False,
    fast: bool = True,
    device: torch.device | str = "cpu",
    limit: int | None = None,
    keep_images: bool = False,
    progress: ProgressHook | None = None,
) -> list[BenchResult]:
    """Benchmark SR methods on benchmark sets under the literature's protocol (DESIGN §6).

    Args:
        methods: recipe names, recipe files or checkpoint files a plugin reads (labelled by their
            stem; e.g. ``.pth`` with ``srzoo[spandrel]``); ``None`` compares ``bicubic-x4``/``bicubic-x8`` with every recipe that
            has weights (shipped, or given in ``weights``).
        data: ``--data`` specs (see ``srzoo.bench.data``) or resolved sets.
        metrics: registered metric names, scored on the 8-bit SR with the border shaved by the scale.
        weights: method -> weights file (``.safetensors`` or a format its converter reads); a
            learned method not in it runs with the weights srzoo ships for it, where there are some;
            a label that is no recipe -> a checkpoint file, benchmarked under that label.
        pretrained: accepted for compatibility: the shipped weights are always the default.
        labels: method -> the label its rows carry (default: the recipe's name, also for a
            recipe file).
        y: the Y convention: ``"rounded"`` (MATLAB ``rgb2ycbcr`` on uint8, the usual tables) or
            ``"unrounded"`` (RCAN's scripts; LapSRN's own numbers).
        degradation: make LR with this registered degradation instead of MATLAB bicubic.
        seed: seed of the degradation's ``generator`` (image ``i`` uses ``seed + i``), if it takes one.
        allow_untrained: time learned methods without weights instead of refusing them (no scores).
        fast: run ``srzoo.optimize_for_inference``'s copy (default).
        device: where to run.
        limit: use only the first ``limit`` images of each set.
        keep_images: keep each method's 8-bit SR images (for the comparison figures).
        progress: a hook called once per (method, set) with a description and the image count; it
            returns the function to call after each image.

    Returns:
        One [`BenchResult`][srzoo.bench.BenchResult] per method and set, methods outer.

    Raises:
        SrzooError: an unknown method, metric or set; a learned method without weights; an option
            that does not fit.

    Examples:
        >>> [r] = srzoo.bench(["bicubic-x4"], ["charts:64"], metrics=["psnr"], limit=1)
        >>> (r.dataset, r.scale, r.images, round(r.psnr, 2) > 10)
        ('charts', 4, 1, True)
    """
    if y not in ("rounded", "unrounded"):
        raise InputError(f"y must be 'rounded' or 'unrounded', got {y!r}")
    if seed is not None and degradation is None:
        raise InputError(
            "seed needs a degradation: pass degradation=NAME (the bicubic protocol is not random)"
        )
    device = torch.device(device)
    weights = {name: Path(path) for name, path in (weights or {}).items()}
    labels = dict(labels or {})
    names = list(methods) if methods else default_methods(weights)  # type: ignore[arg-type]
    if not names:
        raise InputError("no methods to benchmark")
    # a checkpoint given a label with --weights LABEL=FILE joins the methods
    names += [n for n, path in weights.items() if n not in names and is_checkpoint_method(n, path)]
    for option, given in (("--weights", weights), ("--label", labels)):
        unknown = [name for name in given if name not in names]
        if unknown:
            raise InputError(
                f"{option} {unknown[0]}=...: {unknown[0]!r} is not among the methods ({', '.join(names)})"
            )
    for metric in metrics:
        describe("metric", metric)  # unknown names fail here, with suggestions
    sets = [item if isinstance(item, BenchSet) else resolve_data(item, limit) for item in data]
    shard = current_shard(device)
    if shard.world > 1 and device.type == "cuda" and device.index is None:
        device = local_device()  # one GPU per rank under torchrun
    built = [
        load_method(
            name,
            weights=weights.get(name),
            allow_untrained=allow_untrained,
            fast=fast,
            device=device,
            label=labels.get(name),
        )
        for name in names
    ]
    seen: dict[str, str] = {}
    for name, method in zip(names, built, strict=True):
        if method.name in seen:
            raise InputError(
                f"{seen[method.name]} and {name} would both be labelled {method.name!r}; "
                f"tell them apart with --label {name}=LABEL"
            )
        seen[method.name] = name
    cache: dict[tuple[str, int], _Inputs] = {}
    results = []
    for method in built:
        for bench_set in sets:
            key = (bench_set.spec, method.scale)
            if key not in cache:
                cache[key] = _make_inputs(bench_set, method.scale, degradation, seed, shard)
            inputs = cache[key]
            results.append(
                _run_one(method, bench_set, inputs, metrics, y, fast, device, shard, keep_images, progress)
            )
    return results


def _make_inputs(
    bench_set: BenchSet, scale: int, degradation: str | None, seed: int | None, shard: Shard
) -> _Inputs:
    samples = list(bench_set.samples(scale))
    if not samples:
        raise InputError(f"--data {bench_set.spec!r}: no images")
    card = {
        "name": bench_set.name,
        "spec": bench_set.spec,
        "kind": bench_set.kind,
        "images": len(samples),
        "sha256": combined_hash([s.sha256 for s in samples]),
    }
    indices = [i for i in range(len(samples)) if shard.owns(i)]
    if bench_set.lr_given:
        spec = LRSpec(source="files", degradation=None)
        return _Inputs(samples, [samples[i].lr for i in indices], indices, spec, card)  # type: ignore[misc]
    name = degradation or "bicubic"
    args: dict[str, Any] = {"rounding": matlab_rounding(scale)} if degradation is None else {}
    down = create("degradation", name, scale=scale, **args)
    takes_generator = seed is not None and accepts_keyword(down, "generator")
    spec = LRSpec("degradation", name, args, seed if takes_generator else None)
    lrs = []
    with torch.no_grad():
        for i in indices:
            hr = samples[i].hr[None]
            if takes_generator:
                lr = down(hr, generator=torch.Generator().manual_seed(int(seed) + i))  # type: ignore[operator]
            else:
                lr = down(hr)
            lrs.append(quantize_8bit(lr)[0])
    return _Inputs(samples, lrs, indices, spec, card)


def _run_one(
    method: Method,
    bench_set: BenchSet,
    inputs: _Inputs,
    metrics: Sequence[str],
    y: YConvention,
    fast: bool,
    device: torch.device,
    shard: Shard,
    keep_images: bool,
    progress: ProgressHook | None,
) -> BenchResult:
    scale = method.scale
    scorers = (
        {m: create("metric", m, scale=scale, round_y=(y == "rounded")) for m in metrics}
        if method.trained
        else {}
    )
    advance = progress(f"{method.name} on {bench_set.name}", len(inputs.lrs)) if progress else None
    watch = Stopwatch(device)
    records = []
    kept = []
    with torch.inference_mode():
        if inputs.lrs:
            method.runner(inputs.lrs[0][None].to(device))  # warm-up: allocations, weight packing
        with PeakMemory(device) as memory:
            for i, lr in zip(inputs.indices, inputs.lrs, strict=True):
                x = lr[None].to(device)
                with watch:
                    sr = method.runner(x)
                sr = quantize_8bit(sr.float())
                sample = inputs.samples[i]
                hr = sample.hr[None].to(device)
                if sr.shape != hr.shape:
                    raise SrzooError(
                        f"{method.name} made {tuple(sr.shape[-2:])} from {sample.name}'s LR, "
                        f"expected {tuple(hr.shape[-2:])}"
                    )
                scores = {m: float(fn(sr, hr)[0]) for m, fn in scorers.items()}
                records.append((i, ImageScore(sample.name, sample.sha256, scores, watch.times_ms[-1])))
                if keep_images:
                    kept.append((i, (sr[0] * 255).round().to(torch.uint8).cpu()))
                if advance:
                    advance()
    gathered = sorted(shard.gather([(i, r, memory.mib) for i, r in records]), key=lambda t: t[0])
    per_image = tuple(r for _, r, _ in gathered)
    peak = max((m for _, _, m in gathered), default=memory.mib)
    sr_images = tuple(image for _, image in sorted(shard.gather(kept), key=lambda t: t[0]))
    stages, stage_source = _stages(method, inputs, device, shard) if keep_images else ((), "")
    ms = median_ms([r.ms for r in per_image]) or 0.0
    scores = {m: statistics.fmean(r.scores[m] for r in per_image) for m in metrics} if method.trained else {}
    card = ProtocolCard(
        scale=scale,
        channel="y",
        y=y,
        shave=scale,
        lr=inputs.lr_spec,
        dataset=inputs.dataset_card,
        weights=method.weights,
        fast=fast,
        device=_describe_device(device),
        versions={"srzoo": __version__, "torch": torch.__version__},
    )
    return BenchResult(
        method=method.name,
        dataset=bench_set.name,
        scale=scale,
        images=len(per_image),
        scores=scores,
        ms_per_image=ms,
        images_per_s=1e3 / ms if ms > 0 else math.inf,
        parameters=method.parameters,
        gflops_per_image=_gflops(method, inputs),
        peak_memory_mib=peak,
        memory_kind=memory.kind,
        trained=method.trained,
        protocol=card,
        weights=method.weights_label,
        per_image=per_image,
        published=_published(method, bench_set.name, scores, card),
        sr_images=sr_images,
        stages=stages,
        stage_source=stage_source,
    )


def _stages(
    method: Method, inputs: _Inputs, device: torch.device, shard: Shard
) -> tuple[tuple[StageImage, ...], str]:
    """The node outputs of a model with learned intermediate stages on the set's stage image
    (computed by the rank that holds it), and that image's name."""
    if not has_stages(method.model) or not inputs.samples:
        return (), ""
    index = stage_image_index([sample.name for sample in inputs.samples])
    local = []
    if index in inputs.indices:
        lr = inputs.lrs[inputs.indices.index(index)]
        local = list(stage_images(method.model, lr.to(device)))
    return tuple(shard.gather(local)), inputs.samples[index].name


def _gflops(method: Method, inputs: _Inputs) -> float:
    """FLOPs of one forward on the first LR image, scaled to the set's mean LR pixel count.

    Convolutions and matrix products are linear in the pixel count, so one count (on the plain
    model, whose operators the counter knows) extrapolates to every image size.
    """
    if not inputs.lrs:
        return 0.0
    first = inputs.lrs[0]
    device = next(method.model.parameters(), first).device
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        method.model(first[None].to(device))
    pixels = [s.hr.shape[-2] * s.hr.shape[-1] / method.scale**2 for s in inputs.samples]
    per_pixel = counter.get_total_flops() / (first.shape[-2] * first.shape[-1])
    return per_pixel * statistics.fmean(pixels) / 1e9


def _published(
    method: Method, dataset: str, scores: dict[str, float], card: ProtocolCard
) -> tuple[PublishedGap, ...]:
    """The recipe's published values for this set, metric and Y convention, under the standard LR,
    for the weights they were published for: the authors' (or none, for a parameter-free method).
    srzoo's own weights (trained on other data) or a user's are never set against a paper's number."""
    standard_lr = card.lr.source == "files" or (card.lr.degradation == "bicubic" and card.lr.seed is None)
    if not standard_lr or card.shave != card.scale or not method.authors_weights:
        return ()
    gaps = []
    for entry in method.model.recipe.published:
        if entry.dataset.lower() == dataset and entry.y == card.y and entry.metric in scores:
            gaps.append(
                PublishedGap(entry.metric, entry.value, scores[entry.metric] - entry.value, entry.source)
            )
    return tuple(gaps)


def _describe_device(device: torch.device) -> str:
    """``cuda:N (its name)`` or ``cpu``."""
    gpu = gpu_name(device)
    if gpu is None:
        return str(device)
    index = device.index if device.index is not None else torch.cuda.current_device()
    return f"cuda:{index} ({gpu})"
