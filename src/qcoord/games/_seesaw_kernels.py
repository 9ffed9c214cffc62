"""Vectorised see-saw steps (batched over restarts) and a plain-Python reference.

Conventions (all arrays complex128; ``R`` restarts, local dimension ``d``):

- ``psi[r]``: the shared pure state as a ``d x d`` matrix, :math:`|\\psi\\rangle = \\sum_{ij}
  \\Psi_{ij} |i\\rangle_A |j\\rangle_B` (the state vector reshaped row-major).
- ``A[r, x, a]``: Alice's projector for answer ``a`` to question ``x``; ``B[r, y, b]`` Bob's.
- ``W[a, b, x, y]``: the game's weight tensor :math:`\\pi(x,y) V(a,b,x,y)`.

Identities used (all follow from writing out indices):

.. math::

    \\langle\\psi| A \\otimes B |\\psi\\rangle = \\mathrm{tr}[A\\, \\Psi B^T \\Psi^\\dagger]
                                         = \\mathrm{tr}[B\\, \\Psi^T A^T \\bar\\Psi].

So for fixed state and Bob, Alice's part of the value is :math:`\\sum_{x,a} \\mathrm{tr}[A^x_a M^x_a]`
with :math:`M^x_a = \\sum_{y,b} W[a,b,x,y]\\, \\Psi (B^y_b)^T \\Psi^\\dagger` (and symmetrically for Bob);
for fixed measurements the value is :math:`\\langle\\psi|G|\\psi\\rangle` with the Bell operator
:math:`G = \\sum W[a,b,x,y] A^x_a \\otimes B^y_b`, maximised by its top eigenvector.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

CArr = NDArray[np.complex128]

#: Relative threshold below which an eigenvalue counts as zero in the projector updates.
EIG_THRESHOLD = 1e-12


def _dag(m: CArr) -> CArr:
    return np.conj(np.swapaxes(m, -1, -2))


def reduced_alice(psi: CArr, B: CArr, W: NDArray[np.float64]) -> CArr:
    """Alice's effective operators ``M[r, x, a] = sum_{y,b} W[a,b,x,y] psi (B^y_b)^T psi^H``."""
    K = psi[:, None, None] @ np.swapaxes(B, -1, -2) @ _dag(psi)[:, None, None]
    return np.einsum("abxy,rybij->rxaij", W, K, optimize=True)


def reduced_bob(psi: CArr, A: CArr, W: NDArray[np.float64]) -> CArr:
    """Bob's effective operators ``L[r, y, b] = sum_{x,a} W[a,b,x,y] psi^T (A^x_a)^T conj(psi)``."""
    pt = np.swapaxes(psi, -1, -2)
    K = pt[:, None, None] @ np.swapaxes(A, -1, -2) @ np.conj(psi)[:, None, None]
    return np.einsum("abxy,rxaij->rybij", W, K, optimize=True)


def posproj_2x2(H: CArr, scale: NDArray[np.float64] | None = None) -> CArr:
    """Projector on the strictly positive eigenspace of batched 2x2 Hermitian matrices, closed form.

    With :math:`t = (H_{00} + H_{11})/2`, :math:`r = \\sqrt{((H_{00} - H_{11})/2)^2 + |H_{01}|^2}` the
    eigenvalues are :math:`t \\pm r`. The projector is ``I`` if :math:`t - r > 0`, ``0`` if
    :math:`t + r \\le 0`, else the rank-one :math:`(H - (t - r) I) / (2r)`. Eigenvalues below
    ``EIG_THRESHOLD * scale`` count as zero (``scale`` defaults to the spectral radius of ``H``).
    """
    H = 0.5 * (H + _dag(H))
    h00 = H[..., 0, 0].real
    h11 = H[..., 1, 1].real
    h01 = H[..., 0, 1]
    t = 0.5 * (h00 + h11)
    r = np.sqrt((0.5 * (h00 - h11)) ** 2 + np.abs(h01) ** 2)
    if scale is None:
        scale = np.abs(t) + r
    thr = EIG_THRESHOLD * np.maximum(scale, 1e-300)
    lo, hi = t - r, t + r
    eye = np.eye(2)
    safe_r = np.where(r > 0, r, 1.0)
    rank1 = (H - lo[..., None, None] * eye) / (2 * safe_r[..., None, None])
    rank1 = 0.5 * (rank1 + _dag(rank1))
    out = np.where((lo > thr)[..., None, None], eye.astype(np.complex128), rank1)
    out = np.where((hi <= thr)[..., None, None], np.zeros_like(rank1), out)
    return out


def posproj(H: CArr, scale: NDArray[np.float64] | None = None) -> CArr:
    """Projector on the strictly positive eigenspace of batched Hermitian matrices (``eigh``).

    Eigenvalues below ``EIG_THRESHOLD * scale`` count as zero; ``scale`` defaults to the largest
    absolute eigenvalue (pass the norm of the uncompressed operator when ``H`` is a compression).
    """
    H = 0.5 * (H + _dag(H))
    lam, V = np.linalg.eigh(H)
    if scale is None:
        scale = np.abs(lam).max(axis=-1)
    scale = np.maximum(np.asarray(scale)[..., None], 1e-300)
    keep = (lam > EIG_THRESHOLD * scale).astype(np.float64)
    return (V * keep[..., None, :]) @ _dag(V)


