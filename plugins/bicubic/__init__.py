"""Built-in plugin bicubic (being written)."""
