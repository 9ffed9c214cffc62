"""qcoord.entanglement (being written)."""
