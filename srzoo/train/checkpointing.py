"""Checkpointing a run and resuming it: the full training state in, and back out of, a checkpoint."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch

from . import checkpoint as ckpt

__all__ = ["_CheckpointMixin"]


class _CheckpointMixin:
    """`Trainer`'s checkpoints: ``save_checkpoint``, and resuming from the newest one that reads back."""

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
            wall_seconds=self.wall_seconds,
        )
        self.last_checkpoint = self.store.save(self.step, self.model.state_dict(), tensors, meta)
        self._write_run_json(finished=False)  # its step and wall_seconds follow the checkpoints
        self._report("checkpoint", f"checkpoint at step {self.step}: {self.last_checkpoint}")
        self.dist.barrier()
        return self.last_checkpoint

    def _resume(self) -> None:
        """Load the newest checkpoint that reads back whole; say which one, and why newer ones were
        passed over. Nothing in the run folder is changed here."""
        found = self.store.newest_readable()
        folders = self.store.folders()
        if found is None:
            if folders:
                names = ", ".join(p.name for p in folders)
                raise ckpt.CheckpointError(
                    f"{self.store.folder}: no checkpoint reads back whole ({names}); nothing was changed — "
                    "restore a checkpoint from a backup, or choose another --out for a new run"
                )
            raise ckpt.CheckpointError(
                f"{self.run_dir}: no checkpoint to resume from; run without --resume to start a new run"
            )
        path, loaded, passed = found
        if passed:
            warnings.warn(f"{'; '.join(passed)}: resuming from {path.name}", UserWarning, stacklevel=2)
        self._restore(path, loaded)
        self._wall_base = float(loaded[2].get("wall_seconds", 0.0))  # absent in older checkpoints
        self.resumed_from = path

    def _load_checkpoint(self, path: Path) -> None:
        self._restore(path, self.store.load(path))

    def _restore(self, path: Path, loaded: ckpt.Loaded) -> None:
        model_state, tensors, meta = loaded
        self._check_compatible(path, meta)
        self._restore_networks(model_state, tensors, meta)
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

    def _check_compatible(self, path: Path, meta: dict[str, Any]) -> None:
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

    def _restore_networks(
        self, model_state: dict[str, torch.Tensor], tensors: dict[str, torch.Tensor], meta: dict[str, Any]
    ) -> None:
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
