"""The coordination compiler: the pair game of the reference R1 and its values, policies, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcoord.compile import (
    CompileError,
    EstimatedCosts,
    POLICY_KINDS,
    classical_frontier,
    compile_game,
    enumerate_deterministic,
    is_threshold_rule,
    joint_table,
    solve,
    to_policy,
)
from qcoord.system import Exponential, Scenario, TwoPoint, simulate

LN2 = math.log(2.0)


@pytest.fixture(scope="module")
def r1():
    return Scenario(arrival_rate=0.1, handoff_delay=0.1, discipline="srpt")


@pytest.fixture(scope="module")
def r1_solution(r1):
    return solve(compile_game(r1, 0.5), restarts=8, seed=3)


def test_r1_payoff_is_the_closed_form(r1):
    cg = compile_game(r1, 0.5)
    s, l, d = 1 - LN2, 1 + LN2, 0.1
    V = cg.game.payoff
    # split and swap
    assert np.allclose(V[0, 0], -0.5) and np.allclose(V[1, 1], -0.5 - d)
    # consolidation at A (A keeps, B forwards): srpt cost d + min(s_fwd, max(s_keep - d, 0))
    for x, sa in enumerate((s, l)):
        for y, sb in enumerate((s, l)):
            assert V[0, 1, x, y] == pytest.approx(-(d + min(sb, max(sa - d, 0))) / 2, abs=1e-12)
            assert V[1, 0, x, y] == pytest.approx(-(d + min(sa, max(sb - d, 0))) / 2, abs=1e-12)
    assert np.allclose(cg.game.prob, 0.25)
    assert cg.game.question_names == (("short", "long"), ("short", "long"))


def test_r1_structure_split_iff_both_long(r1_solution):
    table = joint_table(r1_solution)
    for x in range(2):
        for y in range(2):
            a, b = table[x, y]
            assert (a == b) == (x == 1 and y == 1), (x, y, a, b)


def test_r1_values(r1_solution):
    sol = r1_solution
    assert sol.classical_value == pytest.approx(-0.33921, abs=1e-5)
    assert sol.brute_force_value == pytest.approx(sol.classical_value, abs=1e-12)
    assert sol.is_threshold
    a, b = sol.classical_strategy.alice, sol.classical_strategy.bob
    assert is_threshold_rule(a) and is_threshold_rule(b)
    assert sol.quantum_value == pytest.approx(-0.31661, abs=1e-5)
    assert sol.quantum_value > sol.classical_value + 0.02
    assert str(sol.npa.level) == "2"
    assert abs(sol.npa_value - sol.quantum_value) < 1e-6
    # the certified (dual) bound is a true upper bound on the attained value, and tight here
    assert sol.quantum_value <= sol.npa_bound < sol.quantum_value + 1e-6
    assert 0 <= sol.npa_gap < 1e-6
    assert sol.nonsignaling_value == pytest.approx(-0.26507, abs=1e-5)
    # the state is cos t |00> + sin t |11> up to local unitaries with t = 42.7 degrees (model.md 5)
    desc = sol.entangled_description()
    assert desc["schmidt_angle_deg"] == pytest.approx(42.7, abs=0.1)
    assert all(abs(np.linalg.norm(b) - 1) < 1e-6 for b in desc["alice_keep_bloch"] + desc["bob_keep_bloch"])
    # the entangled strategy's behaviour gives the reported value
    assert sol.compiled.game.value(sol.quantum.strategy.behaviour()) == pytest.approx(sol.quantum_value, abs=1e-9)


def test_r1_classical_and_ns_agree_with_toqito(r1):
    """Peer check. toqito's classical_value starts its maximum at 0, so shift payoffs to be positive."""
    toqito = pytest.importorskip("toqito")
    from toqito.nonlocal_games.nonlocal_game import NonlocalGame

    cg = compile_game(r1, 0.5)
    shift = 1.0
    prob, pay = cg.game.to_toqito()
    g = NonlocalGame(prob, pay + shift, reps=1)
    sol = solve(cg, quantum=False, npa_level=None)
    assert g.classical_value() - shift == pytest.approx(sol.classical_value, abs=1e-6)
    assert g.nonsignaling_value() - shift == pytest.approx(sol.nonsignaling_value, abs=1e-5)


def test_np_control_certified_zero_advantage():
    sc = Scenario(arrival_rate=0.1, handoff_delay=0.1, discipline="np")
    sol = solve(compile_game(sc, 0.5), restarts=4, seed=0)
    assert abs(sol.quantum_value - sol.classical_value) < 1e-6
    assert abs(sol.npa_value - sol.classical_value) < 1e-6
    assert abs(sol.nonsignaling_value - sol.classical_value) < 1e-6


def test_advantage_gone_at_large_delay():
    sc = Scenario(arrival_rate=0.1, handoff_delay=0.4, discipline="srpt")
    sol = solve(compile_game(sc, 0.5), restarts=4, seed=0, npa_level=None, nonsignaling=False)
    assert sol.quantum_value - sol.classical_value < 1e-6


