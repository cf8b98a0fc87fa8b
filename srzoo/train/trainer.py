"""``Trainer``: one generic loop that trains any recipe from its ``[train]`` table.

Per step (see ``docs/training.md``): the batch is made on the device (paired crop + flip, LR by the
recipe's degradation); the graph runs the nodes the losses and critics need; every active critic
takes ``critic_steps`` updates on the real sample and the detached fake (its condition detached too);
then the active generators take one update on the weighted sum of their terms, scored by the now
frozen critics. ``train.stages = "joint"`` trains every generator at once (Stage-GAN eq. 10);
``"sequential"`` splits the run into one phase per generator in graph order (see `Phase`).
"""

from __future__ import annotations

import contextlib
import inspect
import json
import random
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from .. import api
from ..errors import InputError, RecipeError, SrzooError
from ..model import SRModel
from ..model.graph import analyse
from ..model.imageops import to_range
from ..recipe import Node, Optimizer, Recipe
from ..runtime.devices import pick_device
from ..weights import load_weights, save_weights
from . import checkpoint as ckpt
from .data import (
    BatchMaker,
    DataSource,
    PatchItems,
    ResumableSampler,
    build_degradation,
    image_sizes,
    locate_data,
    tensors_only,
    training_dataset,
    validation_dataset,
)
from .distributed import Distributed
from .ema import EMA
from .figures import loss_curves, sample_grid
from .losses import CriticSpec, Term, build_critics, build_terms, critic_input, luma
from .options import TrainOptions
from .progress import RunProgress, peak_memory_mb
from .rundir import JsonLines, dumps_toml
from .schedule import lr_factor

__all__ = ["Phase", "TrainResult", "Trainer", "TrainingDiverged", "train"]

VAL_METRICS = ("psnr", "ssim", "gsm")
GRID_ROWS = 4
MIN_INTERVAL = 500
"""Default validation and checkpoint interval: whole epochs, at least this many steps."""


class TrainingDiverged(SrzooError):
    """Losses stayed NaN/inf for ``max_bad_steps`` steps; the run rolled back and stopped."""


@dataclass(frozen=True)
class Phase:
    """A stretch of the run training some generators.

    Joint training has one phase over all steps. Sequential training has one per generator node, in
    graph order, each ``total_steps / K`` steps long (the last takes the remainder); phase ``k``
    trains generator ``k`` and the critics judging it on the outputs of the frozen (eval-mode)
    generators before it, and its learning-rate schedule runs ``K`` times faster, so that every
    phase goes through the recipe's whole schedule (e.g. constant, then linear decay) in its share.

    Attributes:
        generators: the trained generator nodes.
        start, end: global steps ``[start, end)``.
        speed: the schedule's epoch multiplier (1 joint, ``K`` sequential).
    """

    generators: tuple[str, ...]
    start: int
    end: int
    speed: int = 1


@dataclass
class TrainResult:
    """What a run produced.

    Attributes:
        run_dir: the run directory.
        weights: ``model.safetensors`` (``None`` if the run stopped before the end).
        step: generator updates done.
        epoch: the epoch reached.
        interrupted: stopped by Ctrl-C / SIGTERM / ``request_stop`` (a checkpoint was saved).
        validation: the last validation row (means over the held-out images), if any.
        checkpoint: the last checkpoint folder.
    """

    run_dir: Path
    weights: Path | None
    step: int
    epoch: int
    interrupted: bool = False
    validation: dict[str, float] = field(default_factory=dict)
    checkpoint: Path | None = None


