"""XOR games: Tsirelson / CHTW SDP value, recovered strategy, certificates, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcoord.games import (
    Game,
    GameError,
    NotXORGameError,
    chsh,
    is_xor_game,
    magic_square,
    npa_upper_bound,
    odd_cycle,
    quantum_lower_bound,
    random_game,
    xor_quantum_value,
)
from qcoord.games.xor import clifford_generators


def random_xor_game(seed: int, nx: int, ny: int) -> Game:
    """Random XOR game: random question distribution, payoff f(x, y) for a = b and g(x, y) otherwise."""
    rng = np.random.default_rng(seed)
    prob = rng.random((nx, ny)) + 1e-3
    prob /= prob.sum()
    same, diff = rng.standard_normal((nx, ny)), rng.standard_normal((nx, ny))
    payoff = np.empty((2, 2, nx, ny))
    payoff[0, 0] = payoff[1, 1] = same
    payoff[0, 1] = payoff[1, 0] = diff
    return Game(prob, payoff, name=f"random_xor_{nx}x{ny}_seed{seed}")


def test_chsh() -> None:
    res = xor_quantum_value(chsh())
    assert res.value == pytest.approx(math.cos(math.pi / 8) ** 2, abs=1e-9)
    assert res.upper_bound >= res.value - 1e-12
    assert res.upper_bound - res.value < 1e-7
    assert res.dim == 2 and res.rank == 2
    assert chsh().value(res.strategy.behaviour()) == pytest.approx(res.value, abs=1e-12)
    # Optimal CHSH correlators are +-1/sqrt(2).
    np.testing.assert_allclose(np.abs(res.correlators), 1 / math.sqrt(2), atol=1e-6)
    assert float(res) == res.value


@pytest.mark.parametrize("n", [3, 5, 7])
def test_odd_cycle(n: int) -> None:
    res = xor_quantum_value(odd_cycle(n))
    assert res.value == pytest.approx(math.cos(math.pi / (4 * n)) ** 2, abs=1e-8)
    assert res.strategy_value == res.value


@settings(max_examples=10)
@given(seed=st.integers(0, 10_000), nx=st.integers(1, 5), ny=st.integers(1, 5))
def test_random_xor_matches_npa_level1_and_bounds_seesaw(seed: int, nx: int, ny: int) -> None:
    g = random_xor_game(seed, nx, ny)
    res = xor_quantum_value(g)
    # Re-evaluation of the recovered strategy, certified by the dual bound.
    assert g.value(res.strategy.behaviour()) == pytest.approx(res.value, abs=1e-10)
    assert res.value <= res.upper_bound + 1e-9
    assert res.upper_bound - res.value < 1e-6
    # Independent method: NPA level 1 contains Tsirelson's characterisation, so it is exact here.
    assert npa_upper_bound(g, 1).value == pytest.approx(res.value, abs=1e-6)
    # A see-saw at the strategy's dimension cannot beat the exact quantum value.
    q = quantum_lower_bound(g, dim=res.dim, restarts=4, seed=seed)
    assert q.value <= res.upper_bound + 1e-7


def test_recovered_dimension_for_higher_rank() -> None:
    # A 4x4 XOR game whose optimal Gram matrix has rank > 3 needs two qubits per player.
    g = random_xor_game(3, 6, 6)
    res = xor_quantum_value(g)
    assert res.dim == 2 ** math.ceil((res.rank - 1) / 2)
    assert res.strategy.dims == (res.dim, res.dim)


@pytest.mark.parametrize("r", range(1, 8))
def test_clifford_generators_anticommute(r: int) -> None:
    gens = clifford_generators(r)
    D = gens.shape[-1]
    assert D == 2 ** math.ceil((r - 1) / 2)
    for i in range(r):
        np.testing.assert_allclose(gens[i] @ gens[i], np.eye(D), atol=1e-12)
        np.testing.assert_allclose(gens[i], gens[i].conj().T, atol=1e-12)
        for j in range(i + 1, r):
            np.testing.assert_allclose(gens[i] @ gens[j] + gens[j] @ gens[i], 0, atol=1e-12)


def test_non_xor_games_rejected() -> None:
    assert is_xor_game(chsh()) and not is_xor_game(random_game(2, 2, seed=0))
    with pytest.raises(NotXORGameError, match="^game: payoff must depend only on a XOR b"):
        xor_quantum_value(random_game(2, 2, seed=0))
    with pytest.raises(NotXORGameError, match="^game: an XOR game needs 2 answers"):
        xor_quantum_value(magic_square())
    assert issubclass(NotXORGameError, ValueError)
    with pytest.raises(GameError, match="^game:"):
        xor_quantum_value(None)  # type: ignore[arg-type]


def test_degenerate_xor_game_gets_smallest_dimension() -> None:
    # Payoff independent of the answers: every Gram matrix is optimal and the solver returns a
    # full-rank one; the recovered strategy must still use the smallest rank (1: no entanglement).
    n = 10
    g = Game(np.full((n, n), 1 / n**2), np.full((2, 2, n, n), 0.3))
    res = xor_quantum_value(g)
    assert res.value == pytest.approx(0.3, abs=1e-12)
    assert res.rank == 1 and res.dim == 1


def test_correlators_are_those_of_the_strategy() -> None:
    g = random_xor_game(5, 4, 3)
    res = xor_quantum_value(g)
    p = res.strategy.behaviour()
    corr = p[0, 0] + p[1, 1] - p[0, 1] - p[1, 0]
    np.testing.assert_allclose(res.correlators, corr, atol=1e-10)
    with pytest.raises(GameError, match="^max_dim:"):
        xor_quantum_value(g, max_dim=0)
