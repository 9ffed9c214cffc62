"""The see-saw with the state fixed to |Phi+_d> (quantum_lower_bound(game, state="bell"))."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from qcoord.games import GameError, chsh, classical_value, odd_cycle, quantum_lower_bound, xor_game, xor_quantum_value


def test_chsh_closed_form():
    r = quantum_lower_bound(chsh(), seed=1, state="bell")
    assert r.value == pytest.approx(np.cos(np.pi / 8) ** 2, abs=1e-9)
    assert np.allclose(r.strategy.state, np.array([1, 0, 0, 1]) / np.sqrt(2))
    assert r.value_lost == pytest.approx(0.0, abs=1e-9) and r.state == "bell" and r.parameters["state"] == "bell"


def test_odd_cycle_closed_form():
    n = 5
    r = quantum_lower_bound(odd_cycle(n), seed=2, state="bell")
    assert r.value == pytest.approx(np.cos(np.pi / (4 * n)) ** 2, abs=1e-7)


def test_default_scenario_between_classical_and_free(default_game, default_solution):
    free, bell = default_solution
    c = classical_value(default_game).value
    assert c < bell.value < free.value  # -0.339213 < -0.316858 < -0.316609
    assert bell.free_value == pytest.approx(free.value, abs=1e-9)
    assert bell.value_lost == pytest.approx(free.value - bell.value, abs=1e-12)
    assert bell.value == pytest.approx(default_game.value(bell.strategy.behaviour()), abs=1e-12)
    assert bell.value_lost > 1e-5  # the R1 optimum (42.66 deg) is not maximally entangled


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_xor_games_match_the_sdp(seed):
    """Peer: XOR games are optimised by maximally entangled states (Tsirelson), so the |Phi+> see-saw
    at dimension 2 reaches the SDP value of a 2 x 2 XOR game."""
    rng = np.random.default_rng(seed)
    prob = rng.random((2, 2))
    g = xor_game(prob / prob.sum(), rng.integers(0, 2, (2, 2)))
    sdp = xor_quantum_value(g).value
    r = quantum_lower_bound(g, seed=seed, restarts=8, state="bell")
    assert r.value == pytest.approx(sdp, abs=1e-6)
    assert classical_value(g).value - 1e-9 <= r.value <= r.free_value + 1e-12


def test_scale_invariance():
    g = chsh()
    r1 = quantum_lower_bound(g, seed=3, state="bell")
    from qcoord.games import Game

    r2 = quantum_lower_bound(Game(g.prob, 1e6 * g.payoff), seed=3, state="bell")
    assert r2.value == pytest.approx(1e6 * r1.value, rel=1e-9)
    assert r2.free_value == pytest.approx(1e6 * r1.free_value, rel=1e-9)


def test_bad_options():
    with pytest.raises(GameError, match="state: must be 'free'"):
        quantum_lower_bound(chsh(), state="ghz")
    with pytest.raises(GameError, match="povm"):
        quantum_lower_bound(chsh(), state="bell", povm=True)
