"""Shared strategies for the export tests (solved once per session)."""

from __future__ import annotations

import numpy as np
import pytest

from qcoord.games import QuantumStrategy, chsh, classical_value, odd_cycle, quantum_lower_bound, xor_game


@pytest.fixture(scope="session")
def chsh_strategy() -> QuantumStrategy:
    return quantum_lower_bound(chsh(), seed=1).strategy


@pytest.fixture(scope="session")
def default_game():
    from qcoord.cli.demo import load_scenario_file
    from qcoord.compile import compile_game

    scenario, study = load_scenario_file(None)
    return compile_game(scenario, float(study["lam"])).game


@pytest.fixture(scope="session")
def default_solution(default_game):
    """The free see-saw (the R1 reference strategy, Schmidt angle 42.66 deg) and the |Phi+> one."""
    free = quantum_lower_bound(default_game, seed=0, restarts=8)
    bell = quantum_lower_bound(default_game, seed=0, restarts=8, state="bell")
    return free, bell


@pytest.fixture(scope="session")
def odd_cycle_strategy() -> QuantumStrategy:
    return quantum_lower_bound(odd_cycle(3), seed=2).strategy


@pytest.fixture(scope="session")
def random_3x3_strategy() -> QuantumStrategy:
    """The see-saw strategy of a random 3 x 3 binary (XOR) game with a quantum advantage (+0.018)."""
    rng = np.random.default_rng(np.random.SeedSequence(1000))
    prob = rng.random((3, 3))
    g = xor_game(prob / prob.sum(), rng.integers(0, 2, (3, 3)))
    q = quantum_lower_bound(g, seed=3, restarts=8)
    assert q.value > classical_value(g).value + 0.01  # entangled, not a classical strategy in disguise
    return q.strategy


def random_qubit_strategy(rng: np.random.Generator, nx: int = 2, ny: int = 2, trivial: bool = True) -> QuantumStrategy:
    """A Haar-ish random pure two-qubit state and random projective measurements (some trivial)."""
    psi = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    psi /= np.linalg.norm(psi)

    def meas(n: int) -> np.ndarray:
        out = np.zeros((n, 2, 2, 2), dtype=complex)
        for q in range(n):
            if trivial and rng.random() < 0.2:
                a = int(rng.integers(2))
                out[q, a] = np.eye(2)
                continue
            z = rng.standard_normal((2, 2)) + 1j * rng.standard_normal((2, 2))
            u, _ = np.linalg.qr(z)
            out[q, 0] = np.outer(u[:, 0], u[:, 0].conj())
            out[q, 1] = np.eye(2) - out[q, 0]
        return out

    return QuantumStrategy(state=psi, alice=meas(nx), bob=meas(ny))
