"""Policies run through qcoord.system.simulate: low-load closed forms and orderings."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from qcoord.entanglement import LocalMeasurements, partially_entangled
from qcoord.policies import Entangled, HoldForMessage, LocalRule, NaiveCommunicate, Oracle, SharedRandomness, joint_optimum
from qcoord.system import Scenario, pair_waiting_low_load, simulate

S, L = 1 - math.log(2), 1 + math.log(2)
D_HANDOFF, D_MSG, LAM = 0.1, 0.5, 0.5


def _scenario(rate, **kw):
    base = dict(arrival_rate=rate, handoff_delay=D_HANDOFF, message_latency=D_MSG, n_pairs=20_000, warmup=500, replications=2, seed=11)
    base.update(kw)
    return Scenario(**base)


def _payoff(lam=LAM, d=D_HANDOFF):
    """Game payoff V[a, b, x, y] = -(pair waiting)/2 - lam [split] with classes 0 = short, 1 = long."""
    s = np.array([S, L])
    V = np.empty((2, 2, 2, 2))
    for a, b, x, y in itertools.product(range(2), repeat=4):
        w = float(pair_waiting_low_load(s[x], s[y], a, b, d, "srpt"))
        V[a, b, x, y] = -w / 2 - lam * (a == b)
    return V


def _objective(res, name, lam=LAM):
    """Per-customer mean waiting + lam * split probability (minus the game value)."""
    return res.mean("mean_waiting", name) + lam * res.mean("split_prob", name)


def test_oracle_beats_every_local_rule_at_low_load():
    sc = _scenario(0.05)
    oracle = Oracle(joint_optimum(_payoff()))
    rules = [LocalRule(a, b, name=f"loc{a}{b}") for a in itertools.product((0, 1), repeat=2) for b in itertools.product((0, 1), repeat=2)]
    res = simulate(sc, [oracle, *rules])
    j_or = _objective(res, "oracle")
    js = {r.name: _objective(res, r.name) for r in rules}
    assert all(j_or < j for j in js.values()), (j_or, js)
    # paired: the oracle's waiting + lam * split is below the best local rule's in every replication
    best = min(js, key=js.get)
    per_rep = lambda n: res.values("mean_waiting", n) + LAM * res.values("split_prob", n)  # noqa: E731
    assert (per_rep("oracle") < per_rep(best)).all()


def test_oracle_realises_the_game_value_at_vanishing_load():
    V = _payoff()
    res = simulate(_scenario(0.002), Oracle(joint_optimum(V)))
    expected = -np.mean([V[:, :, x, y].max() for x in range(2) for y in range(2)])  # -(game value)
    assert _objective(res, "oracle") == pytest.approx(expected, abs=0.004)
    # R1: split iff both customers are long, else consolidate
    t = joint_optimum(V)
    assert t[1, 1].tolist() == [0, 0] and all(t[x, y, 0] != t[x, y, 1] for x, y in [(0, 0), (0, 1), (1, 0)])


def test_naive_communicate_costs_exactly_D_more_than_oracle():
    sc = _scenario(0.02)
    table = joint_optimum(_payoff())
    res = simulate(sc, [Oracle(table), NaiveCommunicate(table)])
    diff = res.paired_difference("mean_waiting", "naive-communicate", "oracle")
    assert float(diff) == pytest.approx(D_MSG, abs=0.01)
    assert res.mean("split_prob", "naive-communicate") == pytest.approx(res.mean("split_prob", "oracle"), abs=1e-12)


def test_hold_for_message_low_load_closed_form():
    sc = _scenario(0.002)
    res = simulate(sc, HoldForMessage())
    # sender/receiver classes: (S,S) consolidation at sender; (L,S) ditto; (S,L) held and forwarded at
    # D + d, the sender's short customer is done by then; (L,L) held, served at home from D.
    pair = [
        float(pair_waiting_low_load(S, S, 0, 1, D_HANDOFF, "srpt")),
        float(pair_waiting_low_load(L, S, 0, 1, D_HANDOFF, "srpt")),
        D_MSG + D_HANDOFF,
        D_MSG,
    ]
    expected = np.mean(pair) / 2
    est = res.summary("mean_waiting", "hold-for-message")
    assert est.mean == pytest.approx(expected, abs=0.006)
    assert res.mean("split_prob", "hold-for-message") == pytest.approx(0.25, abs=0.01)


def test_entangled_and_shared_randomness_run_in_simulate():
    sc = _scenario(0.1, n_pairs=10_000)
    strat = LocalMeasurements.from_bloch_angles([0.4, 1.9], [1.0, -0.6]).strategy(partially_entangled(np.deg2rad(42.7)))
    mix = SharedRandomness([LocalRule((0, 0)), LocalRule((1, 0), (0, 1))], [0.3, 0.7])
    res = simulate(sc, [Entangled(strat), mix])
    assert res.mean("mean_waiting", "entangled-sym") > 0
    # same class pair prior, Born-rule split probability: sum_xy pi(x,y) [p(0,0|xy) + p(1,1|xy)]
    p = strat.behaviour()
    split = np.mean([p[0, 0, x, y] + p[1, 1, x, y] for x in range(2) for y in range(2)])
    assert res.mean("split_prob", "entangled-sym") == pytest.approx(split, abs=0.02)


def test_route_info_reports_pool_fallbacks():
    from qcoord.entanglement import EntanglementPool
    from qcoord.policies import route_info

    sc = _scenario(0.1, n_pairs=5000)
    strat = LocalMeasurements.from_bloch_angles([0.4, 1.9], [1.0, -0.6]).strategy(partially_entangled(np.deg2rad(42.7)))
    pool = EntanglementPool(rate=0.05, capacity=1, memory_time=50.0)  # half the rate of pair arrivals
    pol = Entangled(strat, pool, fallback=LocalRule((0, 0)))
    infos = route_info(pol, sc)
    assert len(infos) == sc.replications
    for r, info in enumerate(infos):
        assert info["replication"] == r and info["seed"] == sc.seed
        assert info["fallbacks"] == info["pool_stats"].fallbacks
        # supply 0.05 vs demand 0.1 per unit time: at least about half the decisions fall back
        assert 0.4 < info["fallback_rate"] < 0.8
        assert 0 < info["split_prob"] < 1
    res = simulate(sc, pol)
    assert res.values("split_prob", pol.name) == pytest.approx([i["split_prob"] for i in infos], abs=0.02)


def test_entangled_policy_realises_the_quantum_game_value_r1():
    """End to end at vanishing load (R1: srpt, d = 0.1, lam = 0.5): simulated cost = -(game value).

    model.md section 5: classical -0.33921, entangled -0.31661; below visibility ~0.824 no advantage.
    """
    from qcoord.games import Game, classical_value, quantum_lower_bound

    game = Game(np.full((2, 2), 0.25), _payoff())
    q = quantum_lower_bound(game, restarts=4, seed=1)
    c = classical_value(game)
    assert float(q) == pytest.approx(-0.31661, abs=2e-4) and float(c) == pytest.approx(-0.33921, abs=2e-4)
    sc = _scenario(0.002, n_pairs=30_000)
    ent = Entangled(q.strategy, name="ent")
    noisy = Entangled(q.strategy, visibility=0.6, name="ent-v0.6")
    loc = LocalRule.from_strategy(c.strategy, name="best-local")
    res = simulate(sc, [ent, noisy, loc])
    assert _objective(res, "ent") == pytest.approx(-float(q), abs=0.006)
    assert _objective(res, "best-local") == pytest.approx(-float(c), abs=0.006)
    per_rep = lambda n: res.values("mean_waiting", n) + LAM * res.values("split_prob", n)  # noqa: E731
    gain = per_rep("best-local") - per_rep("ent")  # common random numbers: paired
    assert (gain > 0.01).all()
    assert (per_rep("ent-v0.6") > per_rep("best-local")).all()  # below the critical visibility
