"""Built-in plugin baselines (being written)."""
