"""nonsignaling_value (LP) and the no-signalling checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qcoord.games.nonsignaling as ns_mod
from qcoord.games import (
    DeterministicStrategy,
    Game,
    GameError,
    NonsignalingError,
    chsh,
    chsh_d,
    classical_value,
    is_nonsignaling,
    magic_square,
    marginals,
    nonsignaling_value,
    odd_cycle,
    random_game,
    signaling_gap,
)


def pr_box() -> np.ndarray:
    p = np.zeros((2, 2, 2, 2))
    for a in range(2):
        for b in range(2):
            for x in range(2):
                for y in range(2):
                    p[a, b, x, y] = 0.5 * ((a ^ b) == (x & y))
    return p


def test_chsh_ns_value_is_one_with_a_nonsignaling_optimum():
    r = nonsignaling_value(chsh())
    assert r.value == pytest.approx(1.0, abs=1e-9) and float(r) == r.value
    assert r.dual_bound == pytest.approx(1.0, abs=1e-9)
    assert is_nonsignaling(r.behaviour, atol=1e-9)
    assert chsh().value(r.behaviour) == pytest.approx(r.value, abs=1e-12)
    # the optimum of CHSH is unique: the PR box
    np.testing.assert_allclose(r.behaviour, pr_box(), atol=1e-7)


@pytest.mark.parametrize("game", [odd_cycle(3), odd_cycle(5), magic_square(), chsh_d(3)], ids=lambda g: g.name)
def test_perfect_ns_games(game):
    # these games have a perfect no-signalling strategy (e.g. the PR-box-like p(a,b|x,y) uniform on winning pairs)
    assert nonsignaling_value(game).value == pytest.approx(1.0, abs=1e-8)


def test_ns_equals_classical_when_payoff_does_not_couple_the_players():
    # V(a,b,x,y) = f(a,x) + g(b,y): every strategy's value separates, NS = classical.
    rng = np.random.default_rng(3)
    f, g_ = rng.normal(size=(3, 4)), rng.normal(size=(2, 3))
    payoff = f[:, None, :, None] + g_[None, :, None, :]
    prob = rng.random((4, 3))
    game = Game(prob / prob.sum(), payoff)
    assert nonsignaling_value(game).value == pytest.approx(classical_value(game).value, abs=1e-8)


@st.composite
def games(draw):
    nx, ny, na, nb = (draw(st.integers(1, 4)) for _ in range(4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    prob = rng.random((nx, ny)) + 1e-3
    return Game(prob / prob.sum(), rng.normal(size=(na, nb, nx, ny)))


@given(games())
@settings(max_examples=30)
def test_random_games_classical_le_ns_and_behaviour_checks(g):
    r = nonsignaling_value(g)
    c = classical_value(g)
    assert c.value <= r.value + 1e-8
    assert is_nonsignaling(r.behaviour, atol=1e-7)
    assert g.value(r.behaviour) == pytest.approx(r.value, abs=1e-12)
    assert r.dual_bound == pytest.approx(r.value, abs=1e-7)


def test_is_nonsignaling_and_marginals():
    assert is_nonsignaling(pr_box())
    assert is_nonsignaling(DeterministicStrategy((0, 1, 1), (1, 0)).behaviour((2, 3)))
    # Alice answers Bob's question: signalling
    p = np.zeros((2, 2, 2, 2))
    for x in range(2):
        for y in range(2):
            p[y, 0, x, y] = 1.0
    assert not is_nonsignaling(p)
    assert signaling_gap(p) == pytest.approx(1.0)
    pa, pb = marginals(p)
    assert pa.shape == (2, 2, 2) and pb.shape == (2, 2, 2)
    # not a behaviour at all (slices do not sum to 1)
    assert not is_nonsignaling(np.full((2, 2, 2, 2), 0.3))
    with pytest.raises(GameError, match="atol: must be a finite number >= 0"):
        is_nonsignaling(pr_box(), atol=-1)
    with pytest.raises(GameError, match="behaviour: expected"):
        marginals(np.zeros((2, 2)))
    with pytest.raises(GameError, match="behaviour: expected"):
        is_nonsignaling(np.zeros((2, 2)))
    assert not is_nonsignaling(np.full((2, 2, 2, 2), np.nan))


def test_solver_failure_is_a_clear_error(monkeypatch):
    class Fake:
        status, x, message, fun = 4, None, "numerical difficulties", 0.0

    monkeypatch.setattr(ns_mod, "linprog", lambda *a, **k: Fake())
    with pytest.raises(NonsignalingError, match="did not reach an optimum"):
        nonsignaling_value(chsh())

    def boom(*a, **k):
        raise RuntimeError("HiGHS crashed")

    monkeypatch.setattr(ns_mod, "linprog", boom)
    with pytest.raises(NonsignalingError, match="LP solver failed"):
        nonsignaling_value(chsh())


def test_wrong_solver_answer_is_rejected(monkeypatch):
    real = ns_mod.linprog

    def lying(*a, **k):
        res = real(*a, **k)
        res.fun = res.fun - 0.5  # claims a better value than its behaviour attains
        return res

    monkeypatch.setattr(ns_mod, "linprog", lying)
    with pytest.raises(NonsignalingError, match="solver reports"):
        nonsignaling_value(random_game(3, 3, seed=0))


def test_bad_inputs():
    with pytest.raises(GameError, match="game: expected"):
        nonsignaling_value("chsh")  # type: ignore[arg-type]
    with pytest.raises(GameError, match=r"tol: must lie in \(0, 1e-3\]"):
        nonsignaling_value(chsh(), tol=0.5)


@given(games())
@settings(max_examples=10)
def test_independent_cvxpy_formulation_agrees(g):
    """The same LP written independently (cvxpy, Clarabel; marginal variables instead of eliminations)."""
    import cvxpy as cp

    na, nb, nx, ny = g.shape
    P = [[cp.Variable((na, nb), nonneg=True) for _ in range(ny)] for _ in range(nx)]
    pa = cp.Variable((nx, na))
    pb = cp.Variable((ny, nb))
    cons = []
    for x in range(nx):
        for y in range(ny):
            cons += [cp.sum(P[x][y]) == 1, cp.sum(P[x][y], axis=1) == pa[x], cp.sum(P[x][y], axis=0) == pb[y]]
    obj = sum(cp.sum(cp.multiply(g.weights[:, :, x, y], P[x][y])) for x in range(nx) for y in range(ny))
    prob = cp.Problem(cp.Maximize(obj), cons)
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    assert nonsignaling_value(g).value == pytest.approx(prob.value, abs=1e-7)
