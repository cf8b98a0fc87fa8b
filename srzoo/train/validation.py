"""Validation: score the held-out images, write a sample grid, keep the best weights."""

from __future__ import annotations

import json

import torch

from .. import api
from ..model import SRModel
from ..model.weights import save_weights
from . import checkpoint as ckpt
from .data import validation_dataset
from .figures import sample_grid

__all__ = ["GRID_ROWS", "VAL_METRICS"]

VAL_METRICS = ("psnr", "ssim", "gsm")
GRID_ROWS = 4


class _ValidationMixin:
    """`Trainer`'s validation: ``validate`` and the model it scores (the EMA's when there is one)."""

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
        if result:
            scores_text = ", ".join(f"{k} {v:.4f}" for k, v in result.items())
            self._report("validation", f"validation at step {self.step}: {scores_text}")
            self._runlog.scalars(self.step, {f"val/{k}": v for k, v in result.items()})
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
