"""Local measurements: Bloch-angle projectors, strategies, validation."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcoord.entanglement import (
    EntanglementError,
    LocalMeasurements,
    Measurement,
    bell_state,
    bloch_projectors,
    chsh_measurements,
    partially_entangled,
)
from qcoord.games import QuantumStrategy

angles = st.floats(-math.pi, math.pi, allow_nan=False)


@given(angles, angles)
def test_bloch_projectors_are_projective_and_point_along_n(theta, phi):
    P = bloch_projectors(theta, phi)
    assert np.allclose(P[0] + P[1], np.eye(2))
    for k in range(2):
        assert np.allclose(P[k] @ P[k], P[k]) and np.allclose(P[k], P[k].conj().T)
    # the Bloch state |n> is the +1 eigenvector: <n|P0|n> = 1
    n_ket = np.array([math.cos(theta / 2), np.exp(1j * phi) * math.sin(theta / 2)])
    assert math.isclose(np.real(n_ket.conj() @ P[0] @ n_ket), 1.0, abs_tol=1e-12)


@given(st.lists(st.tuples(angles, angles), min_size=1, max_size=3), st.lists(angles, min_size=1, max_size=3))
def test_correlators_on_phi_plus(alice, bob):
    """For |Phi+>, E = n_A . diag(1, -1, 1) . n_B (closed form), checked against the Born rule."""
    lm = LocalMeasurements.from_bloch_angles(alice, bob)
    assert lm.alice.is_projective and lm.bob.is_projective
    p = lm.strategy(bell_state()).behaviour()
    E = p[0, 0] + p[1, 1] - p[0, 1] - p[1, 0]

    def vec(t, f):
        return np.array([math.sin(t) * math.cos(f), math.sin(t) * math.sin(f), math.cos(t)])

    for x, (ta, fa) in enumerate(alice):
        for y, tb in enumerate(bob):
            nb = vec(tb, 0.0)
            assert math.isclose(E[x, y], vec(ta, fa) @ np.diag([1, -1, 1]) @ nb, abs_tol=1e-9)


def test_chsh_settings_correlators():
    p = chsh_measurements().strategy(bell_state()).behaviour()
    E = p[0, 0] + p[1, 1] - p[0, 1] - p[1, 0]
    s = 1 / math.sqrt(2)
    assert np.allclose(E, [[s, s], [s, -s]])


def test_from_strategy_roundtrip_and_partial_entanglement():
    lm = LocalMeasurements.from_bloch_angles([0.0, math.pi / 2], [(0.3, 0.0), (1.2, 0.5)])
    strat = lm.strategy(partially_entangled(0.4))
    back = LocalMeasurements.from_strategy(strat)
    assert np.allclose(back.alice.operators, lm.alice.operators)
    assert np.allclose(back.bob.operators, lm.bob.operators)
    # Z measurement on cos t|00> + sin t|11>: p(a=0|x=0) = cos^2 t
    assert math.isclose(strat.behaviour()[0, :, 0, 0].sum(), math.cos(0.4) ** 2, abs_tol=1e-12)
    assert isinstance(strat, QuantumStrategy) and lm.dims == (2, 2)


def test_local_probabilities():
    m = Measurement.from_bloch_angles([0.0, (math.pi / 2, 0.0)])
    p = m.probabilities(np.array([[1, 0], [0, 0]]))
    assert np.allclose(p, [[1, 0], [0.5, 0.5]])
    assert m.num_questions == 2 and m.num_outcomes == 2 and m.dim == 2


def test_povm_not_projective_is_accepted():
    # trine POVM: three outcomes, 2/3 |psi_k><psi_k|
    ks = [np.array([math.cos(2 * math.pi * k / 3), math.sin(2 * math.pi * k / 3)]) for k in range(3)]
    ops = np.array([[2 / 3 * np.outer(k, k) for k in ks]])
    m = Measurement(ops)
    assert not m.is_projective and m.num_outcomes == 3


def test_invalid_measurements():
    with pytest.raises(EntanglementError, match="^operators: must be Hermitian"):
        Measurement(np.array([[[[1, 1], [0, 0]], [[0, -1], [0, 1]]]]))
    with pytest.raises(EntanglementError, match="^operators: must be positive semidefinite"):
        Measurement(np.array([[np.diag([1.5, 0.0]), np.diag([-0.5, 1.0])]]))
    with pytest.raises(EntanglementError, match="^operators: the outcomes of each question must sum to the identity"):
        Measurement(np.array([[np.diag([1.0, 0.0]), np.diag([0.0, 0.5])]]))
    with pytest.raises(EntanglementError, match="^operators: must have shape"):
        Measurement(np.eye(2))
    with pytest.raises(EntanglementError, match="^angles"):
        Measurement.from_bloch_angles([])
    with pytest.raises(EntanglementError, match="^strategy"):
        LocalMeasurements.from_strategy("not a strategy")
    lm = chsh_measurements()
    with pytest.raises(EntanglementError, match="^state: dimension"):
        lm.strategy(np.ones(9) / 3)
