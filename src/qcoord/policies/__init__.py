"""qcoord.policies (being written)."""
