"""Property tests: vectorised routing == a direct per-pair reference, on random inputs (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qcoord.policies import HoldForMessage, LocalRule, NaiveCommunicate, Oracle, SharedRandomness, ThresholdRule

from .conftest import TinyScenario, make_inputs

D, DM = 0.1, 0.5


@st.composite
def cases(draw):
    n = draw(st.integers(1, 25))
    k = draw(st.integers(1, 4))  # classes
    arrival = np.cumsum(draw(st.lists(st.floats(0, 3), min_size=n, max_size=n)))
    cls = np.array(draw(st.lists(st.integers(0, k - 1), min_size=2 * n, max_size=2 * n))).reshape(n, 2)
    role = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    u = np.array(draw(st.lists(st.floats(0, 0.999), min_size=4 * n, max_size=4 * n))).reshape(n, 4)
    alice = tuple(draw(st.lists(st.integers(0, 1), min_size=k, max_size=k)))
    bob = tuple(draw(st.lists(st.integers(0, 1), min_size=k, max_size=k)))
    joint = np.array(draw(st.lists(st.integers(0, 1), min_size=2 * k * k, max_size=2 * k * k))).reshape(k, k, 2)
    sym = draw(st.booleans())
    return make_inputs(arrival, cls, role, uniforms=u), TinyScenario(num_classes=k, handoff_delay=D, message_latency=DM), alice, bob, joint, sym


def reference(inputs, decide_pair, hold=lambda i, j, dec: 0.0):
    """Per pair: decisions (d0, d1); customer j joins j (KEEP) or 1-j (FORWARD) at t + hold + d*FORWARD."""
    n = inputs.n
    dec = np.zeros((n, 2), int)
    dest = np.zeros((n, 2), int)
    rel = np.zeros((n, 2))
    for i in range(n):
        d = decide_pair(i)
        for j in (0, 1):
            dec[i, j] = d[j]
            dest[i, j] = j if d[j] == 0 else 1 - j
            rel[i, j] = inputs.arrival[i] + hold(i, j, d) + (D if d[j] else 0.0)
    return dec, dest, rel


def check(routing, ref):
    dec, dest, rel = ref
    assert routing.decision.tolist() == dec.tolist()
    assert routing.dest.tolist() == dest.tolist()
    np.testing.assert_allclose(routing.release, rel, rtol=0, atol=1e-12)


def a_server(inputs, i, sym):
    return int(inputs.role[i]) if sym else 0


@settings(max_examples=40, deadline=None)
@given(cases())
def test_local_rules_and_mixtures(case):
    inputs, sc, alice, bob, _, sym = case

    def table_rule(i, al, bo):
        a = a_server(inputs, i, sym)
        return tuple((al if j == a else bo)[inputs.cls[i, j]] for j in (0, 1))

    check(LocalRule(alice, bob, role_symmetric=sym).route(inputs, sc), reference(inputs, lambda i: table_rule(i, alice, bob)))
    k = sc.num_classes
    thr = ThresholdRule(1, k, forward="below", role_symmetric=sym)
    check(thr.route(inputs, sc), reference(inputs, lambda i: table_rule(i, *thr.tables(k))))
    inv = tuple(1 - x for x in alice)
    mix = SharedRandomness([LocalRule(alice, bob), LocalRule(inv)], [0.25, 0.75], role_symmetric=sym)

    def mixed(i):
        return table_rule(i, alice, bob) if inputs.uniforms[i, 0] < 0.25 else table_rule(i, inv, inv)

    check(mix.route(inputs, sc), reference(inputs, mixed))


@settings(max_examples=40, deadline=None)
@given(cases())
def test_communicating_policies(case):
    inputs, sc, _, _, joint, sym = case

    def oracle(i):
        a = a_server(inputs, i, sym)
        ab = joint[inputs.cls[i, a], inputs.cls[i, 1 - a]]
        return (ab[0], ab[1]) if a == 0 else (ab[1], ab[0])

    check(Oracle(joint, role_symmetric=sym).route(inputs, sc), reference(inputs, oracle))
    check(NaiveCommunicate(joint, role_symmetric=sym).route(inputs, sc), reference(inputs, oracle, lambda i, j, d: DM))

    short = sc.num_classes // 2

    def hold_dec(i):
        a = a_server(inputs, i, sym)
        b = 1 - a
        recv_short = inputs.cls[i, b] < short
        send_short = inputs.cls[i, a] < short
        d = [0, 0]
        d[b] = 1 if (recv_short or send_short) else 0
        return tuple(d)

    def hold_time(i, j, d):
        b = 1 - a_server(inputs, i, sym)
        return DM if (j == b and inputs.cls[i, b] >= short) else 0.0

    check(HoldForMessage(role_symmetric=sym).route(inputs, sc), reference(inputs, hold_dec, hold_time))
