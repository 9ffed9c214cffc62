"""Locality by construction: a local rule sees only its own server's observation and resource share."""

from __future__ import annotations

import dataclasses

import numpy as np

from qcoord.entanglement import LocalMeasurements, partially_entangled
from qcoord.policies import ROLE_A, Correlated, Entangled, LocalPolicy, LocalView, NoShare, ResourceHalf, SharedRandomness
from qcoord.policies import LocalRule

from .conftest import TinyScenario, make_inputs


class Recorder(LocalPolicy):
    """A local rule that records every view and share it is given, and keeps everything."""

    def __init__(self, role_symmetric=True):
        self.role_symmetric = role_symmetric
        self.name = "recorder"
        self.calls = []

    def _question_sizes(self):
        return (4,)  # (class, level) questions with 2 classes and 2 levels

    def decide(self, view, share):
        self.calls.append((view, share))
        return np.zeros(view.size, dtype=np.int8)


def _random_inputs(n, seed):
    rng = np.random.default_rng(seed)
    return make_inputs(
        arrival=np.cumsum(rng.exponential(2.0, n)),
        cls=rng.integers(0, 2, (n, 2)),
        role=rng.integers(0, 2, n),
        demand=rng.exponential(1.0, (n, 2)),
        seed=seed,
    )


def test_view_has_only_own_fields():
    names = {f.name for f in dataclasses.fields(LocalView)}
    assert names == {"server", "role", "cls", "level", "n_classes", "n_levels"}
    # NoShare carries nothing; a half exposes only measure/available/n_questions/kind
    assert {f.name for f in dataclasses.fields(NoShare)} == {"kind"}
    public = {a for a in dir(ResourceHalf) if not a.startswith("_")}
    assert public == {"measure", "kind"}


def test_rule_sees_only_its_own_server_arrays():
    inputs = _random_inputs(200, 1)
    rec = Recorder()
    rec.route(inputs, TinyScenario())
    seen = {0: 0, 1: 0}
    for view, share in rec.calls:
        s = view.server
        plays_a = inputs.role == s
        idx = np.flatnonzero(plays_a if view.role == ROLE_A else ~plays_a)
        np.testing.assert_array_equal(view.cls, inputs.cls[idx, s])
        assert not view.cls.flags.writeable
        assert isinstance(share, NoShare)
        seen[s] += view.size
    assert seen == {0: 200, 1: 200}  # every pair decided once by each server
    assert len(rec.calls) == 4  # (role A, role B) x (server 0, server 1)


def test_partner_observation_cannot_change_own_view():
    inputs = _random_inputs(300, 2)
    other = make_inputs(inputs.arrival, np.column_stack([inputs.cls[:, 0], 1 - inputs.cls[:, 1]]), inputs.role, inputs.demand, seed=2)
    views = []
    for inp in (inputs, other):
        rec = Recorder()
        rec.route(inp, TinyScenario())
        views.append({(v.server, v.role): v.cls.copy() for v, _ in rec.calls})
    for key in views[0]:
        if key[0] == 0:  # server 0's views are identical although server 1's classes all flipped
            np.testing.assert_array_equal(views[0][key], views[1][key])
        else:
            assert not np.array_equal(views[0][key], views[1][key])


def test_backlog_view_holds_own_hypothetical_levels():
    inputs = _random_inputs(50, 3)
    rec = Recorder()
    rec.route(inputs, TinyScenario(backlog_levels=(0.0,)))
    # one batch of 4 calls per hypothetical level combination (l0, l1); each view's level is constant
    assert len(rec.calls) == 4 * 4
    for view, _ in rec.calls:
        assert view.n_levels == 2 and np.unique(view.level).size <= 1


def test_shared_randomness_share_is_the_shared_uniform_only():
    inputs = _random_inputs(100, 4)

    class Spy(LocalRule):
        shares = []

        def decide(self, view, share):
            Spy.shares.append(share)
            return super().decide(view, share)

    SharedRandomness([Spy((0, 0)), Spy((1, 1))], [0.5, 0.5]).route(inputs, TinyScenario())
    assert Spy.shares and all(s.kind == "shared_uniform" for s in Spy.shares)


def _strategy():
    return LocalMeasurements.from_bloch_angles([0.3, 1.8], [0.9, -0.7]).strategy(partially_entangled(np.deg2rad(40.0)))


def test_entangled_a_outcome_independent_of_partner_question():
    """Pointwise: flipping server 1's classes never changes server 0's outcome where server 0 plays A."""
    inputs = _random_inputs(4000, 5)
    flipped = make_inputs(
        inputs.arrival, np.column_stack([inputs.cls[:, 0], 1 - inputs.cls[:, 1]]), inputs.role, inputs.demand,
        uniforms=inputs.uniforms, seed=5,
    )
    for pol in (Entangled(_strategy()), Correlated(_strategy().behaviour())):
        d1 = pol.route(inputs, TinyScenario()).decision
        d2 = pol.route(flipped, TinyScenario()).decision
        a_side = inputs.role == 0
        np.testing.assert_array_equal(d1[a_side, 0], d2[a_side, 0])
        # B's outcomes are correlated with the partner's question (entanglement), so they do change
        assert (d1[~a_side, 0] != d2[~a_side, 0]).any()


def test_entangled_b_marginal_independent_of_partner_question():
    """No signalling: server 0's FORWARD rate as B, per own class, does not move when server 1's classes flip."""
    n = 40_000
    rng = np.random.default_rng(6)
    base = make_inputs(np.arange(n, dtype=float), np.column_stack([rng.integers(0, 2, n), np.zeros(n, int)]), np.ones(n, int), seed=6)
    flip = make_inputs(base.arrival, np.column_stack([base.cls[:, 0], np.ones(n, int)]), base.role, uniforms=base.uniforms, seed=6)
    pol = Entangled(_strategy())
    for c in (0, 1):
        m = base.cls[:, 0] == c
        f1 = pol.route(base, TinyScenario()).decision[m, 0].mean()
        f2 = pol.route(flip, TinyScenario()).decision[m, 0].mean()
        se = np.sqrt(f1 * (1 - f1) / m.sum() * 2)
        assert abs(f1 - f2) < 5 * se
