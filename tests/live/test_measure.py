"""qcoord.live.measure and the pieces of the live system that need no process (fast).

Cross-checks: the figures computed from per-customer records equal the simulator's own metrics
(``qcoord.system.simulate``) on the same run; the chi-square equals scipy's per question pair; the
online pool of the link service equals the batch ``EntanglementPool.schedule``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcoord.compile import compile_game, solve, to_policy
from qcoord.entanglement import EntanglementPool
from qcoord.live import LiveConfig, check_live_policy, chi_square, figures
from qcoord.live.measure import batch_bounds, compare
from qcoord.policies import Correlated
from qcoord.system import Scenario, setup, simulate
from qcoord.system.simulate import run_servers


@pytest.fixture(scope="module")
def solution():
    sc = Scenario(arrival_rate=0.1, handoff_delay=0.1, baseline=setup(2.0), n_pairs=3000, warmup=50, replications=1, seed=5)
    return sc, solve(compile_game(sc, lam=0.5))


def _sim_figures(sc, pol, batches=10):
    inputs = sc.draw_inputs(0)
    routing = pol.route(inputs, sc)
    run = run_servers(inputs, routing, sc.discipline)
    w = run.completion - inputs.arrival[:, None] - inputs.demand
    split = routing.dest[:, 0] != routing.dest[:, 1]
    runs = tuple(np.column_stack([np.append(run.gap_start[k], run.last_completion[k]), np.append(run.gap_end[k], np.inf)]) for k in (0, 1))
    return figures(inputs.arrival, w, split, runs, sc.baseline, sc.warmup, batches)


@pytest.mark.parametrize("kind", ["local", "entangled", "hold"])
def test_figures_equal_the_simulators_metrics(solution, kind):
    sc, sol = solution
    pol = to_policy(sol, kind)
    f = _sim_figures(sc, pol)
    res = simulate(sc, pol)
    for m in ("mean_waiting", "waiting_p50", "waiting_p95", "waiting_p99", "split_prob", "throughput"):
        assert f.values[m] == pytest.approx(res.mean(m), rel=1e-9, abs=1e-9), m
    # batch values: waiting and split batches average to the whole (equal batches up to one pair)
    assert np.mean(f.batches["mean_waiting"]) == pytest.approx(f.values["mean_waiting"], rel=0.02)
    assert np.all(np.isfinite(f.batches["throughput"])) and f.batches["throughput"].shape == (10,)


def test_compare_same_figures_is_zero_and_within(solution):
    sc, sol = solution
    f = _sim_figures(sc, to_policy(sol, "local"))
    c = compare(f, f, "mean_waiting")
    assert c.difference.mean == 0.0 and c.difference.half_width == 0.0 and c.within
    assert c.combined_half_width == pytest.approx(np.sqrt(2) * c.measured.half_width)


def test_batch_bounds():
    b = batch_bounds(103, 10)
    assert b[0] == 0 and b[-1] == 103 and np.all(np.diff(b) >= 10)
    with pytest.raises(ValueError, match="batches"):
        batch_bounds(10, 6)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=4, max_size=4), st.floats(0.05, 0.95))
def test_chi_square_equals_scipy_on_one_question_pair(counts, q):
    from scipy.stats import chisquare

    O = np.zeros((2, 2, 1, 1))
    O[:, :, 0, 0] = np.reshape(counts, (2, 2))
    if O.sum() == 0:
        return
    p = np.array([[q / 2, (1 - q) / 2], [(1 - q) / 2, q / 2]])
    E = O.sum() * p[:, :, None, None]
    ours = chi_square(O, E)
    ref = chisquare(O.ravel(), E.ravel())
    assert ours["statistic"] == pytest.approx(ref.statistic, rel=1e-9)
    assert ours["p_value"] == pytest.approx(ref.pvalue, rel=1e-7, abs=1e-12)
    assert ours["dof"] == 3


def test_chi_square_impossible_cell_has_p_zero():
    O = np.zeros((2, 2, 1, 1))
    O[0, 1, 0, 0] = 1
    O[0, 0, 0, 0] = 5
    E = np.zeros_like(O)
    E[0, 0, 0, 0] = 6
    assert chi_square(O, E)["p_value"] == 0.0


@settings(max_examples=20, deadline=None)
@given(st.lists(st.floats(0.0, 50.0), min_size=1, max_size=60), st.integers(0, 2**31), st.sampled_from(["oldest", "freshest"]))
def test_online_pool_equals_batch_schedule(times, seed, consume):
    """The link service serves request i with ``schedule(times[: i + 1])[-1]`` (same seed):
    the pool kernel is causal, so this equals request i of the batch schedule."""
    t = np.sort(np.asarray(times))
    pool = EntanglementPool(rate=0.3, capacity=2, memory_time=5.0, cutoff=8.0, consume=consume)
    batch = pool.schedule(t, np.random.default_rng(seed))
    for i in range(t.size):
        d = pool.schedule(t[: i + 1], np.random.default_rng(seed))
        assert bool(d.fallback[-1]) == bool(batch.fallback[i])
        if not batch.fallback[i]:
            assert d.visibility[-1] == pytest.approx(batch.visibility[i], rel=1e-12)


def test_config_errors_name_the_field():
    for kw, field in ((dict(time_unit_ms=0.1), "time_unit_ms"), (dict(n_pairs=10), "n_pairs"),
                      (dict(warmup=-1), "warmup"), (dict(batches=1000), "batches"), (dict(seed=-3), "seed"),
                      (dict(stagger=2.0), "stagger")):
        with pytest.raises(ValueError, match=f"^{field}: "):
            LiveConfig(**kw)


def test_policies_that_cannot_run_live_are_refused(solution):
    sc, sol = solution
    with pytest.raises(ValueError, match="oracle"):
        check_live_policy(to_policy(sol, "oracle"))
    box = Correlated(sol.quantum.strategy.behaviour())
    with pytest.raises(ValueError, match="Correlated"):
        check_live_policy(box)
    assert check_live_policy(to_policy(sol, "shared")) == "local"
    assert check_live_policy(to_policy(sol, "naive")) == "message"
    assert check_live_policy(to_policy(sol, "entangled")) == "entangled"
