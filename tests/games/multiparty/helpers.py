"""Naive references for the N-player tests (independent of the package's algorithms)."""

from __future__ import annotations

import itertools
from functools import reduce

import numpy as np

from qcoord.games.multiparty import MultiGame

X_OP = np.array([[0, 1], [1, 0]], dtype=complex)
Y_OP = np.array([[0, -1j], [1j, 0]], dtype=complex)


def brute_force_classical(game: MultiGame) -> float:
    """max over every deterministic strategy of every party, value by the behaviour (no best response)."""
    n = game.n_players
    tables = [list(itertools.product(range(a), repeat=x)) for a, x in zip(game.n_answers, game.n_questions)]
    best = -np.inf
    for f in itertools.product(*tables):
        p = np.zeros(game.shape)
        for x in np.ndindex(*game.n_questions):
            p[tuple(f[i][x[i]] for i in range(n)) + x] = 1.0
        best = max(best, game.value(p))
    return float(best)


def kron_behaviour(rho: np.ndarray, ops: list[np.ndarray]) -> np.ndarray:
    """p(a|x) = tr[(kron of the parties' operators) rho], by explicit Kronecker products."""
    n = len(ops)
    A = tuple(o.shape[1] for o in ops)
    X = tuple(o.shape[0] for o in ops)
    p = np.zeros(A + X)
    for a in np.ndindex(*A):
        for x in np.ndindex(*X):
            M = reduce(np.kron, [ops[i][x[i], a[i]] for i in range(n)])
            p[a + x] = np.trace(M @ rho).real
    return p


def pauli_projectors(*observables: np.ndarray) -> np.ndarray:
    """(X, 2, 2, 2): projectors (I + s O)/2 for outcome 0 (s = +1) and 1 (s = -1) of each observable."""
    eye = np.eye(2)
    return np.array([[(eye + O) / 2, (eye - O) / 2] for O in observables])


def ghz(n: int) -> np.ndarray:
    psi = np.zeros(2**n, dtype=complex)
    psi[0] = psi[-1] = 1 / np.sqrt(2)
    return psi
