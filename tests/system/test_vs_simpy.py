"""The simulator against the independent SimPy model (tests/system/simpy_model.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qcoord.system import Scenario, TwoPoint, power, run_servers, setup, simulate

from . import simpy_model
from .helpers import always_split, consolidate_at, random_decisions, threshold_rule

LOW, HIGH = 1 - math.log(2), 1 + math.log(2)


@pytest.mark.parametrize("discipline", ["srpt", "np", "fcfs"])
@pytest.mark.parametrize("policy", [always_split(), consolidate_at(1), random_decisions(0.4)], ids=lambda p: p.name)
def test_replay_same_inputs_customer_by_customer(discipline, policy):
    """Same inputs and routing: SimPy gives the same completion times and idle intervals."""
    sc = Scenario(arrival_rate=0.45, discipline=discipline, demand=TwoPoint(), n_pairs=1_500, warmup=0,
                  replications=1, seed=21)
    inputs = sc.draw_inputs(0)
    routing = policy.route(inputs, sc)
    run = run_servers(inputs, routing, discipline)
    comp, idle = simpy_model.replay(inputs.arrival, inputs.demand, routing.dest, routing.release, discipline)
    np.testing.assert_allclose(run.completion, comp, rtol=1e-12, atol=1e-9)
    for k in (0, 1):
        starts = np.array([a for a, _ in idle[k]])
        ends = np.array([b for _, b in idle[k]])
        # SimPy records the initial idle interval and the final open one as well
        finite = np.isfinite(ends) & (ends > starts)
        np.testing.assert_allclose(starts[finite], run.gap_start[k], rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(ends[finite], run.gap_end[k], rtol=1e-12, atol=1e-9)
        assert starts[-1] == pytest.approx(run.last_completion[k], abs=1e-9)


def _welch_agree(a, b, z=3.0):
    a, b = np.asarray(a), np.asarray(b)
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    assert abs(a.mean() - b.mean()) <= z * se + 1e-12, (a.mean(), b.mean(), se)


def _simpy_rule(name):
    # decide(server, own_class) without roles (role_coin=False: server 0 is always A)
    return {
        "split": lambda j, c: 0,
        "consolidate1": lambda j, c: 1 if j == 0 else 0,
        "threshold": lambda j, c: 1 if (j == 1 and c == 0) else 0,
    }[name]


@pytest.mark.parametrize(
    "discipline, policy, rate",
    [
        ("srpt", threshold_rule(), 0.55),
        ("np", threshold_rule(), 0.55),
        ("fcfs", threshold_rule(), 0.55),
        ("srpt", always_split(), 0.55),
        ("np", consolidate_at(1), 0.4),
    ],
    ids=lambda v: v if isinstance(v, str) else getattr(v, "name", str(v)),
)
def test_independent_simpy_model_agrees_within_ci(discipline, policy, rate):
    """Own random streams on both sides; replication means agree within ~3 standard errors."""
    n_pairs, warmup, reps = 6_000, 300, 6
    sc = Scenario(arrival_rate=rate, discipline=discipline, demand=TwoPoint(), role_coin=False,
                  baseline=setup(1.0), n_pairs=n_pairs, warmup=warmup, replications=reps, seed=2024)
    ours = simulate(sc, policy, baselines={"sq": power(2)})
    theirs = [
        simpy_model.run_model(
            rate=rate,
            sample_demand=lambda rng: LOW if rng.random() < 0.5 else HIGH,
            classify=lambda s: 0 if s <= LOW else 1,
            decide=_simpy_rule(policy.name),
            d=sc.handoff_delay,
            discipline=discipline,
            n_pairs=n_pairs,
            warmup=warmup,
            seed=1000 + r,
            baselines={"setup1": lambda t: np.maximum(t - 1.0, 0.0), "sq": lambda t: t**2},
        )
        for r in range(reps)
    ]
    _welch_agree(ours.values("mean_waiting"), [t["mean_waiting"] for t in theirs])
    _welch_agree(ours.values("utilisation"), [t["utilisation"] for t in theirs])
    _welch_agree(ours.values("throughput"), [t["throughput[setup1]"] for t in theirs])
    _welch_agree(ours.values("throughput[sq]"), [t["throughput[sq]"] for t in theirs])
    _welch_agree(ours.values("split_prob"), [t["split_prob"] for t in theirs])


@pytest.mark.parametrize("discipline", ["srpt", "fcfs"])
def test_independent_simpy_model_continuous_demand(discipline):
    """Exponential demand observed through three bins, a rule forwarding the shortest bin, load 0.7."""
    from qcoord.system import Exponential

    rate, n_pairs, warmup, reps, edges = 0.7, 5_000, 300, 6, (0.4, 1.2)
    sc = Scenario(arrival_rate=rate, discipline=discipline, demand=Exponential(), class_edges=edges,
                  role_coin=False, baseline=power(2), handoff_delay=0.05, n_pairs=n_pairs, warmup=warmup,
                  replications=reps, seed=77)

    def decide(i):
        dec = np.zeros((i.n, 2), dtype=np.int8)
        dec[:, 1] = i.cls[:, 1] == 0
        return dec

    from .helpers import DecisionPolicy

    ours = simulate(sc, DecisionPolicy("shortest-bin", decide))
    theirs = [
        simpy_model.run_model(
            rate=rate,
            sample_demand=lambda rng: rng.exponential(1.0),
            classify=lambda s: int(s > edges[0]) + int(s > edges[1]),
            decide=lambda j, c: 1 if (j == 1 and c == 0) else 0,
            d=0.05,
            discipline=discipline,
            n_pairs=n_pairs,
            warmup=warmup,
            seed=500 + r,
            baselines={"sq": lambda t: t**2},
        )
        for r in range(reps)
    ]
    _welch_agree(ours.values("mean_waiting"), [t["mean_waiting"] for t in theirs])
    _welch_agree(ours.values("throughput"), [t["throughput[sq]"] for t in theirs])
    _welch_agree(ours.values("utilisation"), [t["utilisation"] for t in theirs])
