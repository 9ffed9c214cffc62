"""qcoord.analysis (being written)."""
