"""The training step: forward the needed nodes, update the active critics, then the generators.

Per step (see ``docs/training.md``): the graph runs the nodes the losses and critics need; every
active critic takes ``critic_steps`` updates on the real sample and the detached fake (its
condition detached too); then the active generators take one update on the weighted sum of their
terms, scored by the now frozen critics.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from .. import api
from ..model.imageops import to_range
from ..recipe import Node
from .losses import CriticSpec, Term, critic_input, luma
from .phases import Phase
from .schedule import lr_factor

__all__ = ["_StepMixin"]


class _StepMixin:
    """`Trainer`'s step: ``train_step`` and what it needs (autocast, the node closure, clipping,
    the learning rate of the step); it works on the networks and optimisers `Trainer` set up."""

    _logging_now: bool
    _resize_cache: dict[int, Callable[[torch.Tensor], torch.Tensor]]

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


def _judgement(logits: torch.Tensor, vanilla: bool) -> torch.Tensor:
    """Mean D output: the probability of "real" for BCE critics, the raw logit mean otherwise."""
    values = logits.detach().float()
    return (torch.sigmoid(values) if vanilla else values).mean()
