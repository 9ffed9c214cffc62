"""Group policies: entangled decisions follow the strategy's behaviour (chi-square), noise and pools
behave as documented, communication is counted, rules read their own class only."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from qcoord.entanglement import EntanglementPool
from qcoord.games.multiparty.library import mermin_ghz
from qcoord.games.multiparty.seesaw import quantum_lower_bound
from qcoord.policies.errors import PolicyError
from qcoord.policies.fanout import GroupEntangled, GroupHold, GroupMixture, GroupOracle, GroupRule, group_joint_optimum
from qcoord.system.fanout import FanoutScenario


@pytest.fixture(scope="module")
def ghz():
    res = quantum_lower_bound(mermin_ghz(), dim=2, restarts=4, seed=3)
    assert res.value == pytest.approx(1.0, abs=1e-7)
    return res.strategy


def _scenario(**kw):
    base = dict(n_servers=3, fanout=3, arrival_rate=0.2, n_groups=40_000, warmup=0, replications=1, seed=8)
    base.update(kw)
    return FanoutScenario(**base)


def _chi2(inputs, dec, behaviour):
    """Pearson chi-square of the joint decisions (by party) per question profile against p(a|x)."""
    k = inputs.k
    x = inputs.by_party(inputs.cls)
    a = inputs.by_party(dec)
    stat, dof = 0.0, 0
    for q in itertools.product(range(2), repeat=k):
        sel = np.all(x == np.array(q), axis=1)
        n = int(sel.sum())
        obs = np.zeros(2**k)
        idx = a[sel] @ (1 << np.arange(k - 1, -1, -1))
        np.add.at(obs, idx, 1)
        p = np.array([behaviour[tuple(int(b) for b in ans) + q] for ans in itertools.product(range(2), repeat=k)])
        keep = p > 1e-12
        assert np.all(obs[~keep] == 0), "an outcome of probability 0 was sampled"
        exp = n * p[keep]
        stat += float(np.sum((obs[keep] - exp) ** 2 / exp))
        dof += int(keep.sum()) - 1
    return stats.chi2.sf(stat, dof)


def test_entangled_decisions_follow_the_ghz_behaviour(ghz):
    sc = _scenario()
    inputs = sc.draw_inputs(0)
    pol = GroupEntangled.from_strategy("ghz", ghz)
    r = pol.route(inputs, sc)
    assert r.info["messages_per_group"] == 0
    assert _chi2(inputs, r.decision, ghz.behaviour()) > 1e-4
    # Mermin-GHZ won with certainty: the parity condition holds in every group
    x = inputs.by_party(inputs.cls)
    a = inputs.by_party(r.decision)
    G = mermin_ghz()
    assert np.all(G.payoff[tuple(a.T) + tuple(x.T)][G.prob[tuple(x.T)] > 0] == 1.0)


def test_visibility_zero_gives_the_noise_behaviour(ghz):
    sc = _scenario()
    inputs = sc.draw_inputs(0)
    r = GroupEntangled.from_strategy("white", ghz, visibility=0.0).route(inputs, sc)
    assert _chi2(inputs, r.decision, ghz.with_visibility(0.0).behaviour()) > 1e-4


def test_a_starved_pool_falls_back_and_counts(ghz):
    sc = _scenario(n_groups=5000)
    inputs = sc.draw_inputs(0)
    fb = GroupRule("fb", np.ones((3, 2), dtype=np.int8))
    pool = EntanglementPool(rate=1e-6, capacity=1, name="starved")
    r = GroupEntangled.from_strategy("pool", ghz, pool=pool, fallback=fb).route(inputs, sc)
    assert r.info["fallback_rate"] > 0.99
    assert np.mean(r.decision == 1) > 0.99
    rich = EntanglementPool(rate=1e3, capacity=4, name="rich")
    r2 = GroupEntangled.from_strategy("pool", ghz, pool=rich, fallback=fb).route(inputs, sc)
    assert r2.info["fallback_rate"] < 0.01
    with pytest.raises(PolicyError, match="fallback"):
        GroupEntangled.from_strategy("nofb", ghz, pool=pool)


def test_pairwise_pools_are_per_link():
    sc = FanoutScenario(n_servers=3, fanout=2, subset="uniform", n_groups=6000, warmup=0, replications=1, seed=1)
    inputs = sc.draw_inputs(0)
    B = np.zeros((2, 2, 2, 2))
    B[0, 0] = B[1, 1] = 0.5  # perfectly correlated, no-signalling
    fb = GroupRule("fb", np.zeros((2, 2), dtype=np.int8))
    pol = GroupEntangled("pairs", B, np.full((2, 2, 2, 2), 0.25), pool=EntanglementPool(rate=0.05, capacity=1), fallback=fb)
    info = pol.route(inputs, sc).info
    assert set(info["fallback_rate_per_set"]) == {"0-1", "0-2", "1-2"}


def test_hold_and_oracle_count_messages_and_delay():
    sc = _scenario(n_groups=2000, message_latency=0.7, handoff_delay=0.1)
    inputs = sc.draw_inputs(0)
    payoff = np.random.default_rng(0).normal(size=(2, 2, 2, 2, 2, 2))
    joint = group_joint_optimum(payoff)
    h = GroupHold("hold", joint).route(inputs, sc)
    o = GroupOracle("oracle", joint).route(inputs, sc)
    assert h.info["messages_per_group"] == 6 and o.info["messages_per_group"] == 6
    assert np.array_equal(h.decision, o.decision)
    extra = np.where(h.decision == 1, 0.1, 0.0)
    assert np.allclose(h.release, inputs.arrival[:, None] + extra + 0.7)
    assert np.allclose(o.release, inputs.arrival[:, None] + extra)
    # the table is the pointwise optimum
    x = inputs.by_party(inputs.cls)
    a = inputs.by_party(o.decision)
    best = payoff.reshape(8, 2, 2, 2).max(axis=0)
    assert np.allclose(payoff[tuple(a.T) + tuple(x.T)], best[tuple(x.T)])


def test_rules_read_their_own_class_and_party():
    sc = _scenario(n_groups=3000)
    inputs = sc.draw_inputs(0)
    table = np.array([[0, 1], [1, 1], [0, 0]], dtype=np.int8)
    rot = GroupRule("rot", table).route(inputs, sc)
    fixed = GroupRule("fixed", table, rotate=False).route(inputs, sc)
    assert np.array_equal(rot.decision, table[inputs.party, inputs.cls])
    assert np.array_equal(fixed.decision, table[np.arange(3)[None, :], inputs.cls])
    mix = GroupMixture("mix", (GroupRule("a", table), GroupRule("b", 1 - table)), (0.3, 0.7)).route(inputs, sc)
    share = np.mean(mix.decision == rot.decision)
    assert 0.25 < share < 0.35 or np.allclose(table, 1 - table)
    with pytest.raises(PolicyError, match="weights"):
        GroupMixture("bad", (GroupRule("a", table),), (0.5,))
    with pytest.raises(PolicyError, match="table"):
        GroupRule("bad", np.array([[2, 0], [0, 0]]))


def test_to_group_policy_builds_every_class():
    from qcoord.compile.fanout import compile_group_game, solve_group, to_group_policy
    from qcoord.system.fanout import simulate_fanout

    sc = FanoutScenario(n_servers=3, fanout=2, subset="uniform", arrival_rate=0.15, discipline="fcfs",
                        n_groups=5000, warmup=200, replications=2, seed=3)
    sol = solve_group(compile_group_game(sc, 1.0, objective="response"), restarts=4, seed=1)
    assert sol.advantage > 0.05 and sol.critical_visibility < 0.8
    pols = [to_group_policy(sol, k) for k in ("local", "local_fixed", "entangled", "hold", "oracle")]
    pols.append(to_group_policy(sol, "entangled", name="pooled", pool=EntanglementPool(rate=0.05)))
    res = simulate_fanout(sc, pols)
    assert res.policies == ("local", "local_fixed", "entangled", "hold", "oracle", "pooled")
    # the oracle is the best on the game's own objective at equal everything; the hold pays D on every customer
    assert res.mean("mean_response_excess", "hold") > res.mean("mean_response_excess", "oracle") + 0.4
    with pytest.raises(ValueError, match="kind"):
        to_group_policy(sol, "magic")
