"""Random small games: classical <= see-saw <= NPA <= no-signalling, classical = brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcoord.games.multiparty import (
    classical_value,
    nonsignaling_value,
    npa_upper_bound,
    pairs_level,
    quantum_lower_bound,
    random_multigame,
)

from .helpers import brute_force_classical

TOL = 1e-6


def _chain(g, level):
    c = classical_value(g)
    q = quantum_lower_bound(g, dim=2, restarts=3, seed=0)
    npa = npa_upper_bound(g, level)
    ns = nonsignaling_value(g)
    assert c.value == pytest.approx(brute_force_classical(g), abs=1e-12)
    assert c.value <= q.value + 1e-12
    assert q.value <= npa.certified_bound + 1e-9  # the certified bound is rigorous
    assert q.value <= npa.value + TOL
    assert npa.value <= ns.value + TOL
    assert g.value(q.strategy.behaviour()) == q.value
    return c, q, npa, ns


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31), kind=st.sampled_from(["weighted", "binary", "negative"]))
def test_three_players_two_questions_two_answers(seed, kind):
    g = random_multigame(3, 2, 2, seed=seed, kind=kind)
    _chain(g, pairs_level(3))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31), kind=st.sampled_from(["weighted", "binary", "negative"]))
def test_two_players(seed, kind):
    _chain(random_multigame(2, 2, 2, seed=seed, kind=kind), "1+ab")


def test_levels_are_monotone_on_a_three_player_game():
    g = random_multigame(3, 2, 2, seed=42, kind="binary")
    one = npa_upper_bound(g, 1).value
    pairs = npa_upper_bound(g, pairs_level(3)).value
    two = npa_upper_bound(g, 2).value
    assert two <= pairs + TOL <= one + 2 * TOL
    assert one <= nonsignaling_value(g).value + TOL
    assert np.isfinite([one, pairs, two]).all()
