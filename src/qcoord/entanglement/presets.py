"""Link presets (provisional; figures and citations being filled in)."""

from __future__ import annotations

from .pool import EntanglementPool, IdealSource
from .streaming import StreamingSource

__all__ = ["ideal", "memory_preset", "streaming_preset"]


def ideal() -> IdealSource:
    """Unlimited perfect pairs (visibility 1, no waiting, no fallback)."""
    return IdealSource()


def memory_preset(time_unit: float = 1.0) -> EntanglementPool:
    """Provisional memory-based link; figures to be replaced by cited values."""
    return EntanglementPool(rate=1.0 * time_unit, capacity=1, visibility=0.8, memory_time=0.01 / time_unit, name="memory")


def streaming_preset(time_unit: float = 1.0) -> StreamingSource:
    """Provisional streaming link; figures to be replaced by cited values."""
    return StreamingSource(rate=1e5 * time_unit, eta_a=0.1, eta_b=0.1, visibility=0.95, name="streaming")
