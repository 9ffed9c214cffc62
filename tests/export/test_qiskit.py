"""Qiskit circuits: exact probabilities equal the strategy's behaviour; OpenQASM 3 round trip."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from qiskit import qasm3 as q3
from qiskit.quantum_info import DensityMatrix, Operator, Statevector

from qcoord.export import (
    ExportError, parameterised_circuit, qasm3, qasm3_parameterised, qiskit_circuit, qiskit_circuits, u_angles, u_matrix,
)
from qcoord.games import QuantumStrategy, chsh, xor_quantum_value

from .conftest import random_qubit_strategy

TOL = 1e-9


def circuit_probs(circ, density: bool = False) -> np.ndarray:
    """p[a, b] from the circuit without its final measurements (qubit 0 = a, qubit 1 = b)."""
    bare = circ.remove_final_measurements(inplace=False)
    pr = (DensityMatrix(bare) if density else Statevector(bare)).probabilities([0, 1])
    return np.array([[pr[a + 2 * b] for b in range(2)] for a in range(2)])


def max_error(strategy: QuantumStrategy, density: bool = False) -> float:
    p = strategy.behaviour()
    _, _, nx, ny = strategy.shape
    return max(float(np.abs(circuit_probs(qiskit_circuit(strategy, x, y), density) - p[:, :, x, y]).max())
               for x in range(nx) for y in range(ny))


def test_chsh_exact(chsh_strategy):
    assert max_error(chsh_strategy) < TOL
    # and the circuits really play CHSH at cos^2(pi/8)
    p = np.array([[circuit_probs(qiskit_circuit(chsh_strategy, x, y)) for y in range(2)] for x in range(2)])
    win = np.mean([sum(p[x, y][a, b] for a in range(2) for b in range(2) if (a ^ b) == (x & y)) for x in range(2) for y in range(2)])
    assert abs(win - np.cos(np.pi / 8) ** 2) < TOL


def test_default_scenario_exact(default_solution):
    free, _ = default_solution
    s = free.strategy
    sv = np.linalg.svd(np.asarray(s.state).reshape(2, 2), compute_uv=False)
    assert abs(np.degrees(np.arctan2(sv[1], sv[0])) - 42.66) < 0.01  # the R1 reference strategy, not maximally entangled
    assert max_error(s) < TOL


def test_odd_cycle_and_random_game_exact(odd_cycle_strategy, random_3x3_strategy):
    assert max_error(odd_cycle_strategy) < TOL
    assert random_3x3_strategy.shape[2:] == (3, 3)
    assert max_error(random_3x3_strategy) < TOL


def test_xor_strategy_exact():
    s = xor_quantum_value(chsh()).strategy
    if s.dims == (2, 2):
        assert max_error(s) < TOL
    else:  # pragma: no cover - depends on the SDP's rank
        with pytest.raises(ExportError, match="local dimensions"):
            qiskit_circuit(s, 0, 0)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_random_qubit_strategies_exact(seed):
    s = random_qubit_strategy(np.random.default_rng(seed), nx=3, ny=2)
    assert max_error(s) < TOL


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 1.0))
def test_werner_noise_exact_on_density_matrix(seed, v):
    s = random_qubit_strategy(np.random.default_rng(seed)).with_visibility(v)
    assert max_error(s, density=True) < TOL
    assert max_error(s) < TOL  # the purification: a pure state of the whole register


def test_werner_scales_correlators(chsh_strategy):
    v = 0.6
    for x in range(2):
        for y in range(2):
            p1 = circuit_probs(qiskit_circuit(chsh_strategy, x, y))
            pv = circuit_probs(qiskit_circuit(chsh_strategy.with_visibility(v), x, y), density=True)
            corr = lambda p: p[0, 0] + p[1, 1] - p[0, 1] - p[1, 0]  # noqa: E731
            assert abs(corr(pv) - v * corr(p1)) < TOL
            assert abs(abs(corr(p1)) - 1 / np.sqrt(2)) < TOL


def test_clbits_carry_the_answers(chsh_strategy):
    c = qiskit_circuit(chsh_strategy, 1, 0)
    meas = [(c.find_bit(i.qubits[0]).index, c.find_bit(i.clbits[0]).index) for i in c.data if i.operation.name == "measure"]
    assert sorted(meas) == [(0, 0), (1, 1)]
    assert c.name == "qcoord_x1_y0" and qiskit_circuit(chsh_strategy, 0, 0, measure=False).num_clbits == 0


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_u_angles_round_trip(seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((2, 2)) + 1j * rng.standard_normal((2, 2))
    G, _ = np.linalg.qr(z)
    U = u_matrix(*u_angles(G))
    phase = np.vdot(U.reshape(-1), G.reshape(-1))
    assert abs(abs(phase) - 2) < 1e-9  # |tr(U^dagger G)| = 2: equal up to a global phase
    assert np.allclose(U * (phase / abs(phase)), G, atol=1e-9)


def test_parameterised_equals_per_pair(random_3x3_strategy):
    rng = np.random.default_rng(5)
    for s in (random_3x3_strategy, random_qubit_strategy(rng, 3, 3), random_qubit_strategy(rng).with_visibility(0.4)):
        pc = parameterised_circuit(s)
        p = s.behaviour()
        for (x, y) in pc.bindings:
            assert np.abs(circuit_probs(pc.bound(x, y)) - p[:, :, x, y]).max() < TOL


def test_trivial_measurement_uses_answer_ancilla():
    A = np.array([[np.eye(2), np.zeros((2, 2))], [np.diag([1, 0]), np.diag([0, 1])]], dtype=complex)
    B = np.array([[np.zeros((2, 2)), np.eye(2)]], dtype=complex)
    s = QuantumStrategy(state=np.array([1, 0, 0, 1]) / np.sqrt(2), alice=A, bob=B)
    assert max_error(s) < TOL
    assert qiskit_circuit(s, 0, 0).num_qubits == 4  # two players + an answer ancilla each
    assert circuit_probs(qiskit_circuit(s, 0, 0))[0, 1] == pytest.approx(1.0, abs=TOL)


def test_qasm3_loads_back_equivalent(default_solution, random_3x3_strategy):
    for s in (default_solution[0].strategy, random_3x3_strategy, random_3x3_strategy.with_visibility(0.5)):
        _, _, nx, ny = s.shape
        for x in range(nx):
            for y in range(ny):
                text = qasm3(s, x, y)
                assert text.startswith("OPENQASM 3.0;")
                back = q3.loads(text)
                orig = qiskit_circuit(s, x, y)
                assert Operator(back.remove_final_measurements(inplace=False)).equiv(
                    Operator(orig.remove_final_measurements(inplace=False)), atol=1e-9)
                assert np.abs(circuit_probs(back) - s.behaviour()[:, :, x, y]).max() < TOL


def test_qasm3_parameterised_loads_and_binds(chsh_strategy):
    pq = qasm3_parameterised(chsh_strategy)
    assert "input float[64] theta_a;" in pq.text
    back = q3.loads(pq.text)
    p = chsh_strategy.behaviour()
    for (x, y), values in pq.bindings.items():
        bound = back.assign_parameters({par: values[par.name] for par in back.parameters})
        assert np.abs(circuit_probs(bound) - p[:, :, x, y]).max() < TOL


def test_errors_name_the_field(chsh_strategy):
    with pytest.raises(ExportError, match="strategy: must be a qcoord.games.QuantumStrategy"):
        qiskit_circuit("chsh", 0, 0)  # type: ignore[arg-type]
    d3 = QuantumStrategy(state=np.eye(9)[0], alice=np.array([[np.eye(3), np.zeros((3, 3))]]),
                         bob=np.array([[np.eye(3), np.zeros((3, 3))]]))
    with pytest.raises(ExportError, match=r"local dimensions must be \(2, 2\)"):
        qiskit_circuit(d3, 0, 0)
    with pytest.raises(ExportError, match=r"x: must be an integer in range\(2\), got 2"):
        qiskit_circuit(chsh_strategy, 2, 0)
    with pytest.raises(ExportError, match=r"y: must be an integer in range\(2\)"):
        qasm3(chsh_strategy, 0, -1)
    povm = np.array([[np.eye(2) / 2, np.eye(2) / 2]], dtype=complex)
    s = QuantumStrategy(state=np.array([1, 0, 0, 1]) / np.sqrt(2), alice=povm, bob=povm)
    with pytest.raises(ExportError, match=r"alice\[0\]: the measurement must be projective"):
        qiskit_circuit(s, 0, 0)
    with pytest.raises(ExportError, match="no question pair"):
        parameterised_circuit(chsh_strategy).bound(5, 0)


def test_missing_qiskit_names_the_extra(monkeypatch, chsh_strategy):
    import builtins

    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name == "qiskit" or name.startswith("qiskit."):
            raise ImportError("No module named 'qiskit'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(ExportError, match=r"pip install 'qcoord\[qiskit\]'"):
        qiskit_circuit(chsh_strategy, 0, 0)


def test_all_pairs(chsh_strategy):
    cs = qiskit_circuits(chsh_strategy)
    assert sorted(cs) == [(0, 0), (0, 1), (1, 0), (1, 1)]