@settings(max_examples=20, deadline=None)
@given(d=st.floats(0.0, 0.6), lam=st.floats(0.0, 2.0), disc=st.sampled_from(["srpt", "np", "fcfs"]))
def test_frontier_vertices_give_the_classical_optimum(d, lam, disc):
    """Independent method: the optimum over deterministic strategies of -W - lam p is attained at a
    vertex of the (p, W) lower hull, and equals the enumerated optimum of the compiled game."""
    sc = Scenario(arrival_rate=0.1, handoff_delay=d, discipline=disc)
    cg = compile_game(sc, lam)
    fr = classical_frontier(cg)
    best_vertex = max(-w - lam * p for p, w in zip(fr.split, fr.waiting))
    A, B = enumerate_deterministic(2, 2)
    best = max(cg.game.value(__import__("qcoord").games.DeterministicStrategy(a, b).behaviour((2, 2))) for a in A for b in B)
    assert best_vertex == pytest.approx(best, abs=1e-9)
    assert np.all(np.diff(fr.split) > 0) and np.all(np.diff(fr.waiting) < 0)
    # payoffs never exceed 0 and splits cost exactly lam
    assert np.allclose(cg.game.payoff[0, 0], -lam)


def test_closed_form_matches_simulation_at_low_load():
    """Cross-check against the simulator: at very low load a pair meets idle servers, so the
    simulated mean waiting equals the compiled one-shot waiting of the same rule."""
    sc = Scenario(arrival_rate=0.001, handoff_delay=0.1, n_pairs=50_000, warmup=100, replications=2, seed=5)
    sol = solve(compile_game(sc, 0.5), quantum=False, npa_level=None, nonsignaling=False)
    for kind in ("local", "local_asym", "oracle"):
        pol = to_policy(sol, kind)
        res = simulate(sc, pol)
        w_sim = float(np.mean(res.metrics["mean_waiting"][0]))
        if kind == "oracle":
            beh = np.zeros((2, 2, 2, 2))
            t = joint_table(sol)
            for x in range(2):
                for y in range(2):
                    beh[t[x, y, 0], t[x, y, 1], x, y] = 1.0
        else:
            beh = sol.classical_strategy.behaviour((2, 2))
        assert w_sim == pytest.approx(sol.compiled.waiting(beh), rel=0.02, abs=1.5e-3), kind


def test_continuous_demand_compiles():
    sc = Scenario(arrival_rate=0.1, demand=Exponential(), handoff_delay=0.1)
    cg = compile_game(sc, 0.5)
    assert cg.game.shape == (2, 2, 2, 2)
    # consolidating two short customers is cheaper than two long ones
    assert cg.cost[0, 1, 0, 0] < cg.cost[0, 1, 1, 1]
    assert np.all(np.isfinite(cg.cost))


def test_shared_mixture_hits_the_target_split(r1_solution):
    p = 0.3
    strategies, weights = r1_solution.frontier.mixture_at_split(p)
    got = sum(w * r1_solution.compiled.split_prob(s.behaviour((2, 2))) for s, w in zip(strategies, weights))
    assert got == pytest.approx(p, abs=1e-12)
    with pytest.raises(CompileError, match="split"):
        r1_solution.frontier.mixture_at_split(1.5)


def test_every_policy_kind_routes(r1, r1_solution):
    sc = r1.replace(n_pairs=2000, warmup=100, replications=1)
    pols = [to_policy(r1_solution, k, name=k) for k in POLICY_KINDS]
    pols.append(to_policy(r1_solution, "entangled", visibility=0.5, name="noisy"))
    res = simulate(sc, pols)
    assert set(res.policies) == set(POLICY_KINDS) | {"noisy"}
    assert np.all(np.isfinite(res.metrics["mean_waiting"]))


def test_estimated_costs_shape_checked(r1):
    bad = EstimatedCosts(cost=np.zeros((2, 2, 3, 3)), stderr=np.zeros((2, 2, 3, 3)), counts=np.zeros((2, 2, 3, 3), int), prob=np.full((3, 3), 1 / 9))
    with pytest.raises(CompileError, match="costs"):
        compile_game(r1, 0.5, costs=bad)


@pytest.mark.parametrize("lam", [-1.0, float("nan"), "x"])
def test_bad_lam(r1, lam):
    with pytest.raises(CompileError, match="^lam"):
        compile_game(r1, lam)


def test_bad_costs_and_kind(r1, r1_solution):
    with pytest.raises(CompileError, match="^costs"):
        compile_game(r1, 0.5, costs="magic")
    with pytest.raises(CompileError, match="^costs"):
        compile_game(r1.replace(backlog_levels=(0.0,)), 0.5)
    with pytest.raises(CompileError, match="^kind"):
        to_policy(r1_solution, "telepathy")


def test_threshold_rule_detection():
    assert is_threshold_rule((0, 0, 1, 1)) and is_threshold_rule((1, 0)) and not is_threshold_rule((0, 1, 0))
    assert is_threshold_rule((0, 1, 1, 1), num_classes=2)  # levels: (0,1) and (1,1) monotone
    with pytest.raises(CompileError):
        is_threshold_rule((0, 1, 1), num_classes=2)
