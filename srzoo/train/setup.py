"""Setting a run up: the recipe, the networks, the optimisers, the data and the device runners."""

from __future__ import annotations

import inspect
import random
import signal
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from .. import api
from ..errors import InputError, RecipeError
from ..model.graph import analyse
from ..model.weights import load_weights
from ..recipe import Optimizer, Recipe
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
)
from .ema import EMA
from .losses import CriticSpec, build_critics, build_terms, luma
from .options import TrainOptions

__all__ = ["make_optimizer", "resolve_recipe", "seed_everything"]


class _Pyramid(nn.Module):
    """Adapter so a pyramid generator's ``forward_pyramid`` runs through DDP's hooks: ``(N, 3, h, w)``
    RGB → the list of level outputs (Y planes for a Y-channel network)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        planes = luma(x) if getattr(self.net, "channels", "rgb") == "y" else x
        return list(self.net.forward_pyramid(planes))  # type: ignore[operator]


def resolve_recipe(recipe: str | Path | Recipe, overrides: Mapping[str, Any]) -> Recipe:
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


def make_optimizer(
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


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class _SetupMixin:
    """`Trainer`'s set-up: networks, critics, optimisers, EMA, device runners and the data."""

    options: TrainOptions
    recipe: Recipe
    device: torch.device

    def _build_networks(self) -> None:
        """The model (maybe from ``init_from``), its trained generators, loss terms and critics."""
        options = self.options
        self.model = api.build(self.recipe).to(self.device)
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

    def _build_optimizers(self) -> None:
        """One optimiser for the generators, one for the critics; their gradient scalers; the EMA."""
        spec = self.spec
        generators = {
            name: [(f"stages.{name}.{k}", p) for k, p in self.model.stages[name].named_parameters()]
            for name in self.generators
        }
        self.optimizers: dict[str, torch.optim.Optimizer] = {
            "generators": make_optimizer(spec.optimizer, generators, "train.optimizer", self.recipe.source)
        }
        if self.critics:
            critics = {
                name: [(f"{name}.{k}", p) for k, p in critic.network.named_parameters()]
                for name, critic in self.critics.items()
            }
            self.optimizers["critics"] = make_optimizer(
                spec.critic_optimizer or spec.optimizer, critics, "train.critic_optimizer", self.recipe.source
            )
        named = [
            n
            for group in (generators, critics if self.critics else {})
            for ps in group.values()
            for n, _ in ps
        ]
        _check_multipliers(spec.optimizer, named, "train.optimizer", self.recipe.source)
        if spec.critic_optimizer is not None:
            _check_multipliers(spec.critic_optimizer, named, "train.critic_optimizer", self.recipe.source)
        fp16 = self.options.precision == "fp16"
        self.scalers = {
            "generators": torch.amp.GradScaler(self.device.type, enabled=fp16),
            "critics": torch.amp.GradScaler(self.device.type, enabled=fp16),
        }
        self.ema = EMA(self.model, spec.ema_decay) if spec.ema_decay is not None else None

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


def _check_multipliers(spec: Optimizer, names: list[str], where: str, source: str) -> None:
    """Every ``lr_multipliers`` prefix names some trained parameter (a typo would be ignored)."""
    for prefix in spec.lr_multipliers:
        if not any(name == prefix or name.startswith(prefix + ".") for name in names):
            tops = sorted({".".join(name.split(".")[:2]) for name in names})
            raise RecipeError(
                source,
                f"{where}.lr_multipliers",
                f"prefix {prefix!r} matches no trained parameter; parameter names start with "
                + ", ".join(tops[:8]),
            )


def _ignore_interrupts(worker_id: int) -> None:
    """Data workers leave Ctrl-C to the main process, which finishes the step and saves a checkpoint."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _has_params(module: nn.Module) -> bool:
    return any(True for _ in module.parameters())
