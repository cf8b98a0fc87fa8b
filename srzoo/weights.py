"""Loading and saving model weights (defined in `srzoo.model.weights`)."""

from __future__ import annotations

from .model.weights import load_weights, save_weights, sha256_of

__all__ = ["load_weights", "save_weights", "sha256_of"]
