"""Library games: Mermin-GHZ, MABK n = 3, 4, 5 and Svetlichny reproduce the literature values."""

from __future__ import annotations

import numpy as np
import pytest

from qcoord.games import GameError
from qcoord.games.multiparty import (
    MULTI_GAMES,
    chsh_n,
    classical_value,
    correlator_game,
    get_multigame,
    mabk,
    mermin_ghz,
    npa_upper_bound,
    pairs_level,
    quantum_lower_bound,
    random_multigame,
    svetlichny,
)
from qcoord.games.multiparty.library import mabk_expression, mabk_values, svetlichny_expression

from .helpers import X_OP, Y_OP, ghz, pauli_projectors
from qcoord.games.multiparty import MultiQuantumStrategy


@pytest.mark.parametrize(
    "n, classical, quantum",
    # local bound 1 and quantum 2^{(n-1)/2} (Mermin 1990, Ardehali 1992, Belinskii-Klyshko 1993) mapped by
    # omega = 1/2 + beta / (2 S), S = 2^{(n-1)/2} (odd n) or 2^{n/2} (even n)
    [(3, 0.75, 1.0), (4, 0.625, 0.5 + 1 / (2 * np.sqrt(2))), (5, 0.625, 1.0)],
)
def test_mabk_classical_and_quantum_match_the_literature(n, classical, quantum):
    g = mabk(n)
    c, q = mabk_values(n)
    assert (c, q) == pytest.approx((classical, quantum), abs=1e-15)
    r = classical_value(g)
    assert r.value == classical and r.certificate.verify(g).level == "exact"
    assert quantum_lower_bound(g, seed=0, restarts=6).value == pytest.approx(quantum, abs=1e-7)
    assert npa_upper_bound(g, pairs_level(n)).value == pytest.approx(quantum, abs=1e-6)


def test_mabk_expression_local_bound_and_quantum_value_on_ghz():
    for n in (2, 3, 4, 5):
        c, _ = mabk_expression(n)
        # every deterministic +-1 assignment gives |M_n| = 1
        vals = set()
        for bits in np.ndindex(*(2, 2) * n):
            A = [[(-1) ** bits[2 * i], (-1) ** bits[2 * i + 1]] for i in range(n)]
            vals.add(round(abs(sum(c[x] * np.prod([A[i][x[i]] for i in range(n)]) for x in np.ndindex(*c.shape))), 12))
        assert vals == {1.0}
    assert np.allclose(2 * mabk_expression(2)[0], [[1, 1], [1, -1]])  # M_2 = CHSH / 2


def test_svetlichny_values():
    g = svetlichny()
    assert np.allclose(np.abs(svetlichny_expression()), 1) and g.prob.min() == g.prob.max() == 1 / 8
    assert classical_value(g).value == 0.75  # local bound 4: 1/2 + 4/16
    assert quantum_lower_bound(g, seed=1, restarts=6).value == pytest.approx(0.5 + np.sqrt(2) / 4, abs=1e-7)


def test_mermin_ghz_is_mabk3_up_to_relabelling():
    # both are 1/2 + beta/4 for the Mermin correlator; the GHZ strategy with X / Y wins Mermin-GHZ
    s = MultiQuantumStrategy(ghz(3), [pauli_projectors(X_OP, Y_OP)] * 3)
    assert mermin_ghz().value(s.behaviour()) == pytest.approx(1.0, abs=1e-12)
    assert classical_value(mermin_ghz()).value == classical_value(mabk(3)).value == 0.75


def test_correlator_game_value_formula():
    rng = np.random.default_rng(0)
    c = rng.standard_normal((2, 2, 2))
    g = correlator_game(c)
    # a random behaviour: value = 1/2 + beta / (2 S), beta = sum c_x E_x
    p = rng.random(g.shape)
    p /= p.sum(axis=(0, 1, 2), keepdims=True)
    parity = (-1.0) ** np.indices((2, 2, 2)).sum(axis=0)
    E = np.einsum("abc,abcxyz->xyz", parity, p)
    assert g.value(p) == pytest.approx(0.5 + (c * E).sum() / (2 * np.abs(c).sum()), abs=1e-12)
    with pytest.raises(GameError, match="coefficients"):
        correlator_game(np.zeros((2, 2)))


def test_chsh_n():
    assert classical_value(chsh_n(2)).value == 0.75
    assert quantum_lower_bound(chsh_n(2), seed=0, restarts=4).value == pytest.approx(np.cos(np.pi / 8) ** 2, abs=1e-9)
    for n in (3, 4):
        g = chsh_n(n)
        assert classical_value(g).value == 1 - 2.0**-n
        # computed, not quoted: the NPA bound (level 1 + all pairs) certifies no quantum advantage
        assert npa_upper_bound(g, pairs_level(n)).certified_bound == pytest.approx(1 - 2.0**-n, abs=1e-6)
    with pytest.raises(GameError, match="n"):
        chsh_n(1)


def test_random_multigame_and_registry():
    a = random_multigame(3, (2, 3, 1), 2, seed=5)
    assert a.n_questions == (2, 3, 1) and np.array_equal(a.payoff, random_multigame(3, (2, 3, 1), 2, seed=5).payoff)
    assert "seed5" in a.name
    assert random_multigame(4, 2, 2, seed=1, kind="negative").payoff.max() < 0
    with pytest.raises(GameError, match="n_players"):
        random_multigame(1)
    with pytest.raises(GameError, match="one value per player"):
        random_multigame(3, (2, 2))
    for name in MULTI_GAMES:
        assert get_multigame(name).n_players >= 3
    with pytest.raises(GameError, match="known"):
        get_multigame("nope")
