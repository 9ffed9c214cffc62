"""simulate() and SimulationResult: reproducibility, CRN, metrics, errors, result API."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qcoord.system import (
    FORWARD,
    KEEP,
    METRICS,
    Routing,
    RoutingError,
    Scenario,
    ScenarioError,
    estimate,
    power,
    routing_from_decisions,
    routing_with_holds,
    setup,
    simulate,
)

from .helpers import DecisionPolicy, always_split, always_swap, consolidate_at, random_decisions, threshold_rule

SC = Scenario(arrival_rate=0.3, n_pairs=8_000, warmup=200, replications=4, seed=17)


def test_same_seed_same_numbers_and_crn():
    pols = [always_split(), threshold_rule()]
    a = simulate(SC, pols)
    b = simulate(SC, pols)
    for m in METRICS:
        np.testing.assert_array_equal(a.metrics[m], b.metrics[m])
    # replication r is the same whatever the number of replications
    c = simulate(SC, pols, replications=2)
    np.testing.assert_array_equal(c.metrics["mean_waiting"], a.metrics["mean_waiting"][:, :2])
    # a policy's numbers do not depend on which other policies run beside it
    d = simulate(SC, [threshold_rule()])
    np.testing.assert_array_equal(d.metrics["throughput"][0], a.metrics["throughput"][1])
    e = simulate(SC.replace(seed=18), pols)
    assert not np.array_equal(e.metrics["mean_waiting"], a.metrics["mean_waiting"])
    assert a.seed == 17 and a.scenario == SC and a.replications == (0, 1, 2, 3)


def test_metrics_are_consistent():
    pols = [always_split(), always_swap(), consolidate_at(0), threshold_rule(), random_decisions(0.5)]
    res = simulate(SC, pols)
    m = res.metrics
    assert m["mean_waiting"].shape == (5, 4)
    np.testing.assert_array_equal(m["split_prob"][0], 1.0)
    np.testing.assert_array_equal(m["swap_prob"][1], 1.0)
    np.testing.assert_array_equal(m["split_prob"][2], 0.0)
    np.testing.assert_allclose(m["split_prob"] + m["consolidation_prob"], 1.0)
    # threshold rule: B forwards its short customer: split iff B's customer is long (prob 1/2)
    assert res.summary("split_prob", "threshold").contains(0.5)
    # random decisions: split = P(KEEP,KEEP) + P(FWD,FWD) = 1/2, swap = 1/4
    assert res.summary("swap_prob", "random0.5").contains(0.25)
    # swap: everyone pays d; split at low load: most customers are served at once (waiting exactly 0)
    assert np.all(m["waiting_p50"][1] >= SC.handoff_delay - 1e-9)
    np.testing.assert_array_equal(m["waiting_p50"][0], 0.0)
    assert np.all(m["waiting_p50"] <= m["waiting_p95"]) and np.all(m["waiting_p95"] <= m["waiting_p99"])
    # fewer interruptions under consolidation -> higher setup(1) throughput; same total idle time
    assert np.all(m["interruption_rate"][2] < m["interruption_rate"][0])
    assert np.all(m["throughput"][2] > m["throughput"][0])
    np.testing.assert_allclose(m["utilisation"], 0.3, atol=0.02)
    assert np.all(m["drain_time"] < 30)


def test_drain_time_flags_an_overloaded_server():
    sc = SC.replace(arrival_rate=0.6, replications=2)  # consolidating everything loads server 0 at 1.2
    res = simulate(sc, [always_split(), consolidate_at(0)])
    assert np.all(res.values("drain_time", "split") < 30)
    # work arrives at 1.2 per unit time and is served at 1: backlog ~ 0.2 * span at the end
    span = res.window[:, 1] - res.window[:, 0]
    assert np.all(res.values("drain_time", "consolidate0") > 0.1 * span)


def test_waiting_by_hand_on_a_small_trace():
    # pairs at 0, 1, 10 ; demands fixed via an empirical law is random, so build inputs by hand
    sc = Scenario(arrival_process="trace", arrival_times=(0.0, 1.0, 10.0), n_pairs=3, warmup=0, replications=1,
                  handoff_delay=0.5, discipline="fcfs", baseline=power(1))
    inputs = sc.draw_inputs(0)
    s = inputs.demand
    dec = np.array([[KEEP, FORWARD], [KEEP, KEEP], [FORWARD, FORWARD]], dtype=np.int8)
    pol = DecisionPolicy("hand", lambda i: dec)
    res = simulate(sc, pol, keep_idle_runs=True)
    # server 0: pair0 c0 at 0, pair0 c1 at 0.5, pair1 c0 at 1 (fcfs), pair2 c1 at 10.5
    c00 = s[0, 0]
    c01 = max(c00, 0.5) + s[0, 1]
    c10 = max(c01, 1.0) + s[1, 0]
    # server 1: pair1 c1 at 1, pair2 c0 at 10.5
    c11 = 1.0 + s[1, 1]
    w = [c00 - s[0, 0], c01 - s[0, 1], c10 - 1 - s[1, 0], c11 - 1 - s[1, 1], 0.5, 0.5]
    assert res.mean("mean_waiting") == pytest.approx(np.mean(w))
    assert res.mean("split_prob") == pytest.approx(2 / 3)
    assert res.mean("swap_prob") == pytest.approx(1 / 3)
    # window [0, 10]; server 0 busy [0, c10], server 1 busy [1, c11]
    idle = (10 - c10) + 1.0 + (10 - c11)
    assert res.mean("utilisation") == pytest.approx(1 - idle / 20)
    np.testing.assert_allclose(np.sort(res.idle_runs[0][0]), np.sort([10 - c10, 1.0, 10 - c11]))
    assert res.mean("throughput") == pytest.approx(idle / 10)


def test_holds_and_delayed_releases():
    sc = SC.replace(replications=1)
    inputs = sc.draw_inputs(0)
    dec = np.tile(np.array([KEEP, FORWARD], dtype=np.int8), (inputs.n, 1))
    hold = np.zeros((inputs.n, 2))
    hold[:, 1] = sc.message_latency
    r = routing_with_holds(inputs, sc, dec, hold)
    np.testing.assert_allclose(r.release[:, 1], inputs.arrival + sc.message_latency + sc.handoff_delay)
    np.testing.assert_allclose(r.release[:, 0], inputs.arrival)
    np.testing.assert_array_equal(r.dest, np.zeros((inputs.n, 2)))

    class Held:
        name = "held"

        def route(self, i, s):
            return routing_with_holds(i, s, dec, hold)

    res = simulate(sc, [Held(), consolidate_at(0)])
    assert res.paired_difference("mean_waiting", "held", "consolidate0").mean > 0
    with pytest.raises(RoutingError, match="^hold"):
        routing_with_holds(inputs, sc, dec, -hold - 1)


def test_bad_policies_and_routings():
    n = SC.n_pairs

    class Bad:
        def __init__(self, name, fn):
            self.name, self.fn = name, fn

        def route(self, i, s):
            return self.fn(i, s)

    good = routing_from_decisions
    zeros = lambda i: np.zeros((i.n, 2), np.int8)  # noqa: E731
    cases = [
        (lambda i, s: "nope", "^routing: policy"),
        (lambda i, s: Routing(np.zeros((3, 2), np.int8), np.zeros((3, 2)), np.zeros((3, 2), np.int8)), "^routing.dest"),
        (lambda i, s: Routing(np.ones((i.n, 2), np.int8), i.arrival[:, None] + np.zeros((1, 2)), zeros(i)),
         "^routing.decision"),
        (lambda i, s: Routing(good(i, s, zeros(i)).dest, good(i, s, zeros(i)).release - 1.0, zeros(i)),
         "^routing.release"),
    ]
    for fn, msg in cases:
        with pytest.raises(RoutingError, match=msg):
            simulate(SC, Bad("bad", fn), replications=1)
    with pytest.raises(RoutingError, match="^decision"):
        simulate(SC, DecisionPolicy("two", lambda i: np.full((i.n, 2), 2)), replications=1)
    with pytest.raises(ValueError, match="^policies: names must be unique"):
        simulate(SC, [always_split(), always_split()])
    with pytest.raises(TypeError, match="^policies"):
        simulate(SC, [object()])
    with pytest.raises(TypeError, match="^policies: must be a Policy or a sequence of Policy objects, got int"):
        simulate(SC, 3)  # was "'int' object is not iterable"
    with pytest.raises(ScenarioError, match="^arrival_rate"):
        simulate(SC.replace(arrival_rate=1.0), always_split())
    with pytest.raises(ScenarioError, match="^replications"):
        simulate(SC, always_split(), replications=0)
    assert n == 8_000


def test_result_api():
    calls = []
    res = simulate(SC, [always_split(), consolidate_at(0)], progress=lambda d, t: calls.append((d, t)),
                   baselines={"sq": power(2), "lin": "linear"}, keep_idle_runs=True)
    assert calls[-1] == (8, 8) and len(calls) == 8
    np.testing.assert_allclose(res.throughput_for(power(2)), res.metrics["throughput[sq]"], rtol=1e-12)
    np.testing.assert_allclose(res.throughput_for(setup(1.0)), res.metrics["throughput"], rtol=1e-12)
    np.testing.assert_allclose(res.metrics["throughput[lin]"], 2 * (1 - res.metrics["utilisation"]), atol=1e-12)
    df = res.to_frame()
    assert isinstance(df, pd.DataFrame) and len(df) == 8
    assert {"policy", "replication", "seed", "mean_waiting", "throughput[sq]"} <= set(df.columns)
    assert df.groupby("policy")["mean_waiting"].mean()["split"] == pytest.approx(res.mean("mean_waiting", "split"))
    summ = res.summary_frame()
    assert summ.loc["consolidate0", "split_prob"] == 0.0 and "throughput_ci" in summ.columns
    diff = res.paired_difference("throughput", "consolidate0", "split")
    vals = res.values("throughput", "consolidate0") - res.values("throughput", "split")
    assert diff.mean == pytest.approx(vals.mean()) and diff.n == 4
    # paired CI (common random numbers) is tighter than the unpaired one
    unpaired = np.sqrt(res.summary("throughput", 0).half_width ** 2 + res.summary("throughput", 1).half_width ** 2)
    assert diff.half_width < unpaired
    lo, hi = res.ci("mean_waiting", "split")
    assert lo < res.mean("mean_waiting", "split") < hi
    assert res.to_dict()["scenario"]["seed"] == 17
    assert len(res.policy_info) == 2 and all(len(p) == 4 for p in res.policy_info)
    with pytest.raises(ValueError, match="^policy"):
        res.values("throughput", "nobody")
    with pytest.raises(ValueError, match="^metric"):
        res.values("speed", "split")
    plain = simulate(SC, always_split(), replications=1)
    assert plain.summary("throughput").half_width == np.inf
    with pytest.raises(ValueError, match="^idle_runs"):
        plain.throughput_for(power(2))


def test_estimate_t_interval():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    e = estimate(x)
    # t_{0.975, 3} = 3.182446
    assert e.half_width == pytest.approx(3.182446 * np.std(x, ddof=1) / 2, rel=1e-6)
    assert e.contains(2.5) and float(e) == 2.5


def test_rich_progress_is_accepted():
    from rich.progress import Progress

    with Progress(disable=True) as prog:
        simulate(SC, always_split(), replications=2, progress=prog)
        assert prog.tasks[0].completed == 2


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from qcoord.system import run_servers  # noqa: E402
from qcoord.system._kernels import run_queue_reference  # noqa: E402


@settings(max_examples=30)
@given(
    seed=st.integers(0, 10_000),
    discipline=st.sampled_from(["srpt", "np", "fcfs"]),
    d=st.sampled_from([0.0, 0.1, 0.7]),
    p_hold=st.sampled_from([0.0, 0.3]),
)
def test_run_servers_equals_sorted_reference(seed, discipline, d, p_hold):
    """Merging (including the sorting fallback for held customers) + kernels == sort + Python reference."""
    sc = Scenario(arrival_rate=0.6, discipline=discipline, handoff_delay=d, n_pairs=60, warmup=0, replications=1,
                  seed=seed)
    inputs = sc.draw_inputs(0)
    dec = (inputs.uniforms[:, :2] < 0.5).astype(np.int8)
    hold = np.where(inputs.uniforms[:, 2:4] < p_hold, 20.0 * inputs.uniforms[:, 2:4], 0.0)  # up to 6: out of order
    routing = routing_with_holds(inputs, sc, dec, hold)
    run = run_servers(inputs, routing, discipline)
    for k in (0, 1):
        jobs = sorted(
            (float(routing.release[n, j]), int(dec[n, j]), 2 * n + j)
            for n in range(inputs.n) for j in (0, 1) if routing.dest[n, j] == k
        )
        rel = [r for r, _, _ in jobs]
        size = [float(inputs.demand.ravel()[f]) for _, _, f in jobs]
        comp, gs, ge, last = run_queue_reference(rel, size, discipline)
        np.testing.assert_array_equal(run.completion.ravel()[[f for _, _, f in jobs]], comp)
        np.testing.assert_array_equal(run.gap_start[k], gs)
        np.testing.assert_array_equal(run.gap_end[k], ge)
        assert run.last_completion[k] == last
    waiting = run.completion - (inputs.arrival[:, None] + inputs.demand)
    assert np.all(waiting >= np.where(dec == FORWARD, d, 0.0) + hold - 1e-9)
