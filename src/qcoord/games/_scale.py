"""Solving a game in its own units: every solver normalises the payoff scale first.

Conic and LP solvers stop at *absolute* tolerances (Clarabel ~1e-8, SCS eps, HiGHS feasibility), so a
game whose weights :math:`W = \\pi \\cdot V` are tiny (say :math:`\\sum |W| = 10^{-6}`) would be solved to
no precision at all, and a huge one would make them fail. Every value routine therefore solves the
normalised game

.. math::

    \\hat V = V / s, \\qquad s = \\sum_{a, b, x, y} |W(a, b, x, y)|,

and rescales what it returns (values, bounds, duals) by :math:`s`; behaviours and strategies are
unchanged. The normalised games of :math:`c\\,G` and :math:`G` are equal up to rounding, so every
method satisfies :math:`\\omega(c\\,G) = c\\,\\omega(G)` to rounding for every :math:`c > 0`.
"""

from __future__ import annotations

import math

import numpy as np

from .game import Game

__all__ = ["weight_scale", "normalised"]


def weight_scale(game: Game) -> float:
    """:math:`s = \\sum |W|` of a game (1 for an all-zero game, whose every value is 0)."""
    s = float(np.abs(game.weights).sum())
    return s if s > 0 and math.isfinite(s) else 1.0


def normalised(game: Game) -> tuple[Game, float]:
    """``(game with payoff / s, s)``; the game itself (and 1) when ``s`` is 1 up to rounding."""
    s = weight_scale(game)
    if abs(s - 1.0) <= 1e-12:  # already in units of sum |W| (up to rounding: normalising again changes nothing)
        return game, 1.0
    g = Game(game.prob, _canonical(game.payoff / s), name=game.name, question_names=game.question_names,
             answer_names=game.answer_names)
    return g, s


#: Significant bits kept in a normalised payoff (:func:`_canonical`).
MANTISSA_BITS = 40


def _canonical(x: np.ndarray) -> np.ndarray:
    """Round every entry to :data:`MANTISSA_BITS` significant bits (relative change <= 2**-40 ~ 1e-12).

    ``(c V) / (c s)`` and ``V / s`` differ by an ulp or two in floating point; an iterative solver (SCS)
    can turn that into a 1e-9 difference in its answer. Rounding the normalised payoff to 40 bits makes
    the two inputs bit-identical (except for entries within an ulp of a rounding boundary), so the
    solvers see the same problem and the values scale exactly.
    """
    m, e = np.frexp(x)
    return np.ldexp(np.round(m * 2.0**MANTISSA_BITS) / 2.0**MANTISSA_BITS, e)
