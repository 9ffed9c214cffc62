"""qcoord.compile (being written)."""
