"""Exact routing of every policy on hand-built inputs (see the ``tiny`` fixture in conftest.py).

d = 0.1 (hand-off), D = 0.5 (message latency); each pair arrives at t = 0, 1, 2, 3, 4 and is isolated.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from qcoord.games import QuantumStrategy
from qcoord.policies import (
    Correlated,
    Entangled,
    HoldForMessage,
    LocalRule,
    NaiveCommunicate,
    Oracle,
    PolicyRouting,
    SharedRandomness,
    ThresholdRule,
    joint_optimum,
)
from qcoord.policies import PolicyError
from qcoord.system.routing import check_routing

from .conftest import TinyScenario, make_inputs

T = np.arange(5.0)[:, None]
D_HANDOFF = 0.1


def expect(routing, decision, release_offset=None):
    """Assert decision, dest (from decision) and release = t + offset (default d * FORWARD)."""
    dec = np.asarray(decision)
    assert routing.decision.tolist() == dec.tolist()
    assert routing.dest.tolist() == (np.arange(2)[None, :] ^ dec).tolist()
    off = D_HANDOFF * dec if release_offset is None else np.asarray(release_offset)
    np.testing.assert_allclose(routing.release, T + off, rtol=0, atol=1e-12)


def test_local_rule_role_symmetric(tiny):
    inputs, sc = tiny
    r = LocalRule(alice=(0, 0), bob=(1, 0)).route(inputs, sc)  # A keeps; B forwards iff short
    check_routing(r, inputs)
    assert isinstance(r, PolicyRouting) and r.dest.dtype == np.int8 and r.decision.dtype == np.int8
    expect(r, [[0, 1], [1, 0], [0, 1], [0, 0], [0, 0]])


def test_local_rule_role_asymmetric_ignores_coin(tiny):
    inputs, sc = tiny
    r = LocalRule(alice=(0, 0), bob=(1, 0), role_symmetric=False).route(inputs, sc)  # server 0 is always A
    expect(r, [[0, 1], [0, 0], [0, 1], [0, 0], [0, 0]])


def test_local_rule_from_deterministic_strategy(tiny):
    from qcoord.games import DeterministicStrategy

    inputs, sc = tiny
    r = LocalRule.from_strategy(DeterministicStrategy((0, 0), (1, 0))).route(inputs, sc)
    expect(r, [[0, 1], [1, 0], [0, 1], [0, 0], [0, 0]])


def test_threshold_rules(tiny):
    inputs, sc = tiny
    below = ThresholdRule(1).route(inputs, sc)  # forward short customers
    expect(below, (inputs.cls == 0).astype(int))
    above = ThresholdRule(1, forward="above").route(inputs, sc)
    expect(above, (inputs.cls >= 1).astype(int))
    # A never forwards (k=0, below), B always forwards (k=2, below)
    split = ThresholdRule(0, 2).route(inputs, sc)
    expect(split, [[0, 1], [1, 0], [0, 1], [1, 0], [0, 1]])
    assert ThresholdRule(1).tables(2) == ((1, 0), (1, 0))
    assert ThresholdRule(1, forward="above").tables(3) == ((0, 1, 1), (0, 1, 1))


def test_shared_randomness_uses_column_zero(tiny):
    inputs, sc = tiny
    keep, fwd = LocalRule((0, 0)), LocalRule((1, 1))
    r = SharedRandomness([keep, fwd], [0.4, 0.6]).route(inputs, sc)
    # uniforms[:, 0] = 0.1, 0.7, 0.3, 0.9, 0.5: component 0 (keep) iff u < 0.4
    expect(r, [[0, 0], [1, 1], [0, 0], [1, 1], [1, 1]])
    # component choice does not depend on the other columns
    u = inputs.uniforms.copy()
    u[:, 1:] = 0.99
    r2 = SharedRandomness([keep, fwd], [0.4, 0.6]).route(
        type(inputs)(inputs.arrival, inputs.demand, inputs.cls, inputs.role, u, inputs.seed, 0), sc
    )
    assert r2.decision.tolist() == r.decision.tolist()


JOINT = [[(1, 0), (1, 0)], [(0, 1), (0, 0)]]  # x = A's class, y = B's class -> (a, b)
ORACLE_DEC = [[1, 0], [1, 0], [0, 1], [0, 0], [1, 0]]


def test_oracle_zero_latency(tiny):
    inputs, sc = tiny
    r = Oracle(JOINT).route(inputs, sc)
    check_routing(r, inputs)
    expect(r, ORACLE_DEC)


def test_naive_communicate_releases_after_message(tiny):
    inputs, sc = tiny
    r = NaiveCommunicate(JOINT).route(inputs, sc)
    dec = np.asarray(ORACLE_DEC)
    expect(r, dec, 0.5 + D_HANDOFF * dec)  # kept at t + D, forwarded at t + D + d
    r2 = NaiveCommunicate(JOINT, latency=0.25).route(inputs, sc)
    expect(r2, dec, 0.25 + D_HANDOFF * dec)


def test_hold_for_message(tiny):
    inputs, sc = tiny
    r = HoldForMessage().route(inputs, sc)
    check_routing(r, inputs)
    # p0 (0,0) sender s0: receiver s1 short -> forward at once
    # p1 (0,1) sender s1: receiver s0 short -> forward at once
    # p2 (1,0) sender s0: receiver s1 short -> forward at once
    # p3 (1,1) sender s1: receiver s0 long, partner long -> held, served at home from t + D
    # p4 (0,1) sender s0: receiver s1 long, partner short -> held, forwarded at t + D + d
    expect(r, [[0, 1], [1, 0], [0, 1], [0, 0], [0, 1]], [[0, 0.1], [0.1, 0], [0, 0.1], [0.5, 0], [0, 0.6]])
    assert r.info["held"] == 2
    r2 = HoldForMessage(latency=0.2, role_symmetric=False).route(inputs, sc)  # server 0 always sends
    # p1 (0,1): receiver s1 long, partner short -> forward at 1.3; p3 (1,1): s1 held, kept at 3.2
    expect(r2, [[0, 1], [0, 1], [0, 1], [0, 0], [0, 1]], [[0, 0.1], [0, 0.3], [0, 0.1], [0, 0.2], [0, 0.3]])


def test_joint_optimum_from_payoff():
    V = np.zeros((2, 2, 2, 2))
    V[1, 0, 0, 0] = 1.0  # (x=0,y=0): A forwards, B keeps
    V[0, 1, 1, 0] = 1.0
    V[1, 1, 0, 1] = 2.0
    # (1,1): all zero -> tie -> first maximiser (KEEP, KEEP)
    t = joint_optimum(V)
    assert t.tolist() == [[[1, 0], [1, 1]], [[0, 1], [0, 0]]]
    game = SimpleNamespace(payoff=V)
    assert Oracle.from_game(game).joint_table.tolist() == t.tolist()


def _keep_forward_strategy() -> QuantumStrategy:
    """Product state |0>|1>, both measure Z: A always gets 0 (KEEP), B always 1 (FORWARD)."""
    P0 = np.diag([1.0, 0.0])
    P1 = np.diag([0.0, 1.0])
    Z = np.array([[P0, P1], [P0, P1]])
    return QuantumStrategy(state=np.array([0.0, 1.0, 0.0, 0.0]), alice=Z, bob=Z)


AB_DEC = [[0, 1], [1, 0], [0, 1], [1, 0], [0, 1]]  # A keeps, B forwards


def test_entangled_deterministic_outcomes(tiny):
    inputs, sc = tiny
    r = Entangled(_keep_forward_strategy()).route(inputs, sc)
    check_routing(r, inputs)
    expect(r, AB_DEC)
    assert r.info["fallbacks"] == 0 and r.info["mean_visibility"] == 1.0
    asym = Entangled(_keep_forward_strategy(), role_symmetric=False).route(inputs, sc)
    expect(asym, [[0, 1]] * 5)


def test_correlated_deterministic_box(tiny):
    inputs, sc = tiny
    p = np.zeros((2, 2, 2, 2))
    p[0, 1] = 1.0
    expect(Correlated(p).route(inputs, sc), AB_DEC)


class FakeSource:
    """A source whose schedule returns fixed per-request draws (records what it was asked)."""

    def __init__(self, **fields):
        self.fields = fields
        self.requests = None

    def schedule(self, request_times, rng):
        assert isinstance(rng, np.random.Generator)
        self.requests = np.array(request_times)
        return SimpleNamespace(stats="fake-stats", **self.fields)


def test_entangled_pool_fallback_uses_classical_rule(tiny):
    inputs, sc = tiny
    fb = np.array([False, True, False, True, False])
    src = FakeSource(visibility=np.where(fb, 0.0, 1.0), fallback=fb)
    r = Entangled(_keep_forward_strategy(), src, fallback=LocalRule((0, 0))).route(inputs, sc)
    np.testing.assert_array_equal(src.requests, inputs.arrival)
    expect(r, [[0, 1], [0, 0], [0, 1], [0, 0], [0, 1]])
    assert r.info["fallbacks"] == 2 and r.info["pool_stats"] == "fake-stats"
    # default fallback: always KEEP
    r2 = Entangled(_keep_forward_strategy(), FakeSource(visibility=np.zeros(5), fallback=np.ones(5, bool))).route(inputs, sc)
    expect(r2, np.zeros((5, 2), int))


def test_entangled_streaming_latency_delays_both_customers(tiny):
    inputs, sc = tiny
    lat = np.array([0.05, 0.0, 0.2, 0.0, 0.125])
    src = FakeSource(visibility=np.ones(5), latency=lat)
    r = Entangled(_keep_forward_strategy(), src).route(inputs, sc)
    dec = np.asarray(AB_DEC)
    expect(r, dec, lat[:, None] + D_HANDOFF * dec)
    assert r.info["mean_latency"] == pytest.approx(lat.mean())


def test_entangled_with_real_streaming_source(tiny):
    from qcoord.entanglement import StreamingSource
    from qcoord.policies.entangled import POOL_STREAM_KEY

    inputs, sc = tiny
    src = StreamingSource(rate=4.0, eta_a=0.5, eta_b=0.5)
    r = Entangled(_keep_forward_strategy(), src).route(inputs, sc)
    rng = np.random.default_rng(np.random.SeedSequence(entropy=inputs.seed, spawn_key=(inputs.replication, POOL_STREAM_KEY)))
    draw = src.schedule(inputs.arrival, rng)
    assert draw.latency.max() > 0
    dec = np.asarray(AB_DEC)
    expect(r, dec, draw.latency[:, None] + D_HANDOFF * dec)
    # reproducible: same inputs, same pool history
    r2 = Entangled(_keep_forward_strategy(), src).route(inputs, sc)
    np.testing.assert_array_equal(r.release, r2.release)


def test_every_policy_describes_itself(tiny):
    import json

    inputs, sc = tiny
    pols = [
        LocalRule((0, 1)),
        ThresholdRule(1),
        SharedRandomness([LocalRule((0, 0)), LocalRule((1, 1))], [0.5, 0.5]),
        Correlated(np.full((2, 2, 2, 2), 0.25)),
        Entangled(_keep_forward_strategy()),
        Oracle(JOINT),
        NaiveCommunicate(JOINT),
        HoldForMessage(),
    ]
    names = set()
    for p in pols:
        d = p.describe()
        json.dumps(d)  # plain data
        assert d["name"] == p.name and d["class"] == type(p).__name__ and "role_symmetric" in d
        assert p.route(inputs, sc).info["policy"] == d
        names.add(p.name)
    assert len(names) == len(pols)


def test_question_map_merges_observations():
    # 3 classes observed; the game has 2 questions: classes {0, 1} -> 0, {2} -> 1
    inputs = make_inputs([0.0, 1.0, 2.0], [[0, 2], [1, 2], [2, 2]], [0, 0, 0])
    sc = TinyScenario(num_classes=3)
    p = np.zeros((2, 2, 2, 2))
    p[0, 1, 0, :] = 1.0  # x = 0: A keeps, B forwards
    p[1, 1, 1, :] = 1.0  # x = 1: both forward
    r = Correlated(p, question_map=[0, 0, 1]).route(inputs, sc)
    assert r.decision.tolist() == [[0, 1], [0, 1], [1, 1]]
    r2 = Entangled(_keep_forward_strategy(), question_map=[0, 0, 1]).route(inputs, sc)
    assert r2.decision.tolist() == [[0, 1]] * 3
    # (class, level) map: with the busy flag observed, a map that varies with the level triggers the pass
    pol = Correlated(p, question_map=[[0, 1], [0, 1], [1, 1]])
    assert pol.uses_levels(3, 2) and not Correlated(p, question_map=[[0, 0], [0, 0], [1, 1]]).uses_levels(3, 2)
    with pytest.raises(PolicyError, match=r"question_map: must have shape \(3,\) or \(3, 1\)"):
        Correlated(p, question_map=[0, 1]).route(inputs, sc)
    with pytest.raises(PolicyError, match=r"question_map: entries must lie in range\(2\)"):
        Correlated(p, question_map=[0, 1, 2]).route(inputs, sc)
    with pytest.raises(PolicyError, match="question_map: must be a non-empty integer array"):
        Correlated(p, question_map=[0.5, 1, 1])


@pytest.mark.parametrize("backlog", [(), (0.0,)])
def test_empty_inputs(backlog):
    inputs = make_inputs(np.zeros(0), np.zeros((0, 2), int), np.zeros(0, int), uniforms=np.zeros((0, 4)))
    sc = TinyScenario(backlog_levels=backlog)
    for p in [LocalRule((0, 1, 1, 0)), SharedRandomness([LocalRule((0, 0))], [1.0]), Correlated(np.full((2, 2, 2, 2), 0.25)),
              Entangled(_keep_forward_strategy()), Oracle(JOINT), NaiveCommunicate(JOINT), HoldForMessage()]:
        r = p.route(inputs, sc)
        assert r.dest.shape == r.release.shape == r.decision.shape == r.level.shape == (0, 2)


def test_policies_pickle_and_route_identically(tiny):
    """Sweeps ship policies to worker processes: a pickled policy must route the same."""
    import pickle

    from qcoord.entanglement import EntanglementPool

    inputs, sc = tiny
    pols = [
        LocalRule((0, 1), (1, 0), role_symmetric=False),
        SharedRandomness([LocalRule((0, 0)), ThresholdRule(1)], [0.5, 0.5]),
        Correlated(np.full((2, 2, 2, 2), 0.25), question_map=[0, 1]),
        Entangled(_keep_forward_strategy(), EntanglementPool(rate=0.5), fallback=LocalRule((1, 1))),
        NaiveCommunicate(JOINT, latency=0.3),
        HoldForMessage(latency=0.2),
    ]
    for p in pols:
        q = pickle.loads(pickle.dumps(p))
        a, b = p.route(inputs, sc), q.route(inputs, sc)
        assert q.name == p.name and q.describe() == p.describe()
        np.testing.assert_array_equal(a.decision, b.decision)
        np.testing.assert_array_equal(a.release, b.release)
