"""White noise on a quantum strategy: noisy value and critical visibility.

Mixing the shared state with white noise at visibility :math:`v \\in [0, 1]`,

.. math::

    \\rho_v = v \\rho + (1 - v) \\frac{I}{d_A d_B},

changes the behaviour linearly (the Born rule is linear in :math:`\\rho`):

.. math::

    p_v(a, b | x, y) = v\\, p(a, b | x, y) + (1 - v)\\, p_0(a, b | x, y), \\qquad
    p_0(a, b | x, y) = \\frac{\\mathrm{tr}[A^x_a]\\, \\mathrm{tr}[B^y_b]}{d_A d_B},

so the value is affine in :math:`v`: :math:`\\omega(v) = v\\, \\omega_1 + (1 - v)\\, \\omega_0` with
:math:`\\omega_1` the noiseless value and :math:`\\omega_0` the value of the noise behaviour. For a
two-qubit state, visibility relates to the fidelity with the ideal state as :math:`F = (1 + 3v)/4`.

The noise behaviour :math:`p_0` is a product of local distributions, hence classical:
:math:`\\omega_0 \\le \\omega_c`. So when the strategy beats the classical value
(:math:`\\omega_1 > \\omega_c`) the critical visibility

.. math::

    v^* = \\frac{\\omega_c - \\omega_0}{\\omega_1 - \\omega_0} \\in [0, 1)

is the unique :math:`v` with :math:`\\omega(v) = \\omega_c`: for :math:`v > v^*` the noisy strategy beats
every classical strategy, for :math:`v \\le v^*` it does not. Example: CHSH with the optimal strategy,
:math:`\\omega_1 = \\cos^2(\\pi/8)`, :math:`\\omega_0 = 1/2`, :math:`\\omega_c = 3/4`, so
:math:`v^* = 1/\\sqrt 2`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .game import Game, GameError
from .strategy import QuantumStrategy

__all__ = ["NoAdvantageError", "noise_behaviour", "noisy_value", "critical_visibility"]

#: The strategy must beat the classical value by more than this (payoff units) to have a v*.
ADVANTAGE_ATOL = 1e-9


class NoAdvantageError(GameError):
    """The strategy does not beat the classical value even without noise, so no critical visibility exists."""


def _check_pair(game: Game, strategy: QuantumStrategy) -> None:
    if not isinstance(game, Game):
        raise GameError(f"game: expected a qcoord Game, got {type(game).__name__}")
    if not isinstance(strategy, QuantumStrategy):
        raise GameError(f"strategy: expected a QuantumStrategy, got {type(strategy).__name__}")
    if strategy.shape != game.shape:
        raise GameError(f"strategy: behaviour shape {strategy.shape} does not match the game's shape {game.shape}")


def noise_behaviour(strategy: QuantumStrategy) -> NDArray[np.float64]:
    """The behaviour on the maximally mixed state: ``p0[a,b,x,y] = tr[A^x_a] tr[B^y_b] / (dA dB)``."""
    dA, dB = strategy.dims
    ta = np.trace(strategy.alice, axis1=-2, axis2=-1).real / dA  # (nx, na)
    tb = np.trace(strategy.bob, axis1=-2, axis2=-1).real / dB  # (ny, nb)
    return np.clip(np.einsum("xa,yb->abxy", ta, tb), 0.0, None)


def _check_visibility(visibility: ArrayLike) -> NDArray[np.float64]:
    try:
        v = np.asarray(visibility, dtype=np.float64)
    except (TypeError, ValueError):
        raise GameError(f"visibility: must be a number or array of numbers in [0, 1], got {visibility!r}") from None
    if not np.all(np.isfinite(v)) or np.any(v < 0) or np.any(v > 1):
        raise GameError(f"visibility: must lie in [0, 1], got {visibility!r}")
    return v


def noisy_value(game: Game, strategy: QuantumStrategy, visibility: ArrayLike) -> Any:
    """Value of ``strategy`` when its state is mixed with white noise at visibility ``v``.

    Parameters
    ----------
    game : Game
    strategy : QuantumStrategy
    visibility : float or array_like in [0, 1]
        ``v`` in :math:`v\\rho + (1-v) I/(d_A d_B)`.

    Returns
    -------
    float or ndarray
        :math:`v\\,\\omega_1 + (1 - v)\\,\\omega_0` (same shape as ``visibility``), payoff units.
    """
    _check_pair(game, strategy)
    v = _check_visibility(visibility)
    w1 = game.value(strategy.behaviour())
    w0 = game.value(noise_behaviour(strategy))
    out = v * w1 + (1.0 - v) * w0
    return float(out) if out.ndim == 0 else out


def critical_visibility(
    game: Game, strategy: QuantumStrategy, classical: float | Any | None = None, strict: bool = True
) -> float:
    """The visibility :math:`v^*` at which the noisy value equals the classical value.

    Parameters
    ----------
    game : Game
    strategy : QuantumStrategy
    classical : float, ClassicalResult or None
        The classical value :math:`\\omega_c`; computed with
        :func:`qcoord.games.classical.classical_value` when ``None``.
    strict : bool
        What to do when the strategy does not beat the classical value at ``v = 1`` (by more than
        ``ADVANTAGE_ATOL``): raise :class:`NoAdvantageError` (default) or return ``1.0`` ("no
        visibility gives an advantage").

    Returns
    -------
    float
        :math:`v^* = (\\omega_c - \\omega_0)/(\\omega_1 - \\omega_0)`, clipped to ``[0, 1]``; the noisy
        strategy beats the classical value iff ``v > v*``.

    Raises
    ------
    NoAdvantageError
        (``strict=True``) the strategy's noiseless value does not exceed the classical value.
    """
    _check_pair(game, strategy)
    if classical is None:
        from .classical import classical_value

        wc = float(classical_value(game).value)
    else:
        try:
            wc = float(classical)
        except (TypeError, ValueError):
            raise GameError(f"classical: must be a number or a ClassicalResult, got {type(classical).__name__}") from None
        if not np.isfinite(wc):
            raise GameError(f"classical: must be finite, got {wc!r}")
    w1 = game.value(strategy.behaviour())
    w0 = game.value(noise_behaviour(strategy))
    if w1 <= wc + ADVANTAGE_ATOL:
        if strict:
            raise NoAdvantageError(
                f"strategy: its value {w1!r} does not exceed the classical value {wc!r} "
                f"(by more than {ADVANTAGE_ATOL:g}), so no visibility gives an advantage; "
                "pass strict=False to get 1.0 instead"
            )
        return 1.0
    return float(min(1.0, max(0.0, (wc - w0) / (w1 - w0))))
