"""Built-in plugin metrics (being written)."""
