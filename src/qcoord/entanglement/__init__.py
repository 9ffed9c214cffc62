"""Entanglement as a resource: states, noise, local measurements, sampling, pair pools and sources.

Public surface
--------------
- States: :func:`bell_state`, :func:`partially_entangled`, :func:`maximally_entangled`, :func:`werner`,
  :func:`density_matrix`, conversions :func:`fidelity_from_visibility`, :func:`visibility_from_fidelity`,
  :func:`chsh_value_from_visibility`, :func:`chsh_win_probability_from_visibility`,
  :func:`visibility_from_chsh_value`.
- Measurements: :class:`Measurement`, :class:`LocalMeasurements` (``from_strategy``,
  ``from_bloch_angles``), :func:`bloch_projectors`, :func:`chsh_measurements`.
- Sampling: :func:`sample` (vectorised, local: Alice from ``p(a|x)``, then Bob from ``p(b|x,y,a)``),
  :class:`Sampler`, :class:`EntangledPair` / :class:`PairHalf` (``half.measure(question)``).
- Resources: :class:`EntanglementPool` -> :class:`PoolDraw`, :class:`StreamingSource` ->
  :class:`StreamDraw`, :class:`IdealSource`; :mod:`~qcoord.entanglement.presets`.

Only :mod:`qcoord.games` is imported from qcoord (for :class:`~qcoord.games.QuantumStrategy`).
"""

from . import presets
from .measurements import LocalMeasurements, Measurement, bloch_projectors, chsh_measurements
from .pool import EntanglementPool, IdealSource, PoolDraw, PoolStats, exponential_decay
from .presets import ideal, memory_preset, streaming_preset
from .sampling import EntangledPair, PairHalf, Sampler, as_generator, sample, sampler, seed_record
from .states import (
    EntanglementError,
    bell_state,
    check_visibility,
    chsh_value_from_visibility,
    chsh_win_probability_from_visibility,
    density_matrix,
    fidelity_from_visibility,
    maximally_entangled,
    partially_entangled,
    visibility_from_chsh_value,
    visibility_from_fidelity,
    werner,
)
from .streaming import StreamDraw, StreamingSource, StreamStats

__all__ = [
    "EntanglementError",
    "bell_state",
    "partially_entangled",
    "maximally_entangled",
    "werner",
    "density_matrix",
    "check_visibility",
    "fidelity_from_visibility",
    "visibility_from_fidelity",
    "chsh_value_from_visibility",
    "chsh_win_probability_from_visibility",
    "visibility_from_chsh_value",
    "Measurement",
    "LocalMeasurements",
    "bloch_projectors",
    "chsh_measurements",
    "Sampler",
    "sampler",
    "sample",
    "EntangledPair",
    "PairHalf",
    "as_generator",
    "seed_record",
    "EntanglementPool",
    "IdealSource",
    "PoolDraw",
    "PoolStats",
    "exponential_decay",
    "StreamingSource",
    "StreamDraw",
    "StreamStats",
    "presets",
    "ideal",
    "memory_preset",
    "streaming_preset",
]
