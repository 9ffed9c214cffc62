"""Costs estimated by simulation at load: agreement with the closed form at low load, the bigger
(class, busy flag) game, convergence reporting, entangled policies fed by a pair pool."""

from __future__ import annotations

import numpy as np
import pytest

from qcoord.compile import CompileError, compile_game, estimate_costs, solve, to_policy
from qcoord.entanglement import EntanglementPool
from qcoord.system import Scenario, simulate


def test_low_load_estimate_matches_closed_form():
    sc = Scenario(arrival_rate=0.001, n_pairs=40_000, warmup=500, replications=2, seed=9)
    est = estimate_costs(sc, 0.5, iterations=2, seed=4)
    closed = compile_game(sc, 0.5).cost
    # within 5 standard errors plus the O(load) bias
    assert np.all(np.abs(est.cost - closed) <= 5 * est.stderr + 0.01)
    assert np.all(est.counts > 100)
    assert est.prob.sum() == pytest.approx(1.0)
    assert est.converged and est.iterations == 2
    # the estimated game has the closed-form game's optimum
    a = solve(compile_game(sc, 0.5, costs=est), quantum=False, npa_level=None, nonsignaling=False)
    b = solve(compile_game(sc, 0.5), quantum=False, npa_level=None, nonsignaling=False)
    assert a.classical_value == pytest.approx(b.classical_value, abs=0.01)


def test_busy_flag_game_at_load():
    sc = Scenario(arrival_rate=0.3, backlog_levels=(0.0,), n_pairs=20_000, warmup=1_000, replications=2, seed=1)
    est = estimate_costs(sc, 0.5, seed=2)
    cg = compile_game(sc, 0.5, costs=est)
    assert cg.game.shape == (2, 2, 4, 4)
    assert cg.game.question_names[0] == ("short/idle", "short/busy", "long/idle", "long/busy")
    # consolidating at a busy keeper costs more than at an idle one (same classes)
    assert est.cost[0, 1, 1, 0] > est.cost[0, 1, 0, 0]
    # an idle server is more likely than a busy one at utilisation 0.3
    q = est.prob.sum(axis=1)
    assert q[0] > q[1] and q[2] > q[3]
    assert len(est.history) == est.iterations and isinstance(est.converged, bool)
    sol = solve(cg, restarts=2, seed=0, npa_level=None)
    assert sol.quantum_value >= sol.classical_value - 1e-9
    assert sol.nonsignaling_value >= sol.quantum_value - 1e-6


def test_estimate_bad_arguments():
    sc = Scenario(n_pairs=2_000, warmup=100)
    with pytest.raises(CompileError, match="^iterations"):
        estimate_costs(sc, 0.5, iterations=0)
    with pytest.raises(CompileError, match="^explore"):
        estimate_costs(sc, 0.5, explore=0.0)


def test_entangled_through_a_pool_falls_back_when_pairs_run_out():
    sc = Scenario(arrival_rate=0.1, n_pairs=5_000, warmup=200, replications=1, seed=3)
    sol = solve(compile_game(sc, 0.5), restarts=2, seed=0, npa_level=None, nonsignaling=False)
    scarce = to_policy(sol, "entangled", source=EntanglementPool(rate=0.02, capacity=1), name="scarce")
    ideal = to_policy(sol, "entangled", name="ideal")
    local = to_policy(sol, "local", name="local")
    res = simulate(sc, [scarce, ideal, local])
    p = {n: float(res.metrics["split_prob"][i][0]) for i, n in enumerate(res.policies)}
    # with pairs at 1/5 of the request rate most decisions are the classical fallback
    assert abs(p["scarce"] - p["local"]) < abs(p["ideal"] - p["local"])
    inputs = sc.draw_inputs(0)
    info = scarce.route(inputs, sc).info
    assert info["fallbacks"] > 0.5 * inputs.n
