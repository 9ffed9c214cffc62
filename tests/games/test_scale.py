"""Every value routine works in the game's own units: value(c * game) = c * value(game) for c in 1e-9..1e9."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcoord.games import (
    Game,
    chsh,
    classical_value,
    nonsignaling_value,
    npa_upper_bound,
    quantum_lower_bound,
    random_game,
    xor_quantum_value,
)
from qcoord.games._scale import normalised, weight_scale


def scaled(g: Game, c: float) -> Game:
    return Game(g.prob, g.payoff * c, name=g.name)


def values(g: Game) -> dict[str, float]:
    return {
        "classical": classical_value(g).value,
        "seesaw": quantum_lower_bound(g, restarts=2, seed=3).value,
        "npa1": npa_upper_bound(g, 1).value,
        "npa2": npa_upper_bound(g, 2).value,
        "npa2_certified": npa_upper_bound(g, 2).certified_bound,
        "ns": nonsignaling_value(g).value,
    }


def test_the_reported_failures_are_gone():
    # CHSH times 1e-6: every NPA level was below the see-saw's own value; times 1e-7 the XOR SDP returned 3/4
    c = 1e-6
    g = scaled(chsh(), c)
    q = quantum_lower_bound(g, seed=0).value
    for lv in (1, "1+ab", 2):
        r = npa_upper_bound(g, lv)
        assert r.certified_bound >= q  # rigorous
        assert r.value >= q - r.tolerance * c  # within the solver's stopping tolerance, in the game's units
        assert r.value == pytest.approx(c * npa_upper_bound(chsh(), lv).value, rel=1e-12)
    assert xor_quantum_value(scaled(chsh(), 1e-7)).value == pytest.approx(np.cos(np.pi / 8) ** 2 * 1e-7, rel=1e-9)
    # CHSH times 1e-9: the no-signalling value is 1e-9, not 2.5e-10
    assert nonsignaling_value(scaled(chsh(), 1e-9)).value == pytest.approx(1e-9, rel=1e-9)
    # times 1e9: NPA 1+ab and 2 no longer raise
    assert npa_upper_bound(scaled(chsh(), 1e9), 2).value == pytest.approx(np.cos(np.pi / 8) ** 2 * 1e9, rel=1e-8)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), exponent=st.integers(-9, 9), kind=st.sampled_from(["weighted", "negative", "binary"]))
def test_values_scale_with_the_payoffs_and_keep_their_order(seed, exponent, kind):
    g = random_game(2, 3, na=2, nb=3, seed=seed, kind=kind)
    c = 10.0 ** exponent
    base, big = values(g), values(scaled(g, c))
    for k in base:
        assert big[k] == pytest.approx(c * base[k], rel=1e-9, abs=1e-12 * c), k
    tol = 1e-7 * weight_scale(scaled(g, c))  # the solvers' own tolerance, in the game's units
    assert big["classical"] <= big["seesaw"] + tol
    assert big["seesaw"] <= big["npa2_certified"]  # rigorous at every scale
    assert big["seesaw"] <= big["npa2"] + tol
    assert big["npa2"] <= big["npa1"] + tol
    assert big["npa1"] <= big["ns"] + tol


def test_xor_value_scales():
    g = chsh()
    for c in (1e-9, 1e9):
        r = xor_quantum_value(scaled(g, c))
        assert r.value == pytest.approx(c * np.cos(np.pi / 8) ** 2, rel=1e-9)
        assert r.upper_bound >= r.value - 1e-12 * c


def test_normalised_game():
    g = scaled(chsh(), 3e-5)
    u, s = normalised(g)
    assert s == pytest.approx(2 * 3e-5) and np.abs(u.weights).sum() == pytest.approx(1.0)  # CHSH: two winning answer pairs per question
    zero = Game(np.full((2, 2), 0.25), np.zeros((2, 2, 2, 2)))
    assert normalised(zero) == (zero, 1.0)
    assert nonsignaling_value(zero).value == 0.0