def improve_measurements(P: CArr, M: CArr) -> CArr:
    """One sweep of exact pairwise updates of projective measurements, batched.

    For each pair of answers ``(a, a')`` the two projectors are re-split inside the subspace
    :math:`S = P_a + P_{a'}` (a projector): maximising :math:`\\mathrm{tr}[P_a M_a] +
    \\mathrm{tr}[P_{a'} M_{a'}]` subject to :math:`P_a + P_{a'} = S` gives :math:`P_a` = projector on
    the positive eigenspace of :math:`S (M_a - M_{a'}) S` restricted to the range of :math:`S`. Each update is an exact block maximum, so
    the objective never decreases. With two answers :math:`S = I` and one update is the exact best
    projective measurement (for qubits via :func:`posproj_2x2`).

    Parameters
    ----------
    P : ndarray (..., n_out, d, d)
        Current projectors (summing to the identity over ``n_out``).
    M : ndarray (..., n_out, d, d)
        Effective operators; the objective is :math:`\\sum_a \\mathrm{tr}[P_a M_a]`.
    """
    P = P.copy()
    n_out, d = P.shape[-3], P.shape[-1]
    eye = np.eye(d)
    for a in range(n_out):
        for a2 in range(a + 1, n_out):
            D = M[..., a, :, :] - M[..., a2, :, :]
            # Threshold relative to the operators, not to their difference: a difference at rounding
            # level (no preference) must not pick a projector from noise.
            ref = np.maximum(np.linalg.norm(M[..., a, :, :], axis=(-2, -1)), np.linalg.norm(M[..., a2, :, :], axis=(-2, -1)))
            if n_out == 2:
                pa = posproj_2x2(D, scale=ref) if d == 2 else posproj(D, scale=ref)
                P[..., 0, :, :] = pa
                P[..., 1, :, :] = eye - pa
            else:
                S = P[..., a, :, :] + P[..., a2, :, :]
                # Push the complement of S far below zero so that near-zero eigenvalues inside S
                # never mix with the (exactly zero) ones outside it.
                nd = np.linalg.norm(D, axis=(-2, -1))
                H = S @ D @ S - (2.0 * nd + 1.0)[..., None, None] * (eye - S)
                pa = posproj(H, scale=ref)
                P[..., a, :, :] = pa
                P[..., a2, :, :] = S - pa
    return 0.5 * (P + _dag(P))


def bell_operator(A: CArr, B: CArr, W: NDArray[np.float64]) -> CArr:
    """``G[r] = sum W[a,b,x,y] A[r,x,a] ⊗ B[r,y,b]`` as ``(R, d*d, d*d)``."""
    N = np.einsum("abxy,rybkl->rxakl", W, B, optimize=True)
    R, d = A.shape[0], A.shape[-1]
    G = np.einsum("rxaij,rxakl->rikjl", A, N, optimize=True).reshape(R, d * d, d * d)
    return 0.5 * (G + _dag(G))


def best_state(A: CArr, B: CArr, W: NDArray[np.float64]) -> tuple[NDArray[np.float64], CArr]:
    """Top eigenvalue and eigenvector (as ``d x d`` matrices) of the Bell operator, batched."""
    G = bell_operator(A, B, W)
    lam, V = np.linalg.eigh(G)
    d = A.shape[-1]
    return lam[:, -1], V[:, :, -1].reshape(-1, d, d)


def seesaw_iteration(psi: CArr, A: CArr, B: CArr, W: NDArray[np.float64]) -> tuple[NDArray[np.float64], CArr, CArr, CArr]:
    """One see-saw round: Alice's step, Bob's step, then the state. Returns (value, psi, A, B)."""
    A = improve_measurements(A, reduced_alice(psi, B, W))
    B = improve_measurements(B, reduced_bob(psi, A, W))
    value, psi = best_state(A, B, W)
    return value, psi, A, B


# --------------------------------------------------------------------------- reference
def reference_value(psi: CArr, A: CArr, B: CArr, W: NDArray[np.float64]) -> float:
    """Plain-loop Born-rule value of one strategy (``psi`` d x d, ``A[x, a]``, ``B[y, b]``); for tests."""
    vec = psi.reshape(-1)
    total = 0.0
    na, nb, nx, ny = W.shape
    for a in range(na):
        for b in range(nb):
            for x in range(nx):
                for y in range(ny):
                    op = np.kron(A[x, a], B[y, b])
                    total += W[a, b, x, y] * float(np.real(np.vdot(vec, op @ vec)))
    return total


def reference_best_projective_binary(M0: CArr, M1: CArr) -> CArr:
    """Reference for the two-outcome step: brute-force over eigenvector subsets of ``M0 - M1``."""
    lam, V = np.linalg.eigh(0.5 * (M0 - M1 + _dag(M0 - M1)))
    best, best_val = None, -np.inf
    d = lam.size
    for mask in range(1 << d):
        cols = [k for k in range(d) if mask >> k & 1]
        P = V[:, cols] @ _dag(V[:, cols]) if cols else np.zeros((d, d), complex)
        val = float(np.real(np.trace(P @ M0) + np.trace((np.eye(d) - P) @ M1)))
        if val > best_val + 1e-14:
            best, best_val = P, val
    return best  # type: ignore[return-value]