class _Pyramid(nn.Module):
    """Adapter so a pyramid generator's ``forward_pyramid`` runs through DDP's hooks: ``(N, 3, h, w)``
    RGB → the list of level outputs (Y planes for a Y-channel network)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        planes = luma(x) if getattr(self.net, "channels", "rgb") == "y" else x
        return list(self.net.forward_pyramid(planes))  # type: ignore[operator]


def _resolve_recipe(recipe: str | Path | Recipe, overrides: Mapping[str, Any]) -> Recipe:
    resolved = recipe if isinstance(recipe, Recipe) else api.get_recipe(recipe)
    if overrides:
        resolved = resolved.with_overrides(overrides)
    if resolved.train is None:
        raise RecipeError(
            resolved.source,
            "train",
            f"recipe {resolved.name!r} has no [train] table, so it cannot be trained; pick a learned recipe (srzoo list recipe)",
        )
    if not resolved.train.losses:
        raise RecipeError(resolved.source, "train.losses", "no loss terms; add [[train.losses]] tables")
    return resolved


def _make_optimizer(
    spec: Optimizer, networks: Mapping[str, list[tuple[str, nn.Parameter]]], where: str, source: str
) -> torch.optim.Optimizer:
    """One optimiser over several networks: a parameter group per network and lr multiplier, each
    tagged with its ``network`` name (for per-network learning rates, clipping and logging)."""
    classes = {name.lower(): obj for name, obj in vars(torch.optim).items() if isinstance(obj, type)}
    cls = classes.get(spec.name.lower())
    if cls is None or not issubclass(cls, torch.optim.Optimizer):
        raise RecipeError(
            source, f"{where}.name", f"unknown optimiser {spec.name!r}; expected e.g. adam, adamw, sgd"
        )
    accepted = inspect.signature(cls).parameters
    kwargs: dict[str, Any] = {"lr": spec.lr}
    if "betas" in accepted:
        kwargs["betas"] = spec.betas
    if "momentum" in accepted:
        kwargs["momentum"] = spec.momentum
    if "weight_decay" in accepted:
        kwargs["weight_decay"] = spec.weight_decay
    if "fused" in accepted and all(p.is_floating_point() for named in networks.values() for _, p in named):
        kwargs["fused"] = True  # one kernel per step instead of a loop over tensors (CPU and CUDA)
    param_groups = []
    for network, named in networks.items():
        groups: dict[float, list[nn.Parameter]] = {}
        for name, param in named:
            matches = [p for p in spec.lr_multipliers if name == p or name.startswith(p + ".")]
            factor = spec.lr_multipliers[max(matches, key=len)] if matches else 1.0
            groups.setdefault(factor, []).append(param)
        param_groups += [
            {"params": params, "lr": spec.lr * factor, "base_lr": spec.lr * factor, "network": network}
            for factor, params in groups.items()
        ]
    return cls(param_groups, **kwargs)


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class Trainer:
    """Trains a recipe's generators (and critics) as its ``[train]`` table says.

    Args:
        recipe: a registered name, a ``.toml`` path or a [`Recipe`][srzoo.Recipe].
        options: a [`TrainOptions`][srzoo.train.TrainOptions]; or give its fields as keywords.

    Raises:
        RecipeError: a recipe without ``[train]`` or with components that cannot be built.
        InputError: unusable data (missing, empty, no semantic maps when the recipe needs them).

    Examples:
        >>> trainer = srzoo.Trainer("srcnn-x4", data="photos/", out="runs/srcnn")  # doctest: +SKIP
        >>> result = trainer.fit()                                                  # doctest: +SKIP
    """

    def __init__(
        self, recipe: str | Path | Recipe, options: TrainOptions | None = None, **kwargs: Any
    ) -> None:
        if options is None:
            options = TrainOptions(**kwargs)
        elif kwargs:
            options = TrainOptions(**{**asdict(options), **kwargs})
        self.options = options
        self.recipe = _resolve_recipe(recipe, options.overrides)
        spec = self.recipe.train
        assert spec is not None
        self.spec = spec
        self.device = pick_device(options.device)
        self.dist = Distributed.setup(self.device)
        self.device = self.dist.device_for(self.device)
        _seed_everything(options.seed + self.dist.rank)
        self.batch_size = options.batch_size or spec.batch_size
        self.patch = options.patch_size or spec.patch_size

        self.source = locate_data(options.data, self.recipe)
        self.val_source = self._locate_val()
        self.model: SRModel = api.build(self.recipe).to(self.device)
        if options.init_from is not None:
            load_weights(self.model, options.init_from)
        self.generators = [
            n.name
            for n in self.recipe.nodes
            if n.kind == "generator" and _has_params(self.model.stages[n.name])
        ]
        if not self.generators:
            raise RecipeError(self.recipe.source, "nodes", "no generator with parameters to train")
        self.terms = build_terms(self.recipe, self.model)
        self.critics: dict[str, CriticSpec] = build_critics(self.recipe, self.terms)
        for critic in self.critics.values():
            critic.network.to(self.device).train()
        self._check_patch()
        if options.sync_batchnorm and self.dist.enabled:
            for name in self.generators:
                self.model.stages[name] = nn.SyncBatchNorm.convert_sync_batchnorm(self.model.stages[name])
            for critic in self.critics.values():
                critic.network = nn.SyncBatchNorm.convert_sync_batchnorm(critic.network)
        if options.channels_last:
            self.model.to(memory_format=torch.channels_last)
            for critic in self.critics.values():
                critic.network.to(memory_format=torch.channels_last)

        generators = {
            name: [(f"stages.{name}.{k}", p) for k, p in self.model.stages[name].named_parameters()]
            for name in self.generators
        }
        self.optimizers: dict[str, torch.optim.Optimizer] = {
            "generators": _make_optimizer(spec.optimizer, generators, "train.optimizer", self.recipe.source)
        }
        if self.critics:
            critics = {
                name: [(f"{name}.{k}", p) for k, p in critic.network.named_parameters()]
                for name, critic in self.critics.items()
            }
            self.optimizers["critics"] = _make_optimizer(
                spec.critic_optimizer or spec.optimizer, critics, "train.critic_optimizer", self.recipe.source
            )
        fp16 = options.precision == "fp16"
        self.scalers = {
            "generators": torch.amp.GradScaler(self.device.type, enabled=fp16),
            "critics": torch.amp.GradScaler(self.device.type, enabled=fp16),
        }
        self.ema = EMA(self.model, spec.ema_decay) if spec.ema_decay is not None else None
        self._build_runners()
        self._build_data()

        self.step = 0
        self.epoch = 0
        self.position = 0
        self.bad_steps = 0
        self.best: dict[str, Any] | None = None
        self.last_validation: dict[str, float] = {}
        self.last_checkpoint: Path | None = None
        self._stop: str | None = None
        self._logging_now = False
        self._resize_cache: dict[int, Callable[[torch.Tensor], torch.Tensor]] = {}
        self.run_dir = options.out
        self.store = ckpt.CheckpointStore(self.run_dir, options.keep)
        self.metrics = JsonLines(self.run_dir / "metrics.jsonl")
        self.validations = JsonLines(self.run_dir / "validation.jsonl")
        self.total_steps = self._plan_length()
        self.phases = self._plan_phases()
        if options.resume:
            self._resume()
        elif self.dist.is_main and self.store.latest() is not None:
            raise InputError(
                f"{self.run_dir}: already holds a run's checkpoints; pass --resume to continue it or choose another --out"
            )
        elif self.dist.is_main:  # a fresh run: rows of an earlier attempt that saved no checkpoint go
            self.metrics.truncate_after(0)
            self.validations.truncate_after(0)

    # ------------------------------------------------------------------ setup helpers

    def _locate_val(self) -> DataSource | None:
        val = self.options.val
        if val == "":
            return None
        if val is None:
            return self.source.sibling("test")
        return locate_data(Path(val), self.recipe, split="test", require_semantic=False)

    def _check_patch(self) -> None:
        lr_multiple = analyse(self.recipe).input_multiple
        multiple = lr_multiple * self.recipe.scale
        if self.patch is not None and self.patch % multiple:
            raise InputError(
                f"patch size {self.patch} is not a multiple of {multiple} (recipe {self.recipe.name!r}: "
                f"input multiple {lr_multiple} x scale {self.recipe.scale}); "
                f"use e.g. --patch-size {max(multiple, self.patch - self.patch % multiple)}"
            )

    def _build_runners(self) -> None:
        """DDP-wrapped (and optionally compiled) callables of the trained networks."""
        compile_it = self.options.compile

        def maybe_compile(module: Callable[..., Any]) -> Callable[..., Any]:
            mode = None if self.options.compile_mode == "default" else self.options.compile_mode
            return torch.compile(module, mode=mode) if compile_it else module

        pyramid_nodes = {t.spec.node for t in self.terms if t.pyramid}
        self._gen_run: dict[str, Callable[..., Any]] = {}
        for name in self.generators:
            stage = self.model.stages[name]
            module = _Pyramid(stage) if name in pyramid_nodes else stage
            self._gen_run[name] = maybe_compile(self.dist.wrap(module, self.device))
        self._critic_train: dict[str, Callable[..., Any]] = {}
        self._critic_eval: dict[str, Callable[..., Any]] = {}
        for name, critic in self.critics.items():
            self._critic_train[name] = maybe_compile(self.dist.wrap(critic.network, self.device))
            self._critic_eval[name] = maybe_compile(critic.network)
        self._pyramid_nodes = pyramid_nodes

    def _build_data(self) -> None:
        dataset = training_dataset(self.source, self.recipe)
        sizes = image_sizes(dataset)
        uniform = sizes is not None and len(sizes) == 1
        if not uniform:
            if self.patch is None and self.batch_size > 1:
                raise InputError(
                    f"{self.options.data}: images differ in size, so batches of {self.batch_size} need a "
                    "crop; set train.patch_size (--patch-size)"
                )
            if self.patch is not None:
                dataset = PatchItems(dataset, self.patch, self.options.seed, step=self.recipe.scale)
        if sizes:
            smallest = min(min(s) for s in sizes)
            if self.patch is not None and smallest < self.patch:
                raise InputError(
                    f"{self.options.data}: the smallest image side is {smallest} pixels, below the patch size "
                    f"{self.patch}; lower --patch-size or remove the small images"
                )
        self.dataset = dataset
        self.sampler = ResumableSampler(dataset, self.dist.world_size, self.dist.rank, self.options.seed)
        if len(self.sampler) < self.batch_size:
            raise InputError(
                f"{self.options.data}: {len(dataset)} image(s) ({len(self.sampler)} per process) are fewer "
                f"than the batch size {self.batch_size}; lower --batch-size"
            )
        self.loader = DataLoader(
            dataset,
            batch_size=self.batch_size,
            sampler=self.sampler,
            num_workers=self.options.workers,
            collate_fn=tensors_only,
            pin_memory=self.device.type == "cuda",
            drop_last=True,
            persistent_workers=False,
            worker_init_fn=_ignore_interrupts,
            # the loader's own generator: creating an iterator must not draw from the global RNG
            generator=torch.Generator().manual_seed(self.options.seed),
        )
        self.steps_per_epoch = len(self.sampler) // self.batch_size
        degradation, takes_generator = build_degradation(self.recipe)
        self.batches = BatchMaker(
            degradation,
            takes_generator,
            self.patch if uniform else None,
            flip=True,
            device=self.device,
            seed=self.options.seed + 7919 * self.dist.rank,
            channels_last=self.options.channels_last,
        )

    def _plan_length(self) -> int:
        epochs = self.options.epochs or (None if self.options.max_steps else self.spec.epochs)
        if epochs is not None:
            total = epochs * self.steps_per_epoch
            return min(total, self.options.max_steps) if self.options.max_steps else total
        if self.options.max_steps:
            return self.options.max_steps
        if self.spec.steps:
            return self.spec.steps
        raise InputError(
            f"recipe {self.recipe.name!r} gives no training length (train.epochs or train.steps); pass --epochs or --max-steps"
        )

    def _plan_phases(self) -> list[Phase]:
        if self.spec.stages == "joint":
            return [Phase(tuple(self.generators), 0, self.total_steps, 1)]
        k = len(self.generators)
        share = self.total_steps // k
        bounds = [i * share for i in range(k)] + [self.total_steps]
        return [Phase((g,), bounds[i], bounds[i + 1], k) for i, g in enumerate(self.generators)]

    def phase_at(self, step: int) -> Phase:
        """The phase that step ``step`` (0-based) belongs to."""
        for phase in self.phases:
            if phase.start <= step < phase.end:
                return phase
        return self.phases[-1]

    # ------------------------------------------------------------------ the step

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        precision = self.options.precision
        if precision == "fp32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if precision == "bf16" else torch.float16
        return torch.autocast(self.device.type, dtype=dtype)

    def _needed_nodes(self, phase: Phase) -> list[Node]:
        active = set(phase.generators)
        needed: set[str] = set()
        pyramid_inputs: set[str] = set()
        for term in self.terms:
            if term.spec.node in active:
                if term.pyramid:
                    pyramid_inputs.add(term.spec.node)
                else:
                    needed.add(term.spec.node)
                if term.spec.critic:
                    needed.update(self.critics[term.spec.critic].spec.condition)
        for critic in self.critics.values():
            if critic.spec.judges in active:
                needed.add(critic.spec.judges)
                needed.update(critic.spec.condition)
        order = list(self.recipe.nodes)
        closure = set(needed) | pyramid_inputs
        for node in reversed(order):
            if node.name in closure:
                closure.update(node.inputs)
        return [node for node in order if node.name in closure]

    def _forward(
        self, lr: torch.Tensor, phase: Phase, nodes: list[Node]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        outputs: dict[str, torch.Tensor] = {"lr": lr}
        pyramids: dict[str, list[torch.Tensor]] = {}
        active = set(phase.generators)
        for node in nodes:
            inputs = [outputs[name] for name in node.inputs]
            x = inputs[0] if len(inputs) == 1 else torch.cat(inputs, dim=1)
            if node.name in active:
                result = self._gen_run[node.name](x)
                if node.name in self._pyramid_nodes:
                    pyramids[node.name] = result
                    continue
                outputs[node.name] = result
            else:
                with torch.no_grad():
                    outputs[node.name] = self.model.stages[node.name](x)
        return outputs, pyramids

    def _resize(self, image: torch.Tensor, factor: int) -> torch.Tensor:
        down = self._resize_cache.get(factor)
        if down is None:
            down = api.create("degradation", "bicubic", scale=factor)
            if isinstance(down, nn.Module):
                down.to(self.device)
            self._resize_cache[factor] = down
        with torch.no_grad():
            return down(image)

    def _pyramid_loss(
        self, term: Term, levels: list[torch.Tensor], batch: Mapping[str, torch.Tensor]
    ) -> torch.Tensor:
        target01 = batch[term.spec.target or "hr"]
        y = getattr(self.model.stages[term.spec.node], "channels", "rgb") == "y"
        total = levels[0].new_zeros(())
        top = target01.shape[-2]
        for level in levels:
            factor = top // level.shape[-2]
            target = target01 if factor == 1 else self._resize(target01, factor)
            if y:
                target = luma(target)
            total = total + term.loss(level.float(), to_range(target, *self.recipe.value_range))
        return total

    def _set_phase_modes(self, phase: Phase) -> None:
        active = set(phase.generators)
        for name in self.generators:
            self.model.stages[name].train(name in active)
            self.model.stages[name].requires_grad_(name in active)
        for critic in self.critics.values():
            critic.network.train(critic.spec.judges in active)

    def train_step(self, batch: Mapping[str, torch.Tensor], phase: Phase) -> dict[str, torch.Tensor]:
        """One update of the phase's critics and generators on a device batch (see the module doc).

        Args:
            batch: ``hr`` (``(N, 3, H, W)`` in ``[0, 1]``), ``lr`` and maybe ``semantic``, on the device.
            phase: which generators train.

        Returns:
            Detached scalars by name: loss terms, critic losses, ``d_real/C``, ``d_fake/C``; plus
            ``_ok`` (1 if the step was applied, 0 if skipped for a non-finite loss).
        """
        low, high = self.recipe.value_range
        active = set(phase.generators)
        nodes = self._needed_nodes(phase)
        targets = {key: to_range(value, low, high) for key, value in batch.items()}
        record: dict[str, torch.Tensor] = {}
        with self._autocast():
            outputs, pyramids = self._forward(targets["lr"], phase, nodes)
        ok = True
        critics = [c for c in self.critics.values() if c.spec.judges in active]
        if critics:
            ok = self._critic_update(critics, outputs, targets, record)

        with self._autocast():
            total: torch.Tensor | None = None
            for term in self.terms:
                if term.spec.node not in active:
                    continue
                if term.spec.critic is not None:
                    critic = self.critics[term.spec.critic]
                    logits = self._critic_eval[critic.spec.name](
                        critic_input(critic.spec, outputs, outputs[term.spec.node])
                    )
                    value = term.loss(logits, True, for_discriminator=False)
                elif term.pyramid:
                    value = self._pyramid_loss(term, pyramids[term.spec.node], batch)
                else:
                    value = term.loss(outputs[term.spec.node], targets[term.spec.target])
                record[term.name] = value.detach()
                weighted = term.spec.weight * value.float()
                total = weighted if total is None else total + weighted
        assert total is not None
        finite = bool(torch.isfinite(torch.stack([v.float() for v in record.values()])).all())
        optimizer = self.optimizers["generators"]
        if not self.dist.all_ok(finite and ok):
            optimizer.zero_grad(set_to_none=True)
            record["_ok"] = torch.zeros(())
            return record
        scaler = self.scalers["generators"]
        scaler.scale(total).backward()
        scaler.unscale_(optimizer)
        for name in phase.generators:
            record[f"grad_norm/{name}"] = self._clip(self.model.stages[name])
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        if self.ema is not None:
            self.ema.update(self.model)
        record["_ok"] = torch.ones(())
        return record

    def _critic_update(
        self,
        critics: list[CriticSpec],
        outputs: Mapping[str, torch.Tensor],
        targets: Mapping[str, torch.Tensor],
        record: dict[str, torch.Tensor],
    ) -> bool:
        """``critic_steps`` updates of the active critics (their losses summed: one backward, one
        optimiser step; the critics share no parameters, so each gets exactly its own gradient).
        Returns whether the losses were finite (else nothing was applied)."""
        optimizer = self.optimizers["critics"]
        scaler = self.scalers["critics"]
        for critic in critics:
            critic.network.requires_grad_(True)
        try:
            for _ in range(self.spec.critic_steps):
                total: torch.Tensor | None = None
                with self._autocast():
                    for critic in critics:
                        name = critic.spec.name
                        run = self._critic_train[name]
                        real = run(critic_input(critic.spec, outputs, targets[critic.spec.target]))
                        fake = run(critic_input(critic.spec, outputs, outputs[critic.spec.judges].detach()))
                        loss = 0.5 * (critic.gan(real, True) + critic.gan(fake, False))
                        record[name] = loss.detach()
                        record[f"d_real/{name}"] = _judgement(real, critic.vanilla)
                        record[f"d_fake/{name}"] = _judgement(fake, critic.vanilla)
                        total = loss.float() if total is None else total + loss.float()
                assert total is not None
                if not self.dist.all_ok(bool(torch.isfinite(total.detach()))):
                    optimizer.zero_grad(set_to_none=True)
                    return False
                scaler.scale(total).backward()
                scaler.unscale_(optimizer)
                for critic in critics:
                    record[f"grad_norm/{critic.spec.name}"] = self._clip(critic.network)
                scaler.step(optimizer)
                scaler.update()
                optimizer.zero_grad(set_to_none=True)
        finally:
            for critic in critics:
                critic.network.requires_grad_(False)
        return True

    def _clip(self, module: nn.Module) -> torch.Tensor:
        """Clip ``module``'s (unscaled) gradient to ``train.grad_clip`` if set; its norm before clipping
        (computed on logging steps only when not clipping)."""
        params = [p for p in module.parameters() if p.grad is not None]
        if not params:
            return torch.zeros(())
        if self.spec.grad_clip is not None:
            return torch.nn.utils.clip_grad_norm_(params, self.spec.grad_clip).detach()
        if self._logging_now:
            return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params]))
        return torch.zeros(())

    def _apply_lr(self, phase: Phase, step: int) -> dict[str, float]:
        local_epoch = ((step - phase.start) * phase.speed) // max(1, self.steps_per_epoch)
        factor = lr_factor(self.spec.schedule, local_epoch)
        rates: dict[str, float] = {}
        for optimizer in self.optimizers.values():
            for group in optimizer.param_groups:
                group["lr"] = group["base_lr"] * factor
                rates.setdefault(f"lr/{group['network']}", group["lr"])
        return rates

    # ------------------------------------------------------------------ the loop

    def request_stop(self, reason: str = "request") -> None:
        """Stop after the current step, saving a checkpoint (what Ctrl-C and SIGTERM do)."""
        self._stop = reason

    def _install_signals(self) -> Callable[[], None]:
        if sys.platform == "win32" or not _in_main_thread():
            return lambda: None
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

        def handler(signum: int, frame: Any) -> None:
            if self._stop is not None and signum == signal.SIGINT:
                raise KeyboardInterrupt  # a second Ctrl-C: stop now
            self._stop = signal.Signals(signum).name

        for sig in previous:
            signal.signal(sig, handler)

        def restore() -> None:
            for sig, old in previous.items():
                signal.signal(sig, old)

        return restore

    def fit(self, on_step: Callable[[Trainer], None] | None = None) -> TrainResult:
        """Run to the planned length (or until stopped) and export ``model.safetensors``.

        Args:
            on_step: called after every step with the trainer (e.g. to stop a run from code).

        Returns:
            A [`TrainResult`][srzoo.train.TrainResult].

        Raises:
            TrainingDiverged: losses stayed non-finite; the weights were rolled back.
            CheckpointError: a checkpoint could not be written (the previous one is intact).
        """
        restore = self._install_signals()
        try:
            return self._fit(on_step)
        finally:
            restore()
            self.dist.teardown()

    def _fit(self, on_step: Callable[[Trainer], None] | None) -> TrainResult:
        if self.dist.is_main:
            self._write_run_files()
        self._logging_now = False
        default_every = self.steps_per_epoch * -(-MIN_INTERVAL // self.steps_per_epoch)
        checkpoint_every = self.options.checkpoint_every or default_every
        val_every = self.options.val_every or default_every
        interrupted = False
        phase = self.phase_at(self.step)
        self._set_phase_modes(phase)
        start_time = time.perf_counter()
        start_step = self.step
        with RunProgress(
            self.total_steps, self.step, self.options.progress and self.dist.is_main, self.recipe.name
        ) as bar:
            while self.step < self.total_steps and not interrupted:
                self.sampler.set_epoch(self.epoch)
                self.sampler.start = self.position * self.batch_size
                if isinstance(self.dataset, PatchItems):
                    self.dataset.epoch = self.epoch
                for cpu_batch in self.loader:
                    tick = time.perf_counter()
                    new_phase = self.phase_at(self.step)
                    if new_phase != phase:
                        phase = new_phase
                        self._set_phase_modes(phase)
                    rates = self._apply_lr(phase, self.step)
                    self._logging_now = (
                        self.step + 1
                    ) % self.options.log_every == 0 or self.step + 1 == self.total_steps
                    batch = self.batches(cpu_batch)
                    record = self.train_step(batch, phase)
                    self.step += 1
                    self.position += 1
                    if self._logging_now:
                        if self.device.type == "cuda":
                            torch.cuda.synchronize(self.device)
                        row = self._log_row(record, rates, time.perf_counter() - tick)
                        rate = (self.step - start_step) / max(1e-9, time.perf_counter() - start_time)
                        losses = {k: v for k, v in row.items() if k in self._loss_names()}
                        bar.update(self.step, losses, rate, peak_memory_mb(self.device))
                    self._health(record)
                    if self.position == self.steps_per_epoch:
                        self.epoch += 1
                        self.position = 0
                    if on_step is not None:
                        on_step(self)
                    stop = self.dist.any_flag(self._stop is not None)
                    done = self.step >= self.total_steps
                    if self.step % val_every == 0 and not done:  # the end validates anyway
                        self.validate()
                    if stop:
                        interrupted = True
                        self.save_checkpoint()
                        break
                    if done:
                        break
                    due = self.step % checkpoint_every == 0
                    if due and self.bad_steps == 0:  # the last checkpoint stays the last good one
                        self.save_checkpoint()
                    if self.position == 0:
                        break  # the next epoch gets a freshly shuffled loader
        if interrupted:
            return TrainResult(
                self.run_dir, None, self.step, self.epoch, True, self.last_validation, self.last_checkpoint
            )
        self.validate()
        self.save_checkpoint()
        weights = self._export()
        return TrainResult(
            self.run_dir, weights, self.step, self.epoch, False, self.last_validation, self.last_checkpoint
        )

    def _loss_names(self) -> list[str]:
        return [t.name for t in self.terms] + list(self.critics)

    def _log_row(
        self, record: Mapping[str, torch.Tensor], rates: Mapping[str, float], seconds: float
    ) -> dict[str, Any]:
        row: dict[str, Any] = {
            "step": self.step,
            "epoch": self.epoch + self.position / max(1, self.steps_per_epoch),
        }
        for key, value in record.items():
            if key != "_ok":
                row[key] = float(value)
        row["skipped"] = int(float(record["_ok"]) == 0)
        row.update(rates)
        row["step_time"] = seconds
        if self.dist.is_main:
            self.metrics.append(row)
        return row

    def _health(self, record: Mapping[str, torch.Tensor]) -> None:
        if float(record["_ok"]) == 1:
            self.bad_steps = 0
            return
        self.bad_steps += 1
        if self.bad_steps < self.options.max_bad_steps:
            return
        bad = next(
            (k for k, v in record.items() if k != "_ok" and not torch.isfinite(v.float()).all()),
            "a loss term",
        )
        latest = self.store.latest()
        where = "no checkpoint was saved yet, so the weights are those of the last step"
        if latest is not None:
            self._load_checkpoint(latest)
            where = f"rolled back to {latest}"
        raise TrainingDiverged(
            f"loss {bad!r} was NaN/inf for {self.bad_steps} steps in a row (up to step {self.step}); {where}; "
            "lower the learning rate (--set train.optimizer.lr=...) or set train.grad_clip"
        )

    # ------------------------------------------------------------------ validation and export

    def _eval_model(self) -> SRModel:
        return self.ema.shadow if self.ema is not None else self.model  # type: ignore[return-value]

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """Score the held-out images (PSNR/SSIM/GSM means) and write a sample grid; rank 0 only."""
        if self.val_source is None or not self.dist.is_main:
            self.dist.barrier()
            return {}
        if not hasattr(self, "_val_data"):
            self._val_data = validation_dataset(self.val_source, self.recipe)
            self._val_metrics = {m: api.create("metric", m, scale=self.recipe.scale) for m in VAL_METRICS}
        model = self._eval_model()
        was_training = model.training
        model.eval()
        scores: dict[str, list[float]] = {m: [] for m in VAL_METRICS}
        rows = []
        columns = ["lr", *[n.name for n in self.recipe.nodes], "hr"]
        with torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []):
            for index in range(min(self.options.val_images, len(self._val_data))):  # type: ignore[arg-type]
                item = self._val_data[index]
                lr = item["lr"][None].to(self.device)
                hr = item["hr"][None].to(self.device)
                outputs = model(lr, return_intermediates=True)
                for name, metric in self._val_metrics.items():
                    scores[name].append(float(metric(outputs["sr"].float(), hr).mean()))
                if index < GRID_ROWS:
                    images = {"lr": lr[0], "hr": hr[0], **{k: v[0] for k, v in outputs.items()}}
                    rows.append([images[c] for c in columns])
        model.train(was_training)
        self._set_phase_modes(self.phase_at(max(0, self.step - 1)))
        result = {name: sum(v) / len(v) for name, v in scores.items() if v}
        self.last_validation = result
        self.validations.append(
            {"step": self.step, "epoch": self.epoch, "images": len(scores["psnr"]), **result}
        )
        if rows:
            sample_grid(rows, self.run_dir / "samples" / f"step-{self.step:08d}.png")
        metric = self.options.best_metric
        if metric in result and (self.best is None or result[metric] > self.best["value"]):
            self.best = {"step": self.step, "metric": metric, "value": result[metric]}
            save_weights(model, self.run_dir / "best.safetensors", metadata=self._weights_metadata())
            ckpt.atomic_write(self.run_dir / "best.json", json.dumps(self.best).encode())
        self.dist.barrier()
        return result

    def _weights_metadata(self) -> dict[str, str]:
        return {"recipe": self.recipe.name, "step": str(self.step), "format": "pt"}

    def _export(self) -> Path | None:
        if not self.dist.is_main:
            return None
        path = save_weights(
            self._eval_model(), self.run_dir / "model.safetensors", metadata=self._weights_metadata()
        )
        loss_curves(self.run_dir / "metrics.jsonl", self.run_dir / "loss_curves.png", self._loss_names())
        self._write_run_json(finished=True)
        return path

    def _write_run_files(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        ckpt.atomic_write(self.run_dir / "recipe.toml", dumps_toml(self.recipe.to_dict()).encode())
        self._write_run_json(finished=False)

    def _write_run_json(self, finished: bool) -> None:
        options = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self.options).items()}
        options["overrides"] = dict(self.options.overrides)
        document = {
            "recipe": self.recipe.name,
            "options": options,
            "device": str(self.device),
            "world_size": self.dist.world_size,
            "data": {"plugin": self.source.plugin, "root": str(self.source.root), "split": self.source.split},
            "validation": None
            if self.val_source is None
            else str(self.val_source.root / (self.val_source.split or "")),
            "batch_size": self.batch_size,
            "patch_size": self.patch,
            "steps_per_epoch": self.steps_per_epoch,
            "total_steps": self.total_steps,
            "phases": [asdict(p) for p in self.phases],
            "step": self.step,
            "finished": finished,
            "torch": torch.__version__,
        }
        ckpt.atomic_write(self.run_dir / "run.json", json.dumps(document, indent=1, default=str).encode())

    # ------------------------------------------------------------------ checkpoints

    def _sync_buffers(self) -> None:
        self.dist.sync_buffers(self.model)
        for critic in self.critics.values():
            self.dist.sync_buffers(critic.network)

    def _fingerprint(self) -> str:
        return ckpt.architecture_fingerprint(
            self.model.state_dict(), *(c.network.state_dict() for c in self.critics.values())
        )

    def save_checkpoint(self) -> Path | None:
        """Save the full training state (rank 0 writes; every rank contributes its RNG state)."""
        self._sync_buffers()
        rng_meta, rng_tensors = ckpt.capture_rng(f"rng/{self.dist.rank}")
        gathered = self.dist.gather_objects((rng_meta, {k: v.cpu() for k, v in rng_tensors.items()}))
        if not self.dist.is_main:
            self.dist.barrier()
            return None
        tensors: dict[str, torch.Tensor] = {}
        meta: dict[str, Any] = {}
        rng_json = {}
        for rank, (rank_meta, rank_tensors) in enumerate(gathered):  # type: ignore[misc]
            rng_json[str(rank)] = rank_meta
            tensors.update(rank_tensors)
        for name, critic in self.critics.items():
            tensors.update({f"critic/{name}/{k}": v for k, v in critic.network.state_dict().items()})
        if self.ema is not None:
            tensors.update({f"ema/{k}": v for k, v in self.ema.state_dict().items()})
        optim_json = {}
        for name, optimizer in self.optimizers.items():
            part, part_tensors = ckpt.flatten_optimizer(f"optim/{name}", optimizer.state_dict())
            optim_json[name] = part
            tensors.update(part_tensors)
        tensors.update({f"batch/{k}": v for k, v in self.batches.state_dict().items()})
        meta.update(
            recipe=self.recipe.name,
            fingerprint=self._fingerprint(),
            step=self.step,
            epoch=self.epoch,
            position=self.position,
            batch_size=self.batch_size,
            world_size=self.dist.world_size,
            seed=self.options.seed,
            total_steps=self.total_steps,
            optimizers=optim_json,
            scalers={k: s.state_dict() for k, s in self.scalers.items()},
            rng=rng_json,
            best=self.best,
            last_validation=self.last_validation,
        )
        self.last_checkpoint = self.store.save(self.step, self.model.state_dict(), tensors, meta)
        self.dist.barrier()
        return self.last_checkpoint

    def _resume(self) -> None:
        latest = self.store.latest()
        if latest is None:
            raise ckpt.CheckpointError(
                f"{self.run_dir}: no checkpoint to resume from; run without --resume to start a new run"
            )
        self._load_checkpoint(latest)
        if self.dist.is_main:  # rows logged after the checkpoint are logged again
            self.metrics.truncate_after(self.step)
            self.validations.truncate_after(self.step)

    def _load_checkpoint(self, path: Path) -> None:
        model_state, tensors, meta = self.store.load(path)
        if meta.get("recipe") != self.recipe.name:
            raise ckpt.CheckpointError(
                f"{path}: was saved by recipe {meta.get('recipe')!r}, not {self.recipe.name!r}; resume with that recipe or use another --out"
            )
        if meta.get("fingerprint") != self._fingerprint():
            raise ckpt.CheckpointError(
                f"{path}: holds another architecture of recipe {self.recipe.name!r} (different --set widths or depths?); "
                "resume with the run's own overrides (see its recipe.toml) or use another --out"
            )
        if meta.get("world_size") != self.dist.world_size or meta.get("batch_size") != self.batch_size:
            raise ckpt.CheckpointError(
                f"{path}: was saved by {meta.get('world_size')} process(es) at batch size {meta.get('batch_size')}; "
                f"resume with the same (now {self.dist.world_size} at {self.batch_size}) for an exact continuation"
            )
        self.model.load_state_dict(model_state)
        for name, critic in self.critics.items():
            prefix = f"critic/{name}/"
            critic.network.load_state_dict(
                {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
            )
        if self.ema is not None:
            self.ema.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("ema/")})
        for name, optimizer in self.optimizers.items():
            # the recipe as given now sets the rates (e.g. SRGAN's drop: --set train.optimizer.lr=1e-5)
            rates = [group["base_lr"] for group in optimizer.param_groups]
            optimizer.load_state_dict(
                ckpt.unflatten_optimizer(f"optim/{name}", meta["optimizers"][name], tensors)
            )
            for group, rate in zip(optimizer.param_groups, rates, strict=True):
                group["base_lr"] = rate
        for name, scaler in self.scalers.items():
            scaler.load_state_dict(meta["scalers"][name])
        self.batches.load_state_dict(
            {
                k[6:]: v.to(self.device) if k != "batch/generator" else v
                for k, v in tensors.items()
                if k.startswith("batch/")
            }
        )
        rank = str(self.dist.rank)
        ckpt.restore_rng(meta["rng"][rank], tensors, f"rng/{rank}")
        self.step = int(meta["step"])
        self.epoch = int(meta["epoch"])
        self.position = int(meta["position"])
        self.best = meta.get("best")
        self.last_validation = meta.get("last_validation") or {}
        self.last_checkpoint = path


def _judgement(logits: torch.Tensor, vanilla: bool) -> torch.Tensor:
    """Mean D output: the probability of "real" for BCE critics, the raw logit mean otherwise."""
    values = logits.detach().float()
    return (torch.sigmoid(values) if vanilla else values).mean()


def _ignore_interrupts(worker_id: int) -> None:
    """Data workers leave Ctrl-C to the main process, which finishes the step and saves a checkpoint."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _has_params(module: nn.Module) -> bool:
    return any(True for _ in module.parameters())


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def train(recipe: str | Path | Recipe, data: str | Path, out: str | Path, **options: Any) -> TrainResult:
    """Train a recipe from its ``[train]`` table; the Python form of ``srzoo train``.

    Args:
        recipe: a registered name (``"srcnn-x4"``), a ``.toml`` path or a [`Recipe`][srzoo.Recipe].
        data: a Facades root or split folder, or a folder of HR images.
        out: the run directory.
        **options: the other [`TrainOptions`][srzoo.train.TrainOptions] fields, e.g.
            ``max_steps=100, overrides={"sem.ngf": 8}, resume=True``.

    Returns:
        A [`TrainResult`][srzoo.train.TrainResult]; ``result.weights`` loads with
        ``srzoo.build(recipe, weights=result.weights)``.

    Examples:
        >>> result = srzoo.train("srcnn-x4", "photos/", "runs/srcnn", max_steps=100)  # doctest: +SKIP
    """
    return Trainer(recipe, TrainOptions(data=Path(data), out=Path(out), **options)).fit()
