"""The N-server simulator: N = 2 reproduces the two-server simulator bit for bit, an independent SimPy
model agrees for N = 3, the M/G/1 closed form holds for always-split FCFS, and isolated groups cost
exactly what the compiler's low-load formula says."""

from __future__ import annotations

import heapq
import itertools

import numpy as np
import pytest

from qcoord.system import Scenario, simulate
from qcoord.system.fanout import FANOUT_METRICS, FanoutScenario, GroupRouting, group_routing, simulate_fanout
from qcoord.system.interface import ScenarioError
from qcoord.system.routing import routing_with_holds


def _decisions(n: int, k: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2, size=(n, k)).astype(np.int8)


class _TwoServer:
    def __init__(self, name: str, seed: int, hold: float) -> None:
        self.name, self.seed, self.hold = name, seed, hold

    def route(self, inputs, scenario):
        dec = _decisions(inputs.n, 2, self.seed + inputs.replication)
        h = None if self.hold == 0 else np.full((inputs.n, 2), self.hold)
        return routing_with_holds(inputs, scenario, dec, h)


class _Group:
    def __init__(self, name: str, seed: int, hold: float) -> None:
        self.name, self.seed, self.hold = name, seed, hold

    def route(self, inputs, scenario):
        dec = _decisions(inputs.n, inputs.k, self.seed + inputs.replication)
        return group_routing(inputs, scenario, dec, hold=None if self.hold == 0 else self.hold)


@pytest.mark.parametrize("discipline", ["srpt", "np", "fcfs"])
@pytest.mark.parametrize("demand", [{"kind": "two_point"}, {"kind": "exponential", "mean": 1.0}])
def test_two_servers_reproduce_the_two_server_simulator_exactly(discipline, demand):
    common = dict(arrival_rate=0.35, discipline=discipline, demand=demand, warmup=500, replications=2, seed=11, handoff_delay=0.2)
    two = simulate(Scenario(n_pairs=8000, **common), [_TwoServer("a", 1, 0.0), _TwoServer("b", 5, 0.3)])
    many = simulate_fanout(FanoutScenario(n_servers=2, fanout=2, n_groups=8000, **common), [_Group("a", 1, 0.0), _Group("b", 5, 0.3)])
    for m in two.metrics:
        assert np.array_equal(two.metrics[m], many.metrics[m]), m
    assert set(FANOUT_METRICS) <= set(many.metrics)


