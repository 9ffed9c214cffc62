"""N-party NPA and no-signalling: closed forms, size guard, level strings, certified bounds, statuses."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from qcoord.games import GameError, NonsignalingError, SolverError
from qcoord.games.multiparty import (
    MultiGame,
    is_nonsignaling,
    mermin_ghz,
    moment_matrix_size,
    nonsignaling_value,
    npa_upper_bound,
    pairs_level,
    random_multigame,
    signaling_gap,
    svetlichny,
)
from qcoord.games.multiparty.npa import npa_words, parse_level


@pytest.mark.parametrize("level", [1, "1+ab+ac+bc", 2])
def test_mermin_ghz_npa_is_one(level):
    r = npa_upper_bound(mermin_ghz(), level=level)
    assert r.status == "optimal" and r.value == pytest.approx(1.0, abs=1e-6)
    assert r.certified_bound >= 1.0 - 1e-9 and r.certified_bound == pytest.approx(r.value, abs=1e-6)
    assert float(r) == r.value


def test_mermin_ghz_nonsignaling_is_one_and_behaviour_checks():
    g = mermin_ghz()
    r = nonsignaling_value(g)
    assert r.value == pytest.approx(1.0, abs=1e-9) and r.status == "optimal"
    assert is_nonsignaling(r.behaviour, atol=1e-8) and r.signaling_gap <= 1e-8
    assert g.value(r.behaviour) == pytest.approx(r.value, abs=1e-12)
    assert r.dual_bound == pytest.approx(r.value, abs=1e-7)


def test_signaling_detected():
    # party 0 answers party 1's question: p(a0, a1, a2 | x) = [a0 = x1] / 4 signals from 1 to 0
    p = np.zeros((2,) * 6)
    for x in np.ndindex(2, 2, 2):
        for a1, a2 in itertools.product(range(2), repeat=2):
            p[(x[1], a1, a2) + x] = 0.25
    # summing out party 1: p(a0, a2 | x) = [a0 = x1] / 2 changes by 1/2 with x1
    assert signaling_gap(p) == pytest.approx(0.5) and not is_nonsignaling(p)
    local = np.full((2,) * 6, 1 / 8)
    assert signaling_gap(local) == 0 and is_nonsignaling(local)


def test_svetlichny_levels_bracket_the_quantum_value():
    g = svetlichny()
    q = 0.5 + np.sqrt(2) / 4
    pairs = npa_upper_bound(g, pairs_level(3))
    assert pairs.value == pytest.approx(q, abs=1e-6) and pairs.certified_bound >= q - 1e-9
    one = npa_upper_bound(g, 1)
    assert one.value >= pairs.value - 1e-7  # level 1 is looser: the 3-body moments are free there
    assert nonsignaling_value(g).value == pytest.approx(1.0, abs=1e-9)


def test_word_counts_closed_form_equal_enumeration():
    for (A, X), level in itertools.product([((2, 2, 2), (2, 2, 2)), ((3, 2, 2), (2, 3, 1)), ((2, 1, 3), (3, 2, 2))],
                                           [1, 2, 3, "1+ab", "1+ab+ac+bc", "2+abc", "1+aab+c"]):
        words = npa_words(level, A, X)
        assert len(words) == len(set(words)) == moment_matrix_size(level, A, X)
        assert words[0] == ((),) * 3


def test_level_strings():
    assert parse_level("1+ab", 3) == (1, ((1, 1, 0),), "1+ab")
    assert parse_level(" 2 + ABC ", 3)[2] == "2+abc"
    assert pairs_level(4) == "1+ab+ac+ad+bc+bd+cd"
    for bad in (0, "0+ab", "1+ad", "x", True, 1.5, "1+"):
        with pytest.raises(GameError, match="level"):
            npa_upper_bound(mermin_ghz(), level=bad)


def test_size_guard_refuses_before_building():
    g = random_multigame(4, 3, 3, seed=0)
    assert moment_matrix_size(10**6, g.n_answers, g.n_questions, stop_above=1000) > 1000
    with pytest.raises(GameError, match="max_matrix_size"):
        npa_upper_bound(g, level=10**6)
    with pytest.raises(GameError, match="max_matrix_size"):
        npa_upper_bound(mermin_ghz(), level=2, max_matrix_size=10)
    with pytest.raises(GameError, match="time_limit"):
        npa_upper_bound(mermin_ghz(), time_limit=-1)


def test_failed_solver_raises():
    with pytest.raises(SolverError, match="no solver"):
        npa_upper_bound(mermin_ghz(), solvers=("NOT_A_SOLVER",))


def test_scaling_and_negative_payoffs():
    g = random_multigame(3, 2, 2, seed=9, kind="negative")
    r = npa_upper_bound(g, pairs_level(3))
    big = MultiGame(g.prob, g.payoff * 1e6)
    assert npa_upper_bound(big, pairs_level(3)).value == pytest.approx(1e6 * r.value, rel=1e-7)
    assert nonsignaling_value(big).value == pytest.approx(1e6 * nonsignaling_value(g).value, rel=1e-9)
    assert r.value < 0


def test_nonsignaling_refusals():
    with pytest.raises(GameError, match="tol"):
        nonsignaling_value(mermin_ghz(), tol=0)
    assert issubclass(NonsignalingError, GameError)


def test_inaccurate_solve_returns_the_certified_bound_or_refuses(monkeypatch):
    """As the two-player rules: an inaccurate SCS run returns its rigorous dual bound (still >= the
    quantum value), unless that bound is no better than the trivial one (then SolverError)."""
    import qcoord.games.npa as npa2

    q = 0.5 + np.sqrt(2) / 4
    monkeypatch.setitem(npa2.SOLVER_ATTEMPTS, "SCS", [{"eps": 1e-9, "max_iters": 100}])
    r = npa_upper_bound(svetlichny(), pairs_level(3), solvers=("SCS",))
    assert r.status == "optimal_inaccurate" and r.value == r.certified_bound
    assert q - 1e-9 <= r.value < 1.0  # rigorous, and better than the trivial bound 1
    monkeypatch.setitem(npa2.SOLVER_ATTEMPTS, "SCS", [{"eps": 1e-9, "max_iters": 5}])
    with pytest.raises(SolverError, match="trivial bound"):
        npa_upper_bound(svetlichny(), pairs_level(3), solvers=("SCS",))
