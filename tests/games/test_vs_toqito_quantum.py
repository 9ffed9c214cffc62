"""Cross-checks of the quantum-side values against toqito 1.1.8 (the peer)."""

from __future__ import annotations

import math
import warnings

import cvxpy as cp
import numpy as np
import pytest
from toqito.nonlocal_games.nonlocal_game import NonlocalGame
from toqito.nonlocal_games.xor_game import XORGame
from toqito.state_opt.npa_hierarchy import _gen_words, npa_constraints

from qcoord.games import Game, chsh, npa_upper_bound, odd_cycle, quantum_lower_bound, random_game, xor_quantum_value
from qcoord.games.npa import npa_words

from .test_seesaw import r1_game


def toqito_npa(game: Game, level: object) -> float:
    """toqito's NPA relaxation (``npa_constraints``, as in ``commuting_measurement_value_upper_bound``)
    solved with Clarabel (SCS at eps 1e-9 if Clarabel is inaccurate), so that solver accuracy does
    not blur the comparison."""
    prob, pred = game.to_toqito()
    na, nb, nx, ny = pred.shape
    mat = {(x, y): cp.Variable((na, nb), name=f"M{x}{y}") for x in range(nx) for y in range(ny)}
    obj = sum(prob[x, y] * cp.sum(cp.multiply(pred[:, :, x, y], mat[x, y])) for x in range(nx) for y in range(ny))
    problem = cp.Problem(cp.Maximize(obj), npa_constraints(mat, level))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        problem.solve(solver="CLARABEL")
        if problem.status != "optimal":  # e.g. odd cycles: Clarabel stops "almost solved"
            problem.solve(solver="SCS", eps=1e-9, max_iters=200_000)
    assert problem.status == "optimal"
    return float(problem.value)


GAMES = {
    "chsh": chsh,
    "odd_cycle3": lambda: odd_cycle(3),
    "r1": r1_game,
    "binary_2x3": lambda: random_game(2, 3, seed=4, kind="binary"),
    "weighted_2x2_3x2": lambda: random_game(2, 2, na=3, nb=2, seed=1),
}


# toqito's complex level-2 SDP on odd_cycle3 takes ~8 s; odd cycles at level 2 are checked against
# the closed form in test_npa.py instead.
CASES = [(n, lv) for n in GAMES for lv in (1, "1+ab", 2) if (n, lv) != ("odd_cycle3", 2)]


@pytest.mark.parametrize("name, level", CASES)
def test_npa_equals_toqito_relaxation(name: str, level: object) -> None:
    g = GAMES[name]()
    peer = toqito_npa(g, level)
    # identify_adjoints=False is exactly toqito's relaxation, at every level.
    assert npa_upper_bound(g, level, identify_adjoints=False).value == pytest.approx(peer, abs=1e-6)
    ours = npa_upper_bound(g, level).value
    if level in (1, 2):
        assert ours == pytest.approx(peer, abs=1e-6)
    else:
        assert ours <= peer + 1e-6  # the standard level is never looser


def test_npa_public_method_of_toqito() -> None:
    # toqito's own method solves with cvxpy's default solver, less accurately (~1e-6): compare at 1e-5.
    for g in (chsh(), r1_game()):
        ng = NonlocalGame(*g.to_toqito())
        for level in (1, 2):
            assert npa_upper_bound(g, level).value == pytest.approx(ng.commuting_measurement_value_upper_bound(level), abs=1e-5)


@pytest.mark.parametrize("level", [1, 2, "1+ab", "2+aab"])
def test_moment_matrix_size_matches_toqito(level: object) -> None:
    for na, nx in ((2, 2), (3, 2), (2, 3)):
        assert len(npa_words(level, (na, 2), (nx, 3))) == len(_gen_words(level, na, nx, 2, 3))


def test_seesaw_at_least_toqito_lower_bound() -> None:
    g = chsh()
    peer = NonlocalGame(*g.to_toqito()).quantum_value_lower_bound(dim=2, iters=1, tol=1e-6)
    ours = quantum_lower_bound(g, seed=0).value
    assert ours >= peer - 1e-6
    assert ours == pytest.approx(math.cos(math.pi / 8) ** 2, abs=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_xor_equals_toqito(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 3 + seed
    prob = rng.random((n, n))
    prob /= prob.sum()
    pred = rng.integers(0, 2, size=(n, n))  # winning value of a XOR b
    payoff = np.zeros((2, 2, n, n))
    for a in range(2):
        for b in range(2):
            payoff[a, b] = ((a ^ b) == pred).astype(float)
    g = Game(prob, payoff)
    assert xor_quantum_value(g).value == pytest.approx(XORGame(prob, pred).quantum_value(), abs=1e-6)
