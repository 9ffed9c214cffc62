"""Cross-checks against toqito 1.1.8 (the reference peer): classical and no-signalling values.

toqito's ``classical_value`` starts its maxima at 0, so it is only right when the best value of every
question slice is non-negative; the hypothesis cross-check uses non-negative payoffs, and the
all-negative discrepancy is shown separately.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcoord.games import Game, classical_value, nonsignaling_value, random_game

toqito_ng = pytest.importorskip("toqito.nonlocal_games.nonlocal_game")


def toqito_game(g: Game):
    return toqito_ng.NonlocalGame(*g.to_toqito())


@st.composite
def nonnegative_games(draw):
    nx, ny = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    na, nb = draw(st.integers(2, 3)), draw(st.integers(2, 3))
    kind = draw(st.sampled_from(["weighted", "binary"]))
    return random_game(nx, ny, na=na, nb=nb, seed=draw(st.integers(0, 2**32 - 1)), kind=kind)


@given(nonnegative_games())
@settings(max_examples=8)
def test_classical_and_ns_values_equal_toqito(g):
    tq = toqito_game(g)
    assert classical_value(g).value == pytest.approx(tq.classical_value(), abs=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ns_tq = tq.nonsignaling_value()
    # toqito solves its formulation with cvxpy's default conic solver at default accuracy, and its
    # optimum falls short of the true LP optimum by up to a few 1e-5 (measured: 3.0e-5 on a 2x3 game
    # with 3x2 answers, where an independent Clarabel LP agrees with ours to 1e-9) and overshoots by
    # up to ~1e-6 elsewhere (on a 1x1 game it exceeds the largest payoff). So the peer check uses
    # 1e-4; test_nonsignaling.py checks ours against an independent tight LP to 1e-7.
    assert nonsignaling_value(g).value == pytest.approx(ns_tq, abs=1e-4)


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=10)
def test_classical_equals_toqito_on_larger_binary_games(seed):
    g = random_game(6, 5, seed=seed, kind="binary")
    assert classical_value(g).value == pytest.approx(toqito_game(g).classical_value(), abs=1e-12)


def test_all_negative_payoffs_toqito_returns_zero_we_do_not():
    g = random_game(3, 3, seed=1, kind="negative")
    ours = classical_value(g)
    assert toqito_game(g).classical_value() == 0.0  # toqito 1.1.8 starts its maximum at 0
    # the true optimum is negative: every payoff is <= -0.01, so every strategy is worth <= -0.01
    assert ours.value <= -0.01
    assert ours.value == pytest.approx(g.value(ours.strategy.behaviour((2, 2))), abs=1e-15)
    assert ours.certificate.verify(g).level == "exact"
    # shifting all payoffs by a constant c shifts the value by c; toqito is right after a shift
    shifted = Game(g.prob, g.payoff + 2.0)
    assert toqito_game(shifted).classical_value() == pytest.approx(ours.value + 2.0, abs=1e-12)
