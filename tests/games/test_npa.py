"""NPA upper bounds: closed forms, the reference game R1, monotone chain, errors."""

from __future__ import annotations

import math

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcoord.games import (
    GameError,
    SolverError,
    chsh,
    classical_value,
    nonsignaling_value,
    npa_upper_bound,
    odd_cycle,
    quantum_lower_bound,
    random_game,
)
from qcoord.games.npa import npa_words, solve_sdp

from .test_seesaw import r1_game, tilted_chsh
from .test_xor import random_xor_game

TSIRELSON = math.cos(math.pi / 8) ** 2


@pytest.mark.parametrize("level", [1, "1+ab", 2])
def test_chsh_tsirelson_every_level(level: object) -> None:
    res = npa_upper_bound(chsh(), level)
    assert res.value == pytest.approx(TSIRELSON, abs=1e-6)
    assert res.status == "optimal"
    assert float(res) == res.value
    assert res.game_name == "chsh"


@pytest.mark.parametrize("n", [3, 5])
def test_odd_cycle_level2(n: int) -> None:
    assert npa_upper_bound(odd_cycle(n), 2).value == pytest.approx(math.cos(math.pi / (4 * n)) ** 2, abs=1e-6)


@pytest.mark.parametrize("alpha", [0.5, 1.5])
def test_tilted_chsh_closed_form(alpha: float) -> None:
    # Quantum value sqrt(8 + 2 alpha^2) / 4 (Acin-Massar-Pironio 2012), reached at level 1+ab.
    res = npa_upper_bound(tilted_chsh(alpha), "1+ab")
    assert res.value == pytest.approx(math.sqrt(8 + 2 * alpha**2) / 4, abs=1e-6)
    assert res.certified_bound >= math.sqrt(8 + 2 * alpha**2) / 4


def test_matrix_sizes_and_levels() -> None:
    # CHSH, Collins-Gisin: 2 Alice + 2 Bob projectors.
    assert npa_upper_bound(chsh(), 1).matrix_size == 5  # 1, A0, A1, B0, B1
    assert npa_upper_bound(chsh(), "1+ab").matrix_size == 9  # + 4 products AB
    res = npa_upper_bound(chsh(), 2)
    assert res.matrix_size == 13  # + A0A1, A1A0, B0B1, B1B0
    assert res.level == "2"
    assert {"build", "solve", "certificate", "total"} <= set(res.timings)  # + "symmetry" on the reduced path
    # Three outcomes: A^x_0 A^x_1 = 0, so same-question products are absent.
    words = npa_words(2, (3, 2), (1, 1))
    assert ((0, 1), ()) not in words and ((0,), (0,)) in words


def test_behaviour_is_consistent_with_value() -> None:
    g = random_game(3, 2, na=3, nb=2, seed=7)
    res = npa_upper_bound(g, "1+ab")
    p = res.behaviour
    assert p.shape == g.shape
    np.testing.assert_allclose(p.sum(axis=(0, 1)), 1.0, atol=1e-7)
    assert g.value(p) == pytest.approx(res.value, abs=1e-6)
    # Collins-Gisin behaviours are no-signalling by construction.
    np.testing.assert_allclose(p.sum(axis=1)[:, :, 0], p.sum(axis=1)[:, :, 1], atol=1e-7)


def test_r1_reference_numbers() -> None:
    g = r1_game()
    assert npa_upper_bound(g, 2).value == pytest.approx(-0.31660, abs=1e-4)
    # model.md quotes -0.31365 for "1+ab": that is toqito 1.1.8's weaker relaxation, which does not
    # identify the moments of adjoint words (see npa_upper_bound's identify_adjoints). We reproduce
    # it with identify_adjoints=False; the standard "1+ab" level is already tight here.
    assert npa_upper_bound(g, "1+ab", identify_adjoints=False).value == pytest.approx(-0.31365, abs=1e-4)
    standard = npa_upper_bound(g, "1+ab").value
    assert standard == pytest.approx(-0.31661, abs=1e-4)
    assert standard >= quantum_lower_bound(g, seed=0).value - 1e-7  # still a valid upper bound


@settings(max_examples=8)
@given(
    seed=st.integers(0, 10_000),
    nx=st.integers(2, 3),
    ny=st.integers(2, 3),
    na=st.integers(2, 3),
    kind=st.sampled_from(["weighted", "binary", "negative", "xor"]),
)
def test_hierarchy_chain(seed: int, nx: int, ny: int, na: int, kind: str) -> None:
    """classical <= see-saw <= NPA(2) <= NPA(1+ab) <= NPA(1) <= NS within solver tolerance."""
    # Random XOR games usually have a quantum advantage (random weighted games rarely do).
    g = random_xor_game(seed, nx, ny) if kind == "xor" else random_game(nx, ny, na=na, nb=2, seed=seed, kind=kind)
    tol = 1e-6
    c = classical_value(g).value
    q = quantum_lower_bound(g, restarts=4, seed=seed).value
    r2 = npa_upper_bound(g, 2)
    n2 = r2.value
    nab = npa_upper_bound(g, "1+ab").value
    n1 = npa_upper_bound(g, 1).value
    ns = nonsignaling_value(g).value
    assert c <= q + 1e-12
    assert q <= r2.certified_bound + 1e-12  # rigorous: no solver tolerance
    assert q <= n2 + tol
    if r2.status == "optimal":  # an inaccurate solve returns its certified dual bound: rigorous, maybe looser
        assert n2 <= nab + tol
    else:
        assert r2.status == "optimal_inaccurate" and n2 == r2.certified_bound
    assert nab <= n1 + tol
    assert n1 <= ns + tol


