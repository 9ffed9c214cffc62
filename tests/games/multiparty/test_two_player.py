"""N = 2: every N-party solver gives the two-player engine's value (classical exactly, the rest to 1e-7)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qcoord.games as g2
from qcoord.games import chsh, random_game
from qcoord.games import multiparty as mp


def _check(G, levels=(1, "1+ab", 2), seed=3):
    M = mp.MultiGame.from_game(G)
    c2, cm = g2.classical_value(G), mp.classical_value(M)
    assert cm.value == c2.value and cm.certificate.value_exact == c2.certificate.value_exact  # exactly
    assert cm.certificate.verify(M).level == "exact"
    q2, qm = g2.quantum_lower_bound(G, dim=2, seed=seed), mp.quantum_lower_bound(M, dim=2, seed=seed)
    assert qm.value == pytest.approx(q2.value, abs=1e-7)
    for level in levels:
        assert mp.npa_upper_bound(M, level).value == pytest.approx(g2.npa_upper_bound(G, level).value, abs=1e-7)
    assert mp.nonsignaling_value(M).value == pytest.approx(g2.nonsignaling_value(G).value, abs=1e-7)
    # a Game is accepted directly as its N = 2 MultiGame
    assert mp.classical_value(G).value == c2.value


def test_chsh():
    _check(chsh())
    s = mp.quantum_lower_bound(chsh(), seed=0).strategy
    two = s.to_two_player()
    assert np.allclose(two.behaviour(), s.behaviour(), atol=1e-14)
    back = mp.MultiQuantumStrategy.from_two_player(g2.quantum_lower_bound(chsh(), seed=0).strategy)
    assert chsh().value(back.behaviour()) == pytest.approx(np.cos(np.pi / 8) ** 2, abs=1e-9)


@settings(max_examples=8, deadline=None)
@given(
    nx=st.integers(1, 3), ny=st.integers(1, 3), na=st.integers(2, 3), nb=st.integers(2, 3),
    seed=st.integers(0, 2**31), kind=st.sampled_from(["weighted", "binary", "negative"]),
)
def test_random_two_player_games(nx, ny, na, nb, seed, kind):
    _check(random_game(nx, ny, na, nb, seed=seed, kind=kind), levels=(1, "1+ab"))
