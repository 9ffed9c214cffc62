"""qcoord CLI: sweep commands (being written)."""
