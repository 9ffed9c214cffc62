"""N-player non-local games (N >= 2) and their certified values.

Public surface (each solver returns a result object; ``float(result)`` gives the value):

- :class:`MultiGame` (``prob[x1..xN]``, ``payoff[a1..aN, x1..xN]``; ``from_game`` / ``to_game`` for N = 2),
  :class:`MultiQuantumStrategy`, :class:`MultiDeterministicStrategy`
- :func:`classical_value` (exact, certified), :func:`quantum_lower_bound` (see-saw),
  :func:`nonsignaling_value` (LP), :func:`npa_upper_bound` (NPA levels for N parties)
- :mod:`~qcoord.games.multiparty.library`: ``mermin_ghz``, ``mabk``, ``svetlichny``, ``chsh_n``,
  ``random_multigame``, ``MULTI_GAMES``

Every solver also accepts a two-player :class:`qcoord.games.Game` (as its N = 2 ``MultiGame``) and then
returns the two-player engine's value (tests/games/multiparty/test_two_player.py).
"""

from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "MultiGame": "game",
    "check_multi_behaviour": "game",
    "MultiDeterministicStrategy": "strategy",
    "MultiQuantumStrategy": "strategy",
    "classical_value": "classical",
    "exact_value": "classical",
    "MultiClassicalResult": "classical",
    "MultiClassicalCertificate": "classical",
    "quantum_lower_bound": "seesaw",
    "MultiQuantumResult": "seesaw",
    "nonsignaling_value": "nonsignaling",
    "MultiNonsignalingResult": "nonsignaling",
    "is_nonsignaling": "nonsignaling",
    "signaling_gap": "nonsignaling",
    "npa_upper_bound": "npa",
    "MultiNPAResult": "npa",
    "pairs_level": "npa",
    "moment_matrix_size": "npa",
    "MULTI_GAMES": "library",
    "get_multigame": "library",
    "mermin_ghz": "library",
    "mabk": "library",
    "svetlichny": "library",
    "chsh_n": "library",
    "random_multigame": "library",
    "correlator_game": "library",
}
_SUBMODULES = ("library",)


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


if TYPE_CHECKING:
    from . import library
    from .classical import MultiClassicalCertificate, MultiClassicalResult, classical_value, exact_value
    from .game import MultiGame, check_multi_behaviour
    from .library import MULTI_GAMES, chsh_n, correlator_game, get_multigame, mabk, mermin_ghz, random_multigame, svetlichny
    from .nonsignaling import MultiNonsignalingResult, is_nonsignaling, nonsignaling_value, signaling_gap
    from .npa import MultiNPAResult, moment_matrix_size, npa_upper_bound, pairs_level
    from .seesaw import MultiQuantumResult, quantum_lower_bound
    from .strategy import MultiDeterministicStrategy, MultiQuantumStrategy

__all__ = sorted(set(_EXPORTS) | set(_SUBMODULES))