def test_odd_cycle_level1_already_tight_for_xor() -> None:
    # For XOR games level 1 contains Tsirelson's vector characterisation.
    assert npa_upper_bound(odd_cycle(3), 1).value == pytest.approx(math.cos(math.pi / 12) ** 2, abs=1e-6)


@pytest.mark.parametrize("level", [0, -1, "0+ab", "1+ac", "x", "", True, 1.5, None])
def test_bad_level(level: object) -> None:
    with pytest.raises(GameError, match="^level:"):
        npa_upper_bound(chsh(), level)  # type: ignore[arg-type]


def test_not_a_game() -> None:
    with pytest.raises(GameError, match="^game:"):
        npa_upper_bound(np.zeros((2, 2)))  # type: ignore[arg-type]


def test_solver_failure_raises_clear_error() -> None:
    x = cp.Variable()
    infeasible = cp.Problem(cp.Maximize(x), [x >= 1, x <= 0])
    with pytest.raises(SolverError, match="CLARABEL: status 'infeasible'.*CLARABEL\\(tol_gap_abs=1e-07"):
        solve_sdp(infeasible, ("CLARABEL",), what="test")
    with pytest.raises(SolverError, match="NOPE: not installed"):
        npa_upper_bound(chsh(), 1, solvers=("NOPE",))
    assert issubclass(SolverError, RuntimeError) and issubclass(SolverError, ValueError)


def test_certified_bound_is_rigorous() -> None:
    from types import SimpleNamespace

    from qcoord.games.npa import _build, _certified_bound

    for g in (chsh(), odd_cycle(5), r1_game()):
        q = quantum_lower_bound(g, seed=0).value
        for level in (1, "1+ab", 2):
            res = npa_upper_bound(g, level)
            assert q <= res.certified_bound  # no tolerance: the bound is exact arithmetic up to rounding
            assert res.certified_bound - res.value < 1e-6
        # Any Y >= 0, lambda >= 0 gives a valid (if loose) bound: try zero and random duals.
        problem, _, data, n, _, _ = _build(g, 2)
        rng = np.random.default_rng(0)
        X = rng.standard_normal((n, n))
        for Y in (np.zeros((n, n)), X @ X.T):
            fake = SimpleNamespace(
                constraints=[SimpleNamespace(dual_value=Y), SimpleNamespace(dual_value=rng.random(data["c0"].size))]
            )
            assert _certified_bound(fake, data, n) >= q


@settings(max_examples=40, deadline=None)
@given(
    nx=st.integers(1, 3), ny=st.integers(1, 3), na=st.integers(2, 3), nb=st.integers(2, 3),
    level=st.sampled_from([1, 2, 3, "1+ab", "2+aab", "1+aab+abb", "1+aaa", "2+abb"]),
)
def test_moment_matrix_size_closed_form_matches_enumeration(nx: int, ny: int, na: int, nb: int, level: object) -> None:
    from qcoord.games.npa import moment_matrix_size

    assert moment_matrix_size(level, (na, nb), (nx, ny)) == len(npa_words(level, (na, nb), (nx, ny)))


def test_too_large_level_is_refused_before_any_work() -> None:
    from qcoord.games import magic_square

    with pytest.raises(GameError, match=r"^level: 7 needs a moment matrix of side 5391568 .*max_matrix_size = 1000"):
        npa_upper_bound(magic_square(), 7)
    with pytest.raises(GameError, match="^level: 2 needs a moment matrix of side 13 "):
        npa_upper_bound(chsh(), 2, max_matrix_size=12)
    assert npa_upper_bound(chsh(), 7).value == pytest.approx(TSIRELSON, abs=1e-6)  # small games go high


def test_result_records_the_solver_tolerance() -> None:
    from qcoord.games.npa import solver_tolerance

    res = npa_upper_bound(chsh(), "1+ab")
    assert res.tolerance in (1e-8, 1e-7)  # Clarabel at its default, or the 1e-7 retry
    assert res.certified_bound >= TSIRELSON  # rigorous, whatever the tolerance
    assert solver_tolerance("SCS", {"eps": 1e-8, "max_iters": 10}) == 1e-8
    assert solver_tolerance("CLARABEL", {"tol_gap_abs": 1e-7, "tol_feas": 1e-6}) == 1e-6
    assert solver_tolerance("CLARABEL") == 1e-8
    assert math.isnan(solver_tolerance("MOSEK"))
