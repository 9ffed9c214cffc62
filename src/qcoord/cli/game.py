"""qcoord CLI: game commands (being written)."""
