"""Built-in plugin stagegan (being written)."""
