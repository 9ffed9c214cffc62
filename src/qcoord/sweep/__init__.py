"""qcoord.sweep (being written)."""
