"""The end-to-end headline on a reduced run with fixed seeds: claim 1 and its linear control,
plus evaluate_point's contract (deterministic given the seed, one row per class)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qcoord.analysis import evaluate_point, run_point
from qcoord.analysis.claims import claim_convex_gain, claim_np_control, control_linear
from qcoord.system import Scenario, power, setup


@pytest.fixture(scope="module")
def headline_run():
    sc = Scenario(arrival_rate=0.1, handoff_delay=0.1, baseline=setup(2.0), n_pairs=15_000, warmup=1_000, replications=6, seed=2024)
    return run_point(sc, ("local", "local_asym", "entangled"), baselines={"linear": power(1.0)}, restarts=4, npa=False)


def test_claim1_entangled_beats_best_local_at_equal_waiting(headline_run):
    c = claim_convex_gain(headline_run)
    assert c.held, c.figure
    g = c.details["gain"]
    assert g["ci_low"] > 0
    # relative size in the range the first study found (+0.5% for (t-2)+ at utilisation 0.1)
    assert 0.001 < c.details["gain_relative"]["mean"] < 0.01
    # the local reference includes role-asymmetric policies and the matched mixtures
    assert any(n.endswith(":asym") for n in headline_run.local_names)
    assert "mix:entangled:sym" in headline_run.local_names and "mix:entangled:asym" in headline_run.local_names
    assert c.details["matched_asymmetric"]["gain_relative"]["ci_low"] > 0
    # the role-symmetric mixture is tuned to the entangled strategy's waiting (linear in the weight at low load)
    assert abs(c.details["matched_symmetric"]["waiting_diff"]["mean"]) < 0.01
    # the gain against the concave envelope is the conservative one
    assert c.details["gain_relative_concave_envelope"]["mean"] <= c.details["gain_relative"]["mean"] + 1e-12


def test_control2_linear_no_gain(headline_run):
    c = control_linear(headline_run, baseline="linear")
    assert c.held, c.figure
    g = c.details["gain"]
    assert g["ci_low"] <= 0 <= g["ci_high"] or abs(g["mean"]) < 1e-4
    # linear T: throughput is 2 (1 - utilisation) for every policy
    m = headline_run.metrics["linear"]["entangled"]
    assert np.allclose(m["throughput"], 2 * (1 - m["utilisation"]), rtol=1e-9)


def test_claim7_np_certified():
    c = claim_np_control(Scenario(), 0.5, restarts=4)
    assert c.held, c.figure


def test_evaluate_point_rows_and_determinism():
    sc = Scenario(arrival_rate=0.1, baseline=setup(2.0), n_pairs=4_000, warmup=400, replications=3)
    classes = ("local", "entangled", "hold", "oracle")
    rows = evaluate_point(sc, classes, replications=3, seed=11)
    again = evaluate_point(sc, classes, replications=3, seed=11)
    assert [r["class"] for r in rows] == list(classes)
    for r, s in zip(rows, again):
        for k, v in r.items():
            if isinstance(v, float) and math.isnan(v):
                assert math.isnan(s[k])
            else:
                assert s[k] == v, k
    ent = rows[1]
    for key in ("mean_waiting", "throughput", "split_prob", "gain_equal_waiting", "gain_ci_low", "gain_ci_high", "seed"):
        assert key in ent
    assert ent["seed"] == 11 and ent["replications"] == 3
    assert ent["mean_waiting_ci_low"] <= ent["mean_waiting"] <= ent["mean_waiting_ci_high"]
    # the oracle is an upper reference: it beats the best local frontier
    assert rows[3]["gain_equal_waiting"] > 0
    # a different seed changes the inputs
    other = evaluate_point(sc, classes, replications=3, seed=12)
    assert other[1]["mean_waiting"] != ent["mean_waiting"]


def test_frontier_and_compare_on_common_inputs():
    from qcoord.analysis import compare, frontier

    sc = Scenario(arrival_rate=0.1, baseline=setup(2.0), n_pairs=6_000, warmup=500, replications=4, seed=8)
    ent = frontier(sc, "entangled", [0.45, 0.5, 0.55])
    loc = frontier(sc, "local", [0.0, 0.3, 1.0])
    assert ent.waiting.shape == (4, 3) and loc.throughput.shape == (4, 3)
    # the local optimum moves along the frontier: more splits (less waiting) as lam falls
    assert np.mean(loc.split[:, 0]) > np.mean(loc.split[:, 1]) > np.mean(loc.split[:, 2])
    gains = compare(ent, loc)
    assert len(gains) == 3 and gains[1].low > 0  # lam = 0.5: significant gain
    curve = ent.curve()
    assert curve["lam"] == [0.45, 0.5, 0.55] and all(lo <= m <= hi for lo, m, hi in zip(curve["t_lo"], curve["t"], curve["t_hi"]))


def test_backlog_scope_check_is_certified_and_reported():
    import dataclasses

    from qcoord.analysis.claims import QUICK, scope_backlog

    cfg = dataclasses.replace(QUICK, backlog=True, backlog_pairs=12_000, replications=3, backlog_lams=(0.5,))
    c = scope_backlog(Scenario(baseline=setup(2.0)), cfg, seed=4)
    assert isinstance(c.held, bool)
    scan = c.details["scan"][0]
    # NPA level 2 bounds every quantum strategy: it is >= the see-saw value >= the classical value
    assert scan["npa2"] >= scan["quantum"] - 1e-6 and scan["quantum"] >= scan["classical"] - 1e-9
    assert scan["nonsignaling"] >= scan["npa2"] - 1e-6
    assert set(c.details["gains"]) == {"entangled-class-only", "entangled-class-estimated", "entangled-busy"}
    assert c.params["arrival_rate"] == 0.3 and "busy flag" in c.title


def test_claim1_premise_concave_t_is_not_a_verdict():
    from qcoord.system import Baseline

    concave = Baseline(np.sqrt, name="sqrt(t)")
    sc = Scenario(arrival_rate=0.1, handoff_delay=0.1, baseline=concave, n_pairs=3_000, warmup=300, replications=2, seed=5)
    run = run_point(sc, ("local", "entangled"), restarts=2, npa=False)
    c = claim_convex_gain(run)
    assert c.held is None and c.verdict == "premise fails"
    assert "convex" in c.figure and "sqrt(t)" in c.figure


def test_frontier_grid_is_local_and_only_tightens_the_frontier(headline_run):
    from qcoord.analysis.core import local_mixture_grid, local_reference_policies
    from qcoord.analysis.stats import AnalysisError

    grid = [n for n in headline_run.local_names if n.startswith("grid:")]
    k = len(headline_run.solution.frontier.strategies)
    assert len(grid) == 2 * 3 * k * (k - 1) // 2  # sym + asym, 3 weights, every pair of vertices
    assert all(headline_run.metrics["baseline"][n]["throughput"].shape == (6,) for n in grid)
    # more local points can only raise the concave envelope of the local points, so the gain against
    # it never grows with the grid (the neighbour-interpolated Pareto front has no such property:
    # a new non-dominated point below a chord lowers it there)
    bare = run_point(headline_run.scenario, ("local", "local_asym", "entangled"), restarts=4, npa=False, frontier_grid=())
    assert not any(n.startswith("grid:") for n in bare.local_names)
    assert set(bare.local_names) < set(headline_run.local_names)
    _, with_grid = headline_run.gain("entangled", envelope="upper")
    _, without = bare.gain("entangled", envelope="upper")
    assert np.all(with_grid <= without + 1e-12)
    with pytest.raises(AnalysisError, match="frontier_grid"):
        local_mixture_grid(headline_run.solution, local_reference_policies(headline_run.solution), (0.5, 1.0))


def test_every_bracketing_pair_is_simulated_once_at_the_target_waiting(headline_run):
    from qcoord.analysis.core import _bracketing_pairs

    m = headline_run.metrics["baseline"]
    for fam in ("sym", "asym"):
        refs = [n for n in headline_run.local_names if n.startswith("ref:") and n.endswith(f":{fam}")]
        pairs = _bracketing_pairs(m, refs, "entangled")
        assert len(pairs) >= 1, fam
        # the pair matched_mixture picked runs as mix:entangled:<fam>; every other bracketing pair
        # under its own name, and none twice (no two mixtures share their simulated numbers)
        names = [n for n in headline_run.local_names if n.startswith("mix:entangled:ref:") and n.endswith(f":{fam}")]
        assert len(names) == len(pairs) - 1
        assert {n[len("mix:entangled:"):-len(f":{fam}")] for n in names} <= {f"{r0}+{r1}" for _, r0, r1, _ in pairs}
        chosen = m[f"mix:entangled:{fam}"]
        assert not any(np.array_equal(m[n]["throughput"], chosen["throughput"]) for n in names)
        # each is tuned to the entangled strategy's waiting (linear in the weight at low load)
        for n in names + [f"mix:entangled:{fam}"]:
            assert abs(np.mean(m[n]["mean_waiting"]) - np.mean(m["entangled"]["mean_waiting"])) < 0.03
