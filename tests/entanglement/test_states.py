"""States, Werner noise and the visibility / fidelity / CHSH conversions."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcoord.entanglement import (
    EntanglementError,
    bell_state,
    chsh_measurements,
    chsh_value_from_visibility,
    chsh_win_probability_from_visibility,
    density_matrix,
    fidelity_from_visibility,
    maximally_entangled,
    partially_entangled,
    visibility_from_chsh_value,
    visibility_from_fidelity,
    werner,
)


def test_bell_states_are_orthonormal_and_match_toqito():
    from toqito.states import bell

    kinds = ["phi+", "phi-", "psi+", "psi-"]
    M = np.stack([bell_state(k) for k in kinds])
    assert np.allclose(M.conj() @ M.T, np.eye(4))
    # toqito's bell(0..3) = Phi+, Phi-, Psi+, Psi- in the same |ij> ordering
    for i, k in enumerate(kinds):
        assert np.allclose(np.asarray(bell(i)).ravel(), bell_state(k))


def test_partially_entangled_and_maximally_entangled():
    assert np.allclose(partially_entangled(math.pi / 4), bell_state("phi+"))
    assert np.allclose(partially_entangled(0.0), [1, 0, 0, 0])
    assert np.allclose(maximally_entangled(2), bell_state())
    psi3 = maximally_entangled(3)
    assert psi3.shape == (9,) and np.isclose(np.linalg.norm(psi3), 1.0)
    # reduced state of a maximally entangled qutrit pair is I/3
    red = np.einsum("ijkj->ik", np.outer(psi3, psi3.conj()).reshape(3, 3, 3, 3))
    assert np.allclose(red, np.eye(3) / 3)


@given(st.floats(0.0, math.pi / 2))
def test_partially_entangled_concurrence_matches_toqito(theta):
    from toqito.state_props import concurrence

    rho = np.outer(partially_entangled(theta), partially_entangled(theta).conj())
    assert math.isclose(concurrence(rho), abs(math.sin(2 * theta)), abs_tol=1e-7)


@given(st.floats(0.0, 1.0))
def test_werner_fidelity_matches_closed_form(v):
    rho = werner(v)
    phi = bell_state()
    F = float(np.real(phi.conj() @ rho @ phi))
    assert math.isclose(F, (1 + 3 * v) / 4, abs_tol=1e-12)
    assert math.isclose(fidelity_from_visibility(v), F, abs_tol=1e-12)
    assert math.isclose(visibility_from_fidelity(F), v, abs_tol=1e-9)
    assert np.isclose(np.trace(rho).real, 1.0) and np.linalg.eigvalsh(rho).min() > -1e-12


@given(st.floats(0.0, 1.0))
def test_qudit_fidelity_roundtrip(v):
    d = 3
    rho = werner(v, maximally_entangled(d))
    psi = maximally_entangled(d)
    F = float(np.real(psi.conj() @ rho @ psi))
    assert math.isclose(fidelity_from_visibility(v, dim=d), F, abs_tol=1e-12)
    assert math.isclose(visibility_from_fidelity(F, dim=d), v, abs_tol=1e-9)


@pytest.mark.parametrize("v", [0.0, 0.3, 1 / math.sqrt(2), 0.9, 1.0])
def test_chsh_value_from_operators(v):
    """Independent check: S = sum of correlators of the optimal settings on the Werner state."""
    strat = chsh_measurements().strategy(werner(v))
    p = strat.behaviour()  # [a, b, x, y]
    E = p[0, 0] + p[1, 1] - p[0, 1] - p[1, 0]  # E[x, y]
    S = E[0, 0] + E[0, 1] + E[1, 0] - E[1, 1]
    assert math.isclose(S, chsh_value_from_visibility(v), abs_tol=1e-12)
    win = 0.25 * sum(p[a, b, x, y] for a in range(2) for b in range(2) for x in range(2) for y in range(2) if (a ^ b) == (x & y))
    assert math.isclose(win, chsh_win_probability_from_visibility(v), abs_tol=1e-12)
    assert math.isclose(visibility_from_chsh_value(S), v, abs_tol=1e-12)


def test_chsh_win_probability_landmarks():
    assert math.isclose(chsh_win_probability_from_visibility(1.0), 0.8535533905932737)
    assert math.isclose(chsh_win_probability_from_visibility(1 / math.sqrt(2)), 0.75)
    assert chsh_win_probability_from_visibility(0.7) < 0.75 < chsh_win_probability_from_visibility(0.71)
    arr = chsh_value_from_visibility(np.array([0.0, 1.0]))
    assert np.allclose(arr, [0.0, 2 * math.sqrt(2)])


@pytest.mark.parametrize("bad", [-0.01, 1.01, float("nan"), float("inf")])
def test_bad_visibility(bad):
    with pytest.raises(EntanglementError, match="^visibility: must lie in \\[0, 1\\]"):
        werner(bad)
    with pytest.raises(EntanglementError, match="^visibility"):
        fidelity_from_visibility(bad)
    with pytest.raises(EntanglementError, match="^visibility"):
        chsh_value_from_visibility(bad)


def test_bad_states_and_conversions():
    with pytest.raises(EntanglementError, match="^state: a pure state must have norm 1"):
        werner(0.5, [1, 0, 0, 1])
    with pytest.raises(EntanglementError, match="^state: a density matrix must have trace 1"):
        density_matrix(np.eye(4))
    with pytest.raises(EntanglementError, match="Hermitian"):
        density_matrix(np.array([[0.5, 1], [0, 0.5]]))
    with pytest.raises(EntanglementError, match="positive semidefinite"):
        density_matrix(np.array([[1.5, 0], [0, -0.5]]))
    with pytest.raises(EntanglementError, match="^kind"):
        bell_state("chi+")
    with pytest.raises(EntanglementError, match="^fidelity: must lie in"):
        visibility_from_fidelity(0.2)
    with pytest.raises(EntanglementError, match="^fidelity"):
        visibility_from_fidelity(1.2)
    with pytest.raises(EntanglementError, match="^chsh"):
        visibility_from_chsh_value(3.0)
    with pytest.raises(EntanglementError, match="^dim"):
        maximally_entangled(1)
    with pytest.raises(EntanglementError, match="^theta"):
        partially_entangled(float("nan"))


def test_conversions_refuse_bad_dim_and_non_numbers():
    from qcoord.entanglement import EntanglementError, fidelity_from_visibility, visibility_from_chsh_value, visibility_from_fidelity

    with pytest.raises(EntanglementError, match="^dim: must be an integer >= 2, got 1"):
        fidelity_from_visibility(0.5, dim=1)  # was a silent F = 1 for every v
    with pytest.raises(EntanglementError, match="^dim: must be an integer >= 2, got 1"):
        visibility_from_fidelity(0.5, dim=1)  # was a division by zero
    with pytest.raises(EntanglementError, match=r"^chsh: must be a real number in \[0, 2\*sqrt\(2\)\], got 'x'"):
        visibility_from_chsh_value("x")
    assert visibility_from_fidelity(fidelity_from_visibility(0.3, dim=3), dim=3) == pytest.approx(0.3)
