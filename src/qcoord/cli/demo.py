"""qcoord CLI: demo commands (being written)."""
