"""Weighted two-player non-local games and their values.

Public surface (each solver returns a result object, never a bare float; ``float(result)`` gives
the value):

- :class:`Game`, :class:`DeterministicStrategy`, :class:`QuantumStrategy`, :func:`check_behaviour`
- :func:`classical_value` (exact, certified), :func:`nonsignaling_value` (LP), :func:`is_nonsignaling`
- :func:`npa_upper_bound` (certified; symmetry-reduced when :func:`game_symmetries` finds a group)
- :mod:`~qcoord.games.library`: ``chsh``, ``chsh_d``, ``odd_cycle``, ``magic_square``, ``random_game``, ``GAMES``
- constructors: ``xor_game``, ``repeat`` (also ``game ** k``), ``bcs_game``; ``has_perfect_strategy``
- :mod:`~qcoord.games.bell`: :class:`BellExpression` (correlator, Collins-Gisin, probability forms) with
  ``chsh_expression``, ``i3322``
"""

from typing import TYPE_CHECKING, Any

#: Public name -> the submodule that defines it (imported on first access, PEP 562, so that
#: ``import qcoord.games`` and the CLI start fast; numba, scipy and cvxpy load only when a solver is used).
_EXPORTS: dict[str, str] = {
    "Game": "game",
    "GameError": "game",
    "check_behaviour": "game",
    "DeterministicStrategy": "strategy",
    "QuantumStrategy": "strategy",
    "CertificateError": "classical",
    "ClassicalCertificate": "classical",
    "ClassicalResult": "classical",
    "GameTooLargeError": "classical",
    "classical_value": "classical",
    "exact_value": "classical",
    "NonsignalingError": "nonsignaling",
    "NonsignalingResult": "nonsignaling",
    "is_nonsignaling": "nonsignaling",
    "marginals": "nonsignaling",
    "nonsignaling_value": "nonsignaling",
    "signaling_gap": "nonsignaling",
    "GAMES": "library",
    "chsh": "library",
    "chsh_d": "library",
    "get_game": "library",
    "magic_square": "library",
    "odd_cycle": "library",
    "random_game": "library",
    "QuantumResult": "seesaw",
    "quantum_lower_bound": "seesaw",
    "NPAResult": "npa",
    "SolverError": "npa",
    "npa_upper_bound": "npa",
    "GameSymmetry": "symmetry",
    "game_symmetries": "symmetry",
    "NotXORGameError": "xor",
    "XORResult": "xor",
    "is_xor_game": "xor",
    "xor_quantum_value": "xor",
    "NoAdvantageError": "noise",
    "critical_visibility": "noise",
    "noisy_value": "noise",
    "PerfectStrategyResult": "library",
    "bcs_game": "library",
    "has_perfect_strategy": "library",
    "repeat": "library",
    "xor_game": "library",
    "BellBound": "bell",
    "BellExpression": "bell",
    "BellGame": "bell",
    "chsh_expression": "bell",
    "i3322": "bell",
    "MultiGame": "multiparty",
    "MultiQuantumStrategy": "multiparty",
}
_SUBMODULES = ("library", "bell", "multiparty",)


def __getattr__(name: str) -> Any:
    import importlib

    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | set(_SUBMODULES))


if TYPE_CHECKING:  # static analysers see the eager imports
    from .game import Game, GameError, check_behaviour
    from .strategy import DeterministicStrategy, QuantumStrategy
    from .classical import (
        CertificateError,
        ClassicalCertificate,
        ClassicalResult,
        GameTooLargeError,
        classical_value,
        exact_value,
    )
    from .nonsignaling import NonsignalingError, NonsignalingResult, is_nonsignaling, marginals, nonsignaling_value, signaling_gap
    from . import library
    from .library import GAMES, chsh, chsh_d, get_game, magic_square, odd_cycle, random_game
    from .seesaw import QuantumResult, quantum_lower_bound
    from .npa import NPAResult, SolverError, npa_upper_bound
    from .symmetry import GameSymmetry, game_symmetries
    from .xor import NotXORGameError, XORResult, is_xor_game, xor_quantum_value
    from .noise import NoAdvantageError, critical_visibility, noisy_value
    from .library import PerfectStrategyResult, bcs_game, has_perfect_strategy, repeat, xor_game
    from . import bell
    from .bell import BellBound, BellExpression, BellGame, chsh_expression, i3322

__all__ = [
    "Game",
    "GameError",
    "check_behaviour",
    "DeterministicStrategy",
    "QuantumStrategy",
    "classical_value",
    "ClassicalResult",
    "ClassicalCertificate",
    "CertificateError",
    "GameTooLargeError",
    "exact_value",
    "nonsignaling_value",
    "NonsignalingResult",
    "NonsignalingError",
    "is_nonsignaling",
    "signaling_gap",
    "marginals",
    "library",
    "GAMES",
    "get_game",
    "chsh",
    "chsh_d",
    "odd_cycle",
    "magic_square",
    "random_game",
    "quantum_lower_bound",
    "QuantumResult",
    "npa_upper_bound",
    "NPAResult",
    "SolverError",
    "game_symmetries",
    "GameSymmetry",
    "xor_quantum_value",
    "XORResult",
    "NotXORGameError",
    "is_xor_game",
    "noisy_value",
    "critical_visibility",
    "NoAdvantageError",
    "xor_game",
    "repeat",
    "bcs_game",
    "has_perfect_strategy",
    "PerfectStrategyResult",
    "bell",
    "BellExpression",
    "BellGame",
    "BellBound",
    "chsh_expression",
    "i3322",
]