def test_inputs_for_two_servers_are_the_two_server_inputs():
    a = Scenario(n_pairs=1000, warmup=None, seed=3).draw_inputs(0)
    b = FanoutScenario(n_servers=2, fanout=2, n_groups=1000, warmup=None, seed=3).draw_inputs(0)
    for f in ("arrival", "demand", "cls", "role", "uniforms"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f


# ---------------------------------------------------------------------- SimPy, N = 3, FCFS (tests/nserver/simpy_fanout.py)
def test_three_servers_agree_with_an_independent_simpy_model():
    pytest.importorskip("simpy")
    sc = FanoutScenario(n_servers=3, fanout=3, arrival_rate=0.5, discipline="fcfs", n_groups=1500, warmup=0,
                        replications=1, seed=5, handoff_delay=0.15, demand={"kind": "exponential", "mean": 1.0})
    inputs = sc.draw_inputs(0)
    routing = group_routing(inputs, sc, _decisions(inputs.n, 3, 9))
    from .simpy_fanout import simpy_fcfs

    c_ref = simpy_fcfs(inputs, routing, 3)
    from qcoord.system.fanout import _measure

    m = _measure(inputs, routing, sc, {}, (float(inputs.arrival[0]), float(inputs.arrival[-1])))
    w_ref = c_ref - inputs.arrival[:, None] - inputs.demand
    e_ref = c_ref.max(axis=1) - inputs.arrival - inputs.demand.max(axis=1)
    assert m["mean_waiting"] == pytest.approx(float(np.mean(w_ref)), rel=1e-9, abs=1e-12)
    assert m["mean_response_excess"] == pytest.approx(float(np.mean(e_ref)), rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------------- closed forms
def test_always_split_fcfs_is_mg1_at_each_server():
    """All KEEP: server j is an M/G/1 FCFS queue with Poisson rate L k / N (thinned uniform subsets);
    Pollaczek-Khinchine: W = rate E[S^2] / (2 (1 - rho))."""
    from qcoord.policies.fanout import GroupRule

    sc = FanoutScenario(n_servers=3, fanout=2, subset="uniform", arrival_rate=0.9, discipline="fcfs",
                        n_groups=120_000, warmup=5000, replications=4, seed=2, demand={"kind": "exponential", "mean": 1.0})
    res = simulate_fanout(sc, GroupRule("keep", np.zeros((2, 2), dtype=np.int8)))
    rate = 0.9 * 2 / 3
    w_pk = rate * 2.0 / (2 * (1 - rate))  # exponential(1): E[S^2] = 2
    est = res.summary("mean_waiting", 0)
    assert abs(est.mean - w_pk) < 4 * est.half_width + 0.01 * w_pk
    assert res.mean("split_prob") == 1.0 and res.mean("servers_used") == 2.0
    assert res.mean("utilisation") == pytest.approx(rate, abs=0.01)


@pytest.mark.parametrize("consolidation", ["lowest_keeper", "next"])
@pytest.mark.parametrize("discipline", ["srpt", "np", "fcfs"])
@pytest.mark.parametrize("k", [2, 3, 4])
def test_isolated_groups_cost_what_the_compiler_says(discipline, k, consolidation):
    """Groups far apart (every server idle at arrival): the simulator's per-group waiting and excess
    response equal group_costs_low_load exactly."""
    from qcoord.compile.fanout import group_costs_low_load

    sc = FanoutScenario(n_servers=k, fanout=k, arrival_rate=0.001, arrival_process="deterministic", discipline=discipline,
                        consolidation=consolidation, n_groups=400, warmup=0, replications=1, seed=4, handoff_delay=0.3,
                        demand={"kind": "exponential", "mean": 1.0})
    inputs = sc.draw_inputs(0)
    dec = _decisions(inputs.n, k, 17)
    routing = group_routing(inputs, sc, dec)
    from qcoord.system._kernels import run_queue

    comp = np.empty(inputs.n * k)
    dest, rel = routing.dest.ravel(), routing.release.ravel()
    grp = np.repeat(np.arange(inputs.n), k)
    order = np.lexsort((inputs.party.ravel(), grp, routing.decision.ravel(), rel, dest))
    for s in range(k):
        idx = order[dest[order] == s]
        comp[idx] = run_queue(rel[idx], inputs.demand.ravel()[idx], discipline)[0]
    C = comp.reshape(inputs.n, k) - inputs.arrival[:, None]
    s_by_party, a_by_party = inputs.by_party(inputs.demand), inputs.by_party(dec)
    for g in range(inputs.n):
        s_party, a_party = s_by_party[g], a_by_party[g]
        w, e, used = group_costs_low_load(s_party[None, :], a_party, 0.3, discipline, consolidation)
        assert w[0] == pytest.approx(float(np.sum(C[g] - inputs.demand[g])), abs=1e-9)
        assert e[0] == pytest.approx(float(C[g].max() - inputs.demand[g].max()), abs=1e-9)
        assert used == len(set(routing.dest[g].tolist()))


@pytest.mark.parametrize("discipline", ["srpt", "np", "fcfs"])
@pytest.mark.parametrize("demand", [{"kind": "two_point"}, {"kind": "exponential", "mean": 1.0}])
def test_two_party_group_game_is_the_two_server_game(discipline, demand):
    from qcoord.compile import compile_game
    from qcoord.compile.fanout import compile_group_game

    s2 = Scenario(discipline=discipline, demand=demand, arrival_rate=0.2)
    sN = FanoutScenario(n_servers=2, fanout=2, discipline=discipline, demand=demand, arrival_rate=0.2)
    for lam in (0.0, 0.3, 1.0):
        g2 = compile_game(s2, lam).game
        gN = compile_group_game(sN, lam).game
        assert np.allclose(g2.payoff, gN.payoff, atol=1e-12, rtol=0)
        assert np.allclose(g2.prob, gN.prob, atol=1e-15, rtol=0)


# ---------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "kw, field",
    [
        ({"n_servers": 1}, "n_servers"),
        ({"n_servers": 3, "fanout": 4}, "fanout"),
        ({"n_servers": 4, "fanout": 3, "subset": "all"}, "subset"),
        ({"subset": "ring"}, "subset"),
        ({"consolidation": "random"}, "consolidation"),
        ({"arrival_rate": -1.0}, "arrival_rate"),
        ({"discipline": "lifo"}, "discipline"),
        ({"arrival_process": "trace"}, "arrival_process"),
    ],
)
def test_bad_scenarios_name_the_field(kw, field):
    with pytest.raises(ScenarioError, match=field):
        FanoutScenario(**kw)


def test_unstable_and_unknown_fields_are_refused():
    with pytest.raises(ScenarioError, match="arrival_rate"):
        simulate_fanout(FanoutScenario(arrival_rate=1.2, n_servers=3, fanout=3), [])
    with pytest.raises(ScenarioError, match="n_pairs"):
        FanoutScenario.from_dict({"n_pairs": 10})


def test_uniform_subsets_are_uniform_and_parties_rotate():
    sc = FanoutScenario(n_servers=4, fanout=2, subset="uniform", n_groups=60_000, warmup=0, replications=1, seed=1)
    inp = sc.draw_inputs(0)
    counts = {s: 0 for s in itertools.combinations(range(4), 2)}
    for row in map(tuple, inp.members):
        counts[row] += 1
    freq = np.array(list(counts.values())) / inp.n
    assert np.all(np.abs(freq - 1 / 6) < 0.01)
    assert set(np.unique(inp.party[:, 0])) == {0, 1}
    assert np.array_equal(np.sort(inp.party, axis=1), np.tile([0, 1], (inp.n, 1)))


def test_estimated_costs_approach_the_closed_form_at_low_load_and_feed_the_compiler():
    """At low load (utilisation 0.002) the simulated cell means converge to the low-load costs; at a
    higher load they grow; either feeds compile_group_game."""
    from qcoord.compile.fanout import compile_group_game, estimate_group_costs
    from qcoord.compile.compiler import CompileError

    low = FanoutScenario(n_servers=3, fanout=3, arrival_rate=0.002, discipline="fcfs", handoff_delay=0.2)
    est = estimate_group_costs(low, n_groups=40_000, replications=1, seed=3)
    cf = compile_group_game(low, 0.5, objective="response")
    assert np.max(np.abs(est.response - cf.response)) < 0.02
    assert np.max(np.abs(est.waiting - cf.waiting)) < 0.02
    g = compile_group_game(low, 0.5, objective="response", costs=est)
    assert not g.exact_average and np.allclose(g.response, est.response)
    high = low.replace(arrival_rate=0.6)
    est_hi = estimate_group_costs(high, n_groups=20_000, replications=1, seed=3)
    assert np.mean(est_hi.response) > np.mean(est.response)
    with pytest.raises(CompileError, match="n_groups"):
        estimate_group_costs(low, n_groups=200, replications=1, min_count=50)
    with pytest.raises(CompileError, match="costs"):
        compile_group_game(low, 0.5, costs="simulated")
