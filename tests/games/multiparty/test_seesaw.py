"""N-party see-saw: Mermin-GHZ and MABK reached, re-evaluation, seeding, local optimum checks, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from qcoord.games import GameError
from qcoord.games.multiparty import MultiQuantumStrategy, mabk, mermin_ghz, quantum_lower_bound, random_multigame, svetlichny
from qcoord.games.multiparty.seesaw import MAX_STATE_DIM, _Contractions, _weights_k

from .helpers import kron_behaviour


def test_mermin_ghz_quantum_one():
    g = mermin_ghz()
    r = quantum_lower_bound(g, dim=2, seed=1)
    assert r.value == pytest.approx(1.0, abs=1e-7)
    assert isinstance(r.strategy, MultiQuantumStrategy) and r.dims == (2, 2, 2)
    assert g.value(r.strategy.behaviour()) == r.value  # re-evaluation equals the reported value
    assert np.allclose(r.behaviour, kron_behaviour(r.strategy.rho, list(r.strategy.measurements)), atol=1e-12)
    assert r.classical_value == 0.75 and r.restart_values[0] >= 0.75 - 1e-12
    # the optimum uses a genuinely entangled state: every single-party reduced state is mixed
    psi = r.strategy.state.reshape(2, 4)
    assert np.linalg.svd(psi, compute_uv=False)[1] > 0.5


def test_seeded_and_reproducible():
    g = random_multigame(3, 2, 2, seed=3)
    a = quantum_lower_bound(g, seed=7, restarts=4)
    b = quantum_lower_bound(g, seed=a.seed, restarts=4)
    assert a.value == b.value and a.restart_values == b.restart_values and a.seed == 7
    c = quantum_lower_bound(g, seed=None, restarts=2)
    assert quantum_lower_bound(g, seed=c.seed, restarts=2).restart_values == c.restart_values
    assert a.parameters["seed"] == 7


def test_effective_operator_and_bell_operator_against_kron():
    """One party's effective operators reproduce the value; the Bell operator equals the explicit sum."""
    g = random_multigame(3, (2, 3, 2), (2, 2, 3), seed=2)
    r = quantum_lower_bound(g, seed=0, restarts=2, max_iter=3)
    s = r.strategy
    W = np.asarray(g.weights)
    con = _Contractions(_weights_k(W, 3), 3)
    ops = [o[None] for o in s.measurements]
    psi = s.state[None]
    for i in range(3):
        E = con.effective(i, ops, psi)[0]
        val = sum(np.trace(s.measurements[i][x, a] @ E[x, a]).real for x in range(E.shape[0]) for a in range(E.shape[1]))
        assert val == pytest.approx(g.value(s.behaviour()), abs=1e-12)
    from functools import reduce

    G = con.bell(ops)[0]
    G_ref = sum(W[a + x] * reduce(np.kron, [s.measurements[i][x[i], a[i]] for i in range(3)])
                for a in np.ndindex(*g.n_answers) for x in np.ndindex(*g.n_questions))
    assert np.allclose(G, G_ref, atol=1e-12)


def test_qutrits_and_unequal_dims():
    g = random_multigame(3, 2, 3, seed=4)
    r = quantum_lower_bound(g, dim=(3, 2, 2), seed=1, restarts=3)
    assert r.dims == (3, 2, 2) and r.strategy.state.shape == (12,)
    assert g.value(r.strategy.behaviour()) == r.value >= r.classical_value - 1e-12


def test_converges_to_a_local_optimum_that_the_closed_forms_confirm():
    # Svetlichny: a see-saw optimum must reach 1/2 + sqrt(2)/4 (4 sqrt 2 / 16), MABK-4: 1/2 + 1/(2 sqrt 2)
    assert quantum_lower_bound(svetlichny(), seed=2).value == pytest.approx(0.5 + np.sqrt(2) / 4, abs=1e-7)
    assert quantum_lower_bound(mabk(4), seed=2).value == pytest.approx(0.5 + 1 / (2 * np.sqrt(2)), abs=1e-7)


def test_bad_input():
    g = mermin_ghz()
    with pytest.raises(GameError, match="dim"):
        quantum_lower_bound(g, dim=0)
    with pytest.raises(GameError, match="one local dimension per party"):
        quantum_lower_bound(g, dim=(2, 2))
    with pytest.raises(GameError, match="MAX_STATE_DIM"):
        quantum_lower_bound(g, dim=11)  # 1331 > 1024
    assert 11**3 > MAX_STATE_DIM
    with pytest.raises(GameError, match="restarts"):
        quantum_lower_bound(g, restarts=0, classical_start=False)
    with pytest.raises(GameError, match="tol"):
        quantum_lower_bound(g, tol=float("nan"))
    with pytest.raises(GameError, match="seed"):
        quantum_lower_bound(g, seed=-1)
