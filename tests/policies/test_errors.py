"""Bad input gets a PolicyError (a ValueError) naming the field and the allowed range."""

from __future__ import annotations

import numpy as np
import pytest

from qcoord.policies import (
    Correlated,
    Entangled,
    HoldForMessage,
    LocalRule,
    NaiveCommunicate,
    Oracle,
    PolicyError,
    SharedRandomness,
    ThresholdRule,
)

from .conftest import TinyScenario, make_inputs


def test_policy_error_is_value_error():
    assert issubclass(PolicyError, ValueError)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: LocalRule((0, 2)), r"alice: entries must be 0 \(KEEP\) or 1 \(FORWARD\)"),
        (lambda: LocalRule(()), "alice: must have at least one entry"),
        (lambda: LocalRule((0, 1), ("x",)), "bob: must be a sequence"),
        (lambda: ThresholdRule(-1), "alice: threshold class must be an integer >= 0"),
        (lambda: ThresholdRule(1, forward="sideways"), "forward: must be 'below' or 'above'"),
        (lambda: SharedRandomness([], []), "components: need at least one rule"),
        (lambda: SharedRandomness([LocalRule((0, 0))], [0.5]), "weights: must sum to 1"),
        (lambda: SharedRandomness([LocalRule((0, 0)), LocalRule((1, 1))], [1.5, -0.5]), "weights: must be finite and >= 0"),
        (lambda: SharedRandomness([LocalRule((0, 0)), LocalRule((1, 1), role_symmetric=False)], [0.5, 0.5]), "role_symmetric"),
        (lambda: SharedRandomness([Correlated(np.full((2, 2, 2, 2), 0.25))], [1.0]), "components: must be LocalRule"),
        (lambda: Correlated(np.full((2, 2, 2, 2), 0.3)), "behaviour: each p"),
        (lambda: Correlated(np.full((3, 3, 2, 2), 1 / 9)), "behaviour: answers must be 2 x 2"),
        (lambda: Oracle(np.zeros((2, 2))), "joint_table: must have shape"),
        (lambda: Oracle(np.full((2, 2, 2), 3)), "joint_table: decisions must be 0"),
        (lambda: NaiveCommunicate(np.zeros((2, 2, 2), int), latency=-1.0), "latency: must be a finite number >= 0"),
        (lambda: HoldForMessage(short_below=-2), "short_below: must be an integer >= 0"),
        (lambda: Entangled("not a strategy"), "strategy: must be a qcoord.games.QuantumStrategy"),
    ],
)
def test_constructor_errors(make, match):
    with pytest.raises(PolicyError, match=match):
        make()


def test_signalling_behaviour_refused():
    p = np.zeros((2, 2, 2, 2))
    for x in range(2):
        for y in range(2):
            p[y, 0, x, y] = 1.0  # A's answer = B's question: signalling
    with pytest.raises(PolicyError, match="behaviour: must be no-signalling"):
        Correlated(p)


def test_entangled_visibility_and_source_errors():
    from qcoord.entanglement import bell_state, chsh_measurements

    s = chsh_measurements().strategy(bell_state())
    with pytest.raises(PolicyError, match=r"visibility: must lie in \[0, 1\]"):
        Entangled(s, visibility=1.5)
    with pytest.raises(PolicyError, match="source: must be None"):
        Entangled(s, source=42)
    with pytest.raises(PolicyError, match="fallback: must be a LocalRule"):
        Entangled(s, fallback=Oracle(np.zeros((2, 2, 2), int)))


def test_route_errors(tiny):
    inputs, sc = tiny
    with pytest.raises(PolicyError, match=r"alice: must have n_classes = 2 entries .* got 3"):
        LocalRule((0, 1, 0)).route(inputs, sc)
    with pytest.raises(PolicyError, match=r"inputs.cls: classes must lie in range\(2\)"):
        LocalRule((0, 1)).route(make_inputs([0.0], [[0, 2]], [0]), sc)
    with pytest.raises(PolicyError, match=r"inputs.uniforms: .* needs shape \(n, >= 3\)"):
        Correlated(np.full((2, 2, 2, 2), 0.25)).route(make_inputs([0.0], [[0, 1]], [0], uniforms=np.zeros((1, 2))), sc)
    with pytest.raises(PolicyError, match="handoff_delay: must be a finite number >= 0"):
        LocalRule((0, 1)).route(inputs, TinyScenario(handoff_delay=-0.1))
    with pytest.raises(PolicyError, match="joint_table: needs n_classes = 2"):
        Oracle(np.zeros((3, 3, 2), int)).route(inputs, sc)


def test_half_measured_once(tiny):
    from qcoord.policies import LocalPolicy

    class Greedy(Correlated):
        def decide(self, view, share):
            share.measure(view.cls)
            return share.measure(view.cls)

    inputs, sc = tiny
    with pytest.raises(PolicyError, match="measure: each half can be measured only once"):
        Greedy(np.full((2, 2, 2, 2), 0.25)).route(inputs, sc)

    class BadRule(LocalPolicy):
        name = "bad"

        def decide(self, view, share):
            return np.full(view.size, 2)

    with pytest.raises(PolicyError, match=r"bad: decisions must be 0 \(KEEP\) or 1 \(FORWARD\)"):
        BadRule().route(inputs, sc)
