"""Weighted two-player non-local games and their values.

Public surface (each solver returns a result object, never a bare float; ``float(result)`` gives
the value):

- :class:`Game`, :class:`DeterministicStrategy`, :class:`QuantumStrategy`, :func:`check_behaviour`
"""

from .game import Game, GameError, check_behaviour
from .strategy import DeterministicStrategy, QuantumStrategy

__all__ = [
    "Game",
    "GameError",
    "check_behaviour",
    "DeterministicStrategy",
    "QuantumStrategy",
]
